//! The UKPDS row parser (profile builder and both equations) must return a risk in [0, 1] or an
//! error for any inputs, never panic or NaN.
//! The body is `trialstats_fuzz::ukpds_rows`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::ukpds_rows(data));
