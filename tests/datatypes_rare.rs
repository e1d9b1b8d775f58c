//! Datatypes h5py's defaults never write but other producers do, each compared with h5py's
//! reading value by value: bitfields (PyTables and pandas store bools this way; h5py reads
//! them as unsigned integers), integers with reduced precision and a bit offset (read as
//! libhdf5's conversion reads them), space-padded and null-terminated fixed strings (padding
//! removed as h5py removes it), in datasets, attributes and compound members.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{h5py_dump, json_diff, run_python};
use jangada::cli::dump::dump_file;
use jangada_hdf5::{File, TypeClass};
use ndarray::ArrayD;

const MAKE: &str = r#"
import sys
import h5py, numpy as np
path = sys.argv[1]

def raw(tid):
    # libhdf5 has no conversion into bitfields: their bytes are written as they are.
    return tid if tid.get_class() == h5py.h5t.BITFIELD else None

def dataset(f, name, tid, values):
    values = np.asarray(values)
    space = h5py.h5s.create_simple(values.shape)
    d = h5py.h5d.create(f.id, name.encode(), tid, space)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, values, mtype=raw(tid))

def attribute(f, name, tid, values):
    values = np.asarray(values)
    space = h5py.h5s.create_simple(values.shape)
    a = h5py.h5a.create(f.id, name.encode(), tid, space)
    a.write(values, mtype=raw(tid))

def packed(base, precision, offset):
    t = base.copy()
    t.set_precision(precision)
    t.set_offset(offset)
    return t

with h5py.File(path, "w") as f:
    # Bitfields of every size and both byte orders.
    dataset(f, "b8", h5py.h5t.STD_B8LE, np.array([0, 1, 0x80, 0xff], dtype="u1"))
    dataset(f, "b16be", h5py.h5t.STD_B16BE, np.array([1, 0x1234, 0xffff], dtype="u2"))
    dataset(f, "b32", h5py.h5t.STD_B32LE, np.array([7, 2**31, 2**32 - 1], dtype="u4"))
    dataset(f, "b64", h5py.h5t.STD_B64LE, np.array([1, 2**63, 2**64 - 1], dtype="u8"))
    attribute(f, "b8_attr", h5py.h5t.STD_B8LE, np.array([3, 5], dtype="u1"))
    # Integers with reduced precision and bit offsets (libhdf5 converts on write).
    signed = np.array([-2048, -1, 0, 1, 2047, 1000, -1000], dtype="i4")
    dataset(f, "i12_at4", packed(h5py.h5t.STD_I32LE, 12, 4), signed)
    dataset(f, "i12_at4_be", packed(h5py.h5t.STD_I32BE, 12, 4), signed)
    dataset(f, "u10_at3", packed(h5py.h5t.STD_U16LE, 10, 3), np.array([0, 1, 1023, 512, 77], dtype="u2"))
    dataset(f, "i7_at0", packed(h5py.h5t.STD_I8LE, 7, 0), np.array([-64, -1, 0, 63], dtype="i1"))
    dataset(f, "i40_at20", packed(h5py.h5t.STD_I64LE, 40, 20), np.array([-(2**39), 2**39 - 1, 12345678901], dtype="i8"))
    attribute(f, "i12_attr", packed(h5py.h5t.STD_I32LE, 12, 4), signed[:3])
    # Fixed strings with each padding.
    for pad, tag in ((h5py.h5t.STR_SPACEPAD, "space"), (h5py.h5t.STR_NULLTERM, "nullterm"), (h5py.h5t.STR_NULLPAD, "nullpad")):
        t = h5py.h5t.C_S1.copy()
        t.set_size(6)
        t.set_strpad(pad)
        vals = np.array([b"ab", b"abcdef", b"", b"a b", b"x    "], dtype="S6")
        dataset(f, "s_" + tag, t, vals)
        attribute(f, "s_" + tag, t, vals[:2])
    # A compound holding a bitfield and a packed integer.
    ct = h5py.h5t.create(h5py.h5t.COMPOUND, 8)
    ct.insert(b"flags", 0, h5py.h5t.STD_U16LE)
    ct.insert(b"level", 4, packed(h5py.h5t.STD_I32LE, 20, 2))
    rec = np.array([(5, 0, -3), (0xffff, 0, 500000)], dtype=[("flags", "u2"), ("pad", "u2"), ("level", "i4")])
    mt = h5py.h5t.create(h5py.h5t.COMPOUND, 8)
    mt.insert(b"flags", 0, h5py.h5t.NATIVE_UINT16)
    mt.insert(b"level", 4, h5py.h5t.NATIVE_INT32)
    space = h5py.h5s.create_simple((2,))
    d = h5py.h5d.create(f.id, b"compound", ct, space)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, rec, mtype=mt)
