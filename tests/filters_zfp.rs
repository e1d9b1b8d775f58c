//! ZFP (filter 32013, LLNL's H5Z-ZFP as hdf5plugin ships it), issue 14: every mode (fixed
//! rate, precision, accuracy, reversible, expert) over int32, int64, float and double in
//! 1-D to 4-D chunks, with partial edge blocks, chunk sizes that are not multiples of 4
//! and chunk dimensions of size 1, on smooth and random data.
//!
//! 1. h5py + hdf5plugin write files; we read them exactly as h5py (hdf5plugin loaded) does.
//! 2. Our `set_local` builds the very client data H5Z-ZFP stores, and our encoder the very
//!    chunk bytes zfp writes, from the same values.
//! 3. We write every mode; h5py + hdf5plugin read back what we read (and, lossless, the
//!    values written).
//! 4. Real chunks cut short or with flipped bytes are errors (or values of the right size),
//!    never panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::run_python;
use jangada_hdf5::filters::zfp::Zfp;
use jangada_hdf5::filters::{FilterCodec, FilterContext, LocalContext};
use jangada_hdf5::{DatasetBuilder, File, ZfpMode};
use ndarray::{ArrayD, IxDyn};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Writes `argv[1]` with every mode x type x shape x data kind, and prints, per dataset, the
/// client data hdf5plugin passes and H5Z-ZFP stored, and chunk 0 as stored and as written.
const MAKE: &str = r#"
import sys, json
import h5py, hdf5plugin, numpy as np

rng = np.random.default_rng(14)
MODES = {
    "rate4": hdf5plugin.Zfp(rate=4),
    "rate11_5": hdf5plugin.Zfp(rate=11.5),
    "rate32": hdf5plugin.Zfp(rate=32),
    "prec8": hdf5plugin.Zfp(precision=8),
    "prec20": hdf5plugin.Zfp(precision=20),
    "prec64": hdf5plugin.Zfp(precision=64),
    "acc1e-3": hdf5plugin.Zfp(accuracy=1e-3),
    "acc10": hdf5plugin.Zfp(accuracy=10.0),
    "reversible": hdf5plugin.Zfp(reversible=True),
    "expert": hdf5plugin.Zfp(minbits=64, maxbits=700, maxprec=30, minexp=-20),
    "expert_defaults": hdf5plugin.Zfp(minbits=1, maxbits=16657, maxprec=64, minexp=-1074),
    "default": hdf5plugin.Zfp(),
}
# name: (shape, chunks); edge chunks are partial, chunk sizes not multiples of 4.
SHAPES = {
    "1d": ((37,), (13,)),
    "2d": ((9, 11), (6, 7)),
    "3d": ((7, 6, 9), (5, 6, 7)),
    "4d": ((7, 6, 5, 3), (5, 6, 5, 3)),
    "4d_ones": ((3, 8, 1, 10), (1, 8, 1, 10)),
}

def values(shape, dtype, kind):
    n = int(np.prod(shape))
    if kind == "smooth":
        v = np.sin(np.arange(n) / 7.0) * 1000 + np.arange(n) * 0.25
    else:
        v = rng.normal(0, 1e6, n)
    return v.reshape(shape).astype(dtype)

