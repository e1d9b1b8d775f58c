//! Writing datasets: creating them (compact, contiguous or chunked, with filters and fill
//! values), writing selections, resizing, and rebuilding chunk indexes at flush.
//!
//! Chunks are written as soon as data arrives; a chunk is rewritten only when a write
//! changes it (a partly filled edge chunk during appends, or an overwrite). Unfiltered
//! chunks are rewritten in place; filtered ones move and their old space is freed.

use std::collections::HashMap;

use super::header::HeaderEditor;
use super::session::{ChunkState, Session};
use super::{Emit, Space};
use crate::chunk_index::{self, Chunk, IndexChoice, IndexParams};
use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use crate::datatype::Datatype;
use crate::error::{Error, Result};
use crate::filters;
use crate::hyperslab::{self, AxisSel};
use crate::io::{Addr, Cursor, Sizes};
use crate::messages::fill_value::{AllocTime, FillTime, FillValue};
use crate::messages::filter_pipeline::FilterPipeline;
use crate::messages::kind;
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout, Layout};
use crate::object_header::MessageBytes;
use crate::store::Store;

/// Largest compact dataset (its data must fit in one header message).
pub const MAX_COMPACT_BYTES: usize = 64_000;

/// How a new dataset stores its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageChoice {
    /// Inside the object header.
    Compact,
    /// One contiguous block, allocated when first written.
    Contiguous,
    /// Chunked with this chunk shape.
    Chunked(Vec<u64>),
}

/// Everything needed to create a dataset.
#[derive(Clone, Debug)]
pub struct DatasetSpec {
    /// Element type.
    pub datatype: Datatype,
    /// Shape and maximum shape.
    pub dataspace: Dataspace,
    /// Storage.
    pub storage: StorageChoice,
    /// Filters (chunked only).
    pub filters: FilterPipeline,
    /// User fill value (one element in the datatype's encoding).
    pub fill: Option<Vec<u8>>,
    /// Track attribute creation order (h5py's `track_order=True`).
    pub track_order: bool,
}

/// A dataset's metadata as stored in its header.
#[derive(Clone, Debug)]
pub struct DatasetMeta {
    /// The header.
    pub editor: HeaderEditor,
    /// Element type.
    pub datatype: Datatype,
    /// Shape.
    pub dataspace: Dataspace,
    /// Layout.
    pub layout: Layout,
    /// Filters.
    pub pipeline: FilterPipeline,
    /// One element of fill value.
    pub fill: Vec<u8>,
}

