//! The Blosc2 filter (32026, issue 14): files hdf5plugin's `Blosc2(cname, clevel, filters)`,
//! PyTables' `blosc2:*` complibs and pandas' `HDFStore(complib="blosc2:lz4")` write must read
//! as h5py with hdf5plugin loaded reads them (dumplib's dump); files we write with every
//! codec, filter and level must read back exactly in h5py + hdf5plugin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run_python;
use jangada_hdf5::{Blosc2Codec, Blosc2Filter, DatasetBuilder, File};
use ndarray::{ArrayD, IxDyn};

/// Makes `argv[1]` with hdf5plugin: one group per cname x filters x clevel (cnames from
/// `argv[2]`), each with 1-D, 2-D and 3-D chunks (b2nd for rank > 1), partial edge chunks,
/// zeros-only chunks, a partly written dataset and a large chunk of many blocks.
const MAKE: &str = r#"
import sys
import h5py, hdf5plugin, numpy as np

rng = np.random.default_rng(26)
B = hdf5plugin.Blosc2
DATA = {
    # (shape, chunks, dtype, kind)
    "i4": ((1003,), (100,), "<i4", "smooth"),
    "f8_2d": ((37, 23), (8, 5), "<f8", "noise"),
    "f4_3d": ((10, 11, 12), (4, 5, 6), "<f4", "smooth"),
    "u1": ((333,), (77,), "u1", "noise"),
    "i2be": ((301,), (64,), ">i2", "smooth"),
    "zeros": ((1000,), (500,), "<i8", "zeros"),
    "c16": ((50, 3), (20, 3), "<c16", "smooth"),
    "big": ((90000,), (60000,), "<f8", "smooth"),
    "big_2d": ((300, 400), (200, 300), "<u2", "smooth"),
}

def values(shape, dtype, kind):
    n = int(np.prod(shape))
    if kind == "zeros":
        return np.zeros(shape, dtype)
    v = np.sin(np.arange(n) / 50.0) * 1000 if kind == "smooth" else rng.normal(0, 1e6, n)
    dt = np.dtype(dtype)
    if dt.kind in "fc":
        return v.reshape(shape).astype(dtype)
    return (v.reshape(shape) % np.iinfo(dt).max).astype(dtype)

path = sys.argv[1]
with h5py.File(path, "w") as f:
    for cname in sys.argv[2].split(","):
        for filt in (B.NOFILTER, B.SHUFFLE, B.BITSHUFFLE, B.DELTA, B.TRUNC_PREC):
            for clevel in (0, 5, 9):
                if filt >= B.DELTA and clevel != 5:
                    continue
                g = f.create_group(f"{cname}_{filt}_{clevel}")
                opts = B(cname=cname, clevel=clevel, filters=filt)
                for name, (shape, chunks, dtype, kind) in DATA.items():
                    if name.startswith("big") and clevel == 0:
                        continue
                    g.create_dataset(name, data=values(shape, dtype, kind), chunks=chunks,
                                     compression=opts)
                d = g.create_dataset("sparse", shape=(1000,), chunks=(100,), dtype="<f4",
                                     fillvalue=-1.5, compression=opts)
                d[250:420] = np.arange(170, dtype="<f4")
                g.create_dataset("i4_shuffle_fletcher", data=values((1003,), "<i4", "smooth"),
                                 chunks=(100,), shuffle=True, fletcher32=True, compression=opts)
"#;

const CNAMES: &str = "lz4,lz4hc,zlib,zstd";

