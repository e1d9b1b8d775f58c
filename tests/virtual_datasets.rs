//! Virtual datasets made by h5py (libhdf5 2.0), read by us and compared value by value
//! with h5py's reading: same-file and other-file (relative) sources, several mappings,
//! strided and blocked hyperslabs, irregular virtual selections, unlimited mappings,
//! printf (`%b`) mappings, missing sources (fill value), and slices touching one mapping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use jangada_hdf5::{Element, File, Selection, SliceArg};
use serde_json::Value;

fn scratch() -> PathBuf {
    let dir = common::scratch_root("jangada-vds");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds the files in the folder argv[1] (with libver argv[2]) and prints, per virtual
/// dataset, its shape and h5py's values (flattened) as JSON.
const SCRIPT: &str = r#"
import h5py, numpy as np, sys, json, os
d = sys.argv[1]; lv = sys.argv[2]
os.chdir('/')  # sources are found relative to the VDS file, not the working directory
p = lambda n: os.path.join(d, n)
with h5py.File(p('src_a.h5'), 'w') as f:
    f['a'] = np.arange(100, dtype='i4').reshape(10, 10)
    f['x'] = np.arange(10, dtype='i4') + 1000
    f.create_dataset('grow', data=np.arange(7, dtype='i4') + 500, maxshape=(None,), chunks=(4,))
for b in range(3):
    with h5py.File(p(f'part_{b}.h5'), 'w') as f:
        f['data'] = np.arange(4, dtype='i4') + 100 * b
out = {}
with h5py.File(p(f'vds_{lv}.h5'), 'w', libver=lv) as f:
    f['own'] = np.arange(20, dtype='i4') * -1
    # Several mappings, other file + same file, one missing file and one missing dataset.
    lay = h5py.VirtualLayout(shape=(50,), dtype='i4')
    lay[0:10] = h5py.VirtualSource('src_a.h5', 'x', shape=(10,))
    lay[10:30] = h5py.VirtualSource('.', 'own', shape=(20,))
    lay[30:40] = h5py.VirtualSource('nope.h5', 'x', shape=(10,))
    lay[40:45] = h5py.VirtualSource('src_a.h5', 'missing', shape=(5,))
    f.create_virtual_dataset('several', lay, fillvalue=-7)
    # Strided and blocked 2-D: every other row of a into rows 0..5, columns 2..8 step 3.
    lay = h5py.VirtualLayout(shape=(6, 12), dtype='i4')
    lay[0:5, 0:3] = h5py.VirtualSource('src_a.h5', 'a', shape=(10, 10))[::2, 2:9:3]
    lay[5, 3:12:2] = h5py.VirtualSource('src_a.h5', 'a', shape=(10, 10))[9, 5:10]
    f.create_virtual_dataset('strided', lay, fillvalue=0)
    # Blocked: a regular selection with block > 1 on both sides.
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_fill_value(np.array(3, dtype='i4'))
    vspace = h5py.h5s.create_simple((8, 8))
    vspace.select_hyperslab((0, 0), (2, 2), stride=(4, 4), block=(3, 3))
    sspace = h5py.h5s.create_simple((10, 10))
    sspace.select_hyperslab((1, 1), (2, 2), stride=(5, 5), block=(3, 3))
    dcpl.set_virtual(vspace, b'src_a.h5', b'a', sspace)
    # Irregular virtual selection (union of two boxes) from a regular source box.
    vspace = h5py.h5s.create_simple((8, 8))
    vspace.select_hyperslab((0, 6), (3, 2))
    vspace.select_hyperslab((6, 0), (1, 3), op=h5py.h5s.SELECT_OR)
    sspace = h5py.h5s.create_simple((10, 10))
    sspace.select_hyperslab((0, 0), (3, 3))
    dcpl.set_virtual(vspace, b'src_a.h5', b'a', sspace)
    h5py.h5d.create(f.id, b'blocked', h5py.h5t.NATIVE_INT32, h5py.h5s.create_simple((8, 8)), dcpl=dcpl)
    # Unlimited: the source 'grow' (7 elements now) fills [2:...).
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_fill_value(np.array(-1, dtype='i4'))
    vspace = h5py.h5s.create_simple((3,), (h5py.h5s.UNLIMITED,))
    vspace.select_hyperslab((2,), (1,), block=(h5py.h5s.UNLIMITED,))
    sspace = h5py.h5s.create_simple((7,), (h5py.h5s.UNLIMITED,))
    sspace.select_hyperslab((0,), (1,), block=(h5py.h5s.UNLIMITED,))
    dcpl.set_virtual(vspace, b'src_a.h5', b'grow', sspace)
    h5py.h5d.create(f.id, b'unlimited', h5py.h5t.NATIVE_INT32, vspace, dcpl=dcpl)
    # Unlimited strided: blocks of 2 every 3 positions.
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    vspace = h5py.h5s.create_simple((1,), (h5py.h5s.UNLIMITED,))
    vspace.select_hyperslab((0,), (h5py.h5s.UNLIMITED,), stride=(3,), block=(2,))
    sspace = h5py.h5s.create_simple((7,), (h5py.h5s.UNLIMITED,))
    sspace.select_hyperslab((0,), (1,), block=(h5py.h5s.UNLIMITED,))
    dcpl.set_virtual(vspace, b'src_a.h5', b'grow', sspace)
    h5py.h5d.create(f.id, b'unlimited_strided', h5py.h5t.NATIVE_INT32, vspace, dcpl=dcpl)
    # printf: block b of 4 elements from part_%b.h5 (3 exist).
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_fill_value(np.array(-2, dtype='i4'))
    vspace = h5py.h5s.create_simple((4,), (h5py.h5s.UNLIMITED,))
    vspace.select_hyperslab((0,), (h5py.h5s.UNLIMITED,), stride=(5,), block=(4,))
    sspace = h5py.h5s.create_simple((4,))
    dcpl.set_virtual(vspace, b'part_%b.h5', b'data', sspace)
    h5py.h5d.create(f.id, b'printf', h5py.h5t.NATIVE_INT32, vspace, dcpl=dcpl)
with h5py.File(p(f'vds_{lv}.h5')) as f:
    for name in ['several', 'strided', 'blocked', 'unlimited', 'unlimited_strided', 'printf']:
        v = f[name]
        out[name] = {'shape': list(v.shape), 'data': v[...].ravel().tolist()}
    out['several_slice'] = f['several'][12:33:3].tolist()
    out['strided_slice'] = f['strided'][1:6:2, 1:11:4].ravel().tolist()
print(json.dumps(out))
"#;

fn ints(e: &[Element]) -> Vec<i64> {
    e.iter()
        .map(|x| match x {
            Element::Int(i) => *i,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn json_ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

#[test]
fn virtual_datasets_match_h5py() {
    let dir = scratch();
    for lv in ["earliest", "latest"] {
        let out = common::run_python(SCRIPT, &[dir.to_str().unwrap(), lv]).unwrap();
        let want: Value = serde_json::from_str(out.trim()).unwrap();
        let f = File::open(dir.join(format!("vds_{lv}.h5"))).unwrap();
        for name in [
            "several",
            "strided",
            "blocked",
            "unlimited",
            "unlimited_strided",
            "printf",
        ] {
            let ds = f.dataset(name).unwrap();
            let w = &want[name];
            let shape: Vec<u64> = w["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(ds.shape(), shape.as_slice(), "{name} shape ({lv})");
            assert_eq!(
                ints(&ds.read_dyn().unwrap().elements),
                json_ints(&w["data"]),
                "{name} ({lv})"
            );
            // The typed path agrees.
            let typed: Vec<i64> = ds.read::<i64>().unwrap().iter().copied().collect();
            assert_eq!(typed, json_ints(&w["data"]), "{name} typed ({lv})");
        }
        let several = f.dataset("several").unwrap();
        let s = several
            .read_dyn_slice(Selection::new([SliceArg::stepped(12, 33, 3)]))
            .unwrap();
        assert_eq!(ints(&s.elements), json_ints(&want["several_slice"]));
        let strided = f.dataset("strided").unwrap();
        let s = strided
            .read_slice::<i32>(&Selection::new([
                SliceArg::stepped(1, 6, 2),
                SliceArg::stepped(1, 11, 4),
            ]))
            .unwrap();
        let got: Vec<i64> = s.iter().map(|&v| i64::from(v)).collect();
        assert_eq!(got, json_ints(&want["strided_slice"]));
    }
}

#[test]
fn a_slice_opens_only_the_sources_it_touches() {
    let dir = scratch().join("touch");
    std::fs::create_dir_all(&dir).unwrap();
    let script = r#"
import h5py, numpy as np, sys, os
d = sys.argv[1]
for n in ['one', 'two']:
    with h5py.File(os.path.join(d, n + '.h5'), 'w') as f:
        f['x'] = np.arange(5, dtype='f8') + (10 if n == 'two' else 0)
with h5py.File(os.path.join(d, 'v.h5'), 'w') as f:
    lay = h5py.VirtualLayout(shape=(10,), dtype='f8')
    lay[0:5] = h5py.VirtualSource('one.h5', 'x', shape=(5,))
    lay[5:10] = h5py.VirtualSource('two.h5', 'x', shape=(5,))
    f.create_virtual_dataset('v', lay)
"#;
    common::run_python(script, &[dir.to_str().unwrap()]).unwrap();
    // Break the second source: a read of the first half must not notice.
    std::fs::write(dir.join("two.h5"), b"not hdf5").unwrap();
    let f = File::open(dir.join("v.h5")).unwrap();
    let v = f.dataset("v").unwrap();
    let first: Vec<f64> = v
        .read_slice::<f64>(&Selection::new([SliceArg::range(0, 5)]))
        .unwrap()
        .iter()
        .copied()
        .collect();
    assert_eq!(first, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    // The second half: an unreadable file is a missing source (the fill value 0), as
    // libhdf5 treats it.
    let all: Vec<f64> = v.read::<f64>().unwrap().iter().copied().collect();
    assert_eq!(&all[5..], &[0.0; 5]);
    // Opened from memory, the same file opens no other file: an error, not fill values.
    let mem = File::from_bytes(std::fs::read(dir.join("v.h5")).unwrap()).unwrap();
    let err = mem
        .dataset("v")
        .unwrap()
        .read_dyn()
        .unwrap_err()
        .to_string();
    assert!(err.contains("opened from memory"), "{err}");
}

#[test]
fn a_virtual_dataset_mapping_itself_is_an_error_not_a_hang() {
    let dir = scratch().join("cycle");
    std::fs::create_dir_all(&dir).unwrap();
    let script = r#"
import h5py, numpy as np, sys, os
d = sys.argv[1]
with h5py.File(os.path.join(d, 'c.h5'), 'w') as f:
    lay = h5py.VirtualLayout(shape=(4,), dtype='i4')
    lay[0:4] = h5py.VirtualSource('.', 'v', shape=(4,))
    f.create_virtual_dataset('v', lay)
"#;
    common::run_python(script, &[dir.to_str().unwrap()]).unwrap();
    let f = File::open(dir.join("c.h5")).unwrap();
    let err = f.dataset("v").unwrap().read_dyn().unwrap_err().to_string();
    assert!(err.contains("nested deeper"), "{err}");
}
