//! Port of the parts of jangada 0.1.9's `test_Serializable.py` and
//! `test_SerializableProperty.py` that apply to Rust, plus the Value-level conversion tests
//! (`to_value` / `from_value`, no files). See `PORTED.md`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::float_cmp,
    clippy::panic,
    clippy::approx_constant
)]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use jangada::{
    ArrayValue, DatetimeIndex, Error, FromValue, IntoValue, Object, Persistable, PropCopy,
    Timestamp, Value,
};
use ndarray::{array, Array1, Array2, ArrayD};
use num_complex::Complex;

fn positive(v: f64) -> Result<f64, String> {
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{v} is not positive"))
    }
}

fn upper(v: String) -> Result<String, String> {
    Ok(v.to_uppercase())
}

fn default_items() -> Vec<i64> {
    vec![1, 2, 3]
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Experiment")]
struct Experiment {
    #[jangada(default = "\"unnamed\"")]
    name: String,
    #[jangada(default = 293.15, parser = positive)]
    temperature: f64,
    data: Option<ArrayD<f64>>,
    #[jangada(copiable = false)]
    cache: Option<Value>,
    #[jangada(writeonce)]
    id: Option<String>,
    #[jangada(default_fn = default_items)]
    items: Vec<i64>,
    #[jangada(rename = "label", parser = upper, default = "\"\"")]
    tag: String,
    #[jangada(skip)]
    scratch: Vec<u8>,
}

#[derive(Persistable, Debug, Clone, PartialEq)]
struct Measurement {
    timestamp: Option<Timestamp>,
    value: f64,
}

#[derive(Persistable, Debug, Clone, PartialEq)]
struct Run {
    name: String,
    measurements: Vec<Measurement>,
    experiment: Option<Experiment>,
}

fn obj(class: &str, props: &[(&str, Value)]) -> Value {
    Value::Object(Object {
        class: class.into(),
        props: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    })
}

// ------------------------------------------------------------------ class metadata

#[test]
fn test_get_full_qualified_name_regular_class() {
    // Default class name: module path with `::` -> `.`, then the type name.
    assert_eq!(Measurement::CLASS, "serializable.Measurement");
    assert_eq!(Experiment::CLASS, "tests.Experiment");
    assert_eq!(Experiment::EXTENSION, ".hdf5");
}

mod nested_module {
    #[derive(jangada::Persistable)]
    pub struct Deep {
        pub x: i64,
    }
}

#[test]
fn test_default_class_name_in_nested_module() {
    assert_eq!(
        <nested_module::Deep as Persistable>::CLASS,
        "serializable.nested_module.Deep"
    );
}

#[test]
fn test_serializable_properties_collected() {
    let names: Vec<_> = Experiment::PROPERTIES.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "name",
            "temperature",
            "data",
            "cache",
            "id",
            "items",
            "label"
        ]
    );
    let tag = Experiment::PROPERTIES
        .iter()
        .find(|p| p.name == "label")
        .unwrap();
    assert_eq!(tag.field, "tag");
    assert!(tag.parser);
    let id = Experiment::PROPERTIES
        .iter()
        .find(|p| p.name == "id")
        .unwrap();
    assert!(id.writeonce && id.copiable);
}

#[test]
fn test_copiable_properties_property() {
    assert_eq!(
        Experiment::copiable_properties(),
        ["name", "temperature", "data", "id", "items", "label"]
    );
}

#[test]
fn test_copiable_default_is_true() {
    assert!(Measurement::PROPERTIES
        .iter()
        .all(|p| p.copiable && !p.writeonce));
}

// ------------------------------------------------------------------ defaults

#[test]
fn test_static_default_value() {
    let e = Experiment::default();
    assert_eq!(e.name, "unnamed");
    assert_eq!(e.temperature, 293.15);
    assert_eq!(e.data, None);
    assert_eq!(e.tag, "");
}

