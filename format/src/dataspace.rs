//! The Dataspace message (spec IV.A.2.b, message 0x0001), versions 1 and 2.

use crate::error::Result;
use crate::io::Cursor;

/// Maximum dimension value meaning "unlimited" (spec Appendix A).
pub const UNLIMITED: u64 = u64::MAX;

/// Kind of dataspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceKind {
    /// A single element, rank 0.
    Scalar,
    /// No elements at all (h5py's `Empty`).
    Null,
    /// An N-dimensional array (possibly with zero-sized dimensions).
    Simple,
}

/// A decoded dataspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataspace {
    /// Scalar, null or simple.
    pub kind: SpaceKind,
    /// Current dimensions (empty for scalar and null).
    pub dims: Vec<u64>,
    /// Maximum dimensions when stored; [`UNLIMITED`] marks an unlimited axis.
    pub max_dims: Option<Vec<u64>>,
}

impl Dataspace {
    /// A scalar dataspace.
    pub fn scalar() -> Self {
        Dataspace {
            kind: SpaceKind::Scalar,
            dims: Vec::new(),
            max_dims: None,
        }
    }

    /// Number of elements (1 for scalar, 0 for null), or `None` on overflow.
    pub fn element_count(&self) -> Option<u64> {
        match self.kind {
            SpaceKind::Scalar => Some(1),
            SpaceKind::Null => Some(0),
            SpaceKind::Simple => self
                .dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d)),
        }
    }

    /// Maximum dimensions, defaulting to the current ones.
    pub fn max_dims_or_dims(&self) -> &[u64] {
        self.max_dims.as_deref().unwrap_or(&self.dims)
    }

    /// Decode the message body.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.error("dataspace decoding not implemented yet"))
    }
}
