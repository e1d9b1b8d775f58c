//! `jangada check FILE`: verify an HDF5 file the way `h5check` does, and list every problem
//! with the object path and the byte offset where it was found.
//!
//! Two passes:
//!
//! 1. **Structures.** Every structure reachable from the superblock (object headers and
//!    their continuation blocks, B-trees, heaps, chunk indexes, raw data) is walked with
//!    [`jangada_hdf5::usage::used_extents`]; structures that fail to decode, extents that
//!    run past the end of the file, and extents claimed by two structures are problems.
//! 2. **Objects.** Every object reachable through hard and soft links is opened, every
//!    attribute read, and every dataset's data read: chunked datasets one stored chunk at
//!    a time, others in blocks of at most [`BLOCK_ELEMENTS`] elements (so huge datasets do
//!    not need memory of their size; unwritten data, which reads as the fill value, is read
//!    no further than twice the file's size). The readers verify every checksum on the way.
//!
//! Not everything the reader cannot handle is damage. These are **warnings**, which do not
//! make a file fail the check: datasets whose filters this crate cannot decode (LZO, SZ, SZ3,
//! unregistered third-party filters: the data is fine, we just cannot read it), other valid features the crate
//! does not implement ([`Error::Unsupported`]), hard links that lead back to an ancestor
//! group (legal in HDF5; not followed), and structures whose file space the walk cannot
//! account for exactly (overlap checks are then partial). Dangling soft links and external
//! links are not checked (they are legal and point outside what this file holds).

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use jangada_hdf5::io::FileImage;
use jangada_hdf5::store::Store;
use jangada_hdf5::superblock::Superblock;
use jangada_hdf5::usage::used_extents;
use jangada_hdf5::{
    Attribute, Dataset, Error, File, Group, LinkTarget, Node, Result, Selection, SliceArg,
};

/// Largest number of elements read from a dataset at once.
pub const BLOCK_ELEMENTS: u64 = 1 << 16;

/// Largest number of problems listed (further ones are counted only).
const MAX_LISTED: usize = 1000;

/// One finding: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Path of the object concerned (`/` for file-level structures).
    pub path: String,
    /// Absolute byte offset in the file, when known.
    pub offset: Option<u64>,
    /// What is wrong (the reader's error message).
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(offset) = self.offset {
            if !self.message.contains("byte offset") {
                write!(f, " (at byte offset {offset})")?;
            }
        }
        Ok(())
    }
}

/// The result of checking a file.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Damage: the file fails the check when there is any.
    pub problems: Vec<Problem>,
    /// Things that could not be verified but are not damage (see the module docs).
    pub warnings: Vec<Problem>,
    /// Problems found beyond the first [`MAX_LISTED`], not listed.
    pub unlisted: usize,
    /// Objects visited.
    pub objects: usize,
    /// Structure extents walked.
    pub extents: usize,
}

impl Report {
    /// Whether the file passed (no problems; warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.unlisted == 0
    }

    /// The one-line summary printed last.
    pub fn summary(&self) -> String {
        let problems = self.problems.len() + self.unlisted;
        format!(
            "{}: {} problem{}, {} warning{} ({} objects, {} structure extents checked)",
            if self.is_ok() { "OK" } else { "FAILED" },
            problems,
            if problems == 1 { "" } else { "s" },
            self.warnings.len(),
            if self.warnings.len() == 1 { "" } else { "s" },
            self.objects,
            self.extents,
        )
    }

    fn problem(&mut self, path: &str, offset: Option<u64>, message: String) {
        if self.problems.len() >= MAX_LISTED {
            self.unlisted += 1;
            return;
        }
        self.problems.push(Problem {
            path: path.to_string(),
            offset,
            message,
        });
    }

    fn warning(&mut self, path: &str, message: String) {
        if self.warnings.len() < MAX_LISTED {
            self.warnings.push(Problem {
                path: path.to_string(),
                offset: None,
                message,
            });
        }
    }

    /// Drop repeats: the same message twice at one path, and a file-level (`/`) finding
    /// that the object pass also found at an object's path (the object path says more).
    fn dedup(&mut self) {
        for list in [&mut self.problems, &mut self.warnings] {
            let mut seen = HashSet::new();
            list.retain(|p| seen.insert((p.path.clone(), p.message.clone())));
            let at_objects: HashSet<String> = list
                .iter()
                .filter(|p| p.path != "/")
                .map(|p| p.message.clone())
                .collect();
            list.retain(|p| p.path != "/" || !at_objects.contains(&p.message));
        }
    }

    /// Record a reader error: a warning for what is not damage, else a problem.
    fn error(&mut self, path: &str, e: &Error) {
        if is_unsupported(e) {
            self.warning(path, e.to_string());
        } else {
            self.problem(path, error_offset(e), e.to_string());
        }
    }
}

