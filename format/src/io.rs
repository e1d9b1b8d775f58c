//! Random access to the file's bytes and a bounds-checked little-endian cursor.
//!
//! HDF5 metadata is always little-endian; what varies per file is the size of offsets
//! (addresses) and of lengths, carried here in [`Sizes`]. Every read returns `Result` and
//! names the structure being decoded and the absolute byte offset on failure.

use crate::error::{Error, Result};

/// An address inside the file, relative to the superblock's base address.
///
/// The all-ones "undefined address" of the spec is represented as `Option::<Addr>::None`
/// by [`Cursor::addr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr(pub u64);

impl Addr {
    /// The raw address value.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Size in bytes of addresses ("offsets") and of lengths in this file's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// Size of offsets: 2, 4 or 8.
    pub offset: u8,
    /// Size of lengths: 2, 4 or 8.
    pub length: u8,
}

impl Sizes {
    /// The largest value a length field of this file holds.
    pub fn max_length(self) -> u64 {
        max_uint(usize::from(self.length))
    }

    /// The largest end-of-file address this file can record: every address below it fits
    /// the offset field, and the end of file itself must not be the all-ones "undefined"
    /// value (with 4-byte offsets: 2^32 - 2 bytes).
    pub fn max_eof(self) -> u64 {
        max_uint(usize::from(self.offset)).saturating_sub(1)
    }

    /// Check that an extent of `len` bytes at `addr` ends where this file's offsets can
    /// address it, and return its end. `what` names the structure for the error.
    pub fn extent_end(self, addr: u64, len: u64, what: &str) -> Result<u64> {
        match addr.checked_add(len) {
            Some(end) if end <= self.max_eof() => Ok(end),
            _ => Err(Error::LimitExceeded(format!(
                "{what}: {len} bytes at address {addr:#x} would end past {:#x}, the largest \
                 end of file that {}-byte offsets can address",
                self.max_eof(),
                self.offset
            ))),
        }
    }
}

/// The largest unsigned value of an `n`-byte field.
fn max_uint(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    }
}

/// Whether `v` fits an `n`-byte unsigned field.
pub fn fits(v: u64, n: usize) -> bool {
    v <= max_uint(n)
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            offset: 8,
            length: 8,
        }
    }
}

/// The whole file image: its bytes, where the HDF5 data begins (the superblock's base
/// address, non-zero when a user block precedes it) and the per-file field sizes.
#[derive(Clone, Copy, Debug)]
pub struct FileImage<'a> {
    bytes: &'a [u8],
    base: u64,
    sizes: Sizes,
    sohm: Option<crate::sohm::SohmRef>,
}

impl<'a> FileImage<'a> {
    /// Wrap a file's bytes. `base` is the absolute offset that address 0 refers to.
    pub fn new(bytes: &'a [u8], base: u64, sizes: Sizes) -> Self {
        FileImage {
            bytes,
            base,
            sizes,
            sohm: None,
        }
    }

    /// The same image, knowing where the file's shared object header message table is
    /// (needed to read messages stored in the SOHM heaps).
    pub fn with_sohm(mut self, sohm: Option<crate::sohm::SohmRef>) -> Self {
        self.sohm = sohm;
        self
    }

    /// The file's shared object header message table, if it has one.
    pub fn sohm(&self) -> Option<crate::sohm::SohmRef> {
        self.sohm
    }

    /// The field sizes of this file.
    pub fn sizes(&self) -> Sizes {
        self.sizes
    }

    /// The base address (absolute offset of address 0).
    pub fn base(&self) -> u64 {
        self.base
    }

    /// All bytes of the file, from absolute offset 0.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Number of bytes addressable from the base address.
    pub fn len(&self) -> u64 {
        (self.bytes.len() as u64).saturating_sub(self.base)
    }

    /// True when nothing is addressable.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Absolute file offset of an address (for error messages).
    pub fn absolute(&self, addr: Addr) -> u64 {
        self.base.saturating_add(addr.0)
    }

