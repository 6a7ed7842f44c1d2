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
///
/// Computed in place on X (no copy) by the symmetric kernel of the `kernels` module: the upper
/// triangle in register tiles, then mirrored.
pub fn crossprod(x: &DMatrix<f64>) -> DMatrix<f64> {
    let (n, k) = x.shape();
    let mut c = DMatrix::zeros(k, k);
    if n == 0 || k == 0 {
        return c;
    }
    syrk_acc(&mut c, x.as_slice(), n, n);
    mirror(&mut c);
    c
}

/// `C += AᵀB` (upper triangle; see [`crate::kernels::gram_upper`]) for m × k column-major blocks
/// A and B stored in `a` and `b` with column strides `a_cs` and `b_cs` (A[i, j] = a[i + j·a_cs]),
/// where AᵀB is known to be symmetric (A = X and B = WX). Call [`mirror`] when done.
fn gram_acc(c: &mut DMatrix<f64>, a: &[f64], a_cs: usize, b: &[f64], b_cs: usize, m: usize) {
    let k = c.nrows();
    crate::kernels::gram_upper(c.as_mut_slice(), k, a, a_cs, b, b_cs, m);
}

/// `C += BᵀB` for one m × k column-major block (see [`gram_acc`]).
fn syrk_acc(c: &mut DMatrix<f64>, data: &[f64], m: usize, cstride: usize) {
    gram_acc(c, data, cstride, data, cstride, m);
}

/// Completes a matrix accumulated by [`gram_acc`] (upper triangle copied to the lower).
fn mirror(c: &mut DMatrix<f64>) {
    let k = c.nrows();
    crate::kernels::mirror_upper(c.as_mut_slice(), k);
}

/// Average rows per cluster in one block of [`cluster_crossprods_with`].
const ROWS_PER_CLUSTER: usize = 128;

/// Rows per block in the one-pass kernels: a block of 4096 rows × k columns (k ≤ 32) stays in
/// the L2 cache while it is used twice.
pub const BLOCK_ROWS: usize = 4096;

/// `XᵀX` and `Xᵀy` in one pass over X: each block of rows feeds a BLAS-3 update of XᵀX and, while
/// it is still in cache, the dot products of Xᵀy.
///
/// # Errors
/// [`LinalgError::Dimension`] if `y` does not have one entry per row of `x`.
pub fn crossprod_with(
    x: &DMatrix<f64>,
    y: &[f64],
) -> Result<(DMatrix<f64>, DVector<f64>), LinalgError> {
    let (n, k) = x.shape();
    if y.len() != n {
        return Err(dim_error("X'X and X'y", n, y.len()));
    }
    let mut c = DMatrix::zeros(k, k);
    let mut xty = DVector::zeros(k);
    if n == 0 || k == 0 {
        return Ok((c, xty));
    }
    let data = x.as_slice();
    let mut i0 = 0;
    while i0 < n {
        let m = BLOCK_ROWS.min(n - i0);
        crate::kernels::gram_upper_with_y(
            c.as_mut_slice(),
            k,
            &data[i0..],
            n,
            m,
            &y[i0..i0 + m],
            xty.as_mut_slice(),
        );
        i0 += m;
    }
    mirror(&mut c);
    Ok((c, xty))
}

/// Dot product `Σᵢ aᵢbᵢ` over the common length, with independent vector accumulators summed
/// pairwise at the end (vectorised for the processor at hand; see the `kernels` module).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    crate::kernels::dot_fast(a, b)
}

/// `e = y − Xβ` and `eᵀe` in one blocked pass over X.
///
/// # Errors
/// [`LinalgError::Dimension`] if the shapes do not fit.
pub fn residuals(
    x: &DMatrix<f64>,
    y: &[f64],
    beta: &DVector<f64>,
) -> Result<(DVector<f64>, f64), LinalgError> {
    let (n, k) = x.shape();
    if y.len() != n || beta.len() != k {
        return Err(dim_error("residuals", n, y.len()));
    }
    Ok(residuals_of(x, y, beta))
}

/// The kernel of [`residuals`] for callers that have checked the shapes (y of length n, β of
/// length k): it never panics, and with other lengths it uses the common prefix.
pub fn residuals_of(x: &DMatrix<f64>, y: &[f64], beta: &DVector<f64>) -> (DVector<f64>, f64) {
    let (stride, k) = x.shape();
    let n = stride.min(y.len());
    let mut e = DVector::from_column_slice(&y[..n]);
    let data = x.as_slice();
    let mut i0 = 0;
    while i0 < n {
        let m = BLOCK_ROWS.min(n - i0);
        let eb = &mut e.as_mut_slice()[i0..i0 + m];
        for (j, b) in beta.iter().take(k).enumerate() {
            let col = &data[j * stride + i0..j * stride + i0 + m];
            eb.iter_mut().zip(col).for_each(|(ei, v)| *ei -= b * v);
        }
        i0 += m;
    }
    let rss = blocked_sum_sq(e.as_slice());
    (e, rss)
}

