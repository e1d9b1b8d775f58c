//! Serialized dataspace selections (spec Appendix D, "Dataspace Selection"): what libhdf5's
//! `H5S_SELECT_SERIALIZE` writes into dataset region references and virtual dataset
//! mappings.
//!
//! ```text
//! selection type u32: 0 none, 1 points, 2 hyperslab, 3 all
//! none / all:   version u32 = 1, reserved u32, length u32 (0)
//! points v1:    version u32 = 1, reserved u32, length u32, rank u32, count u32,
//!               count x rank coordinates u32
//! points v2:    version u32 = 2, encode size u8 (2/4/8), rank u32, count (enc),
//!               coordinates (enc)
//! hyper v1:     version u32 = 1, reserved u32, length u32, rank u32, blocks u32,
//!               per block: rank start offsets then rank end offsets (inclusive), u32
//! hyper v2:     version u32 = 2, flags u8 (bit 0 regular), length u32, rank u32,
//!               per dim: start, stride, count, block (u64; all ones = unlimited)
//! hyper v3:     version u32 = 3, flags u8, encode size u8 (2/4/8), rank u32, then
//!               regular: per dim start, stride, count, block (enc; all ones = unlimited)
//!               irregular: blocks (enc), per block starts then ends (enc)
//! ```
//!
//! [`Selection`] is the decoded form; [`Selection::resolve`] checks it against an extent
//! and gives a [`Resolved`] selection whose elements come out as runs along the last axis
//! in the order libhdf5 visits them (row-major for hyperslabs and "all", stored order for
//! points), and whose hyperslab blocks come out as `H5Sget_select_hyper_blocklist` lists
//! them.

use crate::error::{Error, Result};
use crate::io::Cursor;

use super::span_tree::SpanTree;
use super::{MAX_RANK, UNLIMITED};

/// Selection type values (`H5S_sel_type`).
const SEL_NONE: u32 = 0;
const SEL_POINTS: u32 = 1;
const SEL_HYPER: u32 = 2;
const SEL_ALL: u32 = 3;

/// One dimension of a regular hyperslab (`H5Sselect_hyperslab`'s arguments); `count` or
/// `block` may be [`UNLIMITED`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegularDim {
    /// First selected position.
    pub start: u64,
    /// Distance between the starts of consecutive blocks.
    pub stride: u64,
    /// Number of blocks ([`UNLIMITED`]: as many as the extent holds).
    pub count: u64,
    /// Block length ([`UNLIMITED`]: up to the end of the extent).
    pub block: u64,
}

/// A block of a hyperslab: first and last (inclusive) coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HyperBlock {
    /// First coordinate of the block on each axis.
    pub start: Vec<u64>,
    /// Last coordinate (inclusive) on each axis.
    pub end: Vec<u64>,
}

/// A decoded dataspace selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Nothing selected (`H5S_SEL_NONE`).
    None,
    /// The whole extent (`H5S_SEL_ALL`).
    All,
    /// Points, in the order they were selected (`H5S_SEL_POINTS`).
    Points {
        /// Rank of each point.
        rank: usize,
        /// `count x rank` coordinates, point after point.
        coords: Vec<u64>,
    },
    /// A regular hyperslab: one [`RegularDim`] per axis.
    Regular(Vec<RegularDim>),
    /// An irregular hyperslab: a list of blocks (as stored; [`Selection::resolve`] merges
    /// them the way libhdf5's span trees do).
    Blocks {
        /// Rank of each block.
        rank: usize,
        /// The blocks.
        blocks: Vec<HyperBlock>,
    },
}

fn bad(c: &Cursor<'_>, detail: impl Into<String>) -> Error {
    c.error(detail)
}

/// Read an `enc`-byte unsigned value whose all-ones value means [`UNLIMITED`].
fn read_enc(c: &mut Cursor<'_>, enc: usize) -> Result<u64> {
    let v = c.uint(enc)?;
    Ok(if crate::io::is_undefined(v, enc) {
        UNLIMITED
    } else {
        v
    })
}

fn read_rank(c: &mut Cursor<'_>) -> Result<usize> {
    let rank = c.u32()? as usize;
    if rank == 0 || rank > MAX_RANK {
        return Err(bad(c, format!("selection rank {rank} is not 1-{MAX_RANK}")));
    }
    Ok(rank)
}