fn parse<T>(
    m: Option<&MessageBytes>,
    sizes: Sizes,
    what: &'static str,
    f: impl Fn(&mut Cursor<'_>) -> Result<T>,
) -> Result<Option<T>> {
    m.map(|m| f(&mut Cursor::new(&m.data, 0, sizes, what)))
        .transpose()
}

/// Load a dataset's metadata for writing.
pub fn meta(session: &Session, store: &Store, addr: Addr) -> Result<DatasetMeta> {
    let sizes = session.sizes;
    let editor = session.editor(store, addr)?;
    let not_dataset = || Error::Invalid(format!("the object at {addr} is not a dataset"));
    let datatype = match editor.find(kind::DATATYPE) {
        Some(m) if m.flags & 0x02 != 0 => session.with_image(store, |img| {
            let shared = crate::messages::shared::SharedRef::parse(&mut Cursor::new(
                &m.data, 0, sizes, "datatype",
            ))?;
            resolve_shared(img, &shared)
        })?,
        Some(m) => crate::datatype::parse_datatype(&mut Cursor::new(
            &m.data,
            0,
            sizes,
            "datatype message",
        ))?,
        None => return Err(not_dataset()),
    };
    let dataspace = parse(
        editor.find(kind::DATASPACE),
        sizes,
        "dataspace message",
        Dataspace::parse,
    )?
    .ok_or_else(not_dataset)?;
    let layout = parse(
        editor.find(kind::LAYOUT),
        sizes,
        "layout message",
        Layout::parse,
    )?
    .ok_or_else(not_dataset)?;
    let pipeline = parse(
        editor.find(kind::FILTER_PIPELINE),
        sizes,
        "filter pipeline",
        FilterPipeline::parse,
    )?
    .unwrap_or_default();
    let fill = match parse(
        editor.find(kind::FILL_VALUE),
        sizes,
        "fill value",
        FillValue::parse,
    )? {
        Some(f) => f.value,
        None => parse(
            editor.find(kind::FILL_VALUE_OLD),
            sizes,
            "fill value",
            FillValue::parse_old,
        )?
        .and_then(|f| f.value),
    };
    let fill = match fill {
        Some(v) if v.len() == datatype.size() => v,
        _ => vec![0; datatype.size()],
    };
    Ok(DatasetMeta {
        editor,
        datatype,
        dataspace,
        layout,
        pipeline,
        fill,
    })
}

fn resolve_shared(
    img: &crate::io::FileImage<'_>,
    shared: &crate::messages::shared::SharedRef,
) -> Result<Datatype> {
    match shared {
        crate::messages::shared::SharedRef::ObjectHeader(a) => {
            let h = crate::object_header::ObjectHeader::parse(img, *a)?;
            let m = h.find(kind::DATATYPE).ok_or_else(|| {
                Error::corrupt(
                    "committed datatype",
                    img.absolute(*a),
                    "no datatype message",
                )
            })?;
            crate::datatype::parse_datatype(&mut m.cursor(img, "datatype message"))
        }
        crate::messages::shared::SharedRef::SohmHeap(_) => {
            Err(Error::Unsupported("shared message heap".into()))
        }
    }
}

fn element_count(dims: &[u64]) -> Result<u64> {
    dims.iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::LimitExceeded("too many elements".into()))
}

fn usize_of(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::LimitExceeded(format!("{v} bytes")))
}

