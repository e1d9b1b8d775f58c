//! Writing files: the write session (free space, pending structures), object headers, groups,
//! attributes and datasets, built on the structures' encoders (which write through
//! [`crate::emit`]) and on the storage layer ([`crate::store`]).

pub mod attrs;
pub mod chunking;
pub mod datasets;
pub mod groups;
pub mod header;
pub mod session;
pub mod space;
pub mod symtab;
pub mod vlen;
