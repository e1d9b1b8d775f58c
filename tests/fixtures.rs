//! Every fixture written by h5py / jangada (see `fixtures/generate.py`) is read by our reader
//! and compared with what h5py read: the whole tree through `jangada dump --json`
//! (`NAME.json`), the metadata h5py reports (`NAME.meta.json`), and the errors expected for
//! unsupported features (`NAME.error.json`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{fixture_files, json_diff, read_json, sidecar};
use jangada::cli::dump::{dump_file, element_json};
use jangada_hdf5::{File, LinkTarget, Node};
use serde_json::{json, Value};

#[test]
fn corpus_is_present() {
    let files = fixture_files();
    assert!(files.len() >= 20, "only {} fixtures found", files.len());
}

#[test]
fn every_fixture_dumps_exactly_as_h5py_reads_it() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for h5 in fixture_files() {
        let expected = sidecar(&h5, ".json");
        if !expected.exists() {
            continue;
        }
        compared += 1;
        let name = h5.file_name().unwrap().to_string_lossy().into_owned();
        match dump_file(&h5) {
            Ok(ours) => {
                if let Some(d) = json_diff("", &ours, &read_json(&expected)) {
                    failures.push(format!("{name}: {d}"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(compared > 0);
    assert!(
        failures.is_empty(),
        "{} of {compared} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn unsupported_features_give_clear_errors() {
    let mut checked = 0;
    for h5 in fixture_files() {
        let spec = sidecar(&h5, ".error.json");
        if !spec.exists() {
            continue;
        }
        checked += 1;
        let spec = read_json(&spec);
        let path = spec["path"].as_str().unwrap();
        let want = spec["error_contains"].as_str().unwrap();
        // Dumping the file must fail, naming the problem; so must reading the object.
        let err = dump_file(&h5).err();
        if let Ok(Node::Dataset(d)) = File::open(&h5).unwrap().get(path) {
            let direct = d
                .read_dyn()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                direct.contains(want),
                "{}: reading {path}: {direct:?} lacks {want:?}",
                h5.display()
            );
        }
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains(want),
            "{}: error {msg:?} does not contain {want:?}",
            h5.display()
        );
    }
    assert!(checked > 0, "no .error.json fixtures");
}

fn link_json(target: &LinkTarget) -> (&'static str, Value) {
    match target {
        LinkTarget::Hard(_) => ("hard", Value::Null),
        LinkTarget::Soft(p) => ("soft", json!(p)),
        LinkTarget::External { file, path } => ("external", json!(format!("{file}::{path}"))),
        LinkTarget::UserDefined(t) => ("user", json!(t)),
    }
}

/// Compare one object's metadata with h5py's; return the differences.
fn check_object(file: &File, path: &str, meta: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let node = match file.get(path) {
        Ok(n) => n,
        Err(e) => return vec![format!("{path}: {e}")],
    };
    let kind = match &node {
        Node::Group(_) => "group",
        Node::Dataset(_) => "dataset",
        Node::Datatype(_) => "datatype",
    };
    if let Some(t) = meta.get("type").and_then(Value::as_str) {
        if t != kind {
            out.push(format!("{path}: type {kind}, h5py says {t}"));
        }
    }
    if let Node::Group(g) = &node {
        if let Some(links) = meta.get("links").and_then(Value::as_array) {
            match g.links() {
                Ok(ours) => {
                    let ours: Vec<Value> = ours
                        .iter()
                        .map(|l| {
                            let (k, target) = link_json(&l.target);
                            json!({"name": l.name, "kind": k, "target": target})
                        })
                        .collect();
                    let theirs: Vec<Value> = links
                        .iter()
                        .map(|l| {
                            let target = if l["kind"] == "hard" {
                                Value::Null
                            } else {
                                l["target"].clone()
                            };
                            json!({"name": l["name"], "kind": l["kind"], "target": target})
                        })
                        .collect();
                    if let Some(d) = json_diff(path, &Value::Array(ours), &Value::Array(theirs)) {
                        out.push(format!("links: {d}"));
                    }
                }
                Err(e) => out.push(format!("{path}: links: {e}")),
            }
        }
        if let Some(order) = meta.get("link_order") {
            match g.links_in_creation_order() {
                Ok(ours) => {
                    let ours: Vec<&str> = ours.iter().map(|l| l.name.as_str()).collect();
                    if json!(ours) != *order {
                        out.push(format!("{path}: link order {ours:?}, h5py {order}"));
                    }
                }
                Err(e) => out.push(format!("{path}: link order: {e}")),
            }
        }
    }
    if let Some(order) = meta.get("attr_order") {
        let attrs = match &node {
            Node::Dataset(d) => d.attrs_in_creation_order(),
            Node::Group(g) => g.attrs_in_creation_order(),
            Node::Datatype(_) => Ok(Vec::new()),
        };
        match attrs {
            Ok(a) => {
                let ours: Vec<&str> = a.iter().map(|a| a.name()).collect();
                if json!(ours) != *order {
                    out.push(format!("{path}: attribute order {ours:?}, h5py {order}"));
                }
            }
            Err(e) => out.push(format!("{path}: attribute order: {e}")),
        }
    }
    if let Node::Dataset(d) = &node {
        if let Some(layout) = meta.get("layout").and_then(Value::as_str) {
            if d.layout().name() != layout {
                out.push(format!(
                    "{path}: layout {}, h5py {layout}",
                    d.layout().name()
                ));
            }
        }
        if let Some(index) = meta.get("chunk_index").and_then(Value::as_str) {
            if d.chunk_index() != Some(index) {
                out.push(format!(
                    "{path}: chunk index {:?}, h5py {index}",
                    d.chunk_index()
                ));
            }
        }
        if let Some(filters) = meta.get("filters").and_then(Value::as_array) {
            let ours: Vec<u64> = d.filters().iter().map(|f| u64::from(f.id)).collect();
            let theirs: Vec<u64> = filters.iter().filter_map(|f| f[0].as_u64()).collect();
            if ours != theirs {
                out.push(format!("{path}: filters {ours:?}, h5py {theirs:?}"));
            }
        }
        if let Some(fill) = meta.get("fillvalue") {
            match d.fill_value_dyn() {
                Ok(v) => {
                    if let Some(diff) =
                        json_diff(&format!("{path} fill value"), &element_json(&v), fill)
                    {
                        out.push(diff);
                    }
                }
                Err(e) => out.push(format!("{path}: fill value: {e}")),
            }
        }
    }
    out
}

#[test]
fn every_fixture_matches_h5py_metadata() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for h5 in fixture_files() {
        let meta_path = sidecar(&h5, ".meta.json");
        if !meta_path.exists() {
            continue;
        }
        let meta = read_json(&meta_path);
        let name = h5.file_name().unwrap().to_string_lossy().into_owned();
        let file = match File::open(&h5) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if let Some(objects) = meta.get("objects").and_then(Value::as_object) {
            for (path, m) in objects {
                checked += 1;
                failures.extend(
                    check_object(&file, path, m)
                        .into_iter()
                        .map(|f| format!("{name}: {f}")),
                );
            }
        }
    }
    assert!(checked > 0);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ls_lists_every_readable_fixture() {
    for h5 in fixture_files() {
        if sidecar(&h5, ".json").exists() {
            let text = jangada::cli::ls::list(&h5, None)
                .unwrap_or_else(|e| panic!("{}: {e}", h5.display()));
            assert!(text.starts_with('/'), "{}", h5.display());
        }
    }
}
