//! The Dataspace message (spec IV.A.2.b, message 0x0001), versions 1 and 2.

use crate::error::Result;
use crate::io::{is_undefined, Cursor};

/// Largest rank accepted (libhdf5's `H5S_MAX_RANK`).
pub const MAX_RANK: usize = 32;

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

    /// Number of dimensions (0 for scalar and null).
    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// Decode the message body (versions 1 and 2).
    ///
    /// Version 1 cannot express a null dataspace: rank 0 means scalar. Stored maximum
    /// dimensions equal to the all-ones value of the "size of lengths" width are returned as
    /// [`UNLIMITED`]. Version 1 permutation indices (never implemented by libhdf5) are
    /// skipped.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        let rank = usize::from(c.u8()?);
        let flags = c.u8()?;
        if rank > MAX_RANK {
            return Err(c.error(format!("dataspace rank {rank} exceeds {MAX_RANK}")));
        }
        let kind = match version {
            1 => {
                c.skip(5)?; // reserved
                if rank == 0 {
                    SpaceKind::Scalar
                } else {
                    SpaceKind::Simple
                }
            }
            2 => match c.u8()? {
                0 => SpaceKind::Scalar,
                1 => SpaceKind::Simple,
                2 => SpaceKind::Null,
                t => return Err(c.error(format!("dataspace type {t} is not defined"))),
            },
            v => return Err(c.error(format!("dataspace message version {v} is not 1 or 2"))),
        };
        if kind != SpaceKind::Simple && rank != 0 {
            return Err(c.error(format!("{kind:?} dataspace with rank {rank}")));
        }
        let width = usize::from(c.sizes().length);
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(c.length()?);
        }
        let max_dims = if flags & 0x01 != 0 {
            let mut max = Vec::with_capacity(rank);
            for _ in 0..rank {
                let v = c.length()?;
                max.push(if is_undefined(v, width) { UNLIMITED } else { v });
            }
            Some(max)
        } else {
            None
        };
        if version == 1 && flags & 0x02 != 0 {
            c.skip(rank.saturating_mul(width))?;
        }
        Ok(Dataspace {
            kind,
            dims,
            max_dims,
        })
    }
}
