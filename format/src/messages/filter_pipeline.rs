//! The Filter Pipeline message (spec IV.A.2.l, message 0x000B), versions 1 and 2.

use crate::error::Result;
use crate::io::Cursor;

/// Standard filter identifiers.
pub mod id {
    /// gzip / deflate.
    pub const DEFLATE: u16 = 1;
    /// Byte shuffle.
    pub const SHUFFLE: u16 = 2;
    /// Fletcher-32 checksum.
    pub const FLETCHER32: u16 = 3;
    /// SZIP.
    pub const SZIP: u16 = 4;
    /// N-bit.
    pub const NBIT: u16 = 5;
    /// Scale-offset.
    pub const SCALE_OFFSET: u16 = 6;
    /// LZF (h5py's registered third-party filter).
    pub const LZF: u16 = 32000;
}

/// One filter of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Filter identifier.
    pub id: u16,
    /// Name stored in the message, if any.
    pub name: Option<String>,
    /// Flags; bit 0 set means optional.
    pub flags: u16,
    /// Client data values.
    pub client_data: Vec<u32>,
}

impl Filter {
    /// Whether the filter is optional (may be skipped by the writer).
    pub fn is_optional(&self) -> bool {
        self.flags & 1 != 0
    }

    /// A display name: the stored name, else the registered name of a known id.
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match self.id {
            id::DEFLATE => "deflate",
            id::SHUFFLE => "shuffle",
            id::FLETCHER32 => "fletcher32",
            id::SZIP => "szip",
            id::NBIT => "nbit",
            id::SCALE_OFFSET => "scaleoffset",
            id::LZF => "lzf",
            _ => "unknown",
        }
        .to_string()
    }
}

/// Decoded filter pipeline, in the order filters are applied when writing.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FilterPipeline {
    /// The filters.
    pub filters: Vec<Filter>,
}

impl FilterPipeline {
    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("filter pipeline decoding not implemented yet"))
    }
}
