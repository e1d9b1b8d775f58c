//! jangada's mapping in Rust alone: Value -> file -> Value round trips for every type,
//! the HDF5 layout jangada uses, atomic saves, target paths, partial loads, typed errors
//! on bad files and bad values, and the value JSON of `jangada show`/`write`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jangada::cli::show::value_to_json;
use jangada::cli::write::value_from_json;
use jangada::file::target_path;
use jangada::hdf5::{File, Node};
use jangada::{
    load, load_props, save_value, ArrayValue, Compression, DatetimeIndex, Error, SaveOptions,
    Timestamp, Value, NAT,
};
use ndarray::{ArrayD, IxDyn};
use serde_json::json;

#[path = "persist_values.rs"]
mod values;
use values::{all_arrays, all_times, arr, everything, obj, S};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("pcore-mapping");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn exact() -> SaveOptions {
    SaveOptions {
        use_default_extension: false,
        ..SaveOptions::default()
    }
}

fn roundtrip(name: &str, value: &Value) -> Value {
    let path = scratch(name);
    save_value(&path, value, &exact()).unwrap();
    load(&path).unwrap()
}

/// NaN != NaN: compare through value JSON.
fn same(a: &Value, b: &Value) {
    assert_eq!(value_to_json(a), value_to_json(b));
}

#[test]
fn every_type_round_trips() {
    let v = everything();
    let back = roundtrip("everything.hdf5", &v);
    same(&back, &v);
    // Exact variants too (not only through JSON).
    let Value::Object(o) = &back else { panic!() };
    assert_eq!(o.props["big"], Value::UInt(u64::MAX));
    assert_eq!(o.props["int_min"], Value::Int(i64::MIN));
    assert_eq!(o.props["path"], Value::Path("/data/run/out.txt".into()));
    let Value::List(items) = &o.props["list_1000"] else {
        panic!()
    };
    assert_eq!(items.len(), 1000);
    assert_eq!(items[999], Value::Int(2997));
    assert_eq!(items[10], Value::Int(30));
}

#[test]
fn arrays_and_times_round_trip_exactly() {
    for (k, v) in all_arrays().into_iter().chain(all_times()) {
        let back = roundtrip(
            &format!("one_{k}.hdf5"),
            &obj("m.C", vec![("x", v.clone())]),
        );
        let Value::Object(o) = back else { panic!() };
        if k == "f4" {
            same(&o.props["x"], &v);
        } else {
            assert_eq!(o.props["x"], v, "{k}");
        }
    }
}

#[test]
fn a_16_mb_array_round_trips() {
    let n = 2 * 1024 * 1024;
    let a = ArrayD::from_shape_fn(IxDyn(&[n]), |i| i[0] as f64 * 0.5);
    let v = obj("m.Big", vec![("data", Value::Array(ArrayValue::F64(a)))]);
    assert_eq!(roundtrip("big.hdf5", &v), v);
    std::fs::remove_file(scratch("big.hdf5")).unwrap();
}