/// One blocked pass of a generalized linear model's Newton step: for each block of rows the
/// linear predictor η = Xβ is formed, `rows(i0, η_block, w_block, r_block)` fills the working
/// weights w and score residuals r of those rows and returns their contribution to the objective,
/// and `XᵀWX` (when `hessian`) and `Xᵀr` are accumulated while the block is in cache.
///
/// Returns (Σ objective, Xᵀr, XᵀWX or an empty matrix).
///
/// # Errors
/// [`LinalgError::Dimension`] if β does not have one entry per column of X.
pub fn glm_pass<F>(
    x: &DMatrix<f64>,
    beta: &DVector<f64>,
    hessian: bool,
    mut rows: F,
) -> Result<(f64, DVector<f64>, DMatrix<f64>), LinalgError>
where
    F: FnMut(usize, &[f64], &mut [f64], &mut [f64]) -> f64,
{
    let (n, k) = x.shape();
    if beta.len() != k {
        return Err(dim_error("linear predictor", k, beta.len()));
    }
    let data = x.as_slice();
    let block = BLOCK_ROWS.min(n.max(1));
    let mut eta = vec![0.0; block];
    let mut w = vec![0.0; block];
    let mut r = vec![0.0; block];
    let mut scaled = vec![0.0; if hessian { block * k } else { 0 }];
    let mut grad = DVector::zeros(k);
    let mut h = DMatrix::zeros(if hessian { k } else { 0 }, if hessian { k } else { 0 });
    let mut value = 0.0;
    // The block's column slices (one allocation per pass, not per block).
    let mut cols: Vec<&[f64]> = Vec::with_capacity(k);
    let mut i0 = 0;
    while i0 < n {
        let m = block.min(n - i0);
        let eb = &mut eta[..m];
        cols.clear();
        cols.extend((0..k).map(|j| &data[j * n + i0..j * n + i0 + m]));
        crate::kernels::lincomb(eb, &cols, beta.as_slice());
        value += rows(i0, eb, &mut w[..m], &mut r[..m]);
        for (j, col) in cols.iter().enumerate() {
            grad[j] += dot(col, &r[..m]);
        }
        if hessian {
            for (j, col) in cols.iter().enumerate() {
                crate::kernels::mul_into(&mut scaled[j * m..(j + 1) * m], col, &w[..m]);
            }
            gram_acc(&mut h, &data[i0..], n, &scaled, m, m);
        }
        i0 += m;
    }
    mirror(&mut h);
    Ok((value, grad, h))
}

/// The linear predictor `η = Xβ`, in blocks of rows (four columns per sweep over each block; the
/// same kernel as [`glm_pass`]).
///
/// # Errors
/// [`LinalgError::Dimension`] if β does not have one entry per column of X.
pub fn matvec(x: &DMatrix<f64>, beta: &DVector<f64>) -> Result<Vec<f64>, LinalgError> {
    let (n, k) = x.shape();
    if beta.len() != k {
        return Err(dim_error("linear predictor", k, beta.len()));
    }
    let data = x.as_slice();
    let mut eta = vec![0.0; n];
    let mut cols: Vec<&[f64]> = Vec::with_capacity(k);
    let mut i0 = 0;
    while i0 < n {
        let m = BLOCK_ROWS.min(n - i0);
        cols.clear();
        cols.extend((0..k).map(|j| &data[j * n + i0..j * n + i0 + m]));
        crate::kernels::lincomb(&mut eta[i0..i0 + m], &cols, beta.as_slice());
        i0 += m;
    }
    Ok(eta)
}

/// `e = y − Xβ`, `eᵀe` and the per-cluster score sums `s_g = Σ_{i∈g} xᵢeᵢ` (G × k) in one
/// blocked pass over X: what a cluster-robust covariance of OLS needs, at the cost of reading X
/// once.
///
/// # Errors
/// [`LinalgError::Dimension`] if the shapes do not fit.
pub fn residuals_and_cluster_scores(
    x: &DMatrix<f64>,
    y: &[f64],
    beta: &DVector<f64>,
    clusters: &Clusters,
) -> Result<(DVector<f64>, f64, DMatrix<f64>), LinalgError> {
    let (n, k) = x.shape();
    if y.len() != n || beta.len() != k || clusters.len() != n {
        return Err(dim_error(
            "residuals and cluster scores",
            n,
            y.len().min(clusters.len()),
        ));
    }
    let g = clusters.n_clusters();
    let mut e = DVector::zeros(n);
    let mut acc = vec![0.0; g * k];
    crate::kernels::residual_row_sums(
        &mut acc,
        g,
        k,
        x.as_slice(),
        n,
        y,
        beta.as_slice(),
        clusters.codes(),
        e.as_mut_slice(),
    );
    let rss = blocked_sum_sq(e.as_slice());
    Ok((e, rss, DMatrix::from_row_slice(g, k, &acc)))
}

