//! Datasets: metadata (datatype, shape, layout, chunking, filters, fill value) decoded once
//! when opened, and reads of whole datasets or hyperslab selections.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use ndarray::ArrayD;

use crate::chunk_index::{self, Chunk, IndexParams};
use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use crate::datatype::Datatype;
use crate::error::{Error, Result};
use crate::io::Addr;
use crate::messages::external::ExternalFiles;
use crate::messages::fill_value::FillValue;
use crate::messages::filter_pipeline::{Filter, FilterPipeline};
use crate::messages::kind;
use crate::messages::layout::{ChunkIndexKind, ChunkedLayout, Layout};
use crate::object_header::ObjectHeader;

use super::attribute::{self, Attribute};
use super::convert::{self, H5Type};
use super::file::FileInner;
use super::node::decode_datatype;
use super::read::{self, Block, RawSink, Sink};
use super::selection::Selection;
use super::value::{self, DynArray};
use crate::hyperslab::{self, AxisSel};

/// Storage layout of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutKind {
    /// Data inside the object header.
    Compact,
    /// One contiguous block.
    Contiguous,
    /// Chunked.
    Chunked,
    /// Virtual (mapped from other datasets; not readable here).
    Virtual,
}

impl LayoutKind {
    /// Lower-case name as h5py and `h5ls` print it.
    pub fn name(self) -> &'static str {
        match self {
            LayoutKind::Compact => "compact",
            LayoutKind::Contiguous => "contiguous",
            LayoutKind::Chunked => "chunked",
            LayoutKind::Virtual => "virtual",
        }
    }
}

type ChunkMap = HashMap<Vec<u64>, Chunk>;

/// A dataset in an open file.
#[derive(Clone, Debug)]
pub struct Dataset {
    file: Arc<FileInner>,
    addr: Addr,
    path: String,
    datatype: Datatype,
    dataspace: Dataspace,
    layout: Layout,
    pipeline: FilterPipeline,
    fill: Option<FillValue>,
    /// External raw storage (External Data Files message), for contiguous datasets.
    external: Option<Box<ExternalFiles>>,
    chunk_map: Arc<OnceLock<ChunkMap>>,
    /// Virtual datasets: the mapping list, when it could be decoded at open (else reads
    /// decode it again and report why it cannot be).
    virt: Option<Box<super::virtual_dataset::VirtualInfo>>,
}

