//! Chunk index and old-style group builders against libhdf5 (HDF5 2.0 through h5py).
//!
//! Each test takes a file h5py wrote (`fixtures/`), rebuilds an index or group with our
//! builders (extensible and fixed arrays into new space at the end of the file, v1 B-trees
//! and groups in place at their old root and heap addresses), points the layout message at
//! the new index (same size; the `OHDR` checksum is recomputed), moves the superblock's
//! end-of-file address, and has h5py read the result and compare it with the original. For
//! extensible arrays and v1 B-trees h5py then also grows the datasets and writes into them,
//! which only works if libhdf5 accepts our structures (and, for extensible arrays, their
//! header statistics) as its own. The extensible array header statistics are also compared
//! field by field with the ones libhdf5 wrote. The global heap writer is checked the same
//! way: the variable-length data of a real file is rewritten into new collections, read by
//! h5py and h5dump, then modified by h5py.
//!
//! Files libhdf5 1.10 can read (libver earliest and v110) are also dumped with `h5dump` (1.10
//! on the test machine) before and after, and the dumps compared.
//!
//! Python: `<repo>/.venv/bin/python` with h5py, and `h5dump`; these tests fail if missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{fixture, python};

use std::path::{Path, PathBuf};
use std::process::Command;

use jangada_hdf5::btree::v1::group_entries;
use jangada_hdf5::checksum::metadata;
use jangada_hdf5::chunk_index::extensible_array::{self, EaParams, ExtensibleArrayHeader};
use jangada_hdf5::chunk_index::fixed_array::{self, FixedArrayHeader};
use jangada_hdf5::chunk_index::{btree_v1, Chunk, IndexParams};
use jangada_hdf5::emit::{Emit, MemSpace};
use jangada_hdf5::heap::local::LocalHeap;
use jangada_hdf5::io::{Addr, FileImage, Sizes};
use jangada_hdf5::links::symbol_table::{build_group, SymbolTableEntry};
use jangada_hdf5::messages::kind;
use jangada_hdf5::messages::layout::{ChunkIndexKind, ChunkedLayout, Layout};
use jangada_hdf5::messages::symbol_table::SymbolTableMessage;
use jangada_hdf5::object_header::ObjectHeader;
use jangada_hdf5::superblock::Superblock;
use jangada_hdf5::File;

/// Remove scratch files once a test is done with them.
fn cleanup(paths: &[&Path]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch_root("jangada-index-build");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// What we need to know about one chunked dataset of a file.
struct Ds {
    dims: Vec<u64>,
    max_dims: Vec<u64>,
    element_size: u64,
    filtered: bool,
    layout: ChunkedLayout,
    /// Absolute offset and length of the layout message body.
    layout_at: (usize, usize),
    header: Addr,
    chunks: Vec<Chunk>,
}

impl Ds {
    fn params(&self) -> IndexParams<'_> {
        IndexParams {
            dims: &self.dims,
            max_dims: &self.max_dims,
            chunk_dims: &self.layout.chunk_dims,
            element_size: self.element_size,
            filtered: self.filtered,
            layout_version: self.layout.version,
        }
    }

    fn index_addr(&self) -> Option<Addr> {
        match self.layout.index {
            ChunkIndexKind::BtreeV1 { addr }
            | ChunkIndexKind::FixedArray { addr, .. }
            | ChunkIndexKind::ExtensibleArray { addr, .. } => addr,
            _ => panic!("unexpected index {:?}", self.layout.index),
        }
    }
}

