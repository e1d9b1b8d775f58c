//! The filter registry: the built-in filters, and the filters users register (libhdf5's
//! `H5Zregister`), looked up by id when a pipeline is applied.
//!
//! Built-in filters are resolved by a `match` (no lock); the user registry is consulted only
//! for other ids, and only once something has been registered.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::codec::FilterCodec;
use super::{
    bitshuffle, blosc, blosc2, bzip2, deflate, fletcher32, lz4, lzf, nbit, scaleoffset, shuffle,
    szip, zfp, zstd,
};
use crate::error::{Error, Result};
use crate::messages::filter_pipeline::id;

/// Filters registered by users (never a built-in id).
static USER: RwLock<Vec<Arc<dyn FilterCodec>>> = RwLock::new(Vec::new());
/// Whether [`USER`] may be non-empty (spares the lock on the common path).
static ANY_USER: AtomicBool = AtomicBool::new(false);

/// A filter found in the registry.
#[derive(Clone)]
pub enum Resolved {
    /// One of this crate's filters.
    Builtin(&'static dyn FilterCodec),
    /// A filter a user registered.
    User(Arc<dyn FilterCodec>),
}

impl Deref for Resolved {
    type Target = dyn FilterCodec;

    fn deref(&self) -> &Self::Target {
        match self {
            Resolved::Builtin(c) => *c,
            Resolved::User(c) => c.as_ref(),
        }
    }
}

/// The built-in filter with identifier `filter_id`.
pub fn builtin(filter_id: u16) -> Option<&'static dyn FilterCodec> {
    Some(match filter_id {
        id::DEFLATE => &deflate::Deflate,
        id::SHUFFLE => &shuffle::Shuffle,
        id::FLETCHER32 => &fletcher32::Fletcher32,
        id::LZF => &lzf::Lzf,
        id::LZ4 => &lz4::Lz4,
        id::ZSTD => &zstd::Zstd,
        id::BITSHUFFLE => &bitshuffle::Bitshuffle,
        id::BLOSC => &blosc::Blosc,
        id::BZIP2 => &bzip2::Bzip2,
        id::BLOSC2 => &blosc2::Blosc2,
        id::SZIP => &szip::Szip,
        id::ZFP => &zfp::Zfp,
        id::NBIT => &nbit::Nbit,
        id::SCALE_OFFSET => &scaleoffset::ScaleOffsetFilter,
        _ => return None,
    })
}

/// The identifiers of every built-in filter, ascending: exactly the ids [`builtin`] resolves
/// (a test checks both agree; add a new filter's id to both).
pub fn builtin_ids() -> &'static [u16] {
    &[
        id::DEFLATE,
        id::SHUFFLE,
        id::FLETCHER32,
        id::SZIP,
        id::NBIT,
        id::SCALE_OFFSET,
        id::BZIP2,
        id::LZF,
        id::BLOSC,
        id::LZ4,
        id::BITSHUFFLE,
        id::ZFP,
        id::ZSTD,
        id::BLOSC2,
    ]
}

/// The filter with identifier `filter_id`: built in, else registered by a user.
pub fn lookup(filter_id: u16) -> Option<Resolved> {
    if let Some(c) = builtin(filter_id) {
        return Some(Resolved::Builtin(c));
    }
    if !ANY_USER.load(Ordering::Acquire) {
        return None;
    }
    let user = USER.read().unwrap_or_else(|e| e.into_inner());
    user.iter()
        .find(|c| c.id() == filter_id)
        .cloned()
        .map(Resolved::User)
}

/// Whether a filter with identifier `filter_id` is known (built in or registered).
pub fn is_known(filter_id: u16) -> bool {
    lookup(filter_id).is_some()
}

/// Make `codec` known for reading and writing, in this process, replacing an earlier
/// registration of the same id. Built-in ids cannot be replaced (an
/// [`Error::Invalid`]).
pub fn register(codec: Arc<dyn FilterCodec>) -> Result<()> {
    let filter_id = codec.id();
    if builtin(filter_id).is_some() {
        return Err(Error::Invalid(format!(
            "filter {filter_id} ({}) is built in and cannot be replaced",
            codec.name()
        )));
    }
    let mut user = USER.write().unwrap_or_else(|e| e.into_inner());
    user.retain(|c| c.id() != filter_id);
    user.push(codec);
    ANY_USER.store(true, Ordering::Release);
    Ok(())
}

/// Forget the user filter with identifier `filter_id`; whether there was one.
pub fn unregister(filter_id: u16) -> bool {
    let mut user = USER.write().unwrap_or_else(|e| e.into_inner());
    let before = user.len();
    user.retain(|c| c.id() != filter_id);
    before != user.len()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::{builtin, builtin_ids};

    #[test]
    fn builtin_ids_are_exactly_the_built_in_filters() {
        let ids = builtin_ids();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not ascending: {ids:?}"
        );
        for filter_id in 0..=u16::MAX {
            let listed = ids.contains(&filter_id);
            assert_eq!(builtin(filter_id).is_some(), listed, "filter {filter_id}");
            if let Some(c) = builtin(filter_id) {
                assert_eq!(c.id(), filter_id);
            }
        }
    }
}
