#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sleeper_pg::fuzzing::region_json(data));
