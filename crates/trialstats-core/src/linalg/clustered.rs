//! Per-cluster sums and cross-products (the meat of every cluster-robust covariance).

use nalgebra::DMatrix;

use crate::cluster::Clusters;
use crate::error::LinalgError;

use super::*;

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
/// enough for the register tiles; a panel one tile wide (k ≤ 8) is kept within 512 KB instead,
/// so that it stays in L2.
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
    let kp = crate::kernels::row_panel_width(k);
    let data = x.as_slice();
    let codes = clusters.codes();
    let column = |j: usize, i0: usize, m: usize| {
        if j < kx {
            &data[j * n + i0..j * n + i0 + m]
        } else {
            &y.unwrap_or(&[])[i0..i0 + m]
        }
    };
    if k <= 8 && g * 64 * 8 <= NARROW_BLOCKS_BYTES {
        // Rows at most 8 wide whose G blocks stay in L2: a rank-one update per row, in place.
        let mut acc = vec![0.0; g * 64];
        let cols: Vec<&[f64]> = (0..k).map(|j| column(j, 0, n)).collect();
        if crate::kernels::cluster_gram_rows(&mut acc, &cols, scale, codes) {
            for (c, block) in out.iter_mut().zip(acc.chunks_exact(64)) {
                // Row l of the row-major block, entries j ≤ l, is row l of C's lower triangle.
                let c = c.as_mut_slice();
                for l in 0..k {
                    for j in 0..=l {
                        c[l + j * k] = block[8 * l + j];
                    }
                }
                crate::kernels::mirror_lower(c, k);
            }
            return Ok(out);
        }
    }
    // The block's rows, counting-sorted by cluster into a row-major panel (rows kp ≥ k wide,
    // the extra columns zero).
    // A panel one tile wide (k ≤ 8 with AVX-512) is capped at NARROW_PANEL_BYTES so that it
    // stays in L2 between its scatter and its updates: the rank-one updates of so few columns
    // are cheap even on short segments, so the cache decides (1e6 × 6 with 1000 clusters:
    // 22 → 16 ms). Wider panels keep their segments long instead (1e6 × 21 with 1000 clusters:
    // 71 ms uncapped, 97 ms at 1 MB).
    let mut block = (ROWS_PER_CLUSTER * g).clamp(BLOCK_ROWS, 1 << 18);
    if kp <= 8 {
        block = block.min((NARROW_PANEL_BYTES / (kp * 8)).max(BLOCK_ROWS));
    }
    let block = block.min(n);
    // The buffer starts on a 64-byte boundary, so that (kp being a multiple of the vector
    // width) no vector load straddles two cache lines.
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
        cols.extend((0..k).map(|j| column(j, i0, m)));
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

/// Largest G·64 doubles for which [`cluster_crossprods_with`] updates each cluster's block in
/// place, row by row (bytes; half of a core's L2 here).
const NARROW_BLOCKS_BYTES: usize = 1 << 20;

/// Largest panel of one tile's width in [`cluster_crossprods_with`] (bytes).
const NARROW_PANEL_BYTES: usize = 512 << 10;

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
