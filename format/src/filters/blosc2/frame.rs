//! The Blosc2 contiguous frame ("cframe", c-blosc2 `README_CFRAME_FORMAT.rst`) as
//! hdf5-blosc2 stores each HDF5 chunk: a super-chunk of one Blosc2 chunk.
//!
//! ```text
//! header (msgpack, fixed offsets; integers big-endian):
//!   0 0x9e  1 0xa8 "b2frame\0"  10 0xd2 i32 header size  15 0xcf u64 frame size
//!  24 0xa4 general flags (bits 0-3 version, 4-5 offset size: 1 = 64-bit), frame type,
//!          codec flags (codec | clevel << 4), other flags
//!  29 0xd3 i64 uncompressed size   38 0xd3 i64 compressed size (the data chunks)
//!  47 0xd2 i32 typesize   52 0xd2 i32 blocksize   57 0xd2 i32 chunksize
//!  62 0xd1 i16 compression threads   65 0xd1 i16 decompression threads   68 has vlmeta
//!  69 0xd8 0x06 filters[6] codec codec-meta filter-meta[6] 2 reserved
//!  87 metalayers: 0x93 0xcd u16, 0xde u16 n, n x (fixstr name, 0xd2 i32 offset of its
//!     0xc6 u32 len content in the frame), 0xdc u16 n, contents
//! chunks, from the header's end; then the offsets chunk (a Blosc2 chunk of i64 LE offsets
//! from the header's end; a negative offset is a special chunk: byte 7 bit 0 zeros, bit 1
//! NaNs, bit 2 uninitialised); then the msgpack trailer (not needed to read).
//! ```

use super::b2nd::{self, Geometry};
use super::chunk::{self, Header};
use crate::error::{Error, Result};

const STRUCTURE: &str = "blosc2 frame";

const MAGIC: &[u8; 9] = b"\xa8b2frame\0";
/// Offsets of the fixed header fields (each after its msgpack tag byte).
const HEADER_SIZE: usize = 11;
const FLAGS: usize = 25;
const NBYTES: usize = 30;
const CBYTES: usize = 39;
const TYPESIZE: usize = 48;
const METALAYERS: usize = 87;

/// The header of a frame without metalayers, as c-blosc2 writes it.
const PLAIN_HEADER: usize = 97;

