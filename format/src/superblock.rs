//! The format signature and superblock (spec II.A, "Format Signature and Superblock"),
//! versions 0-3.
//!
//! The superblock is searched for at offset 0 and then at every power of two from 512 on
//! (a user block may precede it). Its position becomes the base address that every other
//! address is relative to, as libhdf5 does when the stored base address differs.

use crate::checksum;
use crate::error::{Error, Result};
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
        let _stored_base = c.addr()?;
        let _free_space = c.addr()?;
        let eof = c.addr()?.map_or(u64::MAX, Addr::get);
        // A driver information block only describes multi-file drivers; ignore it.
        let _driver = c.addr()?;
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
        let _stored_base = c.addr()?;
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
        })
    }
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