/// Create a dataset's object header (not yet linked) and return its address.
pub fn create(session: &mut Session, store: &Store, spec: &DatasetSpec) -> Result<Addr> {
    let sizes = session.sizes;
    let elem = u64::from(spec.datatype.size);
    if elem == 0 {
        return Err(Error::Invalid("datatype of size 0".into()));
    }
    let count = match spec.dataspace.kind {
        SpaceKind::Simple => element_count(&spec.dataspace.dims)?,
        SpaceKind::Scalar => 1,
        SpaceKind::Null => 0,
    };
    let bytes = count
        .checked_mul(elem)
        .ok_or_else(|| Error::LimitExceeded("dataset size".into()))?;
    let resizable = spec
        .dataspace
        .max_dims
        .as_ref()
        .is_some_and(|m| m != &spec.dataspace.dims);
    let (layout, alloc) = match &spec.storage {
        StorageChoice::Compact => {
            if resizable {
                return Err(Error::Invalid(
                    "only chunked datasets can have a maximum shape larger than their shape".into(),
                ));
            }
            let n = usize_of(bytes)?;
            if n > MAX_COMPACT_BYTES {
                return Err(Error::Invalid(format!(
                    "{n} bytes are too many for compact storage (at most {MAX_COMPACT_BYTES})"
                )));
            }
            let mut data = Vec::with_capacity(n);
            for _ in 0..count {
                data.extend_from_slice(spec.fill.as_deref().unwrap_or(&vec![0; elem as usize]));
            }
            (Layout::Compact { data }, AllocTime::Early)
        }
        StorageChoice::Contiguous => {
            if resizable {
                return Err(Error::Invalid(
                    "only chunked datasets can have a maximum shape larger than their shape".into(),
                ));
            }
            (
                Layout::Contiguous {
                    addr: None,
                    size: bytes,
                },
                AllocTime::Late,
            )
        }
        StorageChoice::Chunked(chunk_dims) => {
            if spec.dataspace.kind != SpaceKind::Simple {
                return Err(Error::Invalid(
                    "scalar and null datasets cannot be chunked".into(),
                ));
            }
            if chunk_dims.len() != spec.dataspace.dims.len() || chunk_dims.contains(&0) {
                return Err(Error::Invalid(format!(
                    "chunk shape {chunk_dims:?} does not fit a dataset of rank {}",
                    spec.dataspace.dims.len()
                )));
            }
            let max = spec.dataspace.max_dims_or_dims();
            for (c, m) in chunk_dims.iter().zip(max) {
                if *m != UNLIMITED && c > m && *m > 0 {
                    return Err(Error::Invalid(format!(
                        "chunk shape {chunk_dims:?} is larger than the maximum shape {max:?}"
                    )));
                }
            }
            let chunk_bytes = element_count(chunk_dims)?.checked_mul(elem);
            if chunk_bytes.is_none_or(|b| b >= 1 << 32) {
                return Err(Error::Invalid("chunks must be smaller than 4 GiB".into()));
            }
            let choice = chunk_index::choose_index(&spec.dataspace.dims, max, chunk_dims, 4);
            let index = empty_index(choice);
            (
                Layout::Chunked(ChunkedLayout {
                    version: 4,
                    flags: 0,
                    chunk_dims: chunk_dims.clone(),
                    element_size: elem,
                    index,
                }),
                AllocTime::Incremental,
            )
        }
    };
    if !spec.filters.filters.is_empty() && !matches!(spec.storage, StorageChoice::Chunked(_)) {
        return Err(Error::Invalid("filters need chunked storage".into()));
    }
    // What libhdf5's `set_local` callbacks add: shuffle records the element size.
    let mut pipeline = spec.filters.clone();
    for f in &mut pipeline.filters {
        if f.id == crate::messages::filter_pipeline::id::SHUFFLE {
            f.client_data = vec![spec.datatype.size];
        }
    }
    let fill = FillValue {
        alloc_time: alloc,
        fill_time: FillTime::IfSet,
        value: spec.fill.clone(),
    };
    if let Some(f) = &spec.fill {
        if f.len() != spec.datatype.size() {
            return Err(Error::Invalid(format!(
                "fill value of {} bytes for a {}-byte datatype",
                f.len(),
                elem
            )));
        }
    }
    let mut msgs = vec![
        MessageBytes::new(kind::DATASPACE, spec.dataspace.encode(sizes)),
        MessageBytes::new(kind::DATATYPE, spec.datatype.encode()?),
        MessageBytes::new(kind::FILL_VALUE, fill.encode()),
        MessageBytes::new(kind::LAYOUT, layout.encode(sizes)?),
    ];
    if !spec.filters.filters.is_empty() {
        msgs.push(MessageBytes::new(kind::FILTER_PIPELINE, pipeline.encode()));
    }
    // Every version 2 header gets an Attribute Info message, as libhdf5 writes (libhdf5
    // counts a v2 header's attributes from it).
    let ainfo = crate::messages::attribute_info::AttributeInfo {
        max_creation_index: spec.track_order.then_some(0),
        ..Default::default()
    };
    msgs.push(MessageBytes::new(kind::ATTRIBUTE_INFO, ainfo.encode(sizes)));
    let flags = if spec.track_order { 0x0c } else { 0 };
    for m in &mut msgs {
        // Datatype, dataspace, fill value and layout never change size in ways that matter
        // to readers; libhdf5 marks the datatype and fill value constant.
        if m.kind == kind::DATATYPE || m.kind == kind::FILL_VALUE {
            m.flags = 0x01;
        }
    }
    let mut emit = Emit::default();
    let editor = HeaderEditor::create(flags, msgs, &mut session.space, &mut emit)?;
    session.commit(store, &emit)?;
    Ok(editor.addr)
}

fn empty_index(choice: IndexChoice) -> ChunkIndexKind {
    use crate::chunk_index::extensible_array::EaParams;
    match choice {
        IndexChoice::BtreeV1 => ChunkIndexKind::BtreeV1 { addr: None },
        IndexChoice::Single => ChunkIndexKind::SingleChunk {
            addr: None,
            filtered: None,
        },
        IndexChoice::FixedArray => ChunkIndexKind::FixedArray {
            page_bits: chunk_index::FIXED_ARRAY_PAGE_BITS,
            addr: None,
        },
        IndexChoice::ExtensibleArray => {
            let ea = EaParams::default();
            ChunkIndexKind::ExtensibleArray {
                max_bits: ea.max_nelmts_bits,
                index_elements: ea.index_block_elements,
                min_pointers: ea.super_block_min_data_ptrs,
                min_elements: ea.data_block_min_elements,
                page_bits: ea.page_bits,
                addr: None,
            }
        }
        IndexChoice::BtreeV2 => ChunkIndexKind::BtreeV2 {
            node_size: chunk_index::BTREE_V2_NODE_SIZE,
            split_percent: chunk_index::BTREE_V2_SPLIT_PERCENT,
            merge_percent: chunk_index::BTREE_V2_MERGE_PERCENT,
            addr: None,
        },
    }
}

