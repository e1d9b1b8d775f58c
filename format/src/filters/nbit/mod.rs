//! The N-bit filter (filter ID 5, libhdf5's `H5Znbit.c`): each element's significant bits
//! (its datatype's precision, at its bit offset) packed into one bit stream, most
//! significant bit first, with no padding between values; the bits outside are dropped and
//! read back as zeros. Compound and array types are walked member by member; members that
//! are not integers or floats (strings, enums, ...) are copied byte for byte ("no-op").
//!
//! Client data (written by `set_local` from the datatype, [`params::cd_values`]):
//!
//! ```text
//! 0  number of values
//! 1  1 when every field is full precision (the filter then does nothing)
//! 2  elements in the chunk
//! 3… datatype description (see walk.rs): class, size, ...
//! ```
//!
//! The stream is the packed bits, zero-padded, one byte longer than the whole bytes
//! written (libhdf5's `new_size + 1`).

mod bits;
mod params;
mod walk;

pub(crate) use bits::{low_mask, BitReader, BitWriter};
pub use params::cd_values;

use super::codec::{usize_of, FilterCodec, FilterContext, LocalContext};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;
use walk::{Leaf, Walk};

const STRUCTURE: &str = "nbit filter";

/// The N-bit filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nbit;

/// An integer or float field: `precision` bits at bit `offset` of a `size`-byte value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    size: usize,
    big: bool,
    precision: u32,
    offset: u32,
}

pub(super) fn corrupt(offset: u64, what: impl Into<String>) -> Error {
    Error::corrupt(STRUCTURE, offset, what)
}

impl FilterCodec for Nbit {
    fn id(&self) -> u16 {
        id::NBIT
    }

    fn name(&self) -> &str {
        "nbit"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(ctx.cd_values, input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        encode(ctx.cd_values, input).map(Some)
    }

    fn set_local(&self, _cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        cd_values(local.datatype, local.chunk_dims)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // At worst (no-op members only) the packed stream is the input and one byte.
        len.saturating_add(1)
    }
}

/// Check the header of the parameter list; `None` when the filter does nothing
/// (`cd[1]` set), else the number of elements and the element size.
fn header(cd: &[u32], offset: u64) -> Result<Option<(usize, usize)>> {
    if cd.len() < 3 || cd.first().map(|&n| usize_of(n)) != Some(cd.len()) {
        return Err(corrupt(
            offset,
            format!(
                "{} parameters, the first of which does not count them",
                cd.len()
            ),
        ));
    }
    if cd.get(1).copied().unwrap_or(0) != 0 {
        return Ok(None);
    }
    let n = usize_of(cd.get(2).copied().unwrap_or(0));
    let size = cd.get(4).map(|&s| usize_of(s)).unwrap_or(0);
    if cd.len() < 5 || size == 0 {
        return Err(corrupt(offset, "invalid parameters (no datatype size)"));
    }
    Ok(Some((n, size)))
}

/// Unpack the stream `input` into `cd[2]` elements (at most `limit` bytes).
pub fn decode(cd: &[u32], input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let Some((n, size)) = header(cd, offset)? else {
        return Ok(input.to_vec());
    };
    let total = n.checked_mul(size).filter(|&t| t <= limit).ok_or_else(|| {
        corrupt(
            offset,
            format!("{n} elements of {size} bytes: more than the {limit} bytes expected"),
        )
    })?;
    let mut out = vec![0u8; total];
    let mut reader = BitReader::new(input);
    Walk::new(cd, offset, |leaf| {
        let truncated = |r: &BitReader<'_>| {
            corrupt(offset, format!("stream truncated at byte {}", r.byte_pos()))
        };
        match leaf {
            Leaf::Atomic { at, field } => {
                let elem = at
                    .checked_add(field.size)
                    .and_then(|end| out.get_mut(at..end))
                    .ok_or_else(|| corrupt(offset, "field outside the element"))?;
                unpack(&mut reader, elem, field).ok_or_else(|| truncated(&reader))
            }
            Leaf::NoOp { at, len } => {
                let bytes = at
                    .checked_add(len)
                    .and_then(|end| out.get_mut(at..end))
                    .ok_or_else(|| corrupt(offset, "member outside the element"))?;
                for b in bytes {
                    *b = reader.get(8).ok_or_else(|| truncated(&reader))? as u8;
                }
                Ok(())
            }
        }
    })
    .elements(n)?;
    Ok(out)
}

