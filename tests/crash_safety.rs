//! Crash safety of files modified in `r+` (issue 5): a process killed at any point during an
//! append, a resize or an attribute write leaves a file that h5py and our reader open, with
//! each object in its old or its new state and nothing else damaged.
//!
//! Fault injection: `File::fail_writes_after(Some(n))` lets the next `n` calls that change
//! the file succeed and fails every later one, as if the process had died after its n-th
//! write (the operating system keeps what was written; a process crash loses nothing the
//! kernel already has). For every scenario, the operations run once without a fault to
//! count the calls `W`, then again from the same starting file for every `n` in `0..=W`.
//! Each resulting file is dumped by our reader and by h5py (one Python process for all of
//! them) and must equal the dump of the file after 0, 1, ... or all of the scenario's
//! operations completed (each operation is one step: `append` is one step, not resize then
//! write); `jangada check` must find no problem in it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use jangada::cli::check::check_file;
use jangada::cli::dump::dump_file;
use jangada_hdf5::{File, Result};
use ndarray::{ArrayD, IxDyn};
use serde_json::Value;

type Op = Box<dyn Fn(&File) -> Result<()>>;

struct Scenario {
    name: &'static str,
    /// Makes the starting file.
    setup: Box<dyn Fn(&Path)>,
    /// The operations, each one step whose old or new state must be seen.
    ops: Vec<Op>,
}

fn arange(n: usize, start: f64) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[n]), |i| start + i[0] as f64)
}

fn grid(rows: usize, cols: usize, start: f64) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| {
        start + (i[0] * cols + i[1]) as f64
    })
}

/// A file made by us: a growable 1-D dataset (extensible-array index), a 2-D one with two
/// unlimited axes (v2 B-tree index), a compressed one, a fixed contiguous one, a group
/// with attributes: the objects an operation must leave alone.
fn ours(path: &Path) {
    let f = File::create(path).unwrap();
    let root = f.root().unwrap();
    root.new_dataset("x")
        .maxshape(&[None])
        .chunks(&[1000])
        .write(&arange(2500, 0.0))
        .unwrap();
    root.new_dataset("m")
        .maxshape(&[None, None])
        .chunks(&[16, 16])
        .write(&grid(40, 20, 0.0))
        .unwrap();
    root.new_dataset("z")
        .maxshape(&[None])
        .chunks(&[1000])
        .shuffle()
        .deflate(4)
        .write(&arange(2500, 0.5))
        .unwrap();
    root.new_dataset("fixed").write(&arange(10, 7.0)).unwrap();
    let g = root.create_group("g").unwrap();
    g.set_attr("title", "a group").unwrap();
    g.set_attr("count", 3i64).unwrap();
    root.set_attr("version", 1i64).unwrap();
    f.close().unwrap();
}

/// A file made by h5py with the given `libver` (`earliest`: version 1 object headers,
/// symbol-table groups, version 1 B-tree chunk indexes).
fn h5py_file(path: &Path, libver: &str) {
    let script = r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w", libver=(sys.argv[2], "latest")) as f:
    f.create_dataset("x", data=np.arange(2500.0), maxshape=(None,), chunks=(1000,))
    f.create_dataset("m", data=np.arange(800.0).reshape(40, 20), maxshape=(None, None), chunks=(16, 16))
    f.create_dataset("z", data=np.arange(2500.0) + 0.5, maxshape=(None,), chunks=(1000,),
                     shuffle=True, compression="gzip", compression_opts=4)
    f.create_dataset("fixed", data=np.arange(10.0) + 7)
    g = f.create_group("g")
    g.attrs["title"] = "a group"
    g.attrs["count"] = 3
    f.attrs["version"] = 1
"#;
    common::run_python(script, &[path.to_str().unwrap(), libver]).unwrap();
}

fn append(name: &'static str, data: ArrayD<f64>) -> Op {
    Box::new(move |f| f.dataset(name)?.append(&data))
}

