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
    let (data, codes) = (x.as_slice(), clusters.codes());
    // Row-major G × k sums of each range of rows, added in order (as
    // residuals_and_cluster_scores ranges and adds them).
    let parts = over_row_ranges(n, row_ranges(n, n * (k + 2), g * k * 8), |rows| {
        let mut acc = scratch_zeros(g * k);
        let (r0, m) = (rows.start, rows.len());
        crate::kernels::cluster_row_sums(
            &mut acc,
            g,
            k,
            &data[r0..],
            n,
            &w[r0..r0 + m],
            &codes[r0..r0 + m],
        );
        acc
    });
    Ok(sums_matrix(g, k, parts))
}

/// Per-cluster cross-products of a row-scaled design, `(DX)_gᵀ(DX)_g = Σ_{i∈g} dᵢ² xᵢxᵢᵀ` with
/// D = diag(`scale`) (D = I when `scale` is None): one k × k matrix per cluster.
///
/// One pass over X. Narrow designs (at most 8 columns) with blocks that stay in L2 (G·512 B ≤
/// 1 MB) update each cluster's block in place, one rank-one update per row. Otherwise the rows
/// go in blocks; within a block they are counting-sorted by cluster into a cached buffer and
/// each cluster's segment feeds a BLAS-3 update. The block holds 128 rows per cluster on
/// average (within 4096 to 2¹⁸ rows), so that segments are long enough for the register tiles;
/// a panel one tile wide (k ≤ 8) is kept within 512 KB instead, so that it stays in L2.
///
/// From 65 536 rows the rows are split into 2 or 4 fixed ranges (one per 32 768 rows, while the
/// per-cluster blocks of all ranges take at most half the data read) summed on their
/// own, on rayon's pool, and then added in order: the result depends on the data's shape only,
/// not on the number of threads.
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
    if n == 0 || k == 0 {
        return Ok(vec![DMatrix::zeros(k, k); g]);
    }
    let data = x.as_slice();
    let cols: Vec<&[f64]> = (0..k)
        .map(|j| match y {
            Some(y) if j == kx => y,
            _ => &data[j * n..(j + 1) * n],
        })
        .collect();
    let codes = clusters.codes();
    // Fixed row ranges, each summed on its own and then added in order: the bits depend on
    // the number of ranges, which depends on the data's shape only, never on the threads.
    // The blocks are updated a cluster's segment at a time, not at a scattered place per row,
    // so their fresh memory is the cost of a range: up to half the data read.
    let lanes = row_ranges(n, n * (k + 1) * 4, g * k * k * 8);
    // One sorting panel per worker, kept from one range to the next (fresh pages cost as much
    // as filling them).
    let parts = over_row_ranges_with(
        n,
        lanes,
        || None,
        |panel, rows| {
            let cols: Vec<&[f64]> = cols.iter().map(|c| &c[rows.clone()]).collect();
            let scale = scale.map(|s| &s[rows.clone()]);
            range_crossprods(&cols, scale, &codes[rows], g, panel)
        },
    );
    Ok(add_in_order(parts)
        .chunks_exact(k * k)
        .map(|block| {
            let mut c = DMatrix::from_column_slice(k, k, block);
            crate::kernels::mirror_lower(c.as_mut_slice(), k);
            c
        })
        .collect())
}

