//! Every scorer must score or reject any row of text answers without panicking.
//! The body is `trialstats_fuzz::instrument_rows`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::instrument_rows(data));
