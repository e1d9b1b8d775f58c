//! Chunk index: extensible array (spec Appendix C, `#ExtensibleArray`): an `EAHD` header,
//! an `EAIB` index block, `EASB` secondary ("super") blocks and `EADB` data blocks, paged
//! into data block pages when large. Every structure carries a lookup3 checksum.
//!
//! Element `i` of the array describes the chunk with linear index `i` over the chunk grid
//! whose unlimited axis has been moved to the front (libhdf5 `H5Dearray.c`, "swizzled"
//! down chunks; the other axes use their maximum dimensions). See [`super::common::Grid`].
//!
//! Layout of the elements (libhdf5 `H5EAhdr.c`, `H5EAiblock.c`, `H5EAcache.c`):
//!
//! - the first *index block elements* elements are stored in the index block itself;
//! - the rest are grouped into super blocks `s = 0, 1, ...`, `1 + max_bits - log2(min
//!   elements)` of them. Super block `s` has `2^(s/2)` data blocks of
//!   `2^((s+1)/2) * min elements` elements each;
//! - the data blocks of the first `2 * log2(min data pointers)` super blocks are addressed
//!   directly from the index block (`2 * (min data pointers - 1)` addresses), the others
//!   through a super block whose address is in the index block;
//! - a data block with more than `2^page bits` elements is paged: the block holds only its
//!   prefix and checksum, the pages (elements + checksum each) follow it, and the super
//!   block holds a bitmap of initialised pages (`ceil(pages / 8)` bytes per data block,
//!   bit `d * pages + p` for page `p` of data block `d`, high bit first).
//!
//! "Block offset" fields are `ceil(max_bits / 8)` bytes wide; they are not checked, because
//! libhdf5 writes inconsistent values for data blocks addressed from the index block.

mod build;

use std::collections::HashSet;

pub use build::{build, EaParams};

use super::common::{bit_set, check_params, Grid, Record, RecordFormat};
use super::{Chunk, IndexParams};
use crate::checksum::verify_trailing;
use crate::error::{Error, Result};
use crate::io::{Addr, Cursor, FileImage};

const HEADER: &str = "extensible array header";
const INDEX: &str = "extensible array index block";
const SUPER: &str = "extensible array secondary block";
const DATA: &str = "extensible array data block";
const PAGE: &str = "extensible array data block page";

/// The decoded `EAHD` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtensibleArrayHeader {
    /// Client ID: 0 unfiltered chunks, 1 filtered chunks.
    pub client_id: u8,
    /// Size in bytes of one element.
    pub element_size: u8,
    /// Bits needed to store the maximum number of elements.
    pub max_nelmts_bits: u8,
    /// Number of elements stored in the index block.
    pub index_block_elements: u8,
    /// Minimum number of elements in a data block (a power of two).
    pub data_block_min_elements: u8,
    /// Minimum number of data block pointers in a super block (a power of two, >= 2).
    pub super_block_min_data_ptrs: u8,
    /// Log2 of the number of elements in a data block page.
    pub page_bits: u8,
    /// Number of super blocks created.
    pub num_super_blocks: u64,
    /// Size of the super blocks created.
    pub super_blocks_size: u64,
    /// Number of data blocks created.
    pub num_data_blocks: u64,
    /// Size of the data blocks created.
    pub data_blocks_size: u64,
    /// One more than the largest element index ever set.
    pub max_index_set: u64,
    /// Number of elements realised.
    pub num_elements: u64,
    /// Address of the index block; `None` when no chunk was ever written.
    pub index_block: Option<Addr>,
}

