//! Object headers (spec IV.A.1): version 1 and version 2 (`OHDR`) prefixes, their message
//! lists and continuation blocks (`OCHK`).
