//! `jangada-bench`: the Rust side of the jangada-hdf5 vs h5py benchmarks (issue 3; grows into
//! the W1-W10 suite of issue 6).
//!
//! Every workload is timed the same way as `benches/h5py_bench.py` does it: a wall-clock timer
//! (`Instant`, like Python's `time.perf_counter`) around the workload only (set-up, clean-up and
//! sanity checks are outside it), `--warmup` untimed runs, then `--reps` timed runs; the median
//! is reported. Files go to `--dir` and are deleted after each run. Nothing is fsync'ed (h5py
//! does not fsync either).
//!
//! Output: one JSON object per line on stdout,
//! `{"side":"rust","workload":"W1","what":...,"bytes":...,"times":[...],"median":...}`;
//! `benches/report.py` joins it with the Python side's output.
//!
//! Workloads (sizes of the full run; `--smoke` shrinks them):
//! - W1: write a 1-D float64 array of 32 Mi elements (256 MiB) as a chunked dataset with
//!   `maxshape=(None,)` and the default (h5py-like) chunk guess, then close.
//! - W2: open that file and read the dataset whole.
//! - W3: open that file and read 10,000 slices of 100 elements at random offsets (a fixed
//!   linear congruential sequence, the same on both sides: [`Offsets`]), then close.
//! - W4: in one open file, 10,000 appends of 1,000 float64 each to a dataset created empty with
//!   `maxshape=(None,)` (default chunk guess), then close.
//! - W5: 1,000 cycles of open `r+` / append 100 float64 / close.
//! - W6-write: write an 8192x8192 float32 dataset, chunked with `maxshape=(None, 8192)` and the
//!   default chunk guess, then close. W6-read: open it and read the 512x512 window in the middle
//!   1,000 times, then close.
//! - W7-write: write 8 Mi smooth float64 values (`sin(i / 1000)`) with shuffle + deflate level 4
//!   (default chunk guess), then close. W7-read: open it and read it whole.
//!
//! Physical limits, the floor each workload could reach on this machine:
//! - P-memcpy: copy 256 MiB between two already-touched buffers.
//! - P-write (W1's floor): create a file, `write_all` 256 MiB, close.
//! - P-read (W2's floor): read a 256 MiB file into a new buffer (advised for huge pages, as
//!   the library advises large read outputs and numpy its arrays).
//! - P-append (W4's floor): in one open file, 10,000 `write_all` of 8,000 bytes.
//! - P-reopen (W5's floor): 1,000 cycles of open (append) / `write_all` 800 bytes / close.
//! - P-slices (W3's floor): in one open file, 10,000 `pread`s of 800 bytes at W3's offsets.
//! - P-window (W6-read's floor): copy the 512x512 window out of the 8192x8192 float32 array in
//!   memory, 1,000 times (row by row into a new buffer).
//!
//! W8-W10 (the `jangada` object layer, lazy proxies, many tiny files) live in [`meta`], W11
//! (filter throughput against hdf5plugin's C filters) in [`filters`].
//!
//! Peak memory: before each run the process's peak RSS (`VmHWM`) is reset by writing `5` to
//! `/proc/self/clear_refs` (Linux >= 4.0); after the run `VmHWM` is read from
//! `/proc/self/status`. Reported per workload: the largest peak over the timed runs
//! (`rss_peak_kib`) and the largest growth over the RSS at the reset (`rss_growth_kib`).

mod filters;
mod meta;

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jangada_hdf5::{Dataset, File, Selection, SliceArg};
use ndarray::{ArrayD, IxDyn};

type Res<T> = std::result::Result<T, Box<dyn Error>>;

/// Workload sizes.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    /// W1/W2 elements (float64).
    big_len: usize,
    /// W4 number of appends.
    appends: usize,
    /// W4 elements per append.
    append_len: usize,
    /// W5 open/append/close cycles.
    cycles: usize,
    /// W5 elements per append.
    cycle_len: usize,
    /// W3 number of random slices.
    slices: usize,
    /// W3 elements per slice.
    slice_len: usize,
    /// W6 side of the square float32 dataset.
    square: usize,
    /// W6 side of the square window read.
    window: usize,
    /// W6 number of window reads.
    window_reads: usize,
    /// W7 elements (float64, deflate + shuffle).
    smooth_len: usize,
    /// W8-W10.
    meta: meta::MetaSizes,
    /// W11.
    w11: filters::W11Sizes,
}