impl ExtensibleArrayHeader {
    /// Read and verify the header at `addr`.
    pub fn read(img: &FileImage<'_>, addr: Addr) -> Result<Self> {
        let sizes = img.sizes();
        let len = 4 + 4 + 4 + 6 * u64::from(sizes.length) + u64::from(sizes.offset) + 4;
        let mut c = img.cursor(addr, len, HEADER)?;
        verify_trailing(c.rest(), HEADER, c.origin())?;
        c.signature(b"EAHD")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("unknown extensible array header version {version}")));
        }
        let h = ExtensibleArrayHeader {
            client_id: c.u8()?,
            element_size: c.u8()?,
            max_nelmts_bits: c.u8()?,
            index_block_elements: c.u8()?,
            data_block_min_elements: c.u8()?,
            super_block_min_data_ptrs: c.u8()?,
            page_bits: c.u8()?,
            num_super_blocks: c.length()?,
            super_blocks_size: c.length()?,
            num_data_blocks: c.length()?,
            data_blocks_size: c.length()?,
            max_index_set: c.length()?,
            num_elements: c.length()?,
            index_block: c.addr()?,
        };
        let at = img.absolute(addr);
        let bad = |detail: String| Err(Error::corrupt(HEADER, at, detail));
        if h.max_nelmts_bits == 0 || h.max_nelmts_bits > 64 {
            return bad(format!(
                "max element bits {} out of range",
                h.max_nelmts_bits
            ));
        }
        if !h.data_block_min_elements.is_power_of_two() {
            return bad(format!(
                "minimum data block elements {} is not a power of two",
                h.data_block_min_elements
            ));
        }
        if h.super_block_min_data_ptrs < 2 || !h.super_block_min_data_ptrs.is_power_of_two() {
            return bad(format!(
                "minimum super block data pointers {} is not a power of two >= 2",
                h.super_block_min_data_ptrs
            ));
        }
        if h.data_block_min_elements.trailing_zeros() > u32::from(h.max_nelmts_bits) {
            return bad("minimum data block elements exceed the maximum".into());
        }
        if h.page_bits >= 64 {
            return bad(format!("page bits {} out of range", h.page_bits));
        }
        Ok(h)
    }

    /// Bytes of the "block offset" fields.
    fn offset_width(&self) -> usize {
        usize::from(self.max_nelmts_bits).div_ceil(8)
    }

    /// Elements in a data block page.
    fn page_elements(&self) -> u64 {
        1u64 << self.page_bits
    }

    /// Super blocks addressed through the index block's data block addresses.
    fn index_super_blocks(&self) -> usize {
        2 * self.super_block_min_data_ptrs.trailing_zeros() as usize
    }

    /// Number of data block addresses in the index block.
    fn index_data_blocks(&self) -> usize {
        2 * (usize::from(self.super_block_min_data_ptrs) - 1)
    }

    /// Geometry of every super block; stops early where element indexes overflow 64 bits.
    fn super_blocks(&self) -> Vec<SuperBlockInfo> {
        let count =
            1 + u32::from(self.max_nelmts_bits) - self.data_block_min_elements.trailing_zeros();
        let min = u64::from(self.data_block_min_elements);
        let mut out = Vec::new();
        let (mut start, mut start_dblk) = (0u64, 0u64);
        for s in 0..count {
            let ndblks = 1u64 << (s / 2);
            let dblk_elements = (1u64 << s.div_ceil(2)) * min;
            out.push(SuperBlockInfo {
                ndblks,
                dblk_elements,
                start,
                start_dblk,
            });
            match ndblks
                .checked_mul(dblk_elements)
                .and_then(|n| n.checked_add(start))
            {
                Some(next) => start = next,
                None => break,
            }
            start_dblk += ndblks;
        }
        out
    }
}

/// Geometry of one super block.
#[derive(Clone, Copy, Debug)]
struct SuperBlockInfo {
    /// Number of data blocks.
    ndblks: u64,
    /// Elements in each of its data blocks.
    dblk_elements: u64,
    /// Index (after the index block elements) of its first element.
    start: u64,
    /// Index of its first data block among all data blocks.
    start_dblk: u64,
}

/// State of one walk over the array.
struct Walk<'a, 'b> {
    img: &'b FileImage<'a>,
    header_addr: Addr,
    header: ExtensibleArrayHeader,
    format: RecordFormat,
    grid: Grid,
    visited: HashSet<u64>,
    out: Vec<Chunk>,
}

