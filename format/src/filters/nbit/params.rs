//! N-bit `set_local`: the parameter list libhdf5's `H5Z__set_local_nbit` derives from the
//! dataset's datatype and chunk shape.

use super::walk::{ARRAY, ATOMIC, COMPOUND, NOOP};
use crate::datatype::{ByteOrder, Datatype, TypeClass};
use crate::error::{Error, Result};

/// Most parameters libhdf5 accepts (`H5Z_NBIT_MAX_NPARMS`).
const MAX_PARAMS: usize = 4096;

/// The client data libhdf5 stores for N-bit on a dataset of `datatype` chunked as
/// `chunk_dims`.
pub fn cd_values(datatype: &Datatype, chunk_dims: &[u64]) -> Result<Vec<u32>> {
    let npoints = chunk_dims
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Error::Invalid("nbit: more than 2^32 elements in a chunk".into()))?;
    let mut p = Params {
        cd: vec![0, 0, npoints],
        full_precision: true,
    };
    match &datatype.class {
        TypeClass::Integer { .. } | TypeClass::Float { .. } => p.atomic(datatype)?,
        TypeClass::Array { .. } => p.array(datatype)?,
        TypeClass::Compound { .. } => p.compound(datatype)?,
        // Nothing to pack: the filter does nothing.
        _ => {}
    }
    if p.cd.len() > MAX_PARAMS {
        return Err(Error::Invalid(format!(
            "nbit: the datatype needs {} parameters, more than {MAX_PARAMS}",
            p.cd.len()
        )));
    }
    let n = p.cd.len() as u32;
    if let Some(first) = p.cd.first_mut() {
        *first = n;
    }
    if let Some(flag) = p.cd.get_mut(1) {
        *flag = u32::from(p.full_precision);
    }
    Ok(p.cd)
}

struct Params {
    cd: Vec<u32>,
    full_precision: bool,
}

impl Params {
    fn atomic(&mut self, t: &Datatype) -> Result<()> {
        let (order, precision, offset) = match &t.class {
            TypeClass::Integer {
                order,
                bit_offset,
                precision,
                ..
            }
            | TypeClass::Float {
                order,
                bit_offset,
                precision,
                ..
            } => (*order, u32::from(*precision), u32::from(*bit_offset)),
            _ => return Err(Error::Invalid("nbit: not an atomic type".into())),
        };
        if t.size == 0 || precision == 0 || u64::from(precision + offset) > u64::from(t.size) * 8 {
            return Err(Error::Invalid(format!(
                "nbit: invalid precision {precision} / offset {offset} for a {}-byte type",
                t.size
            )));
        }
        self.cd.extend([
            ATOMIC,
            t.size,
            u32::from(order == ByteOrder::Big),
            precision,
            offset,
        ]);
        if offset != 0 || precision != t.size * 8 {
            self.full_precision = false;
        }
        Ok(())
    }

    fn noop(&mut self, size: u32) {
        self.cd.extend([NOOP, size]);
    }

    fn array(&mut self, t: &Datatype) -> Result<()> {
        let TypeClass::Array { base, .. } = &t.class else {
            return Err(Error::Invalid("nbit: not an array type".into()));
        };
        self.cd.extend([ARRAY, t.size]);
        match &base.class {
            TypeClass::Integer { .. } | TypeClass::Float { .. } => self.atomic(base),
            TypeClass::Array { .. } => self.array(base),
            TypeClass::Compound { .. } => self.compound(base),
            TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. } => Err(
                Error::Unsupported("nbit: arrays of variable-length elements".into()),
            ),
            _ => {
                self.noop(base.size);
                Ok(())
            }
        }
    }

    fn compound(&mut self, t: &Datatype) -> Result<()> {
        let TypeClass::Compound { members } = &t.class else {
            return Err(Error::Invalid("nbit: not a compound type".into()));
        };
        self.cd.extend([COMPOUND, t.size, members.len() as u32]);
        for (i, m) in members.iter().enumerate() {
            self.cd.push(m.offset);
            match &m.datatype.class {
                TypeClass::Integer { .. } | TypeClass::Float { .. } => self.atomic(&m.datatype)?,
                TypeClass::Array { .. } => self.array(&m.datatype)?,
                TypeClass::Compound { .. } => self.compound(&m.datatype)?,
                // libhdf5 sizes variable-length members by the distance to the next one.
                TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. } => {
                    let next = members.get(i + 1).map_or(t.size, |n| n.offset);
                    self.noop(next.wrapping_sub(m.offset));
                }
                _ => self.noop(m.datatype.size),
            }
        }
        Ok(())
    }
}
