//! The scale-offset filter (filter ID 6, libhdf5's `H5Zscaleoffset.c`): each chunk's
//! values minus the chunk minimum, stored in the fewest bits that hold them ("minbits"),
//! packed most significant bit first. Integers are lossless unless a fixed bit count is
//! asked for; floats (D-scale) are first multiplied by 10^D and rounded, keeping D decimal
//! digits (lossy). Values equal to the fill value are stored as all ones and read back as
//! the fill value. E-scale (filter option 1) is not implemented by libhdf5 either: an error.
//!
//! Client data (20 values; written by `set_local`, [`cd_values`]):
//!
//! ```text
//! 0  scale type: 0 float D-scale, 1 float E-scale, 2 integer
//! 1  scale factor: D (decimal digits, may be negative) or the integer bit count (0: auto)
//! 2  elements in the chunk        3  class: 0 integer, 1 float
//! 4  element size in bytes        5  integer sign: 0 unsigned, 1 two's complement
//! 6  byte order: 0 LE, 1 BE       7  1 when the dataset has a fill value
//! 8… the fill value in native (little-endian) order, 4 bytes a value, low bytes first
//! ```
//!
//! Each filtered chunk:
//!
//! ```text
//! u32 LE   minbits
//! u8       size of minval (8)
//! u64 LE   minval: the minimum (an integer, or the float's bits in the low bytes)
//! 8 bytes  zero
//! then     minbits = element bits: the values, little-endian, unchanged
//!          else: each value's minbits bits, MSB first, padded to floor(n*minbits/8)+1 bytes
//! ```
//!
//! An integer dataset whose bit count equals its element size is stored unfiltered (no
//! header). libhdf5 works in the machine's native order; this implementation does what
//! libhdf5 does on a little-endian machine (what every file we know of was written on).

mod float;
mod int;

use super::codec::{usize_of, FilterCodec, FilterContext, LocalContext};
use super::nbit::{low_mask, BitReader, BitWriter};
use crate::datatype::{ByteOrder, Datatype, TypeClass};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

const STRUCTURE: &str = "scaleoffset filter";

/// Bytes before the packed values.
const HEADER: usize = 21;
/// Number of client data values.
const NPARAMS: usize = 20;

/// Scale type of client data 0: float, decimal scaling.
pub const SO_FLOAT_DSCALE: u32 = 0;
/// Scale type: float, fixed bit count (not implemented by libhdf5).
pub const SO_FLOAT_ESCALE: u32 = 1;
/// Scale type: integer.
pub const SO_INT: u32 = 2;

/// How [`crate::DatasetBuilder::scale_offset`] stores values (libhdf5's
/// `H5Pset_scaleoffset`, h5py's `scaleoffset=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleOffset {
    /// Integers, lossless with `None` (the bit count computed per chunk, h5py's
    /// `scaleoffset=0`), or stored in exactly `Some(n)` bits (lossy when a chunk's range
    /// needs more; h5py's `scaleoffset=n`).
    Integer(Option<u32>),
    /// Floats kept to this many decimal digits (h5py's `scaleoffset=D` on a float
    /// dataset); lossy.
    FloatDScale(u32),
}

impl ScaleOffset {
    /// The two client data values libhdf5's `H5Pset_scaleoffset` stores.
    pub fn cd_values(self) -> [u32; 2] {
        match self {
            ScaleOffset::Integer(bits) => [SO_INT, bits.unwrap_or(0)],
            ScaleOffset::FloatDScale(d) => [SO_FLOAT_DSCALE, d],
        }
    }
}

/// The scale-offset filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScaleOffsetFilter;

fn corrupt(offset: u64, what: impl Into<String>) -> Error {
    Error::corrupt(STRUCTURE, offset, what)
}

impl FilterCodec for ScaleOffsetFilter {
    fn id(&self) -> u16 {
        id::SCALE_OFFSET
    }

    fn name(&self) -> &str {
        "scaleoffset"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        decode(ctx.cd_values, input, ctx.limit, ctx.offset)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        encode(ctx.cd_values, input)
    }

    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        cd_values(cd, local)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        len.saturating_add(HEADER + 1)
    }
}

/// What the values are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    /// Integers; `minbits` 0 means computed per chunk.
    Int { signed: bool, minbits: u32 },
    /// Floats scaled by 10^`d`.
    Float { d: i32 },
    /// Integers stored as they are (bit count = element bits): no header.
    Unchanged,
}

/// The client data, checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub(crate) n: usize,
    pub(crate) size: usize,
    pub(crate) big: bool,
    pub(crate) kind: Kind,
    /// The fill value (native value, zero-extended), when defined.
    pub(crate) fill: Option<u64>,
}