fn dataset(bytes: &[u8], path: &str) -> Ds {
    let file = File::from_bytes(bytes.to_vec()).unwrap();
    let d = file.dataset(path).unwrap();
    let sb = Superblock::read(bytes).unwrap();
    let img = FileImage::new(bytes, sb.base, sb.sizes);
    let header = ObjectHeader::parse(&img, d.addr()).unwrap();
    let msg = header.find(kind::LAYOUT).unwrap();
    let Layout::Chunked(layout) = Layout::parse(&mut msg.cursor(&img, "layout")).unwrap() else {
        panic!("{path} is not chunked")
    };
    Ds {
        dims: d.shape().to_vec(),
        max_dims: d.maxshape().iter().map(|m| m.unwrap_or(u64::MAX)).collect(),
        element_size: d.dtype().size as u64,
        filtered: !d.filters().is_empty(),
        layout,
        layout_at: (msg.offset as usize, msg.data.len()),
        header: d.addr(),
        chunks: d.stored_chunks().unwrap(),
    }
}

fn sorted(mut c: Vec<Chunk>) -> Vec<Chunk> {
    c.sort_by(|a, b| a.offset.cmp(&b.offset));
    c
}

/// A space that appends after the end of `bytes` (8-byte aligned).
fn space_after(bytes: &[u8], sizes: Sizes) -> MemSpace {
    let end = (bytes.len() as u64).div_ceil(8) * 8;
    let mut s = MemSpace::new(sizes, end);
    s.bytes[..bytes.len()].copy_from_slice(bytes);
    s
}

/// Replace the index address in the layout message of `ds` and fix the header checksum.
fn patch_layout(bytes: &mut [u8], ds: &Ds, new: Addr, sizes: Sizes) {
    let o = usize::from(sizes.offset);
    let old = ds.index_addr().unwrap().0.to_le_bytes();
    let (at, len) = ds.layout_at;
    let body = &bytes[at..at + len];
    let pos = (0..=len - o)
        .rev()
        .find(|&p| body[p..p + o] == old[..o])
        .expect("old index address not in the layout message");
    bytes[at + pos..at + pos + o].copy_from_slice(&new.0.to_le_bytes()[..o]);
    reseal_ohdr(bytes, ds.header.0 as usize, at);
}

/// Recompute the checksum of chunk 0 of a version 2 object header (the message at `at`
/// must lie in it); version 1 headers have none.
fn reseal_ohdr(bytes: &mut [u8], header: usize, at: usize) {
    if &bytes[header..header + 4] != b"OHDR" {
        return;
    }
    let flags = bytes[header + 5];
    let mut pos = header + 6;
    if flags & 0x20 != 0 {
        pos += 16;
    }
    if flags & 0x10 != 0 {
        pos += 4;
    }
    let width = 1usize << (flags & 3);
    let mut size = 0usize;
    for (i, b) in bytes[pos..pos + width].iter().enumerate() {
        size |= usize::from(*b) << (8 * i);
    }
    let end = pos + width + size;
    assert!(at < end, "layout message outside header chunk 0");
    let sum = metadata(&bytes[header..end]);
    bytes[end..end + 4].copy_from_slice(&sum.to_le_bytes());
}

/// Set the superblock's end-of-file address to the file length.
fn patch_eof(bytes: &mut Vec<u8>) {
    let sb = Superblock::read(bytes).unwrap();
    assert_eq!(sb.base, 0);
    let o = usize::from(sb.sizes.offset);
    let len = bytes.len().div_ceil(8) * 8;
    bytes.resize(len, 0);
    let field = match sb.version {
        0 => 24 + 2 * o,
        1 => 28 + 2 * o,
        _ => 12 + 2 * o,
    };
    bytes[field..field + o].copy_from_slice(&(len as u64).to_le_bytes()[..o]);
    if sb.version >= 2 {
        let end = 12 + 4 * o;
        let sum = metadata(&bytes[..end]);
        bytes[end..end + 4].copy_from_slice(&sum.to_le_bytes());
    }
}

const CHECK: &str = r#"
import sys, h5py, numpy as np
orig, patched, mode = sys.argv[1:4]
paths = sys.argv[4:]
def snapshot(f):
    out = {}
    for p in paths:
        o = f[p]
        if isinstance(o, h5py.Group):
            out[p] = sorted((k, type(o.get(k, getlink=True)).__name__) for k in o.keys())
        else:
            out[p] = o[()]
    return out
