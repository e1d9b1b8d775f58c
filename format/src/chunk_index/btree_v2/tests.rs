#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::io::Sizes;

fn data(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/data/v2/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(p).unwrap()
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&data("expected.json")).unwrap()
}

fn u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn params<'a>(
    dims: &'a [u64],
    max: &'a [u64],
    chunk: &'a [u64],
    filtered: bool,
    version: u8,
) -> IndexParams<'a> {
    IndexParams {
        dims,
        max_dims: max,
        chunk_dims: chunk,
        element_size: 4,
        filtered,
        layout_version: version,
    }
}

#[test]
fn chunk_size_width_follows_libhdf5() {
    let chunk = [2u64, 2];
    let p = params(&[40, 40], &[u64::MAX; 2], &chunk, true, 4);
    assert_eq!(chunk_size_width(&p, 8), Some(2)); // 16 bytes
    let p = params(&[40, 40], &[u64::MAX; 2], &[10, 10], true, 4);
    assert_eq!(chunk_size_width(&p, 8), Some(3)); // 400 bytes
    let p = params(&[40, 40], &[u64::MAX; 2], &[10, 5], true, 4);
    assert_eq!(chunk_size_width(&p, 8), Some(2)); // 200 bytes
    let p = params(&[40, 40], &[u64::MAX; 2], &[1, 1], true, 4);
    assert_eq!(chunk_size_width(&p, 8), Some(2)); // 4 bytes: never fewer than 2
    let big = [1u64 << 27, 1 << 27];
    let p = params(&[40, 40], &[u64::MAX; 2], &big, true, 4);
    assert_eq!(chunk_size_width(&p, 8), Some(8)); // 2^56 bytes: capped at 8
    let p = params(&[40, 40], &[u64::MAX; 2], &[0, 1], true, 4);
    assert_eq!(chunk_size_width(&p, 8), None);
    let p = params(&[40, 40], &[u64::MAX; 2], &chunk, true, 5);
    assert_eq!(chunk_size_width(&p, 8), Some(8));
    assert_eq!(chunk_size_width(&p, 4), Some(4));
}

