//! # jangada-hdf5
//!
//! A pure-Rust implementation of the HDF5 file format: no libhdf5, no C.
//!
//! The modules follow the levels of the HDF5 File Format Specification:
//!
//! - **Level 0, file metadata**: [`superblock`] (format signature, superblock versions 0-3).
//! - **Level 1, file infrastructure**: [`btree`] (version 1 and 2 B-trees), [`heap`] (local,
//!   global and fractal heaps), [`links`] (symbol tables and dense link/attribute storage),
//!   [`checksum`] (lookup3 and Fletcher-32).
//! - **Level 2, data objects**: [`object_header`] (v1 and v2 headers and continuations),
//!   [`messages`] (one module per header message), [`datatype`], [`dataspace`],
//!   [`chunk_index`] (every index libhdf5 writes) and [`filters`].
//! - **The high-level API** in [`api`] (`File`, `Group`, `Dataset`, `Attribute`), re-exported at
//!   the crate root: the only layer most users touch.
//!
//! Lower layers never depend on the API layer. Every offset, length and count read from a
//! file is checked; a corrupt file gives an [`Error`] naming the structure and byte offset.

pub mod api;
pub mod btree;
pub mod checksum;
pub mod chunk_index;
pub mod dataspace;
pub mod datatype;
pub mod emit;
pub mod error;
pub(crate) mod external;
pub mod filters;
pub mod heap;
pub mod hugepage;
pub mod hyperslab;
pub mod io;
pub mod links;
pub mod messages;
pub mod object_header;
pub mod parallel;
pub mod sohm;
pub mod store;
pub mod superblock;
pub mod usage;
pub mod writer;

// Scratch paths and skips that let the unit tests run on other targets (scripts/cross.sh).
#[cfg(test)]
#[path = "../../tests/portable.rs"]
pub(crate) mod portable;

pub use api::*;
pub use error::{Error, Result};
pub use filters::blosc::{BloscCodec, BloscShuffle};
pub use filters::blosc2::{Blosc2Codec, Blosc2Filter};
pub use filters::scaleoffset::ScaleOffset;
pub use filters::szip::SzipCoding;
pub use filters::zfp::ZfpMode;
/// The `ndarray` this crate reads into and writes from: use it rather than pinning a
/// matching version.
pub use ndarray;
/// The `num_complex` of the complex element types.
pub use num_complex;
