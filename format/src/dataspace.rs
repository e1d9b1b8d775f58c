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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes copied from files written by h5py 3.16.0 (HDF5 2.0.0).
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<Dataspace> {
        let b = hex(s);
        Dataspace::parse(&mut Cursor::new(
            &b,
            0,
            Sizes::default(),
            "dataspace message",
        ))
    }

    #[test]
    fn version_1_from_h5py_earliest() {
        // create_dataset('contig', data=np.arange(6).reshape(2, 3)), libver='earliest'
        let s = parse(
            "01020100000000000200000000000000030000000000000002000000000000000300000000000000",
        )
        .unwrap();
        assert_eq!(s.kind, SpaceKind::Simple);
        assert_eq!(s.dims, vec![2, 3]);
        assert_eq!(s.max_dims, Some(vec![2, 3]));
        assert_eq!(s.element_count(), Some(6));
        // maxshape=(None, None)
        let s = parse(
            "010201000000000004000000000000000400000000000000ffffffffffffffffffffffffffffffff",
        )
        .unwrap();
        assert_eq!(s.max_dims, Some(vec![UNLIMITED, UNLIMITED]));
        // create_dataset('scalar', data=3.0)
        let s = parse("0100000000000000").unwrap();
        assert_eq!(s, Dataspace::scalar());
        assert_eq!(s.element_count(), Some(1));
    }

    #[test]
    fn version_2_from_h5py_v108() {
        let s = parse("020201010200000000000000030000000000000002000000000000000300000000000000")
            .unwrap();
        assert_eq!((s.kind, s.dims.clone()), (SpaceKind::Simple, vec![2, 3]));
        let s = parse("020101010a00000000000000ffffffffffffffff").unwrap();
        assert_eq!(s.dims, vec![10]);
        assert_eq!(s.max_dims_or_dims(), &[UNLIMITED]);
        assert_eq!(parse("02000000").unwrap(), Dataspace::scalar());
        // h5py.Empty('f4') (also written as version 2 at libver='earliest')
        let s = parse("02000002").unwrap();
        assert_eq!(s.kind, SpaceKind::Null);
        assert_eq!(s.element_count(), Some(0));
        // Without max dims (flags 0).
        let s = parse("020100010500000000000000").unwrap();
        assert_eq!((s.dims.clone(), s.max_dims.clone()), (vec![5], None));
    }

    #[test]
    fn version_1_permutation_and_small_lengths() {
        // Synthetic: rank 1, flags 3 (max + permutation), 4-byte lengths.
        let b = hex("0101030000000000" /* header */);
        let mut b = b;
        b.extend(7u32.to_le_bytes());
        b.extend(u32::MAX.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        let sizes = Sizes {
            offset: 4,
            length: 4,
        };
        let mut c = Cursor::new(&b, 0, sizes, "dataspace message");
        let s = Dataspace::parse(&mut c).unwrap();
        assert_eq!(s.dims, vec![7]);
        assert_eq!(s.max_dims, Some(vec![UNLIMITED]));
        assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("03000000").is_err());
        assert!(parse("02000003").is_err());
        assert!(parse("02010002").is_err()); // null with rank 1
        assert!(parse("02210000").is_err()); // rank 33
        let full = hex("020201010200000000000000030000000000000002000000000000000300000000000000");
        for n in 0..full.len() {
            let r = Dataspace::parse(&mut Cursor::new(&full[..n], 0, Sizes::default(), "x"));
            assert!(r.is_err(), "prefix {n}");
        }
    }
}
