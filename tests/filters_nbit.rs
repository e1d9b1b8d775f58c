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

use common::{json_diff, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::datatype::ByteOrder;
use jangada_hdf5::{Datatype, File, ScaleOffset, Selection};
use ndarray::{ArrayD, IxDyn};

/// Python: `relaxed(path)` creates a file in which libhdf5 2.0 accepts datatypes with
/// unused bits (`H5Pset_relax_file_integrity_checks`, which h5py does not wrap).
const RELAXED: &str = r#"
import ctypes, ctypes.util, pathlib
import h5py
from h5py import h5p, h5f
def relaxed(path):
    libs = sorted((pathlib.Path(h5py.__file__).resolve().parent.parent / "h5py.libs").glob("libhdf5-*.so*"))
    lib = ctypes.CDLL(str(libs[0])) if libs else ctypes.CDLL(ctypes.util.find_library("hdf5"))
    fapl = h5p.create(h5p.FILE_ACCESS)
    assert lib.H5Pset_relax_file_integrity_checks(ctypes.c_int64(fapl.id), ctypes.c_uint64(1)) >= 0
    return h5py.File(h5f.create(path.encode(), h5f.ACC_TRUNC, fapl=fapl))
"#;

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

with relaxed(path) as f:
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
        raw["nbit/" + name] = data_raw.dtype.itemsize
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
    # Reduced floats (libhdf5's N-bit test layouts, without unused bits between the fields,
    # which libhdf5's conversion leaves undefined), written through a conversion from
    # doubles, beside an unfiltered twin; in a file of their own (not dumped: reading
    # non-IEEE floats as numbers is not supported).
    with relaxed(sys.argv[2]) as ff:
        for name, base, fields, off, prec, ebias, count in [
                ("f4le_20_7", h5t.IEEE_F32LE, (26, 20, 6, 7, 13), 7, 20, 31, 200),
                ("f8be_45_11", h5t.IEEE_F64BE, (55, 45, 10, 11, 34), 11, 45, 511, 150),
                # Grown to 10 bytes by the offset (libhdf5 widens the type).
                ("f10be_45_11", h5t.IEEE_F64BE, (55, 45, 10, 11, 34), 11, 45, 511, 150)]:
            v = rng.normal(0, 100, count)
            for filt in (True, False):
                t = base.copy(); t.set_fields(*fields); t.set_offset(off); t.set_precision(prec); t.set_ebias(ebias)
                if not name.startswith("f10"):
                    t.set_size(base.get_size())
                pl = h5p.create(h5p.DATASET_CREATE); pl.set_chunk((64,))
                if filt:
                    pl.set_filter(h5z.FILTER_NBIT, h5z.FLAG_OPTIONAL)
                ds = h5d.create(ff.id, (name if filt else name + "_plain").encode(), t, h5s.create_simple((count,)), pl)
                ds.write(h5s.ALL, h5s.ALL, v, mtype=h5t.NATIVE_DOUBLE)
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
    def ascii_at(nbytes, size, cols):
        b = rng.integers(0, 256, (nbytes,), dtype="u1").reshape(-1, size)
        b[:, cols] = rng.integers(97, 123, (b.shape[0], len(cols)), dtype="u1")
        return b.reshape(-1).view(f"V{size}")
    nbit("compound", c, (90,), (32,), ascii_at(90 * 32, 32, [8, 9, 10, 11, 12, 21]))
    a = h5t.array_create(int_type(h5t.STD_I16LE, 10, 3), (2, 3))
    nbit("array", a, (70,), (25,), rng.integers(0, 256, (70 * 12,), dtype="u1").view("V12"))
    ac = h5t.array_create(inner, (4,))
    nbit("array_of_compound", ac, (50,), (20,), ascii_at(50 * 12, 12, [2, 5, 8, 11]))
    # Full precision: the filter does nothing.
    nbit("full", h5t.STD_I32LE, (100,), (30,), rng.integers(0, 256, (400,), dtype="u1").view("V4"))
# What libhdf5 decodes (read back after closing: not from the chunk cache).
with h5py.File(path, "r") as f:
    for name, size in raw.items():
        ds = f[name].id
        out = np.empty(ds.shape, dtype=f"V{size}")
        ds.read(h5s.ALL, h5s.ALL, out, mtype=ds.get_type())
        raw[name] = out.tobytes().hex()
json.dump(raw, sys.stdout)
"#;

#[test]
fn files_from_h5py_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read");
    let path = dir.join("h5py.h5");
    let floats = dir.join("floats.h5");
    let raw = run_python(
        &format!("{RELAXED}{MAKE}"),
        &[path.to_str().unwrap(), floats.to_str().unwrap()],
    )
    .unwrap();
    // Reduced floats decode to the bytes of their unfiltered twins.
    let ff = File::open(&floats).unwrap();
    for name in ["f4le_20_7", "f8be_45_11", "f10be_45_11"] {
        let a = ff.dataset(name).unwrap();
        assert_eq!(a.filters()[0].id, 5);
        let b = ff.dataset(&format!("{name}_plain")).unwrap();
        assert_eq!(
            a.read_raw(Selection::all()).unwrap(),
            b.read_raw(Selection::all()).unwrap(),
            "{name}"
        );
    }
    let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
    // The decoded bytes of every N-bit dataset equal libhdf5's.
    let file = File::open(&path).unwrap();
    for (name, hex) in raw.as_object().unwrap() {
        let ds = file.dataset(name).unwrap();
        assert_eq!(ds.filters()[0].id, 5, "{name}");
        let (_, bytes) = ds.read_raw(Selection::all()).unwrap();
        let ours: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(&ours, hex.as_str().unwrap(), "{name}");
    }
    // Scale-offset datasets (and the N-bit integers) dump as h5py reads them.
    let ours = dump_file(&path).unwrap();
    let theirs = common::h5py_dump(&path);
    if let Some(d) = json_diff("", &ours, &theirs) {
        panic!("{d}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One dataset we write: name, datatype, filter, fill value, lossless.
struct Case {
    name: String,
    dtype: Datatype,
    so: Option<ScaleOffset>,
    fill: Option<f64>,
    lossless: bool,
}

fn be(mut t: Datatype) -> Datatype {
    match &mut t.class {
        jangada_hdf5::datatype::TypeClass::Integer { order, .. }
        | jangada_hdf5::datatype::TypeClass::Float { order, .. } => *order = ByteOrder::Big,
        _ => {}
    }
    t
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let ints = [
        ("i1", Datatype::int(1, true)),
        ("u1", Datatype::int(1, false)),
        ("i2be", be(Datatype::int(2, true))),
        ("u2", Datatype::int(2, false)),
        ("i4", Datatype::int(4, true)),
        ("u4be", be(Datatype::int(4, false))),
        ("i8", Datatype::int(8, true)),
        ("u8be", be(Datatype::int(8, false))),
    ];
    for (label, t) in &ints {
        for (mode, m) in [
            ("auto", ScaleOffset::Integer(None)),
            ("b4", ScaleOffset::Integer(Some(4))),
            ("b8", ScaleOffset::Integer(Some(8))),
        ] {
            for fill in [None, Some(7.0)] {
                out.push(Case {
                    name: format!("so_{label}_{mode}_{}", fill.is_some()),
                    dtype: t.clone(),
                    so: Some(m),
                    fill,
                    lossless: mode == "auto" || (mode == "b8" && t.size == 1),
                });
            }
        }
    }
    for (label, t) in [
        ("f4", Datatype::float(4).unwrap()),
        ("f8be", be(Datatype::float(8).unwrap())),
        ("f4be", be(Datatype::float(4).unwrap())),
        ("f8", Datatype::float(8).unwrap()),
    ] {
        for d in 0..=6 {
            for fill in [None, Some(7.0)] {
                out.push(Case {
                    name: format!("so_{label}_d{d}_{}", fill.is_some()),
                    dtype: t.clone(),
                    so: Some(ScaleOffset::FloatDScale(d)),
                    fill,
                    lossless: false,
                });
            }
        }
    }
    for (label, size, signed, order, prec, off) in [
        ("i4_12_3", 4, true, ByteOrder::Little, 12, 3),
        ("u2be_9_4", 2, false, ByteOrder::Big, 9, 4),
        ("i8_40_10", 8, true, ByteOrder::Little, 40, 10),
        ("u1_5_2", 1, false, ByteOrder::Little, 5, 2),
        ("i2be_16_0", 2, true, ByteOrder::Big, 16, 0),
    ] {
        out.push(Case {
            name: format!("nbit_{label}"),
            dtype: Datatype::int_bits(size, signed, order, prec, off).unwrap(),
            so: None,
            fill: None,
            lossless: true,
        });
    }
    out
}

/// Values for `case`: within its type's range (reduced types saturate anyway), a run, and
/// values equal to the fill value.
fn values(case: &Case) -> Vec<f64> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let float = matches!(
        case.dtype.class,
        jangada_hdf5::datatype::TypeClass::Float { .. }
    );
    let mut v: Vec<f64> = (0..250)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let r = (x % 2001) as f64 - 1000.0;
            if float {
                r * 0.0123 + 3.0
            } else if case.name.contains("_u") {
                r.abs()
            } else if case.name.contains("i1") {
                r / 8.0
            } else {
                r
            }
        })
        .map(|r| if float { r } else { r.trunc() })
        .collect();
    for i in 5..9 {
        v[i] = v[5];
    }
    for e in &mut v[20..40] {
        *e = 7.0;
    }
    v
}

