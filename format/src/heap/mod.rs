//! Heaps (spec III.D-III.G): local heaps (old-style group names), the global heap
//! (variable-length data) and fractal heaps (dense links and attributes).

pub mod fractal;
pub mod global;
pub mod local;
pub mod vds_block;
