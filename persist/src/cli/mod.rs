//! The `jangada` command-line tool's commands, as library functions so that tests (and other
//! programs) can call them directly.

pub mod check;
pub mod dump;
pub mod ls;
pub mod show;
pub mod write;
