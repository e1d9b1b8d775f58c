//! Helpers shared by the integration tests that talk to h5py (include with `mod common;`).
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

// Skips and scratch paths for other targets (scripts/cross.sh), shared with tests/.
#[path = "../../../tests/portable.rs"]
mod portable;
pub use portable::*;

/// The repository root (the workspace above `format/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The repository venv's Python (h5py, numpy), made by `scripts/setup.sh`.
pub fn python() -> PathBuf {
    let p = repo_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "the repository venv is part of the test setup: {} is missing",
        p.display()
    );
    p
}

/// Run `script` with the venv's Python; its standard output (panics when it fails).
pub fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "python failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The bytes of the fixture `name` (`fixtures/`).
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("fixtures").join(name)).unwrap()
}
