//! Third-party filters (issue 14): LZF (h5py's), and from hdf5plugin LZ4, Zstandard,
//! Bitshuffle (plain, +LZ4, +Zstd) and BZip2, with their options, alone and with shuffle/Fletcher-32.
//!
//! h5py + hdf5plugin write files at test time; we must read them exactly as h5py with
//! hdf5plugin loaded reads them (dumplib's dump). Then we write each filter ourselves, and
//! h5py + hdf5plugin must read our files exactly (the same dump, and the values we wrote).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run_python;
use jangada_hdf5::{BitshuffleMode, DatasetBuilder, File};
use ndarray::{ArrayD, IxDyn};

const MAKE: &str = r#"
import sys
import h5py, hdf5plugin, numpy as np

rng = np.random.default_rng(14)
FILTERS = {
    "lzf": dict(compression="lzf"),
    "lz4": hdf5plugin.LZ4(),
    "lz4_blocks64": hdf5plugin.LZ4(nbytes=64),
    "lz4_blocks1000": hdf5plugin.LZ4(nbytes=1000),
    "zstd1": hdf5plugin.Zstd(clevel=1),
    "zstd9": hdf5plugin.Zstd(clevel=9),
    "zstd22": hdf5plugin.Zstd(clevel=22),
    "bs": hdf5plugin.Bitshuffle(cname="none"),
    "bs16": hdf5plugin.Bitshuffle(nelems=16, cname="none"),
    "bslz4": hdf5plugin.Bitshuffle(),
    "bslz4_64": hdf5plugin.Bitshuffle(nelems=64),
    "bszstd": hdf5plugin.Bitshuffle(cname="zstd"),
    "bszstd_8_9": hdf5plugin.Bitshuffle(nelems=8, cname="zstd", clevel=9),
    "bzip2": hdf5plugin.BZip2(),
    "bzip2_1": hdf5plugin.BZip2(blocksize=1),
}
DATA = {
    # (shape, chunks, dtype)
    "i4": ((1003,), (100,), "<i4"),
    "f8": ((37, 23), (8, 5), "<f8"),
    "u2big": ((20000,), (5000,), "<u2"),
    "u1": ((333,), (77,), "u1"),
    "i8be": ((301,), (64,), ">i8"),
}

def values(shape, dtype, kind):
    n = int(np.prod(shape))
    if kind == "smooth":
        v = np.sin(np.arange(n) / 50.0) * 1000
    else:
        v = rng.normal(0, 1e6, n)
    return v.reshape(shape).astype(dtype) if np.dtype(dtype).kind == "f" else \
        (v.reshape(shape) % np.iinfo(dtype).max).astype(dtype)

path = sys.argv[1]
with h5py.File(path, "w") as f:
    for fname, opts in FILTERS.items():
        g = f.create_group(fname)
        for dname, (shape, chunks, dtype) in DATA.items():
            for kind in ("smooth", "noise"):
                g.create_dataset(dname + "_" + kind, data=values(shape, dtype, kind),
                                 chunks=chunks, **opts)
        # With shuffle and Fletcher-32 around the plugin filter.
        g.create_dataset("i4_shuffle_fletcher", data=values((1003,), "<i4", "smooth"),
                         chunks=(100,), shuffle=True, fletcher32=True, **opts)
        # Partly written: unwritten chunks read as the fill value.
        d = g.create_dataset("sparse", shape=(1000,), chunks=(100,), dtype="<f4",
                             fillvalue=-1.5, **opts)
        d[250:420] = np.arange(170, dtype="<f4")
"#;

#[test]
fn files_from_hdf5plugin_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read");
    let path = dir.join("plugins.h5");
    run_python(MAKE, &[path.to_str().unwrap()]).unwrap();
    // Every dataset opens with its plugin filter and reads.
    let file = File::open(&path).unwrap();
    let d = file.dataset("bszstd_8_9/f8_noise").unwrap();
    assert_eq!(d.filters()[0].id, 32008);
    common::assert_same_as_h5py(&path);
    // An incompressible LZF chunk was stored unfiltered (mask bit 0): still read.
    let noise: ArrayD<i32> = file.dataset("lzf/i4_noise").unwrap().read().unwrap();
    assert_eq!(noise.len(), 1003);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Adds a filter configuration to a dataset builder.
type Configure = fn(DatasetBuilder) -> DatasetBuilder;

/// Every filter configuration we write.
fn configurations() -> Vec<(&'static str, Configure)> {
    vec![
        ("lzf", |b| b.lzf()),
        ("lz4", |b| b.lz4()),
        ("lz4_blocks100", |b| b.filter(32004, &[100])),
        ("zstd3", |b| b.zstd(3)),
        ("bs", |b| b.bitshuffle(BitshuffleMode::None)),
        ("bslz4", |b| b.bitshuffle(BitshuffleMode::Lz4)),
        ("bszstd", |b| b.bitshuffle(BitshuffleMode::Zstd(5))),
        ("bslz4_blocks32", |b| b.filter(32008, &[32, 2])),
        ("lz4_shuffle_fletcher", |b| b.lz4().shuffle().fletcher32()),
        ("zstd_deflate", |b| b.zstd(1).deflate(1)),
        ("bzip2", |b| b.bzip2(9)),
        ("bzip2_1_shuffle", |b| b.shuffle().bzip2(1)),
    ]
}

fn smooth(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 / 40.0).sin() * 1e3).collect()
}

fn noise(n: usize) -> Vec<i32> {
    let mut x = 88_172_645_463_325_252u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i32
        })
        .collect()
}

