//! The array kinds and keys of jangada files that Rust used to change on a load -> save
//! round trip, against the real Python jangada 0.1.9: float16 arrays (`<f2`, were widened
//! to `<f4`), fixed-length bytes (`|S8`, were read as `str`) and dict keys holding `/`
//! (legal for scalars, which are attributes). Files jangada writes load in Rust and save
//! back with the same dtypes, bytes and attributes (as h5py reads them); files Rust writes
//! load in jangada with those dtypes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use jangada::{save_value, ArrayValue, FixedBytes, SaveOptions, Value, F16};
use ndarray::{ArrayD, IxDyn};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-kinds");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn exact() -> SaveOptions {
    SaveOptions {
        use_default_extension: false,
        ..SaveOptions::default()
    }
}

/// Every dataset and attribute of a file as h5py reads it: path -> dtype.str, shape,
/// maxshape, the raw bytes of the elements (hex), and the attributes (name -> dtype.str,
/// repr of the value).
const H5PY_FACTS: &str = r#"
import sys, json, h5py, numpy as np
out = {}
def attrs(o):
    return {k: [o.attrs.get_id(k).dtype.str, repr(o.attrs[k])] for k in sorted(o.attrs)}
def visit(name, o):
    if isinstance(o, h5py.Dataset):
        a = o[()]
        out[name] = {"dtype": o.dtype.str, "shape": list(o.shape),
                     "maxshape": [m for m in o.maxshape] if o.maxshape else None,
                     "bytes": np.asarray(a).tobytes().hex(), "attrs": attrs(o)}
    else:
        out[name] = {"attrs": attrs(o)}
with h5py.File(sys.argv[1], "r") as f:
    out["/"] = {"attrs": attrs(f)}
    f.visititems(visit)
print(json.dumps(out, sort_keys=True))
"#;

fn h5py_facts(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&common::run_python(H5PY_FACTS, &[path.to_str().unwrap()]).unwrap())
        .unwrap()
}

/// Python jangada's view of a file: every value with its type and, for arrays, dtype.str
/// and bytes.
const JANGADA_VIEW: &str = r#"
import sys, json
import numpy as np
from jangada.serialization import Persistable
def view(v):
    if isinstance(v, np.ndarray):
        return ["ndarray", v.dtype.str, list(v.shape), v.tobytes().hex()]
    if isinstance(v, dict):
        return {k: view(x) for k, x in v.items()}
    if isinstance(v, list):
        return [view(x) for x in v]
    return [type(v).__name__, repr(v)]
print(json.dumps(view(Persistable.load_serialized_data(sys.argv[1])), sort_keys=True))
"#;

