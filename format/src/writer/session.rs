//! The write session of a file open for writing: file space, pending structures, flush.

use std::sync::RwLock;

use crate::error::{Error, Result};
use crate::io::Sizes;
use crate::store::Store;
use crate::superblock::Superblock;

/// Everything a writable file keeps between calls.
#[derive(Debug)]
pub struct Session {
    sizes: Sizes,
}

impl Session {
    /// Start a new, empty file in `store`.
    pub fn create(store: &Store, sizes: Sizes) -> Result<(Superblock, Session)> {
        let _ = store;
        let _ = sizes;
        Err(Error::Unsupported("writing is not implemented yet".into()))
    }

    /// Start writing to the existing file described by `superblock`.
    pub fn open(store: &Store, superblock: &Superblock) -> Result<Session> {
        let _ = store;
        Ok(Session {
            sizes: superblock.sizes,
        })
    }

    /// Write everything pending and the superblock.
    pub fn flush(&mut self, store: &Store, superblock: &RwLock<Superblock>) -> Result<()> {
        let _ = (store, superblock, self.sizes);
        Ok(())
    }
}
