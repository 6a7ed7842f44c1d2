//! The data-file readers (Stata, Parquet, Arrow IPC, spreadsheets) must return a table or an
//! error for any input, never panic. The body is `trialstats_fuzz::data_file`, which CI also runs as a
//! property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::data_file(data));
