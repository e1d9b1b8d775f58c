//! Fuzz target `filters`: see `jangada::fuzzing::filters`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jangada::fuzzing::filters(data));