path = sys.argv[1]
out = []
with h5py.File(path, "w") as f:
    for mname, opts in MODES.items():
        g = f.create_group(mname)
        for dt in ("<f4", "<f8", "<i4", "<i8"):
            for sname, (shape, chunks) in SHAPES.items():
                for kind in ("smooth", "noise"):
                    name = f"{dt[1:]}_{sname}_{kind}"
                    data = values(shape, dt, kind)
                    d = g.create_dataset(name, data=data, chunks=chunks, **opts)
                    info = d.id.get_chunk_info(0)
                    mask, raw = d.id.read_direct_chunk(info.chunk_offset)
                    first = data[tuple(slice(0, c) for c in chunks)]
                    pl = d.id.get_create_plist()
                    out.append(dict(name=mname + "/" + name, mode_cd=list(opts["compression_opts"]),
                                    cd=list(pl.get_filter(0)[2]), chunks=list(chunks),
                                    elem=d.dtype.itemsize, raw=raw.hex(), input=first.tobytes().hex(),
                                    offset=info.byte_offset))
        # Partly written: unwritten chunks read as the fill value.
        d = g.create_dataset("sparse", shape=(40, 30), chunks=(8, 10), dtype="<f4",
                             fillvalue=-1.5, **opts)
        d[9:20, 5:17] = np.arange(132, dtype="<f4").reshape(11, 12)
    # Huge values, zeros, negative zero, subnormals, infinities: reversible keeps them.
    g = f.create_group("special")
    sp = np.array([0.0, -0.0, 1e-310, -5e-324, np.inf, -np.inf, 1e308, -1e308] * 4, dtype="<f8")
    g.create_dataset("f8_reversible", data=sp, chunks=(16,), **hdf5plugin.Zfp(reversible=True))
    g.create_dataset("f4_reversible", data=sp.astype("<f4"), chunks=(16,), **hdf5plugin.Zfp(reversible=True))
    g.create_dataset("f8_zeros_rate", data=np.zeros((10, 10)), chunks=(5, 5), **hdf5plugin.Zfp(rate=8))
    g.create_dataset("i4_extremes_rev", data=np.array([2**31 - 1, -2**31, 0, 1, -1] * 7, dtype="<i4"),
                     chunks=(35,), **hdf5plugin.Zfp(reversible=True))
    g.create_dataset("i8_extremes_rev", data=np.array([2**63 - 1, -2**63, 0, 1, -1] * 7, dtype="<i8"),
                     chunks=(35,), **hdf5plugin.Zfp(reversible=True))
print(json.dumps(out))
"#;

/// Makes the hdf5plugin file in `dir`; returns its path and the per-dataset records.
fn make(dir: &Path) -> (PathBuf, Vec<serde_json::Value>) {
    let path = dir.join("zfp.h5");
    let out = run_python(MAKE, &[path.to_str().unwrap()]).unwrap();
    let records: serde_json::Value = serde_json::from_str(&out).unwrap();
    (path, records.as_array().unwrap().clone())
}

