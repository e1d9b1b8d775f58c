//! Typed reads and hyperslab selections, checked against the dynamic whole-dataset read
//! (itself checked against h5py by the fixture tests), on every numeric dataset of the
//! corpus; and proof that a selection reads only the chunks it touches.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use jangada_hdf5::{Dataset, Element, File, Group, Node, Selection, SliceArg};
use ndarray::{ArrayD, IxDyn, SliceInfoElem};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn datasets(group: &Group, out: &mut Vec<Dataset>, depth: u32) {
    if depth > 25 {
        return;
    }
    for link in group.links().unwrap_or_default() {
        match group.get(&link.name) {
            Ok(Node::Group(g)) => datasets(&g, out, depth + 1),
            Ok(Node::Dataset(d)) => out.push(d),
            _ => {}
        }
    }
}

/// Every readable numeric (non-bool) dataset in the corpus, with its values as f64.
fn numeric_datasets() -> Vec<(String, Dataset, ArrayD<f64>)> {
    let mut out = Vec::new();
    for h5 in common::fixture_files() {
        if !common::sidecar(&h5, ".json").exists() {
            continue;
        }
        let file = File::open(&h5).unwrap();
        let mut all = Vec::new();
        datasets(&file.root().unwrap(), &mut all, 0);
        for d in all {
            if d.is_null() {
                continue;
            }
            let Ok(dynamic) = d.read_dyn() else { continue };
            let values: Option<Vec<f64>> = dynamic
                .elements
                .iter()
                .map(|e| match e {
                    Element::Int(i) => Some(*i as f64),
                    Element::UInt(u) => Some(*u as f64),
                    Element::Float(f) => Some(*f),
                    _ => None,
                })
                .collect();
            let Some(values) = values else { continue };
            let shape: Vec<usize> = d.shape().iter().map(|&s| s as usize).collect();
            let name = format!("{}:{}", h5.file_name().unwrap().to_string_lossy(), d.path());
            out.push((
                name,
                d,
                ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap(),
            ));
        }
    }
    out
}

