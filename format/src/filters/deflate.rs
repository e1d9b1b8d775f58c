//! The deflate filter.
