//! W11: filter throughput, ours (`DatasetBuilder`'s filter methods, pure Rust) against h5py
//! with hdf5plugin's C filters (`h5py_bench.py`'s `W11_FILTERS`).
//!
//! For each entry of [`FILTERS`] (name `x`):
//! - `W11-x-write` (encode): create a file holding three chunked datasets filtered by `x`, each
//!   chunk 1 MiB: `f8` (smooth float64), `f4` (smooth float32) and `i4` (an int32 sensor-like
//!   series), 64 MiB in all ([`W11Sizes`]), then close. The row records the file's size
//!   (`file_bytes`), so the report gives each side's compression ratio.
//! - `W11-x-read` (decode): open the file h5py + hdf5plugin wrote for `x` (`run.sh` has
//!   `h5py_bench.py --prepare` write it first, so both sides decode the same bytes; when it is
//!   missing, ours writes it and the row says `"source":"ours"`), read the three datasets
//!   whole, close.
//!
//! The data are integer formulas evaluated the same way on both sides (bit-identical values):
//! see [`series`]. `--only W11` selects every entry; `--list W11` prints their names.

use std::fs;
use std::path::Path;
use std::time::Instant;

use jangada_hdf5::{
    BitshuffleMode, Blosc2Codec, Blosc2Filter, BloscCodec, BloscShuffle, DatasetBuilder, File,
    H5Type, H5Write, SzipCoding, ZfpMode,
};
use ndarray::{ArrayD, IxDyn};

use crate::{bench, check, remove, selected, Options, Res};

