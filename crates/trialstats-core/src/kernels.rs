//! The inner loops of the one-pass cross-product kernels, in explicit SIMD chosen at run time.
//!
//! The cross-products of the workspace — XᵀX, XᵀWX, the per-cluster X_gᵀX_g — have two kernels.
//!
//! - **Column panels** (XᵀX, XᵀWX: the caller's columns as they lie, no copy): `C += AᵀB` with a
//!   symmetric result. The kernel computes only the tiles on and above the diagonal (a T × T tile
//!   of C from T columns of A and T columns of B, one SIMD vector of rows at a time, T² vector
//!   accumulators held in registers), which halves the flops of a general product and needs no
//!   packing; a tile on the diagonal computes only its upper triangle, from A's vectors alone
//!   when B = A. When T does not divide k, the last k mod T columns form T × (k mod T) tiles and
//!   one corner tile, so that every product runs in registers (none falls back to one dot product
//!   per entry). Xᵀy, when wanted, is one more column of the diagonal tiles when T divides k
//!   (their vectors of A are loaded anyway), else of the edge tiles, rather than tiles of its own
//!   one column wide. With y, these took XᵀX and Xᵀy from 15.3 to 12.0 µs at 1000 × 20 and from
//!   16.6 to 13.9 µs at 1000 × 21 (minima of 6 alternated runs), with the same bits.
//! - **Row panels** (X_gᵀX_g: the rows of a block gathered by cluster into a buffer anyway).
//!   The gather transposes four columns of a vector of rows in registers and stores each row's
//!   entries together ([`scatter_rows`]); the product broadcasts one entry of a row at a time
//!   against whole vectors of the same row ([`gram_rows`]), so that each lane of an accumulator
//!   is one entry of C: a cluster's short segment needs no reduction across lanes when it is
//!   done, and no padding to whole vectors of rows. At N = 1e6, k = 21, G = 24 this took the
//!   per-cluster products from 35.6 to 29.6 ms (medians of 15 interleaved calls; one read of the
//!   data took 20.5 ms), and at G = 100 000 (10 rows per cluster) from 1.06 s to 0.58 s.
//!
//! The vector code is written once against [`pulp`]'s `Simd` trait, which compiles it for
//! AVX-512, AVX2 + FMA, NEON and a scalar baseline and dispatches on the processor at hand
//! (safe code; the run-time feature detection is pulp's). The tile shape follows the register file:
//! when a vector holds 8 doubles (32 zmm registers), 4 × 4 column tiles (16 accumulators) and
//! row tiles of 8 broadcast columns × 3 vectors (24); otherwise 3 × 3 and 4 × 2. Fused
//! multiply–add is used where the target has it, so the last bits of a sum may differ between
//! machines (as they do between BLAS libraries); on one machine the summation order is fixed, so
//! results are reproducible run to run.
//!
//! The column panels' loads are aligned to the vector's size where every column of A has the
//! same offset within a cache line (the column stride a multiple of the lanes) and there are
//! enough columns ([`ALIGN_MIN_COLUMNS`]): a large allocation's columns usually start 16 bytes
//! off a line, and then every load of 8 doubles straddles two lines. The vectors start at the
//! first aligned row; the rows before it, and the rest of the last vector, go in two vectors of
//! their own padded with zeros, one before and one after the aligned ones. Each lane still sums
//! the same rows in the same order (those of one residue mod the lanes), and the halving
//! reduction across lanes pairs the same sums however far the lanes are turned, so the bits do
//! not depend on the data's address (a test checks them from every offset, on every instruction
//! set). XᵀX with Xᵀy at 1000 × 21 from 16 bytes off a line: 13.4 µs as loaded before, 10.1–10.3
//! µs so (9.3 µs from columns on a line). The row panels' gather ([`scatter_rows`]) starts at the
//! first aligned row too; it only copies, so there no value could change either way.

use pulp::{Arch, Simd, WithSimd};

/// `C[j, l] += Σ_r A[r, j]·B[r, l]` for `j ≤ l` (the upper triangle of a k × k column-major C,
/// leading dimension k), where A[r, j] = `a[r + j·a_cs]` and B[r, l] = `b[r + l·b_cs]` for the
/// rows r < m. Entries below the diagonal may also be updated (inside diagonal tiles); callers
/// mirror the upper triangle when they are done (see [`mirror_upper`]).
pub(crate) fn gram_upper(
    c: &mut [f64],
    k: usize,
    a: &[f64],
    a_cs: usize,
    b: &[f64],
    b_cs: usize,
    m: usize,
) {
    if m == 0 || k == 0 {
        return;
    }
    Arch::new().dispatch(Gram {
        c,
        k,
        a,
        a_cs,
        b,
        b_cs,
        m,
        y: None,
    });
}

/// [`gram_upper`] for C = AᵀA (B = A) together with `xty[j] += Σ_r A[r, j]·y[r]` (r < m): the
/// products with y run chunk by chunk next to the tiles, while the chunk of A is in L1, instead
/// of a second pass over A.
pub(crate) fn gram_upper_with_y(
    c: &mut [f64],
    k: usize,
    a: &[f64],
    a_cs: usize,
    m: usize,
    y: &[f64],
    xty: &mut [f64],
) {
    if m == 0 || k == 0 {
        return;
    }
    Arch::new().dispatch(Gram {
        c,
        k,
        a,
        a_cs,
        b: a,
        b_cs: a_cs,
        m,
        y: Some((&y[..m], &mut xty[..k])),
    });
}

/// `Σ_r a_r b_r` over the common length, with four independent vector accumulators summed in a
/// fixed order.
pub(crate) fn dot_fast(a: &[f64], b: &[f64]) -> f64 {
    let m = a.len().min(b.len());
    Arch::new().dispatch(Dot {
        a: &a[..m],
        b: &b[..m],
    })
}

/// `(Σ aᵢ, Σ (aᵢ − c)²)` in one vectorised pass (four vector accumulators each, summed in a
/// fixed order).
pub(crate) fn sum_and_sum_sq_dev(a: &[f64], c: f64) -> (f64, f64) {
    Arch::new().dispatch(SumSq { a, c })
}

struct SumSq<'a> {
    a: &'a [f64],
    c: f64,
}

impl WithSimd for SumSq<'_> {
    type Output = (f64, f64);
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> (f64, f64) {
        let (av, at) = S::as_simd_f64s(self.a);
        let zero = simd.splat_f64s(0.0);
        let cv = simd.splat_f64s(self.c);
        let mut s = [zero; 4];
        let mut q = [zero; 4];
        let mut chunks = av.chunks_exact(4);
        for x in &mut chunks {
            for u in 0..4 {
                s[u] = simd.add_f64s(s[u], x[u]);
                let d = simd.sub_f64s(x[u], cv);
                q[u] = simd.mul_add_e_f64s(d, d, q[u]);
            }
        }
        for x in chunks.remainder() {
            s[0] = simd.add_f64s(s[0], *x);
            let d = simd.sub_f64s(*x, cv);
            q[0] = simd.mul_add_e_f64s(d, d, q[0]);
        }
        let total = |v: [S::f64s; 4]| {
            simd.reduce_sum_f64s(
                simd.add_f64s(simd.add_f64s(v[0], v[1]), simd.add_f64s(v[2], v[3])),
            )
        };
        let (mut ts, mut tq) = (total(s), total(q));
        for x in at {
            ts += x;
            tq += (x - self.c) * (x - self.c);
        }
        (ts, tq)
    }
}

/// `[max, min]` of v over the rows with yᵢ > ½ (y = 1 of a 0/1 outcome), `[max, min]` over the others (−∞, +∞ for an
/// empty class), and `Σ v` (non-finite when any v is), branch-free and vectorised: a row outside
/// a class enters its max and min as NaN, which `f64::max`/`min` ignore.
pub(crate) fn class_ranges(v: &[f64], y: &[f64]) -> [f64; 5] {
    let m = v.len().min(y.len());
    Arch::new().dispatch(ClassRanges {
        v: &v[..m],
        y: &y[..m],
    })
}

struct ClassRanges<'a> {
    v: &'a [f64],
    y: &'a [f64],
}

impl WithSimd for ClassRanges<'_> {
    type Output = [f64; 5];
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> [f64; 5] {
        let ClassRanges { v, y } = self;
        simd.vectorize(
            #[inline(always)]
            || {
                const L: usize = 8;
                let mut hi_a = [f64::NEG_INFINITY; L];
                let mut lo_a = [f64::INFINITY; L];
                let mut hi_b = [f64::NEG_INFINITY; L];
                let mut lo_b = [f64::INFINITY; L];
                let mut sum = [0.0; L];
                let full = v.len() / L * L;
                let step =
                    |x: f64, yi: f64, ha: &mut f64, la: &mut f64, hb: &mut f64, lb: &mut f64| {
                        let (a, b) = if yi > 0.5 {
                            (x, f64::NAN)
                        } else {
                            (f64::NAN, x)
                        };
                        *ha = ha.max(a);
                        *la = la.min(a);
                        *hb = hb.max(b);
                        *lb = lb.min(b);
                    };
                for (x, yy) in v[..full].chunks_exact(L).zip(y[..full].chunks_exact(L)) {
                    for t in 0..L {
                        step(
                            x[t],
                            yy[t],
                            &mut hi_a[t],
                            &mut lo_a[t],
                            &mut hi_b[t],
                            &mut lo_b[t],
                        );
                        sum[t] += x[t];
                    }
                }
                for (x, yi) in v[full..].iter().zip(&y[full..]) {
                    step(
                        *x,
                        *yi,
                        &mut hi_a[0],
                        &mut lo_a[0],
                        &mut hi_b[0],
                        &mut lo_b[0],
                    );
                    sum[0] += x;
                }
                let max = |v: [f64; L]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let min = |v: [f64; L]| v.iter().copied().fold(f64::INFINITY, f64::min);
                [max(hi_a), min(lo_a), max(hi_b), min(lo_b), sum.iter().sum()]
            },
        )
    }
}

/// `dst = Σ_j coef[j]·cols[j]` (a matrix–vector product on a block of column slices, each at
/// least as long as `dst`), four columns per sweep over `dst`.
/// Padding of a column segment of [`outer_dd`]: a multiple of every vector width (≤ 8 lanes).
pub(crate) const OUTER_PAD: usize = 8;

/// For each row u of `rows` (row r at `rows[r·stride ..]`, its first `q` entries used and zeros
/// up to the next multiple of [`OUTER_PAD`]), adds the products u_a·u_b, each rounded once, to
/// the double-double sums (hi, lo) of column b by TwoSum, for a below b + 1 rounded up to
/// [`OUTER_PAD`]; column b's sums start at `offsets[b]`. Only additions, subtractions and
/// products rounded once: the same bits on every instruction set.
pub(crate) fn outer_dd(
    hi: &mut [f64],
    lo: &mut [f64],
    offsets: &[usize],
    q: usize,
    rows: &[f64],
    stride: usize,
) {
    if q == 0 || rows.is_empty() {
        return;
    }
    Arch::new().dispatch(OuterDd {
        hi,
        lo,
        offsets,
        q,
        rows,
        stride,
    });
}

struct OuterDd<'a> {
    hi: &'a mut [f64],
    lo: &'a mut [f64],
    offsets: &'a [usize],
    q: usize,
    rows: &'a [f64],
    stride: usize,
}

impl WithSimd for OuterDd<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let OuterDd {
            hi,
            lo,
            offsets,
            q,
            rows,
            stride,
        } = self;
        let padded = q.div_ceil(OUTER_PAD) * OUTER_PAD;
        let lanes = std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>();
        let (hv, _) = S::as_mut_simd_f64s(hi);
        let (lv, _) = S::as_mut_simd_f64s(lo);
        // The accumulators are taken four vectors at a time (each a vector of column b's sums,
        // with b's entry of the row broadcast), held in registers over a block of rows that
        // stays in the first-level cache: four independent TwoSum chains hide the latency of
        // the additions, and the sums are loaded and stored once a block instead of once a row.
        // Each sum still receives its products in row order: the same bits as one row at a
        // time.
        const BLOCK: usize = 64;
        for block in rows.chunks(BLOCK * stride) {
            let mut tasks = [(0_usize, 0_usize, 0_usize); 4];
            let mut n = 0;
            for (b, &off) in offsets.iter().enumerate().take(q) {
                let len = (b + 1).div_ceil(OUTER_PAD) * OUTER_PAD;
                for v in 0..len / lanes {
                    tasks[n] = (off / lanes + v, b, v);
                    n += 1;
                    if n == 4 {
                        outer_block::<S, 4>(simd, &tasks, block, stride, padded, hv, lv);
                        n = 0;
                    }
                }
            }
            match n {
                3 => outer_block::<S, 3>(
                    simd,
                    &[tasks[0], tasks[1], tasks[2]],
                    block,
                    stride,
                    padded,
                    hv,
                    lv,
                ),
                2 => {
                    outer_block::<S, 2>(simd, &[tasks[0], tasks[1]], block, stride, padded, hv, lv)
                }
                1 => outer_block::<S, 1>(simd, &[tasks[0]], block, stride, padded, hv, lv),
                _ => {}
            }
        }
    }
}

