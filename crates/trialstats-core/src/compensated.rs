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
///
/// # Examples
/// ```
/// use trialstats_core::compensated::Dd;
/// // (1 + 2⁻⁶⁰) − 1 is 0 in double precision, exactly 2⁻⁶⁰ in double-double.
/// let tiny = 2f64.powi(-60);
/// assert_eq!((1.0 + tiny) - 1.0, 0.0);
/// let a = Dd::from(1.0) + Dd::from(tiny);
/// assert_eq!((a - Dd::from(1.0)).value(), tiny);
/// ```
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

/// `a + b = s + e` exactly when |a| ≥ |b| (Dekker's FastTwoSum).
#[inline]
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

impl Dd {
    /// Zero.
    pub const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    /// The double `x`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::compensated::Dd;
    /// assert_eq!(Dd::from_f64(0.1).value(), 0.1);
    /// assert_eq!(Dd::from_f64(0.0), Dd::ZERO);
    /// ```
    #[inline]
    pub const fn from_f64(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }

    /// Adds `x` (TwoSum, its error kept in the low part).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::compensated::Dd;
    /// // 1e16 + 1 − 1e16 = 1; a plain f64 sum loses the 1 (the spacing of doubles at 1e16 is 2).
    /// let mut s = Dd::ZERO;
    /// for x in [1e16, 1.0, -1e16] {
    ///     s.accumulate(x);
    /// }
    /// assert_eq!(s.value(), 1.0);
    /// ```
    #[inline]
    pub fn accumulate(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        self.hi = s;
        self.lo += e;
    }

    /// Adds the product `a·b`, its rounding error included (TwoProduct by fused multiply-add).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::compensated::Dd;
    /// // (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰: the last term is lost by a plain product.
    /// let a = 1.0 + 2f64.powi(-30);
    /// let mut s = Dd::ZERO;
    /// s.accumulate_product(a, a);
    /// s.accumulate(-1.0);
    /// s.accumulate(-(2f64.powi(-29)));
    /// assert_eq!(s.value(), 2f64.powi(-60));
    /// ```
    #[inline]
    pub fn accumulate_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        let pe = a.mul_add(b, -p);
        let (s, e) = two_sum(self.hi, p);
        self.hi = s;
        self.lo += e + pe;
    }

    /// The unevaluated pair `(hi, lo)`, to carry the sum to another process (a query
    /// engine's partial state, say) without rounding it.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::compensated::Dd;
    /// let mut s = Dd::ZERO;
    /// for x in [1e16, 1.0] {
    ///     s.accumulate(x);
    /// }
    /// let (hi, lo) = s.parts();
    /// assert_eq!((hi, lo), (1e16, 1.0));
    /// assert_eq!(Dd::from_parts(hi, lo), s);
    /// ```
    #[inline]
    pub const fn parts(self) -> (f64, f64) {
        (self.hi, self.lo)
    }

    /// The pair `(hi, lo)` of [`Dd::parts`], as it was.
    #[inline]
    pub const fn from_parts(hi: f64, lo: f64) -> Dd {
        Dd { hi, lo }
    }

    /// The sum, rounded once to a double.
    #[inline]
    pub fn value(self) -> f64 {
        self.hi + self.lo
    }
}

/// Double-double sums of the outer products u uᵀ of rows u of length q (their upper triangle):
/// each product rounded once, then added by TwoSum, vectorised across a column of the triangle.
/// The sums of the rounded products are exact to about 2⁻¹⁰⁶ of their terms, so they do not
/// depend on the order of the rows: a query engine's partitions can sum their rows apart and
/// merge the sums in any order (Ogita, Rump & Oishi 2005, `Sum2`).
///
/// # Examples
/// ```
/// use trialstats_core::compensated::{Dd, OuterProductSums};
/// let mut s = OuterProductSums::new(2);
/// // Rows (1, 2) and (3, 2⁻⁶⁰), row-major: the small products are kept in the low parts.
/// let tiny = 2f64.powi(-60);
/// s.add_rows(&[1.0, 2.0, 3.0, tiny]);
/// assert_eq!(s.get(0, 0), Dd::from_parts(10.0, 0.0));
/// assert_eq!(s.get(1, 0), Dd::from_parts(2.0, 3.0 * tiny));
/// assert_eq!(s.get(1, 1), Dd::from_parts(4.0, tiny * tiny));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OuterProductSums {
    q: usize,
    padded: usize,
    offsets: Vec<usize>,
    hi: Vec<f64>,
    lo: Vec<f64>,
    scratch: Vec<f64>,
}

