//! The formula parser must accept or reject any text without panicking, and a parsed formula
//! must build a model frame (or a clear error) on a small table.
//! The body is `trialstats_fuzz::formula`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::formula(data));
