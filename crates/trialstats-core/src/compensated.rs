//! Compensated (double-double) sums and dot products: results as if computed in twice the
//! working precision, then rounded once.
//!
//! Used where a few quantities must be computed far more accurately than the data's rounding
//! would allow in plain double precision: the residuals of iterative refinement of a least-squares
//! fit ([`crate::linalg::Qr::refined_least_squares`]).
//!
//! # References
//! Ogita, Rump & Oishi (2005), "Accurate sum and dot product", SIAM J. Sci. Comput.
//! 26(6):1955–1988, doi:10.1137/030601818 (`Sum2`, `Dot2`). Knuth's TwoSum; TwoProduct by a fused
//! multiply-add.

/// A double-double accumulator: the unevaluated sum `hi + lo`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Dd {
    hi: f64,
    lo: f64,
}

/// `a + b = s + e` exactly (Knuth's TwoSum).
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

impl Dd {
    /// Zero.
    pub const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    /// Adds `x`.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        self.hi = s;
        self.lo += e;
    }

    /// Adds the product `a·b`, its rounding error included (TwoProduct by fused multiply-add).
    #[inline]
    pub fn add_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        let pe = a.mul_add(b, -p);
        let (s, e) = two_sum(self.hi, p);
        self.hi = s;
        self.lo += e + pe;
    }

    /// The sum, rounded once to a double.
    #[inline]
    pub fn value(self) -> f64 {
        self.hi + self.lo
    }
}

/// Σ aᵢbᵢ as if computed in twice the working precision (Ogita, Rump & Oishi's `Dot2`).
///
/// # Examples
/// ```
/// use trialstats_core::compensated::dot2;
/// // 1e16 + 1 − 1e16 loses the 1 in plain double precision.
/// let (a, b) = ([1e16, 1.0, -1e16], [1.0, 1.0, 1.0]);
/// assert_eq!(a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>(), 0.0);
/// assert_eq!(dot2(&a, &b), 1.0);
/// ```
pub fn dot2(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = Dd::ZERO;
    for (&x, &y) in a.iter().zip(b) {
        acc.add_product(x, y);
    }
    acc.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_keep_their_rounding_error() {
        // (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰: the last term is lost by a plain product.
        let a = 1.0 + 2f64.powi(-30);
        let mut acc = Dd::ZERO;
        acc.add_product(a, a);
        acc.add(-1.0);
        acc.add(-(2f64.powi(-29)));
        assert_eq!(acc.value().to_bits(), 2f64.powi(-60).to_bits());
    }
}
