//! Header messages decoded from real files written by h5py 3.16.0 (HDF5 2.0.0) under five
//! library version bounds (`tests/data/messages/make_files.py` made them, together with the
//! `.addrs` lists of object header addresses). A minimal object header walker, private to
//! this test, finds the messages; every message of a type this crate decodes must parse,
//! and selected values are checked.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)]

use std::collections::HashMap;

use jangada_hdf5::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use jangada_hdf5::datatype::{parse_datatype, ByteOrder, CharacterSet, Datatype, TypeClass};
use jangada_hdf5::io::{Addr, Cursor, FileImage, Sizes};
use jangada_hdf5::messages::attribute::{AttributeMessage, MaybeShared};
use jangada_hdf5::messages::attribute_info::AttributeInfo;
use jangada_hdf5::messages::fill_value::FillValue;
use jangada_hdf5::messages::filter_pipeline::FilterPipeline;
use jangada_hdf5::messages::group_info::GroupInfo;
use jangada_hdf5::messages::kind;
use jangada_hdf5::messages::layout::{ChunkIndexKind, Layout};
use jangada_hdf5::messages::link::{Link, LinkTarget};
use jangada_hdf5::messages::link_info::LinkInfo;
use jangada_hdf5::messages::shared::SharedRef;

const LIBVERS: [&str; 5] = ["earliest", "v108", "v110", "v112", "latest"];

struct Msg {
    kind: u16,
    flags: u8,
    body: Vec<u8>,
    origin: u64,
}

fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/messages")
}

fn load(libver: &str) -> (Vec<u8>, HashMap<String, u64>) {
    let bytes = std::fs::read(data_dir().join(format!("messages_{libver}.h5"))).unwrap();
    let addrs = std::fs::read_to_string(data_dir().join(format!("messages_{libver}.addrs")))
        .unwrap()
        .lines()
        .map(|l| {
            let (n, a) = l.split_once(' ').unwrap();
            (n.to_string(), a.parse().unwrap())
        })
        .collect();
    (bytes, addrs)
}

fn sizes(bytes: &[u8]) -> Sizes {
    match bytes[8] {
        0 | 1 => Sizes {
            offset: bytes[13],
            length: bytes[14],
        },
        _ => Sizes {
            offset: bytes[9],
            length: bytes[10],
        },
    }
}

/// Every message of the object header at `addr` (v1 or v2, following continuations).
fn messages(img: &FileImage<'_>, addr: u64) -> Vec<Msg> {
    let bytes = img.bytes();
    let s = img.sizes();
    let mut out = Vec::new();
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    let v2 = &bytes[addr as usize..addr as usize + 4] == b"OHDR";
    let mut oh_flags = 0u8;
    if v2 {
        let mut c = img.cursor_at(Addr(addr + 4), "test").unwrap();
        assert_eq!(c.u8().unwrap(), 2);
        oh_flags = c.u8().unwrap();
        if oh_flags & 0x20 != 0 {
            c.skip(16).unwrap();
        }
        if oh_flags & 0x10 != 0 {
            c.skip(4).unwrap();
        }
        let size = c.uint(1 << (oh_flags & 3)).unwrap();
        blocks.push((addr + 4 + c.pos() as u64, size));
    } else {
        let mut c = img.cursor_at(Addr(addr), "test").unwrap();
        assert_eq!(c.u8().unwrap(), 1);
        c.skip(7).unwrap();
        let size = c.u32().unwrap();
        blocks.push((addr + 16, u64::from(size)));
    }
    let head = if v2 {
        4 + if oh_flags & 4 != 0 { 2 } else { 0 }
    } else {
        8
    };
    let mut i = 0;
    while let Some(&(start, len)) = blocks.get(i) {
        i += 1;
        let mut c = img.cursor(Addr(start), len, "test").unwrap();
        while c.remaining() >= head {
            let (kind, size, flags) = if v2 {
                let k = u16::from(c.u8().unwrap());
                let sz = c.u16().unwrap();
                let f = c.u8().unwrap();
                if oh_flags & 4 != 0 {
                    c.skip(2).unwrap();
                }
                (k, sz, f)
            } else {
                let k = c.u16().unwrap();
                let sz = c.u16().unwrap();
                let f = c.u8().unwrap();
                c.skip(3).unwrap();
                (k, sz, f)
            };
            let origin = c.offset();
            let body = c.take(usize::from(size)).unwrap().to_vec();
            if kind == kind::CONTINUATION {
                let mut cc = Cursor::new(&body, origin, s, "continuation");
                let a = cc.addr().unwrap().unwrap().get();
                let l = cc.length().unwrap();
                if v2 {
                    assert_eq!(&bytes[a as usize..a as usize + 4], b"OCHK");
                    blocks.push((a + 4, l - 8));
                } else {
                    blocks.push((a, l));
                }
            }
            out.push(Msg {
                kind,
                flags,
                body,
                origin,
            });
        }
    }
    out
}