/// The msgpack trailer c-blosc2 writes (no variable-length metalayers, no fingerprint).
const TRAILER: [u8; 35] = [
    0x94, 0x01, 0x93, 0xcd, 0x00, 0x06, 0xde, 0x00, 0x00, 0xdc, 0x00, 0x00, 0xce, 0x00, 0x00, 0x00,
    0x23, 0xd8, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn corrupt(offset: u64, what: impl Into<String>) -> Error {
    Error::corrupt(STRUCTURE, offset, what.into())
}

/// A big-endian integer of `n` bytes at `at`, after the msgpack tag `tag` at `at - 1`.
fn field(b: &[u8], at: usize, tag: u8, n: usize, offset: u64) -> Result<u64> {
    if b.get(at.wrapping_sub(1)) != Some(&tag) {
        return Err(corrupt(
            offset,
            format!("header field at byte {at} malformed"),
        ));
    }
    let bytes = b
        .get(at..at + n)
        .ok_or_else(|| corrupt(offset, format!("header truncated at byte {at}")))?;
    Ok(bytes.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

/// A header field that must fit a non-negative `i32`/`i64` and a `usize`.
fn size_field(b: &[u8], at: usize, tag: u8, n: usize, offset: u64) -> Result<usize> {
    let v = field(b, at, tag, n, offset)?;
    let max = if n == 4 {
        i32::MAX as u64
    } else {
        i64::MAX as u64
    };
    usize::try_from(v)
        .ok()
        .filter(|_| v <= max)
        .ok_or_else(|| corrupt(offset, format!("header field at byte {at} is {v}")))
}

/// Decode the frame `b` to the HDF5 chunk, at most `limit` bytes. `cd` are the filter's
/// client data (slots 7 on give the chunk's rank and shape, checked against a b2nd array).
pub(crate) fn decode(b: &[u8], limit: usize, offset: u64, cd: &[u32]) -> Result<Vec<u8>> {
    if b.first().is_none_or(|&t| t & 0xf0 != 0x90) || b.get(1..10) != Some(&MAGIC[..]) {
        return Err(corrupt(offset, "not a Blosc2 frame (no b2frame magic)"));
    }
    let header_size = size_field(b, HEADER_SIZE, 0xd2, 4, offset)?;
    let flags = b.get(FLAGS..FLAGS + 4).unwrap_or_default();
    if b.get(FLAGS - 1) != Some(&0xa4) || flags.len() != 4 {
        return Err(corrupt(offset, "header flags malformed"));
    }
    let general = flags.first().copied().unwrap_or(0);
    if (general >> 4) & 0x03 != 1 {
        return Err(Error::Unsupported(format!(
            "blosc2 frame with chunk offsets of code {} (only 64-bit)",
            (general >> 4) & 0x03
        )));
    }
    let frame_type = flags.get(1).copied().unwrap_or(0) & 0x0f;
    if frame_type != 0 {
        return Err(Error::Unsupported(format!(
            "blosc2 frame type {frame_type}"
        )));
    }
    let nbytes = size_field(b, NBYTES, 0xd3, 8, offset)?;
    let cbytes = size_field(b, CBYTES, 0xd3, 8, offset)?;
    let typesize = size_field(b, TYPESIZE, 0xd2, 4, offset)?;
    if header_size < METALAYERS || header_size > b.len() {
        return Err(corrupt(
            offset,
            format!("header size {header_size} of {} bytes", b.len()),
        ));
    }
    let geometry = metalayer(b, header_size, offset)?;
    if let Some(g) = &geometry {
        check_cd(g, cd, offset)?;
    }

    // The offsets chunk: one offset, of the one chunk.
    let index_at = header_size
        .checked_add(cbytes)
        .filter(|&a| a < b.len())
        .ok_or_else(|| corrupt(offset, format!("compressed size {cbytes} past the frame")))?;
    let mut offsets = Vec::new();
    let index = chunk::decode_blocks(
        b.get(index_at..).unwrap_or_default(),
        offset,
        64,
        &mut |_, x| {
            offsets.extend_from_slice(x);
            Ok(())
        },
    )?;
    if index.nbytes != 8 {
        return Err(Error::Unsupported(format!(
            "blosc2 frame of {} chunks (the HDF5 filter stores one)",
            index.nbytes / 8
        )));
    }
    let raw = <[u8; 8]>::try_from(offsets.as_slice()).unwrap_or_default();
    let chunk_at = i64::from_le_bytes(raw);

    let Ok(chunk_at) = usize::try_from(chunk_at) else {
        return special(chunk_at, nbytes, typesize, geometry.as_ref(), limit, offset);
    };
    let at = header_size
        .checked_add(chunk_at)
        .filter(|&a| a < index_at)
        .ok_or_else(|| corrupt(offset, format!("chunk offset {chunk_at} past the chunks")))?;
    let data = b.get(at..index_at).unwrap_or_default();
    let h = Header::parse(data, offset)?;
    if h.nbytes != nbytes {
        return Err(corrupt(
            offset,
            format!("chunk of {} bytes in a frame of {nbytes}", h.nbytes),
        ));
    }
    match geometry {
        None => {
            let mut out = Vec::new();
            chunk::decode_blocks(data, offset, limit, &mut |_, x| {
                out.extend_from_slice(x);
                Ok(())
            })?;
            Ok(out)
        }
        Some(g) => {
            let (real, padded) = g
                .items()
                .ok_or_else(|| corrupt(offset, "b2nd shape overflows"))?;
            let block_items = g.block_items();
            let ts = h.blocksize / block_items.max(1);
            if ts == 0
                || ts * block_items != h.blocksize
                || padded.checked_mul(ts) != Some(h.nbytes)
            {
                return Err(corrupt(
                    offset,
                    format!(
                        "b2nd blocks {:?} do not match a chunk of {} bytes in blocks of {}",
                        g.blockshape, h.nbytes, h.blocksize
                    ),
                ));
            }
            let size = real
                .checked_mul(ts)
                .filter(|&s| s <= limit)
                .ok_or_else(|| corrupt(offset, format!("b2nd array larger than {limit} bytes")))?;
            let mut out = vec![0u8; size];
            chunk::decode_blocks(data, offset, usize::MAX, &mut |j, x| {
                g.scatter(j, x, ts, &mut out);
                Ok(())
            })?;
            Ok(out)
        }
    }
}

/// The chunk of special value `code` (a negative offset).
fn special(
    code: i64,
    nbytes: usize,
    typesize: usize,
    geometry: Option<&Geometry>,
    limit: usize,
    offset: u64,
) -> Result<Vec<u8>> {
    let kind = (code.to_le_bytes().get(7).copied().unwrap_or(0)) & 0x7f;
    let size = match geometry {
        Some(g) => g
            .items()
            .and_then(|(real, _)| real.checked_mul(typesize))
            .ok_or_else(|| corrupt(offset, "b2nd shape overflows"))?,
        None => nbytes,
    };
    if size > limit {
        return Err(corrupt(
            offset,
            format!("holds {size} bytes, more than the {limit} expected"),
        ));
    }
    let mut out = vec![0u8; size];
    // c-blosc2 tests the bits SPECIAL_ZERO, SPECIAL_NAN and SPECIAL_UNINIT of the byte.
    if kind & (chunk::SPECIAL_ZERO | chunk::SPECIAL_UNINIT) != 0 {
        // Uninitialised values are undefined: zeros.
        return Ok(out);
    }
    if kind & chunk::SPECIAL_NAN != 0 {
        let nan: Vec<u8> = match typesize {
            4 => f32::NAN.to_le_bytes().to_vec(),
            8 => f64::NAN.to_le_bytes().to_vec(),
            t => return Err(corrupt(offset, format!("NaN chunk of {t}-byte items"))),
        };
        if !size.is_multiple_of(typesize) {
            return Err(corrupt(offset, "NaN chunk not whole items"));
        }
        for d in out.chunks_exact_mut(typesize) {
            d.copy_from_slice(&nan);
        }
        return Ok(out);
    }
    Err(corrupt(offset, format!("chunk offset {code:#x}")))
}

/// The b2nd (or caterva) metalayer, when the frame has one.
fn metalayer(b: &[u8], header_size: usize, offset: u64) -> Result<Option<Geometry>> {
    if header_size <= METALAYERS {
        return Ok(None);
    }
    let h = b.get(..header_size).unwrap_or_default();
    let byte = |i: usize| h.get(i).copied().unwrap_or(0);
    if byte(METALAYERS) != 0x93 || byte(METALAYERS + 1) != 0xcd || byte(METALAYERS + 4) != 0xde {
        return Err(corrupt(offset, "metalayers malformed"));
    }
    let count = usize::from(byte(METALAYERS + 5)) << 8 | usize::from(byte(METALAYERS + 6));
    let mut at = METALAYERS + 7;
    for _ in 0..count {
        let tag = byte(at);
        if tag & 0xe0 != 0xa0 {
            return Err(corrupt(offset, format!("metalayer name at byte {at}")));
        }
        let len = usize::from(tag & 0x1f);
        let name = h
            .get(at + 1..at + 1 + len)
            .ok_or_else(|| corrupt(offset, "metalayer name truncated"))?;
        at += 1 + len;
        let content_at = size_field(h, at + 1, 0xd2, 4, offset)?;
        at += 5;
        if name != b"b2nd" && name != b"caterva" {
            continue;
        }
        let len = size_field(h, content_at + 1, 0xc6, 4, offset)?;
        let content = h
            .get(content_at + 5..content_at + 5 + len)
            .ok_or_else(|| corrupt(offset, "metalayer content truncated"))?;
        return b2nd::parse(content, offset).map(Some);
    }
    Ok(None)
}

/// hdf5-blosc2 refuses a b2nd array whose rank or shape differ from client data 7 on.
fn check_cd(g: &Geometry, cd: &[u32], offset: u64) -> Result<()> {
    let Some(&ndim) = cd.get(7) else {
        return Ok(());
    };
    let dims: Vec<usize> = cd
        .iter()
        .skip(8)
        .take(usize::try_from(ndim).unwrap_or(0))
        .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
        .collect();
    if dims != g.shape {
        return Err(corrupt(
            offset,
            format!(
                "b2nd array of shape {:?}, the filter's chunk is {dims:?}",
                g.shape
            ),
        ));
    }
    Ok(())
}

/// What a frame records about its chunk.
pub(crate) struct FrameInfo {
    /// Uncompressed bytes.
    pub nbytes: usize,
    /// The typesize the filter was given (may exceed the chunk header's 255).
    pub typesize: usize,
    /// The chunk's block size.
    pub blocksize: usize,
    /// Compressor code (`BLOSC_LZ4` ...) and level.
    pub compcode: u8,
    pub clevel: u8,
    /// The chunk's filter pipeline.
    pub filters: [u8; chunk::MAX_FILTERS],
}

/// A frame holding `chunk`, or (None) a chunk of zeros stored as a special offset.
pub(crate) fn write(info: &FrameInfo, chunk: Option<&[u8]>) -> Vec<u8> {
    let data = chunk.unwrap_or_default();
    let mut out = Vec::with_capacity(PLAIN_HEADER + data.len() + 40 + TRAILER.len());
    out.push(0x9e);
    out.extend_from_slice(MAGIC);
    out.push(0xd2);
    out.extend_from_slice(&(PLAIN_HEADER as i32).to_be_bytes());
    out.push(0xcf);
    out.extend_from_slice(&[0; 8]); // frame size, patched below
    out.extend_from_slice(&[
        0xa4,
        0x12,
        0x00,
        (info.compcode & 0x0f) | (info.clevel << 4),
        0x03,
    ]);
    out.push(0xd3);
    out.extend_from_slice(&(info.nbytes as i64).to_be_bytes());
    out.push(0xd3);
    out.extend_from_slice(&(data.len() as i64).to_be_bytes());
    for v in [info.typesize, info.blocksize, info.nbytes] {
        out.push(0xd2);
        out.extend_from_slice(&i32::try_from(v).unwrap_or(i32::MAX).to_be_bytes());
    }
    out.extend_from_slice(&[0xd1, 0, 0, 0xd1, 0, 1, 0xc2, 0xd8, chunk::MAX_FILTERS as u8]);
    out.extend_from_slice(&info.filters);
    out.extend_from_slice(&[info.compcode, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&[0x93, 0xcd, 0x00, 0x07, 0xde, 0x00, 0x00, 0xdc, 0x00, 0x00]);
    out.extend_from_slice(data);
    // The offsets chunk: memcpyed, one i64.
    let at: i64 = if chunk.is_some() {
        0
    } else {
        i64::from_le_bytes([0, 0, 0, 0, 0, 0, 0, 0x81])
    };
    out.extend_from_slice(&[5, 1, 0x07, 8, 8, 0, 0, 0, 8, 0, 0, 0, 40, 0, 0, 0]);
    out.extend_from_slice(&[0, 0, 0, 0, 0, chunk::SHUFFLE, 0, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&TRAILER);
    let len = (out.len() as u64).to_be_bytes();
    if let Some(slot) = out.get_mut(16..24) {
        slot.copy_from_slice(&len);
    }
    out
}
