//! Proof that what our writer produces is read identically by h5py (HDF5 2.0) and by
//! Debian's h5dump (libhdf5 1.10), feature by feature; and that h5py's own files, modified
//! by us in `r+` mode, stay readable and show the new values. Needs the venv and h5dump
//! (`scripts/setup.sh`, or `JANGADA_PYTHON`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{fixtures_dir, h5dump_ok, h5py_dump, json_diff, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{AttrData, Dataspace, Datatype, File, Selection, SliceArg, SpaceKind, Storage};
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex;
use serde_json::{json, Value};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh path in the temp dir.
fn tmp(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = common::scratch_root("jangada_write_interop");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{n}_{name}.h5"));
    let _ = std::fs::remove_file(&p);
    p
}

/// Our dump equals h5py's; h5dump 1.10 reads the file (unless `h5dump` is false).
fn check_with(path: &Path, h5dump: bool) -> Value {
    let ours = dump_file(path).unwrap_or_else(|e| panic!("our dump of {}: {e}", path.display()));
    let theirs = h5py_dump(path);
    if let Some(d) = json_diff("", &ours, &theirs) {
        panic!("{}: our dump differs from h5py's: {d}", path.display());
    }
    if h5dump {
        if let Err(e) = h5dump_ok(path) {
            panic!("{e}");
        }
    }
    ours
}

fn check(path: &Path) -> Value {
    check_with(path, true)
}

/// Run a Python snippet on `path` (as `sys.argv[1]`), returning its stdout trimmed.
fn py(path: &Path, script: &str) -> String {
    let full = format!("import sys, h5py, numpy as np\nf = h5py.File(sys.argv[1], 'r')\n{script}");
    run_python(&full, &[path.to_str().unwrap()])
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_string()
}

fn arr<T: Clone>(shape: &[usize], v: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

fn iota(n: usize) -> Vec<i32> {
    (0..n as i32).collect()
}

// ------------------------------------------------------------------ attributes

#[test]
fn attribute_types() {
    let p = tmp("attr_types");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        r.set_attr("i8", -8i8).unwrap();
        r.set_attr("i16", -16i16).unwrap();
        r.set_attr("i32", i32::MIN).unwrap();
        r.set_attr("i64", i64::MIN).unwrap();
        r.set_attr("u8", 255u8).unwrap();
        r.set_attr("u16", u16::MAX).unwrap();
        r.set_attr("u32", u32::MAX).unwrap();
        r.set_attr("u64", u64::MAX).unwrap();
        r.set_attr("f32", 1.5f32).unwrap();
        r.set_attr("f64", -2.25f64).unwrap();
        r.set_attr("nan", f64::NAN).unwrap();
        r.set_attr("inf", f64::INFINITY).unwrap();
        r.set_attr("ninf", f32::NEG_INFINITY).unwrap();
        r.set_attr("negzero", -0.0f64).unwrap();
        r.set_attr(
            "floats",
            &[0.0f64, -0.0, f64::NAN, f64::INFINITY, 1e-300][..],
        )
        .unwrap();
        let f16 = AttrData {
            datatype: Datatype::float(2).unwrap(),
            dataspace: Dataspace {
                kind: SpaceKind::Simple,
                dims: vec![5],
                max_dims: None,
            },
            payload: jangada_hdf5::Payload::Bytes(
                jangada_hdf5::encode_numbers(
                    &Datatype::float(2).unwrap(),
                    [1.0, -0.5, 65504.0, f64::NAN, f64::NEG_INFINITY]
                        .into_iter()
                        .map(jangada_hdf5::Number::Float),
                )
                .unwrap(),
            ),
        };
        r.set_attr("f16", f16).unwrap();
        r.set_attr("true", true).unwrap();
        r.set_attr("bools", &[true, false, true][..]).unwrap();
        r.set_attr("c64", Complex::new(1.5f32, -2.0)).unwrap();
        r.set_attr("c128", Complex::new(f64::NAN, f64::INFINITY))
            .unwrap();
        r.set_attr(
            "c128s",
            &[Complex::new(1.0f64, 2.0), Complex::new(-0.0, 0.0)][..],
        )
        .unwrap();
        r.set_attr("str", "hello").unwrap();
        r.set_attr("empty_str", "").unwrap();
        r.set_attr("utf8", "ação ✓ 日本").unwrap();
        r.set_attr("ünïcode_name", 1i64).unwrap();
        r.set_attr("strs", &["a", "", "ção", "long string here"][..])
            .unwrap();
        r.set_attr("no_strs", AttrData::strings(&[0], vec![]).unwrap())
            .unwrap();
        r.set_attr(
            "strs2d",
            AttrData::strings(
                &[2, 2],
                vec!["a".into(), "b".into(), "c".into(), "d".into()],
            )
            .unwrap(),
        )
        .unwrap();
        r.set_attr("fixed", AttrData::fixed_string("abc", 8).unwrap())
            .unwrap();
        r.set_attr("fixed_full", AttrData::fixed_string("abcd", 4).unwrap())
            .unwrap();
        r.set_attr("nd", &arr(&[2, 3, 4], iota(24))).unwrap();
        r.set_attr("nd_u16", &arr(&[3, 1], vec![1u16, 2, 3]))
            .unwrap();
        r.set_attr("zero_size", &arr::<f64>(&[0, 3], vec![]))
            .unwrap();
        r.set_attr("one", &[7i8][..]).unwrap();
        r.set_attr("empty_f", AttrData::empty(Datatype::float(4).unwrap()))
            .unwrap();
        r.set_attr("empty_i", AttrData::empty(Datatype::int(8, true)))
            .unwrap();
        r.set_attr("empty_s", AttrData::empty(Datatype::vlen_utf8()))
            .unwrap();
        f.close().unwrap();
    }
    let d = check(&p);
    assert_eq!(d["attrs"]["u64"]["data"], json!([u64::MAX]));
    assert_eq!(d["attrs"]["nan"]["data"], json!(["nan"]));
    assert_eq!(d["attrs"]["utf8"]["data"], json!(["ação ✓ 日本"]));
    assert_eq!(d["attrs"]["f16"]["dtype"], json!("<f2"));
    let out = py(
        &p,
        "a = f.attrs\n\
         print(np.signbit(a['negzero']), a['empty_f'].shape, a['empty_s'].dtype, \
         a['fixed'], a['bools'].dtype, a['c64'].dtype, a['zero_size'].shape, a['strs'].tolist())",
    );
    assert_eq!(
        out,
        "True None object b'abc' bool complex64 (0, 3) ['a', '', 'ção', 'long string here']"
    );
}