fn choice_of(index: &ChunkIndexKind) -> IndexChoice {
    match index {
        ChunkIndexKind::BtreeV1 { .. } => IndexChoice::BtreeV1,
        ChunkIndexKind::SingleChunk { .. } => IndexChoice::Single,
        // Never rebuilt (see `write_index`); chunks are written in place.
        ChunkIndexKind::Implicit { .. } => IndexChoice::FixedArray,
        ChunkIndexKind::FixedArray { .. } => IndexChoice::FixedArray,
        ChunkIndexKind::ExtensibleArray { .. } => IndexChoice::ExtensibleArray,
        ChunkIndexKind::BtreeV2 { .. } => IndexChoice::BtreeV2,
    }
}

fn params<'a>(meta: &'a DatasetMeta, layout: &'a ChunkedLayout) -> IndexParams<'a> {
    IndexParams {
        dims: &meta.dataspace.dims,
        max_dims: meta.dataspace.max_dims_or_dims(),
        chunk_dims: &layout.chunk_dims,
        element_size: u64::from(meta.datatype.size),
        filtered: !meta.pipeline.filters.is_empty(),
        layout_version: layout.version,
    }
}

/// The chunk map of a chunked dataset, loaded from its index on first use.
fn chunk_state<'s>(
    session: &'s mut Session,
    store: &Store,
    addr: Addr,
    meta: &DatasetMeta,
) -> Result<&'s mut ChunkState> {
    if !session.chunks.contains_key(&addr) {
        let Layout::Chunked(layout) = &meta.layout else {
            return Err(Error::Invalid("not a chunked dataset".into()));
        };
        let chunks = session.with_image(store, |img| {
            chunk_index::read_index(img, layout, &params(meta, layout))
        })?;
        let map: HashMap<Vec<u64>, Chunk> = chunks
            .into_iter()
            .map(|c| {
                let grid = c
                    .offset
                    .iter()
                    .zip(&layout.chunk_dims)
                    .map(|(o, d)| o / d)
                    .collect();
                (grid, c)
            })
            .collect();
        session.chunks.insert(
            addr,
            ChunkState {
                chunks: map,
                dirty: false,
            },
        );
    }
    session
        .chunks
        .get_mut(&addr)
        .ok_or_else(|| Error::Invalid("chunk state vanished".into()))
}

/// The chunks the session holds for a dataset (for readers in the same session).
pub fn chunks_in_memory(session: &Session, addr: Addr) -> Option<Vec<Chunk>> {
    session
        .chunks
        .get(&addr)
        .map(|s| s.chunks.values().cloned().collect())
}

