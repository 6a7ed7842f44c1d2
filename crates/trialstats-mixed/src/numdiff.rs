//! Derivatives by central differences with Richardson extrapolation, as R's numDeriv (which
//! lmerTest uses) computes them: four step halvings from h = d·|x| (1e−4 where |x| < 1.78e−5),
//! d = 0.1 for gradients and Hessians and 1e−4 for Jacobians, error O(h⁸) for smooth functions.

use nalgebra::{DMatrix, DVector};

const STEPS: usize = 4;

/// numDeriv's `zero.tol`: √(ε / 7e−7).
const ZERO_TOL: f64 = 1.781_741_612_749_496e-5;

fn step(x: f64, d: f64) -> f64 {
    if x.abs() < ZERO_TOL {
        1e-4
    } else {
        d * x.abs()
    }
}

/// Richardson extrapolation of estimates at steps h, h/2, h/4, … of a second-order scheme.
fn richardson(mut a: Vec<f64>) -> f64 {
    let mut factor = 4.0;
    while a.len() > 1 {
        a = a
            .windows(2)
            .map(|w| (factor * w[1] - w[0]) / (factor - 1.0))
            .collect();
        factor *= 4.0;
    }
    a[0]
}

/// ∂f/∂x_i of a vector-valued `f`, Richardson-extrapolated from steps d·|x_i|, halved.
fn partial(f: &dyn Fn(&[f64]) -> DVector<f64>, x: &[f64], i: usize, d: f64) -> DVector<f64> {
    let mut xs = x.to_vec();
    let h0 = step(x[i], d);
    let est: Vec<DVector<f64>> = (0..STEPS)
        .map(|s| {
            let h = h0 / f64::from(1u32 << s);
            xs[i] = x[i] + h;
            let up = f(&xs);
            xs[i] = x[i] - h;
            let down = f(&xs);
            xs[i] = x[i];
            (up - down) / (2.0 * h)
        })
        .collect();
    DVector::from_iterator(
        est[0].len(),
        (0..est[0].len()).map(|r| richardson(est.iter().map(|e| e[r]).collect())),
    )
}

/// The gradient of `f` at `x`.
pub(crate) fn gradient(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> DVector<f64> {
    let fv = |v: &[f64]| DVector::from_element(1, f(v));
    DVector::from_iterator(x.len(), (0..x.len()).map(|i| partial(&fv, x, i, 0.1)[0]))
}

/// The Hessian of `f` at `x` (symmetric).
pub(crate) fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> DMatrix<f64> {
    let k = x.len();
    let f0 = f(x);
    let mut h = DMatrix::<f64>::zeros(k, k);
    let mut xs = x.to_vec();
    for i in 0..k {
        for j in 0..=i {
            let (hi0, hj0) = (step(x[i], 0.1), step(x[j], 0.1));
            let est: Vec<f64> = (0..STEPS)
                .map(|s| {
                    let d = f64::from(1u32 << s);
                    let (hi, hj) = (hi0 / d, hj0 / d);
                    if i == j {
                        xs[i] = x[i] + hi;
                        let up = f(&xs);
                        xs[i] = x[i] - hi;
                        let down = f(&xs);
                        xs[i] = x[i];
                        (up - 2.0 * f0 + down) / (hi * hi)
                    } else {
                        let mut at = |a: f64, b: f64| {
                            xs[i] = x[i] + a;
                            xs[j] = x[j] + b;
                            let v = f(&xs);
                            xs[i] = x[i];
                            xs[j] = x[j];
                            v
                        };
                        (at(hi, hj) - at(hi, -hj) - at(-hi, hj) + at(-hi, -hj)) / (4.0 * hi * hj)
                    }
                })
                .collect();
            let v = richardson(est);
            h[(i, j)] = v;
            h[(j, i)] = v;
        }
    }
    h
}

/// The Jacobian of a vector-valued `f` at `x`: column i is ∂f/∂x_i.
pub(crate) fn jacobian(f: &dyn Fn(&[f64]) -> DVector<f64>, x: &[f64]) -> DMatrix<f64> {
    let cols: Vec<DVector<f64>> = (0..x.len()).map(|i| partial(f, x, i, 1e-4)).collect();
    DMatrix::from_columns(&cols)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn derivatives_of_a_known_function() {
        // f = exp(x) sin(y) + x² y³ at (0.3, 1.2).
        let f = |v: &[f64]| v[0].exp() * v[1].sin() + v[0] * v[0] * v[1].powi(3);
        let (x, y) = (0.3f64, 1.2f64);
        let g = gradient(&f, &[x, y]);
        assert!((g[0] - (x.exp() * y.sin() + 2.0 * x * y.powi(3))).abs() < 1e-10);
        assert!((g[1] - (x.exp() * y.cos() + 3.0 * x * x * y * y)).abs() < 1e-10);
        let h = hessian(&f, &[x, y]);
        assert!((h[(0, 0)] - (x.exp() * y.sin() + 2.0 * y.powi(3))).abs() < 1e-8);
        assert!((h[(0, 1)] - (x.exp() * y.cos() + 6.0 * x * y * y)).abs() < 1e-8);
        assert!((h[(1, 1)] - (-x.exp() * y.sin() + 6.0 * x * x * y)).abs() < 1e-8);
    }
}
