//! SZIP (filter 4, issue 14): libhdf5's szip filter over libaec, as h5py's wheel and
//! netCDF4-python write it, every coding (NN, EC) x pixels per block (2 to 32, even) x
//! element type (1-, 2-, 4- and 8-byte integers and floats, both byte orders) x chunk shape
//! (2-D with partial edge chunks, long scanlines, chunks smaller than a scanline of blocks,
//! constant data for zero blocks, random stretches for no-compression blocks).
//!
//! h5py writes files at test time; we must read them exactly as h5py reads them (dumplib's
//! dump). Then we write every combination ourselves, and h5py must read our files exactly,
//! with the client data libhdf5 itself would have stored and our chunks really coded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run_python;
use jangada_hdf5::datatype::{ByteOrder, Datatype, TypeClass};
use jangada_hdf5::{DatasetBuilder, File, H5Write, SzipCoding};
use ndarray::{ArrayD, IxDyn};

/// The even pixels-per-block values h5py accepts.
const PPB: [u32; 16] = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32];

const MAKE: &str = r#"
import sys
import h5py, numpy as np

rng = np.random.default_rng(14)
DTYPES = ["u1", "i1", "<u2", ">u2", "<i2", ">i2", "<i4", ">i4", "<u4", ">u4",
          "<i8", ">i8", "<f4", ">f4", "<f8", ">f8"]

def shapes(ppb):
    extra = {"long": ((2, 5000), (1, 5000))} if ppb in (2, 8, 32) else {}
    return extra | {
        # 2-D, partial edge chunks, scanline (5) shorter than a block for ppb > 5.
        "grid": ((37, 23), (8, 5)),
        # Long scanlines (600, or 128 blocks), the last one short.
        "wide": ((3, 700), (2, 600)),
        # Tiny chunks (12 or 35 elements: a few blocks, padded scanlines).
        "small": ((5, 7), (4, 3) if ppb <= 12 else (5, 7)),
        # Constant: zero blocks (runs, remainder-of-segment codes).
        "const": ((600,), (200,)),
        # Random stretches between smooth ones: no-compression blocks.
        "noise": ((1000,), (250,)),
    }

