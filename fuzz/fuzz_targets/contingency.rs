//! Chi-square and Fisher (network and simulation) on a small r × c table read from the bytes.
//! The body is `trialstats_fuzz::contingency`, which CI also runs as a property test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| trialstats_fuzz::contingency(data));
