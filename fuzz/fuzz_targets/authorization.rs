#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| horreo_server::fuzzing::authorization(data));
