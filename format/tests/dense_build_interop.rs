//! libhdf5 reads and extends dense storage built by this crate.
//!
//! Each test takes a file written by h5py, rebuilds the dense link or attribute storage of one
//! object with `build_dense_links` / `build_dense_attributes` into space appended at the end
//! of the file, points the object's Link Info / Attribute Info message at the new structures
//! (same size, so patched in place; the object header checksum and the superblock's
//! end-of-file address are fixed up), then runs h5py (the repository venv,
//! `<root>/.venv/bin/python`) to list the members, add one, delete one and list again. The
//! result is read back with this crate too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{fixture, run_python};

use std::path::{Path, PathBuf};
use std::process::Command;

use jangada_hdf5::checksum;
use jangada_hdf5::emit::{Emit, MemSpace};
use jangada_hdf5::io::{Addr, FileImage};
use jangada_hdf5::links::dense::build::{build_dense_attributes, build_dense_links, DenseEntry};
use jangada_hdf5::links::dense::{attribute_objects, link_objects};
use jangada_hdf5::messages::attribute::AttributeMessage;
use jangada_hdf5::messages::attribute_info::AttributeInfo;
use jangada_hdf5::messages::link::Link;
use jangada_hdf5::messages::link_info::LinkInfo;
use jangada_hdf5::object_header::ObjectHeader;
use jangada_hdf5::File;

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-dense-interop");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Which dense storage to rebuild.
#[derive(Clone, Copy)]
enum Kind {
    Links,
    Attributes,
}

/// Rebuild the dense storage of the object at `path` in `bytes`; return the patched file
/// and the names stored.
fn rebuild(bytes: &[u8], path: &str, kind: Kind) -> (Vec<u8>, Vec<String>) {
    let file = File::from_bytes(bytes.to_vec()).unwrap();
    let sb = file.superblock().clone();
    assert!(sb.version >= 2, "the patcher handles superblock v2/v3 only");
    assert_eq!(sb.base, 0);
    let addr = if path == "/" {
        file.root().unwrap().addr()
    } else {
        file.get(path).unwrap().addr()
    };
    let img = FileImage::new(bytes, 0, sb.sizes);
    let header = ObjectHeader::parse(&img, addr).unwrap();
    let msg_kind = match kind {
        Kind::Links => 0x02,
        Kind::Attributes => 0x15,
    };
    let msg = header.find(msg_kind).expect("info message").clone();
    let mut space = MemSpace::new(sb.sizes, bytes.len() as u64);
    space.bytes = bytes.to_vec();
    let mut emit = Emit::default();
    let (names, flags, addrs): (Vec<String>, u8, Vec<Option<Addr>>) = match kind {
        Kind::Links => {
            let info = LinkInfo::parse(&mut msg.cursor(&img, "link info")).unwrap();
            let tracked = info.order_index.is_some();
            let mut entries = Vec::new();
            for obj in link_objects(&img, &info).unwrap() {
                let link = Link::parse(&mut obj.cursor(&img, "link")).unwrap();
                entries.push(DenseEntry {
                    name: link.name.clone(),
                    creation_order: link.creation_order.unwrap_or(entries.len() as u64),
                    message: obj.bytes.to_vec(),
                });
            }
            let new = build_dense_links(&entries, tracked, &mut space, &mut emit).unwrap();
            assert_eq!(new.max_creation_index.is_some(), tracked);
            if tracked {
                assert_eq!(new.max_creation_index, info.max_creation_index);
            }
            (
                entries.into_iter().map(|e| e.name).collect(),
                msg.data[1],
                vec![new.fractal_heap, new.name_index, new.order_index],
            )
        }
        Kind::Attributes => {
            let info = AttributeInfo::parse(&mut msg.cursor(&img, "attribute info")).unwrap();
            let tracked = info.order_index.is_some();
            let mut entries = Vec::new();
            for obj in attribute_objects(&img, &info).unwrap() {
                let attr = AttributeMessage::parse(&mut obj.cursor(&img, "attribute")).unwrap();
                entries.push(DenseEntry {
                    name: attr.name.clone(),
                    creation_order: u64::from(obj.creation_order.unwrap()),
                    message: obj.bytes.to_vec(),
                });
            }
            let new = build_dense_attributes(&entries, tracked, &mut space, &mut emit).unwrap();
            if tracked {
                assert_eq!(new.max_creation_index, info.max_creation_index);
            }
            (
                entries.into_iter().map(|e| e.name).collect(),
                msg.data[1],
                vec![new.fractal_heap, new.name_index, new.order_index],
            )
        }
    };
    space.apply(&emit).unwrap();
    let mut out = space.bytes.clone();
    out.resize(space.end as usize, 0);
    // Patch the message body: version, flags, [max creation index], heap, name, [order].
    let corder_len = match kind {
        Kind::Links => 8,
        Kind::Attributes => 2,
    };
    let mut pos = msg.offset as usize + 2 + if flags & 1 != 0 { corder_len } else { 0 };
    let count = if flags & 2 != 0 { 3 } else { 2 };
    for a in addrs.iter().take(count) {
        out[pos..pos + 8].copy_from_slice(&a.unwrap().0.to_le_bytes());
        pos += 8;
    }
    fix_header_checksum(&mut out, &header, msg.offset);
    // Superblock v2/v3: end-of-file address at 28, checksum at 44.
    let eof = out.len() as u64;
    out[28..36].copy_from_slice(&eof.to_le_bytes());
    let sum = checksum::metadata(&out[..44]);
    out[44..48].copy_from_slice(&sum.to_le_bytes());
    (out, names)
}

