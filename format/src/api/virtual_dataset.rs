//! Reading virtual datasets (layout class 3): the mapping list (spec III.F) copies the
//! elements of source selections in source datasets, possibly in other files, to virtual
//! selections; what no mapping covers (or what a missing source would have given) reads
//! as the virtual dataset's fill value, as libhdf5 and h5py read it.
//!
//! Behaviour follows libhdf5's `H5Dvirtual.c` with its default access properties:
//!
//! - **Source files** (`H5F_prefix_open_file`): `"."` is the virtual dataset's own file.
//!   Any other name is tried, in order: as given when absolute (if that fails, only its
//!   last component is used below); under each `:`-separated entry of the environment
//!   variable `HDF5_VDS_PREFIX` (a leading `${ORIGIN}` stands for the virtual dataset
//!   file's folder); in the virtual dataset file's folder; as given (relative to the
//!   working directory); in the folder of the virtual dataset file's resolved path. A file
//!   that cannot be opened, or a dataset it does not hold, is a *missing source*: its
//!   elements read as the fill value (an error opening a dataset that exists is
//!   reported instead).
//! - **Unlimited mappings**, extent by the default view `H5D_VDS_LAST_AVAILABLE`
//!   (`H5D__virtual_set_extent_unlim`): a mapping whose virtual and source selections are
//!   both unlimited extends the virtual dataset as far as its source's current extent
//!   fills it; a mapping with an unlimited virtual selection and a limited source selection
//!   is a "printf" mapping: block `b` of the virtual selection comes from the source file
//!   and dataset names with `%b` replaced by `b` (`%%` is a literal `%`), for `b` = 0, 1,
//!   ... up to the first missing source (libhdf5's default printf gap of 0). The unlimited
//!   axis's extent is the largest any such mapping reaches, but not less than the bounds
//!   of the limited mappings; other axes keep the stored extent.
//! - Sources must have the virtual dataset's datatype (libhdf5 would convert; not done
//!   here: an error naming both types). Variable-length and reference types are read only
//!   from sources in the same file (their heap IDs point into the source's file).
//! - A virtual dataset whose sources are themselves virtual is followed up to
//!   [`MAX_NESTING`] levels; a cycle (a virtual dataset mapping itself) ends there with an
//!   error.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dataspace::selection::{RegularDim, Resolved, Selection as SpaceSelection};
use crate::dataspace::UNLIMITED;
use crate::datatype::{Datatype, TypeClass};
use crate::error::{Error, Result};
use crate::heap::global::{GlobalHeapId, GlobalHeapReader};
use crate::heap::vds_block::{self, Mapping};
use crate::hyperslab::AxisSel;

use super::dataset::Dataset;
use super::file::{File, FileInner};
use super::read::Sink;
use super::selection::{Selection, SliceArg};

/// Most levels of virtual datasets read through one another.
pub const MAX_NESTING: u32 = 8;

/// Most printf blocks looked up for one mapping.
const MAX_PRINTF_BLOCKS: u64 = 1 << 20;

