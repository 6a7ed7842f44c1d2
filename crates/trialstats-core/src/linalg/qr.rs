//! Householder QR with R's limited column pivoting (LINPACK `dqrdc2`), least squares and
//! iterative refinement.

use nalgebra::{DMatrix, DVector};

use crate::error::LinalgError;

use super::*;

/// Householder QR factorisation `X P = Q R` with R's limited column pivoting.
///
/// Columns are taken in their given order; a column whose norm, after projecting out the columns
/// already accepted, falls below `tol` times its original norm is aliased and moved to the end
/// (LINPACK `dqrdc2`, used by R's `lm.fit`). The accepted columns therefore keep their order, and
/// the aliased ones are exactly those for which R reports `NA` coefficients.
///
/// # References
/// Golub & Van Loan (2013), *Matrix Computations*, 4th ed., §5.2 (Householder QR).
/// Dongarra, Bunch, Moler & Stewart (1979), *LINPACK Users' Guide*, ch. 9; R's modified `dqrdc2`.
#[derive(Debug, Clone)]
pub struct Qr {
    /// R in the upper triangle of the first `rank` columns; Householder vectors (with an implicit
    /// leading 1) below the diagonal.
    qr: DMatrix<f64>,
    tau: Vec<f64>,
    pivot: Vec<usize>,
    rank: usize,
}

impl Qr {
    /// Factorises `x` (n × k) with the default tolerance [`QR_TOLERANCE`].
    ///
    /// # Errors
    /// [`LinalgError::NonFinite`] if `x` holds a NaN or infinity.
    pub fn new(x: &DMatrix<f64>) -> Result<Self, LinalgError> {
        Self::with_tolerance(x, QR_TOLERANCE)
    }

    /// Factorises `x` (n × k); see the type's documentation for `tol`.
    ///
    /// # Errors
    /// [`LinalgError::NonFinite`] if `x` holds a NaN or infinity.
    pub fn with_tolerance(x: &DMatrix<f64>, tol: f64) -> Result<Self, LinalgError> {
        check_finite("X", x)?;
        let (n, p) = x.shape();
        let mut a = x.clone();
        let mut pivot: Vec<usize> = (0..p).collect();
        let reference: Vec<f64> = (0..p)
            .map(|j| {
                let nrm = a.column(j).norm();
                if nrm == 0.0 { 1.0 } else { nrm }
            })
            .collect();
        let mut tau = Vec::with_capacity(p.min(n));
        let mut lup = p;
        let mut l = 0;
        let data = a.as_mut_slice();
        while l < lup && l < n {
            // Move negligible columns to the end, as dqrdc2 does.
            loop {
                let col = &data[l * n + l..(l + 1) * n];
                let nrm = norm2(col);
                if nrm >= reference[pivot[l]] * tol {
                    break;
                }
                rotate_column_to_end(data, n, l, p);
                pivot[l..].rotate_left(1);
                lup -= 1;
                if l >= lup {
                    break;
                }
            }
            if l >= lup {
                break;
            }
            // Householder reflector for column l, rows l..n (LAPACK dlarfg convention).
            let (t, beta) = {
                let col = &mut data[l * n + l..(l + 1) * n];
                householder(col)
            };
            data[l * n + l] = beta;
            tau.push(t);
            if t != 0.0 {
                let (left, right) = data.split_at_mut((l + 1) * n);
                let v = &left[l * n + l..(l + 1) * n];
                for j in (l + 1)..p {
                    let col = &mut right[(j - l - 1) * n + l..(j - l) * n];
                    apply_reflector(v, t, col);
                }
            }
            l += 1;
        }
        let rank = l;
        Ok(Self {
            qr: a,
            tau,
            pivot,
            rank,
        })
    }

    /// Numerical rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Number of columns of the factorised matrix.
    pub fn ncols(&self) -> usize {
        self.qr.ncols()
    }

    /// Original indices of the accepted (non-aliased) columns, in order.
    pub fn accepted(&self) -> &[usize] {
        &self.pivot[..self.rank]
    }

    /// Original indices of the aliased columns, in order.
    pub fn aliased(&self) -> Vec<usize> {
        let mut a = self.pivot[self.rank..].to_vec();
        a.sort_unstable();
        a
    }

    /// Checks that no column is aliased.
    ///
    /// # Errors
    /// [`LinalgError::Aliased`] naming the aliased columns (by `names`, or `column j` when
    /// `names` does not cover them).
    pub fn require_full_rank(&self, names: &[String]) -> Result<(), LinalgError> {
        if self.rank == self.ncols() {
            return Ok(());
        }
        let columns = self
            .aliased()
            .into_iter()
            .map(|j| {
                names
                    .get(j)
                    .cloned()
                    .unwrap_or_else(|| format!("column {}", j + 1))
            })
            .collect();
        Err(LinalgError::Aliased {
            columns,
            rank: self.rank,
            ncol: self.ncols(),
        })
    }

