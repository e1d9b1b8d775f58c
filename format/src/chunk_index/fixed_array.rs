//! Chunk index: fixed array (spec Appendix C, `#FixedArray`): a `FAHD` header pointing to
//! one `FADB` data block. Element `i` describes the chunk with linear index `i` over the grid
//! of the maximum dimensions (`#ChunkIndex`; libhdf5 `H5Dfarray.c` uses `max_down_chunks`).
//!
//! When the array has more than `2^page bits` elements the data block is paged: the block
//! holds a bitmap of initialised pages (bit 0 = high bit of byte 0) and its checksum, and the
//! pages follow it, each `2^page bits` elements (the last one possibly fewer) plus its own
//! checksum. Pages whose bit is clear hold no chunks.
//!
//! [`build`] writes the same structures as libhdf5 after writing the given chunks: the data
//! block (with room for every page) exists once a chunk does, pages are initialised only
//! where a chunk lies.

use super::common::{
    bit_set, check_params, index_chunks, seal, set_bit, Grid, Record, RecordFormat,
};
use super::{Chunk, IndexParams};
use crate::checksum::verify_trailing;
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Cursor, FileImage};

const HEADER: &str = "fixed array header";
const BLOCK: &str = "fixed array data block";
const PAGE: &str = "fixed array data block page";

/// The decoded `FAHD` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedArrayHeader {
    /// Client ID: 0 unfiltered chunks, 1 filtered chunks.
    pub client_id: u8,
    /// Size in bytes of one element.
    pub entry_size: u8,
    /// Log2 of the number of elements in a data block page.
    pub page_bits: u8,
    /// Number of elements in the array.
    pub num_entries: u64,
    /// Address of the data block; `None` when no chunk was ever written.
    pub data_block: Option<Addr>,
}

impl FixedArrayHeader {
    /// Read and verify the header at `addr`.
    pub fn read(img: &FileImage<'_>, addr: Addr) -> Result<Self> {
        let sizes = img.sizes();
        let len = 4 + 4 + u64::from(sizes.length) + u64::from(sizes.offset) + 4;
        let mut c = img.cursor(addr, len, HEADER)?;
        verify_trailing(c.rest(), HEADER, c.origin())?;
        c.signature(b"FAHD")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.error(format!("unknown fixed array header version {version}")));
        }
        let client_id = c.u8()?;
        let entry_size = c.u8()?;
        let page_bits = c.u8()?;
        if page_bits >= 64 {
            return Err(c.error(format!("page bits {page_bits} out of range")));
        }
        let num_entries = c.length()?;
        let data_block = c.addr()?;
        Ok(FixedArrayHeader {
            client_id,
            entry_size,
            page_bits,
            num_entries,
            data_block,
        })
    }
}

/// Every chunk recorded by the index at `addr`.
pub fn chunks(img: &FileImage<'_>, addr: Addr, params: &IndexParams<'_>) -> Result<Vec<Chunk>> {
    let at = img.absolute(addr);
    check_params(params, HEADER, at)?;
    let header = FixedArrayHeader::read(img, addr)?;
    let format = RecordFormat::new(params, img.sizes())?;
    format.check_header(
        header.client_id,
        header.entry_size,
        "entry size",
        HEADER,
        at,
    )?;
    let grid = Grid::max_grid(params, HEADER, at)?;
    let fits = match grid.total() {
        Some(t) => header.num_entries <= t,
        None => false,
    };
    if !fits {
        return Err(Error::corrupt(
            HEADER,
            at,
            format!(
                "{} entries for a grid of {:?} chunks",
                header.num_entries,
                grid.total()
            ),
        ));
    }
    let Some(block) = header.data_block else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut emit = |index: u64, rec: Option<Record>| -> Result<()> {
        if let Some((chunk_addr, size, filter_mask)) = rec {
            let offset = grid.offset_of(index).ok_or_else(|| {
                Error::corrupt(BLOCK, img.absolute(block), "element outside the chunk grid")
            })?;
            out.push(Chunk {
                offset,
                addr: chunk_addr,
                size,
                filter_mask,
            });
        }
        Ok(())
    };
    read_data_block(img, block, addr, &header, &format, &mut emit)?;
    Ok(out)
}

