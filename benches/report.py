"""Join the JSON lines of `jangada-bench` (Rust) and `h5py_bench.py` into the Markdown report.

usage: report.py RESULTS_JSONL OUT_MD [--smoke] [--reps N] [--warmup N] [--keep OLD_JSONL]

Lines with the same side and workload are merged (W11 adds `file_bytes` / `source` in lines
of their own). `--keep OLD_JSONL`: the workloads RESULTS_JSONL does not have are taken from
OLD_JSONL (a partial run keeps the earlier rows of the others; the report lists them), and
RESULTS_JSONL is rewritten with the merged lines.

Reads only the standard library so that it runs with any Python 3; versions of h5py/HDF5 are
passed in by run.sh through the environment (BENCH_H5PY, BENCH_HDF5, BENCH_NUMPY, BENCH_PY).
"""

import datetime
import json
import os
import platform
import subprocess
import sys

# workload -> (physical floor that bounds it, description of the workload)
WORKLOADS = {
    "W1": ("P-write", "write a 1-D float64 array as a chunked dataset, maxshape=(None,), default chunk guess; close"),
    "W2": ("P-read", "open and read that dataset whole"),
    "W3": ("P-slices", "open that file, read {slices} slices of 100 elements at fixed pseudo-random offsets (same LCG both sides); close"),
    "W3-buf": ("P-slices", "the same slices, each read into one reused buffer (Rust: read_slice_into; h5py: read_direct)"),
    "W4": ("P-append", "one open file: {appends} appends of {append_len} float64 (resize + write)"),
    "W5": ("P-reopen", "{cycles} cycles of open r+ / append {cycle_len} float64 / close"),
    "W6-write": ("P-write", "write a {square}x{square} float32 array chunked, maxshape=(None, {square}), default chunk guess; close"),
    "W6-read": ("P-window", "open it, read the {window}x{window} window in the middle {window_reads} times; close"),
    "W7-write": (None, "write {smooth} smooth float64 (sin(i/1000)) with shuffle + deflate level 4, default chunk guess; close (compute-bound: no I/O floor)"),
    "W7-read": (None, "open it and read it whole"),
    "W8-save": (None, "jangada save of an object holding a list of {items} nested objects, each with 5 scalar "
                "properties (str, int, float, bool, None) and a 10-element float64 array (create, write the "
                "tree, close); h5py column: the identical group/attribute/dataset tree written with h5py directly"),
    "W8-load": (None, "jangada load of that file into objects; h5py column: the same tree read back with h5py "
                "directly into dicts and arrays"),
    "W9": (None, "jangada lazy mode: open a file holding a {lazy_size} float64 array (as jangada saves it) and read "
           "{lazy_slices} slices of 100 elements through the ProxyDataset (W3's offsets), close; h5py column: "
           "the same slices with h5py directly"),
    "W10-write": (None, "{files} tiny files, each opened for writing (\"w\", truncating), written and closed: "
                  "a group with 3 attributes (int, float, str) and a 10-element float64 dataset (write only). "
                  "The empty files are created before the timed loop: creating inodes on ext4 right after "
                  "mass deletes cost 0.1-0.5 ms per file depending on what was deleted before, on both sides"),
    "W10-read": (None, "open each of those files, read the 3 attributes and the dataset, close"),
}
# Workloads with a third side, Python jangada 0.1.9 ("side": "jangada" in the raw results).
JANGADA = ["W8-save", "W8-load", "W9"]
# Workloads counted in files (rate = files / median).
FILES = ["W10-write", "W10-read"]
FLOORS = {
    "P-memcpy": "memcpy between two touched buffers",
    "P-write": "create a file, write the same bytes, close (no fsync)",
    "P-read": "read the whole file into a new buffer",
    "P-append": "one open file: as many unbuffered writes of the same size as W4",
    "P-reopen": "as many open(append) / write / close cycles as W5",
    "P-slices": "one open file: pread of each W3 slice (same offsets)",
    "P-window": "copy W6's window out of the array in memory, as many times",
}


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001 - machine info is best effort
        return "?"


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "nproc": str(os.cpu_count()),
        "CPU": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "load average at end": sh("cut -d' ' -f1-3 /proc/loadavg"),
        "temp dir filesystem": os.environ.get("BENCH_FS", "?"),
        "rustc": sh("rustc -V"),
        "python": os.environ.get("BENCH_PY", "?"),
        "h5py": os.environ.get("BENCH_H5PY", "?"),
        "HDF5 (libhdf5 under h5py)": os.environ.get("BENCH_HDF5", "?"),
        "numpy": os.environ.get("BENCH_NUMPY", "?"),
        "jangada-rs commit": sh("git rev-parse --short HEAD"),
        "Rust side allocator": "glibc malloc, GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (--thp)"
        if os.environ.get("BENCH_THP") == "1" else "glibc malloc, default settings",
    }


def fmt_s(t):
    if t is None:
        return "n/a"
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} us"


