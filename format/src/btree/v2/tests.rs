#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::checksum::metadata;

fn push_sum(mut v: Vec<u8>) -> Vec<u8> {
    let s = metadata(&v);
    v.extend_from_slice(&s.to_le_bytes());
    v
}

fn header(
    rtype: u8,
    node: u32,
    rec: u16,
    depth: u16,
    root: u64,
    nroot: u16,
    total: u64,
) -> Vec<u8> {
    let mut v = b"BTHD".to_vec();
    v.push(0);
    v.push(rtype);
    v.extend_from_slice(&node.to_le_bytes());
    v.extend_from_slice(&rec.to_le_bytes());
    v.extend_from_slice(&depth.to_le_bytes());
    v.extend_from_slice(&[100, 40]);
    v.extend_from_slice(&root.to_le_bytes());
    v.extend_from_slice(&nroot.to_le_bytes());
    v.extend_from_slice(&total.to_le_bytes());
    push_sum(v)
}

fn leaf(keys: &[u32]) -> Vec<u8> {
    let mut v = b"BTLF".to_vec();
    v.extend_from_slice(&[0, 0]);
    for k in keys {
        v.extend_from_slice(&k.to_le_bytes());
    }
    push_sum(v)
}

/// An internal node with 1-byte child counts and `total_w`-byte totals (0: none).
fn internal(keys: &[u32], children: &[(u64, u8, u8)], total_w: usize) -> Vec<u8> {
    let mut v = b"BTIN".to_vec();
    v.extend_from_slice(&[0, 0]);
    for k in keys {
        v.extend_from_slice(&k.to_le_bytes());
    }
    for &(addr, n, total) in children {
        v.extend_from_slice(&addr.to_le_bytes());
        v.push(n);
        if total_w > 0 {
            v.push(total);
        }
    }
    push_sum(v)
}

/// A file image with blobs placed at multiples of 64 bytes (slot i at address 64 * i).
fn image(slots: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0u8; 64 * slots.len()];
    for (i, s) in slots.iter().enumerate() {
        out[64 * i..64 * i + s.len()].copy_from_slice(s);
    }
    out
}

/// A depth-2 tree of u32 keys 0..11 with 64-byte nodes and 4-byte records: slot 0 header,
/// slot 1 root (level 2), slots 2-3 level 1, slots 4-7 leaves.
fn depth2_tree() -> Vec<u8> {
    image(&[
        header(0, 64, 4, 2, 64, 1, 11),
        internal(&[5], &[(128, 1, 5), (192, 1, 5)], 1),
        internal(&[2], &[(256, 2, 2), (320, 2, 2)], 0),
        internal(&[8], &[(384, 2, 2), (448, 2, 2)], 0),
        leaf(&[0, 1]),
        leaf(&[3, 4]),
        leaf(&[6, 7]),
        leaf(&[9, 10]),
    ])
}

fn keys(img: &FileImage<'_>) -> Result<Vec<u32>> {
    let (_, recs) = records(img, Addr(0))?;
    Ok(recs
        .iter()
        .map(|r| u32::from_le_bytes(r[..4].try_into().unwrap()))
        .collect())
}

#[test]
fn level_capacities_follow_libhdf5() {
    // Link-name index as h5py writes it: 512-byte nodes, 11-byte records, 8-byte offsets.
    let h = BTreeV2Header {
        record_type: 5,
        node_size: 512,
        record_size: 11,
        depth: 2,
        root: None,
        root_records: 0,
        total_records: 0,
    };
    let l = NodeLevels::new(&h, Sizes::default(), 0).unwrap();
    assert_eq!(l.max_records, vec![45, 24, 22]);
    assert_eq!(l.cum_max_records, vec![45, 25 * 45 + 24, 23 * 1149 + 22]);
    assert_eq!(l.cum_max_records_size, vec![0, 2, 2]);
    assert_eq!(l.max_records_size, 1);
    // Synthetic tree: 64-byte nodes, 4-byte records.
    let h = BTreeV2Header {
        node_size: 64,
        record_size: 4,
        ..h
    };
    let l = NodeLevels::new(&h, Sizes::default(), 0).unwrap();
    assert_eq!(l.max_records, vec![13, 3, 3]);
    assert_eq!(l.cum_max_records, vec![13, 55, 223]);
    assert_eq!(l.cum_max_records_size, vec![0, 1, 1]);
}

#[test]
fn depth2_in_order_traversal() {
    let bytes = depth2_tree();
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert_eq!(keys(&img).unwrap(), (0..11).collect::<Vec<u32>>());
    let (h, raw) = raw_records(&img, Addr(0)).unwrap();
    assert_eq!(h.depth, 2);
    assert_eq!(h.total_records, 11);
    // First record of the first leaf: slot 4, after the 6-byte prefix.
    assert_eq!(raw[0].offset, 256 + 6);
    // Root record (key 5) comes sixth.
    assert_eq!(raw[5].offset, 64 + 6);
}

