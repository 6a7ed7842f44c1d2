//! The t, Wilcoxon and Hodges–Lehmann procedures on two samples read from the bytes.
//! The body is `trialstats_fuzz::two_sample`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::two_sample(data));