/// Whether an error means "valid but not implemented here" rather than damage.
pub fn is_unsupported(e: &Error) -> bool {
    matches!(e, Error::Unsupported(_) | Error::UnsupportedFilter { .. })
}

/// The byte offset an error names, if any.
pub fn error_offset(e: &Error) -> Option<u64> {
    match e {
        Error::Corrupt { offset, .. } | Error::Checksum { offset, .. } => Some(*offset),
        _ => None,
    }
}

/// Check the file at `path`. `Err` only when the file cannot be opened at all (missing,
/// unreadable, locked by a writer); everything wrong with its contents is in the report.
pub fn check_file(path: impl AsRef<Path>) -> Result<Report> {
    let path = path.as_ref();
    let mut report = Report::default();
    let store = Store::open_read(path)?;
    let readable = check_structures(&store, &mut report)?;
    drop(store);
    if readable {
        match File::open(path) {
            Ok(file) => check_objects(&file, &mut report),
            Err(e @ (Error::Io(_) | Error::Locked)) => return Err(e),
            Err(e) => report.error("/", &e),
        }
    }
    report.dedup();
    Ok(report)
}

/// Pass 1: the superblock and the extents of every structure. False when there is no
/// usable superblock (nothing else can be read).
fn check_structures(store: &Store, report: &mut Report) -> Result<bool> {
    let snap = store.snapshot()?;
    let bytes = snap.bytes();
    let sb = match Superblock::read(bytes) {
        Ok(sb) => sb,
        Err(e) => {
            report.problem("/", Some(error_offset(&e).unwrap_or(0)), e.to_string());
            return Ok(false);
        }
    };
    let img = FileImage::new(bytes, sb.base, sb.sizes);
    let img = match jangada_hdf5::sohm::find_table(&img, sb.extension) {
        Ok(sohm) => img.with_sohm(sohm),
        Err(e) => {
            report.error("/", &e);
            img
        }
    };
    let eof = img.len();
    let usage = match used_extents(&img, &sb) {
        Ok(u) => u,
        Err(e) => {
            report.error("/", &e);
            return Ok(true);
        }
    };
    report.extents = usage.extents.len();
    if !usage.complete {
        report.warning(
            "/",
            format!(
                "file space accounting incomplete ({}): overlaps may go undetected",
                usage.reason.as_deref().unwrap_or("unknown reason")
            ),
        );
    }
    for e in usage.out_of_bounds(eof) {
        report.problem(
            "/",
            Some(e.addr.0.saturating_add(sb.base)),
            format!(
                "{} of {} bytes runs past the end of the file ({} bytes)",
                e.what,
                e.len,
                bytes.len()
            ),
        );
    }
    for (a, b) in usage.overlaps() {
        report.problem(
            "/",
            Some(b.addr.0.saturating_add(sb.base)),
            format!(
                "{} ({} bytes at byte offset {}) overlaps {} ({} bytes at byte offset {})",
                b.what,
                b.len,
                b.addr.0.saturating_add(sb.base),
                a.what,
                a.len,
                a.addr.0.saturating_add(sb.base),
            ),
        );
    }
    Ok(true)
}

