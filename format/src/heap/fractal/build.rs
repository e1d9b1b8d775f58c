//! Bulk construction of fractal heaps (spec III.G): given every object, write the header, the
//! direct and indirect blocks of the doubling table and any huge objects with their v2 B-tree.
//!
//! Objects are classified as libhdf5 does (`H5HF_insert`): objects no longer than the heap ID
//! allows are *tiny* (stored in the ID), objects larger than the maximum managed size are
//! *huge* (stored alone, indexed by a v2 B-tree of record type 1, or 3 when IDs hold the
//! address directly) and the rest are *managed*, packed in order into direct blocks visited in
//! the order libhdf5's block iterator visits them. A block too small for the next object is
//! left unallocated (libhdf5 skips blocks the same way). No free-space manager is written:
//! libhdf5 then allocates new blocks for later insertions, after the block iterator offset
//! stored in the header. The header's free-space total counts, as libhdf5 does, the free
//! bytes of every direct block the root indirect block's rows could hold.

use crate::btree::v2::build as bt2build;
use crate::btree::v2::HugeObjectRecord;
use crate::checksum;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{bytes_needed, Addr, Sizes};

/// Creation parameters of a fractal heap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapParams {
    /// Length in bytes of heap IDs.
    pub id_len: u16,
    /// Objects larger than this are stored as huge objects.
    pub max_managed_size: u32,
    /// Columns of the doubling table (a power of two).
    pub table_width: u16,
    /// Size of the blocks in the first two rows (a power of two).
    pub start_block_size: u64,
    /// Largest direct block (a power of two).
    pub max_direct_block_size: u64,
    /// log2 of the size of the managed address space.
    pub max_heap_bits: u16,
    /// Whether direct blocks carry a checksum.
    pub checksum_direct_blocks: bool,
}

impl HeapParams {
    /// libhdf5's parameters for a group's dense link storage (`H5G_FHEAP_*` in libhdf5's group code;
    /// heap IDs of 1 + 4 + 2 = 7 bytes).
    pub fn links() -> Self {
        HeapParams {
            id_len: 7,
            max_managed_size: 4096,
            table_width: 4,
            start_block_size: 512,
            max_direct_block_size: 65536,
            max_heap_bits: 32,
            checksum_direct_blocks: true,
        }
    }

    /// libhdf5's parameters for dense attribute storage (`H5O_FHEAP_*` in `H5Oprivate.h`;
    /// 8-byte heap IDs).
    pub fn attributes() -> Self {
        HeapParams {
            id_len: 8,
            max_managed_size: 4096,
            table_width: 4,
            start_block_size: 1024,
            max_direct_block_size: 65536,
            max_heap_bits: 40,
            checksum_direct_blocks: true,
        }
    }
}

/// Size in bytes of an encoded (unfiltered) fractal heap header.
pub fn header_len(sizes: Sizes) -> u64 {
    26 + 12 * u64::from(sizes.length) + 3 * u64::from(sizes.offset)
}

/// log2 of `v` if it is a non-zero power of two.
fn log2(v: u64, what: &str) -> Result<u32> {
    if v.is_power_of_two() {
        Ok(v.trailing_zeros())
    } else {
        Err(Error::Invalid(format!("{what} {v} is not a power of two")))
    }
}

/// The doubling-table geometry and ID layout derived from [`HeapParams`].
struct Geometry {
    sizes: Sizes,
    width: u64,
    start: u64,
    first_row_bits: u32,
    max_direct_rows: u32,
    max_root_rows: u32,
    off_size: usize,
    len_size: usize,
    tiny_max: usize,
    tiny_extended: bool,
    huge_direct: bool,
    huge_id_size: usize,
    /// Bytes before the data of a direct block.
    dblock_overhead: u64,
}

