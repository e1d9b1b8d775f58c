//! Fractal heaps (spec III.G "Disk Format: Level 1G - Fractal Heap"; signatures `FRHP`,
//! `FHDB`, `FHIB`).
//!
//! A heap stores objects of three kinds, told apart by the first byte of their heap ID:
//! *managed* objects live in direct blocks (`FHDB`) arranged in a doubling table, reached
//! from the root block through indirect blocks (`FHIB`); *tiny* objects live inside the heap
//! ID itself; *huge* objects are stored on their own in the file, found directly from the ID
//! or through a v2 B-tree (record types 1-4).
//!
//! The doubling table: every indirect block has `table width` columns; the first two rows
//! hold blocks of the starting block size, each later row blocks twice as large as the row
//! before. Rows whose blocks are at most the maximum direct block size hold direct blocks;
//! larger rows hold indirect blocks, each of which is a doubling table of its own. Sizes and
//! offsets are computed as libhdf5 does (`H5HF__dtable_init`, `H5HF__man_dblock_locate`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;

use crate::btree::v2 as bt2;
use crate::checksum;
use crate::error::{Error, Result};
use crate::io::{bytes_needed, le_uint, Addr, Cursor, FileImage};

const HEADER: &str = "fractal heap header";
const DIRECT: &str = "fractal heap direct block";
const INDIRECT: &str = "fractal heap indirect block";
const ID: &str = "fractal heap ID";

/// The decoded fields of a fractal heap header (`FRHP`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractalHeapHeader {
    /// Length in bytes of this heap's IDs.
    pub id_len: u16,
    /// Size of the encoded I/O filter pipeline (0: objects are not filtered).
    pub filter_len: u16,
    /// Flags: bit 0 huge IDs wrapped, bit 1 direct blocks checksummed.
    pub flags: u8,
    /// Objects larger than this are stored as huge objects.
    pub max_managed_size: u32,
    /// Next huge object ID to hand out.
    pub next_huge_id: u64,
    /// Address of the v2 B-tree indexing huge objects.
    pub huge_btree: Option<Addr>,
    /// Size of the heap's managed linear address space.
    pub managed_space: u64,
    /// Number of managed objects.
    pub managed_objects: u64,
    /// Total size of huge objects.
    pub huge_size: u64,
    /// Number of huge objects.
    pub huge_objects: u64,
    /// Number of tiny objects.
    pub tiny_objects: u64,
    /// Columns of the doubling table.
    pub table_width: u16,
    /// Size of the blocks in the first two rows.
    pub start_block_size: u64,
    /// Largest direct block.
    pub max_direct_block_size: u64,
    /// log2 of the size of the managed address space.
    pub max_heap_bits: u16,
    /// Address of the root block (direct when `root_rows` is 0, else indirect).
    pub root: Option<Addr>,
    /// Rows in the root indirect block (0: the root is a direct block).
    pub root_rows: u16,
    /// Stored size of the filtered root direct block (filtered heaps only).
    pub filtered_root_size: Option<u64>,
}

impl FractalHeapHeader {
    /// Whether direct blocks carry a checksum (flag bit 1).
    pub fn checksummed_direct_blocks(&self) -> bool {
        self.flags & 0x02 != 0
    }
}

/// A parsed fractal heap header, able to fetch objects by heap ID.
#[derive(Debug)]
pub struct FractalHeap<'a> {
    img: FileImage<'a>,
    addr: Addr,
    header: FractalHeapHeader,
    /// Bytes of a heap offset (block offsets and managed IDs).
    off_size: usize,
    /// Bytes of a managed object length in IDs.
    len_size: usize,
    /// log2 of the starting block size.
    start_bits: u32,
    /// log2 of (starting block size x table width).
    first_row_bits: u32,
    /// Rows of direct blocks in any indirect block.
    max_direct_rows: u32,
    /// Rows the root indirect block may have at most.
    max_root_rows: u32,
    /// Direct blocks whose checksum has been verified.
    verified: Mutex<HashSet<u64>>,
}

impl Clone for FractalHeap<'_> {
    fn clone(&self) -> Self {
        let verified = self.verified.lock().map(|v| v.clone()).unwrap_or_default();
        FractalHeap {
            img: self.img,
            addr: self.addr,
            header: self.header.clone(),
            off_size: self.off_size,
            len_size: self.len_size,
            start_bits: self.start_bits,
            first_row_bits: self.first_row_bits,
            max_direct_rows: self.max_direct_rows,
            max_root_rows: self.max_root_rows,
            verified: Mutex::new(verified),
        }
    }
}