impl Dataset {
    pub(crate) fn from_header(
        file: Arc<FileInner>,
        header: &ObjectHeader<'_>,
        path: String,
    ) -> Result<Dataset> {
        let snap = file.snapshot()?;
        let img = snap.image();
        let missing = |what: &str| {
            Error::corrupt(
                "dataset object header",
                img.absolute(header.addr),
                format!("dataset {path} has no {what} message"),
            )
        };
        let datatype = decode_datatype(
            &img,
            header
                .find(kind::DATATYPE)
                .ok_or_else(|| missing("datatype"))?,
        )?;
        let mut dataspace = header
            .find(kind::DATASPACE)
            .ok_or_else(|| missing("dataspace"))?
            .parse_body(&img, "dataspace message", Dataspace::parse)?;
        if let Some(dims) = file.pending_shape(header.addr) {
            // Resized in this write session; the header is rewritten at flush.
            dataspace.dims = dims;
        }
        let layout = Layout::parse(
            &mut header
                .find(kind::LAYOUT)
                .ok_or_else(|| missing("layout"))?
                .cursor(&img, "data layout message"),
        )?;
        let pipeline = match header.find(kind::FILTER_PIPELINE) {
            Some(m) => m.parse_body(&img, "filter pipeline message", FilterPipeline::parse)?,
            None => FilterPipeline::default(),
        };
        let fill = match (
            header.find(kind::FILL_VALUE),
            header.find(kind::FILL_VALUE_OLD),
        ) {
            (Some(m), _) => Some(m.parse_body(&img, "fill value message", FillValue::parse)?),
            (None, Some(m)) => {
                Some(m.parse_body(&img, "old fill value message", FillValue::parse_old)?)
            }
            (None, None) => None,
        };
        let external = header
            .find(kind::EXTERNAL_FILES)
            .map(|m| ExternalFiles::parse(&mut m.cursor(&img, "external data files message"), &img))
            .map(|r| r.map(Box::new))
            .transpose()?;
        if external.is_some() && !matches!(layout, Layout::Contiguous { .. }) {
            return Err(Error::corrupt(
                "dataset object header",
                img.absolute(header.addr),
                format!("dataset {path} has external storage but a layout other than contiguous"),
            ));
        }
        if datatype.size == 0 {
            return Err(Error::corrupt(
                "datatype message",
                img.absolute(header.addr),
                format!("dataset {path} has a zero-sized datatype"),
            ));
        }
        let mut virt = None;
        if let Layout::Virtual { heap } = &layout {
            // The extent of a virtual dataset with unlimited mappings comes from its
            // sources (libhdf5's H5D_VDS_LAST_AVAILABLE view); a mapping list that cannot
            // be decoded leaves the stored extent, and reads report the error.
            if let Ok((info, dims)) =
                super::virtual_dataset::open(&file, *heap, &dataspace.dims, &path)
            {
                dataspace.dims = dims;
                virt = Some(Box::new(info));
            }
        }
        Ok(Dataset {
            virt,
            addr: header.addr,
            file,
            path,
            datatype,
            dataspace,
            layout,
            pipeline,
            fill,
            external,
            chunk_map: Arc::new(OnceLock::new()),
        })
    }

    pub(crate) fn file_inner(&self) -> &Arc<FileInner> {
        &self.file
    }

    /// This dataset as the file holds it now (writable files change under a handle).
    pub(crate) fn reload(&self) -> Result<Dataset> {
        if !self.file.writable() {
            return Ok(self.clone());
        }
        match super::node::Node::open(self.file.clone(), self.addr, self.path.clone())? {
            super::node::Node::Dataset(d) => Ok(d),
            _ => Err(Error::Invalid(format!(
                "{} is no longer a dataset",
                self.path
            ))),
        }
    }

    /// The path this dataset was reached by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Address of the object header.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// The element datatype.
    pub fn dtype(&self) -> &Datatype {
        &self.datatype
    }

    /// The dataspace (its extent as the file holds it now, see [`Dataset::shape`]).
    pub fn dataspace(&self) -> Dataspace {
        let mut space = self.dataspace.clone();
        if let std::borrow::Cow::Owned(dims) = self.dims_now() {
            space.dims = dims;
        }
        space
    }

    /// Current shape (`[]` for scalar and null dataspaces). Always the dataset as the file
    /// holds it now, also after `append`/`resize` through this or another handle.
    pub fn shape(&self) -> Vec<u64> {
        self.dims_now().into_owned()
    }