/// Every chunk recorded by the index at `addr`.
pub fn chunks(img: &FileImage<'_>, addr: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    let at = img.absolute(addr);
    check_params(params, HEADER, at)?;
    let header = ExtensibleArrayHeader::read(img, addr)?;
    let format = RecordFormat::new(params, img.sizes())?;
    format.check_header(
        header.client_id,
        header.element_size,
        "element size",
        HEADER,
        at,
    )?;
    let grid = Grid::swizzled(params, HEADER, at)?;
    let Some(index_block) = header.index_block else {
        return Ok(Vec::new());
    };
    let mut walk = Walk {
        img,
        header_addr: addr,
        header,
        format,
        grid,
        visited: HashSet::new(),
        out: Vec::new(),
    };
    walk.index_block(index_block)?;
    Ok(walk.out)
}

impl Walk<'_, '_> {
    /// Record element `index` if it is defined.
    fn emit(&mut self, index: u64, rec: Option<Record>, at: u64) -> Result<()> {
        if let Some((addr, size, filter_mask)) = rec {
            let offset = self.grid.offset_of(index).ok_or_else(|| {
                Error::corrupt(
                    DATA,
                    at,
                    format!("element {index} lies outside the chunk grid"),
                )
            })?;
            self.out.push(Chunk {
                offset,
                addr,
                size,
                filter_mask,
            });
        }
        Ok(())
    }