#[test]
fn attribute_counts_and_order() {
    let p = tmp("attr_counts");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        for n in [0usize, 8, 9, 1000] {
            let g = r.create_group(&format!("g{n}")).unwrap();
            for i in 0..n {
                g.set_attr(&format!("a{i:04}"), i as i64).unwrap();
            }
            let t = r.create_group_with(&format!("t{n}"), true).unwrap();
            // Reverse name order, so creation order differs from name order.
            for i in (0..n).rev() {
                t.set_attr(&format!("a{i:04}"), i as i64).unwrap();
            }
        }
        f.close().unwrap();
    }
    let d = check(&p);
    assert_eq!(
        d["members"]["g1000"]["attrs"].as_object().unwrap().len(),
        1000
    );
    assert_eq!(d["members"]["t9"]["attrs"]["a0003"]["data"], json!([3]));
    let out = py(
        &p,
        "for n in (0, 8, 9, 1000):\n\
         \x20   k = list(f[f't{n}'].attrs.keys())\n\
         \x20   assert k == [f'a{i:04}' for i in reversed(range(n))], (n, k[:5])\n\
         \x20   assert len(f[f'g{n}'].attrs) == n\n\
         print('ok')",
    );
    assert_eq!(out, "ok");
}

#[test]
fn huge_attribute_and_overwrite_delete() {
    let p = tmp("attr_huge");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        let big: Vec<f64> = (0..12_800).map(|i| i as f64 * 0.5).collect(); // 100 KB
        r.set_attr("big", &big[..]).unwrap();
        r.set_attr("small", 1i32).unwrap();
        // Overwrite with another type and shape.
        r.set_attr("small", "now a string").unwrap();
        r.set_attr("gone", 5u8).unwrap();
        r.delete_attr("gone").unwrap();
        let g = r.create_group("dense").unwrap();
        for i in 0..20 {
            g.set_attr(&format!("x{i}"), i).unwrap();
        }
        g.set_attr("big", &big[..]).unwrap();
        g.set_attr("x3", &[1.0f32, 2.0][..]).unwrap();
        g.delete_attr("x5").unwrap();
        g.delete_attr("big").unwrap();
        g.set_attr("big2", &big[..100]).unwrap();
        assert!(g.delete_attr("nope").is_err());
        f.close().unwrap();
    }
    let d = check(&p);
    assert_eq!(d["attrs"]["big"]["data"].as_array().unwrap().len(), 12_800);
    assert_eq!(d["attrs"]["small"]["data"], json!(["now a string"]));
    assert!(d["attrs"].get("gone").is_none());
    assert!(d["members"]["dense"]["attrs"].get("x5").is_none());
    assert!(d["members"]["dense"]["attrs"].get("big").is_none());
    assert_eq!(
        d["members"]["dense"]["attrs"]["x3"]["data"],
        json!([1.0, 2.0])
    );
}

// ------------------------------------------------------------------ groups and links

#[test]
fn groups_members_and_track_order() {
    let p = tmp("groups");
    let counts = [0usize, 1, 8, 9, 100, 10_000];
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        r.create_group("a/b/c/d").unwrap();
        r.create_group("/a/b/e").unwrap();
        let b = f.group("a/b").unwrap();
        b.create_group("c/x").unwrap();
        for &n in &counts {
            let g = r.create_group(&format!("n{n}")).unwrap();
            let t = r.create_group_with(&format!("t{n}"), true).unwrap();
            for i in 0..n {
                g.create_group(&format!("m{i:05}")).unwrap();
            }
            // Dense links and dense attributes on the same header, flushed together.
            for i in 0..n.min(12) {
                g.set_attr(&format!("a{i}"), i as u16).unwrap();
            }
            for i in (0..n.min(1000)).rev() {
                t.create_group(&format!("m{i:05}")).unwrap();
            }
        }
        f.close().unwrap();
    }
    let d = check(&p);
    assert!(d["members"]["a"]["members"]["b"]["members"]["c"]["members"]["x"].is_object());
    assert_eq!(
        d["members"]["n10000"]["members"].as_object().unwrap().len(),
        10_000
    );
    let out = py(
        &p,
        "for n in (0, 1, 8, 9, 100, 10000):\n\
         \x20   assert len(f[f'n{n}']) == n\n\
         \x20   assert len(f[f'n{n}'].attrs) == min(n, 12)\n\
         \x20   k = list(f[f't{n}'].keys())\n\
         \x20   assert k == [f'm{i:05}' for i in reversed(range(min(n, 1000)))], (n, k[:4])\n\
         print(sorted(f['a/b'].keys()))",
    );
    assert_eq!(out, "['c', 'e']");
}

