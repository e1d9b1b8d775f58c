//! The format signature and superblock (spec II.A, "Format Signature and Superblock"),
//! versions 0-3.
//!
//! The superblock is searched for at offset 0 and then at every power of two from 512 on
//! (a user block may precede it). Its position becomes the base address that every other
//! address is relative to, as libhdf5 does when the stored base address differs.
//! [`Superblock::encode`] writes any version back, byte for byte.

use crate::checksum;
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Cursor, Sizes};
use crate::links::symbol_table::SymbolTableEntry;

/// The 8-byte HDF5 format signature.
pub const SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

const STRUCTURE: &str = "superblock";

/// A decoded superblock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Superblock {
    /// Superblock version (0-3).
    pub version: u8,
    /// Size of offsets and lengths.
    pub sizes: Sizes,
    /// Absolute file offset of the superblock, used as the base address.
    pub base: u64,
    /// Address of the root group's object header.
    pub root: Addr,
    /// End-of-file address recorded in the superblock (relative to the base).
    pub eof: u64,
    /// Superblock extension object header (versions 2 and 3).
    pub extension: Option<Addr>,
    /// Group leaf node K (versions 0 and 1).
    pub group_leaf_k: u16,
    /// Group internal node K (versions 0 and 1).
    pub group_internal_k: u16,
    /// Indexed storage internal node K (version 1; 32 otherwise).
    pub indexed_storage_k: u16,
    /// File consistency flags.
    pub flags: u32,
    /// The root group's symbol table entry (versions 0 and 1).
    pub root_entry: Option<SymbolTableEntry>,
    /// Address of the global free-space index (versions 0 and 1; always undefined in
    /// files libhdf5 writes).
    pub free_space: Option<Addr>,
    /// Address of the driver information block (versions 0 and 1).
    pub driver_info: Option<Addr>,
    /// The base address field as stored (`u64::MAX` if undefined), when it differs from
    /// [`Superblock::base`] (the offset where the signature was found); `None` when they
    /// agree, as in every file libhdf5 writes.
    pub stored_base: Option<u64>,
}

/// Locate the signature: offset 0, 512, 1024, 2048, ... below the end of `bytes`.
pub fn find_signature(bytes: &[u8]) -> Option<u64> {
    let mut at: u64 = 0;
    loop {
        let start = usize::try_from(at).ok()?;
        let end = start.checked_add(SIGNATURE.len())?;
        if bytes.get(start..end)? == SIGNATURE {
            return Some(at);
        }
        at = if at == 0 { 512 } else { at.checked_mul(2)? };
    }
}

impl Superblock {
    /// Find and decode the superblock of a whole file image.
    pub fn read(bytes: &[u8]) -> Result<Self> {
        let base = find_signature(bytes).ok_or_else(|| {
            Error::corrupt(
                STRUCTURE,
                0,
                "no HDF5 signature at offset 0 or any power of two from 512: not an HDF5 file",
            )
        })?;
        let rest = usize::try_from(base)
            .ok()
            .and_then(|b| bytes.get(b..))
            .unwrap_or_default();
        let mut c = Cursor::new(rest, base, Sizes::default(), STRUCTURE);
        c.skip(SIGNATURE.len())?;
        let version = c.u8()?;
        match version {
            0 | 1 => Self::parse_v0_v1(c, base, version),
            2 | 3 => Self::parse_v2_v3(c, base, version),
            v => Err(Error::Unsupported(format!(
                "superblock version {v} (at byte offset {base})"
            ))),
        }
    }

    fn parse_v0_v1(mut c: Cursor<'_>, base: u64, version: u8) -> Result<Self> {
        let _free_space_version = c.u8()?;
        let _root_entry_version = c.u8()?;
        c.skip(1)?;
        let _shared_header_version = c.u8()?;
        let sizes = read_sizes(&mut c)?;
        c.skip(1)?;
        let group_leaf_k = c.u16()?;
        let group_internal_k = c.u16()?;
        if group_leaf_k == 0 || group_internal_k == 0 {
            return Err(c.error("group B-tree K values must be positive"));
        }
        let flags = c.u32()?;
        let indexed_storage_k = if version == 1 {
            let k = c.u16()?;
            c.skip(2)?;
            k
        } else {
            32
        };
        let mut c = Cursor::new(c.rest(), c.offset(), sizes, STRUCTURE);
        let stored_base = c.addr()?;
        let free_space = c.addr()?;
        let eof = c.addr()?.map_or(u64::MAX, Addr::get);
        // A driver information block only describes multi-file drivers; the reader ignores
        // it but keeps its address so that the superblock can be re-encoded.
        let driver_info = c.addr()?;
        let entry = SymbolTableEntry::parse(&mut c.named("root group symbol table entry"))?;
        let root = entry
            .object_header
            .ok_or_else(|| Error::corrupt(STRUCTURE, base, "root group address is undefined"))?;
        Ok(Superblock {
            version,
            sizes,
            base,
            root,
            eof,
            extension: None,
            group_leaf_k,
            group_internal_k,
            indexed_storage_k,
            flags,
            root_entry: Some(entry),
            free_space,
            driver_info,
            stored_base: differing_base(stored_base, base),
        })
    }