    /// Applies `Qᵀ` to `y` (length n).
    ///
    /// # Errors
    /// [`LinalgError::Dimension`] if `y` has the wrong length.
    pub fn qt_mul(&self, y: &DVector<f64>) -> Result<DVector<f64>, LinalgError> {
        let n = self.qr.nrows();
        if y.len() != n {
            return Err(dim_error("Q'y", n, y.len()));
        }
        let mut z = y.clone();
        let data = self.qr.as_slice();
        for (l, &t) in self.tau.iter().enumerate() {
            if t != 0.0 {
                apply_reflector(&data[l * n + l..(l + 1) * n], t, &mut z.as_mut_slice()[l..]);
            }
        }
        Ok(z)
    }

    /// Applies `Q` to `z` (length n).
    fn q_mul_in_place(&self, z: &mut [f64]) {
        let n = self.qr.nrows();
        let data = self.qr.as_slice();
        for (l, &t) in self.tau.iter().enumerate().rev() {
            if t != 0.0 {
                apply_reflector(&data[l * n + l..(l + 1) * n], t, &mut z[l..]);
            }
        }
    }

    /// The r × r upper-triangular factor R of the accepted columns (r = rank).
    pub fn r(&self) -> DMatrix<f64> {
        let r = self.rank;
        DMatrix::from_fn(r, r, |i, j| if i <= j { self.qr[(i, j)] } else { 0.0 })
    }

    /// Least-squares fit of `y` on the accepted columns.
    ///
    /// # Formula
    /// ```text
    /// β̂ = R⁻¹ (Qᵀy)[1..r],   e = Q [0; (Qᵀy)[r+1..n]],   ŷ = y − e
    /// ```
    /// The coefficients of aliased columns are `None`, as R's `NA`.
    ///
    /// # Errors
    /// [`LinalgError::Dimension`] if `y` has the wrong length.
    pub fn least_squares(&self, y: &DVector<f64>) -> Result<LeastSquares, LinalgError> {
        let mut z = self.qt_mul(y)?;
        let r = self.rank;
        let mut beta_acc = z.rows(0, r).into_owned();
        back_substitute(&self.qr, &mut beta_acc);
        let mut coefficients = vec![None; self.ncols()];
        for (pos, &j) in self.pivot[..r].iter().enumerate() {
            coefficients[j] = Some(beta_acc[pos]);
        }
        z.rows_mut(0, r).fill(0.0);
        let rss = z.iter().map(|v| v * v).sum();
        self.q_mul_in_place(z.as_mut_slice());
        Ok(LeastSquares {
            coefficients,
            residuals: z,
            rss,
        })
    }

    /// Least-squares fit of `y` on the accepted columns of `x` (the matrix that was factorised),
    /// refined to about full working precision by Björck's iterative refinement of the augmented
    /// system, with its residuals in double-double arithmetic ([`crate::compensated`]).
    ///
    /// # Formula
    /// The solution (r, β) of `[I X; Xᵀ 0][r; β] = [y; 0]` (r = y − Xβ) is corrected by
    /// ```text
    /// f = y − r − Xβ,  g = −Xᵀr          (each in double-double, then rounded)
    /// h = R⁻ᵀg,  d = Qᵀf,  δβ = R⁻¹(d₁ − h),  δr = Q[h; d₂]
    /// ```
    /// until δβ is below the rounding of β (at most 10 steps). Plain QR keeps about
    /// 16 − log₁₀κ digits of β, and loses κ² more where the residual is large; each step gains
    /// about 16 − log₁₀κ digits, so two or three reach full precision while κε ≪ 1.
    ///
    /// # References
    /// Björck (1967), "Iterative refinement of linear least squares solutions I", BIT 7:257–278,
    /// doi:10.1007/BF01939321. Higham (2002), *Accuracy and Stability of Numerical Algorithms*,
    /// 2nd ed., §20.5.
    ///
    /// # Errors
    /// [`LinalgError::Dimension`] if `x` or `y` does not match the factorisation.
    pub fn refined_least_squares(
        &self,
        x: &DMatrix<f64>,
        y: &DVector<f64>,
    ) -> Result<LeastSquares, LinalgError> {
        let (n, r) = (self.qr.nrows(), self.rank);
        if x.shape() != self.qr.shape() {
            return Err(dim_error("refined least squares (X)", n, x.nrows()));
        }
        let first = self.least_squares(y)?;
        let cols = &self.pivot[..r];
        let mut beta: Vec<f64> = cols
            .iter()
            .map(|&j| first.coefficients[j].unwrap_or(0.0))
            .collect();
        let mut res = first.residuals;
        let scale = |v: &[f64]| v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let mut last_step = f64::INFINITY;
        for _ in 0..10 {
            // f = y − r − Xβ, accumulated by columns in double-double.
            let mut f: Vec<crate::compensated::Dd> = y
                .iter()
                .zip(res.iter())
                .map(|(&yi, &ri)| {
                    let mut d = crate::compensated::Dd::ZERO;
                    d.accumulate(yi);
                    d.accumulate(-ri);
                    d
                })
                .collect();
            for (&j, &b) in cols.iter().zip(&beta) {
                for (fi, &xij) in f.iter_mut().zip(x.column(j).iter()) {
                    fi.accumulate_product(-xij, b);
                }
            }
            let f = DVector::from_iterator(n, f.into_iter().map(crate::compensated::Dd::value));
            let g: Vec<f64> = cols
                .iter()
                .map(|&j| -crate::compensated::dot2(x.column(j).as_slice(), res.as_slice()))
                .collect();
            // h = R⁻ᵀ g (forward substitution with Rᵀ).
            let mut h = vec![0.0; r];
            for i in 0..r {
                let mut s = g[i];
                for (jj, hj) in h.iter().enumerate().take(i) {
                    s -= self.qr[(jj, i)] * hj;
                }
                h[i] = s / self.qr[(i, i)];
            }
            let mut d = self.qt_mul(&f)?;
            let mut dx = DVector::from_iterator(r, (0..r).map(|i| d[i] - h[i]));
            back_substitute(&self.qr, &mut dx);
            d.rows_mut(0, r).copy_from_slice(&h);
            self.q_mul_in_place(d.as_mut_slice());
            for (b, db) in beta.iter_mut().zip(dx.iter()) {
                *b += db;
            }
            res += &d;
            let step = scale(dx.as_slice());
            if step <= 2.0 * f64::EPSILON * scale(&beta) || step >= last_step {
                // At the rounding of β, or no longer contracting (κε too large to gain more).
                break;
            }
            last_step = step;
        }
        let mut coefficients = vec![None; self.ncols()];
        for (&j, &b) in cols.iter().zip(&beta) {
            coefficients[j] = Some(b);
        }
        let mut rss = crate::compensated::Dd::ZERO;
        for &e in res.iter() {
            rss.accumulate_product(e, e);
        }
        Ok(LeastSquares {
            coefficients,
            residuals: res,
            rss: rss.value(),
        })
    }