impl OuterProductSums {
    /// Rows the scratch buffer holds at a time.
    const CHUNK: usize = 256;

    /// Zero sums for rows of length `q`.
    pub fn new(q: usize) -> Self {
        let pad = crate::kernels::OUTER_PAD;
        let mut offsets = Vec::with_capacity(q);
        let mut len = 0;
        for b in 0..q {
            offsets.push(len);
            len += (b + 1).div_ceil(pad) * pad;
        }
        Self {
            q,
            padded: q.div_ceil(pad) * pad,
            offsets,
            hi: vec![0.0; len],
            lo: vec![0.0; len],
            scratch: Vec::new(),
        }
    }

    /// The length of the rows.
    pub fn q(&self) -> usize {
        self.q
    }

    /// The bytes the sums and the scratch rows take on the heap.
    pub fn heap_bytes(&self) -> usize {
        8 * (self.hi.capacity() + self.lo.capacity() + self.scratch.capacity())
            + std::mem::size_of::<usize>() * self.offsets.capacity()
    }

    /// The stride of the rows [`OuterProductSums::add_padded_rows`] takes: `q` rounded up to a
    /// multiple of 8.
    pub fn padded_width(&self) -> usize {
        self.padded
    }

    /// Adds the outer products of the rows of `rows`, row-major with
    /// [`OuterProductSums::padded_width`] values a row of which the first `q` are the row (the
    /// rest are not read into any sum; keep them zero); a trailing partial row is ignored. The
    /// same sums as [`OuterProductSums::add_rows`] without its copy into padded rows.
    pub fn add_padded_rows(&mut self, rows: &[f64]) {
        let (q, padded) = (self.q, self.padded);
        if q == 0 {
            return;
        }
        let whole = rows.len() / padded * padded;
        crate::kernels::outer_dd(
            &mut self.hi,
            &mut self.lo,
            &self.offsets,
            q,
            &rows[..whole],
            padded,
        );
    }

    /// Adds the outer products of the rows of `rows` (row-major, `q` values a row; a trailing
    /// partial row is ignored).
    pub fn add_rows(&mut self, rows: &[f64]) {
        let (q, padded) = (self.q, self.padded);
        if q == 0 {
            return;
        }
        self.scratch.resize(Self::CHUNK * padded, 0.0);
        for chunk in rows.chunks(Self::CHUNK * q) {
            let n = chunk.len() / q;
            for (dst, src) in self
                .scratch
                .chunks_exact_mut(padded)
                .zip(chunk.chunks_exact(q))
            {
                dst[..q].copy_from_slice(src);
            }
            crate::kernels::outer_dd(
                &mut self.hi,
                &mut self.lo,
                &self.offsets,
                q,
                &self.scratch[..n * padded],
                padded,
            );
        }
    }

    /// The sum of u_a·u_b (a and b in either order).
    pub fn get(&self, a: usize, b: usize) -> Dd {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let i = self.offsets[b] + a;
        Dd::from_parts(self.hi[i], self.lo[i])
    }

    /// Adds `d` to the sum of u_a·u_b (merging another set of sums).
    pub fn add(&mut self, a: usize, b: usize, d: Dd) {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let i = self.offsets[b] + a;
        let s = Dd::from_parts(self.hi[i], self.lo[i]) + d;
        (self.hi[i], self.lo[i]) = s.parts();
    }
}

impl From<f64> for Dd {
    fn from(x: f64) -> Dd {
        Dd::from_f64(x)
    }
}

impl From<Dd> for f64 {
    fn from(x: Dd) -> f64 {
        x.value()
    }
}