fn u32s(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn files_from_hdf5plugin_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read");
    let (path, records) = make(&dir);
    assert_eq!(records.len(), 12 * 4 * 5 * 2);
    let file = File::open(&path).unwrap();
    let d = file.dataset("rate4/f8_4d_noise").unwrap();
    assert_eq!(d.filters()[0].id, 32013);
    common::assert_same_as_h5py(&path);
    // Lossless modes give back exactly what was written.
    let ints: ArrayD<i32> = file
        .dataset("special/i4_extremes_rev")
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(
        &ints.as_slice().unwrap()[..5],
        &[i32::MAX, i32::MIN, 0, 1, -1]
    );
    let f: ArrayD<f64> = file
        .dataset("special/f8_reversible")
        .unwrap()
        .read()
        .unwrap();
    let bits: Vec<u64> = f.iter().map(|v| v.to_bits()).collect();
    assert_eq!(bits[1], (-0.0f64).to_bits());
    assert_eq!(f[[3]], -5e-324);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Our `set_local` stores what H5Z-ZFP stores, and our encoder writes zfp's chunk bytes.
#[test]
fn set_local_and_encoder_match_h5z_zfp_bit_for_bit() {
    let dir = common::scratch_dir("exact");
    let (path, records) = make(&dir);
    let file = File::open(&path).unwrap();
    let mut checked = 0;
    for r in &records {
        let name = r["name"].as_str().unwrap();
        let ds = file.dataset(name).unwrap();
        let chunks: Vec<u64> = r["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let local = LocalContext {
            datatype: ds.dtype(),
            chunk_dims: &chunks,
            fill: None,
        };
        let cd = Zfp.set_local(&u32s(&r["mode_cd"]), &local).unwrap();
        let stored = u32s(&r["cd"]);
        // H5Z-ZFP leaves the unused bytes of its last value uninitialised: compare the
        // header's bytes only.
        let header_bytes = |cd: &[u32]| -> Vec<u8> {
            cd.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()
        };
        let (ours, theirs) = (header_bytes(&cd), header_bytes(&stored));
        assert_eq!(cd.len(), stored.len(), "{name}");
        let used = if cd.len() == 6 { 4 + 19 } else { ours.len() };
        assert_eq!(
            ours[..used],
            theirs[..used],
            "{name}: {cd:x?} vs {stored:x?}"
        );
        let input = hex(r["input"].as_str().unwrap());
        let ctx = FilterContext {
            cd_values: &stored,
            element_size: r["elem"].as_u64().unwrap() as usize,
            limit: input.len(),
            offset: 0,
        };
        let z = Zfp.encode(&ctx, &input).unwrap().unwrap();
        assert!(
            z == hex(r["raw"].as_str().unwrap()),
            "{name}: chunk bytes differ"
        );
        checked += 1;
    }
    assert_eq!(checked, 480);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Real chunks cut short are errors naming the filter and the chunk; with bytes flipped
/// they decode to the right size or fail, never panic.
#[test]
fn corrupt_zfp_chunks_are_errors_not_panics() {
    use jangada_hdf5::filters::decode_chunk_at;
    use jangada_hdf5::messages::filter_pipeline::FilterPipeline;
    use jangada_hdf5::Filter;

    let dir = common::scratch_dir("corrupt");
    let (_, records) = make(&dir);
    let mut errors = 0;
    for r in records.iter().step_by(3) {
        let name = r["name"].as_str().unwrap();
        let pipeline = FilterPipeline {
            filters: vec![Filter {
                id: 32013,
                name: None,
                flags: 1,
                client_data: u32s(&r["cd"]),
            }],
        };
        let raw = hex(r["raw"].as_str().unwrap());
        let elem = r["elem"].as_u64().unwrap() as usize;
        let nbytes = hex(r["input"].as_str().unwrap()).len();
        let at = r["offset"].as_u64().unwrap();
        let good = decode_chunk_at(&pipeline, 0, &raw, elem, nbytes, at).unwrap();
        assert_eq!(good.len(), nbytes, "{name}");
        for cut in [0, 1, raw.len() / 2, raw.len() - 1] {
            let e = decode_chunk_at(&pipeline, 0, &raw[..cut], elem, nbytes, at)
                .expect_err(&format!("{name} cut at {cut}"))
                .to_string();
            assert!(e.contains(&format!("offset {at}")), "{name}: {e}");
            assert!(e.contains("zfp"), "{name}: {e}");
            errors += 1;
        }
        for i in (0..raw.len()).step_by(raw.len() / 13 + 1) {
            let mut bad = raw.clone();
            bad[i] ^= 0xa5;
            if let Ok(v) = decode_chunk_at(&pipeline, 0, &bad, elem, nbytes, at) {
                assert_eq!(v.len(), nbytes, "{name}");
            }
        }
    }
    assert!(errors > 500, "{errors}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every mode we write.
fn modes() -> Vec<(&'static str, ZfpMode)> {
    vec![
        ("rate8", ZfpMode::Rate(8.0)),
        ("rate2_5", ZfpMode::Rate(2.5)),
        ("prec16", ZfpMode::Precision(16)),
        ("acc", ZfpMode::Accuracy(1e-2)),
        ("reversible", ZfpMode::Reversible),
        (
            "expert",
            ZfpMode::Expert {
                minbits: 32,
                maxbits: 900,
                maxprec: 40,
                minexp: -30,
            },
        ),
    ]
}

fn smooth(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (i as f64 / 9.0).sin() * 1e3 + i as f64)
        .collect()
}

fn noise(n: usize) -> Vec<i64> {
    let mut x = 88_172_645_463_325_252u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i64
        })
        .collect()
}

/// (name, shape, chunks).
const SHAPES: [(&str, &[usize], &[u64]); 5] = [
    ("1d", &[41], &[13]),
    ("2d", &[9, 11], &[6, 7]),
    ("3d", &[7, 6, 9], &[5, 6, 7]),
    ("4d", &[7, 6, 5, 3], &[5, 6, 5, 3]),
    ("4d_ones", &[3, 8, 1, 10], &[1, 8, 1, 10]),
];

fn apply(b: DatasetBuilder, mode: ZfpMode, chunks: &[u64]) -> DatasetBuilder {
    b.chunks(chunks).zfp(mode)
}

#[test]
fn files_we_write_read_back_exactly_in_h5py() {
    let dir = common::scratch_dir("write");
    let path = dir.join("ours.h5");
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        for (mname, mode) in modes() {
            let g = root.create_group(mname).unwrap();
            for (sname, shape, chunks) in SHAPES {
                let n: usize = shape.iter().product();
                let f8 = ArrayD::from_shape_vec(IxDyn(shape), smooth(n)).unwrap();
                let f4 = f8.mapv(|v| v as f32);
                let i8 = ArrayD::from_shape_vec(IxDyn(shape), noise(n)).unwrap();
                let i4 = i8.mapv(|v| (v >> 40) as i32);
                apply(g.new_dataset(&format!("f8_{sname}")), mode, chunks)
                    .write(&f8)
                    .unwrap();
                apply(g.new_dataset(&format!("f4_{sname}")), mode, chunks)
                    .write(&f4)
                    .unwrap();
                apply(g.new_dataset(&format!("i8_{sname}")), mode, chunks)
                    .write(&i8)
                    .unwrap();
                apply(g.new_dataset(&format!("i4_{sname}")), mode, chunks)
                    .write(&i4)
                    .unwrap();
            }
        }
        file.close().unwrap();
    }
    // Lossless: we read back exactly what we wrote.
    let file = File::open(&path).unwrap();
    for (sname, shape, _) in SHAPES {
        let n: usize = shape.iter().product();
        let a: ArrayD<f64> = file
            .dataset(&format!("reversible/f8_{sname}"))
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), smooth(n), "{sname}");
        let b: ArrayD<i64> = file
            .dataset(&format!("reversible/i8_{sname}"))
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), noise(n), "{sname}");
        // Fixed accuracy keeps its promise.
        let c: ArrayD<f64> = file
            .dataset(&format!("acc/f8_{sname}"))
            .unwrap()
            .read()
            .unwrap();
        for (x, y) in c.iter().zip(smooth(n)) {
            assert!((x - y).abs() <= 1e-2, "{sname}: {x} vs {y}");
        }
    }
    drop(file);
    // h5py + hdf5plugin read what we read.
    common::assert_same_as_h5py(&path);
    let check = r#"
