//! Gauss–Hermite nodes and weights.

use nalgebra::DMatrix;
use trialstats_core::linalg::sym_eigen;

use crate::error::OrdinalError;

/// Gauss–Hermite nodes and weights for ∫ e^{−x²} f(x) dx (Golub–Welsch).
pub(super) fn gauss_hermite(n: usize) -> Result<(Vec<f64>, Vec<f64>), OrdinalError> {
    let jac = DMatrix::from_fn(n, n, |i, j| {
        if i + 1 == j || j + 1 == i {
            ((i.max(j)) as f64 / 2.0).sqrt()
        } else {
            0.0
        }
    });
    let (vals, vecs) = sym_eigen(&jac, "Jacobi matrix")?;
    let sqrt_pi = std::f64::consts::PI.sqrt();
    Ok((
        (0..n).map(|q| vals[q]).collect(),
        (0..n)
            .map(|q| sqrt_pi * vecs[(0, q)] * vecs[(0, q)])
            .collect(),
    ))
}