#[test]
fn files_from_hdf5plugin_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read");
    let path = dir.join("blosc2.h5");
    run_python(MAKE, &[path.to_str().unwrap(), CNAMES]).unwrap();
    let file = File::open(&path).unwrap();
    let d = file.dataset("zstd_2_9/f8_2d").unwrap();
    assert_eq!(d.filters()[0].id, 32026);
    let a: ArrayD<f32> = file.dataset("lz4_1_5/f4_3d").unwrap().read().unwrap();
    let want: Vec<f32> = (0..1320)
        .map(|i| ((i as f64 / 50.0).sin() * 1000.0) as f32)
        .collect();
    assert_eq!(a.iter().copied().collect::<Vec<_>>(), want);
    drop(file);
    common::assert_same_as_h5py(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn blosclz_files_from_hdf5plugin_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("read-blosclz");
    let path = dir.join("blosc2.h5");
    run_python(MAKE, &[path.to_str().unwrap(), "blosclz"]).unwrap();
    common::assert_same_as_h5py(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// PyTables (carray, earray, table) and pandas write Blosc2 through their own copy of
/// hdf5-blosc2, with a block size in client data 1.
const TABLES: &str = r#"
import sys
import numpy as np, tables, pandas as pd

path = sys.argv[1]
with tables.open_file(path, "w") as t:
    for lib in sys.argv[2].split(","):
        g = t.create_group("/", lib.replace(":", "_"))
        for level in (0, 5, 9):
            flt = tables.Filters(complib=lib, complevel=level, shuffle=level != 9,
                                 bitshuffle=level == 9)
            t.create_carray(g, f"c2d_{level}", obj=np.arange(10000, dtype="<i4").reshape(100, 100),
                            filters=flt, chunkshape=(30, 40))
            t.create_carray(g, f"f8_{level}", obj=np.sin(np.arange(20000) / 9.0), filters=flt,
                            chunkshape=(3000,))
            e = t.create_earray(g, f"e_{level}", atom=tables.Int16Atom(), shape=(0, 7),
                                filters=flt, chunkshape=(64, 7))
            e.append(np.arange(7 * 500, dtype="<i2").reshape(500, 7))
            rows = np.array([(i, i * 1.5, b"r%d" % i) for i in range(2000)],
                            dtype=[("a", "<i4"), ("b", "<f8"), ("s", "S6")])
            t.create_table(g, f"tab_{level}", obj=rows, filters=flt)
if sys.argv[3] == "pandas":
    df = pd.DataFrame({"x": np.arange(5000), "y": np.cos(np.arange(5000) / 7.0),
                       "s": ["v%d" % (i % 13) for i in range(5000)]})
    df.to_hdf(path, key="df_table", mode="a", format="table", complib="blosc2:lz4",
              complevel=5)
    df[["x", "y"]].to_hdf(path, key="df_fixed", mode="a", format="fixed",
                          complib="blosc2:zstd", complevel=9)
"#;

#[test]
fn files_from_pytables_and_pandas_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("tables");
    let path = dir.join("tables.h5");
    run_python(
        TABLES,
        &[
            path.to_str().unwrap(),
            "blosc2:lz4,blosc2:lz4hc,blosc2:zlib,blosc2:zstd",
            "pandas",
        ],
    )
    .unwrap();
    let file = File::open(&path).unwrap();
    let a: ArrayD<i32> = file.dataset("blosc2_zstd/c2d_5").unwrap().read().unwrap();
    assert_eq!(
        a.iter().copied().collect::<Vec<_>>(),
        (0..10000).collect::<Vec<_>>()
    );
    drop(file);
    common::assert_same_as_h5py(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn blosclz_files_from_pytables_read_as_h5py_reads_them() {
    let dir = common::scratch_dir("tables-blosclz");
    let path = dir.join("tables.h5");
    run_python(
        TABLES,
        &[path.to_str().unwrap(), "blosc2,blosc2:blosclz", "no"],
    )
    .unwrap();
    common::assert_same_as_h5py(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}

const CODECS: [(&str, Blosc2Codec); 4] = [
    ("lz4", Blosc2Codec::Lz4),
    ("lz4hc", Blosc2Codec::Lz4Hc),
    ("zlib", Blosc2Codec::Zlib),
    ("zstd", Blosc2Codec::Zstd),
];
const FILTERS: [(&str, Blosc2Filter); 4] = [
    ("nofilter", Blosc2Filter::NoFilter),
    ("shuffle", Blosc2Filter::Shuffle),
    ("bitshuffle", Blosc2Filter::BitShuffle),
    ("delta", Blosc2Filter::Delta),
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

/// Writes every dataset shape we check with `apply`'s filters under `g`.
fn write_group(g: &jangada_hdf5::Group, apply: &dyn Fn(DatasetBuilder) -> DatasetBuilder) {
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
    let f: Vec<f32> = smooth(1320).iter().map(|&v| v as f32).collect();
    let d = ArrayD::from_shape_vec(IxDyn(&[10, 11, 12]), f).unwrap();
    apply(g.new_dataset("f4_3d").chunks(&[4, 5, 6]))
        .write(&d)
        .unwrap();
    let z = ArrayD::from_shape_vec(IxDyn(&[1000]), vec![0i64; 1000]).unwrap();
    apply(g.new_dataset("zeros").chunks(&[500]))
        .write(&z)
        .unwrap();
    let big = ArrayD::from_shape_vec(IxDyn(&[200_000]), smooth(200_000)).unwrap();
    apply(g.new_dataset("big").chunks(&[100_000]))
        .write(&big)
        .unwrap();
    let e = ArrayD::from_shape_vec(IxDyn(&[1000]), smooth(1000)).unwrap();
    let ds = apply(g.new_dataset("appended").maxshape(&[None]))
        .write(&e)
        .unwrap();
    ds.append(&e).unwrap();
}

const CHECK: &str = r#"
import sys
import h5py, hdf5plugin, numpy as np
names = sys.argv[2].split(",")
x = np.random.default_rng(0)
with h5py.File(sys.argv[1], "r") as f:
    for n in names:
        assert np.array_equal(f[n + "/f8"][...].ravel(), np.sin(np.arange(37 * 23) / 40.0) * 1e3), n
        assert np.array_equal(f[n + "/u2"][...], np.arange(777, dtype="<u2")), n
        assert np.array_equal(f[n + "/f4_3d"][...].ravel(),
                              (np.sin(np.arange(1320) / 40.0) * 1e3).astype("<f4")), n
        assert not f[n + "/zeros"][...].any(), n
        assert np.array_equal(f[n + "/big"][...], np.sin(np.arange(200000) / 40.0) * 1e3), n
        app = f[n + "/appended"][...]
        assert app.shape == (2000,), n
        assert np.array_equal(app[:1000], app[1000:]), n
        pl = f[n + "/f4_3d"].id.get_create_plist()
        cd = [pl.get_filter(i)[2] for i in range(pl.get_nfilters()) if pl.get_filter(i)[0] == 32026]
        assert cd[0][7:] == (3, 4, 5, 6), (n, cd)
print("ok")
"#;

#[test]
fn files_we_write_read_back_exactly_in_h5py() {
    let dir = common::scratch_dir("write");
    let path = dir.join("ours.h5");
    let mut names = Vec::new();
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        for (cname, codec) in CODECS {
            for (fname, filter) in FILTERS {
                for clevel in [0u8, 5, 9] {
                    let name = format!("{cname}_{fname}_{clevel}");
                    let g = root.create_group(&name).unwrap();
                    write_group(&g, &|b: DatasetBuilder| b.blosc2(codec, clevel, filter));
                    names.push(name);
                }
            }
        }
        // With shuffle and Fletcher-32 around it.
        let g = root.create_group("around").unwrap();
        write_group(&g, &|b: DatasetBuilder| {
            b.shuffle()
                .blosc2(Blosc2Codec::Zstd, 3, Blosc2Filter::BitShuffle)
                .fletcher32()
        });
        names.push("around".into());
        file.close().unwrap();
    }
    // We read back what we wrote.
    let file = File::open(&path).unwrap();
    for n in &names {
        let a: ArrayD<f64> = file.dataset(&format!("{n}/f8")).unwrap().read().unwrap();
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            smooth(37 * 23),
            "{n}"
        );
        let b: ArrayD<i32> = file
            .dataset(&format!("{n}/i4_noise"))
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), noise(5003), "{n}");
    }
    drop(file);
    common::assert_same_as_h5py(&path);
    let out = run_python(CHECK, &[path.to_str().unwrap(), &names.join(",")]).unwrap();
    assert_eq!(out.trim(), "ok");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn blosclz_files_we_write_read_back_exactly_in_h5py() {
    let dir = common::scratch_dir("write-blosclz");
    let path = dir.join("ours.h5");
    let mut names = Vec::new();
    {
        let file = File::create_truncate(&path).unwrap();
        let root = file.root().unwrap();
        for (fname, filter) in FILTERS {
            for clevel in [0u8, 5, 9] {
                let name = format!("blosclz_{fname}_{clevel}");
                let g = root.create_group(&name).unwrap();
                write_group(&g, &|b: DatasetBuilder| {
                    b.blosc2(Blosc2Codec::BloscLz, clevel, filter)
                });
                names.push(name);
            }
        }
        file.close().unwrap();
    }
    common::assert_same_as_h5py(&path);
    let out = run_python(CHECK, &[path.to_str().unwrap(), &names.join(",")]).unwrap();
    assert_eq!(out.trim(), "ok");
    std::fs::remove_dir_all(&dir).unwrap();
}

const RAW_CHUNKS: &str = r#"
import sys, json
import h5py, hdf5plugin, numpy as np

out = []
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or not name.endswith(("/i4", "/f8_2d", "/f4_3d", "/big_2d")):
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
/// values of the right size), never a panic or more bytes.
#[test]
fn corrupt_plugin_chunks_are_errors_not_panics() {
    use jangada_hdf5::filters::decode_chunk_at;

    let dir = common::scratch_dir("corrupt");
    let path = dir.join("blosc2.h5");
    run_python(MAKE, &[path.to_str().unwrap(), CNAMES]).unwrap();
    let out = run_python(RAW_CHUNKS, &[path.to_str().unwrap()]).unwrap();
    let chunks = common::raw_chunks(&out);
    assert!(chunks.len() >= 4 * 13 * 3, "{}", chunks.len());
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
            // hdf5-blosc2 failed on the chunk (TRUNC_PREC on integers): stored unfiltered.
            continue;
        }
        for cut in [0, 1, 5, 12, 60, 96, raw.len() / 2, raw.len() - 36] {
            let e = decode_chunk_at(&pipeline, mask, &raw[..cut], elem, nbytes, at)
                .expect_err(&format!("{name} cut at {cut}"))
                .to_string();
            assert!(e.contains(&format!("offset {at}")), "{name}: {e}");
            assert!(
                e.contains("blosc2"),
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
    assert!(errors > 500, "{errors}");
    std::fs::remove_dir_all(&dir).unwrap();
}
