//! The quasi-Newton and Newton iterations of the marginal likelihood, and the final polish.

use nalgebra::{DMatrix, DVector};
use trialstats_core::linalg::{Spd, sym_eigen};
use trialstats_core::optim::Objective;
use trialstats_core::{Control, Convergence, InputError, Termination};

use crate::error::OrdinalError;

use super::*;

/// The relative precision to which the integrated likelihood is evaluated: its inner mode
/// searches and sums leave noise of about this size, so a step that the quadratic model expects
/// to gain less than this (relative to the value) cannot be verified by the value.
pub(super) const VALUE_RESOLUTION: f64 = 1e3 * f64::EPSILON;

/// Whether a step that no halving could make lower the value was below what the value can show:
/// the quadratic model's predicted gain ½gᵀM⁻¹g within [`VALUE_RESOLUTION`] of the value.
pub(super) fn gain_unresolvable(g: &DVector<f64>, step: &DVector<f64>, value: f64) -> bool {
    let predicted = 0.5 * g.dot(step);
    predicted.is_finite() && predicted.abs() <= VALUE_RESOLUTION * (1.0 + value.abs())
}

/// The quasi-Newton step M⁻¹g and its largest size relative to 1 + |θ_j|.
pub(super) fn quasi_newton_step(
    metric: &DMatrix<f64>,
    g: &DVector<f64>,
    theta: &DVector<f64>,
) -> Result<(DVector<f64>, f64), OrdinalError> {
    let step = Spd::new(metric.clone(), "the quasi-Newton metric")?.solve(g)?;
    let relative = step
        .iter()
        .zip(theta.iter())
        .fold(0.0f64, |r, (d, t)| r.max(d.abs() / (1.0 + t.abs())));
    Ok((step, relative))
}

/// BFGS: M ← M − (M s)(M s)ᵀ/(sᵀM s) + y yᵀ/(yᵀs) for the step s and change of gradient y, kept
/// only when the curvature yᵀs is positive (so that M stays positive definite).
pub(super) fn bfgs_update(metric: &mut DMatrix<f64>, sv: &DVector<f64>, yv: &DVector<f64>) {
    let ys = yv.dot(sv);
    if ys > 1e-12 * yv.norm() * sv.norm() {
        let ms = &*metric * sv;
        let sms = sv.dot(&ms);
        if sms > 0.0 {
            *metric -= &ms * ms.transpose() / sms;
            *metric += yv * yv.transpose() / ys;
        }
    }
}

/// The convergence report of a quasi-Newton run, or [`OrdinalError::NotConverged`] naming
/// `model`.
pub(super) fn finish(
    iterations: u32,
    g: &DVector<f64>,
    condition: f64,
    status: Termination,
    model: &str,
) -> Result<Convergence, OrdinalError> {
    let convergence = Convergence {
        iterations,
        max_abs_gradient: g.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        hessian_condition: condition,
        status,
    };
    if convergence.converged() {
        Ok(convergence)
    } else {
        Err(OrdinalError::NotConverged {
            model: model.into(),
            convergence,
        })
    }
}

/// A positive definite metric from a symmetric matrix: itself when it is positive definite,
/// else its absolute eigenvalues (bounded below by 10⁻⁸ of the largest), a descent metric.
pub(super) fn descent_metric(h: DMatrix<f64>) -> Result<DMatrix<f64>, OrdinalError> {
    if Spd::new(h.clone(), "the Hessian").is_ok() {
        return Ok(h);
    }
    let (vals, vecs) = sym_eigen(&h, "the Hessian")?;
    let top = vals.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let d = DMatrix::from_diagonal(&vals.map(|v| v.abs().max(1e-8 * top.max(1e-300))));
    Ok(&vecs * d * vecs.transpose())
}

/// Maximises the Laplace likelihood by a quasi-Newton iteration on its exact gradient g
/// ([`Marginal::laplace_gradient`]): the metric M starts as the fixed-mode Hessian
/// ([`Marginal::evaluate`] with one node) corrected for the modes' movement
/// ([`Marginal::laplace_gradient_with`]; its absolute eigenvalues where it is not positive
/// definite) and is updated by BFGS from each accepted step and change of gradient, so the
/// iteration converges superlinearly to the Laplace optimum; a step −M⁻¹g is halved until the
/// exact value decreases. Converged when a full step moves every parameter by at most
/// `control.step_tol`·(1 + |ψ|) (at least 10⁻⁹), or when a step below 10⁻⁶ relative does not
/// decrease the value (its rounding is reached).
pub(super) fn laplace_newton(
    objective: &Marginal<'_>,
    start: DVector<f64>,
    control: &Control,
) -> Result<(DVector<f64>, Convergence), OrdinalError> {
    let mut theta = start;
    let (mut value, mut g) = objective.laplace_gradient(&theta)?;
    if !value.is_finite() {
        return Err(InputError::NonFinite {
            field: "the Laplace log-likelihood at the start values".into(),
            row: 0,
            value,
        }
        .into());
    }
    let tol = control.step_tol.max(1e-9);
    // The fixed-mode Hessian plus the modes' movement (a close start for the metric).
    let mut h = objective.evaluate(&theta)?.hessian;
    objective.laplace_gradient_with(&theta, Some(&mut h))?;
    let condition = trialstats_core::linalg::condition_number(&h);
    // Far from the optimum the fixed-mode Hessian need not be positive definite: then its
    // absolute eigenvalues (bounded below), a descent metric.
    let mut metric = descent_metric(h)?;
    let mut status = Termination::MaxIterations;
    let mut iterations = 0;
    for it in 0..control.max_iter.max(1) {
        iterations = it + 1;
        let (step, relative) = quasi_newton_step(&metric, &g, &theta)?;
        if relative <= tol {
            status = Termination::Converged;
            break;
        }
        let mut scale = 1.0;
        let mut accepted = None;
        let base = objective.current_modes();
        let slopes = objective.slopes.borrow().clone();
        for _ in 0..control.max_halvings.max(1) {
            let trial = &theta - &step * scale;
            *objective.slopes.borrow_mut() = slopes.clone();
            objective.predict_modes(&base, &(&trial - &theta));
            let (v, tg) = objective.laplace_gradient(&trial)?;
            if v <= value {
                accepted = Some((trial, v, tg));
                break;
            }
            if relative <= 1e-6 {
                // A step this small that does not decrease the value is lost in its rounding.
                break;
            }
            scale *= 0.5;
        }
        let Some((trial, v, tg)) = accepted else {
            status = if relative <= 1e-6 || gain_unresolvable(&g, &step, value) {
                Termination::Converged
            } else {
                Termination::StepHalvingFailed
            };
            break;
        };
        bfgs_update(&mut metric, &(&trial - &theta), &(&tg - &g));
        theta = trial;
        value = v;
        g = tg;
    }
    finish(iterations, &g, condition, status, "clmm (Laplace)").map(|c| (theta, c))
}

