//! Writing through the high-level handles: groups, links, attributes, datasets.

use ndarray::ArrayD;

use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use crate::datatype::Datatype;
use crate::error::{Error, Result};
use crate::hyperslab;
use crate::io::Addr;
use crate::messages::attribute::{AttributeMessage, MaybeShared};
use crate::messages::filter_pipeline::{id, Filter, FilterPipeline};
use crate::messages::link::{Link, LinkTarget};
use crate::writer::datasets::{self, DatasetSpec, StorageChoice};
use crate::writer::{attrs, chunking, groups, Emit};

use super::dataset::Dataset;
use super::file::FileInner;
use super::group::Group;
use super::node::Node;
use super::selection::Selection;
use super::values::{
    encode_array, encode_numbers, AttrData, H5Write, IntoAttr, NativeElements, Payload,
};

fn new_link(name: &str, target: LinkTarget) -> Link {
    Link {
        name: name.to_string(),
        charset: if name.is_ascii() {
            crate::datatype::CharacterSet::Ascii
        } else {
            crate::datatype::CharacterSet::Utf8
        },
        creation_order: None,
        target,
    }
}

/// Encode attribute data into an attribute message (strings go to the global heap).
fn attribute_message(file: &FileInner, name: &str, data: AttrData) -> Result<AttributeMessage> {
    let bytes = match data.payload {
        Payload::Bytes(b) => b,
        Payload::Strings(strings) => {
            let mut session = file.session()?;
            let items: Vec<(u32, Vec<u8>)> = strings
                .into_iter()
                .map(|s| {
                    let b = s.into_bytes();
                    (b.len() as u32, b)
                })
                .collect();
            let mut emit = Emit::default();
            let s = &mut *session;
            let encoded = s.vlen.encode_elements(&items, &mut s.space, &mut emit)?;
            s.commit(&file.store, &emit)?;
            encoded
        }
    };
    message_from(file, name, data.datatype, data.dataspace, bytes)
}

/// The attribute message of `name` with encoded elements `bytes`.
fn message_from(
    file: &FileInner,
    name: &str,
    datatype: crate::datatype::Datatype,
    dataspace: Dataspace,
    bytes: Vec<u8>,
) -> Result<AttributeMessage> {
    let count = dataspace.element_count().unwrap_or(0);
    let datatype = datatype.for_offset_size(file.sizes()?.offset);
    if bytes.len() as u64 != count * u64::from(datatype.size) {
        return Err(Error::Invalid(format!(
            "attribute {name:?}: {} bytes for {count} elements of {} bytes",
            bytes.len(),
            datatype.size
        )));
    }
    Ok(AttributeMessage {
        name: name.to_string(),
        name_charset: if name.is_ascii() {
            crate::datatype::CharacterSet::Ascii
        } else {
            crate::datatype::CharacterSet::Utf8
        },
        datatype: MaybeShared::Inline(datatype),
        dataspace,
        data: bytes,
    })
}

/// Several attributes at once: the strings of all of them go to the global heap in one
/// write, then one header edit ([`attrs::set_attrs`]).
pub(crate) fn set_attrs(file: &FileInner, obj: Addr, list: Vec<(String, AttrData)>) -> Result<()> {
    for (name, _) in &list {
        groups::check_attr_name(name)?;
    }
    let width = 8 + usize::from(file.sizes()?.offset);
    let mut items: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut pending = Vec::with_capacity(list.len());
    for (name, data) in list {
        let bytes = match data.payload {
            Payload::Bytes(b) => Ok(b),
            Payload::Strings(strings) => {
                let n = strings.len();
                items.extend(strings.into_iter().map(|s| {
                    let b = s.into_bytes();
                    (b.len() as u32, b)
                }));
                Err(n)
            }
        };
        pending.push((name, data.datatype, data.dataspace, bytes));
    }
    let mut encoded = Vec::new();
    if !items.is_empty() {
        let mut session = file.session()?;
        let mut emit = Emit::default();
        let s = &mut *session;
        encoded = s.vlen.encode_elements(&items, &mut s.space, &mut emit)?;
        s.commit(&file.store, &emit)?;
    }
    let mut next = 0usize;
    let mut msgs = Vec::with_capacity(pending.len());
    for (name, datatype, dataspace, bytes) in pending {
        let bytes = match bytes {
            Ok(b) => b,
            Err(n) => {
                let end = next + n * width;
                let b = encoded.get(next..end).unwrap_or_default().to_vec();
                next = end;
                b
            }
        };
        msgs.push(message_from(file, &name, datatype, dataspace, bytes)?);
    }
    let mut session = file.session()?;
    attrs::set_attrs(&mut session, &file.store, obj, msgs)
}

