//! Tolerances for comparing numbers with reference values, set in one place.
//!
//! Guidance, used across the workspace's tests:
//! - our own algebra agreeing with itself (two routes to one number): `Tol::rel(1e-10)` or tighter;
//! - agreement with a reference printed to d significant digits: half a unit in the last digit,
//!   relative: `Tol::rel(0.5 * 10^(1−d))`, or `Tol::abs(0.5 * 10^(−dp))` for d decimal places;
//! - iterative fits (quadrature, imputation): looser, with a comment saying why.
//!
//! The checks return `Result` so that a test reports every mismatch with its name and both values.

use std::fmt;

/// A tolerance: `|got − want| ≤ abs + rel · |want|`.
///
/// # Examples
/// ```
/// use trialstats_core::testing::Tol;
/// let tol = Tol { abs: 1e-12, rel: 1e-6 };
/// assert!(tol.accepts(1000.0009, 1000.0)); // 9e−4 ≤ 1e−12 + 1e−6 · 1000
/// assert!(!tol.accepts(1000.002, 1000.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tol {
    /// Absolute part.
    pub abs: f64,
    /// Relative part (relative to the reference value).
    pub rel: f64,
}

/// A failed comparison: what was compared, and both values.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Name of the quantity (with an index for slices).
    pub what: String,
    /// The value obtained.
    pub got: f64,
    /// The reference value.
    pub want: f64,
    /// The tolerance that was exceeded.
    pub tol: Tol,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: got {:e}, want {:e} (diff {:e}; tol abs {:e} + rel {:e})",
            self.what,
            self.got,
            self.want,
            (self.got - self.want).abs(),
            self.tol.abs,
            self.tol.rel
        )
    }
}

impl std::error::Error for Mismatch {}

impl Tol {
    /// A purely relative tolerance.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// assert!(Tol::rel(1e-3).accepts(1.0005, 1.0));
    /// assert!(!Tol::rel(1e-4).accepts(1.0005, 1.0));
    /// ```
    pub const fn rel(rel: f64) -> Self {
        Self { abs: 0.0, rel }
    }
    /// A purely absolute tolerance.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// assert!(Tol::abs(0.01).accepts(1e-3, 0.0));
    /// assert!(!Tol::abs(0.01).accepts(0.02, 0.0));
    /// ```
    pub const fn abs(abs: f64) -> Self {
        Self { abs, rel: 0.0 }
    }
    /// Tolerance for a reference printed with `dp` decimal places: half a unit in the last place.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// // R printed 0.0297: anything in [0.02965, 0.02975] agrees.
    /// assert!(Tol::decimals(4).accepts(0.02974, 0.0297));
    /// assert!(!Tol::decimals(4).accepts(0.02976, 0.0297));
    /// ```
    pub fn decimals(dp: i32) -> Self {
        Self::abs(0.5 * 10f64.powi(-dp))
    }
    /// Tolerance for a reference printed with `digits` significant digits.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// assert!(Tol::significant(3).accepts(1.534, 1.53));
    /// assert!(!Tol::significant(3).accepts(1.54, 1.53));
    /// ```
    pub fn significant(digits: i32) -> Self {
        Self::rel(0.5 * 10f64.powi(1 - digits))
    }

    /// Whether `got` agrees with `want`. Two NaNs never agree; equal infinities do.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// assert!(!Tol::abs(1.0).accepts(f64::NAN, f64::NAN));
    /// assert!(Tol::abs(0.0).accepts(f64::INFINITY, f64::INFINITY));
    /// assert!(!Tol::abs(1e300).accepts(f64::INFINITY, 1.0));
    /// ```
    pub fn accepts(&self, got: f64, want: f64) -> bool {
        if got.is_infinite() || want.is_infinite() {
            return got.to_bits() == want.to_bits();
        }
        (got - want).abs() <= self.abs + self.rel * want.abs()
    }

    /// Compares one value.
    ///
    /// # Errors
    /// A [`Mismatch`] naming `what` and both values.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// Tol::rel(1e-12).check("qnorm(0.975)", 1.959963984540054, 1.9599639845400536)?;
    /// let e = Tol::abs(1e-3).check("beta", 0.52, 0.5).unwrap_err();
    /// assert_eq!((e.what.as_str(), e.got, e.want), ("beta", 0.52, 0.5));
    /// # Ok(()) }
    /// ```
    pub fn check(&self, what: &str, got: f64, want: f64) -> Result<(), Mismatch> {
        if self.accepts(got, want) {
            Ok(())
        } else {
            Err(Mismatch {
                what: what.to_owned(),
                got,
                want,
                tol: *self,
            })
        }
    }

    /// Compares two slices element by element (and their lengths).
    ///
    /// # Errors
    /// A [`Mismatch`] for the first element that differs (or for the lengths).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::testing::Tol;
    /// let e = Tol::abs(1e-9).check_slice("b", &[1.0, 2.0], &[1.0, 2.1]).unwrap_err();
    /// assert_eq!(e.what, "b[1]");
    /// assert!(Tol::abs(1.0).check_slice("b", &[1.0], &[1.0, 2.0]).is_err()); // lengths differ
    /// ```
    pub fn check_slice(&self, what: &str, got: &[f64], want: &[f64]) -> Result<(), Mismatch> {
        if got.len() != want.len() {
            return Err(Mismatch {
                what: format!("{what} (length)"),
                got: got.len() as f64,
                want: want.len() as f64,
                tol: Tol::abs(0.0),
            });
        }
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            self.check(&format!("{what}[{i}]"), *g, *w)?;
        }
        Ok(())
    }
}

/// Largest relative difference `|a − b| / max(|b|, tiny)` between two slices of equal length.
///
/// # Examples
/// ```
/// use trialstats_core::testing::max_rel_diff;
/// // |1.1 − 1| / 1 = 0.1 and |1.98 − 2| / 2 = 0.01.
/// let d = max_rel_diff(&[1.1, 1.98], &[1.0, 2.0]);
/// assert!((d - 0.1).abs() < 1e-15);
/// ```
pub fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(f64::MIN_POSITIVE))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances() {
        assert!(Tol::rel(1e-3).accepts(1.0005, 1.0));
        assert!(!Tol::rel(1e-4).accepts(1.0005, 1.0));
        assert!(Tol::decimals(4).accepts(0.02974, 0.0297));
        assert!(!Tol::decimals(4).accepts(0.02976, 0.0297));
        assert!(Tol::significant(3).accepts(1.534, 1.53));
        assert!(!Tol::abs(1.0).accepts(f64::NAN, f64::NAN));
        assert!(Tol::abs(0.0).accepts(f64::INFINITY, f64::INFINITY));
        let e = Tol::abs(1e-9)
            .check_slice("b", &[1.0, 2.0], &[1.0, 2.1])
            .unwrap_err();
        assert_eq!(e.what, "b[1]");
        assert!(Tol::abs(1.0).check_slice("b", &[1.0], &[1.0, 2.0]).is_err());
    }
}
