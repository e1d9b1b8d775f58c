//! Round trips of the writer: random trees of groups, attributes and datasets (random
//! dtypes, shapes of rank 0-3 including zero-size ones, random chunking, filters, maximum
//! shapes and fill values) written by us and read back by us must dump to exactly the JSON
//! the model predicts; every 10th case is also read by h5py. Then bad input from callers:
//! a clear error and not one byte changed on disk.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{h5py_dump, json_diff};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{AttrData, Datatype, File, Group, H5Write, Mode, Selection, SliceArg, Storage};
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

static COUNTER: AtomicUsize = AtomicUsize::new(0);
/// Random cases run so far (every 10th also goes through h5py).
static CASES: AtomicUsize = AtomicUsize::new(0);

fn tmp(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = common::scratch_root("jangada_write_roundtrip");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{n}_{name}.h5"));
    let _ = std::fs::remove_file(&p);
    p
}

// ------------------------------------------------------------------ a tiny deterministic RNG

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

// ------------------------------------------------------------------ the model

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Bool,
    C64,
    C128,
    Str,
}

const KINDS: [Kind; 14] = [
    Kind::I8,
    Kind::I16,
    Kind::I32,
    Kind::I64,
    Kind::U8,
    Kind::U16,
    Kind::U32,
    Kind::U64,
    Kind::F32,
    Kind::F64,
    Kind::Bool,
    Kind::C64,
    Kind::C128,
    Kind::Str,
];

impl Kind {
    fn dtype_json(self) -> Value {
        json!(match self {
            Kind::I8 => "|i1",
            Kind::I16 => "<i2",
            Kind::I32 => "<i4",
            Kind::I64 => "<i8",
            Kind::U8 => "|u1",
            Kind::U16 => "<u2",
            Kind::U32 => "<u4",
            Kind::U64 => "<u8",
            Kind::F32 => "<f4",
            Kind::F64 => "<f8",
            Kind::Bool => "|b1",
            Kind::C64 => "<c8",
            Kind::C128 => "<c16",
            Kind::Str => "str",
        })
    }

    /// The JSON of the element made from seed value `v`.
    fn element(self, v: i64) -> Value {
        match self {
            Kind::I8 | Kind::I16 | Kind::I32 | Kind::I64 => json!(v),
            Kind::U8 | Kind::U16 | Kind::U32 | Kind::U64 => json!(v.unsigned_abs()),
            Kind::F32 | Kind::F64 => json!(v as f64 / 4.0),
            Kind::Bool => json!(v % 2 != 0),
            Kind::C64 | Kind::C128 => json!([v as f64 / 2.0, -(v as f64)]),
            Kind::Str => json!(string_of(v)),
        }
    }
}

fn string_of(v: i64) -> String {
    match v.rem_euclid(4) {
        0 => String::new(),
        1 => format!("s{v}"),
        2 => format!("ção{v}✓"),
        _ => "x".repeat(v.unsigned_abs() as usize % 40),
    }
}

/// Typed arrays of the seed values, for each kind.
fn typed<T: H5Write>(shape: &[usize], values: &[i64], f: impl Fn(i64) -> T) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), values.iter().map(|&v| f(v)).collect()).unwrap()
}

macro_rules! with_typed {
    ($kind:expr, $shape:expr, $values:expr, |$a:ident| $body:expr) => {
        match $kind {
            Kind::I8 => {
                let $a = typed($shape, $values, |v| v as i8);
                $body
            }
            Kind::I16 => {
                let $a = typed($shape, $values, |v| v as i16);
                $body
            }
            Kind::I32 => {
                let $a = typed($shape, $values, |v| v as i32);
                $body
            }
            Kind::I64 => {
                let $a = typed($shape, $values, |v| v);
                $body
            }
            Kind::U8 => {
                let $a = typed($shape, $values, |v| v.unsigned_abs() as u8);
                $body
            }
            Kind::U16 => {
                let $a = typed($shape, $values, |v| v.unsigned_abs() as u16);
                $body
            }
            Kind::U32 => {
                let $a = typed($shape, $values, |v| v.unsigned_abs() as u32);
                $body
            }
            Kind::U64 => {
                let $a = typed($shape, $values, |v| v.unsigned_abs());
                $body
            }
            Kind::F32 => {
                let $a = typed($shape, $values, |v| v as f32 / 4.0);
                $body
            }
            Kind::F64 => {
                let $a = typed($shape, $values, |v| v as f64 / 4.0);
                $body
            }
            Kind::Bool => {
                let $a = typed($shape, $values, |v| v % 2 != 0);
                $body
            }
            Kind::C64 => {
                let $a = typed($shape, $values, |v| {
                    Complex::new(v as f32 / 2.0, -(v as f32))
                });
                $body
            }
            Kind::C128 => {
                let $a = typed($shape, $values, |v| {
                    Complex::new(v as f64 / 2.0, -(v as f64))
                });
                $body
            }
            Kind::Str => unreachable!("strings are written separately"),
        }
    };
}

