//! The reference files' reader, shared by the reference tests.

use std::collections::HashMap;

/// `key = number` lines of a reference file (comments and non-numeric values skipped).
pub fn parse_refs(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .filter_map(|(k, v)| {
            v.trim()
                .parse::<f64>()
                .ok()
                .map(|v| (k.trim().to_owned(), v))
        })
        .collect()
}

/// The reference `key`, or a panic naming it.
#[allow(clippy::panic)]
pub fn get(r: &HashMap<String, f64>, key: &str) -> f64 {
    *r.get(key).unwrap_or_else(|| panic!("no reference {key}"))
}
