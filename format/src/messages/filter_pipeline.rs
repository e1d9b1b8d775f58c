//! The Filter Pipeline message (spec IV.A.2.l, message 0x000B), versions 1 and 2.

use crate::error::{Error, Result};
use crate::io::Cursor;
use crate::io::PutLe;

/// Most filters a pipeline may hold (libhdf5's `H5Z_MAX_NFILTERS`).
pub const MAX_FILTERS: usize = 32;

/// Standard filter identifiers.
pub mod id {
    /// gzip / deflate.
    pub const DEFLATE: u16 = 1;
    /// Byte shuffle.
    pub const SHUFFLE: u16 = 2;
    /// Fletcher-32 checksum.
    pub const FLETCHER32: u16 = 3;
    /// SZIP.
    pub const SZIP: u16 = 4;
    /// N-bit.
    pub const NBIT: u16 = 5;
    /// Scale-offset.
    pub const SCALE_OFFSET: u16 = 6;
    /// LZO (PyTables; not supported by this crate).
    pub const LZO: u16 = 305;
    /// BZip2 (hdf5plugin, PyTables).
    pub const BZIP2: u16 = 307;
    /// LZF (h5py's registered third-party filter).
    pub const LZF: u16 = 32000;
    /// Blosc (PyTables, hdf5plugin).
    pub const BLOSC: u16 = 32001;
    /// LZ4 with the HDF5 block framing (hdf5plugin).
    pub const LZ4: u16 = 32004;
    /// Bitshuffle, optionally with LZ4 or Zstandard (hdf5plugin).
    pub const BITSHUFFLE: u16 = 32008;
    /// ZFP (H5Z-ZFP, hdf5plugin).
    pub const ZFP: u16 = 32013;
    /// Zstandard (hdf5plugin).
    pub const ZSTD: u16 = 32015;
    /// SZ (hdf5plugin; not supported by this crate).
    pub const SZ: u16 = 32017;
    /// SZ3 (hdf5plugin; not supported by this crate).
    pub const SZ3: u16 = 32024;
    /// Blosc2 (PyTables, hdf5plugin).
    pub const BLOSC2: u16 = 32026;
}

/// One filter of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Filter identifier.
    pub id: u16,
    /// Name stored in the message, if any.
    pub name: Option<String>,
    /// Flags; bit 0 set means optional.
    pub flags: u16,
    /// Client data values.
    pub client_data: Vec<u32>,
}

impl Filter {
    /// Whether the filter is optional (may be skipped by the writer).
    pub fn is_optional(&self) -> bool {
        self.flags & 1 != 0
    }

    /// A display name: the stored name, else the registered name of a known id.
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match self.id {
            id::DEFLATE => "deflate",
            id::SHUFFLE => "shuffle",
            id::FLETCHER32 => "fletcher32",
            id::SZIP => "szip",
            id::NBIT => "nbit",
            id::SCALE_OFFSET => "scaleoffset",
            id::LZO => "lzo",
            id::BZIP2 => "bzip2",
            id::LZF => "lzf",
            id::BLOSC => "blosc",
            id::LZ4 => "lz4",
            id::BITSHUFFLE => "bitshuffle",
            id::ZFP => "zfp",
            id::ZSTD => "zstd",
            id::SZ => "sz",
            id::SZ3 => "sz3",
            id::BLOSC2 => "blosc2",
            _ => "unknown",
        }
        .to_string()
    }
}

/// Decoded filter pipeline, in the order filters are applied when writing.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FilterPipeline {
    /// The filters.
    pub filters: Vec<Filter>,
}

