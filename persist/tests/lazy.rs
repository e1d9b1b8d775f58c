//! Lazy mode (jangada's context manager): `open(path, mode)`, `Handle`, `ProxyDataset`,
//! the derived `<Name>Handle` accessors, and files modified in `r+` by either side
//! (Rust and Python jangada 0.1.9).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../tests/common.rs"]
mod common;

use std::path::{Path, PathBuf};

use jangada::lazy::IntoSelection;
use jangada::mapping::load::DatasetType;
use jangada::{
    open, ArrayValue, DatetimeIndex, Error, LazyValue, Mode, Persistable, SliceArg, Timestamp,
    Value,
};
use ndarray::{arr0, arr1, arr2, Array1, Array2, ArrayD};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jangada-lazy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "__main__.Experiment")]
struct Experiment {
    #[jangada(default = "\"\"")]
    name: String,
    #[jangada(default = 293.15)]
    temperature: f64,
    data: Option<ArrayD<f64>>,
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Settings")]
struct Settings {
    gain: f64,
    #[jangada(parser = positive)]
    rate: f64,
    #[jangada(writeonce)]
    serial: Option<String>,
    matrix: Array2<i32>,
}

fn positive(x: f64) -> Result<f64, String> {
    if x > 0.0 {
        Ok(x)
    } else {
        Err(format!("{x} is not positive"))
    }
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Rig")]
struct Rig {
    label: String,
    settings: Settings,
    other: Option<Settings>,
    #[jangada(default_fn = no_times)]
    times: DatetimeIndex,
    #[jangada(default_fn = epoch)]
    start: Timestamp,
    count: i64,
    items: Vec<i64>,
}

fn no_times() -> DatetimeIndex {
    DatetimeIndex {
        ns: vec![],
        tz: None,
    }
}

fn epoch() -> Timestamp {
    Timestamp { ns: 0, tz: None }
}

const S: i64 = 1_000_000_000;
/// 2024-03-31T00:00Z: Paris changes to summer time at 01:00Z that day.
const MAR_31: i64 = 1_711_843_200 * S;

fn experiment(n: usize) -> Experiment {
    Experiment {
        name: "Test1".into(),
        temperature: 373.15,
        data: Some(Array1::from_iter((0..n).map(|i| i as f64)).into_dyn()),
    }
}

fn settings() -> Settings {
    Settings {
        gain: 2.5,
        rate: 10.0,
        serial: None,
        matrix: arr2(&[[1, 2, 3], [4, 5, 6]]),
    }
}

fn rig() -> Rig {
    Rig {
        label: "bench".into(),
        settings: settings(),
        other: None,
        times: DatetimeIndex {
            ns: vec![MAR_31, MAR_31 + 3600 * S],
            tz: Some("Europe/Paris".into()),
        },
        start: Timestamp {
            ns: MAR_31,
            tz: Some("America/New_York".into()),
        },
        count: 7,
        items: vec![1, 2, 3],
    }
}

fn saved<T: Persistable>(v: &T, d: &Path, name: &str) -> PathBuf {
    v.save(d.join(name)).unwrap()
}

// ------------------------------------------------------------------ properties and reads

#[test]
fn proxy_properties_and_reads() {
    let d = dir("props");
    let p = saved(&experiment(100), &d, "e");
    let f = Experiment::open(&p, Mode::Read).unwrap();
    assert_eq!(f.mode(), Mode::Read);
    assert!(!f.is_writable());
    assert_eq!(f.class().unwrap().as_deref(), Some("__main__.Experiment"));
    assert_eq!(f.keys().unwrap(), ["data", "name", "temperature"]);
    assert_eq!(f.name().unwrap(), "Test1");
    assert_eq!(f.temperature().unwrap(), 373.15);
    assert_eq!(f.prop::<f64>("temperature").unwrap(), 373.15);
    let data = f.data().unwrap().unwrap();
    assert_eq!(data.shape(), [100]);
    assert_eq!(data.dtype(), "<f8");
    assert_eq!((data.ndim(), data.size(), data.nbytes()), (1, 100, 800));
    assert!(data.attrs().is_empty(), "{:?}", data.attrs());
    assert_eq!(data.kind(), DatasetType::NdArray);
    assert_eq!(data.dataset_type(), "numpy.ndarray");
    assert_eq!(data.path(), "/root/data");
    assert!(data.is_resizable());
    // ints, ranges, steps, negative positions, open ranges
    assert_eq!(data.get::<f64>(5).unwrap(), arr0(5.0).into_dyn());
    assert_eq!(data.get::<f64>(-1).unwrap(), arr0(99.0).into_dyn());
    assert_eq!(
        data.get::<f64>(10..13).unwrap(),
        arr1(&[10.0, 11.0, 12.0]).into_dyn()
    );
    assert_eq!(
        data.get::<f64>(97..).unwrap(),
        arr1(&[97.0, 98.0, 99.0]).into_dyn()
    );
    assert_eq!(data.get::<f64>(..2).unwrap(), arr1(&[0.0, 1.0]).into_dyn());
    let stepped = data.get::<f64>(SliceArg::stepped(0, 100, 25)).unwrap();
    assert_eq!(stepped, arr1(&[0.0, 25.0, 50.0, 75.0]).into_dyn());
    assert_eq!(data.get::<i64>(3..5).unwrap(), arr1(&[3, 4]).into_dyn());
    assert_eq!(data.get::<f64>(..).unwrap().len(), 100);
    match data.get_dyn(1..3).unwrap() {
        ArrayValue::F64(a) => assert_eq!(a, arr1(&[1.0, 2.0]).into_dyn()),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        data.get_value(1..2).unwrap(),
        Value::Array(ArrayValue::F64(arr1(&[1.0]).into_dyn()))
    );
    let err = data.get::<f64>(100).unwrap_err().to_string();
    assert!(err.contains("index 100 is out of range"), "{err}");
    // the untyped view of the same file
    let g = open(&p, "r".parse().unwrap()).unwrap();
    assert_eq!(g.get("name").unwrap(), Value::Str("Test1".into()));
    assert_eq!(g.proxy("data").unwrap().shape(), [100]);
    assert!(
        matches!(g.lazy("temperature").unwrap(), LazyValue::Value(Value::Float(t)) if t == 373.15)
    );
    assert!(matches!(g.lazy("data").unwrap(), LazyValue::Proxy(_)));
    assert_eq!(
        g.load_value().unwrap(),
        Value::Object(experiment(100).to_object().unwrap())
    );
    assert_eq!(f.load().unwrap(), experiment(100));
}

#[test]
fn multidimensional_selections() {
    let d = dir("multi");
    let p = saved(&settings(), &d, "s");
    let f = Settings::open(&p, Mode::Read).unwrap();
    let m = f.matrix().unwrap();
    assert_eq!(
        (m.shape(), m.dtype(), m.ndim(), m.size(), m.nbytes()),
        (vec![2, 3], "<i4".to_string(), 2, 6, 24)
    );
    assert_eq!(m.get::<i32>((1, 2)).unwrap(), arr0(6).into_dyn());
    assert_eq!(
        m.get::<i32>((.., 1..)).unwrap(),
        arr2(&[[2, 3], [5, 6]]).into_dyn()
    );
    assert_eq!(m.get::<i32>(1).unwrap(), arr1(&[4, 5, 6]).into_dyn());
    assert_eq!(
        m.get::<i32>((0..2, SliceArg::stepped(0, 3, 2))).unwrap(),
        arr2(&[[1, 3], [4, 6]]).into_dyn()
    );
    let sel = vec![SliceArg::Index(-1), SliceArg::range(0, 2)]
        .into_selection()
        .unwrap();
    assert_eq!(m.get::<i64>(sel).unwrap(), arr1(&[4, 5]).into_dyn());
    // ndarray's s![] is a selection too (the same story as the HDF5 crate's).
    assert_eq!(
        m.get::<i32>(ndarray::s![.., 0..3;2]).unwrap(),
        arr2(&[[1, 3], [4, 6]]).into_dyn()
    );
    let err = m.get::<i32>((0, 0, 0)).unwrap_err().to_string();
    assert!(
        err.contains("selection has 3 axes but the dataset has 2"),
        "{err}"
    );
}

#[test]
fn time_proxies_convert_wall_clock_to_instants() {
    let d = dir("time");
    let p = saved(&rig(), &d, "r");
    let f = Rig::open(&p, Mode::Read).unwrap();
    let t = f.times().unwrap();
    assert_eq!(t.kind(), DatasetType::DatetimeIndex);
    assert_eq!(t.dataset_type(), "pandas.DatetimeIndex");
    assert_eq!(t.timezone(), Some("Europe/Paris"));
    assert_eq!(
        t.attrs().get("timezone"),
        Some(&Value::Str("Europe/Paris".into()))
    );
    assert_eq!((t.shape(), t.dtype()), (vec![2], "<i8".to_string()));
    // stored: wall clock (01:00 CET, then 03:00 CEST)
    let wall = t.get::<i64>(..).unwrap();
    assert_eq!(
        wall,
        arr1(&[MAR_31 + 3600 * S, MAR_31 + 3 * 3600 * S]).into_dyn()
    );
    let all = t.get_timestamps(..).unwrap();
    assert_eq!(all, rig().times);
    assert_eq!(t.get_timestamps(1).unwrap().ns, [MAR_31 + 3600 * S]);
    assert_eq!(
        t.get_value(0).unwrap(),
        Value::Timestamp(Timestamp {
            ns: MAR_31,
            tz: Some("Europe/Paris".into())
        })
    );
    assert_eq!(t.load().unwrap(), Value::DatetimeIndex(rig().times));
    let s = f.start().unwrap();
    assert_eq!(
        (s.kind(), s.shape(), s.timezone()),
        (DatasetType::Timestamp, vec![], Some("America/New_York"))
    );
    assert_eq!(s.load().unwrap(), Value::Timestamp(rig().start));
    let err = f
        .settings()
        .unwrap()
        .matrix()
        .unwrap()
        .get_timestamps(..)
        .unwrap_err();
    assert!(
        err.to_string().contains("holds an array, not times"),
        "{err}"
    );
}

#[test]
fn nested_objects_and_paths() {
    let d = dir("nested");
    let p = saved(&rig(), &d, "r");
    let f = Rig::open(&p, Mode::ReadWrite).unwrap();
    let s = f.settings().unwrap();
    assert_eq!(s.group_path(), "/root/settings");
    assert_eq!(s.gain().unwrap(), 2.5);
    assert_eq!(s.matrix().unwrap().shape(), [2, 3]);
    assert!(f.other().unwrap().is_none());
    assert_eq!(f.items().unwrap(), [1, 2, 3]);
    assert_eq!(f.count().unwrap(), 7);
    assert_eq!(
        f.proxy("settings/matrix")
            .unwrap()
            .get::<i32>((1, 0))
            .unwrap(),
        arr0(4).into_dyn()
    );
    assert_eq!(f.get("items/2").unwrap(), Value::Int(3));
    assert_eq!(f.child("items").unwrap().keys().unwrap(), ["0", "1", "2"]);
    assert!(matches!(f.lazy("settings").unwrap(), LazyValue::Group(_)));
    // nested setters go to the nested group
    s.set_gain(4.0).unwrap();
    assert_eq!(f.prop::<f64>("settings/gain").unwrap(), 4.0);
    // wrong kinds are typed errors naming the property
    let err = f.proxy("count").unwrap_err();
    assert!(matches!(err, Error::Type { .. }));
    assert_eq!(err.to_string(), "type mismatch at root.count: expected an array or time dataset, found int (stored as an attribute)");
    let err = f.proxy("settings").unwrap_err().to_string();
    assert!(err.contains("found a group"), "{err}");
    let err = f.proxy("nothing").unwrap_err().to_string();
    assert_eq!(err, "not a jangada file: /root has no item \"nothing\"");
    let err = f.untyped_settings_wrong_class();
    assert_eq!(
        err,
        "wrong class: expected __main__.Experiment, the file holds tests.Settings"
    );
}

trait WrongClass {
    fn untyped_settings_wrong_class(&self) -> String;
}

impl WrongClass for jangada::Handle<Rig> {
    fn untyped_settings_wrong_class(&self) -> String {
        self.object()
            .object::<Experiment>("settings")
            .unwrap_err()
            .to_string()
    }
}

// ------------------------------------------------------------------ writes

#[test]
fn set_within_bounds_and_auto_resize() {
    let d = dir("set");
    let p = saved(&experiment(100), &d, "e");
    {
        let f = Experiment::open(&p, Mode::ReadWrite).unwrap();
        let data = f.data().unwrap().unwrap();
        data.set_scalar(50, 99.9).unwrap();
        data.set(10..20, &Array1::<f64>::zeros(10)).unwrap();
        assert_eq!(data.shape(), [100]);
        // the seed's example: 100 elements, data[200] = 99.9 -> shape (201,)
        data.set_scalar(200, 99.9).unwrap();
        assert_eq!(data.shape(), [201]);
        assert_eq!(
            data.get::<f64>(199..).unwrap(),
            arr1(&[0.0, 99.9]).into_dyn()
        );
        // a slice past the end grows to exactly its last position
        data.set(201..205, &arr1(&[1.0, 2.0, 3.0, 4.0])).unwrap();
        assert_eq!(data.shape(), [205]);
        data.set(SliceArg::stepped(205, 211, 3), &arr1(&[7.0, 8.0]))
            .unwrap();
        assert_eq!(data.shape(), [209]);
        assert_eq!(
            data.get::<f64>(205..).unwrap(),
            arr1(&[7.0, 0.0, 0.0, 8.0]).into_dyn()
        );
        // another proxy of the same dataset sees the new shape
        assert_eq!(f.data().unwrap().unwrap().shape(), [209]);
        let err = data.set(0..3, &arr1(&[1.0, 2.0])).unwrap_err().to_string();
        assert!(
            err.contains("does not match the selection's shape"),
            "{err}"
        );
    }
    let e = Experiment::load(&p).unwrap();
    let v = e.data.unwrap();
    assert_eq!(v.len(), 209);
    assert_eq!(
        (v[50], v[15], v[200], v[204], v[208]),
        (99.9, 0.0, 99.9, 4.0, 8.0)
    );
}

#[test]
fn appends() {
    let d = dir("append");
    let p = saved(&experiment(3), &d, "e");
    for i in 0..3 {
        let f = Experiment::open(&p, Mode::ReadWrite).unwrap();
        f.data()
            .unwrap()
            .unwrap()
            .append(&arr1(&[10.0 + f64::from(i), 20.0]))
            .unwrap();
    }
    let f = Experiment::open(&p, Mode::ReadWrite).unwrap();
    let data = f.data().unwrap().unwrap();
    assert_eq!(data.shape(), [9]);
    data.append(&arr0(5.0)).unwrap(); // one element (ndim - 1)
    data.append(&Array1::<f64>::zeros(0)).unwrap(); // nothing
    data.append_value(&Value::Array(ArrayValue::F64(arr1(&[6.0]).into_dyn())))
        .unwrap();
    assert_eq!(
        data.get::<f64>(..).unwrap(),
        arr1(&[0.0, 1.0, 2.0, 10.0, 20.0, 11.0, 20.0, 12.0, 20.0, 5.0, 6.0]).into_dyn()
    );
    drop(f);
    // 2-D: rows
    let p2 = saved(&settings(), &d, "s");
    let f = Settings::open(&p2, Mode::ReadWrite).unwrap();
    let m = f.matrix().unwrap();
    m.append(&arr2(&[[7, 8, 9], [10, 11, 12]])).unwrap();
    m.append(&arr1(&[13, 14, 15])).unwrap();
    assert_eq!(m.shape(), [5, 3]);
    assert_eq!(m.get::<i32>(4).unwrap(), arr1(&[13, 14, 15]).into_dyn());
    let err = m.append(&arr2(&[[1, 2]])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write to /root/matrix: data of shape [1, 2] cannot be appended to shape [5, 3] (the shapes after axis 0 must be equal)"
    );
    // The proxy keeps the file open (and write-locked) as long as it lives.
    drop(m);
    drop(f);
    assert_eq!(Settings::load(&p2).unwrap().matrix.nrows(), 5);
}

#[test]
fn timestamps_set_and_append() {
    let d = dir("tappend");
    let p = saved(&rig(), &d, "r");
    {
        let f = Rig::open(&p, Mode::ReadWrite).unwrap();
        let t = f.times().unwrap();
        let more = DatetimeIndex {
            ns: vec![MAR_31 + 7200 * S],
            tz: Some("Europe/Paris".into()),
        };
        t.append_timestamps(&more).unwrap();
        t.append_value(&Value::Timestamp(Timestamp {
            ns: MAR_31 + 4 * 3600 * S,
            tz: Some("Europe/Paris".into()),
        }))
        .unwrap();
        t.set_timestamps(
            0,
            &DatetimeIndex {
                ns: vec![MAR_31 - 3600 * S],
                tz: Some("Europe/Paris".into()),
            },
        )
        .unwrap();
        // past the end: grows
        t.set_timestamps(
            5..7,
            &DatetimeIndex {
                ns: vec![MAR_31 + 5 * 3600 * S, MAR_31 + 6 * 3600 * S],
                tz: Some("Europe/Paris".into()),
            },
        )
        .unwrap();
        assert_eq!(t.shape(), [7]);
        // errors: another zone, naive, plain numbers, 0-d
        let utc = DatetimeIndex {
            ns: vec![MAR_31],
            tz: Some("UTC".into()),
        };
        let err = t.append_timestamps(&utc).unwrap_err();
        assert!(matches!(err, Error::Mismatch { .. }));
        assert_eq!(err.to_string(), "cannot write to /root/times: the dataset's time zone is Europe/Paris, the timestamps' is UTC");
        let naive = DatetimeIndex {
            ns: vec![MAR_31],
            tz: None,
        };
        assert_eq!(
            t.set_timestamps(0, &naive).unwrap_err().to_string(),
            "cannot write to /root/times: the dataset's time zone is Europe/Paris, the timestamps' is None (naive)"
        );
        let err = t.append(&arr1(&[1_i64])).unwrap_err().to_string();
        assert!(err.starts_with("cannot write to /root/times: it is a pandas.DatetimeIndex dataset (time zone Europe/Paris): write timestamps"), "{err}");
        let s = f.start().unwrap();
        let err = s
            .append_timestamps(&DatetimeIndex {
                ns: vec![MAR_31],
                tz: Some("America/New_York".into()),
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot write to /root/start: it is a 0-d pandas.Timestamp (a single time): nothing can be appended");
        // a 0-d timestamp can be overwritten
        s.set_timestamps(
            ..,
            &DatetimeIndex {
                ns: vec![MAR_31 + S],
                tz: Some("America/New_York".into()),
            },
        )
        .unwrap();
        let err = f
            .settings()
            .unwrap()
            .matrix()
            .unwrap()
            .append_timestamps(&utc)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "cannot write to /root/settings/matrix: cannot append timestamps to a numpy.ndarray dataset: it holds an array, not times");
    }
    let r = Rig::load(&p).unwrap();
    let h = 3600 * S;
    // position 4 was never written: wall clock 0 (1970-01-01 00:00 in Paris, CET)
    assert_eq!(
        r.times.ns,
        [
            MAR_31 - h,
            MAR_31 + h,
            MAR_31 + 2 * h,
            MAR_31 + 4 * h,
            -h,
            MAR_31 + 5 * h,
            MAR_31 + 6 * h
        ]
    );
    assert_eq!(r.start.ns, MAR_31 + S);
}

#[test]
fn write_errors() {
    let d = dir("errors");
    let p = saved(&rig(), &d, "r");
    // mode r
    {
        let f = Rig::open(&p, Mode::Read).unwrap();
        let m = f.settings().unwrap().matrix().unwrap();
        let err = m.append(&arr1(&[1, 2, 3])).unwrap_err();
        assert!(matches!(err, Error::ReadOnly(_)));
        assert_eq!(err.to_string(), "cannot write /root/settings/matrix: the file is open read-only (mode \"r\"); open it with \"r+\" or \"a\"");
        assert!(matches!(
            m.set_scalar(0, 1).unwrap_err(),
            Error::ReadOnly(_)
        ));
        let err = f.set_count(3).unwrap_err();
        assert_eq!(err.to_string(), "cannot write root.count: the file is open read-only (mode \"r\"); open it with \"r+\" or \"a\"");
        assert!(matches!(
            f.set("label", "x").unwrap_err(),
            Error::ReadOnly(_)
        ));
    }
    let f = Rig::open(&p, Mode::ReadWrite).unwrap();
    let m = f.settings().unwrap().matrix().unwrap();
    // element type
    let err = m.append(&arr1(&[1.0, 2.0, 3.0])).unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }));
    assert_eq!(
        err.to_string(),
        "cannot write to /root/settings/matrix: the dataset holds <i4 elements, the data is <f8 \
         (which does not convert to <i4 without loss)"
    );
    assert!(m
        .set_scalar((0, 0), 1_i64)
        .unwrap_err()
        .to_string()
        .contains("holds <i4 elements, the data is <i8"));
    assert!(m
        .append_value(&Value::Str("x".into()))
        .unwrap_err()
        .to_string()
        .contains("a str cannot be appended"));
    // parser and write-once through the derived setters
    let s = f.settings().unwrap();
    let err = s.set_rate(-1.0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value for tests.Settings.rate: -1 is not positive"
    );
    s.set_serial(Some("A1".into())).unwrap();
    let err = s.set_serial(Some("B2".into())).unwrap_err();
    assert_eq!(err.to_string(), "invalid value for tests.Settings.serial: is a write-once property and has already been set");
    assert_eq!(s.serial().unwrap().as_deref(), Some("A1"));
    // reserved / bad names
    assert!(f
        .set("__class__", "x")
        .unwrap_err()
        .to_string()
        .contains("reserved by jangada"));
}

