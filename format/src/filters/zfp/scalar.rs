//! zfp's block codec per scalar type (zfp 1.0 `template/{encodef,decodef,revencodef,
//! revdecodef,encodei,decodei}.c`): integers go straight to the integer codec; floating
//! point blocks first pass the block-floating-point transform (a common exponent, the
//! largest of the block, and every value scaled to an integer relative to it), or, in
//! reversible mode, either that transform when it is exact or the values' bits reinterpreted
//! as integers.

use super::bitstream::{BitReader, BitWriter, Truncated};
use super::block::{self, block_size, Int, MAX_BLOCK};
use super::header::Params;

/// A scalar type zfp compresses, with its block codec and its byte form.
pub(crate) trait Scalar: Copy + Default {
    /// The value at element `idx` of little-endian `bytes` (0 when out of range).
    fn load(bytes: &[u8], idx: usize) -> Self;
    /// Store the value at element `idx` of `bytes`, in big-endian order if `big`.
    fn store(self, bytes: &mut [u8], idx: usize, big: bool);
    /// Encode one block of `4^dims` values; returns the bits written.
    fn encode(w: &mut BitWriter, p: &Params, dims: usize, block: &[Self]) -> u32;
    /// Decode one block of `4^dims` values; returns the bits read.
    fn decode(
        r: &mut BitReader<'_>,
        p: &Params,
        dims: usize,
        block: &mut [Self],
    ) -> Result<u32, Truncated>;
}

macro_rules! bytes_io {
    ($t:ty, $n:expr) => {
        fn load(bytes: &[u8], idx: usize) -> Self {
            bytes
                .get(idx * $n..idx * $n + $n)
                .and_then(|b| <[u8; $n]>::try_from(b).ok())
                .map_or(Self::default(), <$t>::from_le_bytes)
        }
        fn store(self, bytes: &mut [u8], idx: usize, big: bool) {
            if let Some(b) = bytes.get_mut(idx * $n..idx * $n + $n) {
                b.copy_from_slice(&if big {
                    self.to_be_bytes()
                } else {
                    self.to_le_bytes()
                });
            }
        }
    };
}

macro_rules! integer {
    ($t:ty, $n:expr) => {
        impl Scalar for $t {
            bytes_io!($t, $n);
            fn encode(w: &mut BitWriter, p: &Params, dims: usize, block: &[Self]) -> u32 {
                let mut ib = [<$t>::default(); MAX_BLOCK];
                let ib = ib.get_mut(..block_size(dims)).unwrap_or_default();
                ib.copy_from_slice(block.get(..ib.len()).unwrap_or_default());
                let limits = (p.minbits, p.maxbits, p.maxprec);
                if p.reversible() {
                    block::rev_encode_block(w, limits, dims, ib)
                } else {
                    block::encode_block(w, limits, dims, ib)
                }
            }
            fn decode(
                r: &mut BitReader<'_>,
                p: &Params,
                dims: usize,
                block: &mut [Self],
            ) -> Result<u32, Truncated> {
                if p.reversible() {
                    block::rev_decode_block(r, (p.minbits, p.maxbits), dims, block)
                } else {
                    block::decode_block(r, (p.minbits, p.maxbits, p.maxprec), dims, block)
                }
            }
        }
    };
}
integer!(i32, 4);
integer!(i64, 8);

/// A floating-point type and the integer type its blocks are cast to.
trait Float: Scalar + PartialOrd {
    type I: Int;
    /// Exponent bits.
    const EBITS: u32;
    /// Exponent bias.
    const EBIAS: i32;
    /// `2^k`, rounded as C's `ldexp(1, k)` (0 below the subnormals, infinity above).
    fn pow2(k: i32) -> Self;
    /// The exponent `frexp` gives a positive `self` (0 for infinity).
    fn frexp_exp(self) -> i32;
    fn abs(self) -> Self;
    fn is_positive(self) -> bool;
    /// `(Int)(s * x)`: scale and truncate toward zero.
    fn quantize(s: Self, x: Self) -> Self::I;
    /// `s * (Scalar)i`.
    fn dequantize(s: Self, i: Self::I) -> Self;
    /// The bits as a sign-magnitude integer made two's complement.
    fn to_twos(self) -> Self::I;
    /// Undo [`Float::to_twos`].
    fn from_twos(i: Self::I) -> Self;
    fn same_bits(self, o: Self) -> bool;
}