"#;

#[test]
fn rare_datatypes_read_as_h5py_reads_them() {
    let dir = common::scratch_root("jangada-rare-types");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rare.h5");
    run_python(MAKE, &[path.to_str().unwrap()]).unwrap();

    let ours = dump_file(&path).unwrap();
    let theirs = h5py_dump(&path);
    assert_eq!(json_diff("", &ours, &theirs), None);

    // The typed API agrees: packed integers sign-extend, bitfields are unsigned.
    let file = File::open(&path).unwrap();
    let d = file.dataset("i12_at4").unwrap();
    assert!(matches!(
        d.dtype().class,
        TypeClass::Integer {
            bit_offset: 4,
            precision: 12,
            ..
        }
    ));
    let v: ArrayD<i64> = d.read().unwrap();
    assert_eq!(
        v.as_slice().unwrap(),
        &[-2048, -1, 0, 1, 2047, 1000, -1000][..]
    );
    let b: ArrayD<u64> = file.dataset("b64").unwrap().read().unwrap();
    assert_eq!(b.as_slice().unwrap(), &[1, 1 << 63, u64::MAX][..]);
    let s = file.dataset("s_space").unwrap().read_strings().unwrap();
    assert_eq!(s, ["ab", "abcdef", "", "a b", "x"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Floats in layouts other than IEEE binary16/32/64, written by libhdf5's conversion from
/// float64 (contiguous and through the N-bit filter, both byte orders). Prints, per dataset,
/// h5py's reading as float64 and float32 bits (`dset[...]` in h5py's own dtype, then
/// `astype`).
const MAKE_FLOATS: &str = r#"
import sys, json
import h5py, numpy as np
path, bad_path = sys.argv[1], sys.argv[2]
IMPLIED, MSBSET, NONE = h5py.h5t.NORM_IMPLIED, h5py.h5t.NORM_MSBSET, h5py.h5t.NORM_NONE

def ftype(size, off, prec, fields, bias, norm, big):
    t = h5py.h5t.IEEE_F32LE.copy()
    full = max(size, 4)
    t.set_size(full)
    t.set_precision(8 * full)
    t.set_fields(*fields)
    t.set_offset(off)
    t.set_precision(prec)
    t.set_size(size)
    t.set_ebias(bias)
    t.set_norm(norm)
    t.set_order(h5py.h5t.ORDER_BE if big else h5py.h5t.ORDER_LE)
    return t

def values(fields, bias, implied):
    esize, msize = fields[2], fields[4]
    top = 2 ** esize - 2 - bias
    mant = msize if implied else msize - 1
    vmax = (2 - 2.0 ** -mant) * 2.0 ** top
    tiny = 2.0 ** (1 - bias)
    sub = 2.0 ** (1 - bias - msize)
    v = [0.0, -0.0, 1.0, -1.0, 1.5, -3.25, 0.1, np.pi, -1e-3, 1234.5678,
         vmax, -vmax, tiny, -tiny, tiny * 0.75, sub, -sub, sub * 3, sub * 0.5, sub * 0.75,
         vmax * 0.999, np.inf, -np.inf, np.nan, -np.nan, 1e300, -1e300, 1e-300]
    return np.array(v, dtype="f8")

LAYOUTS = {
    # name: (size, bit offset, precision, (sign, exp pos, exp size, mant pos, mant size), bias, norm)
    "n20": (4, 6, 20, (25, 17, 8, 4, 13), 127, IMPLIED),
    "none32": (4, 0, 32, (31, 23, 8, 0, 23), 127, NONE),
    "e11m20": (4, 0, 32, (31, 20, 11, 0, 20), 1023, IMPLIED),
    "e5m2": (1, 0, 8, (7, 2, 5, 0, 2), 15, IMPLIED),
    "none48": (6, 2, 46, (47, 38, 9, 2, 36), 255, NONE),
    "wide10": (10, 8, 64, (71, 60, 11, 8, 52), 1023, IMPLIED),
}
out = {}
with h5py.File(path, "w") as f:
    for name, (size, off, prec, fields, bias, norm) in LAYOUTS.items():
        vals = values(fields, bias, norm == IMPLIED)
        for big in (False, True):
            for nbit in (False, True):
                t = ftype(size, off, prec, fields, bias, norm, big)
                dname = name + ("_be" if big else "") + ("_nbit" if nbit else "")
                space = h5py.h5s.create_simple(vals.shape)
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                if nbit:
                    dcpl.set_chunk((7,))
                    dcpl.set_filter(h5py.h5z.FILTER_NBIT, h5py.h5z.FLAG_OPTIONAL)
                d = h5py.h5d.create(f.id, dname.encode(), t, space, dcpl=dcpl)
                d.write(h5py.h5s.ALL, h5py.h5s.ALL, vals)
    t = ftype(4, 6, 20, (25, 17, 8, 4, 13), 127, IMPLIED, False)
    a = h5py.h5a.create(f.id, b"n20_attr", t, h5py.h5s.create_simple((3,)))
    a.write(np.array([1.5, -0.0, np.inf]))
with h5py.File(path, "r") as f:
    for name in f:
        a = f[name][...]
        with np.errstate(over="ignore"):
            out[name] = {
                "f8": [int(x) for x in a.astype("<f8").view("<u8")],
                "f4": [int(x) for x in a.astype("<f4").view("<u4")],
            }
# Layouts libhdf5 cannot convert (msb-set) or that do not fit float64 (the x87 extended).
with h5py.File(bad_path, "w") as f:
    for name, size, prec, fields, bias, norm in (
        ("msbset", 4, 32, (31, 23, 8, 0, 23), 127, MSBSET),
        ("x87", 10, 80, (79, 64, 15, 0, 64), 16383, NONE),
    ):
        t = ftype(size, 0, prec, fields, bias, norm, False)
        d = h5py.h5d.create(f.id, name.encode(), t, h5py.h5s.create_simple((2,)))
        d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([0.0, 0.0]))
print(json.dumps(out))
"#;

/// Whether two floats are the same bits, or both NaN.
fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn float_layouts_read_as_h5py_reads_them() {
    use jangada_hdf5::Normalization;
    let dir = common::scratch_root("jangada-rare-floats");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("floats.h5");
    let bad = dir.join("floats_bad.h5");
    let printed = run_python(
        MAKE_FLOATS,
        &[path.to_str().unwrap(), bad.to_str().unwrap()],
    )
    .unwrap();
    let expected: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();

    let ours = dump_file(&path).unwrap();
    let theirs = h5py_dump(&path);
    assert_eq!(json_diff("", &ours, &theirs), None);

    let file = File::open(&path).unwrap();
    let mut checked = 0;
    for (name, want) in expected.as_object().unwrap() {
        let d = file.dataset(name).unwrap();
        let f8: ArrayD<f64> = d.read().unwrap();
        let f4: ArrayD<f32> = d.read().unwrap();
        let want8 = want["f8"].as_array().unwrap();
        let want4 = want["f4"].as_array().unwrap();
        assert_eq!(f8.len(), want8.len(), "{name}");
        for (i, (got, w)) in f8.iter().zip(want8).enumerate() {
            let w = f64::from_bits(w.as_u64().unwrap());
            assert!(
                same_f64(*got, w),
                "{name}[{i}] as f64: ours {got:e}, h5py {w:e}"
            );
        }
        for (i, (got, w)) in f4.iter().zip(want4).enumerate() {
            let w = f32::from_bits(w.as_u64().unwrap() as u32);
            let same = got.to_bits() == w.to_bits() || (got.is_nan() && w.is_nan());
            assert!(same, "{name}[{i}] as f32: ours {got:e}, h5py {w:e}");
        }
        checked += 1;
    }
    assert_eq!(checked, 24);

    // The model keeps the layout, normalization included.
    let n20 = file.dataset("n20").unwrap().dtype().clone();
    assert!(matches!(
        n20.class,
        TypeClass::Float {
            bit_offset: 6,
            precision: 20,
            normalization: Normalization::Implied,
            ..
        }
    ));
    let none32 = file.dataset("none32").unwrap().dtype().clone();
    assert!(matches!(
        none32.class,
        TypeClass::Float {
            normalization: Normalization::None,
            ..
        }
    ));

    // msb-set: libhdf5 fails too ("normalization method not implemented yet"); the x87
    // extended type has a 64-bit mantissa that float64 cannot hold exactly.
    let file = File::open(&bad).unwrap();
    for (name, why) in [
        ("msbset", "msb-set normalization"),
        ("x87", "does not fit a 64-bit float exactly"),
    ] {
        let err = file.dataset(name).unwrap().read::<f64>().unwrap_err();
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
