//! Cross-products, residuals and the one-pass GLM kernel: X'X, X'y, X'WX, e and e'e.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::cluster::Clusters;
use crate::error::LinalgError;

use super::*;

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
pub(crate) fn gram_acc(
    c: &mut DMatrix<f64>,
    a: &[f64],
    a_cs: usize,
    b: &[f64],
    b_cs: usize,
    m: usize,
) {
    let k = c.nrows();
    crate::kernels::gram_upper(c.as_mut_slice(), k, a, a_cs, b, b_cs, m);
}

/// `C += BᵀB` for one m × k column-major block (see [`gram_acc`]).
pub(crate) fn syrk_acc(c: &mut DMatrix<f64>, data: &[f64], m: usize, cstride: usize) {
    gram_acc(c, data, cstride, data, cstride, m);
}

/// Completes a matrix accumulated by [`gram_acc`] (upper triangle copied to the lower).
pub(crate) fn mirror(c: &mut DMatrix<f64>) {
    let k = c.nrows();
    crate::kernels::mirror_upper(c.as_mut_slice(), k);
}

/// Average rows per cluster in one block of [`cluster_crossprods_with`].
pub(crate) const ROWS_PER_CLUSTER: usize = 128;

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
    // XᵀX (upper triangle) and Xᵀy of each range of rows, one after the other in a vector of
    // k² + k sums, added in order.
    let parts = over_row_ranges(n, row_ranges(n, n * (k + 1), (k * k + k) * 8), |rows| {
        let mut sums = vec![0.0; k * k + k];
        let (cs, ys) = sums.split_at_mut(k * k);
        let mut i0 = rows.start;
        while i0 < rows.end {
            let m = BLOCK_ROWS.min(rows.end - i0);
            crate::kernels::gram_upper_with_y(cs, k, &data[i0..], n, m, &y[i0..i0 + m], ys);
            i0 += m;
        }
        sums
    });
    let sums = add_in_order(parts);
    c.copy_from_slice(&sums[..k * k]);
    xty.copy_from_slice(&sums[k * k..]);
    mirror(&mut c);
    Ok((c, xty))
}

/// How many fixed ranges of rows a pass over n rows is split into, to be summed apart (on
/// rayon's pool when it has threads) and then added in order: a power of two up to
/// [`MAX_ROW_RANGES`], one per [`ROWS_PER_RANGE`] rows, fewer while the sums of all ranges
/// (`range_bytes` each) would pass `budget` or [`RANGE_SUMS_BYTES`]. Each range's sums are fresh
/// memory that one thread pays for too, so callers set the budget from the data they read: an
/// eighth of it for sums that each row updates at a scattered place (1e6 × 21 with 1e5
/// clusters, 17 MB of score sums per range: 112 ms in one range, 154 ms in four on one thread).
/// It depends on the data's shape only, so that results are the same bits on any number of
/// threads.
pub(crate) fn row_ranges(n: usize, budget: usize, range_bytes: usize) -> usize {
    let mut ranges = 1;
    while ranges < MAX_ROW_RANGES
        && n >= 2 * ranges * ROWS_PER_RANGE
        && 2 * ranges * range_bytes <= RANGE_SUMS_BYTES.min(budget)
    {
        ranges *= 2;
    }
    ranges
}

/// Most ranges of [`row_ranges`].
const MAX_ROW_RANGES: usize = 4;
/// Fewest rows in a range of [`row_ranges`].
const ROWS_PER_RANGE: usize = 1 << 15;
/// Largest memory for the sums of all ranges of [`row_ranges`] (bytes).
const RANGE_SUMS_BYTES: usize = 256 << 20;

/// `f` over `ranges` ranges of n rows (⌈n/ranges⌉ rows each, the last fewer), on rayon's pool
/// when it has more than one thread; the results in the ranges' order.
pub(crate) fn over_row_ranges<T: Send>(
    n: usize,
    ranges: usize,
    f: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    over_row_ranges_with(n, ranges, || (), |(), rows| f(rows))
}

/// [`over_row_ranges`] with a work space per worker, made by `init` and kept from one range to
/// the next (one for all ranges on one thread).
pub(crate) fn over_row_ranges_with<W, T: Send>(
    n: usize,
    ranges: usize,
    init: impl Fn() -> W + Sync + Send,
    f: impl Fn(&mut W, std::ops::Range<usize>) -> T + Sync + Send,
) -> Vec<T> {
    let chunk = n.div_ceil(ranges.max(1)).max(1);
    let rows = |t: usize| (t * chunk).min(n)..((t + 1) * chunk).min(n);
    let threads = rayon::current_num_threads();
    if ranges > 1 && threads > 1 {
        (0..ranges)
            .into_par_iter()
            .with_min_len(ranges.div_ceil(threads))
            .map_init(&init, |w, t| f(w, rows(t)))
            .collect()
    } else {
        let mut w = init();
        (0..ranges).map(|t| f(&mut w, rows(t))).collect()
    }
}