#[test]
fn layout_is_jangadas() {
    let path = scratch("layout.hdf5");
    let mut compressed = exact();
    save_value(&path, &everything(), &exact()).unwrap();
    let f = File::open(&path).unwrap();
    let root = f.group("/root").unwrap();
    assert_eq!(
        root.attr("__class__").unwrap().read_string().unwrap(),
        "jangada_classes.Everything"
    );
    assert_eq!(
        root.attr("__container_type__")
            .unwrap()
            .read_string()
            .unwrap(),
        "dict"
    );
    assert!(!root.tracks_creation_order());
    assert_eq!(
        root.attr("none").unwrap().read_string().unwrap(),
        "NoneType:None"
    );
    assert_eq!(
        root.attr("path").unwrap().read_string().unwrap(),
        "Path:/data/run/out.txt"
    );
    assert_eq!(
        jangada::hdf5::numpy_str(root.attr("big").unwrap().dtype()).as_deref(),
        Some("<u8")
    );
    assert_eq!(
        jangada::hdf5::numpy_str(root.attr("t").unwrap().dtype()).as_deref(),
        Some("|b1")
    );
    assert_eq!(
        jangada::hdf5::numpy_str(root.attr("cplx").unwrap().dtype()).as_deref(),
        Some("<c16")
    );
    let list = root.group("list_11").unwrap();
    assert!(list.tracks_creation_order());
    assert_eq!(
        list.attr("__container_type__")
            .unwrap()
            .read_string()
            .unwrap(),
        "list"
    );
    assert_eq!(list.attr("10").unwrap().read_scalar::<i64>().unwrap(), 30);
    let a = root.dataset("arrays/i4").unwrap();
    assert_eq!(a.maxshape(), vec![None, Some(3)]);
    assert_eq!(a.chunks(), Some(&[2u64, 3][..]));
    assert_eq!(
        a.attr("__dataset_type__").unwrap().read_string().unwrap(),
        "numpy.ndarray"
    );
    assert!(a.filters().is_empty());
    let z = root.dataset("arrays/f8_0d").unwrap();
    assert!(z.chunks().is_none());
    assert_eq!(z.maxshape(), Vec::<Option<u64>>::new());
    let t = root.dataset("times/paris_spring_at").unwrap();
    assert_eq!(
        t.attr("__dataset_type__").unwrap().read_string().unwrap(),
        "pandas.Timestamp"
    );
    assert_eq!(
        t.attr("timezone").unwrap().read_string().unwrap(),
        "Europe/Paris"
    );
    // Stored as wall clock: 03:00 CEST = instant + 2 h.
    assert_eq!(
        t.read_scalar::<i64>().unwrap(),
        1_711_846_800 * S + 7200 * S
    );
    let n = root.dataset("times/naive").unwrap();
    assert_eq!(
        n.attr("timezone").unwrap().read_string().unwrap(),
        "NoneType:None"
    );
    let i = root.dataset("times/index_paris").unwrap();
    assert_eq!(
        i.attr("__dataset_type__").unwrap().read_string().unwrap(),
        "pandas.DatetimeIndex"
    );
    assert_eq!(i.maxshape(), vec![None]);
    assert_eq!(i.read::<i64>().unwrap().as_slice().unwrap()[2], NAT);

    compressed.compression = Some(Compression::deflate(6, true));
    let cpath = scratch("compressed.hdf5");
    save_value(&cpath, &everything(), &compressed).unwrap();
    let f = File::open(&cpath).unwrap();
    let ids: Vec<u16> = f
        .dataset("/root/arrays/f8_3d")
        .unwrap()
        .filters()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(ids, vec![2, 1], "shuffle then deflate");
    same(&load(&cpath).unwrap(), &everything());
}

