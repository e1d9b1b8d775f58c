//! Tests of the selection codec against the bytes libhdf5 2.0 (h5py 3.16) writes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::io::Sizes;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn parse(bytes: &[u8]) -> Result<Selection> {
    Selection::parse(&mut Cursor::new(bytes, 0, Sizes::default(), "selection"))
}

fn runs(sel: &Selection, dims: &[u64]) -> Vec<(Vec<u64>, u64)> {
    sel.resolve(dims, "t")
        .unwrap()
        .runs()
        .map(|r| (r.start, r.len))
        .collect()
}

fn blocks(sel: &Selection, dims: &[u64]) -> Vec<(Vec<u64>, Vec<u64>)> {
    sel.resolve(dims, "t")
        .unwrap()
        .blocks(1000)
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|b| (b.start, b.end))
        .collect()
}

#[test]
fn all_and_none_as_libhdf5_writes_them() {
    let all = hex("03000000 01000000 00000000 00000000");
    assert_eq!(parse(&all).unwrap(), Selection::All);
    let none = hex("00000000 01000000 00000000 00000000");
    assert_eq!(parse(&none).unwrap(), Selection::None);
    for s in [Selection::All, Selection::None] {
        let mut out = Vec::new();
        s.encode(&mut out).unwrap();
        assert_eq!(parse(&out).unwrap(), s);
    }
    assert_eq!(
        runs(&Selection::All, &[2, 3]),
        vec![(vec![0, 0], 3), (vec![1, 0], 3)]
    );
    assert!(runs(&Selection::None, &[2, 3]).is_empty());
}

#[test]
fn hyperslab_v1_block_list_from_h5py() {
    // [0:10) of a 1-D space, libver earliest (a VDS mapping written by h5py 3.16).
    let b = hex("02000000 01000000 00000000 10000000 01000000 01000000 00000000 09000000");
    let s = parse(&b).unwrap();
    assert_eq!(
        s,
        Selection::Blocks {
            rank: 1,
            blocks: vec![HyperBlock {
                start: vec![0],
                end: vec![9]
            }]
        }
    );
    let mut out = Vec::new();
    s.encode(&mut out).unwrap();
    assert_eq!(out, b, "re-encoded as libhdf5 wrote it");
    assert_eq!(runs(&s, &[20]), vec![(vec![0], 10)]);
    assert!(s.resolve(&[5], "t").is_err(), "outside the extent");
}

#[test]
fn hyperslab_v3_regular_from_h5py() {
    // libver latest: version 3, regular, encode size 2: start 10, stride 1, count 1, block 10.
    let b = hex("02000000 03000000 01 02 01000000 0a00 0100 0100 0a00");
    let s = parse(&b).unwrap();
    assert_eq!(
        s,
        Selection::Regular(vec![RegularDim {
            start: 10,
            stride: 1,
            count: 1,
            block: 10
        }])
    );
    assert_eq!(runs(&s, &[20]), vec![(vec![10], 10)]);
    let mut out = Vec::new();
    s.encode(&mut out).unwrap();
    assert_eq!(parse(&out).unwrap(), s);
}

#[test]
fn regular_unlimited_clips_to_the_extent() {
    // v2 regular, start 1, stride 4, count unlimited, block 2.
    let mut b = hex("02000000 02000000 01 24000000 01000000");
    for v in [1u64, 4, u64::MAX, 2] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    let s = parse(&b).unwrap();
    assert_eq!(s.unlimited_axis(), Some(0));
    assert_eq!(
        runs(&s, &[10]),
        vec![(vec![1], 2), (vec![5], 2), (vec![9], 1)]
    );
    let mut out = Vec::new();
    s.encode(&mut out).unwrap();
    assert_eq!(out, b);
}