#[derive(Clone, Debug)]
struct Attr {
    kind: Kind,
    /// `None`: scalar.
    shape: Option<Vec<usize>>,
    values: Vec<i64>,
}

#[derive(Clone, Debug)]
struct Ds {
    kind: Kind,
    shape: Vec<usize>,
    values: Vec<i64>,
    /// Chunk shape, maximum shape (`None` = unlimited), filters.
    chunks: Option<Vec<u64>>,
    maxshape: Option<Vec<Option<u64>>>,
    deflate: Option<u32>,
    shuffle: bool,
    fletcher: bool,
    compact: bool,
    /// Seed value of the fill; when set, the data is left unwritten.
    fill: Option<i64>,
    attrs: Vec<(String, Attr)>,
}

#[derive(Clone, Debug, Default)]
struct Grp {
    track_order: bool,
    attrs: Vec<(String, Attr)>,
    groups: Vec<(String, Grp)>,
    datasets: Vec<(String, Ds)>,
}

fn gen_values(rng: &mut Rng, n: usize) -> Vec<i64> {
    (0..n).map(|_| rng.below(201) as i64 - 100).collect()
}

fn gen_shape(rng: &mut Rng, max_rank: u64) -> Vec<usize> {
    let rank = rng.below(max_rank + 1);
    (0..rank)
        .map(|_| {
            if rng.chance(10) {
                0
            } else {
                1 + rng.below(5) as usize
            }
        })
        .collect()
}

fn gen_attr(rng: &mut Rng) -> Attr {
    let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
    let shape = if rng.chance(40) {
        None
    } else {
        Some(gen_shape(rng, 2))
    };
    let n = shape.as_ref().map_or(1, |s| s.iter().product());
    Attr {
        kind,
        shape,
        values: gen_values(rng, n),
    }
}

fn gen_attrs(rng: &mut Rng) -> Vec<(String, Attr)> {
    let n = match rng.below(10) {
        0..=4 => rng.below(3),
        5..=8 => rng.below(10),
        _ => 10 + rng.below(15),
    };
    (0..n)
        .map(|i| (format!("attr{i}_{}", rng.below(1000)), gen_attr(rng)))
        .collect()
}

fn gen_ds(rng: &mut Rng) -> Ds {
    let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
    let shape = gen_shape(rng, 3);
    let n: usize = shape.iter().product();
    let mut ds = Ds {
        kind,
        values: gen_values(rng, n),
        shape: shape.clone(),
        chunks: None,
        maxshape: None,
        deflate: None,
        shuffle: false,
        fletcher: false,
        compact: false,
        fill: None,
        attrs: if rng.chance(30) {
            gen_attrs(rng)
        } else {
            Vec::new()
        },
    };
    let chunkable = !shape.is_empty();
    match rng.below(4) {
        1 if chunkable => {
            // Chunked: maximum shape and chunk shape consistent with it.
            let max: Vec<Option<u64>> = shape
                .iter()
                .map(|&d| {
                    if rng.chance(40) || d == 0 {
                        None
                    } else {
                        Some(d as u64 + rng.below(3))
                    }
                })
                .collect();
            if rng.chance(60) {
                ds.maxshape = Some(max.clone());
            }
            let limit: Vec<u64> = if ds.maxshape.is_some() {
                max.iter()
                    .zip(&shape)
                    .map(|(m, &d)| m.unwrap_or(4.max(d as u64)))
                    .collect()
            } else {
                shape.iter().map(|&d| d as u64).collect()
            };
            if limit.iter().all(|&l| l > 0) && rng.chance(70) {
                ds.chunks = Some(limit.iter().map(|&l| 1 + rng.below(l.min(4))).collect());
            }
            if ds.chunks.is_none() && ds.maxshape.is_none() {
                if limit.iter().all(|&l| l > 0) {
                    ds.chunks = Some(limit.iter().map(|&l| 1 + rng.below(l)).collect());
                } else {
                    ds.maxshape = Some(max);
                }
            }
            if rng.chance(40) {
                ds.deflate = Some(rng.below(10) as u32);
            }
            ds.shuffle = rng.chance(30);
            ds.fletcher = rng.chance(30);
        }
        2 if n * 16 < 2000 && kind != Kind::Str => ds.compact = true,
        _ => {}
    }
    if kind != Kind::Str && n > 0 && rng.chance(20) {
        ds.fill = Some(rng.below(201) as i64 - 100);
    }
    ds
}

