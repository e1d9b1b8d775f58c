//! Datasets whose raw data lives in external files (External Data Files message, h5py's
//! `create_dataset(external=...)`). They used to read as zeros (the fill value): wrong data
//! without an error. Now they read from the files, resolved beside the HDF5 file (or with
//! `HDF5_EXTFILE_PREFIX`), a missing file is an error naming it, and we write such datasets
//! for h5py and h5dump to read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::{h5dump_ok, json_diff, repo_root, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{File, Selection, SliceArg};
use ndarray::{ArrayD, IxDyn};

/// h5py's dump of `path`, run in the file's folder (libhdf5 resolves relative external
/// names against the working directory).
fn h5py_dump_in_folder(path: &Path) -> serde_json::Value {
    let script = r#"
import json, os, sys
sys.path.insert(0, sys.argv[1])
import dumplib
path = os.path.abspath(sys.argv[2])
os.chdir(os.path.dirname(path))
print(dumplib.to_json(dumplib.dump_file(path)))
"#;
    let fixtures = repo_root().join("fixtures");
    let out = run_python(
        script,
        &[fixtures.to_str().unwrap(), path.to_str().unwrap()],
    )
    .unwrap();
    serde_json::from_str(&out).unwrap()
}

const MAKE: &str = r#"
import os, sys
import h5py, numpy as np
folder = sys.argv[1]
os.chdir(folder)
# Raw files with a header before the data, as instruments write them.
a = np.arange(60, dtype="<f8").reshape(6, 10) / 4
with open("raw_a.bin", "wb") as fh:
    fh.write(b"HEADER--" * 4)
    fh.write(a.tobytes())
b = (np.arange(50, dtype="<i4") * 3 - 7)
with open("raw_b1.bin", "wb") as fh:
    fh.write(b[:20].tobytes())
with open("raw_b2.bin", "wb") as fh:
    fh.write(b"\0" * 16 + b[20:].tobytes())
