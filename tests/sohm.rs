//! Shared object header messages (SOHM, `H5Pset_shared_mesg_*`): datatypes, dataspaces, fill
//! values, filter pipelines and attributes kept once in the shared-message heaps, indexed by
//! a list or a v2 B-tree, with one or two indexes, in compact and dense attribute storage.
//! h5py (libhdf5 2.0 through ctypes) writes the files; we must read them exactly as h5py
//! does, `check` must find nothing wrong, and writing is refused (the indexes' reference
//! counts would go stale).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{h5py_dump, json_diff, run_python};
use jangada::cli::check::check_file;
use jangada::cli::dump::dump_file;
use jangada_hdf5::File;

const MAKE: &str = r#"
import ctypes, sys
from pathlib import Path
import h5py, numpy as np
libs = Path(h5py.__file__).resolve().parent.parent / "h5py.libs"
lib = ctypes.CDLL(str(sorted(libs.glob("libhdf5-*.so*"))[0]))
ALL = 2 | 8 | 0x20 | 0x800 | 0x1000
def make(path, libver, max_list, min_btree, nidx=1, minsize=0):
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    assert lib.H5Pset_shared_mesg_nindexes(ctypes.c_int64(fcpl.id), ctypes.c_uint(nidx)) >= 0
    if nidx == 1:
        assert lib.H5Pset_shared_mesg_index(ctypes.c_int64(fcpl.id), 0, ALL, minsize) >= 0
    else:
        assert lib.H5Pset_shared_mesg_index(ctypes.c_int64(fcpl.id), 0, 2 | 8, minsize) >= 0
        assert lib.H5Pset_shared_mesg_index(ctypes.c_int64(fcpl.id), 1, 0x20 | 0x800 | 0x1000, minsize) >= 0
    assert lib.H5Pset_shared_mesg_phase_change(ctypes.c_int64(fcpl.id), max_list, min_btree) >= 0
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(*{"earliest": (h5py.h5f.LIBVER_EARLIEST, h5py.h5f.LIBVER_LATEST), "latest": (h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)}[libver])
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
    with h5py.File(fid) as f:
        for i in range(12):
            d = f.create_dataset("d%d" % i, data=np.arange(20, dtype="<f8").reshape(4, 5) * i, chunks=(2, 5), compression="gzip", fillvalue=-1.0)
            d.attrs["units"] = "metres per second, a long enough string to be shared" 
            d.attrs["scale"] = np.arange(40, dtype="<i4")
        g = f.create_group("g")
        for i in range(20):
            g.attrs["a%02d" % i] = np.arange(30, dtype="<f4") + i
        f.create_dataset("cmp", data=np.array([(1, 2.0)] * 5, dtype=[("a", "<i4"), ("b", "<f8")]))
        f.create_dataset("cmp2", data=np.array([(3, 4.0)] * 5, dtype=[("a", "<i4"), ("b", "<f8")]))
        f.create_dataset("scalar", data=3.5)
        f.create_dataset("scalar2", data=4.5)
for libver in ("earliest", "latest"):
    make(sys.argv[1] + "/sohm_list_%s.h5" % libver, libver, 50, 40)
    make(sys.argv[1] + "/sohm_btree_%s.h5" % libver, libver, 0, 0)
    make(sys.argv[1] + "/sohm_two_%s.h5" % libver, libver, 3, 2, nidx=2)
"#;

#[test]
fn shared_messages_read_as_h5py_reads_them() {
    let dir = common::scratch_root("jangada-sohm");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_python(MAKE, &[dir.to_str().unwrap()]).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 6);
    for path in &files {
        let ours = dump_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            json_diff("", &ours, &h5py_dump(path)),
            None,
            "{}",
            path.display()
        );
        let report = check_file(path).unwrap();
        assert!(report.is_ok(), "{}: {report:?}", path.display());
        let err = File::open_rw(path).unwrap_err().to_string();
        assert!(err.contains("shared object header messages"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