#[test]
fn find_descends_one_path() {
    let bytes = depth2_tree();
    let img = FileImage::new(&bytes, 0, Sizes::default());
    for want in 0..11u32 {
        let r = find(&img, Addr(0), |r| {
            Ok(u32::from_le_bytes(r.bytes.try_into().unwrap()).cmp(&want))
        })
        .unwrap()
        .unwrap();
        assert_eq!(r.bytes, want.to_le_bytes());
    }
    let missing = find(&img, Addr(0), |r| {
        Ok(u32::from_le_bytes(r.bytes.try_into().unwrap()).cmp(&100))
    })
    .unwrap();
    assert!(missing.is_none());
}

#[test]
fn empty_tree_has_no_records() {
    let bytes = image(&[header(5, 512, 11, 0, u64::MAX, 0, 0)]);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let (h, r) = records(&img, Addr(0)).unwrap();
    assert_eq!(h.root, None);
    assert!(r.is_empty());
}

#[test]
fn flipped_checksum_byte_is_reported() {
    let mut bytes = depth2_tree();
    // Flip a record byte in the third leaf (slot 6).
    bytes[6 * 64 + 6] ^= 0x40;
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(matches!(
        records(&img, Addr(0)),
        Err(Error::Checksum { offset: 384, .. })
    ));
    let mut bytes = depth2_tree();
    bytes[10] ^= 1;
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(matches!(
        records(&img, Addr(0)),
        Err(Error::Checksum { offset: 0, .. })
    ));
}

#[test]
fn truncated_tree_is_an_error() {
    let bytes = depth2_tree();
    for cut in [10, 40, 70, 300, 400, 460] {
        let img = FileImage::new(&bytes[..cut], 0, Sizes::default());
        assert!(records(&img, Addr(0)).is_err(), "cut at {cut}");
    }
}

#[test]
fn cycles_and_bad_counts_are_corrupt() {
    // The second level-1 child points back at the root.
    let bytes = image(&[
        header(0, 64, 4, 2, 64, 1, 11),
        internal(&[5], &[(128, 1, 5), (64, 1, 5)], 1),
        internal(&[2], &[(256, 2, 2), (320, 2, 2)], 0),
        leaf(&[]),
        leaf(&[0, 1]),
        leaf(&[3, 4]),
    ]);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let err = records(&img, Addr(0)).unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");

    // A subtree total that does not match.
    let mut slots = vec![
        header(0, 64, 4, 2, 64, 1, 11),
        internal(&[5], &[(128, 1, 4), (192, 1, 5)], 1),
    ];
    let good = depth2_tree();
    for i in 2..8 {
        slots.push(good[64 * i..64 * (i + 1)].to_vec());
    }
    let bytes = image(&slots);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let err = records(&img, Addr(0)).unwrap_err().to_string();
    assert!(err.contains("claims 4 records"), "{err}");

    // Header total that does not match.
    let mut bytes = depth2_tree();
    bytes[..64].fill(0);
    let h = header(0, 64, 4, 2, 64, 1, 12);
    bytes[..h.len()].copy_from_slice(&h);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(records(&img, Addr(0)).is_err());

    // More records in the root leaf than a node can hold.
    let bytes = image(&[header(0, 64, 4, 0, 64, 14, 14), leaf(&[0; 13])]);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let err = records(&img, Addr(0)).unwrap_err().to_string();
    assert!(err.contains("capacity"), "{err}");

    // Absurd depth and zero record size.
    let bytes = image(&[header(0, 64, 4, 65, 64, 1, 1)]);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(records(&img, Addr(0)).is_err());
    let bytes = image(&[header(0, 64, 0, 0, 64, 1, 1)]);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(records(&img, Addr(0)).is_err());
}

#[test]
fn node_type_must_match_header() {
    let mut bytes = image(&[header(5, 64, 4, 0, 64, 2, 2), leaf(&[1, 2])]);
    bytes[64 + 5] = 6;
    let l = leaf(&[1, 2]);
    let mut l2 = l[..l.len() - 4].to_vec();
    l2[5] = 6;
    let l2 = push_sum(l2);
    bytes[64..64 + l2.len()].copy_from_slice(&l2);
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let err = records(&img, Addr(0)).unwrap_err().to_string();
    assert!(err.contains("node type 6"), "{err}");
}

