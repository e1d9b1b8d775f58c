//! The viewer on the host, over the fixtures: every dataset's tree entry and preview agree
//! with what h5py read (the fixtures' sidecar `NAME.json`, `jangada dump --json`'s schema),
//! errors are answers (never panics), and the C-ABI exports round-trip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use jangada_web::exports::{
    jangada_alloc, jangada_close, jangada_free, jangada_open, jangada_output, jangada_preview,
};
use jangada_web::preview::{plan, Axis};
use jangada_web::Viewer;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn open(viewer: &mut Viewer, path: &Path) -> Value {
    viewer.open(std::fs::read(path).unwrap())
}

/// The elements of row-major `data` (of shape `dims`) that `axes` select, in order.
fn select(data: &[Value], dims: &[u64], axes: &[Axis]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut index = vec![0u64; dims.len()];
    let positions: Vec<Vec<u64>> = axes
        .iter()
        .map(|a| (a.start..a.stop).step_by(a.step as usize).collect())
        .collect();
    if positions.iter().any(Vec::is_empty) {
        return out;
    }
    let mut at = vec![0usize; dims.len()];
    loop {
        for (k, p) in at.iter().enumerate() {
            index[k] = positions[k][*p];
        }
        let flat = index
            .iter()
            .zip(dims)
            .fold(0u64, |acc, (&i, &d)| acc * d + i);
        out.push(data[flat as usize].clone());
        // Next position, last axis fastest.
        let mut k = dims.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            at[k] += 1;
            if at[k] < positions[k].len() {
                break;
            }
            at[k] = 0;
        }
    }
}

/// Every dataset of a tree node, with its sidecar entry, checked against h5py's dump.
fn check_node(viewer: &Viewer, node: &Value, want: &Value, file: &str, checked: &mut usize) {
    let path = node["path"].as_str().unwrap();
    let here = format!("{file}:{path}");
    assert!(node.get("error").is_none(), "{here}: {node}");
    for (name, attr) in node["attrs"].as_object().into_iter().flatten() {
        let expected = &want["attrs"][name];
        assert_eq!(attr["dtype"], expected["dtype"], "{here} @{name}");
        assert_eq!(attr["shape"], expected["shape"], "{here} @{name}");
        if attr.get("truncated").is_none() {
            assert_eq!(attr["data"], expected["data"], "{here} @{name}");
        }
    }
    match node["kind"].as_str().unwrap() {
        "group" if node.get("same_as").is_none() => {
            for member in node["members"].as_array().unwrap() {
                let name = member["name"].as_str().unwrap();
                // The dump omits dangling and external links.
                if let Some(w) = want["members"].get(name) {
                    check_node(viewer, member, w, file, checked);
                }
            }
        }
        "dataset" => {
            // An unlimited virtual dataset's shape comes from its sources' shapes, in other
            // files that a file image in memory cannot find.
            let unlimited = want["maxshape"]
                .as_array()
                .is_some_and(|m| m.iter().any(Value::is_null));
            if node["layout"] == "virtual" && unlimited {
                return;
            }
            for key in ["dtype", "shape", "maxshape", "chunks"] {
                assert_eq!(node[key], want[key], "{here}: {key}");
            }
            let answer = viewer.preview(path);
            // Data in other files (external raw storage, virtual datasets' sources): a file
            // image in memory has no directory to find them in.
            if answer["ok"] == false
                && answer["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("for a file opened from memory"))
            {
                return;
            }
            assert_eq!(answer["ok"], true, "{here}: {answer}");
            let Some(dims) = want["shape"].as_array() else {
                assert_eq!(answer["kind"], "empty", "{here}");
                return;
            };
            let dims: Vec<u64> = dims.iter().map(|d| d.as_u64().unwrap()).collect();
            let axes: Vec<Axis> = answer["selection"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| Axis {
                    start: a[0].as_u64().unwrap(),
                    stop: a[1].as_u64().unwrap(),
                    step: a[2].as_u64().unwrap(),
                })
                .collect();
            let all = want["data"].as_array().unwrap();
            let expected = if dims.is_empty() {
                all.clone()
            } else {
                select(all, &dims, &axes)
            };
            assert_eq!(answer["data"].as_array().unwrap(), &expected, "{here}");
            *checked += 1;
        }
        _ => {}
    }
}

#[test]
fn every_fixture_previews_as_h5py_reads_it() {
    let mut checked = 0;
    for dir in [fixtures(), fixtures().join("producers")] {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "h5"))
            .filter(|p| p.with_extension("json").exists())
            .collect();
        names.sort();
        for path in names {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let want: Value =
                serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap())
                    .unwrap();
            let mut viewer = Viewer::new();
            let answer = open(&mut viewer, &path);
            assert_eq!(answer["ok"], true, "{name}: {answer}");
            check_node(&viewer, &answer["tree"], &want, &name, &mut checked);
        }
    }
    assert!(checked > 300, "{checked} datasets checked");
}

