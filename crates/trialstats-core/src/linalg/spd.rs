//! Symmetric positive definite systems by Cholesky.

use nalgebra::{DMatrix, DVector};

use crate::error::LinalgError;

use super::*;

/// A Cholesky factorisation `A = LLᵀ` of a symmetric positive definite matrix.
///
/// Only the lower triangle of `A` is read.
#[derive(Debug, Clone)]
pub struct Spd {
    chol: nalgebra::Cholesky<f64, nalgebra::Dyn>,
}

impl Spd {
    /// Factorises `a`; `what` names the matrix in the error.
    ///
    /// # Errors
    /// [`LinalgError::Dimension`] if `a` is not square, [`LinalgError::NonFinite`] if it holds a
    /// NaN or infinity, [`LinalgError::NotPositiveDefinite`] if the factorisation fails.
    pub fn new(a: DMatrix<f64>, what: &str) -> Result<Self, LinalgError> {
        if !a.is_square() {
            return Err(LinalgError::Dimension {
                operation: format!("Cholesky of {what}"),
                detail: format!("{} × {} is not square", a.nrows(), a.ncols()),
            });
        }
        check_finite(what, &a)?;
        let dim = a.nrows();
        nalgebra::Cholesky::new(a)
            .map(|chol| Self { chol })
            .ok_or_else(|| LinalgError::NotPositiveDefinite {
                what: what.to_owned(),
                dim,
            })
    }

    /// Dimension of the factorised matrix.
    pub fn dim(&self) -> usize {
        self.chol.l_dirty().nrows()
    }

    /// Solves `A x = b`.
    ///
    /// # Errors
    /// [`LinalgError::Dimension`] if `b` has the wrong length.
    pub fn solve(&self, b: &DVector<f64>) -> Result<DVector<f64>, LinalgError> {
        if b.len() != self.dim() {
            return Err(dim_error("Cholesky solve", self.dim(), b.len()));
        }
        Ok(self.chol.solve(b))
    }

    /// Solves `A X = B` for a matrix right-hand side.
    ///
    /// # Errors
    /// [`LinalgError::Dimension`] if `b` has the wrong number of rows.
    pub fn solve_matrix(&self, b: &DMatrix<f64>) -> Result<DMatrix<f64>, LinalgError> {
        if b.nrows() != self.dim() {
            return Err(dim_error("Cholesky solve", self.dim(), b.nrows()));
        }
        Ok(self.chol.solve(b))
    }

    /// `A⁻¹`, for when the inverse itself is wanted (a covariance matrix): `L⁻¹` by forward
    /// substitution, then `A⁻¹ = L⁻ᵀL⁻¹`, its upper triangle mirrored (exactly symmetric).
    pub fn inverse(&self) -> DMatrix<f64> {
        let l = self.chol.l_dirty();
        let k = l.nrows();
        let ls = l.as_slice();
        // L⁻¹ column by column (lower triangular), li[i, j] = −(Σ_{m=j}^{i−1} L[i, m] li[m, j]) / L[i, i],
        // with the sums formed column-wise: once li[m, j] is final, it is subtracted times
        // L[m+1.., m] (a contiguous column of L) from the entries below it. Same terms, same
        // order, so the same bits as the row-wise sums, without strided reads of L.
        // Step m finishes row m of every column j ≤ m before any of them moves on, so that
        // the columns' chains of division and update interleave instead of running one
        // after another.
        let mut li = vec![0.0; k * k];
        for m in 0..k {
            let col = &ls[m * k..(m + 1) * k];
            for (j, x) in li.chunks_exact_mut(k).take(m + 1).enumerate() {
                let xm = if m == j { 1.0 / col[m] } else { x[m] / col[m] };
                x[m] = xm;
                for (xi, lim) in x[m + 1..].iter_mut().zip(&col[m + 1..]) {
                    *xi -= lim * xm;
                }
            }
        }
        // U = L⁻ᵀ (upper triangular; column m holds row m of L⁻¹), then the upper triangle of
        // A⁻¹ = UUᵀ column by column: A⁻¹[0..=j, j] = Σ_{m ≥ j} U[j, m]·U[0..=j, m], a short
        // vector update per m instead of one latency-bound dot product per entry. Each entry is
        // still Σ_{m ≥ max(i, j)} L⁻¹[m, i]·L⁻¹[m, j] in increasing m.
        let mut u = vec![0.0; k * k];
        for (j, col) in li.chunks_exact(k).enumerate() {
            for (m, v) in col.iter().enumerate().skip(j) {
                u[j + m * k] = *v;
            }
        }
        let mut out = DMatrix::zeros(k, k);
        for (j, oc) in out.as_mut_slice().chunks_exact_mut(k).enumerate() {
            let oc = &mut oc[..=j];
            for um in u.chunks_exact(k).skip(j) {
                let s = um[j];
                for (o, v) in oc.iter_mut().zip(um) {
                    *o += s * v;
                }
            }
        }
        mirror(&mut out);
        out
    }

    /// The lower-triangular factor `L` of `A = LLᵀ` (to draw from N(0, A) as `L z`).
    pub fn l(&self) -> DMatrix<f64> {
        self.chol.l()
    }

    /// `ln det A = 2 Σⱼ ln L_jj`, computed without overflow.
    pub fn ln_det(&self) -> f64 {
        2.0 * self
            .chol
            .l_dirty()
            .diagonal()
            .iter()
            .map(|d| d.ln())
            .sum::<f64>()
    }
}

/// `ln det A` of a symmetric positive definite matrix, by Cholesky.
///
/// # Errors
/// As [`Spd::new`].
pub fn ln_det_spd(a: &DMatrix<f64>) -> Result<f64, LinalgError> {
    Ok(Spd::new(a.clone(), "matrix")?.ln_det())
}