#[test]
fn files_we_write_read_back_in_h5py_as_libhdf5_writes_them() {
    let dir = common::scratch_dir("write");
    let path = dir.join("ours.h5");
    let cases = cases();
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        let f = root.create_group("f").unwrap();
        let o = root.create_group("orig").unwrap();
        for c in &cases {
            let data = ArrayD::from_shape_vec(IxDyn(&[250]), values(c)).unwrap();
            let mut b = f.new_dataset(&c.name).dtype(c.dtype.clone()).chunks(&[60]);
            b = match c.so {
                Some(m) => b.scale_offset(m),
                None => b.nbit(),
            };
            if let Some(fill) = c.fill {
                b = b.fill_value(fill).unwrap();
            }
            b.write(&data).unwrap();
            o.new_dataset(&c.name)
                .dtype(c.dtype.clone())
                .write(&data)
                .unwrap();
        }
        file.close().unwrap();
    }
    // We read back what we wrote (exactly, when lossless).
    let file = File::open(&path).unwrap();
    for c in cases.iter().filter(|c| c.lossless) {
        let a = file.dataset(&format!("f/{}", c.name)).unwrap();
        let b = file.dataset(&format!("orig/{}", c.name)).unwrap();
        assert_eq!(
            a.read_raw(Selection::all()).unwrap(),
            b.read_raw(Selection::all()).unwrap(),
            "{}",
            c.name
        );
    }
    drop(file);
    // h5py reads the whole file as we do.
    let ours = dump_file(&path).unwrap();
    let theirs = common::h5py_dump(&path);
    if let Some(d) = json_diff("", &ours, &theirs) {
        panic!("{d}");
    }
    // libhdf5, given the same values and creation properties, stores the same client data
    // and the same chunk bytes, and reads the same values.
    let check = r#"
