//! Smoke test of the interop helpers of `tests/common.rs`: h5py's dump of committed fixtures
//! equals their `NAME.json`, h5dump 1.10 reads what it can and refuses what it cannot, and
//! inline Python runs. Needs the venv and h5dump (`scripts/setup.sh`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    fixtures_dir, h5dump_ok, h5py_dump, json_diff, read_json, repo_root, run_python, sidecar,
    venv_python,
};

#[test]
fn paths() {
    assert!(repo_root().join("fixtures").join("dumplib.py").is_file());
    assert!(venv_python().exists());
}

#[test]
fn h5py_dump_equals_committed_json() {
    for name in [
        "libver_earliest",
        "types_latest",
        "links_earliest",
        "dataspaces_latest",
        "jangada_types",
    ] {
        let h5 = fixtures_dir().join(format!("{name}.h5"));
        let ours = h5py_dump(&h5);
        let committed = read_json(&sidecar(&h5, ".json"));
        assert_eq!(ours["kind"], "group", "{name}");
        if let Some(d) = json_diff("", &ours, &committed) {
            panic!("{name}: h5py_dump differs from the committed NAME.json: {d}");
        }
    }
}

#[test]
fn h5dump_reads_110_files_and_refuses_newer_ones() {
    h5dump_ok(&fixtures_dir().join("libver_earliest.h5")).unwrap();
    h5dump_ok(&fixtures_dir().join("layout_chunked_v110.h5")).unwrap();
    let err = h5dump_ok(&fixtures_dir().join("complex_native.h5")).unwrap_err();
    assert!(err.contains("h5dump error"), "{err}");
    assert!(h5dump_ok(&fixtures_dir().join("libver_latest.h5")).is_err());
}

#[test]
fn run_python_returns_stdout_or_error() {
    let out = run_python(
        "import sys, h5py; print(h5py.__version__.split('.')[0], sys.argv[1:])",
        &["a", "b c"],
    )
    .unwrap();
    assert_eq!(out, "3 ['a', 'b c']\n");
    let err = run_python("import sys; print('x', file=sys.stderr); sys.exit(3)", &[]).unwrap_err();
    assert!(err.contains("x") && err.contains('3'), "{err}");
}
