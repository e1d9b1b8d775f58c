//! Building an extensible array chunk index (spec Appendix C, `#ExtensibleArray`) exactly as
//! libhdf5 leaves it after setting the same elements (`H5EA.c` `H5EA__lookup_elmt`,
//! `H5EAiblock.c`, `H5EAsblock.c`, `H5EAdblock.c`): blocks are created only where an element
//! is set, data block pages only initialised where one lies, and the header statistics count
//! exactly those blocks, so that libhdf5 can keep appending to the array.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use super::{ExtensibleArrayHeader, HEADER};
use crate::chunk_index::common::{
    bit_set, index_chunks, seal, set_bit, Grid, Record, RecordFormat,
};
use crate::chunk_index::{Chunk, IndexParams};
use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, Sizes};

/// Creation parameters of an extensible array chunk index (the fields of the layout
/// message and of the `EAHD` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EaParams {
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
}

impl Default for EaParams {
    /// libhdf5's values for chunk indexes (`H5D_EARRAY_*` in `H5Dpkg.h`): 32 bits, 4 index
    /// block elements, 16 elements per data block at least, 4 data block pointers per super
    /// block at least, pages of 2^10 elements.
    fn default() -> Self {
        EaParams {
            max_nelmts_bits: 32,
            index_block_elements: 4,
            data_block_min_elements: 16,
            super_block_min_data_ptrs: 4,
            page_bits: 10,
        }
    }
}

/// One data block being built.
struct NewDataBlock {
    addr: Addr,
    /// Array index of its first element.
    first: u64,
    /// Number of elements.
    count: u64,
    /// The "block offset" field libhdf5 writes.
    block_off: u64,
    /// Whether it is paged (then its pages' initialisation bits live in `page_bits`).
    paged: bool,
    /// The bit of its first page in its super block's bitmap, and that bitmap's block.
    page_bitmap: Option<(u64, usize)>,
    records: Vec<(u64, Record)>,
}

/// One super block being built.
struct NewSuperBlock {
    addr: Addr,
    block_off: u64,
    dblk_addrs: Vec<Option<Addr>>,
    bitmap: Vec<u8>,
    /// Bytes of page bitmap per data block.
    bitmap_per_block: usize,
}