/// The rows of `block` added to N accumulator vectors: task (t, b, v) is vector t of the sums,
/// to which vector v of each row times the row's entry b is added by TwoSum.
#[inline(always)]
fn outer_block<S: Simd, const N: usize>(
    simd: S,
    tasks: &[(usize, usize, usize); N],
    block: &[f64],
    stride: usize,
    padded: usize,
    hv: &mut [S::f64s],
    lv: &mut [S::f64s],
) {
    let mut h: [S::f64s; N] = std::array::from_fn(|i| hv[tasks[i].0]);
    let mut l: [S::f64s; N] = std::array::from_fn(|i| lv[tasks[i].0]);
    for r in block.chunks_exact(stride) {
        let (uv, _) = S::as_simd_f64s(&r[..padded]);
        for i in 0..N {
            let (_, b, v) = tasks[i];
            let p = simd.mul_f64s(uv[v], simd.splat_f64s(r[b]));
            let s = simd.add_f64s(h[i], p);
            let bb = simd.sub_f64s(s, h[i]);
            let e = simd.add_f64s(
                simd.sub_f64s(h[i], simd.sub_f64s(s, bb)),
                simd.sub_f64s(p, bb),
            );
            l[i] = simd.add_f64s(l[i], e);
            h[i] = s;
        }
    }
    for i in 0..N {
        hv[tasks[i].0] = h[i];
        lv[tasks[i].0] = l[i];
    }
}

/// The order keys of `values` ([`crate::order::order_key`], which has no branch) into `keys`
/// (the common length), and the smallest and largest of them: one read of the values and one
/// write of the keys, in a loop the compiler vectorises for the instruction set at hand (the
/// bounds as vector minima and maxima).
pub(crate) fn order_keys(keys: &mut [u64], values: &[f64]) -> (u64, u64) {
    Arch::new().dispatch(OrderKeys { keys, values })
}

struct OrderKeys<'a> {
    keys: &'a mut [u64],
    values: &'a [f64],
}

impl WithSimd for OrderKeys<'_> {
    type Output = (u64, u64);
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> (u64, u64) {
        let (mut lo, mut hi) = (u64::MAX, 0);
        for (k, &v) in self.keys.iter_mut().zip(self.values) {
            *k = crate::order::order_key(v);
            lo = lo.min(*k);
            hi = hi.max(*k);
        }
        (lo, hi)
    }
}

pub(crate) fn lincomb(dst: &mut [f64], cols: &[&[f64]], coef: &[f64]) {
    Arch::new().dispatch(LinComb { dst, cols, coef });
}

/// `dst[r] = x[r]·w[r]` over the common length.
pub(crate) fn mul_into(dst: &mut [f64], x: &[f64], w: &[f64]) {
    Arch::new().dispatch(MulInto { dst, x, w });
}

struct LinComb<'a> {
    dst: &'a mut [f64],
    cols: &'a [&'a [f64]],
    coef: &'a [f64],
}

impl WithSimd for LinComb<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let LinComb { dst, cols, coef } = self;
        let m = dst.len();
        dst.fill(0.0);
        let (dv, dt) = S::as_mut_simd_f64s(dst);
        let tail0 = m - dt.len();
        let mut j = 0;
        while j < cols.len() {
            let t = (cols.len() - j).min(4);
            let cs: [(&[S::f64s], &[f64]); 4] =
                std::array::from_fn(|u| S::as_simd_f64s(&cols[j + u.min(t - 1)][..m]));
            let cf: [S::f64s; 4] =
                std::array::from_fn(|u| simd.splat_f64s(if u < t { coef[j + u] } else { 0.0 }));
            for (r, d) in dv.iter_mut().enumerate() {
                let mut acc = *d;
                for u in 0..4 {
                    acc = simd.mul_add_e_f64s(cf[u], cs[u].0[r], acc);
                }
                *d = acc;
            }
            for (r, d) in dt.iter_mut().enumerate() {
                for u in 0..t {
                    *d += coef[j + u] * cols[j + u][tail0 + r];
                }
            }
            j += t;
        }
    }
}

struct MulInto<'a> {
    dst: &'a mut [f64],
    x: &'a [f64],
    w: &'a [f64],
}

impl WithSimd for MulInto<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let MulInto { dst, x, w } = self;
        let m = dst.len().min(x.len()).min(w.len());
        let (dv, dt) = S::as_mut_simd_f64s(&mut dst[..m]);
        let (xv, xt) = S::as_simd_f64s(&x[..m]);
        let (wv, wt) = S::as_simd_f64s(&w[..m]);
        for ((d, a), b) in dv.iter_mut().zip(xv).zip(wv) {
            *d = simd.mul_f64s(*a, *b);
        }
        for ((d, a), b) in dt.iter_mut().zip(xt).zip(wt) {
            *d = a * b;
        }
    }
}

/// Per-cluster sums of weighted rows: `acc[c·k + j] += Σ_{r < m, codes[r] = c} A[r, j]·w[r]` with
/// A[r, j] = `a[r + j·a_cs]`, m = `w.len()`, and `acc` the row-major G × k sums (G = `g`, every
/// code below G).
///
/// With vectors of 8 or 4 doubles, each group of 4 columns × one vector of rows is transposed in
/// registers (pulp's interleave), so that a row's 4 entries update its cluster's sums with one
/// vector multiply–add; a scatter element by element costs a strided load and a scalar
/// read–modify–write per entry. With 8 lanes a transposed vector holds two rows, so the partial
/// sums keep two halves (one per row slot) that are added at the end. Otherwise, when the G ·
/// ⌈k/4⌉ vectors of partial sums would outsize the rows' own data (many clusters, few rows), and
/// for the rows past the last whole vector, the rows are added one by one.
pub(crate) fn cluster_row_sums(
    acc: &mut [f64],
    g: usize,
    k: usize,
    a: &[f64],
    a_cs: usize,
    w: &[f64],
    codes: &[usize],
) {
    let m = w.len().min(codes.len());
    if m == 0 || k == 0 {
        return;
    }
    Arch::new().dispatch(RowSums {
        acc,
        g,
        k,
        a,
        a_cs,
        codes: &codes[..m],
        weights: Weights::Given(&w[..m]),
    });
}

/// [`cluster_row_sums`] with the residuals of a linear fit as weights, formed on the way:
/// `e = y − Aβ` (written to `e`, m = `y.len()` rows) and `acc[c·k + j] += Σ_{codes[r] = c}
/// A[r, j]·e[r]`, in blocks of rows that stay in L1 between the two steps, so that A is read from
/// memory once. Each residual is `((y − β₀a₀) − β₁a₁) − …` with a product and a subtraction per
/// column (no fused multiply–add), as in [`crate::linalg::residuals_of`], so both give the same
/// bits.
#[allow(clippy::too_many_arguments)]
pub(crate) fn residual_row_sums(
    acc: &mut [f64],
    g: usize,
    k: usize,
    a: &[f64],
    a_cs: usize,
    y: &[f64],
    beta: &[f64],
    codes: &[usize],
    e: &mut [f64],
) {
    let m = y.len().min(codes.len()).min(e.len());
    if m == 0 {
        return;
    }
    Arch::new().dispatch(RowSums {
        acc,
        g,
        k,
        a,
        a_cs,
        codes: &codes[..m],
        weights: Weights::Residuals {
            y: &y[..m],
            beta: &beta[..k],
            e: &mut e[..m],
        },
    });
}

/// The row weights of a [`RowSums`]: given, or the residuals of a linear fit to form first.
enum Weights<'a> {
    Given(&'a [f64]),
    Residuals {
        y: &'a [f64],
        beta: &'a [f64],
        e: &'a mut [f64],
    },
}

struct RowSums<'a> {
    acc: &'a mut [f64],
    g: usize,
    k: usize,
    a: &'a [f64],
    a_cs: usize,
    codes: &'a [usize],
    weights: Weights<'a>,
}

impl WithSimd for RowSums<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let m = self.codes.len();
        match std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>() {
            l @ (4 | 8) if self.k > 0 => {
                // The transposed sums keep G · ⌈k/4⌉ vectors; beyond the size of the rows' own
                // data, or of TRANSPOSED_SUMS_BYTES, that buffer would cost more than it saves
                // (fresh pages, and sums scattered over more memory than the rows' G × k), and
                // the rows are added to the sums one at a time after their residuals are
                // formed a block at a time.
                let len = self.g * self.k.div_ceil(4) * l;
                let transposed =
                    len <= m * self.k.max(4) && len * size_of::<f64>() <= TRANSPOSED_SUMS_BYTES;
                if l == 8 {
                    row_sums::<S, 8>(simd, self, transposed);
                } else {
                    row_sums::<S, 4>(simd, self, transposed);
                }
            }
            _ => {
                let RowSums {
                    acc,
                    k,
                    a,
                    a_cs,
                    codes,
                    weights,
                    ..
                } = self;
                let w = match weights {
                    Weights::Given(w) => w,
                    Weights::Residuals { y, beta, e } => {
                        residual_rows(e, y, beta, a, a_cs, 0);
                        e
                    }
                };
                add_rows(acc, k, a, a_cs, w, codes, 0..codes.len());
            }
        }
    }
}

/// `e[r] = ((y[r] − β₀A[r, 0]) − β₁A[r, 1]) − …` for the rows r0.. of `e`, one at a time.
#[inline(always)]
fn residual_rows(e: &mut [f64], y: &[f64], beta: &[f64], a: &[f64], a_cs: usize, r0: usize) {
    for (r, (er, yr)) in e.iter_mut().zip(y).enumerate().skip(r0) {
        let mut v = *yr;
        for (j, b) in beta.iter().enumerate() {
            v -= b * a[j * a_cs + r];
        }
        *er = v;
    }
}

/// The rows `rows` of a [`cluster_row_sums`], one at a time.
///
/// With many clusters the sums are scattered over more memory than the caches hold, and each
/// row waits for its cluster's lines. So the lines of the row [`ROWS_AHEAD`] ahead are
/// prefetched ([`Prefetch`]), and are on their way while the rows between are added. 1e6 rows ×
/// 21 columns, 1e5 clusters: the residuals and score sums took about 70 ms when each line was
/// loaded 24 rows ahead (a load waits for its line before the instructions after it retire),
/// 55 ms with a prefetch 10 rows ahead.
#[inline(always)]
fn add_rows(
    acc: &mut [f64],
    k: usize,
    a: &[f64],
    a_cs: usize,
    w: &[f64],
    codes: &[usize],
    rows: std::ops::Range<usize>,
) {
    let prefetch = Prefetch::new();
    for r in rows {
        if let Some(&next) = codes.get(r + ROWS_AHEAD) {
            prefetch.lines(&acc[next * k..(next + 1) * k]);
        }
        let (wi, c) = (w[r], codes[r]);
        for (j, s) in acc[c * k..(c + 1) * k].iter_mut().enumerate() {
            *s += a[j * a_cs + r] * wi;
        }
    }
}

/// A hint to the processor that memory is about to be read: the `prefetcht0` instruction on
/// x86-64 (pulp's safe wrapper of the SSE intrinsic), nothing elsewhere. Unlike a load, whose
/// value is waited for before the instructions after it retire, a prefetch retires at once.
#[derive(Clone, Copy)]
struct Prefetch {
    #[cfg(target_arch = "x86_64")]
    v1: Option<pulp::x86::V1>,
}

impl Prefetch {
    fn new() -> Self {
        Prefetch {
            #[cfg(target_arch = "x86_64")]
            v1: pulp::x86::V1::try_new(),
        }
    }

