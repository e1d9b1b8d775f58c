//! Decoding the Datatype message (spec IV.A.2.d).

use super::Datatype;
use crate::error::Result;
use crate::io::Cursor;

/// Decode one datatype from `c`, advancing past it (compound members and base types
/// recurse). Accepts message versions 1-5 for every class.
pub fn parse_datatype(c: &mut Cursor<'_>) -> Result<Datatype> {
    Err(c.error("datatype decoding not implemented yet"))
}