def values(shape, dt, kind):
    dt = np.dtype(dt)
    n = int(np.prod(shape))
    i = np.arange(n)
    if kind == "const":
        v = np.full(n, 77.0)
    elif kind == "noise":
        wild = rng.normal(0, 1e9, n) if dt.kind == "f" else \
            rng.integers(0, 2**62, n).astype(np.float64)
        v = np.where((i // 50) % 3 == 0, wild, 300 + np.sin(i / 9.0) * 100)
    else:
        v = 300 + np.sin(i / 20.0) * 100 + i // 7
    if dt.kind == "f":
        return v.astype(dt).reshape(shape)
    return v.astype(np.int64).astype(dt).reshape(shape)

path = sys.argv[1]
with h5py.File(path, "w") as f:
    for coding in ("nn", "ec"):
        for ppb in range(2, 33, 2):
            g = f.create_group(f"{coding}{ppb}")
            for dt in DTYPES:
                for kind, (shape, chunks) in shapes(ppb).items():
                    name = dt.replace("<", "le_").replace(">", "be_") + "_" + kind
                    g.create_dataset(name, data=values(shape, dt, kind), dtype=dt,
                                     chunks=chunks, compression="szip",
                                     compression_opts=(coding, ppb))
    # Partly written: unwritten chunks read as the fill value.
    d = f.create_dataset("sparse", shape=(1000,), chunks=(100,), dtype="<f4",
                         fillvalue=-1.5, compression="szip")
    d[250:420] = np.arange(170, dtype="<f4")
"#;

/// netCDF4-python's SZIP variables (its wheel's libhdf5 has libaec too).
const MAKE_NETCDF: &str = r#"
import sys
import netCDF4, numpy as np

with netCDF4.Dataset(sys.argv[1], "w") as nc:
    nc.createDimension("y", 30)
    nc.createDimension("x", 41)
    i = np.arange(30 * 41).reshape(30, 41)
    for coding in ("nn", "ec"):
        for ppb in (4, 8, 16, 32):
            for dt in ("i2", "u4", "f4", "f8", "i8"):
                v = nc.createVariable(f"{coding}{ppb}_{dt}", dt, ("y", "x"),
                                      compression="szip", szip_coding=coding,
                                      szip_pixels_per_block=ppb, chunksizes=(7, 9))
                v[:] = (np.sin(i / 13.0) * 1000 + i).astype(dt)
"#;

#[test]
fn files_from_h5py_and_netcdf4_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read");
    let path = dir.join("szip.h5");
    run_python(MAKE, &[path.to_str().unwrap()]).unwrap();
    let file = File::open(&path).unwrap();
    let d = file.dataset("nn8/le_i4_grid").unwrap();
    assert_eq!(d.filters()[0].id, 4);
    assert_eq!(d.filters()[0].client_data, [169, 8, 32, 5 * 8]);
    let d = file.dataset("ec32/be_u2_wide").unwrap();
    assert_eq!(d.filters()[0].client_data, [149, 32, 16, 600]);
    drop(file);
    common::assert_same_as_h5py(&path);

    let nc = dir.join("szip.nc");
    run_python(MAKE_NETCDF, &[nc.to_str().unwrap()]).unwrap();
    let file = File::open(&nc).unwrap();
    assert_eq!(file.dataset("nn16_f4").unwrap().filters()[0].id, 4);
    drop(file);
    common::assert_same_as_h5py(&nc);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A big-endian copy of an integer or float datatype.
fn big_endian(mut dt: Datatype) -> Datatype {
    match &mut dt.class {
        TypeClass::Integer { order, .. } | TypeClass::Float { order, .. } => {
            *order = ByteOrder::Big
        }
        _ => unreachable!(),
    }
    dt
}

/// The test's shapes: (name, shape, chunks).
fn shapes(ppb: u32) -> Vec<(&'static str, Vec<usize>, Vec<u64>)> {
    vec![
        ("grid", vec![37, 23], vec![8, 5]),
        ("wide", vec![3, 700], vec![2, 600]),
        (
            "small",
            vec![5, 7],
            if ppb <= 12 { vec![4, 3] } else { vec![5, 7] },
        ),
        ("const", vec![600], vec![200]),
        ("noise", vec![1000], vec![250]),
        // A long scanline of 5000 pixels (more than 128 blocks).
        ("long", vec![2, 5000], vec![1, 5000]),
    ]
}

/// Values of one kind, as f64 (exact in every type they are cast to below).
fn values(n: usize, kind: &str) -> Vec<f64> {
    let mut x = 88_172_645_463_325_252u64;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match kind {
                "const" => 77.0,
                "noise" if (i / 50) % 3 == 0 => (x >> 40) as f64,
                _ => (300.0 + (i as f64 / 20.0).sin() * 100.0).floor() + (i / 7) as f64,
            }
        })
        .collect()
}

fn write_one<T: H5Write + Clone>(
    b: DatasetBuilder,
    shape: &[usize],
    cast: fn(f64) -> T,
    kind: &str,
) {
    let n = shape.iter().product();
    let a = ArrayD::from_shape_vec(
        IxDyn(shape),
        values(n, kind).into_iter().map(cast).collect(),
    )
    .unwrap();
    b.write(&a).unwrap();
}

