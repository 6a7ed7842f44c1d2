//! Linear-algebra kernels: the only place in the workspace that factorises a matrix.
//!
//! Everything works on column-major [`nalgebra::DMatrix`]. Least squares goes through a
//! Householder QR ([`Qr`]) with the limited column pivoting of R's `lm` (LINPACK `dqrdc2`), so
//! that aliased columns are detected and named exactly as R does; symmetric positive definite
//! systems go through Cholesky ([`Spd`]). Explicit inverses are formed only where an estimator
//! needs the matrix itself (a covariance), never to solve a system.

use nalgebra::DMatrix;

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

mod checks;
mod clustered;
mod eigen;
mod products;
mod qr;
mod spd;

pub use checks::*;
pub use clustered::*;
pub use eigen::*;
pub use products::*;
pub use qr::*;
pub use spd::*;

pub(crate) fn dim_error(operation: &str, expected: usize, got: usize) -> LinalgError {
    LinalgError::Dimension {
        operation: operation.to_owned(),
        detail: format!("expected {expected} rows, got {got}"),
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
    use crate::cluster::Clusters;
    use crate::testing::Tol;
    use nalgebra::DVector;

    #[test]
    fn matrix_from_rows_is_from_row_slice() {
        // Shapes around the 64-row tiles: none, part of one, one, one and a bit, many.
        for (g, k) in [
            (0, 3),
            (1, 1),
            (5, 0),
            (63, 4),
            (64, 21),
            (65, 2),
            (1000, 7),
            (200, 1),
        ] {
            let rows: Vec<f64> = (0..g * k).map(|i| i as f64 * 0.5 - 3.0).collect();
            let m = matrix_from_rows(g, k, &rows);
            assert_eq!(m.shape(), (g, k));
            assert_eq!(m, DMatrix::from_row_slice(g, k, &rows), "G = {g}, k = {k}");
        }
    }

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
    fn cluster_crossprods_match_the_definition_in_place_and_by_panels() {
        // 13 and 3000 clusters keep the blocks in place for k + 1 ≤ 8 (a rank-one update per
        // row; 3000 blocks of at most 48 doubles are 1.15 MB: in place up to k + 1 = 7); 9000
        // clusters (over 1 MB of blocks from k + 1 = 3) and k + 1 > 8 take the sorted panels.
        // Row counts leave remainders after every vector of rows.
        for (n, g) in [(1_003usize, 13usize), (9_002, 3_000), (20_011, 9_000)] {
            for k in 1..=9 {
                let (x, y, _) = wide(n, k);
                let labels: Vec<usize> = (0..n).map(|i| (i * 7919 + i / 5) % g).collect();
                let cl = Clusters::from_labels("g", &labels).unwrap();
                let members = cluster_members(&cl);
                let w: Vec<f64> = (0..n).map(|i| 0.25 + (i % 7) as f64).collect();
                for (with_y, scale) in [(false, None), (true, None), (true, Some(&w[..]))] {
                    let per =
                        cluster_crossprods_with(&x, with_y.then_some(&y[..]), scale, &cl).unwrap();
                    assert_eq!(per.len(), cl.n_clusters());
                    let kk = k + usize::from(with_y);
                    for (c, (m, rows)) in per.iter().zip(&members).enumerate() {
                        let z = DMatrix::from_fn(rows.len(), kk, |r, j| {
                            let i = rows[r];
                            let v = if j < k { x[(i, j)] } else { y[i] };
                            v * scale.map_or(1.0, |s| s[i])
                        });
                        let want = z.transpose() * &z;
                        Tol {
                            abs: 1e-12 * want.amax(),
                            rel: 1e-12,
                        }
                        .check_slice(
                            &format!("n {n}, G {g}, k {kk}, block {c}"),
                            m.as_slice(),
                            want.as_slice(),
                        )
                        .unwrap();
                        assert_eq!(m, &m.transpose(), "symmetric");
                    }
                }
            }
        }
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn cluster_crossprods_are_the_same_bits_on_any_number_of_threads() {
        // 140 000 rows: four ranges summed apart, in parallel when the pool has threads.
        let n = 140_000;
        for (k, g) in [(5usize, 40usize), (11, 40), (5, 20_000)] {
            let (x, y, _) = wide(n, k);
            let labels: Vec<usize> = (0..n).map(|i| (i * 31 + i / 7) % g).collect();
            let cl = Clusters::from_labels("g", &labels).unwrap();
            let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
            let on = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| cluster_crossprods_with(&x, Some(&y), Some(&w), &cl).unwrap())
            };
            let one = on(1);
            let beta = DVector::from_fn(k, |j, _| 0.3 - 0.05 * j as f64);
            // The global cross-products and the residuals' score sums take fixed ranges too.
            let others = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| {
                        let (c, xty) = crossprod_with(&x, &y).unwrap();
                        let (e, rss, s) = residuals_and_cluster_scores(&x, &y, &beta, &cl).unwrap();
                        let s2 = weighted_cluster_sums(&x, e.as_slice(), &cl).unwrap();
                        assert!(
                            s.iter()
                                .zip(s2.iter())
                                .all(|(u, v)| u.to_bits() == v.to_bits())
                        );
                        let mut all: Vec<f64> = c.iter().chain(xty.iter()).copied().collect();
                        all.extend(e.iter().chain([rss].iter()).chain(s.iter()));
                        all
                    })
            };
            let others_one = others(1);
            let same =
                |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(u, v)| u.to_bits() == v.to_bits());
            for threads in [2, 3] {
                let many = on(threads);
                for (a, b) in one.iter().zip(&many) {
                    assert!(same(a.as_slice(), b.as_slice()));
                }
                assert!(same(&others_one, &others(threads)));
            }
            // X'X and the score sums against the definition.
            let xtx = x.transpose() * &x;
            Tol::rel(1e-12)
                .check_slice("X'X", &others_one[..k * k], xtx.as_slice())
                .unwrap();
            let e_naive = DVector::from_column_slice(&y) - &x * &beta;
            let mut s_naive = DMatrix::<f64>::zeros(g, k);
            for i in 0..n {
                for j in 0..k {
                    s_naive[(cl.codes()[i], j)] += x[(i, j)] * e_naive[i];
                }
            }
            Tol::abs(1e-10)
                .check_slice("S", &others_one[k * k + k + n + 1..], s_naive.as_slice())
                .unwrap();
            // And the sums themselves, against the definition.
            let mut want = vec![DMatrix::<f64>::zeros(k + 1, k + 1); g];
            for i in 0..n {
                let z: Vec<f64> = (0..=k)
                    .map(|j| w[i] * if j < k { x[(i, j)] } else { y[i] })
                    .collect();
                let m = &mut want[cl.codes()[i]];
                for a in 0..=k {
                    for b in 0..=k {
                        m[(a, b)] += z[a] * z[b];
                    }
                }
            }
            for (c, (got, want)) in one.iter().zip(&want).enumerate() {
                Tol {
                    abs: 1e-12 * want.amax(),
                    rel: 1e-12,
                }
                .check_slice(
                    &format!("k {k}, block {c}"),
                    got.as_slice(),
                    want.as_slice(),
                )
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
