//! The walk over datasets (raw data, chunk indexes, fill values) and over element data that
//! refers to other file space: variable-length data in global heap collections, object and
//! region references.

use super::walk::Walker;
use crate::btree::{v1 as bt1, v2 as bt2};
use crate::chunk_index::{self, extensible_array, fixed_array, IndexParams};
use crate::dataspace::Dataspace;
use crate::datatype::{parse_datatype, Datatype, ReferenceKind, TypeClass, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::filters;
use crate::heap::fractal::FractalHeap;
use crate::heap::global::{self, GlobalHeapId};
use crate::io::{Addr, Cursor, FileImage};
use crate::messages::fill_value::FillValue;
use crate::messages::filter_pipeline::FilterPipeline;
use crate::messages::kind;
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout, Layout};
use crate::messages::shared::SharedRef;
use crate::object_header::{ObjectHeader, RawMessage};

/// The extents of a chunk index (not of the chunks): v1 B-tree nodes (for a dataset of
/// rank `rank`, with `btree_k` the file's indexed-storage K; `None` makes a v1 B-tree index
/// [`Error::Unsupported`], its node size being unknown), fixed array, extensible array and
/// v2 B-tree blocks. Single-chunk and implicit indexes own no blocks.
pub fn chunk_index_extents(
    img: &FileImage<'_>,
    index: &ChunkIndexKind,
    rank: usize,
    btree_k: Option<u16>,
) -> Result<Vec<(Addr, u64)>> {
    Ok(match index {
        ChunkIndexKind::BtreeV1 { addr: Some(a) } => {
            let k = btree_k
                .ok_or_else(|| Error::Unsupported("v1 B-tree chunk index of unknown K".into()))?;
            let key = 8 + 8 * (rank + 1);
            let (nodes, _) = bt1::tree_nodes(img, *a, 1, key)?;
            let len = bt1::node_size(k, key, img.sizes().offset) as u64;
            nodes.into_iter().map(|n| (n, len)).collect()
        }
        ChunkIndexKind::FixedArray { addr: Some(a), .. } => fixed_array::extents(img, *a)?,
        ChunkIndexKind::ExtensibleArray { addr: Some(a), .. } => {
            extensible_array::extents(img, *a)?
        }
        ChunkIndexKind::BtreeV2 { addr: Some(a), .. } => bt2::node_extents(img, *a)?,
        _ => Vec::new(),
    })
}

/// The extents of dense link or attribute storage: the fractal heap (with its huge
/// objects and free-space manager) and the name and creation-order v2 B-trees.
pub fn dense_storage_extents(
    img: &FileImage<'_>,
    heap: Addr,
    indexes: [Option<Addr>; 2],
) -> Result<Vec<(Addr, u64)>> {
    let mut out = FractalHeap::parse(img, heap)?.block_extents()?;
    for tree in indexes.into_iter().flatten() {
        out.extend(bt2::node_extents(img, tree)?);
    }
    Ok(out)
}

/// Whether elements of `dt` may refer to file space (variable-length data, references).
pub(super) fn needs_scan(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::VarLenSequence { .. }
        | TypeClass::VarLenString { .. }
        | TypeClass::Reference { .. } => true,
        TypeClass::Compound { members } => members.iter().any(|m| needs_scan(&m.datatype)),
        TypeClass::Array { base, .. } => needs_scan(base),
        _ => false,
    }
}

impl Walker<'_, '_> {
    /// The datatype a shared datatype message refers to; the committed datatype's object
    /// is queued. `None` when it lives in the shared-message heap (walk incomplete).
    pub(super) fn resolve_shared_datatype(&mut self, r: &SharedRef) -> Result<Option<Datatype>> {
        let img = self.img;
        let mut r = r.clone();
        for _ in 0..8 {
            let addr = match r {
                SharedRef::ObjectHeader(a) => a,
                SharedRef::SohmHeap(id) => {
                    let body = crate::sohm::resolve(img, kind::DATATYPE, &SharedRef::SohmHeap(id))?;
                    let mut c = Cursor::new(&body, 0, img.sizes(), "shared datatype message");
                    return Ok(Some(parse_datatype(&mut c)?));
                }
            };
            self.queue(addr);
            let header = ObjectHeader::parse(img, addr)?;
            let msg = header.find(kind::DATATYPE).ok_or_else(|| {
                Error::corrupt(
                    "committed datatype",
                    img.absolute(addr),
                    "object header has no datatype message",
                )
            })?;
            let mut c = msg.cursor(img, "datatype message");
            if !msg.is_shared() {
                return Ok(Some(parse_datatype(&mut c)?));
            }
            r = SharedRef::parse(&mut c)?;
        }
        Err(Error::corrupt(
            "committed datatype",
            0,
            "shared datatype chain too long (cycle?)",
        ))
    }