    /// The cache lines of `s` (its first entry, one every 64 bytes after it, and its last).
    #[inline(always)]
    fn lines(self, s: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(v1) = self.v1 {
            let per_line = 64 / std::mem::size_of::<f64>();
            for i in (0..s.len()).step_by(per_line).chain(s.len().checked_sub(1)) {
                v1.sse._mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    std::ptr::from_ref(&s[i]).cast(),
                );
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = s;
    }
}

/// How far ahead [`add_rows`] prefetches the sums it will need (8–12 were best at 1e5 clusters;
/// 24 and 48 were slower, the prefetches waiting for the lines still on their way).
const ROWS_AHEAD: usize = 10;

/// Row vectors per block of a [`residual_row_sums`]: the block's columns (16·L rows × k) stay in
/// L1 from the residuals to the sums (21 KB at k = 21 with 8 lanes).
const RESIDUAL_BLOCK_VECTORS: usize = 16;

/// `e[i] = ((y[i] − β₀c₀[v0+i]) − β₁c₁[v0+i]) − …` for B vectors of rows: column by column
/// over the B vectors, so that the B subtraction chains run side by side (one vector's chain
/// alone would wait on each subtraction), with each entry's operations in the same order.
#[inline(always)]
fn residual_block<S: Simd, const B: usize>(
    simd: S,
    e: &mut [S::f64s; B],
    y: &[S::f64s; B],
    cols: &[&[S::f64s]],
    beta: &[f64],
    v0: usize,
) {
    let mut t = *y;
    for (col, b) in cols.iter().zip(beta) {
        let bv = simd.splat_f64s(*b);
        let c = &col[v0..v0 + B];
        for i in 0..B {
            t[i] = simd.sub_f64s(t[i], simd.mul_f64s(bv, c[i]));
        }
    }
    *e = t;
}

/// Largest buffer of transposed partial sums in [`row_sums`] (bytes). With 1e5 clusters and 21
/// columns (1e6 rows) the transposed sums would take 38 MB and the rows' own G × k sums 17 MB:
/// adding each row to the latter directly, after its residual, took the whole OLS + CR1 call
/// there from 121 to 102 ms (before the look-ahead of [`add_rows`]).
const TRANSPOSED_SUMS_BYTES: usize = 8 << 20;

/// [`cluster_row_sums`] with L-lane vectors (L = 4 or 8): the residuals (if asked) a block of
/// rows at a time, then the block's rows added to their clusters' sums, transposed 4 columns
/// to a vector when `transposed`, else one row at a time into `acc`.
#[inline(always)]
fn row_sums<S: Simd, const L: usize>(simd: S, rs: RowSums<'_>, transposed: bool) {
    let RowSums {
        acc,
        g,
        k,
        a,
        a_cs,
        codes,
        mut weights,
    } = rs;
    let m = codes.len();
    let nv = m / L;
    let groups = k.div_ceil(4);
    // Rows per transposed vector (4 lanes each): 2 when L = 8, 1 when L = 4.
    let slots = L / 4;
    let zero = simd.splat_f64s(0.0);
    let Some(rows) = transpose_slots::<S, L>(simd) else {
        let w = match weights {
            Weights::Given(w) => w,
            Weights::Residuals { y, beta, e } => {
                residual_rows(e, y, beta, a, a_cs, 0);
                e
            }
        };
        add_rows(acc, k, a, a_cs, w, codes, 0..codes.len());
        return;
    };
    // slot_mask[h] has ones in the lanes of row slot h, zeros elsewhere.
    let mut ones = [0.0; 16];
    for (i, v) in ones.iter_mut().enumerate().take(slots * L) {
        *v = if (i % L) / 4 == i / L { 1.0 } else { 0.0 };
    }
    let slot_mask: [S::f64s; 2] = std::array::from_fn(|h| {
        if h < slots {
            S::as_simd_f64s(&ones[h * L..(h + 1) * L]).0[0]
        } else {
            zero
        }
    });
    let cols: Vec<&[S::f64s]> = (0..k)
        .map(|j| S::as_simd_f64s(&a[j * a_cs..j * a_cs + nv * L]).0)
        .collect();
    // Partial sums: cluster c, column group jg at part[c·groups + jg], L lanes = `slots` rows
    // of the group's 4 columns. Aligned to the vector's size, so that no vector
    // read–modify–write of a partial sum straddles two cache lines. (None without
    // `transposed`.)
    let mut storage = vec![0.0; if transposed { (g * groups + 1) * L } else { 0 }];
    let off = match storage
        .as_ptr()
        .align_offset(L * std::mem::size_of::<f64>())
    {
        o if o < L && transposed => o,
        _ => 0,
    };
    let used = if transposed { g * groups * L } else { 0 };
    let (part, _) = S::as_mut_simd_f64s(&mut storage[off..off + used]);
    // As cells, so that each row slot can hold its cluster's sums at once (two slots of one
    // cluster share them): one bounds check per slot, not per update.
    let part = std::cell::Cell::from_mut(part).as_slice_of_cells();
    let mut v0 = 0;
    while v0 < nv {
        let v1 = (v0 + RESIDUAL_BLOCK_VECTORS).min(nv);
        let w: &[f64] = match &mut weights {
            Weights::Given(w) => w,
            Weights::Residuals { y, beta, e } => {
                let (yv, _) = S::as_simd_f64s(&y[v0 * L..v1 * L]);
                let (ev, _) = S::as_mut_simd_f64s(&mut e[v0 * L..v1 * L]);
                if let (Ok(yb), Ok(eb)) = (
                    <&[S::f64s; RESIDUAL_BLOCK_VECTORS]>::try_from(yv),
                    <&mut [S::f64s; RESIDUAL_BLOCK_VECTORS]>::try_from(&mut *ev),
                ) {
                    residual_block::<S, RESIDUAL_BLOCK_VECTORS>(simd, eb, yb, &cols, beta, v0);
                } else {
                    for (i, (ei, yi)) in ev.iter_mut().zip(yv).enumerate() {
                        let mut t = [*yi];
                        residual_block::<S, 1>(simd, &mut t, &[*yi], &cols, beta, v0 + i);
                        *ei = t[0];
                    }
                }
                e
            }
        };
        if !transposed {
            add_rows(acc, k, a, a_cs, w, codes, v0 * L..v1 * L);
            v0 = v1;
            continue;
        }
        for v in v0..v1 {
            let r0 = v * L;
            // By slot s = q·slots + h: the row's weight in the lanes of slot h, and its
            // cluster's sums. (Plain loops: a closure, as in `array::from_fn`, would not inherit
            // the target features, and the intrinsics in it would become calls.)
            let mut wv = [zero; L];
            let mut sums: [&[std::cell::Cell<S::f64s>]; L] = [&[]; L];
            for s in 0..L {
                wv[s] = simd.mul_f64s(simd.splat_f64s(w[r0 + rows[s]]), slot_mask[s % slots]);
                let at = codes[r0 + rows[s]] * groups;
                sums[s] = &part[at..at + groups];
            }
            // (jg indexes the sums of all L row slots at once.)
            #[allow(clippy::needless_range_loop)]
            for jg in 0..groups {
                let mut x = [zero; 4];
                for (u, xu) in x.iter_mut().enumerate() {
                    if let Some(col) = cols.get(4 * jg + u) {
                        *xu = col[v];
                    }
                }
                let t = simd.interleave_shfl_f64s(x);
                for (q, tq) in t.iter().enumerate() {
                    for h in 0..slots {
                        let s = q * slots + h;
                        let p = &sums[s][jg];
                        p.set(simd.mul_add_e_f64s(*tq, wv[s], p.get()));
                    }
                }
            }
        }
        v0 = v1;
    }
    let flat: &[f64] = &storage[off..off + used];
    for (c, sums) in acc
        .chunks_exact_mut(k)
        .enumerate()
        .take(if transposed { g } else { 0 })
    {
        for (j, s) in sums.iter_mut().enumerate() {
            let base = (c * groups + j / 4) * L + j % 4;
            *s += (0..slots).map(|h| flat[base + 4 * h]).sum::<f64>();
        }
    }
    let w = match weights {
        Weights::Given(w) => w,
        Weights::Residuals { y, beta, e } => {
            residual_rows(e, y, beta, a, a_cs, nv * L);
            e
        }
    };
    add_rows(acc, k, a, a_cs, w, codes, nv * L..m);
}

/// Where pulp's interleave of 4 vectors of L rows (one column each) puts each row: slot s (the
/// 4 lanes from `(s / (L/4))·L + (s mod (L/4))·4` of the transposed vectors, flattened) holds
/// the 4 columns of row `rows[s]`, in order. Read off a transpose of labelled values
/// (4·row + column) rather than assumed, and checked; `None` for any other layout (the callers
/// then take the rows one by one).
#[inline(always)]
fn transpose_slots<S: Simd, const L: usize>(simd: S) -> Option<[usize; L]> {
    let slots = L / 4;
    let label: [S::f64s; 4] = std::array::from_fn(|u| {
        let v: [f64; L] = std::array::from_fn(|r| (4 * r + u) as f64);
        S::as_simd_f64s(&v).0[0]
    });
    let label = simd.interleave_shfl_f64s(label);
    let label: &[f64] = pulp::bytemuck::cast_slice(&label[..]);
    if slots == 0 || label.len() != 4 * L {
        return None;
    }
    let mut rows = [0usize; L];
    let mut seen = [false; L];
    for (s, row) in rows.iter_mut().enumerate() {
        let base = (s / slots) * L + (s % slots) * 4;
        *row = (label[base] / 4.0) as usize;
        let in_order = (0..4).all(|u| {
            let want = (4 * *row + u) as f64;
            label[base + u].to_bits() == want.to_bits()
        });
        if !in_order || *row >= L || seen[*row] {
            return None;
        }
        seen[*row] = true;
    }
    Some(rows)
}

/// Width of a row of the row-major panels of [`scatter_rows`] and [`gram_rows`] for k columns:
/// k rounded up to the columns of one broadcast tile (8 with vectors of 8 doubles, 4 otherwise),
/// the extra columns zero.
pub(crate) fn row_panel_width(k: usize) -> usize {
    struct Width(usize);
    impl WithSimd for Width {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _simd: S) -> usize {
            self.0.div_ceil(tile_cols::<S>()) * tile_cols::<S>()
        }
    }
    Arch::new().dispatch(Width(k))
}

/// Columns of one broadcast tile of [`gram_rows`]: 8 with vectors of 8 doubles, 4 otherwise
/// (a multiple of the lanes either way).
#[inline(always)]
fn tile_cols<S: Simd>() -> usize {
    if std::mem::size_of::<S::f64s>() >= 64 {
        8
    } else {
        4
    }
}

/// Gathers rows into a row-major panel: row r of the k columns `cols` (each m = `order.len()`
/// rows long) becomes row `order[r]` of `dst`, whose rows are `kp` ≥ k wide (the columns past
/// k are written zero or left as they are: zero in a zeroed buffer). Every `order[r]` must be a
/// distinct row of `dst`.
///
/// With vectors of 8 or 4 doubles, each group of 4 columns × one vector of rows is transposed in
/// registers (pulp's interleave, as in [`cluster_row_sums`]) and each row's 4 entries are stored
/// together: a scatter into columns costs a load and a store per entry.
pub(crate) fn scatter_rows(dst: &mut [f64], kp: usize, cols: &[&[f64]], order: &[u32]) {
    debug_assert!(kp >= cols.len(), "a row panel is at least k wide");
    Arch::new().dispatch(ScatterRows {
        dst,
        kp,
        cols,
        order,
    });
}

struct ScatterRows<'a> {
    dst: &'a mut [f64],
    kp: usize,
    cols: &'a [&'a [f64]],
    order: &'a [u32],
}

impl WithSimd for ScatterRows<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let k = self.cols.len();
        let fits = k.div_ceil(4) * 4 <= self.kp;
        match std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>() {
            8 if fits => scatter_rows_t::<S, 8>(simd, self),
            4 if fits => scatter_rows_t::<S, 4>(simd, self),
            _ => scatter_rows_from(self.dst, self.kp, self.cols, self.order, 0),
        }
    }
}

/// The rows `r0..` of a [`scatter_rows`], one at a time.
#[inline(always)]
fn scatter_rows_from(dst: &mut [f64], kp: usize, cols: &[&[f64]], order: &[u32], r0: usize) {
    for (r, &p) in order.iter().enumerate().skip(r0) {
        let at = p as usize * kp;
        for (d, col) in dst[at..at + cols.len()].iter_mut().zip(cols) {
            *d = col[r];
        }
    }
}

