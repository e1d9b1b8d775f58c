//! Writing through the high-level handles: groups, links, attributes, datasets.

use ndarray::ArrayD;

use crate::dataspace::{Dataspace, UNLIMITED};
use crate::datatype::Datatype;
use crate::emit::Emit;
use crate::error::{Error, Result};
use crate::hyperslab;
use crate::io::Addr;
use crate::messages::attribute::{AttributeMessage, MaybeShared};
use crate::messages::link::{Link, LinkTarget};
use crate::writer::datasets;
use crate::writer::{attrs, groups};

use super::builder::DatasetBuilder;
use super::dataset::Dataset;
use super::file::FileInner;
use super::group::Group;
use super::node::Node;
use super::selection::Selection;
use super::values::{
    encode_array, encode_numbers, AttrData, H5Write, IntoAttr, NativeElements, Payload,
};

pub(super) fn new_link(name: &str, target: LinkTarget) -> Link {
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
            let items = strings
                .into_iter()
                .map(|s| vlen_item(s.into_bytes()))
                .collect::<Result<Vec<_>>>()?;
            let mut emit = Emit::default();
            let s = &mut *session;
            let encoded = s.vlen.encode_elements(&items, &mut s.space, &mut emit)?;
            s.commit(&file.store, &emit)?;
            encoded
        }
    };
    message_from(file, name, data.datatype, data.dataspace, bytes)
}

/// Check an attribute before anything is written: its name, its element size, and that its
/// elements fill its dataspace (files with `offset`-byte addresses).
fn check_attr(name: &str, data: &AttrData, offset: u8) -> Result<()> {
    groups::check_attr_name(name)?;
    check_element_size(&data.datatype, format_args!("attribute {name:?}"))?;
    let count = element_count(&data.dataspace, name)?;
    let (have, want) = match &data.payload {
        Payload::Bytes(b) => (
            b.len() as u64,
            count.saturating_mul(u64::from(data.datatype.for_offset_size(offset).size)),
        ),
        Payload::Strings(v) => (v.len() as u64, count),
    };
    if have != want {
        return Err(Error::Invalid(format!(
            "attribute {name:?}: {have} {} for {count} elements",
            match data.payload {
                Payload::Bytes(_) => "bytes",
                Payload::Strings(_) => "strings",
            }
        )));
    }
    Ok(())
}

/// The number of elements of an attribute's dataspace, or an error when its dimensions
/// multiply past `u64` (a caller-built dataspace: a file's is checked when parsed).
fn element_count(space: &Dataspace, name: &str) -> Result<u64> {
    space.element_count().ok_or_else(|| {
        Error::Invalid(format!(
            "attribute {name:?}: dimensions {:?} hold more than 2^64 elements",
            space.dims
        ))
    })
}

/// A variable-length string's heap item: its length in the 4-byte count field, and its
/// bytes. A string of 4 GiB or more does not fit the field.
pub(super) fn vlen_item(bytes: Vec<u8>) -> Result<(u32, Vec<u8>)> {
    Ok((vlen_count(bytes.len())?, bytes))
}

/// The 4-byte count field of a variable-length element of `len` bytes.
fn vlen_count(len: usize) -> Result<u32> {
    u32::try_from(len).map_err(|_| {
        Error::LimitExceeded(format!(
            "a variable-length string of {len} bytes does not fit the 4-byte length field"
        ))
    })
}

/// The attribute message of `name` with encoded elements `bytes`.
fn message_from(
    file: &FileInner,
    name: &str,
    datatype: crate::datatype::Datatype,
    dataspace: Dataspace,
    bytes: Vec<u8>,
) -> Result<AttributeMessage> {
    let count = element_count(&dataspace, name)?;
    let datatype = datatype.for_offset_size(file.sizes()?.offset);
    if count.checked_mul(u64::from(datatype.size)) != Some(bytes.len() as u64) {
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
        dataspace: MaybeShared::Inline(dataspace),
        data: bytes,
    })
}

/// Several attributes at once: the strings of all of them go to the global heap in one
/// write, then one header edit ([`attrs::set_attrs`]).
pub(crate) fn set_attrs(file: &FileInner, obj: Addr, list: Vec<(String, AttrData)>) -> Result<()> {
    let msgs = attribute_messages(file, list)?;
    let mut session = file.session()?;
    attrs::set_attrs(&mut session, &file.store, obj, msgs)
}

