//! libFuzzer's entry for `nb102_fuzz::dataset`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nb102_fuzz::dataset(data));