impl Geometry {
    fn new(p: &HeapParams, sizes: Sizes) -> Result<Self> {
        let width_bits = log2(u64::from(p.table_width), "table width")?;
        let start_bits = log2(p.start_block_size, "starting block size")?;
        let direct_bits = log2(p.max_direct_block_size, "maximum direct block size")?;
        let heap_bits = u32::from(p.max_heap_bits);
        let first_row_bits = start_bits + width_bits;
        if direct_bits < start_bits || heap_bits > 64 || heap_bits < first_row_bits.max(direct_bits)
        {
            return Err(Error::Invalid(
                "inconsistent fractal heap block sizes".into(),
            ));
        }
        let off_size = (heap_bits as usize).div_ceil(8);
        let len_size = (direct_bits as usize)
            .div_ceil(8)
            .min(bytes_needed(u64::from(p.max_managed_size)));
        let id_body = usize::from(p.id_len).saturating_sub(1);
        if id_body < off_size + len_size {
            return Err(Error::Invalid(format!(
                "heap ID length {} cannot hold a managed object ID",
                p.id_len
            )));
        }
        let (tiny_max, tiny_extended) = if id_body <= 16 {
            (id_body, false)
        } else if id_body == 17 {
            (16, false)
        } else {
            (usize::from(p.id_len) - 2, true)
        };
        let huge_direct = id_body >= usize::from(sizes.offset) + usize::from(sizes.length);
        let dblock_overhead = 5
            + u64::from(sizes.offset)
            + off_size as u64
            + if p.checksum_direct_blocks { 4 } else { 0 };
        if u64::from(p.max_managed_size) + dblock_overhead > p.max_direct_block_size {
            return Err(Error::Invalid(format!(
                "maximum managed object size {} does not fit in the largest direct block",
                p.max_managed_size
            )));
        }
        Ok(Geometry {
            sizes,
            width: u64::from(p.table_width),
            start: p.start_block_size,
            first_row_bits,
            max_direct_rows: direct_bits - start_bits + 2,
            max_root_rows: heap_bits - first_row_bits + 1,
            off_size,
            len_size,
            tiny_max,
            tiny_extended,
            huge_direct,
            huge_id_size: id_body.min(8),
            dblock_overhead,
        })
    }

    fn row_block_size(&self, row: u32) -> u64 {
        if row == 0 {
            self.start
        } else {
            self.start << (row - 1)
        }
    }

    /// Heap offset of `row` relative to its indirect block (also the space `row` rows cover).
    fn row_offset(&self, row: u32) -> u64 {
        if row == 0 {
            0
        } else {
            (1u64 << self.first_row_bits) << (row - 1)
        }
    }

    /// Rows of an indirect block of `size` bytes of heap space.
    fn iblock_rows(&self, size: u64) -> u32 {
        (63 - size.leading_zeros()).saturating_sub(self.first_row_bits) + 1
    }

    /// Free bytes of all direct blocks below one entry of `row`.
    fn entry_free(&self, row: u32) -> u64 {
        if row < self.max_direct_rows {
            self.row_block_size(row) - self.dblock_overhead
        } else {
            let rows = self.iblock_rows(self.row_block_size(row));
            (0..rows).map(|r| self.width * self.entry_free(r)).sum()
        }
    }
}

/// State of the managed-object packer.
struct Packer<'a, 's> {
    g: &'a Geometry,
    heap: Addr,
    checksum: bool,
    /// (object index, bytes) of the managed objects, in order.
    objects: Vec<(usize, &'a [u8])>,
    next: usize,
    ids: &'a mut [Vec<u8>],
    space: &'s mut dyn Space,
    emit: &'s mut Emit,
    /// Bytes of direct blocks allocated.
    allocated: u64,
    /// Heap offset just past the last direct block allocated.
    iter_end: u64,
}

impl Packer<'_, '_> {
    fn done(&self) -> bool {
        self.next >= self.objects.len()
    }

    fn managed_id(&self, off: u64, len: usize) -> Result<Vec<u8>> {
        let mut id = vec![0u8];
        id.put_uint(off, self.g.off_size)?;
        id.put_uint(len as u64, self.g.len_size)?;
        Ok(id)
    }

    /// Fill a direct block at heap offset `off` of `size` bytes with as many of the next
    /// objects as fit; `None` (nothing written) if the next object does not fit.
    fn direct(&mut self, off: u64, size: u64) -> Result<Option<Addr>> {
        let g = self.g;
        let block_len = usize::try_from(size).map_err(|_| {
            Error::LimitExceeded(format!("fractal heap direct block of {size} bytes"))
        })?;
        let mut block = Vec::with_capacity(block_len);
        block.extend_from_slice(b"FHDB");
        block.push(0);
        block.put_addr(Some(self.heap), g.sizes)?;
        block.put_uint(off, g.off_size)?;
        if self.checksum {
            block.put_u32(0);
        }
        let mut placed = 0;
        while let Some(&(index, obj)) = self.objects.get(self.next) {
            if block.len() as u64 + obj.len() as u64 > size {
                break;
            }
            let id = self.managed_id(off + block.len() as u64, obj.len())?;
            if let Some(slot) = self.ids.get_mut(index) {
                *slot = id;
            }
            block.extend_from_slice(obj);
            self.next += 1;
            placed += 1;
        }
        if placed == 0 {
            return Ok(None);
        }
        block.resize(block_len, 0);
        if self.checksum {
            let sum = checksum::metadata(&block);
            let at = 5 + usize::from(g.sizes.offset) + g.off_size;
            if let Some(field) = block.get_mut(at..at + 4) {
                field.copy_from_slice(&sum.to_le_bytes());
            }
        }
        let addr = self.space.alloc(size)?;
        self.emit.put(addr, block);
        self.allocated += size;
        self.iter_end = off + size;
        Ok(Some(addr))
    }

