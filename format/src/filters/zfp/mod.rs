//! The ZFP filter (HDF5 filter 32013: LLNL's H5Z-ZFP 1.x, as hdf5plugin's `Zfp` ships it,
//! over the zfp 0.5.x/1.0.x compressed format, codec version 5).
//!
//! H5Z-ZFP keeps zfp's own header out of the chunks: its `set_local` writes it into the
//! client data, and each chunk holds only the compressed blocks.
//!
//! ```text
//! cd_values[0]     (zfp version << 16) | (zfp codec << 12) | H5Z-ZFP version
//! cd_values[1..]   zfp header (magic, field, mode; see `header`) as a bit stream of
//!                  8-bit words, the bytes packed 4 to a value in the writer's byte order
//! chunk            the blocks of the field, coded in the header's mode, padded to a byte
//! ```
//!
//! The field is the chunk with its dimensions of size 1 dropped (at most 4 remain), the
//! last HDF5 dimension being zfp's x (fastest varying). The data are int32, int64, float
//! or double. Every mode reads and writes: fixed rate, fixed precision, fixed accuracy,
//! reversible (lossless) and expert (minbits, maxbits, maxprec, minexp).

mod array;
mod bitstream;
mod block;
pub mod header;
mod scalar;

use self::bitstream::{BitReader, BitWriter};
use self::header::{Field, HeaderError, Params, ScalarType};
use super::codec::{FilterCodec, FilterContext, LocalContext};
use crate::datatype::{ByteOrder, TypeClass};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

/// `cd_values[0]` as H5Z-ZFP 1.1.1 built on zfp 1.0.1 writes it (the version this module
/// writes streams for).
pub const VERSION_WORD: u32 = 0x1010_5111;

/// Most client data values H5Z-ZFP accepts (`H5Z_ZFP_CD_NELMTS_MAX`).
const MAX_CD_VALUES: usize = 6;

const STRUCTURE: &str = "zfp filter";

/// The compression mode of [`crate::DatasetBuilder::zfp`] (hdf5plugin's `Zfp(...)`
/// arguments).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZfpMode {
    /// Fixed rate: compressed bits per value (`Zfp(rate=...)`).
    Rate(f64),
    /// Fixed precision: bit planes kept (`Zfp(precision=...)`).
    Precision(u32),
    /// Fixed accuracy: absolute error tolerance (`Zfp(accuracy=...)`).
    Accuracy(f64),
    /// Lossless (`Zfp(reversible=True)`).
    Reversible,
    /// zfp's four parameters (`Zfp(minbits=, maxbits=, maxprec=, minexp=)`).
    Expert {
        /// Fewest bits per block.
        minbits: u32,
        /// Most bits per block.
        maxbits: u32,
        /// Most bit planes.
        maxprec: u32,
        /// Smallest bit plane exponent.
        minexp: i32,
    },
}

impl ZfpMode {
    /// The client data hdf5plugin passes for this mode (before `set_local`).
    pub fn cd_values(&self) -> Vec<u32> {
        let split = |v: f64| {
            let b = v.to_bits();
            (b as u32, (b >> 32) as u32)
        };
        match *self {
            ZfpMode::Rate(r) => {
                let (lo, hi) = split(r);
                vec![1, 0, lo, hi, 0, 0]
            }
            ZfpMode::Precision(p) => vec![2, 0, p, 0, 0, 0],
            ZfpMode::Accuracy(a) => {
                let (lo, hi) = split(a);
                vec![3, 0, lo, hi, 0, 0]
            }
            ZfpMode::Expert {
                minbits,
                maxbits,
                maxprec,
                minexp,
            } => vec![4, 0, minbits, maxbits, maxprec, minexp as u32],
            ZfpMode::Reversible => vec![5, 0, 0, 0, 0, 0],
        }
    }
}

/// The ZFP filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Zfp;

impl FilterCodec for Zfp {
    fn id(&self) -> u16 {
        id::ZFP
    }

    fn name(&self) -> &str {
        "zfp"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        let local = parse_cd_values(ctx.cd_values, ctx.offset)?;
        let size = local.field.ty.size();
        if size != ctx.element_size {
            return Err(corrupt(
                ctx.offset,
                format!(
                    "header says {:?} values, the dataset's are {} bytes",
                    local.field.ty, ctx.element_size
                ),
            ));
        }
        let total = local
            .field
            .values()
            .and_then(|n| n.checked_mul(size))
            .filter(|&t| t <= ctx.limit)
            .ok_or_else(|| {
                corrupt(
                    ctx.offset,
                    format!(
                        "header claims a {:?} field of {:?}, more than the {} bytes expected",
                        local.field.ty, local.field.dims, ctx.limit
                    ),
                )
            })?;
        let mut out = vec![0u8; total];
        let mut r = BitReader::new(input);
        let (p, dims, big) = (&local.params, &local.field.dims, local.big_endian);
        let done = match local.field.ty {
            ScalarType::Int32 => array::decompress::<i32>(&mut r, p, dims, &mut out, big),
            ScalarType::Int64 => array::decompress::<i64>(&mut r, p, dims, &mut out, big),
            ScalarType::Float => array::decompress::<f32>(&mut r, p, dims, &mut out, big),
            ScalarType::Double => array::decompress::<f64>(&mut r, p, dims, &mut out, big),
        };
        if done.is_err() || !r.in_bounds() {
            return Err(corrupt(
                ctx.offset,
                format!(
                    "stream of {} bytes truncated (read to bit {})",
                    input.len(),
                    r.pos()
                ),
            ));
        }
        Ok(out)
    }