#[test]
fn a_zero_d_array_cannot_grow() {
    let d = dir("zerod");
    let v = Value::Object(jangada::Object {
        class: "m.C".into(),
        props: [(
            "x".to_string(),
            Value::Array(ArrayValue::F64(arr0(1.5).into_dyn())),
        )]
        .into(),
    });
    let p = d.join("z.hdf5");
    jangada::save_value(
        &p,
        &v,
        &jangada::SaveOptions {
            use_default_extension: false,
            ..Default::default()
        },
    )
    .unwrap();
    let f = open(&p, Mode::ReadWrite).unwrap();
    let x = f.proxy("x").unwrap();
    assert_eq!((x.shape(), x.ndim(), x.size()), (vec![], 0, 1));
    assert!(!x.is_resizable());
    let err = x.append(&arr1(&[2.0])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write to /root/x: it is 0-d (a single value): nothing can be appended"
    );
    x.set_scalar(.., 2.5).unwrap();
    assert_eq!(x.get::<f64>(..).unwrap(), arr0(2.5).into_dyn());
}

#[test]
fn set_properties() {
    let d = dir("setprop");
    let p = saved(
        &Experiment {
            data: None,
            ..experiment(0)
        },
        &d,
        "e",
    );
    {
        let f = Experiment::open(&p, Mode::Append).unwrap();
        assert!(f.data().unwrap().is_none());
        assert!(f.is_none("data").unwrap());
        f.set_temperature(4.2).unwrap();
        f.set_name("renamed".into()).unwrap();
        // None -> an array: the attribute is replaced by a dataset
        f.set_data(Some(arr1(&[1.0, 2.0]).into_dyn())).unwrap();
        let data = f.data().unwrap().unwrap();
        data.append(&arr1(&[3.0])).unwrap();
        assert_eq!(data.shape(), [3]);
        // a typed handle assigns only the class's properties
        let err = f.set("extra", 5_i64).unwrap_err();
        assert_eq!(err.to_string(), "type mismatch at root.extra: class __main__.Experiment has no saved property \"extra\"");
        drop(data);
        drop(f);
        let f = open(&p, Mode::ReadWrite).unwrap();
        f.set("extra", 5_i64).unwrap();
        assert_eq!(f.prop::<i64>("extra").unwrap(), 5);
        f.set("extra", vec![1_i64, 2]).unwrap();
        assert_eq!(
            f.get("extra").unwrap(),
            Value::List(vec![Value::Int(1), Value::Int(2)])
        );
        f.set("extra", "s").unwrap();
        assert_eq!(f.get("extra").unwrap(), Value::Str("s".into()));
        f.set("extra", Value::None).unwrap();
    }
    let v = jangada::load(&p).unwrap();
    let Value::Object(o) = v else { panic!() };
    assert_eq!(o.props["temperature"], Value::Float(4.2));
    assert_eq!(o.props["name"], Value::Str("renamed".into()));
    assert_eq!(o.props["extra"], Value::None);
    assert_eq!(
        o.props["data"],
        Value::Array(ArrayValue::F64(arr1(&[1.0, 2.0, 3.0]).into_dyn()))
    );
}