#[test]
fn the_tree_shows_storage_facts_and_netcdf_attributes() {
    let mut viewer = Viewer::new();
    let answer = open(&mut viewer, &fixtures().join("producers/nc4_filters.h5"));
    let members = answer["tree"]["members"].as_array().unwrap();
    let ds = members
        .iter()
        .find(|m| m["name"] == "zlib9_shuffle")
        .unwrap();
    assert_eq!(ds["layout"], "chunked");
    assert_eq!(ds["chunks"], json!([2, 5]));
    let filters: Vec<&str> = ds["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(filters, ["shuffle", "deflate"]);
    assert_eq!(ds["type"], "<i8");
    let preview = viewer.preview("/zlib9_shuffle");
    assert_eq!(preview["kind"], "image");
    assert!(preview["stored_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn a_large_dataset_is_previewed_from_a_bounded_hyperslab() {
    // A 1-D dataset longer than the line plot: the first LINE_MAX values only.
    let p = plan(Some(&[1 << 30]), true);
    assert_eq!(p.elements(), jangada_web::preview::LINE_MAX);
    let mut viewer = Viewer::new();
    open(&mut viewer, &fixtures().join("filters_latest.h5"));
    let answer = viewer.preview("/deflate_1");
    assert_eq!(answer["shape"], json!([2000]));
    assert_eq!(answer["data"][3], 9);
}

#[test]
fn corrupt_files_and_bad_paths_are_answers_not_panics() {
    let mut viewer = Viewer::new();
    let answer = viewer.open(b"not an HDF5 file at all".to_vec());
    assert_eq!(answer["ok"], false);
    assert!(
        answer["error"].as_str().unwrap().contains("signature"),
        "{answer}"
    );
    assert_eq!(
        viewer.preview("/x")["error"],
        "invalid argument: no file is open"
    );
    // Every truncation and a byte flipped every 97 bytes of a real file: an answer each.
    let good = std::fs::read(fixtures().join("producers/nc4_filters.h5")).unwrap();
    for cut in (0..good.len()).step_by(509) {
        let answer = viewer.open(good[..cut].to_vec());
        if answer["ok"] == true {
            for m in answer["tree"]["members"].as_array().unwrap() {
                viewer.preview(m["path"].as_str().unwrap());
            }
        }
    }
    for at in (0..good.len()).step_by(97) {
        let mut bad = good.clone();
        bad[at] ^= 0x5a;
        let answer = viewer.open(bad);
        if answer["ok"] == true {
            for m in answer["tree"]["members"].as_array().unwrap() {
                let p = viewer.preview(m["path"].as_str().unwrap());
                assert!(p["ok"] == true || p["error"].is_string(), "{p}");
            }
        }
    }
    open(&mut viewer, &fixtures().join("filters_latest.h5"));
    assert_eq!(viewer.preview("/nope")["ok"], false);
}

/// Call an export and parse the JSON it left at `jangada_output`.
fn output(len: usize) -> Value {
    // SAFETY: the exports leave `len` bytes of JSON at `jangada_output()`.
    let bytes = unsafe { std::slice::from_raw_parts(jangada_output(), len) };
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn the_exports_move_bytes_in_and_json_out() {
    let bytes = std::fs::read(fixtures().join("filters_latest.h5")).unwrap();
    let buf = jangada_alloc(bytes.len());
    // SAFETY: `buf` holds `bytes.len()` bytes; `jangada_open` takes it over.
    let answer = unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        output(jangada_open(buf, bytes.len()))
    };
    assert_eq!(answer["ok"], true);
    let path = b"/deflate_2d_u2";
    let buf = jangada_alloc(path.len());
    // SAFETY: `buf` holds `path.len()` bytes, freed once after the call.
    let answer = unsafe {
        std::ptr::copy_nonoverlapping(path.as_ptr(), buf, path.len());
        let answer = output(jangada_preview(buf, path.len()));
        jangada_free(buf, path.len());
        answer
    };
    assert_eq!(
        (&answer["kind"], &answer["shape"]),
        (&json!("image"), &json!([20, 20]))
    );
    jangada_close();
    // SAFETY: a zero-length path at a null pointer is not read.
    let answer = unsafe { output(jangada_preview(std::ptr::null(), 0)) };
    assert_eq!(answer["ok"], false);
}

#[test]
fn deep_nesting_stops_the_listing_with_an_error() {
    use jangada_web::tree::DEPTH_MAX;
    let file = jangada_hdf5::File::create_in_memory().unwrap();
    let mut group = file.root().unwrap();
    for _ in 0..DEPTH_MAX + 5 {
        group = group.create_group("g").unwrap();
    }
    let answer = Viewer::new().open(file.to_bytes().unwrap());
    let mut node = &answer["tree"];
    for _ in 0..DEPTH_MAX {
        node = &node["members"][0];
    }
    assert_eq!(node["path"].as_str().unwrap().len(), 2 * DEPTH_MAX);
    assert!(
        node["error"].as_str().unwrap().contains("nested deeper"),
        "{node}"
    );
    assert!(node.get("members").is_none());
}
