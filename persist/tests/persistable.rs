//! Port of jangada 0.1.9's `test/test_Persistable.py` (see `PORTED.md` for the mapping).
//!
//! Every Python test class becomes a module; each test keeps the Python name. Tests that
//! save or load files need `jangada::file::{save_value, load}`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::float_cmp,
    clippy::panic,
    clippy::approx_constant
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jangada::{Error, Persistable, Timestamp, Value};
use ndarray::{array, ArrayD, IxDyn};
use num_complex::Complex;

/// A fresh scratch directory per test (no tempfile dependency).
fn tmp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "jangada-persistable-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn temp_hdf5_file() -> PathBuf {
    tmp_dir().join("test.hdf5")
}

// The fixtures of the Python file.
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "test_Persistable.SimpleClass")]
struct SimpleClass {
    value: i64,
    #[jangada(default = "\"\"")]
    name: String,
}

#[derive(Persistable, Debug, Clone, PartialEq)]
struct ArrayClass {
    data: Option<ArrayD<i64>>,
    metadata: String,
}

#[derive(Persistable, Debug, Clone, PartialEq)]
struct NestedClass {
    child: Option<SimpleClass>,
    value: i64,
}

fn simple(value: i64, name: &str) -> SimpleClass {
    SimpleClass {
        value,
        name: name.into(),
    }
}

const TS_2024_01_15_1230: i64 = 1_705_321_800_000_000_000;

mod test_basic_save_load {
    use super::*;

    #[test]
    fn test_save_creates_file() {
        let path = temp_hdf5_file();
        let written = simple(42, "test").save(&path).unwrap();
        assert!(path.exists());
        assert_eq!(written, path);
        assert_eq!(path.extension().unwrap(), "hdf5");
    }

    #[test]
    fn test_load_from_file() {
        let path = temp_hdf5_file();
        simple(42, "test").save(&path).unwrap();
        let loaded = SimpleClass::load(&path).unwrap();
        assert_eq!(loaded.value, 42);
        assert_eq!(loaded.name, "test");
    }

    #[test]
    fn test_save_load_roundtrip() {
        let path = temp_hdf5_file();
        let original = simple(99, "roundtrip");
        original.save(&path).unwrap();
        assert_eq!(SimpleClass::load(&path).unwrap(), original);
    }

    #[test]
    fn test_default_extension_added() {
        let dir = tmp_dir();
        let written = simple(1, "").save(dir.join("testfile")).unwrap();
        assert_eq!(written, dir.join("testfile.hdf5"));
        assert!(dir.join("testfile.hdf5").exists());
    }

    #[derive(Persistable, Debug, PartialEq)]
    #[jangada(extension = ".h5")]
    struct CustomExtClass {
        value: i64,
    }

    #[test]
    fn test_custom_extension_respected() {
        assert_eq!(CustomExtClass::EXTENSION, ".h5");
        let dir = tmp_dir();
        CustomExtClass { value: 42 }
            .save(dir.join("testfile"))
            .unwrap();
        assert!(dir.join("testfile.h5").exists());
    }

    #[test]
    fn test_overwrite_false_raises_error() {
        let path = temp_hdf5_file();
        simple(1, "").save(&path).unwrap();
        let err = simple(2, "").save_with(&path, false, true).unwrap_err();
        assert!(matches!(err, Error::Exists(_)), "{err:?}");
    }

    #[test]
    fn test_overwrite_true_replaces_file() {
        let path = temp_hdf5_file();
        simple(1, "first").save(&path).unwrap();
        simple(2, "second").save_with(&path, true, true).unwrap();
        let loaded = SimpleClass::load(&path).unwrap();
        assert_eq!(loaded.value, 2);
        assert_eq!(loaded.name, "second");
    }

    #[test]
    fn test_load_nonexistent_file_raises() {
        let err = SimpleClass::load("/nonexistent/path.hdf5").unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    }

    #[test]
    fn test_class_method_load() {
        let path = temp_hdf5_file();
        simple(42, "").save(&path).unwrap();
        // The typed load returns the type itself (Python: isinstance check).
        let loaded: SimpleClass = SimpleClass::load(&path).unwrap();
        assert_eq!(loaded.value, 42);
    }

