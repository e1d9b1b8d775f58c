#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::btree::v2 as bt2;
use crate::emit::MemSpace;
use crate::io::{Addr, Sizes};
use crate::links::dense::{attribute_objects, dense_attributes, dense_links, link_objects};
use crate::messages::link::LinkTarget;
use proptest::prelude::*;

/// A version 1 Link message body for a hard link (1-byte name length), with the creation
/// order when `order` is given.
fn link_message(name: &str, order: Option<u64>, target: u64) -> Vec<u8> {
    let mut v = vec![1u8, if order.is_some() { 0x04 } else { 0 }];
    if let Some(o) = order {
        v.extend_from_slice(&o.to_le_bytes());
    }
    v.push(name.len() as u8);
    v.extend_from_slice(name.as_bytes());
    v.extend_from_slice(&target.to_le_bytes());
    v
}

/// A version 3 Attribute message: a 1-D array of `n` little-endian i32 values `0..n`.
fn attribute_message(name: &str, n: u64) -> Vec<u8> {
    let mut dt = vec![0x10, 0x08, 0, 0];
    dt.extend_from_slice(&4u32.to_le_bytes());
    dt.extend_from_slice(&0u16.to_le_bytes());
    dt.extend_from_slice(&32u16.to_le_bytes());
    let mut ds = vec![2u8, 1, 0, 1];
    ds.extend_from_slice(&n.to_le_bytes());
    let mut v = vec![3u8, 0];
    v.extend_from_slice(&(name.len() as u16 + 1).to_le_bytes());
    v.extend_from_slice(&(dt.len() as u16).to_le_bytes());
    v.extend_from_slice(&(ds.len() as u16).to_le_bytes());
    v.push(0);
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    v.extend_from_slice(&dt);
    v.extend_from_slice(&ds);
    for i in 0..n {
        v.extend_from_slice(&(i as i32).to_le_bytes());
    }
    v
}

fn link_entries(names: &[String], tracked: bool) -> Vec<DenseEntry> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| DenseEntry {
            name: n.clone(),
            creation_order: i as u64,
            message: link_message(n, tracked.then_some(i as u64), 1000 + i as u64),
        })
        .collect()
}

fn space() -> (MemSpace, Emit) {
    (MemSpace::new(Sizes::default(), 48), Emit::default())
}

