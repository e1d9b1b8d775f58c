#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;

use super::*;
use crate::btree::v2::{AttributeOrderRecord, LinkOrderRecord};
use crate::io::Sizes;

/// Test-only: (name, creation order) of an encoded Link message (spec IV.A.2.g).
fn link_name(msg: &[u8]) -> (String, Option<u64>) {
    assert_eq!(msg[0], 1, "link message version");
    let flags = msg[1];
    let mut p = 2;
    if flags & 0x08 != 0 {
        p += 1;
    }
    let order = if flags & 0x04 != 0 {
        let o = u64::from_le_bytes(msg[p..p + 8].try_into().unwrap());
        p += 8;
        Some(o)
    } else {
        None
    };
    if flags & 0x10 != 0 {
        p += 1;
    }
    let w = 1usize << (flags & 3);
    let mut len = [0u8; 8];
    len[..w].copy_from_slice(&msg[p..p + w]);
    let len = u64::from_le_bytes(len) as usize;
    p += w;
    (String::from_utf8(msg[p..p + len].to_vec()).unwrap(), order)
}

/// Test-only: the name of an encoded Attribute message (spec IV.A.2.m, versions 1-3).
fn attribute_name(msg: &[u8]) -> String {
    let size = u16::from_le_bytes([msg[2], msg[3]]) as usize;
    let start = match msg[0] {
        1 | 2 => 8,
        3 => 9,
        v => panic!("attribute message version {v}"),
    };
    let name = &msg[start..start + size];
    assert_eq!(name.last(), Some(&0));
    String::from_utf8(name[..size - 1].to_vec()).unwrap()
}

fn data(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/data/v2/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(p).unwrap()
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&data("expected.json")).unwrap()
}

fn addr(v: &serde_json::Value) -> Option<Addr> {
    v.as_u64().map(Addr)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn real_dense_groups() {
    let ex = expected();
    let mut checked = 0;
    for file in ["links_latest.h5", "links_v110.h5"] {
        let bytes = data(file);
        let img = FileImage::new(&bytes, 0, Sizes::default());
        for (group, g) in ex[file].as_object().unwrap() {
            if group == "target" {
                continue;
            }
            let tracked = group.starts_with('t');
            let info = LinkInfo {
                max_creation_index: None,
                fractal_heap: addr(&g["heap"]),
                name_index: addr(&g["name_index"]),
                order_index: addr(&g["order_index"]),
            };
            let objs = link_objects(&img, &info).unwrap();
            let mut by_id = HashMap::new();
            let mut names = Vec::new();
            for o in &objs {
                let (name, order) = link_name(&o.bytes);
                assert_eq!(
                    o.hash,
                    checksum::metadata(name.as_bytes()),
                    "{group}/{name}"
                );
                assert_eq!(order.is_some(), tracked);
                assert_eq!(o.heap_id.len(), 7);
                by_id.insert(o.heap_id.clone(), (name.clone(), order));
                names.push(name);
            }
            names.sort();
            assert_eq!(names, strings(&g["names"]), "{file} {group}");
            if tracked {
                // The creation-order index lists the links in creation order.
                let (h, recs) = bt2::raw_records(&img, info.order_index.unwrap()).unwrap();
                assert_eq!(h.record_type, 6);
                let mut created = Vec::new();
                for r in &recs {
                    let rec = LinkOrderRecord::decode(r).unwrap();
                    let (name, order) = &by_id[rec.heap_id];
                    assert_eq!(*order, Some(rec.creation_order));
                    created.push(name.clone());
                }
                assert_eq!(created, strings(&g["created"]), "{file} {group}");
            } else {
                assert!(info.order_index.is_none());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 10);
}

#[test]
fn real_dense_attributes() {
    let ex = expected();
    for file in ["attrs_latest.h5", "attrs_v110.h5"] {
        let bytes = data(file);
        let img = FileImage::new(&bytes, 0, Sizes::default());
        for object in ["many", "huge"] {
            let a = &ex[file][object];
            let info = AttributeInfo {
                max_creation_index: None,
                fractal_heap: addr(&a["heap"]),
                name_index: addr(&a["name_index"]),
                order_index: addr(&a["order_index"]),
            };
            let objs = attribute_objects(&img, &info).unwrap();
            let mut names: Vec<String> = Vec::new();
            let mut by_order = Vec::new();
            let mut by_id = HashMap::new();
            for o in &objs {
                let name = attribute_name(&o.bytes);
                assert_eq!(o.hash, checksum::metadata(name.as_bytes()));
                assert_eq!(o.heap_id.len(), 8);
                by_order.push((o.creation_order.unwrap(), name.clone()));
                by_id.insert(o.heap_id.clone(), name.clone());
                if name == "big" {
                    assert_eq!(o.bytes.len(), 70045);
                }
                names.push(name);
            }
            names.sort();
            assert_eq!(names, strings(&a["names"]), "{file} {object}");
            by_order.sort();
            let created: Vec<String> = by_order.into_iter().map(|(_, n)| n).collect();
            assert_eq!(created, strings(&a["created"]), "{file} {object}");
            if let Some(order_index) = info.order_index {
                let (h, recs) = bt2::raw_records(&img, order_index).unwrap();
                assert_eq!(h.record_type, 9);
                let via_index: Vec<String> = recs
                    .iter()
                    .map(|r| by_id[AttributeOrderRecord::decode(r).unwrap().heap_id].clone())
                    .collect();
                assert_eq!(via_index, strings(&a["created"]));
            }
        }
    }
}

#[test]
fn compact_storage_gives_nothing() {
    let bytes = [0u8; 16];
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(dense_links(&img, &LinkInfo::default()).unwrap().is_empty());
    assert!(dense_attributes(&img, &AttributeInfo::default())
        .unwrap()
        .is_empty());
}

#[test]
fn wrong_index_type_or_corrupt_heap_is_an_error() {
    let ex = expected();
    let mut bytes = data("links_latest.h5");
    let g = &ex["links_latest.h5"]["t100"];
    // The creation-order index given as the name index: wrong record type.
    let info = LinkInfo {
        max_creation_index: None,
        fractal_heap: addr(&g["heap"]),
        name_index: addr(&g["order_index"]),
        order_index: None,
    };
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let e = link_objects(&img, &info).unwrap_err().to_string();
    assert!(e.contains("record type 6"), "{e}");
    // A flipped byte in the heap header.
    let info = LinkInfo {
        name_index: addr(&g["name_index"]),
        ..info
    };
    let heap = g["heap"].as_u64().unwrap() as usize;
    bytes[heap + 30] ^= 1;
    let img = FileImage::new(&bytes, 0, Sizes::default());
    assert!(matches!(
        link_objects(&img, &info),
        Err(Error::Checksum { .. })
    ));
}

#[test]
fn link_message_parse_errors_propagate() {
    // Link::parse and AttributeMessage::parse are written elsewhere; whatever they return for
    // a real message must come through unchanged (an error, or a link named as in h5py).
    let ex = expected();
    let bytes = data("links_v110.h5");
    let img = FileImage::new(&bytes, 0, Sizes::default());
    let g = &ex["links_v110.h5"]["g9"];
    let info = LinkInfo {
        max_creation_index: None,
        fractal_heap: addr(&g["heap"]),
        name_index: addr(&g["name_index"]),
        order_index: None,
    };
    match dense_links(&img, &info) {
        Ok(links) => {
            let mut names: Vec<String> = links.into_iter().map(|l| l.name).collect();
            names.sort();
            assert_eq!(names, strings(&g["names"]));
        }
        Err(e) => assert!(e.to_string().contains("link"), "{e}"),
    }
}