pub(crate) fn set_attr(
    file: &FileInner,
    obj: Addr,
    name: &str,
    value: impl IntoAttr,
) -> Result<()> {
    groups::check_attr_name(name)?;
    let data = value.into_attr()?;
    let msg = attribute_message(file, name, data)?;
    let mut session = file.session()?;
    attrs::set_attr(&mut session, &file.store, obj, msg)
}

pub(crate) fn delete_attr(file: &FileInner, obj: Addr, name: &str) -> Result<()> {
    let mut session = file.session()?;
    attrs::delete_attr(&mut session, &file.store, obj, name)
}

impl Group {
    /// Create a group at `path` (relative to this group or absolute), creating missing
    /// intermediate groups as h5py does. The last component must not exist yet.
    pub fn create_group(&self, path: &str) -> Result<Group> {
        self.create_group_with(path, false)
    }

    /// [`Group::create_group`] with h5py's `track_order`: link and attribute creation order
    /// tracked and indexed, members iterate in creation order.
    pub fn create_group_with(&self, path: &str, track_order: bool) -> Result<Group> {
        let (parent, name) = self.parent_for_create(path)?;
        let file = parent.file_inner();
        {
            let mut session = file.session()?;
            let addr = groups::create_group(&mut session, &file.store, track_order)?;
            groups::add_link(
                &mut session,
                &file.store,
                parent.addr(),
                new_link(name, LinkTarget::Hard(addr)),
            )?;
        }
        parent.group(name)
    }

    /// The group that will hold the last component of `path` (creating intermediate
    /// groups), and that component.
    fn parent_for_create<'p>(&self, path: &'p str) -> Result<(Group, &'p str)> {
        let (mut current, rest) = match path.strip_prefix('/') {
            Some(rest) => (self.root_group()?, rest),
            None => (self.clone(), path),
        };
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let Some((last, dirs)) = parts.split_last() else {
            return Err(Error::Invalid(format!("{path:?} names no new object")));
        };
        for dir in dirs {
            groups::check_name(dir)?;
            current = match current.link(dir)? {
                Some(_) => current.group(dir)?,
                None => current.create_group(dir)?,
            };
        }
        groups::check_name(last)?;
        if current.link(last)?.is_some() {
            return Err(Error::Invalid(format!(
                "{} already exists",
                current.child(last)
            )));
        }
        Ok((current, last))
    }

    /// Add a soft link `name` pointing at `target` (a path).
    pub fn link_soft(&self, name: &str, target: &str) -> Result<()> {
        self.add_link(new_link(name, LinkTarget::Soft(target.to_string())))
    }

    /// Add an external link `name` to `path` in the file `file`.
    pub fn link_external(&self, name: &str, file: &str, path: &str) -> Result<()> {
        self.add_link(new_link(
            name,
            LinkTarget::External {
                file: file.to_string(),
                path: path.to_string(),
            },
        ))
    }

    /// Add a hard link `name` to an existing object.
    pub fn link_hard(&self, name: &str, target: &Node) -> Result<()> {
        self.add_link(new_link(name, LinkTarget::Hard(target.addr())))
    }

    fn add_link(&self, link: Link) -> Result<()> {
        if self.link(&link.name)?.is_some() {
            return Err(Error::Invalid(format!(
                "{} already exists",
                self.child(&link.name)
            )));
        }
        let file = self.file_inner();
        let mut session = file.session()?;
        groups::add_link(&mut session, &file.store, self.addr(), link)
    }

    /// Remove the link `name` (the object stays if other links point at it).
    pub fn unlink(&self, name: &str) -> Result<()> {
        let file = self.file_inner();
        let mut session = file.session()?;
        groups::remove_link(&mut session, &file.store, self.addr(), name)
    }

    /// Create or overwrite the attribute `name`.
    pub fn set_attr(&self, name: &str, value: impl IntoAttr) -> Result<()> {
        set_attr(self.file_inner(), self.addr(), name, value)
    }

    /// Create or overwrite several attributes, in order: the same result as one `set_attr`
    /// per attribute, with one edit of the object's header (and one write of their
    /// strings) instead of one per attribute.
    pub fn set_attrs(&self, attrs: Vec<(String, AttrData)>) -> Result<()> {
        set_attrs(self.file_inner(), self.addr(), attrs)
    }

    /// Delete the attribute `name`.
    pub fn delete_attr(&self, name: &str) -> Result<()> {
        delete_attr(self.file_inner(), self.addr(), name)
    }

    /// Start creating a dataset called `path` in this group.
    pub fn new_dataset(&self, path: &str) -> DatasetBuilder {
        DatasetBuilder {
            group: self.clone(),
            path: path.to_string(),
            datatype: None,
            shape: None,
            maxshape: None,
            chunks: None,
            storage: None,
            filters: Vec::new(),
            fill: None,
            track_order: false,
        }
    }

    /// Create a dataset holding `data` (h5py's `create_dataset(name, data=...)`:
    /// contiguous, the datatype of `T`).
    pub fn write_dataset<T: H5Write>(&self, path: &str, data: &ArrayD<T>) -> Result<Dataset> {
        self.new_dataset(path).write(data)
    }
}