thread_local! {
    /// Virtual dataset reads in progress on this thread (nesting guard).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Holds one level of [`DEPTH`] while alive.
struct DepthGuard;

impl DepthGuard {
    fn enter(path: &str) -> Result<DepthGuard> {
        let depth = DEPTH.with(|d| {
            let v = d.get() + 1;
            d.set(v);
            v
        });
        let guard = DepthGuard;
        if depth > MAX_NESTING {
            return Err(Error::LimitExceeded(format!(
                "virtual dataset {path}: sources nested deeper than {MAX_NESTING} levels \
                 (a virtual dataset mapping itself?)"
            )));
        }
        Ok(guard)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The decoded mapping list of a virtual dataset and what opening it found out.
#[derive(Clone, Debug)]
pub(crate) struct VirtualInfo {
    /// The mappings, in stored order.
    pub(crate) mappings: Arc<Vec<Mapping>>,
    /// Per mapping: for printf mappings, the number of blocks whose source exists.
    printf_blocks: Vec<u64>,
}

/// Decode the mapping list at `heap` and compute the extent by libhdf5's rules: returns
/// the mappings and the dims to use instead of the stored ones.
pub(crate) fn open(
    file: &Arc<FileInner>,
    heap: GlobalHeapId,
    dims: &[u64],
    path: &str,
) -> Result<(VirtualInfo, Vec<u64>)> {
    let snap = file.snapshot()?;
    let img = snap.image();
    let mut reader = GlobalHeapReader::new(img);
    let bytes = reader.get(heap)?;
    let origin = heap.collection.map_or(0, |a| img.absolute(a));
    let mappings = vds_block::parse(bytes, origin, img.sizes())?;
    let _guard = DepthGuard::enter(path)?;
    let mut sources = Sources::new(file.clone());
    let mut new_dims: Vec<Option<u64>> = vec![None; dims.len()];
    let mut min_dims = vec![0u64; dims.len()];
    let mut printf_blocks = vec![0u64; mappings.len()];
    for (i, m) in mappings.iter().enumerate() {
        check_rank(m, dims.len(), path)?;
        let v_unlim = m.virtual_sel.unlimited_axis();
        if let Some(b) = limited_bounds(&m.virtual_sel, v_unlim) {
            for (axis, (slot, &(_, hi))) in min_dims.iter_mut().zip(&b).enumerate() {
                if Some(axis) != v_unlim {
                    *slot = (*slot).max(hi.saturating_add(1));
                }
            }
        }
        let Some(ud) = v_unlim else { continue };
        let vdim = regular_dim(&m.virtual_sel, ud)?;
        let clip = match m.source.unlimited_axis() {
            Some(sd) => {
                let sdim = regular_dim(&m.source, sd)?;
                match sources.dataset(&m.file, &m.dataset)? {
                    Some(src) => {
                        let e = source_extent(&src.shape(), sd, src.path())?;
                        virtual_clip(vdim, positions_below(sdim, e))
                    }
                    None => 0,
                }
            }
            None => {
                if !has_printf(&m.file) && !has_printf(&m.dataset) {
                    return Err(Error::Unsupported(format!(
                        "virtual dataset {path}: mapping {i} has an unlimited virtual \
                         selection, a limited source selection and no %b in its source names"
                    )));
                }
                let mut found = 0u64;
                while found < MAX_PRINTF_BLOCKS {
                    let (f, d) = (printf(&m.file, found), printf(&m.dataset, found));
                    if sources.dataset(&f, &d)?.is_none() {
                        break;
                    }
                    found += 1;
                }
                if let Some(slot) = printf_blocks.get_mut(i) {
                    *slot = found;
                }
                if found == 0 {
                    0
                } else {
                    block_end(vdim, found - 1)
                }
            }
        };
        let slot = new_dims.get_mut(ud).ok_or_else(|| {
            Error::Invalid(format!("virtual dataset {path}: unlimited axis {ud}"))
        })?;
        *slot = Some(slot.map_or(clip, |v| v.max(clip)));
    }
    let dims = dims
        .iter()
        .zip(&new_dims)
        .zip(&min_dims)
        .map(|((&d, n), &min)| n.map_or(d, |n| n.max(min)))
        .collect();
    Ok((
        VirtualInfo {
            mappings: Arc::new(mappings),
            printf_blocks,
        },
        dims,
    ))
}

fn check_rank(m: &Mapping, rank: usize, path: &str) -> Result<()> {
    match m.virtual_sel.rank() {
        Some(r) if r != rank => Err(Error::Invalid(format!(
            "virtual dataset {path}: a mapping's virtual selection has rank {r}, the \
             dataset {rank}"
        ))),
        _ => Ok(()),
    }
}

/// The current size of a source dataset's unlimited axis `axis`: a source of lower rank
/// than its mapping's selection is an error (it used to count as size 0, silently
/// dropping the mapping's elements).
fn source_extent(shape: &[u64], axis: usize, path: &str) -> Result<u64> {
    shape.get(axis).copied().ok_or_else(|| {
        Error::Invalid(format!(
            "virtual dataset source {path} has rank {}, but its mapping's unlimited axis is \
             axis {axis}",
            shape.len()
        ))
    })
}

fn regular_dim(sel: &SpaceSelection, axis: usize) -> Result<RegularDim> {
    match sel {
        SpaceSelection::Regular(dims) => dims
            .get(axis)
            .copied()
            .ok_or_else(|| Error::Invalid(format!("no axis {axis} in the selection"))),
        _ => Err(Error::Invalid("unlimited selection is not regular".into())),
    }
}

/// Bounds of a selection on every axis but `skip` (its unlimited one), without an extent.
fn limited_bounds(sel: &SpaceSelection, skip: Option<usize>) -> Option<Vec<(u64, u64)>> {
    match sel {
        SpaceSelection::None | SpaceSelection::All => None,
        SpaceSelection::Regular(dims) => Some(
            dims.iter()
                .enumerate()
                .map(|(axis, d)| {
                    if Some(axis) == skip || d.count == 0 || d.block == 0 {
                        (0, 0)
                    } else {
                        (d.start, block_end(*d, d.count - 1).saturating_sub(1))
                    }
                })
                .collect(),
        ),
        SpaceSelection::Blocks { .. } | SpaceSelection::Points { .. } => sel
            .resolve(&vec![UNLIMITED; sel.rank()?], "")
            .ok()?
            .bounds(),
    }
}

/// One past the last position of block `k` of a regular axis.
fn block_end(d: RegularDim, k: u64) -> u64 {
    d.start
        .saturating_add(k.saturating_mul(d.stride))
        .saturating_add(d.block)
}

/// Positions of an unlimited regular axis below `extent`.
fn positions_below(d: RegularDim, extent: u64) -> u64 {
    if extent <= d.start {
        return 0;
    }
    let span = extent - d.start;
    if d.block == UNLIMITED {
        return span;
    }
    let full = span / d.stride;
    let rem = span % d.stride;
    full.saturating_mul(d.block)
        .saturating_add(rem.min(d.block))
}

/// The extent an unlimited regular axis needs to hold `n` positions (0 for none).
fn virtual_clip(d: RegularDim, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    if d.block == UNLIMITED {
        return d.start.saturating_add(n);
    }
    let k = (n - 1) / d.block;
    let r = (n - 1) % d.block;
    d.start
        .saturating_add(k.saturating_mul(d.stride))
        .saturating_add(r + 1)
}

fn has_printf(name: &str) -> bool {
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('b') => return true,
                _ => continue,
            }
        }
    }
    false
}

