//! Bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`), shared with the regression test
//! `tests/fuzz_regressions.rs` that replays every saved crashing input under `cargo test`.
//!
//! Each body takes arbitrary bytes, treats them as an HDF5 file (or, for [`filters`], as
//! one filtered chunk) and must return without a panic, a hang or an allocation beyond a
//! small multiple of the input size; errors are expected and ignored. Not part of the
//! public API.

use std::collections::HashSet;

use jangada_hdf5::{Attribute, Dataset, Element, File, Group, Node, Selection, SliceArg};

use crate::mapping::{self, ROOT};

mod filters;

/// A fuzz target body.
pub type Body = fn(&[u8]);

pub use self::filters::{filter_budget, filter_decode, filters, MAX_FILTER_EXPECTED};

/// Every target: name (as in `fuzz/fuzz_targets/`) and body.
pub const TARGETS: [(&str, Body); 3] = [("walk", walk), ("read", read), ("load", load)];

/// Most objects one walk opens (a file of N bytes holds far fewer than N objects, but a
/// DAG of hard links may name the same object many times: each is opened once).
const MAX_OBJECTS: usize = 20_000;

/// Deepest group nesting walked.
const MAX_DEPTH: u32 = 64;

/// What a walk does at each object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Metadata only: links, object headers, attribute headers, dataset descriptions.
    Metadata,
    /// Also decode every attribute's value and every dataset whose decoded size is bounded
    /// by `budget` bytes (plus a few slices of it).
    Data { budget: u64 },
}

struct Walk {
    mode: Mode,
    seen: HashSet<u64>,
}

/// `fuzz_target walk`: open `bytes` and walk every group, link, attribute header and
/// dataset description (metadata only).
pub fn walk(bytes: &[u8]) {
    walk_with(bytes, Mode::Metadata);
}

/// `fuzz_target read`: [`walk`], also reading every attribute's value, every dataset
/// whose decoded size is at most 8 x the input + 1 MiB (a careful caller's bound: a huge
/// never-written dataset reads as fill values, a legitimate large allocation), the stored
/// chunk list, and a few slices.
pub fn read(bytes: &[u8]) {
    let len = bytes.len() as u64;
    walk_with(
        bytes,
        Mode::Data {
            budget: len.saturating_mul(8).saturating_add(1 << 20),
        },
    );
}

/// `fuzz_target load`: jangada's [`load`](crate::load) and
/// [`load_lenient`](crate::load_lenient) of `bytes`, for files whose datasets are all
/// within [`read`]'s bound (checked by a metadata walk first, as above).
pub fn load(bytes: &[u8]) {
    let len = bytes.len() as u64;
    let budget = len.saturating_mul(8).saturating_add(1 << 20);
    let Ok(file) = File::from_bytes(bytes.to_vec()) else {
        return;
    };
    let Ok(root) = file.root() else { return };
    if !datasets_within(&root, budget) {
        return;
    }
    let _ = crate::file::load_bytes(bytes.to_vec());
    let _ = mapping::load_tree_lenient(&root, ROOT);
    if let Ok(top) = root.group(ROOT) {
        let _ = mapping::load::load_props(&top, &["data", "name"]);
    }
}

fn walk_with(bytes: &[u8], mode: Mode) {
    let Ok(file) = File::from_bytes(bytes.to_vec()) else {
        return;
    };
    let _ = file.superblock();
    let Ok(root) = file.root() else { return };
    let mut w = Walk {
        mode,
        seen: HashSet::new(),
    };
    w.seen.insert(root.addr().get());
    w.group(&root, 0);
    // Paths: absolute, relative, through soft links, missing.
    for path in ["/", "/root", "root/data", "/a/b/c", "."] {
        if let Ok(node) = file.get(path) {
            let _ = node.attrs();
        }
    }
}

impl Walk {
    fn group(&mut self, group: &Group, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        let _ = group.tracks_creation_order();
        self.attrs(group.attrs());
        self.attrs(group.attrs_in_creation_order());
        let _ = group.links_in_creation_order();
        let _ = group.member_names();
        let Ok(links) = group.links() else { return };
        for link in &links {
            let _ = group.link(&link.name);
            if self.seen.len() >= MAX_OBJECTS {
                return;
            }
            // Opened as `load` opens members (from the listed link, not by name: a corrupt
            // name index can hide a link from a lookup that the listing still shows).
            let Ok(node) = group.open_link(link) else {
                continue;
            };
            if !self.seen.insert(node.addr().get()) {
                continue;
            }
            match node {
                Node::Group(g) => self.group(&g, depth.saturating_add(1)),
                Node::Dataset(d) => self.dataset(&d),
                Node::Datatype(t) => {
                    let _ = t.datatype();
                    self.attrs(t.attrs());
                }
            }
        }
    }

    fn attrs(&self, attrs: jangada_hdf5::Result<Vec<Attribute>>) {
        let Ok(attrs) = attrs else { return };
        for a in &attrs {
            let _ = (a.name(), a.dtype(), a.shape(), a.creation_order(), a.raw());
            if let Mode::Data { .. } = self.mode {
                let _ = a.read_dyn();
                let _ = a.read_strings();
            }
        }
    }

    fn dataset(&self, d: &Dataset) {
        let _ = (
            d.shape(),
            d.maxshape(),
            d.layout(),
            d.chunk_index(),
            d.chunks(),
        );
        let _ = (d.filters(), d.fill_value_message(), d.is_null());
        self.attrs(d.attrs());
        let Mode::Data { budget } = self.mode else {
            return;
        };
        let _ = d.fill_value_dyn();
        if d.chunks().is_some() {
            let _ = d.stored_chunks();
        }
        if decoded_size(d) > budget {
            return;
        }
        let _ = d.read_dyn();
        let _ = d.read_raw(Selection::all());
        // A few slices: the first element, every other element, the last along axis 0.
        let first = Selection::new(d.shape().iter().map(|_| SliceArg::range(0, 1)));
        let _ = d.read_dyn_slice(&first);
        let _ = d.read_dyn_slice(Selection::new([SliceArg::stepped(0, i64::MAX, 2)]));
        let _ = d.read_dyn_slice(Selection::new([SliceArg::Index(-1)]));
    }
}

/// Bytes a dynamic read of `d` may take: elements x (stored size + one `Element`).
fn decoded_size(d: &Dataset) -> u64 {
    let per = u64::from(d.dtype().size).saturating_add(std::mem::size_of::<Element>() as u64);
    d.size().saturating_mul(per)
}

/// Whether every dataset reachable from `group` decodes within `budget` bytes (metadata
/// walk; unreadable objects are skipped: the load reports them).
fn datasets_within(root: &Group, budget: u64) -> bool {
    let mut seen = HashSet::from([root.addr().get()]);
    let mut todo = vec![(root.clone(), 0u32)];
    while let Some((group, depth)) = todo.pop() {
        let Ok(links) = group.links() else { continue };
        for link in &links {
            if seen.len() >= MAX_OBJECTS {
                return false;
            }
            // Opened as `load` opens members (from the listed link, not by name: a corrupt
            // name index can hide a link from a lookup that the listing still shows).
            let Ok(node) = group.open_link(link) else {
                continue;
            };
            if !seen.insert(node.addr().get()) {
                continue;
            }
            match node {
                Node::Group(g) if depth < MAX_DEPTH => todo.push((g, depth + 1)),
                Node::Dataset(d) if decoded_size(&d) > budget => return false,
                _ => {}
            }
        }
    }
    true
}
