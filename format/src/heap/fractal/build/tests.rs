#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::btree::v2 as bt2;
use crate::emit::MemSpace;
use crate::heap::fractal::FractalHeap;
use crate::io::FileImage;
use proptest::prelude::*;

/// Small tables so that child indirect blocks appear quickly: width 2, blocks of 64 and 128
/// bytes, 2^16-byte heap, objects up to 100 bytes managed.
fn small() -> HeapParams {
    HeapParams {
        id_len: 6,
        max_managed_size: 100,
        table_width: 2,
        start_block_size: 64,
        max_direct_block_size: 128,
        max_heap_bits: 16,
        checksum_direct_blocks: true,
    }
}

fn objects(lens: &[usize]) -> Vec<Vec<u8>> {
    lens.iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect()
}

fn build_mem(objs: &[Vec<u8>], p: &HeapParams) -> (MemSpace, Addr, Vec<Vec<u8>>) {
    let mut space = MemSpace::new(Sizes::default(), 48);
    let mut emit = Emit::default();
    let (addr, ids) = build_heap(objs, p, &mut space, &mut emit).unwrap();
    space.apply(&emit).unwrap();
    (space, addr, ids)
}

fn check_all(space: &MemSpace, addr: Addr, objs: &[Vec<u8>], ids: &[Vec<u8>], p: &HeapParams) {
    let img = space.image();
    let heap = FractalHeap::parse(&img, addr).unwrap();
    assert_eq!(ids.len(), objs.len());
    for (o, id) in objs.iter().zip(ids) {
        assert_eq!(id.len(), usize::from(p.id_len));
        assert_eq!(heap.get(id).unwrap().as_ref(), o.as_slice());
    }
}

/// The raw header fields the reader does not expose: (free space, allocated, iterator).
fn raw_fields(img: &FileImage<'_>, addr: Addr) -> (u64, u64, u64) {
    let b = img.slice(addr, 146, "t").unwrap();
    let at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    (at(30), at(54), at(62))
}

#[test]
fn empty_heap_has_no_root() {
    let (space, addr, ids) = build_mem(&[], &HeapParams::links());
    let heap = FractalHeap::parse(&space.image(), addr).unwrap();
    let h = heap.header();
    assert_eq!(h.root, None);
    assert_eq!((h.managed_space, h.managed_objects, h.root_rows), (0, 0, 0));
    assert!(ids.is_empty());
    assert_eq!(raw_fields(&space.image(), addr), (0, 0, 0));
}

#[test]
fn library_defaults() {
    let l = HeapParams::links();
    assert_eq!(
        (l.id_len, l.start_block_size, l.max_heap_bits, l.table_width),
        (7, 512, 32, 4)
    );
    let a = HeapParams::attributes();
    assert_eq!(
        (a.id_len, a.start_block_size, a.max_heap_bits, a.table_width),
        (8, 1024, 40, 4)
    );
    assert_eq!((a.max_managed_size, a.max_direct_block_size), (4096, 65536));
}

#[test]
fn small_heap_uses_a_root_direct_block() {
    // As attrs_large.h5: one 39-byte managed object in a root direct block of 1024 bytes.
    let objs = objects(&[39]);
    let p = HeapParams::attributes();
    let (space, addr, ids) = build_mem(&objs, &p);
    check_all(&space, addr, &objs, &ids, &p);
    let heap = FractalHeap::parse(&space.image(), addr).unwrap();
    assert_eq!(heap.header().root_rows, 0);
    assert_eq!(heap.header().managed_space, 1024);
    assert!(heap.header().checksummed_direct_blocks());
    // libhdf5 wrote free 963, allocated 1024, iterator 0 for the same heap.
    assert_eq!(raw_fields(&space.image(), addr), (963, 1024, 0));
    // Managed ID: type 0, 5-byte offset, 2-byte length.
    assert_eq!(ids[0][0], 0);
    assert_eq!(&ids[0][6..8], &39u16.to_le_bytes());
}

#[test]
fn thousand_links_match_libhdf5_header_totals() {
    // groups_dense_1000.h5 holds 1000 22-byte link messages; libhdf5's header says: managed
    // space 262144 (8 root rows), allocated 24576, iterator 24576, free 239472.
    let objs = objects(&[22; 1000]);
    let p = HeapParams::links();
    let (space, addr, ids) = build_mem(&objs, &p);
    check_all(&space, addr, &objs, &ids, &p);
    let heap = FractalHeap::parse(&space.image(), addr).unwrap();
    let h = heap.header();
    assert_eq!(
        (h.root_rows, h.managed_space, h.managed_objects),
        (8, 262144, 1000)
    );
    assert_eq!(raw_fields(&space.image(), addr), (239472, 24576, 24576));
}