/// How a new dataset is laid out (defaults follow h5py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Data in the object header (small datasets only).
    Compact,
    /// One contiguous block.
    Contiguous,
    /// Chunked (chunk shape given or guessed).
    Chunked,
}

/// Builder for a new dataset, with h5py's defaults: contiguous unless chunks, a maximum
/// shape or a filter is asked for; the chunk shape guessed as h5py does when not given.
#[derive(Clone, Debug)]
#[must_use]
pub struct DatasetBuilder {
    group: Group,
    path: String,
    datatype: Option<Datatype>,
    shape: Option<Option<Vec<u64>>>,
    maxshape: Option<Vec<Option<u64>>>,
    chunks: Option<Vec<u64>>,
    storage: Option<Storage>,
    filters: Vec<Filter>,
    fill: Option<Vec<u8>>,
    track_order: bool,
}

impl DatasetBuilder {
    /// The element datatype.
    pub fn dtype(mut self, datatype: Datatype) -> Self {
        self.datatype = Some(datatype);
        self
    }

    /// The element datatype of a Rust type.
    pub fn dtype_of<T: H5Write>(self) -> Self {
        self.dtype(T::datatype())
    }

    /// The shape (`&[]` for a scalar dataset).
    pub fn shape(mut self, shape: &[u64]) -> Self {
        self.shape = Some(Some(shape.to_vec()));
        self
    }

    /// No data at all (a null dataspace, h5py's `Empty`).
    pub fn empty(mut self) -> Self {
        self.shape = Some(None);
        self
    }

    /// The maximum shape; `None` is an unlimited axis. Implies chunked storage.
    pub fn maxshape(mut self, maxshape: &[Option<u64>]) -> Self {
        self.maxshape = Some(maxshape.to_vec());
        self
    }

    /// The chunk shape. Implies chunked storage.
    pub fn chunks(mut self, chunks: &[u64]) -> Self {
        self.chunks = Some(chunks.to_vec());
        self
    }

    /// The storage layout.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Deflate (gzip) at `level` 0-9. Implies chunked storage.
    pub fn deflate(mut self, level: u32) -> Self {
        self.filters.retain(|f| f.id != id::DEFLATE);
        // libhdf5 marks deflate and shuffle optional (a chunk they cannot shrink may be
        // stored as is); Fletcher-32 is mandatory.
        self.filters.push(Filter {
            id: id::DEFLATE,
            name: None,
            flags: 1,
            client_data: vec![level.min(9)],
        });
        self
    }

    /// Byte shuffle before compression. Implies chunked storage.
    pub fn shuffle(mut self) -> Self {
        self.filters.retain(|f| f.id != id::SHUFFLE);
        self.filters.push(Filter {
            id: id::SHUFFLE,
            name: None,
            flags: 1,
            client_data: Vec::new(),
        });
        self
    }

    /// Fletcher-32 checksums of each chunk. Implies chunked storage.
    pub fn fletcher32(mut self) -> Self {
        self.filters.retain(|f| f.id != id::FLETCHER32);
        self.filters.push(Filter {
            id: id::FLETCHER32,
            name: None,
            flags: 0,
            client_data: Vec::new(),
        });
        self
    }

