//! Blosc (filter 32001, issue 14): files h5py + hdf5plugin's `Blosc` write for every codec
//! (blosclz, lz4, lz4hc, zlib, zstd) x shuffle (none, byte, bit) x level (0, 1, 5, 9), over
//! several datatypes and shapes with partial edge chunks and 1 MiB chunks; PyTables'
//! `blosc:*` complibs and pandas' `HDFStore(complib='blosc:zstd')`. We must read them as
//! h5py with hdf5plugin reads them. Then our encoder for each combination, read back by
//! h5py + hdf5plugin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run_python;
use jangada_hdf5::{BloscCodec, BloscShuffle, DatasetBuilder, File};
use ndarray::{ArrayD, IxDyn};

const MAKE: &str = r#"
import sys
import h5py, hdf5plugin, numpy as np

rng = np.random.default_rng(32001)
CNAMES = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]
SHUFFLES = {"noshuf": hdf5plugin.Blosc.NOSHUFFLE, "shuf": hdf5plugin.Blosc.SHUFFLE,
            "bitshuf": hdf5plugin.Blosc.BITSHUFFLE}
comp = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "u1")])
DATA = {
    # name: (shape, chunks, dtype)
    "u1": ((3001,), (1000,), "u1"),
    "i2le": ((40, 70), (16, 32), "<i2"),
    "i4le": ((5003,), (1024,), "<i4"),
    "i4be": ((5003,), (1024,), ">i4"),
    "f4": ((17, 19, 23), (8, 8, 8), "<f4"),
    "f8": ((2000,), (700,), "<f8"),
    "small": ((30,), (30,), "<i4"),
    "compound": ((1001,), (300,), comp),
}

def values(shape, dtype, noisy):
    n = int(np.prod(shape))
    v = np.sin(np.arange(n) / 37.0) * 3000
    if noisy:
        v = v + rng.normal(0, 50, n)
    dt = np.dtype(dtype)
    if dt.names:
        out = np.zeros(n, dt)
        out["a"] = v.astype("i4")
        out["b"] = v / 7
        out["c"] = (np.arange(n) % 7).astype("u1")
        return out.reshape(shape)
    if dt.kind == "f":
        return v.reshape(shape).astype(dt)
    return (v.reshape(shape) % np.iinfo(dt).max).astype(dt)

path, big = sys.argv[1], sys.argv[2]
with h5py.File(path, "w") as f:
    for cname in CNAMES:
        for sname, shuffle in SHUFFLES.items():
            for clevel in (0, 1, 5, 9):
                g = f.create_group(f"{cname}_{sname}_{clevel}")
                opts = hdf5plugin.Blosc(cname=cname, clevel=clevel, shuffle=shuffle)
                for dname, (shape, chunks, dtype) in DATA.items():
                    g.create_dataset(dname, data=values(shape, dtype, dname == "f8"),
                                     chunks=chunks, compression=opts)
                d = g.create_dataset("sparse", shape=(1000,), chunks=(256,), dtype="<f4",
                                     fillvalue=-2.5, compression=opts)
                d[300:555] = np.arange(255, dtype="<f4")
# Chunks of 1 MiB (larger than any blosc block) and a partial last chunk; the values also
# as raw bytes for a direct comparison.
with h5py.File(big, "w") as f:
    v = (np.sin(np.arange(700_000) / 300.0) * 1e5 + rng.normal(0, 3, 700_000)).astype("<f4")
    v.tofile(big + ".f4")
    w = (np.arange(300_000) // 3).astype("<i8")
    w.tofile(big + ".i8")
    for cname in CNAMES:
        for sname, shuffle in SHUFFLES.items():
            for clevel in (1, 9):
                opts = hdf5plugin.Blosc(cname=cname, clevel=clevel, shuffle=shuffle)
                f.create_dataset(f"{cname}_{sname}_{clevel}_f4", data=v, chunks=(262_144,),
                                 compression=opts)
                f.create_dataset(f"{cname}_{sname}_{clevel}_i8", data=w, chunks=(131_072,),
                                 compression=opts)
"#;

#[test]
fn files_from_hdf5plugin_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read");
    let path = dir.join("blosc.h5");
    let big = dir.join("big.h5");
    run_python(MAKE, &[path.to_str().unwrap(), big.to_str().unwrap()]).unwrap();
    let file = File::open(&path).unwrap();
    let d = file.dataset("zstd_bitshuf_9/f8").unwrap();
    assert_eq!(d.filters()[0].id, 32001);
    assert_eq!(d.filters()[0].client_data, [2, 2, 8, 5600, 9, 2, 5]);
    drop(file);
    common::assert_same_as_h5py(&path);

    // The 1 MiB chunks, against the raw values.
    let f4: Vec<f32> = std::fs::read(dir.join("big.h5.f4"))
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let i8s: Vec<i64> = std::fs::read(dir.join("big.h5.i8"))
        .unwrap()
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let file = File::open(&big).unwrap();
    let mut n = 0;
    for cname in ["blosclz", "lz4", "lz4hc", "zlib", "zstd"] {
        for shuffle in ["noshuf", "shuf", "bitshuf"] {
            for clevel in [1, 9] {
                let name = format!("{cname}_{shuffle}_{clevel}");
                let a: ArrayD<f32> = file.dataset(&format!("{name}_f4")).unwrap().read().unwrap();
                assert!(a.iter().eq(f4.iter()), "{name}_f4");
                let b: ArrayD<i64> = file.dataset(&format!("{name}_i8")).unwrap().read().unwrap();
                assert!(b.iter().eq(i8s.iter()), "{name}_i8");
                n += 2;
            }
        }
    }
    assert_eq!(n, 60);
    std::fs::remove_dir_all(&dir).unwrap();
}