/// Recompute the checksum of the object header chunk holding `offset`.
fn fix_header_checksum(out: &mut [u8], header: &ObjectHeader<'_>, offset: u64) {
    let start = header.addr.0 as usize;
    assert_eq!(&out[start..start + 4], b"OHDR");
    let flags = out[start + 5];
    let mut p = start + 6;
    if flags & 0x20 != 0 {
        p += 16;
    }
    if flags & 0x10 != 0 {
        p += 4;
    }
    let width = 1usize << (flags & 3);
    let size0 = out[p..p + width]
        .iter()
        .rev()
        .fold(0usize, |a, &b| (a << 8) | usize::from(b));
    let end0 = p + width + size0;
    let mut chunks = vec![(start, end0)];
    for m in header.all(0x10) {
        let a = u64::from_le_bytes(m.data[..8].try_into().unwrap()) as usize;
        let l = u64::from_le_bytes(m.data[8..16].try_into().unwrap()) as usize;
        chunks.push((a, a + l - 4));
    }
    let (s, e) = chunks
        .into_iter()
        .find(|&(s, e)| (s as u64) <= offset && offset < e as u64)
        .expect("message inside a header chunk");
    let sum = checksum::metadata(&out[s..e]);
    out[e..e + 4].copy_from_slice(&sum.to_le_bytes());
}

const LINKS_SCRIPT: &str = r#"
import sys, json, h5py
path, group = sys.argv[1], sys.argv[2]
with h5py.File(path, 'r') as f:
    before = list(f[group].keys())
    # Follow every link: the heap IDs resolve to real objects.
    kinds = sorted({type(f[group][n]).__name__ for n in before})