    /// Fill the `nrows` rows of an indirect block at heap offset `off`; return its entries
    /// (direct rows first, then indirect rows; `None` where nothing was allocated).
    fn rows(&mut self, off: u64, nrows: u32) -> Result<Vec<Option<Addr>>> {
        let g = self.g;
        let mut entries = Vec::new();
        for row in 0..nrows {
            let size = g.row_block_size(row);
            for col in 0..g.width {
                let child_off = off + g.row_offset(row) + col * size;
                let entry = if self.done() {
                    None
                } else if row < g.max_direct_rows {
                    self.direct(child_off, size)?
                } else {
                    let rows = g.iblock_rows(size);
                    let children = self.rows(child_off, rows)?;
                    if children.iter().any(Option::is_some) {
                        Some(self.indirect(child_off, &children)?)
                    } else {
                        None
                    }
                };
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Write an indirect block at heap offset `off` with `entries`.
    fn indirect(&mut self, off: u64, entries: &[Option<Addr>]) -> Result<Addr> {
        let g = self.g;
        let mut v = b"FHIB".to_vec();
        v.push(0);
        v.put_addr(Some(self.heap), g.sizes)?;
        v.put_uint(off, g.off_size)?;
        for e in entries {
            v.put_addr(*e, g.sizes)?;
        }
        let sum = checksum::metadata(&v);
        v.put_u32(sum);
        let addr = self.space.alloc(v.len() as u64)?;
        self.emit.put(addr, v);
        Ok(addr)
    }
}

/// Header fields gathered while building.
#[derive(Default)]
struct Totals {
    next_huge_id: u64,
    huge_btree: Option<Addr>,
    free: u64,
    managed_space: u64,
    allocated: u64,
    iter: u64,
    managed_objects: u64,
    huge_size: u64,
    huge_objects: u64,
    tiny_size: u64,
    tiny_objects: u64,
    root: Option<Addr>,
    root_rows: u16,
}

fn encode_header(p: &HeapParams, t: &Totals, sizes: Sizes) -> Result<Vec<u8>> {
    let mut v = b"FRHP".to_vec();
    v.push(0);
    v.put_u16(p.id_len);
    v.put_u16(0); // no I/O filters
    v.push(if p.checksum_direct_blocks { 0x02 } else { 0 });
    v.put_u32(p.max_managed_size);
    v.put_length(t.next_huge_id, sizes)?;
    v.put_addr(t.huge_btree, sizes)?;
    v.put_length(t.free, sizes)?;
    v.put_addr(None, sizes)?; // no free-space manager
    for x in [
        t.managed_space,
        t.allocated,
        t.iter,
        t.managed_objects,
        t.huge_size,
        t.huge_objects,
        t.tiny_size,
        t.tiny_objects,
    ] {
        v.put_length(x, sizes)?;
    }
    v.put_u16(p.table_width);
    v.put_length(p.start_block_size, sizes)?;
    v.put_length(p.max_direct_block_size, sizes)?;
    v.put_u16(p.max_heap_bits);
    v.put_u16(1); // starting rows of the root indirect block
    v.put_addr(t.root, sizes)?;
    v.put_u16(t.root_rows);
    let sum = checksum::metadata(&v);
    v.put_u32(sum);
    Ok(v)
}

/// Build a fractal heap holding `objects`; return the header's address and each object's
/// heap ID (in the order of `objects`, each `params.id_len` bytes).
pub fn build_heap(
    objects: &[Vec<u8>],
    params: &HeapParams,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<(Addr, Vec<Vec<u8>>)> {
    let sizes = space.sizes();
    let g = Geometry::new(params, sizes)?;
    let heap = space.alloc(header_len(sizes))?;
    let mut ids = vec![Vec::new(); objects.len()];
    let mut t = Totals::default();
    let mut managed = Vec::new();
    let mut huge_records = Vec::new();
    for (index, obj) in objects.iter().enumerate() {
        let len = obj.len();
        let id = if len == 0 {
            return Err(Error::Invalid(
                "fractal heaps cannot store empty objects".into(),
            ));
        } else if len as u64 > u64::from(params.max_managed_size) {
            let addr = space.alloc(len as u64)?;
            emit.put(addr, obj.clone());
            t.huge_objects += 1;
            t.huge_size += len as u64;
            let mut id = vec![0x10u8];
            if g.huge_direct {
                id.put_addr(Some(addr), sizes)?;
                id.put_length(len as u64, sizes)?;
                let mut rec = Vec::new();
                rec.put_addr(Some(addr), sizes)?;
                rec.put_length(len as u64, sizes)?;
                huge_records.push((addr.get(), rec));
            } else {
                t.next_huge_id += 1;
                id.put_uint(t.next_huge_id, g.huge_id_size)?;
                let rec = HugeObjectRecord {
                    addr,
                    length: len as u64,
                    id: t.next_huge_id,
                };
                huge_records.push((t.next_huge_id, rec.encode(sizes)?));
            }
            id
        } else if len <= g.tiny_max {
            t.tiny_objects += 1;
            t.tiny_size += len as u64;
            let l = (len - 1) as u64;
            let mut id = Vec::new();
            if g.tiny_extended {
                id.push(0x20 | ((l >> 8) & 0x0f) as u8);
                id.push((l & 0xff) as u8);
            } else {
                id.push(0x20 | (l & 0x0f) as u8);
            }
            id.extend_from_slice(obj);
            id
        } else {
            managed.push((index, obj.as_slice()));
            t.managed_objects += 1;
            continue;
        };
        if let Some(slot) = ids.get_mut(index) {
            *slot = id;
        }
    }
    if !huge_records.is_empty() {
        huge_records.sort_by_key(|r| r.0);
        let (record_type, record_size) = if g.huge_direct {
            (3, sizes.offset + sizes.length)
        } else {
            (1, sizes.offset + 2 * sizes.length)
        };
        let records: Vec<Vec<u8>> = huge_records.into_iter().map(|r| r.1).collect();
        t.huge_btree = Some(bt2build::build(
            record_type,
            u16::from(record_size),
            &records,
            bt2build::DENSE_NODE_SIZE,
            space,
            emit,
        )?);
    }
    let managed_bytes: u64 = managed.iter().map(|m| m.1.len() as u64).sum();
    let mut packer = Packer {
        g: &g,
        heap,
        checksum: params.checksum_direct_blocks,
        objects: managed,
        next: 0,
        ids: &mut ids,
        space,
        emit,
        allocated: 0,
        iter_end: 0,
    };
    if packer.done() {
        // No managed objects: no root block.
    } else if managed_bytes + g.dblock_overhead <= g.start {
        // Everything fits in one starting-size block: the root is a direct block.
        t.root = packer.direct(0, g.start)?;
        t.managed_space = g.start;
        t.allocated = g.start;
        t.free = g.start - g.dblock_overhead - managed_bytes;
    } else {
        let entries = packer.rows(0, g.max_root_rows)?;
        if !packer.done() {
            return Err(Error::LimitExceeded(
                "fractal heap: objects exceed the managed address space".into(),
            ));
        }
        // The width comes from a u16 (`HeapParams::table_width`): the fallback is never taken.
        let width = usize::try_from(g.width).unwrap_or(1).max(1);
        let used_rows = entries
            .iter()
            .rposition(Option::is_some)
            .map_or(1, |last| last / width + 1) as u32;
        // Room for the next block after the last one, rounded up as libhdf5 doubles the root.
        let rows = (used_rows + 1).next_power_of_two().min(g.max_root_rows);
        let keep = usize::try_from(u64::from(rows) * g.width).unwrap_or(usize::MAX);
        let root_entries = entries.get(..keep.min(entries.len())).unwrap_or(&[]);
        t.root = Some(packer.indirect(0, root_entries)?);
        // `rows` is at most `max_root_rows` (<= 65): it fits.
        t.root_rows = u16::try_from(rows).unwrap_or(u16::MAX);
        t.managed_space = g.row_offset(rows);
        t.allocated = packer.allocated;
        t.iter = packer.iter_end;
        let capacity: u64 = (0..rows).map(|r| g.width * g.entry_free(r)).sum();
        t.free = capacity - managed_bytes;
    }
    emit.put(heap, encode_header(params, &t, sizes)?);
    // Pads only: `Geometry::new` checked that managed, huge and tiny IDs fit `id_len`.
    for id in &mut ids {
        id.resize(usize::from(params.id_len), 0);
    }
    Ok((heap, ids))
}

#[cfg(test)]
mod tests;