import sys, json
import h5py, numpy as np
from h5py import h5d, h5s, h5p, h5z
ours = h5py.File(sys.argv[1], "r")
theirs = relaxed(sys.argv[2])
lossless = set(sys.argv[3].split(","))
problems = []
for name in ours["f"]:
    d = ours["f/" + name]; o = ours["orig/" + name]
    tid = d.id.get_type()
    opl = d.id.get_create_plist()
    fid, flags, cd, _ = opl.get_filter(0)
    pl = h5p.create(h5p.DATASET_CREATE)
    pl.set_chunk(d.chunks)
    if opl.fill_value_defined() == h5d.FILL_VALUE_USER_DEFINED:
        pl.set_fill_value(np.array(d.fillvalue, dtype=d.dtype))
    if fid == 6:
        pl.set_scaleoffset(cd[0], cd[1])
    else:
        pl.set_filter(h5z.FILTER_NBIT, h5z.FLAG_OPTIONAL)
    new = h5d.create(theirs.id, name.encode(), tid, h5s.create_simple(d.shape), pl)
    raw = np.empty(o.shape, dtype=f"V{tid.get_size()}")
    o.id.read(h5s.ALL, h5s.ALL, raw, mtype=tid)
    new.write(h5s.ALL, h5s.ALL, raw, mtype=tid)
    theirs.flush()
    b = new.get_create_plist().get_filter(0)
    if (fid, flags, cd) != b[:3]:
        problems.append(f"{name}: client data ours {(fid, flags, cd)} libhdf5 {b[:3]}")
    for i in range(d.id.get_num_chunks()):
        off = d.id.get_chunk_info(i).chunk_offset
        ca = d.id.read_direct_chunk(off); cb = new.read_direct_chunk(off)
        if ca != cb:
            problems.append(f"{name}: chunk {off}: ours {ca[0]} {ca[1].hex()} libhdf5 {cb[0]} {cb[1].hex()}")
            break
    va = d[...]; vb = h5py.Dataset(new)[...]
    if not np.array_equal(va, vb, equal_nan=va.dtype.kind == "f"):
        problems.append(f"{name}: values differ from libhdf5's")
    if name in lossless and not np.array_equal(va, o[...]):
        problems.append(f"{name}: values differ from those written")
print(json.dumps(problems))
"#;
    let lossless: Vec<&str> = cases
        .iter()
        .filter(|c| c.lossless)
        .map(|c| c.name.as_str())
        .collect();
    let out = run_python(
        &format!("{RELAXED}{check}"),
        &[
            path.to_str().unwrap(),
            dir.join("libhdf5.h5").to_str().unwrap(),
            &lossless.join(","),
        ],
    )
    .unwrap();
    let problems: Vec<String> = serde_json::from_str(out.trim()).unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}
