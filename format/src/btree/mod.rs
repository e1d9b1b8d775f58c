//! B-trees (spec III.A): version 1 (group and chunk nodes) and version 2.

pub mod v1;
pub mod v2;
