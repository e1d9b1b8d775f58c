//! Local heaps (spec III.D, signature `HEAP`): the name storage of old-style groups.
//!
//! The header holds the size and address of the data segment; names and soft-link values
//! are NUL-terminated strings at offsets into that segment. The free list is not needed to
//! read objects and is not followed. [`LocalHeapBuilder`] writes new heaps as libhdf5 lays
//! them out (`H5HL.c`, `H5HLcache.c`).

use crate::emit::{Emit, Space};
use crate::error::{Error, Result};
use crate::io::PutLe;
use crate::io::{Addr, FileImage, Sizes};

/// Structure name used in errors about the heap header.
const HEADER: &str = "local heap";
/// Structure name used in errors about the heap's data segment.
const DATA: &str = "local heap data segment";

/// A parsed local heap: the bytes of its data segment.
#[derive(Clone, Debug)]
pub struct LocalHeap<'a> {
    /// The data segment.
    pub data: &'a [u8],
    /// Absolute file offset of the data segment (for errors).
    pub data_offset: u64,
}

impl<'a> LocalHeap<'a> {
    /// Parse the heap header at `addr` and locate its data segment.
    ///
    /// Checks the signature and version (0) and that the whole data segment lies inside
    /// the file.
    pub fn parse(img: &FileImage<'a>, addr: Addr) -> Result<Self> {
        let mut c = img.cursor_at(addr, HEADER)?;
        c.signature(b"HEAP")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(Error::Unsupported(format!(
                "local heap version {version} at byte offset {} (only version 0 is defined)",
                img.absolute(addr)
            )));
        }
        c.skip(3)?;
        let size = c.length()?;
        // The free list is not needed for reading; an undefined offset means "no free block".
        let _free_list_head = c.length()?;
        let data_addr = c.addr_required("local heap data segment")?;
        let data = img.slice(data_addr, size, DATA)?;
        Ok(LocalHeap {
            data,
            data_offset: img.absolute(data_addr),
        })
    }

    /// The NUL-terminated string starting at `offset` in the data segment (without the NUL).
    ///
    /// An offset outside the segment, or a string that runs to the end of the segment
    /// without a terminator, is a corruption error.
    pub fn string_at(&self, offset: u64) -> Result<&'a [u8]> {
        let at = self.data_offset.saturating_add(offset);
        let rest = usize::try_from(offset)
            .ok()
            .and_then(|o| self.data.get(o..))
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                Error::corrupt(
                    DATA,
                    at,
                    format!(
                        "offset {offset} is outside the {}-byte data segment",
                        self.data.len()
                    ),
                )
            })?;
        let end = rest.iter().position(|&b| b == 0).ok_or_else(|| {
            Error::corrupt(
                DATA,
                at,
                "string has no NUL terminator before the segment end",
            )
        })?;
        Ok(rest.get(..end).unwrap_or_default())
    }
}

/// libhdf5's end-of-free-list marker (`H5HL_FREE_NULL`).
pub const FREE_NULL: u64 = 1;

/// Size of a local heap header (`H5HL_SIZEOF_HDR`): signature, version, 3 reserved bytes,
/// data segment size, free list head, data segment address, padded to 8 bytes.
pub fn header_size(sizes: Sizes) -> u64 {
    (8 + 2 * u64::from(sizes.length) + u64::from(sizes.offset)).div_ceil(8) * 8
}

/// Builds the data segment of a new local heap: like libhdf5, offset 0 holds the empty
/// string, every object is NUL-terminated and padded to 8 bytes, and the free space at the
/// end is one block on the free list.
#[derive(Clone, Debug)]
pub struct LocalHeapBuilder {
    data: Vec<u8>,
    /// Strings already in `data`, with their offsets ([`LocalHeapBuilder::insert_shared`]).
    known: std::collections::HashMap<Vec<u8>, u64>,
}

impl Default for LocalHeapBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalHeapBuilder {
    /// A heap holding only the empty string at offset 0.
    pub fn new() -> Self {
        LocalHeapBuilder {
            data: vec![0; 8],
            known: Default::default(),
        }
    }

    /// A heap that starts as a copy of an existing data segment `data`, whose strings
    /// `known` (bytes, offset) keep their offsets: used to rebuild a group so that the old
    /// B-tree still finds its names in the new heap (crash safety: the heap header can be
    /// switched before the B-tree root).
    pub fn from_existing(data: &[u8], known: impl IntoIterator<Item = (Vec<u8>, u64)>) -> Self {
        let mut data = data.to_vec();
        data.resize(data.len().max(8).div_ceil(8) * 8, 0);
        LocalHeapBuilder {
            data,
            known: known.into_iter().collect(),
        }
    }

