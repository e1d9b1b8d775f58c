//! Attributes: compact (Attribute messages in the object header) and dense (fractal heap
//! indexed by v2 B-trees), read whole into memory.

use std::sync::Arc;

use ndarray::ArrayD;

use crate::dataspace::{Dataspace, SpaceKind};
use crate::datatype::Datatype;
use crate::error::{Error, Result};
use crate::io::Addr;
use crate::links::dense;
use crate::messages::attribute::AttributeMessage;
use crate::messages::attribute_info::AttributeInfo;
use crate::messages::kind;
use crate::object_header::ObjectHeader;

use super::convert::{self, H5Type};
use super::file::FileInner;
use super::value::{self, DynArray};

/// An attribute, its value held in memory in the file's encoding.
#[derive(Clone, Debug)]
pub struct Attribute {
    file: Arc<FileInner>,
    name: String,
    datatype: Datatype,
    dataspace: Dataspace,
    raw: Vec<u8>,
    creation_order: Option<u32>,
}

impl Attribute {
    /// The attribute's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its datatype.
    pub fn dtype(&self) -> &Datatype {
        &self.datatype
    }

    /// Its dataspace.
    pub fn dataspace(&self) -> &Dataspace {
        &self.dataspace
    }

    /// Its shape (`[]` for scalar and null dataspaces).
    pub fn shape(&self) -> &[u64] {
        &self.dataspace.dims
    }

    /// Whether the dataspace is null (h5py's `Empty`): there is no value.
    pub fn is_empty_value(&self) -> bool {
        self.dataspace.kind == SpaceKind::Null
    }

    /// Creation order, when the object tracks it.
    pub fn creation_order(&self) -> Option<u32> {
        self.creation_order
    }

    /// The raw element bytes in the file's encoding.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    fn shape_usize(&self) -> Result<Vec<usize>> {
        self.dataspace
            .dims
            .iter()
            .map(|&d| {
                usize::try_from(d).map_err(|_| Error::LimitExceeded(format!("dimension {d}")))
            })
            .collect()
    }

    /// The whole value as an array of `T`, converting numbers as h5py would.
    pub fn read<T: H5Type>(&self) -> Result<ArrayD<T>> {
        if self.is_empty_value() {
            return Err(Error::Type(format!(
                "attribute {} has no value (null dataspace)",
                self.name
            )));
        }
        let values = convert::decode_all::<T>(&self.datatype, &self.raw)?;
        ArrayD::from_shape_vec(self.shape_usize()?, values)
            .map_err(|e| Error::Invalid(format!("attribute {}: {e}", self.name)))
    }

    /// A scalar (or one-element) value.
    pub fn read_scalar<T: H5Type>(&self) -> Result<T> {
        let values = convert::decode_all::<T>(&self.datatype, &self.raw)?;
        match values.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::Type(format!(
                "attribute {} holds {} values, not one",
                self.name,
                values.len()
            ))),
        }
    }

    /// The value decoded dynamically, for any datatype.
    pub fn read_dyn(&self) -> Result<DynArray> {
        let snap = self.file.snapshot()?;
        let mut heap = self.file.vlen_reader(&snap);
        value::decode_array(&self.datatype, &self.dataspace, &self.raw, &mut heap)
    }

    /// A string value (variable- or fixed-length string, scalar or one element).
    pub fn read_string(&self) -> Result<String> {
        let mut strings = self.read_strings()?;
        match strings.len() {
            1 => Ok(strings.swap_remove(0)),
            n => Err(Error::Type(format!(
                "attribute {} holds {n} strings, not one",
                self.name
            ))),
        }
    }

    /// Every element as a string (string datatypes only).
    pub fn read_strings(&self) -> Result<Vec<String>> {
        self.read_dyn()?.into_strings()
    }
}

/// Decode every attribute of the object at `addr`, in name order.
pub(crate) fn read_all(file: &Arc<FileInner>, addr: Addr) -> Result<Vec<Attribute>> {
    let mut attrs = read_unsorted(file, addr)?;
    attrs.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(attrs)
}