#[test]
fn files_we_write_read_back_exactly_in_h5py() {
    let dir = common::scratch_dir("write");
    let path = dir.join("ours.h5");
    type Cast = fn(DatasetBuilder, &[usize], &str);
    let types: Vec<(&str, Cast)> = vec![
        ("u1", |b, s, k| write_one(b, s, |v| v as u8, k)),
        ("i1", |b, s, k| write_one(b, s, |v| v as i64 as i8, k)),
        ("le_u2", |b, s, k| write_one(b, s, |v| v as u16, k)),
        ("be_u2", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::int(2, false))),
                s,
                |v| v as u16,
                k,
            )
        }),
        ("le_i2", |b, s, k| write_one(b, s, |v| v as i64 as i16, k)),
        ("be_i2", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::int(2, true))),
                s,
                |v| v as i64 as i16,
                k,
            )
        }),
        ("le_i4", |b, s, k| write_one(b, s, |v| v as i32, k)),
        ("be_i4", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::int(4, true))),
                s,
                |v| v as i32,
                k,
            )
        }),
        ("le_u4", |b, s, k| write_one(b, s, |v| v as u32, k)),
        ("be_u4", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::int(4, false))),
                s,
                |v| v as u32,
                k,
            )
        }),
        ("le_i8", |b, s, k| write_one(b, s, |v| v as i64, k)),
        ("be_i8", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::int(8, true))),
                s,
                |v| v as i64,
                k,
            )
        }),
        ("le_u8", |b, s, k| write_one(b, s, |v| v as u64, k)),
        ("le_f4", |b, s, k| write_one(b, s, |v| v as f32, k)),
        ("be_f4", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::float(4).unwrap())),
                s,
                |v| v as f32,
                k,
            )
        }),
        ("le_f8", |b, s, k| write_one(b, s, |v| v, k)),
        ("be_f8", |b, s, k| {
            write_one(
                b.dtype(big_endian(Datatype::float(8).unwrap())),
                s,
                |v| v,
                k,
            )
        }),
    ];
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        for (cname, coding) in [("nn", SzipCoding::Nn), ("ec", SzipCoding::Ec)] {
            for ppb in PPB {
                let g = root.create_group(&format!("{cname}{ppb}")).unwrap();
                for (tname, write) in &types {
                    for (kind, shape, chunks) in shapes(ppb) {
                        let b = g
                            .new_dataset(&format!("{tname}_{kind}"))
                            .chunks(&chunks)
                            .szip(coding, ppb);
                        write(b, &shape, kind);
                    }
                }
            }
        }
        // With shuffle and Fletcher-32 around it, and a resizable dataset appended to.
        let a = ArrayD::from_shape_vec(IxDyn(&[1000]), values(1000, "grid")).unwrap();
        root.new_dataset("f8_shuffle_fletcher")
            .chunks(&[128])
            .shuffle()
            .szip(SzipCoding::Nn, 16)
            .fletcher32()
            .write(&a)
            .unwrap();
        let ds = root
            .new_dataset("appended")
            .maxshape(&[None])
            .szip(SzipCoding::Nn, 8)
            .write(&a)
            .unwrap();
        ds.append(&a).unwrap();
        file.close().unwrap();
    }
    // We read back what we wrote.
    let file = File::open(&path).unwrap();
    for ppb in PPB {
        let a: ArrayD<f64> = file
            .dataset(&format!("nn{ppb}/le_f8_grid"))
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            values(37 * 23, "grid")
        );
        let b: ArrayD<i16> = file
            .dataset(&format!("ec{ppb}/be_i2_noise"))
            .unwrap()
            .read()
            .unwrap();
        let want: Vec<i16> = values(1000, "noise")
            .iter()
            .map(|&v| v as i64 as i16)
            .collect();
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), want);
    }
    drop(file);
    // h5py reads the same as we do.
    common::assert_same_as_h5py(&path);
    // libhdf5 would store the same client data, and our chunks are SZIP-coded (filter mask
    // 0) wherever libaec codes the same data, to about the same size.
    let check = r#"
import sys
import h5py, numpy as np
bad = []
coded = 0
sizes = [0, 0]
with h5py.File(sys.argv[1], "r") as f, h5py.File("ref.h5", "w", driver="core", backing_store=False) as ref:
    def visit(name, d):
        global coded
        if not isinstance(d, h5py.Dataset) or "/" not in name:
            return
        group, leaf = name.split("/")
        coding, ppb = group[:2], int(group[2:])
        r = ref.create_dataset(name, shape=d.shape, dtype=d.dtype, chunks=d.chunks,
                               compression="szip", compression_opts=(coding, ppb))
        ours = d.id.get_create_plist().get_filter(0)[:3]
        theirs = r.id.get_create_plist().get_filter(0)[:3]
        if ours != theirs:
            bad.append((name, ours, theirs))
        r[...] = d[...]
        for i in range(d.id.get_num_chunks()):
            ci, ri = d.id.get_chunk_info(i), r.id.get_chunk_info(i)
            if ci.filter_mask == 0:
                coded += 1
                sizes[0] += ci.size
                sizes[1] += ri.size
            elif ri.filter_mask == 0:
                bad.append((name, "chunk", i, "libaec codes it, we do not"))
    f.visititems(visit)
    v = np.sin(np.arange(1000) / 20.0) * 100
    assert f["appended"].shape == (2000,)
    assert np.array_equal(f["appended"][:1000], f["appended"][1000:])
