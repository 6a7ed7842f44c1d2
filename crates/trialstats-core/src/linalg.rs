//! Linear-algebra kernels: the only place in the workspace that factorises a matrix.
//!
//! Everything works on column-major [`nalgebra::DMatrix`]. Least squares goes through a
//! Householder QR ([`Qr`]) with the limited column pivoting of R's `lm` (LINPACK `dqrdc2`), so
//! that aliased columns are detected and named exactly as R does; symmetric positive definite
//! systems go through Cholesky ([`Spd`]). Explicit inverses are formed only where an estimator
//! needs the matrix itself (a covariance), never to solve a system.

use nalgebra::{DMatrix, DVector};

use crate::cluster::Clusters;
use crate::error::{InputError, LinalgError};

/// R's default tolerance for detecting aliased columns in `lm.fit` / `qr()` (`tol = 1e-07`).
pub const QR_TOLERANCE: f64 = 1e-7;

/// Checks that every entry of `m` is finite.
///
/// # Errors
/// [`LinalgError::NonFinite`] naming the first non-finite entry (0-based row and column).
pub fn check_finite(what: &str, m: &DMatrix<f64>) -> Result<(), LinalgError> {
    let n = m.nrows();
    match m.as_slice().iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(pos) => Err(LinalgError::NonFinite {
            what: what.to_owned(),
            row: pos % n.max(1),
            col: pos / n.max(1),
        }),
    }
}

/// The cross-product `XᵀX` (k × k, symmetric).
///
/// # Formula
/// ```text
/// (XᵀX)_jl = Σᵢ x_ij x_il
/// ```
pub fn crossprod(x: &DMatrix<f64>) -> DMatrix<f64> {
    x.tr_mul(x)
}

/// The cross-product `Xᵀy` (length k).
///
/// # Errors
/// [`LinalgError::Dimension`] if `y` does not have one entry per row of `x`.
pub fn crossprod_vec(x: &DMatrix<f64>, y: &DVector<f64>) -> Result<DVector<f64>, LinalgError> {
    if x.nrows() != y.len() {
        return Err(dim_error("X'y", x.nrows(), y.len()));
    }
    Ok(x.tr_mul(y))
}

/// The weighted cross-product `Xᵀ diag(w) X` (k × k, symmetric).
///
/// # Formula
/// ```text
/// (XᵀWX)_jl = Σᵢ wᵢ x_ij x_il
/// ```
///
/// # Errors
/// [`LinalgError::Dimension`] if `w` does not have one entry per row of `x`.
pub fn weighted_crossprod(x: &DMatrix<f64>, w: &[f64]) -> Result<DMatrix<f64>, LinalgError> {
    if x.nrows() != w.len() {
        return Err(dim_error("X'WX", x.nrows(), w.len()));
    }
    let mut xw = x.clone();
    for mut col in xw.column_iter_mut() {
        for (v, wi) in col.iter_mut().zip(w) {
            *v *= wi;
        }
    }
    Ok(xw.tr_mul(x))
}

/// Per-cluster column sums of `m` (n × k): a G × k matrix whose row g is `Σ_{i∈g} mᵢ`.
///
/// # Errors
/// [`LinalgError::Dimension`] if `clusters` does not cover the rows of `m`.
pub fn cluster_sums(m: &DMatrix<f64>, clusters: &Clusters) -> Result<DMatrix<f64>, LinalgError> {
    if m.nrows() != clusters.len() {
        return Err(dim_error("cluster sums", m.nrows(), clusters.len()));
    }
    let g = clusters.n_clusters();
    let mut out = DMatrix::zeros(g, m.ncols());
    for (j, col) in m.column_iter().enumerate() {
        let mut acc = vec![0.0; g];
        for (v, &c) in col.iter().zip(clusters.codes()) {
            acc[c] += v;
        }
        out.column_mut(j).copy_from_slice(&acc);
    }
    Ok(out)
}

