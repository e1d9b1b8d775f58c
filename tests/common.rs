//! Helpers shared by the cross-crate tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

// Skips and scratch paths for other targets (scripts/cross.sh); shared with format/tests.
#[path = "portable.rs"]
mod portable;
pub use portable::*;

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

// ------------------------------------------------------------------ interop with h5py / h5dump

/// The repository root (the workspace folder holding `fixtures/`, `format/`, `persist/`).
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// The Python of the repository venv, `<root>/.venv/bin/python` (h5py, numpy, jangada).
///
/// The environment variable `JANGADA_PYTHON`, when set, names another interpreter instead.
/// Panics, telling to run `scripts/setup.sh`, when the interpreter is missing.
pub fn venv_python() -> PathBuf {
    let python = match std::env::var_os("JANGADA_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join(".venv").join("bin").join("python"),
    };
    if !python.exists() {
        panic!(
            "{} is missing: run scripts/setup.sh to create the Python venv (h5py) \
             (or set JANGADA_PYTHON to a Python with h5py)",
            python.display()
        );
    }
    python
}

/// The dump-schema JSON of `path` as h5py reads it: `fixtures/dumplib.py FILE`, the same
/// document as a fixture's committed `NAME.json`. Panics with Python's stderr on failure
/// (including a link cycle, which the reference dump refuses).
pub fn h5py_dump(path: &Path) -> serde_json::Value {
    let script = repo_root().join("fixtures").join("dumplib.py");
    let out = std::process::Command::new(venv_python())
        .arg(&script)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    if !out.status.success() {
        panic!(
            "dumplib.py {} failed ({}):\n{}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("dumplib.py {}: bad JSON: {e}", path.display()))
}

/// Whether the system `h5dump` (Debian's hdf5-tools, libhdf5 1.10) reads the whole of `path`
/// (structure and data): `Ok(())` when it exits with status 0 and reports no `h5dump error`;
/// otherwise `Err` with its status, stderr and the start of its stdout. Runs in the file's
/// folder, so that external links resolve like h5py's. Panics if `h5dump` cannot be started.
pub fn h5dump_ok(path: &Path) -> Result<(), String> {
    let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut cmd = std::process::Command::new("h5dump");
    cmd.arg("--enable-error-stack").arg(&abs);
    if let Some(dir) = abs.parent() {
        cmd.current_dir(dir);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run h5dump (install hdf5-tools: scripts/setup.sh): {e}")
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && !stdout.contains("h5dump error") && !stderr.contains("h5dump error")
    {
        return Ok(());
    }
    let head: String = stdout.chars().take(4000).collect();
    Err(format!(
        "h5dump {} failed ({}):\n--- stderr\n{stderr}\n--- stdout (start)\n{head}",
        path.display(),
        out.status
    ))
}

/// Run an inline Python `script` with the venv's Python (`python -c SCRIPT ARGS...`, so the
/// script sees `args` as `sys.argv[1:]`). `Ok(stdout)` on exit status 0, otherwise `Err` with
/// the status, stderr and stdout. Panics if the interpreter cannot be started.
pub fn run_python(script: &str, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new(venv_python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the venv Python: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "python failed ({}):\n--- stderr\n{}\n--- stdout\n{stdout}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Our dump of `path` (`jangada dump --json`'s document) must equal h5py's reading of it
/// (dumplib's, with hdf5plugin loaded: see [`h5py_dump`]).
pub fn assert_same_as_h5py(path: &Path) {
    let ours =
        jangada::cli::dump::dump_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let theirs = h5py_dump(path);
    if let Some(d) = json_diff("", &ours, &theirs) {
        panic!("{}: {d}", path.display());
    }
}

/// A fresh, empty scratch directory for test `name` of this test binary and process.
pub fn scratch_dir(name: &str) -> PathBuf {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let dir = scratch_root(&format!("jangada-{binary}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The message of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".to_string()
    }
}

/// `f()`, with a panic turned into an `Err` naming it (one file must not hide the others).
pub fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(format!("PANIC: {}", panic_message(p.as_ref()))),
    }
}

/// One stored chunk as the interop tests' `RAW_CHUNKS` scripts print it (JSON objects with
/// `name`, `filters` as `[id, flags, [cd_values]]`, `raw` hex bytes, `elem`, `nbytes`,
/// `mask` and `offset`).
pub struct RawChunk {
    pub name: String,
    pub pipeline: jangada_hdf5::messages::filter_pipeline::FilterPipeline,
    pub raw: Vec<u8>,
    pub elem: usize,
    pub nbytes: usize,
    pub mask: u32,
    pub offset: u64,
}

/// The chunks of a `RAW_CHUNKS` script's output (a JSON array of [`RawChunk`] objects).
pub fn raw_chunks(json: &str) -> Vec<RawChunk> {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    let int = |v: &serde_json::Value| v.as_u64().unwrap();
    doc.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let hex = c["raw"].as_str().unwrap();
            RawChunk {
                name: c["name"].as_str().unwrap().to_string(),
                pipeline: jangada_hdf5::messages::filter_pipeline::FilterPipeline {
                    filters: c["filters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|f| jangada_hdf5::Filter {
                            id: int(&f[0]) as u16,
                            name: None,
                            flags: int(&f[1]) as u16,
                            client_data: f[2]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|v| int(v) as u32)
                                .collect(),
                        })
                        .collect(),
                },
                raw: (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect(),
                elem: int(&c["elem"]) as usize,
                nbytes: int(&c["nbytes"]) as usize,
                mask: int(&c["mask"]) as u32,
                offset: int(&c["offset"]),
            }
        })
        .collect()
}