/// Pass 2: every object, attribute and dataset element.
fn check_objects(file: &File, report: &mut Report) {
    let root = match file.root() {
        Ok(r) => r,
        Err(e) => {
            report.error("/", &e);
            return;
        }
    };
    let mut visited = HashSet::new();
    let mut ancestors = Vec::new();
    visited.insert(root.addr().get());
    report.objects += 1;
    check_group(&root, file.len(), &mut visited, &mut ancestors, report);
}

fn check_attrs(path: &str, attrs: Result<Vec<Attribute>>, report: &mut Report) {
    match attrs {
        Ok(attrs) => {
            for a in attrs {
                if let Err(e) = a.read_dyn() {
                    report.error(&format!("{path} (attribute {:?})", a.name()), &e);
                }
            }
        }
        Err(e) => report.error(path, &e),
    }
}

fn check_group(
    group: &Group,
    file_len: u64,
    visited: &mut HashSet<u64>,
    ancestors: &mut Vec<u64>,
    report: &mut Report,
) {
    let path = group.path().to_string();
    check_attrs(&path, group.attrs(), report);
    let links = match group.links() {
        Ok(l) => l,
        Err(e) => {
            report.error(&path, &e);
            return;
        }
    };
    ancestors.push(group.addr().get());
    for link in links {
        let child_path = if path.ends_with('/') {
            format!("{path}{}", link.name)
        } else {
            format!("{path}/{}", link.name)
        };
        let node = match (&link.target, group.get(&link.name)) {
            (LinkTarget::External { .. } | LinkTarget::UserDefined(_), _) => continue,
            (LinkTarget::Soft(_), Err(Error::NotFound(_))) => continue,
            (_, Err(e)) => {
                report.error(&child_path, &e);
                continue;
            }
            (_, Ok(node)) => node,
        };
        let addr = node.addr().get();
        if ancestors.contains(&addr) {
            report.warning(
                &child_path,
                "links back to a group that contains it (a cycle); not followed".into(),
            );
            continue;
        }
        if !visited.insert(addr) {
            continue;
        }
        report.objects += 1;
        match &node {
            Node::Group(g) => check_group(g, file_len, visited, ancestors, report),
            Node::Dataset(d) => check_dataset(d, file_len, report),
            Node::Datatype(_) => check_attrs(&child_path, node.attrs(), report),
        }
    }
    ancestors.pop();
}

fn check_dataset(ds: &Dataset, file_len: u64, report: &mut Report) {
    let path = ds.path().to_string();
    check_attrs(&path, ds.attrs(), report);
    let result = match ds.chunks() {
        Some(chunk_dims) => {
            let chunk_dims = chunk_dims.to_vec();
            read_chunks(ds, &chunk_dims)
        }
        None => {
            // Unwritten contiguous data reads as the fill value, however large the
            // dataset: read no more than the file could hold.
            let size = u64::from(ds.dtype().size).max(1);
            let budget = file_len
                .saturating_mul(2)
                .div_ceil(size)
                .max(BLOCK_ELEMENTS);
            read_in_blocks(ds, budget)
        }
    };
    if let Err(e) = result {
        report.error(&path, &e);
    }
}

/// Read the region of every stored chunk (what is not stored is the fill value).
fn read_chunks(ds: &Dataset, chunk_dims: &[u64]) -> Result<()> {
    let shape = ds.shape().to_vec();
    if ds.is_null() || shape.is_empty() {
        ds.read_dyn()?;
        return Ok(());
    }
    for chunk in ds.stored_chunks()? {
        let mut args = Vec::with_capacity(shape.len());
        let mut inside = true;
        for ((start, dim), len) in chunk.offset.iter().zip(chunk_dims).zip(&shape) {
            if start >= len {
                inside = false;
                break;
            }
            let stop = start.saturating_add(*dim).min(*len);
            args.push(SliceArg::range(to_i64(*start), to_i64(stop)));
        }
        if inside {
            ds.read_dyn_slice(Selection::new(args))?;
        }
    }
    Ok(())
}