    /// The current extent: the one decoded at open for a read-only file (which cannot
    /// change), else what the write session or the header holds now.
    fn dims_now(&self) -> std::borrow::Cow<'_, [u64]> {
        if !self.file.writable() {
            return self.dataspace.dims.as_slice().into();
        }
        if let Some(dims) = self.file.pending_shape(self.addr) {
            return dims.into();
        }
        match self.reload() {
            Ok(now) => now.dataspace.dims.into(),
            // The dataset is gone (unlinked and its space reused): what it last was.
            Err(_) => self.dataspace.dims.as_slice().into(),
        }
    }

    /// Whether the dataspace is null (h5py's `Empty`).
    pub fn is_null(&self) -> bool {
        self.dataspace.kind == SpaceKind::Null
    }

    /// Maximum shape; `None` marks an unlimited axis.
    pub fn maxshape(&self) -> Vec<Option<u64>> {
        self.dataspace
            .max_dims_or_dims()
            .iter()
            .map(|&d| if d == UNLIMITED { None } else { Some(d) })
            .collect()
    }

    /// Number of elements.
    pub fn size(&self) -> u64 {
        if self.is_null() {
            return 0;
        }
        // An extent whose element count overflows is refused when parsed, when built and
        // when resized, so the saturation is never reached.
        self.dims_now()
            .iter()
            .fold(1u64, |n, &d| n.saturating_mul(d))
    }

    /// The storage layout.
    pub fn layout(&self) -> LayoutKind {
        match &self.layout {
            Layout::Compact { .. } => LayoutKind::Compact,
            Layout::Contiguous { .. } => LayoutKind::Contiguous,
            Layout::Chunked(_) => LayoutKind::Chunked,
            Layout::Virtual { .. } => LayoutKind::Virtual,
        }
    }

    /// The chunk index's name (`"btree1"`, `"single"`, `"implicit"`, `"fixed_array"`,
    /// `"extensible_array"`, `"btree2"`), for chunked datasets.
    pub fn chunk_index(&self) -> Option<&'static str> {
        match &self.layout {
            Layout::Chunked(c) => Some(match c.index {
                ChunkIndexKind::BtreeV1 { .. } => "btree1",
                ChunkIndexKind::SingleChunk { .. } => "single",
                ChunkIndexKind::Implicit { .. } => "implicit",
                ChunkIndexKind::FixedArray { .. } => "fixed_array",
                ChunkIndexKind::ExtensibleArray { .. } => "extensible_array",
                ChunkIndexKind::BtreeV2 { .. } => "btree2",
            }),
            _ => None,
        }
    }

    /// Chunk shape, for chunked datasets.
    pub fn chunks(&self) -> Option<&[u64]> {
        match &self.layout {
            Layout::Chunked(c) => Some(&c.chunk_dims),
            _ => None,
        }
    }

    /// The filter pipeline, in the order applied when writing.
    pub fn filters(&self) -> &[Filter] {
        &self.pipeline.filters
    }

    /// The mappings of a virtual dataset, as stored (h5py's `virtual_sources()`): `None`
    /// for other layouts, or when the mapping list could not be decoded (reads then report
    /// why).
    pub fn virtual_mappings(&self) -> Option<&[crate::heap::vds_block::Mapping]> {
        self.virt.as_ref().map(|v| v.mappings.as_slice())
    }

    /// The external files holding the data (External Data Files message), if any.
    pub fn external(&self) -> Option<&ExternalFiles> {
        self.external.as_deref()
    }

    /// The fill value message, if present.
    pub fn fill_value_message(&self) -> Option<&FillValue> {
        self.fill.as_ref()
    }

    /// The fill value's bytes for one element: the stored value, or zeros (the library
    /// default).
    pub fn fill_value(&self) -> Vec<u8> {
        match self.fill.as_ref().and_then(|f| f.value.as_ref()) {
            Some(v) if v.len() == self.datatype.size() => v.clone(),
            _ => vec![0; self.datatype.size()],
        }
    }

    /// The fill value decoded dynamically.
    pub fn fill_value_dyn(&self) -> Result<value::Element> {
        let snap = self.file.snapshot()?;
        let mut heap = self.file.vlen_reader(&snap);
        value::decode_element(&self.datatype, &self.fill_value(), &mut heap)
    }

    /// The dataset's attributes, in name order.
    pub fn attrs(&self) -> Result<Vec<Attribute>> {
        attribute::read_all(&self.file, self.addr)
    }

    /// The dataset's attributes in creation order (when tracked).
    pub fn attrs_in_creation_order(&self) -> Result<Vec<Attribute>> {
        attribute::read_all_in_creation_order(&self.file, self.addr)
    }

    /// The attribute called `name`.
    pub fn attr(&self, name: &str) -> Result<Attribute> {
        attribute::find(&self.file, self.addr, name, &self.path)
    }

    /// Every stored chunk (chunked datasets only; read once and cached).
    pub fn stored_chunks(&self) -> Result<Vec<Chunk>> {
        Ok(self.chunk_map()?.values().cloned().collect())
    }

    fn chunked(&self) -> Option<&ChunkedLayout> {
        match &self.layout {
            Layout::Chunked(c) => Some(c),
            _ => None,
        }
    }

    fn chunk_map(&self) -> Result<&ChunkMap> {
        if let Some(map) = self.chunk_map.get() {
            return Ok(map);
        }
        if self.file.writable() {
            let session = self.file.session()?;
            if let Some(chunks) = crate::writer::datasets::chunks_in_memory(&session, self.addr) {
                let layout = self
                    .chunked()
                    .ok_or_else(|| Error::Invalid(format!("{} is not chunked", self.path)))?;
                let map = chunks
                    .into_iter()
                    .map(|c| {
                        let grid = layout.grid_of(&c.offset);
                        (grid, c)
                    })
                    .collect();
                return Ok(self.chunk_map.get_or_init(|| map));
            }
        }
        let layout = self
            .chunked()
            .ok_or_else(|| Error::Invalid(format!("{} is not chunked", self.path)))?;
        let snap = self.file.snapshot()?;
        let img = snap.image();
        let max_dims: Vec<u64> = self.dataspace.max_dims_or_dims().to_vec();
        if layout.chunk_dims.len() != self.dataspace.dims.len() || layout.chunk_dims.contains(&0) {
            return Err(Error::corrupt(
                "data layout message",
                img.absolute(self.addr),
                format!(
                    "chunk rank {} does not match dataset rank {} (or a chunk dimension is 0)",
                    layout.chunk_dims.len(),
                    self.dataspace.dims.len()
                ),
            ));
        }
        let params = IndexParams {
            dims: &self.dataspace.dims,
            max_dims: &max_dims,
            chunk_dims: &layout.chunk_dims,
            element_size: u64::from(self.datatype.size),
            filtered: !self.pipeline.filters.is_empty(),
            layout_version: layout.version,
        };
        let chunks = chunk_index::read_index(&img, layout, &params)?;
        let mut map = HashMap::with_capacity(chunks.len());
        for chunk in chunks {
            let grid = layout.grid_of(&chunk.offset);
            map.insert(grid, chunk);
        }
        Ok(self.chunk_map.get_or_init(|| map))
    }

    /// Move the selected elements to `sink`.
    fn read_into(&self, sel: &[AxisSel], sink: &mut dyn Sink) -> Result<()> {
        if hyperslab::selected_count(sel)? == 0 {
            return Ok(());
        }
        let snap = self.file.snapshot()?;
        let img = snap.image();
        let elem = self.datatype.size();
        let fill = self.fill_value();
        let dims = &self.dataspace.dims;
        let origin = vec![0; dims.len()];
        let total = self
            .dataspace
            .element_count()
            .and_then(|n| n.checked_mul(elem as u64))
            .ok_or_else(|| Error::LimitExceeded(format!("{} is too large", self.path)))?;
        let selected = hyperslab::selected_count(sel)? as u64;
        let mut direct = read::Direct::new(Some(&self.file.store), elem)
            .selecting(selected.saturating_mul(elem as u64));
        match &self.layout {
            Layout::Compact { data } => {
                let needed = usize::try_from(total)
                    .map_err(|_| Error::LimitExceeded("compact data".into()))?;
                let bytes = data.get(..needed).ok_or_else(|| {
                    Error::corrupt(
                        "data layout message",
                        img.absolute(self.addr),
                        format!("compact data holds {} bytes, {needed} needed", data.len()),
                    )
                })?;
                let mut none = read::Direct::none();
                read::copy_block(
                    sel,
                    &origin,
                    dims,
                    Block::Data(bytes),
                    elem,
                    sink,
                    &mut none,
                )
            }
            Layout::Contiguous { .. } if self.external.is_some() => {
                self.read_external(sel, total, elem, sink)
            }
            Layout::Contiguous { addr: None, .. } => {
                let block = Block::Fill(&fill);
                read::copy_block(sel, &origin, dims, block, elem, sink, &mut direct)
            }
            Layout::Contiguous {
                addr: Some(a),
                size,
            } => {
                if *size < total {
                    return Err(Error::corrupt(
                        "data layout message",
                        img.absolute(self.addr),
                        format!("contiguous storage of {size} bytes is smaller than the {total} bytes of data"),
                    ));
                }
                let block = Block::stored(&img, &direct, *a, total, "contiguous dataset storage")?;
                read::copy_block(sel, &origin, dims, block, elem, sink, &mut direct)?;
                direct.finish(sink)
            }
            Layout::Chunked(layout) => {
                let map = self.chunk_map()?;
                read::read_chunked(
                    &img,
                    sel,
                    layout,
                    dims,
                    map,
                    &self.pipeline,
                    elem,
                    &fill,
                    sink,
                    &mut direct,
                )
            }
            Layout::Virtual { heap } => match &self.virt {
                Some(info) => super::virtual_dataset::read(self, info, sel, sink),
                None => {
                    let (info, _) = super::virtual_dataset::open(
                        &self.file,
                        *heap,
                        &self.dataspace.dims,
                        &self.path,
                    )?;
                    super::virtual_dataset::read(self, &info, sel, sink)
                }
            },
        }
    }

    /// Move the selected elements of a dataset stored in external files to `sink`: the rows
    /// (first-axis positions) the selection spans are read, then copied as a block.
    fn read_external(
        &self,
        sel: &[AxisSel],
        total: u64,
        elem: usize,
        sink: &mut dyn Sink,
    ) -> Result<()> {
        let efl = self
            .external
            .as_ref()
            .ok_or_else(|| Error::Invalid(format!("{} has no external storage", self.path)))?;
        let dims = &self.dataspace.dims;
        let (first, rows) = match (sel.first(), dims.first()) {
            (Some(a), Some(_)) => (a.start, (a.count - 1) * a.step + 1),
            _ => (0, 1),
        };
        let row_bytes = match dims.first() {
            Some(&n) if n > 0 => total / n,
            _ => total,
        };
        let (start, len) = first
            .checked_mul(row_bytes)
            .zip(rows.checked_mul(row_bytes))
            .ok_or_else(|| Error::LimitExceeded(format!("{} is too large", self.path)))?;
        self.file.check_read(len, &self.path)?;
        let len = usize::try_from(len)
            .map_err(|_| Error::LimitExceeded(format!("{}: selection too large", self.path)))?;
        let mut buf = crate::hugepage::try_vec_of(len, 0u8).map_err(|_| {
            Error::LimitExceeded(format!("{}: cannot allocate {len} bytes", self.path))
        })?;
        let path = self.file.path();
        crate::external::ExternalIo::reader(efl, path, &self.path).read(start, &mut buf)?;
        let mut origin = vec![0; dims.len()];
        let mut block_dims = dims.clone();
        if let (Some(o), Some(b)) = (origin.first_mut(), block_dims.first_mut()) {
            *o = first;
            *b = rows;
        }
        let mut none = read::Direct::none();
        read::copy_block(
            sel,
            &origin,
            &block_dims,
            Block::Data(&buf),
            elem,
            sink,
            &mut none,
        )
    }

    fn resolve(&self, selection: &Selection) -> Result<(Vec<AxisSel>, Vec<usize>)> {
        if self.is_null() {
            return Err(Error::Type(format!(
                "dataset {} has no data (null dataspace)",
                self.path
            )));
        }
        let sel = selection.resolve(&self.dataspace.dims)?;
        let shape = sel
            .iter()
            .filter(|a| a.keep)
            .map(|a| usize::try_from(a.count).map_err(|_| Error::LimitExceeded("selection".into())))
            .collect::<Result<Vec<_>>>()?;
        Ok((sel, shape))
    }

    /// Raw element bytes of a selection, in the file's encoding, and the output shape.
    pub fn read_raw(&self, selection: impl super::IntoSelection) -> Result<(Vec<usize>, Vec<u8>)> {
        let selection = &selection.into_selection()?;
        if self.file.writable() {
            return self.reload()?.read_raw_now(selection);
        }
        self.read_raw_now(selection)
    }

    fn read_raw_now(&self, selection: &Selection) -> Result<(Vec<usize>, Vec<u8>)> {
        let (sel, shape) = self.resolve(selection)?;
        let n = hyperslab::selected_count(&sel)?;
        let bytes = n
            .checked_mul(self.datatype.size())
            .ok_or_else(|| Error::LimitExceeded("selection too large".into()))?;
        self.file.check_read(bytes as u64, &self.path)?;
        // A huge selection of a legitimately huge (never written) dataset: an error, not an
        // abort on allocation failure.
        let out = crate::hugepage::try_vec_of(bytes, 0u8).map_err(|_| {
            Error::LimitExceeded(format!("{}: cannot allocate {bytes} bytes", self.path))
        })?;
        let mut sink = RawSink {
            out,
            elem: self.datatype.size(),
        };
        self.read_into(&sel, &mut sink)?;
        Ok((shape, sink.out))
    }

    /// The whole dataset as an array of `T`.
    pub fn read<T: H5Type>(&self) -> Result<ArrayD<T>> {
        self.read_slice(Selection::all())
    }

    /// A selection as an array of `T`; only the chunks it touches are read. The selection
    /// is a [`Selection`], ranges and indices (`(10..20, 3)`) or ndarray's `s![10..20, ..;2]`
    /// (see [`IntoSelection`](super::IntoSelection)).
    pub fn read_slice<T: H5Type>(&self, selection: impl super::IntoSelection) -> Result<ArrayD<T>> {
        let selection = selection.into_selection()?;
        if self.file.writable() {
            return self.reload()?.read_slice_now(&selection);
        }
        self.read_slice_now(&selection)
    }

    /// The whole dataset as a one-dimensional array; an error naming the dataset when it
    /// has another number of dimensions.
    pub fn read_1d<T: H5Type>(&self) -> Result<ndarray::Array1<T>> {
        self.read_dim::<T, ndarray::Ix1>()
    }

    /// The whole dataset as a two-dimensional array (see [`Dataset::read_1d`]).
    pub fn read_2d<T: H5Type>(&self) -> Result<ndarray::Array2<T>> {
        self.read_dim::<T, ndarray::Ix2>()
    }

    /// The whole dataset as an array of the static dimensionality `D` (`Ix1`, `Ix3`, ...).
    pub fn read_dim<T: H5Type, D: ndarray::Dimension>(&self) -> Result<ndarray::Array<T, D>> {
        let rank = self.shape().len();
        if D::NDIM.is_some_and(|n| n != rank) {
            return Err(Error::Type(format!(
                "dataset {} has {rank} dimensions, not the {} asked for",
                self.path,
                D::NDIM.unwrap_or(rank)
            )));
        }
        let a = self.read::<T>()?;
        a.into_dimensionality::<D>()
            .map_err(|e| Error::Type(format!("dataset {}: {e}", self.path)))
    }

    /// The whole dataset's elements in row-major order, as a flat vector.
    pub fn read_vec<T: H5Type>(&self) -> Result<Vec<T>> {
        let a = self.read::<T>()?;
        // `read` builds standard-layout arrays: taking the vector does not copy.
        Ok(a.into_raw_vec_and_offset().0)
    }

    /// Read a selection into `out` (row-major), allocating nothing for the result: for loops
    /// over many slices into one reused buffer. `out` must hold exactly the selected number
    /// of elements; returns the selection's shape.
    pub fn read_slice_into<T: H5Type>(
        &self,
        selection: impl super::IntoSelection,
        out: &mut [T],
    ) -> Result<Vec<usize>> {
        let selection = selection.into_selection()?;
        if self.file.writable() {
            return self.reload()?.read_slice_into_now(&selection, out);
        }
        self.read_slice_into_now(&selection, out)
    }

    fn read_slice_into_now<T: H5Type>(
        &self,
        selection: &Selection,
        out: &mut [T],
    ) -> Result<Vec<usize>> {
        let (sel, shape) = self.resolve(selection)?;
        let n = hyperslab::selected_count(&sel)?;
        if out.len() != n {
            return Err(Error::Invalid(format!(
                "dataset {}: the selection has {n} elements (shape {shape:?}) but the output \
                 buffer holds {}",
                self.path,
                out.len()
            )));
        }
        let mut sink = convert::TypedSink::<T, &mut [T]>::borrowed(&self.datatype, out)?;
        self.read_into(&sel, &mut sink)?;
        Ok(shape)
    }

    /// Read a selection into the array view `out` (its shape must be the selection's),
    /// allocating nothing when the view is contiguous in row-major order.
    pub fn read_slice_into_view<T: H5Type, D: ndarray::Dimension>(
        &self,
        selection: impl super::IntoSelection,
        mut out: ndarray::ArrayViewMut<'_, T, D>,
    ) -> Result<()> {
        let selection = selection.into_selection()?;
        let me = self.reload()?;
        let (_, shape) = me.resolve(&selection)?;
        if out.shape() != shape.as_slice() {
            return Err(Error::Invalid(format!(
                "dataset {}: the selection has shape {shape:?} but the output view has {:?}",
                self.path,
                out.shape()
            )));
        }
        match out.as_slice_mut() {
            Some(flat) => me.read_slice_into_now(&selection, flat).map(drop),
            None => {
                let a = me.read_slice_now::<T>(&selection)?;
                out.iter_mut().zip(a.iter()).for_each(|(o, v)| *o = *v);
                Ok(())
            }
        }
    }

    fn read_slice_now<T: H5Type>(&self, selection: &Selection) -> Result<ArrayD<T>> {
        let (sel, shape) = self.resolve(selection)?;
        let n = hyperslab::selected_count(&sel)?;
        let bytes = (n as u64).saturating_mul(u64::from(self.datatype.size));
        self.file.check_read(bytes, &self.path)?;
        let mut sink = convert::TypedSink::<T>::new(&self.datatype, n)?;
        self.read_into(&sel, &mut sink)?;
        ArrayD::from_shape_vec(shape, sink.into_vec())
            .map_err(|e| Error::Invalid(format!("{}: {e}", self.path)))
    }

    /// A scalar dataset's value (or a one-element dataset's).
    pub fn read_scalar<T: H5Type>(&self) -> Result<T> {
        let a = self.read::<T>()?;
        match a.as_slice() {
            Some([one]) => Ok(*one),
            _ => Err(Error::Type(format!(
                "dataset {} holds {} values, not one",
                self.path,
                a.len()
            ))),
        }
    }

    /// The whole dataset decoded dynamically (any datatype).
    pub fn read_dyn(&self) -> Result<DynArray> {
        self.read_dyn_slice(Selection::all())
    }

    /// A selection decoded dynamically.
    pub fn read_dyn_slice(&self, selection: impl super::IntoSelection) -> Result<DynArray> {
        let selection = &selection.into_selection()?;
        if self.is_null() {
            return Ok(DynArray {
                dtype: self.datatype.clone(),
                shape: None,
                elements: Vec::new(),
            });
        }
        let (shape, raw) = self.read_raw(selection)?;
        let snap = self.file.snapshot()?;
        let mut heap = self.file.vlen_reader(&snap);
        let elements = value::decode_elements(&self.datatype, &raw, &mut heap)?;
        Ok(DynArray {
            dtype: self.datatype.clone(),
            shape: Some(shape.iter().map(|&d| d as u64).collect()),
            elements,
        })
    }

    /// Every element as a string (string datatypes only).
    pub fn read_strings(&self) -> Result<Vec<String>> {
        self.read_dyn()?.into_strings()
    }
}
