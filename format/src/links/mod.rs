//! How a group stores its links (spec IV.A.2.c/g/r): old-style symbol tables, and new-style
//! dense storage (fractal heap + v2 B-tree indexes, shared with dense attribute storage).
//! Compact new-style links are plain Link messages in the object header.

pub mod dense;
pub mod symbol_table;
