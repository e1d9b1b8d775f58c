//! Dense storage of links (Link Info message) and attributes (Attribute Info message): the
//! messages live in a fractal heap, indexed by name hash (v2 B-tree types 5 and 8) and,
//! optionally, creation order (types 6 and 9).

use crate::error::Result;
use crate::io::FileImage;
use crate::messages::attribute::AttributeMessage;
use crate::messages::attribute_info::AttributeInfo;
use crate::messages::link::Link;
use crate::messages::link_info::LinkInfo;

/// All links of a dense group (unordered; callers sort by name or creation order).
pub fn dense_links(img: &FileImage<'_>, info: &LinkInfo) -> Result<Vec<Link>> {
    let _ = (img, info);
    Err(crate::error::Error::Unsupported(
        "dense links not implemented yet".into(),
    ))
}

/// All attributes in dense storage, each with its creation order.
pub fn dense_attributes(
    img: &FileImage<'_>,
    info: &AttributeInfo,
) -> Result<Vec<(u32, AttributeMessage)>> {
    let _ = (img, info);
    Err(crate::error::Error::Unsupported(
        "dense attributes not implemented yet".into(),
    ))
}