#[test]
fn tiny_and_huge_objects() {
    let p = HeapParams::links();
    let mut objs = objects(&[1, 6, 7, 4096, 4097, 100_000, 30]);
    objs.push(vec![0xab; 5000]);
    let (space, addr, ids) = build_mem(&objs, &p);
    check_all(&space, addr, &objs, &ids, &p);
    // 1 and 6 bytes are tiny; 4097, 100000 and 5000 are huge (IDs 1, 2, 3).
    assert_eq!(ids[0][0], 0x20);
    assert_eq!(ids[1][0], 0x25);
    assert_eq!(ids[2][0], 0x00);
    assert_eq!(ids[4][..2], [0x10, 1]);
    assert_eq!(ids[5][..2], [0x10, 2]);
    assert_eq!(ids[7][..2], [0x10, 3]);
    let img = space.image();
    let heap = FractalHeap::parse(&img, addr).unwrap();
    let h = heap.header();
    assert_eq!((h.huge_objects, h.next_huge_id, h.tiny_objects), (3, 3, 2));
    assert_eq!(h.huge_size, 4097 + 100_000 + 5000);
    let (bh, recs) = bt2::records(&img, h.huge_btree.unwrap()).unwrap();
    assert_eq!((bh.record_type, bh.node_size, bh.record_size), (1, 512, 24));
    assert_eq!(recs.len(), 3);
}

#[test]
fn direct_huge_ids_use_a_type_3_tree() {
    let p = HeapParams {
        id_len: 17,
        ..HeapParams::links()
    };
    let objs = objects(&[5000, 20, 16, 6000]);
    let (space, addr, ids) = build_mem(&objs, &p);
    check_all(&space, addr, &objs, &ids, &p);
    assert_eq!(ids[2][0], 0x2f); // 16 bytes tiny
    let img = space.image();
    let h = FractalHeap::parse(&img, addr).unwrap().header().clone();
    let (bh, recs) = bt2::records(&img, h.huge_btree.unwrap()).unwrap();
    assert_eq!((bh.record_type, recs.len()), (3, 2));
    assert_eq!(h.next_huge_id, 0);
}

#[test]
fn child_indirect_blocks() {
    let p = small();
    let lens: Vec<usize> = (0..600).map(|i| 5 + (i * 37) % 40).collect();
    let objs = objects(&lens);
    let (space, addr, ids) = build_mem(&objs, &p);
    check_all(&space, addr, &objs, &ids, &p);
    let heap = FractalHeap::parse(&space.image(), addr).unwrap();
    // Direct rows are 0..3; more rows means child indirect blocks were needed.
    assert!(heap.header().root_rows > 3);
    let (free, alloc, iter) = raw_fields(&space.image(), addr);
    assert!(alloc <= iter && iter < heap.header().managed_space);
    assert!(free > 0);
}

#[test]
fn corrupt_direct_block_gives_checksum_error() {
    let objs = objects(&[22; 100]);
    let (mut space, addr, ids) = build_mem(&objs, &HeapParams::links());
    // The first direct block follows the header (not necessarily; find its signature).
    let pos = space.bytes.windows(4).position(|w| w == b"FHDB").unwrap();
    space.bytes[pos + 40] ^= 0xff;
    let heap = FractalHeap::parse(&space.image(), addr).unwrap();
    let any_err = ids
        .iter()
        .any(|id| matches!(heap.get(id), Err(Error::Checksum { .. })));
    assert!(any_err);
    space.bytes[addr.0 as usize + 20] ^= 1;
    assert!(matches!(
        FractalHeap::parse(&space.image(), addr),
        Err(Error::Checksum { .. })
    ));
}

#[test]
fn invalid_inputs_are_rejected() {
    let mut space = MemSpace::new(Sizes::default(), 0);
    let mut emit = Emit::default();
    let p = HeapParams::links();
    assert!(matches!(
        build_heap(&[Vec::new()], &p, &mut space, &mut emit),
        Err(Error::Invalid(_))
    ));
    let bad = HeapParams {
        table_width: 3,
        ..p.clone()
    };
    assert!(build_heap(&[], &bad, &mut space, &mut emit).is_err());
    let bad = HeapParams { id_len: 4, ..p };
    assert!(build_heap(&[], &bad, &mut space, &mut emit).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn any_objects_read_back(
        lens in prop::collection::vec(
            prop_oneof![1usize..8, 8usize..200, 200usize..5000, 4000usize..9000], 0..400),
        which in 0usize..3,
    ) {
        let p = match which {
            0 => HeapParams::links(),
            1 => HeapParams::attributes(),
            _ => small(),
        };
        // The small table holds 64 KiB of blocks: keep its inputs well inside that.
        let lens = if which == 2 { &lens[..lens.len().min(150)] } else { &lens[..] };
        let objs = objects(lens);
        let (space, addr, ids) = build_mem(&objs, &p);
        let img = space.image();
        let heap = FractalHeap::parse(&img, addr).unwrap();
        for (o, id) in objs.iter().zip(&ids) {
            let got = heap.get(id).unwrap();
            prop_assert_eq!(got.as_ref(), o.as_slice());
        }
        let managed = lens.iter().filter(|&&l| l > heap_tiny(&p) && l as u64 <= u64::from(p.max_managed_size)).count();
        prop_assert_eq!(heap.header().managed_objects, managed as u64);
    }
}

fn heap_tiny(p: &HeapParams) -> usize {
    usize::from(p.id_len) - 1
}