    /// `len` bytes at `addr`, or a corruption error naming `structure` if they are not all
    /// inside the file.
    pub fn slice(&self, addr: Addr, len: u64, structure: &'static str) -> Result<&'a [u8]> {
        let start = self.base.checked_add(addr.0);
        let end = start.and_then(|s| s.checked_add(len));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.bytes.len() as u64 => {
                // Both fit in usize because they are <= bytes.len().
                self.bytes
                    .get(s as usize..e as usize)
                    .ok_or_else(|| Error::corrupt(structure, s, "range outside the file"))
            }
            _ => Err(Error::corrupt(
                structure,
                start.unwrap_or(u64::MAX),
                format!(
                    "{len} bytes at address {addr} run past the end of the file ({} bytes)",
                    self.bytes.len()
                ),
            )),
        }
    }

    /// A cursor positioned at `addr`, extending to the end of the file.
    pub fn cursor_at(&self, addr: Addr, structure: &'static str) -> Result<Cursor<'a>> {
        let rest = self.len().checked_sub(addr.0).ok_or_else(|| {
            Error::corrupt(
                structure,
                self.absolute(addr),
                format!("address {addr} is past the end of the file"),
            )
        })?;
        let buf = self.slice(addr, rest, structure)?;
        Ok(Cursor::new(buf, self.absolute(addr), self.sizes, structure))
    }

    /// A cursor over exactly `len` bytes at `addr`.
    pub fn cursor(&self, addr: Addr, len: u64, structure: &'static str) -> Result<Cursor<'a>> {
        let buf = self.slice(addr, len, structure)?;
        Ok(Cursor::new(buf, self.absolute(addr), self.sizes, structure))
    }
}

/// A bounds-checked little-endian reader over a byte slice.
///
/// `origin` is the absolute file offset of the slice's first byte, so that errors can name
/// the exact position of a problem.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    origin: u64,
    sizes: Sizes,
    structure: &'static str,
}

impl<'a> Cursor<'a> {
    /// A cursor over `buf`, whose first byte is at absolute offset `origin`.
    pub fn new(buf: &'a [u8], origin: u64, sizes: Sizes, structure: &'static str) -> Self {
        Cursor {
            buf,
            pos: 0,
            origin,
            sizes,
            structure,
        }
    }

    /// The same bytes and position, reporting errors as another structure.
    pub fn named(mut self, structure: &'static str) -> Self {
        self.structure = structure;
        self
    }

    /// The field sizes in force.
    pub fn sizes(&self) -> Sizes {
        self.sizes
    }

    /// Position relative to the start of the slice.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Absolute file offset of the current position.
    pub fn offset(&self) -> u64 {
        self.origin.saturating_add(self.pos as u64)
    }

    /// Absolute file offset of the slice's first byte.
    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The bytes already consumed, from the start of the slice.
    pub fn consumed(&self) -> &'a [u8] {
        self.buf.get(..self.pos).unwrap_or_default()
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// A corruption error at the current position.
    pub fn error(&self, detail: impl Into<String>) -> Error {
        Error::corrupt(self.structure, self.offset(), detail)
    }