#[test]
fn test_callable_default_returns_value() {
    assert_eq!(Experiment::default().items, vec![1, 2, 3]);
}

#[test]
fn test_mutable_default_with_callable() {
    let mut a = Experiment::default();
    let b = Experiment::default();
    a.items.push(4);
    assert_eq!(b.items, vec![1, 2, 3]);
}

#[test]
fn test_none_default_stays_none() {
    assert_eq!(Measurement::default().timestamp, None);
}

#[test]
fn test_init_with_partial_kwargs() {
    // Python: MyClass(a=1) leaves the rest at defaults -> struct update syntax.
    let e = Experiment {
        name: "x".into(),
        ..Experiment::default()
    };
    assert_eq!(e.name, "x");
    assert_eq!(e.temperature, 293.15);
}

// ------------------------------------------------------------------ parsers, write-once

#[test]
fn test_parser_transforms_value() {
    let mut e = Experiment::default();
    e.set_tag("abc".into()).unwrap();
    assert_eq!(e.tag, "ABC");
}

#[test]
fn test_parser_can_validate_and_reject() {
    let mut e = Experiment::default();
    let err = e.set_temperature(-1.0).unwrap_err();
    match err {
        Error::Invalid { property, detail } => {
            assert_eq!(property, "tests.Experiment.temperature");
            assert!(detail.contains("not positive"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.temperature, 293.15, "a rejected value is not stored");
    e.set_temperature(300.0).unwrap();
    assert_eq!(e.temperature, 300.0);
}

#[test]
fn test_parser_applied_on_load() {
    let v = obj("tests.Experiment", &[("label", Value::Str("low".into()))]);
    let e = Experiment::from_value(v, "root").unwrap();
    assert_eq!(e.tag, "LOW");
    let bad = obj("tests.Experiment", &[("temperature", Value::Float(-5.0))]);
    let err = Experiment::from_value(bad, "root").unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
}

#[test]
fn test_writeonce_allows_first_set() {
    let mut e = Experiment::default();
    e.set_id(Some("run-1".into())).unwrap();
    assert_eq!(e.id.as_deref(), Some("run-1"));
}

#[test]
fn test_writeonce_prevents_second_set() {
    let mut e = Experiment::default();
    e.set_id(Some("run-1".into())).unwrap();
    let err = e.set_id(Some("run-2".into())).unwrap_err();
    assert!(err.to_string().contains("write-once"), "{err}");
    assert_eq!(e.id.as_deref(), Some("run-1"));
}

#[test]
fn test_writeonce_allows_none_as_first_value() {
    let mut e = Experiment::default();
    e.set_id(None).unwrap();
    e.set_id(Some("later".into())).unwrap();
    assert_eq!(e.id.as_deref(), Some("later"));
}

#[test]
fn test_writeonce_independent_per_instance() {
    let mut a = Experiment::default();
    let mut b = Experiment::default();
    a.set_id(Some("a".into())).unwrap();
    b.set_id(Some("b".into())).unwrap();
    assert_eq!((a.id.unwrap(), b.id.unwrap()), ("a".into(), "b".into()));
}

#[test]
fn test_non_writeonce_allows_multiple_sets() {
    let mut e = Experiment::default();
    e.set_name("a".into()).unwrap();
    e.set_name("b".into()).unwrap();
    assert_eq!(e.name, "b");
}

// ------------------------------------------------------------------ serialize

fn sample() -> Experiment {
    Experiment {
        name: "Test1".into(),
        temperature: 373.15,
        data: Some(array![1.2, 3.4, 5.6].into_dyn()),
        cache: Some(Value::Str("cached".into())),
        id: Some("id-1".into()),
        items: vec![7],
        tag: "T".into(),
        scratch: vec![1, 2, 3],
    }
}

#[test]
fn test_serialize_simple_object() {
    let v = sample().to_value().unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(o.class, "tests.Experiment");
    assert_eq!(o.props["name"], Value::Str("Test1".into()));
    assert_eq!(o.props["temperature"], Value::Float(373.15));
    assert_eq!(
        o.props["data"],
        Value::Array(ArrayValue::F64(array![1.2, 3.4, 5.6].into_dyn()))
    );
    assert_eq!(o.props["id"], Value::Str("id-1".into()));
    assert_eq!(o.props["items"], Value::List(vec![Value::Int(7)]));
    assert_eq!(o.props["label"], Value::Str("T".into()));
    // Non-copiable and skipped fields are not saved.
    assert!(!o.props.contains_key("cache"));
    assert!(!o.props.contains_key("scratch"));
    assert_eq!(o.props.len(), 6);
}

#[test]
fn test_serialize_nested_object() {
    let run = Run {
        name: "r".into(),
        measurements: vec![Measurement {
            timestamp: None,
            value: 1.5,
        }],
        experiment: Some(sample()),
    };
    let v = run.to_value().unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(o.class, "serializable.Run");
    match &o.props["measurements"] {
        Value::List(items) => {
            let m = items[0].as_object().unwrap();
            assert_eq!(m.class, "serializable.Measurement");
            assert_eq!(m.props["timestamp"], Value::None);
            assert_eq!(m.props["value"], Value::Float(1.5));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        o.props["experiment"].as_object().unwrap().class,
        "tests.Experiment"
    );
}

#[test]
fn test_deserialize_roundtrip() {
    let run = Run {
        name: "r".into(),
        measurements: vec![
            Measurement {
                timestamp: Some(Timestamp {
                    ns: 1_704_067_200_000_000_000,
                    tz: Some("Europe/Paris".into()),
                }),
                value: 1.0,
            },
            Measurement {
                timestamp: None,
                value: 2.0,
            },
        ],
        experiment: Some(sample()),
    };
    let back = Run::from_value(run.to_value().unwrap(), "root").unwrap();
    // Non-copiable/skipped fields come back at their defaults.
    let mut expected = run.clone();
    let e = expected.experiment.as_mut().unwrap();
    e.cache = None;
    e.scratch = vec![];
    assert_eq!(back, expected);
    assert!(back.eq_props(&run));
}

#[test]
fn test_deserialize_missing_props_take_defaults() {
    let e = Experiment::from_value(obj("tests.Experiment", &[]), "root").unwrap();
    assert_eq!(e, Experiment::default());
}

#[test]
fn test_init_extra_keys_raises() {
    let v = obj("tests.Experiment", &[("bogus", Value::Int(1))]);
    let err = Experiment::from_value(v, "root").unwrap_err();
    match err {
        Error::Type { path, detail } => {
            assert_eq!(path, "root.bogus");
            assert!(detail.contains("no property"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn test_init_with_class_in_data() {
    // A nested object of the wrong class is a type error naming the path.
    let v = obj(
        "serializable.Run",
        &[("experiment", obj("other.Class", &[]))],
    );
    let err = Run::from_value(v, "root").unwrap_err();
    match err {
        Error::Type { path, detail } => {
            assert_eq!(path, "root.experiment");
            assert!(detail.contains("tests.Experiment") && detail.contains("other.Class"));
        }
        other => panic!("{other:?}"),
    }
    // At the root, from_root reports WrongClass.
    let err = Run::from_root(obj("other.Class", &[])).unwrap_err();
    assert!(matches!(err, Error::WrongClass { .. }), "{err:?}");
}

#[test]
fn test_error_path_names_list_item() {
    let bad_item = obj(
        "serializable.Measurement",
        &[("value", Value::Str("oops".into()))],
    );
    let good_item = obj("serializable.Measurement", &[("value", Value::Float(1.0))]);
    let v = obj(
        "serializable.Run",
        &[(
            "measurements",
            Value::List(vec![
                good_item.clone(),
                good_item.clone(),
                good_item,
                bad_item,
            ]),
        )],
    );
    let err = Run::from_value(v, "root").unwrap_err();
    match err {
        Error::Type { path, detail } => {
            assert_eq!(path, "root.measurements[3].value");
            assert!(detail.contains("f64") && detail.contains("str"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn test_deserialize_unknown_class_creates_generic() {
    // A Value field holds objects of any class, kept generically.
    #[derive(Persistable, Debug, PartialEq)]
    struct Holder {
        anything: Value,
    }
    let inner = obj("some.Unknown", &[("x", Value::Int(42))]);
    let h = Holder::from_value(obj(Holder::CLASS, &[("anything", inner.clone())]), "root").unwrap();
    assert_eq!(h.anything, inner);
    assert_eq!(h.anything.as_object().unwrap().props["x"], Value::Int(42));
}

// ------------------------------------------------------------------ copy / eq

#[test]
fn test_copy_method() {
    let e = sample();
    let c = e.copy();
    assert_eq!(c.name, e.name);
    assert_eq!(c.data, e.data);
    assert_eq!(c.id, e.id);
    assert_eq!(c.tag, e.tag);
}

#[test]
fn test_copy_preserves_copiable_only() {
    let c = sample().copy();
    assert_eq!(c.cache, None, "non-copiable property reset to its default");
    assert!(c.scratch.is_empty(), "skipped field reset to its default");
}

#[test]
fn test_copy_nested_objects() {
    let run = Run {
        name: "r".into(),
        measurements: vec![],
        experiment: Some(sample()),
    };
    let c = run.copy();
    let e = c.experiment.unwrap();
    assert_eq!(e.name, "Test1");
    assert_eq!(e.cache, None, "nested non-copiable dropped too");
    // The PropCopy of a Vec of persistables copies each the same way.
    let v = vec![sample()].prop_copy();
    assert_eq!(v[0].cache, None);
}

#[test]
fn test_eq_same_type_same_values() {
    assert!(sample().eq_props(&sample()));
}

#[test]
fn test_eq_same_type_different_values() {
    let mut b = sample();
    b.name = "other".into();
    assert!(!sample().eq_props(&b));
}

#[test]
fn test_eq_with_numpy_arrays() {
    let mut b = sample();
    b.data = Some(array![1.2, 3.4, 5.7].into_dyn());
    assert!(!sample().eq_props(&b));
}

#[test]
fn test_eq_only_compares_copiable() {
    let mut b = sample();
    b.cache = Some(Value::Int(99));
    b.scratch = vec![9];
    assert!(sample().eq_props(&b));
    assert_ne!(sample(), b, "derived PartialEq still compares every field");
}

// ------------------------------------------------------------------ field conversions

fn roundtrip<T: IntoValue + FromValue + PartialEq + std::fmt::Debug>(x: T) -> Value {
    let v = x.to_value().unwrap();
    let back = T::from_value(v.clone(), "root.x").unwrap();
    assert_eq!(back, x);
    v
}

#[test]
fn test_scalar_conversions() {
    assert_eq!(roundtrip(-5i8), Value::Int(-5));
    assert_eq!(roundtrip(300i16), Value::Int(300));
    assert_eq!(roundtrip(7i32), Value::Int(7));
    assert_eq!(roundtrip(i64::MIN), Value::Int(i64::MIN));
    assert_eq!(roundtrip(255u8), Value::Int(255));
    assert_eq!(roundtrip(65535u16), Value::Int(65535));
    assert_eq!(roundtrip(u32::MAX), Value::Int(i64::from(u32::MAX)));
    assert_eq!(roundtrip(5u64), Value::Int(5));
    assert_eq!(roundtrip(u64::MAX), Value::UInt(u64::MAX));
    assert_eq!(roundtrip(1u64 << 63), Value::UInt(1 << 63));
    assert_eq!(roundtrip(1.5f32), Value::Float(1.5));
    assert_eq!(roundtrip(-0.25f64), Value::Float(-0.25));
    assert_eq!(roundtrip(true), Value::Bool(true));
    assert_eq!(roundtrip(String::from("é")), Value::Str("é".into()));
    assert_eq!("s".to_value().unwrap(), Value::Str("s".into()));
    assert_eq!(
        roundtrip(PathBuf::from("/a/b")),
        Value::Path(PathBuf::from("/a/b"))
    );
    assert_eq!(
        roundtrip(Complex::new(1.0f64, -2.0)),
        Value::Complex(1.0, -2.0)
    );
    assert_eq!(
        roundtrip(Complex::new(0.5f32, 2.0)),
        Value::Complex(0.5, 2.0)
    );
    assert_eq!(roundtrip(Some(3i64)), Value::Int(3));
    assert_eq!(roundtrip(None::<i64>), Value::None);
    let ts = Timestamp {
        ns: 1,
        tz: Some("UTC".into()),
    };
    assert_eq!(roundtrip(ts.clone()), Value::Timestamp(ts));
    let dti = DatetimeIndex {
        ns: vec![1, 2, jangada::NAT],
        tz: None,
    };
    assert_eq!(roundtrip(dti.clone()), Value::DatetimeIndex(dti));
    assert_eq!(roundtrip(Value::Int(3)), Value::Int(3));
}

#[test]
fn test_h5py_friendly_widening() {
    // An int loads into a float field, a float into a complex one, a str into a path.
    assert_eq!(f64::from_value(Value::Int(3), "p").unwrap(), 3.0);
    assert_eq!(
        f32::from_value(Value::UInt(u64::MAX), "p").unwrap(),
        u64::MAX as f32
    );
    assert_eq!(
        Complex::<f64>::from_value(Value::Float(2.0), "p").unwrap(),
        Complex::new(2.0, 0.0)
    );
    assert_eq!(
        PathBuf::from_value(Value::Str("/x".into()), "p").unwrap(),
        PathBuf::from("/x")
    );
    assert_eq!(u64::from_value(Value::Int(7), "p").unwrap(), 7);
}

#[test]
fn test_strict_conversions_name_the_path() {
    let err = i64::from_value(Value::Float(1.0), "root.measurements[3].value").unwrap_err();
    match err {
        Error::Type { path, detail } => {
            assert_eq!(path, "root.measurements[3].value");
            assert!(
                detail.contains("i64") && detail.contains("float"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        u8::from_value(Value::Int(256), "p"),
        Err(Error::Type { .. })
    ));
    assert!(matches!(
        u64::from_value(Value::Int(-1), "p"),
        Err(Error::Type { .. })
    ));
    assert!(matches!(
        i64::from_value(Value::UInt(u64::MAX), "p"),
        Err(Error::Type { .. })
    ));
    assert!(matches!(
        bool::from_value(Value::Int(1), "p"),
        Err(Error::Type { .. })
    ));
    assert!(matches!(
        String::from_value(Value::None, "p"),
        Err(Error::Type { .. })
    ));
    assert!(matches!(i128::MAX.to_value(), Err(Error::Unsupported(_))));
}

#[test]
fn test_container_conversions() {
    assert_eq!(
        roundtrip(vec![1i64, 2, 3]),
        Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
    );
    assert_eq!(roundtrip(Vec::<String>::new()), Value::List(vec![]));
    let b = BTreeMap::from([("a".to_string(), 1.5f64), ("b".to_string(), 2.0)]);
    assert_eq!(
        roundtrip(b),
        Value::Dict(BTreeMap::from([
            ("a".to_string(), Value::Float(1.5)),
            ("b".to_string(), Value::Float(2.0)),
        ]))
    );
    let h: HashMap<String, Vec<Option<bool>>> =
        HashMap::from([("k".to_string(), vec![Some(true), None])]);
    assert_eq!(
        roundtrip(h),
        Value::Dict(BTreeMap::from([(
            "k".to_string(),
            Value::List(vec![Value::Bool(true), Value::None])
        )]))
    );
    let err = BTreeMap::<String, i64>::from_value(
        Value::Dict(BTreeMap::from([(
            "key".to_string(),
            Value::Str("x".into()),
        )])),
        "root.d",
    )
    .unwrap_err();
    assert!(err.to_string().contains("root.d[\"key\"]"), "{err}");
    assert!(matches!(
        Vec::<i64>::from_value(Value::Dict(BTreeMap::new()), "p"),
        Err(Error::Type { .. })
    ));
}

#[test]
fn test_array_conversions_every_dtype() {
    macro_rules! check {
        ($t:ty, $variant:ident, $data:expr) => {{
            let a: ArrayD<$t> = ArrayD::from_shape_vec(vec![2, 1], $data).unwrap();
            assert_eq!(roundtrip(a.clone()), Value::Array(ArrayValue::$variant(a)));
        }};
    }
    check!(i8, I8, vec![-1, 2]);
    check!(i16, I16, vec![-1, 2]);
    check!(i32, I32, vec![-1, 2]);
    check!(i64, I64, vec![-1, 2]);
    check!(u8, U8, vec![1, 2]);
    check!(u16, U16, vec![1, 2]);
    check!(u32, U32, vec![1, 2]);
    check!(u64, U64, vec![1, u64::MAX]);
    check!(f32, F32, vec![1.5, 2.0]);
    check!(f64, F64, vec![1.5, f64::NAN.min(2.0)]);
    check!(bool, Bool, vec![true, false]);
    check!(
        Complex<f32>,
        C64,
        vec![Complex::new(1.0, 2.0), Complex::new(0.0, -1.0)]
    );
    check!(
        Complex<f64>,
        C128,
        vec![Complex::new(1.0, 2.0), Complex::new(0.0, -1.0)]
    );
    check!(String, Str, vec!["a".into(), "bé".into()]);
    // 0-d and empty arrays.
    let zero_d = ArrayD::from_elem(vec![], 5i64);
    roundtrip(zero_d);
    let empty = ArrayD::<f64>::zeros(vec![0, 3]);
    roundtrip(empty);
}

#[test]
fn test_array_dimension_and_widening() {
    // Fixed-dimension arrays.
    let m: Array2<i32> = array![[1, 2], [3, 4]];
    roundtrip(m);
    // int64 (numpy's default) into an f64 field.
    let v = Value::Array(ArrayValue::I64(array![1, 2, 3].into_dyn()));
    let a = Array1::<f64>::from_value(v, "p").unwrap();
    assert_eq!(a, array![1.0, 2.0, 3.0]);
    // Wrong rank.
    let v = Value::Array(ArrayValue::F64(array![[1.0]].into_dyn()));
    let err = Array1::<f64>::from_value(v, "root.a").unwrap_err();
    assert!(err.to_string().contains("1-dimensional"), "{err}");
    // float into int array: refused.
    let v = Value::Array(ArrayValue::F64(array![1.0].into_dyn()));
    let err = ArrayD::<i64>::from_value(v, "root.a").unwrap_err();
    assert!(
        err.to_string().contains("int64") && err.to_string().contains("<f8"),
        "{err}"
    );
    // A list is not an array.
    assert!(ArrayD::<i64>::from_value(Value::List(vec![]), "p").is_err());
}

#[test]
fn test_registry_from_value() {
    jangada::registry::register::<Measurement>();
    assert!(jangada::registry::is_registered("serializable.Measurement"));
    assert!(jangada::registry::classes().contains(&"serializable.Measurement"));
    let v = Measurement {
        timestamp: None,
        value: 4.0,
    }
    .to_value()
    .unwrap();
    let any = jangada::registry::from_value(v).unwrap();
    assert_eq!(any.downcast::<Measurement>().unwrap().value, 4.0);
    // Unregistered classes stay generic values.
    let unknown = obj("nobody.Knows", &[]);
    let any = jangada::registry::from_value(unknown.clone()).unwrap();
    assert_eq!(*any.downcast::<Value>().unwrap(), unknown);
}
