//! Interop with the real Python jangada 0.1.9 (repository venv), both directions, through
//! value JSON (`tests/interop/jangada_json.py` is the Python side): files written by Rust
//! load in jangada to the same value, files written by jangada load in Rust to the same
//! value, both sides lay the same value out identically (`dump --json` of the two files is
//! equal), and `jangada show --json` on every jangada fixture equals jangada's view.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "persist_values.rs"]
mod values;

use std::path::{Path, PathBuf};

use jangada::cli::dump::dump_file;
use jangada::cli::show::{show_file, value_to_json};
use jangada::cli::write::value_from_json;
use jangada::{save_value, ArrayValue, Object, SaveOptions, Value};
use ndarray::{ArrayD, IxDyn};
use serde_json::Value as Json;

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("pcore-interop");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn converter() -> PathBuf {
    common::repo_root()
        .join("tests")
        .join("interop")
        .join("jangada_json.py")
}

fn python(args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(common::venv_python())
        .arg(converter())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "jangada_json.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// jangada's view of a file, as value JSON.
fn jangada_load(path: &Path) -> Json {
    serde_json::from_str(&python(&["load".as_ref(), path.as_os_str()])).unwrap()
}

/// Make jangada write `doc` to `path`.
fn jangada_write(doc: &Json, path: &Path) {
    let input = path.with_extension("json");
    std::fs::write(&input, serde_json::to_string(doc).unwrap()).unwrap();
    python(&["write".as_ref(), input.as_os_str(), path.as_os_str()]);
}

fn exact() -> SaveOptions {
    SaveOptions {
        use_default_extension: false,
        ..SaveOptions::default()
    }
}

fn assert_same(ours: &Json, theirs: &Json, what: &str) {
    if let Some(d) = common::json_diff("", ours, theirs) {
        panic!("{what}: {d}");
    }
}

/// What jangada itself can save: no string arrays (h5py has no mapping for numpy `U`/`O`
/// arrays) and no NaT Timestamp (pandas' NaT is not a Timestamp instance).
fn python_saveable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        if let Some(Value::Dict(a)) = o.props.get_mut("arrays") {
            a.remove("str");
        }
        if let Some(Value::Dict(t)) = o.props.get_mut("times") {
            t.remove("naive_nat");
        }
    }
    v
}

#[test]
fn rust_files_load_in_jangada() {
    let v = values::everything();
    let path = scratch("rust_everything.hdf5");
    save_value(&path, &v, &exact()).unwrap();
    assert_same(&value_to_json(&v), &jangada_load(&path), "Rust -> jangada");
}

#[test]
fn compressed_rust_files_load_in_jangada() {
    // Every array compressed (Zstandard after a shuffle), some fields with their own
    // pipelines: jangada (h5py with hdf5plugin loaded) reads the same values.
    let v = values::everything();
    let mut opts = exact();
    opts.compression = Some("shuffle,zstd:3".parse().unwrap());
    for (field, spec) in [
        ("/root/arrays/f8", "bitshuffle:lz4"),
        ("/root/arrays/i4", "shuffle,bzip2:9,fletcher32"),
        ("/root/arrays/u4", "lzf"),
    ] {
        opts.fields.insert(
            field.to_string(),
            jangada::ArrayStorage {
                compression: Some(spec.parse().unwrap()),
                chunks: None,
            },
        );
    }
    let path = scratch("rust_compressed.hdf5");
    save_value(&path, &v, &opts).unwrap();
    let f = jangada_hdf5::File::open(&path).unwrap();
    let ids = |p: &str| -> Vec<u16> {
        f.dataset(p)
            .unwrap()
            .filters()
            .iter()
            .map(|x| x.id)
            .collect()
    };
    assert_eq!(ids("/root/arrays/f8"), [32008]);
    assert_eq!(ids("/root/arrays/i4"), [2, 307, 3]);
    assert_eq!(ids("/root/arrays/u4"), [32000]);
    assert_eq!(ids("/root/arrays/u2"), [2, 32015]);
    assert_same(
        &value_to_json(&v),
        &jangada_load(&path),
        "compressed Rust -> jangada",
    );
}