/// Build an extensible array index holding `chunks`, with exactly the blocks and header
/// statistics libhdf5 would have after setting those elements (index block, then the data
/// blocks and super blocks containing at least one chunk; data block pages initialised only
/// where a chunk lies), so that libhdf5 can keep appending to it. Returns the header
/// address.
pub fn build(
    chunks: &[Chunk],
    params: &IndexParams<'_>,
    cparams: &EaParams,
    space: &mut dyn Space,
    emit: &mut Emit,
) -> Result<Addr> {
    let sizes = space.sizes();
    let format = RecordFormat::new(params, sizes)?;
    let grid = Grid::swizzled(params, HEADER, 0)?;
    let recs = index_chunks(&grid, chunks)?;
    let mut h = header_for(cparams, &format)?;
    let header_len = 4 + 4 + 4 + 6 * u64::from(sizes.length) + u64::from(sizes.offset) + 4;
    let header_addr = space.alloc(header_len)?;
    let o = u64::from(sizes.offset);
    let e = u64::from(h.element_size);
    let offw = h.offset_width() as u64;
    let infos = h.super_blocks();
    let in_index = h.index_super_blocks();
    let n_dblk = h.index_data_blocks();
    let n_sblk = infos.len().saturating_sub(in_index);
    let ib = u64::from(h.index_block_elements);
    let min = u64::from(h.data_block_min_elements);
    let page = h.page_elements();
    if let Some(&(last, _)) = recs.last() {
        let iblock_len = 10 + o + ib * e + (n_dblk + n_sblk) as u64 * o;
        let iblock_addr = space.alloc(iblock_len)?;
        h.index_block = Some(iblock_addr);
        h.num_elements = ib;
        h.max_index_set = last + 1;
        let mut iblock_dblks: Vec<Option<Addr>> = vec![None; n_dblk];
        let mut sblocks: BTreeMap<usize, NewSuperBlock> = BTreeMap::new();
        let mut dblocks: BTreeMap<(usize, u64), NewDataBlock> = BTreeMap::new();
        let mut iblock_recs = Vec::new();
        for &(idx, rec) in &recs {
            if idx < ib {
                iblock_recs.push((idx, rec));
                continue;
            }
            let rel = idx - ib;
            let s = (63 - (rel / min + 1).leading_zeros()) as usize;
            let info = infos.get(s).ok_or_else(|| {
                Error::LimitExceeded(format!("chunk index {idx} beyond the extensible array"))
            })?;
            let d = (rel - info.start) / info.dblk_elements;
            let key = (s, d);
            if let Entry::Vacant(new_dblock) = dblocks.entry(key) {
                let paged = info.dblk_elements > page;
                let npages = if paged { info.dblk_elements / page } else { 0 };
                let mut page_bitmap = None;
                let block_off;
                if s < in_index {
                    if paged {
                        return Err(Error::Unsupported(
                            "paged data blocks addressed from the extensible array index block"
                                .into(),
                        ));
                    }
                    let global = info.start_dblk + d;
                    block_off = info.start + global * info.dblk_elements;
                } else {
                    block_off = info.start + d * info.dblk_elements;
                    if let Entry::Vacant(new_sblock) = sblocks.entry(s) {
                        let per = usize::try_from(npages.div_ceil(8))
                            .map_err(|_| Error::LimitExceeded("super block page bitmap".into()))?;
                        let nd = usize::try_from(info.ndblks).map_err(|_| {
                            Error::LimitExceeded("super block data block count".into())
                        })?;
                        let len = 10 + o + offw + info.ndblks * (per as u64 + o);
                        let addr = space.alloc(len)?;
                        h.num_super_blocks += 1;
                        h.super_blocks_size += len;
                        new_sblock.insert(NewSuperBlock {
                            addr,
                            block_off: info.start,
                            dblk_addrs: vec![None; nd],
                            bitmap: vec![0; per * nd],
                            bitmap_per_block: per,
                        });
                    }
                    if paged {
                        page_bitmap = Some((d * npages, s));
                    }
                }
                let len = 10 + o + offw + info.dblk_elements * e + npages * 4;
                let addr = space.alloc(len)?;
                h.num_data_blocks += 1;
                h.data_blocks_size += len;
                h.num_elements += info.dblk_elements;
                if s < in_index {
                    let slot = usize::try_from(info.start_dblk + d)
                        .ok()
                        .and_then(|i| iblock_dblks.get_mut(i))
                        .ok_or_else(|| Error::Invalid("index block data block slot".into()))?;
                    *slot = Some(addr);
                } else if let Some(sb) = sblocks.get_mut(&s) {
                    if let Some(slot) = usize::try_from(d)
                        .ok()
                        .and_then(|i| sb.dblk_addrs.get_mut(i))
                    {
                        *slot = Some(addr);
                    }
                }
                new_dblock.insert(NewDataBlock {
                    addr,
                    first: ib + info.start + d * info.dblk_elements,
                    count: info.dblk_elements,
                    block_off,
                    paged,
                    page_bitmap,
                    records: Vec::new(),
                });
            }
            if let Some(db) = dblocks.get_mut(&key) {
                if let Some((bit0, s)) = db.page_bitmap {
                    if let Some(sb) = sblocks.get_mut(&s) {
                        set_bit(&mut sb.bitmap, bit0 + (idx - db.first) / page);
                    }
                }
                db.records.push((idx, rec));
            }
        }
        // Encode the data blocks.
        for db in dblocks.values() {
            let bitmap = db
                .page_bitmap
                .and_then(|(bit0, s)| sblocks.get(&s).map(|sb| (bit0, sb.bitmap.as_slice())));
            let bytes = encode_data_block(db, header_addr, &h, &format, sizes, bitmap)?;
            emit.put(db.addr, bytes);
        }
        for sb in sblocks.values() {
            let mut b = prefix(b"EASB", &format, header_addr, sizes)?;
            b.put_uint(sb.block_off, h.offset_width())?;
            debug_assert_eq!(sb.bitmap.len(), sb.bitmap_per_block * sb.dblk_addrs.len());
            b.extend_from_slice(&sb.bitmap);
            for a in &sb.dblk_addrs {
                b.put_addr(*a, sizes)?;
            }
            seal(&mut b, 0);
            emit.put(sb.addr, b);
        }
        let mut b = prefix(b"EAIB", &format, header_addr, sizes)?;
        let mut it = iblock_recs.iter().peekable();
        for k in 0..ib {
            format.write(&mut b, it.next_if(|r| r.0 == k).map(|r| r.1))?;
        }
        for a in &iblock_dblks {
            b.put_addr(*a, sizes)?;
        }
        for s in 0..n_sblk {
            b.put_addr(sblocks.get(&(s + in_index)).map(|sb| sb.addr), sizes)?;
        }
        seal(&mut b, 0);
        emit.put(iblock_addr, b);
    }
    let mut b = Vec::with_capacity(header_len as usize);
    b.extend_from_slice(b"EAHD");
    b.extend_from_slice(&[
        0,
        h.client_id,
        h.element_size,
        h.max_nelmts_bits,
        h.index_block_elements,
        h.data_block_min_elements,
        h.super_block_min_data_ptrs,
        h.page_bits,
    ]);
    for v in [
        h.num_super_blocks,
        h.super_blocks_size,
        h.num_data_blocks,
        h.data_blocks_size,
        h.max_index_set,
        h.num_elements,
    ] {
        b.put_length(v, sizes)?;
    }
    b.put_addr(h.index_block, sizes)?;
    seal(&mut b, 0);
    emit.put(header_addr, b);
    Ok(header_addr)
}