/// `Σ eᵢ²` summed block by block (BLOCK_ROWS rows), as [`residuals_of`] sums it.
fn blocked_sum_sq(e: &[f64]) -> f64 {
    e.chunks(BLOCK_ROWS).map(|b| dot(b, b)).sum()
}

/// The cross-product `Xᵀy` (length k).
///
/// # Errors
/// [`LinalgError::Dimension`] if `y` does not have one entry per row of `x`.
pub fn crossprod_vec(x: &DMatrix<f64>, y: &DVector<f64>) -> Result<DVector<f64>, LinalgError> {
    if x.nrows() != y.len() {
        return Err(dim_error("X'y", x.nrows(), y.len()));
    }
    let n = x.nrows();
    let data = x.as_slice();
    Ok(DVector::from_iterator(
        x.ncols(),
        (0..x.ncols()).map(|j| dot(&data[j * n..(j + 1) * n], y.as_slice())),
    ))
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
    let (n, k) = x.shape();
    if n != w.len() {
        return Err(dim_error("X'WX", n, w.len()));
    }
    let mut c = DMatrix::zeros(k, k);
    if n == 0 || k == 0 {
        return Ok(c);
    }
    // Block by rows: scale a cached block by w, then one BLAS-3 update (no n × k copy).
    let data = x.as_slice();
    let mut scaled = DMatrix::zeros(BLOCK_ROWS.min(n), k);
    let mut i0 = 0;
    while i0 < n {
        let m = BLOCK_ROWS.min(n - i0);
        if m != scaled.nrows() {
            scaled = DMatrix::zeros(m, k);
        }
        for (j, col) in scaled.as_mut_slice().chunks_exact_mut(m).enumerate() {
            crate::kernels::mul_into(col, &data[j * n + i0..j * n + i0 + m], &w[i0..i0 + m]);
        }
        gram_acc(&mut c, &data[i0..], n, scaled.as_slice(), m, m);
        i0 += m;
    }
    mirror(&mut c);
    Ok(c)
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
/// One pass over X, four columns of a vector of rows at a time, transposed in registers so that
/// each row's entries update its cluster's sums with one vector multiply–add; the sums are added
/// in the same order as in [`residuals_and_cluster_scores`], so both give the same bits.
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
    let (n, k) = x.shape();
    let g = clusters.n_clusters();
    // Row-major G × k accumulator.
    let mut acc = vec![0.0; g * k];
    crate::kernels::cluster_row_sums(&mut acc, g, k, x.as_slice(), n, w, clusters.codes());
    Ok(DMatrix::from_row_slice(g, k, &acc))
}

/// Per-cluster cross-products of a row-scaled design, `(DX)_gᵀ(DX)_g = Σ_{i∈g} dᵢ² xᵢxᵢᵀ` with
/// D = diag(`scale`) (D = I when `scale` is None): one k × k matrix per cluster.
///
/// One sequential pass over X in blocks of rows; within a block the rows are counting-sorted by
/// cluster into a cached buffer and each cluster's segment feeds a BLAS-3 update. The block
/// holds 128 rows per cluster on average (within 4096 to 2¹⁸ rows), so that segments are long
/// enough for the register tiles.
///
/// # Errors
/// [`LinalgError::Dimension`] if `scale` or `clusters` do not have one entry per row of `x`.
pub fn cluster_crossprods(
    x: &DMatrix<f64>,
    scale: Option<&[f64]>,
    clusters: &Clusters,
) -> Result<Vec<DMatrix<f64>>, LinalgError> {
    cluster_crossprods_with(x, None, scale, clusters)
}

