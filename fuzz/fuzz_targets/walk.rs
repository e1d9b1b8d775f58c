//! Fuzz target `walk`: see `jangada::fuzzing::walk`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jangada::fuzzing::walk(data));