/// [`scatter_rows`] with L-lane vectors (L = 4 or 8).
#[inline(always)]
fn scatter_rows_t<S: Simd, const L: usize>(simd: S, sr: ScatterRows<'_>) {
    let ScatterRows {
        dst,
        kp,
        cols,
        order,
    } = sr;
    let Some(rows) = transpose_slots::<S, L>(simd) else {
        scatter_rows_from(dst, kp, cols, order, 0);
        return;
    };
    let m = order.len();
    // The vectors start at the first row from which every column's loads are aligned, when
    // the columns share an offset within a line and at least 8 vectors of rows follow (a load
    // across two lines costs two); the rows before it are copied one at a time. Rows are only
    // copied, so where the vectors start changes no value.
    let h = match cols
        .first()
        .map(|c| c.as_ptr().align_offset(L * size_of::<f64>()))
    {
        Some(h)
            if h < L
                && m >= h + 8 * L
                && cols
                    .iter()
                    .all(|c| c.as_ptr().align_offset(L * size_of::<f64>()) == h) =>
        {
            h
        }
        _ => 0,
    };
    scatter_rows_from(dst, kp, cols, &order[..h], 0);
    let nv = (m - h) / L;
    let colv: Vec<&[S::f64s]> = cols
        .iter()
        .map(|c| S::as_simd_f64s(&c[h..h + nv * L]).0)
        .collect();
    let zero = simd.splat_f64s(0.0);
    for v in 0..nv {
        let r0 = h + v * L;
        let mut at = [0usize; L];
        for s in 0..L {
            at[s] = order[r0 + rows[s]] as usize * kp;
        }
        // Whole groups of 4 columns go from their loads to the transpose in registers; only a
        // last, narrower group is padded with zeros. (With every group assembled in a zeroed
        // array filled in a loop, each group went through the stack: 8 more stores and 4 more
        // loads. 1e6 rows × 22 columns, 24 clusters, in cache: 15.6 → 11.1 ms.)
        let mut groups = colv.chunks_exact(4);
        for (jg, g) in (&mut groups).enumerate() {
            let x = [g[0][v], g[1][v], g[2][v], g[3][v]];
            store_rows::<S, L>(simd, dst, &at, 4 * jg, x);
        }
        let rest = groups.remainder();
        if !rest.is_empty() {
            let mut x = [zero; 4];
            for (xu, col) in x.iter_mut().zip(rest) {
                *xu = col[v];
            }
            store_rows::<S, L>(simd, dst, &at, 4 * (colv.len() / 4), x);
        }
    }
    scatter_rows_from(dst, kp, cols, order, h + nv * L);
}

/// One group of [`scatter_rows_t`]: the 4 column vectors `x` (L rows each) transposed, and
/// each row's 4 entries stored at `at[s] + j0` for the row in slot s.
#[inline(always)]
fn store_rows<S: Simd, const L: usize>(
    simd: S,
    dst: &mut [f64],
    at: &[usize; L],
    j0: usize,
    x: [S::f64s; 4],
) {
    let slots = L / 4;
    let t = simd.interleave_shfl_f64s(x);
    let flat: &[f64] = pulp::bytemuck::cast_slice(&t[..]);
    for (s, &row_at) in at.iter().enumerate() {
        let base = (s / slots) * L + (s % slots) * 4;
        let d = row_at + j0;
        dst[d..d + 4].copy_from_slice(&flat[base..base + 4]);
    }
}

/// Doubles per cluster in [`cluster_gram_rows`]' accumulator for rows `k` wide (k ≤ 8): the
/// lower triangle's rows packed as vectors of 4, one for each row l < 4 and two for each row
/// l ≥ 4 (entries 0..4 and 4..8), rounded up to whole cache lines of 8 doubles (k = 7: 40
/// doubles, five lines).
pub(crate) fn cluster_gram_block(k: usize) -> usize {
    let vectors = if k <= 4 { k } else { 2 * k - 4 };
    (4 * vectors).next_multiple_of(8)
}

/// Where entry (l, j), j ≤ l < 8, of a cluster's lower triangle sits in its block of
/// [`cluster_gram_rows`]' accumulator (see [`cluster_gram_block`]).
pub(crate) fn cluster_gram_at(l: usize, j: usize) -> usize {
    let vector = if l < 4 { l } else { 2 * l - 4 + j / 4 };
    4 * vector + j % 4
}

/// Per-cluster Gram matrices of rows at most 8 wide, one rank-one update per row:
/// `acc[c·b + cluster_gram_at(l, j)] += z_l·z_j` for j ≤ l < k, for each row r in order, where
/// b = [`cluster_gram_block`]`(k)`, c = `codes[r]` and z is row r of the k ≤ 8 columns `cols`
/// (times `scale[r]` if given). Entries above the diagonal that share a vector with the lower
/// triangle's are written too (and not read by callers). Returns false, and adds nothing, without
/// AVX2 and FMA (the caller then reorders the rows into panels). `acc` should start on a 64-byte
/// boundary: a block is then whole cache lines (5 for k = 7) and no vector straddles two. (The
/// packed blocks replaced 8 × 8 blocks of 64 doubles on the allocator's 16-byte boundary, which
/// touched 8 lines a row for k = 7; alone that measured the same, 11.4–11.9 ms for OLS + CR1 on
/// 1e6 × 6 and y with 1000 clusters, but it keeps 1.6 times as many clusters' blocks within
/// the bound for updates in place.) The body is compiled once for each width and scaling
/// (`gram_rows_k`): with the width a run-time value the loop over a row's entries did not
/// unroll, and a row took about 25 cycles; that case went from 11.1–12.0 to 7.8–8.3 ms
/// (alternated, one thread), and with 24 clusters from 9.8 to 6.5 ms.
///
/// For narrow designs whose G blocks stay in L2 this costs a few vector multiply–adds per row
/// and no reordering, where [`scatter_rows`] then [`gram_rows`] spend most of their time moving
/// the rows (in the peer harness, OLS + CR1 on 1e6 rows × 6 columns and y with 1000 clusters:
/// 15.4–16.6 → 10.7 ms; with 24 clusters 14.7 → 7.5 ms). It works on vectors of 4 doubles even with
/// AVX-512: four rows of four columns are transposed in registers, so each row's entries reach
/// the multiply–adds without passing through memory (a row of 8 assembled in memory from scalar
/// stores and loaded as one vector stalls on the store forwarding, and was no faster than the
/// panels). Each entry's sum runs over its cluster's rows in order.
pub(crate) fn cluster_gram_rows(
    acc: &mut [f64],
    cols: &[&[f64]],
    scale: Option<&[f64]>,
    codes: &[usize],
) -> bool {
    debug_assert!(cols.len() <= 8, "rows of at most 8");
    debug_assert!(
        cols.iter()
            .chain(scale.as_ref())
            .all(|c| c.len() == codes.len())
    );
    #[cfg(target_arch = "x86_64")]
    if let Some(v3) = pulp::x86::V3::try_new() {
        return Simd::vectorize(
            v3,
            ClusterGramRows {
                acc,
                cols,
                scale,
                codes,
            },
        );
    }
    false
}

struct ClusterGramRows<'a> {
    acc: &'a mut [f64],
    cols: &'a [&'a [f64]],
    scale: Option<&'a [f64]>,
    codes: &'a [usize],
}

impl WithSimd for ClusterGramRows<'_> {
    type Output = bool;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> bool {
        let ClusterGramRows {
            acc,
            cols,
            scale,
            codes,
        } = self;
        let k = cols.len();
        let m = codes.len();
        let Some(slot_row) = transpose_slots::<S, 4>(simd).filter(|_| {
            std::mem::size_of::<S::f64s>() == 32
                && k <= 8
                && cols.iter().chain(scale.as_ref()).all(|c| c.len() >= m)
        }) else {
            return false;
        };
        // One body per width and per scaling, so that the loops over the row's entries unroll
        // and the accumulator's bounds are known (about 25 cycles a row with k = 7 when the
        // width was a run-time value).
        macro_rules! widths {
            ($($k:literal)*) => {
                match (k, scale) {
                    $(
                        ($k, Some(scale)) => simd.vectorize(GramRowsK::<$k, true> { acc, cols, scale, codes, slot_row }),
                        ($k, None) => simd.vectorize(GramRowsK::<$k, false> { acc, cols, scale: &[], codes, slot_row }),
                    )*
                    _ => return false,
                }
            };
        }
        widths!(1 2 3 4 5 6 7 8);
        true
    }
}

/// [`cluster_gram_rows`] for rows K wide, each times its `scale` if SCALED: z is the row (two
/// vectors of 4, from a transpose of 4 rows in registers), each z_l is read again from its
/// column and broadcast. (Its own `WithSimd`, entered through `vectorize`, so that each body is
/// compiled with the instruction set's features whatever the inliner decides for 16 bodies.)
struct GramRowsK<'a, const K: usize, const SCALED: bool> {
    acc: &'a mut [f64],
    cols: &'a [&'a [f64]],
    scale: &'a [f64],
    codes: &'a [usize],
    slot_row: [usize; 4],
}

impl<const K: usize, const SCALED: bool> WithSimd for GramRowsK<'_, K, SCALED> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let GramRowsK {
            acc,
            cols,
            scale,
            codes,
            slot_row,
        } = self;
        gram_rows_k::<S, K, SCALED>(simd, acc, cols, scale, codes, slot_row);
    }
}

#[inline(always)]
fn gram_rows_k<S: Simd, const K: usize, const SCALED: bool>(
    simd: S,
    acc: &mut [f64],
    cols: &[&[f64]],
    scale: &[f64],
    codes: &[usize],
    slot_row: [usize; 4],
) {
    let m = codes.len();
    let cols: [&[f64]; K] = std::array::from_fn(|l| &cols[l][..m]);
    let scale = if SCALED { &scale[..m] } else { scale };
    let nv = m / 4;
    let colv: [&[S::f64s]; K] = std::array::from_fn(|l| S::as_simd_f64s(&cols[l][..nv * 4]).0);
    let zero = simd.splat_f64s(0.0);
    for v in 0..nv {
        let mut halves = [[zero; 4]; 2];
        for (h, half) in halves.iter_mut().enumerate().take(K.div_ceil(4)) {
            // A loop, not `array::from_fn`: its closure is not compiled with the instruction
            // set's features and was not inlined (the kernel took twice as long).
            let mut x = [zero; 4];
            for (u, xu) in x.iter_mut().enumerate() {
                if let Some(c) = colv.get(4 * h + u) {
                    *xu = c[v];
                }
            }
            *half = simd.interleave_shfl_f64s(x);
        }
        for (s, &row) in slot_row.iter().enumerate() {
            let r = 4 * v + row;
            let mut z = [halves[0][s], halves[1][s]];
            if SCALED {
                let f = simd.splat_f64s(scale[r]);
                z = [simd.mul_f64s(z[0], f), simd.mul_f64s(z[1], f)];
            }
            gram_row_update_k::<S, K, SCALED>(simd, acc, &cols, scale, codes, r, z);
        }
    }
    // The last rows (fewer than 4) one at a time, through memory.
    for r in nv * 4..m {
        let f = if SCALED { scale[r] } else { 1.0 };
        let mut row = [0.0; 8];
        for (d, c) in row.iter_mut().zip(&cols) {
            *d = c[r] * f;
        }
        let (lo, hi) = row.split_at(4);
        let z = [S::as_simd_f64s(lo).0[0], S::as_simd_f64s(hi).0[0]];
        gram_row_update_k::<S, K, SCALED>(simd, acc, &cols, scale, codes, r, z);
    }
}

/// One row's update of [`gram_rows_k`]: z is the row (two vectors of 4), each z_l is read
/// again from its column. (A function, not a closure: a closure is not compiled with the
/// instruction set's features, and as one this update ran seven times slower.)
#[inline(always)]
fn gram_row_update_k<S: Simd, const K: usize, const SCALED: bool>(
    simd: S,
    acc: &mut [f64],
    cols: &[&[f64]; K],
    scale: &[f64],
    codes: &[usize],
    r: usize,
    z: [S::f64s; 2],
) {
    let bs = cluster_gram_block(K);
    let f = if SCALED { scale[r] } else { 1.0 };
    let c = codes[r];
    let a = S::as_mut_simd_f64s(&mut acc[c * bs..c * bs + bs]).0;
    for (l, col) in cols.iter().enumerate() {
        let b = simd.splat_f64s(if SCALED { col[r] * f } else { col[r] });
        // Row l of the lower triangle: entries j ≤ l, one vector while l < 4, two after.
        if l < 4 {
            a[l] = simd.mul_add_e_f64s(b, z[0], a[l]);
        } else {
            let v = 2 * l - 4;
            a[v] = simd.mul_add_e_f64s(b, z[0], a[v]);
            a[v + 1] = simd.mul_add_e_f64s(b, z[1], a[v + 1]);
        }
    }
}