    /// The fill value for elements never written.
    pub fn fill_value<T: H5Write>(mut self, value: T) -> Result<Self> {
        let dtype = self.datatype.clone().unwrap_or_else(T::datatype);
        self.fill = Some(encode_numbers(&dtype, std::iter::once(value.number()))?);
        Ok(self)
    }

    /// Track attribute creation order (h5py's `track_order=True`).
    pub fn track_order(mut self, track: bool) -> Self {
        self.track_order = track;
        self
    }

    fn spec(&self) -> Result<DatasetSpec> {
        let datatype = self
            .datatype
            .clone()
            .ok_or_else(|| Error::Invalid(format!("dataset {}: no datatype given", self.path)))?;
        let shape = self
            .shape
            .clone()
            .ok_or_else(|| Error::Invalid(format!("dataset {}: no shape given", self.path)))?;
        let dataspace = match &shape {
            None => Dataspace {
                kind: SpaceKind::Null,
                dims: Vec::new(),
                max_dims: None,
            },
            Some(dims) if dims.is_empty() => Dataspace::scalar(),
            Some(dims) => {
                // h5py always stores the maximum shape (equal to the shape by default).
                let max_dims = match &self.maxshape {
                    None => Some(dims.clone()),
                    Some(m) => {
                        if m.len() != dims.len() {
                            return Err(Error::Invalid(format!(
                                "maxshape {m:?} has a different rank than shape {dims:?}"
                            )));
                        }
                        let max: Vec<u64> = m.iter().map(|d| d.unwrap_or(UNLIMITED)).collect();
                        for (d, mx) in dims.iter().zip(&max) {
                            if d > mx {
                                return Err(Error::Invalid(format!(
                                    "shape {dims:?} exceeds maxshape {m:?}"
                                )));
                            }
                        }
                        Some(max)
                    }
                };
                Dataspace {
                    kind: SpaceKind::Simple,
                    dims: dims.clone(),
                    max_dims,
                }
            }
        };
        let wants_chunks =
            self.chunks.is_some() || self.maxshape.is_some() || !self.filters.is_empty();
        let storage = match self.storage {
            Some(Storage::Compact) if !wants_chunks => StorageChoice::Compact,
            Some(Storage::Contiguous) if !wants_chunks => StorageChoice::Contiguous,
            Some(Storage::Compact | Storage::Contiguous) => {
                return Err(Error::Invalid(
                    "chunks, maxshape and filters need chunked storage".into(),
                ))
            }
            Some(Storage::Chunked) => {
                StorageChoice::Chunked(self.chunk_shape(&dataspace, &datatype)?)
            }
            None if wants_chunks => {
                StorageChoice::Chunked(self.chunk_shape(&dataspace, &datatype)?)
            }
            None => StorageChoice::Contiguous,
        };
        // Filters in h5py's order: shuffle, deflate, fletcher32 last.
        let mut filters = self.filters.clone();
        filters.sort_by_key(|f| match f.id {
            id::SHUFFLE => 0,
            id::DEFLATE => 1,
            _ => 2,
        });
        Ok(DatasetSpec {
            datatype,
            dataspace,
            storage,
            filters: FilterPipeline { filters },
            fill: self.fill.clone(),
            track_order: self.track_order,
        })
    }

    fn chunk_shape(&self, space: &Dataspace, datatype: &Datatype) -> Result<Vec<u64>> {
        if space.kind != SpaceKind::Simple {
            return Err(Error::Invalid(
                "scalar and empty datasets cannot be chunked".into(),
            ));
        }
        Ok(match &self.chunks {
            Some(c) => c.clone(),
            None => chunking::guess_chunk(&space.dims, u64::from(datatype.size)),
        })
    }

    /// Create the dataset (elements read as the fill value until written).
    pub fn create(self) -> Result<Dataset> {
        let mut spec = self.spec()?;
        let (parent, name) = self.group.parent_for_create(&self.path)?;
        let file = parent.file_inner();
        spec.datatype = spec.datatype.for_offset_size(file.sizes()?.offset);
        {
            let mut session = file.session()?;
            let addr = datasets::create(&mut session, &file.store, &spec)?;
            groups::add_link(
                &mut session,
                &file.store,
                parent.addr(),
                new_link(name, LinkTarget::Hard(addr)),
            )?;
        }
        parent.dataset(name)
    }