fn check_links(names: &[String], tracked: bool) {
    let entries = link_entries(names, tracked);
    let (mut space, mut emit) = space();
    let info = build_dense_links(&entries, tracked, &mut space, &mut emit).unwrap();
    space.apply(&emit).unwrap();
    let img = space.image();
    let mut links = dense_links(&img, &info).unwrap();
    assert_eq!(links.len(), names.len());
    // Name index order: by hash, then name.
    let objs = link_objects(&img, &info).unwrap();
    let keys: Vec<(u32, String)> = objs
        .iter()
        .zip(&links)
        .map(|(o, l)| (o.hash, l.name.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| (a.0, a.1.as_bytes()).cmp(&(b.0, b.1.as_bytes())));
    assert_eq!(keys, sorted);
    links.sort_by(|a, b| a.name.cmp(&b.name));
    let mut expected: Vec<(usize, &String)> = names.iter().enumerate().collect();
    expected.sort_by(|a, b| a.1.cmp(b.1));
    for (l, (i, n)) in links.iter().zip(expected) {
        assert_eq!(&l.name, n);
        assert_eq!(l.target, LinkTarget::Hard(Addr(1000 + i as u64)));
        assert_eq!(l.creation_order, tracked.then_some(i as u64));
    }
    if tracked {
        assert_eq!(info.max_creation_index, Some(names.len() as u64));
        let (h, recs) = bt2::raw_records(&img, info.order_index.unwrap()).unwrap();
        assert_eq!((h.record_type, h.record_size, h.node_size), (6, 15, 512));
        let heap =
            crate::heap::fractal::FractalHeap::parse(&img, info.fractal_heap.unwrap()).unwrap();
        for (i, r) in recs.iter().enumerate() {
            let rec = bt2::LinkOrderRecord::decode(r).unwrap();
            assert_eq!(rec.creation_order, i as u64);
            let msg = heap.get(rec.heap_id).unwrap();
            assert_eq!(msg.as_ref(), entries[i].message.as_slice());
        }
    } else {
        assert_eq!(info.max_creation_index, None);
        assert_eq!(info.order_index, None);
    }
}

#[test]
fn links_plain_and_tracked() {
    let names: Vec<String> = (0..1000).map(|i| format!("g{i:04}")).collect();
    check_links(&names, false);
    check_links(&names, true);
    check_links(&names[..1], true);
    check_links(&[], true);
    check_links(&[], false);
}

#[test]
fn duplicate_creation_orders_are_rejected() {
    let mut entries = link_entries(&["a".to_string(), "b".to_string()], true);
    entries[1].creation_order = 0;
    let (mut space, mut emit) = space();
    assert!(matches!(
        build_dense_links(&entries, true, &mut space, &mut emit),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn duplicate_names_are_rejected() {
    let names = vec!["a".to_string(), "a".to_string()];
    let (mut space, mut emit) = space();
    assert!(matches!(
        build_dense_links(&link_entries(&names, false), false, &mut space, &mut emit),
        Err(Error::Invalid(_))
    ));
}

fn attr_entries(specs: &[(String, u64)]) -> Vec<DenseEntry> {
    specs
        .iter()
        .enumerate()
        .map(|(i, (n, len))| DenseEntry {
            name: n.clone(),
            creation_order: i as u64,
            message: attribute_message(n, *len),
        })
        .collect()
}

fn check_attrs(specs: &[(String, u64)], tracked: bool) {
    let entries = attr_entries(specs);
    let (mut space, mut emit) = space();
    let info = build_dense_attributes(&entries, tracked, &mut space, &mut emit).unwrap();
    space.apply(&emit).unwrap();
    let img = space.image();
    let attrs = dense_attributes(&img, &info).unwrap();
    assert_eq!(attrs.len(), specs.len());
    for (order, msg) in &attrs {
        let (name, len) = &specs[*order as usize];
        assert_eq!(&msg.name, name);
        assert_eq!(msg.data.len() as u64, 4 * len);
    }
    let objs = attribute_objects(&img, &info).unwrap();
    assert!(objs.iter().all(|o| o.flags == 0 && o.heap_id.len() == 8));
    let hashes: Vec<u32> = objs.iter().map(|o| o.hash).collect();
    assert!(hashes.windows(2).all(|w| w[0] <= w[1]));
    if tracked {
        assert_eq!(info.max_creation_index, Some(specs.len() as u16));
        let (h, recs) = bt2::raw_records(&img, info.order_index.unwrap()).unwrap();
        assert_eq!((h.record_type, h.record_size), (9, 13));
        let orders: Vec<u32> = recs
            .iter()
            .map(|r| bt2::AttributeOrderRecord::decode(r).unwrap().creation_order)
            .collect();
        assert_eq!(orders, (0..specs.len() as u32).collect::<Vec<_>>());
    } else {
        assert_eq!(info.order_index, None);
    }
}

#[test]
fn attributes_small_and_huge() {
    let mut specs: Vec<(String, u64)> =
        (0..300).map(|i| (format!("attr_{i}"), 1 + i % 7)).collect();
    // Larger than the 4096-byte managed limit: huge objects.
    specs.push(("big".into(), 20_000));
    specs.push(("big2".into(), 1100));
    check_attrs(&specs, false);
    check_attrs(&specs, true);
    check_attrs(&[], true);
}

#[test]
fn attribute_creation_order_limit() {
    let entries = vec![DenseEntry {
        name: "x".into(),
        creation_order: 70_000,
        message: attribute_message("x", 1),
    }];
    let (mut space, mut emit) = space();
    assert!(matches!(
        build_dense_attributes(&entries, true, &mut space, &mut emit),
        Err(Error::LimitExceeded(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_link_sets(
        names in prop::collection::btree_set("[a-zA-Z0-9_]{1,40}", 0..600),
        tracked in any::<bool>(),
    ) {
        let names: Vec<String> = names.into_iter().collect();
        check_links(&names, tracked);
    }

    #[test]
    fn random_attribute_sets(
        specs in prop::collection::btree_map("[a-z]{1,20}", prop_oneof![1u64..50, 900u64..3000], 0..200),
        tracked in any::<bool>(),
    ) {
        let specs: Vec<(String, u64)> = specs.into_iter().collect();
        check_attrs(&specs, tracked);
    }
}

#[test]
fn name_records_repeating_one_heap_object_are_corrupt() {
    // A name index whose records all name the first link's heap object: without the check
    // a small file expands into many copies of one (possibly large) object.
    let names: Vec<String> = (0..3).map(|i| format!("l{i}")).collect();
    let (mut space, mut emit) = space();
    let info =
        build_dense_links(&link_entries(&names, false), false, &mut space, &mut emit).unwrap();
    space.apply(&emit).unwrap();
    let first = link_objects(&space.image(), &info).unwrap().remove(0);
    let record = LinkNameRecord {
        hash: first.hash,
        heap_id: &first.heap_id,
    }
    .encode();
    let records = vec![record; 3];
    let mut emit = Emit::default();
    let size = 4 + HeapParams::links().id_len;
    let index = build_tree(5, size, &records, DENSE_NODE_SIZE, &mut space, &mut emit).unwrap();
    space.apply(&emit).unwrap();
    let bad = LinkInfo {
        name_index: Some(index),
        ..info
    };
    let e = link_objects(&space.image(), &bad).unwrap_err().to_string();
    assert!(e.contains("same heap object"), "{e}");
    assert!(dense_links(&space.image(), &bad).is_err());
}