const PYTABLES: &str = r#"
import sys
import numpy as np, tables, pandas as pd

path, store = sys.argv[1], sys.argv[2]
with tables.open_file(path, "w") as h:
    for lib in ["blosc:blosclz", "blosc:lz4", "blosc:lz4hc", "blosc:zlib", "blosc:zstd", "blosc"]:
        for level, shuffle, bitshuffle in [(1, False, False), (5, True, False), (9, False, True)]:
            filters = tables.Filters(complib=lib, complevel=level, shuffle=shuffle,
                                     bitshuffle=bitshuffle)
            name = lib.replace(":", "_") + f"_{level}"
            a = np.sin(np.arange(20_000) / 50.0) * 1000
            h.create_carray("/", name + "_f8", obj=a, filters=filters, chunkshape=(3000,))
            h.create_carray("/", name + "_i2", obj=(a % 30000).astype(">i2").reshape(100, 200),
                            filters=filters, chunkshape=(33, 50))
            rows = np.zeros(5000, dtype=[("x", "<i4"), ("y", "<f8"), ("s", "S5")])
            rows["x"] = np.arange(5000) // 4
            rows["y"] = a[:5000]
            rows["s"] = [b"r%d" % (i % 100) for i in range(5000)]
            h.create_table("/", name + "_table", obj=rows, filters=filters)
df = pd.DataFrame({"a": np.arange(10_000) // 7, "b": np.cos(np.arange(10_000) / 9.0),
                   "c": ["x%d" % (i % 13) for i in range(10_000)]})
df.to_hdf(store, key="df", complib="blosc:zstd", complevel=5, format="table")
df.to_hdf(store, key="fixed", complib="blosc:lz4", complevel=9, format="fixed")
"#;