/// A source name with `%b` replaced by `block` and `%%` by `%` (other characters, and a
/// `%` before anything else, are kept).
fn printf(name: &str, block: u64) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('b') => {
                    chars.next();
                    out.push_str(&block.to_string());
                    continue;
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Source files and datasets opened during one read (or one extent computation).
struct Sources {
    own: Arc<FileInner>,
    files: HashMap<String, Option<File>>,
    datasets: HashMap<(String, String), Option<Dataset>>,
}

impl Sources {
    fn new(own: Arc<FileInner>) -> Self {
        Sources {
            own,
            files: HashMap::new(),
            datasets: HashMap::new(),
        }
    }

    fn file(&mut self, name: &str) -> Option<File> {
        if name == "." {
            return Some(File::from_inner(self.own.clone()));
        }
        if let Some(f) = self.files.get(name) {
            return f.clone();
        }
        let found = candidates(name, self.own.path())
            .into_iter()
            .find_map(|p| File::open(&p).ok());
        self.files.insert(name.to_string(), found.clone());
        found
    }

    fn dataset(&mut self, file: &str, name: &str) -> Result<Option<Dataset>> {
        let key = (file.to_string(), name.to_string());
        if let Some(d) = self.datasets.get(&key) {
            return Ok(d.clone());
        }
        if file != "." && self.own.path().is_none() {
            // A file read from memory has no folder to resolve source files against, and
            // reading whatever the names point at from the working directory would let
            // untrusted bytes read other files: refused, never read as fill values.
            return Err(Error::Unsupported(format!(
                "virtual dataset source {file}:{name} in another file, for a file opened \
                 from memory"
            )));
        }
        let found = match self.file(file) {
            None => None,
            Some(f) => match f.dataset(name) {
                Ok(d) => Some(d),
                Err(Error::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
        };
        self.datasets.insert(key, found.clone());
        Ok(found)
    }
}

/// The paths tried for source file `name`, in libhdf5's order (see the module docs).
fn candidates(name: &str, vds: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let given = Path::new(name);
    let mut rel = given.to_path_buf();
    if given.is_absolute() {
        out.push(given.to_path_buf());
        if let Some(last) = given.file_name() {
            rel = PathBuf::from(last);
        }
    }
    let dir = vds.map(|p| p.parent().unwrap_or(Path::new("")).to_path_buf());
    if let Ok(env) = std::env::var("HDF5_VDS_PREFIX") {
        for prefix in env.split(':').filter(|p| !p.is_empty()) {
            let prefix = match (prefix.strip_prefix("${ORIGIN}"), &dir) {
                (Some(rest), Some(d)) => PathBuf::from(format!("{}{rest}", d.to_string_lossy())),
                _ => PathBuf::from(prefix),
            };
            out.push(prefix.join(&rel));
        }
    }
    if let Some(d) = &dir {
        out.push(d.join(&rel));
    }
    out.push(rel.clone());
    if let Some(real) = vds.and_then(|p| std::fs::canonicalize(p).ok()) {
        if let Some(d) = real.parent() {
            out.push(d.join(&rel));
        }
    }
    out
}

/// A piece of a mapping a read needs: `n` source elements from `src` (coordinates)
/// stepping by `step` along the last axis go to output elements `out..out + n`.
struct Segment {
    src: Vec<u64>,
    n: u64,
    step: u64,
    out: usize,
}

/// Whether `dtype` holds heap IDs or addresses that belong to the file it was read from.
fn file_bound(dtype: &Datatype) -> bool {
    match &dtype.class {
        TypeClass::VarLenSequence { .. }
        | TypeClass::VarLenString { .. }
        | TypeClass::Reference { .. } => true,
        TypeClass::Compound { members } => members.iter().any(|m| file_bound(&m.datatype)),
        TypeClass::Array { base, .. } | TypeClass::Enum { base, .. } => file_bound(base),
        _ => false,
    }
}

/// Read the elements of `sel` (a selection of `ds`, a virtual dataset) into `sink`.
pub(crate) fn read(
    ds: &Dataset,
    info: &VirtualInfo,
    sel: &[AxisSel],
    sink: &mut dyn Sink,
) -> Result<()> {
    let total = crate::hyperslab::selected_count(sel)?;
    let elem = ds.dtype().size();
    let fill = ds.fill_value();
    sink.fill(0, total, &fill)?;
    let _guard = DepthGuard::enter(ds.path())?;
    let dims = ds.shape().to_vec();
    let mut sources = Sources::new(ds.file_inner().clone());
    for (i, m) in info.mappings.iter().enumerate() {
        check_rank(m, dims.len(), ds.path())?;
        let v_unlim = m.virtual_sel.unlimited_axis();
        match (v_unlim, m.source.unlimited_axis()) {
            (Some(ud), None) => {
                let vdim = regular_dim(&m.virtual_sel, ud)?;
                let blocks = info.printf_blocks.get(i).copied().unwrap_or(0);
                for b in 0..blocks {
                    let SpaceSelection::Regular(mut vdims) = m.virtual_sel.clone() else {
                        continue;
                    };
                    if let Some(d) = vdims.get_mut(ud) {
                        *d = RegularDim {
                            start: vdim.start.saturating_add(b.saturating_mul(vdim.stride)),
                            stride: 1,
                            count: 1,
                            block: vdim.block,
                        };
                    }
                    let vsel = SpaceSelection::Regular(vdims);
                    let (f, d) = (printf(&m.file, b), printf(&m.dataset, b));
                    copy_mapping(
                        ds,
                        &mut sources,
                        &f,
                        &d,
                        &vsel,
                        &m.source,
                        &dims,
                        None,
                        sel,
                        sink,
                        elem,
                    )?;
                }
            }
            (v, s) => {
                // Unlimited on both sides: the unlimited axes go along; any other
                // mapping is copied as a fixed one.
                let unlimited = match (v, s) {
                    (Some(ud), Some(sd)) => Some((
                        ud,
                        regular_dim(&m.virtual_sel, ud)?,
                        sd,
                        regular_dim(&m.source, sd)?,
                    )),
                    _ => None,
                };
                copy_mapping(
                    ds,
                    &mut sources,
                    &m.file,
                    &m.dataset,
                    &m.virtual_sel,
                    &m.source,
                    &dims,
                    unlimited,
                    sel,
                    sink,
                    elem,
                )?;
            }
        }
    }
    Ok(())
}

/// Whether the box `b` meets the request.
fn touches(b: &[(u64, u64)], sel: &[AxisSel]) -> bool {
    b.iter().zip(sel).all(|(&(lo, hi), a)| {
        if a.count == 0 {
            return false;
        }
        let last = a.start + (a.count - 1) * a.step;
        if hi < a.start || lo > last {
            return false;
        }
        // First selected position >= lo.
        let first = if lo <= a.start {
            a.start
        } else {
            a.start + (lo - a.start).div_ceil(a.step) * a.step
        };
        first <= hi && first <= last
    })
}

#[allow(clippy::too_many_arguments)]
fn copy_mapping(
    ds: &Dataset,
    sources: &mut Sources,
    file: &str,
    dataset: &str,
    vsel: &SpaceSelection,
    ssel: &SpaceSelection,
    dims: &[u64],
    unlimited: Option<(usize, RegularDim, usize, RegularDim)>,
    sel: &[AxisSel],
    sink: &mut dyn Sink,
    elem: usize,
) -> Result<()> {
    let what = format!("virtual dataset {} mapping of {file}:{dataset}", ds.path());
    // The virtual side first: a mapping outside the request opens nothing.
    let unlimited_ok = unlimited.is_none();
    if unlimited_ok {
        let v = vsel.resolve(dims, &what)?;
        match v.bounds() {
            Some(b) if touches(&b, sel) => {}
            _ => return Ok(()),
        }
    }
    let Some(src) = sources.dataset(file, dataset)? else {
        return Ok(()); // missing source: fill value
    };
    if src.dtype() != ds.dtype() {
        return Err(Error::Unsupported(format!(
            "{what}: the source has type {}, the virtual dataset {} (conversion between \
             them is not implemented)",
            super::value::describe(src.dtype()),
            super::value::describe(ds.dtype())
        )));
    }
    let same_file = Arc::ptr_eq(src.file_inner(), ds.file_inner());
    if !same_file && file_bound(ds.dtype()) {
        return Err(Error::Unsupported(format!(
            "{what}: variable-length or reference data from another file"
        )));
    }
    let src_dims = src.shape().to_vec();
    let mut vdims = dims.to_vec();
    if let Some((ud, vdim, sd, sdim)) = unlimited {
        let e = source_extent(&src_dims, sd, src.path())?;
        let clip = virtual_clip(vdim, positions_below(sdim, e));
        if let Some(d) = vdims.get_mut(ud) {
            *d = (*d).min(clip);
        }
    }
    let v = vsel.resolve(&vdims, &what)?;
    let s = ssel.resolve(&src_dims, &format!("{what} (source selection)"))?;
    if v.count()? != s.count()? {
        return Err(Error::Invalid(format!(
            "{what}: the virtual selection has {} elements, the source selection {}",
            v.count()?,
            s.count()?
        )));
    }
    match v.bounds() {
        Some(b) if touches(&b, sel) => {}
        _ => return Ok(()),
    }
    let segments = segments(&v, &s, sel)?;
    read_segments(&src, &segments, elem, sink)
}

/// Pair the runs of the virtual and source selections and keep the parts the request
/// selects.
fn segments(v: &Resolved, s: &Resolved, sel: &[AxisSel]) -> Result<Vec<Segment>> {
    let rank = sel.len();
    // Output strides, row-major over the request's counts.
    let mut out_stride = vec![1u64; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        let next = out_stride.get(i + 1).copied().unwrap_or(1);
        let cnt = sel.get(i + 1).map_or(1, |a| a.count);
        if let Some(o) = out_stride.get_mut(i) {
            *o = next.saturating_mul(cnt);
        }
    }
    let mut out = Vec::new();
    let mut sruns = s.runs();
    let mut cur: Option<(Vec<u64>, u64)> = None; // source run start and elements left
    for vr in v.runs() {
        // Output offset of the row (every axis but the last), if the request holds it.
        let mut row_out = Some(0u64);
        for (axis, (&c, a)) in vr
            .start
            .iter()
            .zip(sel)
            .enumerate()
            .take(rank.saturating_sub(1))
        {
            let k = c
                .checked_sub(a.start)
                .filter(|d| d % a.step == 0)
                .map(|d| d / a.step);
            row_out = match (row_out, k) {
                (Some(o), Some(k)) if k < a.count => {
                    Some(o + k * out_stride.get(axis).copied().unwrap_or(1))
                }
                _ => None,
            };
        }
        let last = sel.last().copied().unwrap_or(AxisSel {
            start: 0,
            step: 1,
            count: 1,
            keep: true,
        });
        let mut vpos = vr.start.last().copied().unwrap_or(0);
        let mut left = vr.len;
        while left > 0 {
            let (sstart, sleft) = match cur.take() {
                Some(c) if c.1 > 0 => c,
                _ => {
                    let r = sruns.next().ok_or_else(|| {
                        Error::Invalid("source selection ran out of elements".into())
                    })?;
                    (r.start, r.len)
                }
            };
            let piece = left.min(sleft);
            if let Some(row) = row_out {
                // Request positions p = last.start + k*step inside [vpos, vpos + piece).
                let lo = vpos;
                let hi = vpos + piece - 1;
                let end = last.start + (last.count.saturating_sub(1)) * last.step;
                if last.count > 0 && hi >= last.start && lo <= end {
                    let k0 = if lo <= last.start {
                        0
                    } else {
                        (lo - last.start).div_ceil(last.step)
                    };
                    let p0 = last.start + k0 * last.step;
                    if p0 <= hi.min(end) {
                        let n = (hi.min(end) - p0) / last.step + 1;
                        let mut src = sstart.clone();
                        if let Some(l) = src.last_mut() {
                            *l += p0 - vpos;
                        }
                        let out_index = usize::try_from(row + k0)
                            .map_err(|_| Error::LimitExceeded("output position".into()))?;
                        out.push(Segment {
                            src,
                            n,
                            step: last.step,
                            out: out_index,
                        });
                    }
                }
            }
            let mut next_start = sstart;
            if let Some(l) = next_start.last_mut() {
                *l += piece;
            }
            cur = Some((next_start, sleft - piece));
            vpos += piece;
            left -= piece;
        }
    }
    Ok(out)
}

/// Read the source elements of `segments` from `src` and put them in the output: one
/// read of their bounding box when it is not much larger than what they need, else one
/// read per segment.
fn read_segments(
    src: &Dataset,
    segments: &[Segment],
    elem: usize,
    sink: &mut dyn Sink,
) -> Result<()> {
    let Some(first) = segments.first() else {
        return Ok(());
    };
    let rank = first.src.len();
    let mut lo = first.src.clone();
    let mut hi = first.src.clone();
    let mut needed = 0u64;
    for s in segments {
        let last = s.src.last().copied().unwrap_or(0) + (s.n - 1) * s.step;
        for (axis, &c) in s.src.iter().enumerate() {
            let c_hi = if axis + 1 == rank { last } else { c };
            if let (Some(l), Some(h)) = (lo.get_mut(axis), hi.get_mut(axis)) {
                *l = (*l).min(c);
                *h = (*h).max(c_hi);
            }
        }
        needed = needed.saturating_add(s.n);
    }
    let box_elems = lo
        .iter()
        .zip(&hi)
        .try_fold(1u64, |acc, (l, h)| acc.checked_mul(h - l + 1))
        .unwrap_or(u64::MAX);
    if box_elems <= needed.saturating_mul(4).saturating_add(1 << 16) {
        let data = read_box(src, &lo, &hi)?;
        let shape: Vec<u64> = lo.iter().zip(&hi).map(|(l, h)| h - l + 1).collect();
        for s in segments {
            let mut idx = 0u64;
            for (axis, (&c, &l)) in s.src.iter().zip(&lo).enumerate() {
                let extent = shape.get(axis).copied().unwrap_or(1);
                idx = idx * extent + (c - l);
            }
            put_segment(&data, idx, s, elem, sink)?;
        }
        return Ok(());
    }
    for s in segments {
        let mut end = s.src.clone();
        if let Some(l) = end.last_mut() {
            *l += (s.n - 1) * s.step;
        }
        let data = read_box(src, &s.src, &end)?;
        put_segment(&data, 0, s, elem, sink)?;
    }
    Ok(())
}

fn put_segment(
    data: &[u8],
    first: u64,
    s: &Segment,
    elem: usize,
    sink: &mut dyn Sink,
) -> Result<()> {
    let at = |k: u64| -> Result<&[u8]> {
        let i = usize::try_from(first + k * s.step)
            .ok()
            .and_then(|i| i.checked_mul(elem));
        i.and_then(|i| data.get(i..i + elem))
            .ok_or_else(|| Error::Invalid("virtual dataset source read is short".into()))
    };
    if s.step == 1 {
        let start = usize::try_from(first)
            .unwrap_or(usize::MAX)
            .saturating_mul(elem);
        let len = usize::try_from(s.n)
            .unwrap_or(usize::MAX)
            .saturating_mul(elem);
        let bytes = data
            .get(start..start.saturating_add(len))
            .ok_or_else(|| Error::Invalid("virtual dataset source read is short".into()))?;
        return sink.put(s.out, bytes);
    }
    for k in 0..s.n {
        sink.put(s.out + k as usize, at(k)?)?;
    }
    Ok(())
}

/// The raw bytes of the box `lo..=hi` of `src`.
fn read_box(src: &Dataset, lo: &[u64], hi: &[u64]) -> Result<Vec<u8>> {
    let args = lo
        .iter()
        .zip(hi)
        .map(|(&l, &h)| {
            let l = i64::try_from(l).map_err(|_| Error::LimitExceeded("position".into()))?;
            let h = i64::try_from(h).map_err(|_| Error::LimitExceeded("position".into()))?;
            Ok(SliceArg::range(l, h + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(src.read_raw(Selection::new(args))?.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_names() {
        assert_eq!(printf("f%b.h5", 12), "f12.h5");
        assert_eq!(printf("100%%_%b", 3), "100%_3");
        assert_eq!(printf("a%c%", 3), "a%c%");
        assert!(has_printf("x%b"));
        assert!(!has_printf("x%%b"));
    }

    /// A source of lower rank than its mapping's unlimited axis is an error, not size 0.
    #[test]
    fn source_extent_needs_the_axis() {
        assert_eq!(source_extent(&[4, 7], 1, "/s").ok(), Some(7));
        let e = source_extent(&[4], 1, "/s").map_err(|e| e.to_string());
        assert!(matches!(&e, Err(m) if m.contains("rank 1")), "{e:?}");
    }

    #[test]
    fn unlimited_clips() {
        let d = RegularDim {
            start: 1,
            stride: 4,
            count: UNLIMITED,
            block: 2,
        };
        assert_eq!(positions_below(d, 0), 0);
        assert_eq!(positions_below(d, 2), 1);
        assert_eq!(positions_below(d, 10), 5);
        assert_eq!(virtual_clip(d, 5), 10);
        assert_eq!(virtual_clip(d, 4), 7);
        let b = RegularDim {
            start: 3,
            stride: 1,
            count: 1,
            block: UNLIMITED,
        };
        assert_eq!(positions_below(b, 10), 7);
        assert_eq!(virtual_clip(b, 7), 10);
    }
}