#[test]
fn links_and_unlink() {
    let p = tmp("links");
    let target = tmp("links_target");
    {
        let f = File::create(&target).unwrap();
        f.root()
            .unwrap()
            .write_dataset("data", &arr(&[3], vec![1i32, 2, 3]))
            .unwrap();
        f.close().unwrap();
    }
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        let g = r.create_group("g").unwrap();
        let ds = g.write_dataset("x", &arr(&[2], vec![1.0f64, 2.0])).unwrap();
        r.link_soft("soft", "/g/x").unwrap();
        r.link_soft("dangling", "/nowhere").unwrap();
        r.link_external(
            "ext",
            target.file_name().unwrap().to_str().unwrap(),
            "/data",
        )
        .unwrap();
        r.link_hard("hard", &jangada_hdf5::Node::Dataset(ds))
            .unwrap();
        r.create_group("tmp").unwrap();
        r.unlink("tmp").unwrap();
        g.create_group("y").unwrap();
        g.unlink("y").unwrap();
        assert!(r.unlink("nope").is_err());
        let t = r.create_group_with("ordered", true).unwrap();
        t.link_soft("z", "/g").unwrap();
        t.create_group("a").unwrap();
        t.link_hard("m", &f.get("g/x").unwrap()).unwrap();
        for i in 0..10 {
            r.create_group(&format!("dense/{i}")).unwrap();
        }
        let dense = f.group("dense").unwrap();
        dense.link_soft("s", "/g").unwrap();
        dense.unlink("3").unwrap();
        f.close().unwrap();
    }
    let d = check(&p);
    assert_eq!(d["members"]["hard"]["data"], json!([1.0, 2.0]));
    assert!(d["members"].get("tmp").is_none());
    assert!(d["members"]["dense"]["members"].get("3").is_none());
    let out = py(
        &p,
        "def kind(g, n):\n\
         \x20   l = g.get(n, getlink=True)\n\
         \x20   return type(l).__name__ + ':' + str(getattr(l, 'path', '')) + ':' + str(getattr(l, 'filename', ''))\n\
         print(kind(f, 'soft'), kind(f, 'dangling'), kind(f, 'hard'), kind(f['ordered'], 'z'))\n\
         print(list(f['ordered'].keys()), f['ext'][()].tolist(), f['hard'] == f['g/x'])",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "SoftLink:/g/x: SoftLink:/nowhere: HardLink:: SoftLink:/g:"
    );
    assert_eq!(lines[1], "['z', 'a', 'm'] [1, 2, 3] True");
    let out = py(
        &p,
        "l = f.get('ext', getlink=True); print(type(l).__name__, l.path)",
    );
    assert_eq!(out, "ExternalLink /data");
}

// ------------------------------------------------------------------ datasets

#[test]
fn dataset_layouts_and_chunk_indexes() {
    let p = tmp("layouts");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        let d = arr(&[10, 7], (0..70).map(|i| i as f64).collect());
        r.new_dataset("compact")
            .storage(Storage::Compact)
            .write(&arr(&[5], iota(5)))
            .unwrap();
        r.new_dataset("contig").write(&d).unwrap();
        r.new_dataset("chunked_explicit")
            .chunks(&[3, 4])
            .write(&d)
            .unwrap();
        r.new_dataset("chunked_guess")
            .storage(Storage::Chunked)
            .write(&d)
            .unwrap();
        r.new_dataset("single_chunk")
            .chunks(&[10, 7])
            .write(&d)
            .unwrap();
        r.new_dataset("farray").chunks(&[1, 1]).write(&d).unwrap();
        r.new_dataset("farray_paged")
            .chunks(&[1, 1])
            .write(&arr(&[50, 41], iota(2050)))
            .unwrap();
        r.new_dataset("earray")
            .maxshape(&[None, Some(7)])
            .chunks(&[2, 7])
            .write(&d)
            .unwrap();
        r.new_dataset("btree2")
            .maxshape(&[None, None])
            .chunks(&[4, 4])
            .write(&d)
            .unwrap();
        r.new_dataset("fixed_max")
            .maxshape(&[Some(20), Some(9)])
            .write(&d)
            .unwrap();
        r.new_dataset("big_earray")
            .maxshape(&[None])
            .chunks(&[3])
            .write(&arr(&[5000], iota(5000)))
            .unwrap();
        r.new_dataset("big_btree2")
            .maxshape(&[None, None])
            .chunks(&[2, 2])
            .write(&arr(&[60, 50], iota(3000)))
            .unwrap();
        r.new_dataset("scalar")
            .write(&arr(&[], vec![42i16]))
            .unwrap();
        r.new_dataset("scalar_compact")
            .storage(Storage::Compact)
            .write(&arr(&[], vec![4.5f32]))
            .unwrap();
        r.new_dataset("zero")
            .write(&arr::<i64>(&[0], vec![]))
            .unwrap();
        r.new_dataset("zero_chunked")
            .maxshape(&[None, Some(3)])
            .write(&arr::<i64>(&[0, 3], vec![]))
            .unwrap();
        r.new_dataset("zero_2d")
            .write(&arr::<u8>(&[4, 0], vec![]))
            .unwrap();
        r.new_dataset("null")
            .dtype_of::<f64>()
            .empty()
            .create()
            .unwrap();
        r.new_dataset("unwritten")
            .dtype_of::<i32>()
            .shape(&[4, 4])
            .create()
            .unwrap();
        r.new_dataset("unwritten_chunked")
            .dtype_of::<i32>()
            .shape(&[4, 4])
            .chunks(&[2, 2])
            .create()
            .unwrap();
        r.new_dataset("track")
            .track_order(true)
            .write(&arr(&[2], vec![1u8, 2]))
            .unwrap();
        let t = f.dataset("track").unwrap();
        t.set_attr("z", 1).unwrap();
        t.set_attr("a", 2).unwrap();
        f.close().unwrap();
    }
    check(&p);
    // The chunk index chosen for each (libhdf5's choice for these shapes).
    let f = File::open(&p).unwrap();
    for (name, index) in [
        ("chunked_explicit", "fixed_array"),
        ("single_chunk", "single"),
        ("farray", "fixed_array"),
        ("farray_paged", "fixed_array"),
        ("earray", "extensible_array"),
        ("big_earray", "extensible_array"),
        ("btree2", "btree2"),
        ("big_btree2", "btree2"),
        ("unwritten_chunked", "fixed_array"),
    ] {
        assert_eq!(
            f.dataset(name).unwrap().chunk_index(),
            Some(index),
            "{name}"
        );
    }
    drop(f);
    let out = py(
        &p,
        "for n in ['compact','contig','chunked_explicit','chunked_guess','single_chunk','farray','earray','btree2','fixed_max','big_earray','big_btree2','scalar','scalar_compact','zero','zero_chunked','null','unwritten_chunked']:\n\
         \x20   d = f[n]\n\
         \x20   print(n, d.id.get_create_plist().get_layout(), d.chunks, d.maxshape)\n\
         print(list(f['track'].attrs.keys()))",
    );
    let expect = "compact 0 None (5,)\n\
        contig 1 None (10, 7)\n\
        chunked_explicit 2 (3, 4) (10, 7)\n\
        chunked_guess 2 (10, 7) (10, 7)\n\
        single_chunk 2 (10, 7) (10, 7)\n\
        farray 2 (1, 1) (10, 7)\n\
        earray 2 (2, 7) (None, 7)\n\
        btree2 2 (4, 4) (None, None)\n\
        fixed_max 2 (10, 9) (20, 9)\n\
        big_earray 2 (3,) (None,)\n\
        big_btree2 2 (2, 2) (None, None)\n\
        scalar 1 None ()\n\
        scalar_compact 0 None ()\n\
        zero 1 None (0,)\n\
        zero_chunked 2 (1024, 3) (None, 3)\n\
        null 1 None None\n\
        unwritten_chunked 2 (2, 2) (4, 4)\n\
        ['z', 'a']";
    let mut got: Vec<String> = out.lines().map(str::to_string).collect();
    // The guessed chunk shapes are h5py's guess; compare them with h5py's own.
    let guess = run_python(
        "import h5py, numpy as np, sys\n\
         from h5py._hl.filters import guess_chunk\n\
         print(guess_chunk((10, 7), None, 8), guess_chunk((10, 7), (20, 9), 8), guess_chunk((0, 3), (None, 3), 8))",
        &[],
    )
    .unwrap();
    let expected: Vec<String> = expect.lines().map(str::to_string).collect();
    // Replace the three guessed lines by h5py's guesses before comparing.
    let g: Vec<String> = guess
        .trim()
        .split(") (")
        .map(|s| s.trim_matches(|c| c == '(' || c == ')').to_string())
        .collect();
    for line in got.iter_mut() {
        for (name, gi) in [
            ("chunked_guess", 0usize),
            ("fixed_max", 1),
            ("zero_chunked", 2),
        ] {
            if line.starts_with(&format!("{name} ")) {
                let want = format!("({})", g[gi]);
                assert!(line.contains(&want), "{line}: h5py guesses {want}");
            }
        }
    }
    for (a, b) in got.iter().zip(&expected) {
        let name = b.split(' ').next().unwrap();
        if ["chunked_guess", "fixed_max", "zero_chunked"].contains(&name) {
            continue;
        }
        assert_eq!(a, b);
    }
    assert_eq!(got.len(), expected.len());
}