#[test]
fn bad_keys_are_rejected_before_writing() {
    // Keys of scalars are attribute names: only empty and reserved ones are refused. Keys
    // of groups and datasets are link names: no "/", not ".".
    let list = || Value::List(vec![Value::Int(1)]);
    let cases = [
        ("", Value::Int(1)),
        ("__container_type__", Value::Int(1)),
        ("__class__", Value::Int(1)),
        ("", list()),
        ("a/b", list()),
        (".", list()),
        ("a/b", Value::Array(ArrayValue::F64(arr(&[1], vec![1.0])))),
        ("x/", Value::Dict(BTreeMap::new())),
    ];
    for (key, value) in cases {
        let path = scratch("badkey.hdf5");
        let _ = std::fs::remove_file(&path);
        let v = obj(
            "m.C",
            vec![(
                "ok",
                Value::Dict(BTreeMap::from([(key.to_string(), value)])),
            )],
        );
        let e = save_value(&path, &v, &exact()).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{key:?}: {e}");
        assert!(
            e.to_string().contains(&format!("key {key:?} in root.ok")),
            "{e}"
        );
        assert!(!path.exists());
    }
    let e = save_value(&scratch("x.hdf5"), &obj("", vec![]), &exact()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot save: object root has an empty class name"
    );
    let tz = Value::Timestamp(Timestamp {
        ns: 0,
        tz: Some("Mars/Olympus".into()),
    });
    let e = save_value(&scratch("x.hdf5"), &obj("m.C", vec![("t", tz)]), &exact()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot save: unknown time zone \"Mars/Olympus\""),
        "{e}"
    );
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn a_failed_save_leaves_the_previous_file_intact() {
    let dir = scratch("atomic");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keep.hdf5");
    save_value(&path, &obj("m.C", vec![("x", Value::Int(1))]), &exact()).unwrap();
    let before = std::fs::read(&path).unwrap();
    // Deep inside: a list in a dict in a list in an object holds a bad dict key.
    let bad = obj(
        "m.C",
        vec![
            (
                "a",
                Value::Array(ArrayValue::F64(arr(&[1000], vec![1.0; 1000]))),
            ),
            (
                "z",
                Value::List(vec![Value::Dict(BTreeMap::from([(
                    "deep".to_string(),
                    Value::List(vec![Value::Dict(BTreeMap::from([(
                        "a/b".to_string(),
                        Value::List(Vec::new()),
                    )]))]),
                )]))]),
            ),
        ],
    );
    let e = save_value(&path, &bad, &exact()).unwrap_err();
    assert!(e.to_string().contains("root.z[0].deep[0]"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(temp_files(&dir).is_empty());
    // A failure inside the HDF5 writer (the target folder vanished): no temp file either.
    let gone = dir.join("missing_dir").join("f.hdf5");
    assert!(save_value(&gone, &obj("m.C", vec![]), &exact()).is_err());
    assert!(temp_files(&dir).is_empty());
    // overwrite = false.
    let e = save_value(
        &path,
        &obj("m.C", vec![]),
        &SaveOptions {
            overwrite: false,
            ..exact()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Exists(ref p) if p == &path), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // overwrite = true replaces it.
    save_value(&path, &obj("m.C", vec![("x", Value::Int(2))]), &exact()).unwrap();
    assert_eq!(load(&path).unwrap(), obj("m.C", vec![("x", Value::Int(2))]));
}

#[test]
fn target_path_mirrors_with_suffix() {
    let o = SaveOptions::default();
    let t = |p: &str| target_path(Path::new(p), &o).to_string_lossy().into_owned();
    assert_eq!(t("experiment"), "experiment.hdf5");
    assert_eq!(t("experiment.hdf5"), "experiment.hdf5");
    assert_eq!(t("dir/data.h5"), "dir/data.hdf5");
    assert_eq!(t("run.v1.tar"), "run.v1.hdf5");
    assert_eq!(t(".hidden"), ".hidden.hdf5");
    let h5 = SaveOptions {
        extension: ".h5".into(),
        ..SaveOptions::default()
    };
    assert_eq!(
        target_path(Path::new("output"), &h5),
        PathBuf::from("output.h5")
    );
    assert_eq!(
        target_path(Path::new("a.b"), &exact()),
        PathBuf::from("a.b")
    );
    let written = save_value(&scratch("saved_as"), &obj("m.C", vec![]), &o).unwrap();
    assert_eq!(written, scratch("saved_as.hdf5"));
    assert!(written.exists());
}

#[test]
fn load_props_loads_only_the_named_properties() {
    let path = scratch("partial.hdf5");
    save_value(&path, &everything(), &exact()).unwrap();
    let v = load_props(&path, &["int", "arrays"]).unwrap();
    let Value::Object(o) = v else { panic!() };
    assert_eq!(o.class, "jangada_classes.Everything");
    assert_eq!(o.props.keys().collect::<Vec<_>>(), vec!["arrays", "int"]);
    assert_eq!(o.props["int"], Value::Int(-42));
    let e = load_props(&path, &["nope"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a jangada file: /root has no item \"nope\""
    );
}

fn write_raw(name: &str, build: impl FnOnce(&File)) -> PathBuf {
    let path = scratch(name);
    let f = File::create_truncate(&path).unwrap();
    build(&f);
    f.close().unwrap();
    path
}

#[test]
fn bad_files_give_exact_errors() {
    let p = write_raw("noroot.hdf5", |f| {
        f.root().unwrap().create_group("other").unwrap();
    });
    assert_eq!(
        load(&p).unwrap_err().to_string(),
        "not a jangada file: the file has no \"root\" group"
    );
    assert_eq!(
        load_props(&p, &[]).unwrap_err().to_string(),
        "not a jangada file: the file has no \"root\" group"
    );

    let p = write_raw("nocontainer.hdf5", |f| {
        let r = f.root().unwrap().create_group("root").unwrap();
        r.set_attr("__container_type__", "dict").unwrap();
        r.create_group("inner")
            .unwrap()
            .set_attr("x", 1i64)
            .unwrap();
    });
    assert_eq!(
        load(&p).unwrap_err().to_string(),
        "not a jangada file: group /root/inner has no __container_type__ attribute"
    );

    let p = write_raw("badcontainer.hdf5", |f| {
        let r = f.root().unwrap().create_group("root").unwrap();
        r.set_attr("__container_type__", "set").unwrap();
    });
    assert_eq!(
        load(&p).unwrap_err().to_string(),
        "not a jangada file: group /root has an unknown __container_type__ \"set\""
    );

    let p = write_raw("baddataset.hdf5", |f| {
        let r = f.root().unwrap().create_group("root").unwrap();
        r.set_attr("__container_type__", "dict").unwrap();
        r.set_attr("__class__", "m.C").unwrap();
        let d = r.write_dataset("x", &arr(&[2], vec![1.0f64, 2.0])).unwrap();
        d.set_attr("__dataset_type__", "xarray.DataArray").unwrap();
        r.write_dataset("y", &arr(&[1], vec![1i64])).unwrap();
    });
    assert_eq!(
        load(&p).unwrap_err().to_string(),
        "not a jangada file: dataset /root/x has an unknown __dataset_type__ \"xarray.DataArray\" (not registered with jangada::register_dataset_type)"
    );
    assert_eq!(
        load_props(&p, &["y"]).unwrap_err().to_string(),
        "not a jangada file: dataset /root/y has no __dataset_type__ attribute"
    );

    let missing = scratch("does_not_exist.hdf5");
    assert!(matches!(load(&missing), Err(Error::NotFound(p)) if p == missing));

    // Old pandas spellings load too.
    let p = write_raw("oldpandas.hdf5", |f| {
        let r = f.root().unwrap().create_group("root").unwrap();
        r.set_attr("__container_type__", "dict").unwrap();
        let d = r.write_dataset("t", &arr(&[], vec![3600 * S])).unwrap();
        d.set_attr(
            "__dataset_type__",
            "pandas._libs.tslibs.timestamps.Timestamp",
        )
        .unwrap();
        d.set_attr("timezone", "Asia/Tokyo").unwrap();
        let d = r.write_dataset("i", &arr(&[1], vec![0i64])).unwrap();
        d.set_attr(
            "__dataset_type__",
            "pandas.core.indexes.datetimes.DatetimeIndex",
        )
        .unwrap();
        d.set_attr("timezone", "NoneType:None").unwrap();
    });
    let Value::Dict(d) = load(&p).unwrap() else {
        panic!()
    };
    assert_eq!(
        d["t"],
        Value::Timestamp(Timestamp {
            ns: 3600 * S - 9 * 3600 * S,
            tz: Some("Asia/Tokyo".into())
        })
    );
    assert_eq!(
        d["i"],
        Value::DatetimeIndex(DatetimeIndex {
            ns: vec![0],
            tz: None
        })
    );
}

#[test]
fn lists_load_in_numeric_order_whatever_the_storage_order() {
    // Items written out of order, in a group that does not track creation order.
    let p = write_raw("unordered.hdf5", |f| {
        let r = f.root().unwrap().create_group("root").unwrap();
        r.set_attr("__container_type__", "list").unwrap();
        for i in [10i64, 2, 1, 0, 11, 3, 4, 5, 6, 7, 8, 9] {
            r.set_attr(&i.to_string(), i).unwrap();
        }
    });
    assert_eq!(
        load(&p).unwrap(),
        Value::List((0..12).map(Value::Int).collect())
    );
}

#[test]
fn fold_wall_times_load_as_the_earlier_instant() {
    // 2024-10-27T01:30Z is 02:30 CET, the second 02:30 of the night in Paris.
    let second = 1_729_990_800 * S + 1800 * S;
    let v = obj(
        "m.C",
        vec![(
            "t",
            Value::Timestamp(Timestamp {
                ns: second,
                tz: Some("Europe/Paris".into()),
            }),
        )],
    );
    let Value::Object(o) = roundtrip("fold.hdf5", &v) else {
        panic!()
    };
    assert_eq!(
        o.props["t"],
        Value::Timestamp(Timestamp {
            ns: second - 3600 * S,
            tz: Some("Europe/Paris".into())
        })
    );
}

#[test]
fn value_json_contract() {
    let v = obj(
        "mod.Name",
        vec![
            ("one", Value::Float(1.0)),
            ("negz", Value::Float(-0.0)),
            ("nan", Value::Float(f64::NAN)),
            ("big", Value::UInt(18_446_744_073_709_551_615)),
            ("c", Value::Complex(f64::NAN, f64::NEG_INFINITY)),
            ("p", Value::Path("/p".into())),
            (
                "t",
                Value::Timestamp(Timestamp {
                    ns: NAT,
                    tz: Some("Europe/Paris".into()),
                }),
            ),
        ],
    );
    let text = serde_json::to_string(&value_to_json(&v)).unwrap();
    assert_eq!(
        text,
        r#"{"$class":"mod.Name","$props":{"big":18446744073709551615,"c":{"$complex":["nan","-inf"]},"nan":{"$float":"nan"},"negz":-0.0,"one":1.0,"p":{"$path":"/p"},"t":{"$timestamp":{"ns":-9223372036854775808,"tz":"Europe/Paris"}}}}"#
    );
    let back = value_from_json(&serde_json::from_str(&text).unwrap()).unwrap();
    same(&back, &v);
    let Value::Object(o) = back else { panic!() };
    assert_eq!(o.props["one"], Value::Float(1.0));
    assert!(
        o.props["negz"] == Value::Float(0.0)
            && matches!(o.props["negz"], Value::Float(f) if f.is_sign_negative())
    );
    // Every value of `everything` survives value JSON.
    let e = everything();
    same(&value_from_json(&value_to_json(&e)).unwrap(), &e);
    for bad in [
        json!({"$float": 1.0}),
        json!({"$float": "NaN"}),
        json!({"$complex": [1.0]}),
        json!({"$array": {"dtype": "<i4", "shape": [2], "data": [1]}}),
        json!({"$array": {"dtype": "|i1", "shape": [1], "data": [300]}}),
        json!({"$array": {"dtype": ">f8", "shape": [1], "data": [1.0]}}),
        json!({"$timestamp": {"ns": 1.5, "tz": null}}),
        json!({"$class": "a.B"}),
        json!({"$unknown": 1}),
        json!({"a": 1, "b": 2}),
    ] {
        let e = value_from_json(&bad).unwrap_err();
        assert!(e.to_string().contains("malformed value JSON"), "{bad}: {e}");
    }
}

#[test]
fn cli_show_and_write() {
    if common::skip_unless(common::Needs::HostTools, "cli_show_and_write") {
        return;
    }
    let exe = env!("CARGO_BIN_EXE_jangada");
    let input = scratch("in.json");
    let out = scratch("out.hdf5");
    let doc = value_to_json(&everything());
    std::fs::write(&input, serde_json::to_string(&doc).unwrap()).unwrap();
    let st = std::process::Command::new(exe)
        .args(["write", "--json"])
        .arg(&input)
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let shown = std::process::Command::new(exe)
        .args(["show", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(shown.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown, doc);
    // --compression: every array dataset compressed, the same values shown.
    let zout = scratch("out_zstd.hdf5");
    let st = std::process::Command::new(exe)
        .args(["write", "--json", "--compression", "shuffle,zstd:3"])
        .arg(&input)
        .arg(&zout)
        .status()
        .unwrap();
    assert!(st.success());
    let f = File::open(&zout).unwrap();
    let ids: Vec<u16> = f
        .dataset("/root/arrays/f8")
        .unwrap()
        .filters()
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(ids, [2, 32015]);
    let shown = std::process::Command::new(exe)
        .args(["show", "--json"])
        .arg(&zout)
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&shown.stdout).unwrap(),
        doc
    );
    let r = std::process::Command::new(exe)
        .args(["write", "--json", "--compression", "brotli"])
        .arg(&input)
        .arg(scratch("never_brotli.hdf5"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("brotli"));
    assert!(!scratch("never_brotli.hdf5").exists());
    // Malformed input: exit code 1, a clear message, nothing written.
    let bad_out = scratch("never.hdf5");
    for text in [
        "{not json",
        r#"{"$class":"a.B","$props":{"x":{"$float":"nope"}}}"#,
    ] {
        std::fs::write(&input, text).unwrap();
        let r = std::process::Command::new(exe)
            .args(["write", "--json"])
            .arg(&input)
            .arg(&bad_out)
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("malformed value JSON"), "{err}");
        assert!(!bad_out.exists());
    }
    let r = std::process::Command::new(exe)
        .args(["show", "--json"])
        .arg(scratch("none.h5"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    let _ = Node::Group; // (the Node type is part of the re-exported API)
}

#[test]
fn groups_with_many_members_and_many_attributes_keep_both() {
    // 12 scalars (attributes) and 12 arrays (members) in a dict, a list and an object: the
    // case that needs `save_value`'s second writing session (jangada-hdf5 flush bug).
    let scalars = (0..12).map(|i| (format!("s{i}"), Value::Int(i)));
    let arrays = (0..12).map(|i| {
        (
            format!("a{i}"),
            Value::Array(ArrayValue::I64(arr(&[1], vec![i]))),
        )
    });
    let dict: BTreeMap<String, Value> = scalars.clone().chain(arrays.clone()).collect();
    let list: Vec<Value> = scalars.zip(arrays).flat_map(|(a, b)| [a.1, b.1]).collect();
    let mut props: Vec<(&str, Value)> = vec![("d", Value::Dict(dict)), ("l", Value::List(list))];
    let names: Vec<String> = (0..12).map(|i| format!("x{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        props.push((n.as_str(), Value::Float(i as f64)));
        props.push((
            [
                "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11",
            ][i],
            Value::List(vec![]),
        ));
    }
    let v = obj("m.Many", props);
    let path = scratch("many.hdf5");
    save_value(&path, &v, &exact()).unwrap();
    assert_eq!(load(&path).unwrap(), v);
    common_h5dump(&path);
}

fn common_h5dump(path: &Path) {
    let out = std::process::Command::new("h5dump").arg(path).output();
    if let Ok(out) = out {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("GROUP \"m11\""));
    }
}

/// Regression: a group given more than 8 links and more than 8 attributes in one session
/// used to lose its links at flush (`attrs::write_dense` reloaded the group's header before
/// the pending link-info update had been written).
#[test]
fn dense_links_and_dense_attributes_in_one_session() {
    let path = scratch("format_bug.h5");
    let f = File::create_truncate(&path).unwrap();
    let g = f.root().unwrap().create_group("g").unwrap();
    for i in 0..9 {
        g.create_group(&format!("c{i}")).unwrap();
        g.set_attr(&format!("a{i}"), i as i64).unwrap();
    }
    // Every handle keeps the file open (and write-locked): close them all before reading.
    drop(g);
    f.close().unwrap();
    let f = File::open(&path).unwrap();
    let g = f.group("/g").unwrap();
    assert_eq!(g.attrs().unwrap().len(), 9);
    assert_eq!(g.links().unwrap().len(), 9, "links lost at flush");
}

#[test]
fn jangada_ambiguities_are_kept() {
    let v = obj(
        "m.C",
        vec![
            ("small_uint", Value::UInt(5)),
            ("looks_none", Value::Str("NoneType:None".into())),
            ("looks_path", Value::Str("Path:/x".into())),
            ("rel", Value::Path("rel/x.txt".into())),
        ],
    );
    let path = scratch("ambiguous.hdf5");
    save_value(&path, &v, &exact()).unwrap();
    let f = File::open(&path).unwrap();
    let root = f.group("/root").unwrap();
    // Value::UInt is always a uint64 attribute ...
    assert_eq!(
        jangada::hdf5::numpy_str(root.attr("small_uint").unwrap().dtype()).as_deref(),
        Some("<u8")
    );
    // ... and relative paths are made absolute, as pathlib's absolute() does.
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        root.attr("rel").unwrap().read_string().unwrap(),
        format!("Path:{}", cwd.join("rel/x.txt").display())
    );
    let Value::Object(o) = load(&path).unwrap() else {
        panic!()
    };
    // ... but loads as Int when it fits i64 (as jangada: a number).
    assert_eq!(o.props["small_uint"], Value::Int(5));
    assert_eq!(o.props["looks_none"], Value::None);
    assert_eq!(o.props["looks_path"], Value::Path("/x".into()));
    assert_eq!(o.props["rel"], Value::Path(cwd.join("rel/x.txt")));
}