fn gen_group(rng: &mut Rng, depth: u32) -> Grp {
    let mut g = Grp {
        track_order: rng.chance(25),
        attrs: gen_attrs(rng),
        ..Grp::default()
    };
    let members = match rng.below(10) {
        0..=6 => rng.below(4),
        _ => 5 + rng.below(8),
    };
    for i in 0..members {
        let name = format!("m{i}_{}", rng.below(100));
        if depth < 2 && rng.chance(30) {
            g.groups.push((name, gen_group(rng, depth + 1)));
        } else {
            g.datasets.push((name, gen_ds(rng)));
        }
    }
    g
}

// ------------------------------------------------------------------ writing the model

fn attr_data(a: &Attr) -> AttrData {
    if a.kind == Kind::Str {
        let strings: Vec<String> = a.values.iter().map(|&v| string_of(v)).collect();
        return match &a.shape {
            None => AttrData::string(&strings[0]),
            Some(s) => AttrData::strings(s, strings).unwrap(),
        };
    }
    let shape: Vec<usize> = a.shape.clone().unwrap_or_default();
    let data = with_typed!(a.kind, &shape, &a.values, |arr| AttrData::array(&arr)
        .unwrap());
    if a.shape.is_none() {
        // A scalar: the same element with a scalar dataspace.
        let mut d = data;
        d.dataspace = jangada_hdf5::Dataspace::scalar();
        d
    } else {
        data
    }
}

fn kind_dtype(kind: Kind) -> Datatype {
    match kind {
        Kind::I8 => i8::datatype(),
        Kind::I16 => i16::datatype(),
        Kind::I32 => i32::datatype(),
        Kind::I64 => i64::datatype(),
        Kind::U8 => u8::datatype(),
        Kind::U16 => u16::datatype(),
        Kind::U32 => u32::datatype(),
        Kind::U64 => u64::datatype(),
        Kind::F32 => f32::datatype(),
        Kind::F64 => f64::datatype(),
        Kind::Bool => bool::datatype(),
        Kind::C64 => Complex::<f32>::datatype(),
        Kind::C128 => Complex::<f64>::datatype(),
        Kind::Str => Datatype::vlen_utf8(),
    }
}

fn write_ds(parent: &Group, name: &str, ds: &Ds) {
    let mut b = parent
        .new_dataset(name)
        .dtype(kind_dtype(ds.kind))
        .shape(&ds.shape.iter().map(|&d| d as u64).collect::<Vec<_>>());
    if let Some(c) = &ds.chunks {
        b = b.chunks(c);
    }
    if let Some(m) = &ds.maxshape {
        b = b.maxshape(m);
    }
    if let Some(level) = ds.deflate {
        b = b.deflate(level);
    }
    if ds.shuffle {
        b = b.shuffle();
    }
    if ds.fletcher {
        b = b.fletcher32();
    }
    if ds.compact {
        b = b.storage(Storage::Compact);
    }
    if let Some(fill) = ds.fill {
        b = with_typed!(ds.kind, &[1], &[fill], |arr| b
            .fill_value(*arr.iter().next().unwrap())
            .unwrap());
    }
    let d = if ds.kind == Kind::Str {
        let strings: Vec<String> = ds.values.iter().map(|&v| string_of(v)).collect();
        b.write_strings(
            &ds.shape.iter().map(|&d| d as u64).collect::<Vec<_>>(),
            &strings,
        )
        .unwrap_or_else(|e| panic!("{name}: {ds:?}: {e}"))
    } else if ds.fill.is_some() {
        b.create().unwrap_or_else(|e| panic!("{name}: {ds:?}: {e}"))
    } else {
        with_typed!(ds.kind, &ds.shape, &ds.values, |arr| b
            .write(&arr)
            .unwrap_or_else(|e| panic!("{name}: {ds:?}: {e}")))
    };
    for (an, a) in &ds.attrs {
        d.set_attr(an, attr_data(a)).unwrap();
    }
}

