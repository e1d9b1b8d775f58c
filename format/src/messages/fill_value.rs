//! The Fill Value messages: old (0x0004, spec IV.A.2.e) and new (0x0005, IV.A.2.f, versions 1-3).

use crate::error::{Error, Result};
use crate::io::Cursor;
use crate::io::PutLe;

/// When space is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocTime {
    /// At creation.
    Early,
    /// At first write.
    Late,
    /// Chunk by chunk.
    Incremental,
}

/// When the fill value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillTime {
    /// On allocation.
    OnAlloc,
    /// Never.
    Never,
    /// Only if the user defined one.
    IfSet,
}

/// A decoded fill value message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillValue {
    /// Space allocation time (old message: `Late`).
    pub alloc_time: AllocTime,
    /// Fill value write time.
    pub fill_time: FillTime,
    /// The value's bytes in the dataset's datatype when one is stored (size > 0);
    /// `None` means the library default (all zero bytes).
    pub value: Option<Vec<u8>>,
}

impl FillValue {
    /// Decode a new-style (0x0005) message body, versions 1-3.
    ///
    /// Version 1 always stores the size; version 2 only when "defined" is 1; version 3 when
    /// flag bit 5 is set. A stored size of 0 (h5py writes version 2, defined, size 0) means
    /// no value: `value` is `None`.
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        match version {
            1 | 2 => {
                let alloc = c.u8()?;
                let alloc_time = alloc_time(c, alloc)?;
                let fill = c.u8()?;
                let fill_time = fill_time(c, fill)?;
                let defined = c.u8()?;
                let value = if version == 1 || defined != 0 {
                    read_value(c)?
                } else {
                    None
                };
                Ok(FillValue {
                    alloc_time,
                    fill_time,
                    value,
                })
            }
            3 => {
                let flags = c.u8()?;
                if flags & 0xc0 != 0 {
                    return Err(c.error(format!(
                        "fill value flags {flags:#04x} has reserved bits set"
                    )));
                }
                if flags & 0x30 == 0x30 {
                    return Err(c.error("fill value flagged both undefined and defined"));
                }
                let alloc_time = alloc_time(c, flags & 0x03)?;
                let fill_time = fill_time(c, (flags >> 2) & 0x03)?;
                let value = if flags & 0x20 != 0 {
                    read_value(c)?
                } else {
                    None
                };
                Ok(FillValue {
                    alloc_time,
                    fill_time,
                    value,
                })
            }
            v => Err(c.error(format!("fill value message version {v} is not 1-3"))),
        }
    }

    /// Encode as a version 3 Fill Value message (what libhdf5 writes from 1.8 on): a flags
    /// byte (bits 0-1 allocation time: 1 early, 2 late, 3 incremental; bits 2-3 fill time:
    /// 0 on allocation, 1 never, 2 if set; bit 5 value defined), then, when a value is
    /// defined, its size as a u32 and its bytes.
    ///
    /// `value: None` (and an empty value, which the parser reads back as `None`) writes no
    /// value and neither "defined" nor "undefined" flag: libhdf5's default fill of zeros.
    /// A value longer than `u32::MAX` bytes is not representable: an error.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let alloc: u8 = match self.alloc_time {
            AllocTime::Early => 1,
            AllocTime::Late => 2,
            AllocTime::Incremental => 3,
        };
        let fill: u8 = match self.fill_time {
            FillTime::OnAlloc => 0,
            FillTime::Never => 1,
            FillTime::IfSet => 2,
        };
        let value = self.value.as_deref().filter(|v| !v.is_empty());
        let mut out = Vec::with_capacity(2 + value.map_or(0, |v| 4 + v.len()));
        out.push(3);
        out.push(alloc | fill << 2 | if value.is_some() { 0x20 } else { 0 });
        if let Some(v) = value {
            let len = u32::try_from(v.len()).map_err(|_| {
                Error::LimitExceeded(format!("fill value of {} bytes: at most 2^32 - 1", v.len()))
            })?;
            out.put_u32(len);
            out.extend_from_slice(v);
        }
        Ok(out)
    }

    /// Decode an old-style (0x0004) message body: a 4-byte size and the value.
    pub fn parse_old(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(FillValue {
            alloc_time: AllocTime::Late,
            fill_time: FillTime::IfSet,
            value: read_value(c)?,
        })
    }
}

/// Allocation time; 0 ("not used" in the spec, libhdf5's "default") is read as late.
fn alloc_time(c: &Cursor<'_>, v: u8) -> Result<AllocTime> {
    match v {
        0 => Ok(AllocTime::Late),
        1 => Ok(AllocTime::Early),
        2 => Ok(AllocTime::Late),
        3 => Ok(AllocTime::Incremental),
        v => Err(c.error(format!("space allocation time {v} is not defined"))),
    }
}

fn fill_time(c: &Cursor<'_>, v: u8) -> Result<FillTime> {
    match v {
        0 => Ok(FillTime::OnAlloc),
        1 => Ok(FillTime::Never),
        2 => Ok(FillTime::IfSet),
        v => Err(c.error(format!("fill value write time {v} is not defined"))),
    }
}

