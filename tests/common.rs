//! Helpers shared by the cross-crate tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
}

/// Every fixture file (`*.h5`), sorted.
pub fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h5" || e == "hdf5"))
        .collect();
    files.sort();
    files
}

/// `NAME.h5` -> `NAME<suffix>` beside it.
pub fn sidecar(h5: &Path, suffix: &str) -> PathBuf {
    let stem = h5.file_stem().unwrap().to_string_lossy().into_owned();
    h5.with_file_name(format!("{stem}{suffix}"))
}

/// Read a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first difference between two JSON values, as a path and both sides.
pub fn json_diff(
    path: &str,
    ours: &serde_json::Value,
    theirs: &serde_json::Value,
) -> Option<String> {
    use serde_json::Value;
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<&String> = a.keys().collect();
            let kb: Vec<&String> = b.keys().collect();
            let mut sa = ka.clone();
            sa.sort();
            let mut sb = kb.clone();
            sb.sort();
            if sa != sb {
                return Some(format!("{path}: keys differ: ours {sa:?}, h5py {sb:?}"));
            }
            for k in sa {
                if let Some(d) = json_diff(&format!("{path}/{k}"), &a[k], &b[k]) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{path}: {} items vs h5py's {}", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| json_diff(&format!("{path}[{i}]"), x, y))
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: ours {a}, h5py {b}")),
    }
}
