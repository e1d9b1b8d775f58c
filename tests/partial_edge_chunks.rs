//! Datasets created with `H5Pset_chunk_opts(H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS)` (layout
//! flag bit 0): libhdf5 stores their partial edge chunks raw, with filter mask 0. Reading
//! them through the filters gave errors (deflate) or silently scrambled values (shuffle).
//!
//! h5py (libhdf5 2.0, through ctypes for `H5Pset_chunk_opts`) writes such datasets with every
//! chunk index; we read them as h5py does; then we write into edge chunks, append (edge chunks
//! become whole and must be filtered) and shrink (whole chunks become raw edges), and h5py
//! and h5dump must read what we wrote.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{h5dump_ok, h5py_dump, json_diff, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{File, Selection, SliceArg};
use ndarray::{ArrayD, IxDyn};

const MAKE: &str = r#"
import ctypes, sys
from pathlib import Path
import h5py, numpy as np

libs = Path(h5py.__file__).resolve().parent.parent / "h5py.libs"
lib = ctypes.CDLL(str(sorted(libs.glob("libhdf5-*.so*"))[0]))
DONT_FILTER_PARTIAL = 0x0002

def make(f, name, shape, maxshape, chunks, filters, dtype):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk(chunks)
    for flt in filters:
        if flt == "shuffle":
            dcpl.set_shuffle()
        elif flt == "deflate":
            dcpl.set_deflate(6)
        elif flt == "fletcher32":
            dcpl.set_fletcher32()
    dcpl.set_obj_track_times(False)
    assert lib.H5Pset_chunk_opts(ctypes.c_int64(dcpl.id), ctypes.c_uint(DONT_FILTER_PARTIAL)) >= 0
    space = h5py.h5s.create_simple(shape, maxshape)
    tid = h5py.h5t.py_create(np.dtype(dtype))
    dsid = h5py.h5d.create(f.id, name.encode(), tid, space, dcpl=dcpl)
    d = h5py.Dataset(dsid)
    n = int(np.prod(shape))
    d[...] = (np.arange(n, dtype=np.int64).reshape(shape) * 7919 % 100003).astype(dtype)

path, libver = sys.argv[1], sys.argv[2]
U = h5py.h5s.UNLIMITED
with h5py.File(path, "w", libver=libver, track_order=False) as f:
    for filters in (["shuffle"], ["deflate"], ["shuffle", "deflate", "fletcher32"]):
        tag = "_".join(filters)
        # earliest: B-tree v1 for all; latest: extensible array, fixed array, v2 B-tree.
        make(f, "ea_" + tag, (103,), (U,), (10,), filters, "<i4")
        make(f, "fa_" + tag, (37, 23), (37, 23), (8, 5), filters, "<f8")
        make(f, "bt2_" + tag, (19, 13), (U, U), (4, 6), filters, "<u2")
"#;

/// h5py's libver names: earliest gives B-tree v1 indexes (layout message v4 for the flag),
/// latest the extensible array, fixed array and v2 B-tree.
const LIBVERS: [&str; 2] = ["earliest", "latest"];

fn make(dir: &std::path::Path, libver: &str) -> std::path::PathBuf {
    let path = dir.join(format!("partial_{libver}.h5"));
    run_python(MAKE, &[path.to_str().unwrap(), libver]).unwrap();
    path
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = common::scratch_root(&format!("jangada-partial-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_same_as_h5py(path: &std::path::Path) {
    let ours = dump_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let theirs = h5py_dump(path);
    if let Some(d) = json_diff("", &ours, &theirs) {
        panic!("{}: {d}", path.display());
    }
}

#[test]
fn edge_chunks_stored_raw_read_as_h5py_reads_them() {
    let dir = scratch("read");
    for libver in LIBVERS {
        let path = make(&dir, libver);
        let file = File::open(&path).unwrap();
        // The flag is what h5py set, and there are edge chunks to read.
        for name in ["ea_shuffle", "fa_deflate", "bt2_shuffle_deflate_fletcher32"] {
            let d = file.dataset(name).unwrap();
            assert!(d.chunks().is_some(), "{name}");
        }
        assert_same_as_h5py(&path);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn expected_1d(n: usize) -> Vec<i32> {
    (0..n as i64).map(|i| (i * 7919 % 100_003) as i32).collect()
}

#[test]
fn writes_appends_and_shrinks_stay_readable_by_h5py() {
    let dir = scratch("write");
    for libver in LIBVERS {
        let path = make(&dir, libver);
        {
            let file = File::open_rw(&path).unwrap();
            for tag in ["shuffle", "deflate", "shuffle_deflate_fletcher32"] {
                // 1-D: overwrite inside the edge chunk, then grow past it (the old edge chunk
                // becomes whole and is filtered), then grow to a new partial edge.
                let d = file.dataset(&format!("ea_{tag}")).unwrap();
                let part = ArrayD::from_shape_vec(IxDyn(&[2]), vec![-1i32, -2]).unwrap();
                d.write_slice(Selection::new([SliceArg::range(101, 103)]), &part)
                    .unwrap();
                let more: Vec<i32> = (0..14).map(|i| 1000 + i).collect();
                d.append(&ArrayD::from_shape_vec(IxDyn(&[14]), more).unwrap())
                    .unwrap();
                // 2-D fixed: overwrite a block straddling the last row and column chunks.
                let f = file.dataset(&format!("fa_{tag}")).unwrap();
                let block = ArrayD::from_elem(IxDyn(&[4, 4]), 0.5f64);
                f.write_slice(
                    Selection::new([SliceArg::range(33, 37), SliceArg::range(19, 23)]),
                    &block,
                )
                .unwrap();
                // 2-D unlimited: grow one axis, shrink the other (whole chunks become edges).
                let b = file.dataset(&format!("bt2_{tag}")).unwrap();
                b.resize(&[24, 10]).unwrap();
            }
            file.close().unwrap();
        }
        // What h5py reads equals what we read, value by value, and both equal the intent.
        assert_same_as_h5py(&path);
        h5dump_ok(&path).unwrap_or_else(|e| {
            // h5dump 1.10 cannot read layout message v5 (libver latest); earliest must dump.
            assert_eq!(libver, "latest", "{e}");
        });
        let file = File::open(&path).unwrap();
        for tag in ["shuffle", "deflate", "shuffle_deflate_fletcher32"] {
            let got: ArrayD<i32> = file.dataset(&format!("ea_{tag}")).unwrap().read().unwrap();
            let mut want = expected_1d(103);
            want[101] = -1;
            want[102] = -2;
            want.extend((0..14).map(|i| 1000 + i));
            assert_eq!(
                got.as_slice().unwrap(),
                want.as_slice(),
                "{libver} ea_{tag}"
            );
            let b: ArrayD<u16> = file.dataset(&format!("bt2_{tag}")).unwrap().read().unwrap();
            assert_eq!(b.shape(), &[24, 10]);
            for ((i, j), v) in (0..24)
                .flat_map(|i| (0..10).map(move |j| (i, j)))
                .zip(b.iter())
            {
                let want = if i < 19 {
                    ((i * 13 + j) as i64 * 7919 % 100_003) as u16
                } else {
                    0
                };
                assert_eq!(*v, want, "{libver} bt2_{tag}[{i},{j}]");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
