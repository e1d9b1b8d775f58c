//! The Fletcher-32 filter (filter ID 3, spec IV.A.2.l; libhdf5 `H5Zfletcher32.c`): the
//! checksum of [`crate::checksum::fletcher32`] is appended as a little-endian `u32`.
//!
//! libhdf5 before 1.6.3 stored the checksum with the bytes of each 16-bit half swapped on
//! little-endian machines; like libhdf5, reading accepts either form.

use std::borrow::Cow;

use super::codec::{FilterCodec, FilterContext};
use crate::checksum;
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

/// The Fletcher-32 filter (no client data).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fletcher32;

impl FilterCodec for Fletcher32 {
    fn id(&self) -> u16 {
        id::FLETCHER32
    }

    fn name(&self) -> &str {
        "fletcher32"
    }

    fn decode(&self, ctx: &FilterContext<'_>, input: &[u8]) -> Result<Vec<u8>> {
        verify_and_strip(input, ctx.offset).map(<[u8]>::to_vec)
    }

    fn encode(&self, _ctx: &FilterContext<'_>, input: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(Some(append(input)))
    }

    fn encoded_bound(&self, len: usize) -> usize {
        len.saturating_add(CHECKSUM_LEN)
    }

    /// Strips the checksum without copying a borrowed buffer.
    fn decode_cow<'a>(
        &self,
        ctx: &FilterContext<'_>,
        input: Cow<'a, [u8]>,
    ) -> Result<Cow<'a, [u8]>> {
        let body = verify_and_strip(&input, ctx.offset)?.len();
        Ok(match input {
            Cow::Borrowed(b) => Cow::Borrowed(b.get(..body).unwrap_or_default()),
            Cow::Owned(mut v) => {
                v.truncate(body);
                Cow::Owned(v)
            }
        })
    }
}

/// Size of the appended checksum.
pub const CHECKSUM_LEN: usize = 4;

/// `data` followed by its checksum (writing direction).
pub fn append(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + CHECKSUM_LEN);
    out.extend_from_slice(data);
    out.extend_from_slice(&checksum::fletcher32(data).to_le_bytes());
    out
}

/// Verify the trailing checksum of `data` and return the bytes before it. `offset` is the
/// chunk's file offset, for errors.
pub fn verify_and_strip(data: &[u8], offset: u64) -> Result<&[u8]> {
    let split = data.len().checked_sub(CHECKSUM_LEN).ok_or_else(|| {
        Error::corrupt(
            "fletcher32 filter",
            offset,
            format!("{} bytes are too few to hold a checksum", data.len()),
        )
    })?;
    let (body, tail) = data.split_at(split);
    let mut word = [0u8; 4];
    word.copy_from_slice(tail);
    let stored = u32::from_le_bytes(word);
    let computed = checksum::fletcher32(body);
    // The pre-1.6.3 form: bytes swapped within each 16-bit half.
    let old = ((computed & 0x00ff_00ff) << 8) | ((computed >> 8) & 0x00ff_00ff);
    if stored != computed && stored != old {
        return Err(Error::Checksum {
            structure: "fletcher32 filter",
            offset,
            stored,
            computed,
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn round_trip_and_old_byte_order() {
        let data = b"abcdefghijk";
        let sealed = append(data);
        assert_eq!(verify_and_strip(&sealed, 0).unwrap(), data);
        let mut old = sealed.clone();
        let n = old.len();
        old.swap(n - 4, n - 3);
        old.swap(n - 2, n - 1);
        assert_eq!(verify_and_strip(&old, 0).unwrap(), data);
        let mut bad = sealed;
        bad[0] ^= 1;
        assert!(matches!(
            verify_and_strip(&bad, 77),
            Err(Error::Checksum { offset: 77, .. })
        ));
        assert!(verify_and_strip(&[1, 2, 3], 0).is_err());
        assert_eq!(verify_and_strip(&append(&[]), 0).unwrap(), b"");
    }
}