/// `C[l, j] += Σ_r R[r, j]·R[r, l]` for l ≥ j (the lower triangle of a k × k column-major C)
/// over the rows of a row-major panel R (`rows`, rows `kp` wide, the columns past k zero, as
/// [`row_panel_width`] gives). Entries above the diagonal may also be updated (inside diagonal
/// tiles); callers mirror the lower triangle when they are done (see [`mirror_lower`]). A panel
/// narrower than k is a caller's error: nothing is added (and debug builds stop).
///
/// Each tile holds the products of T columns (broadcast, one at a time) with up to 3 vectors of
/// the row (2 with vectors of fewer than 8 doubles) in registers for the whole panel, so that a
/// finished tile is added to C lane by lane, with no reduction across lanes: the sum of each
/// entry runs over the rows in order.
pub(crate) fn gram_rows(c: &mut [f64], k: usize, rows: &[f64], kp: usize) {
    debug_assert!(kp >= k, "a row panel is at least k wide");
    if k == 0 || kp < k || rows.len() < kp {
        return;
    }
    Arch::new().dispatch(GramRows { c, k, rows, kp });
}

struct GramRows<'a> {
    c: &'a mut [f64],
    k: usize,
    rows: &'a [f64],
    kp: usize,
}

impl WithSimd for GramRows<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        if std::mem::size_of::<S::f64s>() >= 64 {
            gram_rows_t::<S, 8, 3>(simd, self);
        } else {
            gram_rows_t::<S, 4, 2>(simd, self);
        }
    }
}

/// [`gram_rows`] with T broadcast columns and up to V vectors per tile.
#[inline(always)]
fn gram_rows_t<S: Simd, const T: usize, const V: usize>(simd: S, g: GramRows<'_>) {
    let GramRows { c, k, rows, kp } = g;
    let lanes = std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>();
    if kp % T != 0 || T % lanes != 0 {
        // Not a panel of this width: the rows one by one.
        for row in rows.chunks_exact(kp) {
            for j in 0..k {
                for l in j..k {
                    c[j * k + l] += row[j] * row[l];
                }
            }
        }
        return;
    }
    let nvec = kp / lanes;
    for j0 in (0..k).step_by(T) {
        // Vectors from the one holding column j0: the tile's lower part and its diagonal block.
        let mut v0 = j0 / lanes;
        while v0 < nvec {
            let left = nvec - v0;
            if left >= V {
                tile_rows::<S, T, V>(simd, c, k, rows, kp, (j0, v0));
                v0 += V;
            } else if left >= 2 {
                tile_rows::<S, T, 2>(simd, c, k, rows, kp, (j0, v0));
                v0 += 2;
            } else {
                tile_rows::<S, T, 1>(simd, c, k, rows, kp, (j0, v0));
                v0 += 1;
            }
        }
    }
}

/// One tile of [`gram_rows`]: columns j0..j0+T (broadcast) against the row vectors v0..v0+W.
#[inline(always)]
fn tile_rows<S: Simd, const T: usize, const W: usize>(
    simd: S,
    c: &mut [f64],
    k: usize,
    rows: &[f64],
    kp: usize,
    (j0, v0): (usize, usize),
) {
    let lanes = std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>();
    let zero = simd.splat_f64s(0.0);
    let mut acc = [[zero; W]; T];
    for row in rows.chunks_exact(kp) {
        let (rv, _) = S::as_simd_f64s(row);
        let xs = &rv[v0..v0 + W];
        let bs = &row[j0..j0 + T];
        for (jj, b) in bs.iter().enumerate() {
            let b = simd.splat_f64s(*b);
            for w in 0..W {
                acc[jj][w] = simd.mul_add_e_f64s(b, xs[w], acc[jj][w]);
            }
        }
    }
    // Each accumulator is added to its run of C's column j (C[l, j] for l in the vector's lanes),
    // a whole vector at a time where the run lies within k.
    for (jj, accj) in acc.iter().enumerate() {
        let j = j0 + jj;
        if j >= k {
            break;
        }
        let col = &mut c[j * k..(j + 1) * k];
        for (w, a) in accj.iter().enumerate() {
            let l = (v0 + w) * lanes;
            if l + lanes <= k {
                let (cv, _) = S::as_mut_simd_f64s(&mut col[l..l + lanes]);
                cv[0] = simd.add_f64s(cv[0], *a);
            } else if l < k {
                let flat: &[f64] = pulp::bytemuck::cast_slice(std::slice::from_ref(a));
                for (x, v) in col[l..].iter_mut().zip(flat) {
                    *x += v;
                }
            }
        }
    }
}

/// Copies the lower triangle of the k × k column-major `c` onto its upper triangle.
pub(crate) fn mirror_lower(c: &mut [f64], k: usize) {
    for l in 0..k {
        for j in 0..l {
            c[j + l * k] = c[l + j * k];
        }
    }
}

/// Copies the upper triangle of the k × k column-major `c` onto its lower triangle.
pub(crate) fn mirror_upper(c: &mut [f64], k: usize) {
    for l in 0..k {
        for j in 0..l {
            c[l + j * k] = c[j + l * k];
        }
    }
}

struct Gram<'a> {
    c: &'a mut [f64],
    k: usize,
    a: &'a [f64],
    a_cs: usize,
    b: &'a [f64],
    b_cs: usize,
    m: usize,
    /// y (m rows) and Aᵀy to accumulate, if wanted.
    y: Option<(&'a [f64], &'a mut [f64])>,
}

impl WithSimd for Gram<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        if std::mem::size_of::<S::f64s>() >= 64 {
            gram::<S, 4, 5>(simd, self);
        } else {
            gram::<S, 3, 4>(simd, self);
        }
    }
}

struct Dot<'a> {
    a: &'a [f64],
    b: &'a [f64],
}

impl WithSimd for Dot<'_> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        dot::<S>(simd, self.a, self.b)
    }
}

/// Dot product of two equally long slices with four vector accumulators.
#[inline(always)]
fn dot<S: Simd>(simd: S, a: &[f64], b: &[f64]) -> f64 {
    let (av, at) = S::as_simd_f64s(a);
    let (bv, bt) = S::as_simd_f64s(b);
    let zero = simd.splat_f64s(0.0);
    let mut acc = [zero; 4];
    let mut ca = av.chunks_exact(4);
    let mut cb = bv.chunks_exact(4);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for u in 0..4 {
            acc[u] = simd.mul_add_e_f64s(xa[u], xb[u], acc[u]);
        }
    }
    for (xa, xb) in ca.remainder().iter().zip(cb.remainder()) {
        acc[0] = simd.mul_add_e_f64s(*xa, *xb, acc[0]);
    }
    let v = simd.add_f64s(simd.add_f64s(acc[0], acc[1]), simd.add_f64s(acc[2], acc[3]));
    let mut tail = 0.0;
    for (x, y) in at.iter().zip(bt) {
        tail += x * y;
    }
    simd.reduce_sum_f64s(v) + tail
}

/// Row vectors per chunk of the tiled product: a chunk of all k columns (k·256 doubles for
/// 8-lane vectors, 43 KB at k = 21) stays in L1 while every tile of the chunk reads it.
const CHUNK_VECTORS: usize = 32;

/// The tiles of a product for T × T tiles, with `T1` = T + 1 (the width of a diagonal tile
/// that carries y too).
#[inline(always)]
fn gram<S: Simd, const T: usize, const T1: usize>(simd: S, g: Gram<'_>) {
    debug_assert_eq!(T1, T + 1);
    // The columns past the last whole tile (R = k mod T < T) form T × R edge tiles against every
    // tile row and one R × R corner, so that no product is left to strided dot products. y, when
    // wanted, is one more column of B: of the diagonal tiles when T divides k (their A vectors
    // are loaded anyway, so Aᵀy costs one more load per vector), else of the edge tiles and the
    // corner (rather than tiles of its own one column wide).
    match (g.k % T, g.y.is_some()) {
        (0, false) => gram_tiles::<S, T, T, 0, 0>(simd, g),
        (0, true) => gram_tiles::<S, T, T1, 0, 0>(simd, g),
        (1, false) => gram_tiles::<S, T, T, 1, 1>(simd, g),
        (1, true) => gram_tiles::<S, T, T, 1, 2>(simd, g),
        (2, false) => gram_tiles::<S, T, T, 2, 2>(simd, g),
        (2, true) => gram_tiles::<S, T, T, 2, 3>(simd, g),
        (_, false) => gram_tiles::<S, T, T, 3, 3>(simd, g),
        (_, true) => gram_tiles::<S, T, T, 3, 4>(simd, g),
    }
}