#[test]
fn dataset_dtypes_and_strings() {
    let p = tmp("dtypes");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        r.write_dataset("i8", &arr(&[3], vec![-128i8, 0, 127]))
            .unwrap();
        r.write_dataset("i16", &arr(&[2], vec![i16::MIN, i16::MAX]))
            .unwrap();
        r.write_dataset("i32", &arr(&[2], vec![i32::MIN, i32::MAX]))
            .unwrap();
        r.write_dataset("i64", &arr(&[2], vec![i64::MIN, i64::MAX]))
            .unwrap();
        r.write_dataset("u8", &arr(&[2], vec![0u8, 255])).unwrap();
        r.write_dataset("u16", &arr(&[2], vec![0u16, 65535]))
            .unwrap();
        r.write_dataset("u32", &arr(&[2], vec![0u32, u32::MAX]))
            .unwrap();
        r.write_dataset("u64", &arr(&[2], vec![0u64, u64::MAX]))
            .unwrap();
        r.write_dataset("f32", &arr(&[3], vec![f32::NAN, -0.0, 1e30]))
            .unwrap();
        r.write_dataset("f64", &arr(&[3], vec![f64::NEG_INFINITY, 5e-324, 1.0]))
            .unwrap();
        r.new_dataset("f16")
            .dtype(Datatype::float(2).unwrap())
            .chunks(&[2])
            .write(&arr(&[3], vec![0.5f64, -2.0, 1024.0]))
            .unwrap();
        r.write_dataset("bool", &arr(&[2, 2], vec![true, false, false, true]))
            .unwrap();
        r.write_dataset(
            "c64",
            &arr(
                &[2],
                vec![Complex::new(1.0f32, 2.0), Complex::new(-1.0, 0.5)],
            ),
        )
        .unwrap();
        r.new_dataset("c128")
            .chunks(&[1])
            .deflate(4)
            .write(&arr(
                &[2],
                vec![Complex::new(1.0f64, 2.0), Complex::new(3.0, 4.0)],
            ))
            .unwrap();
        // Conversions: ints written into a float16/uint8 dataset.
        r.new_dataset("conv")
            .dtype_of::<u8>()
            .write(&arr(&[3], vec![-5i64, 100, 1000]))
            .unwrap();
        r.new_dataset("strings")
            .write_strings(
                &[4],
                &["a".into(), "".into(), "ção ✓".into(), "x".repeat(300)],
            )
            .unwrap();
        r.new_dataset("strings2d_chunked")
            .chunks(&[1, 2])
            .write_strings(&[2, 2], &["a".into(), "b".into(), "c".into(), "d".into()])
            .unwrap();
        r.new_dataset("str_scalar")
            .write_strings(&[], &["only".into()])
            .unwrap();
        r.new_dataset("str_zero").write_strings(&[0], &[]).unwrap();
        let fixed = r
            .new_dataset("fixed")
            .dtype(Datatype::fixed_string(
                5,
                jangada_hdf5::StringPadding::NullPad,
                jangada_hdf5::CharacterSet::Ascii,
            ))
            .shape(&[3])
            .create()
            .unwrap();
        fixed
            .write_strings(Selection::all(), &["ab".into(), "abcde".into(), "".into()])
            .unwrap();
        f.close().unwrap();
    }
    let d = check(&p);
    assert_eq!(d["members"]["conv"]["data"], json!([0, 100, 255]));
    assert_eq!(d["members"]["f16"]["dtype"], json!("<f2"));
    assert_eq!(d["members"]["strings"]["data"][2], json!("ção ✓"));
    let out = py(
        &p,
        "print(f['fixed'][()].tolist(), f['str_zero'].shape, f['strings'].dtype)",
    );
    assert_eq!(out, "[b'ab', b'abcde', b''] (0,) object");
}

