//! The high-level API: [`File`], [`Group`], [`Dataset`], [`Attribute`], typed reads into
//! `ndarray` arrays ([`H5Type`]) and dynamic reads ([`Element`], [`DynArray`]).
//!
//! Handles are cheap to clone: they share the open file. Lookup by path follows hard and
//! soft links; external links are reported ([`LinkTarget::External`]) but not followed.

mod attribute;
mod builder;
mod convert;
mod dataset;
mod file;
mod group;
mod node;
mod read;
mod select;
mod selection;
mod soft_float;
mod value;
mod values;
mod virtual_builder;
mod virtual_dataset;
mod write;

pub use crate::dataspace::selection::{RegularDim, Selection as SpaceSelection};
pub use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
pub use crate::datatype::{
    ByteOrder, CharacterSet, Datatype, Normalization, ReferenceKind, StringPadding, TypeClass,
};
pub use crate::heap::vds_block::Mapping as VirtualMapping;
pub use crate::messages::external::{ExternalFiles, Segment};
pub use crate::messages::fill_value::FillValue;
pub use crate::messages::filter_pipeline::Filter;
pub use crate::messages::link::{Link, LinkTarget};
pub use attribute::Attribute;
pub use builder::{BitshuffleMode, DatasetBuilder, Storage};
pub use convert::{H5Type, Plan};
pub use dataset::{Dataset, LayoutKind};
pub use file::{File, Mode, DEFAULT_READ_LIMIT};
pub use group::Group;
pub use node::{NamedDatatype, Node};
pub use select::{IntoSelection, IntoSliceArg};
pub use selection::{Selection, SliceArg};
pub use soft_float::FloatLayout;
pub use value::{
    decode_element, decode_number, describe, numpy_str, DynArray, Element, RegionRef, VlenReader,
};
pub use values::{encode_array, encode_numbers, AttrData, H5Write, IntoAttr, Number, Payload};
pub use virtual_builder::{VirtualDatasetBuilder, VirtualSource};
pub use write::GroupBuilder;