#[test]
fn record_decoders() {
    let sizes = Sizes::default();
    let bytes: Vec<u8> = (1..=17).collect();
    let r = RawRecord {
        offset: 1000,
        bytes: &bytes,
    };
    let a = AttributeNameRecord::decode(&r).unwrap();
    assert_eq!(a.heap_id, &bytes[..8]);
    assert_eq!(a.flags, 9);
    assert_eq!(a.creation_order, u32::from_le_bytes([10, 11, 12, 13]));
    assert_eq!(a.hash, u32::from_le_bytes([14, 15, 16, 17]));
    let r13 = RawRecord {
        offset: 0,
        bytes: &bytes[..13],
    };
    let o = AttributeOrderRecord::decode(&r13).unwrap();
    assert_eq!((o.flags, o.creation_order), (9, 0x0d0c0b0a));
    let r11 = RawRecord {
        offset: 0,
        bytes: &bytes[..11],
    };
    let l = LinkNameRecord::decode(&r11).unwrap();
    assert_eq!((l.hash, l.heap_id), (0x04030201, &bytes[4..11]));
    let r15 = RawRecord {
        offset: 0,
        bytes: &bytes[..15],
    };
    let lo = LinkOrderRecord::decode(&r15).unwrap();
    assert_eq!(lo.creation_order, 0x0807060504030201);
    assert_eq!(lo.heap_id, &bytes[8..15]);

    // Type 11 with a 2-byte size, rank 2.
    let mut rec = 0x1234u64.to_le_bytes().to_vec();
    rec.extend_from_slice(&[0x10, 0x00, 1, 0, 0, 0]);
    rec.extend_from_slice(&3u64.to_le_bytes());
    rec.extend_from_slice(&7u64.to_le_bytes());
    let raw = RawRecord {
        offset: 0,
        bytes: &rec,
    };
    let c = ChunkRecord::decode(&raw, sizes, Some(2), 2).unwrap();
    assert_eq!(c.addr, Addr(0x1234));
    assert_eq!(
        (c.size, c.filter_mask, c.scaled.clone()),
        (Some(16), 1, vec![3, 7])
    );
    // Wrong width for the record: corrupt, not a panic.
    assert!(ChunkRecord::decode(&raw, sizes, Some(3), 2).is_err());
    assert!(ChunkRecord::decode(&raw, sizes, None, 2).is_err());
    // Too-short attribute records.
    let short = RawRecord {
        offset: 0,
        bytes: &bytes[..4],
    };
    assert!(AttributeNameRecord::decode(&short).is_err());
    assert!(AttributeOrderRecord::decode(&short).is_err());
    assert!(LinkOrderRecord::decode(&short).is_err());
}

// ---- Real files made by h5py (format/tests/data/v2/make_v2.py).

fn data(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/data/v2/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(p).unwrap()
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&data("expected.json")).unwrap()
}

#[test]
fn real_link_name_and_order_indexes() {
    let ex = expected();
    for (file, n) in [("links_latest.h5", 1000u64), ("links_v110.h5", 100)] {
        let bytes = data(file);
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let g = &ex[file][format!("t{n}")];
        let (h, recs) = raw_records(&img, Addr(g["name_index"].as_u64().unwrap())).unwrap();
        assert_eq!((h.record_type, h.record_size, h.node_size), (5, 11, 512));
        assert_eq!(h.total_records, n);
        assert_eq!(recs.len() as u64, n);
        assert_eq!(h.depth, if n == 1000 { 2 } else { 1 });
        let hashes: Vec<u32> = recs
            .iter()
            .map(|r| LinkNameRecord::decode(r).unwrap().hash)
            .collect();
        assert!(
            hashes.windows(2).all(|w| w[0] <= w[1]),
            "name index not in hash order"
        );

        let (h, recs) = raw_records(&img, Addr(g["order_index"].as_u64().unwrap())).unwrap();
        assert_eq!((h.record_type, h.record_size), (6, 15));
        let orders: Vec<u64> = recs
            .iter()
            .map(|r| LinkOrderRecord::decode(r).unwrap().creation_order)
            .collect();
        assert_eq!(orders, (0..n).collect::<Vec<_>>());

        // Every hash is found by a keyed search.
        let some = hashes[hashes.len() / 3];
        let r = find(&img, Addr(g["name_index"].as_u64().unwrap()), |r| {
            Ok(LinkNameRecord::decode(r)?.hash.cmp(&some))
        })
        .unwrap()
        .unwrap();
        assert_eq!(LinkNameRecord::decode(&r).unwrap().hash, some);
    }
}

#[test]
fn real_attribute_indexes() {
    let ex = expected();
    let bytes = data("attrs_latest.h5");
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let many = &ex["attrs_latest.h5"]["many"];
    let (h, recs) = raw_records(&img, Addr(many["name_index"].as_u64().unwrap())).unwrap();
    assert_eq!((h.record_type, h.record_size, h.depth), (8, 17, 2));
    assert_eq!(recs.len(), 1000);
    let mut orders: Vec<u32> = recs
        .iter()
        .map(|r| AttributeNameRecord::decode(r).unwrap().creation_order)
        .collect();
    orders.sort_unstable();
    assert_eq!(orders, (0..1000).collect::<Vec<u32>>());
    let (h, recs) = raw_records(&img, Addr(many["order_index"].as_u64().unwrap())).unwrap();
    assert_eq!((h.record_type, h.record_size), (9, 13));
    let orders: Vec<u32> = recs
        .iter()
        .map(|r| AttributeOrderRecord::decode(r).unwrap().creation_order)
        .collect();
    assert_eq!(orders, (0..1000).collect::<Vec<u32>>());
}