/// The attribute messages of `list`: names and element sizes checked first, then the
/// strings of all of them written to the global heap in one write.
pub(super) fn attribute_messages(
    file: &FileInner,
    list: Vec<(String, AttrData)>,
) -> Result<Vec<AttributeMessage>> {
    let offset = file.sizes()?.offset;
    for (name, data) in &list {
        check_attr(name, data, offset)?;
    }
    let width = 8 + usize::from(offset);
    let mut items: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut pending = Vec::with_capacity(list.len());
    for (name, data) in list {
        let bytes = match data.payload {
            Payload::Bytes(b) => Ok(b),
            Payload::Strings(strings) => {
                let n = strings.len();
                for s in strings {
                    items.push(vlen_item(s.into_bytes())?);
                }
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
                // `encode_elements` gives `width` bytes per item, and the items are these
                // strings in order, so the range is inside `encoded` and the sum cannot
                // overflow (it is at most `encoded.len()`).
                let end = next + n * width;
                let b = encoded.get(next..end).unwrap_or_default().to_vec();
                next = end;
                b
            }
        };
        msgs.push(message_from(file, &name, datatype, dataspace, bytes)?);
    }
    Ok(msgs)
}

pub(crate) fn set_attr(
    file: &FileInner,
    obj: Addr,
    name: &str,
    value: impl IntoAttr,
) -> Result<()> {
    groups::check_attr_name(name)?;
    let data = value.into_attr()?;
    check_element_size(&data.datatype, format_args!("attribute {name:?}"))?;
    let msg = attribute_message(file, name, data)?;
    let mut session = file.session()?;
    attrs::set_attr(&mut session, &file.store, obj, msg)
}

/// Refuse `u64::MAX` as a size: it is HDF5's "unlimited" marker, only valid in a maximum
/// shape.
pub(super) fn check_dims(dims: &[u64]) -> Result<()> {
    if dims.contains(&UNLIMITED) {
        return Err(Error::LimitExceeded(format!(
            "shape {dims:?}: an axis cannot be {UNLIMITED} long (HDF5's unlimited marker, \
             only valid in a maximum shape)"
        )));
    }
    Ok(())
}

/// Refuse datatypes whose elements have no bytes (nothing can be stored in them).
pub(super) fn check_element_size(datatype: &Datatype, what: std::fmt::Arguments<'_>) -> Result<()> {
    if datatype.size() == 0 {
        return Err(Error::Invalid(format!(
            "{what}: the datatype has elements of size 0"
        )));
    }
    Ok(())
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
        self.new_group(path).track_order(track_order).create()
    }

    /// A builder for a new group at `path` (relative to this group or absolute): creation
    /// order tracking and attributes written with the group's header.
    pub fn new_group(&self, path: &str) -> GroupBuilder {
        GroupBuilder {
            group: self.clone(),
            path: path.to_string(),
            track_order: false,
            attrs: Vec::new(),
        }
    }

    /// Check everything about creating `path` without writing: every component is a
    /// valid name, the existing leading components are groups, the last does not exist.
    /// The returned plan creates the missing intermediate groups.
    pub(super) fn plan_create<'p>(&self, path: &'p str) -> Result<CreatePlan<'p>> {
        let (mut current, rest) = match path.strip_prefix('/') {
            Some(rest) => (self.root_group()?, rest),
            None => (self.clone(), path),
        };
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let Some((&last, dirs)) = parts.split_last() else {
            return Err(Error::Invalid(format!("{path:?} names no new object")));
        };
        for part in &parts {
            groups::check_name(part)?;
        }
        let mut existing = 0;
        for dir in dirs {
            if current.link(dir)?.is_none() {
                break;
            }
            current = current.group(dir)?;
            existing += 1;
        }
        let missing = dirs.get(existing..).unwrap_or_default().to_vec();
        if missing.is_empty() && current.link(last)?.is_some() {
            return Err(Error::Invalid(format!(
                "{} already exists",
                current.child(last)
            )));
        }
        Ok(CreatePlan {
            parent: current,
            missing,
            last,
        })
    }

    /// Add a soft link `name` pointing at `target` (a path).
    pub fn link_soft(&self, name: &str, target: &str) -> Result<()> {
        if target.is_empty() {
            return Err(Error::Invalid(format!(
                "soft link {name:?}: the target path is empty"
            )));
        }
        self.add_link(new_link(name, LinkTarget::Soft(target.to_string())))
    }

    /// Add an external link `name` to `path` in the file `file`.
    pub fn link_external(&self, name: &str, file: &str, path: &str) -> Result<()> {
        if file.is_empty() || path.is_empty() {
            return Err(Error::Invalid(format!(
                "external link {name:?}: the target file name and the target path must not \
                 be empty"
            )));
        }
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
        if !std::sync::Arc::ptr_eq(target.file_inner(), self.file_inner()) {
            return Err(Error::Invalid(format!(
                "hard link {name:?}: {} belongs to another file (hard links stay inside one \
                 file; use an external link)",
                target.path()
            )));
        }
        self.add_link(new_link(name, LinkTarget::Hard(target.addr())))
    }

    fn add_link(&self, link: Link) -> Result<()> {
        groups::check_name(&link.name)?;
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
        // Checked first: a refused call leaves the file unchanged.
        if name.is_empty() || self.link(name)?.is_none() {
            return Err(Error::NotFound(format!(
                "{} has no link named {name:?}",
                self.path()
            )));
        }
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
        DatasetBuilder::new(self.clone(), path)
    }

    /// Create a dataset holding `data` (h5py's `create_dataset(name, data=...)`:
    /// contiguous, the datatype of `T`).
    pub fn write_dataset<T: H5Write>(&self, path: &str, data: &ArrayD<T>) -> Result<Dataset> {
        self.new_dataset(path).write(data)
    }
}