/// The lower triangles of [`cluster_crossprods_with`] over one range of rows (G column-major
/// k × k blocks, one after another): `cols` (the k columns of those rows), `scale` and the
/// cluster `codes` of the same rows, G clusters; `panel` is the sorting buffer, made or replaced
/// here when missing or too small.
fn range_crossprods(
    cols: &[&[f64]],
    scale: Option<&[f64]>,
    codes: &[usize],
    g: usize,
    panel: &mut Option<Panel>,
) -> Vec<f64> {
    let (k, n) = (cols.len(), codes.len());
    let mut out = vec![0.0; g * k * k];
    let bs = crate::kernels::cluster_gram_block(k);
    if k <= 8 && g * bs * 8 <= NARROW_BLOCKS_BYTES {
        // Rows at most 8 wide whose G blocks stay in L2: a rank-one update per row, in place,
        // into blocks of whole cache lines (the buffer from the scratch pool, zeroed, its start
        // on a 64-byte boundary).
        let mut buffer = crate::scratch::take_f64_with_capacity(g * bs + 8);
        buffer.clear();
        buffer.resize(g * bs + 8, 0.0);
        let off = match buffer.as_ptr().align_offset(64) {
            o if o < 8 => o,
            _ => 0,
        };
        let acc = &mut buffer[off..off + g * bs];
        let done = crate::kernels::cluster_gram_rows(acc, cols, scale, codes);
        if done {
            for (c, block) in out.chunks_exact_mut(k * k).zip(acc.chunks_exact(bs)) {
                for l in 0..k {
                    for j in 0..=l {
                        c[l + j * k] = block[crate::kernels::cluster_gram_at(l, j)];
                    }
                }
            }
        }
        crate::scratch::give_f64(buffer);
        if done {
            return out;
        }
    }
    // The rows block by block, counting-sorted by cluster into a row-major panel.
    // A panel one tile wide (k ≤ 8 with AVX-512) is capped at NARROW_PANEL_BYTES so that it
    // stays in L2 between its scatter and its updates: the rank-one updates of so few columns
    // are cheap even on short segments, so the cache decides (1e6 × 6 with 1000 clusters:
    // 22 → 16 ms). Wider panels keep their segments long instead (1e6 × 21 with 1000 clusters:
    // 71 ms uncapped, 97 ms at 1 MB).
    let kp = crate::kernels::row_panel_width(k);
    let mut block = (ROWS_PER_CLUSTER * g).clamp(BLOCK_ROWS, 1 << 18);
    if kp <= 8 {
        block = block.min((NARROW_PANEL_BYTES / (kp * 8)).max(BLOCK_ROWS));
    }
    let block = block.min(n);
    let panel = match panel {
        Some(p) if p.order.len() >= block && p.kp == kp && p.pos.len() == g => p,
        _ => panel.insert(Panel::new(block, kp, g)),
    };
    // The block's columns (one allocation per range, not per block).
    let mut block_cols: Vec<&[f64]> = Vec::with_capacity(k);
    let mut i0 = 0;
    while i0 < n {
        let m = block.min(n - i0);
        block_cols.clear();
        block_cols.extend(cols.iter().map(|c| &c[i0..i0 + m]));
        panel.fill(
            &codes[i0..i0 + m],
            &block_cols,
            scale.map(|s| &s[i0..i0 + m]),
        );
        for (c, acc) in out.chunks_exact_mut(k * k).enumerate() {
            let (s0, s1) = (panel.starts[c], panel.starts[c + 1]);
            if s1 > s0 {
                let rows = &panel.rows()[s0 * kp..s1 * kp];
                crate::kernels::gram_rows(acc, k, rows, kp);
            }
        }
        i0 += m;
    }
    out
}

/// One block of rows of [`cluster_crossprods_with`], counting-sorted by cluster into a
/// row-major panel (rows kp ≥ k wide, the extra columns zero).
struct Panel {
    /// The panel's storage, with room to start on a 64-byte boundary.
    storage: Vec<f64>,
    /// Offset of the aligned start in `storage`.
    off: usize,
    kp: usize,
    /// Rows of the block now in the panel.
    m: usize,
    /// Start of each cluster's segment (G + 1 entries).
    starts: Vec<usize>,
    /// Next free row of each cluster's segment, while sorting.
    pos: Vec<usize>,
    /// Destination row of each row of the block (u32: half the traffic of usize).
    order: Vec<u32>,
}

impl Panel {
    fn new(block: usize, kp: usize, g: usize) -> Self {
        // The buffer starts on a 64-byte boundary, so that (kp being a multiple of the vector
        // width) no vector load straddles two cache lines.
        let storage = vec![0.0; block * kp + 8];
        let off = match storage.as_ptr().align_offset(64) {
            o if o < 8 => o,
            _ => 0,
        };
        Self {
            storage,
            off,
            kp,
            m: 0,
            starts: vec![0; g + 1],
            pos: vec![0; g],
            order: vec![0; block],
        }
    }

    fn rows(&self) -> &[f64] {
        &self.storage[self.off..self.off + self.m * self.kp]
    }

    /// Sorts the block's rows (`codes`, the columns `cols`, each times `scale` if given).
    fn fill(&mut self, codes: &[usize], cols: &[&[f64]], scale: Option<&[f64]>) {
        let (m, kp, k) = (codes.len(), self.kp, cols.len());
        self.m = m;
        self.pos.iter_mut().for_each(|v| *v = 0);
        for &c in codes {
            self.pos[c] += 1;
        }
        for (c, &count) in self.pos.iter().enumerate() {
            self.starts[c + 1] = self.starts[c] + count;
        }
        self.pos
            .copy_from_slice(&self.starts[..self.starts.len() - 1]);
        for (o, &c) in self.order.iter_mut().zip(codes) {
            // pos[c] < block ≤ 2¹⁸.
            *o = self.pos[c] as u32;
            self.pos[c] += 1;
        }
        let order = &self.order[..m];
        let panel = &mut self.storage[self.off..self.off + m * kp];
        crate::kernels::scatter_rows(panel, kp, cols, order);
        if let Some(s) = scale {
            for (&p, f) in order.iter().zip(s) {
                let at = p as usize * kp;
                panel[at..at + k].iter_mut().for_each(|v| *v *= f);
            }
        }
    }
}

/// Largest G blocks (of [`crate::kernels::cluster_gram_block`] doubles) for which
/// [`cluster_crossprods_with`] updates each cluster's block in place, row by row (bytes; half of
/// a core's L2 here).
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
