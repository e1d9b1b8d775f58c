//! Custom dataset types (Python's `Serializable.register_dataset_type`): `Value::Custom`,
//! the registry, the strict and lenient loaders, value JSON `$dataset`, lazy access, and
//! interop with Python jangada 0.1.9 both ways (repository venv).
//!
//! The Python side defines `Quantity` in a module `mylib` (written to the scratch folder
//! by [`mylib`]), so `get_full_qualified_name(Quantity)` is `"mylib.Quantity"`, the
//! string the Rust `Quantity` below stores.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::float_cmp
)]

#[path = "../../tests/common.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jangada::cli::show::{show_file, value_to_json};
use jangada::cli::write::value_from_json;
use jangada::hdf5::File;
use jangada::{
    load, load_lenient, open, save_value, ArrayValue, CustomDataset, DatasetType, Error, FromValue,
    IntoValue, Mode, Object, Persistable, PropCopy, SaveOptions, Value,
};
use ndarray::{arr1, ArrayD, IxDyn};
use serde_json::json;

/// The qualified name Python gives `mylib.Quantity`.
const QUANTITY: &str = "mylib.Quantity";

/// The Rust side of Python's `register_dataset_type(Quantity, disassemble, assemble)`.
#[derive(Clone, Debug, PartialEq)]
struct Quantity {
    values: ArrayD<f64>,
    unit: String,
    note: Option<String>,
}

/// `disassemble`: the array and the attributes.
impl IntoValue for Quantity {
    fn to_value(&self) -> jangada::Result<Value> {
        Ok(Value::Custom(CustomDataset {
            dataset_type: QUANTITY.into(),
            array: ArrayValue::F64(self.values.clone()),
            attrs: BTreeMap::from([
                ("unit".to_string(), Value::Str(self.unit.clone())),
                ("note".to_string(), self.note.to_value()?),
            ]),
        }))
    }
}

/// `assemble`: back from the array and the attributes.
impl FromValue for Quantity {
    fn from_value(v: Value, path: &str) -> jangada::Result<Self> {
        let c = CustomDataset::from_value(v, path)?;
        if c.dataset_type != QUANTITY {
            return Err(Error::Type {
                path: path.into(),
                detail: format!("expected a {QUANTITY}, found a {}", c.dataset_type),
            });
        }
        let mut attrs = c.attrs;
        Ok(Quantity {
            values: ArrayD::<f64>::from_value(Value::Array(c.array), path)?,
            unit: String::from_value(attrs.remove("unit").unwrap_or_default(), path)?,
            note: Option::<String>::from_value(attrs.remove("note").unwrap_or_default(), path)?,
        })
    }
}

impl PropCopy for Quantity {
    fn prop_copy(&self) -> Self {
        self.clone()
    }
}

jangada::lazy_loaded!(Quantity);

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "mylib.Experiment")]
struct Experiment {
    #[jangada(default = "String::new()")]
    name: String,
    q: Option<Quantity>,
    scalar: Option<Quantity>,
}

fn dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "jangada-custom-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn exact() -> SaveOptions {
    SaveOptions {
        use_default_extension: false,
        ..SaveOptions::default()
    }
}

fn quantity(values: Vec<f64>, shape: &[usize], unit: &str, note: Option<&str>) -> Quantity {
    Quantity {
        values: ArrayD::from_shape_vec(IxDyn(shape), values).unwrap(),
        unit: unit.into(),
        note: note.map(str::to_string),
    }
}

fn experiment() -> Experiment {
    Experiment {
        name: "run".into(),
        q: Some(quantity(vec![0., 1., 2., 3., 4., 5.], &[2, 3], "m", None)),
        scalar: Some(quantity(vec![5.0], &[], "s", Some("x"))),
    }
}

fn custom(name: &str, array: ArrayValue, attrs: &[(&str, Value)]) -> Value {
    Value::Custom(CustomDataset {
        dataset_type: name.into(),
        array,
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    })
}

fn object(class: &str, props: &[(&str, Value)]) -> Value {
    Value::Object(Object {
        class: class.into(),
        props: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    })
}

// ------------------------------------------------------------------ Rust only

