//! The `jangada` command-line tool.

fn main() {}