/// Read the data block (and its pages), calling `emit(index, record)` for every element.
fn read_data_block(
    img: &FileImage<'_>,
    block: Addr,
    header_addr: Addr,
    header: &FixedArrayHeader,
    format: &RecordFormat,
    emit: &mut dyn FnMut(u64, Option<Record>) -> Result<()>,
) -> Result<()> {
    let sizes = img.sizes();
    let entry = u64::from(header.entry_size);
    let page_elems = 1u64 << header.page_bits;
    let n = header.num_entries;
    let prefix = 4 + 2 + u64::from(sizes.offset);
    let too_big = || Error::corrupt(BLOCK, img.absolute(block), "data block size overflows");

    if n <= page_elems {
        let len = n
            .checked_mul(entry)
            .and_then(|e| e.checked_add(prefix + 4))
            .ok_or_else(too_big)?;
        let mut c = img.cursor(block, len, BLOCK)?;
        check_block_prefix(&mut c, header_addr, header.client_id)?;
        for index in 0..n {
            emit(index, format.read(&mut c)?)?;
        }
        return Ok(());
    }

    // Paged: prefix + bitmap + checksum, then the pages.
    let npages = n.div_ceil(page_elems);
    let bitmap_len = npages.div_ceil(8);
    let len = prefix.checked_add(bitmap_len + 4).ok_or_else(too_big)?;
    let mut c = img.cursor(block, len, BLOCK)?;
    check_block_prefix(&mut c, header_addr, header.client_id)?;
    let bitmap = c.take_u64(bitmap_len)?;
    let page_size = page_elems
        .checked_mul(entry)
        .and_then(|s| s.checked_add(4))
        .ok_or_else(too_big)?;
    for page in 0..npages {
        if !bit_set(bitmap, page) {
            continue;
        }
        let first = page * page_elems;
        let count = page_elems.min(n - first);
        let page_addr = page
            .checked_mul(page_size)
            .and_then(|o| o.checked_add(len))
            .and_then(|o| o.checked_add(block.get()))
            .ok_or_else(too_big)?;
        let page_len = count * entry + 4;
        let mut p = img.cursor(Addr(page_addr), page_len, PAGE)?;
        verify_trailing(p.rest(), PAGE, p.origin())?;
        for k in 0..count {
            emit(first + k, format.read(&mut p)?)?;
        }
    }
    Ok(())
}

/// Verify the checksum of the whole cursor range and read the common `FADB` prefix.
fn check_block_prefix(c: &mut Cursor<'_>, header_addr: Addr, client_id: u8) -> Result<()> {
    verify_trailing(c.rest(), BLOCK, c.origin())?;
    c.signature(b"FADB")?;
    let version = c.u8()?;
    if version != 0 {
        return Err(c.error(format!("unknown fixed array data block version {version}")));
    }
    let client = c.u8()?;
    if client != client_id {
        return Err(c.error(format!(
            "client ID {client} differs from the header's {client_id}"
        )));
    }
    let owner = c.addr_required("header")?;
    if owner != header_addr {
        return Err(c.error(format!(
            "data block belongs to the header at {owner}, not {header_addr}"
        )));
    }
    Ok(())
}