def fmt_size(n):
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB" if n % (1 << 20) else f"{n >> 20} MiB"
    if n >= 1 << 10:
        return f"{n / 1000:.0f} kB"
    return f"{n} B"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}"


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    src, out = args[0], args[1]
    smoke = "--smoke" in args
    reps = args[args.index("--reps") + 1] if "--reps" in args else "?"
    warmup = args[args.index("--warmup") + 1] if "--warmup" in args else "?"
    def load(path):
        out = []
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    raw = load(src)
    kept = []
    if "--keep" in args:
        old = args[args.index("--keep") + 1]
        if os.path.isfile(old):
            ran = {r["workload"] for r in raw}
            kept = [r for r in load(old) if r["workload"] not in ran]
            raw += kept
            with open(src, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in raw)
    rows = {}
    for r in raw:
        rows.setdefault((r["side"], r["workload"]), {}).update(r)

    def med(side, w):
        r = rows.get((side, w))
        return None if r is None else r["median"]

    def spread(side, w):
        r = rows.get((side, w))
        if r is None:
            return "n/a"
        return f"{fmt_s(min(r['times']))} - {fmt_s(max(r['times']))}"

    sizes = {}
    for (side, w), r in rows.items():
        sizes[w] = r["bytes"]
    info = dict(appends="10,000", append_len="1,000", cycles="1,000", cycle_len="100",
                slices="10,000", square="8192", window="512", window_reads="1,000", smooth="8 Mi",
                items="1,000", lazy_slices="1,000", files="10,000", lazy_size="256 MiB")
    n_files = 10_000
    if smoke:
        info = dict(appends="200", append_len="1,000", cycles="50", cycle_len="100",
                    slices="200", square="512", window="64", window_reads="20", smooth="64 Ki",
                    items="50", lazy_slices="50", files="100", lazy_size="2 MiB")
        n_files = 100

    lines = []
    title = "Benchmarks: jangada-hdf5 vs h5py" + (" (SMOKE run: tiny sizes, not a measurement)" if smoke else "")
    lines.append(f"# {title}\n")
    lines.append(
        "Generated by `bash benches/run.sh" + (" --smoke" if smoke else "") + "`. "
        f"Each number is the median of {reps} timed runs after {warmup} untimed warm-up run(s), "
        "wall clock around the workload only (Rust `Instant`, Python `time.perf_counter`); files "
        "in a temporary directory on local disk, deleted after every run (W10's tiny files: at the end), nothing fsync'ed. "
        "Rust and Python runs alternate workload by workload.\n"
    )
    lines.append("## Results\n")
    lines.append("| workload | data | ours (median) | h5py (median) | h5py / ours | ours / floor | h5py / floor |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for w, (floor, _) in WORKLOADS.items():
        ours, theirs = med("rust", w), med("h5py", w)
        lines.append(
            f"| {w} | {fmt_size(sizes.get(w, 0))} | {fmt_s(ours)} | {fmt_s(theirs)} | "
            f"**{ratio(theirs, ours)}** | {ratio(ours, med('rust', floor))} | "
            f"{ratio(theirs, med('h5py', floor))} |"
        )
    lines.append("")
    lines.append(
        "h5py / ours > 1 means jangada-hdf5 is faster. \"floor\" is the physical limit of the "
        "workload measured on the same side (the Rust floor for ours, the Python floor for "
        "h5py): ours / floor = 1 would be as fast as plain file I/O.\n"
    )
    lines.append("### The jangada layer: ours vs Python jangada vs h5py directly\n")
    lines.append("| workload | ours | Python jangada 0.1.9 | h5py directly | jangada / ours | h5py / ours |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for w in JANGADA:
        ours, jang, theirs = med("rust", w), med("jangada", w), med("h5py", w)
        lines.append(
            f"| {w} | {fmt_s(ours)} | {fmt_s(jang)} | {fmt_s(theirs)} | **{ratio(jang, ours)}** | "
            f"**{ratio(theirs, ours)}** |"
        )
    lines.append("")
    lines.append("### Many tiny files: files per second\n")
    lines.append("| workload | ours | h5py | ours / h5py |")
    lines.append("| --- | ---: | ---: | ---: |")

    def rate(t):
        return None if t is None or t == 0 else n_files / t

    for w in FILES:
        ours, theirs = rate(med("rust", w)), rate(med("h5py", w))
        lines.append(
            f"| {w} | {'n/a' if ours is None else f'{ours:,.0f}'} | "
            f"{'n/a' if theirs is None else f'{theirs:,.0f}'} | **{ratio(ours, theirs)}** |"
        )
    lines.append("")
    w11 = []
    for (side, w) in rows:
        if w.startswith("W11-") and (w.endswith("-write") or w.endswith("-read")):
            name = w[4:].rsplit("-", 1)[0]
            if name not in w11:
                w11.append(name)
    w11_rows = [f"W11-{n}-{d}" for n in w11 for d in ("write", "read")]
    if w11:
        lines.append("### W11: filters, ours vs h5py + hdf5plugin (C)\n")
        lines.append(
            "Encode: write a file of three chunked datasets (1 MiB chunks) with the filter: "
            f"`f8` smooth float64, `f4` smooth float32, `i4` an int32 sensor-like series, "
            f"{fmt_size(sizes.get(f'W11-{w11[0]}-write', 0))} in all; decode: open the file "
            "h5py + hdf5plugin wrote and read the three datasets whole (both sides decode the "
            "same bytes). MB/s = 10^6 bytes of unfiltered data per second (median run); "
            "ours / h5py > 1 means we are faster (targets: decode >= 1.0, encode >= 0.8). "
            "Compression ratio = unfiltered bytes / file size, of each side's own output. "
            "h5py: hdf5plugin's filters, one thread; ours: the public API, which compresses "
            "the chunks of a write on up to `available_parallelism` threads (here nproc) and "
            "decodes on the reading thread.\n"
        )
        lines.append("| filter | encode ours | encode h5py | **ours / h5py** | decode ours | decode h5py | "
                     "**ours / h5py** | ratio ours | ratio h5py |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

        def mbs(side, w):
            t = med(side, w)
            return None if t is None or t == 0 else sizes.get(w, 0) / t / 1e6

        def fmt_rate(v):
            return "n/a" if v is None else f"{v:,.0f}"

        def comp(side, w):
            r = rows.get((side, w))
            if r is None or not r.get("file_bytes"):
                return "n/a"
            return f"{sizes.get(w, 0) / r['file_bytes']:.2f}"

        for n in w11:
            wr, rd = f"W11-{n}-write", f"W11-{n}-read"
            eo, eh, do, dh = mbs("rust", wr), mbs("h5py", wr), mbs("rust", rd), mbs("h5py", rd)
            sources = {rows.get((side, rd), {}).get("source") for side in ("rust", "h5py")}
            note = "" if sources <= {"h5py", None} else " (decode: each side its own file)"
            lines.append(
                f"| {n}{note} | {fmt_rate(eo)} | {fmt_rate(eh)} | **{ratio(eo, eh)}** | {fmt_rate(do)} | "
                f"{fmt_rate(dh)} | **{ratio(do, dh)}** | {comp('rust', wr)} | {comp('h5py', wr)} |"
            )
        lines.append("")
    if kept:
        names = sorted({r["workload"] for r in kept})
        lines.append("Rows of workloads not run this time are kept from the previous results "
                     f"(`benches/results.jsonl`): {', '.join(names)}.\n")
    lines.append("### Peak memory (RSS)\n")
    lines.append(
        "Peak resident set size of the benchmark process during the timed runs (largest over the "
        "runs): before each run `VmHWM` is reset (`5` written to `/proc/self/clear_refs`), after it "
        "`VmHWM` is read from `/proc/self/status`. \"growth\" is the peak minus the RSS at the "
        "reset (what the workload added); the peak includes the interpreter (Python, numpy, h5py, "
        "jangada: ~100 MiB) or the Rust binary (a few MiB). The RSS counts pages of memory-mapped "
        "files (our reader maps the file) as well as anonymous memory.\n"
    )
    lines.append("| workload | ours: peak | ours: growth | h5py: peak | h5py: growth | Python jangada: peak | Python jangada: growth |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")

    def mib(side, w, key):
        r = rows.get((side, w))
        if r is None or key not in r:
            return "n/a"
        return f"{r[key] / 1024:.1f} MiB"

    for w in list(WORKLOADS) + w11_rows:
        if not any(rows.get((side, w)) for side in ("rust", "h5py", "jangada")):
            continue
        lines.append(
            f"| {w} | {mib('rust', w, 'rss_peak_kib')} | {mib('rust', w, 'rss_growth_kib')} | "
            f"{mib('h5py', w, 'rss_peak_kib')} | {mib('h5py', w, 'rss_growth_kib')} | "
            f"{mib('jangada', w, 'rss_peak_kib')} | {mib('jangada', w, 'rss_growth_kib')} |"
        )
    lines.append("")
    lines.append("### Workloads\n")
    for w, (floor, desc) in WORKLOADS.items():
        lines.append(f"- **{w}** ({fmt_size(sizes.get(w, 0))}): {desc.format(**info)}. Floor: {floor or 'none'}.")
    lines.append("")
    lines.append("### Physical limits (floors)\n")
    lines.append("| floor | what | data | Rust (median) | Python (median) |")
    lines.append("| --- | --- | --- | ---: | ---: |")
    for f, desc in FLOORS.items():
        lines.append(
            f"| {f} | {desc} | {fmt_size(sizes.get(f, 0))} | {fmt_s(med('rust', f))} | {fmt_s(med('h5py', f))} |"
        )
    lines.append("")
    lines.append("### Spread (fastest - slowest timed run)\n")
    lines.append("| workload | ours | h5py | Python jangada |")
    lines.append("| --- | --- | --- | --- |")
    for w in list(WORKLOADS) + w11_rows + list(FLOORS):
        jang = spread("jangada", w) if w in JANGADA else ""
        lines.append(f"| {w} | {spread('rust', w)} | {spread('h5py', w)} | {jang} |")
    lines.append("")
    lines.append("## Machine\n")
    lines.append("| | |")
    lines.append("| --- | --- |")
    for k, v in machine().items():
        lines.append(f"| {k} | {v} |")
    lines.append("")
    text = "\n".join(lines)
    with open(out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