/// Pack `input` (`cd[2]` elements) as the parameter list `cd` describes.
pub fn encode(cd: &[u32], input: &[u8]) -> Result<Vec<u8>> {
    let Some((n, size)) = header(cd, 0)? else {
        return Ok(input.to_vec());
    };
    if n.checked_mul(size) != Some(input.len()) {
        return Err(Error::Invalid(format!(
            "nbit: a chunk of {} bytes is not {n} elements of {size} bytes",
            input.len()
        )));
    }
    let mut w = BitWriter::with_prefix(&[], input.len());
    Walk::new(cd, 0, |leaf| {
        let bad = || Error::Invalid("nbit: member outside the element".into());
        match leaf {
            Leaf::Atomic { at, field } => {
                let elem = at
                    .checked_add(field.size)
                    .and_then(|end| input.get(at..end))
                    .ok_or_else(bad)?;
                pack(&mut w, elem, field);
            }
            Leaf::NoOp { at, len } => {
                let bytes = at
                    .checked_add(len)
                    .and_then(|end| input.get(at..end))
                    .ok_or_else(bad)?;
                for &b in bytes {
                    w.put(u64::from(b), 8);
                }
            }
        }
        Ok(())
    })
    .elements(n)?;
    Ok(w.finish())
}

/// Byte index of bit `b` (0 = least significant) of a `size`-byte value.
fn byte_of(field: Field, b: u32) -> usize {
    let k = (b / 8) as usize;
    if field.big {
        field.size - 1 - k
    } else {
        k
    }
}

/// The element as an integer, when it fits 64 bits.
fn load(elem: &[u8], big: bool) -> u64 {
    let mut v = 0u64;
    if big {
        for &b in elem {
            v = (v << 8) | u64::from(b);
        }
    } else {
        for &b in elem.iter().rev() {
            v = (v << 8) | u64::from(b);
        }
    }
    v
}

fn store(elem: &mut [u8], big: bool, v: u64) {
    let n = elem.len();
    for (k, b) in elem.iter_mut().enumerate() {
        let shift = if big { n - 1 - k } else { k } * 8;
        *b = (v >> shift) as u8;
    }
}

/// Write the field's bits of `elem`, most significant first.
fn pack(w: &mut BitWriter, elem: &[u8], field: Field) {
    if field.size <= 8 {
        let v = load(elem, field.big) >> field.offset.min(63);
        w.put(v & low_mask(field.precision), field.precision);
        return;
    }
    // Wider types (long double): bit by bit.
    for b in (field.offset..field.offset + field.precision).rev() {
        let byte = elem.get(byte_of(field, b)).copied().unwrap_or(0);
        w.put(u64::from((byte >> (b % 8)) & 1), 1);
    }
}

/// Read the field's bits into `elem` (zeros elsewhere); `None` when the stream ends.
fn unpack(r: &mut BitReader<'_>, elem: &mut [u8], field: Field) -> Option<()> {
    if field.size <= 8 {
        let v = r.get(field.precision)?;
        let v = if field.precision == 0 {
            0
        } else {
            v << field.offset.min(63)
        };
        store(elem, field.big, v);
        return Some(());
    }
    for b in (field.offset..field.offset + field.precision).rev() {
        let bit = r.get(1)? as u8;
        if let Some(byte) = elem.get_mut(byte_of(field, b)) {
            *byte |= bit << (b % 8);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests;
