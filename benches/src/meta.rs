//! W8-W10: the jangada object layer (`jangada` crate, `#[derive(Persistable)]`), lazy
//! slices through a proxy, and many tiny files.
//!
//! - W8-save / W8-load: save (create, write the tree, close) and load (open, read the whole
//!   tree into typed objects, close) an object holding a list of 1,000 nested objects, each
//!   with 5 scalar properties (str, int, float, bool, None) and a 10-element float64 array.
//! - W9: open a jangada file holding a 256 MiB float64 array lazily
//!   (`Persistable::open(path, Mode::Read)`), read 1,000 slices of 100 elements through the
//!   `ProxyDataset` (offsets from W3's generator), close.
//! - W10-write: write 10,000 tiny files (a group `g` with 3 attributes int/float/str and a
//!   10-element float64 dataset `g/data`), each opened for writing (truncating: the empty
//!   files are created before the timed loop, see `run`), written and closed; W10-read: open
//!   each, read the 3 attributes and the dataset, close.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use jangada::{Mode, Persistable};
use jangada_hdf5::File;
use ndarray::{Array1, ArrayD, IxDyn};

use crate::{bench, check, remove, Offsets, Options, Res};

/// One nested object of W8: five scalar properties and a small array.
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "jangada_bench.Item")]
pub struct Item {
    name: String,
    count: i64,
    value: f64,
    flag: bool,
    note: Option<String>,
    data: Array1<f64>,
}

/// W8's object: a list of [`Item`]s.
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "jangada_bench.Holder")]
pub struct Holder {
    items: Vec<Item>,
}

/// W9's object: one big array.
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "jangada_bench.Big")]
pub struct Big {
    data: Array1<f64>,
}

/// W8's object with `n` items (the same values as `h5py_bench.py`'s).
fn holder(n: usize) -> Holder {
    Holder {
        items: (0..n)
            .map(|i| Item {
                name: format!("item{i}"),
                count: i as i64,
                value: i as f64 * 0.5,
                flag: i % 2 == 0,
                note: None,
                data: (0..10).map(|k| (i + k) as f64).collect(),
            })
            .collect(),
    }
}

/// Sizes of W8-W10.
#[derive(Clone, Copy, Debug)]
pub struct MetaSizes {
    /// W8 nested objects.
    pub items: usize,
    /// W9 array elements (float64).
    pub lazy_len: usize,
    /// W9 slices read.
    pub lazy_slices: usize,
    /// W9 elements per slice.
    pub slice_len: usize,
    /// W10 files.
    pub files: usize,
}

/// W10's tiny file (the file exists, empty: created before the timed loop).
fn write_tiny(path: &Path, i: usize, data: &ArrayD<f64>) -> Res<()> {
    let file = File::create_truncate(path)?;
    let g = file.root()?.create_group("g")?;
    g.set_attr("index", i as i64)?;
    g.set_attr("scale", 0.5f64)?;
    g.set_attr("label", "tiny")?;
    g.write_dataset("data", data)?;
    drop(g);
    file.close()?;
    Ok(())
}

/// W10-read of one tiny file: the sum of its attribute `index` and its data.
fn read_tiny(path: &Path) -> Res<f64> {
    let file = File::open(path)?;
    let g = file.group("g")?;
    let index = g.attr("index")?.read_scalar::<i64>()?;
    let scale = g.attr("scale")?.read_scalar::<f64>()?;
    let label = g.attr("label")?.read_string()?;
    let data = g.dataset("data")?.read::<f64>()?;
    check(label == "tiny" && scale == 0.5, || {
        format!("W10-read: {label:?}, {scale}")
    })?;
    Ok(index as f64 + data.sum())
}