/// As [`cluster_crossprods`] for the augmented design `[X y]` when `y` is given: each cluster's
/// (k+1) × (k+1) matrix holds `X_gᵀX_g`, `X_gᵀy_g` (last column) and `y_gᵀy_g` (corner) — the
/// sufficient statistics of least squares and of every cluster-robust covariance, from one pass.
///
/// # Errors
/// [`LinalgError::Dimension`] if `y`, `scale` or `clusters` do not have one entry per row of `x`.
pub fn cluster_crossprods_with(
    x: &DMatrix<f64>,
    y: Option<&[f64]>,
    scale: Option<&[f64]>,
    clusters: &Clusters,
) -> Result<Vec<DMatrix<f64>>, LinalgError> {
    let (n, kx) = x.shape();
    if n != clusters.len() {
        return Err(dim_error("cluster cross-products", n, clusters.len()));
    }
    for v in [scale, y].into_iter().flatten() {
        if v.len() != n {
            return Err(dim_error("cluster cross-products", n, v.len()));
        }
    }
    let k = kx + usize::from(y.is_some());
    let g = clusters.n_clusters();
    let mut out = vec![DMatrix::zeros(k, k); g];
    if n == 0 || k == 0 {
        return Ok(out);
    }
    let block = (ROWS_PER_CLUSTER * g).clamp(BLOCK_ROWS, 1 << 18).min(n);
    // The block's rows, counting-sorted by cluster into a row-major panel (rows kp ≥ k wide,
    // the extra columns zero). The buffer starts on a 64-byte boundary, so that (kp being a
    // multiple of the vector width) no vector load straddles two cache lines.
    let kp = crate::kernels::row_panel_width(k);
    let mut storage = vec![0.0; block * kp + 8];
    let off = match storage.as_ptr().align_offset(64) {
        o if o < 8 => o,
        _ => 0,
    };
    let buf = &mut storage[off..off + block * kp];
    let mut counts = vec![0usize; g];
    let mut starts = vec![0usize; g + 1];
    // Destination row of each row of the block (u32: half the traffic of usize).
    let mut order = vec![0u32; block];
    // The block's source columns, allocated once.
    let mut cols: Vec<&[f64]> = Vec::with_capacity(k);
    let data = x.as_slice();
    let codes = clusters.codes();
    let mut i0 = 0;
    while i0 < n {
        let m = block.min(n - i0);
        counts.iter_mut().for_each(|v| *v = 0);
        for &c in &codes[i0..i0 + m] {
            counts[c] += 1;
        }
        for c in 0..g {
            starts[c + 1] = starts[c] + counts[c];
        }
        let mut pos = starts.clone();
        for (r, &c) in codes[i0..i0 + m].iter().enumerate() {
            // pos[c] < block ≤ 2¹⁸.
            order[r] = pos[c] as u32;
            pos[c] += 1;
        }
        let order = &order[..m];
        cols.clear();
        cols.extend((0..k).map(|j| {
            if j < kx {
                &data[j * n + i0..j * n + i0 + m]
            } else {
                &y.unwrap_or(&[])[i0..i0 + m]
            }
        }));
        let panel = &mut buf[..m * kp];
        crate::kernels::scatter_rows(panel, kp, &cols, order);
        if let Some(s) = scale {
            for (&p, f) in order.iter().zip(&s[i0..i0 + m]) {
                let at = p as usize * kp;
                panel[at..at + k].iter_mut().for_each(|v| *v *= f);
            }
        }
        for (c, acc) in out.iter_mut().enumerate() {
            let (s0, s1) = (starts[c], starts[c + 1]);
            if s1 > s0 {
                crate::kernels::gram_rows(acc.as_mut_slice(), k, &panel[s0 * kp..s1 * kp], kp);
            }
        }
        i0 += m;
    }
    out.iter_mut()
        .for_each(|c| crate::kernels::mirror_lower(c.as_mut_slice(), k));
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

/// Checks that a response has one finite value per row of the design X.
///
/// # Errors
/// [`InputError::Length`] naming `field` and `X`; [`InputError::NonFinite`] naming the first NaN
/// or infinite value of `y` (field `field`) or of X (field `X column j`, 1-based).
pub fn check_data(
    field: &str,
    y_len: usize,
    y: impl Iterator<Item = f64>,
    x: &DMatrix<f64>,
) -> Result<(), InputError> {
    if y_len != x.nrows() {
        return Err(InputError::Length {
            field: field.to_owned(),
            got: y_len,
            reference: "X".into(),
            expected: x.nrows(),
        });
    }
    for (row, v) in y.enumerate() {
        if !v.is_finite() {
            return Err(InputError::NonFinite {
                field: field.to_owned(),
                row,
                value: v,
            });
        }
    }
    let n = x.nrows().max(1);
    if let Some(pos) = x.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(InputError::NonFinite {
            field: format!("X column {}", pos / n + 1),
            row: pos % n,
            value: x.as_slice()[pos],
        });
    }
    Ok(())
}

/// The total sum of squares of `y`: about its mean when `centred` (a model with an intercept),
/// about 0 otherwise (as R's `summary.lm`). Two vectorised passes (the mean, then the squared
/// deviations from it), so that a large mean does not cancel digits.
///
/// # Formula
/// ```text
/// TSS = Σᵢ (yᵢ − ȳ)²   (centred)        TSS = Σᵢ yᵢ²   (not centred)
/// ```
pub fn total_sum_of_squares(y: &[f64], centred: bool) -> f64 {
    if !centred {
        return dot(y, y);
    }
    if y.is_empty() {
        return 0.0;
    }
    let (sum, _) = crate::kernels::sum_and_sum_sq_dev(y, 0.0);
    crate::kernels::sum_and_sum_sq_dev(y, sum / y.len() as f64).1
}