#[test]
fn files_from_pytables_and_pandas_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("pytables");
    let path = dir.join("pytables.h5");
    let store = dir.join("pandas.h5");
    run_python(PYTABLES, &[path.to_str().unwrap(), store.to_str().unwrap()]).unwrap();
    let file = File::open(&path).unwrap();
    let d = file.dataset("blosc_zstd_9_f8").unwrap();
    assert_eq!(d.filters()[0].id, 32001);
    drop(file);
    common::assert_same_as_h5py(&path);
    common::assert_same_as_h5py(&store);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Snappy frames (hdf5plugin's `Blosc(cname="snappy")`) read as h5py reads them, and ours
/// read back in h5py.
#[test]
fn snappy_both_ways() {
    let dir = common::scratch_dir("snappy");
    let path = dir.join("snappy.h5");
    let script = r#"
import sys, h5py, hdf5plugin, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("a", data=np.arange(100_000, dtype="<i4"), chunks=(50_000,),
                     compression=hdf5plugin.Blosc(cname="snappy"))
"#;
    run_python(script, &[path.to_str().unwrap()]).unwrap();
    let file = File::open(&path).unwrap();
    let a: ArrayD<i32> = file.dataset("a").unwrap().read().unwrap();
    assert_eq!(
        a.iter().copied().collect::<Vec<_>>(),
        (0..100_000).collect::<Vec<i32>>()
    );
    common::assert_same_as_h5py(&path);
    // Ours, every shuffle: h5py + hdf5plugin reads what we wrote.
    let ours = dir.join("ours.h5");
    {
        let f = File::create_truncate(&ours).unwrap();
        let root = f.root().unwrap();
        for (shuffle, name) in SHUFFLES {
            root.new_dataset(name)
                .chunks(&[1000])
                .blosc(BloscCodec::Snappy, 5, shuffle)
                .write(&ArrayD::from_shape_vec(IxDyn(&[5003]), smooth(5003)).unwrap())
                .unwrap();
        }
        f.close().unwrap();
    }
    common::assert_same_as_h5py(&ours);
    std::fs::remove_dir_all(&dir).unwrap();
}

const CODECS: [(BloscCodec, &str); 5] = [
    (BloscCodec::BloscLz, "blosclz"),
    (BloscCodec::Lz4, "lz4"),
    (BloscCodec::Lz4Hc, "lz4hc"),
    (BloscCodec::Zlib, "zlib"),
    (BloscCodec::Zstd, "zstd"),
];
const SHUFFLES: [(BloscShuffle, &str); 3] = [
    (BloscShuffle::None, "noshuf"),
    (BloscShuffle::Byte, "shuf"),
    (BloscShuffle::Bit, "bitshuf"),
];

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

fn write_all(g: &jangada_hdf5::Group, b: impl Fn(DatasetBuilder) -> DatasetBuilder) {
    let a = ArrayD::from_shape_vec(IxDyn(&[37, 23]), smooth(37 * 23)).unwrap();
    b(g.new_dataset("f8").chunks(&[16, 20])).write(&a).unwrap();
    let n = ArrayD::from_shape_vec(IxDyn(&[5003]), noise(5003)).unwrap();
    b(g.new_dataset("i4_noise").chunks(&[1000]))
        .write(&n)
        .unwrap();
    let c = ArrayD::from_shape_vec(IxDyn(&[7777]), (0..7777u16).map(|i| i / 9).collect()).unwrap();
    b(g.new_dataset("u2").chunks(&[3000])).write(&c).unwrap();
    let d = ArrayD::from_shape_vec(
        IxDyn(&[2001]),
        (0..2001u32).map(|i| (i % 251) as u8).collect(),
    )
    .unwrap();
    b(g.new_dataset("u1").chunks(&[600])).write(&d).unwrap();
    let e = ArrayD::from_shape_vec(IxDyn(&[5]), vec![1i64, 2, 3, 4, 5]).unwrap();
    b(g.new_dataset("tiny").chunks(&[5])).write(&e).unwrap();
}

/// Our encoder for every codec x shuffle x level: h5py + hdf5plugin read back the values.
#[test]
fn files_we_write_read_back_exactly_in_h5py() {
    let dir = common::scratch_dir("write");
    let path = dir.join("ours.h5");
    let mut names = Vec::new();
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        for (codec, cname) in CODECS {
            for (shuffle, sname) in SHUFFLES {
                for clevel in [0u8, 1, 5, 9] {
                    let name = format!("{cname}_{sname}_{clevel}");
                    let g = root.create_group(&name).unwrap();
                    write_all(&g, |b| b.blosc(codec, clevel, shuffle));
                    names.push(name);
                }
            }
        }
        // 1 MiB chunks, several blocks each, a partial last chunk.
        let big: Vec<f64> = (0..400_000).map(|i| ((i / 5) as f64).sqrt()).collect();
        let a = ArrayD::from_shape_vec(IxDyn(&[400_000]), big).unwrap();
        for (codec, cname) in CODECS {
            for (shuffle, sname) in SHUFFLES {
                root.new_dataset(&format!("big_{cname}_{sname}"))
                    .chunks(&[131_072])
                    .blosc(codec, 5, shuffle)
                    .write(&a)
                    .unwrap();
            }
        }
        file.close().unwrap();
    }
    // We read back what we wrote.
    let file = File::open(&path).unwrap();
    for name in &names {
        let a: ArrayD<f64> = file.dataset(&format!("{name}/f8")).unwrap().read().unwrap();
        assert!(a.iter().copied().eq(smooth(37 * 23)), "{name}");
        let b: ArrayD<i32> = file
            .dataset(&format!("{name}/i4_noise"))
            .unwrap()
            .read()
            .unwrap();
        assert!(b.iter().copied().eq(noise(5003)), "{name}");
    }
    drop(file);
    common::assert_same_as_h5py(&path);
    let check = r#"
import sys
import h5py, hdf5plugin, numpy as np
names = sys.argv[2].split(",")
cnames = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]
codes = dict(zip(cnames, range(6)))
codes["zlib"], codes["zstd"] = 4, 5
with h5py.File(sys.argv[1], "r") as f:
    smooth = np.sin(np.arange(37 * 23) / 40.0) * 1e3
    x, noise = 88172645463325252, []
    m = (1 << 64) - 1
    for _ in range(5003):
        x ^= (x << 13) & m; x ^= x >> 7; x ^= (x << 17) & m
        v = x & 0xffffffff
        noise.append(v - (1 << 32) if v >= 1 << 31 else v)
    noise = np.array(noise, dtype="<i4")
    for n in names:
        cname, sname, clevel = n.split("_")
        assert np.array_equal(f[n + "/f8"][...].ravel(), smooth), n
        assert np.array_equal(f[n + "/i4_noise"][...], noise), n
        assert np.array_equal(f[n + "/u2"][...], np.arange(7777, dtype="<u2") // 9), n
        assert np.array_equal(f[n + "/u1"][...], (np.arange(2001) % 251).astype("u1")), n
        assert np.array_equal(f[n + "/tiny"][...], np.arange(1, 6)), n
        pl = f[n + "/f8"].id.get_create_plist()
        shuffle = ["noshuf", "shuf", "bitshuf"].index(sname)
        assert pl.get_filter(0)[:3] == (32001, 1, (2, 2, 8, 2560, int(clevel), shuffle, codes[cname])), (n, pl.get_filter(0))
        # Level 0 and the tiny chunk: stored unfiltered (mask bit 0), as hdf5-blosc does.
        tiny = f[n + "/tiny"].id.get_chunk_info(0)
        assert tiny.filter_mask == 1, n
        # Level 0: every chunk stored unfiltered; u2 (runs of 9) compresses at every level.
        info = f[n + "/f8"].id.get_chunk_info(0)
        assert clevel != "0" or info.filter_mask == 1, (n, info)
        info = f[n + "/u2"].id.get_chunk_info(0)
        assert info.filter_mask == (1 if clevel == "0" else 0), (n, info)
    big = np.sqrt((np.arange(400_000) // 5).astype("f8"))
    for cname in cnames:
        for sname in ["noshuf", "shuf", "bitshuf"]:
            d = f[f"big_{cname}_{sname}"]
            assert np.array_equal(d[...], big), (cname, sname)
            info = d.id.get_chunk_info(0)
            assert info.filter_mask == 0 and info.size < 1 << 20, (cname, sname, info)
print("ok")
"#;
    let out = run_python(check, &[path.to_str().unwrap(), &names.join(",")]).unwrap();
    assert_eq!(out.trim(), "ok");
    std::fs::remove_dir_all(&dir).unwrap();
}

const BLOSC2_STREAMS: &str = r#"
import sys, json
import blosc2, numpy as np

rng = np.random.default_rng(2)
noise = rng.integers(0, 256, 30_000, dtype="u1").tobytes()
kinds = {
    "runs": np.repeat(np.arange(2000) % 251, 37).astype("u1").tobytes(),
    "text": b"blosclz is derived from fastlz, a lightning-fast lz77 " * 1500,
    "far": noise[:20_000] + noise[:20_000] + noise[:30_000] + noise[:20_000],
    "steps": np.repeat((np.sin(np.arange(4000) / 30.0) * 1000).astype("<i4"), 5).tobytes(),
}
out = []
for name, data in kinds.items():
    for clevel in range(1, 10):
        c = blosc2.compress2(data, codec=blosc2.Codec.BLOSCLZ, clevel=clevel, typesize=1,
                             filters=[blosc2.Filter.NOFILTER],
                             splitmode=blosc2.SplitMode.NEVER_SPLIT, blocksize=len(data))
        out.append(dict(name=f"{name}_{clevel}", data=data.hex(), chunk=c.hex()))
print(json.dumps(out))
"#;

/// BloscLZ streams c-blosc2 (python-blosc2) writes decode with our BloscLZ (the Blosc2
/// filter uses it). Each chunk is one block, one stream, no filter.
#[test]
fn blosclz_streams_from_c_blosc2() {
    use jangada_hdf5::filters::blosclz;
    let out = run_python(BLOSC2_STREAMS, &[]).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&out).unwrap();
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let le = |b: &[u8], at: usize| i32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let mut decoded = 0;
    for c in cases.as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let data = hex(c["data"].as_str().unwrap());
        let chunk = hex(c["chunk"].as_str().unwrap());
        assert!(chunk[0] >= 3, "{name}: a Blosc2 chunk");
        let memcpyed = chunk[2] & 0x02 != 0 && chunk[2] & 0x05 != 0x05;
        if memcpyed || chunk[2] & 0x07 == 0x07 || (chunk[31] >> 4) & 7 != 0 {
            continue;
        }
        assert_eq!(le(&chunk, 4) as usize, data.len(), "{name}");
        let start = le(&chunk, 32) as usize;
        let size = le(&chunk, start);
        if size <= 0 || size as usize == data.len() {
            continue;
        }
        let stream = &chunk[start + 4..start + 4 + size as usize];
        let mut got = vec![0u8; data.len()];
        assert_eq!(
            blosclz::decompress(stream, &mut got),
            Some(data.len()),
            "{name}"
        );
        assert!(got == data, "{name}");
        decoded += 1;
    }
    assert!(decoded >= 20, "{decoded}");
}