    fn datatype(&mut self, msg: &RawMessage<'_>) -> Result<Option<Datatype>> {
        let mut c = msg.cursor(self.img, "datatype message");
        if msg.is_shared() {
            let r = SharedRef::parse(&mut c)?;
            return self.resolve_shared_datatype(&r);
        }
        Ok(Some(parse_datatype(&mut c)?))
    }

    /// A dataset's raw data, chunk index and the file space its elements refer to.
    pub(super) fn dataset(&mut self, header: &ObjectHeader<'_>) -> Result<()> {
        let img = self.img;
        let at = img.absolute(header.addr);
        let missing =
            |what: &str| Error::corrupt("dataset object header", at, format!("no {what} message"));
        let Some(dt) = self.datatype(
            header
                .find(kind::DATATYPE)
                .ok_or_else(|| missing("datatype"))?,
        )?
        else {
            return Ok(());
        };
        let space = header
            .find(kind::DATASPACE)
            .ok_or_else(|| missing("dataspace"))?
            .parse_body(img, "dataspace message", Dataspace::parse)?;
        let layout_msg = header.find(kind::LAYOUT).ok_or_else(|| missing("layout"))?;
        let layout = Layout::parse(&mut layout_msg.cursor(img, "data layout message"))?;
        let pipeline = match header.find(kind::FILTER_PIPELINE) {
            Some(m) => m.parse_body(img, "filter pipeline message", FilterPipeline::parse)?,
            None => FilterPipeline::default(),
        };
        let scan = needs_scan(&dt);
        if scan {
            let fill = match (
                header.find(kind::FILL_VALUE),
                header.find(kind::FILL_VALUE_OLD),
            ) {
                (Some(m), _) => Some(m.parse_body(img, "fill value message", FillValue::parse)?),
                (None, Some(m)) => {
                    Some(m.parse_body(img, "old fill value message", FillValue::parse_old)?)
                }
                _ => None,
            };
            if let Some(value) = fill.and_then(|f| f.value) {
                self.scan(&dt, &value, 0)?;
            }
        }
        let data_len = space
            .element_count()
            .and_then(|n| n.checked_mul(u64::from(dt.size)));
        match layout {
            Layout::Compact { data } => {
                if scan {
                    let n = data_len
                        .and_then(|n| usize::try_from(n).ok())
                        .unwrap_or(usize::MAX);
                    self.scan(&dt, data.get(..n).unwrap_or(&data), 0)?;
                }
            }
            Layout::Contiguous { addr: None, .. } => {}
            Layout::Contiguous {
                addr: Some(a),
                size,
            } => {
                self.push(a, size, "contiguous raw data");
                if scan {
                    let n = data_len.unwrap_or(u64::MAX).min(size);
                    let bytes = img.slice(a, n, "contiguous raw data")?;
                    self.scan(&dt, bytes, 0)?;
                }
            }
            Layout::Chunked(cl) => self.chunked(&cl, &space, &dt, &pipeline, scan, at)?,
            // The mapping list lives in a global heap collection; the source datasets are
            // objects of their own (reached through links, or in other files).
            Layout::Virtual { heap } => {
                if let Some(coll) = heap.collection {
                    self.collection(coll)?;
                }
            }
        }
        Ok(())
    }