#[test]
fn regular_blocks_in_blocklist_order() {
    // 2-D: rows 0-1 and 4-5, columns 1-2 and 5-6 (stride 4, block 2, count 2).
    let d = RegularDim {
        start: 0,
        stride: 4,
        count: 2,
        block: 2,
    };
    let s = Selection::Regular(vec![d, RegularDim { start: 1, ..d }]);
    assert_eq!(
        blocks(&s, &[8, 8]),
        vec![
            (vec![0, 1], vec![1, 2]),
            (vec![0, 5], vec![1, 6]),
            (vec![4, 1], vec![5, 2]),
            (vec![4, 5], vec![5, 6]),
        ]
    );
    assert_eq!(runs(&s, &[8, 8]).len(), 8);
    assert_eq!(runs(&s, &[8, 8])[1], (vec![0, 5], 2));
    assert_eq!(runs(&s, &[8, 8])[2], (vec![1, 1], 2));
    // Adjacent blocks merge into one (libhdf5's optimized diminfo).
    let s = Selection::Regular(vec![RegularDim {
        start: 0,
        stride: 2,
        count: 3,
        block: 2,
    }]);
    assert_eq!(blocks(&s, &[6]), vec![(vec![0], vec![5])]);
}

#[test]
fn irregular_blocks_are_merged_and_sorted_like_a_span_tree() {
    let blk = |s: [u64; 2], e: [u64; 2]| HyperBlock {
        start: s.to_vec(),
        end: e.to_vec(),
    };
    let s = Selection::Blocks {
        rank: 2,
        blocks: vec![
            blk([2, 0], [2, 3]),
            blk([0, 0], [1, 3]),
            blk([0, 5], [0, 6]),
        ],
    };
    assert_eq!(
        blocks(&s, &[4, 8]),
        vec![
            (vec![0, 0], vec![0, 3]),
            (vec![0, 5], vec![0, 6]),
            (vec![1, 0], vec![2, 3]),
        ]
    );
    assert_eq!(
        runs(&s, &[4, 8]),
        vec![
            (vec![0, 0], 4),
            (vec![0, 5], 2),
            (vec![1, 0], 4),
            (vec![2, 0], 4)
        ]
    );
    assert_eq!(s.resolve(&[4, 8], "t").unwrap().count().unwrap(), 14);
    let mut out = Vec::new();
    s.encode(&mut out).unwrap();
    assert_eq!(parse(&out).unwrap(), s);
}

#[test]
fn points_v1_and_v2() {
    let b = hex(
        "01000000 01000000 00000000 18000000 02000000 02000000 01000000 02000000 03000000 00000000",
    );
    let s = parse(&b).unwrap();
    assert_eq!(
        s,
        Selection::Points {
            rank: 2,
            coords: vec![1, 2, 3, 0]
        }
    );
    let mut out = Vec::new();
    s.encode(&mut out).unwrap();
    assert_eq!(out, b);
    assert_eq!(runs(&s, &[4, 4]), vec![(vec![1, 2], 1), (vec![3, 0], 1)]);
    let v2 = hex("01000000 02000000 02 01000000 0200 0500 0700");
    assert_eq!(
        parse(&v2).unwrap(),
        Selection::Points {
            rank: 1,
            coords: vec![5, 7]
        }
    );
}

#[test]
fn corrupt_counts_are_errors_not_allocations() {
    // A v1 point list claiming 2^32-1 points in a few bytes.
    let b = hex("01000000 01000000 00000000 00000000 02000000 ffffffff 00000000");
    assert!(parse(&b).is_err());
    // Rank 0 and rank 33.
    assert!(parse(&hex(
        "02000000 01000000 00000000 00000000 00000000 00000000"
    ))
    .is_err());
    assert!(parse(&hex(
        "02000000 01000000 00000000 00000000 21000000 00000000"
    ))
    .is_err());
    // Unknown type and versions.
    assert!(parse(&hex("04000000 01000000 00000000 00000000")).is_err());
    assert!(parse(&hex("02000000 04000000 00000000 00000000")).is_err());
    // Every truncation fails cleanly.
    let b = hex("02000000 01000000 00000000 10000000 01000000 01000000 00000000 09000000");
    for n in 0..b.len() {
        assert!(parse(&b[..n]).is_err());
    }
}

#[test]
fn scalar_all_is_one_element() {
    assert_eq!(runs(&Selection::All, &[]), vec![(vec![], 1)]);
}
