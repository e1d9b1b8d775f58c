//! Chunk indexes (spec IV.A.2.i and Appendix C): where each chunk of a chunked dataset is
//! stored. Every index is read into the same list of [`Chunk`]s ([`read_index`]), and built
//! whole from such a list ([`build_index`], after [`choose_index`] picks the kind libhdf5
//! would use).

pub mod btree_v1;
pub mod btree_v2;
pub mod common;
pub mod extensible_array;
pub mod fixed_array;
pub mod implicit;
pub mod single_chunk;

use crate::dataspace::UNLIMITED;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout};

/// libhdf5's default K of chunk B-trees (`HDF5_BTREE_CHUNK_IK_DEF`).
pub const BTREE_V1_K: u16 = 32;
/// libhdf5's default page bits of fixed array indexes (`H5D_FARRAY_MAX_DBLK_PAGE_NELMTS_BITS`).
pub const FIXED_ARRAY_PAGE_BITS: u8 = 10;
/// libhdf5's v2 B-tree chunk index node size (`H5D_BT2_NODE_SIZE`).
pub const BTREE_V2_NODE_SIZE: u32 = 2048;
/// libhdf5's v2 B-tree chunk index split percent (`H5D_BT2_SPLIT_PERC`).
pub const BTREE_V2_SPLIT_PERCENT: u8 = 100;
/// libhdf5's v2 B-tree chunk index merge percent (`H5D_BT2_MERGE_PERC`).
pub const BTREE_V2_MERGE_PERCENT: u8 = 40;

/// Which chunk index a writer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexChoice {
    /// Version 1 B-tree (layout message v3).
    BtreeV1,
    /// Single chunk (the layout message holds the chunk).
    Single,
    /// Fixed array (no unlimited dimension).
    FixedArray,
    /// Extensible array (one unlimited dimension).
    ExtensibleArray,
    /// Version 2 B-tree (several unlimited dimensions).
    BtreeV2,
}

/// The index libhdf5 picks (`H5D__layout_set_latest_indexing`): layout version 3 or older
/// uses a v1 B-tree; otherwise one unlimited dimension gives an extensible array, more a v2
/// B-tree; with none, a dataset whose current, maximum and chunk dimensions are all equal is
/// a single chunk, anything else a fixed array. (The implicit index, for early allocation
/// without filters, is never chosen here.)
pub fn choose_index(
    dims: &[u64],
    max_dims: &[u64],
    chunk_dims: &[u64],
    layout_version: u8,
) -> IndexChoice {
    if layout_version < 4 {
        return IndexChoice::BtreeV1;
    }
    let unlimited = max_dims.iter().filter(|&&m| m == UNLIMITED).count();
    let single = dims.len() == max_dims.len()
        && dims.len() == chunk_dims.len()
        && dims
            .iter()
            .zip(max_dims)
            .zip(chunk_dims)
            .all(|((d, m), c)| d == m && d == c);
    match unlimited {
        0 if single => IndexChoice::Single,
        0 => IndexChoice::FixedArray,
        1 => IndexChoice::ExtensibleArray,
        _ => IndexChoice::BtreeV2,
    }
}

