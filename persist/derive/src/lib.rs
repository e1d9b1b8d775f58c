//! `#[derive(Persistable)]` for the `jangada` crate (implemented in a later issue).