fn write_group(g: &Group, model: &Grp) {
    for (name, a) in &model.attrs {
        g.set_attr(name, attr_data(a))
            .unwrap_or_else(|e| panic!("{name}: {a:?}: {e}"));
    }
    for (name, sub) in &model.groups {
        let s = g.create_group_with(name, sub.track_order).unwrap();
        write_group(&s, sub);
    }
    for (name, ds) in &model.datasets {
        write_ds(g, name, ds);
    }
}

// ------------------------------------------------------------------ the expected dump

fn attrs_json(attrs: &[(String, Attr)]) -> Value {
    let mut m = Map::new();
    for (name, a) in attrs {
        m.insert(
            name.clone(),
            json!({
                "dtype": a.kind.dtype_json(),
                "shape": a.shape.clone().unwrap_or_default(),
                "data": a.values.iter().map(|&v| a.kind.element(v)).collect::<Vec<_>>(),
            }),
        );
    }
    Value::Object(m)
}

fn ds_json(ds: &Ds) -> Value {
    let n: usize = ds.shape.iter().product();
    let data: Vec<Value> = match ds.fill {
        Some(f) => vec![ds.kind.element(f); n],
        None => ds.values.iter().map(|&v| ds.kind.element(v)).collect(),
    };
    let chunked = ds.chunks.is_some()
        || ds.maxshape.is_some()
        || ds.deflate.is_some()
        || ds.shuffle
        || ds.fletcher;
    let maxshape: Vec<Value> = match &ds.maxshape {
        Some(m) => m
            .iter()
            .map(|d| d.map_or(Value::Null, |d| json!(d)))
            .collect(),
        None => ds.shape.iter().map(|&d| json!(d)).collect(),
    };
    json!({
        "kind": "dataset",
        "dtype": ds.kind.dtype_json(),
        "shape": ds.shape,
        "maxshape": maxshape,
        // Chunk shape checked separately (guessed shapes are h5py's guess).
        "chunks": if chunked { json!("CHUNKED") } else { Value::Null },
        "attrs": attrs_json(&ds.attrs),
        "data": data,
    })
}

fn group_json(g: &Grp) -> Value {
    let mut members = Map::new();
    for (name, sub) in &g.groups {
        members.insert(name.clone(), group_json(sub));
    }
    for (name, ds) in &g.datasets {
        members.insert(name.clone(), ds_json(ds));
    }
    json!({"kind": "group", "attrs": attrs_json(&g.attrs), "members": members})
}

/// Replace every chunk shape by a marker, after checking explicit ones.
fn normalize_chunks(ours: &mut Value, model: &Grp) {
    let Some(members) = ours.get_mut("members").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, sub) in &model.groups {
        if let Some(v) = members.get_mut(name) {
            normalize_chunks(v, sub);
        }
    }
    for (name, ds) in &model.datasets {
        let Some(v) = members.get_mut(name) else {
            continue;
        };
        let c = &mut v["chunks"];
        if !c.is_null() {
            if let Some(explicit) = &ds.chunks {
                assert_eq!(*c, json!(explicit), "{name}: chunk shape");
            }
            *c = json!("CHUNKED");
        }
    }
}

