//! The External Data Files message (spec IV.A.2.h, message 0x0007): a contiguous dataset
//! whose raw data lives in other files (`H5Pset_external`, h5py's
//! `create_dataset(external=[(name, offset, size), ...])`).
//!
//! The dataset's bytes, in row-major element order, are the concatenation of the segments:
//! segment `k` holds `size` bytes starting at byte `offset` of file `name`. The last segment
//! may be unlimited (size all ones, `H5F_UNLIMITED`). File names live in a local heap.

use crate::error::{Error, Result};
use crate::heap::local::LocalHeap;
use crate::io::PutLe;
use crate::io::{is_undefined, Addr, Cursor, FileImage, Sizes};

/// One segment of external storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The external file's name as stored (resolved by the reader, see
    /// `api::external`).
    pub name: String,
    /// Byte offset of the segment in that file.
    pub offset: u64,
    /// Bytes of the dataset stored there; `None` for an unlimited last segment.
    pub size: Option<u64>,
}

/// A decoded External Data Files message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalFiles {
    /// The segments, in the order of the dataset's bytes.
    pub segments: Vec<Segment>,
}

/// The address of the local heap holding the file names (the message body at `c`).
pub fn heap_address(c: &mut Cursor<'_>) -> Result<Addr> {
    c.skip(8)?;
    c.addr_required("external file name heap")
}

impl ExternalFiles {
    /// Decode the message body at `c`, reading the file names from the local heap it names.
    pub fn parse(c: &mut Cursor<'_>, img: &FileImage<'_>) -> Result<Self> {
        let at = c.offset();
        let version = c.u8()?;
        if version != 1 {
            return Err(Error::Unsupported(format!(
                "external data files message version {version} at byte offset {at} (only 1 \
                 is defined)"
            )));
        }
        c.skip(3)?;
        let allocated = c.u16()?;
        let used = c.u16()?;
        if used > allocated {
            return Err(c.error(format!("{used} used slots but only {allocated} allocated")));
        }
        let heap_addr = c.addr_required("external file name heap")?;
        let heap = LocalHeap::parse(img, heap_addr)?;
        let n = usize::from(c.sizes().length);
        // Each slot takes three lengths: a count the message cannot hold is corrupt.
        if c.remaining() < usize::from(used).saturating_mul(3 * n) {
            return Err(c.error(format!(
                "{used} slots need {} bytes, {} remain",
                usize::from(used) * 3 * n,
                c.remaining()
            )));
        }
        let mut segments = Vec::with_capacity(usize::from(used));
        for k in 0..used {
            let name_at = c.length()?;
            let offset = c.length()?;
            let raw_size = c.uint(n)?;
            let size = (!is_undefined(raw_size, n)).then_some(raw_size);
            let name = heap.string_at(name_at)?;
            let name = std::str::from_utf8(name)
                .map_err(|_| c.error(format!("external file name of slot {k} is not UTF-8")))?;
            if name.is_empty() {
                return Err(c.error(format!("external file name of slot {k} is empty")));
            }
            if size.is_none() && k + 1 != used {
                return Err(c.error(format!(
                    "slot {k} is unlimited but is not the last of {used}"
                )));
            }
            segments.push(Segment {
                name: name.to_owned(),
                offset,
                size,
            });
        }
        Ok(ExternalFiles { segments })
    }

    /// The bytes the segments hold in all (`u64::MAX` when the last one is unlimited).
    pub fn capacity(&self) -> u64 {
        self.segments.iter().fold(0u64, |acc, s| match s.size {
            Some(n) => acc.saturating_add(n),
            None => u64::MAX,
        })
    }

    /// Encode the message body, with the names at `name_offsets` (one per segment) of the
    /// local heap at `heap`. libhdf5 allocates exactly the used slots.
    pub fn encode(&self, heap: Addr, name_offsets: &[u64], sizes: Sizes) -> Result<Vec<u8>> {
        let used = u16::try_from(self.segments.len()).map_err(|_| {
            Error::Invalid(format!(
                "{} external segments: at most 65535",
                self.segments.len()
            ))
        })?;
        let n = usize::from(sizes.length);
        let mut out = vec![1, 0, 0, 0];
        out.extend_from_slice(&used.to_le_bytes());
        out.extend_from_slice(&used.to_le_bytes());
        out.put_addr(Some(heap), sizes)?;
        for (s, &name_at) in self.segments.iter().zip(name_offsets) {
            out.put_length(name_at, sizes)?;
            out.put_length(s.offset, sizes)?;
            match s.size {
                Some(size) => out.put_length(size, sizes)?,
                None => out.extend(std::iter::repeat_n(0xff, n)),
            }
        }
        Ok(out)
    }
}
