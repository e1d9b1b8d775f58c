//! Dataset region references (`H5R_DATASET_REGION1`) written by h5py: `jangada dump`'s
//! JSON for each element compared with what h5py/libhdf5 report for it (the referenced
//! object's address, the selection type, `get_select_hyper_blocklist`,
//! `get_select_elem_pointlist`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use jangada::cli::dump::dump_file;
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-region");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes region references of every kind h5py makes, then prints h5py's reading of each
/// (dataset `r`, attribute `rl` on the root, scalar attribute `ra` on `d`) as JSON in the
/// dump's contract.
const SCRIPT: &str = r#"
import h5py, numpy as np, sys, json
path = sys.argv[1]
with h5py.File(path, 'w', libver=sys.argv[2]) as f:
    d = f.create_dataset('d', data=np.arange(100).reshape(10, 10))
    e = f.create_dataset('e', data=np.arange(20))
    refs = [d.regionref[0:5, 2], d.regionref[::2, 1:9:3], d.regionref[2:4, 5:7],
            e.regionref[:], e.regionref[3:17:4]]
    sid = e.id.get_space(); sid.select_elements(np.array([[3], [1], [7]]))
    refs.append(h5py.h5r.create(f.id, b'e', h5py.h5r.DATASET_REGION, sid))
    sid = d.id.get_space(); sid.select_elements(np.array([[9, 0], [0, 9], [5, 5]]))
    refs.append(h5py.h5r.create(f.id, b'd', h5py.h5r.DATASET_REGION, sid))
    sid = e.id.get_space(); sid.select_none()
    refs.append(h5py.h5r.create(f.id, b'e', h5py.h5r.DATASET_REGION, sid))
    sid = d.id.get_space(); sid.select_all()
    refs.append(h5py.h5r.create(f.id, b'd', h5py.h5r.DATASET_REGION, sid))
    sid = d.id.get_space(); sid.select_hyperslab((0, 0), (2, 2))
    sid.select_hyperslab((1, 1), (3, 3), op=h5py.h5s.SELECT_OR)
    sid.select_hyperslab((7, 0), (1, 10), op=h5py.h5s.SELECT_OR)
    refs.append(h5py.h5r.create(f.id, b'd', h5py.h5r.DATASET_REGION, sid))
    r = f.create_dataset('r', (len(refs) + 1,), dtype=h5py.regionref_dtype)
    for i, x in enumerate(refs):
        r[i] = x
    d.attrs['ra'] = refs[2]
    f.attrs['rl'] = np.array(refs[:4], dtype=h5py.regionref_dtype)

def one(f, x):
    if not x:
        return None
    sid = h5py.h5r.get_region(x, f.id)
    t = sid.get_select_type()
    addr = h5py.h5o.get_info(f[x].id).addr
    if t == h5py.h5s.SEL_HYPERSLABS:
        return {'object': addr, 'blocks': sid.get_select_hyper_blocklist().tolist()}
    if t == h5py.h5s.SEL_POINTS:
        return {'object': addr, 'points': sid.get_select_elem_pointlist().tolist()}
    return {'object': addr, 'selection': 'all' if t == h5py.h5s.SEL_ALL else 'none'}

with h5py.File(path) as f:
    out = {'r': [one(f, x) for x in f['r'][:]],
           'rl': [one(f, x) for x in f.attrs['rl']],
           'ra': [one(f, f['d'].attrs['ra'])]}
print(json.dumps(out))
"#;

#[test]
fn region_references_match_h5py() {
    for libver in ["earliest", "latest"] {
        let path = scratch(&format!("regions_{libver}.h5"));
        let out = common::run_python(SCRIPT, &[path.to_str().unwrap(), libver]).unwrap();
        let want: Value = serde_json::from_str(out.trim()).unwrap();
        let dump = dump_file(&path).unwrap();
        let r = &dump["members"]["r"];
        assert_eq!(r["dtype"], serde_json::json!({"ref": "region"}));
        assert_eq!(r["data"], want["r"], "dataset r ({libver})");
        assert_eq!(
            dump["attrs"]["rl"]["data"], want["rl"],
            "attribute rl ({libver})"
        );
        assert_eq!(
            dump["members"]["d"]["attrs"]["ra"]["data"], want["ra"],
            "attribute ra ({libver})"
        );
        // A null reference is JSON null.
        assert_eq!(r["data"].as_array().unwrap().last(), Some(&Value::Null));
    }
}