/// Build a fixed array index holding `chunks` (every chunk of the maximum-dimension grid
/// gets an element; missing chunks are undefined addresses), as libhdf5 would after writing
/// them: a `FAHD` header and, when any chunk exists, one `FADB` data block, paged when the
/// grid has more than `2^page_bits` chunks (pages without chunks are reserved but left
/// uninitialised). Returns the header address.
pub fn build(
    chunks: &[Chunk],
    params: &IndexParams<'_>,
    page_bits: u8,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<Addr> {
    let sizes = space.sizes();
    if page_bits >= 32 {
        return Err(Error::Invalid(format!(
            "fixed array page bits {page_bits} >= 32"
        )));
    }
    let format = RecordFormat::new(params, sizes)?;
    let grid = Grid::max_grid(params, HEADER, 0)?;
    let n = grid
        .total()
        .ok_or_else(|| Error::LimitExceeded("number of chunks overflows 64 bits".into()))?;
    let recs = index_chunks(&grid, chunks)?;
    let entry = format.record_size();
    let entry_u8 = u8::try_from(entry)
        .map_err(|_| Error::LimitExceeded(format!("chunk record of {entry} bytes")))?;
    let header_len = 4 + 4 + u64::from(sizes.length) + u64::from(sizes.offset) + 4;
    let header_addr = space.alloc(header_len)?;
    let block = if recs.is_empty() {
        None
    } else {
        let bytes = data_block(&recs, n, page_bits, header_addr, &format, sizes)?;
        let addr = space.alloc(bytes.len() as u64)?;
        emit.put(addr, bytes);
        Some(addr)
    };
    let mut h = Vec::with_capacity(header_len as usize);
    h.extend_from_slice(b"FAHD");
    h.extend_from_slice(&[0, format.client_id(), entry_u8, page_bits]);
    h.put_length(n, sizes)?;
    h.put_addr(block, sizes)?;
    seal(&mut h, 0);
    emit.put(header_addr, h);
    Ok(header_addr)
}

/// Encode the data block (with its pages) for `n` elements.
fn data_block(
    recs: &[(u64, Record)],
    n: u64,
    page_bits: u8,
    header_addr: Addr,
    format: &RecordFormat,
    sizes: crate::io::Sizes,
) -> Result<Vec<u8>> {
    let entry = format.record_size() as u64;
    let too_big = || Error::LimitExceeded(format!("fixed array of {n} elements"));
    let body = n.checked_mul(entry).ok_or_else(too_big)?;
    let cap = usize::try_from(body.saturating_add(4096)).map_err(|_| too_big())?;
    let mut b = Vec::with_capacity(cap);
    b.extend_from_slice(b"FADB");
    b.extend_from_slice(&[0, format.client_id()]);
    b.put_addr(Some(header_addr), sizes)?;
    let page_elems = 1u64 << page_bits;
    let mut next = recs.iter().peekable();
    let mut element = |b: &mut Vec<u8>, i: u64| {
        let rec = next.next_if(|r| r.0 == i).map(|r| r.1);
        format.write(b, rec)
    };
    if n <= page_elems {
        for i in 0..n {
            element(&mut b, i)?;
        }
        seal(&mut b, 0);
        return Ok(b);
    }
    let npages = n.div_ceil(page_elems);
    let mut bitmap = vec![0u8; usize::try_from(npages.div_ceil(8)).map_err(|_| too_big())?];
    for (i, _) in recs {
        set_bit(&mut bitmap, i / page_elems);
    }
    b.extend_from_slice(&bitmap);
    seal(&mut b, 0);
    for page in 0..npages {
        let first = page * page_elems;
        let count = page_elems.min(n - first);
        let start = b.len();
        if bit_set(&bitmap, page) {
            for i in first..first + count {
                element(&mut b, i)?;
            }
            seal(&mut b, start);
        } else {
            let len = usize::try_from(count * entry + 4).map_err(|_| too_big())?;
            b.resize(start + len, 0);
        }
    }
    Ok(b)
}

/// The extents of the fixed array index at `addr`, for space accounting: the header and the
/// data block with all its pages (allocated together; the last page may be partial).
pub fn extents(img: &FileImage<'_>, addr: Addr) -> Result<Vec<(Addr, u64)>> {
    let sizes = img.sizes();
    let header = FixedArrayHeader::read(img, addr)?;
    let mut out = vec![(
        addr,
        4 + 4 + u64::from(sizes.length) + u64::from(sizes.offset) + 4,
    )];
    let Some(block) = header.data_block else {
        return Ok(out);
    };
    let entry = u64::from(header.entry_size);
    let page_elems = 1u64 << header.page_bits;
    let n = header.num_entries;
    let prefix = 4 + 2 + u64::from(sizes.offset);
    let len = if n <= page_elems {
        n.checked_mul(entry).and_then(|e| e.checked_add(prefix + 4))
    } else {
        // Full pages, then a last page holding the remaining elements.
        let npages = n.div_ceil(page_elems);
        let last = n - (npages - 1) * page_elems;
        page_elems
            .checked_mul(entry)
            .and_then(|s| s.checked_add(4))
            .and_then(|s| s.checked_mul(npages - 1))
            .and_then(|s| s.checked_add(last.checked_mul(entry)?.checked_add(4)?))
            .and_then(|s| s.checked_add(prefix + npages.div_ceil(8) + 4))
    };
    let len = len.ok_or_else(|| Error::corrupt(BLOCK, img.absolute(block), "size overflows"))?;
    let mut c = img.cursor(block, len, BLOCK)?;
    c.signature(b"FADB")?;
    out.push((block, len));
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::checksum::metadata;
    use crate::io::Sizes;

    /// Append a lookup3 checksum of `buf[from..]`.
    fn seal(buf: &mut Vec<u8>, from: usize) {
        let sum = metadata(&buf[from..]);
        buf.extend_from_slice(&sum.to_le_bytes());
    }

    fn header(buf: &mut Vec<u8>, client: u8, entry: u8, bits: u8, n: u64, dblk: u64) {
        let start = buf.len();
        buf.extend_from_slice(b"FAHD");
        buf.extend_from_slice(&[0, client, entry, bits]);
        buf.extend_from_slice(&n.to_le_bytes());
        buf.extend_from_slice(&dblk.to_le_bytes());
        seal(buf, start);
    }

    fn block_prefix(buf: &mut Vec<u8>, client: u8, hdr: u64) -> usize {
        let start = buf.len();
        buf.extend_from_slice(b"FADB");
        buf.extend_from_slice(&[0, client]);
        buf.extend_from_slice(&hdr.to_le_bytes());
        start
    }

    const DIMS: [u64; 2] = [4, 6];
    const CHUNK: [u64; 2] = [2, 2];

    fn params(filtered: bool) -> IndexParams<'static> {
        IndexParams {
            dims: &DIMS,
            max_dims: &DIMS,
            chunk_dims: &CHUNK,
            element_size: 2,
            filtered,
            layout_version: 4,
        }
    }

    /// Unfiltered 2x3 grid of 8-byte chunks; element 4 never written.
    fn unpaged_file() -> Vec<u8> {
        let mut b = Vec::new();
        header(&mut b, 0, 8, 10, 6, 28);
        assert_eq!(b.len(), 28);
        let s = block_prefix(&mut b, 0, 0);
        for i in 0..6u64 {
            let a = if i == 4 { u64::MAX } else { 1000 + 8 * i };
            b.extend_from_slice(&a.to_le_bytes());
        }
        seal(&mut b, s);
        b
    }

    #[test]
    fn unpaged_block() {
        let b = unpaged_file();
        let img = FileImage::new(&b, 0, Sizes::default());
        let c = chunks(&img, Addr(0), &params(false)).unwrap();
        assert_eq!(c.len(), 5);
        assert_eq!(c[0].offset, vec![0, 0]);
        assert_eq!(c[3].offset, vec![2, 0]);
        assert_eq!(c[4].offset, vec![2, 4]);
        assert_eq!(c[4].addr, Addr(1040));
        assert!(c.iter().all(|c| c.size == 8 && c.filter_mask == 0));
    }

    #[test]
    fn checksum_and_truncation_errors() {
        let mut b = unpaged_file();
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(chunks(&img, Addr(0), &params(false)).is_ok());
        // Flip a byte of the header checksum, then of a data block element.
        b[26] ^= 1;
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(matches!(
            chunks(&img, Addr(0), &params(false)),
            Err(Error::Checksum { offset: 0, .. })
        ));
        b[26] ^= 1;
        b[50] ^= 1;
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(matches!(
            chunks(&img, Addr(0), &params(false)),
            Err(Error::Checksum { offset: 28, .. })
        ));
        b[50] ^= 1;
        for cut in [0, 10, 27, 30, b.len() - 1] {
            let img = FileImage::new(&b[..cut], 0, Sizes::default());
            assert!(chunks(&img, Addr(0), &params(false)).is_err(), "cut {cut}");
        }
        // Filtered parameters do not match client ID 0.
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(chunks(&img, Addr(0), &params(true)).is_err());
    }

    #[test]
    fn paged_filtered_block() {
        // Page bits 1: 6 elements -> 3 pages of 2; page 1 not initialised.
        // Filtered records of 8-byte chunks: size width 1 + (3 + 8) / 8 = 2; entry 14 bytes.
        let mut b = Vec::new();
        header(&mut b, 1, 14, 1, 6, 28);
        let s = block_prefix(&mut b, 1, 0);
        b.push(0b1010_0000);
        seal(&mut b, s);
        let pages_at = b.len();
        for page in 0..3u64 {
            let start = b.len();
            for k in 0..2u64 {
                let i = page * 2 + k;
                b.extend_from_slice(&(2000 + i).to_le_bytes());
                b.extend_from_slice(&(10 + i as u16).to_le_bytes());
                b.extend_from_slice(&(i as u32).to_le_bytes());
            }
            seal(&mut b, start);
        }
        assert_eq!(b.len(), pages_at + 3 * 32);
        let img = FileImage::new(&b, 0, Sizes::default());
        let c = chunks(&img, Addr(0), &params(true)).unwrap();
        let idx: Vec<u64> = c.iter().map(|c| c.addr.get() - 2000).collect();
        assert_eq!(idx, vec![0, 1, 4, 5]);
        assert_eq!(c[2].offset, vec![2, 2]);
        assert_eq!(c[2].size, 14);
        assert_eq!(c[2].filter_mask, 4);
        // Corrupt page 2's checksum.
        let last = b.len() - 1;
        b[last] ^= 0xff;
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(matches!(
            chunks(&img, Addr(0), &params(true)),
            Err(Error::Checksum { .. })
        ));
    }

    #[test]
    fn undefined_data_block_means_no_chunks() {
        let mut b = Vec::new();
        header(&mut b, 0, 8, 10, 6, u64::MAX);
        let img = FileImage::new(&b, 0, Sizes::default());
        assert_eq!(chunks(&img, Addr(0), &params(false)).unwrap(), vec![]);
    }

    #[test]
    fn huge_entry_count_is_rejected_without_allocating() {
        let mut b = Vec::new();
        header(&mut b, 0, 8, 10, u64::MAX, 28);
        let img = FileImage::new(&b, 0, Sizes::default());
        assert!(chunks(&img, Addr(0), &params(false)).is_err());
    }
}