// ------------------------------------------------------------------ modes

#[test]
fn modes() {
    let d = dir("modes");
    for (s, m) in [
        ("r", Mode::Read),
        ("r+", Mode::ReadWrite),
        ("w", Mode::Truncate),
        ("a", Mode::Append),
        ("w-", Mode::CreateNew),
    ] {
        assert_eq!(s.parse::<Mode>().unwrap(), m);
    }
    assert!("rw"
        .parse::<Mode>()
        .unwrap_err()
        .to_string()
        .contains("unknown mode \"rw\""));
    let p = d.join("new.hdf5");
    // r, r+ need the file
    assert_eq!(
        Experiment::open(&p, Mode::Read).unwrap_err().to_string(),
        format!("{} does not exist", p.display())
    );
    assert!(matches!(
        open(&p, Mode::ReadWrite).unwrap_err(),
        Error::NotFound(_)
    ));
    // a creates a default object
    {
        let f = Experiment::open(&p, Mode::Append).unwrap();
        assert_eq!(f.temperature().unwrap(), 293.15);
        assert!(f.data().unwrap().is_none());
        f.set_name("made by a".into()).unwrap();
    }
    assert_eq!(Experiment::load(&p).unwrap().name, "made by a");
    // a opens an existing file without truncating
    {
        let f = Experiment::open(&p, Mode::Append).unwrap();
        assert_eq!(f.name().unwrap(), "made by a");
    }
    // w-: refuses an existing file
    assert!(matches!(
        Experiment::open(&p, Mode::CreateNew).unwrap_err(),
        Error::Exists(_)
    ));
    // w truncates to a default object
    {
        let f = Experiment::open(&p, Mode::Truncate).unwrap();
        assert_eq!(f.name().unwrap(), "");
        f.set_data(Some(Array1::<f64>::zeros(2).into_dyn()))
            .unwrap();
        f.close().unwrap();
    }
    assert_eq!(Experiment::load(&p).unwrap().data.unwrap().len(), 2);
    // untyped w: an empty dict
    let q = d.join("dict.hdf5");
    {
        let f = open(&q, Mode::Truncate).unwrap();
        assert_eq!(f.class().unwrap(), None);
        assert!(f.keys().unwrap().is_empty());
        f.set("x", 1.5).unwrap();
    }
    assert_eq!(
        jangada::load(&q).unwrap(),
        Value::Dict([("x".to_string(), Value::Float(1.5))].into())
    );
    // wrong class
    let err = Settings::open(&p, Mode::Read).unwrap_err();
    assert!(matches!(err, Error::WrongClass { .. }));
    assert_eq!(
        err.to_string(),
        "wrong class: expected tests.Settings, the file holds __main__.Experiment"
    );
    assert_eq!(
        Settings::open(&q, Mode::Read).unwrap_err().to_string(),
        "wrong class: expected tests.Settings, the file holds (no class: not an object)"
    );
    // not a jangada file
    let h = d.join("plain.h5");
    jangada::hdf5::File::create_truncate(&h)
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(
        open(&h, Mode::Read).unwrap_err().to_string(),
        "not a jangada file: the file has no \"root\" group"
    );
}