#[test]
fn native_complex_skips_h5dump() {
    let p = tmp("native_complex");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        r.new_dataset("c")
            .dtype(Datatype::native_complex(8).unwrap())
            .write(&arr(
                &[2],
                vec![Complex::new(1.0f64, -1.0), Complex::new(0.0, 2.0)],
            ))
            .unwrap();
        f.close().unwrap();
    }
    let d = check_with(&p, false);
    assert_eq!(d["members"]["c"]["data"], json!([[1.0, -1.0], [0.0, 2.0]]));
}

#[test]
fn filters_and_fill_values() {
    let p = tmp("filters");
    let data = arr(&[50, 30], (0..1500).map(|i: i32| i % 97).collect());
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        for level in [0u32, 1, 9] {
            r.new_dataset(&format!("deflate{level}"))
                .chunks(&[16, 16])
                .deflate(level)
                .write(&data)
                .unwrap();
        }
        r.new_dataset("shuffle").shuffle().write(&data).unwrap();
        r.new_dataset("fletcher").fletcher32().write(&data).unwrap();
        r.new_dataset("all3")
            .fletcher32()
            .deflate(6)
            .shuffle()
            .chunks(&[7, 9])
            .write(&data)
            .unwrap();
        r.new_dataset("all3_earray")
            .fletcher32()
            .deflate(6)
            .shuffle()
            .maxshape(&[None, Some(30)])
            .chunks(&[7, 9])
            .write(&data)
            .unwrap();
        r.new_dataset("all3_btree2")
            .fletcher32()
            .deflate(6)
            .shuffle()
            .maxshape(&[None, None])
            .chunks(&[7, 9])
            .write(&data)
            .unwrap();
        r.new_dataset("single_filtered")
            .deflate(1)
            .chunks(&[50, 30])
            .write(&data)
            .unwrap();
        r.new_dataset("fill_contig")
            .dtype_of::<f64>()
            .fill_value(-1.5f64)
            .unwrap()
            .shape(&[5])
            .create()
            .unwrap();
        let fc = r
            .new_dataset("fill_chunked")
            .dtype_of::<i16>()
            .fill_value(-7i16)
            .unwrap()
            .shape(&[10, 10])
            .chunks(&[3, 3])
            .deflate(1)
            .create()
            .unwrap();
        fc.write_slice(
            Selection::new([SliceArg::range(0, 2), SliceArg::range(0, 2)]),
            &arr(&[2, 2], vec![1i16, 2, 3, 4]),
        )
        .unwrap();
        r.new_dataset("fill_nan")
            .dtype_of::<f32>()
            .fill_value(f32::NAN)
            .unwrap()
            .shape(&[3])
            .maxshape(&[None])
            .create()
            .unwrap();
        f.close().unwrap();
    }
    let d = check(&p);
    assert_eq!(
        d["members"]["fill_contig"]["data"],
        json!([-1.5, -1.5, -1.5, -1.5, -1.5])
    );
    assert_eq!(d["members"]["fill_chunked"]["data"][99], json!(-7));
    assert_eq!(d["members"]["fill_chunked"]["data"][11], json!(4));
    let out = py(
        &p,
        "for n in ['deflate0','deflate1','deflate9','shuffle','fletcher','all3','all3_earray','all3_btree2','single_filtered']:\n\
         \x20   d = f[n]\n\
         \x20   print(n, d.compression, d.compression_opts, d.shuffle, d.fletcher32)\n\
         print(f['fill_contig'].fillvalue, f['fill_chunked'].fillvalue, f['fill_nan'].fillvalue)",
    );
    assert_eq!(
        out,
        "deflate0 gzip 0 False False\n\
         deflate1 gzip 1 False False\n\
         deflate9 gzip 9 False False\n\
         shuffle None None True False\n\
         fletcher None None False True\n\
         all3 gzip 6 True True\n\
         all3_earray gzip 6 True True\n\
         all3_btree2 gzip 6 True True\n\
         single_filtered gzip 1 False False\n\
         -1.5 -7 nan"
    );
}