/// Write `data` (the selected elements, in the dataset's encoding, in selection order).
pub fn write_selection(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    sel: &[AxisSel],
    data: &[u8],
) -> Result<()> {
    session.dirty = true;
    let meta = meta(session, store, addr)?;
    let elem = meta.datatype.size();
    let n = hyperslab::selected_count(sel)?;
    if data.len() != n * elem {
        return Err(Error::Invalid(format!(
            "{} bytes of data for {n} elements of {elem} bytes",
            data.len()
        )));
    }
    if n == 0 {
        return Ok(());
    }
    let dims = meta.dataspace.dims.clone();
    let origin = vec![0; dims.len()];
    match &meta.layout {
        Layout::Compact { data: stored } => {
            let mut block = stored.clone();
            hyperslab::scatter_block(sel, &origin, &dims, &mut block, data, elem)?;
            let mut editor = meta.editor.clone();
            editor.set(MessageBytes::new(
                kind::LAYOUT,
                Layout::Compact { data: block }.encode(session.sizes)?,
            ));
            let mut emit = Emit::default();
            editor.save(&mut session.space, &mut emit)?;
            session.commit(store, &emit)
        }
        Layout::Contiguous { addr: at, size } => {
            let start = match at {
                Some(a) => *a,
                None => {
                    let a = session.space.alloc(*size)?;
                    let covers_all = n as u64 * elem as u64 == *size;
                    if !covers_all {
                        // Unwritten elements must read as the fill value.
                        let total = usize_of(*size)?;
                        let mut fill = Vec::with_capacity(total);
                        while fill.len() < total {
                            fill.extend_from_slice(&meta.fill);
                        }
                        store.write_at(session.base + a.0, &fill)?;
                    }
                    let mut editor = meta.editor.clone();
                    editor.set(MessageBytes::new(
                        kind::LAYOUT,
                        Layout::Contiguous {
                            addr: Some(a),
                            size: *size,
                        }
                        .encode(session.sizes)?,
                    ));
                    let mut emit = Emit::default();
                    editor.save(&mut session.space, &mut emit)?;
                    session.commit(store, &emit)?;
                    a
                }
            };
            let base = session.base + start.0;
            hyperslab::for_each_run(sel, &origin, &dims, &mut |run| {
                if run.step == 1 {
                    let from = data
                        .get(run.out * elem..(run.out + run.n) * elem)
                        .ok_or_else(|| Error::Invalid("selection out of range".into()))?;
                    store.write_at(base + (run.block * elem) as u64, from)
                } else {
                    for i in 0..run.n {
                        let o = (run.out + i) * elem;
                        let from = data
                            .get(o..o + elem)
                            .ok_or_else(|| Error::Invalid("selection out of range".into()))?;
                        store.write_at(base + ((run.block + i * run.step) * elem) as u64, from)?;
                    }
                    Ok(())
                }
            })
        }
        Layout::Chunked(layout) => write_chunks(session, store, addr, &meta, layout, sel, data),
        Layout::Virtual => Err(Error::Unsupported("writing virtual datasets".into())),
    }
}

fn write_chunks(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    meta: &DatasetMeta,
    layout: &ChunkedLayout,
    sel: &[AxisSel],
    data: &[u8],
) -> Result<()> {
    let elem = meta.datatype.size();
    let chunk_dims = &layout.chunk_dims;
    let chunk_elems = usize_of(element_count(chunk_dims)?)?;
    let chunk_bytes = chunk_elems * elem;
    let filtered = !meta.pipeline.filters.is_empty();
    let base = session.base;
    let touched = hyperslab::touched_chunks(sel, chunk_dims);
    if touched.iter().any(Vec::is_empty) {
        return Ok(());
    }
    chunk_state(session, store, addr, meta)?;
    let snap = store.snapshot()?;
    let mut pos = vec![0usize; touched.len()];
    loop {
        let grid: Vec<u64> = touched
            .iter()
            .zip(&pos)
            .filter_map(|(t, &p)| t.get(p).copied())
            .collect();
        let origin: Vec<u64> = grid.iter().zip(chunk_dims).map(|(g, c)| g * c).collect();
        let existing = session
            .chunks
            .get(&addr)
            .and_then(|s| s.chunks.get(&grid))
            .cloned();
        let covered = covers_chunk(sel, &origin, chunk_dims, &meta.dataspace.dims);
        let mut block = match (&existing, covered) {
            (Some(c), false) => {
                let img = crate::io::FileImage::new(snap.bytes(), base, session.sizes);
                let stored = img.slice(c.addr, c.size, "chunk")?;
                if filtered {
                    filters::decode_chunk(&meta.pipeline, c.filter_mask, stored, elem, chunk_bytes)?
                } else {
                    stored
                        .get(..chunk_bytes)
                        .ok_or_else(|| {
                            Error::corrupt(
                                "chunk",
                                img.absolute(c.addr),
                                "chunk shorter than its size",
                            )
                        })?
                        .to_vec()
                }
            }
            // A chunk the selection covers completely needs no initial value.
            _ if covered || meta.fill.iter().all(|&b| b == 0) => vec![0; chunk_bytes],
            _ => meta.fill.repeat(chunk_elems),
        };
        hyperslab::scatter_block(sel, &origin, chunk_dims, &mut block, data, elem)?;
        let (bytes, mask) = if filtered {
            filters::encode_chunk(&meta.pipeline, &block, elem)?
        } else {
            (block, 0)
        };
        let size = bytes.len() as u64;
        let at = match &existing {
            Some(c) if c.size == size && !filtered => c.addr,
            Some(c) => {
                session.space.release(c.addr, c.size)?;
                session.space.alloc(size)?
            }
            None => session.space.alloc(size)?,
        };
        store.write_at(base + at.0, &bytes)?;
        if let Some(state) = session.chunks.get_mut(&addr) {
            state.chunks.insert(
                grid,
                Chunk {
                    offset: origin,
                    addr: at,
                    size,
                    filter_mask: mask,
                },
            );
            state.dirty = true;
        }
        let mut axis = touched.len();
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            let (Some(p), Some(t)) = (pos.get_mut(axis), touched.get(axis)) else {
                return Ok(());
            };
            *p += 1;
            if *p < t.len() {
                break;
            }
            *p = 0;
        }
    }
}

