//! The CSV reader must return a table or an error for any bytes, never panic; a table it returns
//! must write back to CSV and read back to the same table.
//! The body is `trialstats_fuzz::csv_reader`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::csv_reader(data));