fn resize(name: &'static str, shape: Vec<u64>) -> Op {
    Box::new(move |f| f.dataset(name)?.resize(&shape))
}

fn set_attr_on(path: &'static str, attr: &'static str, value: String) -> Op {
    Box::new(move |f| match f.get(path)? {
        jangada_hdf5::Node::Group(g) => g.set_attr(attr, value.as_str()),
        jangada_hdf5::Node::Dataset(d) => d.set_attr(attr, value.as_str()),
        _ => panic!("{path} is neither a group nor a dataset"),
    })
}

fn scenarios() -> Vec<Scenario> {
    let mut all = Vec::new();
    for (tag, setup) in [
        ("ours", Box::new(ours) as Box<dyn Fn(&Path)>),
        (
            "h5py-earliest",
            Box::new(|p: &Path| h5py_file(p, "earliest")) as Box<dyn Fn(&Path)>,
        ),
        (
            "h5py-latest",
            Box::new(|p: &Path| h5py_file(p, "latest")) as Box<dyn Fn(&Path)>,
        ),
    ] {
        let setup = std::rc::Rc::new(setup);
        let s = |name: &'static str, ops: Vec<Op>| {
            let setup = setup.clone();
            Scenario {
                name,
                setup: Box::new(move |p| setup(p)),
                ops,
            }
        };
        let _ = tag;
        let mut these = vec![
            // A partial last chunk is completed and new chunks follow.
            s("append 1-D", vec![append("x", arange(1700, 2500.0))]),
            s("append 2-D", vec![append("m", grid(9, 20, 800.0))]),
            s("append compressed", vec![append("z", arange(1200, 9.0))]),
            s("resize shrink", vec![resize("x", vec![1234])]),
            s("resize grow", vec![resize("m", vec![50, 33])]),
            s(
                "attribute on a dataset",
                vec![set_attr_on("/x", "units", "metres".into())],
            ),
            s(
                "attribute overwritten, larger",
                vec![set_attr_on("/g", "title", "t".repeat(300))],
            ),
            s(
                "attribute too big for the header",
                vec![set_attr_on("/", "notes", "n".repeat(3000))],
            ),
            s(
                "attributes become dense",
                (0..9)
                    .map(|i| {
                        set_attr_on(
                            "/g",
                            ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"][i],
                            format!("value {i}"),
                        )
                    })
                    .collect(),
            ),
            s(
                "groups become dense",
                (0..9)
                    .map(|i| -> Op {
                        Box::new(move |f: &File| {
                            f.group("/g")?.create_group(&format!("sub{i}")).map(|_| ())
                        })
                    })
                    .collect(),
            ),
            s(
                "append, attribute, append",
                vec![
                    append("x", arange(600, 2500.0)),
                    set_attr_on("/x", "rows", "3100".into()),
                    append("x", arange(900, 3100.0)),
                ],
            ),
        ];
        for sc in &mut these {
            sc.name = Box::leak(format!("{tag}: {}", sc.name).into_boxed_str());
        }
        all.extend(these);
    }
    all
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "jangada-crash-{}-{}",
        std::process::id(),
        name.replace([' ', ':', ','], "_")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the first `steps` operations on a copy of `base` at `path` with at most `budget`
/// file-changing calls; returns the calls made when there was no budget.
fn run(base: &Path, path: &Path, ops: &[Op], steps: usize, budget: Option<u64>) -> u64 {
    std::fs::copy(base, path).unwrap();
    let f = File::open_rw(path).unwrap();
    f.fail_writes_after(budget).unwrap();
    let mut failed = false;
    for op in &ops[..steps] {
        if let Err(e) = op(&f) {
            assert!(budget.is_some(), "{}: {e}", path.display());
            failed = true;
            break;
        }
    }
    let flushed = f.flush();
    if budget.is_none() {
        flushed.unwrap();
    } else if flushed.is_err() {
        failed = true;
    }
    let calls = f.write_calls().unwrap();
    drop(f);
    let _ = failed;
    calls
}