// ------------------------------------------------------------------ closing

fn fails_midway(p: &Path) -> jangada::Result<()> {
    let f = Experiment::open(p, Mode::ReadWrite)?;
    let data = f.data()?.ok_or(Error::Format("no data".into()))?;
    data.append(&Array1::<f64>::from_elem(1000, 1.0))?;
    f.set_temperature(1.0)?;
    data.append(&arr1(&[1_i64]))?; // fails: the handle drops on the way out
    Ok(())
}

#[test]
fn a_handle_dropped_after_an_error_leaves_a_valid_file() {
    let d = dir("drop");
    let p = saved(&experiment(10), &d, "e");
    let err = fails_midway(&p).unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }), "{err}");
    let e = Experiment::load(&p).unwrap();
    assert_eq!((e.data.unwrap().len(), e.temperature), (1010, 1.0));
    let out = common::run_python(
        "import sys, h5py\nwith h5py.File(sys.argv[1], 'r') as f:\n    d = f['root/data']\n    print(d.shape, d.maxshape, float(d[-1]), float(f['root'].attrs['temperature']))",
        &[p.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(out.trim(), "(1010,) (None,) 1.0 1.0");
    common::h5dump_ok(&p).unwrap();
}

// ------------------------------------------------------------------ Python jangada, both ways

const PY_CLASSES: &str = r#"
import sys, numpy as np, pandas as pd
from jangada.serialization import Persistable, SerializableProperty, load
class Experiment(Persistable):
    name = SerializableProperty(default="")
    temperature = SerializableProperty(default=293.15)
    data = SerializableProperty(default=None)
class Log(Persistable):
    times = SerializableProperty(default=None)
    values = SerializableProperty(default=None)
"#;

#[test]
fn rust_modifies_in_r_plus_python_reads() {
    let d = dir("py-read");
    let p = saved(&experiment(100), &d, "e");
    {
        let f = Experiment::open(&p, Mode::ReadWrite).unwrap();
        let data = f.data().unwrap().unwrap();
        data.append(&arr1(&[100.0, 101.0])).unwrap();
        data.set_scalar(200, 99.9).unwrap();
        f.set_temperature(300.0).unwrap();
    }
    let script = format!(
        "{PY_CLASSES}
with Experiment(sys.argv[1], mode='r') as e:
    print(e.data.shape, e.temperature, e.name, float(e.data[101]), float(e.data[200]), float(e.data[150]))
e = load(sys.argv[1])
print(type(e).__name__, e.data.shape, e.data.dtype)
"
    );
    let out = common::run_python(&script, &[p.to_str().unwrap()]).unwrap();
    assert_eq!(
        out,
        "(201,) 300.0 Test1 101.0 99.9 0.0\nExperiment (201,) float64\n"
    );
}

#[test]
fn python_writes_rust_appends_and_resizes_python_reads() {
    let d = dir("py-write");
    let p = d.join("log.hdf5");
    let script = format!(
        "{PY_CLASSES}
t = pd.DatetimeIndex(['2024-03-31 00:30', '2024-03-31 01:30'], tz='Europe/Paris')
Log(times=t, values=np.arange(6, dtype='int32').reshape(2, 3)).save(sys.argv[1])
"
    );
    common::run_python(&script, &[p.to_str().unwrap()]).unwrap();
    let f = open(&p, Mode::ReadWrite).unwrap();
    assert_eq!(f.class().unwrap().as_deref(), Some("__main__.Log"));
    let t = f.proxy("times").unwrap();
    assert_eq!(t.timezone(), Some("Europe/Paris"));
    // 2024-03-31 00:30 CET = 23:30Z the day before
    assert_eq!(t.get_timestamps(0).unwrap().ns, [MAR_31 - 1800 * S]);
    t.append_timestamps(&DatetimeIndex {
        ns: vec![MAR_31 + 3600 * S],
        tz: Some("Europe/Paris".into()),
    })
    .unwrap();
    let err = t
        .append_timestamps(&DatetimeIndex {
            ns: vec![MAR_31],
            tz: Some("UTC".into()),
        })
        .unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }));
    let v = f.proxy("values").unwrap();
    assert_eq!(v.dtype(), "<i4");
    v.append(&arr1(&[6, 7, 8])).unwrap();
    v.set((4, 1), &arr0(42)).unwrap(); // past the end: rows 3..4 appear
    drop((t, v));
    f.close().unwrap();
    let script = format!(
        "{PY_CLASSES}
with Log(sys.argv[1], mode='r') as g:
    print(g.times.shape, g.values.shape)
g = load(sys.argv[1])
print(type(g).__name__, [str(x) for x in g.times])
print(g.values.tolist())
"
    );
    let out = common::run_python(&script, &[p.to_str().unwrap()]).unwrap();
    assert_eq!(
        out,
        "(3,) (5, 3)\nLog ['2024-03-31 00:30:00+01:00', '2024-03-31 01:30:00+01:00', '2024-03-31 03:00:00+02:00']\n[[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 0, 0], [0, 42, 0]]\n"
    );
}