/// Where a new object goes: the deepest existing group, the intermediate groups still to
/// create below it, and the new object's name.
pub(super) struct CreatePlan<'p> {
    pub(super) parent: Group,
    missing: Vec<&'p str>,
    last: &'p str,
}

impl<'p> CreatePlan<'p> {
    /// Create the missing intermediate groups; the group that holds `last`, and `last`.
    pub(super) fn make_dirs(self) -> Result<(Group, &'p str)> {
        let mut current = self.parent;
        for dir in self.missing {
            current = current.create_group(dir)?;
        }
        Ok((current, self.last))
    }

    /// Link the dataset whose header was just written at `addr` (creating the missing
    /// intermediate groups) and open it.
    pub(super) fn link_dataset(self, addr: Addr) -> Result<Dataset> {
        let (parent, name) = self.make_dirs()?;
        let file = parent.file_inner().clone();
        {
            let mut session = file.session()?;
            groups::add_link(
                &mut session,
                &file.store,
                parent.addr(),
                new_link(name, LinkTarget::Hard(addr)),
            )?;
        }
        match Node::open(file, addr, parent.child(name))? {
            Node::Dataset(d) => Ok(d),
            other => Err(Error::Invalid(format!("{} is not a dataset", other.path()))),
        }
    }
}

/// Builder for a new group ([`Group::new_group`]).
#[derive(Clone, Debug)]
#[must_use]
pub struct GroupBuilder {
    group: Group,
    path: String,
    track_order: bool,
    attrs: Vec<(String, AttrData)>,
}

impl GroupBuilder {
    /// h5py's `track_order`: link and attribute creation order tracked and indexed.
    pub fn track_order(mut self, track: bool) -> Self {
        self.track_order = track;
        self
    }

    /// Attributes to give the group, in order (a later one of the same name wins). They
    /// are written with the group's header: one write instead of one per attribute.
    pub fn attrs(mut self, attrs: Vec<(String, AttrData)>) -> Self {
        self.attrs.extend(attrs);
        self
    }

    /// One attribute to give the group (see [`GroupBuilder::attrs`]).
    pub fn attr(self, name: &str, value: impl IntoAttr) -> Result<Self> {
        Ok(self.attrs(vec![(name.to_string(), value.into_attr()?)]))
    }

    /// Create the group, creating missing intermediate groups as h5py does. The last
    /// component of the path must not exist yet. Everything is checked before the first
    /// write: a refused creation leaves the file unchanged.
    pub fn create(self) -> Result<Group> {
        let plan = self.group.plan_create(&self.path)?;
        let file = plan.parent.file_inner().clone();
        // Checked first (then only I/O can fail): a refused creation changes nothing.
        let msgs = attribute_messages(&file, self.attrs)?;
        let (parent, name) = plan.make_dirs()?;
        let addr = {
            let mut session = file.session()?;
            let addr = groups::create_group(&mut session, &file.store, self.track_order, msgs)?;
            groups::add_link(
                &mut session,
                &file.store,
                parent.addr(),
                new_link(name, LinkTarget::Hard(addr)),
            )?;
            addr
        };
        Group::created(file, addr, parent.child(name), self.track_order)
    }
}