#[test]
fn write_slice_resize_append() {
    let p = tmp("slices");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        for (name, chunked) in [("contig", false), ("chunked", true)] {
            let b = r.new_dataset(name).dtype_of::<i32>().shape(&[6, 8]);
            let b = if chunked { b.chunks(&[4, 3]) } else { b };
            let ds = b.create().unwrap();
            // Every other row, columns 1, 4, 7.
            ds.write_slice(
                Selection::new([SliceArg::stepped(0, 6, 2), SliceArg::stepped(1, 8, 3)]),
                &arr(&[3, 3], (1..=9).collect()),
            )
            .unwrap();
            // One row by index (a dropped axis), negative positions.
            ds.write_slice(
                Selection::new([SliceArg::Index(-1), SliceArg::range(-3, 8)]),
                &arr(&[3], vec![-1, -2, -3]),
            )
            .unwrap();
            // A broadcast scalar.
            ds.write_slice(
                Selection::new([SliceArg::range(1, 2), SliceArg::range(0, 2)]),
                &arr(&[], vec![99]),
            )
            .unwrap();
        }
        let d3 = r
            .new_dataset("cube")
            .dtype_of::<u16>()
            .shape(&[4, 5, 6])
            .chunks(&[2, 2, 2])
            .create()
            .unwrap();
        d3.write_slice(
            Selection::new([
                SliceArg::stepped(1, 4, 2),
                SliceArg::Index(2),
                SliceArg::stepped(0, 6, 5),
            ]),
            &arr(&[2, 2], vec![1u16, 2, 3, 4]),
        )
        .unwrap();
        // Resize: grow, write, shrink, grow again -> shrunk-away values read back as fill.
        let rs = r
            .new_dataset("resized")
            .dtype_of::<i64>()
            .shape(&[4, 4])
            .maxshape(&[None, Some(10)])
            .chunks(&[2, 3])
            .fill_value(-9i64)
            .unwrap()
            .create()
            .unwrap();
        rs.write(&arr(&[4, 4], (0..16).collect())).unwrap();
        rs.resize(&[8, 10]).unwrap();
        rs.write(&arr(&[8, 10], (100..180).collect())).unwrap();
        rs.resize(&[3, 2]).unwrap();
        rs.resize(&[6, 6]).unwrap();
        let bt = r
            .new_dataset("resized_btree2")
            .dtype_of::<f32>()
            .shape(&[5, 5])
            .maxshape(&[None, None])
            .chunks(&[2, 2])
            .create()
            .unwrap();
        bt.write(&arr(&[5, 5], (0..25).map(|i| i as f32).collect()))
            .unwrap();
        bt.resize(&[1, 3]).unwrap();
        bt.resize(&[7, 4]).unwrap();
        let fixed = r
            .new_dataset("resized_fixed_max")
            .dtype_of::<u8>()
            .shape(&[3])
            .maxshape(&[Some(10)])
            .create()
            .unwrap();
        fixed.write(&arr(&[3], vec![1u8, 2, 3])).unwrap();
        fixed.resize(&[10]).unwrap();
        fixed.resize(&[1]).unwrap();
        fixed.resize(&[5]).unwrap();
        // Append many times (1-D and 2-D, filtered).
        let ap = r
            .new_dataset("appended")
            .dtype_of::<f64>()
            .shape(&[0])
            .maxshape(&[None])
            .chunks(&[10])
            .create()
            .unwrap();
        for i in 0..300 {
            ap.append(&arr(&[3], vec![i as f64, i as f64 + 0.25, i as f64 + 0.5]))
                .unwrap();
        }
        let ap2 = r
            .new_dataset("appended2d")
            .dtype_of::<i32>()
            .shape(&[0, 3])
            .maxshape(&[None, Some(3)])
            .deflate(5)
            .shuffle()
            .create()
            .unwrap();
        for i in 0..50 {
            ap2.append(&arr(&[2, 3], (i * 6..i * 6 + 6).collect()))
                .unwrap();
        }
        let aps = r
            .new_dataset("appended_str")
            .dtype(Datatype::vlen_utf8())
            .shape(&[0])
            .maxshape(&[None])
            .chunks(&[4])
            .create()
            .unwrap();
        for i in 0..10 {
            aps.resize(&[i + 1]).unwrap();
            aps.write_strings(
                Selection::new([SliceArg::range(i as i64, i as i64 + 1)]),
                &[format!("s{i}")],
            )
            .unwrap();
        }
        f.close().unwrap();
    }
    let d = check(&p);
    let contig = &d["members"]["contig"]["data"];
    assert_eq!(d["members"]["chunked"]["data"], *contig);
    assert_eq!(contig[1], json!(1)); // (0,1)
    assert_eq!(contig[8], json!(99)); // (1,0)
    assert_eq!(contig[2 * 8 + 4], json!(5));
    assert_eq!(contig[5 * 8 + 7], json!(-3));
    let rs = d["members"]["resized"]["data"].as_array().unwrap();
    assert_eq!(rs.len(), 36);
    assert_eq!(rs[0], json!(100));
    assert_eq!(rs[1], json!(101));
    assert_eq!(rs[2], json!(-9)); // (0,2) was shrunk away
    assert_eq!(rs[6 + 1], json!(111));
    assert_eq!(rs[3 * 6], json!(-9));
    let bt = d["members"]["resized_btree2"]["data"].as_array().unwrap();
    assert_eq!(bt[..4], [json!(0.0), json!(1.0), json!(2.0), json!(0.0)]);
    assert_eq!(bt[4], json!(0.0));
    assert_eq!(
        d["members"]["resized_fixed_max"]["data"],
        json!([1, 0, 0, 0, 0])
    );
    assert_eq!(
        d["members"]["appended"]["data"].as_array().unwrap().len(),
        900
    );
    assert_eq!(d["members"]["appended"]["data"][899], json!(299.5));
    assert_eq!(d["members"]["appended2d"]["shape"], json!([100, 3]));
    assert_eq!(d["members"]["appended2d"]["data"][299], json!(299));
    assert_eq!(d["members"]["appended_str"]["data"][9], json!("s9"));
    let out = py(
        &p,
        "print(f['resized'].shape, f['resized'].maxshape, f['appended'].maxshape, f['appended2d'].chunks is not None)",
    );
    assert_eq!(out, "(6, 6) (None, 10) (None,) True");
}

#[test]
fn reopen_our_files_and_append() {
    let p = tmp("reopen");
    {
        let f = File::create(&p).unwrap();
        let r = f.root().unwrap();
        r.new_dataset("log")
            .dtype_of::<i32>()
            .shape(&[0])
            .maxshape(&[None])
            .chunks(&[4])
            .create()
            .unwrap();
        r.create_group("g").unwrap();
        r.set_attr("v", 1).unwrap();
        f.close().unwrap();
    }
    for round in 0..5 {
        let f = File::open_rw(&p).unwrap();
        let log = f.dataset("log").unwrap();
        log.append(&arr(&[3], vec![round, round * 10, round * 100]))
            .unwrap();
        let g = f.group("g").unwrap();
        for i in 0..4 {
            g.create_group(&format!("r{round}_{i}")).unwrap();
            g.set_attr(&format!("a{round}_{i}"), round * 4 + i).unwrap();
        }
        f.root().unwrap().set_attr("v", round + 2).unwrap();
        // Every handle keeps the file open (and write-locked): close them all first.
        drop((log, g));
        f.close().unwrap();
        check(&p);
    }
    let d = check(&p);
    assert_eq!(d["attrs"]["v"]["data"], json!([6]));
    assert_eq!(d["members"]["log"]["shape"], json!([15]));
    assert_eq!(d["members"]["log"]["data"][14], json!(400));
    assert_eq!(d["members"]["g"]["members"].as_object().unwrap().len(), 20);
    assert_eq!(d["members"]["g"]["attrs"]["a4_3"]["data"], json!([19]));
    // Mode::Append on an existing file opens it for writing.
    {
        let f = File::open_with(&p, jangada_hdf5::Mode::Append).unwrap();
        f.root().unwrap().create_group("appended_mode").unwrap();
        f.close().unwrap();
    }
    assert!(check(&p)["members"]["appended_mode"].is_object());
}