#[test]
fn jangada_files_load_in_rust_with_the_same_layout() {
    let v = python_saveable(&values::everything());
    let doc = value_to_json(&v);
    let py = scratch("py_everything.hdf5");
    jangada_write(&doc, &py);
    assert_same(&show_file(&py).unwrap(), &doc, "jangada -> Rust");
    // Same value written by Rust: the same HDF5 tree (types, shapes, maxshapes, chunks,
    // attributes), member for member.
    let rs = scratch("rs_everything.hdf5");
    save_value(&rs, &v, &exact()).unwrap();
    let mut ours = dump_file(&rs).unwrap();
    let mut theirs = dump_file(&py).unwrap();
    // Path values are made absolute by both sides; identical here (absolute already).
    assert_same(&ours, &theirs, "layout (Rust vs jangada)");
    // And h5py reads our file as jangada's (the reference dump).
    ours = dump_file(&rs).unwrap();
    theirs = common::h5py_dump(&rs);
    assert_same(&ours, &theirs, "h5py view of the Rust file");
    // libhdf5 1.10's h5dump reads all of it, data included.
    common::h5dump_ok(&rs).unwrap();
}

#[test]
fn a_16_mb_array_both_ways() {
    let n = 16 * 1024 * 1024 / 8;
    let a = ArrayD::from_shape_fn(IxDyn(&[n / 4, 4]), |i| (i[0] * 4 + i[1]) as i64 - 1_000_000);
    let v = Value::Object(Object {
        class: "m.Big".into(),
        props: [("data".to_string(), Value::Array(ArrayValue::I64(a)))].into(),
    });
    let rs = scratch("rust_big.hdf5");
    save_value(&rs, &v, &exact()).unwrap();
    let doc = value_to_json(&v);
    assert_same(&doc, &jangada_load(&rs), "16 MB Rust -> jangada");
    let py = scratch("py_big.hdf5");
    jangada_write(&doc, &py);
    assert_eq!(jangada::load(&py).unwrap(), v);
    for p in [rs, py.clone(), py.with_extension("json")] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn jangada_show_matches_jangada_on_every_fixture() {
    let fixtures: Vec<PathBuf> = common::fixture_files()
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("jangada_"))
        })
        .collect();
    assert_eq!(fixtures.len(), 3);
    for f in fixtures {
        assert_same(
            &show_file(&f).unwrap(),
            &jangada_load(&f),
            &f.display().to_string(),
        );
        // And value JSON parses back to the value.
        let v = jangada::load(&f).unwrap();
        assert_eq!(value_from_json(&value_to_json(&v)).unwrap(), v);
    }
}

#[test]
fn jangada_sorts_lists_as_strings_we_do_not() {
    // The converter's --jangada-list-order shows jangada's own (buggy) order.
    let f = common::fixtures_dir().join("jangada_containers.h5");
    let raw: Json = serde_json::from_str(&python(&[
        "load".as_ref(),
        f.as_os_str(),
        "--jangada-list-order".as_ref(),
    ]))
    .unwrap();
    let theirs = &raw["$props"]["list_of_numbers_11"];
    let ours = &show_file(&f).unwrap()["$props"]["list_of_numbers_11"];
    assert_eq!(
        theirs[2],
        serde_json::json!(15.0),
        "jangada puts item 10 third"
    );
    assert_eq!(ours[2], serde_json::json!(3.0));
    assert_eq!(ours[10], serde_json::json!(15.0));
}

#[test]
fn wall_clock_folds_written_by_jangada_load_as_the_earlier_instant() {
    // 2024-10-27T01:30Z = 02:30 CET, the second 02:30 of that night in Paris. jangada stores
    // the wall clock only; jangada itself cannot load it back (tz_localize raises
    // AmbiguousTimeError); we take the earlier instant, 00:30Z (02:30 CEST).
    let s = values::S;
    let second = 1_729_992_600 * s;
    let doc = serde_json::json!({"$class": "m.Fold", "$props": {
        "t": {"$timestamp": {"ns": second, "tz": "Europe/Paris"}},
        "i": {"$datetimeindex": {"ns": [second - 7200 * s, second], "tz": "Europe/Paris"}},
    }});
    let py = scratch("py_fold.hdf5");
    jangada_write(&doc, &py);
    let shown = show_file(&py).unwrap();
    assert_eq!(
        shown["$props"]["t"]["$timestamp"]["ns"],
        serde_json::json!(second - 3600 * s)
    );
    assert_eq!(
        shown["$props"]["i"]["$datetimeindex"]["ns"],
        serde_json::json!([second - 7200 * s, second - 3600 * s])
    );
}