    fn parse_v2_v3(mut c: Cursor<'_>, base: u64, version: u8) -> Result<Self> {
        let sizes = read_sizes(&mut c)?;
        let flags = u32::from(c.u8()?);
        // Signature (8), version, two sizes, flags; four addresses; checksum.
        let total = 12 + 4 * usize::from(sizes.offset) + 4;
        let mut whole = Cursor::new(c.consumed(), base, sizes, STRUCTURE);
        whole.seek(0)?;
        let mut c = Cursor::new(c.rest(), c.offset(), sizes, STRUCTURE);
        let stored_base = c.addr()?;
        let extension = c.addr()?;
        let eof = c.addr()?.map_or(u64::MAX, Addr::get);
        let root = c.addr_required("root group object header")?;
        c.skip(4)?;
        let mut block = Vec::with_capacity(total);
        block.extend_from_slice(whole.rest());
        block.extend_from_slice(c.consumed());
        checksum::verify_trailing(&block, STRUCTURE, base)?;
        Ok(Superblock {
            version,
            sizes,
            base,
            root,
            eof,
            extension,
            group_leaf_k: 4,
            group_internal_k: 16,
            indexed_storage_k: 32,
            flags,
            root_entry: None,
            free_space: None,
            driver_info: None,
            stored_base: differing_base(stored_base, base),
        })
    }
}

impl Superblock {
    /// A version 3 superblock as libhdf5 writes with `libver='v110'`: base address 0, no
    /// consistency flags, no superblock extension.
    pub fn new_v3(sizes: Sizes, root: Addr, eof: u64) -> Superblock {
        Superblock {
            version: 3,
            sizes,
            base: 0,
            root,
            eof,
            extension: None,
            group_leaf_k: 4,
            group_internal_k: 16,
            indexed_storage_k: 32,
            flags: 0,
            root_entry: None,
            free_space: None,
            driver_info: None,
            stored_base: None,
        }
    }

    /// Encode the superblock, signature included (the inverse of [`Superblock::read`]).
    ///
    /// Versions 0 and 1 write the root group's symbol table entry ([`Superblock::root_entry`],
    /// or an entry pointing at [`Superblock::root`] with no cached data when it is `None`);
    /// versions 2 and 3 end in their lookup3 checksum. Only the low byte of
    /// [`Superblock::flags`] is written for versions 2 and 3. An undefined EOF address is
    /// `u64::MAX`. An address that does not fit the file's offsets is an error.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let sizes = self.sizes;
        let mut out = Vec::with_capacity(encoded_len(self.version, sizes));
        out.extend_from_slice(&SIGNATURE);
        out.push(self.version);
        let base = self.stored_base.unwrap_or(self.base);
        if self.version >= 2 {
            out.push(sizes.offset);
            out.push(sizes.length);
            out.push(self.flags.to_le_bytes().first().copied().unwrap_or(0));
            out.put_addr(defined(base), sizes)?;
            out.put_addr(self.extension, sizes)?;
            out.put_addr(defined(self.eof), sizes)?;
            out.put_addr(Some(self.root), sizes)?;
            let sum = checksum::metadata(&out);
            out.extend_from_slice(&sum.to_le_bytes());
            return Ok(out);
        }
        // Free-space, root group symbol table entry and shared header message format
        // versions (all 0), with a reserved byte after the second.
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.push(sizes.offset);
        out.push(sizes.length);
        out.push(0);
        out.put_u16(self.group_leaf_k);
        out.put_u16(self.group_internal_k);
        out.put_u32(self.flags);
        if self.version == 1 {
            out.put_u16(self.indexed_storage_k);
            out.put_u16(0);
        }
        out.put_addr(defined(base), sizes)?;
        out.put_addr(self.free_space, sizes)?;
        out.put_addr(defined(self.eof), sizes)?;
        out.put_addr(self.driver_info, sizes)?;
        let entry = self.root_entry.clone().unwrap_or(SymbolTableEntry {
            name_offset: 0,
            object_header: Some(self.root),
            cache_type: 0,
            scratch: [0; 16],
        });
        out.extend_from_slice(&entry.encode(sizes)?);
        Ok(out)
    }
}

/// An address field's value as read by [`Superblock::read`]: `u64::MAX` stands for the
/// undefined address.
fn defined(v: u64) -> Option<Addr> {
    (v != u64::MAX).then_some(Addr(v))
}