#[test]
fn real_tree_corruption_is_detected() {
    let ex = expected();
    let mut bytes = data("links_latest.h5");
    let g = &ex["links_latest.h5"]["g1000"];
    let hdr = g["name_index"].as_u64().unwrap();
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let root = parse_header(&img, Addr(hdr)).unwrap().root.unwrap().get() as usize;
    bytes[root + 8] ^= 0xff;
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(matches!(
        records(&img, Addr(hdr)),
        Err(Error::Checksum { .. })
    ));
}

#[test]
fn every_single_byte_corruption_is_handled() {
    let good = depth2_tree();
    for i in 0..good.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut bytes = good.clone();
            bytes[i] ^= x;
            let img = FileImage::new(&bytes, 0, Sizes::default());
            // Never a panic; a changed byte inside a node is always caught.
            if let Ok((_, r)) = records(&img, Addr(0)) {
                assert_eq!(r.len(), 11);
            }
        }
    }
}

#[test]
fn corruption_with_valid_checksums_is_handled() {
    // Rewrite fields and re-sign the structure, so that only the structural checks remain.
    let good = depth2_tree();
    // (slot, field offset inside the slot, field width) of counts, addresses and sizes.
    let fields = [
        (0, 6, 4),  // node size
        (0, 10, 2), // record size
        (0, 12, 2), // depth
        (0, 16, 8), // root address
        (0, 24, 2), // root records
        (0, 26, 8), // total records
        (1, 10, 8), // child 0 address
        (1, 18, 1), // child 0 count
        (1, 19, 1), // child 0 total
        (2, 10, 8), // level-1 child address
        (2, 18, 1), // level-1 child count
    ];
    for (slot, at, width) in fields {
        for v in [0u64, 1, 3, 0x40, 0xff, u64::MAX] {
            let mut bytes = good.clone();
            let start = slot * 64;
            let v = v.to_le_bytes();
            bytes[start + at..start + at + width].copy_from_slice(&v[..width]);
            // Re-sign: the checksum sits after the used part of the structure.
            let used = match slot {
                0 => 34,
                1 => 6 + 4 + 2 * 10,
                _ => 6 + 4 + 2 * 9,
            };
            let s = metadata(&bytes[start..start + used]);
            bytes[start + used..start + used + 4].copy_from_slice(&s.to_le_bytes());
            let img = FileImage::new(&bytes, 0, Sizes::default());
            let _ = records(&img, Addr(0));
            let _ = find(&img, Addr(0), |r| Ok(r.bytes.cmp(&[5, 0, 0, 0][..])));
        }
    }
}

#[test]
fn two_byte_child_counts() {
    // 1100-byte nodes of 4-byte records: a leaf holds up to 272 records, so child counts
    // take 2 bytes. Root (depth 1) at 1100 with one record; leaves at 2200 and 3300.
    let h = BTreeV2Header {
        record_type: 0,
        node_size: 1100,
        record_size: 4,
        depth: 1,
        root: None,
        root_records: 0,
        total_records: 0,
    };
    let l = NodeLevels::new(&h, Sizes::default(), 0).unwrap();
    assert_eq!(
        (l.max_records[0], l.max_records_size, l.max_records[1]),
        (272, 2, 77)
    );

    let mut f = vec![0u8; 4400];
    let hd = header(0, 1100, 4, 1, 1100, 1, 521);
    f[..hd.len()].copy_from_slice(&hd);
    let mut root = b"BTIN".to_vec();
    root.extend_from_slice(&[0, 0]);
    root.extend_from_slice(&260u32.to_le_bytes());
    for addr in [2200u64, 3300] {
        root.extend_from_slice(&addr.to_le_bytes());
        root.extend_from_slice(&260u16.to_le_bytes());
    }
    let root = push_sum(root);
    f[1100..1100 + root.len()].copy_from_slice(&root);
    let a: Vec<u32> = (0..260).collect();
    let b: Vec<u32> = (261..521).collect();
    let la = leaf(&a);
    let lb = leaf(&b);
    f[2200..2200 + la.len()].copy_from_slice(&la);
    f[3300..3300 + lb.len()].copy_from_slice(&lb);
    let img = FileImage::new(&f, 0, Sizes::default());
    assert_eq!(keys(&img).unwrap(), (0..521).collect::<Vec<u32>>());
}
