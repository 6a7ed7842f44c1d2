//! Symmetric eigenvalues, condition numbers and equilibration.

use nalgebra::{DMatrix, DVector};

use crate::error::LinalgError;

use super::*;

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