/// Whether the selection writes every element of the chunk that lies inside the dataset.
fn covers_chunk(sel: &[AxisSel], origin: &[u64], chunk: &[u64], dims: &[u64]) -> bool {
    sel.iter()
        .zip(origin)
        .zip(chunk)
        .zip(dims)
        .all(|(((a, &o), &c), &d)| {
            let end = (o + c).min(d);
            a.step == 1 && a.start <= o && a.start + a.count >= end
        })
}

/// Change the shape of a chunked dataset (grow or shrink any resizable axis).
pub fn resize(session: &mut Session, store: &Store, addr: Addr, new_dims: &[u64]) -> Result<()> {
    session.dirty = true;
    let meta = meta(session, store, addr)?;
    let Layout::Chunked(layout) = &meta.layout else {
        return Err(Error::Invalid(
            "only chunked datasets can be resized".into(),
        ));
    };
    let old = &meta.dataspace.dims;
    if new_dims.len() != old.len() {
        return Err(Error::Invalid(format!(
            "new shape {new_dims:?} has rank {}, the dataset {}",
            new_dims.len(),
            old.len()
        )));
    }
    let max = meta.dataspace.max_dims_or_dims().to_vec();
    for ((n, m), axis) in new_dims.iter().zip(&max).zip(0..) {
        if *m != UNLIMITED && n > m {
            return Err(Error::Invalid(format!(
                "axis {axis} cannot grow to {n}: its maximum is {m}"
            )));
        }
    }
    if new_dims == old.as_slice() {
        return Ok(());
    }
    let shrinking = new_dims.iter().zip(old).any(|(n, o)| n < o);
    if shrinking {
        prune(session, store, addr, &meta, layout, new_dims)?;
    }
    let space = Dataspace {
        kind: SpaceKind::Simple,
        dims: new_dims.to_vec(),
        max_dims: meta.dataspace.max_dims.clone(),
    };
    let mut editor = meta.editor.clone();
    editor.set(MessageBytes::new(
        kind::DATASPACE,
        space.encode(session.sizes),
    ));
    let mut emit = Emit::default();
    editor.save(&mut session.space, &mut emit)?;
    session.commit(store, &emit)?;
    let state = chunk_state(session, store, addr, &meta)?;
    state.dirty = true;
    Ok(())
}