#[test]
fn files_we_write_read_back_exactly_in_h5py() {
    let dir = common::scratch_dir("write");
    let path = dir.join("ours.h5");
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        for (name, apply) in configurations() {
            let g = root.create_group(name).unwrap();
            let a = ArrayD::from_shape_vec(IxDyn(&[37, 23]), smooth(37 * 23)).unwrap();
            apply(g.new_dataset("f8").chunks(&[8, 5]))
                .write(&a)
                .unwrap();
            let b = ArrayD::from_shape_vec(IxDyn(&[5003]), noise(5003)).unwrap();
            apply(g.new_dataset("i4_noise").chunks(&[1000]))
                .write(&b)
                .unwrap();
            let c = ArrayD::from_shape_vec(IxDyn(&[777]), (0..777u16).collect()).unwrap();
            apply(g.new_dataset("u2").chunks(&[300])).write(&c).unwrap();
            // A default chunk shape, a resizable dataset appended to.
            let d = ArrayD::from_shape_vec(IxDyn(&[1000]), smooth(1000)).unwrap();
            let ds = apply(g.new_dataset("appended").maxshape(&[None]))
                .write(&d)
                .unwrap();
            ds.append(&d).unwrap();
        }
        file.close().unwrap();
    }
    // We read back what we wrote.
    let file = File::open(&path).unwrap();
    for (name, _) in configurations() {
        let a: ArrayD<f64> = file.dataset(&format!("{name}/f8")).unwrap().read().unwrap();
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            smooth(37 * 23),
            "{name}"
        );
        let b: ArrayD<i32> = file
            .dataset(&format!("{name}/i4_noise"))
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), noise(5003), "{name}");
    }
    drop(file);
    // h5py + hdf5plugin read the same, and the values we wrote.
    common::assert_same_as_h5py(&path);
    let check = r#"
import sys
import h5py, hdf5plugin, numpy as np
names = sys.argv[2].split(",")
with h5py.File(sys.argv[1], "r") as f:
    smooth = np.sin(np.arange(37 * 23) / 40.0) * 1e3
    for n in names:
        assert np.array_equal(f[n + "/f8"][...].ravel(), smooth), n
        assert np.array_equal(f[n + "/u2"][...], np.arange(777, dtype="<u2")), n
        app = f[n + "/appended"][...]
        assert app.shape == (2000,), n
        assert np.array_equal(app[:1000], app[1000:]), n
print("ok")
"#;
    let names: Vec<&str> = configurations().iter().map(|c| c.0).collect();
    let out = run_python(check, &[path.to_str().unwrap(), &names.join(",")]).unwrap();
    assert_eq!(out.trim(), "ok");
    // The filters as hdf5plugin records them.
    let props = r#"
import sys, h5py, hdf5plugin
with h5py.File(sys.argv[1], "r") as f:
    for n in sys.argv[2].split(","):
        pl = f[n + "/u2"].id.get_create_plist()
        print(n, [pl.get_filter(i)[:3] for i in range(pl.get_nfilters())])
"#;
    let out = run_python(props, &[path.to_str().unwrap(), &names.join(",")]).unwrap();
    let expect = [
        "lzf [(32000, 1, (4, 261, 600))]",
        "lz4 [(32004, 1, (0,))]",
        "zstd3 [(32015, 1, (3,))]",
        "bslz4 [(32008, 1, (0, 4, 2, 0, 2))]",
        "bszstd [(32008, 1, (0, 4, 2, 0, 3, 5))]",
        "lz4_shuffle_fletcher [(2, 1, (2,)), (32004, 1, (0,)), (3, 0, ())]",
    ];
    for e in expect {
        assert!(out.lines().any(|l| l == e), "{e} not in\n{out}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const RAW_CHUNKS: &str = r#"
import sys, json
import h5py, hdf5plugin, numpy as np

out = []
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or not name.endswith(("i4_smooth", "f8_noise", "u2big_smooth", "i4_shuffle_fletcher")):
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

/// Real chunks hdf5plugin wrote decode to the chunk; cut short or with bytes flipped they
/// give an error naming the filter and the chunk's offset (or, flipped, possibly other
/// values of the right size: LZ4 and LZF have no checksum), never a panic or more bytes.
#[test]
fn corrupt_plugin_chunks_are_errors_not_panics() {
    use jangada_hdf5::filters::decode_chunk_at;

    let dir = common::scratch_dir("corrupt");
    let path = dir.join("plugins.h5");
    run_python(MAKE, &[path.to_str().unwrap()]).unwrap();
    let out = run_python(RAW_CHUNKS, &[path.to_str().unwrap()]).unwrap();
    let chunks = common::raw_chunks(&out);
    assert!(chunks.len() >= 13 * 4, "{}", chunks.len());
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
        let filter_names = ["lzf", "lz4", "zstd", "bitshuffle", "bzip2", "fletcher32"];
        for cut in [0, 1, 5, 12, raw.len() / 2, raw.len() - 1] {
            let e = decode_chunk_at(&pipeline, mask, &raw[..cut], elem, nbytes, at)
                .expect_err(&format!("{name} cut at {cut}"))
                .to_string();
            assert!(e.contains(&format!("offset {at}")), "{name}: {e}");
            assert!(
                filter_names.iter().any(|n| e.contains(n)),
                "{name}: the error names no filter: {e}"
            );
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
    assert!(errors > 100);
    std::fs::remove_dir_all(&dir).unwrap();
}