/// Maximises the adaptive-quadrature likelihood: steps −M⁻¹g on its exact gradient g
/// ([`Marginal::adaptive_gradient`], the nodes' movement included), halved until the value
/// decreases. While a step moves some parameter by more than 1 % (relative to 1 + |ψ|), the
/// metric M is the fixed-node Hessian at the new point, from the same pass as its exact gradient
/// ([`Marginal::evaluate_with`]): Newton's method up to the nodes' movement, which is of the
/// order of the quadrature's error. Near the optimum M is updated by BFGS, so the iteration
/// converges superlinearly to the optimum of the adaptive likelihood itself; a step below 10⁻⁵
/// (likely the last) is evaluated with the Hessian too. Converged as [`laplace_newton`].
/// Returns the optimum, the report, and the fixed-node Hessian there.
pub(super) fn adaptive_newton(
    objective: &Marginal<'_>,
    start: DVector<f64>,
    control: &Control,
) -> Result<(DVector<f64>, Convergence, DMatrix<f64>), OrdinalError> {
    let full = |psi: &DVector<f64>| -> Result<(f64, DVector<f64>, DMatrix<f64>), OrdinalError> {
        let mut exact = DVector::zeros(psi.len());
        let e = objective.evaluate_with(psi, Some(&mut exact), true)?;
        Ok((e.value, exact, e.hessian))
    };
    let mut theta = start;
    let (mut value, mut g, mut h) = full(&theta)?;
    if !value.is_finite() {
        return Err(InputError::NonFinite {
            field: "the adaptive-quadrature log-likelihood at the start values".into(),
            row: 0,
            value,
        }
        .into());
    }
    let tol = control.step_tol.max(1e-9);
    let condition = trialstats_core::linalg::condition_number(&h);
    let mut metric = descent_metric(h.clone())?;
    // Whether `h` is the fixed-node Hessian at `theta`.
    let mut fresh = true;
    let mut status = Termination::MaxIterations;
    let mut iterations = 0;
    for it in 0..control.max_iter.max(1) {
        iterations = it + 1;
        let (step, relative) = quasi_newton_step(&metric, &g, &theta)?;
        if relative <= tol {
            status = Termination::Converged;
            break;
        }
        let far = relative > 1e-2;
        // A step this small is likely the last: evaluate the Hessian at its end in the same
        // pass, so that no separate evaluation is needed for the covariance.
        let last = relative < 1e-5;
        let mut scale = 1.0;
        let mut accepted = None;
        let base = objective.current_modes();
        let slopes = objective.slopes.borrow().clone();
        for _ in 0..control.max_halvings.max(1) {
            let trial = &theta - &step * scale;
            *objective.slopes.borrow_mut() = slopes.clone();
            objective.predict_modes(&base, &(&trial - &theta));
            let (v, tg, th) = if far || last {
                let (v, tg, th) = full(&trial)?;
                (v, tg, Some(th))
            } else {
                let (v, tg) = objective.adaptive_gradient(&trial)?;
                (v, tg, None)
            };
            if v <= value {
                accepted = Some((trial, v, tg, th));
                break;
            }
            if relative <= 1e-6 {
                break;
            }
            scale *= 0.5;
        }
        let Some((trial, v, tg, th)) = accepted else {
            status = if relative <= 1e-6 || gain_unresolvable(&g, &step, value) {
                Termination::Converged
            } else {
                Termination::StepHalvingFailed
            };
            break;
        };
        if far {
            if let Some(th) = &th {
                metric = descent_metric(th.clone())?;
            }
        } else {
            bfgs_update(&mut metric, &(&trial - &theta), &(&tg - &g));
        }
        fresh = th.is_some();
        if let Some(th) = th {
            h = th;
        }
        theta = trial;
        value = v;
        g = tg;
    }
    let convergence = finish(
        iterations,
        &g,
        condition,
        status,
        "clmm (adaptive quadrature)",
    )?;
    if !fresh {
        h = objective.evaluate(&theta)?.hessian;
    }
    Ok((theta, convergence, h))
}