fn dedup(g: &mut Grp) {
    // Names must be unique within a group (groups and datasets share one namespace).
    let mut seen = std::collections::HashSet::new();
    g.attrs.retain(|(n, _)| seen.insert(n.clone()));
    let mut seen = std::collections::HashSet::new();
    g.groups.retain(|(n, _)| seen.insert(n.clone()));
    g.datasets.retain(|(n, _)| seen.insert(n.clone()));
    for (_, s) in &mut g.groups {
        dedup(s);
    }
    for (_, d) in &mut g.datasets {
        let mut seen = std::collections::HashSet::new();
        d.attrs.retain(|(n, _)| seen.insert(n.clone()));
    }
}

/// After reopening (`r+`): append rows to every dataset with an unlimited first axis,
/// and add an attribute to every group; the model follows.
fn reopen_and_append(g: &Group, model: &mut Grp, rng: &mut Rng) {
    model.attrs.retain(|(n, _)| n != "reopened");
    let a = gen_attr(rng);
    g.set_attr("reopened", attr_data(&a)).unwrap();
    model.attrs.push(("reopened".into(), a));
    for (name, sub) in &mut model.groups {
        reopen_and_append(&g.group(name).unwrap(), sub, rng);
    }
    for (name, ds) in &mut model.datasets {
        let growable = ds
            .maxshape
            .as_ref()
            .is_some_and(|m| m.first() == Some(&None));
        if ds.kind == Kind::Str || ds.fill.is_some() || ds.shape.is_empty() {
            continue;
        }
        let d = g.dataset(name).unwrap();
        let row: usize = ds.shape[1..].iter().product();
        if ds.shape[0] > 0 && row > 0 && rng.chance(60) {
            // Overwrite every `step`-th row from `start` (a stepped selection on axis 0).
            let start = rng.below(ds.shape[0] as u64) as usize;
            let step = 1 + rng.below(3) as usize;
            let rows: Vec<usize> = (start..ds.shape[0]).step_by(step).collect();
            let mut shape = ds.shape.clone();
            shape[0] = rows.len();
            let values = gen_values(rng, rows.len() * row);
            let sel = Selection::new([SliceArg::stepped(
                start as i64,
                ds.shape[0] as i64,
                step as i64,
            )]);
            with_typed!(ds.kind, &shape, &values, |arr| d
                .write_slice(&sel, &arr)
                .unwrap_or_else(|e| panic!("write_slice {name}: {ds:?}: {e}")));
            for (k, &r) in rows.iter().enumerate() {
                ds.values[r * row..(r + 1) * row].copy_from_slice(&values[k * row..(k + 1) * row]);
            }
        }
        if !growable {
            continue;
        }
        if ds.shape[0] > 0 && rng.chance(40) {
            // Shrink, then grow back: the rows cut away read back as the fill value (0).
            let keep = rng.below(ds.shape[0] as u64) as usize;
            let mut shape: Vec<u64> = ds.shape.iter().map(|&x| x as u64).collect();
            shape[0] = keep as u64;
            d.resize(&shape).unwrap();
            shape[0] = ds.shape[0] as u64;
            d.resize(&shape).unwrap();
            for v in &mut ds.values[keep * row..] {
                *v = 0;
            }
        }
        for _ in 0..1 + rng.below(3) {
            let rows = 1 + rng.below(3) as usize;
            let mut shape = ds.shape.clone();
            shape[0] = rows;
            let values = gen_values(rng, shape.iter().product());
            with_typed!(ds.kind, &shape, &values, |arr| d
                .append(&arr)
                .unwrap_or_else(|e| panic!("append to {name}: {ds:?}: {e}")));
            ds.shape[0] += rows;
            ds.values.extend(values);
        }
    }
}

/// Whether the cases' h5py comparisons run here (not on other targets: `scripts/cross.sh`,
/// which counts the one skip this prints; the model comparisons always run).
fn h5py_here() -> bool {
    static HERE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HERE.get_or_init(|| {
        !common::skip_unless(
            common::Needs::HostTools,
            "write_roundtrip: the h5py comparisons of the round-trip cases",
        )
    })
}