macro_rules! float {
    ($t:ty, $i:ty, $u:ty, $n:expr, $ebits:expr, $mant:expr) => {
        impl Scalar for $t {
            bytes_io!($t, $n);
            fn encode(w: &mut BitWriter, p: &Params, dims: usize, block: &[Self]) -> u32 {
                if p.reversible() {
                    rev_encode_float(w, p, dims, block)
                } else {
                    encode_float(w, p, dims, block)
                }
            }
            fn decode(
                r: &mut BitReader<'_>,
                p: &Params,
                dims: usize,
                block: &mut [Self],
            ) -> Result<u32, Truncated> {
                if p.reversible() {
                    rev_decode_float(r, p, dims, block)
                } else {
                    decode_float(r, p, dims, block)
                }
            }
        }

        impl Float for $t {
            type I = $i;
            const EBITS: u32 = $ebits;
            const EBIAS: i32 = (1 << ($ebits - 1)) - 1;
            fn pow2(k: i32) -> Self {
                let emin = 1 - Self::EBIAS;
                if k > Self::EBIAS {
                    <$t>::INFINITY
                } else if k >= emin {
                    <$t>::from_bits(((k + Self::EBIAS) as $u) << $mant)
                } else if k >= emin - $mant {
                    <$t>::from_bits(1 << (k - (emin - $mant)))
                } else {
                    0.0
                }
            }
            fn frexp_exp(self) -> i32 {
                let e = ((self.to_bits() >> $mant) & ((1 << $ebits) - 1)) as i32;
                if e == 0 {
                    // Subnormal: at most the smallest normal exponent, which callers clamp to.
                    1 - Self::EBIAS
                } else if e == (1 << $ebits) - 1 {
                    0
                } else {
                    e - Self::EBIAS + 1
                }
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            fn is_positive(self) -> bool {
                self > 0.0
            }
            fn quantize(s: Self, x: Self) -> $i {
                (s * x) as $i
            }
            fn dequantize(s: Self, i: $i) -> Self {
                s * (i as $t)
            }
            fn to_twos(self) -> $i {
                let x = self.to_bits() as $i;
                if x < 0 {
                    x ^ <$i>::MAX
                } else {
                    x
                }
            }
            fn from_twos(i: $i) -> Self {
                <$t>::from_bits((if i < 0 { i ^ <$i>::MAX } else { i }) as $u)
            }
            fn same_bits(self, o: Self) -> bool {
                self.to_bits() == o.to_bits()
            }
        }
    };
}
float!(f32, i32, u32, 4, 8, 23);
float!(f64, i64, u64, 8, 11, 52);

/// The largest exponent of a block (`exponent_block`); `-EBIAS` when all are zero.
fn exponent_block<F: Float>(block: &[F]) -> i32 {
    let mut max = F::default();
    for &v in block {
        let f = v.abs();
        if max < f {
            max = f;
        }
    }
    if max.is_positive() {
        max.frexp_exp().max(1 - F::EBIAS)
    } else {
        -F::EBIAS
    }
}

/// Bit planes to code for a block with exponent `emax` (`precision`).
fn precision(emax: i32, p: &Params, dims: usize) -> u32 {
    let planes = i64::from(emax) - i64::from(p.minexp) + 2 * dims as i64 + 2;
    u32::try_from(planes.max(0)).map_or(p.maxprec, |v| v.min(p.maxprec))
}

/// The bit budget left to the integer codec once `bits` are spent: `(minbits, maxbits)`.
fn rest(p: &Params, bits: u32) -> (u32, u32) {
    (
        p.minbits - bits.min(p.minbits),
        p.maxbits.wrapping_sub(bits),
    )
}

fn fwd_cast<F: Float>(block: &[F], emax: i32, ib: &mut [F::I]) {
    let s = F::pow2(F::I::PREC as i32 - 2 - emax);
    for (i, &f) in ib.iter_mut().zip(block) {
        *i = F::quantize(s, f);
    }
}

fn inv_cast<F: Float>(ib: &[F::I], emax: i32, block: &mut [F]) {
    let s = F::pow2(emax - (F::I::PREC as i32 - 2));
    for (f, &i) in block.iter_mut().zip(ib) {
        *f = F::dequantize(s, i);
    }
}

fn encode_float<F: Float>(w: &mut BitWriter, p: &Params, dims: usize, block: &[F]) -> u32 {
    let mut bits = 1;
    let emax = exponent_block(block);
    let maxprec = precision(emax, p, dims);
    let e = if maxprec > 0 { emax + F::EBIAS } else { 0 };
    if e != 0 {
        bits += F::EBITS;
        w.bits(2 * e as u64 + 1, bits);
        let mut ib = [F::I::default(); MAX_BLOCK];
        let ib = ib.get_mut(..block_size(dims)).unwrap_or_default();
        fwd_cast(block, emax, ib);
        let (minbits, maxbits) = rest(p, bits);
        bits += block::encode_block(w, (minbits, maxbits, maxprec), dims, ib);
    } else {
        w.bit(0);
        if p.minbits > bits {
            w.pad(u64::from(p.minbits - bits));
            bits = p.minbits;
        }
    }
    bits
}

fn decode_float<F: Float>(
    r: &mut BitReader<'_>,
    p: &Params,
    dims: usize,
    block: &mut [F],
) -> Result<u32, Truncated> {
    let mut bits = 1;
    if r.bit()? == 1 {
        bits += F::EBITS;
        let emax = r.bits(F::EBITS)? as i32 - F::EBIAS;
        let maxprec = precision(emax, p, dims);
        let mut ib = [F::I::default(); MAX_BLOCK];
        let ib = ib.get_mut(..block_size(dims)).unwrap_or_default();
        let (minbits, maxbits) = rest(p, bits);
        bits += block::decode_block(r, (minbits, maxbits, maxprec), dims, ib)?;
        inv_cast(ib, emax, block);
    } else {
        block.fill(F::default());
        if p.minbits > bits {
            r.skip(u64::from(p.minbits - bits));
            bits = p.minbits;
        }
    }
    Ok(bits)
}

fn rev_encode_float<F: Float>(w: &mut BitWriter, p: &Params, dims: usize, block: &[F]) -> u32 {
    let n = block_size(dims);
    let emax = exponent_block(block);
    let mut ib = [F::I::default(); MAX_BLOCK];
    let ib = ib.get_mut(..n).unwrap_or_default();
    if emax != -F::EBIAS {
        fwd_cast(block, emax, ib);
    }
    // Is the block-floating-point form exact?
    let mut back = [F::default(); MAX_BLOCK];
    let back = back.get_mut(..n).unwrap_or_default();
    if emax != -F::EBIAS {
        inv_cast(ib, emax, back);
    }
    let bits = if back.iter().zip(block).all(|(a, b)| a.same_bits(*b)) {
        let e = emax + F::EBIAS;
        if e == 0 {
            // All (positive) zeros: one bit, not padded to minbits (as zfp 1.0).
            w.bit(0);
            return 1;
        }
        w.bits(1, 2);
        w.bits(e as u64, F::EBITS);
        2 + F::EBITS
    } else {
        for (i, &f) in ib.iter_mut().zip(block) {
            *i = f.to_twos();
        }
        w.bits(3, 2);
        // zfp 1.0 counts one bit for these two.
        1
    };
    let (minbits, maxbits) = rest(p, bits);
    bits + block::rev_encode_block(w, (minbits, maxbits, p.maxprec), dims, ib)
}

fn rev_decode_float<F: Float>(
    r: &mut BitReader<'_>,
    p: &Params,
    dims: usize,
    block: &mut [F],
) -> Result<u32, Truncated> {
    let mut bits = 1;
    if r.bit()? == 0 {
        block.fill(F::default());
        if p.minbits > bits {
            r.skip(u64::from(p.minbits - bits));
            bits = p.minbits;
        }
        return Ok(bits);
    }
    bits += 1;
    let mut ib = [F::I::default(); MAX_BLOCK];
    let ib = ib.get_mut(..block_size(dims)).unwrap_or_default();
    if r.bit()? == 1 {
        bits += block::rev_decode_block(r, rest(p, bits), dims, ib)?;
        for (f, &i) in block.iter_mut().zip(ib.iter()) {
            *f = F::from_twos(i);
        }
    } else {
        bits += F::EBITS;
        let emax = r.bits(F::EBITS)? as i32 - F::EBIAS;
        bits += block::rev_decode_block(r, rest(p, bits), dims, ib)?;
        if emax != -F::EBIAS {
            inv_cast(ib, emax, block);
        } else {
            block.fill(F::default());
        }
    }
    Ok(bits)
}