    /// Check the signature, version, client ID and owner of a block.
    fn prefix(&self, c: &mut Cursor<'_>, signature: &[u8; 4]) -> Result<()> {
        c.signature(signature)?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("unknown version {version}")));
        }
        let client = c.u8()?;
        if client != self.header.client_id {
            return Err(c.error(format!(
                "client ID {client} differs from the header's {}",
                self.header.client_id
            )));
        }
        let owner = c.addr_required("header")?;
        if owner != self.header_addr {
            return Err(c.error(format!(
                "block belongs to the header at {owner}, not {}",
                self.header_addr
            )));
        }
        Ok(())
    }

    /// Refuse a second visit of the same block.
    fn visit(&mut self, addr: Addr, structure: &'static str) -> Result<()> {
        if !self.visited.insert(addr.get()) {
            return Err(Error::corrupt(
                structure,
                self.img.absolute(addr),
                "block referenced twice",
            ));
        }
        Ok(())
    }

    fn index_block(&mut self, addr: Addr) -> Result<()> {
        let h = self.header;
        let sizes = self.img.sizes();
        let o = usize::from(sizes.offset);
        let e = usize::from(h.element_size);
        let infos = h.super_blocks();
        let in_index = h.index_super_blocks();
        let n_dblk = h.index_data_blocks();
        let n_sblk = infos.len().saturating_sub(in_index);
        let elems = usize::from(h.index_block_elements);
        let len = 4 + 2 + o + elems * e + (n_dblk + n_sblk) * o + 4;
        let mut c = self.img.cursor(addr, len as u64, INDEX)?;
        verify_trailing(c.rest(), INDEX, c.origin())?;
        self.prefix(&mut c, b"EAIB")?;
        for k in 0..elems as u64 {
            let at = c.offset();
            let rec = self.format.read(&mut c)?;
            if k < h.max_index_set {
                self.emit(k, rec, at)?;
            }
        }
        let dblks = (0..n_dblk).map(|_| c.addr()).collect::<Result<Vec<_>>>()?;
        let sblks = (0..n_sblk).map(|_| c.addr()).collect::<Result<Vec<_>>>()?;

        let base = u64::from(h.index_block_elements);
        for (s, info) in infos.iter().enumerate() {
            let Some(first) = base.checked_add(info.start) else {
                break;
            };
            if first >= h.max_index_set {
                break;
            }
            if s < in_index {
                for d in 0..info.ndblks {
                    let Some(slot) = usize::try_from(info.start_dblk.saturating_add(d))
                        .ok()
                        .and_then(|i| dblks.get(i))
                    else {
                        return Err(Error::corrupt(
                            INDEX,
                            self.img.absolute(addr),
                            "too few data block addresses",
                        ));
                    };
                    let start = first.saturating_add(d.saturating_mul(info.dblk_elements));
                    if let Some(dblk) = *slot {
                        self.data_block(dblk, start, info.dblk_elements, None)?;
                    }
                }
            } else if let Some(Some(sblk)) = sblks.get(s - in_index) {
                self.super_block(*sblk, first, info)?;
            }
        }
        Ok(())
    }

    fn super_block(&mut self, addr: Addr, first: u64, info: &SuperBlockInfo) -> Result<()> {
        self.visit(addr, SUPER)?;
        let h = self.header;
        let o = u64::from(self.img.sizes().offset);
        let paged = info.dblk_elements > h.page_elements();
        let npages = if paged {
            info.dblk_elements / h.page_elements()
        } else {
            0
        };
        let bitmap_len = info
            .ndblks
            .checked_mul(npages.div_ceil(8))
            .ok_or_else(|| Error::corrupt(SUPER, self.img.absolute(addr), "size overflows"))?;
        let len = (4 + 2 + o + h.offset_width() as u64 + 4)
            .checked_add(bitmap_len)
            .and_then(|l| l.checked_add(info.ndblks.checked_mul(o)?))
            .ok_or_else(|| Error::corrupt(SUPER, self.img.absolute(addr), "size overflows"))?;
        let mut c = self.img.cursor(addr, len, SUPER)?;
        verify_trailing(c.rest(), SUPER, c.origin())?;
        self.prefix(&mut c, b"EASB")?;
        c.skip(h.offset_width())?;
        let bitmap = c.take_u64(bitmap_len)?;
        for d in 0..info.ndblks {
            let dblk = c.addr()?;
            let start = first.saturating_add(d.saturating_mul(info.dblk_elements));
            if start >= h.max_index_set {
                break;
            }
            if let Some(dblk) = dblk {
                let pages = paged.then_some((bitmap, d.saturating_mul(npages)));
                self.data_block(dblk, start, info.dblk_elements, pages)?;
            }
        }
        Ok(())
    }

    /// Read a data block of `count` elements whose first element has index `first`.
    /// `pages` is the page bitmap and the bit of this block's first page, for paged blocks.
    fn data_block(
        &mut self,
        addr: Addr,
        first: u64,
        count: u64,
        pages: Option<(&[u8], u64)>,
    ) -> Result<()> {
        self.visit(addr, DATA)?;
        let h = self.header;
        let e = u64::from(h.element_size);
        let prefix = 4 + 2 + u64::from(self.img.sizes().offset) + h.offset_width() as u64;
        let at = self.img.absolute(addr);
        let overflow = || Error::corrupt(DATA, at, "size overflows");
        if count <= h.page_elements() {
            let len = count
                .checked_mul(e)
                .and_then(|l| l.checked_add(prefix + 4))
                .ok_or_else(overflow)?;
            let mut c = self.img.cursor(addr, len, DATA)?;
            verify_trailing(c.rest(), DATA, c.origin())?;
            self.prefix(&mut c, b"EADB")?;
            c.skip(h.offset_width())?;
            for k in 0..count {
                let at = c.offset();
                let rec = self.format.read(&mut c)?;
                let index = first.saturating_add(k);
                if index >= h.max_index_set {
                    break;
                }
                self.emit(index, rec, at)?;
            }
            return Ok(());
        }
        let Some((bitmap, first_bit)) = pages else {
            return Err(Error::Unsupported(format!(
                "paged extensible array data block at byte offset {at} addressed from the index block"
            )));
        };
        let mut c = self.img.cursor(addr, prefix + 4, DATA)?;
        verify_trailing(c.rest(), DATA, c.origin())?;
        self.prefix(&mut c, b"EADB")?;
        let per_page = h.page_elements();
        let page_size = per_page
            .checked_mul(e)
            .and_then(|s| s.checked_add(4))
            .ok_or_else(overflow)?;
        let npages = count / per_page;
        for p in 0..npages {
            let start = first.saturating_add(p.saturating_mul(per_page));
            if start >= h.max_index_set {
                break;
            }
            if !bit_set(bitmap, first_bit.saturating_add(p)) {
                continue;
            }
            let page_addr = p
                .checked_mul(page_size)
                .and_then(|o| o.checked_add(prefix + 4))
                .and_then(|o| o.checked_add(addr.get()))
                .ok_or_else(overflow)?;
            let mut pc = self.img.cursor(Addr(page_addr), page_size, PAGE)?;
            verify_trailing(pc.rest(), PAGE, pc.origin())?;
            for k in 0..per_page {
                let at = pc.offset();
                let rec = self.format.read(&mut pc)?;
                let index = start.saturating_add(k);
                if index >= h.max_index_set {
                    break;
                }
                self.emit(index, rec, at)?;
            }
        }
        Ok(())
    }
}