impl Dataset {
    fn resolve_for_write(
        &self,
        selection: impl super::IntoSelection,
    ) -> Result<(Vec<hyperslab::AxisSel>, Vec<usize>)> {
        self.reload()?.resolve_current(&selection.into_selection()?)
    }

    /// Resolve `selection` against this handle's shape (current when the handle was just
    /// made or reloaded): the axes and the shape of the kept ones.
    fn resolve_current(
        &self,
        selection: &Selection,
    ) -> Result<(Vec<hyperslab::AxisSel>, Vec<usize>)> {
        if self.is_null() {
            return Err(Error::Invalid(format!(
                "{} has no data (null dataspace)",
                self.path()
            )));
        }
        let sel = selection.resolve(&self.shape())?;
        let shape = sel
            .iter()
            .filter(|a| a.keep)
            .map(|a| a.count as usize)
            .collect();
        Ok((sel, shape))
    }

    /// Write raw element bytes (the dataset's encoding, selection order).
    pub fn write_raw(&self, selection: impl super::IntoSelection, bytes: &[u8]) -> Result<()> {
        let (sel, _) = self.resolve_for_write(selection)?;
        let file = self.file_inner();
        let mut session = file.session()?;
        datasets::write_selection(&mut session, &file.store, self.addr(), &sel, bytes)
    }

    /// Write the whole dataset.
    pub fn write<T: H5Write>(&self, data: &ArrayD<T>) -> Result<()> {
        self.write_slice(Selection::all(), data)
    }

    /// Write `data` into a selection (a [`Selection`], ranges and indices, or ndarray's
    /// `s![..]`: see [`IntoSelection`](super::IntoSelection)); its shape must equal the
    /// selection's (dropped axes removed), or `data` may be a single value written
    /// everywhere.
    pub fn write_slice<T: H5Write>(
        &self,
        selection: impl super::IntoSelection,
        data: &ArrayD<T>,
    ) -> Result<()> {
        let (sel, shape) = self.resolve_for_write(selection)?;
        self.write_resolved(&sel, &shape, data)
    }

    /// Write all of a dataset whose handle was just made (its shape is current: no need to
    /// read the header again to resolve the selection).
    pub(super) fn write_new<T: H5Write>(&self, data: &ArrayD<T>) -> Result<()> {
        let (sel, shape) = self.resolve_current(&Selection::all())?;
        self.write_resolved(&sel, &shape, data)
    }