#[test]
fn typed_struct_with_a_custom_field_round_trips() {
    jangada::register_dataset_type(QUANTITY);
    let d = dir("typed");
    let p = d.join("e.hdf5");
    experiment().save_opts(&p, &exact()).unwrap();
    assert_eq!(Experiment::load(&p).unwrap(), experiment());

    // The layout: an ndarray-like dataset plus the type and the attributes.
    let f = File::open(&p).unwrap();
    let q = f.root().unwrap().dataset("root/q").unwrap();
    assert_eq!(q.shape(), [2, 3]);
    assert_eq!(q.maxshape(), vec![None, Some(3)]);
    assert!(q.chunks().is_some());
    assert_eq!(
        q.attr("__dataset_type__").unwrap().read_string().unwrap(),
        QUANTITY
    );
    assert_eq!(q.attr("unit").unwrap().read_string().unwrap(), "m");
    assert_eq!(
        q.attr("note").unwrap().read_string().unwrap(),
        "NoneType:None"
    );
    let s = f.root().unwrap().dataset("root/scalar").unwrap();
    assert!(s.shape().is_empty());
    assert!(s.chunks().is_none());
    assert_eq!(s.attr("note").unwrap().read_string().unwrap(), "x");

    // The generic loader sees the Value::Custom.
    let v = load(&p).unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(
        o.props["q"],
        custom(
            QUANTITY,
            ArrayValue::F64(
                ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![0., 1., 2., 3., 4., 5.]).unwrap()
            ),
            &[("note", Value::None), ("unit", Value::Str("m".into()))]
        )
    );
    assert_eq!(o.props["q"].kind(), "dataset mylib.Quantity");
}

#[test]
fn generic_values_round_trip_with_every_scalar_attribute_kind() {
    let name = "tests_custom.AllAttrs";
    jangada::register_dataset_type(name);
    let d = dir("generic");
    let p = d.join("g.hdf5");
    let value = object(
        "tests_custom.Holder",
        &[
            (
                "all",
                custom(
                    name,
                    ArrayValue::I32(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1, 2, 3]).unwrap()),
                    &[
                        ("none", Value::None),
                        ("flag", Value::Bool(true)),
                        ("count", Value::Int(-7)),
                        ("big", Value::UInt(u64::MAX)),
                        ("scale", Value::Float(2.5)),
                        ("z", Value::Complex(1.0, -2.0)),
                        ("label", Value::Str("ação".into())),
                        ("where", Value::Path("/data/x".into())),
                    ],
                ),
            ),
            (
                "zero_d",
                custom(
                    name,
                    ArrayValue::C128(ArrayD::from_elem(
                        IxDyn(&[]),
                        num_complex::Complex::new(1.0, 2.0),
                    )),
                    &[],
                ),
            ),
            (
                "strings",
                Value::List(vec![custom(
                    name,
                    ArrayValue::Str(
                        ArrayD::from_shape_vec(IxDyn(&[2]), vec!["a".into(), "bc".into()]).unwrap(),
                    ),
                    &[("n", Value::Int(2))],
                )]),
            ),
        ],
    );
    save_value(&p, &value, &exact()).unwrap();
    assert_eq!(load(&p).unwrap(), value);
    assert_eq!(load_lenient(&p).unwrap(), value);
}

#[test]
fn unregistered_dataset_types_are_an_error_unless_lenient() {
    let name = "tests_custom.NeverRegistered";
    let d = dir("strict");
    let p = d.join("s.hdf5");
    let inner = custom(
        name,
        ArrayValue::F64(arr1(&[1.5, 2.5]).into_dyn()),
        &[("unit", Value::Str("kg".into()))],
    );
    let value = object("tests_custom.Holder", &[("mass", inner.clone())]);
    // Saving needs no registration (the value carries its type name).
    save_value(&p, &value, &exact()).unwrap();
    assert!(!jangada::is_dataset_type(name));
    assert_eq!(
        load(&p).unwrap_err().to_string(),
        "not a jangada file: dataset /root/mass has an unknown __dataset_type__ \
         \"tests_custom.NeverRegistered\" (not registered with jangada::register_dataset_type)"
    );
    assert_eq!(load_lenient(&p).unwrap(), value);
    // The lazy view of a strict open refuses it too.
    let h = open(&p, Mode::Read).unwrap();
    assert!(h.proxy("mass").is_err());
}

#[test]
fn remove_dataset_type_makes_loading_strict_again() {
    let name = "tests_custom.Removed";
    let d = dir("removed");
    let p = d.join("r.hdf5");
    let value = object(
        "tests_custom.Holder",
        &[(
            "x",
            custom(name, ArrayValue::U8(arr1(&[1u8]).into_dyn()), &[]),
        )],
    );
    save_value(&p, &value, &exact()).unwrap();
    jangada::register_dataset_type(name);
    assert_eq!(load(&p).unwrap(), value);
    jangada::remove_dataset_type(name);
    assert!(load(&p).is_err());
}