fn run_case(seed: u64, with_h5py: bool) {
    let mut rng = Rng(seed);
    let mut model = gen_group(&mut rng, 0);
    dedup(&mut model);
    let p = tmp(&format!("case_{seed:x}"));
    {
        let f = File::create(&p).unwrap();
        write_group(&f.root().unwrap(), &model);
        f.close().unwrap();
    }
    if rng.chance(50) {
        let f = File::open_rw(&p).unwrap();
        reopen_and_append(&f.root().unwrap(), &mut model, &mut rng);
        f.close().unwrap();
    }
    let expected = group_json(&model);
    let mut ours = dump_file(&p).unwrap_or_else(|e| panic!("seed {seed:#x}: our dump: {e}"));
    let raw = ours.clone();
    normalize_chunks(&mut ours, &model);
    if let Some(d) = json_diff("", &ours, &expected) {
        panic!(
            "seed {seed:#x}: dump differs from the model: {d} ({})",
            p.display()
        );
    }
    if with_h5py && h5py_here() {
        let theirs = h5py_dump(&p);
        if let Some(d) = json_diff("", &raw, &theirs) {
            panic!(
                "seed {seed:#x}: our dump differs from h5py's: {d} ({})",
                p.display()
            );
        }
    }
    let _ = std::fs::remove_file(&p);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_round_trip(seed in any::<u64>()) {
        let n = CASES.fetch_add(1, Ordering::SeqCst);
        run_case(seed, n.is_multiple_of(10));
    }
}

#[test]
fn fixed_seeds_round_trip_and_h5py() {
    for seed in [1u64, 2, 3, 0xdead_beef, 42] {
        run_case(seed, true);
    }
}

// ------------------------------------------------------------------ bad input: error, no change

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// A flushed file with a bit of everything; returns its path.
fn sample_file() -> PathBuf {
    let p = tmp("bad_input");
    let f = File::create(&p).unwrap();
    let r = f.root().unwrap();
    r.create_group("g").unwrap();
    r.set_attr("a", 1i32).unwrap();
    r.new_dataset("scalar")
        .write(&ArrayD::from_shape_vec(IxDyn(&[]), vec![1.5f64]).unwrap())
        .unwrap();
    r.new_dataset("ext")
        .maxshape(&[Some(6), None])
        .chunks(&[2, 2])
        .write(&ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1i32, 2, 3, 4]).unwrap())
        .unwrap();
    r.new_dataset("contig")
        .write(&ArrayD::from_shape_vec(IxDyn(&[3]), vec![1u8, 2, 3]).unwrap())
        .unwrap();
    f.close().unwrap();
    p
}

/// `op` on the file opened read-write must fail and leave the bytes unchanged.
fn refused(what: &str, op: impl FnOnce(&File) -> jangada_hdf5::Result<()>) {
    let p = sample_file();
    let before = bytes(&p);
    let f = File::open_rw(&p).unwrap();
    f.flush().unwrap();
    let flushed = bytes(&p);
    let res = op(&f);
    assert!(res.is_err(), "{what}: accepted");
    let msg = res.unwrap_err().to_string();
    assert!(!msg.is_empty(), "{what}: empty error message");
    f.flush().unwrap();
    assert!(
        bytes(&p) == flushed,
        "{what}: the file changed after a refused call ({msg})"
    );
    f.close().unwrap();
    assert!(
        bytes(&p) == before,
        "{what}: the file changed after close ({msg})"
    );
    let _ = std::fs::remove_file(&p);
}

fn a1<T: Clone>(v: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap()
}

#[test]
fn bad_names() {
    refused("group name with '/' in a link", |f| {
        f.root()?.link_soft("a/b", "/g")
    });
    refused("empty group name", |f| {
        f.root()?.create_group("").map(|_| ())
    });
    refused("only slashes", |f| {
        f.root()?.create_group("///").map(|_| ())
    });
    refused("duplicate group", |f| {
        f.root()?.create_group("g").map(|_| ())
    });
    refused("group over a dataset", |f| {
        f.root()?.create_group("contig").map(|_| ())
    });
    refused("duplicate dataset", |f| {
        f.root()?
            .write_dataset("contig", &a1(vec![1u8]))
            .map(|_| ())
    });
    refused("duplicate soft link", |f| f.root()?.link_soft("g", "/x"));
    refused("duplicate hard link", |f| {
        let g = f.get("g")?;
        f.root()?.link_hard("contig", &g)
    });
    refused("empty link name", |f| f.root()?.link_soft("", "/g"));
    // HDF5 (and h5py) allow '/' in attribute names: accepted, see `slash_in_attribute_name`.
    refused("empty attribute name", |f| f.root()?.set_attr("", 1i32));
    refused("dataset name with '.' only", |f| {
        f.root()?.create_group(".").map(|_| ())
    });
    refused("unlink a missing name", |f| f.root()?.unlink("missing"));
    refused("delete a missing attribute", |f| {
        f.root()?.delete_attr("missing")
    });
}

