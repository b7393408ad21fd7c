#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sleeper_pg::fuzzing::transaction_log_line(data));