    /// Take the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get(self.pos..e).map(|s| (e, s))) {
            Some((e, s)) => {
                self.pos = e;
                Ok(s)
            }
            None => Err(self.error(format!(
                "needs {n} more bytes but only {} remain",
                self.remaining()
            ))),
        }
    }

    /// Take `n` bytes where `n` comes from the file as a `u64`.
    pub fn take_u64(&mut self, n: u64) -> Result<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| self.error(format!("length {n} is too large")))?;
        self.take(n)
    }

    /// Skip `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    /// Move to position `pos` (relative to the start of the slice).
    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.buf.len() {
            return Err(self.error(format!("seek to {pos} past the end ({})", self.buf.len())));
        }
        self.pos = pos;
        Ok(())
    }

    /// Fixed-size array of bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Expect a 4-byte signature such as `b"OHDR"`.
    pub fn signature(&mut self, expected: &[u8; 4]) -> Result<()> {
        let at = self.offset();
        let got: [u8; 4] = self.array()?;
        if &got != expected {
            return Err(Error::corrupt(
                self.structure,
                at,
                format!(
                    "expected signature {:?}, found {:?}",
                    String::from_utf8_lossy(expected),
                    String::from_utf8_lossy(&got)
                ),
            ));
        }
        Ok(())
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// Little-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Little-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Little-endian u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Little-endian unsigned integer of `n` bytes (0 to 8).
    pub fn uint(&mut self, n: usize) -> Result<u64> {
        if n > 8 {
            return Err(self.error(format!("integer field of {n} bytes is wider than 8")));
        }
        let s = self.take(n)?;
        Ok(le_uint(s))
    }

    /// An address ("offset") field; `None` for the undefined address (all bits set).
    pub fn addr(&mut self) -> Result<Option<Addr>> {
        let n = usize::from(self.sizes.offset);
        let v = self.uint(n)?;
        Ok(if is_undefined(v, n) {
            None
        } else {
            Some(Addr(v))
        })
    }

    /// An address field that must be defined.
    pub fn addr_required(&mut self, what: &str) -> Result<Addr> {
        let at = self.offset();
        self.addr()?.ok_or_else(|| {
            Error::corrupt(self.structure, at, format!("{what} address is undefined"))
        })
    }

    /// A length field (size of lengths bytes).
    pub fn length(&mut self) -> Result<u64> {
        self.uint(usize::from(self.sizes.length))
    }
}

/// Little-endian writers for encoders: every field is checked, a value that does not fit its
/// field is an error (never truncated), so that a file with 4-byte offsets or lengths refuses
/// what it cannot address instead of recording a wrong address.
pub trait PutLe {
    /// Append `v` in `n` little-endian bytes (zero-padded past 8).
    fn put_uint(&mut self, v: u64, n: usize) -> Result<()>;
    /// Append an address (`None` = undefined, all ones) of the file's offset size. A defined
    /// address must fit the field and must not be the all-ones value.
    fn put_addr(&mut self, addr: Option<Addr>, sizes: Sizes) -> Result<()>;
    /// Append a length of the file's length size.
    fn put_length(&mut self, v: u64, sizes: Sizes) -> Result<()>;
    /// Append a 2-byte field (cannot fail: the type is the field).
    fn put_u16(&mut self, v: u16);
    /// Append a 4-byte field.
    fn put_u32(&mut self, v: u32);
    /// Append an 8-byte field.
    fn put_u64(&mut self, v: u64);
}

impl PutLe for Vec<u8> {
    fn put_uint(&mut self, v: u64, n: usize) -> Result<()> {
        if !fits(v, n) {
            return Err(Error::LimitExceeded(format!(
                "value {v} does not fit a {n}-byte field"
            )));
        }
        let bytes = v.to_le_bytes();
        // `n.min(8)` is at most 8 = bytes.len(), so the fallback is never taken.
        self.extend_from_slice(bytes.get(..n.min(8)).unwrap_or(&bytes));
        self.extend(std::iter::repeat_n(0, n.saturating_sub(8)));
        Ok(())
    }

    fn put_addr(&mut self, addr: Option<Addr>, sizes: Sizes) -> Result<()> {
        let n = usize::from(sizes.offset);
        match addr {
            Some(a) if a.0 >= max_uint(n) => Err(Error::LimitExceeded(format!(
                "address {a} does not fit the file's {n}-byte offsets"
            ))),
            Some(a) => self.put_uint(a.0, n),
            None => {
                self.extend(std::iter::repeat_n(0xff, n));
                Ok(())
            }
        }
    }