impl Params {
    pub(crate) fn parse(cd: &[u32], offset: u64) -> Result<Params> {
        if cd.len() != NPARAMS {
            return Err(corrupt(
                offset,
                format!("{} parameters, expected {NPARAMS}", cd.len()),
            ));
        }
        let at = |i: usize| cd.get(i).copied().unwrap_or(0);
        let size = usize_of(at(4));
        let big = match at(6) {
            0 => false,
            1 => true,
            o => return Err(corrupt(offset, format!("invalid byte order {o}"))),
        };
        let bits = size.saturating_mul(8);
        let factor = at(1) as i32;
        let kind = match (at(3), at(0)) {
            (1, SO_FLOAT_DSCALE) if matches!(size, 4 | 8) => Kind::Float { d: factor },
            (1, SO_FLOAT_DSCALE) => {
                return Err(Error::Unsupported(format!(
                    "scaleoffset: {size}-byte floats (only 4 and 8)"
                )))
            }
            (1, SO_FLOAT_ESCALE) => {
                return Err(Error::Unsupported(
                    "scaleoffset: E-scale (fixed bit count for floats) is not implemented, \
                     in libhdf5 either"
                        .into(),
                ))
            }
            (0, SO_INT) => {
                let minbits = usize_of(factor.max(0) as u32);
                if minbits > bits {
                    return Err(corrupt(
                        offset,
                        format!("{minbits} bits for {size}-byte integers"),
                    ));
                }
                if !matches!(size, 1 | 2 | 4 | 8) || at(5) > 1 {
                    return Err(Error::Unsupported(format!(
                        "scaleoffset: {size}-byte integers of sign {}",
                        at(5)
                    )));
                }
                if minbits == bits {
                    Kind::Unchanged
                } else {
                    Kind::Int {
                        signed: at(5) == 1,
                        minbits: minbits as u32,
                    }
                }
            }
            (class, st) => {
                return Err(corrupt(
                    offset,
                    format!("class {class} with scale type {st}"),
                ))
            }
        };
        let fill = (at(7) == 1).then(|| {
            let mut v = 0u64;
            for k in (0..size.min(8)).rev() {
                let word = at(8 + k / 4);
                v = (v << 8) | u64::from((word >> ((k % 4) * 8)) & 0xff);
            }
            v
        });
        Ok(Params {
            n: usize_of(at(2)),
            size,
            big,
            kind,
            fill,
        })
    }

    fn bits(&self) -> u32 {
        (self.size * 8) as u32
    }

    /// Element `i` of `data` as a native value.
    fn load(&self, data: &[u8], i: usize) -> u64 {
        let e = data.get(i * self.size..(i + 1) * self.size).unwrap_or(&[]);
        let mut v = 0u64;
        if self.big {
            for &b in e {
                v = (v << 8) | u64::from(b);
            }
        } else {
            for &b in e.iter().rev() {
                v = (v << 8) | u64::from(b);
            }
        }
        v
    }

    /// Append native value `v` in the dataset's byte order.
    fn store(&self, out: &mut Vec<u8>, v: u64) {
        for k in 0..self.size {
            let shift = if self.big { self.size - 1 - k } else { k } * 8;
            out.push((v >> shift) as u8);
        }
    }
}

/// The client data libhdf5's `H5Z__set_local_scaleoffset` stores for the user's
/// `[scale type, scale factor]` on the dataset `local` describes.
pub fn cd_values(user: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
    let t: &Datatype = local.datatype;
    let (class, sign, order) = match &t.class {
        TypeClass::Integer { order, signed, .. } => (0, u32::from(*signed), *order),
        TypeClass::Float { order, .. } => (1, 0, *order),
        _ => {
            return Err(Error::Unsupported(
                "scaleoffset: only integer and float datasets".into(),
            ))
        }
    };
    let size = t.size;
    let ok = if class == 0 {
        matches!(size, 1 | 2 | 4 | 8)
    } else {
        matches!(size, 4 | 8)
    };
    if !ok {
        return Err(Error::Unsupported(format!(
            "scaleoffset: {size}-byte {} (libhdf5 has no matching C type)",
            if class == 0 { "integers" } else { "floats" }
        )));
    }
    let npoints = local
        .chunk_dims
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Error::Invalid("scaleoffset: more than 2^32 elements in a chunk".into()))?;
    let mut cd = vec![0u32; NPARAMS];
    let mut put = |i: usize, v: u32| {
        if let Some(c) = cd.get_mut(i) {
            *c = v;
        }
    };
    put(0, user.first().copied().unwrap_or(0));
    put(1, user.get(1).copied().unwrap_or(0));
    put(2, npoints);
    put(3, class);
    put(4, size);
    put(5, sign);
    put(6, u32::from(order == ByteOrder::Big));
    // libhdf5's default fill value (zeros) counts as defined.
    put(7, 1);
    let mut fill: Vec<u8> = match local.fill {
        Some(f) if f.len() == t.size() => f.to_vec(),
        Some(f) => {
            return Err(Error::Invalid(format!(
                "scaleoffset: fill value of {} bytes for a {size}-byte type",
                f.len()
            )))
        }
        None => vec![0; t.size()],
    };
    if order == ByteOrder::Big {
        fill.reverse();
    }
    for (k, word) in fill.chunks(4).enumerate() {
        let v = word
            .iter()
            .enumerate()
            .fold(0u32, |a, (j, &b)| a | (u32::from(b) << (8 * j)));
        put(8 + k, v);
    }
    Ok(cd)
}