    fn chunked(
        &mut self,
        cl: &ChunkedLayout,
        space: &Dataspace,
        dt: &Datatype,
        pipeline: &FilterPipeline,
        scan: bool,
        at: u64,
    ) -> Result<()> {
        let img = self.img;
        let max_dims: Vec<u64> = space.max_dims_or_dims().to_vec();
        if cl.chunk_dims.len() != space.dims.len() || cl.chunk_dims.contains(&0) {
            return Err(Error::corrupt(
                "data layout message",
                at,
                "chunk rank does not match the dataset rank (or a chunk dimension is 0)",
            ));
        }
        let params = IndexParams {
            dims: &space.dims,
            max_dims: &max_dims,
            chunk_dims: &cl.chunk_dims,
            element_size: u64::from(dt.size),
            filtered: !pipeline.filters.is_empty(),
            layout_version: cl.version,
        };
        let index = chunk_index_extents(
            img,
            &cl.index,
            space.dims.len(),
            Some(self.sb.indexed_storage_k),
        )?;
        self.push_all(index, "chunk index");
        let Some(chunks) = self.soft(chunk_index::read_index(img, cl, &params))? else {
            return Ok(());
        };
        let chunk_bytes = params.chunk_bytes().and_then(|n| usize::try_from(n).ok());
        for chunk in chunks {
            self.push(chunk.addr, chunk.size, "chunk");
            if !scan {
                continue;
            }
            let stored = img.slice(chunk.addr, chunk.size, "chunk")?;
            if params.filtered {
                let expected =
                    chunk_bytes.ok_or_else(|| Error::LimitExceeded("chunk size".into()))?;
                let mask = cl.effective_mask(&chunk.offset, &space.dims, chunk.filter_mask);
                let decoded = filters::decode_chunk(pipeline, mask, stored, dt.size(), expected);
                if let Some(bytes) = self.soft(decoded)? {
                    self.scan(dt, &bytes, 0)?;
                }
            } else {
                self.scan(dt, stored, 0)?;
            }
        }
        Ok(())
    }

    /// Record the global heap collection at `addr` (once).
    fn collection(&mut self, addr: Addr) -> Result<()> {
        if self.collections.insert(addr) {
            let (a, len) = global::collection_extent(self.img, addr)?;
            self.push(a, len, "global heap collection");
        }
        Ok(())
    }

    /// Follow every element of `bytes` (elements of `dt`).
    pub(super) fn scan(&mut self, dt: &Datatype, bytes: &[u8], depth: u32) -> Result<()> {
        let size = dt.size();
        if size == 0 || !needs_scan(dt) {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(Error::corrupt(
                "variable-length data",
                0,
                "nesting too deep",
            ));
        }
        for el in bytes.chunks_exact(size) {
            self.scan_one(dt, el, depth)?;
        }
        Ok(())
    }

    fn scan_one(&mut self, dt: &Datatype, el: &[u8], depth: u32) -> Result<()> {
        let sizes = self.img.sizes();
        let mut c = Cursor::new(el, 0, sizes, "element data");
        match &dt.class {
            TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. } => {
                let count = c.u32()?;
                let id = GlobalHeapId::parse(&mut c)?;
                let Some(coll) = id.collection.filter(|_| !id.is_null()) else {
                    return Ok(());
                };
                self.collection(coll)?;
                if let TypeClass::VarLenSequence { base } = &dt.class {
                    if needs_scan(base) {
                        let data = self.gheap.get(id)?;
                        let n = usize::try_from(count)
                            .ok()
                            .and_then(|n| n.checked_mul(base.size()))
                            .unwrap_or(usize::MAX);
                        self.scan(base, data.get(..n).unwrap_or(data), depth + 1)?;
                    }
                }
            }
            TypeClass::Reference {
                kind: ReferenceKind::Object,
            } => {
                if let Some(a) = c.addr()?.filter(|a| a.0 != 0) {
                    self.queue(a);
                }
            }
            TypeClass::Reference {
                kind: ReferenceKind::DatasetRegion,
            } => {
                let id = GlobalHeapId::parse(&mut c)?;
                if let Some(coll) = id.collection.filter(|_| !id.is_null()) {
                    self.collection(coll)?;
                    let data = self.gheap.get(id)?;
                    let mut d = Cursor::new(data, 0, sizes, "region reference");
                    if let Some(a) = d.addr()?.filter(|a| a.0 != 0) {
                        self.queue(a);
                    }
                }
            }
            TypeClass::Reference { .. } => {
                self.incomplete("references of a revised (HDF5 1.12+) kind");
            }
            TypeClass::Compound { members } => {
                for m in members {
                    if !needs_scan(&m.datatype) {
                        continue;
                    }
                    let start = usize::try_from(m.offset).unwrap_or(usize::MAX);
                    let sub = start
                        .checked_add(m.datatype.size())
                        .and_then(|end| el.get(start..end))
                        .ok_or_else(|| {
                            Error::corrupt("compound datatype", 0, "member outside the element")
                        })?;
                    self.scan_one(&m.datatype, sub, depth + 1)?;
                }
            }
            TypeClass::Array { base, .. } => self.scan(base, el, depth + 1)?,
            _ => {}
        }
        Ok(())
    }
}
