//! The global heap block of a virtual dataset (spec III.F, "Global Heap Block for Virtual
//! Datasets"): the mapping list a virtual layout message points at.
//!
//! ```text
//! version u8 (0 or 1), entry count ("size of lengths" bytes), then per entry:
//!   [version 1: flags u8]
//!   source file name, NUL-terminated (version 1: absent when flags bit 2 is set)
//!   source dataset name, NUL-terminated
//!   source selection, virtual selection (serialized dataspace selections)
//! checksum u32 (lookup3 of everything before it)
//! ```
//!
//! Version 1 is what libhdf5 2.0 writes when it is no larger than version 0; its only
//! flag observed (h5py 3.16 / libhdf5 2.0.0, every combination of same-file and other-file
//! sources) is bit 2, "the source is this file" (libhdf5's `"."`), which drops the name.
//! Other flag bits are rejected as unsupported rather than guessed at.

use crate::dataspace::selection::Selection;
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Cursor, Sizes};

/// Structure name used in errors.
const STRUCTURE: &str = "virtual dataset global heap block";

/// Version 1 entry flag: the source dataset is in the virtual dataset's own file.
const FLAG_SAME_FILE: u8 = 0x04;

/// Most entries accepted (each takes at least 34 bytes, so a real block is far smaller).
const MAX_ENTRIES: u64 = 1 << 24;

/// One mapping: source elements copied to virtual elements, in the order of each
/// selection's elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// Source file name; `"."` is the virtual dataset's own file. May hold printf-style
    /// `%b` (block number) and `%%`.
    pub file: String,
    /// Source dataset path (same printf rules).
    pub dataset: String,
    /// Selection in the source dataset.
    pub source: Selection,
    /// Selection in the virtual dataset.
    pub virtual_sel: Selection,
}

/// Decode a block (the whole heap object, checksum included). `origin` is the object's
/// file offset, for errors.
pub fn parse(bytes: &[u8], origin: u64, sizes: Sizes) -> Result<Vec<Mapping>> {
    crate::checksum::verify_trailing(bytes, STRUCTURE, origin)?;
    let body = bytes
        .get(..bytes.len().saturating_sub(4))
        .unwrap_or_default();
    let mut c = Cursor::new(body, origin, sizes, STRUCTURE);
    let version = c.u8()?;
    if version > 1 {
        return Err(Error::Unsupported(format!(
            "{STRUCTURE} version {version} (0 and 1 are known)"
        )));
    }
    let count = c.length()?;
    if count > MAX_ENTRIES || count > c.remaining() as u64 {
        return Err(c.error(format!("{count} mappings cannot fit in the block")));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let flags = if version == 1 { c.u8()? } else { 0 };
        if flags & !FLAG_SAME_FILE != 0 {
            return Err(Error::Unsupported(format!(
                "{STRUCTURE}: mapping flags {flags:#04x} at byte offset {} (only bit 2, \
                 \"same file\", is known)",
                c.offset()
            )));
        }
        let file = if flags & FLAG_SAME_FILE != 0 {
            ".".to_string()
        } else {
            c_string(&mut c, "source file name")?
        };
        let dataset = c_string(&mut c, "source dataset name")?;
        let source = Selection::parse(&mut c)?;
        let virtual_sel = Selection::parse(&mut c)?;
        out.push(Mapping {
            file,
            dataset,
            source,
            virtual_sel,
        });
    }
    if c.remaining() != 0 {
        return Err(c.error(format!("{} bytes after the last mapping", c.remaining())));
    }
    Ok(out)
}

fn c_string(c: &mut Cursor<'_>, what: &str) -> Result<String> {
    let rest = c.rest();
    let Some(n) = rest.iter().position(|&b| b == 0) else {
        return Err(c.error(format!("{what} has no terminating NUL")));
    };
    let s = String::from_utf8(c.take(n)?.to_vec())
        .map_err(|_| c.error(format!("{what} is not UTF-8")))?;
    c.skip(1)?;
    Ok(s)
}

/// Encode a block as version 0 (what libhdf5 writes unless version 1 is smaller; every
/// libhdf5 since 1.10 reads it), checksum included.
pub fn encode(mappings: &[Mapping], sizes: Sizes) -> Result<Vec<u8>> {
    let mut out = vec![0u8];
    out.put_length(mappings.len() as u64, sizes)?;
    for m in mappings {
        for s in [&m.file, &m.dataset] {
            if s.as_bytes().contains(&0) {
                return Err(Error::Invalid(format!("name {s:?} contains a NUL byte")));
            }
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        }
        m.source.encode(&mut out)?;
        m.virtual_sel.encode(&mut out)?;
    }
    let sum = crate::checksum::metadata(&out);
    out.put_uint(u64::from(sum), 4)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// h5py 3.16 (libhdf5 2.0), libver earliest: `src.h5`:`a` -> [0:10), `.`:`b` -> [10:20).
    const V0: &str = "00 02 00 00 00 00 00 00 00 73 72 63 2e 68 35 00 61 00 03 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00 10 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 09 00 00 00 2e 00 62 00 03 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00 10 00 00 00 01 00 00 00 01 00 00 00 0a 00 00 00 13 00 00 00 a1 32 a0 a2";
    /// The same with libver latest: version 1, the `.` entry flagged 0x04 without a name.
    const V1: &str = "01 02 00 00 00 00 00 00 00 00 73 72 63 2e 68 35 00 61 00 03 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 03 00 00 00 01 02 01 00 00 00 00 00 01 00 01 00 0a 00 04 62 00 03 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 03 00 00 00 01 02 01 00 00 00 0a 00 01 00 01 00 0a 00 54 5f d0 fe";

    #[test]
    fn versions_0_and_1_from_libhdf5_2() {
        let v0 = parse(&hex(V0), 0, Sizes::default()).unwrap();
        let v1 = parse(&hex(V1), 0, Sizes::default()).unwrap();
        assert_eq!(v0.len(), 2);
        assert_eq!(
            (v0[0].file.as_str(), v0[0].dataset.as_str()),
            ("src.h5", "a")
        );
        assert_eq!((v1[1].file.as_str(), v1[1].dataset.as_str()), (".", "b"));
        assert_eq!(v0[1].source, Selection::All);
        // Version 0 re-encodes byte for byte.
        assert_eq!(encode(&v0, Sizes::default()).unwrap(), hex(V0));
    }

    #[test]
    fn bad_blocks_are_errors() {
        let mut b = hex(V0);
        let n = b.len();
        b[n - 1] ^= 1;
        assert!(parse(&b, 0, Sizes::default()).is_err(), "checksum");
        let b = hex(V0);
        for n in 0..b.len() {
            assert!(parse(&b[..n], 0, Sizes::default()).is_err());
        }
        // Unknown flag bits in version 1.
        let mut b = hex(V1);
        b[9] = 0x01;
        let n = b.len();
        let sum = crate::checksum::metadata(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&sum.to_le_bytes());
        assert!(matches!(
            parse(&b, 0, Sizes::default()),
            Err(Error::Unsupported(_))
        ));
    }
}
