//! Gauss–Hermite nodes and weights.

use nalgebra::DMatrix;
use trialstats_core::linalg::sym_eigen;

use trialstats_core::InputError;

use crate::error::OrdinalError;

use super::{MAX_NODES, Quadrature};

/// The rule of a quadrature choice: one node at 0 with weight √π for Laplace, else
/// [`gauss_hermite`] with the number of nodes (2 to [`MAX_NODES`]).
pub(super) fn rule(q: Quadrature) -> Result<(Vec<f64>, Vec<f64>), OrdinalError> {
    match q {
        Quadrature::Adaptive { nodes } => {
            if !(2..=MAX_NODES).contains(&nodes) {
                return Err(InputError::OutOfRange {
                    field: "nodes".into(),
                    value: nodes as f64,
                    expected: format!("2 to {MAX_NODES} (use Laplace for one node)"),
                }
                .into());
            }
            gauss_hermite(nodes)
        }
        _ => Ok((vec![0.0], vec![std::f64::consts::PI.sqrt()])),
    }
}

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