/// log2 of `v` if it is a non-zero power of two.
fn log2_exact(v: u64) -> Option<u32> {
    v.is_power_of_two().then(|| v.trailing_zeros())
}

impl<'a> FractalHeap<'a> {
    /// Parse the header at `addr`.
    pub fn parse(img: &FileImage<'a>, addr: Addr) -> Result<Self> {
        let at = img.absolute(addr);
        let mut c = img.cursor_at(addr, HEADER)?;
        c.signature(b"FRHP")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(Error::Unsupported(format!(
                "fractal heap header version {version} at byte offset {at}"
            )));
        }
        let id_len = c.u16()?;
        let filter_len = c.u16()?;
        let flags = c.u8()?;
        let max_managed_size = c.u32()?;
        let next_huge_id = c.length()?;
        let huge_btree = c.addr()?;
        let _free_space = c.length()?;
        let _free_space_manager = c.addr()?;
        let managed_space = c.length()?;
        let _allocated_space = c.length()?;
        let _iterator_offset = c.length()?;
        let managed_objects = c.length()?;
        let huge_size = c.length()?;
        let huge_objects = c.length()?;
        let _tiny_size = c.length()?;
        let tiny_objects = c.length()?;
        let table_width = c.u16()?;
        let start_block_size = c.length()?;
        let max_direct_block_size = c.length()?;
        let max_heap_bits = c.u16()?;
        let _start_root_rows = c.u16()?;
        let root = c.addr()?;
        let root_rows = c.u16()?;
        let filtered_root_size = if filter_len > 0 {
            let size = c.length()?;
            let _mask = c.u32()?;
            c.skip(usize::from(filter_len))?;
            Some(size)
        } else {
            None
        };
        c.skip(4)?;
        checksum::verify_trailing(c.consumed(), HEADER, at)?;
        let header = FractalHeapHeader {
            id_len,
            filter_len,
            flags,
            max_managed_size,
            next_huge_id,
            huge_btree,
            managed_space,
            managed_objects,
            huge_size,
            huge_objects,
            tiny_objects,
            table_width,
            start_block_size,
            max_direct_block_size,
            max_heap_bits,
            root,
            root_rows,
            filtered_root_size,
        };
        Self::with_header(img, addr, header)
    }

    /// Validate the doubling-table parameters and derive the field widths.
    fn with_header(img: &FileImage<'a>, addr: Addr, header: FractalHeapHeader) -> Result<Self> {
        let at = img.absolute(addr);
        let bad = |detail: String| Error::corrupt(HEADER, at, detail);
        let width_bits = log2_exact(u64::from(header.table_width)).ok_or_else(|| {
            bad(format!(
                "table width {} is not a power of two",
                header.table_width
            ))
        })?;
        let start_bits = log2_exact(header.start_block_size).ok_or_else(|| {
            bad(format!(
                "starting block size {} is not a power of two",
                header.start_block_size
            ))
        })?;
        let direct_bits = log2_exact(header.max_direct_block_size).ok_or_else(|| {
            bad(format!(
                "maximum direct block size {} is not a power of two",
                header.max_direct_block_size
            ))
        })?;
        if direct_bits < start_bits {
            return Err(bad(
                "maximum direct block size is below the starting size".into()
            ));
        }
        let first_row_bits = start_bits + width_bits;
        let heap_bits = u32::from(header.max_heap_bits);
        if heap_bits > 64 || heap_bits < first_row_bits || heap_bits < direct_bits {
            return Err(bad(format!(
                "maximum heap size of 2^{heap_bits} bytes is inconsistent with the block sizes"
            )));
        }
        let max_root_rows = heap_bits - first_row_bits + 1;
        if u32::from(header.root_rows) > max_root_rows {
            return Err(bad(format!(
                "root indirect block has {} rows, more than the maximum {max_root_rows}",
                header.root_rows
            )));
        }
        let off_size = (heap_bits as usize).div_ceil(8);
        let len_size = ((direct_bits as usize).div_ceil(8))
            .min(bytes_needed(u64::from(header.max_managed_size)));
        Ok(FractalHeap {
            img: *img,
            addr,
            off_size,
            len_size,
            start_bits,
            first_row_bits,
            max_direct_rows: direct_bits - start_bits + 2,
            max_root_rows,
            header,
            verified: Mutex::new(HashSet::new()),
        })
    }

    /// The decoded header.
    pub fn header(&self) -> &FractalHeapHeader {
        &self.header
    }

    /// Address of the heap header.
    pub fn addr(&self) -> Addr {
        self.addr
    }

    /// The object with heap ID `id` (managed, tiny or huge).
    pub fn get(&self, id: &[u8]) -> Result<Cow<'a, [u8]>> {
        self.get_located(id, 0).map(|(bytes, _)| bytes)
    }

    /// The object with heap ID `id`, and the absolute file offset of its bytes. Tiny objects
    /// live in the ID itself: for them the offset returned is `id_offset`, the caller's
    /// offset of the ID.
    pub fn get_located(&self, id: &[u8], id_offset: u64) -> Result<(Cow<'a, [u8]>, u64)> {
        let mut c = Cursor::new(id, id_offset, self.img.sizes(), ID);
        let flags = c.u8()?;
        if flags & 0xc0 != 0 {
            return Err(c.error(format!("heap ID version {} is not 0", flags >> 6)));
        }
        match (flags >> 4) & 0x03 {
            0 => {
                let off = c.uint(self.off_size)?;
                let len = c.uint(self.len_size)?;
                let (addr, bytes) = self.managed(off, len, id_offset)?;
                Ok((Cow::Borrowed(bytes), self.img.absolute(addr)))
            }
            1 => self.huge(&mut c),
            2 => {
                let len = if self.header.id_len > 18 {
                    let low = c.u8()?;
                    ((usize::from(flags & 0x0f) << 8) | usize::from(low)) + 1
                } else {
                    usize::from(flags & 0x0f) + 1
                };
                let start = c.offset();
                let data = c.take(len)?;
                Ok((Cow::Owned(data.to_vec()), start))
            }
            t => Err(c.error(format!("heap ID type {t} is not defined"))),
        }
    }

    /// Size of the blocks in row `row` of the doubling table.
    fn row_block_size(&self, row: u32) -> Option<u64> {
        if row == 0 {
            Some(self.header.start_block_size)
        } else {
            (self.start_bits + row - 1 < 64).then(|| self.header.start_block_size << (row - 1))
        }
    }

    /// Heap offset of row `row` relative to the start of its indirect block.
    fn row_offset(&self, row: u32) -> Option<u64> {
        if row == 0 {
            Some(0)
        } else {
            let first = 1u64.checked_shl(self.first_row_bits)?;
            let shift = row - 1;
            (shift < 64 - self.first_row_bits).then(|| first << shift)
        }
    }

    /// Row and column of the block holding `off`, an offset relative to an indirect block.
    fn row_col(&self, off: u64) -> Option<(u32, u64)> {
        let first = 1u64.checked_shl(self.first_row_bits)?;
        let row = if off < first {
            0
        } else {
            (63 - off.leading_zeros()) - self.first_row_bits + 1
        };
        let col = (off - self.row_offset(row)?) / self.row_block_size(row)?;
        Some((row, col))
    }

    /// Locate the managed object at heap offset `off` of `len` bytes.
    fn managed(&self, off: u64, len: u64, id_offset: u64) -> Result<(Addr, &'a [u8])> {
        let bad = |detail: String| Error::corrupt(ID, id_offset, detail);
        if len == 0 {
            return Err(bad("managed object of length 0".into()));
        }
        let inside = off
            .checked_add(len)
            .is_some_and(|end| end <= self.header.managed_space);
        if !inside {
            return Err(bad(format!(
                "object at heap offset {off} of {len} bytes lies outside the managed space of {} bytes",
                self.header.managed_space
            )));
        }
        if self.header.filter_len > 0 {
            return Err(Error::Unsupported(
                "managed objects in a fractal heap with an I/O filter pipeline".into(),
            ));
        }
        let root = self
            .header
            .root
            .ok_or_else(|| bad("heap has no root block".into()))?;
        if self.header.root_rows == 0 {
            return self.direct_object(root, self.header.start_block_size, 0, off, len);
        }
        let mut iblock = root;
        let mut nrows = u32::from(self.header.root_rows);
        let mut iblock_off = 0u64;
        let mut rel = off;
        let mut visited = HashSet::new();
        loop {
            if !visited.insert(iblock.get()) {
                return Err(Error::corrupt(
                    INDIRECT,
                    self.img.absolute(iblock),
                    "indirect block visited twice (cycle in the heap)",
                ));
            }
            let (row, col) = self
                .row_col(rel)
                .ok_or_else(|| bad(format!("heap offset {off} is out of range")))?;
            if row >= nrows {
                return Err(bad(format!(
                    "heap offset {off} lies beyond the {nrows} rows of the indirect block at {iblock}"
                )));
            }
            let entry = u64::from(row) * u64::from(self.header.table_width) + col;
            let child = self.indirect_entry(iblock, nrows, iblock_off, entry)?;
            let size = self
                .row_block_size(row)
                .ok_or_else(|| bad("block size overflows".into()))?;
            let child_off_rel = self
                .row_offset(row)
                .and_then(|r| size.checked_mul(col).and_then(|c| r.checked_add(c)))
                .ok_or_else(|| bad("block offset overflows".into()))?;
            let child_off = iblock_off
                .checked_add(child_off_rel)
                .ok_or_else(|| bad("block offset overflows".into()))?;
            let Some(child) = child else {
                return Err(bad(format!(
                    "heap offset {off} lies in a block that was never allocated"
                )));
            };
            if row < self.max_direct_rows {
                return self.direct_object(child, size, child_off, off, len);
            }
            // A child indirect block: one row of blocks of its size spans this many rows.
            nrows = (63 - size.leading_zeros())
                .checked_sub(self.first_row_bits)
                .map(|r| r + 1)
                .filter(|&r| r < nrows)
                .ok_or_else(|| bad(format!("indirect block of {size} bytes has no rows")))?;
            rel -= child_off_rel;
            iblock_off = child_off;
            iblock = child;
        }
    }

    /// Read entry `entry` (direct entries first, then indirect ones) of the indirect block at
    /// `addr` with `nrows` rows, checking its header and checksum.
    fn indirect_entry(
        &self,
        addr: Addr,
        nrows: u32,
        block_off: u64,
        entry: u64,
    ) -> Result<Option<Addr>> {
        let sizes = self.img.sizes();
        let at = self.img.absolute(addr);
        let width = u64::from(self.header.table_width);
        let direct_rows = nrows.min(self.max_direct_rows);
        let indirect_rows = nrows - direct_rows;
        let o = u64::from(sizes.offset);
        let direct_entry = if self.header.filter_len > 0 {
            o + u64::from(sizes.length) + 4
        } else {
            o
        };
        // nrows <= 64 and width < 2^16, so none of this overflows.
        let k = u64::from(direct_rows) * width;
        let n = u64::from(indirect_rows) * width;
        let prefix = 5 + o + self.off_size as u64;
        let len = prefix + k * direct_entry + n * o + 4;
        let block = self.img.slice(addr, len, INDIRECT)?;
        checksum::verify_trailing(block, INDIRECT, at)?;
        let mut c = Cursor::new(block, at, sizes, INDIRECT);
        c.signature(b"FHIB")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("version {version} is not 0")));
        }
        let owner = c.addr()?;
        if owner != Some(self.addr) {
            return Err(c.error(format!("belongs to another heap ({owner:?})")));
        }
        let stored_off = c.uint(self.off_size)?;
        if stored_off != block_off {
            return Err(c.error(format!(
                "block offset {stored_off} differs from its place in the heap ({block_off})"
            )));
        }
        let pos = if entry < k {
            prefix + entry * direct_entry
        } else {
            prefix + k * direct_entry + (entry - k) * o
        };
        let pos = usize::try_from(pos).map_err(|_| c.error("entry position too large"))?;
        c.seek(pos)?;
        c.addr()
    }

    /// Read the `len` bytes at heap offset `off` from the direct block at `addr`, which holds
    /// heap offsets `block_off..block_off + size`.
    fn direct_object(
        &self,
        addr: Addr,
        size: u64,
        block_off: u64,
        off: u64,
        len: u64,
    ) -> Result<(Addr, &'a [u8])> {
        let sizes = self.img.sizes();
        let at = self.img.absolute(addr);
        let block = self.img.slice(addr, size, DIRECT)?;
        let mut c = Cursor::new(block, at, sizes, DIRECT);
        c.signature(b"FHDB")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("version {version} is not 0")));
        }
        let owner = c.addr()?;
        if owner != Some(self.addr) {
            return Err(c.error(format!("belongs to another heap ({owner:?})")));
        }
        let stored_off = c.uint(self.off_size)?;
        if stored_off != block_off {
            return Err(c.error(format!(
                "block offset {stored_off} differs from its place in the heap ({block_off})"
            )));
        }
        if self.header.checksummed_direct_blocks() {
            let sum_at = c.pos();
            let stored = c.u32()?;
            self.verify_direct(block, sum_at, stored, at)?;
        }
        let header_len = c.pos() as u64;
        let inner = off
            .checked_sub(block_off)
            .filter(|&i| i >= header_len && i.checked_add(len).is_some_and(|e| e <= size))
            .ok_or_else(|| {
                c.error(format!(
                    "object at heap offset {off} of {len} bytes is not inside this block"
                ))
            })?;
        let obj_addr = Addr(addr.get().saturating_add(inner));
        Ok((obj_addr, self.img.slice(obj_addr, len, DIRECT)?))
    }

    /// Check a direct block's checksum: lookup3 over the whole block with the checksum field
    /// taken as zero. Each block is verified once.
    fn verify_direct(&self, block: &[u8], sum_at: usize, stored: u32, at: u64) -> Result<()> {
        if let Ok(v) = self.verified.lock() {
            if v.contains(&at) {
                return Ok(());
            }
        }
        let mut copy = block.to_vec();
        if let Some(field) = copy.get_mut(sum_at..sum_at + 4) {
            field.fill(0);
        }
        let computed = checksum::metadata(&copy);
        if computed != stored {
            return Err(Error::Checksum {
                structure: DIRECT,
                offset: at,
                stored,
                computed,
            });
        }
        if let Ok(mut v) = self.verified.lock() {
            v.insert(at);
        }
        Ok(())
    }

    /// A huge object; `c` is positioned after the ID's flag byte.
    fn huge(&self, c: &mut Cursor<'_>) -> Result<(Cow<'a, [u8]>, u64)> {
        if self.header.filter_len > 0 {
            return Err(Error::Unsupported(
                "huge objects in a fractal heap with an I/O filter pipeline".into(),
            ));
        }
        let sizes = self.img.sizes();
        let id_body = usize::from(self.header.id_len).saturating_sub(1);
        let (addr, length) = if usize::from(sizes.offset) + usize::from(sizes.length) <= id_body {
            // Directly accessed: the ID holds the address and length.
            (c.addr_required("huge object")?, c.length()?)
        } else {
            let key = le_uint(c.take(id_body.min(8))?);
            let tree = self
                .header
                .huge_btree
                .ok_or_else(|| c.error("huge object ID but the heap has no huge object B-tree"))?;
            let tree_type = bt2::parse_header(&self.img, tree)?.record_type;
            if tree_type != 1 {
                return Err(c.error(format!(
                    "huge object B-tree has record type {tree_type}, expected 1"
                )));
            }
            let found = bt2::find(&self.img, tree, |r| {
                Ok(bt2::HugeObjectRecord::decode(r, sizes)?.id.cmp(&key))
            })?;
            let rec = found.ok_or_else(|| c.error(format!("huge object {key} not found")))?;
            let rec = bt2::HugeObjectRecord::decode(&rec, sizes)?;
            (rec.addr, rec.length)
        };
        let bytes = self.img.slice(addr, length, "fractal heap huge object")?;
        Ok((Cow::Borrowed(bytes), self.img.absolute(addr)))
    }
}