#[test]
fn bad_shapes() {
    refused("resize beyond maxshape", |f| {
        f.dataset("ext")?.resize(&[7, 2])
    });
    refused("resize to another rank", |f| f.dataset("ext")?.resize(&[2]));
    refused("resize a contiguous dataset", |f| {
        f.dataset("contig")?.resize(&[5])
    });
    refused("write_slice shape mismatch", |f| {
        f.dataset("ext")?.write_slice(
            Selection::new([SliceArg::range(0, 2), SliceArg::range(0, 1)]),
            &ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1i32, 2, 3, 4]).unwrap(),
        )
    });
    refused("write whole with wrong shape", |f| {
        f.dataset("contig")?.write(&a1(vec![1u8, 2]))
    });
    refused("selection out of range", |f| {
        f.dataset("contig")?.write_slice(
            Selection::new([SliceArg::range(2, 5)]),
            &a1(vec![1u8, 2, 3]),
        )
    });
    refused("index out of range", |f| {
        f.dataset("contig")?.write_slice(
            Selection::new([SliceArg::Index(3)]),
            &ArrayD::from_shape_vec(IxDyn(&[]), vec![1u8]).unwrap(),
        )
    });
    refused("too many selection axes", |f| {
        f.dataset("contig")?.write_slice(
            Selection::new([SliceArg::Index(0), SliceArg::Index(0)]),
            &ArrayD::from_shape_vec(IxDyn(&[]), vec![1u8]).unwrap(),
        )
    });
    refused("append to a scalar dataset", |f| {
        f.dataset("scalar")?.append(&a1(vec![1.0f64]))
    });
    refused("append with wrong row shape", |f| {
        f.dataset("ext")?
            .append(&ArrayD::from_shape_vec(IxDyn(&[1, 3]), vec![1i32, 2, 3]).unwrap())
    });
    refused("append to a fixed-size dataset", |f| {
        f.dataset("contig")?.append(&a1(vec![4u8]))
    });
    refused("chunk shape of wrong rank", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[4, 4])
            .chunks(&[2])
            .create()
            .map(|_| ())
    });
    refused("zero chunk dimension", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[4, 4])
            .chunks(&[2, 0])
            .create()
            .map(|_| ())
    });
    refused("chunk larger than a fixed maximum", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[4])
            .chunks(&[8])
            .create()
            .map(|_| ())
    });
    refused("shape beyond maxshape", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[4])
            .maxshape(&[Some(3)])
            .create()
            .map(|_| ())
    });
    refused("maxshape of wrong rank", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[4])
            .maxshape(&[None, None])
            .create()
            .map(|_| ())
    });
    refused("compact with maxshape", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[4])
            .maxshape(&[None])
            .storage(Storage::Compact)
            .create()
            .map(|_| ())
    });
    refused("chunked scalar", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .shape(&[])
            .chunks(&[])
            .create()
            .map(|_| ())
    });
    refused("no shape", |f| {
        f.root()?
            .new_dataset("bad")
            .dtype_of::<i32>()
            .create()
            .map(|_| ())
    });
    refused("no dtype", |f| {
        f.root()?
            .new_dataset("bad")
            .shape(&[1])
            .create()
            .map(|_| ())
    });
    refused("strings into a number dataset", |f| {
        f.dataset("contig")?
            .write_strings(Selection::all(), &["a".into(), "b".into(), "c".into()])
    });
    refused("complex into an integer dataset", |f| {
        f.dataset("contig")?
            .write(&a1(vec![Complex::new(1.0f64, 1.0); 3]))
    });
    refused("string count mismatch", |f| {
        f.root()?
            .new_dataset("bad")
            .write_strings(&[3], &["a".into()])
            .map(|_| ())
    });
    refused("strings shape mismatch for an attribute", |f| {
        f.root()?
            .set_attr("s", AttrData::strings(&[2], vec!["a".into()])?)
    });
    refused("fixed string too long", |f| {
        f.root()?
            .set_attr("s", AttrData::fixed_string("abcdef", 3)?)
    });
}

