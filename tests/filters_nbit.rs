//! N-bit (filter 5) and scale-offset (filter 6), libhdf5's own lossy/packing filters.
//!
//! h5py writes files at test time with every option (scale-offset integers with computed
//! and fixed bit counts, floats D=0..6, with and without fill values, data equal to the fill
//! value, NaN, both byte orders, every size; N-bit on reduced-precision integers and
//! floats, compounds and arrays): we must read them exactly as h5py does. Then we write
//! each option and libhdf5, writing the same values with the same creation properties,
//! must produce the same client data, byte-identical chunks and the same values read back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::{json_diff, repo_root, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::datatype::ByteOrder;
use jangada_hdf5::{Datatype, File, ScaleOffset, Selection};
use ndarray::{ArrayD, IxDyn};

fn h5py_dump(path: &Path) -> serde_json::Value {
    let script = "import sys\n\
                  sys.path.insert(0, sys.argv[1])\n\
                  import dumplib\n\
                  sys.stdout.write(dumplib.to_json(dumplib.dump_file(sys.argv[2])))\n";
    let fixtures = repo_root().join("fixtures");
    let out = run_python(
        script,
        &[fixtures.to_str().unwrap(), path.to_str().unwrap()],
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&out).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jangada-nbit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const MAKE: &str = r#"
import sys, json
import h5py, numpy as np
from h5py import h5t, h5s, h5d, h5p, h5z

rng = np.random.default_rng(5)
path = sys.argv[1]
raw = {}

def so_values(dt, n):
    dt = np.dtype(dt)
    if dt.kind == "f":
        v = np.round(rng.normal(10, 30, n), 4)
    else:
        info = np.iinfo(dt)
        lo, hi = max(info.min, -1000), min(info.max, 1000)
        v = rng.integers(lo, hi, n, endpoint=True)
    v = v.astype(dt)
    v[5:9] = v[5]          # a run
    v[20:40] = 7           # values equal to the fill value
    return v

with h5py.File(path, "w") as f:
    g = f.create_group("so")
    for dt in ["u1", "i1", "<u2", ">i2", "<i4", ">u4", "<i8", ">u8", "<u8"]:
        for so in [0, 4, 8]:
            for fill in [None, 7]:
                name = f"{dt.replace('<', 'l').replace('>', 'b')}_{so}_{fill}"
                g.create_dataset(name, data=so_values(dt, 250), chunks=(60,),
                                 scaleoffset=so, fillvalue=fill)
    # A constant chunk, the whole range of a type, and a partly written dataset.
    g.create_dataset("const", data=np.full(100, 42, "<i4"), chunks=(30,), scaleoffset=0)
    g.create_dataset("span_u1", data=np.arange(256, dtype="u1"), chunks=(256,), scaleoffset=0)
    g.create_dataset("span_i2", data=np.array([-32768, 32767, 0], "<i2"), chunks=(3,), scaleoffset=0)
    g.create_dataset("span_u8", data=np.array([0, 2**64 - 1, 3], "<u8"), chunks=(3,), scaleoffset=0)
    d = g.create_dataset("sparse", shape=(300,), chunks=(50,), dtype="<i4", scaleoffset=0, fillvalue=-5)
    d[60:130] = np.arange(70)
    for dt in ["<f4", ">f4", "<f8", ">f8"]:
        for D in range(0, 7):
            for fill in [None, 7.0]:
                name = f"{dt.replace('<', 'l').replace('>', 'b')}_{D}_{fill}"
                g.create_dataset(name, data=so_values(dt, 250), chunks=(60,),
                                 scaleoffset=D, fillvalue=fill)
    g.create_dataset("f8_neg", data=so_values("<f8", 100) * 1e5, chunks=(40,), scaleoffset=2)
    v = so_values("<f8", 100); v[3] = np.nan; v[50] = np.inf
    g.create_dataset("f8_nan", data=v, chunks=(40,), scaleoffset=3)
    v = so_values("<f8", 10); v[0] = np.nan
    g.create_dataset("f8_nan_first", data=v, chunks=(10,), scaleoffset=3)
    g.create_dataset("f8_huge", data=np.array([-1e300, 1e300, 0.5]), chunks=(3,), scaleoffset=2)
    g.create_dataset("f4_2d", data=so_values("<f4", 600).reshape(20, 30), chunks=(7, 11), scaleoffset=3)

    # N-bit, through the low-level API (h5py has no keyword for it).
    n = f.create_group("nbit")
    def nbit(name, tid, shape, chunks, data_raw):
        pl = h5p.create(h5p.DATASET_CREATE)
        pl.set_chunk(chunks)
        pl.set_filter(h5z.FILTER_NBIT, h5z.FLAG_OPTIONAL)
        ds = h5d.create(n.id, name.encode(), tid, h5s.create_simple(shape), pl)
        ds.write(h5s.ALL, h5s.ALL, data_raw, mtype=tid)
        out = np.empty_like(data_raw)
        ds.read(h5s.ALL, h5s.ALL, out, mtype=tid)
        raw["nbit/" + name] = out.tobytes().hex()
    def int_type(base, prec, off):
        t = base.copy(); t.set_precision(prec); t.set_offset(off); return t
    for base, label, nbytes in [(h5t.STD_I32LE, "i4le", 4), (h5t.STD_U32BE, "u4be", 4),
                                (h5t.STD_I16BE, "i2be", 2), (h5t.STD_U8LE, "u1", 1),
                                (h5t.STD_I64LE, "i8le", 8), (h5t.STD_U64BE, "u8be", 8)]:
        for prec, off in [(nbytes * 8 - 3, 1), (5, 2), (nbytes * 4, nbytes * 4), (1, 0)]:
            if prec + off > nbytes * 8:
                continue
            t = int_type(base, prec, off)
            data = rng.integers(0, 256, (333 * nbytes,), dtype="u1").view(f"V{nbytes}")
            nbit(f"{label}_{prec}_{off}", t, (333,), (100,), data)
    # Reduced floats (libhdf5's own N-bit test layouts).
    t = h5t.IEEE_F32LE.copy(); t.set_fields(26, 20, 6, 7, 13); t.set_offset(7); t.set_precision(20); t.set_ebias(31)
    nbit("f4le_20_7", t, (200,), (64,), rng.integers(0, 256, (800,), dtype="u1").view("V4"))
    t = h5t.IEEE_F64BE.copy(); t.set_fields(55, 44, 10, 11, 33); t.set_offset(11); t.set_precision(45); t.set_ebias(511)
    nbit("f8be_45_11", t, (150,), (64,), rng.integers(0, 256, (1200,), dtype="u1").view("V8"))
    # A compound of a reduced integer, a float, a string, an array of reduced integers and
    # a nested compound.
    i12 = int_type(h5t.STD_I32LE, 12, 3)
    inner = h5t.create(h5t.COMPOUND, 3)
    inner.insert(b"x", 0, int_type(h5t.STD_U16BE, 9, 4)); inner.insert(b"c", 2, h5t.C_S1)
    c = h5t.create(h5t.COMPOUND, 32)
    c.insert(b"a", 0, i12)
    c.insert(b"b", 4, h5t.IEEE_F32LE)
    s = h5t.C_S1.copy(); s.set_size(5)
    c.insert(b"s", 8, s)
    c.insert(b"arr", 13, h5t.array_create(int_type(h5t.STD_U16LE, 11, 2), (3,)))
    c.insert(b"in", 19, inner)
    c.insert(b"e", 22, h5t.IEEE_F64BE)
    nbit("compound", c, (90,), (32,), rng.integers(0, 256, (90 * 32,), dtype="u1").view("V32"))
    a = h5t.array_create(int_type(h5t.STD_I16LE, 10, 3), (2, 3))
    nbit("array", a, (70,), (25,), rng.integers(0, 256, (70 * 12,), dtype="u1").view("V12"))
    ac = h5t.array_create(inner, (4,))
    nbit("array_of_compound", ac, (50,), (20,), rng.integers(0, 256, (50 * 12,), dtype="u1").view("V12"))
    # Full precision: the filter does nothing.
    nbit("full", h5t.STD_I32LE, (100,), (30,), rng.integers(0, 256, (400,), dtype="u1").view("V4"))
json.dump(raw, sys.stdout)
"#;

#[test]
fn files_from_h5py_read_as_h5py_reads_them() {
    let dir = scratch("read");
    let path = dir.join("h5py.h5");
    let raw = run_python(MAKE, &[path.to_str().unwrap()]).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
    // The decoded bytes of every N-bit dataset equal libhdf5's.
    let file = File::open(&path).unwrap();
    for (name, hex) in raw.as_object().unwrap() {
        let ds = file.dataset(name).unwrap();
        assert_eq!(ds.filters()[0].id, 5, "{name}");
        let (_, bytes) = ds.read_raw(&Selection::all()).unwrap();
        let ours: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(&ours, hex.as_str().unwrap(), "{name}");
    }
    // Scale-offset datasets (and the N-bit integers) dump as h5py reads them.
    let ours = dump_file(&path).unwrap();
    let theirs = h5py_dump(&path);
    if let Some(d) = json_diff("", &ours, &theirs) {
        panic!("{d}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