    /// `(XᵀX)⁻¹ = R⁻¹R⁻ᵀ` over the accepted columns (r × r, in the order of [`Qr::accepted`]).
    pub fn xtx_inverse(&self) -> DMatrix<f64> {
        let r = self.rank;
        let mut rinv = DMatrix::<f64>::identity(r, r);
        for mut col in rinv.column_iter_mut() {
            let mut v = col.clone_owned();
            back_substitute(&self.qr, &mut v);
            col.copy_from(&v);
        }
        &rinv * rinv.transpose()
    }
}

/// The result of [`Qr::least_squares`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeastSquares {
    /// One entry per column of X; `None` for aliased columns.
    pub coefficients: Vec<Option<f64>>,
    /// Residuals `e = y − Xβ̂`.
    pub residuals: DVector<f64>,
    /// Residual sum of squares `eᵀe`.
    pub rss: f64,
}

/// Euclidean norm with scaling against overflow and underflow.
fn norm2(v: &[f64]) -> f64 {
    let scale = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    let s: f64 = v.iter().map(|x| (x / scale) * (x / scale)).sum();
    scale * s.sqrt()
}

/// Generates a Householder reflector `H = I − τ v vᵀ` (v₀ = 1) with `H x = (β, 0, …)ᵀ`.
/// On return `x[1..]` holds v[1..]; returns (τ, β).
fn householder(x: &mut [f64]) -> (f64, f64) {
    let alpha = x[0];
    let xnorm = norm2(&x[1..]);
    if xnorm == 0.0 {
        return (0.0, alpha);
    }
    let beta = -alpha.signum() * alpha.hypot(xnorm);
    let tau = (beta - alpha) / beta;
    let scale = 1.0 / (alpha - beta);
    for v in &mut x[1..] {
        *v *= scale;
    }
    (tau, beta)
}

/// Applies `H = I − τ v vᵀ` (with v₀ = 1 implicit, `v[1..]` stored) to `c`.
fn apply_reflector(v: &[f64], tau: f64, c: &mut [f64]) {
    let mut w = c[0];
    for (vi, ci) in v[1..].iter().zip(&c[1..]) {
        w += vi * ci;
    }
    w *= tau;
    c[0] -= w;
    for (vi, ci) in v[1..].iter().zip(&mut c[1..]) {
        *ci -= w * vi;
    }
}

/// Moves column `l` of the n × p column-major `data` to position p − 1, shifting the rest left.
fn rotate_column_to_end(data: &mut [f64], n: usize, l: usize, p: usize) {
    data[l * n..p * n].rotate_left(n);
}

/// Solves `R x = b` in place for the leading r × r upper triangle of `qr` (r = b.len()).
fn back_substitute(qr: &DMatrix<f64>, b: &mut DVector<f64>) {
    let r = b.len();
    for i in (0..r).rev() {
        let mut s = b[i];
        for j in (i + 1)..r {
            s -= qr[(i, j)] * b[j];
        }
        b[i] = s / qr[(i, i)];
    }
}
