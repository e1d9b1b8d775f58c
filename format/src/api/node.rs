//! What a link points at: a group, a dataset or a committed datatype, told apart by the
//! messages in its object header.

use std::sync::Arc;

use crate::datatype::{parse_datatype, Datatype};
use crate::error::{Error, Result};
use crate::io::{Addr, FileImage};
use crate::messages::kind;
use crate::object_header::{ObjectHeader, RawMessage};

use super::attribute::{self, Attribute};
use super::dataset::Dataset;
use super::file::FileInner;
use super::group::Group;

/// An object in the file.
#[derive(Clone, Debug)]
pub enum Node {
    /// A group.
    Group(Group),
    /// A dataset.
    Dataset(Dataset),
    /// A committed (named) datatype.
    Datatype(NamedDatatype),
}

impl Node {
    /// Open the object whose header is at `addr`; `path` is how it was reached.
    pub(crate) fn open(file: Arc<FileInner>, addr: Addr, path: String) -> Result<Node> {
        let snap = file.snapshot()?;
        let img = snap.image();
        let header = ObjectHeader::parse(&img, addr)?;
        let has = |k| header.find(k).is_some();
        if has(kind::LAYOUT) {
            Ok(Node::Dataset(Dataset::from_header(
                file.clone(),
                &header,
                path,
            )?))
        } else if has(kind::SYMBOL_TABLE)
            || has(kind::LINK_INFO)
            || has(kind::LINK)
            || has(kind::GROUP_INFO)
        {
            Ok(Node::Group(Group::from_header(
                file.clone(),
                &header,
                path,
            )?))
        } else if let Some(msg) = header.find(kind::DATATYPE) {
            let datatype = decode_datatype(&img, msg)?;
            Ok(Node::Datatype(NamedDatatype {
                file: file.clone(),
                addr,
                path,
                datatype,
            }))
        } else {
            Err(Error::Unsupported(format!(
                "object at {path} (header {addr}) is neither a group, a dataset nor a datatype"
            )))
        }
    }

    /// The path the object was reached by.
    pub fn path(&self) -> &str {
        match self {
            Node::Group(g) => g.path(),
            Node::Dataset(d) => d.path(),
            Node::Datatype(t) => &t.path,
        }
    }

    /// Address of the object header (identifies the object).
    pub fn addr(&self) -> Addr {
        match self {
            Node::Group(g) => g.addr(),
            Node::Dataset(d) => d.addr(),
            Node::Datatype(t) => t.addr,
        }
    }

    /// The open file the object belongs to.
    pub(crate) fn file_inner(&self) -> &Arc<FileInner> {
        match self {
            Node::Group(g) => g.file_inner(),
            Node::Dataset(d) => d.file_inner(),
            Node::Datatype(t) => &t.file,
        }
    }

    /// The object's attributes, in name order.
    pub fn attrs(&self) -> Result<Vec<Attribute>> {
        match self {
            Node::Group(g) => g.attrs(),
            Node::Dataset(d) => d.attrs(),
            Node::Datatype(t) => t.attrs(),
        }
    }
}

/// A committed datatype stored as an object of its own.
#[derive(Clone, Debug)]
pub struct NamedDatatype {
    file: Arc<FileInner>,
    addr: Addr,
    path: String,
    datatype: Datatype,
}

impl NamedDatatype {
    /// The datatype.
    pub fn datatype(&self) -> &Datatype {
        &self.datatype
    }

    /// The path it was reached by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Its attributes, in name order.
    pub fn attrs(&self) -> Result<Vec<Attribute>> {
        attribute::read_all(&self.file, self.addr)
    }
}

/// Decode a datatype message, following it to a committed datatype or the SOHM heap when
/// shared.
pub(crate) fn decode_datatype(img: &FileImage<'_>, msg: &RawMessage<'_>) -> Result<Datatype> {
    msg.parse_body(img, "datatype message", parse_datatype)
}
