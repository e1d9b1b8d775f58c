//! # jangada
//!
//! Persist Rust objects to HDF5 exactly the way the Python library jangada does.
//! (The persistence layer arrives in a later issue; this crate currently hosts the
//! `jangada` command-line tool over `jangada-hdf5`.)

pub use jangada_hdf5 as hdf5;

pub mod cli;