/// The range of `v` among the rows with `y` > ½ (y = 1 of a 0/1 outcome) and among the others, and its sum, in one
/// vectorised pass with no branches: `[max, min]` of the first class, `[max, min]` of the second
/// (−∞, +∞ for an empty class) and `Σ v` (non-finite when some value is). Used to detect
/// separation in binary models.
pub fn class_ranges(v: &[f64], y: &[f64]) -> [f64; 5] {
    crate::kernels::class_ranges(v, y)
}

/// The error to report when cross-products of X and y came out non-finite: the first NaN or
/// infinite value of `y` (field `field`) or of X as [`check_data`] names it, or, when every value
/// is finite, [`InputError::OutOfRange`] for values so large that their squares overflow.
///
/// Estimators that read the data in one pass check the *result* of that pass (a NaN or an
/// infinity anywhere in X or y makes a diagonal entry of XᵀX, or Xᵀy, non-finite) and call this
/// only then, instead of reading the data a second time up front.
pub fn non_finite_error(field: &str, y: &[f64], x: &DMatrix<f64>) -> InputError {
    match check_data(field, y.len(), y.iter().copied(), x) {
        Err(e) => e,
        Ok(()) => InputError::OutOfRange {
            field: "X'X".into(),
            value: f64::INFINITY,
            expected:
                "data whose squares and cross-products are finite (|values| below about 1e154)"
                    .into(),
        },
    }
}

/// One name per column of X, as owned strings.
///
/// # Errors
/// [`InputError::Length`] if there is not one name per column.
pub fn column_names<S: AsRef<str>>(
    names: &[S],
    x: &DMatrix<f64>,
) -> Result<Vec<String>, InputError> {
    if names.len() != x.ncols() {
        return Err(InputError::Length {
            field: "names".into(),
            got: names.len(),
            reference: "columns of X".into(),
            expected: x.ncols(),
        });
    }
    Ok(names.iter().map(|s| s.as_ref().to_owned()).collect())
}

/// The column-equilibrated matrix `D A D` with `D = diag(1/√A_jj)` and its 2-norm condition
/// number (ratio of extreme eigenvalues), for a symmetric positive semi-definite `A` such as XᵀX:
/// `None` when a diagonal entry is not positive or the eigenvalues cannot be computed. The square
/// root of the condition number is that of the column-scaled X (van der Sluis 1969: within a
/// factor √k of the best column scaling).
pub fn equilibrated(a: &DMatrix<f64>) -> Option<(DMatrix<f64>, Vec<f64>, f64)> {
    let (scaled, d) = equilibrate(a)?;
    // The two extreme eigenvalues only.
    let (lmin, lmax) = extreme_eigenvalues(&scaled)?;
    let kappa = if lmin > 0.0 {
        lmax / lmin
    } else {
        f64::INFINITY
    };
    Some((scaled, d, kappa))
}

/// The column-equilibrated matrix `D A D` with `D = diag(1/√A_jj)`, and D's diagonal, for a
/// symmetric positive semi-definite `A` (see [`equilibrated`], which adds the condition number):
/// `None` when `A` is not square, a diagonal entry is not positive or an entry is not finite.
pub fn equilibrate(a: &DMatrix<f64>) -> Option<(DMatrix<f64>, Vec<f64>)> {
    if !a.is_square() {
        return None;
    }
    let k = a.nrows();
    let d: Vec<f64> = a
        .diagonal()
        .iter()
        .map(|&v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 })
        .collect();
    if k == 0 || d.iter().any(|&v| v <= 0.0) {
        return None;
    }
    let scaled = scale_symmetric(a, &d).ok()?;
    if scaled.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some((scaled, d))
}

/// `D A D` for a square `a` and D = diag(`d`): entry (i, j) is `(A_ij·d_i)·d_j`, formed column
/// by column.
///
/// # Errors
/// [`LinalgError::Dimension`] if `a` is not square or `d` does not have one entry per row.
pub fn scale_symmetric(a: &DMatrix<f64>, d: &[f64]) -> Result<DMatrix<f64>, LinalgError> {
    let k = a.nrows();
    if !a.is_square() || d.len() != k {
        return Err(LinalgError::Dimension {
            operation: "D A D".into(),
            detail: format!(
                "A is {} × {} and D has {} entries; need a square A with one entry of D per row",
                a.nrows(),
                a.ncols(),
                d.len()
            ),
        });
    }
    let mut out = a.clone();
    if k == 0 {
        return Ok(out);
    }
    for (col, dj) in out.as_mut_slice().chunks_exact_mut(k).zip(d) {
        for (v, di) in col.iter_mut().zip(d) {
            *v = *v * di * dj;
        }
    }
    Ok(out)
}