/// Encoded size in bytes of a superblock of `version` (signature included): 0 for an
/// unknown version.
pub fn encoded_len(version: u8, sizes: Sizes) -> usize {
    let offset = usize::from(sizes.offset);
    let length = usize::from(sizes.length);
    // Symbol table entry: name offset (a length), object header address, cache type,
    // reserved, 16-byte scratch pad.
    let entry = length + offset + 24;
    match version {
        0 => 24 + 4 * offset + entry,
        1 => 28 + 4 * offset + entry,
        2 | 3 => 12 + 4 * offset + 4,
        _ => 0,
    }
}

/// `Some(stored)` when the stored base address is not the offset the signature was found at.
fn differing_base(stored: Option<Addr>, base: u64) -> Option<u64> {
    let stored = stored.map_or(u64::MAX, Addr::get);
    (stored != base).then_some(stored)
}

/// Size of offsets, then size of lengths, each 2, 4 or 8.
fn read_sizes(c: &mut Cursor<'_>) -> Result<Sizes> {
    let mut one = |what: &str| -> Result<u8> {
        let at = c.offset();
        match c.u8()? {
            v @ (2 | 4 | 8) => Ok(v),
            v => Err(Error::corrupt(
                STRUCTURE,
                at,
                format!("{what} is {v}; only 2, 4 and 8 are valid"),
            )),
        }
    };
    let offset = one("size of offsets")?;
    let length = one("size of lengths")?;
    Ok(Sizes { offset, length })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "h5") {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn reencodes_every_fixture_superblock_byte_for_byte() {
        let mut versions = [0usize; 4];
        let mut with_user_block = 0;
        for (name, bytes) in fixtures() {
            let sb = Superblock::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            let enc = sb.encode().unwrap();
            assert_eq!(enc.len(), encoded_len(sb.version, sb.sizes), "{name}");
            let start = sb.base as usize;
            assert_eq!(enc, &bytes[start..start + enc.len()], "{name}");
            assert_eq!(sb.stored_base, None, "{name}");
            // Decoding the encoded bytes alone gives the same superblock, found at 0 with
            // the user block size as a differing stored base.
            let again = Superblock::read(&enc).unwrap();
            let stored_base = (sb.base != 0).then_some(sb.base);
            let expected = Superblock {
                base: 0,
                stored_base,
                ..sb.clone()
            };
            assert_eq!(again, expected, "{name}");
            assert_eq!(again.encode().unwrap(), enc, "{name}");
            versions[usize::from(sb.version)] += 1;
            if sb.base != 0 {
                with_user_block += 1;
            }
        }
        // The fixtures cover every version and user blocks.
        assert!(versions.iter().all(|&n| n > 0), "{versions:?}");
        assert!(with_user_block >= 2);
    }

    #[test]
    fn new_v3_round_trips_with_checksum() {
        let sizes = Sizes {
            offset: 4,
            length: 8,
        };
        let sb = Superblock::new_v3(sizes, Addr(0x30), 0x1234);
        let enc = sb.encode().unwrap();
        assert_eq!(enc.len(), encoded_len(3, sizes));
        assert_eq!(enc.len(), 12 + 16 + 4);
        assert_eq!(
            &enc[..9],
            &[0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', 3]
        );
        assert_eq!(Superblock::read(&enc).unwrap(), sb);
        let mut bad = enc.clone();
        bad[20] ^= 1;
        assert!(matches!(
            Superblock::read(&bad),
            Err(Error::Checksum { offset: 0, .. })
        ));
        for n in 0..enc.len() {
            assert!(Superblock::read(&enc[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn v0_v1_keep_all_addresses() {
        for version in [0u8, 1] {
            for (offset, length) in [(8u8, 8u8), (4, 4), (2, 8)] {
                let sizes = Sizes { offset, length };
                let sb = Superblock {
                    version,
                    sizes,
                    base: 0,
                    root: Addr(0x60),
                    eof: u64::MAX,
                    extension: None,
                    group_leaf_k: 4,
                    group_internal_k: 16,
                    indexed_storage_k: if version == 1 { 64 } else { 32 },
                    flags: 0,
                    root_entry: Some(SymbolTableEntry {
                        name_offset: 0,
                        object_header: Some(Addr(0x60)),
                        cache_type: 1,
                        scratch: [7; 16],
                    }),
                    free_space: Some(Addr(0x100)),
                    driver_info: Some(Addr(0x200)),
                    stored_base: Some(0x10),
                };
                let enc = sb.encode().unwrap();
                assert_eq!(enc.len(), encoded_len(version, sizes));
                assert_eq!(Superblock::read(&enc).unwrap(), sb);
            }
        }
    }
}