/// The tiles of one product, over the columns of A and of B' = [B, y] (y, when wanted, as
/// column k of B'): the T × D tiles on the diagonal of the first k − R columns (only their upper
/// triangles, and with B = A from A's vectors alone; D = T + 1 when they carry y), the T × T
/// tiles above them, the T × E edge tiles of those columns against the last E columns of B',
/// and the R × E corner.
#[inline(always)]
fn gram_tiles<S: Simd, const T: usize, const D: usize, const R: usize, const E: usize>(
    simd: S,
    g: Gram<'_>,
) {
    let Gram {
        c,
        k,
        a,
        a_cs,
        b,
        b_cs,
        m,
        y,
    } = g;
    let kt = k - R;
    let lanes = std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>();
    let nv = m / lanes;
    let (yv, mut xty) = match y {
        Some((yv, xty)) => (&yv[..m], Some(xty)),
        None => (&[][..], None),
    };
    let same = std::ptr::eq(a, b) && a_cs == b_cs;
    // Where A's columns are equally misaligned, the vectors start at its first aligned row
    // (`shift` rows in) so that no load straddles two cache lines; the rows before it and the
    // rest of the last vector go in two vectors of their own, padded with zeros, the first
    // before and the second after the aligned ones (see `ALIGN_MIN_VECTORS`). Each lane still
    // sums the rows of one residue r mod L in the same order, from the same zero (adding a
    // padded zero product leaves a sum as it is); the lanes only sit `shift` places over, a
    // cyclic turn, which the halving reduction across lanes (pulp's: lane i + lane i + L/2, and
    // so on) does not see: each addition pairs the same two sums. So the bits do not depend on
    // where the data lie (a test checks them from every offset).
    let shift = match a.as_ptr().align_offset(lanes * std::mem::size_of::<f64>()) {
        h if h < lanes
            && nv >= ALIGN_MIN_VECTORS
            && k >= ALIGN_MIN_COLUMNS
            && a_cs % lanes == 0 =>
        {
            h
        }
        _ => 0,
    };
    let panel = Panel {
        a,
        a_cs,
        b,
        b_cs,
        k,
        y: yv,
        shift,
        nv: nv - usize::from(shift > 0),
        tail0: nv * lanes,
        m,
    };
    // The padded vectors before and after the aligned ones, in one buffer: for each, k columns
    // of A, k of B (when B is not A), then y, one vector each; each read as a panel of one
    // vector of rows.
    let block = (2 * k + 1) * lanes;
    let mut edges = vec![0.0; if shift > 0 { 2 * block } else { 0 }];
    if shift > 0 {
        for (e, part) in edges.chunks_exact_mut(block).enumerate() {
            let (at, r0, len) = if e == 0 {
                (lanes - shift, 0, shift)
            } else {
                (0, shift + (nv - 1) * lanes, lanes - shift)
            };
            let (pa, rest) = part.split_at_mut(k * lanes);
            let (pb, py) = rest.split_at_mut(k * lanes);
            for j in 0..k {
                pa[j * lanes + at..j * lanes + at + len]
                    .copy_from_slice(&a[j * a_cs + r0..j * a_cs + r0 + len]);
                if !same {
                    pb[j * lanes + at..j * lanes + at + len]
                        .copy_from_slice(&b[j * b_cs + r0..j * b_cs + r0 + len]);
                }
            }
            if !yv.is_empty() {
                py[at..at + len].copy_from_slice(&yv[r0..r0 + len]);
            }
        }
    }
    let edge_panel = |e: usize| -> Option<Panel<'_>> {
        let part = edges.get(e * block..(e + 1) * block)?;
        let (pa, rest) = part.split_at(k * lanes);
        let (pb, py) = rest.split_at(k * lanes);
        Some(Panel {
            a: pa,
            a_cs: lanes,
            b: if same { pa } else { pb },
            b_cs: lanes,
            k,
            y: if yv.is_empty() { &[] } else { py },
            shift: 0,
            nv: 1,
            tail0: lanes,
            m: lanes,
        })
    };
    let (head, end) = (edge_panel(0), edge_panel(1));
    // The sweeps of the rows, in order: the head vector, the aligned vectors, the end vector.
    let sweeps = |r0: usize, r1: usize| {
        head.iter()
            .filter(move |_| r0 == 0)
            .map(|p| (p, 0, 1))
            .chain(std::iter::once((&panel, r0, r1)))
            .chain(
                end.iter()
                    .filter(move |_| r1 == panel.nv)
                    .map(|p| (p, 0, 1)),
            )
    };
    let diagonal = || (0..kt).step_by(T).map(|p| (p, p));
    let above = || {
        (0..kt)
            .step_by(T)
            .flat_map(|p| (p + T..kt).step_by(T).map(move |q| (p, q)))
    };
    let edge = || (0..kt).step_by(T).map(|p| (p, kt)).filter(|_| E > 0);
    let corner = || std::iter::once((kt, kt)).filter(|_| R > 0);
    // A finished tile's entries go to C, or to Xᵀy for column k of B'.
    let mut put = |j: usize, l: usize, v: f64| {
        if l < k {
            c[j + l * k] += v;
        } else if let Some(xty) = xty.as_deref_mut() {
            xty[j] += v;
        }
    };
    let zero = simd.splat_f64s(0.0);
    if panel.nv <= CHUNK_VECTORS {
        // A short panel (a cluster's segment): each tile's accumulators live in registers.
        for pq in diagonal() {
            let mut acc = [[zero; D]; T];
            for (pn, r0, r1) in sweeps(0, panel.nv) {
                diagonal_tile::<S, T, D>(simd, &mut acc, pn, pq, (r0, r1), same);
            }
            finish::<S, T, D, true>(simd, &mut put, &acc, &panel, pq);
        }
        for pq in above() {
            let mut acc = [[zero; T]; T];
            for (pn, r0, r1) in sweeps(0, panel.nv) {
                tile::<S, T, T, false, false>(simd, &mut acc, pn, pq, r0, r1);
            }
            finish::<S, T, T, false>(simd, &mut put, &acc, &panel, pq);
        }
        for pq in edge() {
            let mut acc = [[zero; E]; T];
            for (pn, r0, r1) in sweeps(0, panel.nv) {
                tile::<S, T, E, false, false>(simd, &mut acc, pn, pq, r0, r1);
            }
            finish::<S, T, E, false>(simd, &mut put, &acc, &panel, pq);
        }
        for pq in corner() {
            let mut acc = [[zero; E]; R];
            for (pn, r0, r1) in sweeps(0, panel.nv) {
                diagonal_tile::<S, R, E>(simd, &mut acc, pn, pq, (r0, r1), same);
            }
            finish::<S, R, E, true>(simd, &mut put, &acc, &panel, pq);
        }
    } else {
        // A long panel is swept chunk by chunk, every tile per chunk, with the accumulators kept
        // between chunks: each chunk is read from L2 once and then from L1 by every tile,
        // instead of every tile streaming the whole panel from L2.
        let mut di = vec![[[zero; D]; T]; diagonal().count()];
        let mut ab = vec![[[zero; T]; T]; above().count()];
        let mut ed = vec![[[zero; E]; T]; edge().count()];
        let mut co = vec![[[zero; E]; R]; corner().count()];
        let mut r0 = 0;
        while r0 < panel.nv {
            let r1 = (r0 + CHUNK_VECTORS).min(panel.nv);
            for (pn, s0, s1) in sweeps(r0, r1) {
                for (acc, pq) in di.iter_mut().zip(diagonal()) {
                    diagonal_tile::<S, T, D>(simd, acc, pn, pq, (s0, s1), same);
                }
                for (acc, pq) in ab.iter_mut().zip(above()) {
                    tile::<S, T, T, false, false>(simd, acc, pn, pq, s0, s1);
                }
                for (acc, pq) in ed.iter_mut().zip(edge()) {
                    tile::<S, T, E, false, false>(simd, acc, pn, pq, s0, s1);
                }
                for (acc, pq) in co.iter_mut().zip(corner()) {
                    diagonal_tile::<S, R, E>(simd, acc, pn, pq, (s0, s1), same);
                }
            }
            r0 = r1;
        }
        for (acc, pq) in di.iter().zip(diagonal()) {
            finish::<S, T, D, true>(simd, &mut put, acc, &panel, pq);
        }
        for (acc, pq) in ab.iter().zip(above()) {
            finish::<S, T, T, false>(simd, &mut put, acc, &panel, pq);
        }
        for (acc, pq) in ed.iter().zip(edge()) {
            finish::<S, T, E, false>(simd, &mut put, acc, &panel, pq);
        }
        for (acc, pq) in co.iter().zip(corner()) {
            finish::<S, R, E, true>(simd, &mut put, acc, &panel, pq);
        }
    }
}

/// Whole vectors of rows from which [`gram_tiles`] aligns its loads.
const ALIGN_MIN_VECTORS: usize = 8;

/// Columns from which [`gram_tiles`] aligns its loads: with fewer, the two padded vectors cost
/// about what the split loads do (1000 × 4 from 16 bytes off a line: 0.44 µs as loaded, 0.47–0.49
/// µs aligned; 1000 × 8: 2.13 against 1.59 µs).
const ALIGN_MIN_COLUMNS: usize = 8;

/// The operands of one product: A[r, j] = `a[r + j·a_cs]` and B'[r, l] = `b[r + l·b_cs]` for
/// l < k, B'[r, k] = `y[r]`, for the rows r < m. The tiles sweep `nv` whole vectors of rows
/// from row `shift` on; the rows from `tail0` on fill no vector and are added one by one when a
/// tile is finished.
struct Panel<'a> {
    a: &'a [f64],
    a_cs: usize,
    b: &'a [f64],
    b_cs: usize,
    k: usize,
    y: &'a [f64],
    shift: usize,
    nv: usize,
    tail0: usize,
    m: usize,
}

impl<'a> Panel<'a> {
    /// Rows `shift + lo..shift + hi` of column j of A.
    #[inline(always)]
    fn a_col(&self, j: usize, lo: usize, hi: usize) -> &'a [f64] {
        self.a_rows(j, self.shift + lo, self.shift + hi)
    }

    /// Rows `shift + lo..shift + hi` of column l of B'.
    #[inline(always)]
    fn b_col(&self, l: usize, lo: usize, hi: usize) -> &'a [f64] {
        self.b_rows(l, self.shift + lo, self.shift + hi)
    }

    /// Rows `lo..hi` of column j of A.
    #[inline(always)]
    fn a_rows(&self, j: usize, lo: usize, hi: usize) -> &'a [f64] {
        &self.a[j * self.a_cs + lo..j * self.a_cs + hi]
    }

    /// Rows `lo..hi` of column l of B'.
    #[inline(always)]
    fn b_rows(&self, l: usize, lo: usize, hi: usize) -> &'a [f64] {
        if l < self.k {
            &self.b[l * self.b_cs + lo..l * self.b_cs + hi]
        } else {
            &self.y[lo..hi]
        }
    }
}

/// Column `ll` of a TA × TB tile whose B' columns start at l0: l0 + ll, except that on the
/// diagonal (`DIAG`) the columns past TA are y (column k of B').
#[inline(always)]
fn b_index<const TA: usize, const DIAG: bool>(panel: &Panel<'_>, l0: usize, ll: usize) -> usize {
    if DIAG && ll >= TA { panel.k } else { l0 + ll }
}

/// Hands a finished TA × TB tile at (p, q) to `put(j, l, value)`: its accumulators reduced
/// across lanes plus the rows that do not fill a vector. On the diagonal (`DIAG`), only the
/// entries with j ≤ l (and those of y, its columns past TA).
#[inline(always)]
fn finish<S: Simd, const TA: usize, const TB: usize, const DIAG: bool>(
    simd: S,
    put: &mut impl FnMut(usize, usize, f64),
    acc: &[[S::f64s; TB]; TA],
    panel: &Panel<'_>,
    (p, q): (usize, usize),
) {
    let (tail0, m) = (panel.tail0, panel.m);
    for (jj, row) in acc.iter().enumerate() {
        let aj = panel.a_rows(p + jj, tail0, m);
        for (ll, v) in row.iter().enumerate() {
            if DIAG && ll < jj {
                continue;
            }
            let l = b_index::<TA, DIAG>(panel, q, ll);
            let bl = panel.b_rows(l, tail0, m);
            let tail: f64 = aj.iter().zip(bl).map(|(x, y)| x * y).sum();
            put(p + jj, l, simd.reduce_sum_f64s(*v) + tail);
        }
    }
}

/// A [`tile`] on the diagonal (its upper triangle), from A's vectors alone when B = A (`same`).
#[inline(always)]
fn diagonal_tile<S: Simd, const TA: usize, const TB: usize>(
    simd: S,
    acc: &mut [[S::f64s; TB]; TA],
    panel: &Panel<'_>,
    pq: (usize, usize),
    (r0, r1): (usize, usize),
    same: bool,
) {
    if same {
        tile::<S, TA, TB, true, true>(simd, acc, panel, pq, r0, r1);
    } else {
        tile::<S, TA, TB, true, false>(simd, acc, panel, pq, r0, r1);
    }
}

/// One TA × TB tile at (j0, l0) over the row vectors r0..r1:
/// `acc[jj][ll] += A[r, j0+jj]·B'[r, l]` lane-wise, with l as in [`b_index`]. On the diagonal
/// (`DIAG`), only the accumulators with jj ≤ ll; with `SAME` (B = A there) B's vectors are A's,
/// and only y's are loaded.
#[inline(always)]
fn tile<S: Simd, const TA: usize, const TB: usize, const DIAG: bool, const SAME: bool>(
    simd: S,
    acc: &mut [[S::f64s; TB]; TA],
    panel: &Panel<'_>,
    (j0, l0): (usize, usize),
    r0: usize,
    r1: usize,
) {
    let lanes = std::mem::size_of::<S::f64s>() / std::mem::size_of::<f64>();
    let (lo, hi) = (r0 * lanes, r1 * lanes);
    let aj: [&[S::f64s]; TA] =
        std::array::from_fn(|jj| S::as_simd_f64s(panel.a_col(j0 + jj, lo, hi)).0);
    let bl: [&[S::f64s]; TB] = std::array::from_fn(|ll| {
        if SAME && ll < TA {
            &[][..]
        } else {
            S::as_simd_f64s(panel.b_col(b_index::<TA, DIAG>(panel, l0, ll), lo, hi)).0
        }
    });
    let mut t = *acc;
    for r in 0..r1 - r0 {
        let mut av = [simd.splat_f64s(0.0); TA];
        for jj in 0..TA {
            av[jj] = aj[jj][r];
        }
        for ll in 0..TB {
            let bv = if SAME && ll < TA { av[ll] } else { bl[ll][r] };
            for jj in 0..TA {
                if !(DIAG && ll < jj) {
                    t[jj][ll] = simd.mul_add_e_f64s(av[jj], bv, t[jj][ll]);
                }
            }
        }
    }
    *acc = t;
}

