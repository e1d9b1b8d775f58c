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
//! - W4: in one open file, 10,000 appends of 1,000 float64 each to a dataset created empty with
//!   `maxshape=(None,)` (default chunk guess), then close.
//! - W5: 1,000 cycles of open `r+` / append 100 float64 / close.
//!
//! Physical limits, the floor each workload could reach on this machine:
//! - P-memcpy: copy 256 MiB between two already-touched buffers.
//! - P-write (W1's floor): create a file, `write_all` 256 MiB, close.
//! - P-read (W2's floor): read a 256 MiB file into a new buffer.
//! - P-append (W4's floor): in one open file, 10,000 `write_all` of 8,000 bytes.
//! - P-reopen (W5's floor): 1,000 cycles of open (append) / `write_all` 800 bytes / close.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jangada_hdf5::{Dataset, File};
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
}

const FULL: Sizes = Sizes {
    big_len: 32 * 1024 * 1024,
    appends: 10_000,
    append_len: 1_000,
    cycles: 1_000,
    cycle_len: 100,
};

const SMOKE: Sizes = Sizes {
    big_len: 256 * 1024,
    appends: 200,
    append_len: 1_000,
    cycles: 50,
    cycle_len: 100,
};

struct Options {
    dir: PathBuf,
    reps: usize,
    warmup: usize,
    sizes: Sizes,
    only: Option<Vec<String>>,
}

fn usage() -> String {
    "usage: jangada-bench --dir DIR [--reps N] [--warmup N] [--smoke] [--only W1,W2,...]".into()
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
        Some(only) => only.iter().any(|w| w == workload),
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

/// Run `run` `warmup` times untimed and `reps` times timed; `run` returns the duration of its
/// timed part. Prints the JSON line.
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
    for _ in 0..opts.reps {
        times.push(run()?.as_secs_f64());
    }
    let list: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
    println!(
        "{{\"side\":\"rust\",\"workload\":\"{workload}\",\"what\":\"{what}\",\"bytes\":{bytes},\
         \"times\":[{}],\"median\":{:.6}}}",
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
    let big = arange(s.big_len, 0)?;
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
    if selected(&opts, "W2") {
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
            let file = File::open_rw(&h5)?;
            let ds = file.dataset("data")?;
            for _ in 0..s.appends {
                ds.append(&chunk)?;
            }
            file.close()?;
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

    // Physical limits.
    if !["P-memcpy", "P-write", "P-read"]
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

    if selected(&opts, "P-read") {
        fs::write(&raw, &big_raw)?;
    }
    bench(&opts, "P-read", "plain file read", big_bytes, || {
        let t = Instant::now();
        let v = fs::read(&raw)?;
        let d = t.elapsed();
        check(v.len() == big_raw.len(), || "P-read: short read".into())?;
        Ok(d)
    })?;
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