/// Per-cluster sums of the weighted rows `xᵢ wᵢ` without forming the n × k product: row g of
/// the result is `s_g = Σ_{i∈g} xᵢ wᵢ` (for a sandwich meat, `wᵢ` is a residual or a score weight).
///
/// # Errors
/// [`LinalgError::Dimension`] if `w` or `clusters` do not have one entry per row of `x`.
pub fn weighted_cluster_sums(
    x: &DMatrix<f64>,
    w: &[f64],
    clusters: &Clusters,
) -> Result<DMatrix<f64>, LinalgError> {
    if x.nrows() != w.len() {
        return Err(dim_error("weighted cluster sums", x.nrows(), w.len()));
    }
    if x.nrows() != clusters.len() {
        return Err(dim_error(
            "weighted cluster sums",
            x.nrows(),
            clusters.len(),
        ));
    }
    let g = clusters.n_clusters();
    let mut out = DMatrix::zeros(g, x.ncols());
    let mut acc = vec![0.0; g];
    for (j, col) in x.column_iter().enumerate() {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for ((v, wi), &c) in col.iter().zip(w).zip(clusters.codes()) {
            acc[c] += v * wi;
        }
        out.column_mut(j).copy_from_slice(&acc);
    }
    Ok(out)
}

/// Per-cluster weighted cross-products `X_gᵀ W_g X_g` (one k × k matrix per cluster), from one
/// pass that gathers each cluster's rows.
///
/// # Formula
/// ```text
/// (X_gᵀW_gX_g)_jl = Σ_{i∈g} wᵢ x_ij x_il        (wᵢ = 1 when `w` is None)
/// ```
///
/// # Errors
/// [`LinalgError::Dimension`] if `w` or `clusters` do not have one entry per row of `x`.
pub fn cluster_crossprods(
    x: &DMatrix<f64>,
    w: Option<&[f64]>,
    clusters: &Clusters,
) -> Result<Vec<DMatrix<f64>>, LinalgError> {
    let (n, k) = x.shape();
    if n != clusters.len() {
        return Err(dim_error("cluster cross-products", n, clusters.len()));
    }
    if let Some(w) = w {
        if w.len() != n {
            return Err(dim_error("cluster cross-products", n, w.len()));
        }
    }
    let members = cluster_members(clusters);
    let mut out = Vec::with_capacity(members.len());
    for rows in &members {
        let xg = DMatrix::from_fn(rows.len(), k, |r, j| x[(rows[r], j)]);
        match w {
            None => out.push(xg.tr_mul(&xg)),
            Some(w) => {
                let wg: Vec<f64> = rows.iter().map(|&i| w[i]).collect();
                out.push(weighted_crossprod(&xg, &wg)?);
            }
        }
    }
    Ok(out)
}

/// The rows of each cluster, in row order (a counting sort of the codes).
pub fn cluster_members(clusters: &Clusters) -> Vec<Vec<usize>> {
    let mut members: Vec<Vec<usize>> = clusters
        .sizes()
        .iter()
        .map(|&s| Vec::with_capacity(s))
        .collect();
    for (i, &c) in clusters.codes().iter().enumerate() {
        members[c].push(i);
    }
    members
}

/// Condition number in the 2-norm, `σ_max / σ_min`, from the singular values.
///
/// Returns `f64::INFINITY` for a singular matrix (σ_min = 0) and 0 for an empty one.
pub fn condition_number(a: &DMatrix<f64>) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let sv = a.clone().singular_values();
    let max = sv.iter().copied().fold(0.0_f64, f64::max);
    let min = sv.iter().copied().fold(f64::INFINITY, f64::min);
    if min > 0.0 { max / min } else { f64::INFINITY }
}

