//! Writing datasets: creating them (compact, contiguous or chunked, with filters and fill
//! values; [`create`]), writing selections (here), resizing and rebuilding chunk indexes at
//! flush ([`resize`]).
//!
//! Chunks are written as soon as data arrives; a chunk is rewritten only when a write
//! changes it (a partly filled edge chunk during appends, or an overwrite). Unfiltered
//! chunks are rewritten in place; filtered ones move and their old space is freed.

use std::collections::HashMap;

use super::header::HeaderEditor;
use super::session::{ChunkState, Session};
use crate::chunk_index::{self, Chunk, IndexParams};
use crate::dataspace::Dataspace;
use crate::datatype::Datatype;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::external::ExternalIo;
use crate::hyperslab::{self, AxisSel};
use crate::io::{Addr, Cursor, Sizes};
use crate::messages::external::ExternalFiles;
use crate::messages::fill_value::FillValue;
use crate::messages::filter_pipeline::FilterPipeline;
use crate::messages::kind;
use crate::messages::layout::{ChunkedLayout, Layout};
use crate::object_header::MessageBytes;
use crate::store::Store;

mod chunks;
mod create;
mod resize;
mod source;
pub mod virtual_layout;

use chunks::write_chunks;
pub use create::{create, external_message, header_messages};
pub use resize::{resize, write_index};
pub use source::{ElementSource, RawElements};

/// Largest piece of a contiguous dataset encoded at a time from a source that is not
/// already bytes.
const CONTIGUOUS_PIECE: usize = 1 << 20;

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
    /// Contiguous, in these segments of external files (External Data Files message).
    External(Vec<crate::messages::external::Segment>),
    /// Virtual: the mapping list at this global heap object ([`virtual_layout`]).
    Virtual(crate::heap::global::GlobalHeapId),
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
    /// External raw storage (contiguous datasets only).
    pub external: Option<ExternalFiles>,
}

pub(super) fn parse<T>(
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
    let external = match editor.find(kind::EXTERNAL_FILES) {
        Some(m) => Some(session.with_image(store, |img| {
            ExternalFiles::parse(
                &mut Cursor::new(&m.data, 0, sizes, "external data files message"),
                img,
            )
        })?),
        None => None,
    };
    Ok(DatasetMeta {
        editor,
        datatype,
        dataspace,
        layout,
        pipeline,
        fill,
        external,
    })
}

pub(super) fn resolve_shared(
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

pub(super) fn element_count(dims: &[u64]) -> Result<u64> {
    dims.iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::LimitExceeded("too many elements".into()))
}

pub(super) fn usize_of(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::LimitExceeded(format!("{v} bytes")))
}

pub(super) fn params<'a>(meta: &'a DatasetMeta, layout: &'a ChunkedLayout) -> IndexParams<'a> {
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
pub(super) fn chunk_state<'s>(
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
                let grid = layout.grid_of(&c.offset);
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
    let meta = meta(session, store, addr)?;
    let elem = meta.datatype.size();
    let n = hyperslab::selected_count(sel)?;
    if data.len() != n * elem {
        return Err(Error::Invalid(format!(
            "{} bytes of data for {n} elements of {elem} bytes",
            data.len()
        )));
    }
    session.dirty = true;
    write_source_with(
        session,
        store,
        addr,
        &meta,
        sel,
        &RawElements::new(data, elem),
    )
}

/// Write the selected elements that `src` produces (in the dataset's encoding, selection
/// order); `src` must hold exactly the selected count.
pub fn write_selection_from(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    sel: &[AxisSel],
    src: &dyn ElementSource,
) -> Result<()> {
    let meta = meta(session, store, addr)?;
    let n = hyperslab::selected_count(sel)?;
    if src.len() != n {
        return Err(Error::Invalid(format!(
            "{} elements of data for {n} selected elements",
            src.len()
        )));
    }
    session.dirty = true;
    write_source_with(session, store, addr, &meta, sel, src)
}