/// The G × k matrix whose rows are stored one after another in `rows` (row-major), copied in
/// blocks of 64 rows: each block's k columns are written as k runs of 64 values. Copied an entry
/// at a time (nalgebra's `from_row_slice`), each row's k entries land k pages apart once G × 8
/// bytes exceeds a page, a TLB miss for each: with 1e5 clusters and 21 columns, the covariance
/// step of OLS + CR1 on 1e6 rows took 47–50 ms that way and takes 38–43 ms this way. The entries
/// are the same either way.
pub(crate) fn matrix_from_rows(g: usize, k: usize, rows: &[f64]) -> DMatrix<f64> {
    /// Rows per block: 64 rows × k ≤ 32 columns stay in L1 between the read and the writes.
    const ROWS_PER_TILE: usize = 64;
    debug_assert_eq!(rows.len(), g * k);
    let mut out = DMatrix::zeros(g, k);
    let cols = out.as_mut_slice();
    for (t, tile) in rows.chunks(ROWS_PER_TILE * k.max(1)).enumerate() {
        let r0 = t * ROWS_PER_TILE;
        for j in 0..k {
            let col = &mut cols[j * g + r0..];
            for (c, row) in col.iter_mut().zip(tile.chunks_exact(k)) {
                *c = row[j];
            }
        }
    }
    out
}

/// The G × k matrix of per-cluster sums from the row-major sums of each range of rows, added in
/// order ([`add_in_order`]); the ranges' buffers go back to the [`crate::scratch`] pool.
pub(crate) fn sums_matrix(g: usize, k: usize, parts: Vec<Vec<f64>>) -> DMatrix<f64> {
    let sums = add_in_order(parts);
    let m = matrix_from_rows(g, k, &sums);
    crate::scratch::give_f64(sums);
    m
}

/// A buffer of `len` zeros from the [`crate::scratch`] pool.
pub(crate) fn scratch_zeros(len: usize) -> Vec<f64> {
    let mut v = crate::scratch::take_f64(len);
    v.fill(0.0);
    v
}

/// The element-wise sum of equally long vectors, added in their order (into the first; the
/// others go to the [`crate::scratch`] pool).
pub(crate) fn add_in_order(parts: Vec<Vec<f64>>) -> Vec<f64> {
    let mut parts = parts.into_iter();
    let mut sums = parts.next().unwrap_or_default();
    for part in parts {
        sums.iter_mut().zip(&part).for_each(|(s, p)| *s += p);
        crate::scratch::give_f64(part);
    }
    sums
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
    // The block's work space: η, w, r and (for the Hessian) the scaled block, from the
    // scratch pool. A small fit calls this pass dozens of times; fresh buffers each
    // time cost it page faults (the allocator returns freed memory to the system), a quarter
    // of the time of a 1000-row cumulative link fit.
    let len = 3 * block + if hessian { block * k } else { 0 };
    let mut buffer = scratch_zeros(len);
    let (eta, rest) = buffer.split_at_mut(block);
    let (w, rest) = rest.split_at_mut(block);
    let (r, scaled) = rest.split_at_mut(block);
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
            gram_acc(&mut h, &data[i0..], n, scaled, m, m);
        }
        i0 += m;
    }
    mirror(&mut h);
    crate::scratch::give_f64(buffer);
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
    let (data, codes) = (x.as_slice(), clusters.codes());
    let mut e = DVector::zeros(n);
    let ranges = row_ranges(n, n * (k + 2), g * k * 8);
    let chunk = n.div_ceil(ranges).max(1);
    // Each range of rows forms its residuals and its own G × k sums (row-major), as
    // weighted_cluster_sums ranges them; the sums are added in order.
    let range = |(t, e): (usize, &mut [f64])| {
        let (r0, m) = (t * chunk, e.len());
        let mut acc = scratch_zeros(g * k);
        crate::kernels::residual_row_sums(
            &mut acc,
            g,
            k,
            &data[r0..],
            n,
            &y[r0..r0 + m],
            beta.as_slice(),
            &codes[r0..r0 + m],
            e,
        );
        acc
    };
    let parts: Vec<Vec<f64>> = if ranges > 1 && rayon::current_num_threads() > 1 {
        e.as_mut_slice()
            .par_chunks_mut(chunk)
            .enumerate()
            .map(range)
            .collect()
    } else {
        e.as_mut_slice()
            .chunks_mut(chunk)
            .enumerate()
            .map(range)
            .collect()
    };
    let rss = blocked_sum_sq(e.as_slice());
    Ok((e, rss, sums_matrix(g, k, parts)))
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