/// Read the elements of `ds` in row-major order, at most [`BLOCK_ELEMENTS`] at a time (one
/// position at a time along axes whose inner block alone is larger), stopping after
/// `budget` elements.
fn read_in_blocks(ds: &Dataset, budget: u64) -> Result<()> {
    let shape = ds.shape().to_vec();
    if ds.is_null() || shape.is_empty() || shape.iter().product::<u64>() <= BLOCK_ELEMENTS {
        ds.read_dyn()?;
        return Ok(());
    }
    if shape.contains(&0) {
        return Ok(());
    }
    // The first axis `k` whose trailing block (axes after k) fits; read `rows` positions
    // of axis k at a time, and iterate the axes before k one position at a time.
    let mut k = shape.len().saturating_sub(1);
    let mut inner: u64 = 1;
    for (axis, len) in shape.iter().enumerate().rev() {
        if inner.saturating_mul(*len) > BLOCK_ELEMENTS {
            k = axis;
            break;
        }
        inner = inner.saturating_mul(*len);
    }
    let rows = (BLOCK_ELEMENTS / inner.max(1)).max(1);
    let outer: Vec<u64> = shape.iter().take(k).copied().collect();
    let axis_len = shape.get(k).copied().unwrap_or(1);
    let mut index = vec![0u64; outer.len()];
    let mut read: u64 = 0;
    loop {
        let mut start = 0u64;
        while start < axis_len {
            if read >= budget {
                return Ok(());
            }
            let stop = start.saturating_add(rows).min(axis_len);
            let mut args: Vec<SliceArg> =
                index.iter().map(|i| SliceArg::Index(to_i64(*i))).collect();
            args.push(SliceArg::range(to_i64(start), to_i64(stop)));
            ds.read_dyn_slice(Selection::new(args))?;
            read = read.saturating_add((stop - start).saturating_mul(inner));
            start = stop;
        }
        // Next position of the outer axes (odometer).
        let mut axis = outer.len();
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            let (Some(i), Some(len)) = (index.get_mut(axis), outer.get(axis)) else {
                return Ok(());
            };
            *i += 1;
            if *i < *len {
                break;
            }
            *i = 0;
        }
    }
}

/// Positions reached by the walk above: it stops at `budget` elements read, far below
/// 2^63 positions, so the clamp is never taken.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The text printed by `jangada check`: one line per problem and warning, then the summary.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for p in &report.problems {
        out.push_str(&format!("{p}\n"));
    }
    if report.unlisted > 0 {
        out.push_str(&format!("... and {} more problems\n", report.unlisted));
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&report.summary());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn problem_display_adds_offset_only_when_missing() {
        let p = Problem {
            path: "/g/d".into(),
            offset: Some(4242),
            message: "corrupt file: v2 B-tree leaf node at byte offset 4242: bad".into(),
        };
        assert_eq!(
            p.to_string(),
            "/g/d: corrupt file: v2 B-tree leaf node at byte offset 4242: bad"
        );
        let q = Problem {
            path: "/".into(),
            offset: Some(7),
            message: "overlap".into(),
        };
        assert_eq!(q.to_string(), "/: overlap (at byte offset 7)");
    }

    #[test]
    fn repeats_are_dropped_and_object_paths_preferred() {
        let mut r = Report::default();
        r.problem("/", Some(9), "bad header".into());
        r.problem("/", Some(9), "bad header".into());
        r.problem("/g/d", Some(9), "bad header".into());
        r.problem("/", Some(5), "overlap".into());
        r.dedup();
        let paths: Vec<(&str, &str)> = r
            .problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(paths, [("/g/d", "bad header"), ("/", "overlap")]);
    }

    #[test]
    fn summary_counts() {
        let mut r = Report::default();
        assert!(r.is_ok());
        assert!(r.summary().starts_with("OK: 0 problems, 0 warnings"));
        r.problem("/", Some(1), "x".into());
        r.warning("/a", "y".into());
        assert!(!r.is_ok());
        assert!(r.summary().starts_with("FAILED: 1 problem, 1 warning"));
        let text = render(&r);
        assert!(text.contains("/: x (at byte offset 1)\n"));
        assert!(text.contains("warning: /a: y\n"));
    }
}
