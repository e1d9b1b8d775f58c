//! Bad input from callers (issue 5): every public call that takes caller input is given its
//! bad inputs — out-of-range, reversed or zero-step selections, shape and dtype mismatches
//! on write and append, bad names, duplicate names, 0-d datasets, bad builder settings,
//! writes to read-only files, bad persist values and keys — and must
//!
//! 1. return an error whose message says what is wrong (an expected substring),
//! 2. leave the file byte-for-byte as it was (compared after a flush, and after close),
//! 3. leave the handle usable: a following good call works and the file passes
//!    `jangada check`.
//!
//! The cases are tables: `(name, expected substring, the bad call)`, each run on a fresh
//! copy of a sample file. `tests/write_roundtrip.rs` has an older, smaller set (is_err
//! only); this matrix adds the messages, the follow-up calls and the persist layer.
//!
//! What is deliberately NOT an error (h5py/numpy behaviour, pinned by tests here):
//! slice bounds past the ends are clamped and a reversed range selects nothing (writes
//! must then match that smaller selection); numbers convert between numeric types as
//! h5py converts them (truncate, saturate) at the HDF5 layer, while jangada's proxies
//! refuse anything but numpy's "safe" casts; `/` is allowed in attribute names (HDF5
//! allows it); setting an existing attribute overwrites it; missing intermediate groups
//! of a path are created; flushing a read-only file does nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jangada::cli::check::check_file;
use jangada::hdf5::{
    self, AttrData, CharacterSet, Datatype, File, Mode as HMode, Selection, SliceArg, Storage,
    StringPadding,
};
use jangada::{
    load, load_props, open, save_value, ArrayValue, Compression, CustomDataset, DatetimeIndex,
    Handle, Mode, Object, Persistable, SaveOptions, Timestamp, Value,
};
use ndarray::{arr0, arr1, arr2, ArrayD, IxDyn};
use num_complex::Complex;

// ------------------------------------------------------------------------------ helpers

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-bad-input");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

fn a1<T: Clone>(v: Vec<T>) -> ArrayD<T> {
    arr1(&v).into_dyn()
}

fn a0<T: Clone>(v: T) -> ArrayD<T> {
    arr0(v).into_dyn()
}

fn sel(args: &[SliceArg]) -> Selection {
    Selection::new(args.iter().copied())
}

fn idx(i: i64) -> SliceArg {
    SliceArg::Index(i)
}

fn rng(a: i64, b: i64) -> SliceArg {
    SliceArg::range(a, b)
}

fn step(a: i64, b: i64, s: i64) -> SliceArg {
    SliceArg::stepped(a, b, s)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The error message must contain one of `expect` (`|`-separated, case-insensitive).
fn assert_clear(case: &str, msg: &str, expect: &str) {
    let lower = msg.to_lowercase();
    assert!(
        expect.split('|').any(|e| lower.contains(&e.to_lowercase())),
        "{case}: message {msg:?} does not say {expect:?}"
    );
}

fn assert_checks(case: &str, p: &Path) {
    let report = check_file(p).unwrap();
    assert!(
        report.problems.is_empty(),
        "{case}: the file fails the check: {:?}",
        report.problems
    );
}

// ------------------------------------------------------------------ jangada-hdf5: sample

/// The sample file: a bit of every kind of object the calls below are given.
fn hdf5_sample() -> Vec<u8> {
    let p = scratch("sample.h5");
    let f = File::create_truncate(&p).unwrap();
    let r = f.root().unwrap();
    let g = r.create_group("g").unwrap();
    g.set_attr("ga", 2.5f64).unwrap();
    r.set_attr("a", 1i32).unwrap();
    r.new_dataset("scalar").write(&a0(1.5f64)).unwrap();
    r.new_dataset("ext")
        .maxshape(&[Some(6), None])
        .chunks(&[2, 2])
        .write(&arr2(&[[1i32, 2], [3, 4]]).into_dyn())
        .unwrap();
    r.new_dataset("contig").write(&a1(vec![1u8, 2, 3])).unwrap();
    r.new_dataset("fixed")
        .chunks(&[2])
        .write(&a1(vec![1i32, 2, 3, 4]))
        .unwrap();
    r.new_dataset("compact")
        .storage(Storage::Compact)
        .write(&a1(vec![1i16, 2, 3, 4]))
        .unwrap();
    r.new_dataset("vstr")
        .maxshape(&[None])
        .write_strings(&[2], &strings(&["ab", "cd"]))
        .unwrap();
    let fstr = r
        .new_dataset("fstr")
        .dtype(Datatype::fixed_string(
            3,
            StringPadding::NullPad,
            CharacterSet::Ascii,
        ))
        .shape(&[2])
        .create()
        .unwrap();
    fstr.write_strings(Selection::all(), &strings(&["abc", "d"]))
        .unwrap();
    r.new_dataset("empty")
        .dtype_of::<f64>()
        .empty()
        .create()
        .unwrap();
    r.new_dataset("bool")
        .maxshape(&[None])
        .write(&a1(vec![true, false]))
        .unwrap();
    r.new_dataset("cplx")
        .write(&a1(vec![Complex::new(1.0f64, 2.0)]))
        .unwrap();
    r.link_soft("soft", "/g").unwrap();
    // Dense link and attribute storage (more than 8 of each).
    let dense = r.create_group("dense").unwrap();
    for i in 0..10 {
        dense.set_attr(&format!("a{i}"), i).unwrap();
        dense.create_group(&format!("g{i}")).unwrap();
    }
    f.close().unwrap();
    let b = bytes(&p);
    std::fs::remove_file(&p).unwrap();
    b
}

fn sample_bytes() -> &'static [u8] {
    static SAMPLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(hdf5_sample)
}

/// A path that is not UTF-8: `/tmp/\xff` on Unix and WASI, a lone surrogate on Windows.
fn non_utf8_path() -> PathBuf {
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b"/tmp/\xff").to_os_string()
    };
    #[cfg(target_os = "wasi")]
    let path = {
        use std::os::wasi::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b"/tmp/\xff").to_os_string()
    };
    #[cfg(windows)]
    let path = {
        use std::os::windows::ffi::OsStringExt;
        std::ffi::OsString::from_wide(&[0x74, 0xD800])
    };
    PathBuf::from(path)
}

type FOp = fn(&File) -> hdf5::Result<()>;

/// A bad call on the file opened `mode` must fail with a clear message and change nothing;
/// then the file must still take good calls.
fn run_hdf5_case(table: &str, n: usize, case: &str, expect: &str, mode: HMode, op: FOp) {
    let p = scratch(&format!("{table}-{n}.h5"));
    std::fs::write(&p, sample_bytes()).unwrap();
    let f = File::open_with(&p, mode).unwrap();
    f.flush().unwrap();
    let before = bytes(&p);
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(&f)));
    let res = match res {
        Ok(r) => r,
        Err(_) => panic!("{case}: panicked"),
    };
    let msg = match res {
        Ok(()) => panic!("{case}: accepted"),
        Err(e) => e.to_string(),
    };
    assert_clear(case, &msg, expect);
    f.flush().unwrap();
    assert!(
        bytes(&p) == before,
        "{case}: the file changed after a refused call ({msg})"
    );
    // The handle still works.
    let ext = f.dataset("ext").unwrap();
    assert_eq!(
        ext.read::<i32>().unwrap(),
        arr2(&[[1, 2], [3, 4]]).into_dyn(),
        "{case}"
    );
    if mode == HMode::Read {
        f.close().unwrap();
        assert!(bytes(&p) == before, "{case}: close changed the file");
    } else {
        let r = f.root().unwrap();
        r.create_group("after").unwrap();
        r.set_attr("after", 3i64).unwrap();
        ext.append(&arr2(&[[5i32, 6]]).into_dyn()).unwrap();
        f.dataset("vstr")
            .unwrap()
            .write_strings(sel(&[idx(0)]), &strings(&["zz"]))
            .unwrap();
        drop((r, ext));
        f.close().unwrap();
        let f = File::open(&p).unwrap();
        assert_eq!(
            f.dataset("ext").unwrap().read::<i32>().unwrap(),
            arr2(&[[1, 2], [3, 4], [5, 6]]).into_dyn(),
            "{case}"
        );
        assert_eq!(
            f.dataset("vstr").unwrap().read_strings().unwrap(),
            strings(&["zz", "cd"])
        );
        assert!(f.group("after").is_ok(), "{case}");
        drop(f);
    }
    assert_checks(case, &p);
    std::fs::remove_file(&p).unwrap();
}