    fn encode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let local = parse_cd_values(ctx.cd_values, ctx.offset)?;
        let size = local.field.ty.size();
        let total = local.field.values().and_then(|n| n.checked_mul(size));
        if total != Some(input.len()) || size != ctx.element_size || local.big_endian {
            return Err(Error::Invalid(format!(
                "zfp: a chunk of {} bytes of {}-byte values does not match the filter's \
                 {:?} field of {:?}",
                input.len(),
                ctx.element_size,
                local.field.ty,
                local.field.dims
            )));
        }
        Ok(Some(compress(&local.field, &local.params, input)))
    }

    fn set_local(&self, cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
        set_local(cd, local)
    }

    fn encoded_bound(&self, len: usize) -> usize {
        // Partial blocks are padded: a 2x2x2x2 chunk becomes a 256-value block (16 times
        // the values), each value costing at most its bits plus one, plus the block header.
        len.saturating_mul(17).saturating_add(64)
    }
}

/// Compress `input` (little-endian values of `field`, x fastest) with `params`.
pub fn compress(field: &Field, params: &Params, input: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(input.len() / 2 + 64);
    let dims = &field.dims;
    match field.ty {
        ScalarType::Int32 => array::compress::<i32>(&mut w, params, dims, input),
        ScalarType::Int64 => array::compress::<i64>(&mut w, params, dims, input),
        ScalarType::Float => array::compress::<f32>(&mut w, params, dims, input),
        ScalarType::Double => array::compress::<f64>(&mut w, params, dims, input),
    }
    w.finish()
}

/// What the client data say: the field, the mode and the writer's byte order.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalParams {
    /// The chunk as zfp sees it.
    pub field: Field,
    /// The compression parameters.
    pub params: Params,
    /// The header only reads with its values byte-swapped: a big-endian writer, whose
    /// values come out big-endian.
    pub big_endian: bool,
}

fn corrupt(offset: u64, detail: String) -> Error {
    Error::corrupt(STRUCTURE, offset, detail)
}