#[test]
fn real_chunk_indexes_match_h5py() {
    let ex = expected();
    let mut checked = 0;
    for file in ["chunks_latest.h5", "chunks_v110.h5"] {
        let bytes = data(file);
        let img = FileImage::new(&bytes, 0, Sizes::default());
        for name in ["plain", "gzip", "sparse"] {
            let d = &ex[file][name];
            let dims = u64s(&d["dims"]);
            let chunk_dims = u64s(&d["chunk_dims"]);
            let filtered = name == "gzip";
            let version = d["layout_version"].as_u64().unwrap() as u8;
            let p = params(&dims, &[u64::MAX; 2], &chunk_dims, filtered, version);
            let mut got = chunks(&img, Addr(d["index"].as_u64().unwrap()), &p).unwrap();
            got.sort_by(|a, b| a.offset.cmp(&b.offset));
            let mut want: Vec<Chunk> = d["chunks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| Chunk {
                    offset: u64s(&c[0]),
                    addr: Addr(c[1].as_u64().unwrap()),
                    size: c[2].as_u64().unwrap(),
                    filter_mask: c[3].as_u64().unwrap() as u32,
                })
                .collect();
            want.sort_by(|a, b| a.offset.cmp(&b.offset));
            assert_eq!(got.len(), if name == "sparse" { 2 } else { 400 });
            assert_eq!(got, want, "{file} {name}");
            if !filtered {
                assert!(got.iter().all(|c| c.size == 16 || c.size == 80));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn mismatched_params_are_errors() {
    let ex = expected();
    let bytes = data("chunks_v110.h5");
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let plain = Addr(ex["chunks_v110.h5"]["plain"]["index"].as_u64().unwrap());
    let gzip = Addr(ex["chunks_v110.h5"]["gzip"]["index"].as_u64().unwrap());
    let dims = [40u64, 40];
    let chunk = [2u64, 2];
    // Filtered flag that disagrees with the record type.
    let p = params(&dims, &dims, &chunk, true, 4);
    assert!(chunks(&img, plain, &p).is_err());
    let p = params(&dims, &dims, &chunk, false, 4);
    assert!(chunks(&img, gzip, &p).is_err());
    // Layout version 5 widens the size field: the v4 records no longer fit.
    let p = params(&dims, &dims, &chunk, true, 5);
    assert!(chunks(&img, gzip, &p).is_err());
    // Wrong rank; zero-sized chunks.
    let p = params(&[40, 40, 1], &dims, &[2, 2, 1], false, 4);
    assert!(chunks(&img, plain, &p).is_err());
    let p = params(&dims, &dims, &[0, 2], false, 4);
    assert!(chunks(&img, plain, &p).is_err());
    // Truncated file.
    let img = FileImage::new(&bytes[..plain.get() as usize + 20], 0, Sizes::default());
    let p = params(&dims, &dims, &chunk, false, 4);
    assert!(chunks(&img, plain, &p).is_err());
}

mod build_tests {
    use super::*;
    use crate::emit::{Emit, MemSpace};
    use proptest::prelude::*;

    fn grid(p: &IndexParams<'_>, keep: impl Fn(usize) -> bool) -> Vec<Chunk> {
        let per = p.chunks_per_axis(p.dims);
        let total: u64 = per.iter().product();
        (0..total)
            .filter(|&i| keep(i as usize))
            .map(|i| {
                let mut rest = i;
                let mut offset = vec![0; per.len()];
                for axis in (0..per.len()).rev() {
                    offset[axis] = (rest % per[axis]) * p.chunk_dims[axis];
                    rest /= per[axis];
                }
                Chunk {
                    offset,
                    addr: Addr(100_000 + i * 64),
                    size: if p.filtered {
                        10 + i % 50
                    } else {
                        p.chunk_bytes().unwrap()
                    },
                    filter_mask: if p.filtered { (i % 2) as u32 } else { 0 },
                }
            })
            .collect()
    }

    fn round_trip(p: &IndexParams<'_>, chunks: &[Chunk]) -> (MemSpace, Addr) {
        let mut space = MemSpace::new(Sizes::default(), 64);
        let mut emit = Emit::default();
        // Feed them in reverse: the builder sorts.
        let reversed: Vec<Chunk> = chunks.iter().rev().cloned().collect();
        let addr = build(&reversed, p, &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        let got = super::chunks(&space.image(), addr, p).unwrap();
        assert_eq!(got, chunks);
        (space, addr)
    }

    #[test]
    fn unfiltered_and_filtered_indexes_read_back() {
        let dims = [100u64, 37];
        let max = [u64::MAX, u64::MAX];
        let chunk = [3u64, 4];
        let p = params(&dims, &max, &chunk, false, 4);
        let chunks = grid(&p, |i| i % 3 != 1);
        let (space, addr) = round_trip(&p, &chunks);
        let h = bt2::parse_header(&space.image(), addr).unwrap();
        assert_eq!((h.record_type, h.node_size, h.record_size), (10, 2048, 24));
        assert!(h.depth >= 1);
        let raw = space.image().slice(addr, 16, "t").unwrap().to_vec();
        assert_eq!((raw[14], raw[15]), (SPLIT_PERCENT, MERGE_PERCENT));

        let p = params(&dims, &max, &chunk, true, 4);
        let chunks = grid(&p, |_| true);
        let (space, addr) = round_trip(&p, &chunks);
        let h = bt2::parse_header(&space.image(), addr).unwrap();
        // 48-byte chunks: a 2-byte size field.
        assert_eq!((h.record_type, h.record_size), (11, 8 + 2 + 4 + 16));
    }

    #[test]
    fn empty_index() {
        let p = params(&[10], &[u64::MAX], &[2], false, 4);
        let (space, addr) = round_trip(&p, &[]);
        assert_eq!(bt2::parse_header(&space.image(), addr).unwrap().root, None);
    }

    #[test]
    fn bad_chunks_are_rejected() {
        let p = params(&[10], &[u64::MAX], &[2], true, 4);
        let mut space = MemSpace::new(Sizes::default(), 0);
        let mut emit = Emit::default();
        let c = |off: u64, size: u64| Chunk {
            offset: vec![off],
            addr: Addr(8),
            size,
            filter_mask: 0,
        };
        assert!(build(&[c(1, 8)], &p, &mut space, &mut emit).is_err());
        assert!(build(&[c(2, 8), c(2, 8)], &p, &mut space, &mut emit).is_err());
        // 8-byte chunks get a 2-byte size field.
        assert!(build(&[c(2, 70_000)], &p, &mut space, &mut emit).is_err());
        let rank_mismatch = Chunk {
            offset: vec![0, 0],
            ..c(0, 8)
        };
        assert!(build(&[rank_mismatch], &p, &mut space, &mut emit).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_chunk_sets(
            d0 in 1u64..300, d1 in 1u64..40, c0 in 1u64..9, c1 in 1u64..9,
            filtered in any::<bool>(), stride in 1usize..5,
        ) {
            let dims = [d0, d1];
            let max = [u64::MAX, u64::MAX];
            let chunk = [c0, c1];
            let p = params(&dims, &max, &chunk, filtered, 4);
            let chunks = grid(&p, |i| i % stride == 0);
            round_trip(&p, &chunks);
        }
    }
}
