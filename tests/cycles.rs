//! Linked structures that loop must be detected, not followed forever: a continuation
//! block pointing back into its own header, soft links a -> b -> a, a group hard-linked
//! into itself, and a DAG of hard links whose paths multiply (2^24 paths through 25
//! groups). Each file goes through the fuzz target bodies and jangada's loader under the
//! watchdog of `guard.rs` (no panic, 20 s, allocation bounded by the input size).
//!
//! The other walkers' cycle checks have unit tests beside them: v1 B-tree
//! (`btree::v1`, a node reached twice), v2 B-tree (`btree::v2::tests`), extensible array
//! (`block_referenced_twice_is_corrupt`); fractal heap indirect blocks keep a visited set
//! (`heap::fractal`), soft links stop after 16 hops (`api::group`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod guard;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jangada_hdf5::io::{Addr, FileImage};
use jangada_hdf5::object_header::{encode_continuation, ObjectHeader};
use jangada_hdf5::{File, Node, Selection};

fn scratch(name: &str) -> PathBuf {
    let d = common::scratch_root("jangada-cycles");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Every fuzz body and the loaders on `bytes`, each under the watchdog.
fn survives_everything(what: &str, bytes: Vec<u8>) {
    let bytes = Arc::new(bytes);
    for (name, body) in jangada::fuzzing::TARGETS {
        let input = bytes.clone();
        guard::survive(
            &format!("{name}({what})"),
            guard::limit(bytes.len()),
            Duration::from_secs(20),
            move || body(&input),
        );
    }
}

/// A file of the writer's, built by `build`, as bytes.
fn written(name: &str, build: impl FnOnce(&File)) -> Vec<u8> {
    let path = scratch(name);
    let file = File::create_truncate(&path).unwrap();
    build(&file);
    file.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

#[test]
fn continuation_pointing_back_into_its_own_header() {
    // Find a version-1 object header with a continuation message in its first chunk, and
    // point that message at the first chunk itself.
    for path in common::fixture_files() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(file) = File::from_bytes(bytes.clone()) else {
            continue;
        };
        let sb = file.superblock();
        let Ok(links) = file.root().and_then(|r| r.links()) else {
            continue;
        };
        for link in links {
            let Ok(node) = file.root().unwrap().get(&link.name) else {
                continue;
            };
            let addr = node.addr();
            let img = FileImage::new(&bytes, sb.base, sb.sizes);
            let Ok(header) = ObjectHeader::parse(&img, addr) else {
                continue;
            };
            let Some(&(next, len)) = header.continuations.first() else {
                continue;
            };
            if header.version != 1 {
                continue;
            }
            // The message body: address + length of the continuation block.
            let body = encode_continuation(next, len, sb.sizes).unwrap();
            let start = (sb.base + addr.get()) as usize;
            let end = start + 16 + header.chunk0_len as usize;
            let Some(at) = bytes[start..end]
                .windows(body.len())
                .position(|w| w == body.as_slice())
            else {
                continue;
            };
            let mut bad = bytes.clone();
            let own =
                encode_continuation(Addr(addr.get() + 16), header.chunk0_len, sb.sizes).unwrap();
            bad[start + at..start + at + own.len()].copy_from_slice(&own);
            let img = FileImage::new(&bad, sb.base, sb.sizes);
            let err = ObjectHeader::parse(&img, addr).unwrap_err().to_string();
            assert!(err.contains("loops back"), "{err}");
            let name = path.file_name().unwrap().to_string_lossy();
            survives_everything(&format!("{name} with a looping continuation"), bad);
            return;
        }
    }
    panic!("no fixture has a version-1 header with a continuation");
}

#[test]
fn soft_link_loops_are_cut() {
    let bytes = written("soft.h5", |f| {
        let root = f.root().unwrap();
        root.link_soft("a", "/b").unwrap();
        root.link_soft("b", "/a").unwrap();
        root.link_soft("me", "me").unwrap();
        let g = root.create_group("g").unwrap();
        g.link_soft("up", "..").unwrap();
        g.link_soft("deep", "/g/deep/x").unwrap();
    });
    let file = File::from_bytes(bytes.clone()).unwrap();
    let root = file.root().unwrap();
    for name in ["a", "b", "me", "g/deep"] {
        let err = root.get(name).unwrap_err().to_string();
        assert!(err.contains("soft link"), "{name}: {err}");
    }
    survives_everything("soft link loops", bytes);
}

#[test]
fn group_hard_linked_into_itself() {
    let bytes = written("hard.h5", |f| {
        let top = f.root().unwrap();
        let root = top.create_group("root").unwrap();
        root.set_attr("__container_type__", "dict").unwrap();
        let inner = root.create_group("inner").unwrap();
        inner.set_attr("__container_type__", "dict").unwrap();
        inner.link_hard("back", &Node::Group(root.clone())).unwrap();
        root.link_hard("self", &Node::Group(root.clone())).unwrap();
        top.link_hard("top", &Node::Group(top.clone())).unwrap();
    });
    let err = jangada::load_bytes(bytes.clone()).unwrap_err().to_string();
    assert!(err.contains("ancestors"), "{err}");
    let file = File::from_bytes(bytes.clone()).unwrap();
    // Paths may go round the cycle; each step is one object header.
    let g = file
        .root()
        .unwrap()
        .group("top/top/root/inner/back/self/inner")
        .unwrap();
    assert_eq!(g.path(), "/top/top/root/inner/back/self/inner");
    survives_everything("hard link cycles", bytes);
}

#[test]
fn hard_link_diamonds_do_not_multiply_the_work() {
    // root -> d1 (twice, as "a" and "b") -> d2 (twice) -> ... -> d24: 2^24 paths.
    let bytes = written("diamond.h5", |f| {
        let top = f.root().unwrap();
        let mut groups = vec![top.create_group("root").unwrap()];
        for i in 1..=24 {
            groups.push(top.create_group(&format!("d{i}")).unwrap());
        }
        for g in &groups {
            g.set_attr("__container_type__", "dict").unwrap();
        }
        for w in groups.windows(2) {
            w[0].link_hard("a", &Node::Group(w[1].clone())).unwrap();
            w[0].link_hard("b", &Node::Group(w[1].clone())).unwrap();
        }
    });
    let started = std::time::Instant::now();
    let loaded = jangada::load_bytes(bytes.clone());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let err = loaded.unwrap_err().to_string();
    assert!(err.contains("already loaded"), "{err}");
    survives_everything("hard link diamonds", bytes);
}

#[test]
fn one_heap_object_referenced_by_every_element_is_bounded() {
    // 1000 variable-length strings, then every element's heap ID rewritten to point at the
    // first (100 kB) string: 100 MB of output from a ~150 kB file, unless capped.
    let big = "x".repeat(100_000);
    let mut values = vec![big];
    values.extend((1..1000).map(|i| format!("s{i}")));
    let bytes = written("shared_vlen.h5", |f| {
        f.root()
            .unwrap()
            .new_dataset("s")
            .write_strings(&[1000], &values)
            .unwrap();
    });
    // The stored elements (length, heap ID), found in the file by their raw bytes.
    let file = File::from_bytes(bytes.clone()).unwrap();
    let (_, raw) = file
        .dataset("s")
        .unwrap()
        .read_raw(Selection::all())
        .unwrap();
    assert_eq!(file.dataset("s").unwrap().read_strings().unwrap(), values);
    assert_eq!(raw[..4], 100_000u32.to_le_bytes());
    let at = bytes
        .windows(raw.len())
        .position(|w| w == raw.as_slice())
        .unwrap();
    let mut bad = bytes.clone();
    for i in 1..1000 {
        bad.copy_within(at..at + 16, at + 16 * i);
    }
    let shared = Arc::new(bad.clone());
    let limit = guard::limit(bad.len());
    guard::survive(
        "read_dyn of shared heap objects",
        limit,
        Duration::from_secs(20),
        move || {
            let file = File::from_bytes(shared.to_vec()).unwrap();
            let ds = file.dataset("s").unwrap();
            let err = ds.read_dyn().unwrap_err().to_string();
            assert!(err.contains("variable-length"), "{err}");
            let err = ds.read_strings().unwrap_err().to_string();
            assert!(err.contains("variable-length"), "{err}");
        },
    );
    survives_everything("shared heap objects", bad);
}

#[test]
fn selections_too_large_to_allocate_are_errors_not_aborts() {
    // A legitimately huge dataset (2^50 one-byte elements, never written, chunked): reading
    // it whole cannot be allocated and must say so instead of aborting the process.
    let bytes = written("huge.h5", |f| {
        f.root()
            .unwrap()
            .new_dataset("h")
            .dtype_of::<u8>()
            .shape(&[1 << 50])
            .chunks(&[1 << 20])
            .create()
            .unwrap();
    });
    let file = File::from_bytes(bytes).unwrap();
    let ds = file.dataset("h").unwrap();
    assert_eq!(ds.size(), 1 << 50);
    // The read limit refuses it first...
    let e = ds.read_raw(Selection::all()).unwrap_err().to_string();
    assert!(e.contains("read limit"), "{e}");
    // ...and without a limit the allocation itself fails cleanly.
    file.set_read_limit(u64::MAX);
    let e = ds.read_raw(Selection::all()).unwrap_err().to_string();
    assert!(e.contains("cannot allocate"), "{e}");
    let e = ds.read::<u8>().unwrap_err().to_string();
    assert!(e.contains("cannot allocate"), "{e}");
    // A small slice of it reads (fill value 0).
    let a = ds
        .read_slice::<u8>(&Selection::new([(5..9).into()]))
        .unwrap();
    assert_eq!(a.as_slice().unwrap(), [0; 4]);
}
