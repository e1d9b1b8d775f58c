//! The Fill Value messages: old (0x0004, spec IV.A.2.e) and new (0x0005, IV.A.2.f, versions 1-3).

use crate::error::Result;
use crate::io::Cursor;

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

    /// Decode an old-style (0x0004) message body: a 4-byte size and the value.
    pub fn parse_old(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(FillValue {
            alloc_time: AllocTime::Late,
            fill_time: FillTime::IfSet,
            value: read_value(c)?,
        })
    }
}

fn alloc_time(c: &Cursor<'_>, v: u8) -> Result<AllocTime> {
    match v {
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