/// Parse H5Z-ZFP's client data (`get_zfp_info_from_cd_values`).
pub fn parse_cd_values(cd: &[u32], offset: u64) -> Result<LocalParams> {
    let Some((&version, words)) = cd.split_first().filter(|(_, w)| !w.is_empty()) else {
        return Err(corrupt(
            offset,
            format!("{} client data values, too few for a zfp header", cd.len()),
        ));
    };
    if cd.len() > MAX_CD_VALUES {
        return Err(corrupt(
            offset,
            format!(
                "{} client data values, more than H5Z-ZFP's {MAX_CD_VALUES}",
                cd.len()
            ),
        ));
    }
    // The writer's zfp codec (`zfp_codec_version_mismatch`).
    let mut zfp_version = version >> 16;
    if zfp_version < 0x0100 {
        zfp_version <<= 4;
    }
    let writer_codec = match zfp_version {
        0..=0x04ff => 4,
        0x0500..=0x1000 => 5,
        _ => (version >> 12) & 0xf,
    };
    if writer_codec > u32::from(header::CODEC) {
        return Err(Error::Unsupported(format!(
            "zfp codec version {writer_codec} (zfp {zfp_version:#x}); codec 5 is supported"
        )));
    }
    let mut first = None;
    for big_endian in [false, true] {
        let bytes: Vec<u8> = words
            .iter()
            .flat_map(|w| {
                if big_endian {
                    w.to_be_bytes()
                } else {
                    w.to_le_bytes()
                }
            })
            .collect();
        match header::read(&mut BitReader::new(&bytes)) {
            Ok((field, params)) => {
                return Ok(LocalParams {
                    field,
                    params,
                    big_endian,
                })
            }
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(match first {
        Some(HeaderError::Magic(m)) => Error::Unsupported(format!(
            "zfp header: magic {m}, expected \"zfp\" codec {}",
            header::CODEC
        )),
        Some(HeaderError::Mode(m)) => corrupt(offset, format!("zfp header: invalid mode {m:#x}")),
        _ => corrupt(offset, "zfp header truncated".into()),
    })
}

/// `frexp`'s exponent of a positive finite `x` (0 for infinity, as glibc).
fn frexp_exp(x: f64) -> i32 {
    let e = ((x.to_bits() >> 52) & 0x7ff) as i32;
    match e {
        0 => {
            // Subnormal: normalise by 2^64 first.
            let y = x * f64::from_bits((1023 + 64) << 52);
            ((y.to_bits() >> 52) & 0x7ff) as i32 - 1022 - 64
        }
        0x7ff => 0,
        _ => e - 1022,
    }
}

/// The parameters of hdf5plugin's client data for a field of `ty` in `dims` dimensions
/// (H5Z-ZFP's `set_local` and zfp's `zfp_stream_set_*`).
fn params_of(cd: &[u32], ty: ScalarType, dims: usize) -> Result<Params> {
    let at = |i: usize| cd.get(i).copied().unwrap_or(0);
    let double = || f64::from_bits(u64::from(at(2)) | (u64::from(at(3)) << 32));
    let invalid = |what: String| Error::Invalid(format!("zfp: {what}"));
    if cd.is_empty() {
        return Ok(Params::DEFAULT);
    }
    Ok(match at(0) {
        1 => {
            let rate = double();
            let n = f64::from(1u32 << (2 * dims));
            let mut bits = (n * rate + 0.5).floor() as u32;
            bits = match ty {
                ScalarType::Float => bits.max(1 + 8),
                ScalarType::Double => bits.max(1 + 11),
                _ => bits,
            };
            Params {
                minbits: bits,
                maxbits: bits,
                ..Params::DEFAULT
            }
        }
        2 => Params {
            maxprec: match at(2) {
                0 => header::MAX_PREC,
                p => p.min(header::MAX_PREC),
            },
            ..Params::DEFAULT
        },
        3 => {
            let tolerance = double();
            let minexp = if tolerance > 0.0 {
                frexp_exp(tolerance) - 1
            } else {
                header::MIN_EXP
            };
            Params {
                minexp,
                ..Params::DEFAULT
            }
        }
        4 => Params::new(at(2), at(3), at(4), at(5) as i32).ok_or_else(|| {
            invalid(format!(
                "expert mode needs minbits <= maxbits and 1 <= maxprec <= 64, got {}, {}, {}",
                at(2),
                at(3),
                at(4)
            ))
        })?,
        5 => Params {
            minexp: header::MIN_EXP - 1,
            ..Params::DEFAULT
        },
        m => return Err(invalid(format!("invalid mode {m} in client data {cd:?}"))),
    })
}

/// H5Z-ZFP's `set_local`: the client data holding the zfp header for this dataset's type
/// and chunk shape, from hdf5plugin's mode values (or none: zfp's expert defaults). Client
/// data that already hold a header (copied from another dataset) keep its mode, with this
/// dataset's type and chunk shape.
fn set_local(cd: &[u32], local: &LocalContext<'_>) -> Result<Vec<u32>> {
    let copied = if cd.get(1).is_some_and(|w| w & 0xff_ffff == 0x70_667a) {
        Some(parse_cd_values(cd, 0)?.params)
    } else {
        None
    };
    let unsupported = |what: String| Error::Unsupported(format!("zfp filter: {what}"));
    let dt = local.datatype;
    let ty = match (&dt.class, dt.size) {
        (TypeClass::Float { order, .. }, 4) if *order == ByteOrder::Little => ScalarType::Float,
        (TypeClass::Float { order, .. }, 8) if *order == ByteOrder::Little => ScalarType::Double,
        (TypeClass::Integer { order, .. }, 4) if *order == ByteOrder::Little => ScalarType::Int32,
        (TypeClass::Integer { order, .. }, 8) if *order == ByteOrder::Little => ScalarType::Int64,
        _ => {
            return Err(unsupported(format!(
                "needs little-endian 4- or 8-byte integers or floats, not {dt:?}"
            )))
        }
    };
    let mut dims: Vec<usize> = local
        .chunk_dims
        .iter()
        .filter(|&&d| d > 1)
        .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
        .collect();
    if dims.is_empty() || dims.len() > 4 {
        return Err(unsupported(format!(
            "chunks must have 1 to 4 dimensions larger than 1, not {:?}",
            local.chunk_dims
        )));
    }
    dims.reverse();
    let params = match copied {
        Some(p) => p,
        None => params_of(cd, ty, dims.len())?,
    };
    let field = Field { ty, dims };
    let mut w = BitWriter::with_capacity(24);
    header::write(&mut w, &field, &params).ok_or_else(|| {
        unsupported(format!(
            "chunk dimensions {:?} too large for a zfp header",
            local.chunk_dims
        ))
    })?;
    let bytes = w.finish();
    let mut out = vec![VERSION_WORD];
    out.extend(bytes.chunks(4).map(|c| {
        let mut word = [0u8; 4];
        for (d, s) in word.iter_mut().zip(c) {
            *d = *s;
        }
        u32::from_le_bytes(word)
    }));
    Ok(out)
}

#[cfg(test)]
mod tests;