with h5py.File(orig, "r") as a, h5py.File(patched, "r") as b:
    x, y = snapshot(a), snapshot(b)
for p in paths:
    if isinstance(x[p], list):
        assert x[p] == y[p], (p, x[p][:5], y[p][:5])
    else:
        assert x[p].dtype == y[p].dtype and x[p].shape == y[p].shape, p
        assert np.array_equal(x[p], y[p]), p
if mode == "append":
    with h5py.File(patched, "r+") as b:
        for p in paths:
            d = b[p]
            ax = [i for i, m in enumerate(d.maxshape) if m is None][0]
            old = d.shape[ax]
            shape = list(d.shape); shape[ax] = old + 75
            d.resize(tuple(shape))
            sl = [slice(None)] * d.ndim; sl[ax] = slice(old, old + 75)
            d[tuple(sl)] = np.full(d[tuple(sl)].shape, 42, dtype=d.dtype)
    with h5py.File(patched, "r") as b:
        for p in paths:
            d = b[p]
            ax = [i for i, m in enumerate(d.maxshape) if m is None][0]
            old = x[p].shape[ax]
            v = d[()]
            assert np.array_equal(np.take(v, range(old), axis=ax), x[p]), p
            assert (np.take(v, range(old, old + 75), axis=ax) == 42).all(), p
if mode == "group":
    with h5py.File(patched, "r+") as b:
        for p in paths:
            b[p].create_group("zz_added")
            b[p].create_group("aa_added")
    with h5py.File(patched, "r") as b:
        for p in paths:
            names = sorted(b[p].keys())
            want = sorted([k for k, _ in x[p]] + ["zz_added", "aa_added"])
            assert names == want, (p, len(names), len(want))
print("ok")
"#;

fn run_check(orig: &Path, patched: &Path, mode: &str, paths: &[&str]) {
    let out = Command::new(python())
        .arg("-c")
        .arg(CHECK)
        .arg(orig)
        .arg(patched)
        .arg(mode)
        .args(paths)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "h5py check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const EA_PATHS: [&str; 9] = [
    "edge_2d",
    "many_chunks",
    "sparse",
    "sparse_f8_2d",
    "grown",
    "filtered/edge_2d_filtered",
    "filtered/many_chunks_filtered",
    "filtered/sparse_filtered",
    "filtered/sparse_f8_2d_filtered",
];

#[test]
fn extensible_arrays_match_libhdf5_and_accept_appends() {
    ea_case(
        "layout_chunked_earray.h5",
        fixture("layout_chunked_earray.h5"),
        &EA_PATHS,
        false,
    );
}

const MAKE_PAGED: &str = r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w", libver=sys.argv[2]) as f:
    for name, comp in (("paged", None), ("paged_filtered", "gzip")):
        d = f.create_dataset(name, shape=(140_000,), maxshape=(None,), chunks=(1,),
                             dtype="<i2", fillvalue=-1, compression=comp)
        d[0:100] = np.arange(100)
        d[131_100:133_500] = 7
        d[139_000:139_010] = 9
"#;

#[test]
fn paged_extensible_arrays_match_libhdf5_and_accept_appends() {
    // Chunks beyond element 131,060 live in super block 13, whose data blocks hold 2048
    // elements in two pages of 1024.
    for libver in ["latest", "v110"] {
        let path = scratch(&format!("paged_{libver}_made.h5"));
        let out = Command::new(python())
            .arg("-c")
            .arg(MAKE_PAGED)
            .arg(&path)
            .arg(libver)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&path).unwrap();
        ea_case(
            &format!("paged_{libver}.h5"),
            bytes,
            &["paged", "paged_filtered"],
            libver == "v110",
        );
        cleanup(&[&path]);
    }
}