    fn put_length(&mut self, v: u64, sizes: Sizes) -> Result<()> {
        let n = usize::from(sizes.length);
        if !fits(v, n) {
            return Err(Error::LimitExceeded(format!(
                "length {v} does not fit the file's {n}-byte lengths"
            )));
        }
        self.put_uint(v, n)
    }

    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

/// Little-endian unsigned value of up to 8 bytes.
pub fn le_uint(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(8)
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Whether `v`, read from an `n`-byte field, is the undefined address (all ones).
pub fn is_undefined(v: u64, n: usize) -> bool {
    if n >= 8 {
        v == u64::MAX
    } else {
        v == (1u64 << (8 * n)) - 1
    }
}

/// Number of bytes needed to encode values up to `max` (at least 1).
pub fn bytes_needed(max: u64) -> usize {
    let bits = 64 - max.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reads_and_reports_offsets() {
        let bytes = [1u8, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        let sizes = Sizes {
            offset: 4,
            length: 4,
        };
        let mut c = Cursor::new(&bytes, 100, sizes, "test structure");
        assert_eq!(c.u16().ok(), Some(1));
        assert_eq!(c.u32().ok(), Some(2));
        assert_eq!(c.addr().ok(), Some(None));
        let err = c.u8().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("test structure at byte offset 110"), "{err}");
    }

    #[test]
    fn image_slices_are_bounds_checked() {
        let bytes = [0u8; 16];
        let img = FileImage::new(&bytes, 4, Sizes::default());
        assert_eq!(img.slice(Addr(0), 12, "x").map(|s| s.len()).ok(), Some(12));
        assert!(img.slice(Addr(1), 12, "x").is_err());
        assert!(img.slice(Addr(u64::MAX), 2, "x").is_err());
        assert!(img.cursor_at(Addr(13), "x").is_err());
    }

    #[test]
    fn put_le_refuses_values_that_do_not_fit() {
        let s4 = Sizes {
            offset: 4,
            length: 4,
        };
        let mut out = Vec::new();
        assert!(out.put_uint(0xff_ffff, 3).is_ok());
        assert!(out.put_addr(Some(Addr(0xffff_fffe)), s4).is_ok());
        assert!(out.put_addr(None, s4).is_ok());
        assert!(out.put_length(0xffff_ffff, s4).is_ok());
        assert!(out.put_uint(7, 10).is_ok());
        assert_eq!(out.len(), 3 + 4 + 4 + 4 + 10);
        let before = out.clone();
        let err = |r: Result<()>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(out.put_uint(0x100_0000, 3)).contains("does not fit a 3-byte field"));
        // The all-ones address would read back as undefined.
        let e = err(out.put_addr(Some(Addr(0xffff_ffff)), s4));
        assert!(e.contains("does not fit the file's 4-byte offsets"), "{e}");
        assert!(err(out.put_addr(Some(Addr(1 << 32)), s4)).contains("4-byte offsets"));
        let e = err(out.put_length(1 << 32, s4));
        assert!(
            e.contains("length 4294967296 does not fit the file's 4-byte lengths"),
            "{e}"
        );
        assert_eq!(out, before, "nothing appended on error");
    }

    #[test]
    fn extent_end_is_bounded_by_the_offset_size() {
        let s4 = Sizes {
            offset: 4,
            length: 8,
        };
        assert_eq!(s4.max_eof(), 0xffff_fffe);
        assert_eq!(s4.extent_end(0xffff_fff0, 0xe, "x").ok(), Some(0xffff_fffe));
        let e = s4
            .extent_end(0xffff_fff0, 0xf, "dataset")
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains("dataset: 15 bytes at address 0xfffffff0"), "{e}");
        assert!(e.contains("4-byte offsets"), "{e}");
        assert!(Sizes::default().extent_end(u64::MAX - 1, 2, "x").is_err());
    }

    #[test]
    fn bytes_needed_matches_spec_rule() {
        assert_eq!(bytes_needed(0), 1);
        assert_eq!(bytes_needed(255), 1);
        assert_eq!(bytes_needed(256), 2);
        assert_eq!(bytes_needed(u64::MAX), 8);
    }
}
