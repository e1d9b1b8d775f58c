//! The high-level API: `File`, `Group`, `Dataset`, `Attribute`.