/// Attributes in creation order (name order for those without one).
pub(crate) fn read_all_in_creation_order(
    file: &Arc<FileInner>,
    addr: Addr,
) -> Result<Vec<Attribute>> {
    let mut attrs = read_all(file, addr)?;
    attrs.sort_by_key(|a| a.creation_order.unwrap_or(u32::MAX));
    Ok(attrs)
}

/// The attribute called `name` of the object at `addr` (reached by `path`). Dense
/// attributes are found through their name index.
pub(crate) fn find(file: &Arc<FileInner>, addr: Addr, name: &str, path: &str) -> Result<Attribute> {
    let missing = || Error::NotFound(format!("attribute {name:?} of {path}"));
    let held = if file.writable() {
        let session = file.session()?;
        crate::writer::attrs::attrs_in_memory(&session, addr)
    } else {
        None
    };
    let snap = file.snapshot()?;
    let img = snap.image();
    let header = ObjectHeader::parse(&img, addr)?;
    let tracked = header.tracks_attribute_order();
    if let Some(held) = held {
        let (order, msg) = held
            .into_iter()
            .find(|(_, m)| m.name == name)
            .ok_or_else(missing)?;
        return build(file, &img, addr, Some(order).filter(|_| tracked), msg);
    }
    for msg in header.all(kind::ATTRIBUTE) {
        let parsed = msg.parse_body(&img, "attribute message", AttributeMessage::parse)?;
        if parsed.name == name {
            let order = msg.creation_order.map(u32::from).filter(|_| tracked);
            return build(file, &img, addr, order, parsed);
        }
    }
    if let Some(msg) = header.find(kind::ATTRIBUTE_INFO) {
        let info = AttributeInfo::parse(&mut msg.cursor(&img, "attribute info message"))?;
        if let Some((order, parsed)) = dense::find_attribute(&img, &info, name)? {
            return build(file, &img, addr, Some(order).filter(|_| tracked), parsed);
        }
    }
    Err(missing())
}

/// An attribute handle from its decoded message.
fn build(
    file: &Arc<FileInner>,
    img: &crate::io::FileImage<'_>,
    addr: Addr,
    creation_order: Option<u32>,
    msg: AttributeMessage,
) -> Result<Attribute> {
    let (datatype, dataspace) = msg.resolved(img)?;
    let count = dataspace
        .element_count()
        .and_then(|n| n.checked_mul(u64::from(datatype.size)))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::LimitExceeded(format!("attribute {} is too large", msg.name)))?;
    let mut raw = msg.data;
    if raw.len() < count {
        return Err(Error::corrupt(
            "attribute message",
            img.absolute(addr),
            format!(
                "attribute {} holds {} bytes of data but needs {count}",
                msg.name,
                raw.len()
            ),
        ));
    }
    raw.truncate(count);
    Ok(Attribute {
        file: file.clone(),
        name: msg.name,
        datatype,
        dataspace,
        raw,
        creation_order,
    })
}

fn read_unsorted(file: &Arc<FileInner>, addr: Addr) -> Result<Vec<Attribute>> {
    let snap = file.snapshot()?;
    let img = snap.image();
    let header = ObjectHeader::parse(&img, addr)?;
    let mut found: Vec<(Option<u32>, AttributeMessage)> = Vec::new();
    for msg in header.all(kind::ATTRIBUTE) {
        let parsed = msg.parse_body(&img, "attribute message", AttributeMessage::parse)?;
        found.push((msg.creation_order.map(u32::from), parsed));
    }
    if let Some(msg) = header.find(kind::ATTRIBUTE_INFO) {
        let info = AttributeInfo::parse(&mut msg.cursor(&img, "attribute info message"))?;
        if info.fractal_heap.is_some() {
            for (order, parsed) in dense::dense_attributes(&img, &info)? {
                found.push((Some(order), parsed));
            }
        }
    }
    if file.writable() {
        let session = file.session()?;
        if let Some(dense) = crate::writer::attrs::attrs_in_memory(&session, addr) {
            found.retain(|(_, m)| !dense.iter().any(|(_, d)| d.name == m.name));
            found.extend(dense.into_iter().map(|(o, m)| (Some(o), m)));
        }
    }
    let tracked = header.tracks_attribute_order();
    found
        .into_iter()
        .map(|(order, msg)| build(file, &img, addr, order.filter(|_| tracked), msg))
        .collect()
}