    /// Create the dataset with the shape and (unless given) the datatype of `data`, and
    /// write it.
    pub fn write<T: H5Write>(mut self, data: &ArrayD<T>) -> Result<Dataset> {
        if self.datatype.is_none() {
            self.datatype = Some(T::datatype());
        }
        if self.shape.is_none() {
            self.shape = Some(Some(data.shape().iter().map(|&d| d as u64).collect()));
        }
        // Everything that can fail is checked before the dataset is created, so that a
        // refused call leaves the file unchanged.
        self.spec()?;
        match &self.shape {
            Some(Some(shape)) => {
                let same = data.shape().len() == shape.len()
                    && data.shape().iter().zip(shape).all(|(&a, &b)| a as u64 == b);
                if !same && data.len() != 1 {
                    return Err(Error::Invalid(format!(
                        "data of shape {:?} does not match the dataset's shape {shape:?}",
                        data.shape()
                    )));
                }
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "dataset {}: no data can be written to a null dataspace",
                    self.path
                )))
            }
        }
        if let Some(dtype) = &self.datatype {
            encode_numbers(dtype, data.iter().take(1).map(|v| v.number()))?;
        }
        let ds = self.create()?;
        ds.write(data)?;
        Ok(ds)
    }

    /// Create a dataset of variable-length UTF-8 strings.
    pub fn write_strings(mut self, shape: &[u64], values: &[String]) -> Result<Dataset> {
        self.datatype = Some(Datatype::vlen_utf8());
        self.shape = Some(Some(shape.to_vec()));
        // Checked before the dataset is created: a refused call changes nothing.
        self.spec()?;
        let n = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        if n != Some(values.len() as u64) {
            return Err(Error::Invalid(format!(
                "{} strings for a dataset of shape {shape:?}",
                values.len()
            )));
        }
        let ds = self.create()?;
        ds.write_strings(&Selection::all(), values)?;
        Ok(ds)
    }
}

impl Dataset {
    fn resolve_for_write(
        &self,
        selection: &Selection,
    ) -> Result<(Vec<hyperslab::AxisSel>, Vec<usize>)> {
        let current = self.reload()?;
        if current.is_null() {
            return Err(Error::Invalid(format!(
                "{} has no data (null dataspace)",
                self.path()
            )));
        }
        let sel = selection.resolve(current.shape())?;
        let shape = sel
            .iter()
            .filter(|a| a.keep)
            .map(|a| a.count as usize)
            .collect();
        Ok((sel, shape))
    }

    /// Write raw element bytes (the dataset's encoding, selection order).
    pub fn write_raw(&self, selection: &Selection, bytes: &[u8]) -> Result<()> {
        let (sel, _) = self.resolve_for_write(selection)?;
        let file = self.file_inner();
        let mut session = file.session()?;
        datasets::write_selection(&mut session, &file.store, self.addr(), &sel, bytes)
    }

    /// Write the whole dataset.
    pub fn write<T: H5Write>(&self, data: &ArrayD<T>) -> Result<()> {
        self.write_slice(&Selection::all(), data)
    }

    /// Write `data` into a selection; its shape must equal the selection's (dropped axes
    /// removed), or `data` may be a single value written everywhere.
    pub fn write_slice<T: H5Write>(&self, selection: &Selection, data: &ArrayD<T>) -> Result<()> {
        let (sel, shape) = self.resolve_for_write(selection)?;
        let n = hyperslab::selected_count(&sel)?;
        let dtype = self.dtype().clone();
        if T::NATIVE && data.shape() == shape.as_slice() && dtype == T::datatype() {
            if let Some(values) = data.as_slice() {
                // Encoded chunk by chunk straight from the caller's array.
                let file = self.file_inner();
                let mut session = file.session()?;
                return datasets::write_selection_from(
                    &mut session,
                    &file.store,
                    self.addr(),
                    &sel,
                    &NativeElements(values),
                );
            }
        }
        let bytes = if data.shape() == shape.as_slice() {
            encode_array(&dtype, data)?
        } else if data.len() == 1 {
            let one = encode_numbers(&dtype, data.iter().map(|v| v.number()))?;
            one.repeat(n)
        } else {
            return Err(Error::Invalid(format!(
                "data of shape {:?} does not match the selection's shape {shape:?}",
                data.shape()
            )));
        };
        let file = self.file_inner();
        let mut session = file.session()?;
        datasets::write_selection(&mut session, &file.store, self.addr(), &sel, &bytes)
    }