    /// [`Dataset::write_slice`] of a resolved selection whose kept axes have `shape`.
    fn write_resolved<T: H5Write>(
        &self,
        sel: &[hyperslab::AxisSel],
        shape: &[usize],
        data: &ArrayD<T>,
    ) -> Result<()> {
        let n = hyperslab::selected_count(sel)?;
        let dtype = self.dtype().clone();
        if T::NATIVE && data.shape() == shape && dtype == T::datatype() {
            if let Some(values) = data.as_slice() {
                // Encoded chunk by chunk straight from the caller's array.
                let file = self.file_inner();
                let mut session = file.session()?;
                return datasets::write_selection_from(
                    &mut session,
                    &file.store,
                    self.addr(),
                    sel,
                    &NativeElements(values),
                );
            }
        }
        let bytes = if data.shape() == shape {
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
        datasets::write_selection(&mut session, &file.store, self.addr(), sel, &bytes)
    }

    /// Write strings into a selection of a string dataset.
    pub fn write_strings(
        &self,
        selection: impl super::IntoSelection,
        values: &[String],
    ) -> Result<()> {
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
                let items = values
                    .iter()
                    .map(|s| vlen_item(s.as_bytes().to_vec()))
                    .collect::<Result<Vec<_>>>()?;
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
        check_dims(shape)?;
        let file = self.file_inner();
        let mut session = file.session()?;
        datasets::resize(&mut session, &file.store, self.addr(), shape)
    }

    /// Append `data` along axis 0: the dataset grows by `data.shape()[0]` and only the new
    /// elements are written (full chunks already stored are not rewritten).
    pub fn append<T: H5Write>(&self, data: &ArrayD<T>) -> Result<()> {
        let current = self.reload()?;
        if current.is_null() {
            return Err(Error::Invalid(format!(
                "{} has no data (null dataspace): nothing to append to",
                self.path()
            )));
        }
        let shape = current.shape().to_vec();
        if shape.is_empty() {
            return Err(Error::Invalid(format!(
                "{} is scalar (0-d): nothing to append to",
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
        // The elements must convert to the dataset's type: checked before the dataset
        // grows, so that a refused call leaves the file unchanged.
        if !(T::NATIVE && *current.dtype() == T::datatype()) {
            encode_numbers(current.dtype(), data.iter().take(1).map(|v| v.number()))?;
        }
        let add = data.shape().first().copied().unwrap_or(0) as u64;
        if add == 0 {
            return Ok(());
        }
        let old = shape.first().copied().unwrap_or(0);
        // The new extent must fit both a dimension and the selection's `i64` bounds; the
        // check comes before the dataset grows, so a refused call changes nothing.
        let new = old
            .checked_add(add)
            .and_then(|n| i64::try_from(n).ok().map(|i| (n, i)));
        let (Some((new, new_i)), Ok(old_i)) = (new, i64::try_from(old)) else {
            return Err(Error::LimitExceeded(format!(
                "{}: appending {add} rows to {old} would pass 2^63 - 1 rows",
                self.path()
            )));
        };
        let mut grown = shape.clone();
        if let Some(first) = grown.first_mut() {
            *first = new;
        }
        self.resize(&grown)?;
        let sel = Selection::new([super::selection::SliceArg::range(old_i, new_i)]);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A string's length goes in a 4-byte count; 4 GiB or more is an error, not truncated.
    #[test]
    fn vlen_count_refuses_what_does_not_fit_four_bytes() {
        assert_eq!(vlen_count(0).ok(), Some(0));
        assert_eq!(vlen_count(u32::MAX as usize).ok(), Some(u32::MAX));
        // Past 4 GiB only where a length can be (64-bit targets; wasm32's usize is 4 bytes).
        if let Some(past) = (u32::MAX as usize).checked_add(1) {
            let e = vlen_count(past).map_err(|e| e.to_string());
            assert!(matches!(&e, Err(m) if m.contains("4-byte")), "{e:?}");
        }
    }
}

#[cfg(test)]
mod shape_tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use crate::api::file::File;
    use ndarray::{ArrayD, IxDyn};

    /// A handle describes the dataset as it is now: after appends and resizes through it,
    /// through another handle, and after a flush (which rewrites the header).
    #[test]
    fn a_handle_never_reports_a_stale_shape() {
        let dir = std::env::temp_dir().join(format!("jangada-shape-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = File::create_truncate(dir.join("grow.h5")).unwrap();
        let rows = |n: usize, base: i32| {
            ArrayD::from_shape_fn(IxDyn(&[n, 3]), |i| base + (i[0] * 3 + i[1]) as i32)
        };
        let ds = f
            .root()
            .unwrap()
            .new_dataset("t")
            .chunks(&[4, 3])
            .maxshape(&[None, Some(3)])
            .write(&rows(2, 0))
            .unwrap();
        let other = f.dataset("t").unwrap();
        for k in 1..=5u64 {
            ds.append(&rows(k as usize, 100)).unwrap();
            let n = 2 + k * (k + 1) / 2;
            assert_eq!(ds.shape(), vec![n, 3], "after append {k}");
            assert_eq!(other.shape(), vec![n, 3], "other handle, after append {k}");
            assert_eq!(ds.size(), n * 3);
            assert_eq!(ds.dataspace().dims, vec![n, 3]);
            assert_eq!(ds.read::<i32>().unwrap().shape(), &[n as usize, 3]);
        }
        assert_eq!(ds.maxshape(), vec![None, Some(3)]);
        f.flush().unwrap();
        assert_eq!(ds.shape(), vec![17, 3]);
        ds.resize(&[4, 3]).unwrap();
        assert_eq!((ds.shape(), other.size()), (vec![4, 3], 12));
        f.flush().unwrap();
        assert_eq!(other.shape(), vec![4, 3]);
        drop((ds, other));
        f.close().unwrap();
        let again = File::open(dir.join("grow.h5")).unwrap();
        assert_eq!(again.dataset("t").unwrap().shape(), vec![4, 3]);
    }
}