    /// The offset of `bytes` when the heap holds it already (see
    /// [`LocalHeapBuilder::from_existing`]), else [`LocalHeapBuilder::insert`].
    pub fn insert_shared(&mut self, bytes: &[u8]) -> u64 {
        match self.known.get(bytes) {
            Some(&offset) => offset,
            None => {
                let offset = self.insert(bytes);
                self.known.insert(bytes.to_vec(), offset);
                offset
            }
        }
    }

    /// Append `bytes` and a NUL terminator; returns its offset in the data segment.
    pub fn insert(&mut self, bytes: &[u8]) -> u64 {
        let offset = self.data.len() as u64;
        self.data.extend_from_slice(bytes);
        self.data.push(0);
        self.data.resize(self.data.len().div_ceil(8) * 8, 0);
        offset
    }

    /// Bytes used so far.
    pub fn used(&self) -> u64 {
        self.data.len() as u64
    }

    /// Write the heap: the header at `header_at` when given (an existing heap header,
    /// rewritten in place; its old data segment is abandoned), else header and data segment
    /// are allocated together. The data segment gets a free block of `8 x size of lengths`
    /// bytes at its end. Returns the header address.
    pub fn write(
        &self,
        header_at: Option<Addr>,
        space: &mut dyn Space,
        emit: &mut Emit,
    ) -> Result<Addr> {
        let sizes = space.sizes();
        let free = 8 * u64::from(sizes.length);
        let used = self.used();
        let size = used
            .checked_add(free)
            .ok_or_else(|| Error::LimitExceeded("local heap size".into()))?;
        let too_big = || Error::LimitExceeded(format!("local heap data segment of {size} bytes"));
        let data_len = usize::try_from(size).map_err(|_| too_big())?;
        let hdr = header_size(sizes);
        // Encoded before allocating: a heap the file's lengths cannot describe takes no space.
        // `hdr` is at most 8 + 3 x 255 bytes: the casts below are exact.
        let mut h = Vec::with_capacity(hdr as usize);
        h.extend_from_slice(b"HEAP\0\0\0\0");
        h.put_length(size, sizes)?;
        h.put_length(used, sizes)?;
        let (header_addr, data_addr) = match header_at {
            Some(h) => (h, space.alloc(size)?),
            None => {
                let a = space.alloc(hdr.checked_add(size).ok_or_else(too_big)?)?;
                // Inside the extent just allocated: no overflow.
                (a, Addr(a.0 + hdr))
            }
        };
        let mut data = self.data.clone();
        data.put_length(FREE_NULL, sizes)?;
        data.put_length(free, sizes)?;
        // `size` = used + 8 lengths >= the bytes so far: this only pads.
        data.resize(data_len, 0);
        h.put_addr(Some(data_addr), sizes)?;
        h.resize(hdr as usize, 0);
        emit.put(header_addr, h);
        emit.put(data_addr, data);
        Ok(header_addr)
    }
}

