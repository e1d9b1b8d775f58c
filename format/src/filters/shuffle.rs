//! The shuffle filter.