const FULL: Sizes = Sizes {
    big_len: 32 * 1024 * 1024,
    appends: 10_000,
    append_len: 1_000,
    cycles: 1_000,
    cycle_len: 100,
    slices: 10_000,
    slice_len: 100,
    square: 8192,
    window: 512,
    window_reads: 1_000,
    smooth_len: 8 * 1024 * 1024,
    meta: meta::MetaSizes {
        items: 1_000,
        lazy_len: 32 * 1024 * 1024,
        lazy_slices: 1_000,
        slice_len: 100,
        files: 10_000,
    },
    // 64 MiB: 4 Mi float64 + 4 Mi float32 + 4 Mi int32, 1 MiB chunks.
    w11: filters::W11Sizes {
        len: 4 * 1024 * 1024,
        chunk_bytes: 1 << 20,
    },
};

const SMOKE: Sizes = Sizes {
    big_len: 256 * 1024,
    appends: 200,
    append_len: 1_000,
    cycles: 50,
    cycle_len: 100,
    slices: 200,
    slice_len: 100,
    square: 512,
    window: 64,
    window_reads: 20,
    smooth_len: 64 * 1024,
    meta: meta::MetaSizes {
        items: 50,
        lazy_len: 256 * 1024,
        lazy_slices: 50,
        slice_len: 100,
        files: 100,
    },
    // 1 MiB, 64 KiB chunks.
    w11: filters::W11Sizes {
        len: 64 * 1024,
        chunk_bytes: 64 << 10,
    },
};

struct Options {
    dir: PathBuf,
    reps: usize,
    warmup: usize,
    sizes: Sizes,
    only: Option<Vec<String>>,
}

fn usage() -> String {
    "usage: jangada-bench --dir DIR [--reps N] [--warmup N] [--smoke] [--only W1,W2,...] \
     | --list W11"
        .into()
}

fn parse_args() -> Res<Options> {
    let mut args = std::env::args().skip(1);
    let mut opts = Options {
        dir: std::env::temp_dir(),
        reps: 5,
        warmup: 1,
        sizes: FULL,
        only: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(usage);
        match arg.as_str() {
            "--dir" => opts.dir = PathBuf::from(value()?),
            "--reps" => opts.reps = value()?.parse()?,
            "--warmup" => opts.warmup = value()?.parse()?,
            "--smoke" => opts.sizes = SMOKE,
            "--list" => {
                // The workloads of a group (run.sh expands `--only W11` with it).
                if value()? != "W11" {
                    return Err(usage().into());
                }
                println!("{}", filters::names().join(","));
                std::process::exit(0);
            }
            "--only" => {
                opts.only = Some(value()?.split(',').map(|s| s.trim().to_string()).collect())
            }
            _ => return Err(usage().into()),
        }
    }
    if opts.reps == 0 {
        return Err("--reps must be at least 1".into());
    }
    Ok(opts)
}