    #[test]
    fn test_module_level_load_function() {
        let path = temp_hdf5_file();
        simple(42, "").save(&path).unwrap();
        // Generic load: a Value keeping the class name.
        let any = jangada::load(&path).unwrap();
        let obj = any.as_object().unwrap();
        assert_eq!(obj.class, SimpleClass::CLASS);
        assert_eq!(obj.props["value"], Value::Int(42));
        // Registry-based load: the registered Rust type.
        jangada::registry::register::<SimpleClass>();
        let boxed = jangada::registry::load(&path).unwrap();
        let loaded = boxed.downcast::<SimpleClass>().unwrap();
        assert_eq!(loaded.value, 42);
    }
}

mod test_initialization_modes {
    use super::*;

    #[test]
    fn test_normal_construction() {
        let obj = simple(42, "test");
        assert_eq!(obj.value, 42);
        assert_eq!(obj.name, "test");
        // Python's `SimpleClass()`: every property at its default.
        assert_eq!(SimpleClass::default(), simple(0, ""));
    }

    #[test]
    fn test_load_mode_construction() {
        let path = temp_hdf5_file();
        simple(99, "loaded").save(&path).unwrap();
        let loaded = SimpleClass::load(&path).unwrap();
        assert_eq!((loaded.value, loaded.name.as_str()), (99, "loaded"));
    }

    #[test]
    fn test_string_path_accepted() {
        let path = temp_hdf5_file();
        simple(42, "").save(path.to_str().unwrap()).unwrap();
        let loaded = SimpleClass::load(path.to_str().unwrap()).unwrap();
        assert_eq!(loaded.value, 42);
    }

    #[test]
    fn test_pathlib_path_accepted() {
        let path = temp_hdf5_file();
        simple(42, "").save(path.as_path()).unwrap();
        let loaded = SimpleClass::load(path.as_path()).unwrap();
        assert_eq!(loaded.value, 42);
    }
}

mod test_data_types {
    use super::*;

    #[derive(Persistable, Debug, PartialEq)]
    struct NoneClass {
        value: Option<Value>,
    }

    #[test]
    fn test_save_load_none() {
        let path = temp_hdf5_file();
        NoneClass { value: None }.save(&path).unwrap();
        assert_eq!(NoneClass::load(&path).unwrap().value, None);
    }