/// The packed form of a chunk, before the header is written.
pub(crate) struct Packed {
    pub(crate) minbits: u32,
    pub(crate) minval: u64,
    /// The values to pack (`minbits` bits each), or with `minbits` = element bits, the
    /// native values stored whole.
    pub(crate) values: Vec<u64>,
}

/// Undo the filter on one chunk, producing `cd[2]` elements (at most `limit` bytes).
pub fn decode(cd: &[u32], input: &[u8], limit: usize, offset: u64) -> Result<Vec<u8>> {
    let p = Params::parse(cd, offset)?;
    if p.kind == Kind::Unchanged {
        return Ok(input.to_vec());
    }
    let total =
        p.n.checked_mul(p.size)
            .filter(|&t| t <= limit)
            .ok_or_else(|| {
                corrupt(
                    offset,
                    format!(
                        "{} elements of {} bytes: more than the {limit} bytes expected",
                        p.n, p.size
                    ),
                )
            })?;
    let head: [u8; 13] = input
        .get(..13)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| corrupt(offset, "stream truncated in the header"))?;
    let [b0, b1, b2, b3, size_byte, ..] = head;
    let minbits = u32::from_le_bytes([b0, b1, b2, b3]);
    let minval_size = usize::from(size_byte).min(8);
    let minval = head
        .get(5..5 + minval_size)
        .unwrap_or(&[])
        .iter()
        .rev()
        .fold(0u64, |a, &b| (a << 8) | u64::from(b));
    if minbits > p.bits() {
        return Err(corrupt(
            offset,
            format!("{minbits} bits a value for {}-byte values", p.size),
        ));
    }
    let body = input.get(HEADER..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(total);
    if minbits == p.bits() {
        let raw = body
            .get(..total)
            .ok_or_else(|| corrupt(offset, "stream truncated (values stored whole)"))?;
        let native = Params { big: false, ..p };
        for i in 0..p.n {
            p.store(&mut out, native.load(raw, i));
        }
        return Ok(out);
    }
    let mut reader = BitReader::new(body);
    let post = |v: u64| -> u64 {
        match p.kind {
            Kind::Int { .. } => int::post(&p, minbits, minval, v),
            Kind::Float { d } => float::post(&p, d, minbits, minval, v),
            Kind::Unchanged => v,
        }
    };
    for _ in 0..p.n {
        let v = if minbits == 0 {
            0
        } else {
            reader.get(minbits).ok_or_else(|| {
                corrupt(
                    offset,
                    format!("stream truncated at byte {}", HEADER + reader.byte_pos()),
                )
            })?
        };
        p.store(&mut out, post(v));
    }
    Ok(out)
}

/// Apply the filter to one chunk. `Ok(None)` when libhdf5 could not store it (a float
/// chunk whose values are not finite at single precision: libhdf5's result is undefined),
/// so that the optional filter is skipped for that chunk.
pub fn encode(cd: &[u32], input: &[u8]) -> Result<Option<Vec<u8>>> {
    let p = Params::parse(cd, 0)?;
    if p.kind == Kind::Unchanged {
        return Ok(Some(input.to_vec()));
    }
    if p.n.checked_mul(p.size) != Some(input.len()) || p.n == 0 {
        return Err(Error::Invalid(format!(
            "scaleoffset: a chunk of {} bytes is not {} elements of {} bytes",
            input.len(),
            p.n,
            p.size
        )));
    }
    let values: Vec<u64> = (0..p.n).map(|i| p.load(input, i)).collect();
    let packed = match p.kind {
        Kind::Int { signed, minbits } => int::pre(&p, signed, minbits, values),
        Kind::Float { d } => match float::pre(&p, d, values) {
            Some(packed) => packed,
            None => return Ok(None),
        },
        Kind::Unchanged => return Ok(Some(input.to_vec())),
    };
    let mut head = [0u8; HEADER];
    head[..4].copy_from_slice(&packed.minbits.to_le_bytes());
    head[4] = 8;
    head[5..13].copy_from_slice(&packed.minval.to_le_bytes());
    if packed.minbits == p.bits() {
        let mut out = Vec::with_capacity(HEADER + input.len());
        out.extend_from_slice(&head);
        let native = Params { big: false, ..p };
        for v in packed.values {
            native.store(&mut out, v);
        }
        return Ok(Some(out));
    }
    let mut w = BitWriter::with_prefix(&head, input.len() / 2);
    if packed.minbits > 0 {
        for v in packed.values {
            w.put(v & low_mask(packed.minbits), packed.minbits);
        }
    }
    Ok(Some(w.finish()))
}

/// Ceiling of log2 as libhdf5's `H5Z__scaleoffset_log2` computes it (0 gives 1).
pub(crate) fn ceil_log2(num: u64) -> u32 {
    if num == 0 {
        return 1;
    }
    let floor = 63 - num.leading_zeros();
    if num.is_power_of_two() {
        floor
    } else {
        floor + 1
    }
}

#[cfg(test)]
mod tests;