// ------------------------------------------------------------------ modifying h5py's files

/// Copy a fixture to the temp dir.
fn copy_fixture(name: &str) -> PathBuf {
    let p = tmp(name.trim_end_matches(".h5"));
    std::fs::copy(fixtures_dir().join(name), &p).unwrap();
    p
}

/// h5dump 1.10 reads the file after our edits if it could read it before.
fn check_modified(orig: &Path, p: &Path) -> Value {
    let could = h5dump_ok(orig).is_ok();
    check_with(p, could)
}

#[test]
fn modify_libver_fixtures() {
    for lv in ["earliest", "v108", "v110", "latest"] {
        let name = format!("libver_{lv}.h5");
        let p = copy_fixture(&name);
        let before = dump_file(&p).unwrap();
        {
            let f = File::open_rw(&p).unwrap();
            let r = f.root().unwrap();
            r.set_attr("new_attr", "added by jangada").unwrap();
            let g = r.create_group("new_group").unwrap();
            for i in 0..30 {
                g.set_attr(&format!("many{i:02}"), i).unwrap();
            }
            for i in 0..12 {
                r.create_group(&format!("new_member_{i}")).unwrap();
            }
            r.write_dataset("new_ds", &arr(&[2, 2], vec![1.0f64, 2.0, 3.0, 4.0]))
                .unwrap();
            // Members of each existing group get new members and attributes too.
            for (name, link) in before["members"].as_object().unwrap() {
                if link["kind"] == "group" {
                    let sub = f.group(name).unwrap();
                    sub.create_group("added").unwrap();
                    sub.set_attr("added_attr", 3u8).unwrap();
                }
                if link["kind"] == "dataset" {
                    // A few attributes on every dataset, many (past compact) on some.
                    let ds = f.dataset(name).unwrap();
                    let n = if name.len() % 2 == 0 { 12 } else { 2 };
                    for i in 0..n {
                        ds.set_attr(&format!("ds_attr{i:02}"), i as i16).unwrap();
                    }
                }
            }
            f.close().unwrap();
        }
        let after = check_modified(&fixtures_dir().join(&name), &p);
        assert_eq!(
            after["attrs"]["new_attr"]["data"],
            json!(["added by jangada"])
        );
        assert_eq!(
            after["members"]["new_group"]["attrs"]["many29"]["data"],
            json!([29])
        );
        assert!(after["members"]["new_member_11"].is_object());
        // Everything that was there is still there.
        for (k, v) in before["members"].as_object().unwrap() {
            if v["kind"] == "dataset" {
                let a = &after["members"][k];
                assert_eq!(a["data"], v["data"], "{name}: {k}");
                let n = if k.len() % 2 == 0 { 12 } else { 2 };
                assert_eq!(
                    a["attrs"].as_object().unwrap().len(),
                    v["attrs"].as_object().unwrap().len() + n,
                    "{name}: {k}"
                );
                assert_eq!(
                    a["attrs"][format!("ds_attr{:02}", n - 1)]["data"],
                    json!([n - 1])
                );
            }
        }
    }
}

#[test]
fn modify_resizable_datasets_in_fixtures() {
    // Append to every resizable dataset (unlimited axis 0) of h5py's files.
    for name in [
        "libver_earliest.h5",
        "libver_v108.h5",
        "libver_v110.h5",
        "libver_latest.h5",
        "layout_chunked_btree1.h5",
        "layout_chunked_btree1_v108.h5",
        "layout_chunked_earray.h5",
        "layout_chunked_btree2.h5",
        "layout_chunked_v110.h5",
        "jangada_appended.h5",
    ] {
        let p = copy_fixture(name);
        let before = dump_file(&p).unwrap();
        let mut appended = Vec::new();
        {
            let f = File::open_rw(&p).unwrap();
            let mut stack = vec![f.root().unwrap()];
            let mut datasets = Vec::new();
            while let Some(g) = stack.pop() {
                for link in g.links().unwrap() {
                    if !matches!(link.target, jangada_hdf5::LinkTarget::Hard(_)) {
                        continue;
                    }
                    match g.get(&link.name).unwrap() {
                        jangada_hdf5::Node::Group(s) => stack.push(s),
                        jangada_hdf5::Node::Dataset(d) => datasets.push(d),
                        _ => {}
                    }
                }
            }
            for ds in datasets {
                let max = ds.maxshape();
                if max.first() != Some(&None) {
                    continue;
                }
                let numeric = matches!(
                    ds.dtype().class,
                    jangada_hdf5::TypeClass::Integer { .. } | jangada_hdf5::TypeClass::Float { .. }
                );
                if !numeric {
                    continue;
                }
                let mut shape: Vec<usize> = ds.shape().iter().map(|&d| d as usize).collect();
                shape[0] = 3;
                let n: usize = shape.iter().product();
                ds.append(&arr(&shape, (0..n).map(|i| i as f64 + 0.5).collect()))
                    .unwrap();
                appended.push(ds.path().to_string());
            }
            f.close().unwrap();
        }
        assert!(!appended.is_empty(), "{name}: no resizable numeric dataset");
        let after = check_modified(&fixtures_dir().join(name), &p);
        for path in &appended {
            let (mut old, mut new) = (&before, &after);
            for part in path.trim_start_matches('/').split('/') {
                old = &old["members"][part];
                new = &new["members"][part];
            }
            assert!(new["kind"] == "dataset", "{name}: {path}");
            // Three more rows; the old data is the unchanged prefix.
            let rows = |v: &Value| v["shape"][0].as_u64().unwrap();
            assert_eq!(rows(new), rows(old) + 3, "{name}: {path}");
            let (o, n) = (
                old["data"].as_array().unwrap(),
                new["data"].as_array().unwrap(),
            );
            assert_eq!(n[..o.len()], o[..], "{name}: {path}");
            let row: usize = new["shape"].as_array().unwrap()[1..]
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .product();
            assert_eq!(n.len(), o.len() + 3 * row, "{name}: {path}");
            if new["dtype"].as_str().unwrap().contains('f') && row > 0 {
                assert_eq!(
                    n[n.len() - 1],
                    json!((3 * row - 1) as f64 + 0.5),
                    "{name}: {path}"
                );
            }
        }
    }
}

