//! The walk over an N-bit parameter list (`cd_values[3..]`): the datatype description
//! `set_local` wrote, visited as libhdf5's `H5Z__nbit_(de)compress_one_*` visit it, giving
//! each atomic field and each no-op byte range in stream order.
//!
//! ```text
//! atomic:   1, size, order (0 LE, 1 BE), precision, offset
//! array:    2, size, <base description>
//! compound: 3, size, member count, then per member: byte offset, <member description>
//! no-op:    4, size
//! ```
//!
//! Quirk kept from libhdf5: after an array whose base is an array or a compound, the
//! parameter index returns to the start of the base's description (libhdf5 resets it after
//! each element, including the last); a compound member after such an array is then read
//! from there. Files libhdf5 wrote are consistent with that, so we walk the same way.

use super::{corrupt, Field};
use crate::error::Result;

/// Class codes of the parameter list.
pub(super) const ATOMIC: u32 = 1;
pub(super) const ARRAY: u32 = 2;
pub(super) const COMPOUND: u32 = 3;
pub(super) const NOOP: u32 = 4;

/// Deepest nesting of arrays and compounds accepted (libhdf5 has no limit; ours keeps a
/// hostile list from exhausting the stack).
const MAX_DEPTH: usize = crate::datatype::MAX_DEPTH as usize;

/// One thing to (un)pack: an atomic field, or bytes copied whole.
#[derive(Clone, Copy, Debug)]
pub(super) enum Leaf {
    /// An integer or float field of the element at byte `at`.
    Atomic { at: usize, field: Field },
    /// `len` bytes at byte `at`, copied as they are.
    NoOp { at: usize, len: usize },
}

/// Visits the leaves of `n` elements described by `cd` (the whole parameter list).
pub(super) struct Walk<'a, F> {
    cd: &'a [u32],
    offset: u64,
    visit: F,
}

impl<'a, F: FnMut(Leaf) -> Result<()>> Walk<'a, F> {
    pub(super) fn new(cd: &'a [u32], offset: u64, visit: F) -> Self {
        Walk { cd, offset, visit }
    }

    fn get(&self, i: usize) -> Result<u32> {
        self.cd.get(i).copied().ok_or_else(|| {
            corrupt(
                self.offset,
                "parameter list is shorter than the datatype it describes",
            )
        })
    }

    fn usize_at(&self, i: usize) -> Result<usize> {
        Ok(super::super::codec::usize_of(self.get(i)?))
    }

    /// The atomic description at `i` (size, order, precision, offset), the size given.
    fn field(&self, size: usize, i: usize) -> Result<Field> {
        let order = self.get(i)?;
        let precision = self.get(i + 1)?;
        let bit_offset = self.get(i + 2)?;
        let bits = (size as u64).saturating_mul(8);
        if size == 0
            || u64::from(precision) + u64::from(bit_offset) > bits
            || !matches!(order, 0 | 1)
        {
            return Err(corrupt(
                self.offset,
                format!(
                    "invalid atomic type (size {size}, order {order}, precision {precision}, \
                     offset {bit_offset})"
                ),
            ));
        }
        Ok(Field {
            size,
            big: order == 1,
            precision,
            offset: bit_offset,
        })
    }

    /// Walk `n` elements; the top-level class is `cd[3]`, the element size `cd[4]`.
    pub(super) fn elements(&mut self, n: usize) -> Result<()> {
        let class = self.get(3)?;
        let size = self.usize_at(4)?;
        match class {
            ATOMIC => {
                let field = self.field(size, 5)?;
                for i in 0..n {
                    (self.visit)(Leaf::Atomic {
                        at: i * size,
                        field,
                    })?;
                }
            }
            ARRAY | COMPOUND => {
                for i in 0..n {
                    let mut idx = 4;
                    let at = i * size;
                    if class == ARRAY {
                        self.array(at, &mut idx, 1)?;
                    } else {
                        self.compound(at, &mut idx, 1)?;
                    }
                }
            }
            c => {
                return Err(corrupt(
                    self.offset,
                    format!("unknown datatype class {c} in the parameters"),
                ))
            }
        }
        Ok(())
    }

    fn deeper(&self, depth: usize) -> Result<usize> {
        if depth >= MAX_DEPTH {
            return Err(corrupt(self.offset, "datatype nested too deeply"));
        }
        Ok(depth + 1)
    }

    fn array(&mut self, at: usize, idx: &mut usize, depth: usize) -> Result<()> {
        let depth = self.deeper(depth)?;
        let total = self.usize_at(*idx)?;
        let class = self.get(*idx + 1)?;
        *idx += 2;
        match class {
            ATOMIC => {
                let size = self.usize_at(*idx)?;
                let field = self.field(size, *idx + 1)?;
                *idx += 4;
                for i in 0..total / size {
                    (self.visit)(Leaf::Atomic {
                        at: at + i * size,
                        field,
                    })?;
                }
            }
            ARRAY | COMPOUND => {
                let base = self.usize_at(*idx)?;
                if base == 0 {
                    return Err(corrupt(self.offset, "array of zero-sized elements"));
                }
                let begin = *idx;
                for i in 0..total / base {
                    if class == ARRAY {
                        self.array(at + i * base, idx, depth)?;
                    } else {
                        self.compound(at + i * base, idx, depth)?;
                    }
                    *idx = begin;
                }
                *idx = begin;
            }
            NOOP => {
                self.get(*idx)?;
                *idx += 1;
                (self.visit)(Leaf::NoOp { at, len: total })?;
            }
            c => {
                return Err(corrupt(
                    self.offset,
                    format!("unknown array base class {c} in the parameters"),
                ))
            }
        }
        Ok(())
    }

    fn compound(&mut self, at: usize, idx: &mut usize, depth: usize) -> Result<()> {
        let depth = self.deeper(depth)?;
        let size = self.usize_at(*idx)?;
        let members = self.get(*idx + 1)?;
        *idx += 2;
        let mut used = 0usize;
        for _ in 0..members {
            let member_offset = self.usize_at(*idx)?;
            let class = self.get(*idx + 1)?;
            let member_size = self.usize_at(*idx + 2)?;
            *idx += 2;
            used = used
                .checked_add(member_size)
                .filter(|&u| u <= size && member_size > 0)
                .ok_or_else(|| {
                    corrupt(self.offset, "compound member sizes overflow the compound")
                })?;
            if member_offset
                .checked_add(member_size)
                .is_none_or(|end| end > size)
            {
                return Err(corrupt(
                    self.offset,
                    "compound member offset overflows the compound",
                ));
            }
            let member_at = at + member_offset;
            match class {
                ATOMIC => {
                    let field = self.field(member_size, *idx + 1)?;
                    *idx += 4;
                    (self.visit)(Leaf::Atomic {
                        at: member_at,
                        field,
                    })?;
                }
                ARRAY => self.array(member_at, idx, depth)?,
                COMPOUND => self.compound(member_at, idx, depth)?,
                NOOP => {
                    *idx += 1;
                    (self.visit)(Leaf::NoOp {
                        at: member_at,
                        len: member_size,
                    })?;
                }
                c => {
                    return Err(corrupt(
                        self.offset,
                        format!("unknown compound member class {c} in the parameters"),
                    ))
                }
            }
        }
        Ok(())
    }
}
