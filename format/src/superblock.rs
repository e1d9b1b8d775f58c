//! The format signature and superblock (spec II.A), versions 0-3.
