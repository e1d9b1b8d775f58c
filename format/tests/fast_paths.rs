//! The fast paths of large reads and writes, checked against libhdf5 (h5py, the repository
//! venv `<root>/.venv/bin/python`):
//! - deflate output (zlib-rs, chunks compressed on several threads in batches) is read by
//!   h5py, and is about the size h5py's own is;
//! - h5py's deflate + shuffle files read the same from disk (positional reads) and from
//!   memory;
//! - large reads (positional reads straight into a huge-page-advised output, runs merged
//!   across chunks) equal reads of the same bytes in memory, for whole and partial
//!   selections, edge chunks and converted element types.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::run_python;

use std::path::PathBuf;

use jangada_hdf5::{File, Selection, SliceArg};
use ndarray::{ArrayD, IxDyn};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-fast-paths");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// W7's values (benches/): `sin(i / 1000)`.
fn smooth(n: usize) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[n]), |i| (i[0] as f64 / 1000.0).sin())
}

#[test]
fn h5py_reads_our_parallel_deflate() {
    if common::skip_unless(common::Needs::HostTools, "h5py_reads_our_parallel_deflate") {
        return;
    }
    // 192 chunks of 64 KiB: more than one batch of chunks compressed together.
    let n = 192 * 8192;
    let data = smooth(n);
    let ours = scratch("ours_deflate.h5");
    let f = File::create(&ours).unwrap();
    let root = f.root().unwrap();
    root.new_dataset("data")
        .chunks(&[8192])
        .shuffle()
        .deflate(4)
        .write(&data)
        .unwrap();
    // A partial last chunk and a selection that does not cover whole chunks.
    let ds = root
        .new_dataset("partial")
        .dtype_of::<f64>()
        .shape(&[100_000])
        .chunks(&[4096])
        .deflate(6)
        .create()
        .unwrap();
    ds.write_slice(
        Selection::new([SliceArg::range(1000, 99_999)]),
        &smooth(98_999),
    )
    .unwrap();
    drop((ds, root));
    f.close().unwrap();
    let theirs = scratch("theirs_deflate.h5");
    let out = run_python(
        "import sys, h5py, numpy as np\n\
         x = np.sin(np.arange(192 * 8192) / 1000.0)\n\
         with h5py.File(sys.argv[1], 'r') as f:\n\
         \x20   d = f['data']\n\
         \x20   print(d.compression, d.compression_opts, d.shuffle, d.chunks)\n\
         \x20   print(bool(np.array_equal(d[...], x)), d.id.get_storage_size())\n\
         \x20   p = f['partial'][...]\n\
         \x20   y = np.sin(np.arange(98999) / 1000.0)\n\
         \x20   print(bool(np.array_equal(p[1000:99999], y)), float(p[:1000].sum()), float(p[99999]))\n\
         with h5py.File(sys.argv[2], 'w') as f:\n\
         \x20   d = f.create_dataset('data', data=x, chunks=(8192,), shuffle=True, compression='gzip', compression_opts=4)\n\
         \x20   print(d.id.get_storage_size())\n",
        &[ours.to_str().unwrap(), theirs.to_str().unwrap()],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "gzip 4 True (8192,)", "{out}");
    let (equal, size) = lines[1].split_once(' ').unwrap();
    assert_eq!(equal, "True", "{out}");
    assert_eq!(lines[2], "True 0.0 0.0", "{out}");
    let ours_size: f64 = size.parse().unwrap();
    let theirs_size: f64 = lines[3].trim().parse().unwrap();
    // Same algorithm family and level: within 3% of libhdf5's zlib.
    assert!(
        (ours_size / theirs_size - 1.0).abs() < 0.03,
        "ours {ours_size} bytes, h5py's {theirs_size}"
    );
    // And h5py's file reads the same from disk and from memory.
    let disk = File::open(&theirs).unwrap();
    let memory = File::from_bytes(std::fs::read(&theirs).unwrap()).unwrap();
    let a = disk.dataset("data").unwrap().read::<f64>().unwrap();
    assert_eq!(a, data);
    assert_eq!(a, memory.dataset("data").unwrap().read::<f64>().unwrap());
    let sel = Selection::new([SliceArg::stepped(5, 1_500_000, 7)]);
    assert_eq!(
        disk.dataset("data")
            .unwrap()
            .read_slice::<f32>(&sel)
            .unwrap(),
        memory
            .dataset("data")
            .unwrap()
            .read_slice::<f32>(&sel)
            .unwrap()
    );
}

#[test]
fn large_reads_from_disk_equal_reads_from_memory() {
    let path = scratch("large.h5");
    // 6 MiB of f64 in 2-D chunks of 64 rows x 1024 columns (8 KiB runs) and in
    // full-width chunks (runs of whole chunks, merged across chunks); an edge in each axis.
    let (rows, cols) = (700, 1100);
    let g = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| (i[0] * 10_000 + i[1]) as f64);
    let f = File::create(&path).unwrap();
    let root = f.root().unwrap();
    root.new_dataset("tiles")
        .chunks(&[64, 1024])
        .write(&g)
        .unwrap();
    root.new_dataset("rows")
        .chunks(&[16, 1100])
        .write(&g)
        .unwrap();
    let line = ArrayD::from_shape_fn(IxDyn(&[rows * cols]), |i| i[0] as i64);
    root.new_dataset("line")
        .chunks(&[8192])
        .maxshape(&[None])
        .write(&line)
        .unwrap();
    drop(root);
    f.close().unwrap();
    let disk = File::open(&path).unwrap();
    let memory = File::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    for name in ["tiles", "rows"] {
        let (d, m) = (disk.dataset(name).unwrap(), memory.dataset(name).unwrap());
        assert_eq!(d.read::<f64>().unwrap(), g, "{name}");
        for sel in [
            Selection::new([SliceArg::range(10, 690), SliceArg::range(3, 1099)]),
            Selection::new([SliceArg::stepped(0, 700, 3), SliceArg::range(0, 1100)]),
            Selection::new([SliceArg::range(600, 700)]),
        ] {
            let a = d.read_slice::<f64>(&sel).unwrap();
            assert_eq!(a, m.read_slice::<f64>(&sel).unwrap(), "{name} {sel:?}");
            assert_eq!(
                d.read_slice::<i32>(&sel).unwrap(),
                m.read_slice::<i32>(&sel).unwrap()
            );
            assert_eq!(d.read_raw(&sel).unwrap(), m.read_raw(&sel).unwrap());
        }
    }
    let (d, m) = (
        disk.dataset("line").unwrap(),
        memory.dataset("line").unwrap(),
    );
    let a = d.read::<i64>().unwrap();
    assert_eq!(a, line);
    assert_eq!(a, m.read::<i64>().unwrap());
    let sel = Selection::new([SliceArg::range(12_345, 700_000)]);
    assert_eq!(
        d.read_slice::<i64>(&sel).unwrap(),
        m.read_slice::<i64>(&sel).unwrap()
    );
    assert_eq!(d.read_raw(&sel).unwrap(), m.read_raw(&sel).unwrap());
}