fn run_hdf5_table(table: &str, mode: HMode, cases: &[(&str, &str, FOp)]) {
    let mut failures = Vec::new();
    for (n, (case, expect, op)) in cases.iter().enumerate() {
        let r = std::panic::catch_unwind(|| run_hdf5_case(table, n, case, expect, mode, *op));
        if let Err(e) = r {
            let m = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(m);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------ jangada-hdf5: the matrices

/// Reading with bad selections and types.
#[test]
fn hdf5_reads() {
    let cases: &[(&str, &str, FOp)] = &[
        ("index past the end", "out of range", |f| {
            f.dataset("contig")?.read_slice::<u8>(&sel(&[idx(3)]))?;
            Ok(())
        }),
        ("negative index before the start", "out of range", |f| {
            f.dataset("contig")?.read_slice::<u8>(&sel(&[idx(-4)]))?;
            Ok(())
        }),
        ("index past the end of axis 1", "out of range", |f| {
            f.dataset("ext")?
                .read_slice::<i32>(&sel(&[idx(0), idx(2)]))?;
            Ok(())
        }),
        ("zero step", "step", |f| {
            f.dataset("contig")?
                .read_slice::<u8>(&sel(&[step(0, 3, 0)]))?;
            Ok(())
        }),
        ("negative step", "step", |f| {
            f.dataset("contig")?
                .read_slice::<u8>(&sel(&[step(2, 0, -1)]))?;
            Ok(())
        }),
        ("too many axes", "axes", |f| {
            f.dataset("contig")?
                .read_slice::<u8>(&sel(&[idx(0), idx(0)]))?;
            Ok(())
        }),
        ("index on a 0-d dataset", "0-d|scalar", |f| {
            f.dataset("scalar")?.read_slice::<f64>(&sel(&[idx(0)]))?;
            Ok(())
        }),
        ("slice of a null dataset", "null|no data|empty", |f| {
            f.dataset("empty")?.read_slice::<f64>(&sel(&[idx(0)]))?;
            Ok(())
        }),
        ("dynamic read out of range", "out of range", |f| {
            f.dataset("ext")?.read_dyn_slice(sel(&[idx(-3)]))?;
            Ok(())
        }),
        ("numbers read from strings", "type|string", |f| {
            f.dataset("vstr")?.read::<i32>()?;
            Ok(())
        }),
        ("complex read as float", "type|complex", |f| {
            f.dataset("cplx")?.read::<f64>()?;
            Ok(())
        }),
        ("strings read from numbers", "string", |f| {
            f.dataset("contig")?.read_strings()?;
            Ok(())
        }),
        ("read_scalar of a 1-D dataset", "not one", |f| {
            f.dataset("contig")?.read_scalar::<u8>()?;
            Ok(())
        }),
        ("attribute read with a wrong type", "type|string", |f| {
            f.root()?.attr("a")?.read_string()?;
            Ok(())
        }),
        ("missing attribute", "not found|no attribute", |f| {
            f.root()?.attr("nope")?;
            Ok(())
        }),
        ("missing path", "not found", |f| {
            f.get("/g/nope")?;
            Ok(())
        }),
        ("group opened as dataset", "not a dataset|dataset", |f| {
            f.dataset("g")?;
            Ok(())
        }),
        ("dataset opened as group", "not a group|group", |f| {
            f.group("contig")?;
            Ok(())
        }),
        ("path through a dataset", "not a group|group", |f| {
            f.get("contig/x")?;
            Ok(())
        }),
    ];
    run_hdf5_table("hdf5_reads", HMode::ReadWrite, cases);
}

/// numpy's slicing rules: slice bounds out of range are clamped, a reversed range selects
/// nothing. Not errors for reads (h5py and numpy agree); writes must then match that
/// (smaller) selection's shape.
#[test]
fn hdf5_clamped_and_reversed_slices_follow_numpy() {
    let p = scratch("numpy-rules.h5");
    std::fs::write(&p, sample_bytes()).unwrap();
    let f = File::open_rw(&p).unwrap();
    let ds = f.dataset("contig").unwrap();
    assert_eq!(
        ds.read_slice::<u8>(&sel(&[rng(1, 100)])).unwrap(),
        a1(vec![2, 3])
    );
    assert_eq!(
        ds.read_slice::<u8>(&sel(&[rng(2, 1)])).unwrap(),
        a1(Vec::<u8>::new())
    );
    assert_eq!(
        ds.read_slice::<u8>(&sel(&[rng(-100, -2)])).unwrap(),
        a1(vec![1])
    );
    f.flush().unwrap();
    let before = bytes(&p);
    // Writing nothing to an empty selection is a no-op, as in h5py.
    ds.write_slice(sel(&[rng(2, 1)]), &a1(Vec::<u8>::new()))
        .unwrap();
    f.flush().unwrap();
    assert!(bytes(&p) == before, "an empty write changed the file");
    drop(ds);
    f.close().unwrap();
    std::fs::remove_file(&p).unwrap();
}

/// Writing with bad selections, shapes and types.
#[test]
fn hdf5_writes() {
    let cases: &[(&str, &str, FOp)] = &[
        ("write index past the end", "out of range", |f| {
            f.dataset("contig")?.write_slice(sel(&[idx(3)]), &a0(1u8))
        }),
        (
            "write negative index before the start",
            "out of range",
            |f| {
                f.dataset("ext")?
                    .write_slice(sel(&[idx(-3)]), &a1(vec![1i32, 2]))
            },
        ),
        ("write zero step", "step", |f| {
            f.dataset("contig")?
                .write_slice(sel(&[step(0, 3, 0)]), &a0(1u8))
        }),
        ("write negative step", "step", |f| {
            f.dataset("contig")?
                .write_slice(sel(&[step(2, 0, -1)]), &a1(vec![1u8, 2]))
        }),
        ("write to a reversed range", "shape", |f| {
            f.dataset("contig")?
                .write_slice(sel(&[rng(2, 0)]), &a1(vec![1u8, 2]))
        }),
        ("write past the end of a clamped range", "shape", |f| {
            f.dataset("contig")?
                .write_slice(sel(&[rng(1, 5)]), &a1(vec![1u8, 2, 3, 4]))
        }),
        ("write with too many axes", "axes", |f| {
            f.dataset("contig")?
                .write_slice(sel(&[idx(0), idx(0)]), &a0(1u8))
        }),
        ("write an index of a 0-d dataset", "0-d|scalar", |f| {
            f.dataset("scalar")?
                .write_slice(sel(&[idx(0)]), &a0(1.0f64))
        }),
        ("write whole with a wrong shape", "shape", |f| {
            f.dataset("contig")?.write(&a1(vec![1u8, 2]))
        }),
        ("write whole with a transposed shape", "shape", |f| {
            f.dataset("ext")?.write(&a1(vec![1i32, 2, 3, 4]))
        }),
        ("write too few axes of data", "shape", |f| {
            f.dataset("ext")?
                .write_slice(sel(&[rng(0, 2)]), &a1(vec![1i32, 2]))
        }),
        ("write an array into a 0-d dataset", "shape", |f| {
            f.dataset("scalar")?.write(&a1(vec![1.0f64, 2.0]))
        }),
        ("write complex into integers", "type|complex", |f| {
            f.dataset("ext")?.write(&a0(Complex::new(1.0f64, 1.0)))
        }),
        ("write numbers into strings", "type|string", |f| {
            f.dataset("vstr")?.write(&a1(vec![1i32, 2]))
        }),
        ("write numbers into fixed strings", "type|string", |f| {
            f.dataset("fstr")?.write(&a1(vec![1.0f64, 2.0]))
        }),
        ("write strings into numbers", "string", |f| {
            f.dataset("contig")?
                .write_strings(Selection::all(), &strings(&["a", "b", "c"]))
        }),
        ("write too few strings", "strings", |f| {
            f.dataset("vstr")?
                .write_strings(Selection::all(), &strings(&["a"]))
        }),
        ("write strings out of range", "out of range", |f| {
            f.dataset("vstr")?
                .write_strings(sel(&[idx(2)]), &strings(&["a"]))
        }),
        ("write a fixed string too long", "longer", |f| {
            f.dataset("fstr")?
                .write_strings(Selection::all(), &strings(&["abcd", "e"]))
        }),
        ("write to a null dataset", "null|no data", |f| {
            f.dataset("empty")?.write(&a0(1.0f64))
        }),
        ("write strings to a null dataset", "null|no data", |f| {
            f.dataset("empty")?
                .write_strings(Selection::all(), &strings(&[]))
        }),
        ("write_raw with too few bytes", "bytes", |f| {
            f.dataset("contig")?.write_raw(Selection::all(), &[1, 2])
        }),
        ("write_raw with too many bytes", "bytes", |f| {
            f.dataset("contig")?
                .write_raw(Selection::all(), &[1, 2, 3, 4])
        }),
        ("write_raw out of range", "out of range", |f| {
            f.dataset("contig")?.write_raw(sel(&[idx(7)]), &[1])
        }),
    ];
    run_hdf5_table("hdf5_writes", HMode::ReadWrite, cases);
}

/// Appending and resizing.
#[test]
fn hdf5_append_and_resize() {
    let cases: &[(&str, &str, FOp)] = &[
        ("append to a 0-d dataset", "0-d|scalar", |f| {
            f.dataset("scalar")?.append(&a1(vec![1.0f64]))
        }),
        ("append to a contiguous dataset", "chunked|resiz", |f| {
            f.dataset("contig")?.append(&a1(vec![4u8]))
        }),
        ("append to a compact dataset", "chunked|resiz", |f| {
            f.dataset("compact")?.append(&a1(vec![4i16]))
        }),
        ("append past a fixed maximum", "maximum|maxshape", |f| {
            f.dataset("fixed")?.append(&a1(vec![5i32]))
        }),
        ("append past maxshape[0]", "maximum|maxshape", |f| {
            f.dataset("ext")?
                .append(&ArrayD::from_elem(IxDyn(&[5, 2]), 1i32))
        }),
        ("append with a wrong row length", "shape", |f| {
            f.dataset("ext")?.append(&arr2(&[[1i32, 2, 3]]).into_dyn())
        }),
        ("append with a wrong rank", "shape", |f| {
            f.dataset("ext")?.append(&a1(vec![1i32, 2]))
        }),
        ("append a 0-d value", "shape", |f| {
            f.dataset("ext")?.append(&a0(1i32))
        }),
        ("append complex to integers", "type|complex", |f| {
            f.dataset("ext")?
                .append(&arr2(&[[Complex::new(1.0f64, 0.0), Complex::new(2.0, 0.0)]]).into_dyn())
        }),
        ("append numbers to strings", "type|string", |f| {
            f.dataset("vstr")?.append(&a1(vec![1.0f64]))
        }),
        ("append to a null dataset", "null|no data|0-d|scalar", |f| {
            f.dataset("empty")?.append(&a1(vec![1.0f64]))
        }),
        ("resize beyond maxshape", "maximum", |f| {
            f.dataset("ext")?.resize(&[7, 2])
        }),
        ("resize to another rank", "rank", |f| {
            f.dataset("ext")?.resize(&[2])
        }),
        ("resize to rank 0", "rank", |f| {
            f.dataset("ext")?.resize(&[])
        }),
        (
            "resize to the unlimited marker",
            "large|limit|unlimited",
            |f| f.dataset("ext")?.resize(&[2, u64::MAX]),
        ),
        ("resize past 2^64 elements", "2^64", |f| {
            f.dataset("ext")?.resize(&[4, 1 << 62])
        }),
        ("resize a contiguous dataset", "chunked", |f| {
            f.dataset("contig")?.resize(&[5])
        }),
        ("resize a 0-d dataset", "chunked|0-d|scalar", |f| {
            f.dataset("scalar")?.resize(&[1])
        }),
        ("resize a null dataset", "chunked|null", |f| {
            f.dataset("empty")?.resize(&[1])
        }),
        ("resize a fixed chunked dataset", "maximum", |f| {
            f.dataset("fixed")?.resize(&[5])
        }),
    ];
    run_hdf5_table("hdf5_append_and_resize", HMode::ReadWrite, cases);
}

/// Names: links, groups, datasets, attributes.
#[test]
fn hdf5_names() {
    let cases: &[(&str, &str, FOp)] = &[
        ("group named \"\"", "name", |f| {
            f.root()?.create_group("").map(|_| ())
        }),
        ("group named \".\"", "name", |f| {
            f.root()?.create_group(".").map(|_| ())
        }),
        ("group named \"g/.\"", "name", |f| {
            f.root()?.create_group("g/.").map(|_| ())
        }),
        ("group named \"/\"", "name", |f| {
            f.root()?.create_group("/").map(|_| ())
        }),
        ("new nested group ending in \".\"", "name", |f| {
            f.root()?.create_group("newdir/.").map(|_| ())
        }),
        ("new nested group through \".\"", "name", |f| {
            f.root()?.create_group("newdir/./x").map(|_| ())
        }),
        ("new nested dataset ending in \".\"", "name", |f| {
            f.root()?
                .write_dataset("newdir/sub/.", &a1(vec![1i32]))
                .map(|_| ())
        }),
        ("new nested dataset with a bad chunk shape", "chunk", |f| {
            f.root()?
                .new_dataset("newdir/x")
                .dtype_of::<i32>()
                .shape(&[4])
                .chunks(&[0])
                .create()
                .map(|_| ())
        }),
        ("new nested strings dataset ending in \".\"", "name", |f| {
            f.root()?
                .new_dataset("newdir/.")
                .write_strings(&[1], &strings(&["x"]))
                .map(|_| ())
        }),
        ("duplicate group", "exists", |f| {
            f.root()?.create_group("g").map(|_| ())
        }),
        ("duplicate group by absolute path", "exists", |f| {
            f.group("g")?.create_group("/contig").map(|_| ())
        }),
        ("group over a soft link", "exists", |f| {
            f.root()?.create_group("soft").map(|_| ())
        }),
        ("group inside a dataset", "not a group|group", |f| {
            f.root()?.create_group("contig/sub").map(|_| ())
        }),
        ("group with track_order over a dataset", "exists", |f| {
            f.root()?.create_group_with("ext", true).map(|_| ())
        }),
        ("dataset named \"\"", "name", |f| {
            f.root()?.write_dataset("", &a1(vec![1i32])).map(|_| ())
        }),
        ("dataset named \".\"", "name", |f| {
            f.root()?.write_dataset(".", &a1(vec![1i32])).map(|_| ())
        }),
        ("duplicate dataset", "exists", |f| {
            f.root()?
                .write_dataset("contig", &a1(vec![1u8]))
                .map(|_| ())
        }),
        ("dataset over a group", "exists", |f| {
            f.root()?
                .new_dataset("g")
                .dtype_of::<i32>()
                .shape(&[1])
                .create()
                .map(|_| ())
        }),
        ("dataset of strings over a group", "exists", |f| {
            f.root()?
                .new_dataset("g")
                .write_strings(&[1], &strings(&["x"]))
                .map(|_| ())
        }),
        ("dataset inside a dataset", "not a group|group", |f| {
            f.root()?
                .write_dataset("contig/x", &a1(vec![1i32]))
                .map(|_| ())
        }),
        ("soft link named a/b", "name", |f| {
            f.root()?.link_soft("a/b", "/g")
        }),
        ("soft link named \"\"", "name", |f| {
            f.root()?.link_soft("", "/g")
        }),
        ("soft link named \".\"", "name", |f| {
            f.root()?.link_soft(".", "/g")
        }),
        ("soft link to \"\"", "target", |f| {
            f.root()?.link_soft("s2", "")
        }),
        ("duplicate soft link", "exists", |f| {
            f.root()?.link_soft("g", "/x")
        }),
        ("external link named a/b", "name", |f| {
            f.root()?.link_external("a/b", "other.h5", "/x")
        }),
        ("external link to no file", "file", |f| {
            f.root()?.link_external("e", "", "/x")
        }),
        ("external link to no path", "path|target", |f| {
            f.root()?.link_external("e", "other.h5", "")
        }),
        ("duplicate external link", "exists", |f| {
            f.root()?.link_external("soft", "other.h5", "/x")
        }),
        ("hard link named a/b", "name", |f| {
            let g = f.get("g")?;
            f.root()?.link_hard("a/b", &g)
        }),
        ("hard link named \"\"", "name", |f| {
            let g = f.get("g")?;
            f.root()?.link_hard("", &g)
        }),
        ("duplicate hard link", "exists", |f| {
            let g = f.get("g")?;
            f.root()?.link_hard("contig", &g)
        }),
        (
            "hard link to an object of another file",
            "another file|same file",
            |f| {
                let other = File::from_bytes(sample_bytes().to_vec())?;
                let g = other.get("ext")?;
                f.root()?.link_hard("foreign", &g)
            },
        ),
        ("unlink a missing name", "not found|no link", |f| {
            f.root()?.unlink("missing")
        }),
        ("unlink \"\"", "name|not found|no link", |f| {
            f.root()?.unlink("")
        }),
        ("unlink a path", "name|not found|no link", |f| {
            f.root()?.unlink("g/ga")
        }),
        ("attribute named \"\"", "name|empty", |f| {
            f.root()?.set_attr("", 1i32)
        }),
        ("dataset attribute named \"\"", "name|empty", |f| {
            f.dataset("ext")?.set_attr("", 1i32)
        }),
        (
            "delete a missing attribute",
            "not found|no attribute",
            |f| f.root()?.delete_attr("missing"),
        ),
        (
            "delete a missing attribute of a dense group",
            "not found|no attribute",
            |f| f.group("dense")?.delete_attr("missing"),
        ),
        (
            "unlink a missing name of a dense group",
            "not found|no link",
            |f| f.group("dense")?.unlink("missing"),
        ),
        ("duplicate link in a dense group", "exists", |f| {
            f.group("dense")?.link_soft("g3", "/g")
        }),
        ("duplicate group in a dense group", "exists", |f| {
            f.group("dense")?.create_group("g3").map(|_| ())
        }),
        ("empty attribute name in a dense group", "name|empty", |f| {
            f.group("dense")?.set_attr("", 1i32)
        }),
        (
            "delete a missing dataset attribute",
            "not found|no attribute",
            |f| f.dataset("ext")?.delete_attr("missing"),
        ),
        (
            "attribute strings of the wrong count",
            "strings|shape",
            |f| {
                f.root()?
                    .set_attr("s", AttrData::strings(&[2], strings(&["a"]))?)
            },
        ),
        ("attribute fixed string too long", "long", |f| {
            f.root()?
                .set_attr("s", AttrData::fixed_string("abcdef", 3)?)
        }),
        (
            "attribute with a zero-length fixed string",
            "size|length|empty",
            |f| f.root()?.set_attr("s", AttrData::fixed_string("", 0)?),
        ),
    ];
    run_hdf5_table("hdf5_names", HMode::ReadWrite, cases);
}

/// Dataset creation settings.
#[test]
fn hdf5_dataset_builder() {
    fn b(f: &File) -> hdf5::Result<jangada::hdf5::DatasetBuilder> {
        Ok(f.root()?
            .new_dataset("new")
            .dtype_of::<i32>()
            .shape(&[4, 4]))
    }
    let cases: &[(&str, &str, FOp)] = &[
        ("no shape", "shape", |f| {
            f.root()?
                .new_dataset("new")
                .dtype_of::<i32>()
                .create()
                .map(|_| ())
        }),
        ("no dtype", "datatype|dtype", |f| {
            f.root()?
                .new_dataset("new")
                .shape(&[1])
                .create()
                .map(|_| ())
        }),
        ("chunk shape of the wrong rank", "rank|chunk", |f| {
            b(f)?.chunks(&[2]).create().map(|_| ())
        }),
        ("chunk shape with a zero", "chunk", |f| {
            b(f)?.chunks(&[2, 0]).create().map(|_| ())
        }),
        ("chunk larger than a fixed maximum", "chunk", |f| {
            b(f)?.chunks(&[8, 2]).create().map(|_| ())
        }),
        ("chunks on a 0-d dataset", "scalar|0-d", |f| {
            f.root()?
                .new_dataset("new")
                .dtype_of::<i32>()
                .shape(&[])
                .chunks(&[])
                .create()
                .map(|_| ())
        }),
        ("maxshape on a 0-d dataset", "scalar|0-d|rank", |f| {
            f.root()?
                .new_dataset("new")
                .dtype_of::<i32>()
                .shape(&[])
                .maxshape(&[None])
                .create()
                .map(|_| ())
        }),
        ("chunks on a null dataset", "empty|null", |f| {
            f.root()?
                .new_dataset("new")
                .dtype_of::<i32>()
                .empty()
                .chunks(&[1])
                .create()
                .map(|_| ())
        }),
        ("maxshape smaller than shape", "maxshape", |f| {
            b(f)?.maxshape(&[Some(3), None]).create().map(|_| ())
        }),
        ("maxshape of the wrong rank", "rank", |f| {
            b(f)?.maxshape(&[None]).create().map(|_| ())
        }),
        ("compact with chunks", "chunked", |f| {
            b(f)?
                .chunks(&[2, 2])
                .storage(Storage::Compact)
                .create()
                .map(|_| ())
        }),
        ("contiguous with deflate", "chunked", |f| {
            b(f)?
                .deflate(4)
                .storage(Storage::Contiguous)
                .create()
                .map(|_| ())
        }),
        ("compact too large for a header", "compact", |f| {
            f.root()?
                .new_dataset("new")
                .dtype_of::<f64>()
                .shape(&[100_000])
                .storage(Storage::Compact)
                .create()
                .map(|_| ())
        }),
        ("deflate level 10", "level", |f| {
            b(f)?.deflate(10).create().map(|_| ())
        }),
        ("unknown filter id", "unsupported filter 305", |f| {
            b(f)?.filter(305, &[]).create().map(|_| ())
        }),
        (
            "bitshuffle block size not a multiple of 8",
            "multiple of 8",
            |f| b(f)?.filter(32008, &[12, 2]).create().map(|_| ()),
        ),
        ("szip odd pixels per block", "pixels per block", |f| {
            b(f)?.szip(hdf5::SzipCoding::Nn, 7).create().map(|_| ())
        }),
        ("szip chunk smaller than a block", "pixels per block", |f| {
            b(f)?
                .chunks(&[2, 2])
                .szip(hdf5::SzipCoding::Ec, 32)
                .create()
                .map(|_| ())
        }),
        ("scale-offset on strings", "only integer and float", |f| {
            f.root()?
                .new_dataset("new")
                .dtype(Datatype::fixed_string(
                    4,
                    StringPadding::NullPad,
                    CharacterSet::Ascii,
                ))
                .shape(&[4])
                .scale_offset(jangada_hdf5::ScaleOffset::Integer(None))
                .create()
                .map(|_| ())
        }),
        ("scale-offset on half floats", "2-byte floats", |f| {
            f.root()?
                .new_dataset("new")
                .dtype(Datatype::float16())
                .shape(&[4])
                .scale_offset(jangada_hdf5::ScaleOffset::FloatDScale(2))
                .create()
                .map(|_| ())
        }),
        ("numbers into a non-IEEE float", "not an IEEE layout", |f| {
            let mut t = Datatype::float(4)?;
            if let jangada_hdf5::datatype::TypeClass::Float { precision, .. } = &mut t.class {
                *precision = 20;
            }
            let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![1.0f32, 2.0, 3.0])
                .map_err(|e| jangada_hdf5::Error::Invalid(e.to_string()))?;
            f.root()?
                .new_dataset("new")
                .dtype(t)
                .nbit()
                .write(&a)
                .map(|_| ())
        }),
        ("shape too large", "large|limit|overflow", |f| {
            f.root()?
                .new_dataset("new")
                .dtype_of::<f64>()
                .shape(&[u64::MAX / 2, 4])
                .create()
                .map(|_| ())
        }),
        (
            "shape of the unlimited marker",
            "large|limit|unlimited",
            |f| {
                f.root()?
                    .new_dataset("new")
                    .dtype_of::<u8>()
                    .shape(&[u64::MAX])
                    .maxshape(&[None])
                    .chunks(&[1])
                    .create()
                    .map(|_| ())
            },
        ),
        ("zero-size datatype", "size", |f| {
            f.root()?
                .new_dataset("new")
                .dtype(Datatype::fixed_string(
                    0,
                    StringPadding::NullPad,
                    CharacterSet::Ascii,
                ))
                .shape(&[2])
                .create()
                .map(|_| ())
        }),
        ("fill value of the wrong type", "type|complex", |f| {
            b(f)?
                .fill_value(Complex::new(1.0f64, 0.0))?
                .create()
                .map(|_| ())
        }),
        (
            "fill value given before a dtype it does not fit",
            "type|fill",
            |f| {
                f.root()?
                    .new_dataset("new")
                    .shape(&[2])
                    .fill_value(Complex::new(1.0f64, 2.0))?
                    .dtype_of::<i32>()
                    .create()
                    .map(|_| ())
            },
        ),
        ("data of another shape than the shape given", "shape", |f| {
            b(f)?.write(&a1(vec![1i32, 2])).map(|_| ())
        }),
        ("numbers into a string dtype", "type|string", |f| {
            f.root()?
                .new_dataset("new")
                .dtype(Datatype::vlen_utf8())
                .write(&a1(vec![1i32, 2]))
                .map(|_| ())
        }),
        ("data into a null dataset", "null", |f| {
            f.root()?
                .new_dataset("new")
                .empty()
                .write(&a1(vec![1i32, 2]))
                .map(|_| ())
        }),
        ("string count does not match the shape", "strings", |f| {
            f.root()?
                .new_dataset("new")
                .write_strings(&[3], &strings(&["a"]))
                .map(|_| ())
        }),
        ("strings with a bad chunk shape", "chunk", |f| {
            f.root()?
                .new_dataset("new")
                .chunks(&[0])
                .write_strings(&[1], &strings(&["a"]))
                .map(|_| ())
        }),
    ];
    run_hdf5_table("hdf5_dataset_builder", HMode::ReadWrite, cases);
}

/// Virtual dataset builder: every rule `H5Pset_virtual` / `H5Dcreate` apply to mappings.
#[test]
fn hdf5_virtual_builder() {
    use jangada::hdf5::{
        RegularDim, SpaceSelection, VirtualDatasetBuilder, VirtualSource, UNLIMITED,
    };
    fn v(f: &File) -> hdf5::Result<VirtualDatasetBuilder> {
        Ok(f.root()?
            .new_virtual_dataset("v")
            .dtype_of::<i32>()
            .shape(&[4]))
    }
    fn src(shape: &[u64]) -> VirtualSource {
        VirtualSource::new(".", "fixed", shape)
    }
    fn all4() -> Selection {
        sel(&[rng(0, 4)])
    }
    fn unl(start: u64) -> SpaceSelection {
        SpaceSelection::Regular(vec![RegularDim::from(start)])
    }
    let cases: &[(&str, &str, FOp)] = &[
        ("no dtype", "datatype", |f| {
            f.root()?
                .new_virtual_dataset("v")
                .shape(&[4])
                .map(&all4(), src(&[4]))
                .create()
                .map(|_| ())
        }),
        ("no shape", "shape", |f| {
            f.root()?
                .new_virtual_dataset("v")
                .dtype_of::<i32>()
                .map(&all4(), src(&[4]))
                .create()
                .map(|_| ())
        }),
        ("scalar shape", "at least one axis", |f| {
            v(f)?
                .shape(&[])
                .map_selection(SpaceSelection::All, src(&[1]))
                .create()
                .map(|_| ())
        }),
        ("no mappings", "at least one mapping", |f| {
            v(f)?.create().map(|_| ())
        }),
        ("maxshape of another rank", "rank", |f| {
            v(f)?
                .maxshape(&[None, None])
                .map(&all4(), src(&[4]))
                .create()
                .map(|_| ())
        }),
        (
            "element counts differ",
            "4 elements, the source selection 3",
            |f| v(f)?.map(&all4(), src(&[3])).create().map(|_| ()),
        ),
        ("virtual selection of the wrong rank", "rank 2", |f| {
            v(f)?
                .map_selection(
                    SpaceSelection::hyperslab(&[0, 0], None, &[1, 4], None)?,
                    src(&[4]),
                )
                .create()
                .map(|_| ())
        }),
        ("source selection of the wrong rank", "rank 1", |f| {
            v(f)?
                .map(
                    &all4(),
                    src(&[2, 2]).select(SpaceSelection::hyperslab(&[0], None, &[4], None)?),
                )
                .create()
                .map(|_| ())
        }),
        (
            "source selection past its extent",
            "passes the extent",
            |f| {
                v(f)?
                    .map(
                        &all4(),
                        src(&[4]).select(SpaceSelection::hyperslab(&[2], None, &[4], None)?),
                    )
                    .create()
                    .map(|_| ())
            },
        ),
        ("empty source file name", "file name is empty", |f| {
            v(f)?
                .map(&all4(), VirtualSource::new("", "fixed", &[4]))
                .create()
                .map(|_| ())
        }),
        ("empty source dataset name", "dataset name is empty", |f| {
            v(f)?
                .map(&all4(), VirtualSource::new(".", "", &[4]))
                .create()
                .map(|_| ())
        }),
        ("NUL in a source name", "NUL", |f| {
            v(f)?
                .map(&all4(), VirtualSource::new("a\0b", "fixed", &[4]))
                .create()
                .map(|_| ())
        }),
        ("bad % in a source name", "%b", |f| {
            v(f)?
                .map(&all4(), VirtualSource::new("f%d.h5", "fixed", &[4]))
                .create()
                .map(|_| ())
        }),
        ("%b in a limited mapping", "printf", |f| {
            v(f)?
                .map(&all4(), VirtualSource::new("f%b.h5", "fixed", &[4]))
                .create()
                .map(|_| ())
        }),
        ("point selection", "point", |f| {
            v(f)?
                .map_selection(
                    SpaceSelection::Points {
                        rank: 1,
                        coords: vec![0, 1, 2, 3],
                    },
                    src(&[4]),
                )
                .create()
                .map(|_| ())
        }),
        ("overlapping hyperslab blocks", "overlap", |f| {
            v(f)?
                .map_selection(
                    SpaceSelection::Regular(vec![RegularDim::new(0, 1, 2, 2)]),
                    src(&[4]),
                )
                .create()
                .map(|_| ())
        }),
        (
            "unlimited mapping, fixed maximum shape",
            "maximum shape must be unlimited",
            |f| {
                v(f)?
                    .map_selection(unl(0), src(&[4]).select(unl(0)))
                    .create()
                    .map(|_| ())
            },
        ),
        (
            "unlimited virtual, limited source, no %b",
            "needs %b",
            |f| {
                v(f)?
                    .maxshape(&[None])
                    .map_selection(
                        SpaceSelection::Regular(vec![RegularDim::new(0, 4, UNLIMITED, 4)]),
                        src(&[4]),
                    )
                    .create()
                    .map(|_| ())
            },
        ),
        (
            "limited virtual, unlimited source",
            "unlimited source",
            |f| {
                v(f)?
                    .map(&all4(), src(&[4]).select(unl(0)))
                    .create()
                    .map(|_| ())
            },
        ),
        (
            "unlimited mapping, other axes differ",
            "outside their unlimited",
            |f| {
                f.root()?
                    .new_virtual_dataset("v")
                    .dtype_of::<i32>()
                    .shape(&[2, 1])
                    .maxshape(&[Some(2), None])
                    .map_selection(
                        SpaceSelection::Regular(vec![RegularDim::range(0, 2), RegularDim::from(0)]),
                        VirtualSource::new(".", "ext", &[2, 2]).select(SpaceSelection::Regular(
                            vec![RegularDim::range(0, 1), RegularDim::from(0)],
                        )),
                    )
                    .create()
                    .map(|_| ())
            },
        ),
        ("\"all\" beside an unlimited mapping", "\"all\"", |f| {
            v(f)?
                .maxshape(&[None])
                .map_selection(unl(0), src(&[4]).select(unl(0)))
                .map_selection(SpaceSelection::All, src(&[4]))
                .create()
                .map(|_| ())
        }),
        ("name taken", "exists", |f| {
            f.root()?
                .new_virtual_dataset("fixed")
                .dtype_of::<i32>()
                .shape(&[4])
                .map(&all4(), src(&[4]))
                .create()
                .map(|_| ())
        }),
        ("fill value of the wrong type", "type|complex", |f| {
            v(f)?
                .fill_value(Complex::new(1.0f64, 0.0))?
                .map(&all4(), src(&[4]))
                .create()
                .map(|_| ())
        }),
        (
            "fill value given before a dtype it does not fit",
            "type|fill",
            |f| {
                f.root()?
                    .new_virtual_dataset("v")
                    .shape(&[4])
                    .fill_value(Complex::new(1.0f64, 2.0))?
                    .dtype_of::<i32>()
                    .map(&all4(), src(&[4]))
                    .create()
                    .map(|_| ())
            },
        ),
    ];
    run_hdf5_table("virtual", HMode::ReadWrite, cases);
}

/// Every mutating call on a file opened read-only.
#[test]
fn hdf5_read_only() {
    let cases: &[(&str, &str, FOp)] = &[
        ("create_group", "read-only", |f| {
            f.root()?.create_group("new").map(|_| ())
        }),
        ("create_group_with", "read-only", |f| {
            f.root()?.create_group_with("new", true).map(|_| ())
        }),
        ("create nested groups", "read-only", |f| {
            f.root()?.create_group("new/a/b").map(|_| ())
        }),
        ("link_soft", "read-only", |f| {
            f.root()?.link_soft("s2", "/g")
        }),
        ("link_external", "read-only", |f| {
            f.root()?.link_external("e", "other.h5", "/x")
        }),
        ("link_hard", "read-only", |f| {
            let g = f.get("g")?;
            f.root()?.link_hard("h", &g)
        }),
        ("unlink", "read-only", |f| f.root()?.unlink("g")),
        ("group set_attr", "read-only", |f| {
            f.root()?.set_attr("x", 1i32)
        }),
        ("group set_attr string", "read-only", |f| {
            f.root()?.set_attr("x", "text")
        }),
        ("group set_attr overwrite", "read-only", |f| {
            f.root()?.set_attr("a", 2i32)
        }),
        ("group delete_attr", "read-only", |f| {
            f.root()?.delete_attr("a")
        }),
        ("dataset set_attr", "read-only", |f| {
            f.dataset("ext")?.set_attr("x", 1i32)
        }),
        ("dense group delete_attr", "read-only", |f| {
            f.group("dense")?.delete_attr("a1")
        }),
        ("dense group unlink", "read-only", |f| {
            f.group("dense")?.unlink("g1")
        }),
        ("dense group set_attr", "read-only", |f| {
            f.group("dense")?.set_attr("a1", 5i64)
        }),
        ("dense group create_group", "read-only", |f| {
            f.group("dense")?.create_group("g10").map(|_| ())
        }),
        ("dataset delete_attr", "read-only", |f| {
            f.group("g")?.delete_attr("ga")
        }),
        ("new_dataset create", "read-only", |f| {
            f.root()?
                .new_dataset("d")
                .dtype_of::<i32>()
                .shape(&[2])
                .create()
                .map(|_| ())
        }),
        ("write_dataset", "read-only", |f| {
            f.root()?.write_dataset("d", &a1(vec![1i32])).map(|_| ())
        }),
        ("builder write_strings", "read-only", |f| {
            f.root()?
                .new_dataset("d")
                .write_strings(&[1], &strings(&["a"]))
                .map(|_| ())
        }),
        ("write", "read-only", |f| {
            f.dataset("ext")?
                .write(&ArrayD::from_elem(IxDyn(&[2, 2]), 0i32))
        }),
        ("write_slice", "read-only", |f| {
            f.dataset("contig")?.write_slice(sel(&[idx(0)]), &a0(9u8))
        }),
        ("write_raw", "read-only", |f| {
            f.dataset("contig")?.write_raw(Selection::all(), &[1, 2, 3])
        }),
        ("write_strings", "read-only", |f| {
            f.dataset("vstr")?
                .write_strings(Selection::all(), &strings(&["x", "y"]))
        }),
        ("write_strings fixed", "read-only", |f| {
            f.dataset("fstr")?
                .write_strings(Selection::all(), &strings(&["x", "y"]))
        }),
        ("resize", "read-only", |f| f.dataset("ext")?.resize(&[4, 4])),
        ("append", "read-only", |f| {
            f.dataset("ext")?.append(&arr2(&[[1i32, 2]]).into_dyn())
        }),
        ("append strings dataset", "read-only", |f| {
            f.dataset("bool")?.append(&a1(vec![true]))
        }),
    ];
    run_hdf5_table("hdf5_read_only", HMode::Read, cases);
}

/// Opening: bad modes and paths leave files alone.
#[test]
fn hdf5_open_refusals() {
    let p = scratch("open-refusals.h5");
    std::fs::write(&p, sample_bytes()).unwrap();
    let before = bytes(&p);
    let e = File::open_with(&p, HMode::CreateNew)
        .unwrap_err()
        .to_string();
    assert_clear("create over an existing file", &e, "exists");
    assert!(File::create(&p).is_err());
    let e = "rw".parse::<HMode>().unwrap_err().to_string();
    assert_clear("unknown mode", &e, "mode");
    let e = File::open(scratch("missing.h5")).unwrap_err().to_string();
    assert_clear("missing file", &e, "no such file|not found|exist");
    assert!(bytes(&p) == before);
    // Not an HDF5 file: refused in r+, left as it was.
    let q = scratch("not-hdf5.h5");
    std::fs::write(&q, b"hello, this is not an HDF5 file at all").unwrap();
    let e = File::open_rw(&q).unwrap_err().to_string();
    assert_clear("not an HDF5 file", &e, "signature|superblock|hdf5");
    assert_eq!(bytes(&q), b"hello, this is not an HDF5 file at all");
    let e = File::from_bytes(b"not HDF5 either".to_vec())
        .unwrap_err()
        .to_string();
    assert_clear("bytes that are not HDF5", &e, "signature|superblock|hdf5");
    let mut cut = sample_bytes().to_vec();
    cut.truncate(40);
    assert!(File::from_bytes(cut).is_err(), "a truncated image opened");
    std::fs::remove_file(&p).unwrap();
    std::fs::remove_file(&q).unwrap();
}

// ------------------------------------------------------------------- jangada: the sample

fn arrv<T: Clone>(shape: &[usize], v: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

const SEC: i64 = 1_000_000_000;

fn persist_value() -> Value {
    let props: Vec<(&str, Value)> = vec![
        (
            "arr",
            Value::Array(ArrayValue::F64(a1(vec![1.0, 2.0, 3.0, 4.0]))),
        ),
        (
            "iarr",
            Value::Array(ArrayValue::I32(arrv(&[2, 3], vec![1, 2, 3, 4, 5, 6]))),
        ),
        ("zero_d", Value::Array(ArrayValue::F64(a0(7.0)))),
        (
            "strs",
            Value::Array(ArrayValue::Str(a1(strings(&["a", "b"])))),
        ),
        (
            "ts",
            Value::Timestamp(Timestamp {
                ns: 1_700_000_000 * SEC,
                tz: Some("Europe/Paris".into()),
            }),
        ),
        (
            "idx",
            Value::DatetimeIndex(DatetimeIndex {
                ns: vec![SEC, 2 * SEC, 3 * SEC],
                tz: Some("UTC".into()),
            }),
        ),
        (
            "naive",
            Value::DatetimeIndex(DatetimeIndex {
                ns: vec![SEC],
                tz: None,
            }),
        ),
        ("n", Value::Int(5)),
        ("name", Value::Str("x".into())),
        (
            "sub",
            Value::Dict(BTreeMap::from([("k".to_string(), Value::Int(1))])),
        ),
        ("lst", Value::List(vec![Value::Int(1), Value::Int(2)])),
    ];
    Value::Object(Object {
        class: "bad_input.Sample".into(),
        props: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    })
}

fn exact() -> SaveOptions {
    SaveOptions {
        use_default_extension: false,
        ..SaveOptions::default()
    }
}

fn persist_sample(p: &Path) {
    save_value(p, &persist_value(), &exact()).unwrap();
    // An array written without a maximum shape (as h5py does by default): it cannot grow.
    let f = File::open_rw(p).unwrap();
    let ds = f
        .group("root")
        .unwrap()
        .write_dataset("fixedarr", &a1(vec![1.0f64, 2.0]))
        .unwrap();
    ds.set_attr("__dataset_type__", "numpy.ndarray").unwrap();
    drop(ds);
    f.close().unwrap();
}

type POp = fn(&Handle<Value>) -> jangada::Result<()>;

fn run_persist_case(table: &str, n: usize, case: &str, expect: &str, mode: Mode, op: POp) {
    let p = scratch(&format!("{table}-{n}.hdf5"));
    persist_sample(&p);
    let h = open(&p, mode).unwrap();
    h.flush().unwrap();
    let before = bytes(&p);
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(&h)));
    let res = match res {
        Ok(r) => r,
        Err(_) => panic!("{case}: panicked"),
    };
    let msg = match res {
        Ok(()) => panic!("{case}: accepted"),
        Err(e) => e.to_string(),
    };
    assert_clear(case, &msg, expect);
    h.flush().unwrap();
    assert!(
        bytes(&p) == before,
        "{case}: the file changed after a refused call ({msg})"
    );
    assert_eq!(
        h.proxy("arr").unwrap().get::<f64>(..).unwrap(),
        a1(vec![1.0, 2.0, 3.0, 4.0]),
        "{case}"
    );
    if mode == Mode::Read {
        h.close().unwrap();
        assert!(bytes(&p) == before, "{case}: close changed the file");
    } else {
        h.set("after", 7i64).unwrap();
        h.proxy("arr").unwrap().append(&a1(vec![5.0f64])).unwrap();
        h.proxy("idx")
            .unwrap()
            .append_timestamps(&DatetimeIndex {
                ns: vec![4 * SEC],
                tz: Some("UTC".into()),
            })
            .unwrap();
        h.close().unwrap();
        let Value::Object(o) = load(&p).unwrap() else {
            panic!("{case}: not an object")
        };
        assert_eq!(o.props["after"], Value::Int(7), "{case}");
        assert_eq!(
            o.props["arr"],
            Value::Array(ArrayValue::F64(a1(vec![1.0, 2.0, 3.0, 4.0, 5.0]))),
            "{case}"
        );
        assert_eq!(o.props["n"], Value::Int(5), "{case}");
    }
    assert_checks(case, &p);
    std::fs::remove_file(&p).unwrap();
}

fn run_persist_table(table: &str, mode: Mode, cases: &[(&str, &str, POp)]) {
    let mut failures = Vec::new();
    for (n, (case, expect, op)) in cases.iter().enumerate() {
        let r = std::panic::catch_unwind(|| run_persist_case(table, n, case, expect, mode, *op));
        if let Err(e) = r {
            let m = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(m);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn utc(ns: Vec<i64>) -> DatetimeIndex {
    DatetimeIndex {
        ns,
        tz: Some("UTC".into()),
    }
}

// ------------------------------------------------------------------ jangada: the matrices

/// `ProxyDataset` reads, writes and appends with bad selections, shapes, types and zones.
#[test]
fn persist_proxies() {
    let cases: &[(&str, &str, POp)] = &[
        ("get index past the end", "out of range", |h| {
            h.proxy("arr")?.get::<f64>(10)?;
            Ok(())
        }),
        ("get negative index", "out of range", |h| {
            h.proxy("arr")?.get::<f64>(-5i64)?;
            Ok(())
        }),
        ("get zero step", "step", |h| {
            h.proxy("arr")?.get::<f64>(step(0, 4, 0))?;
            Ok(())
        }),
        ("get too many axes", "axes", |h| {
            h.proxy("arr")?.get::<f64>((0, 0))?;
            Ok(())
        }),
        ("get an index of a 0-d array", "0-d|scalar", |h| {
            h.proxy("zero_d")?.get_dyn(0)?;
            Ok(())
        }),
        ("get_value out of range", "out of range", |h| {
            h.proxy("idx")?.get_value(3)?;
            Ok(())
        }),
        ("get_timestamps of an array", "not times|array", |h| {
            h.proxy("arr")?.get_timestamps(..)?;
            Ok(())
        }),
        ("set index of axis 1 out of range", "out of range", |h| {
            h.proxy("iarr")?.set_scalar((0, 5), 1i32)
        }),
        (
            "set past the end with axis 1 out of range (no growth)",
            "out of range",
            |h| h.proxy("iarr")?.set_scalar((5, 5), 1i32),
        ),
        (
            "set past the end with the wrong shape (no growth)",
            "shape",
            |h| h.proxy("arr")?.set(10..12, &a1(vec![1.0f64, 2.0, 3.0])),
        ),
        ("set zero step", "step", |h| {
            h.proxy("arr")?.set(step(0, 4, 0), &a0(1.0f64))
        }),
        ("set negative step", "step", |h| {
            h.proxy("arr")?
                .set(step(3, 0, -1), &a1(vec![1.0f64, 2.0, 3.0]))
        }),
        ("set a reversed range", "shape", |h| {
            h.proxy("arr")?.set(rng(3, 1), &a1(vec![1.0f64, 2.0]))
        }),
        ("set with the wrong shape", "shape", |h| {
            h.proxy("iarr")?.set(.., &a1(vec![1i32, 2]))
        }),
        ("set too many axes", "axes", |h| {
            h.proxy("arr")?.set((0, 0), &a0(1.0f64))
        }),
        ("set an index of a 0-d array", "0-d|scalar|axes", |h| {
            h.proxy("zero_d")?.set(0, &a0(1.0f64))
        }),
        ("set a lossy type (f64 into i32)", "without loss", |h| {
            h.proxy("iarr")?.set_scalar((0, 0), 1.5f64)
        }),
        ("set a lossy type (i64 into f64)", "without loss", |h| {
            h.proxy("arr")?.set_scalar(0, 1i64)
        }),
        ("set numbers into a time dataset", "timestamps", |h| {
            h.proxy("idx")?.set_scalar(0, 1i64)
        }),
        ("set numbers into strings", "without loss", |h| {
            h.proxy("strs")?.set_scalar(0, 1i64)
        }),
        ("set_timestamps of another zone", "time zone", |h| {
            h.proxy("idx")?.set_timestamps(
                0,
                &DatetimeIndex {
                    ns: vec![SEC],
                    tz: Some("Asia/Tokyo".into()),
                },
            )
        }),
        ("set_timestamps naive into zoned", "time zone", |h| {
            h.proxy("idx")?.set_timestamps(
                0,
                &DatetimeIndex {
                    ns: vec![SEC],
                    tz: None,
                },
            )
        }),
        ("set_timestamps into an array", "not times|array", |h| {
            h.proxy("arr")?.set_timestamps(0, &utc(vec![SEC]))
        }),
        (
            "set_timestamps past the end, wrong count (no growth)",
            "shape",
            |h| {
                h.proxy("idx")?
                    .set_timestamps(5..7, &utc(vec![SEC, SEC, SEC]))
            },
        ),
        ("set_timestamps zero step", "step", |h| {
            h.proxy("idx")?
                .set_timestamps(step(0, 3, 0), &utc(vec![SEC]))
        }),
        ("append to an array without maxshape", "cannot grow", |h| {
            h.proxy("fixedarr")?.append(&a1(vec![1.0f64]))
        }),
        (
            "set past the end of an array without maxshape",
            "cannot grow",
            |h| h.proxy("fixedarr")?.set_scalar(2, 1.0f64),
        ),
        ("append to a 0-d array", "0-d", |h| {
            h.proxy("zero_d")?.append(&a1(vec![1.0f64]))
        }),
        ("append a wrong row shape", "shape", |h| {
            h.proxy("iarr")?.append(&arrv(&[1, 2], vec![1i32, 2]))
        }),
        ("append a wrong rank", "shape", |h| {
            h.proxy("iarr")?.append(&arrv(&[1, 1, 3], vec![1i32, 2, 3]))
        }),
        ("append a lossy type", "without loss", |h| {
            h.proxy("arr")?.append(&a1(vec![1i64]))
        }),
        ("append bool to floats", "without loss", |h| {
            h.proxy("arr")?.append(&a1(vec![true]))
        }),
        ("append complex to floats", "without loss", |h| {
            h.proxy("arr")?.append(&a1(vec![Complex::new(1.0f64, 0.0)]))
        }),
        ("append strings to numbers", "without loss", |h| {
            h.proxy("arr")?
                .append_array(&ArrayValue::Str(a1(strings(&["x"]))))
        }),
        ("append numbers to strings", "without loss", |h| {
            h.proxy("strs")?.append(&a1(vec![1.0f64]))
        }),
        ("append numbers to a time dataset", "timestamps", |h| {
            h.proxy("idx")?.append(&a1(vec![1i64]))
        }),
        ("append_timestamps of another zone", "time zone", |h| {
            h.proxy("idx")?.append_timestamps(&DatetimeIndex {
                ns: vec![SEC],
                tz: Some("Europe/Paris".into()),
            })
        }),
        ("append_timestamps zoned to naive", "time zone", |h| {
            h.proxy("naive")?.append_timestamps(&utc(vec![SEC]))
        }),
        ("append_timestamps to a 0-d Timestamp", "0-d", |h| {
            h.proxy("ts")?.append_timestamps(&DatetimeIndex {
                ns: vec![SEC],
                tz: Some("Europe/Paris".into()),
            })
        }),
        ("append_timestamps to an array", "not times|array", |h| {
            h.proxy("arr")?.append_timestamps(&utc(vec![SEC]))
        }),
        ("append_value of an int", "cannot be appended", |h| {
            h.proxy("arr")?.append_value(&Value::Int(1))
        }),
        ("append_value of a dict", "cannot be appended", |h| {
            h.proxy("arr")?.append_value(&Value::Dict(BTreeMap::new()))
        }),
        (
            "append_value of a timestamp to an array",
            "not times|array",
            |h| {
                h.proxy("arr")?
                    .append_value(&Value::Timestamp(Timestamp { ns: SEC, tz: None }))
            },
        ),
        (
            "append_value of a custom dataset of another type",
            "cannot be appended",
            |h| {
                h.proxy("arr")?.append_value(&Value::Custom(CustomDataset {
                    dataset_type: "other.Type".into(),
                    array: ArrayValue::F64(a1(vec![1.0])),
                    attrs: BTreeMap::new(),
                }))
            },
        ),
    ];
    run_persist_table("persist_proxies", Mode::ReadWrite, cases);
}

/// `Handle` lookups and assignments with bad names and values.
#[test]
fn persist_handle() {
    let cases: &[(&str, &str, POp)] = &[
        ("get a missing name", "no item", |h| {
            h.get("missing").map(|_| ())
        }),
        ("get \"\"", "empty", |h| h.get("").map(|_| ())),
        ("get through a missing group", "no group", |h| {
            h.get("nope/x").map(|_| ())
        }),
        ("proxy of an attribute", "attribute", |h| {
            h.proxy("n").map(|_| ())
        }),
        ("proxy of a group", "group", |h| h.proxy("sub").map(|_| ())),
        ("proxy of a missing name", "no item", |h| {
            h.proxy("missing").map(|_| ())
        }),
        ("child of a dataset", "dataset", |h| {
            h.child("arr").map(|_| ())
        }),
        ("lazy of a missing name", "no item", |h| {
            h.lazy("missing").map(|_| ())
        }),
        ("object of the wrong class", "wrong class", |h| {
            h.object().object::<Typed>("sub").map(|_| ())
        }),
        ("child of an attribute", "group", |h| {
            h.child("n").map(|_| ())
        }),
        ("prop of the wrong type", "type", |h| {
            h.prop::<String>("n").map(|_| ())
        }),
        ("is_none of a missing name", "no item", |h| {
            h.is_none("missing").map(|_| ())
        }),
        ("set \"\"", "empty", |h| h.set("", 1i64)),
        ("set \".\"", "property name", |h| h.set(".", 1i64)),
        ("set a path through a missing group", "no group", |h| {
            h.set("nope/x", 1i64)
        }),
        ("set __class__", "reserved|property name", |h| {
            h.set("__class__", "other.Class")
        }),
        ("set __container_type__", "reserved|property name", |h| {
            h.set("__container_type__", "list")
        }),
        ("set a dict with key \"\"", "hdf5 name", |h| {
            h.set(
                "n",
                Value::Dict(BTreeMap::from([(String::new(), Value::Int(1))])),
            )
        }),
        // Keys of scalars (attributes) may be "." or hold "/"; keys of groups and
        // datasets may not.
        ("set a dict with key \".\"", "group or dataset", |h| {
            h.set(
                "sub",
                Value::Dict(BTreeMap::from([(".".to_string(), Value::List(vec![]))])),
            )
        }),
        ("set a dict with key a/b", "group or dataset", |h| {
            h.set(
                "arr",
                Value::Dict(BTreeMap::from([(
                    "a/b".to_string(),
                    Value::Dict(BTreeMap::new()),
                )])),
            )
        }),
        ("set a dict with a reserved key", "reserved", |h| {
            h.set(
                "sub",
                Value::Dict(BTreeMap::from([("__class__".to_string(), Value::Int(1))])),
            )
        }),
        ("set a deep bad key", "group or dataset", |h| {
            h.set(
                "lst",
                Value::List(vec![
                    Value::Int(1),
                    Value::Dict(BTreeMap::from([("x/y".to_string(), Value::List(vec![]))])),
                ]),
            )
        }),
        ("set an object without a class", "class", |h| {
            h.set("sub", Value::Object(Object::default()))
        }),
        ("set a timestamp of an unknown zone", "zone|mars", |h| {
            h.set(
                "ts",
                Value::Timestamp(Timestamp {
                    ns: SEC,
                    tz: Some("Mars/Olympus".into()),
                }),
            )
        }),
        ("set times of an unknown zone", "zone|mars", |h| {
            h.set(
                "idx",
                Value::DatetimeIndex(DatetimeIndex {
                    ns: vec![SEC],
                    tz: Some("Mars/Olympus".into()),
                }),
            )
        }),
        (
            "set a custom dataset of an empty type",
            "dataset type",
            |h| {
                h.set(
                    "arr",
                    Value::Custom(CustomDataset {
                        dataset_type: String::new(),
                        array: ArrayValue::F64(a1(vec![1.0])),
                        attrs: BTreeMap::new(),
                    }),
                )
            },
        ),
        (
            "set a custom dataset of jangada's own type",
            "dataset type",
            |h| {
                h.set(
                    "arr",
                    Value::Custom(CustomDataset {
                        dataset_type: "numpy.ndarray".into(),
                        array: ArrayValue::F64(a1(vec![1.0])),
                        attrs: BTreeMap::new(),
                    }),
                )
            },
        ),
        (
            "set a custom dataset with a list attribute",
            "scalar",
            |h| {
                h.set(
                    "arr",
                    Value::Custom(CustomDataset {
                        dataset_type: "my.Type".into(),
                        array: ArrayValue::F64(a1(vec![1.0])),
                        attrs: BTreeMap::from([("l".to_string(), Value::List(vec![]))]),
                    }),
                )
            },
        ),
        (
            "set a custom dataset with attribute \"\"",
            "hdf5 name",
            |h| {
                h.set(
                    "arr",
                    Value::Custom(CustomDataset {
                        dataset_type: "my.Type".into(),
                        array: ArrayValue::F64(a1(vec![1.0])),
                        attrs: BTreeMap::from([(String::new(), Value::Int(1))]),
                    }),
                )
            },
        ),
        ("set a nested item of a missing child", "no group", |h| {
            h.child("sub")?.set("missing/x", 1i64)
        }),
        ("set in a child with a bad key", "group or dataset", |h| {
            h.child("sub")?.set(
                "k",
                Value::Dict(BTreeMap::from([("/".to_string(), Value::List(vec![]))])),
            )
        }),
    ];
    run_persist_table("persist_handle", Mode::ReadWrite, cases);
}

/// Every write through a handle opened `r`.
#[test]
fn persist_read_only() {
    let cases: &[(&str, &str, POp)] = &[
        ("set", "read-only", |h| h.set("n", 6i64)),
        ("set a new name", "read-only", |h| h.set("new", 6i64)),
        ("set a child item", "read-only", |h| {
            h.child("sub")?.set("k", 2i64)
        }),
        ("proxy set", "read-only", |h| {
            h.proxy("arr")?.set_scalar(0, 9.0f64)
        }),
        ("proxy set past the end", "read-only", |h| {
            h.proxy("arr")?.set_scalar(10, 9.0f64)
        }),
        ("proxy append", "read-only", |h| {
            h.proxy("arr")?.append(&a1(vec![9.0f64]))
        }),
        ("proxy append_array", "read-only", |h| {
            h.proxy("strs")?
                .append_array(&ArrayValue::Str(a1(strings(&["x"]))))
        }),
        ("proxy append_value", "read-only", |h| {
            h.proxy("arr")?
                .append_value(&Value::Array(ArrayValue::F64(a1(vec![9.0]))))
        }),
        ("proxy set_timestamps", "read-only", |h| {
            h.proxy("idx")?.set_timestamps(0, &utc(vec![SEC]))
        }),
        ("proxy append_timestamps", "read-only", |h| {
            h.proxy("idx")?.append_timestamps(&utc(vec![SEC]))
        }),
    ];
    run_persist_table("persist_read_only", Mode::Read, cases);
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "bad_input.Typed")]
struct Typed {
    count: i64,
    #[jangada(default = "\"\"")]
    label: String,
    #[jangada(parser = positive)]
    rate: f64,
    #[jangada(writeonce)]
    serial: Option<String>,
    data: Option<ArrayD<f64>>,
}

fn positive(x: f64) -> Result<f64, String> {
    if x > 0.0 {
        Ok(x)
    } else {
        Err(format!("{x} is not positive"))
    }
}

/// A typed handle: assignments that do not fit the class are refused before writing.
#[test]
fn persist_typed_handle() {
    let p = scratch("typed.hdf5");
    let t = Typed {
        count: 3,
        label: "l".into(),
        rate: 1.0,
        serial: Some("s1".into()),
        data: Some(a1(vec![1.0, 2.0])),
    };
    t.save_with(&p, true, false).unwrap();
    let before = bytes(&p);
    type TOp = fn(&Handle<Typed>) -> jangada::Result<()>;
    let cases: &[(&str, &str, TOp)] = &[
        ("a string into an integer property", "type|count", |h| {
            h.set("count", "three")
        }),
        ("a float into a string property", "type|label", |h| {
            h.set("label", 1.5f64)
        }),
        ("an array into a scalar property", "type|count", |h| {
            h.set("count", a1(vec![1i64, 2]))
        }),
        ("a value the parser refuses", "positive", |h| {
            h.set("rate", -1.0f64)
        }),
        ("an unknown property", "no saved property", |h| {
            h.set("nope", 1i64)
        }),
        (
            "the derived setter of a write-once property",
            "write",
            |h| TypedHandle::set_serial(h, Some("s2".to_string())),
        ),
        ("the derived setter's parser", "positive", |h| {
            TypedHandle::set_rate(h, 0.0)
        }),
    ];
    let mut failures = Vec::new();
    for (case, expect, op) in cases {
        let h = Typed::open(&p, Mode::ReadWrite).unwrap();
        match op(&h) {
            Ok(()) => failures.push(format!("{case}: accepted")),
            Err(e) => {
                let m = e.to_string().to_lowercase();
                if !expect.split('|').any(|x| m.contains(x)) {
                    failures.push(format!("{case}: message {m:?} does not say {expect:?}"));
                }
            }
        }
        h.close().unwrap();
        if bytes(&p) != before {
            failures.push(format!("{case}: the file changed"));
            std::fs::write(&p, &before).unwrap();
        }
        // The file still loads as the class.
        if let Err(e) = Typed::load(&p) {
            failures.push(format!("{case}: no longer loads: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A good assignment works afterwards.
    let h = Typed::open(&p, Mode::ReadWrite).unwrap();
    h.set("count", 4i64).unwrap();
    h.close().unwrap();
    assert_eq!(Typed::load(&p).unwrap().count, 4);
    // Wrong class: refused, unchanged.
    let q = scratch("untyped.hdf5");
    persist_sample(&q);
    let qb = bytes(&q);
    let e = Typed::open(&q, Mode::ReadWrite).unwrap_err().to_string();
    assert_clear("wrong class", &e, "wrong class");
    assert!(bytes(&q) == qb);
    std::fs::remove_file(&p).unwrap();
    std::fs::remove_file(&q).unwrap();
}

/// `save_value` / `load_props` / `open` with bad values, keys, options and paths: an
/// existing file stays as it was and no file appears.
#[test]
fn persist_save_and_load_refusals() {
    // A folder of its own: the check for leftover temporary files below must not see
    // the saves of tests running meanwhile.
    let dir = scratch("save-refusals");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("save-target.hdf5");
    persist_sample(&p);
    let before = bytes(&p);
    let with = |props: Vec<(&str, Value)>| {
        Value::Object(Object {
            class: "bad_input.X".into(),
            props: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        })
    };
    let compressed = |level| SaveOptions {
        compression: Some(Compression::deflate(level, false)),
        ..exact()
    };
    let cases: Vec<(&str, &str, Value, SaveOptions)> = vec![
        (
            "key \"\"",
            "hdf5 name",
            with(vec![("", Value::Int(1))]),
            exact(),
        ),
        (
            "key \".\"",
            "group or dataset",
            with(vec![(".", Value::List(vec![]))]),
            exact(),
        ),
        (
            "key a/b",
            "group or dataset",
            with(vec![("a/b", Value::Dict(BTreeMap::new()))]),
            exact(),
        ),
        (
            "reserved key",
            "reserved",
            with(vec![("__class__", Value::Int(1))]),
            exact(),
        ),
        (
            "bytes element longer than the item size",
            "does not fit its item size",
            with(vec![(
                "b",
                Value::Array(ArrayValue::Bytes(jangada::FixedBytes {
                    itemsize: 2,
                    data: ArrayD::from_shape_vec(IxDyn(&[1]), vec![b"abc".to_vec()]).unwrap(),
                })),
            )]),
            exact(),
        ),
        (
            "bytes element ending with a NUL",
            "ends with a nul byte",
            with(vec![(
                "b",
                Value::Array(ArrayValue::Bytes(jangada::FixedBytes {
                    itemsize: 4,
                    data: ArrayD::from_shape_vec(IxDyn(&[1]), vec![b"a\0".to_vec()]).unwrap(),
                })),
            )]),
            exact(),
        ),
        (
            "bytes of item size 0",
            "item size of 0",
            with(vec![(
                "b",
                Value::Array(ArrayValue::Bytes(jangada::FixedBytes {
                    itemsize: 0,
                    data: ArrayD::from_shape_vec(IxDyn(&[1]), vec![Vec::new()]).unwrap(),
                })),
            )]),
            exact(),
        ),
        (
            "empty class",
            "class",
            Value::Object(Object::default()),
            exact(),
        ),
        (
            "unknown zone",
            "zone|mars",
            with(vec![(
                "t",
                Value::Timestamp(Timestamp {
                    ns: 0,
                    tz: Some("Mars/Olympus".into()),
                }),
            )]),
            exact(),
        ),
        (
            "time out of range in its zone",
            "range|overflow|zone",
            with(vec![(
                "t",
                Value::Timestamp(Timestamp {
                    ns: i64::MAX - 1,
                    tz: Some("Asia/Tokyo".into()),
                }),
            )]),
            exact(),
        ),
        (
            "custom dataset of jangada's own type",
            "dataset type",
            with(vec![(
                "c",
                Value::Custom(CustomDataset {
                    dataset_type: "pandas.Timestamp".into(),
                    array: ArrayValue::I64(a1(vec![1])),
                    attrs: BTreeMap::new(),
                }),
            )]),
            exact(),
        ),
        (
            "compression level 10",
            "level",
            with(vec![("a", Value::Array(ArrayValue::F64(a1(vec![1.0]))))]),
            compressed(10),
        ),
        (
            "chunk shape of the wrong rank",
            "rank|chunk",
            with(vec![("a", Value::Array(ArrayValue::F64(a1(vec![1.0]))))]),
            SaveOptions {
                fields: BTreeMap::from([(
                    "/root/a".to_string(),
                    jangada::ArrayStorage {
                        compression: None,
                        chunks: Some(vec![1, 1]),
                    },
                )]),
                ..exact()
            },
        ),
        (
            "a path that is not UTF-8",
            "utf-8",
            with(vec![("p", Value::Path(non_utf8_path()))]),
            exact(),
        ),
        (
            "no overwrite",
            "exists",
            with(vec![("a", Value::Int(1))]),
            SaveOptions {
                overwrite: false,
                ..exact()
            },
        ),
    ];
    let mut failures = Vec::new();
    for (case, expect, value, opts) in cases {
        match save_value(&p, &value, &opts) {
            Ok(_) => failures.push(format!("{case}: accepted")),
            Err(e) => {
                let m = e.to_string().to_lowercase();
                if !expect.split('|').any(|x| m.contains(x)) {
                    failures.push(format!("{case}: message {m:?} does not say {expect:?}"));
                }
            }
        }
        if bytes(&p) != before {
            failures.push(format!("{case}: the existing file changed"));
            std::fs::write(&p, &before).unwrap();
        }
        let fresh = dir.join("save-fresh.hdf5");
        let _ = std::fs::remove_file(&fresh);
        if case != "no overwrite" && save_value(&fresh, &value, &opts).is_ok() {
            failures.push(format!("{case}: accepted for a new file"));
        }
        if fresh.exists() {
            failures.push(format!("{case}: a new file was left behind"));
        }
    }
    // No temporary files were left behind.
    let leftovers: Vec<String> = std::fs::read_dir(p.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    if !leftovers.is_empty() {
        failures.push(format!("temporary files left: {leftovers:?}"));
    }
    // load_props with names that are not stored.
    for (case, names, expect) in [
        ("unknown name", vec!["missing"], "no item"),
        ("empty name", vec![""], "no item|empty"),
        ("one good, one unknown", vec!["n", "missing"], "no item"),
    ] {
        match load_props(&p, &names) {
            Ok(v) => failures.push(format!("load_props {case}: accepted: {v:?}")),
            Err(e) => {
                let m = e.to_string().to_lowercase();
                if !expect.split('|').any(|x| m.contains(x)) {
                    failures.push(format!("load_props {case}: {m:?} does not say {expect:?}"));
                }
            }
        }
    }
    assert!(bytes(&p) == before);
    // open: a missing file in r / r+, a non-jangada HDF5 file in r+ (left unchanged).
    for mode in [Mode::Read, Mode::ReadWrite] {
        let e = open(scratch("missing.hdf5"), mode).unwrap_err().to_string();
        assert_clear("open a missing file", &e, "does not exist");
    }
    let q = scratch("plain.h5");
    std::fs::write(&q, sample_bytes()).unwrap();
    let e = open(&q, Mode::ReadWrite).unwrap_err().to_string();
    assert_clear("open a plain HDF5 file", &e, "root");
    assert!(
        bytes(&q) == sample_bytes(),
        "open r+ changed a non-jangada file"
    );
    let e = open(&q, Mode::Append).unwrap_err().to_string();
    assert_clear("open a plain HDF5 file in mode a", &e, "root");
    assert!(
        bytes(&q) == sample_bytes(),
        "open a changed a non-jangada file"
    );
    let e = open(&p, Mode::CreateNew).unwrap_err().to_string();
    assert_clear("open w- over a file", &e, "exists");
    assert!(bytes(&p) == before);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    std::fs::remove_file(&p).unwrap();
    std::fs::remove_file(&q).unwrap();
}

/// Edge values that are NOT bad input (empty arrays, 0-d strings, empty containers, empty
/// time indexes) are stored by `Handle::set` over an existing item and load back: an
/// assignment never fails after removing what the name held.
#[test]
fn persist_set_edge_values_replace_and_load_back() {
    let p = scratch("edge-values.hdf5");
    persist_sample(&p);
    let edge: Vec<Value> = vec![
        Value::Array(ArrayValue::F64(arrv(&[0], vec![]))),
        Value::Array(ArrayValue::F64(arrv(&[0, 3], vec![]))),
        Value::Array(ArrayValue::I8(arrv(&[2, 0, 2], vec![]))),
        Value::Array(ArrayValue::Str(arrv(&[0], vec![]))),
        Value::Array(ArrayValue::Str(a0("x".to_string()))),
        Value::Array(ArrayValue::Str(a1(strings(&["", "é"])))),
        Value::Array(ArrayValue::Bool(a0(true))),
        Value::Array(ArrayValue::C64(a0(Complex::new(1.0f32, -1.0)))),
        Value::List(vec![]),
        Value::Dict(BTreeMap::new()),
        Value::DatetimeIndex(DatetimeIndex {
            ns: vec![],
            tz: Some("UTC".into()),
        }),
        Value::Str(String::new()),
        Value::None,
    ];
    for (i, v) in edge.iter().enumerate() {
        for name in ["arr", "n", "sub"] {
            let h = open(&p, Mode::ReadWrite).unwrap();
            if let Err(e) = h.set(name, v.clone()) {
                panic!("edge value {i} ({v:?}) over {name:?} refused: {e}");
            }
            assert_eq!(&h.get(name).unwrap(), v, "edge value {i} over {name:?}");
            // Put the original back for the next round.
            let Value::Object(o) = persist_value() else {
                unreachable!()
            };
            h.set(name, o.props[name].clone()).unwrap();
            h.close().unwrap();
        }
    }
    assert_checks("edge values", &p);
    std::fs::remove_file(&p).unwrap();
}

/// Not bad input at the HDF5 layer: numbers convert to the dataset's numeric type as h5py
/// (libhdf5) converts them — floats truncate toward zero, out-of-range values saturate,
/// NaN becomes 0. Only conversions between kinds that have no meaning (complex into real,
/// numbers into strings, strings into numbers) are refused. The jangada layer
/// (`ProxyDataset`) is stricter: numpy's "safe" casting, see `persist_proxies`.
#[test]
fn hdf5_numeric_conversions_follow_h5py() {
    let p = scratch("conversions.h5");
    std::fs::write(&p, sample_bytes()).unwrap();
    let f = File::open_rw(&p).unwrap();
    let ds = f.dataset("ext").unwrap();
    ds.write_slice(sel(&[idx(0)]), &a1(vec![1.7f64, -2.9]))
        .unwrap();
    ds.write_slice(sel(&[idx(1)]), &a1(vec![f64::NAN, 1e300]))
        .unwrap();
    assert_eq!(
        ds.read::<i32>().unwrap(),
        arr2(&[[1, -2], [0, i32::MAX]]).into_dyn()
    );
    let c = f.dataset("contig").unwrap();
    c.write(&a1(vec![-5i64, 300, 7])).unwrap();
    assert_eq!(c.read::<u8>().unwrap(), a1(vec![0, 255, 7]));
    drop((ds, c));
    f.close().unwrap();
    std::fs::remove_file(&p).unwrap();
}

// ------------------------------------------- jangada-hdf5: 4-byte offsets and lengths

/// Files with 4-byte offsets and lengths (h5py, `sizes_4byte_*`) refuse what their fields
/// cannot record — a dataset larger than 4 GiB, a dimension past 2^32 - 1 — with a clear
/// error and no change, instead of writing truncated lengths.
#[test]
fn hdf5_four_byte_offsets_and_lengths() {
    let cases: &[(&str, &str, FOp)] = &[
        (
            "8 GiB contiguous dataset",
            "does not fit the file's 4-byte lengths",
            |f| {
                f.root()?
                    .new_dataset("big")
                    .dtype_of::<f64>()
                    .shape(&[1 << 30])
                    .create()
                    .map(drop)
            },
        ),
        (
            "dimension past 2^32 - 1",
            "does not fit the file's 4-byte lengths",
            |f| {
                f.root()?
                    .new_dataset("long")
                    .dtype_of::<u8>()
                    .shape(&[1 << 33])
                    .chunks(&[1 << 20])
                    .create()
                    .map(drop)
            },
        ),
        (
            "maximum dimension of 2^32 - 1",
            "does not fit the file's 4-byte lengths",
            |f| {
                f.root()?
                    .new_dataset("max")
                    .dtype_of::<u8>()
                    .shape(&[4])
                    .maxshape(&[Some(u64::from(u32::MAX))])
                    .create()
                    .map(drop)
            },
        ),
    ];
    for fixture in ["sizes_4byte_latest.h5", "sizes_4byte_earliest.h5"] {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures")
            .join(fixture);
        for (n, (case, expect, op)) in cases.iter().enumerate() {
            let case = format!("{fixture}: {case}");
            let p = scratch(&format!("four-byte-{n}-{fixture}"));
            std::fs::copy(&src, &p).unwrap();
            let f = File::open_rw(&p).unwrap();
            f.flush().unwrap();
            let before = bytes(&p);
            let msg = match op(&f) {
                Ok(()) => panic!("{case}: accepted"),
                Err(e) => e.to_string(),
            };
            assert_clear(&case, &msg, expect);
            f.flush().unwrap();
            assert!(bytes(&p) == before, "{case}: the file changed ({msg})");
            // The handle still works.
            let ok = f
                .root()
                .unwrap()
                .new_dataset("ok")
                .write(&a1(vec![1i32, 2, 3]))
                .unwrap();
            drop(ok);
            f.close().unwrap();
            let f = File::open(&p).unwrap();
            assert_eq!(
                f.dataset("ok").unwrap().read::<i32>().unwrap(),
                a1(vec![1, 2, 3])
            );
            drop(f);
            assert_checks(&case, &p);
            std::fs::remove_file(&p).unwrap();
        }
    }
}

/// Appending past 2^63 - 1 rows (the selection's `i64` bounds) is refused before the
/// dataset grows; the extent used to wrap to a negative selection.
#[test]
fn hdf5_append_past_i64_rows() {
    let p = scratch("append-i64.h5");
    let f = File::create_truncate(&p).unwrap();
    let r = f.root().unwrap();
    let ds = r
        .new_dataset("big")
        .maxshape(&[None])
        .chunks(&[1])
        .write(&a1(vec![1u8]))
        .unwrap();
    let top = i64::MAX as u64;
    ds.resize(&[top]).unwrap();
    f.flush().unwrap();
    let before = bytes(&p);
    let msg = ds.append(&a1(vec![2u8])).unwrap_err().to_string();
    assert_clear("append past 2^63-1 rows", &msg, "2^63");
    f.flush().unwrap();
    assert!(bytes(&p) == before, "the file changed: {msg}");
    assert_eq!(f.dataset("big").unwrap().shape(), vec![top]);
    drop((r, ds));
    f.close().unwrap();
    std::fs::remove_file(&p).unwrap();
}