/// Drop chunks wholly outside `new_dims`, and reset to the fill value the part of chunks
/// straddling the new boundary (so that growing again shows fill values, as libhdf5 does).
fn prune(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    meta: &DatasetMeta,
    layout: &ChunkedLayout,
    new_dims: &[u64],
) -> Result<()> {
    let chunk_dims = layout.chunk_dims.clone();
    let state = chunk_state(session, store, addr, meta)?;
    let mut dropped = Vec::new();
    let mut straddling = Vec::new();
    for (grid, c) in &state.chunks {
        if c.offset.iter().zip(new_dims).any(|(o, n)| o >= n) {
            dropped.push(grid.clone());
        } else if c
            .offset
            .iter()
            .zip(&chunk_dims)
            .zip(new_dims)
            .any(|((o, cd), n)| o + cd > *n)
        {
            straddling.push(c.clone());
        }
    }
    let mut freed = Vec::new();
    for grid in dropped {
        if let Some(c) = state.chunks.remove(&grid) {
            freed.push(c);
        }
        state.dirty = true;
    }
    for c in freed {
        session.space.release(c.addr, c.size)?;
    }
    // Rewrite the cut-off part of straddling chunks with the fill value: select, inside the
    // old extent, everything at or past the new boundary on some axis.
    for c in straddling {
        for axis in 0..new_dims.len() {
            let (Some(&n), Some(&o), Some(&cd)) =
                (new_dims.get(axis), c.offset.get(axis), chunk_dims.get(axis))
            else {
                continue;
            };
            if o + cd <= n {
                continue;
            }
            let sel: Vec<AxisSel> = c
                .offset
                .iter()
                .zip(&chunk_dims)
                .enumerate()
                .map(|(i, (&off, &d))| {
                    let end = off + d;
                    let old_end = meta.dataspace.dims.get(i).copied().unwrap_or(end).min(end);
                    if i == axis {
                        AxisSel {
                            start: n,
                            step: 1,
                            count: old_end.saturating_sub(n),
                            keep: true,
                        }
                    } else {
                        AxisSel {
                            start: off,
                            step: 1,
                            count: old_end.saturating_sub(off),
                            keep: true,
                        }
                    }
                })
                .collect();
            let count = hyperslab::selected_count(&sel)?;
            if count == 0 {
                continue;
            }
            let mut fill = Vec::with_capacity(count * meta.fill.len());
            for _ in 0..count {
                fill.extend_from_slice(&meta.fill);
            }
            write_chunks(session, store, addr, meta, layout, &sel, &fill)?;
        }
    }
    Ok(())
}

/// Rebuild a dataset's chunk index from the session's chunk map (at flush).
pub fn write_index(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    emit: &mut Emit,
) -> Result<()> {
    let meta = meta(session, store, addr)?;
    let Layout::Chunked(layout) = &meta.layout else {
        return Ok(());
    };
    if let ChunkIndexKind::Implicit { .. } = layout.index {
        // Every chunk already has its place; writes went there in place.
        return Ok(());
    }
    let mut chunks: Vec<Chunk> = session
        .chunks
        .get(&addr)
        .map(|s| s.chunks.values().cloned().collect())
        .unwrap_or_default();
    chunks.sort_by(|a, b| a.offset.cmp(&b.offset));
    let p = params(&meta, layout);
    // The old index's blocks, freed once the new index is built.
    let old_index = session
        .with_image(store, |img| {
            crate::usage::chunk_index_extents(
                img,
                &layout.index,
                p.dims.len(),
                Some(session.chunk_k),
            )
        })
        .unwrap_or_default();
    let index = match choice_of(&layout.index) {
        // Node size depends on the file's indexed-storage K (superblock v1 may change it).
        IndexChoice::BtreeV1 if !chunks.is_empty() => ChunkIndexKind::BtreeV1 {
            addr: Some(chunk_index::btree_v1::build(
                &chunks,
                &p,
                session.chunk_k,
                None,
                &mut session.space,
                emit,
            )?),
        },
        choice => chunk_index::build_index(choice, &chunks, &p, &mut session.space, emit)?,
    };
    let mut new_layout = layout.clone();
    new_layout.index = index;
    let mut editor = meta.editor.clone();
    editor.set(MessageBytes::new(
        kind::LAYOUT,
        Layout::Chunked(new_layout).encode(session.sizes)?,
    ));
    editor.save(&mut session.space, emit)?;
    for (a, len) in old_index {
        // A failure here would only mean the blocks stay allocated.
        let _ = session.space.release(a, len);
    }
    Ok(())
}