fn read_enc_size(c: &mut Cursor<'_>) -> Result<usize> {
    match c.u8()? {
        e @ (2 | 4 | 8) => Ok(usize::from(e)),
        e => Err(bad(
            c,
            format!("selection encode size {e} is not 2, 4 or 8"),
        )),
    }
}

/// Check that `count` items of `item` bytes each fit in what is left of the cursor (so a
/// corrupt count cannot make us allocate more than the input's size).
fn check_items(c: &Cursor<'_>, count: u64, item: usize, what: &str) -> Result<usize> {
    let need = count.checked_mul(item as u64);
    match need {
        Some(n) if n <= c.remaining() as u64 => Ok(count as usize),
        _ => Err(bad(
            c,
            format!(
                "{count} {what} of {item} bytes do not fit in the {} bytes left",
                c.remaining()
            ),
        )),
    }
}

impl Selection {
    /// Decode a serialized selection (starting at its 4-byte selection type).
    pub fn parse(c: &mut Cursor<'_>) -> Result<Selection> {
        let kind = c.u32()?;
        let version = c.u32()?;
        match kind {
            SEL_NONE | SEL_ALL => {
                if version != 1 {
                    return Err(bad(
                        c,
                        format!("\"none\"/\"all\" selection version {version} is not 1"),
                    ));
                }
                c.skip(8)?; // reserved, length
                Ok(if kind == SEL_NONE {
                    Selection::None
                } else {
                    Selection::All
                })
            }
            SEL_POINTS => parse_points(c, version),
            SEL_HYPER => parse_hyper(c, version),
            k => Err(bad(c, format!("selection type {k} is not 0-3"))),
        }
    }

    /// The rank the selection was made for (`None` for "none" and "all", which fit any).
    pub fn rank(&self) -> Option<usize> {
        match self {
            Selection::None | Selection::All => None,
            Selection::Points { rank, .. } | Selection::Blocks { rank, .. } => Some(*rank),
            Selection::Regular(dims) => Some(dims.len()),
        }
    }

    /// The axis with an unlimited count or block (a regular hyperslab has at most one).
    pub fn unlimited_axis(&self) -> Option<usize> {
        match self {
            Selection::Regular(dims) => dims
                .iter()
                .position(|d| d.count == UNLIMITED || d.block == UNLIMITED),
            _ => None,
        }
    }