/// A W11 entry: its name and the builder call that applies its filters. `h5py_bench.py`'s
/// `W11_FILTERS` has the same names with the h5py / hdf5plugin arguments; adding a filter is
/// one line in each.
type Entry = (&'static str, fn(DatasetBuilder) -> DatasetBuilder);

/// The W11 filters (hdf5plugin defaults where the builder has no parameter). Lossless only:
/// every read is checked against the data written (lossy ZFP, scale-offset D-scale are not
/// here; N-bit and scale-offset need per-dataset types and options).
pub const FILTERS: &[Entry] = &[
    ("lzf", |b| b.lzf()),
    ("lz4", |b| b.lz4()),
    ("zstd1", |b| b.zstd(1)),
    ("zstd5", |b| b.zstd(5)),
    ("bitshuffle", |b| b.bitshuffle(BitshuffleMode::None)),
    ("bitshuffle-lz4", |b| b.bitshuffle(BitshuffleMode::Lz4)),
    ("bitshuffle-zstd", |b| b.bitshuffle(BitshuffleMode::Zstd(3))),
    ("deflate", |b| b.deflate(4)),
    ("shuffle-deflate", |b| b.shuffle().deflate(4)),
    ("bzip2", |b| b.bzip2(9)),
    ("blosc-blosclz", |b| {
        b.blosc(BloscCodec::BloscLz, 5, BloscShuffle::Byte)
    }),
    ("blosc-lz4", |b| {
        b.blosc(BloscCodec::Lz4, 5, BloscShuffle::Byte)
    }),
    ("blosc-zstd", |b| {
        b.blosc(BloscCodec::Zstd, 5, BloscShuffle::Byte)
    }),
    ("blosc2-lz4", |b| {
        b.blosc2(Blosc2Codec::Lz4, 5, Blosc2Filter::Shuffle)
    }),
    ("blosc2-zstd", |b| {
        b.blosc2(Blosc2Codec::Zstd, 5, Blosc2Filter::Shuffle)
    }),
    ("szip", |b| b.szip(SzipCoding::Nn, 16)),
    ("zfp-reversible", |b| b.zfp(ZfpMode::Reversible)),
];

/// Elements of each W11 dataset and of its chunks.
#[derive(Clone, Copy, Debug)]
pub struct W11Sizes {
    /// Elements of `f8`, `f4` and `i4` each.
    pub len: usize,
    /// Bytes of one chunk (chunk elements = this / element size).
    pub chunk_bytes: usize,
}

/// SplitMix64's output function applied to `i`: the noise of [`series`].
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A triangle wave of period `p` between 0 and `amp` (integers).
fn tri(i: u64, p: u64, amp: u64) -> u64 {
    let x = (2 * (i % p)).abs_diff(p);
    amp * x / p
}

/// The three W11 series at index `i`, as `h5py_bench.py`'s `w11_data` computes them:
/// `f8` a slow wave in thousandths plus 3 bits of noise (like a logged temperature),
/// `f4` a faster wave in hundredths plus 2 bits of noise, `i4` a baseline of 1,000 plus a
/// wave plus 4 bits of noise (an ADC reading).
pub fn series(i: u64) -> (f64, f32, i32) {
    let h = mix(i);
    let f8 = (tri(i, 100_003, 40_000) + (h & 7)) as f64 * 1e-3;
    let f4 = ((tri(i, 7_919, 5_000) + ((h >> 8) & 3)) as f64 * 0.01) as f32;
    let i4 = (1_000 + tri(i, 2_053, 600) + ((h >> 16) & 15)) as i32;
    (f8, f4, i4)
}

/// The W11 data: the three datasets' arrays.
pub struct Data {
    f8: ArrayD<f64>,
    f4: ArrayD<f32>,
    i4: ArrayD<i32>,
}

impl Data {
    fn new(len: usize) -> Res<Self> {
        let (mut f8, mut f4, mut i4) = (
            Vec::with_capacity(len),
            Vec::with_capacity(len),
            Vec::with_capacity(len),
        );
        for i in 0..len as u64 {
            let (a, b, c) = series(i);
            f8.push(a);
            f4.push(b);
            i4.push(c);
        }
        let shape = IxDyn(&[len]);
        Ok(Data {
            f8: ArrayD::from_shape_vec(shape.clone(), f8)?,
            f4: ArrayD::from_shape_vec(shape.clone(), f4)?,
            i4: ArrayD::from_shape_vec(shape, i4)?,
        })
    }

    fn bytes(&self) -> u64 {
        (self.f8.len() * 8 + self.f4.len() * 4 + self.i4.len() * 4) as u64
    }
}

/// Write one dataset chunked into `chunk_bytes` chunks with `filters` applied.
fn put<T: H5Write>(
    file: &File,
    name: &str,
    data: &ArrayD<T>,
    chunk_bytes: usize,
    filters: fn(DatasetBuilder) -> DatasetBuilder,
) -> Res<()> {
    let chunk = (chunk_bytes / std::mem::size_of::<T>()).clamp(1, data.len().max(1));
    filters(file.root()?.new_dataset(name).chunks(&[chunk as u64])).write(data)?;
    Ok(())
}

/// `W11-x-write`'s workload: the three datasets, filtered, in a new file.
fn write(path: &Path, data: &Data, s: W11Sizes, entry: &Entry) -> Res<()> {
    let file = File::create(path)?;
    put(&file, "f8", &data.f8, s.chunk_bytes, entry.1)?;
    put(&file, "f4", &data.f4, s.chunk_bytes, entry.1)?;
    put(&file, "i4", &data.i4, s.chunk_bytes, entry.1)?;
    file.close()?;
    Ok(())
}

/// `W11-x-read`'s workload: the three datasets of `path`, whole.
fn read(path: &Path) -> Res<(ArrayD<f64>, ArrayD<f32>, ArrayD<i32>)> {
    let file = File::open(path)?;
    let f8 = get(&file, "f8")?;
    let f4 = get(&file, "f4")?;
    let i4 = get(&file, "i4")?;
    drop(file);
    Ok((f8, f4, i4))
}

fn get<T: H5Type>(file: &File, name: &str) -> Res<ArrayD<T>> {
    Ok(file.dataset(name)?.read::<T>()?)
}

/// Whether `back` holds the W11 data.
fn check_data(what: &str, data: &Data, back: &(ArrayD<f64>, ArrayD<f32>, ArrayD<i32>)) -> Res<()> {
    check(
        back.0 == data.f8 && back.1 == data.f4 && back.2 == data.i4,
        || format!("{what}: the data read back differ from the data written"),
    )
}

/// The reference file `h5py_bench.py --prepare` writes for entry `name` in `dir`.
pub fn reference(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(format!("w11-{name}.h5"))
}

/// Every W11 workload name (`--list W11`).
pub fn names() -> Vec<String> {
    FILTERS
        .iter()
        .flat_map(|(n, _)| [format!("W11-{n}-write"), format!("W11-{n}-read")])
        .collect()
}

/// Run the selected W11 workloads.
pub fn run(opts: &Options, s: W11Sizes) -> Res<()> {
    let wanted: Vec<&Entry> = FILTERS
        .iter()
        .filter(|(n, _)| {
            selected(opts, &format!("W11-{n}-write")) || selected(opts, &format!("W11-{n}-read"))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let data = Data::new(s.len)?;
    let bytes = data.bytes();
    let path = opts.dir.join("rust_w11.h5");
    for entry in wanted {
        let name = entry.0;
        let w = format!("W11-{name}-write");
        let mut size = 0u64;
        if selected(opts, &w) {
            bench(opts, &w, &format!("encode {name}"), bytes, &mut || {
                remove(&path)?;
                let t = Instant::now();
                write(&path, &data, s, entry)?;
                let d = t.elapsed();
                size = fs::metadata(&path)?.len();
                check_data(&w, &data, &read(&path)?)?;
                remove(&path)?;
                Ok(d)
            })?;
            println!("{{\"side\":\"rust\",\"workload\":\"{w}\",\"file_bytes\":{size}}}");
        }
        let r = format!("W11-{name}-read");
        if selected(opts, &r) {
            let reference = reference(&opts.dir, name);
            let (src, source) = if reference.is_file() {
                (reference, "h5py")
            } else {
                remove(&path)?;
                write(&path, &data, s, entry)?;
                (path.clone(), "ours")
            };
            let mut back = None;
            bench(opts, &r, &format!("decode {name}"), bytes, &mut || {
                let t = Instant::now();
                let got = read(&src)?;
                let d = t.elapsed();
                back = Some(got);
                Ok(d)
            })?;
            if let Some(back) = &back {
                check_data(&r, &data, back)?;
            }
            println!("{{\"side\":\"rust\",\"workload\":\"{r}\",\"source\":\"{source}\"}}");
            remove(&path)?;
        }
    }
    Ok(())
}