/// Run W8-W10 (those selected).
pub fn run(opts: &Options, s: MetaSizes) -> Res<()> {
    let dir = &opts.dir;
    // W8: save and load a tree of 1,000 small objects.
    let h = holder(s.items);
    let w8 = dir.join("rust_w8.hdf5");
    let w8_bytes = (s.items * 10 * 8) as u64;
    bench(
        opts,
        "W8-save",
        "jangada save, 1,000 objects",
        w8_bytes,
        || {
            remove(&w8)?;
            let t = Instant::now();
            h.save(&w8)?;
            let d = t.elapsed();
            check(w8.is_file(), || "W8-save: no file".into())?;
            remove(&w8)?;
            Ok(d)
        },
    )?;
    if crate::selected(opts, "W8-load") {
        remove(&w8)?;
        h.save(&w8)?;
    }
    bench(
        opts,
        "W8-load",
        "jangada load, 1,000 objects",
        w8_bytes,
        || {
            let t = Instant::now();
            let back = Holder::load(&w8)?;
            let d = t.elapsed();
            check(back == h, || "W8-load: loaded object differs".into())?;
            Ok(d)
        },
    )?;
    remove(&w8)?;
    drop(h);

    // W9: lazy slices of a 256 MiB array.
    let w9 = dir.join("rust_w9.hdf5");
    if crate::selected(opts, "W9") {
        remove(&w9)?;
        let big = Big {
            data: (0..s.lazy_len).map(|i| i as f64).collect(),
        };
        big.save(&w9)?;
    }
    // Resident memory split at the last slice, for the report (stderr): anonymous memory
    // vs pages of the memory-mapped file (reclaimable page cache counted in the RSS).
    let split = std::cell::Cell::new((0u64, 0u64));
    bench(
        opts,
        "W9",
        "lazy proxy: 1,000 100-element slices",
        (s.lazy_slices * s.slice_len * 8) as u64,
        || {
            let t = Instant::now();
            let mut first_sum = 0f64;
            {
                let f = Big::open(&w9, Mode::Read)?;
                let data = f.proxy("data")?;
                for o in Offsets::new(s.lazy_len, s.slice_len).take(s.lazy_slices) {
                    let a = data.get::<f64>(o..o + s.slice_len)?;
                    first_sum += a.iter().next().copied().unwrap_or(f64::NAN);
                }
                let (anon, file) = split.get();
                split.set((
                    anon.max(crate::status_kib("RssAnon").unwrap_or(0)),
                    file.max(crate::status_kib("RssFile").unwrap_or(0)),
                ));
            }
            let d = t.elapsed();
            let want: f64 = Offsets::new(s.lazy_len, s.slice_len)
                .take(s.lazy_slices)
                .map(|o| o as f64)
                .sum();
            check(first_sum == want, || {
                format!("W9 first elements sum to {first_sum}, want {want}")
            })?;
            Ok(d)
        },
    )?;
    if crate::selected(opts, "W9") {
        let (anon, file) = split.get();
        eprintln!(
            "W9 (rust): at the last slice RssAnon {anon} KiB, RssFile {file} KiB (max over runs)"
        );
    }
    remove(&w9)?;

    // W10: many tiny files. The 10,000 empty files are created before the timed loop, which
    // opens each for writing (truncating, h5py's "w"), writes its tree and closes it: what
    // creating an inode costs on this ext4 swung from 0.1 to 0.5 ms per file with what had
    // been deleted before (`recently_deleted` scans in the inode allocator: 2.7 s to 5.5 s
    // for the same code, on either side), and measured the file system, not the library.
    // Each run writes into a directory of its own and nothing is deleted (`run.sh` removes
    // its whole temporary directory at the end).
    let tiny_dir = dir.join(format!("rust_w10_{}", std::process::id()));
    let data = ArrayD::from_shape_vec(IxDyn(&[10]), (0..10).map(f64::from).collect())?;
    let run_dir = |k: usize| tiny_dir.join(format!("run{k}"));
    let name = |k: usize, i: usize| run_dir(k).join(format!("f{i:05}.h5"));
    let want: f64 = (0..s.files).map(|i| i as f64 + 45.0).sum();
    let tiny_bytes = (s.files * 10 * 8) as u64;
    let runs = std::cell::Cell::new(0usize);
    let write_all = || -> Res<Duration> {
        let k = runs.get() + 1;
        runs.set(k);
        fs::create_dir_all(run_dir(k))?;
        for i in 0..s.files {
            fs::File::create(name(k, i))?;
        }
        let t = Instant::now();
        for i in 0..s.files {
            write_tiny(&name(k, i), i, &data)?;
        }
        Ok(t.elapsed())
    };
    bench(
        opts,
        "W10-write",
        "create 10,000 tiny files",
        tiny_bytes,
        || {
            let d = write_all()?;
            check(name(runs.get(), s.files - 1).is_file(), || {
                "W10-write: no file".into()
            })?;
            Ok(d)
        },
    )?;
    if crate::selected(opts, "W10-read") && runs.get() == 0 {
        write_all()?;
    }
    let last = runs.get();
    bench(
        opts,
        "W10-read",
        "read 10,000 tiny files",
        tiny_bytes,
        || {
            let t = Instant::now();
            let mut sum = 0f64;
            for i in 0..s.files {
                sum += read_tiny(&name(last, i))?;
            }
            let d = t.elapsed();
            check(sum == want, || format!("W10-read: sum {sum}, want {want}"))?;
            Ok(d)
        },
    )?;
    Ok(())
}