fn write_source_with(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    meta: &DatasetMeta,
    sel: &[AxisSel],
    data: &dyn ElementSource,
) -> Result<()> {
    let elem = meta.datatype.size();
    if data.is_empty() {
        return Ok(());
    }
    let dims = meta.dataspace.dims.clone();
    let origin = vec![0; dims.len()];
    match &meta.layout {
        Layout::Compact { data: stored } => {
            let mut block = stored.clone();
            source::scatter(sel, &origin, &dims, &mut block, data, elem)?;
            let mut editor = meta.editor.clone();
            editor.set(MessageBytes::new(
                kind::LAYOUT,
                Layout::Compact { data: block }.encode(session.sizes)?,
            ));
            let mut emit = Emit::default();
            editor.save(&mut session.space, &mut emit)?;
            session.commit(store, &emit)
        }
        Layout::Contiguous { .. } if meta.external.is_some() => {
            let efl = meta
                .external
                .as_ref()
                .ok_or_else(|| Error::Invalid("not an external dataset".into()))?;
            let mut io = ExternalIo::writer(efl, session.path.as_deref(), "dataset");
            write_contiguous(&mut |at, b| io.write(at, b), sel, &dims, data, elem)
        }
        Layout::Contiguous { addr: at, size } => {
            let start = match at {
                Some(a) => *a,
                None => {
                    let a = session.space.alloc(*size)?;
                    let covers_all = (data.len() as u64).checked_mul(elem as u64) == Some(*size);
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
            let base = session.base;
            let mut put = |at: u64, b: &[u8]| {
                let to = base.checked_add(start.0).and_then(|s| s.checked_add(at));
                let to = to.ok_or_else(|| {
                    Error::LimitExceeded(format!("data byte {at} lies past 2^64 bytes"))
                })?;
                store.write_at(to, b)
            };
            write_contiguous(&mut put, sel, &dims, data, elem)
        }
        Layout::Chunked(layout) => {
            write_chunks(session, store, addr, meta, layout, sel, data, false)
        }
        Layout::Virtual { .. } => Err(Error::Unsupported("writing virtual datasets".into())),
    }
}

/// Write the selected elements of a contiguous dataset: `put(at, bytes)` writes bytes at
/// byte `at` of its data (in the file, or in its external files).
fn write_contiguous(
    put: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    sel: &[AxisSel],
    dims: &[u64],
    data: &dyn ElementSource,
    elem: usize,
) -> Result<()> {
    let origin = vec![0; dims.len()];
    let out_of_range = || Error::Invalid("selection out of range".into());
    let raw = data.bytes();
    let mut buf = Vec::new();
    let piece = (CONTIGUOUS_PIECE / elem.max(1)).max(1);
    hyperslab::for_each_run(sel, &origin, dims, &mut |run| {
        if run.step == 1 {
            if let Some(raw) = raw {
                // The input's bytes are in memory: in range, the products fit `usize`.
                let from = run
                    .out
                    .checked_mul(elem)
                    .zip(run.out.checked_add(run.n).and_then(|e| e.checked_mul(elem)))
                    .and_then(|(lo, hi)| raw.get(lo..hi))
                    .ok_or_else(out_of_range)?;
                return put(byte_at(run.block, 0, elem)?, from);
            }
            let mut done = 0;
            while done < run.n {
                let k = piece.min(run.n - done);
                buf.resize(k * elem, 0);
                data.encode(run.out + done, &mut buf)?;
                put(byte_at(run.block, done, elem)?, &buf)?;
                done += k;
            }
            Ok(())
        } else {
            buf.resize(elem, 0);
            for i in 0..run.n {
                data.encode(run.out + i, &mut buf)?;
                let element = i.checked_mul(run.step).ok_or_else(out_of_range)?;
                put(byte_at(run.block, element, elem)?, &buf)?;
            }
            Ok(())
        }
    })
}

/// The byte offset of element `block + k` of a block of `elem`-byte elements: the
/// element counts come from the dataset's dimensions, so the product is checked (in
/// `u64`, the width of the file's offsets) rather than wrapped.
fn byte_at(block: usize, k: usize, elem: usize) -> Result<u64> {
    block
        .checked_add(k)
        .and_then(|e| (e as u64).checked_mul(elem as u64))
        .ok_or_else(|| {
            Error::LimitExceeded(format!(
                "element {block} + {k} of {elem} bytes lies past 2^64 bytes"
            ))
        })
}

/// Whether the selection writes every element of the chunk that lies inside the dataset.
pub(super) fn covers_chunk(sel: &[AxisSel], origin: &[u64], chunk: &[u64], dims: &[u64]) -> bool {
    sel.iter()
        .zip(origin)
        .zip(chunk)
        .zip(dims)
        .all(|(((a, &o), &c), &d)| {
            let end = (o + c).min(d);
            a.step == 1 && a.start <= o && a.start + a.count >= end
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A contiguous dataset's byte offsets are checked products, not wrapped ones.
    #[test]
    fn byte_offsets_past_u64_are_errors() {
        assert_eq!(byte_at(3, 2, 8).ok(), Some(40));
        assert!(byte_at(usize::MAX, 1, 1).is_err());
        let e = byte_at(usize::MAX / 2, 0, 4).map_err(|e| e.to_string());
        assert!(matches!(&e, Err(m) if m.contains("2^64")), "{e:?}");
    }
}