    /// Write strings into a selection of a string dataset.
    pub fn write_strings(&self, selection: &Selection, values: &[String]) -> Result<()> {
        let (sel, _) = self.resolve_for_write(selection)?;
        let n = hyperslab::selected_count(&sel)?;
        if values.len() != n {
            return Err(Error::Invalid(format!(
                "{} strings for {n} selected elements",
                values.len()
            )));
        }
        let file = self.file_inner();
        let mut session = file.session()?;
        let bytes = match &self.dtype().class {
            crate::datatype::TypeClass::VarLenString { .. } => {
                let items: Vec<(u32, Vec<u8>)> = values
                    .iter()
                    .map(|s| (s.len() as u32, s.as_bytes().to_vec()))
                    .collect();
                let mut emit = Emit::default();
                let s = &mut *session;
                let b = s.vlen.encode_elements(&items, &mut s.space, &mut emit)?;
                s.commit(&file.store, &emit)?;
                b
            }
            crate::datatype::TypeClass::String { .. } => {
                let len = self.dtype().size();
                let mut b = Vec::with_capacity(n * len);
                for v in values {
                    if v.len() > len {
                        return Err(Error::Invalid(format!("{v:?} is longer than {len} bytes")));
                    }
                    b.extend_from_slice(v.as_bytes());
                    b.resize(b.len() + len - v.len(), 0);
                }
                b
            }
            _ => {
                return Err(Error::Type(format!(
                    "{} is not a string dataset",
                    self.path()
                )))
            }
        };
        datasets::write_selection(&mut session, &file.store, self.addr(), &sel, &bytes)
    }

    /// Change the shape (chunked datasets; any axis within the maximum shape). Shrinking
    /// discards the data outside; growing shows the fill value.
    pub fn resize(&self, shape: &[u64]) -> Result<()> {
        let file = self.file_inner();
        let mut session = file.session()?;
        datasets::resize(&mut session, &file.store, self.addr(), shape)
    }

    /// Append `data` along axis 0: the dataset grows by `data.shape()[0]` and only the new
    /// elements are written (full chunks already stored are not rewritten).
    pub fn append<T: H5Write>(&self, data: &ArrayD<T>) -> Result<()> {
        let current = self.reload()?;
        let shape = current.shape().to_vec();
        if shape.is_empty() {
            return Err(Error::Invalid(format!(
                "{} is scalar: nothing to append to",
                self.path()
            )));
        }
        if data.ndim() != shape.len()
            || data
                .shape()
                .iter()
                .skip(1)
                .zip(shape.iter().skip(1))
                .any(|(a, &b)| *a as u64 != b)
        {
            return Err(Error::Invalid(format!(
                "cannot append data of shape {:?} to a dataset of shape {shape:?}",
                data.shape()
            )));
        }
        let add = data.shape().first().copied().unwrap_or(0) as u64;
        if add == 0 {
            return Ok(());
        }
        let old = shape.first().copied().unwrap_or(0);
        let mut grown = shape.clone();
        if let Some(first) = grown.first_mut() {
            *first = old + add;
        }
        self.resize(&grown)?;
        let sel = Selection::new([super::selection::SliceArg::range(
            old as i64,
            (old + add) as i64,
        )]);
        self.write_slice(&sel, data)
    }

    /// Create or overwrite the attribute `name`.
    pub fn set_attr(&self, name: &str, value: impl IntoAttr) -> Result<()> {
        set_attr(self.file_inner(), self.addr(), name, value)
    }

    /// Create or overwrite several attributes, in order: the same result as one `set_attr`
    /// per attribute, with one edit of the object's header (and one write of their
    /// strings) instead of one per attribute.
    pub fn set_attrs(&self, attrs: Vec<(String, AttrData)>) -> Result<()> {
        set_attrs(self.file_inner(), self.addr(), attrs)
    }

    /// Delete the attribute `name`.
    pub fn delete_attr(&self, name: &str) -> Result<()> {
        delete_attr(self.file_inner(), self.addr(), name)
    }
}
