//! Fuzz target `read`: see `jangada::fuzzing::read`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jangada::fuzzing::read(data));