/// Build the index `choice` over `chunks` and return it as the layout message's index (the
/// reader's [`ChunkIndexKind`], addresses and libhdf5's default parameters filled in). No
/// chunk at all gives the undefined address, as libhdf5 writes before the first chunk.
pub fn build_index(
    choice: IndexChoice,
    chunks: &[Chunk],
    params: &IndexParams<'_>,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<ChunkIndexKind> {
    let empty = chunks.is_empty();
    Ok(match choice {
        IndexChoice::BtreeV1 => ChunkIndexKind::BtreeV1 {
            addr: if empty {
                None
            } else {
                Some(btree_v1::build(
                    chunks, params, BTREE_V1_K, None, space, emit,
                )?)
            },
        },
        IndexChoice::Single => {
            if chunks.len() > 1 {
                return Err(Error::Invalid(format!(
                    "{} chunks for a single-chunk index",
                    chunks.len()
                )));
            }
            if let Some(c) = chunks.first() {
                if c.offset.iter().any(|&o| o != 0) {
                    return Err(Error::Invalid(format!(
                        "single chunk at offset {:?}",
                        c.offset
                    )));
                }
            }
            single_chunk::layout_for(chunks.first(), params.filtered)
        }
        IndexChoice::FixedArray => ChunkIndexKind::FixedArray {
            page_bits: FIXED_ARRAY_PAGE_BITS,
            addr: if empty {
                None
            } else {
                Some(fixed_array::build(
                    chunks,
                    params,
                    FIXED_ARRAY_PAGE_BITS,
                    space,
                    emit,
                )?)
            },
        },
        IndexChoice::ExtensibleArray => {
            let ea = extensible_array::EaParams::default();
            ChunkIndexKind::ExtensibleArray {
                max_bits: ea.max_nelmts_bits,
                index_elements: ea.index_block_elements,
                min_pointers: ea.super_block_min_data_ptrs,
                min_elements: ea.data_block_min_elements,
                page_bits: ea.page_bits,
                addr: if empty {
                    None
                } else {
                    Some(extensible_array::build(chunks, params, &ea, space, emit)?)
                },
            }
        }
        IndexChoice::BtreeV2 => ChunkIndexKind::BtreeV2 {
            node_size: BTREE_V2_NODE_SIZE,
            split_percent: BTREE_V2_SPLIT_PERCENT,
            merge_percent: BTREE_V2_MERGE_PERCENT,
            addr: if empty {
                None
            } else {
                Some(btree_v2::build(chunks, params, space, emit)?)
            },
        },
    })
}

/// One stored chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Element coordinates of the chunk's first element, one per dataset axis.
    pub offset: Vec<u64>,
    /// Address of the stored (possibly filtered) bytes.
    pub addr: Addr,
    /// Stored size in bytes.
    pub size: u64,
    /// Filter mask: bit `i` set means filter `i` of the pipeline was skipped.
    pub filter_mask: u32,
}

/// What every index needs to know about the dataset.
#[derive(Clone, Debug)]
pub struct IndexParams<'a> {
    /// Current dataset dimensions.
    pub dims: &'a [u64],
    /// Maximum dimensions (equal to `dims` when not resizable).
    pub max_dims: &'a [u64],
    /// Chunk dimensions in elements.
    pub chunk_dims: &'a [u64],
    /// Element size in bytes.
    pub element_size: u64,
    /// Whether the dataset has a filter pipeline (chunk records then carry size and mask).
    pub filtered: bool,
    /// Layout message version (5 widens filtered chunk sizes to "size of lengths" bytes).
    pub layout_version: u8,
}

impl IndexParams<'_> {
    /// Size in bytes of an unfiltered chunk, or `None` on overflow.
    pub fn chunk_bytes(&self) -> Option<u64> {
        self.chunk_dims
            .iter()
            .try_fold(self.element_size, |acc, &d| acc.checked_mul(d))
    }

    /// Number of chunks along each axis for the given extent (ceiling division).
    pub fn chunks_per_axis(&self, extent: &[u64]) -> Vec<u64> {
        extent
            .iter()
            .zip(self.chunk_dims)
            .map(|(&d, &c)| if c == 0 { 0 } else { d.div_ceil(c) })
            .collect()
    }
}

/// Read every stored chunk of a dataset.
pub fn read_index(
    img: &FileImage<'_>,
    layout: &ChunkedLayout,
    params: &IndexParams<'_>,
) -> Result<Vec<Chunk>> {
    match &layout.index {
        ChunkIndexKind::BtreeV1 { addr: None }
        | ChunkIndexKind::SingleChunk { addr: None, .. }
        | ChunkIndexKind::Implicit { addr: None }
        | ChunkIndexKind::FixedArray { addr: None, .. }
        | ChunkIndexKind::ExtensibleArray { addr: None, .. }
        | ChunkIndexKind::BtreeV2 { addr: None, .. } => Ok(Vec::new()),
        ChunkIndexKind::BtreeV1 { addr: Some(a) } => btree_v1::chunks(img, *a, params),
        ChunkIndexKind::SingleChunk {
            addr: Some(a),
            filtered,
        } => single_chunk::chunks(*a, *filtered, params),
        ChunkIndexKind::Implicit { addr: Some(a) } => implicit::chunks(img, *a, params),
        ChunkIndexKind::FixedArray { addr: Some(a), .. } => fixed_array::chunks(img, *a, params),
        ChunkIndexKind::ExtensibleArray { addr: Some(a), .. } => {
            extensible_array::chunks(img, *a, params)
        }
        ChunkIndexKind::BtreeV2 { addr: Some(a), .. } => btree_v2::chunks(img, *a, params),
    }
}

