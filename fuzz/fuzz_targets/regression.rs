//! OLS with every covariance, the logit and the ordered logit on a small clustered data set read
//! from the bytes.
//! The body is `trialstats_fuzz::regression`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::regression(data));