    /// Encode (the type, then the info): none and all as version 1; points as version 1
    /// when every coordinate fits in 32 bits, else version 2 with 8-byte values; regular
    /// hyperslabs as version 2 (8-byte values, unlimited as all ones), which every
    /// libhdf5 since 1.10 reads; irregular hyperslabs as version 1 when every coordinate
    /// fits in 32 bits (below the all-ones value), else version 3 with 8-byte values.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        use crate::io::PutLe;
        let small = |v: &u64| *v < u64::from(u32::MAX);
        match self {
            Selection::None | Selection::All => {
                let kind = if *self == Selection::None {
                    SEL_NONE
                } else {
                    SEL_ALL
                };
                out.put_uint(u64::from(kind), 4)?;
                out.put_uint(1, 4)?;
                out.put_uint(0, 4)?;
                out.put_uint(0, 4)?;
            }
            Selection::Points { rank, coords } => {
                let n = coords.len() / (*rank).max(1);
                out.put_uint(u64::from(SEL_POINTS), 4)?;
                if coords.iter().all(small) && n < u32::MAX as usize {
                    out.put_uint(1, 4)?;
                    out.put_uint(0, 4)?;
                    out.put_uint(u64::from(u32_of(8 + coords.len() * 4)?), 4)?;
                    out.put_uint(u64::from(u32_of(*rank)?), 4)?;
                    out.put_uint(u64::from(u32_of(n)?), 4)?;
                    for &v in coords {
                        out.put_uint(v, 4)?;
                    }
                } else {
                    out.put_uint(2, 4)?;
                    out.push(8);
                    out.put_uint(u64::from(u32_of(*rank)?), 4)?;
                    out.put_uint(n as u64, 8)?;
                    for &v in coords {
                        out.put_uint(v, 8)?;
                    }
                }
            }
            Selection::Regular(dims) => {
                out.put_uint(u64::from(SEL_HYPER), 4)?;
                out.put_uint(2, 4)?;
                out.push(1);
                out.put_uint(u64::from(u32_of(4 + dims.len() * 32)?), 4)?;
                out.put_uint(u64::from(u32_of(dims.len())?), 4)?;
                for d in dims {
                    for v in [d.start, d.stride, d.count, d.block] {
                        out.put_uint(v, 8)?;
                    }
                }
            }
            Selection::Blocks { rank, blocks } => {
                out.put_uint(u64::from(SEL_HYPER), 4)?;
                let fits = blocks
                    .iter()
                    .all(|b| b.start.iter().chain(&b.end).all(small))
                    && blocks.len() < u32::MAX as usize;
                if fits {
                    out.put_uint(1, 4)?;
                    out.put_uint(0, 4)?;
                    out.put_uint(u64::from(u32_of(8 + blocks.len() * rank * 8)?), 4)?;
                    out.put_uint(u64::from(u32_of(*rank)?), 4)?;
                    out.put_uint(u64::from(u32_of(blocks.len())?), 4)?;
                    for b in blocks {
                        for &v in b.start.iter().chain(&b.end) {
                            out.put_uint(v, 4)?;
                        }
                    }
                } else {
                    out.put_uint(3, 4)?;
                    out.push(0);
                    out.push(8);
                    out.put_uint(u64::from(u32_of(*rank)?), 4)?;
                    out.put_uint(blocks.len() as u64, 8)?;
                    for b in blocks {
                        for &v in b.start.iter().chain(&b.end) {
                            out.put_uint(v, 8)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Check the selection against an extent of `dims` and put it in the form that lists
    /// its elements and blocks. Unlimited counts and blocks are clipped to the extent
    /// (what libhdf5 does for an unlimited selection in a dataspace of that size).
    /// Coordinates outside the extent are an error (`what` names the selection).
    pub fn resolve(&self, dims: &[u64], what: &str) -> Result<Resolved> {
        if let Some(rank) = self.rank() {
            if rank != dims.len() {
                return Err(Error::Invalid(format!(
                    "{what}: selection of rank {rank} for an extent of rank {}",
                    dims.len()
                )));
            }
        }
        let outside = |detail: String| Error::Invalid(format!("{what}: {detail}"));
        match self {
            Selection::None => Ok(Resolved::Grid(Vec::new(), true)),
            Selection::All => Ok(Resolved::Grid(
                dims.iter()
                    .map(|&d| if d == 0 { Vec::new() } else { vec![(0, d - 1)] })
                    .collect(),
                dims.contains(&0),
            )),
            Selection::Points { rank, coords } => {
                for p in coords.chunks(*rank) {
                    if p.iter().zip(dims).any(|(&c, &d)| c >= d) {
                        return Err(outside(format!(
                            "point {p:?} lies outside the extent {dims:?}"
                        )));
                    }
                }
                Ok(Resolved::Points {
                    rank: *rank,
                    coords: coords.clone(),
                })
            }
            Selection::Regular(rdims) => {
                let mut axes = Vec::with_capacity(rdims.len());
                for (i, (r, &d)) in rdims.iter().zip(dims).enumerate() {
                    axes.push(
                        regular_segments(r, d).map_err(|e| outside(format!("axis {i}: {e}")))?,
                    );
                }
                let empty = axes.iter().any(Vec::is_empty);
                Ok(Resolved::Grid(axes, empty))
            }
            Selection::Blocks { rank, blocks } => {
                for b in blocks {
                    let bad_block = b.start.iter().zip(&b.end).any(|(s, e)| s > e)
                        || b.end.iter().zip(dims).any(|(&e, &d)| e >= d);
                    if bad_block {
                        return Err(outside(format!(
                            "block {:?}-{:?} is empty or lies outside the extent {dims:?}",
                            b.start, b.end
                        )));
                    }
                }
                Ok(Resolved::Tree(SpanTree::from_blocks(*rank, blocks)?))
            }
        }
    }
}

impl Selection {
    /// The hyperslab blocks in `H5Sget_select_hyper_blocklist`'s order without an extent
    /// to check against (a region reference's selection, as stored): `None` for "none",
    /// "all" and points. At most `limit` blocks; an unlimited selection is an error.
    pub fn block_list(&self, limit: usize) -> Result<Option<Vec<HyperBlock>>> {
        let rank = match self {
            Selection::Regular(_) | Selection::Blocks { .. } => self.rank().unwrap_or(0),
            _ => return Ok(None),
        };
        if self.unlimited_axis().is_some() {
            return Err(Error::Unsupported(
                "block list of an unlimited hyperslab selection".into(),
            ));
        }
        self.resolve(&vec![UNLIMITED; rank], "hyperslab selection")?
            .blocks(limit)
    }
}

fn u32_of(v: usize) -> Result<u32> {
    u32::try_from(v)
        .map_err(|_| Error::LimitExceeded(format!("selection field {v} exceeds 32 bits")))
}

/// The positions of one regular hyperslab axis inside an extent of `d`, as sorted,
/// disjoint, non-adjacent segments `(first, last)` (adjacent blocks merged, as libhdf5's
/// optimized "diminfo" does).
fn regular_segments(r: &RegularDim, d: u64) -> std::result::Result<Vec<(u64, u64)>, String> {
    if r.block == 0 || r.count == 0 {
        return Ok(Vec::new());
    }
    if r.block == UNLIMITED {
        if r.count != 1 {
            return Err(format!("an unlimited block needs count 1, not {}", r.count));
        }
        return Ok(if r.start < d {
            vec![(r.start, d - 1)]
        } else {
            Vec::new()
        });
    }
    if r.count > 1 && r.stride < r.block {
        return Err(format!(
            "stride {} is smaller than the block {} (overlapping blocks)",
            r.stride, r.block
        ));
    }
    let count = if r.count == UNLIMITED {
        // Blocks that start inside the extent; the last may be cut by it.
        if r.start >= d {
            0
        } else {
            (d - r.start).div_ceil(r.stride.max(1))
        }
    } else {
        let last = r
            .count
            .checked_sub(1)
            .and_then(|k| k.checked_mul(r.stride))
            .and_then(|o| o.checked_add(r.start))
            .and_then(|s| s.checked_add(r.block - 1));
        match last {
            Some(l) if l < d => r.count,
            _ => {
                return Err(format!(
                    "{} blocks of {} from {} with stride {} pass the extent {d}",
                    r.count, r.block, r.start, r.stride
                ))
            }
        }
    };
    let mut segs: Vec<(u64, u64)> = Vec::new();
    if count > (1 << 24) && r.stride == r.block {
        // Adjacent blocks: one segment, without walking them.
        let end = r.start.saturating_add(count.saturating_mul(r.block)).min(d);
        return Ok(vec![(r.start, end - 1)]);
    }
    if count > (1 << 24) {
        return Err(format!(
            "{count} blocks on one axis exceed the limit of 2^24"
        ));
    }
    for k in 0..count {
        let s = r.start + k * r.stride;
        let e = (s + r.block - 1).min(d - 1);
        match segs.last_mut() {
            Some(last) if last.1 + 1 == s => last.1 = e,
            _ => segs.push((s, e)),
        }
    }
    Ok(segs)
}

fn parse_points(c: &mut Cursor<'_>, version: u32) -> Result<Selection> {
    let (rank, count, enc) = match version {
        1 => {
            c.skip(8)?; // reserved, length
            let rank = read_rank(c)?;
            (rank, u64::from(c.u32()?), 4)
        }
        2 => {
            let enc = read_enc_size(c)?;
            let rank = read_rank(c)?;
            (rank, c.uint(enc)?, enc)
        }
        v => return Err(bad(c, format!("point selection version {v} is not 1 or 2"))),
    };
    let values = count
        .checked_mul(rank as u64)
        .ok_or_else(|| bad(c, format!("{count} points overflow")))?;
    let n = check_items(c, values, enc, "point coordinates")?;
    let mut coords = Vec::with_capacity(n);
    for _ in 0..n {
        coords.push(c.uint(enc)?);
    }
    Ok(Selection::Points { rank, coords })
}

fn parse_hyper(c: &mut Cursor<'_>, version: u32) -> Result<Selection> {
    match version {
        1 => {
            c.skip(8)?; // reserved, length
            let rank = read_rank(c)?;
            let count = u64::from(c.u32()?);
            parse_blocks(c, rank, count, 4)
        }
        2 => {
            let flags = c.u8()?;
            c.skip(4)?; // length
            let rank = read_rank(c)?;
            if flags & 1 == 0 {
                return Err(bad(
                    c,
                    "version 2 hyperslab selection without the regular flag",
                ));
            }
            parse_regular(c, rank, 8)
        }
        3 => {
            let flags = c.u8()?;
            let enc = read_enc_size(c)?;
            let rank = read_rank(c)?;
            if flags & !1 != 0 {
                return Err(bad(
                    c,
                    format!("hyperslab selection flags {flags:#x} unknown"),
                ));
            }
            if flags & 1 != 0 {
                parse_regular(c, rank, enc)
            } else {
                let count = c.uint(enc)?;
                parse_blocks(c, rank, count, enc)
            }
        }
        v => Err(bad(
            c,
            format!("hyperslab selection version {v} is not 1-3"),
        )),
    }
}

fn parse_regular(c: &mut Cursor<'_>, rank: usize, enc: usize) -> Result<Selection> {
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        let d = RegularDim {
            start: read_enc(c, enc)?,
            stride: read_enc(c, enc)?,
            count: read_enc(c, enc)?,
            block: read_enc(c, enc)?,
        };
        if d.start == UNLIMITED || d.stride == UNLIMITED || d.stride == 0 {
            return Err(bad(
                c,
                format!("regular hyperslab dimension {d:?} has an invalid start or stride"),
            ));
        }
        dims.push(d);
    }
    let unlimited = dims
        .iter()
        .filter(|d| d.count == UNLIMITED || d.block == UNLIMITED)
        .count();
    if unlimited > 1 {
        return Err(bad(
            c,
            "regular hyperslab with more than one unlimited axis",
        ));
    }
    Ok(Selection::Regular(dims))
}

fn parse_blocks(c: &mut Cursor<'_>, rank: usize, count: u64, enc: usize) -> Result<Selection> {
    let item = rank * 2 * enc;
    let n = check_items(c, count, item, "hyperslab blocks")?;
    let mut blocks = Vec::with_capacity(n);
    for _ in 0..n {
        let mut start = Vec::with_capacity(rank);
        let mut end = Vec::with_capacity(rank);
        for _ in 0..rank {
            start.push(c.uint(enc)?);
        }
        for _ in 0..rank {
            end.push(c.uint(enc)?);
        }
        blocks.push(HyperBlock { start, end });
    }
    Ok(Selection::Blocks { rank, blocks })
}

/// A selection checked against an extent, ready to list its elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A grid: per axis, sorted disjoint segments `(first, last)`; every combination of
    /// one segment per axis is selected ("all" and regular hyperslabs). The flag is true
    /// when nothing is selected.
    Grid(Vec<Vec<(u64, u64)>>, bool),
    /// A span tree (irregular hyperslabs).
    Tree(SpanTree),
    /// Points in stored order.
    Points {
        /// Rank of each point.
        rank: usize,
        /// Coordinates, point after point.
        coords: Vec<u64>,
    },
}

/// A run of selected elements along the last axis: `len` elements from `start` (the
/// coordinates of the first; rank 0 selections have one run of one element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// Coordinates of the first element.
    pub start: Vec<u64>,
    /// Number of consecutive elements along the last axis.
    pub len: u64,
}

impl Resolved {
    /// Number of selected elements.
    pub fn count(&self) -> Result<u64> {
        let overflow = || Error::LimitExceeded("selection has too many elements".into());
        match self {
            Resolved::Grid(_, true) => Ok(0),
            Resolved::Grid(axes, false) => axes.iter().try_fold(1u64, |acc, segs| {
                let n = segs
                    .iter()
                    .try_fold(0u64, |a, (s, e)| a.checked_add(e - s + 1))
                    .ok_or_else(overflow)?;
                acc.checked_mul(n).ok_or_else(overflow)
            }),
            Resolved::Tree(t) => t.count().ok_or_else(overflow),
            Resolved::Points { rank, coords } => Ok((coords.len() / (*rank).max(1)) as u64),
        }
    }

    /// Bounding box `(first, last)` per axis; `None` when nothing is selected.
    pub fn bounds(&self) -> Option<Vec<(u64, u64)>> {
        match self {
            Resolved::Grid(_, true) => None,
            Resolved::Grid(axes, false) => axes
                .iter()
                .map(|s| Some((s.first()?.0, s.last()?.1)))
                .collect(),
            Resolved::Tree(t) => t.bounds(),
            Resolved::Points { rank, coords } => {
                let mut b: Option<Vec<(u64, u64)>> = None;
                for p in coords.chunks(*rank) {
                    let bb = b.get_or_insert_with(|| p.iter().map(|&v| (v, v)).collect());
                    for (x, &v) in bb.iter_mut().zip(p) {
                        x.0 = x.0.min(v);
                        x.1 = x.1.max(v);
                    }
                }
                b
            }
        }
    }

    /// The runs of selected elements, in libhdf5's order (row-major for hyperslabs and
    /// "all", stored order for points).
    pub fn runs(&self) -> RunIter<'_> {
        RunIter::new(self)
    }

    /// Hyperslab blocks as `H5Sget_select_hyper_blocklist` lists them: row-major over the
    /// block grid of a regular selection, the span tree's order otherwise. `None` for
    /// point selections. At most `limit` blocks (else a limit error).
    pub fn blocks(&self, limit: usize) -> Result<Option<Vec<HyperBlock>>> {
        match self {
            Resolved::Points { .. } => Ok(None),
            Resolved::Grid(_, true) => Ok(Some(Vec::new())),
            Resolved::Grid(axes, false) => {
                let total = axes
                    .iter()
                    .try_fold(1usize, |acc, s| acc.checked_mul(s.len()))
                    .filter(|&n| n <= limit)
                    .ok_or_else(|| {
                        Error::LimitExceeded(format!("selection has more than {limit} blocks"))
                    })?;
                let mut out = Vec::with_capacity(total);
                let mut idx = vec![0usize; axes.len()];
                for _ in 0..total {
                    let segs: Vec<(u64, u64)> = idx
                        .iter()
                        .zip(axes)
                        .filter_map(|(&i, s)| s.get(i).copied())
                        .collect();
                    out.push(HyperBlock {
                        start: segs.iter().map(|s| s.0).collect(),
                        end: segs.iter().map(|s| s.1).collect(),
                    });
                    for (i, s) in idx.iter_mut().zip(axes).rev() {
                        *i += 1;
                        if *i < s.len() {
                            break;
                        }
                        *i = 0;
                    }
                }
                Ok(Some(out))
            }
            Resolved::Tree(t) => t.blocks(limit).map(Some),
        }
    }
}

/// Iterator over the [`Run`]s of a [`Resolved`] selection.
#[derive(Debug)]
pub struct RunIter<'a> {
    sel: &'a Resolved,
    /// Grid: per outer axis (segment index, position); `None` when finished.
    grid: Option<Vec<(usize, u64)>>,
    /// Last-axis segment index (grid) / point index.
    inner: usize,
    tree: Option<super::span_tree::TreeRuns<'a>>,
}

