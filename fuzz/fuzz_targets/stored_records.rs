#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| horreo_storage::fuzzing::stored_records(data));