/// Decoded messages of one object.
#[derive(Default)]
struct Decoded {
    datatype: Option<MaybeShared<Datatype>>,
    dataspace: Option<Dataspace>,
    layout: Option<Layout>,
    fill: Option<FillValue>,
    pipeline: Option<FilterPipeline>,
    attributes: Vec<AttributeMessage>,
    links: Vec<Link>,
    link_info: Option<LinkInfo>,
    attribute_info: Option<AttributeInfo>,
    group_info: Option<GroupInfo>,
}

fn decode(img: &FileImage<'_>, addr: u64) -> Decoded {
    let mut d = Decoded::default();
    for m in messages(img, addr) {
        let mut c = Cursor::new(&m.body, m.origin, img.sizes(), "message");
        let (k, at) = (m.kind, m.origin);
        match m.kind {
            kind::DATASPACE => {
                d.dataspace = Some(Dataspace::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            kind::DATATYPE => {
                d.datatype = Some(if m.flags & 0x02 != 0 {
                    MaybeShared::Shared(SharedRef::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
                } else {
                    MaybeShared::Inline(parse_datatype(&mut c).unwrap_or_else(|e| fail(k, at, e)))
                })
            }
            kind::FILL_VALUE => {
                d.fill = Some(FillValue::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            kind::FILL_VALUE_OLD => {
                FillValue::parse_old(&mut c).unwrap_or_else(|e| fail(k, at, e));
            }
            kind::LAYOUT => {
                d.layout = Some(Layout::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            kind::FILTER_PIPELINE => {
                d.pipeline = Some(FilterPipeline::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            kind::ATTRIBUTE => d
                .attributes
                .push(AttributeMessage::parse(&mut c).unwrap_or_else(|e| fail(k, at, e))),
            kind::LINK => d
                .links
                .push(Link::parse(&mut c).unwrap_or_else(|e| fail(k, at, e))),
            kind::LINK_INFO => {
                d.link_info = Some(LinkInfo::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            kind::ATTRIBUTE_INFO => {
                d.attribute_info =
                    Some(AttributeInfo::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            kind::GROUP_INFO => {
                d.group_info = Some(GroupInfo::parse(&mut c).unwrap_or_else(|e| fail(k, at, e)))
            }
            _ => continue,
        }
        // Whatever a parser leaves must be object header alignment padding.
        assert!(
            c.rest().iter().all(|&b| b == 0) || m.kind == kind::ATTRIBUTE,
            "message {:#x} at {} left {:?}",
            m.kind,
            m.origin,
            c.rest()
        );
    }
    d
}

fn fail<T>(kind: u16, at: u64, e: jangada_hdf5::Error) -> T {
    panic!("message {kind:#x} at {at}: {e}")
}

fn inline(d: &Decoded) -> &Datatype {
    match d.datatype.as_ref().unwrap() {
        MaybeShared::Inline(t) => t,
        MaybeShared::Shared(s) => panic!("shared {s:?}"),
    }
}

fn version_of(img: &FileImage<'_>, addr: u64) -> u8 {
    let m = messages(img, addr);
    m.iter().find(|m| m.kind == kind::DATATYPE).unwrap().body[0] >> 4
}

#[test]
fn every_object_in_every_file_decodes() {
    for libver in LIBVERS {
        let (bytes, addrs) = load(libver);
        let img = FileImage::new(&bytes, 0, sizes(&bytes));
        for (name, &addr) in &addrs {
            let d = decode(&img, addr);
            if name != "g" && name != "tracked" && name != "tcommit" {
                assert!(d.dataspace.is_some(), "{libver} {name}");
                assert!(d.layout.is_some(), "{libver} {name}");
            }
        }
    }
}

#[test]
fn datatypes() {
    for libver in LIBVERS {
        let (bytes, addrs) = load(libver);
        let img = FileImage::new(&bytes, 0, sizes(&bytes));
        let t = |n: &str| inline(&decode(&img, addrs[n])).clone();
        assert!(t("bool").is_h5py_bool(), "{libver}");
        let part = t("cplx").h5py_complex_part().cloned().unwrap();
        assert_eq!(part.size, 4);
        let nested = t("nested");
        let TypeClass::Compound { members } = &nested.class else {
            panic!()
        };
        assert_eq!(members[1].name, "b");
        assert!(matches!(
            members[1].datatype.class,
            TypeClass::Compound { .. }
        ));
        let arr = t("arr_plain");
        assert!(matches!(&arr.class, TypeClass::Array { dims, .. } if dims == &[2, 3]));
        assert_eq!(
            t("vstr_utf8").class,
            TypeClass::VarLenString {
                padding: jangada_hdf5::datatype::StringPadding::NullTerminate,
                charset: CharacterSet::Utf8
            }
        );
        assert!(matches!(
            t("vlen_i4").class,
            TypeClass::VarLenSequence { .. }
        ));
        assert_eq!(
            t("opaque").class,
            TypeClass::Opaque {
                tag: "NUMPY:<M8[s]".into()
            }
        );
        let TypeClass::Enum { members, .. } = t("enum16").class else {
            panic!()
        };
        assert_eq!(members.len(), 3);
        assert!(matches!(
            t("f8be").class,
            TypeClass::Float {
                order: ByteOrder::Big,
                ..
            }
        ));
        if let Some(&a) = addrs.get("c11") {
            let c = inline(&decode(&img, a)).clone();
            assert!(matches!(c.class, TypeClass::Complex { .. }));
            assert_eq!(c.size, 16);
        }
        // Compound versions follow the bound (README note 4).
        let want = match libver {
            "earliest" => 1,
            "v108" | "v110" => 3,
            "v112" => 4,
            _ => 5,
        };
        assert_eq!(version_of(&img, addrs["cplx"]), want, "{libver}");
        // The dataset of a committed type holds a shared datatype message.
        let d = decode(&img, addrs["withtype"]);
        assert_eq!(
            d.datatype,
            Some(MaybeShared::Shared(SharedRef::ObjectHeader(Addr(
                addrs["tcommit"]
            ))))
        );
        let a = &d.attributes[0];
        assert_eq!(a.name, "ta");
        assert_eq!(&a.data[..4], &[1, 0, 2, 0]);
    }
}

#[test]
fn layouts_fill_values_and_filters() {
    for libver in LIBVERS {
        let (bytes, addrs) = load(libver);
        let img = FileImage::new(&bytes, 0, sizes(&bytes));
        let d = |n: &str| decode(&img, addrs[n]);
        assert!(matches!(
            d("contig").layout,
            Some(Layout::Contiguous {
                size: 24,
                addr: Some(_)
            })
        ));
        assert_eq!(
            d("compact").layout,
            Some(Layout::Compact {
                data: vec![1, 0, 2, 0, 3, 0]
            })
        );
        let modern = !matches!(libver, "earliest" | "v108");
        let chunk = |n: &str| match d(n).layout {
            Some(Layout::Chunked(c)) => c,
            other => panic!("{libver} {n}: {other:?}"),
        };
        let fixed = chunk("fixed");
        assert_eq!(
            (fixed.chunk_dims.clone(), fixed.element_size),
            (vec![2, 5], 4)
        );
        let earr = chunk("earr");
        let bt2 = chunk("bt2");
        let single = chunk("single_gz");
        let implicit = chunk("implicit");
        let filtered = chunk("filtered");
        if modern {
            assert!(matches!(fixed.index, ChunkIndexKind::FixedArray { .. }));
            assert!(matches!(earr.index, ChunkIndexKind::ExtensibleArray { .. }));
            assert!(matches!(bt2.index, ChunkIndexKind::BtreeV2 { .. }));
            assert!(matches!(
                single.index,
                ChunkIndexKind::SingleChunk {
                    filtered: Some(_),
                    ..
                }
            ));
            assert!(matches!(implicit.index, ChunkIndexKind::Implicit { .. }));
            let v = if libver == "latest" { 5 } else { 4 };
            assert_eq!(filtered.version, v, "{libver}");
            assert_eq!(fixed.version, 4);
        } else {
            for c in [&fixed, &earr, &bt2, &single, &implicit, &filtered] {
                assert_eq!(c.version, 3);
                assert!(matches!(c.index, ChunkIndexKind::BtreeV1 { .. }));
            }
        }
        assert_eq!(d("fill5").fill.unwrap().value, Some(vec![5, 0, 0, 0]));
        assert_eq!(d("contig").fill.unwrap().value, None);
        let p = d("filtered").pipeline.unwrap();
        let ids: Vec<u16> = p.filters.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![2, 1, 3]);
        assert_eq!(p.filters[1].client_data, vec![4]);
        let s = d("scalar").dataspace.unwrap();
        assert_eq!(s.kind, SpaceKind::Scalar);
        assert_eq!(d("null").dataspace.unwrap().kind, SpaceKind::Null);
        assert_eq!(d("earr").dataspace.unwrap().max_dims, Some(vec![UNLIMITED]));
    }
}

#[test]
fn attributes_and_links() {
    for libver in LIBVERS {
        let (bytes, addrs) = load(libver);
        let img = FileImage::new(&bytes, 0, sizes(&bytes));
        let g = decode(&img, addrs["g"]);
        let names: Vec<&str> = g.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["i", "s", "arr", "e"], "{libver}");
        assert_eq!(g.attributes[0].data, vec![7, 0, 0, 0]);
        assert_eq!(g.attributes[2].inline_dataspace().unwrap().dims, vec![3]);
        assert!(g.attributes[3].data.is_empty());
        let mut links: Vec<(String, LinkTarget)> = g
            .links
            .iter()
            .map(|l| (l.name.clone(), l.target.clone()))
            .collect();
        links.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            links,
            vec![
                (
                    "ext".to_string(),
                    LinkTarget::External {
                        file: "other.h5".into(),
                        path: "/path/x".into()
                    }
                ),
                ("hard".to_string(), LinkTarget::Hard(Addr(addrs["fixed"]))),
                ("sub".to_string(), LinkTarget::Soft("/fixed".into())),
            ],
            "{libver}"
        );
        let t = decode(&img, addrs["tracked"]);
        assert_eq!(t.link_info.unwrap().max_creation_index, Some(1));
        assert_eq!(t.attribute_info.unwrap().max_creation_index, Some(1));
        assert_eq!(t.group_info, Some(GroupInfo::default()));
        assert_eq!(t.links[0].creation_order, Some(0));
    }
}

/// Run the parser for `kind` over `body`, ignoring the result: it must return, not panic.
fn parse_any(kind: u16, flags: u8, body: &[u8], sizes: Sizes) {
    let mut c = Cursor::new(body, 0, sizes, "fuzzed message");
    match kind {
        kind::DATASPACE => drop(Dataspace::parse(&mut c)),
        kind::DATATYPE if flags & 0x02 != 0 => drop(SharedRef::parse(&mut c)),
        kind::DATATYPE => drop(parse_datatype(&mut c)),
        kind::FILL_VALUE => drop(FillValue::parse(&mut c)),
        kind::FILL_VALUE_OLD => drop(FillValue::parse_old(&mut c)),
        kind::LAYOUT => drop(Layout::parse(&mut c)),
        kind::FILTER_PIPELINE => drop(FilterPipeline::parse(&mut c)),
        kind::ATTRIBUTE => drop(AttributeMessage::parse(&mut c)),
        kind::LINK => drop(Link::parse(&mut c)),
        kind::LINK_INFO => drop(LinkInfo::parse(&mut c)),
        kind::ATTRIBUTE_INFO => drop(AttributeInfo::parse(&mut c)),
        kind::GROUP_INFO => drop(GroupInfo::parse(&mut c)),
        _ => {}
    }
}

#[test]
fn corrupted_and_truncated_messages_never_panic() {
    for libver in ["earliest", "latest"] {
        let (bytes, addrs) = load(libver);
        let s = sizes(&bytes);
        let img = FileImage::new(&bytes, 0, s);
        for &addr in addrs.values() {
            for m in messages(&img, addr) {
                for n in 0..m.body.len() {
                    parse_any(m.kind, m.flags, &m.body[..n], s);
                    for x in [0xff, 0x80, 0x01] {
                        let mut b = m.body.clone();
                        b[n] ^= x;
                        parse_any(m.kind, m.flags, &b, s);
                    }
                }
            }
        }
    }
}