assert sizes[0] <= sizes[1] * 1.02, sizes
print(coded, bad[:20])
"#;
    let out = run_python(check, &[path.to_str().unwrap()]).unwrap();
    let (coded, bad) = out.trim().split_once(' ').unwrap();
    assert_eq!(bad, "[]", "{out}");
    assert!(coded.parse::<usize>().unwrap() > 3000, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

const RAW_CHUNKS: &str = r#"
import sys, json
import h5py, numpy as np

out = []
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or not name.startswith(("nn8/", "ec16/", "nn32/", "ec2/")):
            return
        if not name.endswith(("_grid", "_wide")):
            return
        pl = obj.id.get_create_plist()
        filters = [pl.get_filter(i)[:3] for i in range(pl.get_nfilters())]
        info = obj.id.get_chunk_info(0)
        mask, raw = obj.id.read_direct_chunk(info.chunk_offset)
        out.append(dict(name=name, filters=[[i, fl, list(cd)] for i, fl, cd in filters],
                        elem=obj.dtype.itemsize, nbytes=int(np.prod(obj.chunks)) * obj.dtype.itemsize,
                        mask=mask, raw=raw.hex(), offset=info.byte_offset))
    f.visititems(visit)
print(json.dumps(out))
"#;

/// Real chunks libaec wrote decode to the chunk; cut short or with bytes flipped they give
/// an error naming the filter and the chunk's offset (or, flipped, possibly other values of
/// the right size: SZIP has no checksum), never a panic or more bytes.
#[test]
fn corrupt_szip_chunks_are_errors_not_panics() {
    use jangada_hdf5::filters::decode_chunk_at;

    let dir = common::scratch_dir("corrupt");
    let path = dir.join("szip.h5");
    run_python(MAKE, &[path.to_str().unwrap()]).unwrap();
    let out = run_python(RAW_CHUNKS, &[path.to_str().unwrap()]).unwrap();
    let chunks = common::raw_chunks(&out);
    assert_eq!(chunks.len(), 4 * 16 * 2);
    let mut errors = 0;
    for c in chunks {
        let common::RawChunk {
            name,
            pipeline,
            raw,
            elem,
            nbytes,
            mask,
            offset: at,
        } = c;
        let good = decode_chunk_at(&pipeline, mask, &raw, elem, nbytes, at).unwrap();
        assert_eq!(good.len(), nbytes, "{name}");
        if mask != 0 {
            continue;
        }
        for cut in [0, 1, 3, 4, 5, raw.len() / 2, raw.len() - 1] {
            let e = decode_chunk_at(&pipeline, mask, &raw[..cut], elem, nbytes, at)
                .expect_err(&format!("{name} cut at {cut}"))
                .to_string();
            assert!(e.contains(&format!("offset {at}")), "{name}: {e}");
            assert!(e.contains("szip"), "{name}: the error names no filter: {e}");
            errors += 1;
        }
        for i in (0..raw.len()).step_by(raw.len() / 97 + 1) {
            let mut bad = raw.clone();
            bad[i] ^= 0xa5;
            if let Ok(v) = decode_chunk_at(&pipeline, mask, &bad, elem, nbytes, at) {
                assert_eq!(v.len(), nbytes, "{name}");
            }
        }
    }
    assert!(errors > 400, "{errors}");
    std::fs::remove_dir_all(&dir).unwrap();
}
