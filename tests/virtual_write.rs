//! Virtual datasets written by us (`Group::new_virtual_dataset`), read by h5py (libhdf5
//! 2.0), by h5dump (libhdf5 1.10.8) and by our reader, each compared with the values we
//! meant: sources in the same file and in other files (relative names), several mappings,
//! strided and blocked hyperslabs, an unlimited mapping over an appendable source (before
//! and after an append), an unlimited strided mapping, a printf (`%b`) mapping, missing
//! sources (fill value). The stored mappings equal those h5py (`libver='v110'`) stores for
//! the same layout, so the mapping blocks are byte for byte libhdf5's (the version 0 block
//! re-encodes byte-exactly: `heap/vds_block.rs`).
//!
//! h5dump 1.10.8 reads all of these (it handles version 1 and 2 hyperslab selections,
//! unlimited and printf mappings, and missing sources).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use jangada_hdf5::{
    File, Mode, RegularDim, Selection, SliceArg, SpaceSelection, VirtualSource, UNLIMITED,
};
use ndarray::{arr1, Array, ArrayD, IxDyn};
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root(&format!("jangada-vdsw-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn a1(v: Vec<i32>) -> ArrayD<i32> {
    arr1(&v).into_dyn()
}

fn sl(args: &[SliceArg]) -> Selection {
    Selection::new(args.iter().copied())
}

const ALL_STEP2: SliceArg = SliceArg::Slice {
    start: None,
    stop: None,
    step: 2,
};

const NAMES: [&str; 6] = [
    "several",
    "strided",
    "blocked",
    "unlimited",
    "unlimited_strided",
    "printf",
];

/// The sources, written by us: `src.h5` (`x`, `a` 10x10, the appendable `grow`) and
/// `part_{0,1,2}.h5` (`data`).
fn write_sources(dir: &Path) {
    let f = File::create_truncate(dir.join("src.h5")).unwrap();
    let r = f.root().unwrap();
    r.write_dataset("x", &a1((1000..1010).collect())).unwrap();
    let a = Array::from_shape_vec(IxDyn(&[10, 10]), (0..100).collect::<Vec<i32>>()).unwrap();
    r.write_dataset("a", &a).unwrap();
    r.new_dataset("grow")
        .maxshape(&[None])
        .chunks(&[4])
        .write(&a1((500..507).collect()))
        .unwrap();
    f.close().unwrap();
    for b in 0..3 {
        let f = File::create_truncate(dir.join(format!("part_{b}.h5"))).unwrap();
        f.root()
            .unwrap()
            .write_dataset("data", &a1((0..4).map(|i| 100 * b + i).collect()))
            .unwrap();
        f.close().unwrap();
    }
}

/// The virtual datasets, in `vds.h5` beside the sources.
fn write_vds(path: &Path) {
    let f = File::create_truncate(path).unwrap();
    let r = f.root().unwrap();
    r.write_dataset("own", &a1((0..20).map(|i| -i).collect()))
        .unwrap();
    r.new_virtual_dataset("several")
        .dtype_of::<i32>()
        .shape(&[50])
        .fill_value(-7i32)
        .unwrap()
        .map(
            &sl(&[SliceArg::range(0, 10)]),
            VirtualSource::new("src.h5", "x", &[10]),
        )
        .map(
            &sl(&[SliceArg::range(10, 30)]),
            VirtualSource::from_dataset(".", &f.dataset("own").unwrap()),
        )
        .map(
            &sl(&[SliceArg::range(30, 40)]),
            VirtualSource::new("nope.h5", "x", &[10]),
        )
        .map(
            &sl(&[SliceArg::range(40, 45)]),
            VirtualSource::new("src.h5", "missing", &[5]),
        )
        .create()
        .unwrap();
    let a = VirtualSource::new("src.h5", "a", &[10, 10]);
    r.new_virtual_dataset("strided")
        .dtype_of::<i32>()
        .shape(&[6, 12])
        .fill_value(0i32)
        .unwrap()
        .map(
            &sl(&[SliceArg::range(0, 5), SliceArg::range(0, 3)]),
            a.clone()
                .slice(&sl(&[ALL_STEP2, SliceArg::stepped(2, 9, 3)])),
        )
        .map(
            &sl(&[SliceArg::Index(5), SliceArg::stepped(3, 12, 2)]),
            a.clone()
                .slice(&sl(&[SliceArg::Index(9), SliceArg::range(5, 10)])),
        )
        .create()
        .unwrap();
    let hs = |start: [u64; 2], stride: [u64; 2], count: [u64; 2], block: [u64; 2]| {
        SpaceSelection::hyperslab(&start, Some(&stride), &count, Some(&block)).unwrap()
    };
    r.new_virtual_dataset("blocked")
        .dtype_of::<i32>()
        .shape(&[8, 8])
        .fill_value(3i32)
        .unwrap()
        .map_selection(
            hs([0, 0], [4, 4], [2, 2], [3, 3]),
            a.select(hs([1, 1], [5, 5], [2, 2], [3, 3])),
        )
        .create()
        .unwrap();
    let grow = VirtualSource::new("src.h5", "grow", &[7])
        .select(SpaceSelection::Regular(vec![RegularDim::from(0)]));
    r.new_virtual_dataset("unlimited")
        .dtype_of::<i32>()
        .shape(&[3])
        .maxshape(&[None])
        .fill_value(-1i32)
        .unwrap()
        .map_selection(
            SpaceSelection::Regular(vec![RegularDim::from(2)]),
            grow.clone(),
        )
        .create()
        .unwrap();
    r.new_virtual_dataset("unlimited_strided")
        .dtype_of::<i32>()
        .shape(&[1])
        .maxshape(&[None])
        .map_selection(
            SpaceSelection::Regular(vec![RegularDim::new(0, 3, UNLIMITED, 2)]),
            grow,
        )
        .create()
        .unwrap();
    r.new_virtual_dataset("printf")
        .dtype_of::<i32>()
        .shape(&[4])
        .maxshape(&[None])
        .fill_value(-2i32)
        .unwrap()
        .map_selection(
            SpaceSelection::Regular(vec![RegularDim::new(0, 5, UNLIMITED, 4)]),
            VirtualSource::new("part_%b.h5", "data", &[4]),
        )
        .create()
        .unwrap();
    f.close().unwrap();
}

/// What each virtual dataset should read as; `grown`: after 3 more elements in `grow`.
fn intended(grown: bool) -> Vec<(Vec<u64>, Vec<i64>)> {
    let mut several: Vec<i64> = (1000..1010).collect();
    several.extend((0..20).map(|i: i64| -i));
    several.extend([-7; 20]);
    let mut strided = vec![0i64; 72];
    for r in 0..5 {
        for c in 0..3 {
            strided[r * 12 + c] = (10 * (2 * r) + 2 + 3 * c) as i64;
        }
    }
    for (k, c) in (3..12).step_by(2).enumerate() {
        strided[5 * 12 + c] = 95 + k as i64;
    }
    let (p, s) = ([0, 1, 2, 4, 5, 6], [1, 2, 3, 6, 7, 8]);
    let mut blocked = vec![3i64; 64];
    for i in 0..6 {
        for j in 0..6 {
            blocked[p[i] * 8 + p[j]] = (10 * s[i] + s[j]) as i64;
        }
    }
    let n: i64 = if grown { 10 } else { 7 };
    let mut unlimited = vec![-1, -1];
    unlimited.extend(500..500 + n);
    let mut unlimited_strided = Vec::new();
    for (k, v) in (500..500 + n).enumerate() {
        if k > 0 && k % 2 == 0 {
            unlimited_strided.push(0);
        }
        unlimited_strided.push(v);
    }
    let mut printf = Vec::new();
    for b in 0..3 {
        if b > 0 {
            printf.push(-2);
        }
        printf.extend((0..4).map(|i| 100 * b + i));
    }
    let shape1 = |v: &Vec<i64>| vec![v.len() as u64];
    vec![
        (vec![50], several),
        (vec![6, 12], strided),
        (vec![8, 8], blocked),
        (shape1(&unlimited), unlimited),
        (shape1(&unlimited_strided), unlimited_strided),
        (shape1(&printf), printf),
    ]
}

/// h5py's reading: per name, shape and flattened values.
const READ: &str = r#"
import h5py, sys, json, os
os.chdir('/')  # sources are found beside the virtual dataset's file
out = {}
with h5py.File(sys.argv[1], 'r') as f:
    for name in sys.argv[2:]:
        v = f[name]
        out[name] = {'shape': list(v.shape), 'data': v[...].ravel().tolist()}
print(json.dumps(out))
"#;

/// The same layouts made by h5py (`libver='v110'`), for comparing the stored mappings.
const REFERENCE: &str = r#"
import h5py, numpy as np, sys
U = h5py.h5s.UNLIMITED
with h5py.File(sys.argv[1], 'w', libver='v110') as f:
    f['own'] = np.arange(20, dtype='i4') * -1
    lay = h5py.VirtualLayout(shape=(50,), dtype='i4')
    lay[0:10] = h5py.VirtualSource('src.h5', 'x', shape=(10,))
    lay[10:30] = h5py.VirtualSource('.', '/own', shape=(20,))
    lay[30:40] = h5py.VirtualSource('nope.h5', 'x', shape=(10,))
    lay[40:45] = h5py.VirtualSource('src.h5', 'missing', shape=(5,))
    f.create_virtual_dataset('several', lay, fillvalue=-7)
    lay = h5py.VirtualLayout(shape=(6, 12), dtype='i4')
    lay[0:5, 0:3] = h5py.VirtualSource('src.h5', 'a', shape=(10, 10))[::2, 2:9:3]
    lay[5, 3:12:2] = h5py.VirtualSource('src.h5', 'a', shape=(10, 10))[9, 5:10]
    f.create_virtual_dataset('strided', lay, fillvalue=0)
    def low(name, vshape, vmax, vsel, src, sshape, ssel, fill=None):
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        if fill is not None:
            dcpl.set_fill_value(np.array(fill, dtype='i4'))
        vs = h5py.h5s.create_simple(vshape, vmax)
        vs.select_hyperslab(*vsel)
        ss = h5py.h5s.create_simple(sshape, tuple(U for _ in sshape))
        if ssel is None:
            ss.select_all()
        else:
            ss.select_hyperslab(*ssel)
        dcpl.set_virtual(vs, src[0], src[1], ss)
        h5py.h5d.create(f.id, name, h5py.h5t.NATIVE_INT32, vs, dcpl=dcpl)
    low(b'blocked', (8, 8), None, ((0, 0), (2, 2), (4, 4), (3, 3)), (b'src.h5', b'a'),
        (10, 10), ((1, 1), (2, 2), (5, 5), (3, 3)), 3)
    low(b'unlimited', (3,), (U,), ((2,), (1,), None, (U,)), (b'src.h5', b'grow'),
        (7,), ((0,), (1,), None, (U,)), -1)
    low(b'unlimited_strided', (1,), (U,), ((0,), (U,), (3,), (2,)), (b'src.h5', b'grow'),
        (7,), ((0,), (1,), None, (U,)))
    low(b'printf', (4,), (U,), ((0,), (U,), (5,), (4,)), (b'part_%b.h5', b'data'),
        (4,), None, -2)
"#;

/// Whether two files hold the same global heap objects (byte for byte, in any order).
const SAME_HEAP_OBJECTS: &str = r#"
import sys
def objects(fn):
    b = open(fn, 'rb').read(); out = []; i = 0
    while (i := b.find(b'GCOL', i)) >= 0:
        size = int.from_bytes(b[i + 8:i + 16], 'little'); j = i + 16
        while j < i + size:
            idx = int.from_bytes(b[j:j + 2], 'little'); n = int.from_bytes(b[j + 8:j + 16], 'little')
            if idx == 0:
                break
            out.append(b[j + 16:j + 16 + n]); j += 16 + (n + 7) // 8 * 8
        i += 4
    return sorted(out)
a, b = objects(sys.argv[1]), objects(sys.argv[2])
print(len(a), a == b)
"#;

fn json_ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

/// `h5dump -d NAME` of `path` (run in its folder): the shape and the values.
fn h5dump_values(path: &Path, name: &str) -> (Vec<u64>, Vec<i64>) {
    let out = std::process::Command::new("h5dump")
        .args(["-y", "-w", "0", "-d", name])
        .arg(path.file_name().unwrap())
        .current_dir(path.parent().unwrap())
        .output()
        .expect("h5dump (install hdf5-tools: scripts/setup.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "h5dump -d {name}: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let space = text.split("DATASPACE").nth(1).unwrap();
    let dims = space
        .split('(')
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .map(|d| d.trim().parse().unwrap())
        .collect();
    let data = text
        .split("DATA {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    let values = data
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect();
    (dims, values)
}

fn check_all_readers(vds: &Path, grown: bool) {
    let want = intended(grown);
    let mut args = vec![vds.to_str().unwrap()];
    args.extend(NAMES);
    let h5py: Value =
        serde_json::from_str(common::run_python(READ, &args).unwrap().trim()).unwrap();
    let f = File::open(vds).unwrap();
    for (name, (shape, values)) in NAMES.iter().zip(&want) {
        let ds = f.dataset(name).unwrap();
        assert_eq!(ds.shape(), shape.as_slice(), "{name}: our shape");
        let ours: Vec<i64> = ds.read::<i64>().unwrap().iter().copied().collect();
        assert_eq!(&ours, values, "{name}: our reader");
        let h = &h5py[name];
        let h_shape: Vec<u64> = json_ints(&h["shape"]).iter().map(|&d| d as u64).collect();
        assert_eq!(&h_shape, shape, "{name}: h5py's shape");
        assert_eq!(&json_ints(&h["data"]), values, "{name}: h5py");
        assert_eq!(
            h5dump_values(vds, name),
            (shape.clone(), values.clone()),
            "{name}: h5dump"
        );
    }
    common::h5dump_ok(vds).unwrap();
}

#[test]
fn virtual_datasets_we_write_read_the_same_everywhere() {
    let dir = scratch("main");
    write_sources(&dir);
    let vds = dir.join("vds.h5");
    write_vds(&vds);
    check_all_readers(&vds, false);

    // The stored mappings are those h5py stores for the same layouts.
    let reference = dir.join("ref.h5");
    common::run_python(REFERENCE, &[reference.to_str().unwrap()]).unwrap();
    let (ours, theirs) = (File::open(&vds).unwrap(), File::open(&reference).unwrap());
    for name in NAMES {
        let a = ours.dataset(name).unwrap();
        let b = theirs.dataset(name).unwrap();
        assert_eq!(
            a.virtual_mappings(),
            b.virtual_mappings(),
            "{name}: mappings"
        );
        assert!(a.virtual_mappings().is_some_and(|m| !m.is_empty()));
        assert_eq!(a.shape(), b.shape(), "{name}");
        assert_eq!(a.maxshape(), b.maxshape(), "{name}");
        assert_eq!(a.fill_value(), b.fill_value(), "{name}: fill value");
        assert_eq!(a.dtype(), b.dtype(), "{name}");
    }
    drop((ours, theirs));
    // Byte for byte: the mapping blocks (the only global heap objects of both files).
    let same = common::run_python(
        SAME_HEAP_OBJECTS,
        &[vds.to_str().unwrap(), reference.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(same.trim(), "6 True");

    // Appending to the source grows the unlimited mappings.
    let src = File::open_with(dir.join("src.h5"), Mode::ReadWrite).unwrap();
    src.dataset("grow")
        .unwrap()
        .append(&a1(vec![507, 508, 509]))
        .unwrap();
    src.close().unwrap();
    check_all_readers(&vds, true);
}

/// A virtual dataset added to an existing file (r+) whose sources are in that file, next
/// to vlen strings sharing the global heap; the file still checks clean.
#[test]
fn a_virtual_dataset_added_to_an_existing_file() {
    let dir = scratch("rplus");
    let p = dir.join("f.h5");
    let f = File::create_truncate(&p).unwrap();
    let r = f.root().unwrap();
    r.write_dataset("a", &a1((0..6).collect())).unwrap();
    r.set_attr("title", "before").unwrap();
    drop(r);
    f.close().unwrap();
    let f = File::open_with(&p, Mode::ReadWrite).unwrap();
    let r = f.root().unwrap();
    let v = r
        .new_virtual_dataset("g/v")
        .dtype_of::<i32>()
        .shape(&[6])
        .attr("units", "m")
        .unwrap()
        // Reversed halves.
        .map(
            &sl(&[SliceArg::range(0, 3)]),
            VirtualSource::new(".", "/a", &[6]).slice(&sl(&[SliceArg::range(3, 6)])),
        )
        .map(
            &sl(&[SliceArg::range(3, 6)]),
            VirtualSource::new(".", "/a", &[6]).slice(&sl(&[SliceArg::range(0, 3)])),
        )
        .create()
        .unwrap();
    assert_eq!(v.read::<i32>().unwrap(), a1(vec![3, 4, 5, 0, 1, 2]));
    r.set_attr("title", "after").unwrap();
    drop((r, v));
    f.close().unwrap();
    let out = common::run_python(
        "import h5py, sys\nf = h5py.File(sys.argv[1])\nprint(f['g/v'][...].tolist(), f['g/v'].attrs['units'], f.attrs['title'], f['g/v'].is_virtual)",
        &[p.to_str().unwrap()],
    )
    .unwrap();
    assert_eq!(out.trim(), "[3, 4, 5, 0, 1, 2] m after True");
    common::h5dump_ok(&p).unwrap();
    // Reopened for writing, the mapping block's collection is in use (free-space recovery
    // walks it), so more strings do not land on it; `jangada check` finds nothing wrong.
    let f = File::open_with(&p, Mode::ReadWrite).unwrap();
    let r = f.root().unwrap();
    for i in 0..50 {
        r.set_attr(&format!("s{i}"), format!("string {i}").as_str())
            .unwrap();
    }
    drop(r);
    f.close().unwrap();
    let f = File::open(&p).unwrap();
    assert_eq!(
        f.dataset("g/v").unwrap().read::<i32>().unwrap(),
        a1(vec![3, 4, 5, 0, 1, 2])
    );
    drop(f);
    let report = jangada::cli::check::check_file(&p).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