fn jangada_view(path: &std::path::Path) -> serde_json::Value {
    let out = common::run_python(JANGADA_VIEW, &[path.to_str().unwrap()]).unwrap();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn jangada_files_load_and_save_back_with_the_same_dtypes() {
    let py = scratch("py_kinds.hdf5");
    common::run_python(
        r#"
import sys
import numpy as np
from jangada.serialization import Persistable
class W(Persistable):
    pass
nan_payload = np.array([0x7c01, 0xfe00, 0x3c00], dtype="<u2").view("<f2")
arrays = {
    "f2": np.array([0.1, -0.0, np.inf, 6e-8, 65504.0, np.nan], dtype="<f2"),
    "f2_nan_payloads": nan_payload,
    "f2_0d": np.array(1.5, dtype="<f2"),
    "f2_2d": np.arange(12, dtype="<f2").reshape(3, 4) / np.float16(7),
    "s8": np.array([b"ab", b"cdefgh", b"", b"a\x00b", b"\xff\x01"], dtype="S8"),
    "s1_2d": np.array([[b"x"], [b""]], dtype="S1"),
    "s0_empty": np.zeros((0, 2), dtype="S5"),
}
keys = {"a/b": 1, "/": None, ".": "dot", "x/y/z": 0.5, "plain": [2]}
W().save_serialized_data(sys.argv[1], {"__class__": "m.Kinds", "arrays": arrays, "keys": keys})
"#,
        &[py.to_str().unwrap()],
    )
    .unwrap();
    let value = jangada::load(&py).unwrap();
    // The kinds are kept in the value.
    let Value::Object(o) = &value else {
        panic!("{value:?}")
    };
    let Some(Value::Dict(arrays)) = o.props.get("arrays") else {
        panic!()
    };
    let kind = |k: &str| arrays[k].as_array().unwrap().dtype_str().into_owned();
    assert_eq!(kind("f2"), "<f2");
    assert_eq!(kind("f2_0d"), "<f2");
    assert_eq!(kind("s8"), "|S8");
    assert_eq!(kind("s1_2d"), "|S1");
    assert_eq!(kind("s0_empty"), "|S5");
    // Saved back by Rust: h5py sees the same datasets, dtypes, bytes and attributes, and
    // jangada loads the same values.
    let rs = scratch("rs_kinds.hdf5");
    save_value(&rs, &value, &exact()).unwrap();
    let (theirs, ours) = (h5py_facts(&py), h5py_facts(&rs));
    if let Some(d) = common::json_diff("", &ours, &theirs) {
        panic!("h5py view, Rust's file vs jangada's: {d}");
    }
    let (theirs, ours) = (jangada_view(&py), jangada_view(&rs));
    if let Some(d) = common::json_diff("", &ours, &theirs) {
        panic!("jangada view, Rust's file vs jangada's: {d}");
    }
    // And the value loads back equal (bit for bit: NaN payloads included).
    let again = jangada::load(&rs).unwrap();
    let bits = |v: &Value| -> Vec<u16> {
        let Value::Object(o) = v else { panic!() };
        let Some(Value::Dict(a)) = o.props.get("arrays") else {
            panic!()
        };
        match a["f2_nan_payloads"].as_array().unwrap() {
            ArrayValue::F16(x) => x.iter().map(|h| h.to_bits()).collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(bits(&again), vec![0x7c01, 0xfe00, 0x3c00]);
    assert_eq!(bits(&value), bits(&again));
}

#[test]
fn rust_files_load_in_jangada_with_the_same_dtypes() {
    let bytes = FixedBytes {
        itemsize: 4,
        data: ArrayD::from_shape_vec(
            IxDyn(&[3]),
            vec![b"ab".to_vec(), vec![0xff, 0, 1], b"\xc3\xa7".to_vec()],
        )
        .unwrap(),
    };
    let halves = ArrayD::from_shape_vec(
        IxDyn(&[2, 2]),
        [0x3555, 0x8001, 0x7bff, 0xfc00]
            .map(F16::from_bits)
            .to_vec(),
    )
    .unwrap();
    let value = Value::Object(jangada::Object {
        class: "m.Kinds".into(),
        props: [
            (
                "arrays".to_string(),
                Value::Dict(
                    [
                        ("b".to_string(), Value::Array(ArrayValue::Bytes(bytes))),
                        ("h".to_string(), Value::Array(ArrayValue::F16(halves))),
                    ]
                    .into(),
                ),
            ),
            (
                "keys".to_string(),
                Value::Dict([("a/b".to_string(), Value::Int(7))].into()),
            ),
        ]
        .into(),
    });
    let rs = scratch("rust_made.hdf5");
    save_value(&rs, &value, &exact()).unwrap();
    let view = jangada_view(&rs);
    assert_eq!(
        view["arrays"]["b"],
        serde_json::json!(["ndarray", "|S4", [3], "61620000ff000100c3a70000"])
    );
    assert_eq!(
        view["arrays"]["h"],
        serde_json::json!(["ndarray", "<f2", [2, 2], "55350180ff7b00fc"])
    );
    assert_eq!(
        view["keys"]["a/b"],
        serde_json::json!(["int64", "np.int64(7)"])
    );
    // `show --json` / `write --json` keep them: non-UTF-8 bytes as {"$hex": ..}.
    let json = jangada::cli::show::show_file(&rs).unwrap();
    assert_eq!(
        json["$props"]["arrays"]["$dict"]["b"]["$array"],
        serde_json::json!({"dtype": "|S4", "shape": [3],
                           "data": ["ab", {"$hex": "ff0001"}, "ç"]})
    );
    assert_eq!(
        jangada::cli::write::value_from_json(&json).unwrap(),
        jangada::load(&rs).unwrap()
    );
}