#[test]
fn modify_group_kinds_in_fixtures() {
    for (name, group) in [
        ("groups_symbol_table_1000.h5", "/"),
        ("groups_compact_dense.h5", "/"),
        ("groups_dense_1000.h5", "/"),
        ("groups_track_order.h5", "/"),
        ("groups_track_order_earliest.h5", "/"),
        ("attrs_dense_1000.h5", "/"),
        ("attrs_track_order.h5", "/"),
        ("links_earliest.h5", "/"),
        ("links_latest.h5", "/"),
    ] {
        let p = copy_fixture(name);
        let before = dump_file(&p).unwrap();
        {
            let f = File::open_rw(&p).unwrap();
            let root = f.group(group).unwrap();
            let mut groups = vec![root.clone()];
            for (k, v) in before["members"].as_object().unwrap() {
                if v["kind"] == "group" {
                    groups.push(f.group(k).unwrap());
                }
            }
            for (gi, g) in groups.iter().enumerate().take(40) {
                // A few members to compact groups, enough to turn them dense.
                for i in 0..10 {
                    g.create_group(&format!("jg{gi}_{i}")).unwrap();
                }
                for i in 0..10 {
                    g.set_attr(&format!("ja{i}"), i as f32).unwrap();
                }
            }
            f.close().unwrap();
        }
        let after = check_modified(&fixtures_dir().join(name), &p);
        assert!(after["members"]["jg0_9"].is_object(), "{name}");
        assert_eq!(after["attrs"]["ja9"]["data"], json!([9.0]), "{name}");
        let n_before = before["members"].as_object().unwrap().len();
        let n_after = after["members"].as_object().unwrap().len();
        assert_eq!(n_after, n_before + 10, "{name}");
    }
}

#[test]
fn modify_unusual_superblocks() {
    // 4-byte offsets/lengths, superblock v1 with non-default K, user blocks (base address),
    // big-endian data.
    for name in [
        "sizes_4byte_earliest.h5",
        "sizes_4byte_latest.h5",
        "superblock_v1.h5",
        "endian_big.h5",
    ] {
        let p = copy_fixture(name);
        let before = dump_file(&p).unwrap();
        {
            let f = File::open_rw(&p).unwrap();
            let r = f.root().unwrap();
            r.set_attr("added", "yes").unwrap();
            for i in 0..10 {
                r.create_group(&format!("added_{i}")).unwrap();
            }
            r.write_dataset("added_ds", &arr(&[3], vec![1i32, 2, 3]))
                .unwrap();
            f.close().unwrap();
        }
        let after = check_modified(&fixtures_dir().join(name), &p);
        assert_eq!(after["attrs"]["added"]["data"], json!(["yes"]), "{name}");
        assert_eq!(
            after["members"]["added_ds"]["data"],
            json!([1, 2, 3]),
            "{name}"
        );
        for (k, v) in before["members"].as_object().unwrap() {
            assert_eq!(after["members"][k], *v, "{name}: {k}");
        }
    }
}

#[test]
fn strings_in_a_4byte_offsets_file() {
    let p = copy_fixture("sizes_4byte_latest.h5");
    {
        let f = File::open_rw(&p).unwrap();
        let r = f.root().unwrap();
        r.set_attr("s", "four-byte offsets").unwrap();
        r.set_attr("ss", &["a", "bc"][..]).unwrap();
        r.new_dataset("strs")
            .write_strings(&[2], &["x".into(), "yz".into()])
            .unwrap();
        r.new_dataset("strs_chunked")
            .chunks(&[1])
            .write_strings(&[3], &["x".into(), "".into(), "ção".into()])
            .unwrap();
        f.close().unwrap();
    }
    let d = check_with(&p, false);
    assert_eq!(d["attrs"]["ss"]["data"], json!(["a", "bc"]));
    assert_eq!(
        d["members"]["strs_chunked"]["data"],
        json!(["x", "", "ção"])
    );
}

#[test]

fn modify_userblock_files() {
    for name in ["userblock_512.h5", "userblock_1024.h5"] {
        let p = copy_fixture(name);
        {
            let f = File::open_rw(&p).unwrap();
            let r = f.root().unwrap();
            for i in 0..10 {
                r.create_group(&format!("added_{i}")).unwrap();
            }
            r.set_attr("added", "yes").unwrap();
            r.write_dataset("added_ds", &arr(&[2], vec![1.5f64, 2.5]))
                .unwrap();
            f.close().unwrap();
        }
        let after = check_modified(&fixtures_dir().join(name), &p);
        assert!(after["members"]["added_9"].is_object(), "{name}");
        assert_eq!(after["attrs"]["added"]["data"], json!(["yes"]), "{name}");
        assert_eq!(
            after["members"]["added_ds"]["data"],
            json!([1.5, 2.5]),
            "{name}"
        );
        // libhdf5 stores the absolute end of file: base + relative end.
        let len = std::fs::metadata(&p).unwrap().len();
        let out = py(&p, "print(f.id.get_filesize(), f.userblock_size)");
        assert_eq!(out.split(' ').next().unwrap(), len.to_string(), "{name}");
    }
}