with h5py.File("ext.h5", "w") as f:
    f.create_dataset("one_segment", shape=(6, 10), dtype="<f8", external=[("raw_a.bin", 32, 480)])
    f.create_dataset("two_files", shape=(50,), dtype="<i4",
                     external=[("raw_b1.bin", 0, 80), ("raw_b2.bin", 16, h5py.h5f.UNLIMITED)])
    # Written through h5py: libhdf5 creates the file.
    d = f.create_dataset("written", shape=(4, 3), dtype="<u2", external=[("raw_c.bin", 0, 24)])
    d[...] = np.arange(12, dtype="<u2").reshape(4, 3) + 100
    f.create_dataset("missing", shape=(3,), dtype="<f4", external=[("not_there.bin", 0, 12)])
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root(&format!("jangada-ext-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn external_storage_reads_writes_and_resolves_as_libhdf5() {
    // Everything in one test: HDF5_EXTFILE_PREFIX is process-wide.
    let dir = scratch("h5py");
    run_python(MAKE, &[dir.to_str().unwrap()]).unwrap();
    let path = dir.join("ext.h5");
    let file = File::open(&path).unwrap();

    // Values as h5py reads them (not zeros).
    let a: ArrayD<f64> = file.dataset("one_segment").unwrap().read().unwrap();
    assert_eq!(a[[5, 9]], 59.0 / 4.0);
    assert_eq!(a[[0, 1]], 0.25);
    let b: ArrayD<i32> = file.dataset("two_files").unwrap().read().unwrap();
    let want: Vec<i32> = (0..50).map(|i| i * 3 - 7).collect();
    assert_eq!(b.as_slice().unwrap(), want.as_slice());
    // A slice crossing the two segments.
    let part: ArrayD<i32> = file
        .dataset("two_files")
        .unwrap()
        .read_slice(Selection::new([SliceArg::stepped(15, 26, 2)]))
        .unwrap();
    assert_eq!(
        part.as_slice().unwrap(),
        &[38, 44, 50, 56, 62, 68][..],
        "strided slice over both files"
    );
    let two = file.dataset("two_files").unwrap();
    let segs = &two.external().unwrap().segments;
    assert_eq!(segs.len(), 2);
    assert_eq!(
        (segs[1].name.as_str(), segs[1].offset, segs[1].size),
        ("raw_b2.bin", 16, None)
    );

    // A file read from memory never opens other files (no folder to resolve against;
    // untrusted bytes must not read the file system).
    let mem = File::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    let err = mem
        .dataset("one_segment")
        .unwrap()
        .read_dyn()
        .unwrap_err()
        .to_string();
    assert!(err.contains("opened from memory"), "{err}");

    // A missing file is an error naming it; nothing reads as zeros.
    let err = file
        .dataset("missing")
        .unwrap()
        .read_dyn()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not_there.bin") && err.contains("external"),
        "{err}"
    );

    // The whole file except the missing dataset, compared with h5py value by value.
    {
        let copy = dir.join("ext_ok.h5");
        std::fs::copy(&path, &copy).unwrap();
        let f = File::open_rw(&copy).unwrap();
        f.root().unwrap().unlink("missing").unwrap();
        f.close().unwrap();
        let ours = dump_file(&copy).unwrap();
        let theirs = h5py_dump_in_folder(&copy);
        assert_eq!(json_diff("", &ours, &theirs), None);
    }

    // Resolution from another working directory: beside the HDF5 file, not the cwd.
    let elsewhere = scratch("cwd");
    let moved = elsewhere.join("sub");
    std::fs::create_dir_all(&moved).unwrap();
    for f in ["ext.h5", "raw_a.bin"] {
        std::fs::copy(dir.join(f), moved.join(f)).unwrap();
    }
    let f2 = File::open(moved.join("ext.h5")).unwrap();
    let a2: ArrayD<f64> = f2.dataset("one_segment").unwrap().read().unwrap();
    assert_eq!(a2, a);

    // HDF5_EXTFILE_PREFIX, with ${ORIGIN} standing for the HDF5 file's folder.
    let data_dir = moved.join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::rename(moved.join("raw_a.bin"), data_dir.join("raw_a.bin")).unwrap();
    assert!(f2.dataset("one_segment").unwrap().read_dyn().is_err());
    std::env::set_var("HDF5_EXTFILE_PREFIX", "${ORIGIN}/data");
    let a3: ArrayD<f64> = f2.dataset("one_segment").unwrap().read().unwrap();
    std::env::remove_var("HDF5_EXTFILE_PREFIX");
    assert_eq!(a3, a);

    // Writing: our external datasets, read back by h5py and h5dump.
    let out_dir = scratch("ours");
    let out = out_dir.join("ours.h5");
    {
        let f = File::create_truncate(&out).unwrap();
        let root = f.root().unwrap();
        let data =
            ArrayD::from_shape_vec(IxDyn(&[5, 4]), (0..20).map(f64::from).collect()).unwrap();
        root.new_dataset("grid")
            .external(&[("grid_0.bin", 8, Some(64)), ("grid_1.bin", 0, None)])
            .write(&data)
            .unwrap();
        let d = root
            .new_dataset("later")
            .dtype_of::<i64>()
            .shape(&[10])
            .external(&[("later.bin", 0, Some(80))])
            .create()
            .unwrap();
        let v = ArrayD::from_shape_vec(IxDyn(&[3]), vec![7i64, 8, 9]).unwrap();
        d.write_slice(Selection::new([SliceArg::range(4, 7)]), &v)
            .unwrap();
        // Refused: segments too small, filters with external storage.
        assert!(root
            .new_dataset("small")
            .dtype_of::<f64>()
            .shape(&[10])
            .external(&[("s.bin", 0, Some(79))])
            .create()
            .is_err());
        assert!(root
            .new_dataset("filtered")
            .dtype_of::<f64>()
            .shape(&[10])
            .deflate(4)
            .external(&[("s.bin", 0, None)])
            .create()
            .is_err());
        f.close().unwrap();
    }
    assert!(out_dir.join("grid_0.bin").exists() && out_dir.join("grid_1.bin").exists());
    let ours = dump_file(&out).unwrap();
    let theirs = h5py_dump_in_folder(&out);
    assert_eq!(json_diff("", &ours, &theirs), None);
    let later = &theirs["members"]["later"]["data"];
    assert_eq!(later, &serde_json::json!([0, 0, 0, 0, 7, 8, 9, 0, 0, 0]));
    h5dump_ok(&out).unwrap();
    for d in [dir, elsewhere, out_dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
