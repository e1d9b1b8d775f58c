//! The fletcher32 filter.