/// The extents of the extensible array index at `addr`, for space accounting: the header,
/// the index block, every super block and every data block (paged data blocks with all
/// their pages, allocated together). Block checksums are verified; elements are not read.
pub fn extents(img: &FileImage<'_>, addr: Addr) -> Result<Vec<(Addr, u64)>> {
    let sizes = img.sizes();
    let h = ExtensibleArrayHeader::read(img, addr)?;
    let o = u64::from(sizes.offset);
    let mut out = vec![(addr, 4 + 4 + 4 + 6 * u64::from(sizes.length) + o + 4)];
    let Some(ib) = h.index_block else {
        return Ok(out);
    };
    let overflow = |at: Addr| Error::corrupt(INDEX, img.absolute(at), "size overflows");
    let e = u64::from(h.element_size);
    let infos = h.super_blocks();
    let in_index = h.index_super_blocks();
    let n_dblk = h.index_data_blocks();
    let n_sblk = infos.len().saturating_sub(in_index);
    let elems = u64::from(h.index_block_elements);
    let ib_len = 4 + 2 + o + elems * e + (n_dblk + n_sblk) as u64 * o + 4;
    let mut c = img.cursor(ib, ib_len, INDEX)?;
    verify_trailing(c.rest(), INDEX, c.origin())?;
    c.signature(b"EAIB")?;
    c.seek(usize::try_from(6 + o + elems * e).map_err(|_| overflow(ib))?)?;
    let dblks = (0..n_dblk).map(|_| c.addr()).collect::<Result<Vec<_>>>()?;
    let sblks = (0..n_sblk).map(|_| c.addr()).collect::<Result<Vec<_>>>()?;
    out.push((ib, ib_len));
    let ow = h.offset_width() as u64;
    let dprefix = 4 + 2 + o + ow;
    let per_page = h.page_elements();
    let dblk_len = |count: u64| -> Option<u64> {
        if count <= per_page {
            count.checked_mul(e)?.checked_add(dprefix + 4)
        } else {
            (count / per_page)
                .checked_mul(per_page.checked_mul(e)?.checked_add(4)?)?
                .checked_add(dprefix + 4)
        }
    };
    for (s, info) in infos.iter().enumerate() {
        let len = dblk_len(info.dblk_elements).ok_or_else(|| overflow(ib))?;
        if s < in_index {
            for d in 0..info.ndblks {
                let slot = usize::try_from(info.start_dblk.saturating_add(d))
                    .ok()
                    .and_then(|i| dblks.get(i));
                if let Some(Some(dblk)) = slot {
                    out.push((*dblk, len));
                }
            }
            continue;
        }
        let Some(Some(sblk)) = sblks.get(s - in_index) else {
            continue;
        };
        let npages = if info.dblk_elements > per_page {
            info.dblk_elements / per_page
        } else {
            0
        };
        let bitmap_len = info
            .ndblks
            .checked_mul(npages.div_ceil(8))
            .ok_or_else(|| overflow(*sblk))?;
        let slen = (4 + 2 + o + ow + 4)
            .checked_add(bitmap_len)
            .and_then(|l| l.checked_add(info.ndblks.checked_mul(o)?))
            .ok_or_else(|| overflow(*sblk))?;
        let mut sc = img.cursor(*sblk, slen, SUPER)?;
        verify_trailing(sc.rest(), SUPER, sc.origin())?;
        sc.signature(b"EASB")?;
        sc.seek(usize::try_from(6 + o + ow + bitmap_len).map_err(|_| overflow(*sblk))?)?;
        out.push((*sblk, slen));
        for _ in 0..info.ndblks {
            if let Some(dblk) = sc.addr()? {
                out.push((dblk, len));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::checksum::metadata;
    use crate::dataspace::UNLIMITED;
    use crate::io::Sizes;

    const UNDEF: u64 = u64::MAX;

    /// A little assembler: the header lives at address 0 (written last), every other block
    /// is appended.
    struct File {
        bytes: Vec<u8>,
    }

    impl File {
        fn new() -> Self {
            File { bytes: vec![0; 72] }
        }

        fn here(&self) -> u64 {
            self.bytes.len() as u64
        }

        fn seal_from(&mut self, start: usize) {
            let sum = metadata(&self.bytes[start..]);
            self.bytes.extend_from_slice(&sum.to_le_bytes());
        }

        fn put(&mut self, v: u64, width: usize) {
            self.bytes.extend_from_slice(&v.to_le_bytes()[..width]);
        }

        /// Block prefix: signature, version 0, client 0, header address 0.
        fn prefix(&mut self, sig: &[u8; 4]) -> usize {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(sig);
            self.bytes.extend_from_slice(&[0, 0]);
            self.put(0, 8);
            start
        }

        fn header(&mut self, params: [u8; 5], max_index_set: u64, iblock: u64) {
            let mut h = b"EAHD".to_vec();
            h.extend_from_slice(&[0, 0, 8]);
            h.extend_from_slice(&params);
            for v in [0, 0, 0, 0, max_index_set, 0, iblock] {
                h.extend_from_slice(&u64::to_le_bytes(v));
            }
            let sum = metadata(&h);
            h.extend_from_slice(&sum.to_le_bytes());
            assert_eq!(h.len(), 72);
            self.bytes[..72].copy_from_slice(&h);
        }
    }

    /// Chunk address recorded for element `i`.
    fn chunk_addr(i: u64) -> u64 {
        5000 + i
    }

    /// Element addresses of elements `first..first + n`, undefined where `defined` is false.
    fn elements(f: &mut File, first: u64, n: u64, defined: impl Fn(u64) -> bool) {
        for i in first..first + n {
            f.put(if defined(i) { chunk_addr(i) } else { UNDEF }, 8);
        }
    }

    fn data_block(f: &mut File, first: u64, n: u64, defined: impl Fn(u64) -> bool) -> u64 {
        let at = f.here();
        let s = f.prefix(b"EADB");
        f.put(first, 1);
        elements(f, first, n, defined);
        f.seal_from(s);
        at
    }

    /// Max bits 8, 2 index block elements, minimum 2 elements a data block, minimum 2 data
    /// pointers a super block, 4 elements a page. Super blocks: s0 = 1 block of 2 elements
    /// (indexes 2-3), s1 = 1 x 4 (4-7), both addressed from the index block; s2 = 2 x 4
    /// (8-15), s3 = 2 x 8 (16-31, paged 2 x 4), through super blocks.
    fn build(max_index_set: u64) -> (Vec<u8>, Vec<u64>) {
        let mut f = File::new();
        let all = |_| true;
        let d0 = data_block(&mut f, 2, 2, all);
        let d1 = data_block(&mut f, 4, 4, |i| i != 5);
        let d2 = data_block(&mut f, 8, 4, all);
        let s2 = f.here();
        let s = f.prefix(b"EASB");
        f.put(6, 1);
        f.put(d2, 8);
        f.put(UNDEF, 8);
        f.seal_from(s);
        // Paged data block of super block 3: prefix + checksum, then two pages of 4.
        let d3 = f.here();
        let s = f.prefix(b"EADB");
        f.put(14, 1);
        f.seal_from(s);
        for page in 0..2u64 {
            let s = f.bytes.len();
            elements(&mut f, 16 + 4 * page, 4, all);
            f.seal_from(s);
        }
        let s3 = f.here();
        let s = f.prefix(b"EASB");
        f.put(14, 1);
        // Page bitmap: 1 byte per data block; block 0 page 0 initialised only.
        f.bytes.extend_from_slice(&[0b1000_0000, 0]);
        f.put(d3, 8);
        f.put(UNDEF, 8);
        f.seal_from(s);
        let ib = f.here();
        let s = f.prefix(b"EAIB");
        elements(&mut f, 0, 2, |i| i == 1);
        f.put(d0, 8);
        f.put(d1, 8);
        for a in [s2, s3, UNDEF, UNDEF, UNDEF, UNDEF] {
            f.put(a, 8);
        }
        f.seal_from(s);
        f.header([8, 2, 2, 2, 2], max_index_set, ib);
        // The defined elements a reader must find.
        let mut want: Vec<u64> = vec![1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19];
        want.retain(|&i| i < max_index_set);
        (f.bytes, want)
    }

    const MAX: [u64; 1] = [UNLIMITED];

    fn params(dims: &[u64]) -> IndexParams<'_> {
        IndexParams {
            dims,
            max_dims: &MAX,
            chunk_dims: &[1],
            element_size: 1,
            filtered: false,
            layout_version: 4,
        }
    }

    fn found(bytes: &[u8]) -> Result<Vec<u64>> {
        let img = FileImage::new(bytes, 0, Sizes::default());
        let c = chunks(&img, Addr(0), &params(&[32]))?;
        for c in &c {
            assert_eq!(c.addr.get(), chunk_addr(c.offset[0]));
            assert_eq!((c.size, c.filter_mask), (1, 0));
        }
        Ok(c.iter().map(|c| c.offset[0]).collect())
    }

    #[test]
    fn walks_every_kind_of_block() {
        let (bytes, want) = build(32);
        assert_eq!(found(&bytes).unwrap(), want);
    }

    #[test]
    fn stops_at_max_index_set() {
        let (bytes, want) = build(9);
        assert_eq!(found(&bytes).unwrap(), want);
        assert_eq!(want.last(), Some(&8));
    }

    #[test]
    fn every_checksum_is_verified() {
        let (bytes, _) = build(32);
        let mut caught = 0;
        for pos in 0..bytes.len() {
            let mut b = bytes.clone();
            b[pos] ^= 0x10;
            match found(&b) {
                Err(Error::Checksum { .. }) => caught += 1,
                // Flips of the uninitialised page 1 are not read; anything else must fail.
                Ok(v) => assert_eq!(v, build(32).1, "byte {pos}"),
                Err(_) => {}
            }
        }
        // Everything but the 36 bytes of the uninitialised page is covered by a checksum.
        assert_eq!(caught, bytes.len() - 36);
    }

    #[test]
    fn truncation_is_an_error() {
        let (bytes, _) = build(32);
        for cut in 0..bytes.len() {
            assert!(found(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn block_referenced_twice_is_corrupt() {
        let mut f = File::new();
        let d0 = data_block(&mut f, 2, 2, |_| true);
        let ib = f.here();
        let s = f.prefix(b"EAIB");
        elements(&mut f, 0, 2, |_| false);
        f.put(d0, 8);
        f.put(d0, 8);
        for _ in 0..6 {
            f.put(UNDEF, 8);
        }
        f.seal_from(s);
        f.header([8, 2, 2, 2, 2], 8, ib);
        let err = found(&f.bytes).unwrap_err();
        assert!(err.to_string().contains("referenced twice"), "{err}");
    }

    #[test]
    fn header_validation() {
        let (mut bytes, _) = build(32);
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let h = ExtensibleArrayHeader::read(&img, Addr(0)).unwrap();
        assert_eq!(h.max_index_set, 32);
        assert_eq!(h.super_block_min_data_ptrs, 2);
        // Non-power-of-two minimum data pointers, re-sealed so only validation can fail.
        bytes[10] = 3;
        let sum = metadata(&bytes[..68]);
        bytes[68..72].copy_from_slice(&sum.to_le_bytes());
        let img = FileImage::new(&bytes, 0, Sizes::default());
        assert!(matches!(
            ExtensibleArrayHeader::read(&img, Addr(0)),
            Err(Error::Corrupt { .. })
        ));
        // Filtered parameters do not match client 0.
        let (bytes, _) = build(32);
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let mut p = params(&[32]);
        p.filtered = true;
        assert!(chunks(&img, Addr(0), &p).is_err());
    }

    #[test]
    fn undefined_index_block_means_no_chunks() {
        let mut f = File::new();
        f.header([8, 2, 2, 2, 2], 0, UNDEF);
        assert_eq!(found(&f.bytes).unwrap(), Vec::<u64>::new());
    }
}
