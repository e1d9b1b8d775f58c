//! Fuzz target `load`: see `jangada::fuzzing::load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jangada::fuzzing::load(data));
