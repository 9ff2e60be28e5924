//! libFuzzer's entry for `nb102_fuzz::nats_record`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nb102_fuzz::nats_record(data));