/// The smallest and largest eigenvalues of a symmetric matrix (lower triangle read): Householder
/// reduction to tridiagonal form, then bisection on Sturm sequence counts for the two extremes
/// only (Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, Algorithm 8.3.1 and §8.4.1).
/// Each is found to within a few units of ε·‖A‖, the accuracy of a full symmetric eigensolver;
/// `None` for an empty or non-finite matrix.
pub fn extreme_eigenvalues(a: &DMatrix<f64>) -> Option<(f64, f64)> {
    let k = a.nrows();
    if k == 0 || !a.is_square() || a.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // Full symmetric copy from the lower triangle, column-major.
    let mut m = vec![0.0; k * k];
    for j in 0..k {
        for i in j..k {
            m[i + j * k] = a[(i, j)];
            m[j + i * k] = a[(i, j)];
        }
    }
    let mut d = vec![0.0; k];
    let mut e = vec![0.0; k.saturating_sub(1)];
    let mut v = vec![0.0; k];
    let mut p = vec![0.0; k];
    for j in 0..k.saturating_sub(2) {
        // Reflect a[j+1.., j] onto a multiple of the first unit vector.
        let x = &m[j * k + j + 1..(j + 1) * k];
        let norm = x.iter().map(|t| t * t).sum::<f64>().sqrt();
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let r = k - j - 1;
        let v = &mut v[..r];
        v.copy_from_slice(x);
        v[0] -= alpha;
        let vtv: f64 = v.iter().map(|t| t * t).sum();
        if vtv <= 0.0 || norm <= 0.0 {
            e[j] = m[j * k + j + 1];
            continue;
        }
        e[j] = alpha;
        let beta = 2.0 / vtv;
        // p = β A22 v, w = p − (β pᵀv / 2) v, A22 −= v wᵀ + w vᵀ.
        let p = &mut p[..r];
        for (c, pc) in p.iter_mut().enumerate() {
            let col = &m[(j + 1 + c) * k + j + 1..(j + 2 + c) * k];
            *pc = beta * dot_small(col, v);
        }
        let kk = 0.5 * beta * dot_small(p, v);
        for (pc, vc) in p.iter_mut().zip(v.iter()) {
            *pc -= kk * vc;
        }
        for c in 0..r {
            let (vc, wc) = (v[c], p[c]);
            let col = &mut m[(j + 1 + c) * k + j + 1..(j + 2 + c) * k];
            for ((t, &vr), &wr) in col.iter_mut().zip(v.iter()).zip(p.iter()) {
                *t -= vr * wc + wr * vc;
            }
        }
    }
    for (i, di) in d.iter_mut().enumerate() {
        *di = m[i + i * k];
    }
    if k >= 2 {
        e[k - 2] = m[(k - 2) * k + k - 1];
    }
    // Gershgorin interval, then bisection on the number of eigenvalues below x.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..k {
        let r = if i > 0 { e[i - 1].abs() } else { 0.0 } + e.get(i).map_or(0.0, |t| t.abs());
        lo = lo.min(d[i] - r);
        hi = hi.max(d[i] + r);
    }
    let scale = lo.abs().max(hi.abs());
    let e2: Vec<f64> = e.iter().map(|t| t * t).collect();
    let pivmin = f64::MIN_POSITIVE * e2.iter().fold(1.0f64, |acc, &t| acc.max(t));
    // Multisection: each sweep counts the eigenvalues below four interior points of each of the
    // two brackets at once (eight independent Sturm recurrences, which hides the latency of the
    // divisions), and each bracket shrinks five-fold.
    const P: usize = 4;
    let below = |xs: &[f64; 2 * P]| {
        let mut q = [0.0; 2 * P];
        let mut count = [0usize; 2 * P];
        for i in 0..k {
            for t in 0..2 * P {
                let v = if i == 0 {
                    d[0] - xs[t]
                } else {
                    d[i] - xs[t] - e2[i - 1] / q[t]
                };
                q[t] = if v.abs() < pivmin { -pivmin } else { v };
                count[t] += usize::from(q[t] < 0.0);
            }
        }
        count
    };
    // Brackets [a, b] of λmin (the smallest x with one eigenvalue below) and of λmax (the
    // smallest x with all k below).
    let mut br = [(lo, hi), (lo, hi)];
    let targets = [1, k];
    let tol = 4.0 * f64::EPSILON * scale;
    // A bracket is done when it is within the tolerance or can no longer shrink in floating
    // point.
    let mut done = [false; 2];
    for _ in 0..100 {
        for (d, &(a, b)) in done.iter_mut().zip(&br) {
            *d |= b - a <= tol;
        }
        if done.iter().all(|&d| d) {
            break;
        }
        let mut xs = [0.0; 2 * P];
        for (s, &(a, b)) in br.iter().enumerate() {
            for t in 0..P {
                xs[s * P + t] = a + (b - a) * (t + 1) as f64 / (P + 1) as f64;
            }
        }
        let count = below(&xs);
        for (s, (a, b)) in br.iter_mut().enumerate() {
            if done[s] {
                continue;
            }
            let first = (0..P).find(|&t| count[s * P + t] >= targets[s]);
            let (na, nb) = match first {
                Some(0) => (*a, xs[s * P]),
                Some(t) => (xs[s * P + t - 1], xs[s * P + t]),
                None => (xs[s * P + P - 1], *b),
            };
            if nb - na >= *b - *a {
                done[s] = true;
                continue;
            }
            *a = na;
            *b = nb;
        }
    }
    Some((0.5 * (br[0].0 + br[0].1), 0.5 * (br[1].0 + br[1].1)))
}

