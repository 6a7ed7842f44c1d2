//! References recorded by the R scripts in `tests/data`, and the comparison the tests use.
#![allow(dead_code, clippy::panic)]

/// The value named `name` in a reference file of `name value` lines (`sprintf("%.17g")`).
pub fn reference(file: &str, name: &str) -> f64 {
    file.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no reference {name}"))
}

/// `got` within `tol` relative of R's `want`.
pub fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-300),
        "{what}: {got} v. R {want} (relative {:.1e})",
        ((got - want) / want).abs()
    );
}
