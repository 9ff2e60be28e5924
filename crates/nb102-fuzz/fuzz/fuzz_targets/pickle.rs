//! libFuzzer's entry for `nb102_fuzz::pickle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nb102_fuzz::pickle(data));