impl<'a> RunIter<'a> {
    fn new(sel: &'a Resolved) -> Self {
        let grid = match sel {
            Resolved::Grid(axes, false) if !axes.is_empty() => Some(
                axes.iter()
                    .take(axes.len() - 1)
                    .map(|s| (0, s.first().map_or(0, |f| f.0)))
                    .collect(),
            ),
            Resolved::Grid(axes, false) if axes.is_empty() => Some(Vec::new()),
            _ => None,
        };
        let tree = match sel {
            Resolved::Tree(t) => Some(t.runs()),
            _ => None,
        };
        RunIter {
            sel,
            grid,
            inner: 0,
            tree,
        }
    }
}

impl Iterator for RunIter<'_> {
    type Item = Run;

    fn next(&mut self) -> Option<Run> {
        match self.sel {
            Resolved::Points { rank, coords } => {
                let p = coords.get(self.inner * rank..(self.inner + 1) * rank)?;
                self.inner += 1;
                Some(Run {
                    start: p.to_vec(),
                    len: 1,
                })
            }
            Resolved::Tree(_) => self.tree.as_mut()?.next(),
            Resolved::Grid(axes, _) => {
                let outer = self.grid.as_mut()?;
                let Some(last) = axes.last() else {
                    // Rank 0 ("all" of a scalar): one element.
                    self.grid = None;
                    return Some(Run {
                        start: Vec::new(),
                        len: 1,
                    });
                };
                let &(s, e) = last.get(self.inner)?;
                let mut start: Vec<u64> = outer.iter().map(|&(_, p)| p).collect();
                start.push(s);
                self.inner += 1;
                if self.inner >= last.len() {
                    self.inner = 0;
                    // Advance the outer odometer.
                    let mut done = true;
                    for (axis, slot) in outer.iter_mut().enumerate().rev() {
                        let segs = axes.get(axis).map(Vec::as_slice).unwrap_or_default();
                        let (si, pos) = *slot;
                        let Some(&(_, se)) = segs.get(si) else { break };
                        if pos < se {
                            *slot = (si, pos + 1);
                            done = false;
                            break;
                        }
                        if let Some(&(ns, _)) = segs.get(si + 1) {
                            *slot = (si + 1, ns);
                            done = false;
                            break;
                        }
                        *slot = (0, segs.first().map_or(0, |f| f.0));
                    }
                    if done {
                        self.grid = None;
                    }
                }
                Some(Run {
                    start,
                    len: e - s + 1,
                })
            }
        }
    }
}

mod stored;

#[cfg(test)]
mod tests;