/// Eigen-decomposition `A = V diag(λ) Vᵀ` of a symmetric matrix (lower triangle read), with the
/// eigenvalues in decreasing order.
///
/// # Errors
/// [`LinalgError::Dimension`] if `a` is not square, [`LinalgError::NonFinite`] for NaN or ∞.
pub fn sym_eigen(
    a: &DMatrix<f64>,
    what: &str,
) -> Result<(DVector<f64>, DMatrix<f64>), LinalgError> {
    if !a.is_square() {
        return Err(LinalgError::Dimension {
            operation: format!("eigen-decomposition of {what}"),
            detail: format!("{} × {} is not square", a.nrows(), a.ncols()),
        });
    }
    check_finite(what, a)?;
    let sym = DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| {
        if i >= j { a[(i, j)] } else { a[(j, i)] }
    });
    let eig = nalgebra::SymmetricEigen::new(sym);
    let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
    let values = DVector::from_iterator(order.len(), order.iter().map(|&i| eig.eigenvalues[i]));
    let mut vectors = DMatrix::zeros(a.nrows(), order.len());
    for (to, &from) in order.iter().enumerate() {
        vectors
            .column_mut(to)
            .copy_from(&eig.eigenvectors.column(from));
    }
    Ok((values, vectors))
}

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

    /// `A⁻¹`, for when the inverse itself is wanted (a covariance matrix).
    pub fn inverse(&self) -> DMatrix<f64> {
        self.chol.inverse()
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

fn dim_error(operation: &str, expected: usize, got: usize) -> LinalgError {
    LinalgError::Dimension {
        operation: operation.to_owned(),
        detail: format!("expected {expected} rows, got {got}"),
    }
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

/// Checks that `values` has `expected` entries, naming both in the error.
///
/// # Errors
/// [`InputError::Length`] if the lengths differ.
pub fn check_len(
    field: &str,
    values: usize,
    reference: &str,
    expected: usize,
) -> Result<(), InputError> {
    if values == expected {
        Ok(())
    } else {
        Err(InputError::Length {
            field: field.to_owned(),
            got: values,
            reference: reference.to_owned(),
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tol;

    fn design() -> (DMatrix<f64>, DVector<f64>) {
        // 6 × 3 with a known least-squares solution.
        let x = DMatrix::from_row_slice(
            6,
            3,
            &[
                1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0, 3.0, 5.0, 1.0, 4.0, 3.0, 1.0, 5.0, 8.0, 1.0,
                6.0, 4.0,
            ],
        );
        let y = DVector::from_row_slice(&[3.1, 2.9, 6.2, 5.8, 9.9, 7.1]);
        (x, y)
    }

    #[test]
    fn qr_least_squares_solves_normal_equations() {
        let (x, y) = design();
        let qr = Qr::new(&x).unwrap();
        assert_eq!(qr.rank(), 3);
        let ls = qr.least_squares(&y).unwrap();
        let beta = DVector::from_iterator(3, ls.coefficients.iter().map(|b| b.unwrap()));
        // Normal equations solved independently by Cholesky.
        let xtx = crossprod(&x);
        let xty = crossprod_vec(&x, &y).unwrap();
        let b2 = Spd::new(xtx.clone(), "X'X").unwrap().solve(&xty).unwrap();
        Tol::rel(1e-12)
            .check_slice("beta", beta.as_slice(), b2.as_slice())
            .unwrap();
        // X'e = 0 and the residuals match y − Xβ.
        let e = &y - &x * &beta;
        Tol::abs(1e-12)
            .check_slice("residuals", ls.residuals.as_slice(), e.as_slice())
            .unwrap();
        Tol::rel(1e-12).check("rss", ls.rss, e.dot(&e)).unwrap();
        let xtxi = qr.xtx_inverse();
        Tol::abs(1e-12)
            .check_slice(
                "inverse",
                (xtx * xtxi).as_slice(),
                DMatrix::<f64>::identity(3, 3).as_slice(),
            )
            .unwrap();
    }

    #[test]
    fn aliased_columns_are_named_as_r_does() {
        // Column 2 (0-based) = col 0 + col 1: R's lm gives NA for it, the later column.
        let (x, y) = design();
        let mut x4 = DMatrix::zeros(6, 4);
        x4.columns_mut(0, 2).copy_from(&x.columns(0, 2));
        let combo = x.column(0) + x.column(1);
        x4.column_mut(2).copy_from(&combo);
        x4.column_mut(3).copy_from(&x.column(2));
        let qr = Qr::new(&x4).unwrap();
        assert_eq!(qr.rank(), 3);
        assert_eq!(qr.aliased(), vec![2]);
        assert_eq!(qr.accepted(), &[0, 1, 3]);
        let names: Vec<String> = ["(Intercept)", "x", "x_plus_1", "z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let err = qr.require_full_rank(&names).unwrap_err();
        assert_eq!(
            err,
            LinalgError::Aliased {
                columns: vec!["x_plus_1".into()],
                rank: 3,
                ncol: 4
            }
        );
        // The fit on the accepted columns equals the fit without the aliased column.
        let ls = qr.least_squares(&y).unwrap();
        assert!(ls.coefficients[2].is_none());
        let full = Qr::new(&x).unwrap().least_squares(&y).unwrap();
        let got = [
            ls.coefficients[0].unwrap(),
            ls.coefficients[1].unwrap(),
            ls.coefficients[3].unwrap(),
        ];
        let want: Vec<f64> = full.coefficients.iter().map(|b| b.unwrap()).collect();
        Tol::rel(1e-10).check_slice("beta", &got, &want).unwrap();
    }

    #[test]
    fn zero_column_is_aliased() {
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        let qr = Qr::new(&x).unwrap();
        assert_eq!(qr.rank(), 1);
        assert_eq!(qr.aliased(), vec![1]);
    }

    #[test]
    fn nan_is_rejected() {
        let x = DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, 1.0, 2.0]);
        assert_eq!(
            Qr::new(&x).unwrap_err(),
            LinalgError::NonFinite {
                what: "X".into(),
                row: 0,
                col: 1
            }
        );
    }

    #[test]
    fn cholesky_ln_det_and_failure() {
        let a = DMatrix::from_row_slice(2, 2, &[4.0, 2.0, 2.0, 3.0]);
        let spd = Spd::new(a.clone(), "A").unwrap();
        Tol::rel(1e-14)
            .check("ln det", spd.ln_det(), 8.0_f64.ln())
            .unwrap();
        Tol::rel(1e-14)
            .check("ln det fn", ln_det_spd(&a).unwrap(), 8.0_f64.ln())
            .unwrap();
        let b = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        assert_eq!(
            Spd::new(b, "X'WX").unwrap_err(),
            LinalgError::NotPositiveDefinite {
                what: "X'WX".into(),
                dim: 2
            }
        );
    }

    #[test]
    fn symmetric_eigen_reconstructs() {
        let a = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0]);
        let (l, v) = sym_eigen(&a, "A").unwrap();
        assert!(l[0] >= l[1] && l[1] >= l[2]);
        let back = &v * DMatrix::from_diagonal(&l) * v.transpose();
        Tol::abs(1e-13)
            .check_slice("A", back.as_slice(), a.as_slice())
            .unwrap();
    }

    #[test]
    fn condition_number_of_diagonal() {
        let a = DMatrix::from_diagonal(&DVector::from_row_slice(&[10.0, 0.5, 2.0]));
        Tol::rel(1e-14)
            .check("kappa", condition_number(&a), 20.0)
            .unwrap();
        let s = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
        assert!(condition_number(&s) > 1e15);
    }

    #[test]
    fn weighted_crossprod_and_cluster_sums() {
        let (x, _) = design();
        let w = [1.0, 2.0, 0.5, 1.5, 3.0, 0.25];
        let got = weighted_crossprod(&x, &w).unwrap();
        let want = x.transpose() * DMatrix::from_diagonal(&DVector::from_row_slice(&w)) * &x;
        Tol::rel(1e-14)
            .check_slice("X'WX", got.as_slice(), want.as_slice())
            .unwrap();
        let cl = Clusters::from_labels("g", &[1, 1, 2, 2, 2, 3]).unwrap();
        let s = weighted_cluster_sums(&x, &w, &cl).unwrap();
        let mut xw = x.clone();
        for (i, wi) in w.iter().enumerate() {
            xw.row_mut(i).scale_mut(*wi);
        }
        let s2 = cluster_sums(&xw, &cl).unwrap();
        Tol::rel(1e-14)
            .check_slice("cluster sums", s.as_slice(), s2.as_slice())
            .unwrap();
        Tol::rel(1e-14)
            .check("s[1,1]", s[(1, 1)], 0.5 * 3.0 + 1.5 * 4.0 + 3.0 * 5.0)
            .unwrap();
        assert!(weighted_crossprod(&x, &w[..5]).is_err());
    }
}