fn same(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

#[test]
fn typed_reads_equal_dynamic_reads() {
    let all = numeric_datasets();
    assert!(all.len() > 20, "only {} numeric datasets", all.len());
    for (name, d, expected) in &all {
        let typed: ArrayD<f64> = d.read().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(same(&typed, expected), "{name}: typed read differs");
    }
}

/// A random numpy-style selection for `shape`, and the same selection for ndarray.
fn selection_strategy(
    shape: Vec<usize>,
) -> impl Strategy<Value = (Vec<SliceArg>, Vec<SliceInfoElem>)> {
    let axes: Vec<_> = shape
        .into_iter()
        .map(|len| {
            let len = len as i64;
            prop_oneof![
                (0..len.max(1))
                    .prop_map(move |i| if len == 0 { None } else { Some(i) })
                    .prop_map(move |i| match i {
                        Some(i) => (
                            SliceArg::Index(i - if i % 2 == 1 { len } else { 0 }),
                            SliceInfoElem::Index(i as isize)
                        ),
                        None => (
                            SliceArg::ALL,
                            SliceInfoElem::Slice {
                                start: 0,
                                end: None,
                                step: 1
                            }
                        ),
                    }),
                (0..=len, 0..=len, 1i64..5).prop_map(move |(a, b, step)| {
                    let (a, b) = (a.min(b), a.max(b));
                    (
                        SliceArg::stepped(a, b, step),
                        SliceInfoElem::Slice {
                            start: a as isize,
                            end: Some(b as isize),
                            step: step as isize,
                        },
                    )
                }),
            ]
        })
        .collect();
    axes.prop_map(|v| v.into_iter().unzip())
}

#[test]
fn selections_equal_slices_of_the_whole() {
    let all = numeric_datasets();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    for (name, d, expected) in &all {
        if expected.ndim() == 0 {
            let v: ArrayD<f64> = d.read_slice(Selection::all()).unwrap();
            assert!(same(&v, expected), "{name}");
            continue;
        }
        let strategy = selection_strategy(expected.shape().to_vec());
        runner
            .run(&strategy, |(args, info)| {
                let ours: ArrayD<f64> = d
                    .read_slice(Selection::new(args.clone()))
                    .map_err(|e| TestCaseError::fail(format!("{name} {args:?}: {e}")))?;
                let theirs = expected.slice(info.as_slice()).to_owned();
                prop_assert!(
                    same(&ours, &theirs),
                    "{name} {args:?}: {ours:?} != {theirs:?}"
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_selection_reads_only_the_chunks_it_touches() {
    // Find a filtered chunked dataset with several chunks, spoil the stored bytes of its
    // last chunk, and read the first chunk's worth: that must still work, while reading
    // everything must fail on the spoiled chunk.
    let mut tried = 0;
    for (name, d, expected) in numeric_datasets() {
        // Only deflate and Fletcher-32 can notice spoiled bytes (shuffle cannot).
        if !d.filters().iter().any(|f| f.id == 1 || f.id == 3) || expected.ndim() != 1 {
            continue;
        }
        let mut chunks = d.stored_chunks().unwrap();
        if chunks.len() < 3 {
            continue;
        }
        chunks.sort_by_key(|c| c.offset.clone());
        let last = chunks.last().unwrap();
        let h5 = common::fixtures_dir().join(name.split(':').next().unwrap());
        let mut bytes = std::fs::read(&h5).unwrap();
        let base = File::open(&h5).unwrap().superblock().base;
        let start = (base + last.addr.get()) as usize;
        // A varying pattern: a constant one can satisfy Fletcher-32 by accident.
        for (i, b) in bytes[start..start + last.size as usize]
            .iter_mut()
            .enumerate()
        {
            *b = (i * 31 + 7) as u8;
        }
        let file = File::from_bytes(bytes).unwrap();
        let spoiled = file.dataset(d.path()).unwrap();
        assert!(
            spoiled.read::<f64>().is_err(),
            "{name}: reading the spoiled chunk should fail"
        );
        let first = d.chunks().unwrap()[0] as i64;
        let part: ArrayD<f64> = spoiled
            .read_slice(Selection::new([SliceArg::range(0, first)]))
            .unwrap();
        assert!(
            same(
                &part,
                &expected
                    .slice(ndarray::s![0..first as usize])
                    .to_owned()
                    .into_dyn()
            ),
            "{name}"
        );
        tried += 1;
    }
    assert!(
        tried > 0,
        "no filtered 1-D dataset with 3+ chunks in the corpus"
    );
}

#[test]
fn typed_attribute_and_string_reads() {
    use num_complex::Complex;
    let file = File::open(common::fixtures_dir().join("types_latest.h5")).unwrap();
    let attrs = file.group("attributes").unwrap();
    let bools: ArrayD<bool> = attrs.attr("bool").unwrap().read().unwrap();
    assert_eq!(bools.as_slice().unwrap(), &[true, false, true, true]);
    let u8s: ArrayD<u64> = attrs.attr("int_u8").unwrap().read().unwrap();
    assert_eq!(u8s.as_slice().unwrap().last(), Some(&u64::MAX));
    let c: ArrayD<Complex<f64>> = attrs.attr("complex128").unwrap().read().unwrap();
    assert_eq!(c[[1]], Complex::new(-0.0, -1.0));
    assert_eq!(
        attrs
            .attr("vlen_utf8_scalar")
            .unwrap()
            .read_string()
            .unwrap(),
        ""
    );
    let fixed = attrs.attr("fixed_S5").unwrap().read_strings().unwrap();
    assert_eq!(fixed, ["abc", "hello", "", "x y"]);
    let text = file
        .dataset("datasets/vlen_ascii")
        .unwrap()
        .read_strings()
        .unwrap();
    assert_eq!(text, ["", "plain ascii", "x"]);
    let c64: ArrayD<Complex<f32>> = file.dataset("datasets/complex64").unwrap().read().unwrap();
    assert_eq!(c64[[0]], Complex::new(1.0, 2.0));
    assert!(c64[[2]].re.is_nan() && c64[[2]].im == f32::INFINITY);
}

#[test]
fn impossible_conversions_are_type_errors() {
    let file = File::open(common::fixtures_dir().join("types_latest.h5")).unwrap();
    let strings = file.dataset("datasets/vlen_ascii").unwrap();
    let err = strings.read::<f64>().unwrap_err();
    assert!(matches!(err, jangada_hdf5::Error::Type(_)), "{err}");
    assert!(err.to_string().contains("cannot read"), "{err}");
    let complex = file.dataset("datasets/complex64").unwrap();
    assert!(matches!(
        complex.read::<f64>(),
        Err(jangada_hdf5::Error::Type(_))
    ));
    let ints = file.dataset("datasets/int_i4").unwrap();
    assert!(matches!(
        ints.read::<num_complex::Complex<f64>>(),
        Err(jangada_hdf5::Error::Type(_))
    ));
    assert!(matches!(
        ints.read_strings(),
        Err(jangada_hdf5::Error::Type(_))
    ));
}