#[test]
fn python_modifies_our_file_in_r_plus_we_read() {
    let d = dir("py-rplus");
    let p = saved(&experiment(5), &d, "e");
    let script = format!(
        "{PY_CLASSES}
with Experiment(sys.argv[1], mode='r+') as e:
    e.data.append(np.array([5.0, 6.0]))
    e.data[10] = 10.0
    print(e.data.shape)
"
    );
    let out = common::run_python(&script, &[p.to_str().unwrap()]).unwrap();
    assert_eq!(out.trim(), "(11,)");
    let f = Experiment::open(&p, Mode::ReadWrite).unwrap();
    let data = f.data().unwrap().unwrap();
    assert_eq!(
        data.get::<f64>(..).unwrap(),
        arr1(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 10.0]).into_dyn()
    );
    data.append(&arr1(&[11.0])).unwrap();
    drop(data);
    f.close().unwrap();
    let out = common::run_python(
        &format!("{PY_CLASSES}\nprint(load(sys.argv[1]).data.tolist())"),
        &[p.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(
        out.trim(),
        "[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 10.0, 11.0]"
    );
}

// ------------------------------------------------------------------ element types, layouts

#[test]
fn strings_complex_and_bools() {
    use num_complex::Complex;
    let d = dir("kinds");
    let strs = ArrayD::from_shape_vec(vec![2], vec!["a".to_string(), "βγ".to_string()]).unwrap();
    let v = Value::Object(jangada::Object {
        class: "m.K".into(),
        props: [
            ("s".to_string(), Value::Array(ArrayValue::Str(strs))),
            (
                "c".to_string(),
                Value::Array(ArrayValue::C128(
                    arr1(&[Complex::new(1.0, -1.0)]).into_dyn(),
                )),
            ),
            (
                "b".to_string(),
                Value::Array(ArrayValue::Bool(arr1(&[true]).into_dyn())),
            ),
        ]
        .into(),
    });
    let p = d.join("k.hdf5");
    jangada::save_value(
        &p,
        &v,
        &jangada::SaveOptions {
            use_default_extension: false,
            ..Default::default()
        },
    )
    .unwrap();
    let f = open(&p, Mode::ReadWrite).unwrap();
    let s = f.proxy("s").unwrap();
    assert_eq!((s.dtype(), s.nbytes()), ("str".to_string(), 32));
    let more = ArrayD::from_shape_vec(vec![1], vec!["δ".to_string()]).unwrap();
    s.append_value(&Value::Array(ArrayValue::Str(more)))
        .unwrap();
    match s.get_dyn(1..).unwrap() {
        ArrayValue::Str(a) => assert_eq!(a.iter().cloned().collect::<Vec<_>>(), ["βγ", "δ"]),
        other => panic!("{other:?}"),
    }
    let c = f.proxy("c").unwrap();
    assert_eq!(c.dtype(), "<c16");
    c.append(&arr1(&[Complex::new(2.0, 3.0)])).unwrap();
    assert_eq!(
        c.get::<Complex<f64>>(1).unwrap(),
        arr0(Complex::new(2.0, 3.0)).into_dyn()
    );
    c.append(&arr1(&[Complex::new(4.0_f32, 5.0)])).unwrap(); // complex64 widens losslessly
    let err = c.append(&arr1(&[1_i64])).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot write to /root/c: the dataset holds <c16 elements, the data is <i8 (which does \
         not convert to <c16 without loss)"
    );
    let b = f.proxy("b").unwrap();
    assert_eq!(b.dtype(), "|b1");
    b.set_scalar(3, true).unwrap();
    assert_eq!(
        b.get::<bool>(..).unwrap(),
        arr1(&[true, false, false, true]).into_dyn()
    );
    drop((s, c, b));
    f.close().unwrap();
    // (h5py gives variable-length strings of datasets as bytes)
    let out = common::run_python(
        "import sys\nfrom jangada.serialization import load\nx = load(sys.argv[1])\nprint([v.decode() for v in x.s], x.c.tolist(), x.b.tolist())",
        &[p.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(
        out.trim(),
        "['a', 'βγ', 'δ'] [(1-1j), (2+3j), (4+5j)] [True, False, False, True]"
    );
}

#[test]
fn a_dataset_without_room_cannot_grow() {
    // A jangada-looking dataset written without maxshape (contiguous, fixed size).
    let d = dir("fixed");
    let p = d.join("fixed.hdf5");
    {
        let f = jangada::hdf5::File::create_truncate(&p).unwrap();
        let root = f.root().unwrap().create_group("root").unwrap();
        root.set_attr("__container_type__", "dict").unwrap();
        root.set_attr("__class__", "m.F").unwrap();
        let ds = root
            .write_dataset("x", &arr1(&[1.0, 2.0]).into_dyn())
            .unwrap();
        ds.set_attr("__dataset_type__", "numpy.ndarray").unwrap();
        f.close().unwrap();
    }
    let f = open(&p, Mode::ReadWrite).unwrap();
    let x = f.proxy("x").unwrap();
    assert!(!x.is_resizable());
    x.set_scalar(1, 5.0).unwrap();
    let err = x.set_scalar(2, 5.0).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot write to /root/x: it cannot grow to 3 along axis 0 (maxshape (2))"
    );
    let err = x.append(&arr1(&[3.0])).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot write to /root/x: it cannot grow to 3 along axis 0 (maxshape (2))"
    );
    assert_eq!(x.get::<f64>(..).unwrap(), arr1(&[1.0, 5.0]).into_dyn());
}