victim = sorted(before)[len(before) // 2]
with h5py.File(path, 'r+') as f:
    g = f[group]
    for i in range(300):
        g.create_group('zz_added_%03d' % i)
    del g[victim]
with h5py.File(path, 'r') as f:
    after = list(f[group].keys())
    for n in after:
        f[group][n]
print(json.dumps({'before': before, 'after': after, 'victim': victim, 'kinds': kinds}))
"#;

const ATTRS_SCRIPT: &str = r#"
import sys, json, h5py
import numpy as np
path, obj = sys.argv[1], sys.argv[2]
with h5py.File(path, 'r') as f:
    before = list(f[obj].attrs.keys())
    values = {n: np.asarray(f[obj].attrs[n]).tolist() for n in before}
victim = sorted(before)[len(before) // 3]
with h5py.File(path, 'r+') as f:
    a = f[obj].attrs
    for i in range(200):
        a['zz_added_%03d' % i] = i
    a['zz_large'] = list(range(3000))
    del a[victim]
with h5py.File(path, 'r') as f:
    after = list(f[obj].attrs.keys())
    ok = all(np.asarray(f[obj].attrs[n]).tolist() == values[n] for n in after if n in values)
    ok = ok and f[obj].attrs['zz_added_199'] == 199
print(json.dumps({'before': before, 'after': after, 'victim': victim, 'ok': bool(ok)}))
"#;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn check_links(src: &[u8], group: &str, file_name: &str) {
    let (patched, names) = rebuild(src, group, Kind::Links);
    let out = scratch(file_name);
    std::fs::write(&out, &patched).unwrap();
    // This crate reads the rebuilt group.
    let ours = File::from_bytes(patched.clone()).unwrap();
    let g = if group == "/" {
        ours.root().unwrap()
    } else {
        ours.group(group).unwrap()
    };
    assert_eq!(sorted(g.member_names().unwrap()), sorted(names.clone()));
    let json = run_python(LINKS_SCRIPT, &[out.to_str().unwrap(), group]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(sorted(list("before")), sorted(names.clone()));
    let victim = v["victim"].as_str().unwrap().to_string();
    let mut expected: Vec<String> = names.into_iter().filter(|n| *n != victim).collect();
    expected.extend((0..300).map(|i| format!("zz_added_{i:03}")));
    assert_eq!(sorted(list("after")), sorted(expected.clone()));
    // And this crate reads what libhdf5 made of our structures.
    let after = File::open(&out).unwrap();
    let g = if group == "/" {
        after.root().unwrap()
    } else {
        after.group(group).unwrap()
    };
    assert_eq!(sorted(g.member_names().unwrap()), sorted(expected));
    h5dump_reads(&out);
}

fn check_attrs(src: &[u8], obj: &str, file_name: &str) {
    let (patched, names) = rebuild(src, obj, Kind::Attributes);
    let out = scratch(file_name);
    std::fs::write(&out, &patched).unwrap();
    let json = run_python(ATTRS_SCRIPT, &[out.to_str().unwrap(), obj]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(sorted(list("before")), sorted(names.clone()));
    assert!(
        v["ok"].as_bool().unwrap(),
        "attribute values changed: {json}"
    );
    let victim = v["victim"].as_str().unwrap().to_string();
    let mut expected: Vec<String> = names.into_iter().filter(|n| *n != victim).collect();
    expected.extend((0..200).map(|i| format!("zz_added_{i:03}")));
    expected.push("zz_large".into());
    assert_eq!(sorted(list("after")), sorted(expected.clone()));
    let after = File::open(&out).unwrap();
    let attrs = after.get(obj).unwrap().attrs().unwrap();
    let got: Vec<String> = attrs.iter().map(|a| a.name().to_string()).collect();
    assert_eq!(sorted(got), sorted(expected));
    h5dump_reads(&out);
}

/// When Debian's h5dump (libhdf5 1.10) is installed, it must read the file too.
fn h5dump_reads(path: &Path) {
    let Ok(out) = Command::new("h5dump").arg("-H").arg(path).output() else {
        eprintln!("h5dump not installed: 1.10 check skipped");
        return;
    };
    assert!(
        out.status.success(),
        "h5dump failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn libhdf5_extends_rebuilt_dense_links() {
    check_links(&fixture("groups_dense_1000.h5"), "big", "links.h5");
}

#[test]
fn libhdf5_extends_rebuilt_dense_attributes() {
    let src = fixture("attrs_dense_1000.h5");
    check_attrs(&src, "group", "attrs_group.h5");
    check_attrs(&src, "dataset", "attrs_dataset.h5");
}

#[test]
fn libhdf5_extends_rebuilt_tracked_storage() {
    // A tracked (creation-order indexed) dense group with a huge attribute, made by h5py.
    let src = scratch("tracked_src.h5");
    run_python(
        r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w', libver='v110') as f:
    g = f.create_group('t', track_order=True)
    for i in range(150):
        g.create_group('member_%03d' % ((i * 37) % 150))
    for i in range(60):
        g.attrs['a_%02d' % ((i * 7) % 60)] = np.arange(i + 1, dtype='<i4')
    g.attrs['huge'] = np.arange(5000, dtype='<f8')
"#,
        &[src.to_str().unwrap()],
    );
    let bytes = std::fs::read(&src).unwrap();
    check_links(&bytes, "t", "tracked_links.h5");
    check_attrs(&bytes, "t", "tracked_attrs.h5");
}

mod chunk_index {
    //! The same for the v2 B-tree chunk index: rebuild a dataset's index from its chunks,
    //! patch the layout message, and have h5py read, enlarge and rewrite the dataset.
    use super::*;
    use jangada_hdf5::chunk_index::{btree_v2, read_index, IndexParams};
    use jangada_hdf5::messages::layout::{ChunkIndexKind, Layout};

    const MAKE: &str = r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w', libver='v110') as f:
    data = np.arange(37 * 23, dtype='<i4').reshape(37, 23)
    f.create_dataset('plain', data=data, chunks=(4, 5), maxshape=(None, None))
    f.create_dataset('gzip', data=data, chunks=(4, 5), maxshape=(None, None),
                     compression='gzip', shuffle=True)
    big = np.arange(300 * 400, dtype='<i4').reshape(300, 400)
    f.create_dataset('many', data=big, chunks=(3, 4), maxshape=(None, None))
"#;

    const CHECK: &str = r#"
import sys, json, h5py, numpy as np
path, name = sys.argv[1], sys.argv[2]
with h5py.File(path, 'r') as f:
    d = f[name]
    shape = d.shape
    before = d[...]
expected = np.arange(shape[0] * shape[1], dtype='<i4').reshape(shape)
ok = bool((before == expected).all())
with h5py.File(path, 'r+') as f:
    d = f[name]
    d.resize((shape[0] + 13, shape[1] + 7))
    d[shape[0]:, :] = -1
    d[:shape[0], shape[1]:] = -2
    d[0, 0] = 12345
with h5py.File(path, 'r') as f:
    after = f[name][...]
ok = ok and after[0, 0] == 12345 and (after[1:shape[0], 1:shape[1]] == expected[1:, 1:]).all()
ok = ok and (after[shape[0]:, :] == -1).all() and (after[:shape[0], shape[1]:] == -2).all()
print(json.dumps({'ok': bool(ok)}))
"#;

    fn rebuild_index(
        bytes: &[u8],
        path: &str,
        filtered: bool,
        dims: [u64; 2],
        chunk: [u64; 2],
    ) -> Vec<u8> {
        let file = File::from_bytes(bytes.to_vec()).unwrap();
        let sb = file.superblock().clone();
        let addr = file.get(path).unwrap().addr();
        let img = FileImage::new(bytes, 0, sb.sizes);
        let header = ObjectHeader::parse(&img, addr).unwrap();
        let msg = header.find(0x08).unwrap().clone();
        let Layout::Chunked(layout) = Layout::parse(&mut msg.cursor(&img, "layout")).unwrap()
        else {
            panic!("not chunked");
        };
        let ChunkIndexKind::BtreeV2 {
            addr: Some(old),
            node_size,
            ..
        } = layout.index
        else {
            panic!("not a v2 B-tree index: {:?}", layout.index);
        };
        assert_eq!(node_size, btree_v2::NODE_SIZE);
        let max = [u64::MAX, u64::MAX];
        let params = IndexParams {
            dims: &dims,
            max_dims: &max,
            chunk_dims: &chunk,
            element_size: 4,
            filtered,
            layout_version: layout.version,
        };
        let chunks = read_index(&img, &layout, &params).unwrap();
        assert!(!chunks.is_empty());
        let mut space = MemSpace::new(sb.sizes, bytes.len() as u64);
        space.bytes = bytes.to_vec();
        let mut emit = Emit::default();
        let new = btree_v2::build(&chunks, &params, &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        let mut out = space.bytes.clone();
        out.resize(space.end as usize, 0);
        // The index address is the last field of the layout message.
        let at = msg
            .data
            .windows(8)
            .rposition(|w| w == old.0.to_le_bytes())
            .unwrap();
        let pos = msg.offset as usize + at;
        out[pos..pos + 8].copy_from_slice(&new.0.to_le_bytes());
        fix_header_checksum(&mut out, &header, msg.offset);
        let eof = out.len() as u64;
        out[28..36].copy_from_slice(&eof.to_le_bytes());
        let sum = checksum::metadata(&out[..44]);
        out[44..48].copy_from_slice(&sum.to_le_bytes());
        // This crate reads the same chunks back through the new index.
        let img = FileImage::new(&out, 0, sb.sizes);
        let mut relaid = layout.clone();
        if let ChunkIndexKind::BtreeV2 { addr, .. } = &mut relaid.index {
            *addr = Some(new);
        }
        let mut again = read_index(&img, &relaid, &params).unwrap();
        let mut want = chunks.clone();
        again.sort_by(|a, b| a.offset.cmp(&b.offset));
        want.sort_by(|a, b| a.offset.cmp(&b.offset));
        assert_eq!(again, want);
        out
    }

    #[test]
    fn libhdf5_reads_and_extends_rebuilt_chunk_index() {
        let src = scratch("chunks_src.h5");
        run_python(MAKE, &[src.to_str().unwrap()]);
        let bytes = std::fs::read(&src).unwrap();
        for (name, filtered, dims, chunk) in [
            ("plain", false, [37, 23], [4, 5]),
            ("gzip", true, [37, 23], [4, 5]),
            ("many", false, [300, 400], [3, 4]),
        ] {
            let out = rebuild_index(&bytes, name, filtered, dims, chunk);
            let path = scratch(&format!("chunks_{name}.h5"));
            std::fs::write(&path, &out).unwrap();
            // libhdf5 1.10 reads every chunk through our index (values 0..n in order).
            if let Ok(dump) = Command::new("h5dump")
                .arg("-d")
                .arg(name)
                .arg(&path)
                .output()
            {
                assert!(dump.status.success(), "h5dump -d {name} failed");
                let text = String::from_utf8_lossy(&dump.stdout);
                let last = dims[0] * dims[1] - 1;
                assert!(
                    text.contains(&format!(" {last}")),
                    "{name}: h5dump output lacks {last}"
                );
            }
            let json = run_python(CHECK, &[path.to_str().unwrap(), name]);
            assert!(json.contains("\"ok\": true"), "{name}: {json}");
            h5dump_reads(&path);
        }
    }
}
