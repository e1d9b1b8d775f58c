//! The Dataspace message (spec IV.A.2.b, message 0x0001), versions 1 and 2.

pub mod selection;
pub mod span_tree;

use crate::error::{Error, Result};
use crate::io::{is_undefined, Cursor, PutLe, Sizes};

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
            SpaceKind::Simple if self.dims.contains(&0) => Some(0),
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

    /// Encode as a version 2 Dataspace message (what libhdf5 writes from 1.8 on): version,
    /// rank, flags (bit 0: maximum dimensions present), type (0 scalar, 1 simple, 2 null),
    /// then the dimensions and the maximum dimensions in `sizes.length` bytes each, with
    /// [`UNLIMITED`] written as all ones.
    ///
    /// Scalar and null dataspaces are written with rank 0 whatever `dims` holds. A rank
    /// above [`MAX_RANK`], maximum dimensions not one per dimension, a dimension that does
    /// not fit the file's size of lengths, or a limited maximum equal to the all-ones value
    /// (it would read back as unlimited) are errors. h5py always stores the maximum
    /// dimensions, equal to `dims` for fixed-size datasets.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<u8>> {
        let (kind, dims): (u8, &[u64]) = match self.kind {
            SpaceKind::Scalar => (0, &[]),
            SpaceKind::Simple => (1, &self.dims),
            SpaceKind::Null => (2, &[]),
        };
        let max = if self.kind == SpaceKind::Simple {
            self.max_dims.as_deref()
        } else {
            None
        };
        let rank = u8::try_from(dims.len())
            .ok()
            .filter(|&r| usize::from(r) <= MAX_RANK)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "dataspace of rank {}: at most {MAX_RANK}",
                    dims.len()
                ))
            })?;
        // What `parse` refuses is refused here too: a shape written then unreadable.
        if self.kind == SpaceKind::Simple && self.element_count().is_none() {
            return Err(Error::LimitExceeded(format!(
                "dimensions {dims:?} hold more than 2^64 elements"
            )));
        }
        let too_big = |what: &str, d: u64| {
            Error::LimitExceeded(format!(
                "dataspace {what} {d} does not fit the file's {}-byte lengths",
                sizes.length
            ))
        };
        let width = usize::from(sizes.length);
        let mut out = Vec::with_capacity(4 + dims.len() * 2 * width);
        out.extend_from_slice(&[2, rank, u8::from(max.is_some()), kind]);
        for &d in dims {
            out.put_length(d, sizes)
                .map_err(|_| too_big("dimension", d))?;
        }
        if let Some(max) = max {
            if max.len() != dims.len() {
                return Err(Error::Invalid(format!(
                    "{} maximum dimensions for a dataspace of rank {}",
                    max.len(),
                    dims.len()
                )));
            }
            for &m in max {
                if m == UNLIMITED {
                    out.extend(std::iter::repeat_n(0xff, width));
                } else if m >= sizes.max_length() {
                    // All ones would read back as unlimited.
                    return Err(too_big("maximum dimension", m));
                } else {
                    out.put_length(m, sizes)?;
                }
            }
        }
        Ok(out)
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
        let count = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        if count.is_none() && !dims.contains(&0) {
            return Err(c.error(format!("dimensions {dims:?} hold more than 2^64 elements")));
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
        if let Some(max) = &max_dims {
            // libhdf5 refuses such a dataspace (`H5S__set_extent`'s rule: every current size
            // within its maximum unless unlimited); reading past the maximum would read
            // chunks no index can hold.
            if let Some((axis, (d, m))) = dims
                .iter()
                .zip(max)
                .enumerate()
                .find(|(_, (d, m))| **m != UNLIMITED && d > m)
            {
                return Err(c.error(format!(
                    "axis {axis} has current size {d} above its maximum {m}"
                )));
            }
        }
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
    use proptest::prelude::*;

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
    fn encode_refuses_what_the_lengths_cannot_hold() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let space = |dims: Vec<u64>, max: Option<Vec<u64>>| Dataspace {
            kind: SpaceKind::Simple,
            dims,
            max_dims: max,
        };
        let err = |d: &Dataspace| d.encode(s4).unwrap_err().to_string();
        space(vec![u64::from(u32::MAX)], Some(vec![UNLIMITED]))
            .encode(s4)
            .unwrap();
        let e = err(&space(vec![1 << 32], None));
        assert!(
            e.contains("dimension 4294967296 does not fit the file's 4-byte lengths"),
            "{e}"
        );
        // All ones would read back as unlimited.
        let e = err(&space(vec![1], Some(vec![u64::from(u32::MAX)])));
        assert!(e.contains("maximum dimension 4294967295"), "{e}");
        assert!(err(&space(vec![1, 2], Some(vec![1]))).contains("1 maximum dimensions"));
        assert!(err(&space(vec![1; 33], None)).contains("rank 33"));
        assert!(space(vec![1 << 32], None).encode(Sizes::default()).is_ok());
        // What `parse` refuses: more than 2^64 elements (a zero axis holds none).
        let e = space(vec![4, 1 << 62], None).encode(Sizes::default());
        assert!(e.unwrap_err().to_string().contains("2^64"));
        assert!(space(vec![0, 1 << 62, 8], None)
            .encode(Sizes::default())
            .is_ok());
    }

    #[test]
    fn current_size_above_maximum_is_corrupt() {
        // Version 2, rank 2, max dims present: current (2, 5) with maximum (2, 4).
        let e = parse("020201010200000000000000050000000000000002000000000000000400000000000000")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("axis 1 has current size 5 above its maximum 4"),
            "{e}"
        );
        // Equal, or below an unlimited maximum: fine.
        parse("020201010200000000000000050000000000000002000000000000000500000000000000").unwrap();
        parse("02020101020000000000000005000000000000000200000000000000ffffffffffffffff").unwrap();
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
    fn dimensions_past_2_pow_64_elements_are_corrupt() {
        // Version 2, rank 2, no max dims: 2^40 x 2^40 (a fuzzer find: `size()` read 0 and
        // a slice of it asked for 2^61 bytes).
        let e = parse("0202000100000000000100000000000000010000").unwrap_err();
        assert!(e.to_string().contains("more than 2^64 elements"), "{e}");
        assert!(e.to_string().contains("offset 20"), "{e}");
        // A zero axis makes the product 0, whatever the others.
        let s = parse("02030001000000000001000000000000000100000000000000000000").unwrap();
        assert_eq!(s.element_count(), Some(0));
        assert_eq!(s.dims, vec![1 << 40, 1 << 40, 0]);
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

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn round_trip(s: &Dataspace, sizes: Sizes) -> Dataspace {
        let b = s.encode(sizes).unwrap();
        let mut c = Cursor::new(&b, 0, sizes, "dataspace message");
        let back = Dataspace::parse(&mut c).unwrap();
        assert_eq!(c.remaining(), 0);
        back
    }

    #[test]
    fn encode_matches_h5py_v110() {
        // libver='v110': f['i8'] = np.array([1, 2]); create_dataset('ch', (10, 20),
        // maxshape=(None, 20), ...); create_dataset('sc', data=5); data=h5py.Empty('f4').
        let simple = Dataspace {
            kind: SpaceKind::Simple,
            dims: vec![2],
            max_dims: Some(vec![2]),
        };
        let sizes = Sizes::default();
        assert_eq!(
            hex_of(&simple.encode(sizes).unwrap()),
            "0201010102000000000000000200000000000000"
        );
        let ch = Dataspace {
            kind: SpaceKind::Simple,
            dims: vec![10, 20],
            max_dims: Some(vec![UNLIMITED, 20]),
        };
        assert_eq!(
            hex_of(&ch.encode(sizes).unwrap()),
            "020201010a000000000000001400000000000000ffffffffffffffff1400000000000000"
        );
        assert_eq!(
            hex_of(&Dataspace::scalar().encode(sizes).unwrap()),
            "02000000"
        );
        let null = Dataspace {
            kind: SpaceKind::Null,
            dims: vec![],
            max_dims: None,
        };
        assert_eq!(hex_of(&null.encode(sizes).unwrap()), "02000002");
        for s in [simple, ch, Dataspace::scalar(), null] {
            assert_eq!(round_trip(&s, sizes), s);
        }
    }

    #[test]
    fn encode_small_lengths_and_odd_inputs() {
        let sizes = Sizes {
            offset: 4,
            length: 4,
        };
        let s = Dataspace {
            kind: SpaceKind::Simple,
            dims: vec![7, 0],
            max_dims: Some(vec![UNLIMITED, 9]),
        };
        assert_eq!(
            hex_of(&s.encode(sizes).unwrap()),
            "020201010700000000000000ffffffff09000000"
        );
        assert_eq!(round_trip(&s, sizes), s);
        // Maximum dimensions not one per dimension are refused; scalar ignores dims.
        let short = Dataspace {
            kind: SpaceKind::Simple,
            dims: vec![3, 4],
            max_dims: Some(vec![3]),
        };
        assert!(short.encode(sizes).is_err());
        let odd = Dataspace {
            kind: SpaceKind::Scalar,
            dims: vec![5],
            max_dims: Some(vec![5]),
        };
        assert_eq!(round_trip(&odd, sizes), Dataspace::scalar());
    }

    fn dataspace() -> impl Strategy<Value = Dataspace> {
        prop_oneof![
            Just(Dataspace::scalar()),
            Just(Dataspace {
                kind: SpaceKind::Null,
                dims: vec![],
                max_dims: None
            }),
            prop::collection::vec((0u64..1 << 40, any::<bool>(), 0u64..1 << 20), 0..=MAX_RANK)
                .prop_flat_map(|d| {
                    // At most 2^63 elements in all (more is corrupt).
                    let bits = (63 / d.len().max(1)).min(40);
                    let dims: Vec<u64> = d.iter().map(|x| x.0 % (1 << bits)).collect();
                    let max: Vec<u64> = d
                        .iter()
                        .zip(&dims)
                        .map(|(&(_, unl, extra), &n)| if unl { UNLIMITED } else { n + extra })
                        .collect();
                    prop_oneof![Just(None), Just(Some(max))].prop_map(move |max_dims| Dataspace {
                        kind: SpaceKind::Simple,
                        dims: dims.clone(),
                        max_dims,
                    })
                }),
        ]
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(s in dataspace()) {
            prop_assert_eq!(round_trip(&s, Sizes::default()), s);
        }
    }
}