#[test]
fn set_in_a_group_with_dense_links_and_attributes() {
    // 10 scalar properties (dense attributes) and 10 arrays (dense links), then in r+ a
    // scalar becomes an array and an array a scalar (a link and an attribute change in
    // one writing session).
    let d = dir("dense");
    let mut props = std::collections::BTreeMap::new();
    for i in 0..10 {
        props.insert(format!("s{i}"), Value::Int(i));
        props.insert(
            format!("a{i}"),
            Value::Array(ArrayValue::I64(arr1(&[i]).into_dyn())),
        );
    }
    let v = Value::Object(jangada::Object {
        class: "m.D".into(),
        props,
    });
    let p = d.join("dense.hdf5");
    jangada::save_value(
        &p,
        &v,
        &jangada::SaveOptions {
            use_default_extension: false,
            ..Default::default()
        },
    )
    .unwrap();
    {
        let f = open(&p, Mode::ReadWrite).unwrap();
        f.set("s0", arr1(&[5_i64, 6]).into_dyn()).unwrap();
        f.set("a0", 7_i64).unwrap();
        f.set("new", arr1(&[1.5]).into_dyn()).unwrap();
        f.proxy("a1").unwrap().append(&arr1(&[2_i64])).unwrap();
    }
    let Value::Object(o) = jangada::load(&p).unwrap() else {
        panic!()
    };
    assert_eq!(
        o.props.len(),
        21,
        "{:?}",
        o.props.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        o.props["s0"],
        Value::Array(ArrayValue::I64(arr1(&[5, 6]).into_dyn()))
    );
    assert_eq!(o.props["a0"], Value::Int(7));
    assert_eq!(
        o.props["a1"],
        Value::Array(ArrayValue::I64(arr1(&[1, 2]).into_dyn()))
    );
    assert_eq!(o.props["s9"], Value::Int(9));
    let out = common::run_python(
        "import sys\nfrom jangada.serialization import load\nx = load(sys.argv[1])\nprint(x.s0.tolist(), x.a0, x.a1.tolist(), x.new.tolist(), x.a9.tolist(), x.s9)",
        &[p.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(out.trim(), "[5, 6] 7 [1, 2] [1.5] [9] 9");
}

/// Regression: in a writing session of an existing file, on a group with dense links AND
/// dense attributes (10 of each), `delete_attr` used to hide every member of the group until
/// the file was flushed (fixed in the writer's flush).
#[test]
fn delete_attr_keeps_dense_links() {
    let d = dir("formatbug");
    let p = d.join("bug.h5");
    {
        let f = jangada::hdf5::File::create_truncate(&p).unwrap();
        let g = f.root().unwrap().create_group("g").unwrap();
        for i in 0..10 {
            g.set_attr(&format!("s{i}"), i as i64).unwrap();
            g.write_dataset(&format!("a{i}"), &arr1(&[i as i64]).into_dyn())
                .unwrap();
        }
        f.close().unwrap();
    }
    let f = jangada::hdf5::File::open_rw(&p).unwrap();
    let g = f.group("g").unwrap();
    assert_eq!(g.member_names().unwrap().len(), 10);
    g.delete_attr("s0").unwrap();
    let fresh = f.group("g").unwrap().member_names().unwrap();
    assert_eq!(fresh.len(), 10, "members after delete_attr: {fresh:?}");
}

/// jangada's `test_Persistable.py` context-manager and ProxyDataset tests, ported (see
/// `PORTED.md`). The `with Cls(path, mode=...) as obj:` block is a handle's scope.
mod ported {
    use super::*;

    #[derive(Persistable, Debug, Clone, PartialEq)]
    #[jangada(class = "test.SimpleClass")]
    struct SimpleClass {
        value: i64,
        name: String,
    }

    #[derive(Persistable, Debug, Clone, PartialEq)]
    #[jangada(class = "test.ArrayClass")]
    struct ArrayClass {
        data: Option<ArrayD<i64>>,
        metadata: String,
    }

    #[derive(Persistable, Debug, Clone, PartialEq)]
    #[jangada(class = "test.FloatArrayClass")]
    struct FloatArrayClass {
        data: Option<ArrayD<f64>>,
    }

    fn file(name: &str) -> PathBuf {
        dir(&format!("ported-{name}")).join("test.hdf5")
    }

    fn ints(v: &[i64]) -> Option<ArrayD<i64>> {
        Some(arr1(v).into_dyn())
    }

    fn array_file(name: &str, data: Option<ArrayD<i64>>) -> PathBuf {
        let p = file(name);
        ArrayClass {
            data,
            metadata: "test".into(),
        }
        .save(&p)
        .unwrap();
        p
    }

    #[test]
    fn test_open_mode_construction() {
        let p = file("open-mode");
        SimpleClass {
            value: 42,
            name: String::new(),
        }
        .save(&p)
        .unwrap();
        // Opening is Python's `__enter__`: properties are read on demand.
        let obj = SimpleClass::open(&p, "r".parse().unwrap()).unwrap();
        assert_eq!(obj.mode(), Mode::Read);
        assert_eq!(obj.class().unwrap().as_deref(), Some("test.SimpleClass"));
    }

    #[test]
    fn test_context_manager_opens_file() {
        let p = file("opens");
        SimpleClass {
            value: 42,
            name: "context".into(),
        }
        .save(&p)
        .unwrap();
        let obj = SimpleClass::open(&p, Mode::Read).unwrap();
        assert_eq!(obj.value().unwrap(), 42);
        assert_eq!(obj.name().unwrap(), "context");
    }

    fn h5py_sees_root(p: &Path) {
        let out = common::run_python(
            "import sys, h5py\nwith h5py.File(sys.argv[1], 'r') as f:\n    print('root' in f)",
            &[p.to_str().unwrap()],
        )
        .unwrap();
        assert_eq!(out.trim(), "True");
    }

    #[test]
    fn test_context_manager_closes_file() {
        let p = file("closes");
        SimpleClass {
            value: 42,
            name: String::new(),
        }
        .save(&p)
        .unwrap();
        {
            let _obj = SimpleClass::open(&p, Mode::ReadWrite).unwrap();
        }
        h5py_sees_root(&p);
        // and we can open it again for writing
        SimpleClass::open(&p, Mode::ReadWrite)
            .unwrap()
            .close()
            .unwrap();
    }

    #[test]
    fn test_context_manager_read_mode() {
        let p = array_file("read-mode", ints(&[1, 2, 3, 4, 5]));
        let obj = ArrayClass::open(&p, Mode::Read).unwrap();
        let data = obj.data().unwrap().unwrap(); // a ProxyDataset
        assert_eq!(
            data.get::<i64>(..).unwrap(),
            arr1(&[1, 2, 3, 4, 5]).into_dyn()
        );
    }

    #[test]
    fn test_context_manager_write_mode() {
        let p = array_file("write-mode", ints(&[1, 2, 3]));
        {
            let obj = ArrayClass::open(&p, Mode::ReadWrite).unwrap();
            obj.data().unwrap().unwrap().set_scalar(0, 99_i64).unwrap();
        }
        assert_eq!(ArrayClass::load(&p).unwrap().data.unwrap()[0], 99);
    }

    fn raises(p: &Path) -> jangada::Result<()> {
        let _obj = SimpleClass::open(p, Mode::ReadWrite)?;
        Err(Error::Format("Test exception".into()))
    }

    #[test]
    fn test_context_manager_exception_handling() {
        let p = file("exception");
        SimpleClass {
            value: 42,
            name: String::new(),
        }
        .save(&p)
        .unwrap();
        assert_eq!(
            raises(&p).unwrap_err().to_string(),
            "not a jangada file: Test exception"
        );
        h5py_sees_root(&p);
    }

    #[test]
    fn test_proxydataset_lazy_loading() {
        let p = array_file("lazy", Some(Array1::from_iter(0..10_000_i64).into_dyn()));
        let obj = ArrayClass::open(&p, Mode::Read).unwrap();
        assert!(matches!(obj.lazy("data").unwrap(), LazyValue::Proxy(_)));
        assert_eq!(obj.data().unwrap().unwrap().shape(), [10_000]);
    }

    #[test]
    fn test_proxydataset_slicing() {
        let p = array_file("slicing", Some(Array1::from_iter(0..100_i64).into_dyn()));
        let obj = ArrayClass::open(&p, Mode::Read).unwrap();
        let sliced = obj.data().unwrap().unwrap().get::<i64>(10..20).unwrap();
        assert_eq!(sliced, Array1::from_iter(10..20_i64).into_dyn());
    }

    #[test]
    fn test_proxydataset_indexing() {
        let p = array_file("indexing", ints(&[10, 20, 30, 40, 50]));
        let obj = ArrayClass::open(&p, Mode::Read).unwrap();
        let data = obj.data().unwrap().unwrap();
        assert_eq!(data.get::<i64>(0).unwrap()[[]], 10);
        assert_eq!(data.get::<i64>(2).unwrap()[[]], 30);
        assert_eq!(data.get::<i64>(-1).unwrap()[[]], 50);
    }

    fn zeros_file(name: &str, shape: &[usize]) -> PathBuf {
        let p = file(name);
        FloatArrayClass {
            data: Some(ArrayD::zeros(shape)),
        }
        .save(&p)
        .unwrap();
        p
    }

    #[test]
    fn test_proxydataset_shape_property() {
        let p = zeros_file("shape", &[10, 5, 3]);
        let obj = FloatArrayClass::open(&p, Mode::Read).unwrap();
        assert_eq!(obj.data().unwrap().unwrap().shape(), [10, 5, 3]);
    }

    #[test]
    fn test_proxydataset_dtype_property() {
        let p = zeros_file("dtype", &[3]);
        let obj = FloatArrayClass::open(&p, Mode::Read).unwrap();
        assert_eq!(obj.data().unwrap().unwrap().dtype(), "<f8");
    }

    #[test]
    fn test_proxydataset_ndim_property() {
        let p = zeros_file("ndim", &[5, 10, 15]);
        let obj = FloatArrayClass::open(&p, Mode::Read).unwrap();
        assert_eq!(obj.data().unwrap().unwrap().ndim(), 3);
    }

    #[test]
    fn test_proxydataset_size_property() {
        let p = zeros_file("size", &[5, 10]);
        let obj = FloatArrayClass::open(&p, Mode::Read).unwrap();
        assert_eq!(obj.data().unwrap().unwrap().size(), 50);
    }

    #[test]
    fn test_proxydataset_setitem() {
        let p = array_file("setitem", ints(&[1, 2, 3, 4, 5]));
        {
            let obj = ArrayClass::open(&p, Mode::ReadWrite).unwrap();
            let data = obj.data().unwrap().unwrap();
            data.set_scalar(0, 99_i64).unwrap();
            data.set(2..4, &arr1(&[88_i64, 77])).unwrap();
        }
        assert_eq!(
            ArrayClass::load(&p).unwrap().data,
            ints(&[99, 2, 88, 77, 5])
        );
    }

    #[test]
    fn test_proxydataset_append() {
        let p = array_file("append", ints(&[1, 2, 3]));
        {
            let obj = ArrayClass::open(&p, Mode::ReadWrite).unwrap();
            obj.data()
                .unwrap()
                .unwrap()
                .append(&arr1(&[4_i64, 5, 6]))
                .unwrap();
        }
        assert_eq!(
            ArrayClass::load(&p).unwrap().data,
            ints(&[1, 2, 3, 4, 5, 6])
        );
    }

    #[test]
    fn test_proxydataset_resize_on_setitem() {
        let p = array_file("resize", ints(&[1, 2, 3]));
        {
            let obj = ArrayClass::open(&p, Mode::ReadWrite).unwrap();
            obj.data().unwrap().unwrap().set_scalar(10, 99_i64).unwrap();
        }
        let data = ArrayClass::load(&p).unwrap().data.unwrap();
        assert_eq!(data.shape(), [11]); // Python only asserts >= 11
        assert_eq!(data[10], 99);
    }

    #[test]
    fn test_proxydataset_attrs_immutable() {
        // Python returns a copy of the dict; Rust hands out a shared reference, so the
        // attributes cannot be modified through the proxy at all.
        let p = array_file("attrs", ints(&[1, 2, 3]));
        let obj = ArrayClass::open(&p, Mode::Read).unwrap();
        let data = obj.data().unwrap().unwrap();
        let attrs1 = data.attrs().clone();
        assert_eq!(&attrs1, data.attrs());
        assert!(attrs1.is_empty());
    }

    #[test]
    fn test_proxydataset_multidimensional_slicing() {
        #[derive(Persistable, Debug, Clone, PartialEq)]
        #[jangada(class = "test.MatrixClass")]
        struct MatrixClass {
            matrix: Option<Array2<i64>>,
        }
        let p = file("multidim");
        let arr = Array1::from_iter(0..100_i64)
            .into_shape_with_order((10, 10))
            .unwrap();
        MatrixClass {
            matrix: Some(arr.clone()),
        }
        .save(&p)
        .unwrap();
        let obj = MatrixClass::open(&p, Mode::Read).unwrap();
        let sliced = obj
            .matrix()
            .unwrap()
            .unwrap()
            .get::<i64>((2..5, 3..7))
            .unwrap();
        assert_eq!(sliced.shape(), [3, 4]);
        assert_eq!(sliced, arr.slice(ndarray::s![2..5, 3..7]).into_dyn());
    }

    #[test]
    fn test_incremental_data_collection() {
        #[derive(Persistable, Debug, Clone, PartialEq)]
        #[jangada(class = "test.TimeSeries")]
        struct TimeSeries {
            data: Option<ArrayD<i64>>,
        }
        let p = file("incremental");
        TimeSeries {
            data: ints(&[1, 2, 3]),
        }
        .save(&p)
        .unwrap();
        for more in [[4, 5, 6], [7, 8, 9]] {
            // (i32 literals: they widen to the dataset's int64 without loss)
            let ts = TimeSeries::open(&p, Mode::ReadWrite).unwrap();
            ts.data().unwrap().unwrap().append(&arr1(&more)).unwrap();
        }
        assert_eq!(
            TimeSeries::load(&p).unwrap().data,
            ints(&[1, 2, 3, 4, 5, 6, 7, 8, 9])
        );
    }

    #[test]
    fn test_large_array_efficient_access() {
        #[derive(Persistable, Debug, Clone, PartialEq)]
        #[jangada(class = "test.LargeData")]
        struct LargeData {
            array: Option<ArrayD<i64>>,
        }
        let p = file("large");
        LargeData {
            array: Some(Array1::from_iter(0..1_000_000_i64).into_dyn()),
        }
        .save(&p)
        .unwrap();
        let obj = LargeData::open(&p, Mode::Read).unwrap();
        let chunk = obj
            .array()
            .unwrap()
            .unwrap()
            .get::<i64>(1000..2000)
            .unwrap();
        assert_eq!((chunk.len(), chunk[[0]]), (1000, 1000));
    }
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "__main__.Log")]
struct Log {
    times: Option<DatetimeIndex>,
    values: Option<Array2<i32>>,
}

#[test]
fn python_appends_times_to_our_file_we_read_and_append_again() {
    let d = dir("py-times");
    let log = Log {
        times: Some(DatetimeIndex {
            ns: vec![MAR_31],
            tz: Some("Europe/Paris".into()),
        }),
        values: Some(arr2(&[[1, 2, 3]])),
    };
    let p = saved(&log, &d, "log");
    let script = format!(
        "{PY_CLASSES}
with Log(sys.argv[1], mode='r+') as g:
    g.times.append(pd.DatetimeIndex(['2024-03-31 04:00'], tz='Europe/Paris'))
    g.values.append(np.array([[4, 5, 6]], dtype='int32'))
    try:
        g.times.append(pd.DatetimeIndex(['2024-03-31 04:00'], tz='UTC'))
    except AssertionError:
        print('mismatch refused')
"
    );
    let out = common::run_python(&script, &[p.to_str().unwrap()]).unwrap();
    assert_eq!(out.trim(), "mismatch refused");
    {
        let f = Log::open(&p, Mode::ReadWrite).unwrap();
        let t = f.times().unwrap().unwrap();
        // 04:00 CEST = 02:00Z
        assert_eq!(
            t.get_timestamps(..).unwrap().ns,
            [MAR_31, MAR_31 + 2 * 3600 * S]
        );
        t.append_timestamps(&DatetimeIndex {
            ns: vec![MAR_31 + 3 * 3600 * S],
            tz: Some("Europe/Paris".into()),
        })
        .unwrap();
        let v = f.values().unwrap().unwrap();
        assert_eq!(
            v.get::<i32>(..).unwrap(),
            arr2(&[[1, 2, 3], [4, 5, 6]]).into_dyn()
        );
    }
    let out = common::run_python(
        &format!("{PY_CLASSES}\ng = load(sys.argv[1])\nprint([str(x) for x in g.times], g.values.tolist())"),
        &[p.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(
        out.trim(),
        "['2024-03-31 01:00:00+01:00', '2024-03-31 04:00:00+02:00', '2024-03-31 05:00:00+02:00'] [[1, 2, 3], [4, 5, 6]]"
    );
}

// ------------------------------------------------------------------ derive options

/// A field type of our own, loaded whole through a handle.
#[derive(Debug, Clone, PartialEq)]
struct Celsius(f64);

impl jangada::IntoValue for Celsius {
    fn to_value(&self) -> jangada::Result<Value> {
        Ok(Value::Float(self.0))
    }
}

impl jangada::FromValue for Celsius {
    fn from_value(v: Value, path: &str) -> jangada::Result<Self> {
        f64::from_value(v, path).map(Celsius)
    }
}

impl jangada::PropCopy for Celsius {
    fn prop_copy(&self) -> Self {
        self.clone()
    }
}

impl Default for Celsius {
    fn default() -> Self {
        Celsius(20.0)
    }
}

jangada::lazy_loaded!(Celsius);

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Room")]
struct Room {
    temperature: Celsius,
}

/// `no_handle`: no accessor trait, so field types need no `LazyField`.
#[derive(Debug, Clone, PartialEq, Default)]
struct Opaque(i64);

impl jangada::IntoValue for Opaque {
    fn to_value(&self) -> jangada::Result<Value> {
        Ok(Value::Int(self.0))
    }
}

impl jangada::FromValue for Opaque {
    fn from_value(v: Value, path: &str) -> jangada::Result<Self> {
        i64::from_value(v, path).map(Opaque)
    }
}

impl jangada::PropCopy for Opaque {
    fn prop_copy(&self) -> Self {
        self.clone()
    }
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Box", no_handle)]
struct Crate {
    content: Opaque,
}

#[test]
fn custom_field_types_and_no_handle() {
    let d = dir("custom");
    let p = saved(
        &Room {
            temperature: Celsius(21.5),
        },
        &d,
        "room",
    );
    let f = Room::open(&p, Mode::ReadWrite).unwrap();
    assert_eq!(f.temperature().unwrap(), Celsius(21.5));
    f.set_temperature(Celsius(19.0)).unwrap();
    drop(f);
    assert_eq!(Room::load(&p).unwrap().temperature, Celsius(19.0));
    let q = saved(&Crate { content: Opaque(3) }, &d, "crate");
    let f = Crate::open(&q, Mode::Read).unwrap();
    assert_eq!(f.prop::<i64>("content").unwrap(), 3);
}

/// float16 and fixed-length bytes fields (numpy `<f2` and `S<n>`), and a dict whose
/// scalar items have keys holding "/".
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "tests.Kinds")]
struct Kinds {
    halves: Array1<jangada::F16>,
    tags: Array1<Vec<u8>>,
    keys: std::collections::BTreeMap<String, Value>,
}

#[test]
fn float16_bytes_and_slash_keys_lazily() {
    use jangada::{FixedBytes, F16};
    let d = dir("kinds");
    let h = |x: f64| F16::from_f64(x);
    let k = Kinds {
        halves: arr1(&[h(0.5), h(-2.0), h(0.1)]),
        tags: arr1(&[b"ab".to_vec(), b"cdef".to_vec()]),
        keys: [
            ("a/b".to_string(), Value::Int(1)),
            (".".to_string(), Value::Str("dot".into())),
        ]
        .into(),
    };
    let p = saved(&k, &d, "k");
    assert_eq!(Kinds::load(&p).unwrap(), k);
    let f = Kinds::open(&p, Mode::ReadWrite).unwrap();
    let halves = f.halves().unwrap();
    assert_eq!(halves.dtype(), "<f2");
    assert_eq!(
        halves.get_dyn(1..).unwrap(),
        ArrayValue::F16(arr1(&[h(-2.0), h(0.1)]).into_dyn())
    );
    assert_eq!(halves.get::<f64>(0).unwrap(), arr0(0.5).into_dyn());
    halves.append(&arr1(&[h(3.0)])).unwrap();
    // float32 does not convert to float16 without loss (numpy's safe casting).
    let before = std::fs::read(&p).unwrap_or_default();
    let e = halves.append(&arr1(&[1.0f32])).unwrap_err();
    assert!(e.to_string().contains("<f4"), "{e}");
    halves.set(0, &arr0(h(-0.0))).unwrap();
    assert_eq!(
        halves.get::<F16>(..).unwrap().map(|x| x.to_bits()),
        arr1(&[0x8000u16, 0xc000, 0x2e66, 0x4200]).into_dyn()
    );
    let tags = f.tags().unwrap();
    assert_eq!(tags.dtype(), "|S4");
    let more = |v: Vec<Vec<u8>>| {
        ArrayValue::Bytes(FixedBytes::new(
            ArrayD::from_shape_vec(vec![v.len()], v).unwrap(),
        ))
    };
    tags.append_array(&more(vec![b"xyz".to_vec()])).unwrap();
    // Longer than the dataset's 4 bytes: refused, nothing written.
    let grown = std::fs::read(&p).unwrap_or_default();
    assert_ne!(grown, before);
    let e = tags
        .append_array(&more(vec![b"toolong".to_vec()]))
        .unwrap_err();
    assert!(matches!(e, Error::Mismatch { .. }), "{e}");
    assert_eq!(tags.shape(), [3]);
    assert_eq!(
        tags.get_dyn(..).unwrap(),
        more(vec![b"ab".to_vec(), b"cdef".to_vec(), b"xyz".to_vec()])
    );
    // Keys holding "/" are attributes: reachable by name (not as paths).
    let keys = f.child("keys").unwrap();
    assert_eq!(keys.get("a/b").unwrap(), Value::Int(1));
    assert_eq!(keys.get(".").unwrap(), Value::Str("dot".into()));
    keys.set("a/b", 2i64).unwrap();
    assert!(keys.set("a/b", vec![1i64]).is_err());
    drop((halves, tags, keys));
    drop(f);
    let back = Kinds::load(&p).unwrap();
    assert_eq!(back.keys["a/b"], Value::Int(2));
    assert_eq!(back.tags.len(), 3);
}