/// Runs the check `make()` builds on the scalar fallback and on every x86 instruction set the
/// processor offers (pulp's dispatch would pick only the widest): tests of the vector code.
#[cfg(test)]
pub(crate) fn on_every_instruction_set<W: WithSimd<Output = ()>>(make: impl Fn() -> W) {
    make().with_simd(pulp::Scalar::new());
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(s) = pulp::x86::V2::try_new() {
            make().with_simd(s);
        }
        if let Some(s) = pulp::x86::V3::try_new() {
            make().with_simd(s);
        }
        if let Some(s) = pulp::x86::V4::try_new() {
            make().with_simd(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys and their bounds follow `order_key`'s definition (`!b` for a negative value's
    /// bits b, else `b | 1 << 63`, −0 as +0) on the scalar fallback and on every vector
    /// instruction set here, at lengths around each vector width (tails of every size).
    #[test]
    fn order_keys_are_the_map_on_every_instruction_set() {
        let special = [
            -3.5,
            -0.0,
            0.0,
            1e-310,
            -1e-310,
            f64::MAX,
            f64::MIN,
            2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let values: Vec<f64> = special
            .into_iter()
            .chain((0..37).map(|i| (f64::from(i) - 18.3).powi(3)))
            .collect();
        struct Check<'a>(&'a [f64]);
        impl WithSimd for Check<'_> {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for n in 1..=self.0.len() {
                    let v = &self.0[..n];
                    let mut keys = vec![0; n];
                    let (lo, hi) = OrderKeys {
                        keys: &mut keys,
                        values: v,
                    }
                    .with_simd(simd);
                    let definition = |x: f64| {
                        let b = (x + 0.0).to_bits();
                        if b >> 63 == 1 { !b } else { b | (1 << 63) }
                    };
                    let want: Vec<u64> = v.iter().map(|&x| definition(x)).collect();
                    assert_eq!(keys, want);
                    let bounds = (want.iter().min().copied(), want.iter().max().copied());
                    assert_eq!((Some(lo), Some(hi)), bounds);
                }
            }
        }
        on_every_instruction_set(|| Check(&values));
    }

    fn naive(a: &[f64], a_cs: usize, b: &[f64], b_cs: usize, m: usize, k: usize) -> Vec<f64> {
        let mut c = vec![0.0; k * k];
        for j in 0..k {
            for l in 0..k {
                c[j + l * k] = (0..m).map(|r| a[r + j * a_cs] * b[r + l * b_cs]).sum();
            }
        }
        c
    }

    /// The 3 × 3 tiles (vectors of 4 or 2 doubles, and the scalar fallback) on this machine too,
    /// whatever pulp would dispatch to: AᵀA, AᵀB (no shared vectors on the diagonal) and AᵀA
    /// with Aᵀy (y a column of the diagonal tiles when T divides k, else of the edge tiles), for
    /// every k mod 3 and k mod 4.
    #[test]
    fn gram_is_exact_on_every_instruction_set() {
        struct Check;
        impl WithSimd for Check {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for k in [1, 2, 3, 4, 5, 6, 7, 22] {
                    for m in [0, 5, 64, 129, 600] {
                        let cs = m + 1;
                        let a: Vec<f64> =
                            (0..cs * k).map(|i| ((i * 31) % 23) as f64 - 11.0).collect();
                        let b: Vec<f64> =
                            (0..cs * k).map(|i| ((i * 17) % 13) as f64 - 6.0).collect();
                        let y: Vec<f64> = (0..m).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
                        for case in 0..3 {
                            let other = if case == 1 { &b } else { &a };
                            let mut c = vec![0.0; k * k];
                            let mut xty = vec![0.0; k];
                            Gram {
                                c: &mut c,
                                k,
                                a: &a,
                                a_cs: cs,
                                b: other,
                                b_cs: cs,
                                m,
                                y: (case == 2).then_some((&y[..], &mut xty[..])),
                            }
                            .with_simd(simd);
                            let want = naive(&a, cs, other, cs, m, k);
                            for l in 0..k {
                                for j in 0..=l {
                                    // Integer data: every partial sum is exact.
                                    assert!(
                                        (c[j + l * k] - want[j + l * k]).abs() < 1e-9,
                                        "k={k} m={m} case {case}"
                                    );
                                }
                                let w: f64 = if case == 2 {
                                    (0..m).map(|r| a[r + l * cs] * y[r]).sum()
                                } else {
                                    0.0
                                };
                                assert!((xty[l] - w).abs() < 1e-9, "xty k={k} m={m} case {case}");
                            }
                        }
                    }
                }
            }
        }
        on_every_instruction_set(|| Check);
    }

    #[test]
    fn gram_matches_naive_products_for_every_shape() {
        for k in [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 21] {
            // Up to 256 rows one chunk; beyond, the chunked sweep (with a partial last chunk).
            for m in [
                0, 1, 3, 7, 8, 9, 17, 33, 100, 255, 256, 257, 300, 1000, 2053,
            ] {
                let cs = m + 3;
                let a: Vec<f64> = (0..cs * k)
                    .map(|i| ((i * 7919) % 97) as f64 / 13.0 - 3.0)
                    .collect();
                let b: Vec<f64> = (0..cs * k)
                    .map(|i| ((i * 104_729) % 89) as f64 / 11.0 - 4.0)
                    .collect();
                let mut c = vec![0.5; k * k];
                gram_upper(&mut c, k, &a, cs, &b, cs, m);
                let want = naive(&a, cs, &b, cs, m, k);
                for l in 0..k {
                    for j in 0..=l {
                        let got = c[j + l * k] - 0.5;
                        let w = want[j + l * k];
                        assert!(
                            (got - w).abs() <= 1e-12 * (1.0 + w.abs()),
                            "k={k} m={m} ({j},{l}): {got} v {w}"
                        );
                    }
                }
                mirror_upper(&mut c, k);
                for l in 0..k {
                    for j in 0..k {
                        assert_eq!(c[j + l * k].to_bits(), c[l + j * k].to_bits());
                    }
                }
            }
        }
    }

    /// Columns that start anywhere relative to the vector alignment (0 to 7 doubles off), with
    /// strides that keep it.
    #[test]
    fn gram_is_exact_from_every_alignment() {
        for off in 0..8 {
            for k in [1, 4, 5, 21, 22] {
                for m in [0, 1, 7, 8, 9, 100, 257, 1000] {
                    let cs = (m + 8usize).div_ceil(8) * 8;
                    let all: Vec<f64> = (0..cs * k + 8)
                        .map(|i| ((i * 31) % 23) as f64 - 11.0)
                        .collect();
                    let a = &all[off..];
                    let y: Vec<f64> = (0..m).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
                    let mut c = vec![0.0; k * k];
                    let mut xty = vec![0.0; k];
                    gram_upper_with_y(&mut c, k, a, cs, m, &y, &mut xty);
                    let want = naive(a, cs, a, cs, m, k);
                    for l in 0..k {
                        for j in 0..=l {
                            // Integer data: every partial sum is exact.
                            assert!(
                                (c[j + l * k] - want[j + l * k]).abs() < 1e-9,
                                "off={off} k={k} m={m}"
                            );
                        }
                        let w: f64 = (0..m).map(|r| a[r + l * cs] * y[r]).sum();
                        assert!((xty[l] - w).abs() < 1e-9, "xty off={off} k={k} m={m}");
                    }
                }
            }
        }
    }

    /// The products' bits do not depend on where the columns lie: from every offset within a
    /// cache line (the loads aligned from a row inside the panel, with the lanes turned, or from
    /// the first row), on every instruction set, short and long panels, with y and with B ≠ A.
    /// The data are not integers, so that any other order of the sums would show in the bits.
    #[test]
    fn gram_bits_do_not_depend_on_the_alignment() {
        struct Check;
        impl WithSimd for Check {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for k in [1, 3, 4, 5, 8, 21, 22] {
                    for m in [63usize, 64, 65, 200, 256, 257, 300, 1000, 2053] {
                        let cs = m.div_ceil(8) * 8 + 8;
                        // Doubles with full significands, from −70 to 70.
                        let value = |i: usize, p: usize| {
                            let h = (i as u64 ^ p as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                            ((h ^ (h >> 29)) >> 11) as f64 / (1u64 << 53) as f64 * 140.0 - 70.0
                        };
                        let a_data: Vec<f64> = (0..cs * k).map(|i| value(i, 7919)).collect();
                        let b_data: Vec<f64> = (0..cs * k).map(|i| value(i, 613)).collect();
                        let y: Vec<f64> = (0..m).map(|i| value(i, 31)).collect();
                        // The same values from `off` doubles into a fresh buffer.
                        let at = |data: &[f64], off: usize| {
                            let mut v = vec![f64::NAN; data.len() + 8];
                            v[off..off + data.len()].copy_from_slice(data);
                            v
                        };
                        let other = [&a_data, &b_data, &a_data];
                        let wants: Vec<Vec<f64>> = other
                            .iter()
                            .map(|b| naive(&a_data, cs, b, cs, m, k))
                            .collect();
                        for (case, want) in wants.iter().enumerate() {
                            let run = |off: usize| {
                                let (a_all, b_all) = (at(&a_data, off), at(&b_data, 7 - off));
                                let a = &a_all[off..off + cs * k];
                                let b = if case == 1 {
                                    &b_all[7 - off..7 - off + cs * k]
                                } else {
                                    a
                                };
                                let mut c = vec![0.0; k * k];
                                let mut xty = vec![0.0; k];
                                Gram {
                                    c: &mut c,
                                    k,
                                    a,
                                    a_cs: cs,
                                    b,
                                    b_cs: cs,
                                    m,
                                    y: (case == 2).then_some((&y[..], &mut xty[..])),
                                }
                                .with_simd(simd);
                                for l in 0..k {
                                    for j in 0..=l {
                                        let (g, w) = (c[j + l * k], want[j + l * k]);
                                        // A loose check that each sum is the product's
                                        // (|products| ≤ 70²); that every row counts once is
                                        // checked exactly, from every offset, on integer data
                                        // by `gram_is_exact_from_every_alignment`.
                                        assert!(
                                            (g - w).abs() <= 1e-12 * 4900.0 * m as f64,
                                            "k={k} m={m} case {case} off {off}"
                                        );
                                    }
                                }
                                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect();
                                (bits(&c), bits(&xty)) as (Vec<u64>, Vec<u64>)
                            };
                            let first = run(0);
                            for off in 1..8 {
                                assert!(run(off) == first, "k={k} m={m} case {case} off {off}");
                            }
                        }
                    }
                }
            }
        }
        on_every_instruction_set(|| Check);
    }

    /// The rows of `cols` gathered by [`scatter_rows`] into a panel `kp` wide in `order`,
    /// checked: each row where `order` says, the columns past k zero.
    #[allow(clippy::float_cmp)]
    fn scattered<S: Simd>(
        simd: S,
        cols: &[&[f64]],
        order: &[u32],
        kp: usize,
        what: &str,
    ) -> Vec<f64> {
        let (k, m) = (cols.len(), order.len());
        let mut panel = vec![0.0; m * kp];
        ScatterRows {
            dst: &mut panel,
            kp,
            cols,
            order,
        }
        .with_simd(simd);
        for r in 0..m {
            let row = &panel[order[r] as usize * kp..][..kp];
            for j in 0..kp {
                let want = if j < k { cols[j][r] } else { 0.0 };
                assert_eq!(row[j], want, "k={k} m={m} kp={kp} {what} ({r},{j})");
            }
        }
        panel
    }

    /// The row panels are the same from columns at every offset within a cache line (the loads
    /// aligned from a row inside the columns, the rows before it copied one by one), on every
    /// instruction set.
    #[test]
    fn row_panels_from_every_alignment() {
        struct Check;
        impl WithSimd for Check {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for k in [1usize, 4, 5, 21] {
                    for m in [70usize, 100, 257] {
                        let cs = m.div_ceil(8) * 8;
                        let mut order: Vec<u32> = (0..m as u32).collect();
                        order.sort_by_key(|&r| (r * 13 % 17, r));
                        let kp = k.div_ceil(tile_cols::<S>()) * tile_cols::<S>();
                        for off in 0..8 {
                            let all: Vec<f64> = (0..cs * k + 8).map(|i| i as f64 - 0.5).collect();
                            let refs: Vec<&[f64]> = (0..k)
                                .map(|j| &all[off + j * cs..off + j * cs + m])
                                .collect();
                            scattered(simd, &refs, &order, kp, &format!("off={off}"));
                        }
                    }
                }
            }
        }
        on_every_instruction_set(|| Check);
    }

    /// The row-major panels: rows gathered by [`scatter_rows`] land where `order` says, with the
    /// columns past k left zero, and [`gram_rows`] gives the cross-product of every shape
    /// (every tail of the broadcast tiles and of the vectors), on every instruction set; a
    /// panel whose width does not fit the tiles takes the rows one by one.
    #[test]
    #[allow(clippy::float_cmp)]
    fn row_panels_match_loops() {
        struct Check;
        impl WithSimd for Check {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for k in [1usize, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 21, 22, 23, 25, 33] {
                    for m in [0, 1, 3, 7, 8, 9, 17, 100, 257] {
                        let cols: Vec<Vec<f64>> = (0..k)
                            .map(|j| {
                                (0..m)
                                    .map(|r| ((r * 31 + j * 7) % 23) as f64 - 11.0)
                                    .collect()
                            })
                            .collect();
                        let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
                        // A permutation of the rows (sorted on a key that scatters them).
                        let mut order: Vec<u32> = (0..m as u32).collect();
                        order.sort_by_key(|&r| (r * 13 % 17, r));
                        let width = k.div_ceil(tile_cols::<S>()) * tile_cols::<S>();
                        // The panel width of this instruction set, and one that fits no tile.
                        for kp in [width, k] {
                            let panel = scattered(simd, &refs, &order, kp, "");
                            let mut c = vec![0.5; k * k];
                            GramRows {
                                c: &mut c,
                                k,
                                rows: &panel,
                                kp,
                            }
                            .with_simd(simd);
                            mirror_lower(&mut c, k);
                            for j in 0..k {
                                for l in 0..k {
                                    let want: f64 =
                                        0.5 + (0..m).map(|r| cols[j][r] * cols[l][r]).sum::<f64>();
                                    // Integer data: every partial sum is exact.
                                    assert_eq!(c[j + l * k], want, "k={k} m={m} kp={kp} ({j},{l})");
                                }
                            }
                        }
                    }
                }
            }
        }
        on_every_instruction_set(|| Check);
        // And through the dispatch, at the width it reports.
        for k in [1, 5, 21, 22] {
            let m = 50;
            let col: Vec<f64> = (0..m).map(|r| (r % 7) as f64 - 3.0).collect();
            let refs = vec![&col[..]; k];
            let kp = row_panel_width(k);
            assert!(kp >= k);
            let order: Vec<u32> = (0..m as u32).rev().collect();
            let mut panel = vec![0.0; m * kp];
            scatter_rows(&mut panel, kp, &refs, &order);
            let mut c = vec![0.0; k * k];
            gram_rows(&mut c, k, &panel, kp);
            mirror_lower(&mut c, k);
            let want: f64 = col.iter().map(|v| v * v).sum();
            assert!(c.iter().all(|&v| v == want), "k={k}");
        }
    }

    /// The same data at two addresses that differ in their vector alignment give the same bits:
    /// the summation order depends on the rows only (results are reproducible run to run). The
    /// per-cluster products gather the rows into a buffer of their own, so only the gather sees
    /// the caller's address.
    #[test]
    fn results_do_not_depend_on_the_data_address() {
        let (m, k, g) = (1000, 21, 24);
        let all: Vec<f64> = (0..m * k + 8)
            .map(|i| ((i * 7919) % 97) as f64 / 13.0 - 3.0)
            .collect();
        let w: Vec<f64> = (0..m)
            .map(|i| ((i * 131) % 29) as f64 / 7.0 - 2.0)
            .collect();
        let codes: Vec<usize> = (0..m).map(|i| (i * 13 + i / 3) % g).collect();
        let run = |off: usize| {
            let mut copy = vec![0.0; m * k + 8];
            copy[off..off + m * k].copy_from_slice(&all[..m * k]);
            let a = &copy[off..off + m * k];
            let mut c = vec![0.0; k * k];
            let mut xty = vec![0.0; k];
            gram_upper_with_y(&mut c, k, a, m, m, &w, &mut xty);
            let mut sums = vec![0.0; g * k];
            cluster_row_sums(&mut sums, g, k, a, m, &w, &codes);
            // The row-major panel of the per-cluster products, and one cluster's product.
            let kp = row_panel_width(k);
            let cols: Vec<&[f64]> = a.chunks_exact(m).collect();
            let order: Vec<u32> = (0..m as u32).rev().collect();
            let mut panel = vec![0.0; m * kp];
            scatter_rows(&mut panel, kp, &cols, &order);
            let mut p = vec![0.0; k * k];
            gram_rows(&mut p, k, &panel[..(m / 2) * kp], kp);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            (bits(&c), bits(&xty), bits(&sums), bits(&p))
        };
        let first = run(0);
        for off in 1..8 {
            assert!(run(off) == first, "offset {off}");
        }
    }

    /// XᵀX with Xᵀy from one sweep, for every tail width and both the short and the chunked
    /// panel, against naive sums.
    #[test]
    fn gram_with_y_matches_naive_products() {
        for k in [1, 2, 3, 4, 5, 7, 8, 9, 21, 22] {
            for m in [1, 7, 8, 9, 100, 255, 256, 257, 1000, 2053] {
                let cs = m + 3;
                let a: Vec<f64> = (0..cs * k)
                    .map(|i| ((i * 7919) % 97) as f64 / 13.0 - 3.0)
                    .collect();
                let y: Vec<f64> = (0..m)
                    .map(|i| ((i * 131) % 29) as f64 / 7.0 - 2.0)
                    .collect();
                let mut c = vec![0.5; k * k];
                let mut xty = vec![0.25; k];
                gram_upper_with_y(&mut c, k, &a, cs, m, &y, &mut xty);
                let want = naive(&a, cs, &a, cs, m, k);
                for l in 0..k {
                    for j in 0..=l {
                        let (got, w) = (c[j + l * k] - 0.5, want[j + l * k]);
                        assert!((got - w).abs() <= 1e-12 * (1.0 + w.abs()), "k={k} m={m}");
                    }
                    let w: f64 = (0..m).map(|r| a[r + l * cs] * y[r]).sum();
                    let got = xty[l] - 0.25;
                    assert!(
                        (got - w).abs() <= 1e-12 * (1.0 + w.abs()),
                        "xty k={k} m={m}"
                    );
                }
            }
        }
    }

    /// The transposed per-cluster sums against a plain scatter: every column-group tail
    /// (k mod 4), row tail (m mod 8) and the row-by-row fallback for many clusters, on every
    /// instruction set (the default dispatch, then each one the processor offers).
    #[test]
    #[allow(clippy::float_cmp)]
    fn cluster_row_sums_match_a_scatter() {
        struct Check;
        impl WithSimd for Check {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                // k = 0 too: no sums, and the residuals are y.
                for k in [0, 1, 2, 3, 4, 5, 7, 8, 9, 21, 22] {
                    for m in [0, 1, 7, 8, 9, 17, 100, 1001] {
                        for g in [1, 3, 24, 1000] {
                            let cs = m + 5;
                            let a: Vec<f64> =
                                (0..cs * k).map(|i| ((i * 31) % 23) as f64 - 11.0).collect();
                            let w: Vec<f64> = (0..m).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
                            let codes: Vec<usize> = (0..m).map(|i| (i * 13 + i / 3) % g).collect();
                            let mut want = vec![0.25; g * k];
                            for r in 0..m {
                                for j in 0..k {
                                    want[codes[r] * k + j] += a[r + j * cs] * w[r];
                                }
                            }
                            let mut got = vec![0.25; g * k];
                            RowSums {
                                acc: &mut got,
                                g,
                                k,
                                a: &a,
                                a_cs: cs,
                                codes: &codes,
                                weights: Weights::Given(&w),
                            }
                            .with_simd(simd);
                            // Integer data: every partial sum is exact.
                            assert_eq!(got, want, "k={k} m={m} g={g}");
                            let mut got = vec![0.25; g * k];
                            cluster_row_sums(&mut got, g, k, &a, cs, &w, &codes);
                            assert_eq!(got, want, "dispatched: k={k} m={m} g={g}");
                            // The residuals as weights: y − Aβ, formed on the way.
                            let beta: Vec<f64> = (0..k).map(|j| (j % 3) as f64 - 1.0).collect();
                            let y: Vec<f64> = (0..m).map(|i| ((i * 5) % 7) as f64).collect();
                            let e_want: Vec<f64> = (0..m)
                                .map(|r| (0..k).fold(y[r], |v, j| v - beta[j] * a[r + j * cs]))
                                .collect();
                            let mut want = vec![0.25; g * k];
                            for r in 0..m {
                                for j in 0..k {
                                    want[codes[r] * k + j] += a[r + j * cs] * e_want[r];
                                }
                            }
                            for dispatched in [false, true] {
                                let mut got = vec![0.25; g * k];
                                let mut e = vec![f64::NAN; m];
                                if dispatched {
                                    residual_row_sums(
                                        &mut got, g, k, &a, cs, &y, &beta, &codes, &mut e,
                                    );
                                } else {
                                    RowSums {
                                        acc: &mut got,
                                        g,
                                        k,
                                        a: &a,
                                        a_cs: cs,
                                        codes: &codes,
                                        weights: Weights::Residuals {
                                            y: &y,
                                            beta: &beta,
                                            e: &mut e,
                                        },
                                    }
                                    .with_simd(simd);
                                }
                                assert_eq!(e, e_want, "e: k={k} m={m} g={g} {dispatched}");
                                assert_eq!(got, want, "e sums: k={k} m={m} g={g} {dispatched}");
                            }
                        }
                    }
                }
            }
        }
        on_every_instruction_set(|| Check);
    }

    #[test]
    fn sums_match_loops() {
        for m in [0, 1, 5, 16, 17, 40, 1001] {
            let a: Vec<f64> = (0..m).map(|i| (i as f64).sin() + 3.0).collect();
            let (s, q) = sum_and_sum_sq_dev(&a, 3.0);
            let want_s: f64 = a.iter().sum();
            let want_q: f64 = a.iter().map(|v| (v - 3.0) * (v - 3.0)).sum();
            assert!((s - want_s).abs() < 1e-12 * (1.0 + m as f64));
            assert!((q - want_q).abs() < 1e-12 * (1.0 + m as f64));
        }
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn class_ranges_split_the_rows() {
        let v: Vec<f64> = (0..37).map(|i| ((i * 17) % 23) as f64 - 11.0).collect();
        let y: Vec<f64> = (0..37)
            .map(|i| if i % 3 == 0 { 1.0 } else { 0.0 })
            .collect();
        let range = |keep: &dyn Fn(usize) -> bool| {
            let kept: Vec<f64> = (0..37).filter(|&i| keep(i)).map(|i| v[i]).collect();
            (
                kept.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                kept.iter().copied().fold(f64::INFINITY, f64::min),
            )
        };
        let r = class_ranges(&v, &y);
        let (ha, la) = range(&|i| i % 3 == 0);
        let (hb, lb) = range(&|i| i % 3 != 0);
        assert_eq!(r[..4], [ha, la, hb, lb]);
        assert!((r[4] - v.iter().sum::<f64>()).abs() < 1e-12);
        let empty = class_ranges(&[], &[]);
        assert_eq!(empty[..2], [f64::NEG_INFINITY, f64::INFINITY]);
    }

    #[test]
    fn lincomb_and_mul_match_loops() {
        for m in [0, 1, 7, 8, 9, 31, 100] {
            for k in [1, 3, 4, 5, 9] {
                let cols: Vec<Vec<f64>> = (0..k)
                    .map(|j| {
                        (0..m + 2)
                            .map(|i| ((i * 31 + j * 7) % 19) as f64 - 9.0)
                            .collect()
                    })
                    .collect();
                let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                let coef: Vec<f64> = (0..k).map(|j| 0.5 + j as f64).collect();
                let mut dst = vec![7.0; m];
                lincomb(&mut dst, &refs, &coef);
                for (r, d) in dst.iter().enumerate() {
                    let want: f64 = (0..k).map(|j| coef[j] * cols[j][r]).sum();
                    assert!((d - want).abs() < 1e-12, "m={m} k={k} r={r}");
                }
                let mut prod = vec![0.0; m];
                mul_into(
                    &mut prod,
                    &cols[0],
                    &coef.iter().cycle().take(m).copied().collect::<Vec<_>>(),
                );
                for r in 0..m {
                    assert!((prod[r] - cols[0][r] * coef[r % k]).abs() < 1e-15);
                }
            }
        }
    }

    #[test]
    fn dot_matches_a_loop() {
        for m in [0, 1, 5, 16, 17, 40, 1001] {
            let a: Vec<f64> = (0..m).map(|i| (i as f64).sin()).collect();
            let b: Vec<f64> = (0..m).map(|i| (i as f64 * 0.3).cos()).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot_fast(&a, &b) - want).abs() < 1e-12 * (1.0 + m as f64));
        }
    }
}