/// A 4-byte size then that many bytes; size 0 gives `None`.
fn read_value(c: &mut Cursor<'_>) -> Result<Option<Vec<u8>>> {
    let size = c.u32()?;
    if size == 0 {
        return Ok(None);
    }
    Ok(Some(c.take_u64(u64::from(size))?.to_vec()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    //! Golden bytes copied from files written by h5py 3.16.0 (HDF5 2.0.0).
    use super::*;
    use crate::io::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parse(s: &str) -> Result<FillValue> {
        let b = hex(s);
        FillValue::parse(&mut Cursor::new(
            &b,
            0,
            Sizes::default(),
            "fill value message",
        ))
    }

    #[test]
    fn version_2_from_h5py_earliest() {
        // create_dataset('nofill', shape=(3,), dtype='<i4'): defined, size 0 -> no value.
        let f = parse("0202020100000000").unwrap();
        assert_eq!(
            f,
            FillValue {
                alloc_time: AllocTime::Late,
                fill_time: FillTime::IfSet,
                value: None
            }
        );
        // fillvalue=5
        let f = parse("02020201040000000500000000000000").unwrap();
        assert_eq!(f.value, Some(vec![5, 0, 0, 0]));
        // compact dataset: early allocation; chunked: incremental.
        assert_eq!(
            parse("0201020100000000").unwrap().alloc_time,
            AllocTime::Early
        );
        assert_eq!(
            parse("0203020100000000").unwrap().alloc_time,
            AllocTime::Incremental
        );
        // Version 2 not defined: no size field follows.
        let f = parse("02020100").unwrap();
        assert_eq!((f.fill_time, f.value), (FillTime::Never, None));
    }

    #[test]
    fn version_3_from_h5py_v108() {
        // nofill: flags 0x0a = late allocation, fill time "if set", nothing defined.
        let f = parse("030a").unwrap();
        assert_eq!(
            f,
            FillValue {
                alloc_time: AllocTime::Late,
                fill_time: FillTime::IfSet,
                value: None
            }
        );
        // compact (early) and chunked (incremental)
        assert_eq!(parse("0309").unwrap().alloc_time, AllocTime::Early);
        assert_eq!(parse("030b").unwrap().alloc_time, AllocTime::Incremental);
        // fillvalue=5: bit 5 defined, size 4, value.
        let f = parse("032a0400000005000000").unwrap();
        assert_eq!(f.value, Some(vec![5, 0, 0, 0]));
        // bit 4: undefined
        assert_eq!(parse("031a").unwrap().value, None);
    }

    #[test]
    fn version_1_and_old_message() {
        // Version 1 always stores the size.
        let f = parse("010201000200000009ff").unwrap();
        assert_eq!(f.fill_time, FillTime::Never);
        assert_eq!(f.value, Some(vec![9, 0xff]));
        let b = hex("0300000001020300");
        let f = FillValue::parse_old(&mut Cursor::new(&b, 0, Sizes::default(), "x")).unwrap();
        assert_eq!(f.value, Some(vec![1, 2, 3]));
        let b = hex("00000000");
        let f = FillValue::parse_old(&mut Cursor::new(&b, 0, Sizes::default(), "x")).unwrap();
        assert_eq!(f.value, None);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("04").is_err());
        assert!(parse("033a").is_err()); // both defined and undefined
        assert!(parse("038a").is_err()); // reserved bit
        assert!(parse("0204020100").is_err()); // alloc time 4
        assert_eq!(
            parse("0200020100000000").unwrap().alloc_time,
            AllocTime::Late
        );
        assert!(parse("0202030100").is_err()); // fill time 3
        assert!(parse("032affffffff05").is_err()); // size past the end
        let full = hex("02020201040000000500000000000000");
        for n in 0..12 {
            let r = FillValue::parse(&mut Cursor::new(&full[..n], 0, Sizes::default(), "x"));
            assert!(r.is_err(), "prefix {n}");
        }
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn encode_matches_h5py_v110_and_round_trips() {
        // libver='v110': contiguous without fill value; compact (early allocation);
        // vlen strings (fill on allocation); chunked '<f4' with fillvalue=3.0 (incremental);
        // contiguous '<f4' fillvalue=1.5.
        let cases = [
            (AllocTime::Late, FillTime::IfSet, None, "030a"),
            (AllocTime::Early, FillTime::IfSet, None, "0309"),
            (AllocTime::Late, FillTime::OnAlloc, None, "0302"),
            (
                AllocTime::Incremental,
                FillTime::IfSet,
                Some(3.0f32.to_le_bytes().to_vec()),
                "032b0400000000004040",
            ),
            (
                AllocTime::Late,
                FillTime::IfSet,
                Some(1.5f32.to_le_bytes().to_vec()),
                "032a040000000000c03f",
            ),
            (
                AllocTime::Incremental,
                FillTime::Never,
                Some(vec![7]),
                "032701000000 07",
            ),
        ];
        for (alloc_time, fill_time, value, golden) in cases {
            let f = FillValue {
                alloc_time,
                fill_time,
                value,
            };
            let b = f.encode().unwrap();
            assert_eq!(hex_of(&b), golden.replace(' ', ""));
            let back = FillValue::parse(&mut Cursor::new(&b, 0, Sizes::default(), "x")).unwrap();
            assert_eq!(back, f);
        }
        // An empty value is written as "default".
        let f = FillValue {
            alloc_time: AllocTime::Late,
            fill_time: FillTime::IfSet,
            value: Some(vec![]),
        };
        assert_eq!(hex_of(&f.encode().unwrap()), "030a");
    }
}