#[test]
fn unsaveable_custom_datasets_are_refused_before_writing() {
    let d = dir("refuse");
    let arr = || ArrayValue::F64(arr1(&[1.0]).into_dyn());
    let cases = [
        (
            custom("numpy.ndarray", arr(), &[]),
            "cannot save: custom dataset root.x has the dataset type \"numpy.ndarray\", which \
             is empty or one of jangada's own (use Value::Array / Timestamp / DatetimeIndex)",
        ),
        (
            custom("", arr(), &[]),
            "cannot save: custom dataset root.x has the dataset type \"\", which is empty or \
             one of jangada's own (use Value::Array / Timestamp / DatetimeIndex)",
        ),
        (
            custom("m.T", arr(), &[("l", Value::List(vec![]))]),
            "cannot save: attribute \"l\" of custom dataset root.x is a list: custom dataset \
             attributes are scalars (None, bool, int, float, complex, str, Path)",
        ),
        (
            custom("m.T", arr(), &[("__dataset_type__", Value::Int(1))]),
            "cannot save: key \"__dataset_type__\" in root.x is reserved by jangada's layout",
        ),
        (
            custom("m.T", arr(), &[("", Value::Int(1))]),
            "cannot save: key \"\" in root.x cannot be an HDF5 name (empty, \".\" or \
             containing \"/\")",
        ),
    ];
    for (i, (inner, msg)) in cases.into_iter().enumerate() {
        let p = d.join(format!("{i}.hdf5"));
        let value = object("m.C", &[("x", inner)]);
        assert_eq!(
            save_value(&p, &value, &exact()).unwrap_err().to_string(),
            msg
        );
        assert!(!p.exists());
    }
}

#[test]
fn lazy_access_to_a_registered_custom_dataset() {
    jangada::register_dataset_type(QUANTITY);
    let d = dir("lazy");
    let p = d.join("e.hdf5");
    experiment().save_opts(&p, &exact()).unwrap();
    {
        let h = Experiment::open(&p, Mode::ReadWrite).unwrap();
        assert_eq!(h.q().unwrap(), experiment().q);
        let proxy = h.proxy("q").unwrap();
        assert_eq!(proxy.kind(), DatasetType::Custom);
        assert_eq!(proxy.dataset_type(), QUANTITY);
        assert_eq!(proxy.attrs()["unit"], Value::Str("m".into()));
        assert_eq!(proxy.shape(), [2, 3]);
        let row = proxy.get_value(1).unwrap();
        assert_eq!(
            row,
            custom(
                QUANTITY,
                ArrayValue::F64(arr1(&[3.0, 4.0, 5.0]).into_dyn()),
                &[("note", Value::None), ("unit", Value::Str("m".into()))]
            )
        );
        let more = quantity(vec![6., 7., 8.], &[1, 3], "m", None);
        proxy.append_value(&more.to_value().unwrap()).unwrap();
        let other = custom("m.Other", ArrayValue::F64(arr1(&[1.0]).into_dyn()), &[]);
        assert!(proxy.append_value(&other).is_err());
        assert!(proxy
            .append_timestamps(&jangada::DatetimeIndex {
                ns: vec![0],
                tz: None
            })
            .is_err());
    }
    let e = Experiment::load(&p).unwrap();
    assert_eq!(e.q.unwrap().values.shape(), [3, 3]);
}

// ------------------------------------------------------------------ value JSON and the CLI

fn dataset_json() -> serde_json::Value {
    json!({"$class": "m.Holder", "$props": {"q": {"$dataset": {
        "type": "cli_only.Quantity",
        "array": {"dtype": "<f8", "shape": [2, 2], "data": [1.0, 2.0, 3.0, "nan"]},
        "attrs": {"unit": "m", "note": null, "n": 3, "z": {"$complex": [1.0, 0.0]}, "p": {"$path": "/tmp/x"}}
    }}}})
}

#[test]
fn value_json_dataset_form_both_ways() {
    let doc = dataset_json();
    let v = value_from_json(&doc).unwrap();
    let c = v.as_object().unwrap().props["q"]
        .as_custom()
        .unwrap()
        .clone();
    assert_eq!(c.dataset_type, "cli_only.Quantity");
    assert_eq!(c.array.shape(), [2, 2]);
    assert_eq!(c.attrs["note"], Value::None);
    assert_eq!(c.attrs["z"], Value::Complex(1.0, 0.0));
    assert_eq!(c.attrs["p"], Value::Path("/tmp/x".into()));
    assert_eq!(value_to_json(&v), doc);

    // Saved and shown (the CLI loads unknown dataset types leniently).
    let d = dir("json");
    let p = d.join("j.hdf5");
    save_value(&p, &v, &exact()).unwrap();
    assert_eq!(show_file(&p).unwrap(), doc);

    // Malformed forms name the place.
    let bad = json!({"$dataset": {"type": "m.T", "array": {"dtype": "<f8", "shape": [1], "data": [1.0]}, "extra": 1}});
    assert_eq!(
        value_from_json(&bad).unwrap_err().to_string(),
        "invalid value for $.$dataset: malformed value JSON: unexpected field \"extra\""
    );
    let bad =
        json!({"$dataset": {"type": 3, "array": {"dtype": "<f8", "shape": [1], "data": [1.0]}}});
    assert!(value_from_json(&bad).is_err());
    let bad = json!({"$dataset": {"type": "m.T"}});
    assert!(value_from_json(&bad).is_err());
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_jangada")
}