#[test]
fn read_only_refuses_every_write() {
    let p = sample_file();
    let before = bytes(&p);
    let f = File::open_with(&p, Mode::Read).unwrap();
    assert!(!f.is_writable());
    let r = f.root().unwrap();
    assert!(r.set_attr("x", 1i32).is_err());
    assert!(r.delete_attr("a").is_err());
    assert!(r.create_group("new").is_err());
    assert!(r.link_soft("s", "/g").is_err());
    assert!(r.unlink("g").is_err());
    assert!(r.write_dataset("d", &a1(vec![1i32])).is_err());
    let ds = f.dataset("ext").unwrap();
    assert!(ds.resize(&[4, 4]).is_err());
    assert!(ds
        .append(&ArrayD::from_shape_vec(IxDyn(&[1, 2]), vec![1i32, 2]).unwrap())
        .is_err());
    assert!(ds
        .write(&ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0i32; 4]).unwrap())
        .is_err());
    assert!(ds.set_attr("x", 1i32).is_err());
    let err = r.set_attr("x", 1i32).unwrap_err().to_string();
    assert!(err.contains("read-only"), "{err}");
    drop(ds);
    drop(r);
    f.close().unwrap();
    assert!(bytes(&p) == before, "a read-only open changed the file");
    // Creating over an existing file without truncation is refused too.
    assert!(File::create(&p).is_err());
    assert!(bytes(&p) == before);
    let _ = std::fs::remove_file(&p);
}

#[test]
fn slash_in_attribute_name() {
    // HDF5 allows any non-empty attribute name, '/' included (h5py: `attrs['a/b'] = 1`).
    let p = tmp("slash_attr");
    {
        let f = File::create(&p).unwrap();
        f.root().unwrap().set_attr("a/b", 1i32).unwrap();
        f.close().unwrap();
    }
    let theirs = h5py_dump(&p);
    assert_eq!(theirs["attrs"]["a/b"]["data"], json!([1]));
    assert!(json_diff("", &dump_file(&p).unwrap(), &theirs).is_none());
}

/// `Group::open_link` on each link `links()` gives opens what `get(name)` opens (hard and
/// soft links, compact and dense groups, read-only and writable), and refuses what `get`
/// refuses (external and dangling links).
#[test]
fn open_link_opens_what_get_opens() {
    let p = common::scratch_root("open-link").with_extension("h5");
    {
        let f = File::create(&p).unwrap();
        let root = f.root().unwrap();
        let dense = root.create_group("dense").unwrap();
        for i in 0..20 {
            dense.create_group(&format!("g{i}")).unwrap();
        }
        dense.write_dataset("d", &a1(vec![1.5f64, 2.5])).unwrap();
        dense.link_soft("soft", "/dense/g3").unwrap();
        dense.link_soft("dangling", "/nowhere").unwrap();
        dense.link_external("ext", "other.h5", "/x").unwrap();
        root.create_group("compact").unwrap();
        root.link_soft("to_dense", "dense").unwrap();
        drop((dense, root));
        f.close().unwrap();
    }
    for mode in [Mode::Read, Mode::ReadWrite] {
        let f = File::open_with(&p, mode).unwrap();
        for group in ["/", "/dense", "/compact"] {
            let g = f.group(group).unwrap();
            for link in g.links().unwrap() {
                let by_link = g.open_link(&link);
                let by_name = g.get(&link.name);
                match (by_link, by_name) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a.addr(), b.addr(), "{group} {}", link.name);
                        assert_eq!(a.path(), b.path(), "{group} {}", link.name);
                    }
                    (Err(_), Err(_)) => {}
                    (a, b) => panic!("{group} {}: {a:?} vs {b:?}", link.name),
                }
            }
        }
    }
    let _ = std::fs::remove_file(&p);
}
