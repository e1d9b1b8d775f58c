//! The global heap (spec III.E, signature `GCOL`): storage of variable-length data.

use std::collections::HashMap;

use crate::error::Result;
use crate::io::{Addr, Cursor, FileImage};

/// A global heap ID as stored in variable-length elements and references.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalHeapId {
    /// Address of the collection (`None`: the undefined address, an empty/null value).
    pub collection: Option<Addr>,
    /// Object index inside the collection.
    pub index: u32,
}

impl GlobalHeapId {
    /// Decode an ID (collection address, then a 4-byte index).
    pub fn parse(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(GlobalHeapId {
            collection: c.addr()?,
            index: c.u32()?,
        })
    }
}

/// Reads objects from global heap collections, parsing each collection once.
#[derive(Debug)]
pub struct GlobalHeapReader<'a> {
    img: FileImage<'a>,
    collections: HashMap<Addr, HashMap<u32, &'a [u8]>>,
}

impl<'a> GlobalHeapReader<'a> {
    /// A reader over `img` with an empty cache.
    pub fn new(img: FileImage<'a>) -> Self {
        GlobalHeapReader {
            img,
            collections: HashMap::new(),
        }
    }

    /// The bytes of the object `id` (an undefined collection address gives an empty slice).
    pub fn get(&mut self, id: GlobalHeapId) -> Result<&'a [u8]> {
        let _ = (&self.img, &mut self.collections, id);
        Err(crate::error::Error::Unsupported(
            "global heap not implemented yet".into(),
        ))
    }
}