#[test]
fn cli_write_and_show_a_custom_dataset() {
    let d = dir("cli");
    let input = d.join("in.json");
    let out = d.join("out.hdf5");
    let doc = dataset_json();
    std::fs::write(&input, serde_json::to_string(&doc).unwrap()).unwrap();
    let w = std::process::Command::new(bin())
        .args(["write", "--json"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let s = std::process::Command::new(bin())
        .args(["show", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(shown, doc);
    // The library default stays strict.
    assert!(load(&out).is_err());
}

// ------------------------------------------------------------------ Python jangada

const MYLIB: &str = r#"
import numpy as np
from jangada.serialization import Serializable, Persistable, SerializableProperty

class Quantity:
    def __init__(self, values, unit, note=None):
        self.values = np.asarray(values)
        self.unit = unit
        self.note = note

def disassemble(q):
    return q.values, {"unit": q.unit, "note": q.note}

def assemble(array, attrs):
    return Quantity(array, attrs["unit"], attrs.get("note"))

Serializable.register_dataset_type(Quantity, disassemble=disassemble, assemble=assemble)

class Experiment(Persistable):
    name = SerializableProperty(default="")
    q = SerializableProperty(default=None)
    scalar = SerializableProperty(default=None)
"#;

/// A scratch folder holding `mylib.py`.
fn mylib(tag: &str) -> PathBuf {
    let d = dir(tag);
    std::fs::write(d.join("mylib.py"), MYLIB).unwrap();
    d
}

fn py(script: &str, d: &Path, file: &Path) -> String {
    let prelude = "import sys\nsys.path.insert(0, sys.argv[1])\nimport numpy as np\nimport mylib\nfrom jangada.serialization import load, get_full_qualified_name\n";
    common::run_python(
        &format!("{prelude}{script}"),
        &[d.to_str().unwrap(), file.to_str().unwrap()],
    )
    .unwrap()
}

#[test]
fn python_writes_a_quantity_rust_loads_it() {
    jangada::register_dataset_type(QUANTITY);
    let d = mylib("py2rs");
    let p = d.join("py.hdf5");
    let out = py(
        "print(get_full_qualified_name(mylib.Quantity), get_full_qualified_name(mylib.Experiment))
e = mylib.Experiment(name='run', q=mylib.Quantity(np.arange(6.0).reshape(2, 3), 'm'),
                     scalar=mylib.Quantity(np.array(5.0), 's', 'x'))
e.save(sys.argv[2])
",
        &d,
        &p,
    );
    assert_eq!(out, "mylib.Quantity mylib.Experiment\n");
    assert_eq!(Experiment::load(&p).unwrap(), experiment());
    let v = load(&p).unwrap();
    assert_eq!(
        v.as_object().unwrap().props["scalar"],
        custom(
            QUANTITY,
            ArrayValue::F64(ArrayD::from_elem(IxDyn(&[]), 5.0)),
            &[
                ("note", Value::Str("x".into())),
                ("unit", Value::Str("s".into()))
            ]
        )
    );
}

#[test]
fn rust_writes_a_quantity_python_loads_it() {
    jangada::register_dataset_type(QUANTITY);
    let d = mylib("rs2py");
    let p = d.join("rs.hdf5");
    let mut e = experiment();
    e.q = Some(quantity(
        vec![1.5, -2.0, 3.25],
        &[3],
        "kg",
        Some("calibrated"),
    ));
    e.save_opts(&p, &exact()).unwrap();
    let out = py(
        "e = load(sys.argv[2])
print(type(e).__name__, e.name)
for k in ('q', 'scalar'):
    q = getattr(e, k)
    print(type(q).__name__, q.unit, q.note, q.values.dtype, q.values.shape, q.values.tolist())
import h5py
with h5py.File(sys.argv[2], 'r') as f:
    print(f['root/q'].maxshape, f['root/scalar'].maxshape)
",
        &d,
        &p,
    );
    assert_eq!(
        out,
        "Experiment run\n\
         Quantity kg calibrated float64 (3,) [1.5, -2.0, 3.25]\n\
         Quantity s x float64 () 5.0\n\
         (None,) ()\n"
    );
    common::h5dump_ok(&p).unwrap();
}
