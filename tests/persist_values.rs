//! Values shared by the persist tests: every array dtype and shape, timestamps in three
//! zones with DST edges, and one object holding every type of jangada's mapping.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use jangada::{ArrayValue, DatetimeIndex, FixedBytes, Object, Timestamp, Value, F16, NAT};
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex;

/// One second in nanoseconds.
pub const S: i64 = 1_000_000_000;

/// An object value.
pub fn obj(class: &str, props: Vec<(&str, Value)>) -> Value {
    Value::Object(Object {
        class: class.into(),
        props: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    })
}

/// An array of `shape`.
pub fn arr<T: Clone>(shape: &[usize], data: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

/// Every array dtype and shape (0-d, empty, 1-3-D).
pub fn all_arrays() -> Vec<(&'static str, Value)> {
    let a = |x: ArrayValue| Value::Array(x);
    vec![
        ("i1", a(ArrayValue::I8(arr(&[3], vec![-128, 0, 127])))),
        (
            "i2",
            a(ArrayValue::I16(arr(&[2, 2], vec![-32768, 1, 2, 32767]))),
        ),
        ("i4", a(ArrayValue::I32(arr(&[2, 3], (0..6).collect())))),
        (
            "i8",
            a(ArrayValue::I64(arr(&[2], vec![i64::MIN, i64::MAX]))),
        ),
        ("u1", a(ArrayValue::U8(arr(&[2, 3, 4], (0..24).collect())))),
        ("u2", a(ArrayValue::U16(arr(&[1], vec![65535])))),
        ("u4", a(ArrayValue::U32(arr(&[2], vec![0, u32::MAX])))),
        ("u8", a(ArrayValue::U64(arr(&[2], vec![0, u64::MAX])))),
        (
            "f4",
            a(ArrayValue::F32(arr(
                &[4],
                vec![0.1, -0.0, f32::INFINITY, f32::MIN_POSITIVE],
            ))),
        ),
        ("f8", a(ArrayValue::F64(arr(&[3], vec![0.1, -0.0, 1e300])))),
        // float16: 0.1 (rounded), -0.0, inf, the smallest subnormal, the largest finite.
        (
            "f2",
            a(ArrayValue::F16(arr(
                &[5],
                [0x2e66, 0x8000, 0x7c00, 0x0001, 0x7bff]
                    .map(F16::from_bits)
                    .to_vec(),
            ))),
        ),
        (
            "f2_0d",
            a(ArrayValue::F16(arr(&[], vec![F16::from_f64(1.5)]))),
        ),
        // numpy S8: NULs inside are kept (bytes that are not UTF-8: tests/persist_kinds.rs,
        // the reference dump has no rule for them).
        (
            "bytes",
            a(ArrayValue::Bytes(FixedBytes {
                itemsize: 8,
                data: arr(
                    &[4],
                    vec![
                        b"ab".to_vec(),
                        b"cdefgh".to_vec(),
                        Vec::new(),
                        b"a\0b".to_vec(),
                    ],
                ),
            })),
        ),
        (
            "bytes_2d",
            a(ArrayValue::Bytes(FixedBytes {
                itemsize: 3,
                data: arr(&[2, 1], vec![b"xyz".to_vec(), b"\xc3\xa7".to_vec()]),
            })),
        ),
        (
            "b1",
            a(ArrayValue::Bool(arr(&[3], vec![true, false, true]))),
        ),
        (
            "c8",
            a(ArrayValue::C64(arr(&[1], vec![Complex::new(1.5, -2.0)]))),
        ),
        (
            "c16",
            a(ArrayValue::C128(arr(
                &[2],
                vec![Complex::new(1.0, 2.0), Complex::new(-0.0, 1e-300)],
            ))),
        ),
        (
            "str",
            a(ArrayValue::Str(arr(&[2], vec!["ação".into(), "".into()]))),
        ),
        ("f8_0d", a(ArrayValue::F64(arr(&[], vec![3.5])))),
        ("i8_0d", a(ArrayValue::I64(arr(&[], vec![-7])))),
        ("f8_empty", a(ArrayValue::F64(arr(&[0], vec![])))),
        ("i4_empty_2d", a(ArrayValue::I32(arr(&[0, 3], vec![])))),
        (
            "f8_3d",
            a(ArrayValue::F64(arr(
                &[2, 2, 2],
                (0..8).map(f64::from).collect(),
            ))),
        ),
    ]
}

/// Timestamps naive and in three zones, DST edges included (no wall-clock folds).
pub fn all_times() -> Vec<(&'static str, Value)> {
    let ts = |ns: i64, tz: Option<&str>| {
        Value::Timestamp(Timestamp {
            ns,
            tz: tz.map(str::to_string),
        })
    };
    let paris = Some("Europe/Paris");
    let sp = Some("America/Sao_Paulo");
    vec![
        ("naive", ts(1_704_164_645_123_456_789, None)),
        ("naive_nat", ts(NAT, None)),
        ("paris_spring_before", ts(1_711_846_800 * S - 1, paris)),
        ("paris_spring_at", ts(1_711_846_800 * S, paris)),
        ("paris_autumn_before", ts(1_729_987_200 * S - 1, paris)),
        ("paris_autumn_after", ts(1_729_994_400 * S, paris)),
        ("sp_dst_start_before", ts(1_541_300_400 * S - 1, sp)),
        ("sp_dst_start_at", ts(1_541_300_400 * S, sp)),
        ("sp_dst_end_after", ts(1_550_372_400 * S, sp)),
        ("tokyo", ts(1_719_835_200 * S + 123, Some("Asia/Tokyo"))),
        ("utc", ts(0, Some("UTC"))),
        ("fixed_plus", ts(1_719_835_200 * S, Some("UTC+05:30"))),
        ("fixed_minus", ts(-1, Some("UTC-03:00"))),
        (
            "index_paris",
            Value::DatetimeIndex(DatetimeIndex {
                ns: vec![
                    1_711_846_800 * S - 1,
                    1_711_846_800 * S,
                    NAT,
                    1_729_994_400 * S,
                ],
                tz: paris.map(str::to_string),
            }),
        ),
        (
            "index_naive",
            Value::DatetimeIndex(DatetimeIndex {
                ns: vec![0, NAT, -1],
                tz: None,
            }),
        ),
        (
            "index_empty_tokyo",
            Value::DatetimeIndex(DatetimeIndex {
                ns: vec![],
                tz: Some("Asia/Tokyo".into()),
            }),
        ),
    ]
}

/// One object with every scalar type, containers, nesting, arrays and times.
pub fn everything() -> Value {
    let nested5 = Value::List(vec![Value::Dict(BTreeMap::from([(
        "l2".to_string(),
        obj(
            "deep.Three",
            vec![(
                "l4",
                Value::List(vec![Value::Dict(BTreeMap::from([(
                    "l5".to_string(),
                    Value::Int(5),
                )]))]),
            )],
        ),
    )]))]);
    let list = |n: usize| Value::List((0..n).map(|i| Value::Int(i as i64 * 3)).collect());
    let dict100 = Value::Dict(
        (0..100)
            .map(|i| (format!("k{i}"), Value::Float(i as f64 / 4.0)))
            .collect(),
    );
    let mut props = vec![
        ("none", Value::None),
        ("t", Value::Bool(true)),
        ("f", Value::Bool(false)),
        ("int", Value::Int(-42)),
        ("int_min", Value::Int(i64::MIN)),
        ("big", Value::UInt(u64::MAX)),
        ("real", Value::Float(2.5)),
        ("neg_zero", Value::Float(-0.0)),
        ("nan", Value::Float(f64::NAN)),
        ("inf", Value::Float(f64::NEG_INFINITY)),
        ("cplx", Value::Complex(1.5, f64::INFINITY)),
        ("text", Value::Str("ação — ✓".into())),
        ("empty_text", Value::Str(String::new())),
        ("path", Value::Path("/data/run/out.txt".into())),
        ("nested5", nested5),
        ("list_0", list(0)),
        ("list_1", list(1)),
        ("list_9", list(9)),
        ("list_10", list(10)),
        ("list_11", list(11)),
        ("list_1000", list(1000)),
        ("dict_100", dict100),
        ("dict_empty", Value::Dict(BTreeMap::new())),
        // Keys of scalars (attributes) may hold "/" and be "." (as in jangada).
        (
            "dict_slash_keys",
            Value::Dict(BTreeMap::from([
                ("a/b".to_string(), Value::Int(1)),
                ("/".to_string(), Value::None),
                (".".to_string(), Value::Str("dot".into())),
                ("x/y/z".to_string(), Value::Float(0.5)),
                ("plain".to_string(), Value::List(vec![Value::Int(2)])),
            ])),
        ),
        (
            "sample",
            obj(
                "jangada_classes.Sample",
                vec![
                    ("label", Value::Str("steel".into())),
                    ("mass", Value::Float(7.85)),
                ],
            ),
        ),
        (
            "mixed",
            Value::List(vec![
                Value::Int(1),
                Value::Str("two".into()),
                Value::None,
                Value::List(vec![]),
            ]),
        ),
    ];
    let mut arrays = BTreeMap::new();
    for (k, v) in all_arrays() {
        arrays.insert(k.to_string(), v);
    }
    let mut times = BTreeMap::new();
    for (k, v) in all_times() {
        times.insert(k.to_string(), v);
    }
    props.push(("arrays", Value::Dict(arrays)));
    props.push(("times", Value::Dict(times)));
    obj("jangada_classes.Everything", props)
}