#[cfg(test)]
mod build_tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::extensible_array::EaParams;
    use super::*;
    use crate::emit::MemSpace;
    use crate::io::Sizes;
    use proptest::prelude::*;

    /// Every grid position (scaled coordinates) of a grid with `counts` chunks per axis.
    fn positions(counts: &[u64]) -> Vec<Vec<u64>> {
        let mut out = vec![vec![]];
        for &n in counts {
            out = out
                .into_iter()
                .flat_map(|p| {
                    (0..n).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        out
    }

    /// Chunks at the selected grid positions, with distinct addresses.
    fn make_chunks(
        chunk_dims: &[u64],
        scaled: &[Vec<u64>],
        filtered: bool,
        chunk_bytes: u64,
        seed: u64,
    ) -> Vec<Chunk> {
        scaled
            .iter()
            .enumerate()
            .map(|(i, s)| Chunk {
                offset: s.iter().zip(chunk_dims).map(|(a, b)| a * b).collect(),
                addr: Addr(8 + 16 * i as u64),
                size: if filtered {
                    1 + (seed.wrapping_mul(31).wrapping_add(i as u64 * 7)) % (2 * chunk_bytes)
                } else {
                    chunk_bytes
                },
                filter_mask: if filtered {
                    (seed as u32 ^ i as u32) & 3
                } else {
                    0
                },
            })
            .collect()
    }

    fn sorted(mut c: Vec<Chunk>) -> Vec<Chunk> {
        c.sort_by(|a, b| a.offset.cmp(&b.offset));
        c
    }

    /// Build `choice` over `chunks`, read it back through the reader, compare.
    fn round_trip(choice: IndexChoice, chunks: &[Chunk], params: &IndexParams<'_>, sizes: Sizes) {
        let mut space = MemSpace::new(sizes, 65_536);
        let mut emit = Emit::default();
        let index = build_index(choice, chunks, params, &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        let layout = ChunkedLayout {
            version: params.layout_version,
            flags: 0,
            chunk_dims: params.chunk_dims.to_vec(),
            element_size: params.element_size,
            index,
        };
        let got = read_index(&space.image(), &layout, params).unwrap();
        assert_eq!(sorted(got), sorted(chunks.to_vec()));
    }

    fn grid_strategy() -> impl Strategy<Value = (Vec<u64>, Vec<u64>)> {
        // (max dims, chunk dims), 1-3 axes
        prop::collection::vec((1u64..14, 1u64..5), 1..=3).prop_map(|v| v.into_iter().unzip())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn fixed_array_and_btree_v1_round_trip(
            (max, chunk) in grid_strategy(),
            filtered in any::<bool>(),
            v5 in any::<bool>(),
            density in 0u32..=100,
            seed in any::<u64>(),
            small in any::<bool>(),
        ) {
            let counts: Vec<u64> = max.iter().zip(&chunk).map(|(m, c)| m.div_ceil(*c)).collect();
            let keep: Vec<Vec<u64>> = positions(&counts)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| (seed.rotate_left(*i as u32 % 64) % 100) < u64::from(density))
                .map(|(_, p)| p)
                .collect();
            let params = IndexParams {
                dims: &max,
                max_dims: &max,
                chunk_dims: &chunk,
                element_size: 4,
                filtered,
                layout_version: if v5 { 5 } else { 4 },
            };
            let chunks = make_chunks(&chunk, &keep, filtered, params.chunk_bytes().unwrap(), seed);
            let sizes = if small { Sizes { offset: 4, length: 4 } } else { Sizes::default() };
            round_trip(IndexChoice::FixedArray, &chunks, &params, sizes);
            let v3 = IndexParams { layout_version: 3, ..params.clone() };
            round_trip(IndexChoice::BtreeV1, &chunks, &v3, sizes);
            // Small K and page bits exercise deep trees and paging.
            let mut space = MemSpace::new(sizes, 65_536);
            let mut emit = Emit::default();
            if !chunks.is_empty() {
                let root = btree_v1::build(&chunks, &v3, 1, None, &mut space, &mut emit).unwrap();
                let a = fixed_array::build(&chunks, &params, 1, &mut space, &mut emit).unwrap();
                space.apply(&emit).unwrap();
                let img = space.image();
                prop_assert_eq!(sorted(btree_v1::chunks(&img, root, &v3).unwrap()), sorted(chunks.clone()));
                prop_assert_eq!(sorted(fixed_array::chunks(&img, a, &params).unwrap()), sorted(chunks.clone()));
            }
        }

        #[test]
        fn extensible_array_round_trip(
            (max, chunk) in grid_strategy(),
            unlim_axis in 0usize..3,
            extent in 1u64..300,
            filtered in any::<bool>(),
            density in 0u32..=100,
            seed in any::<u64>(),
            small_params in any::<bool>(),
            small_sizes in any::<bool>(),
        ) {
            let sizes = if small_sizes { Sizes { offset: 4, length: 4 } } else { Sizes::default() };
            let axis = unlim_axis % max.len();
            let mut dims = max.clone();
            dims[axis] = extent;
            let mut maxd = max.clone();
            maxd[axis] = crate::dataspace::UNLIMITED;
            let counts: Vec<u64> = dims.iter().zip(&chunk).map(|(m, c)| m.div_ceil(*c)).collect();
            let keep: Vec<Vec<u64>> = positions(&counts)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| (seed.rotate_left(*i as u32 % 64) % 100) < u64::from(density))
                .map(|(_, p)| p)
                .collect();
            let params = IndexParams {
                dims: &dims,
                max_dims: &maxd,
                chunk_dims: &chunk,
                element_size: 8,
                filtered,
                layout_version: 4,
            };
            let chunks = make_chunks(&chunk, &keep, filtered, params.chunk_bytes().unwrap(), seed);
            round_trip(IndexChoice::ExtensibleArray, &chunks, &params, sizes);
            if small_params && !chunks.is_empty() {
                let ea = EaParams {
                    max_nelmts_bits: 20,
                    index_block_elements: 3,
                    data_block_min_elements: 2,
                    super_block_min_data_ptrs: 2,
                    page_bits: 2,
                };
                let mut space = MemSpace::new(sizes, 0);
                let mut emit = Emit::default();
                let a = extensible_array::build(&chunks, &params, &ea, &mut space, &mut emit).unwrap();
                space.apply(&emit).unwrap();
                prop_assert_eq!(
                    sorted(extensible_array::chunks(&space.image(), a, &params).unwrap()),
                    sorted(chunks.clone())
                );
            }
        }
    }

    #[test]
    fn extensible_array_with_thousands_of_chunks() {
        // 1-D, 200,000 chunk slots, every third chunk: super blocks, and from element
        // 131,060 on (super block 13) data blocks of 2048 elements in two pages.
        let dims = [200_000u64];
        let maxd = [crate::dataspace::UNLIMITED];
        let chunk = [1u64];
        for filtered in [false, true] {
            let params = IndexParams {
                dims: &dims,
                max_dims: &maxd,
                chunk_dims: &chunk,
                element_size: 8,
                filtered,
                layout_version: 4,
            };
            let keep: Vec<Vec<u64>> = (0..200_000u64)
                .filter(|i| i % 3 == 0 && !(140_000..142_000).contains(i))
                .map(|i| vec![i])
                .collect();
            let chunks = make_chunks(&chunk, &keep, filtered, 8, 5);
            let mut space = MemSpace::new(Sizes::default(), 0);
            let mut emit = Emit::default();
            let ea = EaParams::default();
            let a = extensible_array::build(&chunks, &params, &ea, &mut space, &mut emit).unwrap();
            space.apply(&emit).unwrap();
            let img = space.image();
            let h = extensible_array::ExtensibleArrayHeader::read(&img, a).unwrap();
            assert_eq!(h.max_index_set, 199_998 + 1);
            assert!(h.num_super_blocks > 5, "{h:?}");
            assert_eq!(
                sorted(extensible_array::chunks(&img, a, &params).unwrap()),
                sorted(chunks)
            );
        }
    }

    #[test]
    fn fixed_array_over_1024_chunks_is_paged() {
        let dims = [3000u64, 2];
        let chunk = [1u64, 2];
        let params = IndexParams {
            dims: &dims,
            max_dims: &dims,
            chunk_dims: &chunk,
            element_size: 2,
            filtered: true,
            layout_version: 4,
        };
        // Chunks only in pages 0 and 2: page 1 stays uninitialised.
        let keep: Vec<Vec<u64>> = (0..3000u64)
            .filter(|i| *i < 1024 || *i >= 2048)
            .map(|i| vec![i, 0])
            .collect();
        let chunks = make_chunks(&chunk, &keep, true, 4, 9);
        let mut space = MemSpace::new(Sizes::default(), 0);
        let mut emit = Emit::default();
        let a = fixed_array::build(&chunks, &params, 10, &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        let img = space.image();
        let h = fixed_array::FixedArrayHeader::read(&img, a).unwrap();
        assert_eq!((h.num_entries, h.page_bits, h.client_id), (3000, 10, 1));
        let block = h.data_block.unwrap().0 as usize;
        // Bitmap right after the 14-byte prefix: pages 0 and 2 of 3.
        assert_eq!(space.bytes[block + 14], 0b1010_0000);
        assert_eq!(
            sorted(fixed_array::chunks(&img, a, &params).unwrap()),
            sorted(chunks)
        );
    }

    #[test]
    fn choose_index_follows_libhdf5() {
        let u = crate::dataspace::UNLIMITED;
        assert_eq!(choose_index(&[4], &[4], &[4], 3), IndexChoice::BtreeV1);
        assert_eq!(choose_index(&[4], &[4], &[4], 4), IndexChoice::Single);
        assert_eq!(choose_index(&[4], &[8], &[8], 4), IndexChoice::FixedArray);
        assert_eq!(
            choose_index(&[4, 4], &[4, 4], &[2, 4], 4),
            IndexChoice::FixedArray
        );
        assert_eq!(
            choose_index(&[4, 4], &[u, 4], &[4, 4], 4),
            IndexChoice::ExtensibleArray
        );
        assert_eq!(
            choose_index(&[4, 4], &[u, u], &[4, 4], 5),
            IndexChoice::BtreeV2
        );
    }

    #[test]
    fn bad_chunk_sets_are_rejected() {
        let dims = [10u64];
        let chunk = [2u64];
        let params = IndexParams {
            dims: &dims,
            max_dims: &dims,
            chunk_dims: &chunk,
            element_size: 1,
            filtered: false,
            layout_version: 4,
        };
        let c = |o: u64| Chunk {
            offset: vec![o],
            addr: Addr(100 + o),
            size: 2,
            filter_mask: 0,
        };
        for bad in [vec![c(1)], vec![c(10)], vec![c(2), c(2)]] {
            for choice in [IndexChoice::FixedArray, IndexChoice::BtreeV1] {
                let mut space = MemSpace::new(Sizes::default(), 0);
                let mut emit = Emit::default();
                let p = IndexParams {
                    layout_version: if choice == IndexChoice::BtreeV1 { 3 } else { 4 },
                    ..params.clone()
                };
                let r = build_index(choice, &bad, &p, &mut space, &mut emit);
                // The v1 B-tree accepts any offsets but never duplicates.
                if choice == IndexChoice::FixedArray || bad.len() == 2 {
                    assert!(r.is_err(), "{choice:?} {bad:?}");
                }
            }
        }
        let mut space = MemSpace::new(Sizes::default(), 0);
        let mut emit = Emit::default();
        assert_eq!(
            build_index(IndexChoice::FixedArray, &[], &params, &mut space, &mut emit).unwrap(),
            ChunkIndexKind::FixedArray {
                page_bits: 10,
                addr: None
            }
        );
        assert!(emit.is_empty());
    }
}