impl std::ops::Add for Dd {
    type Output = Dd;
    /// The sum, normalised (relative error about 4·2⁻¹⁰⁶: Bailey's QD "sloppy" addition with
    /// one more TwoSum).
    #[inline]
    fn add(self, other: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, other.hi);
        let (t, f) = two_sum(self.lo, other.lo);
        let (s, e) = quick_two_sum(s, e + t);
        let (hi, lo) = quick_two_sum(s, e + f);
        Dd { hi, lo }
    }
}

impl std::ops::Neg for Dd {
    type Output = Dd;
    #[inline]
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl std::ops::Sub for Dd {
    type Output = Dd;
    #[inline]
    fn sub(self, other: Dd) -> Dd {
        self + (-other)
    }
}

impl std::ops::Mul<f64> for Dd {
    type Output = Dd;
    /// The product with a double, normalised.
    #[inline]
    fn mul(self, x: f64) -> Dd {
        let p = self.hi * x;
        let pe = self.hi.mul_add(x, -p);
        let (hi, lo) = quick_two_sum(p, pe + self.lo * x);
        Dd { hi, lo }
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
        acc.accumulate_product(x, y);
    }
    acc.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_double_arithmetic_keeps_106_bits() {
        // (1 + 2⁻⁶⁰) − 1 is exact in double-double, 0 in double.
        let a = Dd::from_f64(1.0) + Dd::from_f64(2f64.powi(-60));
        assert_eq!(
            (a - Dd::from_f64(1.0)).value().to_bits(),
            2f64.powi(-60).to_bits()
        );
        // (1 + 2⁻⁶⁰)·3 − 3 = 3·2⁻⁶⁰.
        let b = a * 3.0 - Dd::from_f64(3.0);
        assert_eq!(b.value().to_bits(), (3.0 * 2f64.powi(-60)).to_bits());
    }

    #[test]
    fn products_keep_their_rounding_error() {
        // (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰: the last term is lost by a plain product.
        let a = 1.0 + 2f64.powi(-30);
        let mut acc = Dd::ZERO;
        acc.accumulate_product(a, a);
        acc.accumulate(-1.0);
        acc.accumulate(-(2f64.powi(-29)));
        assert_eq!(acc.value().to_bits(), 2f64.powi(-60).to_bits());
    }

    #[test]
    fn outer_product_sums_are_the_scalar_definition_bit_for_bit() {
        // 601 rows of 11 values (three chunks, the last partial; columns of one and two
        // vectors), of mixed magnitudes and signs.
        let q = 11;
        let mut state: u64 = 0x853C_49E6_748F_EA9B;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = ((state >> 11) as f64) / (1u64 << 53) as f64;
            (u - 0.5) * 10f64.powi(((state >> 3) % 9) as i32 - 4)
        };
        let rows: Vec<f64> = (0..601 * q).map(|_| next()).collect();
        let mut s = OuterProductSums::new(q);
        s.add_rows(&rows[..300 * q]);
        s.add_rows(&rows[300 * q..]);
        // The same rows laid out padded, in two calls.
        let mut padded = OuterProductSums::new(q);
        let p = padded.padded_width();
        assert_eq!(p, 16);
        let mut laid = vec![0.0; 601 * p];
        for (dst, src) in laid.chunks_exact_mut(p).zip(rows.chunks_exact(q)) {
            dst[..q].copy_from_slice(src);
        }
        padded.add_padded_rows(&laid[..17 * p]);
        padded.add_padded_rows(&laid[17 * p..]);
        for b in 0..q {
            for a in 0..=b {
                // TwoSum of each rounded product, in row order.
                let (mut h, mut l) = (0.0_f64, 0.0_f64);
                for r in rows.chunks_exact(q) {
                    let p = r[a] * r[b];
                    let t = h + p;
                    let bb = t - h;
                    l += (h - (t - bb)) + (p - bb);
                    h = t;
                }
                assert_eq!(s.get(a, b).parts(), (h, l), "({a}, {b})");
                assert_eq!(s.get(b, a), s.get(a, b));
                assert_eq!(padded.get(a, b).parts(), (h, l), "padded ({a}, {b})");
            }
        }
    }
}
