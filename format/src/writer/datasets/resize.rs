//! Resizing chunked datasets (growing and shrinking any resizable axis) and rebuilding
//! chunk indexes from the session's chunk map at flush.

use super::{chunk_state, meta, params, write_chunks, DatasetMeta};
use crate::chunk_index::{self, Chunk, IndexChoice};
use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::hyperslab::{self, AxisSel};
use crate::io::Addr;
use crate::messages::kind;
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout, Layout};
use crate::object_header::MessageBytes;
use crate::store::Store;
use crate::writer::session::Session;

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
    // Encoded before anything is written: a shape the file cannot record changes nothing.
    let space_bytes = space.encode(session.sizes)?;
    if !meta.pipeline.filters.is_empty() && layout.flags & 0x01 != 0 {
        refilter_edges(session, store, addr, &meta, layout, new_dims)?;
    }
    let mut editor = meta.editor.clone();
    editor.set(MessageBytes::new(kind::DATASPACE, space_bytes));
    // The chunk map is loaded before the new shape hides the on-disk index's extent.
    let state = chunk_state(session, store, addr, &meta)?;
    state.dirty = true;
    // Written with the rebuilt chunk index at flush, in one header write (crash safety:
    // the file never shows the new shape with the old index).
    session.defer_header(editor, new_dims.to_vec());
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
            write_chunks(
                session,
                store,
                addr,
                meta,
                layout,
                &sel,
                &super::RawElements::new(&fill, meta.fill.len()),
                // The old shape still shows these elements until the flush.
                true,
            )?;
        }
    }
    Ok(())
}

/// With `H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS`, partial edge chunks are stored raw and
/// the others filtered, judged against the current shape: re-store every chunk whose kind
/// changes with the new shape (an edge chunk that the growth made whole is filtered, a
/// whole chunk that a shrink cut becomes raw), as libhdf5's
/// `H5D__chunk_update_old_edge_chunks` and prune do. The new copies go to fresh space; the
/// index pointing at them is written with the new shape at flush.
fn refilter_edges(
    session: &mut Session,
    store: &Store,
    addr: Addr,
    meta: &DatasetMeta,
    layout: &ChunkedLayout,
    new_dims: &[u64],
) -> Result<()> {
    let old_dims = meta.dataspace.dims.clone();
    let elem = meta.datatype.size();
    let chunk_bytes = super::usize_of(super::element_count(&layout.chunk_dims)?)?
        .checked_mul(elem)
        .ok_or_else(|| Error::LimitExceeded("chunk is too large".into()))?;
    let state = chunk_state(session, store, addr, meta)?;
    let changing: Vec<Chunk> = state
        .chunks
        .values()
        .filter(|c| {
            layout.stores_raw(&c.offset, &old_dims) != layout.stores_raw(&c.offset, new_dims)
        })
        .cloned()
        .collect();
    for c in changing {
        let old_mask = layout.effective_mask(&c.offset, &old_dims, c.filter_mask);
        let block = session.with_image(store, |img| {
            let stored = img.slice(c.addr, c.size, "chunk")?;
            crate::filters::decode_chunk_at(
                &meta.pipeline,
                old_mask,
                stored,
                elem,
                chunk_bytes,
                img.absolute(c.addr),
            )
        })?;
        let (bytes, mask) = if layout.stores_raw(&c.offset, new_dims) {
            (block, 0)
        } else {
            crate::filters::encode_chunk(&meta.pipeline, &block, elem)?
        };
        let at = session.space.alloc(bytes.len() as u64)?;
        store.write_at(session.base + at.0, &bytes)?;
        session.space.release(c.addr, c.size)?;
        let state = chunk_state(session, store, addr, meta)?;
        let grid = layout.grid_of(&c.offset);
        state.chunks.insert(
            grid,
            Chunk {
                offset: c.offset.clone(),
                addr: at,
                size: bytes.len() as u64,
                filter_mask: mask,
            },
        );
        state.dirty = true;
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