    #[test]
    fn test_save_load_string() {
        let path = temp_hdf5_file();
        simple(0, "test string").save(&path).unwrap();
        assert_eq!(SimpleClass::load(&path).unwrap().name, "test string");
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct NumberClass {
        integer: i64,
        floating: f64,
        complex_num: Complex<f64>,
    }

    #[test]
    fn test_save_load_numbers() {
        let path = temp_hdf5_file();
        NumberClass {
            integer: 42,
            floating: 3.14,
            complex_num: Complex::new(2.0, 3.0),
        }
        .save(&path)
        .unwrap();
        let loaded = NumberClass::load(&path).unwrap();
        assert_eq!(loaded.integer, 42);
        assert_eq!(loaded.floating, 3.14);
        assert_eq!(loaded.complex_num, Complex::new(2.0, 3.0));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct PathClass {
        filepath: Option<PathBuf>,
    }

    #[test]
    fn test_save_load_path() {
        let path = temp_hdf5_file();
        let test_path = PathBuf::from("/some/absolute/path");
        PathClass {
            filepath: Some(test_path.clone()),
        }
        .save(&path)
        .unwrap();
        assert_eq!(PathClass::load(&path).unwrap().filepath, Some(test_path));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct ListClass {
        items: Option<Vec<Value>>,
    }

    fn mixed_list() -> Vec<Value> {
        vec![
            Value::Int(1),
            Value::Int(2),
            Value::Str("three".into()),
            Value::Float(4.0),
        ]
    }

    #[test]
    fn test_save_load_list() {
        let path = temp_hdf5_file();
        ListClass {
            items: Some(mixed_list()),
        }
        .save(&path)
        .unwrap();
        assert_eq!(ListClass::load(&path).unwrap().items, Some(mixed_list()));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct DictClass {
        data: Option<BTreeMap<String, Value>>,
    }

    fn abc_dict() -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("a".to_string(), Value::Int(1)),
            ("b".to_string(), Value::Str("two".into())),
            ("c".to_string(), Value::Float(3.0)),
        ])
    }

    #[test]
    fn test_save_load_dict() {
        let path = temp_hdf5_file();
        DictClass {
            data: Some(abc_dict()),
        }
        .save(&path)
        .unwrap();
        assert_eq!(DictClass::load(&path).unwrap().data, Some(abc_dict()));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct FloatArrayClass {
        data: Option<ArrayD<f64>>,
        metadata: String,
    }

    #[test]
    fn test_save_load_numpy_array() {
        let path = temp_hdf5_file();
        let arr = array![1.1, 2.2, 3.3, 4.4].into_dyn();
        FloatArrayClass {
            data: Some(arr.clone()),
            metadata: "test".into(),
        }
        .save(&path)
        .unwrap();
        assert_eq!(FloatArrayClass::load(&path).unwrap().data, Some(arr));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct TimeClass {
        timestamp: Option<Timestamp>,
    }

    #[test]
    fn test_save_load_pandas_timestamp() {
        let path = temp_hdf5_file();
        let ts = Timestamp {
            ns: TS_2024_01_15_1230,
            tz: None,
        };
        TimeClass {
            timestamp: Some(ts.clone()),
        }
        .save(&path)
        .unwrap();
        assert_eq!(TimeClass::load(&path).unwrap().timestamp, Some(ts));
    }

    #[test]
    fn test_save_load_pandas_timestamp_with_timezone() {
        let path = temp_hdf5_file();
        let ts = Timestamp {
            ns: TS_2024_01_15_1230,
            tz: Some("UTC".into()),
        };
        TimeClass {
            timestamp: Some(ts.clone()),
        }
        .save(&path)
        .unwrap();
        let loaded = TimeClass::load(&path).unwrap().timestamp.unwrap();
        assert_eq!(loaded, ts);
        assert_eq!(loaded.tz.as_deref(), Some("UTC"));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct MatrixClass {
        matrix: Option<ndarray::Array2<i64>>,
    }

    #[test]
    fn test_save_load_multidimensional_array() {
        let path = temp_hdf5_file();
        let arr = array![[1, 2, 3], [4, 5, 6], [7, 8, 9]];
        MatrixClass {
            matrix: Some(arr.clone()),
        }
        .save(&path)
        .unwrap();
        let loaded = MatrixClass::load(&path).unwrap().matrix.unwrap();
        assert_eq!(loaded, arr);
        assert_eq!(loaded.shape(), &[3, 3]);
    }
}

mod test_nested_objects {
    use super::*;

    #[test]
    fn test_save_load_nested_object() {
        let path = temp_hdf5_file();
        NestedClass {
            child: Some(simple(10, "child")),
            value: 100,
        }
        .save(&path)
        .unwrap();
        let loaded = NestedClass::load(&path).unwrap();
        assert_eq!(loaded.value, 100);
        let child = loaded.child.unwrap();
        assert_eq!((child.value, child.name.as_str()), (10, "child"));
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct ListOfObjects {
        items: Option<Vec<SimpleClass>>,
    }

    #[test]
    fn test_save_load_list_of_objects() {
        let path = temp_hdf5_file();
        ListOfObjects {
            items: Some(vec![
                simple(1, "first"),
                simple(2, "second"),
                simple(3, "third"),
            ]),
        }
        .save(&path)
        .unwrap();
        let items = ListOfObjects::load(&path).unwrap().items.unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].value, 1);
        assert_eq!(items[1].name, "second");
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct Inner {
        value: i64,
    }
    #[derive(Persistable, Debug, PartialEq)]
    struct Middle {
        inner: Option<Inner>,
    }
    #[derive(Persistable, Debug, PartialEq)]
    struct Outer {
        middle: Option<Middle>,
    }

    #[test]
    fn test_save_load_deeply_nested() {
        let path = temp_hdf5_file();
        Outer {
            middle: Some(Middle {
                inner: Some(Inner { value: 42 }),
            }),
        }
        .save(&path)
        .unwrap();
        let loaded = Outer::load(&path).unwrap();
        assert_eq!(loaded.middle.unwrap().inner.unwrap().value, 42);
    }
}

mod test_hdf5_structure {
    use super::*;
    use jangada::hdf5::File;

    #[test]
    fn test_root_group_exists() {
        let path = temp_hdf5_file();
        simple(42, "").save(&path).unwrap();
        let f = File::open(&path).unwrap();
        assert!(f.group("root").is_ok());
    }

    #[test]
    fn test_class_attribute_stored() {
        let path = temp_hdf5_file();
        simple(42, "test").save(&path).unwrap();
        let f = File::open(&path).unwrap();
        let class = f.group("root").unwrap().attr("__class__").unwrap();
        assert!(format!("{:?}", class.read_dyn().unwrap()).contains("test_Persistable.SimpleClass"));
    }

    #[derive(Persistable)]
    struct ListClass {
        items: Option<Vec<i64>>,
    }

    #[test]
    fn test_container_type_for_lists() {
        let path = temp_hdf5_file();
        ListClass {
            items: Some(vec![1, 2, 3]),
        }
        .save(&path)
        .unwrap();
        let f = File::open(&path).unwrap();
        let attr = f
            .group("root/items")
            .unwrap()
            .attr("__container_type__")
            .unwrap();
        assert!(format!("{:?}", attr.read_dyn().unwrap()).contains("list"));
    }

    #[derive(Persistable)]
    struct DictClass {
        data: Option<BTreeMap<String, i64>>,
    }

    #[test]
    fn test_container_type_for_dicts() {
        let path = temp_hdf5_file();
        DictClass {
            data: Some(BTreeMap::from([("a".into(), 1), ("b".into(), 2)])),
        }
        .save(&path)
        .unwrap();
        let f = File::open(&path).unwrap();
        let attr = f
            .group("root/data")
            .unwrap()
            .attr("__container_type__")
            .unwrap();
        assert!(format!("{:?}", attr.read_dyn().unwrap()).contains("dict"));
    }

    #[test]
    fn test_dataset_type_stored() {
        let path = temp_hdf5_file();
        ArrayClass {
            data: Some(array![1, 2, 3].into_dyn()),
            metadata: String::new(),
        }
        .save(&path)
        .unwrap();
        let f = File::open(&path).unwrap();
        let attr = f
            .dataset("root/data")
            .unwrap()
            .attr("__dataset_type__")
            .unwrap();
        assert!(format!("{:?}", attr.read_dyn().unwrap()).contains("ndarray"));
    }

    #[test]
    fn test_datasets_resizable() {
        let path = temp_hdf5_file();
        ArrayClass {
            data: Some(array![1, 2, 3].into_dyn()),
            metadata: String::new(),
        }
        .save(&path)
        .unwrap();
        let f = File::open(&path).unwrap();
        assert_eq!(f.dataset("root/data").unwrap().maxshape()[0], None);
    }
}

mod test_error_handling {
    use super::*;

    /// Python: saving an unregistered type raises TypeError. In Rust an unsupported field
    /// type does not compile (see `tests/ui/`); what remains are values jangada cannot
    /// hold, e.g. integers wider than 64 bits.
    #[derive(Persistable)]
    struct BadClass {
        bad_data: i128,
    }

    #[test]
    fn test_save_unserializable_type_raises() {
        let path = temp_hdf5_file();
        let err = BadClass {
            bad_data: i128::MAX,
        }
        .save(&path)
        .unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
        assert!(!path.exists());
    }

    #[test]
    fn test_load_corrupted_file_raises() {
        let path = tmp_dir().join("corrupted.hdf5");
        std::fs::write(&path, b"not an hdf5 file").unwrap();
        assert!(SimpleClass::load(&path).is_err());
    }

    #[test]
    fn test_load_without_root_group_raises() {
        let path = tmp_dir().join("bad_structure.hdf5");
        {
            let f = jangada::hdf5::File::create(&path).unwrap();
            f.root().unwrap().create_group("not_root").unwrap();
            f.close().unwrap();
        }
        let err = SimpleClass::load(&path).unwrap_err();
        assert!(err.to_string().contains("root"), "{err}");
    }

    /// Rust addition: a typed load of a file holding another class.
    #[test]
    fn test_load_wrong_class_raises() {
        let path = temp_hdf5_file();
        simple(1, "").save(&path).unwrap();
        let err = NestedClass::load(&path).unwrap_err();
        match err {
            Error::WrongClass { expected, found } => {
                assert_eq!(expected, NestedClass::CLASS);
                assert_eq!(found, "test_Persistable.SimpleClass");
            }
            other => panic!("{other:?}"),
        }
    }
}

mod test_integration {
    use super::*;

    #[derive(Persistable, Debug, PartialEq)]
    struct Measurement {
        timestamp: Option<Timestamp>,
        temperature: f64,
        readings: Option<ArrayD<f64>>,
        metadata: String,
    }

    #[test]
    fn test_scientific_experiment_workflow() {
        let path = tmp_dir().join("measurement.hdf5");
        Measurement {
            timestamp: Some(Timestamp {
                ns: TS_2024_01_15_1230,
                tz: None,
            }),
            temperature: 298.15,
            readings: Some(array![1.2, 3.4, 5.6, 7.8, 9.0].into_dyn()),
            metadata: "Test run #1".into(),
        }
        .save(&path)
        .unwrap();
        let loaded = Measurement::load(&path).unwrap();
        assert_eq!(loaded.temperature, 298.15);
        assert_eq!(loaded.readings.unwrap().len(), 5);
        assert_eq!(loaded.metadata, "Test run #1");
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct Component {
        name: String,
        value: f64,
    }
    #[derive(Persistable, Debug, PartialEq)]
    struct Subsystem {
        name: String,
        components: Option<Vec<Component>>,
    }
    #[derive(Persistable, Debug, PartialEq)]
    struct System {
        name: String,
        subsystems: Option<Vec<Subsystem>>,
    }

    fn component(name: &str, value: f64) -> Component {
        Component {
            name: name.into(),
            value,
        }
    }

    #[test]
    fn test_hierarchical_system_structure() {
        let path = tmp_dir().join("system.hdf5");
        let system = System {
            name: "Main System".into(),
            subsystems: Some(vec![
                Subsystem {
                    name: "Subsystem A".into(),
                    components: Some(vec![
                        component("Component 1", 1.0),
                        component("Component 2", 2.0),
                    ]),
                },
                Subsystem {
                    name: "Subsystem B".into(),
                    components: Some(vec![component("Component 3", 3.0)]),
                },
            ]),
        };
        system.save(&path).unwrap();
        let loaded = System::load(&path).unwrap();
        assert_eq!(loaded.name, "Main System");
        let subs = loaded.subsystems.as_ref().unwrap();
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[0].name, "Subsystem A");
        let comps = subs[0].components.as_ref().unwrap();
        assert_eq!(comps.len(), 2);
        assert_eq!(comps[1].value, 2.0);
        assert_eq!(loaded, system);
    }

    #[derive(Persistable, Debug, PartialEq)]
    struct MixedTypes {
        integer: i64,
        floating: f64,
        string: String,
        path: Option<PathBuf>,
        array: Option<ArrayD<i64>>,
        timestamp: Option<Timestamp>,
        list_data: Option<Vec<Value>>,
        dict_data: Option<BTreeMap<String, i64>>,
        none_value: Option<Value>,
    }

    #[test]
    fn test_mixed_property_types() {
        let path = tmp_dir().join("mixed.hdf5");
        let obj = MixedTypes {
            integer: 42,
            floating: 3.14,
            string: "test".into(),
            path: Some(PathBuf::from("/some/path")),
            array: Some(array![1, 2, 3].into_dyn()),
            timestamp: Some(Timestamp {
                ns: 1_704_067_200_000_000_000,
                tz: None,
            }),
            list_data: Some(vec![
                Value::Int(1),
                Value::Str("two".into()),
                Value::Float(3.0),
            ]),
            dict_data: Some(BTreeMap::from([("a".into(), 1), ("b".into(), 2)])),
            none_value: None,
        };
        obj.save(&path).unwrap();
        let loaded = MixedTypes::load(&path).unwrap();
        assert_eq!(loaded, obj);
        assert_eq!(loaded.path.as_deref(), Some(Path::new("/some/path")));
        assert_eq!(
            loaded.array.unwrap(),
            ArrayD::from_shape_vec(IxDyn(&[3]), vec![1, 2, 3]).unwrap()
        );
    }
}

// ---------- better than jangada: per-field compression and chunk shape ----------

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Stored")]
struct Stored {
    #[jangada(compression = 6, chunks = [64])]
    packed: ArrayD<f64>,
    #[jangada(chunks = "10, 4")]
    grid: ArrayD<i32>,
    plain: ArrayD<f64>,
}

#[test]
fn per_field_compression_and_chunks() {
    let obj = Stored {
        packed: ArrayD::from_shape_vec(IxDyn(&[1000]), (0..1000).map(|i| (i % 7) as f64).collect())
            .unwrap(),
        grid: ArrayD::from_shape_vec(IxDyn(&[30, 8]), (0..240).collect()).unwrap(),
        plain: ArrayD::from_shape_vec(IxDyn(&[5]), vec![1.0; 5]).unwrap(),
    };
    let path = obj.save(tmp_dir().join("stored")).unwrap();
    let file = jangada::hdf5::File::open(&path).unwrap();
    let packed = file.dataset("root/packed").unwrap();
    assert_eq!(packed.chunks(), Some(&[64u64][..]));
    let ids: Vec<u16> = packed.filters().iter().map(|f| f.id).collect();
    assert_eq!(ids, [2, 1], "shuffle then deflate");
    assert_eq!(packed.filters()[1].client_data, [6]);
    assert_eq!(
        file.dataset("root/grid").unwrap().chunks(),
        Some(&[10u64, 4][..])
    );
    assert!(file.dataset("root/plain").unwrap().filters().is_empty());
    assert_eq!(Stored::load(&path).unwrap(), obj);
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Pipelines")]
struct Pipelines {
    #[jangada(compression = "zstd:5")]
    zstd: ArrayD<f64>,
    #[jangada(compression = "shuffle,bzip2:1,fletcher32")]
    bzip2: ArrayD<i32>,
    #[jangada(compression = "bitshuffle:lz4", chunks = [256])]
    bitshuffle: ArrayD<u16>,
    #[jangada(compression = "lzf")]
    lzf: ArrayD<f32>,
    #[jangada(compression = "blosc2:zstd:5:bitshuffle")]
    blosc2: ArrayD<f64>,
    #[jangada(compression = "blosc:lz4:5:bitshuffle")]
    blosc: ArrayD<u16>,
    #[jangada(compression = "szip:nn:16")]
    szip: ArrayD<i32>,
    #[jangada(compression = "scaleoffset:int,shuffle,gzip:1")]
    scaleoffset: ArrayD<i64>,
    #[jangada(compression = "zfp:reversible")]
    zfp: ArrayD<f64>,
}

#[test]
fn per_field_filter_pipelines() {
    let n = 3000;
    let obj = Pipelines {
        zstd: ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] as f64 / 30.0).sin()),
        bzip2: ArrayD::from_shape_fn(IxDyn(&[n / 10, 10]), |i| (i[0] * 10 + i[1]) as i32 / 3),
        bitshuffle: ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] % 300) as u16),
        lzf: ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] % 17) as f32),
        blosc2: ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] as f64).sqrt()),
        blosc: ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] / 7) as u16),
        szip: ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] as i32 - 1500) * 3),
        scaleoffset: ArrayD::from_shape_fn(IxDyn(&[n]), |i| 1_000_000 + (i[0] % 100) as i64),
        zfp: ArrayD::from_shape_fn(IxDyn(&[60, 50]), |i| {
            (i[0] as f64 * 0.1).cos() * i[1] as f64
        }),
    };
    let path = obj.save(tmp_dir().join("pipelines")).unwrap();
    let file = jangada::hdf5::File::open(&path).unwrap();
    let ids = |name: &str| -> Vec<u16> {
        file.dataset(&format!("root/{name}"))
            .unwrap()
            .filters()
            .iter()
            .map(|f| f.id)
            .collect()
    };
    assert_eq!(ids("zstd"), [32015]);
    assert_eq!(ids("bzip2"), [2, 307, 3]);
    assert_eq!(ids("bitshuffle"), [32008]);
    assert_eq!(ids("lzf"), [32000]);
    assert_eq!(ids("blosc2"), [32026]);
    assert_eq!(ids("blosc"), [32001]);
    assert_eq!(ids("szip"), [4]);
    assert_eq!(ids("scaleoffset"), [6, 2, 1]);
    assert_eq!(ids("zfp"), [32013]);
    assert_eq!(
        file.dataset("root/bitshuffle").unwrap().chunks(),
        Some(&[256u64][..])
    );
    assert_eq!(Pipelines::load(&path).unwrap(), obj);
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.BadPipeline")]
struct BadPipeline {
    #[jangada(compression = "shuffle,brotli:3")]
    data: ArrayD<f64>,
}

#[test]
fn an_unknown_filter_in_a_pipeline_is_an_error_naming_the_property() {
    let obj = BadPipeline {
        data: ArrayD::zeros(IxDyn(&[4])),
    };
    let path = tmp_dir().join("bad_pipeline.hdf5");
    let err = obj.save(&path).unwrap_err();
    assert!(matches!(&err, Error::Invalid { property, .. } if property == "data"));
    assert!(err.to_string().contains("brotli"), "{err}");
    assert!(!path.exists(), "nothing written");
}
