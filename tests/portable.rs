//! What lets the test suites run on other targets than the host (`scripts/cross.sh`: Windows
//! under wine, aarch64 under qemu-user, wasm32-wasip1 under Node's WASI): named skips for
//! what a target lacks, and scratch paths that need neither `temp_dir()` nor process ids
//! (WASI has neither). Included by `tests/common.rs` and `format/tests/common/mod.rs`.
#![allow(dead_code)]

use std::path::PathBuf;

/// What a test needs that some targets lack; see [`skip_unless`].
#[derive(Clone, Copy, Debug)]
pub enum Needs {
    /// The host's tools: the venv's Python (h5py), `h5dump`, child processes (our own
    /// `jangada` binary included). Missing on WebAssembly and when `JANGADA_CROSS` is set
    /// (`scripts/cross.sh` sets it for test binaries it runs under wine, qemu-user or WASI).
    HostTools,
    /// Catching panics (`catch_unwind`, `should_panic`): WebAssembly is `panic=abort`.
    Unwinding,
    /// Spawning threads: WASI (wasm32-wasip1) has none.
    Threads,
}

impl Needs {
    /// Whether this build and process have it.
    pub fn available(self) -> bool {
        match self {
            Needs::HostTools => {
                !cfg!(target_family = "wasm") && std::env::var_os("JANGADA_CROSS").is_none()
            }
            Needs::Unwinding => cfg!(panic = "unwind"),
            Needs::Threads => !cfg!(target_family = "wasm"),
        }
    }
}

/// Whether test `test` must be skipped here because it needs `needs`; if so prints
/// `cross-skip: TEST (needs NEEDS)` (`scripts/cross.sh` counts these lines). Use as
/// `if common::skip_unless(Needs::HostTools, "name") { return; }`.
pub fn skip_unless(needs: Needs, test: &str) -> bool {
    if needs.available() {
        return false;
    }
    println!("cross-skip: {test} (needs {needs:?})");
    true
}

/// The folder for scratch files: `TMPDIR` when set (WASI has no `temp_dir()`; `cross.sh`
/// sets it to a preopened folder), otherwise the system's temporary folder.
pub fn temp_root() -> PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(dir) if cfg!(target_os = "wasi") => PathBuf::from(dir),
        _ => std::env::temp_dir(),
    }
}

/// A number naming this test process in scratch paths: its id, or on WebAssembly (no process
/// ids) the start time's nanoseconds.
pub fn run_id() -> u32 {
    if !cfg!(target_family = "wasm") {
        return std::process::id();
    }
    static ID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    })
}

/// `temp_root()/PREFIX-run_id()` (not created).
pub fn scratch_root(prefix: &str) -> PathBuf {
    temp_root().join(format!("{prefix}-{}", run_id()))
}