impl FilterPipeline {
    /// Encode as a version 2 Filter Pipeline message (what libhdf5 writes from 1.8 on):
    /// version, filter count, then per filter its id, for ids >= 256 only the name length
    /// and the NUL-terminated name (unpadded; length 0 and no name when `name` is `None`),
    /// flags, the client data count and the values. Names of filters with ids < 256 are not
    /// stored (the parser returns `None` for them).
    ///
    /// More than 255 filters, 65535 client data values or a name of 65535 bytes or more
    /// (with its NUL) do not fit their fields: an error, nothing is truncated. A name is
    /// written up to its first NUL.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let count = u8::try_from(self.filters.len()).map_err(|_| {
            Error::LimitExceeded(format!(
                "filter pipeline of {} filters: at most 255",
                self.filters.len()
            ))
        })?;
        let mut out = vec![2, count];
        for f in &self.filters {
            out.put_u16(f.id);
            let name = f.name.as_deref().map(|n| {
                let b = n.as_bytes();
                let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
                // `end` is a position in `b` or its length, so the range is in bounds.
                b.get(..end).unwrap_or_default()
            });
            if f.id >= 256 {
                // The stored length counts the NUL.
                let len = name.map_or(Some(0), |n| u16::try_from(n.len() + 1).ok());
                let len = len.ok_or_else(|| {
                    Error::LimitExceeded(format!(
                        "filter {} name of {} bytes: at most 65534",
                        f.id,
                        name.map_or(0, <[u8]>::len)
                    ))
                })?;
                out.put_u16(len);
            }
            out.put_u16(f.flags);
            let values = &f.client_data;
            let nvalues = u16::try_from(values.len()).map_err(|_| {
                Error::LimitExceeded(format!(
                    "filter {} with {} client data values: at most 65535",
                    f.id,
                    values.len()
                ))
            })?;
            out.put_u16(nvalues);
            if let (true, Some(n)) = (f.id >= 256, name) {
                out.extend_from_slice(n);
                out.push(0);
            }
            for v in values {
                out.put_u32(*v);
            }
        }
        Ok(out)
    }

    /// Decode the message body (versions 1 and 2).
    ///
    /// Version 1: 6 reserved bytes after the count; every filter has a name length (names
    /// NUL-padded to a multiple of 8) and an odd number of client data values is followed
    /// by 4 bytes of padding. Version 2: the name length and name are present only for
    /// filter ids >= 256, names are not padded, client data is not padded.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 1 && version != 2 {
            return Err(c.error(format!("filter pipeline version {version} is not 1 or 2")));
        }
        let count = usize::from(c.u8()?);
        if count > MAX_FILTERS {
            return Err(c.error(format!("{count} filters exceed the limit of {MAX_FILTERS}")));
        }
        if version == 1 {
            c.skip(6)?;
        }
        let mut filters = Vec::with_capacity(count);
        for _ in 0..count {
            let id = c.u16()?;
            let name_len = if version == 1 || id >= 256 {
                usize::from(c.u16()?)
            } else {
                0
            };
            let flags = c.u16()?;
            let values = usize::from(c.u16()?);
            let name = if name_len > 0 {
                let at = c.offset();
                let raw = c.take(name_len)?;
                let end = raw.iter().position(|&b| b == 0).ok_or_else(|| {
                    Error::corrupt(
                        "filter pipeline message",
                        at,
                        "filter name is not NUL-terminated",
                    )
                })?;
                Some(String::from_utf8_lossy(raw.get(..end).unwrap_or_default()).into_owned())
            } else {
                None
            };
            if values > c.remaining() / 4 {
                return Err(c.error(format!(
                    "filter {id} claims {values} client data values but only {} bytes remain",
                    c.remaining()
                )));
            }
            let mut client_data = Vec::with_capacity(values);
            for _ in 0..values {
                client_data.push(c.u32()?);
            }
            if version == 1 && values % 2 == 1 {
                c.skip(4)?;
            }
            filters.push(Filter {
                id,
                name,
                flags,
                client_data,
            });
        }
        Ok(FilterPipeline { filters })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes copied from files written by h5py 3.16.0 (HDF5 2.0.0):
    //! `create_dataset(..., chunks=(2, 5), compression='gzip', shuffle=True,
    //! fletcher32=True)` and `compression='lzf'`, at libver 'earliest' (version 1) and
    //! 'v108' (version 2).
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<(FilterPipeline, usize)> {
        let b = hex(s);
        let mut c = Cursor::new(&b, 0, Sizes::default(), "filter pipeline message");
        let p = FilterPipeline::parse(&mut c)?;
        Ok((p, c.pos()))
    }

    fn f(id: u16, name: Option<&str>, flags: u16, cd: &[u32]) -> Filter {
        Filter {
            id,
            name: name.map(str::to_string),
            flags,
            client_data: cd.to_vec(),
        }
    }

    #[test]
    fn version_1() {
        let s = "0103000000000000020008000100010073687566666c6500040000000000000001000800010001006465666c6174650004000000000000000300100000000000666c6574636865723332000000000000";
        let (p, used) = parse(s).unwrap();
        assert_eq!(used, s.len() / 2);
        assert_eq!(
            p.filters,
            vec![
                f(2, Some("shuffle"), 1, &[4]),
                f(1, Some("deflate"), 1, &[4]),
                f(3, Some("fletcher32"), 0, &[]),
            ]
        );
        assert!(p.filters[0].is_optional());
        assert!(!p.filters[2].is_optional());
        let s = "0101000000000000007d0800010003006c7a66000000000004000000050100002800000000000000";
        let (p, used) = parse(s).unwrap();
        assert_eq!(used, s.len() / 2);
        assert_eq!(p.filters, vec![f(32000, Some("lzf"), 1, &[4, 261, 40])]);
    }

    #[test]
    fn version_2() {
        let s = "02030200010001000400000001000100010004000000030000000000";
        let (p, used) = parse(s).unwrap();
        assert_eq!(used, s.len() / 2);
        assert_eq!(
            p.filters,
            vec![f(2, None, 1, &[4]), f(1, None, 1, &[4]), f(3, None, 0, &[])]
        );
        assert_eq!(p.filters[1].display_name(), "deflate");
        let (p, _) = parse("0201007d0400010003006c7a6600040000000501000028000000").unwrap();
        assert_eq!(p.filters, vec![f(32000, Some("lzf"), 1, &[4, 261, 40])]);
        let (p, _) = parse("020101000100010004000000").unwrap();
        assert_eq!(p.filters, vec![f(1, None, 1, &[4])]);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("03").is_err());
        assert!(parse("0221").is_err()); // 33 filters
        assert!(parse("020101000100ffff").is_err()); // 65535 client values
        assert!(parse("0201007d04000100000061626364").is_err()); // name without NUL
        let full = hex("0103000000000000020008000100010073687566666c6500040000000000000001000800010001006465666c6174650004000000000000000300100000000000666c6574636865723332000000000000");
        for n in 0..full.len() {
            let mut c = Cursor::new(&full[..n], 0, Sizes::default(), "x");
            assert!(FilterPipeline::parse(&mut c).is_err(), "prefix {n}");
        }
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn filter(id: u16, name: Option<&str>, flags: u16, client_data: Vec<u32>) -> Filter {
        Filter {
            id,
            name: name.map(str::to_string),
            flags,
            client_data,
        }
    }

    #[test]
    fn encode_refuses_what_its_fields_cannot_hold() {
        let err = |p: &FilterPipeline| p.encode().unwrap_err().to_string();
        let many = FilterPipeline {
            filters: vec![filter(1, None, 0, vec![]); 256],
        };
        assert!(
            err(&many).contains("256 filters: at most 255"),
            "{}",
            err(&many)
        );
        let values = FilterPipeline {
            filters: vec![filter(1, None, 0, vec![0; 65536])],
        };
        assert!(err(&values).contains("65536 client data values"));
        let long = "n".repeat(65535);
        let name = FilterPipeline {
            filters: vec![filter(300, Some(&long), 0, vec![])],
        };
        assert!(err(&name).contains("name of 65535 bytes: at most 65534"));
        let longest = "n".repeat(65534);
        let ok = FilterPipeline {
            filters: vec![filter(300, Some(&longest), 0, vec![0; 65535])],
        };
        let b = ok.encode().unwrap();
        let back = FilterPipeline::parse(&mut Cursor::new(&b, 0, Sizes::default(), "x"));
        assert_eq!(back.unwrap(), ok);
    }

    #[test]
    fn encode_matches_h5py_v110_and_round_trips() {
        // libver='v110': create_dataset(..., compression='gzip', shuffle=True) (level 4);
        // compression=9, fletcher32=True; compression='lzf' ('i4', chunks=(10,)).
        let cases = [
            (
                vec![
                    filter(id::SHUFFLE, None, 1, vec![4]),
                    filter(id::DEFLATE, None, 1, vec![4]),
                ],
                "02020200010001000400000001000100010004000000",
            ),
            (
                vec![
                    filter(id::DEFLATE, None, 0, vec![9]),
                    filter(id::FLETCHER32, None, 1, vec![]),
                ],
                "020201000000010009000000030001000000",
            ),
            (
                vec![filter(id::LZF, Some("lzf"), 1, vec![4, 261, 40])],
                "0201007d0400010003006c7a6600040000000501000028000000",
            ),
            // Synthetic: a third-party id without a name.
            (
                vec![filter(300, None, 0, vec![1, 2])],
                "02012c010000000002000100000002000000",
            ),
        ];
        for (filters, golden) in cases {
            let p = FilterPipeline { filters };
            let b = p.encode().unwrap();
            assert_eq!(hex_of(&b), golden);
            let mut c = Cursor::new(&b, 0, Sizes::default(), "x");
            assert_eq!(FilterPipeline::parse(&mut c).unwrap(), p);
            assert_eq!(c.remaining(), 0);
        }
        // Names of standard filters are not stored.
        let p = FilterPipeline {
            filters: vec![filter(id::DEFLATE, Some("deflate"), 0, vec![6])],
        };
        let b = p.encode().unwrap();
        assert_eq!(hex_of(&b), "020101000000010006000000");
        let back = FilterPipeline::parse(&mut Cursor::new(&b, 0, Sizes::default(), "x")).unwrap();
        assert_eq!(back.filters[0].name, None);
        assert_eq!(hex_of(&FilterPipeline::default().encode().unwrap()), "0200");
    }
}