/// h5py's dumps of `files` (one Python process), or the error h5py gave.
fn h5py_dumps(files: &[PathBuf]) -> Vec<std::result::Result<Value, String>> {
    let script = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import dumplib
for p in sys.argv[2:]:
    try:
        doc = {"ok": dumplib.dump_file(p)}
    except Exception as e:
        doc = {"error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(doc, sort_keys=True, allow_nan=False))
"#;
    let mut args = vec![common::fixtures_dir().to_string_lossy().into_owned()];
    args.extend(files.iter().map(|p| p.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::run_python(script, &args).unwrap();
    out.lines()
        .map(|line| {
            let doc: Value = serde_json::from_str(line).unwrap();
            match doc.get("ok") {
                Some(v) => Ok(v.clone()),
                None => Err(doc["error"].to_string()),
            }
        })
        .collect()
}

#[test]
fn a_crash_at_any_write_leaves_the_old_or_the_new_state() {
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for sc in scenarios() {
        let dir = scratch(sc.name);
        let base = dir.join("base.h5");
        (sc.setup)(&base);
        // The states after 0, 1, ... all operations, and the calls the whole run makes.
        let mut states = Vec::new();
        let mut state_files = Vec::new();
        let mut total = 0;
        for steps in 0..=sc.ops.len() {
            let p = dir.join(format!("state{steps}.h5"));
            total = run(&base, &p, &sc.ops, steps, None);
            states.push(dump_file(&p).unwrap());
            state_files.push(p);
        }
        assert_ne!(
            states.first(),
            states.last(),
            "{}: the operations change nothing",
            sc.name
        );
        let mut cases = Vec::new();
        for n in 0..=total {
            let p = dir.join(format!("crash{n}.h5"));
            run(&base, &p, &sc.ops, sc.ops.len(), Some(n));
            match dump_file(&p) {
                Ok(doc) => match states.iter().position(|s| *s == doc) {
                    Some(_) => {}
                    None => failures.push(format!(
                        "{}: killed after {n} of {total} writes: our reader sees a state that is \
                         neither old nor new: {}",
                        sc.name,
                        common::json_diff("", &doc, &states[0]).unwrap_or_default()
                    )),
                },
                Err(e) => failures.push(format!(
                    "{}: killed after {n} of {total} writes: our reader fails: {e}",
                    sc.name
                )),
            }
            let check = check_file(&p).unwrap();
            if !check.is_ok() {
                failures.push(format!(
                    "{}: killed after {n} of {total} writes: jangada check: {}",
                    sc.name,
                    jangada::cli::check::render(&check)
                ));
            }
            cases.push(p);
        }
        // h5py: the states themselves, then every crash file.
        let mut all = state_files.clone();
        all.extend(cases.iter().cloned());
        let dumps = h5py_dumps(&all);
        let (theirs_states, theirs_cases) = dumps.split_at(state_files.len());
        let theirs_states: Vec<Value> = theirs_states
            .iter()
            .map(|d| {
                d.clone()
                    .unwrap_or_else(|e| panic!("{}: h5py: {e}", sc.name))
            })
            .collect();
        for (n, d) in theirs_cases.iter().enumerate() {
            match d {
                Ok(doc) if theirs_states.contains(doc) => {}
                Ok(doc) => failures.push(format!(
                    "{}: killed after {n} of {total} writes: h5py sees a state that is neither \
                     old nor new: {}",
                    sc.name,
                    common::json_diff("", doc, &theirs_states[0]).unwrap_or_default()
                )),
                Err(e) => failures.push(format!(
                    "{}: killed after {n} of {total} writes: h5py fails: {e}",
                    sc.name
                )),
            }
        }
        report.push(format!("{}: {} kill points", sc.name, total + 1));
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
