//! The Fill Value messages: old (0x0004, spec IV.A.2.e) and new (0x0005, IV.A.2.f, versions 1-3).

use crate::error::Result;
use crate::io::Cursor;

/// When space is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocTime {
    /// At creation.
    Early,
    /// At first write.
    Late,
    /// Chunk by chunk.
    Incremental,
}

/// When the fill value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillTime {
    /// On allocation.
    OnAlloc,
    /// Never.
    Never,
    /// Only if the user defined one.
    IfSet,
}

/// A decoded fill value message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillValue {
    /// Space allocation time (old message: `Late`).
    pub alloc_time: AllocTime,
    /// Fill value write time.
    pub fill_time: FillTime,
    /// The value's bytes in the dataset's datatype when one is stored (size > 0);
    /// `None` means the library default (all zero bytes).
    pub value: Option<Vec<u8>>,
}

impl FillValue {
    /// Decode a new-style (0x0005) message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("fill value decoding not implemented yet"))
    }

    /// Decode an old-style (0x0004) message body.
    pub fn parse_old(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("old fill value decoding not implemented yet"))
    }
}