import sys
import h5py, hdf5plugin, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    for s, shape in (("1d", (41,)), ("2d", (9, 11)), ("3d", (7, 6, 9)), ("4d", (7, 6, 5, 3)), ("4d_ones", (3, 8, 1, 10))):
        n = int(np.prod(shape))
        i = np.arange(n)
        smooth = (np.sin(i / 9.0) * 1e3 + i).reshape(shape)
        assert np.array_equal(f["reversible/f8_" + s][...], smooth), s
        assert np.array_equal(f["reversible/f4_" + s][...], smooth.astype("<f4")), s
    # The client data are the ones H5Z-ZFP itself stores for the same dataset.
    ref = h5py.File("ref.h5", "w", driver="core", backing_store=False)
    for m, opts in (("rate8", hdf5plugin.Zfp(rate=8)), ("prec16", hdf5plugin.Zfp(precision=16)),
                    ("acc", hdf5plugin.Zfp(accuracy=1e-2)), ("reversible", hdf5plugin.Zfp(reversible=True)),
                    ("expert", hdf5plugin.Zfp(minbits=32, maxbits=900, maxprec=40, minexp=-30))):
        for name, ds in f[m].items():
            r = ref.create_dataset(m + name, shape=ds.shape, dtype=ds.dtype, chunks=ds.chunks, **opts)
            ours = ds.id.get_create_plist().get_filter(0)[:3]
            theirs = r.id.get_create_plist().get_filter(0)[:3]
            # H5Z-ZFP leaves the last byte of a 19-byte header's last value uninitialised.
            mask = 0xffffff if len(theirs[2]) == 6 else 0xffffffff
            same = ours[2][:-1] == theirs[2][:-1] and ours[2][-1] & mask == theirs[2][-1] & mask
            assert ours[:2] == theirs[:2] and same, (m, name, ours, theirs)
print("ok")
"#;
    let out = run_python(check, &[path.to_str().unwrap()]).unwrap();
    assert_eq!(out, "ok\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
