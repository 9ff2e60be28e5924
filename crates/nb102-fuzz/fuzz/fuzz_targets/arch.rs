//! libFuzzer's entry for `nb102_fuzz::arch`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nb102_fuzz::arch(data));
