//! Large reads of filtered datasets decode their chunks on several threads (issue 14):
//! the result is the same as a chunk-by-chunk read, for whole reads, slices and strided
//! selections, with unwritten chunks (fill value) and edge chunks among them; a corrupt
//! chunk in a parallel batch is an error naming its offset, never a panic or wrong data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use jangada_hdf5::{File, Selection, SliceArg};
use ndarray::{ArrayD, IxDyn};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-parallel");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn value(i: usize, j: usize) -> f64 {
    ((i * 7919 + j * 104_729) % 100_003) as f64 / 7.0
}

/// 1500 x 1100 f64 (12.6 MB, above the parallel threshold) in 100 x 128 chunks (edge
/// chunks on both axes), a band of rows left unwritten.
fn make(path: &PathBuf, apply: fn(jangada_hdf5::DatasetBuilder) -> jangada_hdf5::DatasetBuilder) {
    let f = File::create_truncate(path).unwrap();
    let root = f.root().unwrap();
    let ds = apply(
        root.new_dataset("x")
            .dtype_of::<f64>()
            .shape(&[1500, 1100])
            .chunks(&[100, 128])
            .fill_value(-1.0f64)
            .unwrap(),
    )
    .create()
    .unwrap();
    let top = ArrayD::from_shape_fn(IxDyn(&[700, 1100]), |i| value(i[0], i[1]));
    ds.write_slice(Selection::new([SliceArg::range(0, 700)]), &top)
        .unwrap();
    let bottom = ArrayD::from_shape_fn(IxDyn(&[600, 1100]), |i| value(i[0] + 900, i[1]));
    ds.write_slice(Selection::new([SliceArg::range(900, 1500)]), &bottom)
        .unwrap();
    f.close().unwrap();
}

fn expected(i: usize, j: usize) -> f64 {
    if (700..900).contains(&i) {
        -1.0
    } else {
        value(i, j)
    }
}

#[test]
fn parallel_decoding_reads_what_was_written() {
    type Apply = fn(jangada_hdf5::DatasetBuilder) -> jangada_hdf5::DatasetBuilder;
    let configs: [(&str, Apply); 3] = [
        ("deflate", |b| b.shuffle().deflate(4)),
        ("lz4", |b| b.lz4()),
        ("bzip2", |b| b.bzip2(1)),
    ];
    for (name, apply) in configs {
        let path = scratch(&format!("{name}.h5"));
        make(&path, apply);
        // From the file on disk and from memory.
        let bytes = std::fs::read(&path).unwrap();
        for file in [File::open(&path).unwrap(), File::from_bytes(bytes).unwrap()] {
            let ds = file.dataset("x").unwrap();
            let all: ArrayD<f64> = ds.read().unwrap();
            assert_eq!(all.shape(), &[1500, 1100]);
            for ((i, j), v) in (0..1500)
                .flat_map(|i| (0..1100).map(move |j| (i, j)))
                .zip(all.iter())
            {
                assert_eq!(*v, expected(i, j), "{name} [{i}, {j}]");
            }
            // A strided block crossing many chunks and the unwritten band.
            let sel =
                Selection::new([SliceArg::stepped(3, 1497, 3), SliceArg::stepped(5, 1100, 2)]);
            let part: ArrayD<f64> = ds.read_slice(&sel).unwrap();
            for (idx, v) in part.indexed_iter() {
                assert_eq!(
                    *v,
                    expected(3 + 3 * idx[0], 5 + 2 * idx[1]),
                    "{name} {idx:?}"
                );
            }
        }
    }
}

#[test]
fn a_corrupt_chunk_in_a_parallel_batch_is_an_error() {
    let path = scratch("corrupt.h5");
    make(&path, |b| b.deflate(4));
    let file = File::open(&path).unwrap();
    let chunks = file.dataset("x").unwrap().stored_chunks().unwrap();
    drop(file);
    let victim = &chunks[chunks.len() / 2];
    let mut bytes = std::fs::read(&path).unwrap();
    let at = victim.addr.0 as usize;
    for b in &mut bytes[at..at + victim.size as usize] {
        *b ^= 0x5a;
    }
    let file = File::from_bytes(bytes).unwrap();
    let err = file
        .dataset("x")
        .unwrap()
        .read::<f64>()
        .expect_err("a corrupt chunk must not read");
    assert!(err.to_string().contains(&format!("{at}")), "{err}");
}
