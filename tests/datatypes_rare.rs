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
    let dir = std::env::temp_dir().join(format!("jangada-rare-types-{}", std::process::id()));
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