/// Dot product for short slices (the small dense routines).
fn dot_small(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Checks that X has full column rank, naming the aliased columns if not.
///
/// Fast path: the column-equilibrated XᵀX (one BLAS-3 pass) with condition number below 10¹²
/// proves full rank (κ(X) < 10⁶, far from R's aliasing tolerance of 10⁻⁷). Otherwise the Householder
/// QR with R's rule decides and names the aliased columns.
///
/// # Errors
/// [`LinalgError::Aliased`] naming the aliased columns; [`LinalgError::NonFinite`].
pub fn check_full_rank(x: &DMatrix<f64>, names: &[String]) -> Result<(), LinalgError> {
    if matches!(equilibrated(&crossprod(x)), Some((_, _, kappa)) if kappa < 1e12) {
        return Ok(());
    }
    Qr::new(x)?.require_full_rank(names)
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

    /// A deterministic n × k design with an intercept, for the blocked kernels.
    fn wide(n: usize, k: usize) -> (DMatrix<f64>, Vec<f64>, Clusters) {
        let mut state = 99u64;
        let mut u =
            || (crate::rng::splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let x = DMatrix::from_fn(n, k, |_, j| if j == 0 { 1.0 } else { u() });
        let y: Vec<f64> = (0..n).map(|_| u()).collect();
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + i / 3) % 13).collect();
        (x, y, Clusters::from_labels("g", &labels).unwrap())
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn scale_symmetric_scales_rows_and_columns_and_refuses_bad_shapes() {
        let a = DMatrix::from_row_slice(2, 2, &[4.0, 2.0, 2.0, 9.0]);
        let d = [0.5, 1.0 / 3.0];
        let s = scale_symmetric(&a, &d).unwrap();
        for i in 0..2 {
            for j in 0..2 {
                assert_eq!(s[(i, j)], a[(i, j)] * d[i] * d[j]);
            }
        }
        assert!(matches!(
            scale_symmetric(&a, &d[..1]),
            Err(LinalgError::Dimension { .. })
        ));
        let wide = DMatrix::from_element(2, 3, 1.0);
        assert!(scale_symmetric(&wide, &d).is_err());
        assert!(equilibrate(&wide).is_none());
    }

    #[test]
    fn blocked_kernels_match_naive_algebra() {
        // Sizes cover the dot-product path (k ≤ 5), the BLAS-3 path, and several row blocks.
        for (n, k) in [(7, 2), (300, 4), (9_001, 8), (5_000, 12)] {
            let (x, y, cl) = wide(n, k);
            let yv = DVector::from_column_slice(&y);
            let xtx = x.transpose() * &x;
            let (c, xty) = crossprod_with(&x, &y).unwrap();
            Tol::rel(1e-12)
                .check_slice("X'X", c.as_slice(), xtx.as_slice())
                .unwrap();
            Tol::rel(1e-12)
                .check_slice("crossprod", crossprod(&x).as_slice(), xtx.as_slice())
                .unwrap();
            // Sums with cancellation: absolute tolerance on the scale of the terms.
            Tol {
                abs: 1e-11,
                rel: 1e-12,
            }
            .check_slice("X'y", xty.as_slice(), (x.transpose() * &yv).as_slice())
            .unwrap();
            let beta = DVector::from_fn(k, |j, _| 0.1 * j as f64 - 0.2);
            let e_naive = &yv - &x * &beta;
            let (e, rss, s) = residuals_and_cluster_scores(&x, &y, &beta, &cl).unwrap();
            Tol::abs(1e-14)
                .check_slice("e", e.as_slice(), e_naive.as_slice())
                .unwrap();
            Tol::rel(1e-12)
                .check("rss", rss, e_naive.dot(&e_naive))
                .unwrap();
            let (e2, rss2) = residuals(&x, &y, &beta).unwrap();
            Tol::abs(0.0)
                .check_slice("e2", e2.as_slice(), e.as_slice())
                .unwrap();
            Tol::abs(0.0).check("rss2", rss2, rss).unwrap();
            let s2 = weighted_cluster_sums(&x, e.as_slice(), &cl).unwrap();
            let mut s3 = DMatrix::zeros(cl.n_clusters(), k);
            for i in 0..n {
                for j in 0..k {
                    s3[(cl.codes()[i], j)] += x[(i, j)] * e[i];
                }
            }
            Tol::abs(1e-12)
                .check_slice("S", s.as_slice(), s3.as_slice())
                .unwrap();
            Tol::abs(1e-12)
                .check_slice("S2", s2.as_slice(), s3.as_slice())
                .unwrap();
            // The fused pass and the sums of given residuals add in the same order.
            Tol::abs(0.0)
                .check_slice("S2 = S", s2.as_slice(), s.as_slice())
                .unwrap();
            let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 5) as f64).collect();
            let xw = DMatrix::from_fn(n, k, |i, j| x[(i, j)] * w[i]);
            Tol::rel(1e-12)
                .check_slice(
                    "X'WX",
                    weighted_crossprod(&x, &w).unwrap().as_slice(),
                    (xw.transpose() * &x).as_slice(),
                )
                .unwrap();
            let per = cluster_crossprods(&x, Some(&w), &cl).unwrap();
            for (g, m) in per.iter().enumerate() {
                let rows: Vec<usize> = (0..n).filter(|&i| cl.codes()[i] == g).collect();
                let xg = DMatrix::from_fn(rows.len(), k, |r, j| x[(rows[r], j)] * w[rows[r]]);
                // Entry-wise relative, plus 1e-12 of the block's largest entry for entries
                // that cancel (summation order differs from the naive product's).
                let want = xg.transpose() * &xg;
                let scale = want.amax();
                Tol {
                    abs: 1e-12 * scale,
                    rel: 1e-12,
                }
                .check_slice("X_g'W²X_g", m.as_slice(), want.as_slice())
                .unwrap();
            }
        }
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

    /// Symmetric test matrices of every small size: random Gram matrices (full rank and
    /// rank-deficient), a diagonal one with a wide spread and a tridiagonal one.
    fn symmetric_cases() -> Vec<DMatrix<f64>> {
        let mut out = Vec::new();
        let mut s = 7u64;
        let mut rnd = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for k in 1..=30 {
            let x = DMatrix::from_fn(k + 3, k, |_, _| rnd());
            out.push(x.transpose() * &x);
            let r = k.div_ceil(2);
            let z = DMatrix::from_fn(k + 3, r, |_, _| rnd());
            let w = DMatrix::from_fn(r, k, |_, _| rnd());
            let x = z * w;
            out.push(x.transpose() * &x);
            out.push(DMatrix::from_fn(k, k, |i, j| {
                if i == j {
                    10f64.powi(i as i32 % 9 - 4)
                } else {
                    0.0
                }
            }));
            out.push(DMatrix::from_fn(k, k, |i, j| match i.abs_diff(j) {
                0 => 2.0,
                1 => -1.0,
                _ => 0.0,
            }));
        }
        out
    }

    #[test]
    fn extreme_eigenvalues_match_a_full_eigensolver() {
        for a in symmetric_cases() {
            let lambda = a.clone().symmetric_eigenvalues();
            let want_max = lambda.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let want_min = lambda.iter().copied().fold(f64::INFINITY, f64::min);
            let (lo, hi) = extreme_eigenvalues(&a).unwrap();
            let norm = want_max.abs().max(want_min.abs());
            assert!(
                (hi - want_max).abs() <= 1e-13 * norm,
                "max {hi} vs {want_max}"
            );
            assert!(
                (lo - want_min).abs() <= 1e-13 * norm,
                "min {lo} vs {want_min}"
            );
        }
        assert!(extreme_eigenvalues(&DMatrix::zeros(0, 0)).is_none());
        assert!(extreme_eigenvalues(&DMatrix::from_element(2, 2, f64::NAN)).is_none());
    }

    #[test]
    fn spd_inverse_is_the_inverse() {
        for a in symmetric_cases() {
            let Ok(spd) = Spd::new(a.clone(), "a") else {
                continue;
            };
            let inv = spd.inverse();
            let want = a.clone().cholesky().unwrap().inverse();
            let scale = want.amax();
            for (g, w) in inv.iter().zip(want.iter()) {
                assert!((g - w).abs() <= 1e-9 * scale, "{g} vs {w}");
            }
            assert!(inv == inv.transpose());
        }
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