/// The two extents of the local heap at `addr`, for space accounting: its header and its
/// data segment.
pub fn extents(img: &FileImage<'_>, addr: Addr) -> Result<[(Addr, u64); 2]> {
    let heap = LocalHeap::parse(img, addr)?;
    let data = Addr(heap.data_offset.saturating_sub(img.base()));
    Ok([
        (addr, header_size(img.sizes())),
        (data, heap.data.len() as u64),
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::emit::MemSpace;

    #[test]
    fn a_heap_its_lengths_cannot_describe_is_refused_before_allocating() {
        let sizes = Sizes {
            offset: 8,
            length: 2,
        };
        let mut b = LocalHeapBuilder::new();
        b.insert(&[b'a'; 70_000]);
        let mut space = MemSpace::new(sizes, 0);
        let mut emit = Emit::default();
        let e = b
            .write(None, &mut space, &mut emit)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not fit the file's 2-byte lengths"), "{e}");
        assert_eq!(space.end, 0, "nothing allocated");
        assert!(emit.is_empty());
    }

    #[test]
    fn built_heap_reads_back() {
        let mut b = LocalHeapBuilder::new();
        let a = b.insert(b"alpha");
        let c = b.insert(b"a name of seventeen");
        assert_eq!((a, c), (8, 16));
        for sizes in [
            Sizes::default(),
            Sizes {
                offset: 4,
                length: 4,
            },
        ] {
            let mut space = MemSpace::new(sizes, 0);
            let mut emit = Emit::default();
            let at = b.write(None, &mut space, &mut emit).unwrap();
            space.apply(&emit).unwrap();
            let img = space.image();
            let heap = LocalHeap::parse(&img, at).unwrap();
            assert_eq!(heap.string_at(0).unwrap(), b"");
            assert_eq!(heap.string_at(8).unwrap(), b"alpha");
            assert_eq!(heap.string_at(16).unwrap(), b"a name of seventeen");
            assert_eq!(heap.data.len() as u64, 40 + 8 * u64::from(sizes.length));
            // Free list head points at the free block, which ends the list.
            let l = usize::from(sizes.length);
            let head = crate::io::le_uint(&space.bytes[at.0 as usize + 8 + l..][..l]);
            assert_eq!(head, 40);
            assert_eq!(crate::io::le_uint(&heap.data[40..40 + l]), FREE_NULL);
        }
        // In place: the header lands at the given address, the data elsewhere.
        let mut space = MemSpace::new(Sizes::default(), 64);
        let mut emit = Emit::default();
        let at = b.write(Some(Addr(8)), &mut space, &mut emit).unwrap();
        space.apply(&emit).unwrap();
        assert_eq!(at, Addr(8));
        let img = space.image();
        assert_eq!(
            LocalHeap::parse(&img, at).unwrap().string_at(8).unwrap(),
            b"alpha"
        );
    }

    /// A heap header at address 0 followed by its data segment.
    fn heap_bytes(data: &[u8]) -> Vec<u8> {
        let mut b = b"HEAP\0\0\0\0".to_vec();
        b.extend_from_slice(&(data.len() as u64).to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        b.extend_from_slice(&32u64.to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn strings_are_read_up_to_the_nul() {
        let bytes = heap_bytes(b"\0\0\0\0\0\0\0\0alpha\0\0\0beta\0\0\0\0");
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let heap = LocalHeap::parse(&img, Addr(0)).unwrap();
        assert_eq!(heap.data.len(), 24);
        assert_eq!(heap.data_offset, 32);
        assert_eq!(heap.string_at(0).unwrap(), b"");
        assert_eq!(heap.string_at(8).unwrap(), b"alpha");
        assert_eq!(heap.string_at(10).unwrap(), b"pha");
        assert_eq!(heap.string_at(16).unwrap(), b"beta");
    }

    #[test]
    fn bad_offsets_and_missing_terminators_are_corrupt() {
        let bytes = heap_bytes(b"\0\0\0\0\0\0\0\0abc");
        let img = FileImage::new(&bytes, 0, Sizes::default());
        let heap = LocalHeap::parse(&img, Addr(0)).unwrap();
        let err = heap.string_at(8).unwrap_err().to_string();
        assert!(err.contains("NUL terminator"), "{err}");
        assert!(err.contains("offset 40"), "{err}");
        assert!(heap.string_at(11).is_err());
        assert!(heap.string_at(u64::MAX).is_err());
    }

    #[test]
    fn header_is_validated() {
        let good = heap_bytes(b"\0\0\0\0\0\0\0\0");
        let mut bad_sig = good.clone();
        bad_sig[0] = b'X';
        let mut bad_version = good.clone();
        bad_version[4] = 1;
        let mut too_big = good.clone();
        too_big[8] = 200;
        let mut undefined_data = good.clone();
        undefined_data[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
        for bytes in [&bad_sig, &bad_version, &too_big, &undefined_data] {
            let img = FileImage::new(bytes, 0, Sizes::default());
            assert!(LocalHeap::parse(&img, Addr(0)).is_err());
        }
        for n in 0..good.len() {
            let img = FileImage::new(&good[..n], 0, Sizes::default());
            assert!(LocalHeap::parse(&img, Addr(0)).is_err(), "truncated to {n}");
        }
        let img = FileImage::new(&good, 0, Sizes::default());
        assert!(LocalHeap::parse(&img, Addr(u64::MAX - 3)).is_err());
    }

    #[test]
    fn small_field_sizes() {
        let sizes = Sizes {
            offset: 4,
            length: 2,
        };
        let mut b = b"HEAP\0\0\0\0".to_vec();
        b.extend_from_slice(&8u16.to_le_bytes());
        b.extend_from_slice(&0xffffu16.to_le_bytes());
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(b"\0name\0\0\0");
        let img = FileImage::new(&b, 0, sizes);
        let heap = LocalHeap::parse(&img, Addr(0)).unwrap();
        assert_eq!(heap.string_at(1).unwrap(), b"name");
    }
}