pub mod build;

impl FractalHeap<'_> {
    /// Every extent of the file this heap owns, for space accounting: the header, every
    /// direct and indirect block of the doubling table (blocks at their full size), the
    /// huge-object v2 B-tree and every huge object.
    ///
    /// The heap's persistent free-space manager, when it has one, is included (see
    /// [`free_space_extents`]). Heaps with an I/O filter pipeline (block sizes differ from
    /// the table's) are [`Error::Unsupported`].
    pub fn block_extents(&self) -> Result<Vec<(Addr, u64)>> {
        let sizes = self.img.sizes();
        if self.header.filter_len > 0 {
            return Err(Error::Unsupported(
                "space accounting of a fractal heap with an I/O filter pipeline".into(),
            ));
        }
        let mut c = self.img.cursor_at(self.addr, HEADER)?;
        c.skip(14 + usize::from(sizes.length))?;
        c.addr()?;
        c.length()?;
        let free_space_manager = c.addr()?;
        let mut out = vec![(self.addr, build::header_len(sizes))];
        if let Some(fs) = free_space_manager {
            out.extend(free_space_extents(&self.img, fs)?);
        }
        if let Some(root) = self.header.root {
            if self.header.root_rows == 0 {
                out.push((root, self.header.start_block_size));
            } else {
                let mut visited = HashSet::new();
                self.indirect_extents(
                    root,
                    u32::from(self.header.root_rows),
                    &mut out,
                    &mut visited,
                )?;
            }
        }
        if let Some(tree) = self.header.huge_btree {
            out.extend(bt2::node_extents(&self.img, tree)?);
            let (_, records) = bt2::raw_records(&self.img, tree)?;
            for r in records {
                // Record types 1-4 all start with the object's address and stored length.
                let mut rc = r.cursor(sizes, "huge object record");
                let addr = rc.addr_required("huge object")?;
                out.push((addr, rc.length()?));
            }
        }
        Ok(out)
    }

    /// Push the indirect block at `addr` (with `nrows` rows) and every block below it.
    fn indirect_extents(
        &self,
        addr: Addr,
        nrows: u32,
        out: &mut Vec<(Addr, u64)>,
        visited: &mut HashSet<u64>,
    ) -> Result<()> {
        let at = self.img.absolute(addr);
        if !visited.insert(addr.get()) {
            return Err(Error::corrupt(INDIRECT, at, "indirect block visited twice"));
        }
        let sizes = self.img.sizes();
        let o = u64::from(sizes.offset);
        let width = u64::from(self.header.table_width);
        let prefix = 5 + o + self.off_size as u64;
        let len = prefix + u64::from(nrows) * width * o + 4;
        let block = self.img.slice(addr, len, INDIRECT)?;
        checksum::verify_trailing(block, INDIRECT, at)?;
        out.push((addr, len));
        let mut c = Cursor::new(block, at, sizes, INDIRECT);
        c.signature(b"FHIB")?;
        c.skip(usize::try_from(prefix - 4).unwrap_or(usize::MAX))?;
        for row in 0..nrows {
            let size = self
                .row_block_size(row)
                .ok_or_else(|| Error::corrupt(INDIRECT, at, "block size overflows"))?;
            for _ in 0..width {
                let Some(child) = c.addr()? else { continue };
                if row < self.max_direct_rows {
                    out.push((child, size));
                } else {
                    let child_rows = (63 - size.leading_zeros())
                        .checked_sub(self.first_row_bits)
                        .map(|r| r + 1)
                        .filter(|&r| r < nrows)
                        .ok_or_else(|| {
                            Error::corrupt(INDIRECT, at, "child indirect block has no rows")
                        })?;
                    self.indirect_extents(child, child_rows, out, visited)?;
                }
            }
        }
        Ok(())
    }
}

/// The extents of the free-space manager (spec III.H, `FSHD`) at `addr`: its header and its
/// serialized section list (`FSSE`, at its allocated size). The header checksum is verified.
pub fn free_space_extents(img: &FileImage<'_>, addr: Addr) -> Result<Vec<(Addr, u64)>> {
    const FSHD: &str = "free-space manager header";
    let sizes = img.sizes();
    let l = u64::from(sizes.length);
    let len = 18 + 7 * l + u64::from(sizes.offset);
    let mut c = img.cursor(addr, len, FSHD)?;
    checksum::verify_trailing(c.rest(), FSHD, c.origin())?;
    c.signature(b"FSHD")?;
    let version = c.u8()?;
    if version != 0 {
        return Err(c.error(format!("version {version} is not 0")));
    }
    c.skip(1 + 4 * usize::from(sizes.length) + 8)?;
    c.length()?;
    let sections = c.addr()?;
    let _used = c.length()?;
    let allocated = c.length()?;
    let mut out = vec![(addr, len)];
    if let Some(s) = sections {
        img.slice(s, allocated, "free-space section list")?;
        let mut sc = img.cursor_at(s, "free-space section list")?;
        sc.signature(b"FSSE")?;
        out.push((s, allocated));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