#[test]
fn extensible_arrays_v110_match_libhdf5_and_h5dump_1_10() {
    ea_case(
        "layout_chunked_v110.h5",
        fixture("layout_chunked_v110.h5"),
        &V110_EA_PATHS,
        true,
    );
}

const V110_EA_PATHS: [&str; 4] = [
    "earray/edge_2d_filtered",
    "earray/many_chunks_filtered",
    "earray/sparse_filtered",
    "earray/sparse_f8_2d_filtered",
];

const V110_FA_PATHS: [&str; 4] = [
    "farray/edge_2d_filtered",
    "farray/many_chunks_filtered",
    "farray/sparse_filtered",
    "farray/sparse_f8_2d_filtered",
];

/// Whether h5dump (libhdf5 1.10 on this machine) prints the same data for both files.
fn h5dump_same(a: &Path, b: &Path) {
    let dump = |p: &Path| {
        let out = Command::new("h5dump").arg(p).output().expect("h5dump");
        assert!(out.status.success(), "h5dump {}: {:?}", p.display(), out);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(dump(a), dump(b));
}

fn ea_case(name: &str, orig: Vec<u8>, paths: &[&str], h5dump: bool) {
    let sizes = Superblock::read(&orig).unwrap().sizes;
    let mut bytes = orig.clone();
    for &path in paths {
        let ds = dataset(&bytes, path);
        let ChunkIndexKind::ExtensibleArray {
            max_bits,
            index_elements,
            min_pointers,
            min_elements,
            page_bits,
            addr: Some(old),
        } = ds.layout.index
        else {
            panic!("{path}: {:?}", ds.layout.index)
        };
        let ea = EaParams {
            max_nelmts_bits: max_bits,
            index_block_elements: index_elements,
            data_block_min_elements: min_elements,
            super_block_min_data_ptrs: min_pointers,
            page_bits,
        };
        assert_eq!(ea, EaParams::default(), "{path}: libhdf5's defaults");
        let mut space = space_after(&bytes, sizes);
        let mut emit = Emit::default();
        let new =
            extensible_array::build(&ds.chunks, &ds.params(), &ea, &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        let img = FileImage::new(&space.bytes, 0, sizes);
        let ours = ExtensibleArrayHeader::read(&img, new).unwrap();
        let theirs = ExtensibleArrayHeader::read(&img, old).unwrap();
        assert_eq!(
            ExtensibleArrayHeader {
                index_block: None,
                ..ours
            },
            ExtensibleArrayHeader {
                index_block: None,
                ..theirs
            },
            "{path}: header statistics"
        );
        assert_eq!(
            sorted(extensible_array::chunks(&img, new, &ds.params()).unwrap()),
            sorted(ds.chunks.clone()),
            "{path}"
        );
        bytes = space.bytes;
        patch_layout(&mut bytes, &ds, new, sizes);
    }
    patch_eof(&mut bytes);
    let (a, b) = (
        scratch(&format!("ea_{name}")),
        scratch(&format!("ea_patched_{name}")),
    );
    std::fs::write(&a, &orig).unwrap();
    std::fs::write(&b, &bytes).unwrap();
    if h5dump {
        h5dump_same(&a, &b);
    }
    run_check(&a, &b, "append", paths);
    // Our reader still reads what libhdf5 appended to our arrays.
    let grown = std::fs::read(&b).unwrap();
    for &path in paths {
        let before = dataset(&bytes, path).chunks.len();
        let after = dataset(&grown, path).chunks.len();
        assert!(after > before, "{path}: {before} -> {after}");
    }
    cleanup(&[&a, &b]);
}

const FA_PATHS: [&str; 8] = [
    "edge_2d",
    "many_chunks",
    "sparse",
    "sparse_f8_2d",
    "filtered/edge_2d_filtered",
    "filtered/many_chunks_filtered",
    "filtered/sparse_filtered",
    "filtered/sparse_f8_2d_filtered",
];

#[test]
fn fixed_arrays_read_by_libhdf5() {
    fa_case("layout_chunked_farray.h5", &FA_PATHS, false);
}

#[test]
fn fixed_arrays_v110_read_by_libhdf5_and_h5dump_1_10() {
    fa_case("layout_chunked_v110.h5", &V110_FA_PATHS, true);
}

fn fa_case(name: &str, paths: &[&str], h5dump: bool) {
    let orig = fixture(name);
    let sizes = Superblock::read(&orig).unwrap().sizes;
    let mut bytes = orig.clone();
    for &path in paths {
        let ds = dataset(&bytes, path);
        let ChunkIndexKind::FixedArray {
            page_bits,
            addr: Some(old),
        } = ds.layout.index
        else {
            panic!("{path}: {:?}", ds.layout.index)
        };
        let mut space = space_after(&bytes, sizes);
        let mut emit = Emit::default();
        let new =
            fixed_array::build(&ds.chunks, &ds.params(), page_bits, &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        let img = FileImage::new(&space.bytes, 0, sizes);
        let ours = FixedArrayHeader::read(&img, new).unwrap();
        let theirs = FixedArrayHeader::read(&img, old).unwrap();
        assert_eq!(
            FixedArrayHeader {
                data_block: None,
                ..ours
            },
            FixedArrayHeader {
                data_block: None,
                ..theirs
            },
            "{path}"
        );
        assert_eq!(
            sorted(fixed_array::chunks(&img, new, &ds.params()).unwrap()),
            sorted(ds.chunks.clone())
        );
        bytes = space.bytes;
        patch_layout(&mut bytes, &ds, new, sizes);
    }
    patch_eof(&mut bytes);
    let (a, b) = (
        scratch(&format!("fa_{name}")),
        scratch(&format!("fa_patched_{name}")),
    );
    std::fs::write(&a, &orig).unwrap();
    std::fs::write(&b, &bytes).unwrap();
    if h5dump {
        h5dump_same(&a, &b);
    }
    run_check(&a, &b, "read", paths);
    cleanup(&[&a, &b]);
}

/// The key after the last child of the v1 B-tree node at `addr`.
fn last_key(bytes: &[u8], addr: Addr, key_size: usize) -> Vec<u8> {
    let a = addr.0 as usize;
    let n = u16::from_le_bytes([bytes[a + 6], bytes[a + 7]]) as usize;
    let at = a + 8 + 16 + n * (key_size + 8);
    bytes[at..at + key_size].to_vec()
}

#[test]
fn v1_btrees_rebuilt_in_place_read_and_grown_by_libhdf5() {
    let orig = fixture("layout_chunked_btree1.h5");
    let sb = Superblock::read(&orig).unwrap();
    let sizes = sb.sizes;
    let k = sb.indexed_storage_k;
    let fixed = [
        "edge_2d",
        "many_chunks",
        "sparse",
        "sparse_f8_2d",
        "filtered/edge_2d_filtered",
        "filtered/many_chunks_filtered",
        "filtered/sparse_filtered",
        "filtered/sparse_f8_2d_filtered",
    ];
    let unlimited = [
        "unlimited/edge_2d_filtered",
        "unlimited/many_chunks_filtered",
        "unlimited/sparse_filtered",
        "unlimited/sparse_f8_2d_filtered",
    ];
    let mut bytes = orig.clone();
    for path in fixed.iter().chain(&unlimited) {
        let ds = dataset(&bytes, path);
        let root = ds.index_addr().unwrap();
        let rank = ds.dims.len();
        let key_size = 8 + 8 * (rank + 1);
        let theirs = last_key(&bytes, root, key_size);
        let mut space = space_after(&bytes, sizes);
        let mut emit = Emit::default();
        let new = btree_v1::build(
            &ds.chunks,
            &ds.params(),
            k,
            Some(root),
            &mut space,
            &mut emit,
        )
        .unwrap();
        assert_eq!(new, root);
        space.apply(&emit).unwrap();
        let img = FileImage::new(&space.bytes, 0, sizes);
        assert_eq!(
            sorted(btree_v1::chunks(&img, root, &ds.params()).unwrap()),
            sorted(ds.chunks.clone())
        );
        // The right-most key: libhdf5's rule for a new right-most chunk (one chunk past the
        // last one on every axis, the element size on the element-size axis); libhdf5's own
        // key here was made for an earlier chunk, but has the same trailing element size.
        let last = sorted(ds.chunks.clone()).pop().unwrap();
        let mut want = vec![0u8; 8];
        for (o, c) in last.offset.iter().zip(&ds.layout.chunk_dims) {
            want.extend_from_slice(&(o + c).to_le_bytes());
        }
        want.extend_from_slice(&ds.element_size.to_le_bytes());
        assert_eq!(last_key(&space.bytes, root, key_size), want, "{path}");
        assert_eq!(theirs[..8], [0; 8]);
        assert_eq!(theirs[key_size - 8..], ds.element_size.to_le_bytes());
        bytes = space.bytes;
    }
    patch_eof(&mut bytes);
    let (a, b) = (scratch("bt_orig.h5"), scratch("bt_patched.h5"));
    std::fs::write(&a, &orig).unwrap();
    std::fs::write(&b, &bytes).unwrap();
    h5dump_same(&a, &b);
    run_check(&a, &b, "read", &fixed);
    run_check(&a, &b, "append", &unlimited);
    cleanup(&[&a, &b]);
}

#[test]
fn old_style_groups_rebuilt_in_place_read_and_extended_by_libhdf5() {
    let orig = fixture("groups_symbol_table_1000.h5");
    let sb = Superblock::read(&orig).unwrap();
    let sizes = sb.sizes;
    let mut bytes = orig.clone();
    let paths = ["big", "small"];
    for path in paths {
        let file = File::from_bytes(bytes.clone()).unwrap();
        let group = file.group(path).unwrap();
        let img = FileImage::new(&bytes, 0, sizes);
        let header = ObjectHeader::parse(&img, group.addr()).unwrap();
        let msg = header.find(kind::SYMBOL_TABLE).unwrap();
        let stab = SymbolTableMessage::parse(&mut msg.cursor(&img, "stab")).unwrap();
        let heap = LocalHeap::parse(&img, stab.heap).unwrap();
        let entries: Vec<(String, SymbolTableEntry)> = group_entries(&img, stab.btree)
            .unwrap()
            .into_iter()
            .map(|e| {
                let name = String::from_utf8(heap.string_at(e.name_offset).unwrap().to_vec());
                (name.unwrap(), e)
            })
            .collect();
        let before = group.member_names().unwrap();
        let mut space = space_after(&bytes, sizes);
        let mut emit = Emit::default();
        let built = build_group(
            &entries,
            sb.group_leaf_k,
            sb.group_internal_k,
            Some(stab.btree),
            Some(stab.heap),
            &mut space,
            &mut emit,
        )
        .unwrap();
        assert_eq!(built, stab);
        space.apply(&emit).unwrap();
        bytes = space.bytes;
        let file = File::from_bytes(bytes.clone()).unwrap();
        assert_eq!(file.group(path).unwrap().member_names().unwrap(), before);
    }
    patch_eof(&mut bytes);
    let (a, b) = (scratch("grp_orig.h5"), scratch("grp_patched.h5"));
    std::fs::write(&a, &orig).unwrap();
    std::fs::write(&b, &bytes).unwrap();
    h5dump_same(&a, &b);
    run_check(&a, &b, "group", &paths);
    let grown = File::open(&b).unwrap();
    let names = grown.group("big").unwrap().member_names().unwrap();
    assert!(names.iter().any(|n| n == "zz_added") && names.iter().any(|n| n == "aa_added"));
    drop(grown);
    cleanup(&[&a, &b]);
}

const VLEN_CHECK: &str = r#"
import sys, h5py, numpy as np
orig, patched = sys.argv[1:3]
paths = sys.argv[3:]
def norm(v):
    return [x.tolist() if isinstance(x, np.ndarray) else x for x in v]
with h5py.File(orig, "r") as a, h5py.File(patched, "r") as b:
    for p in paths:
        assert a[p].dtype == b[p].dtype, p
        assert norm(a[p][()]) == norm(b[p][()]), (p, a[p][()], b[p][()])
with h5py.File(patched, "r+") as b:
    b["datasets/vlen_utf8"][0] = "changed after the rewrite"
    b["datasets/vlen_i4"][1] = np.arange(40, dtype="<i4")
with h5py.File(patched, "r") as b:
    assert b["datasets/vlen_utf8"][0].decode() == "changed after the rewrite"
    assert b["datasets/vlen_i4"][1].tolist() == list(range(40))
print("ok")
"#;

#[test]
fn global_heap_rewritten_read_and_modified_by_libhdf5() {
    use jangada_hdf5::heap::global::{
        encode_vlen, GlobalHeapId, GlobalHeapReader, GlobalHeapWriter,
    };
    use jangada_hdf5::io::Cursor;
    let orig = fixture("types_v110.h5");
    let sizes = Superblock::read(&orig).unwrap().sizes;
    let paths = [
        "datasets/vlen_ascii",
        "datasets/vlen_f8",
        "datasets/vlen_i4",
        "datasets/vlen_utf8",
    ];
    let file = File::from_bytes(orig.clone()).unwrap();
    let img = FileImage::new(&orig, 0, sizes);
    let mut reader = GlobalHeapReader::new(img);
    let mut writer = GlobalHeapWriter::new();
    // (element address, count, position in the writer)
    let mut elements = Vec::new();
    let elem = 8 + usize::from(sizes.offset);
    for path in paths {
        let d = file.dataset(path).unwrap();
        let header = ObjectHeader::parse(&img, d.addr()).unwrap();
        let msg = header.find(kind::LAYOUT).unwrap();
        let Layout::Contiguous {
            addr: Some(addr),
            size,
        } = Layout::parse(&mut msg.cursor(&img, "layout")).unwrap()
        else {
            panic!("{path} is not contiguous")
        };
        assert_eq!(size as usize, elem * d.shape()[0] as usize);
        for i in 0..d.shape()[0] as usize {
            let at = addr.0 as usize + i * elem;
            let mut c = Cursor::new(&orig[at..at + elem], at as u64, sizes, "vlen");
            let count = c.u32().unwrap();
            let id = GlobalHeapId::parse(&mut c).unwrap();
            if id.is_null() {
                // An empty sequence: no heap object, left as it is.
                assert_eq!(count, 0);
                continue;
            }
            let data = reader.get(id).unwrap();
            elements.push((at, count, writer.add(data)));
        }
    }
    let mut space = space_after(&orig, sizes);
    let mut emit = Emit::default();
    let ids = writer.finish(&mut space, &mut emit).unwrap();
    space.apply(&emit).unwrap();
    let mut bytes = space.bytes;
    for (at, count, k) in elements {
        let new = encode_vlen(count, ids[k], sizes).unwrap();
        assert_ne!(new[..], orig[at..at + elem]);
        bytes[at..at + elem].copy_from_slice(&new);
    }
    patch_eof(&mut bytes);
    let (a, b) = (scratch("gheap_orig.h5"), scratch("gheap_patched.h5"));
    std::fs::write(&a, &orig).unwrap();
    std::fs::write(&b, &bytes).unwrap();
    h5dump_same(&a, &b);
    let out = Command::new(python())
        .arg("-c")
        .arg(VLEN_CHECK)
        .arg(&a)
        .arg(&b)
        .args(paths)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    cleanup(&[&a, &b]);
}