/// Whether `workload` was selected with `--only` (all are by default).
fn selected(opts: &Options, workload: &str) -> bool {
    match &opts.only {
        // A group (`W11`) selects its workloads (`W11-...`).
        Some(only) => only.iter().any(|w| {
            w == workload
                || workload
                    .strip_prefix(w.as_str())
                    .is_some_and(|rest| rest.starts_with('-') && w == "W11")
        }),
        None => true,
    }
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let hi = sorted.get(n / 2).copied().unwrap_or(f64::NAN);
    if n % 2 == 1 {
        hi
    } else {
        let lo = sorted.get(n / 2 - 1).copied().unwrap_or(f64::NAN);
        (lo + hi) / 2.0
    }
}

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`), in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let text = fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Reset the peak RSS (`VmHWM`) to the current RSS; returns the current RSS in KiB, or `None`
/// when the kernel does not support it (then no peak is reported).
fn reset_peak_rss() -> Option<u64> {
    fs::write("/proc/self/clear_refs", "5").ok()?;
    let (hwm, rss) = (status_kib("VmHWM")?, status_kib("VmRSS")?);
    // The reset worked if the peak is back to (about) the current RSS.
    (hwm <= rss + 1024).then_some(rss)
}

/// Run `run` `warmup` times untimed and `reps` times timed; `run` returns the duration of its
/// timed part. Prints the JSON line, with the peak RSS of the timed runs (module docs).
fn bench(
    opts: &Options,
    workload: &str,
    what: &str,
    bytes: u64,
    mut run: impl FnMut() -> Res<Duration>,
) -> Res<()> {
    if !selected(opts, workload) {
        return Ok(());
    }
    for _ in 0..opts.warmup {
        run()?;
    }
    let mut times = Vec::with_capacity(opts.reps);
    let mut rss: Option<(u64, u64)> = None;
    let mut rss_ok = true;
    for _ in 0..opts.reps {
        let base = reset_peak_rss();
        times.push(run()?.as_secs_f64());
        match (base, status_kib("VmHWM")) {
            (Some(base), Some(peak)) if rss_ok => {
                let (p, g) = rss.unwrap_or((0, 0));
                rss = Some((p.max(peak), g.max(peak.saturating_sub(base))));
            }
            _ => rss_ok = false,
        }
    }
    let list: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
    let rss = match rss.filter(|_| rss_ok) {
        Some((peak, growth)) => format!(",\"rss_peak_kib\":{peak},\"rss_growth_kib\":{growth}"),
        None => String::new(),
    };
    println!(
        "{{\"side\":\"rust\",\"workload\":\"{workload}\",\"what\":\"{what}\",\"bytes\":{bytes},\
         \"times\":[{}],\"median\":{:.6}{rss}}}",
        list.join(","),
        median(&times)
    );
    std::io::stdout().flush()?;
    Ok(())
}

fn remove(path: &Path) -> Res<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn arange(n: usize, start: usize) -> Res<ArrayD<f64>> {
    let v: Vec<f64> = (start..start + n).map(|i| i as f64).collect();
    Ok(ArrayD::from_shape_vec(IxDyn(&[n]), v)?)
}

fn check(cond: bool, msg: impl FnOnce() -> String) -> Res<()> {
    if cond {
        Ok(())
    } else {
        Err(msg().into())
    }
}

/// W3's random offsets: a 64-bit linear congruential generator (Knuth's MMIX constants),
/// seed 42, offset = (state >> 33) % (len - slice_len + 1); `h5py_bench.py` uses the same.
struct Offsets {
    state: u64,
    range: u64,
}

impl Offsets {
    fn new(len: usize, slice_len: usize) -> Self {
        Offsets {
            state: 42,
            range: (len - slice_len + 1) as u64,
        }
    }
}

impl Iterator for Offsets {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        self.state = self
            .state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Some(((self.state >> 33) % self.range) as usize)
    }
}

/// W6's array: element (r, c) is `(r * side + c) % 65536` (exact in float32).
fn square(side: usize) -> Res<ArrayD<f32>> {
    let v: Vec<f32> = (0..side * side).map(|i| (i % 65_536) as f32).collect();
    Ok(ArrayD::from_shape_vec(IxDyn(&[side, side]), v)?)
}

/// W7's smooth values.
fn smooth(n: usize) -> Res<ArrayD<f64>> {
    let v: Vec<f64> = (0..n).map(|i| (i as f64 / 1000.0).sin()).collect();
    Ok(ArrayD::from_shape_vec(IxDyn(&[n]), v)?)
}

/// W6-write's workload.
fn write_square(path: &Path, data: &ArrayD<f32>, side: usize) -> Res<()> {
    let file = File::create(path)?;
    file.root()?
        .new_dataset("data")
        .maxshape(&[None, Some(side as u64)])
        .write(data)?;
    file.close()?;
    Ok(())
}

/// W7-write's workload.
fn write_smooth(path: &Path, data: &ArrayD<f64>) -> Res<()> {
    let file = File::create(path)?;
    file.root()?
        .new_dataset("data")
        .shuffle()
        .deflate(4)
        .write(data)?;
    file.close()?;
    Ok(())
}

/// W1's workload: create, write the chunked growable dataset, close.
fn write_big(path: &Path, data: &ArrayD<f64>) -> Res<()> {
    let file = File::create(path)?;
    file.root()?
        .new_dataset("data")
        .maxshape(&[None])
        .write(data)?;
    file.close()?;
    Ok(())
}

/// Create a file holding an empty growable float64 dataset `data` (default chunk guess).
fn create_empty(path: &Path) -> Res<()> {
    let file = File::create(path)?;
    file.root()?
        .new_dataset("data")
        .dtype_of::<f64>()
        .shape(&[0])
        .maxshape(&[None])
        .create()?;
    file.close()?;
    Ok(())
}

fn check_len(path: &Path, want: u64) -> Res<()> {
    let file = File::open(path)?;
    let ds: Dataset = file.dataset("data")?;
    check(ds.shape() == [want], || {
        format!("{}: shape {:?}, want [{want}]", path.display(), ds.shape())
    })
}

fn main() -> Res<()> {
    let opts = parse_args()?;
    fs::create_dir_all(&opts.dir)?;
    let s = opts.sizes;
    let big_bytes = (s.big_len * 8) as u64;
    // The 256 MiB source array only when a workload needs it (so that the peak RSS of the
    // other workloads does not include it).
    let needs_big = [
        "W1", "W2", "W3", "W3-buf", "P-memcpy", "P-write", "P-read", "P-slices",
    ]
    .iter()
    .any(|w| selected(&opts, w));
    let big = arange(if needs_big { s.big_len } else { 0 }, 0)?;
    let h5 = opts.dir.join("rust_bench.h5");
    let raw = opts.dir.join("rust_bench.bin");

    // W1: write 256 MiB chunked, maxshape=(None,).
    bench(
        &opts,
        "W1",
        "write chunked f64, maxshape=(None,)",
        big_bytes,
        || {
            remove(&h5)?;
            let t = Instant::now();
            write_big(&h5, &big)?;
            let d = t.elapsed();
            check_len(&h5, s.big_len as u64)?;
            remove(&h5)?;
            Ok(d)
        },
    )?;

    // W2: read it back whole (the file is written once, untimed).
    if selected(&opts, "W2") || selected(&opts, "W3") || selected(&opts, "W3-buf") {
        remove(&h5)?;
        write_big(&h5, &big)?;
    }
    bench(&opts, "W2", "read chunked f64 whole", big_bytes, || {
        let t = Instant::now();
        let file = File::open(&h5)?;
        let a = file.dataset("data")?.read::<f64>()?;
        drop(file);
        let d = t.elapsed();
        let last = a.iter().last().copied();
        check(
            a.len() == s.big_len && last == Some((s.big_len - 1) as f64),
            || format!("W2 read {} elements, last {last:?}", a.len()),
        )?;
        Ok(d)
    })?;

    // W3: random slices of that file.
    bench(
        &opts,
        "W3",
        "random 100-element slices",
        (s.slices * s.slice_len * 8) as u64,
        || {
            let t = Instant::now();
            let file = File::open(&h5)?;
            let ds = file.dataset("data")?;
            let mut first_sum = 0f64;
            for o in Offsets::new(s.big_len, s.slice_len).take(s.slices) {
                let a = ds.read_slice::<f64>(&Selection::new([SliceArg::range(
                    o as i64,
                    (o + s.slice_len) as i64,
                )]))?;
                first_sum += a.iter().next().copied().unwrap_or(f64::NAN);
            }
            drop(file);
            let d = t.elapsed();
            let want: f64 = Offsets::new(s.big_len, s.slice_len)
                .take(s.slices)
                .map(|o| o as f64)
                .sum();
            check(first_sum == want, || {
                format!("W3 first elements sum to {first_sum}, want {want}")
            })?;
            Ok(d)
        },
    )?;

    // W3-buf: the same slices read into one reused buffer (no allocation per slice).
    bench(
        &opts,
        "W3-buf",
        "random 100-element slices into a reused buffer",
        (s.slices * s.slice_len * 8) as u64,
        || {
            let t = Instant::now();
            let file = File::open(&h5)?;
            let ds = file.dataset("data")?;
            let mut buf = vec![0f64; s.slice_len];
            let mut first_sum = 0f64;
            for o in Offsets::new(s.big_len, s.slice_len).take(s.slices) {
                ds.read_slice_into(o..o + s.slice_len, &mut buf)?;
                first_sum += buf.first().copied().unwrap_or(f64::NAN);
            }
            drop(file);
            let d = t.elapsed();
            let want: f64 = Offsets::new(s.big_len, s.slice_len)
                .take(s.slices)
                .map(|o| o as f64)
                .sum();
            check(first_sum == want, || {
                format!("W3-buf first elements sum to {first_sum}, want {want}")
            })?;
            Ok(d)
        },
    )?;
    remove(&h5)?;

    // W4: appends in one open file.
    let chunk = arange(s.append_len, 0)?;
    bench(
        &opts,
        "W4",
        "appends in one open file",
        (s.appends * s.append_len * 8) as u64,
        || {
            remove(&h5)?;
            create_empty(&h5)?;
            let t = Instant::now();
            {
                // Every handle goes before the file is opened again (files are locked).
                let file = File::open_rw(&h5)?;
                let ds = file.dataset("data")?;
                for _ in 0..s.appends {
                    ds.append(&chunk)?;
                }
                drop(ds);
                file.close()?;
            }
            let d = t.elapsed();
            check_len(&h5, (s.appends * s.append_len) as u64)?;
            remove(&h5)?;
            Ok(d)
        },
    )?;

    // W5: open r+ / append / close cycles.
    let small = arange(s.cycle_len, 0)?;
    bench(
        &opts,
        "W5",
        "open r+/append/close cycles",
        (s.cycles * s.cycle_len * 8) as u64,
        || {
            remove(&h5)?;
            create_empty(&h5)?;
            let t = Instant::now();
            for _ in 0..s.cycles {
                let file = File::open_rw(&h5)?;
                file.dataset("data")?.append(&small)?;
                file.close()?;
            }
            let d = t.elapsed();
            check_len(&h5, (s.cycles * s.cycle_len) as u64)?;
            remove(&h5)?;
            Ok(d)
        },
    )?;
    drop(chunk);
    drop(small);

    // W6: 2-D float32, write then window reads.
    let side = s.square;
    let sq = if ["W6-write", "W6-read", "P-window"]
        .iter()
        .any(|w| selected(&opts, w))
    {
        square(side)?
    } else {
        ArrayD::zeros(IxDyn(&[0, 0]))
    };
    bench(
        &opts,
        "W6-write",
        "write 2-D f32 chunked, maxshape=(None, n)",
        (side * side * 4) as u64,
        || {
            remove(&h5)?;
            let t = Instant::now();
            write_square(&h5, &sq, side)?;
            let d = t.elapsed();
            let file = File::open(&h5)?;
            let shape = file.dataset("data")?.shape().to_vec();
            check(shape == [side as u64, side as u64], || {
                format!("W6-write: shape {shape:?}")
            })?;
            drop(file);
            remove(&h5)?;
            Ok(d)
        },
    )?;
    let (w0, w1) = ((side - s.window) / 2, (side + s.window) / 2);
    let win_bytes = (s.window_reads * s.window * s.window * 4) as u64;
    if selected(&opts, "W6-read") {
        remove(&h5)?;
        write_square(&h5, &sq, side)?;
    }
    bench(
        &opts,
        "W6-read",
        "1,000 reads of a 2-D window",
        win_bytes,
        || {
            let t = Instant::now();
            let file = File::open(&h5)?;
            let ds = file.dataset("data")?;
            let window = Selection::new([
                SliceArg::range(w0 as i64, w1 as i64),
                SliceArg::range(w0 as i64, w1 as i64),
            ]);
            let mut corner = 0f64;
            for _ in 0..s.window_reads {
                let a = ds.read_slice::<f32>(&window)?;
                corner += f64::from(a.iter().next().copied().unwrap_or(f32::NAN));
            }
            drop(file);
            let d = t.elapsed();
            let want = ((w0 * side + w0) % 65_536) as f64 * s.window_reads as f64;
            check(corner == want, || {
                format!("W6-read: corners sum to {corner}, want {want}")
            })?;
            Ok(d)
        },
    )?;
    remove(&h5)?;
    bench(
        &opts,
        "P-window",
        "copy a 2-D window in memory",
        win_bytes,
        || {
            let flat = sq.as_slice().ok_or("W6 array not contiguous")?;
            let t = Instant::now();
            for _ in 0..s.window_reads {
                let mut out: Vec<f32> = Vec::with_capacity(s.window * s.window);
                for r in w0..w1 {
                    out.extend_from_slice(flat.get(r * side + w0..r * side + w1).unwrap_or(&[]));
                }
                std::hint::black_box(&out);
            }
            Ok(t.elapsed())
        },
    )?;
    drop(sq);

    // W7: deflate + shuffle.
    let sm = if ["W7-write", "W7-read"].iter().any(|w| selected(&opts, w)) {
        smooth(s.smooth_len)?
    } else {
        ArrayD::zeros(IxDyn(&[0]))
    };
    let sm_bytes = (s.smooth_len * 8) as u64;
    bench(
        &opts,
        "W7-write",
        "write f64 shuffle+deflate(4)",
        sm_bytes,
        || {
            remove(&h5)?;
            let t = Instant::now();
            write_smooth(&h5, &sm)?;
            let d = t.elapsed();
            check_len(&h5, s.smooth_len as u64)?;
            remove(&h5)?;
            Ok(d)
        },
    )?;
    if selected(&opts, "W7-read") {
        remove(&h5)?;
        write_smooth(&h5, &sm)?;
    }
    bench(
        &opts,
        "W7-read",
        "read f64 shuffle+deflate(4)",
        sm_bytes,
        || {
            let t = Instant::now();
            let file = File::open(&h5)?;
            let a = file.dataset("data")?.read::<f64>()?;
            drop(file);
            let d = t.elapsed();
            let (last, want) = (a.iter().last().copied(), sm.iter().last().copied());
            check(a.len() == s.smooth_len && last == want, || {
                format!(
                    "W7-read: {} elements, last {last:?}, want {want:?}",
                    a.len()
                )
            })?;
            Ok(d)
        },
    )?;
    remove(&h5)?;
    drop(sm);

    // W8-W10: see `meta`.
    meta::run(&opts, s.meta)?;

    // W11: filters, see `filters`.
    filters::run(&opts, s.w11)?;

    // Physical limits.
    if !["P-memcpy", "P-write", "P-read", "P-slices"]
        .iter()
        .any(|w| selected(&opts, w))
    {
        drop(big);
        return small_floors(&opts, s);
    }
    let big_raw: Vec<u8> = big.iter().flat_map(|v| v.to_le_bytes()).collect();
    drop(big);
    let mut dest = vec![1u8; big_raw.len()];
    bench(&opts, "P-memcpy", "memcpy", big_bytes, || {
        let t = Instant::now();
        dest.copy_from_slice(&big_raw);
        let d = t.elapsed();
        std::hint::black_box(&dest);
        Ok(d)
    })?;
    drop(dest);

    bench(&opts, "P-write", "plain file write", big_bytes, || {
        remove(&raw)?;
        let t = Instant::now();
        let mut f = fs::File::create(&raw)?;
        f.write_all(&big_raw)?;
        drop(f);
        let d = t.elapsed();
        remove(&raw)?;
        Ok(d)
    })?;

    if selected(&opts, "P-read") || selected(&opts, "P-slices") {
        fs::write(&raw, &big_raw)?;
    }
    bench(&opts, "P-read", "plain file read", big_bytes, || {
        let t = Instant::now();
        // A buffer allocated as the library allocates large read outputs (advised for
        // transparent huge pages, as numpy's are), filled with one read.
        let mut f = fs::File::open(&raw)?;
        let len = usize::try_from(f.metadata()?.len())?;
        let mut v = jangada_hdf5::hugepage::vec_of(len, 0u8);
        std::io::Read::read_exact(&mut f, &mut v)?;
        drop(f);
        let d = t.elapsed();
        check(v.len() == big_raw.len(), || "P-read: short read".into())?;
        Ok(d)
    })?;

    bench(
        &opts,
        "P-slices",
        "plain preads at W3's offsets",
        (s.slices * s.slice_len * 8) as u64,
        || {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; s.slice_len * 8];
            let t = Instant::now();
            let f = fs::File::open(&raw)?;
            for o in Offsets::new(s.big_len, s.slice_len).take(s.slices) {
                f.read_exact_at(&mut buf, (o * 8) as u64)?;
                std::hint::black_box(&buf);
            }
            drop(f);
            Ok(t.elapsed())
        },
    )?;
    remove(&raw)?;
    drop(big_raw);
    small_floors(&opts, s)
}

/// The floors of W4 and W5.
fn small_floors(opts: &Options, s: Sizes) -> Res<()> {
    let raw = opts.dir.join("rust_bench.bin");
    let piece: Vec<u8> = vec![7u8; s.append_len * 8];
    bench(
        opts,
        "P-append",
        "plain appends in one open file",
        (s.appends * s.append_len * 8) as u64,
        || {
            remove(&raw)?;
            let t = Instant::now();
            let mut f = fs::File::create(&raw)?;
            for _ in 0..s.appends {
                f.write_all(&piece)?;
            }
            drop(f);
            let d = t.elapsed();
            remove(&raw)?;
            Ok(d)
        },
    )?;

    let small_piece: Vec<u8> = vec![7u8; s.cycle_len * 8];
    bench(
        opts,
        "P-reopen",
        "plain open/append/close cycles",
        (s.cycles * s.cycle_len * 8) as u64,
        || {
            remove(&raw)?;
            fs::File::create(&raw)?;
            let t = Instant::now();
            for _ in 0..s.cycles {
                let mut f = fs::OpenOptions::new().append(true).open(&raw)?;
                f.write_all(&small_piece)?;
            }
            let d = t.elapsed();
            remove(&raw)?;
            Ok(d)
        },
    )?;
    Ok(())
}