/// An empty header for `cparams`, checked like a header read from a file.
fn header_for(cparams: &EaParams, format: &RecordFormat) -> Result<ExtensibleArrayHeader> {
    let c = cparams;
    let ok = (1..=64).contains(&c.max_nelmts_bits)
        && c.data_block_min_elements.is_power_of_two()
        && c.super_block_min_data_ptrs >= 2
        && c.super_block_min_data_ptrs.is_power_of_two()
        && c.data_block_min_elements.trailing_zeros() <= u32::from(c.max_nelmts_bits)
        && c.page_bits < 32;
    if !ok {
        return Err(Error::Invalid(format!(
            "extensible array parameters {cparams:?} are not valid"
        )));
    }
    let element_size = u8::try_from(format.record_size())
        .map_err(|_| Error::LimitExceeded("chunk record size".into()))?;
    Ok(ExtensibleArrayHeader {
        client_id: format.client_id(),
        element_size,
        max_nelmts_bits: c.max_nelmts_bits,
        index_block_elements: c.index_block_elements,
        data_block_min_elements: c.data_block_min_elements,
        super_block_min_data_ptrs: c.super_block_min_data_ptrs,
        page_bits: c.page_bits,
        num_super_blocks: 0,
        super_blocks_size: 0,
        num_data_blocks: 0,
        data_blocks_size: 0,
        max_index_set: 0,
        num_elements: 0,
        index_block: None,
    })
}

/// Signature, version 0, client ID and owning header address.
fn prefix(sig: &[u8; 4], format: &RecordFormat, header: Addr, sizes: Sizes) -> Result<Vec<u8>> {
    let mut b = Vec::new();
    b.extend_from_slice(sig);
    b.extend_from_slice(&[0, format.client_id()]);
    b.put_addr(Some(header), sizes)?;
    Ok(b)
}

/// Encode one data block (with its pages when paged).
fn encode_data_block(
    db: &NewDataBlock,
    header_addr: Addr,
    h: &ExtensibleArrayHeader,
    format: &RecordFormat,
    sizes: Sizes,
    bitmap: Option<(u64, &[u8])>,
) -> Result<Vec<u8>> {
    let mut b = prefix(b"EADB", format, header_addr, sizes)?;
    b.put_uint(db.block_off, h.offset_width())?;
    let mut it = db.records.iter().peekable();
    let mut put = |b: &mut Vec<u8>, i: u64| format.write(b, it.next_if(|r| r.0 == i).map(|r| r.1));
    if !db.paged {
        for k in 0..db.count {
            put(&mut b, db.first + k)?;
        }
        seal(&mut b, 0);
        return Ok(b);
    }
    seal(&mut b, 0);
    let per = h.page_elements();
    let (bit0, map) =
        bitmap.ok_or_else(|| Error::Invalid("paged data block without a bitmap".into()))?;
    for p in 0..db.count / per {
        let start = b.len();
        if bit_set(map, bit0 + p) {
            for k in 0..per {
                put(&mut b, db.first + p * per + k)?;
            }
            seal(&mut b, start);
        } else {
            let len = usize::try_from(per * u64::from(h.element_size) + 4)
                .map_err(|_| Error::LimitExceeded("data block page".into()))?;
            b.resize(start + len, 0);
        }
    }
    Ok(b)
}
