//! Cumulative link mixed models with a random intercept per cluster (R `ordinal::clmm`, Stata
//! `meologit`), by the Laplace approximation or adaptive Gauss–Hermite quadrature.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::{Spd, cluster_members, sym_eigen};
use trialstats_core::optim::{Evaluation, Objective, newton};
use trialstats_core::{
    Clusters, Coef, Control, Convergence, CovarianceInfo, Inference, InputError, Level, Reference,
    Termination, vmath,
};

use crate::clm::{Clm, ClmFit};
use crate::error::OrdinalError;
use crate::link::{Eval, Link};

/// How the random effect is integrated out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Quadrature {
    /// The Laplace approximation (R `nAGQ = 1`).
    Laplace,
    /// Adaptive Gauss–Hermite quadrature with this many nodes (R `nAGQ = nodes`, ≥ 2).
    Adaptive {
        /// Number of nodes.
        nodes: usize,
    },
}

/// Most Gauss–Hermite nodes [`Quadrature::Adaptive`] accepts. R's `glmer` accepts up to 25;
/// adaptive rules converge long before 100 nodes, and the bound keeps the node computation (an
/// eigenproblem of that order) small whatever is asked.
pub const MAX_NODES: usize = 100;

/// A cumulative link model with a normal random intercept per cluster.
///
/// # Formula
/// ```text
/// P(Y_ij ≤ k | u_j) = F(θ_k − x_ijᵀβ − u_j),   u_j = σ b_j,   b_j ~ N(0, 1)
/// L_j = ∫ Π_i p_ij(σb) φ(b) db ≈ √2 ŝ_j Σ_q w_q e^{x_q²} exp h_j(b̂_j + √2 ŝ_j x_q)
/// ```
/// with h_j(b) = Σ_i ln p_ij(σb) + ln φ(b), its mode b̂_j, ŝ_j = (−h_j″(b̂_j))^(−½), and
/// Gauss–Hermite nodes x_q and weights w_q (Golub–Welsch); one node (x = 0, w = √π) is the
/// Laplace approximation. The parameters are (θ, β, ln σ). Each evaluation finds every cluster's
/// mode by Newton's method, then the likelihood is maximised by core's Newton method with the
/// gradient and Hessian of the quadrature at nodes placed at the current estimate (the nodes'
/// own dependence on the parameters is ignored in the step, which moves the optimum by far less
/// than the quadrature error with several nodes; with the Laplace approximation, where it is not
/// negligible, the result is polished by steps along the central-difference gradient of the exact
/// Laplace likelihood, and the covariance is the inverse of its central-difference Hessian).
/// Start values: [`Clm`] and σ = 1.
///
/// # References
/// Pinheiro & Bates (1995), "Approximations to the log-likelihood function in the nonlinear
/// mixed-effects model", JCGS 4(1):12–35, doi:10.1080/10618600.1995.10474663 (adaptive GHQ).
/// Golub & Welsch (1969), Math. Comp. 23:221–230, doi:10.1090/S0025-5718-69-99647-1.
/// Christensen (2019), R package `ordinal` (`clmm`).
#[derive(Debug, Clone, PartialEq)]
pub struct Clmm<'a> {
    clm: Clm<'a>,
    clusters: &'a Clusters,
    quadrature: Quadrature,
    control: Control,
}

impl<'a> Clmm<'a> {
    /// A specification: category codes, X without intercept, and the clusters.
    ///
    /// # Errors
    /// As [`Clm::with_levels`]; [`InputError::Length`] if the clusters do not cover the rows.
    pub fn new<S: AsRef<str>>(
        y: &'a [usize],
        levels: &[S],
        x: &'a DMatrix<f64>,
        clusters: &'a Clusters,
    ) -> Result<Self, OrdinalError> {
        if clusters.len() != y.len() {
            return Err(InputError::Length {
                field: format!("clusters `{}`", clusters.name()),
                got: clusters.len(),
                reference: "y".into(),
                expected: y.len(),
            }
            .into());
        }
        Ok(Self {
            clm: Clm::with_levels(y, levels, x)?,
            clusters,
            quadrature: Quadrature::Laplace,
            control: Control::default(),
        })
    }

    /// Names the coefficients.
    ///
    /// # Errors
    /// As [`Clm::names`].
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Result<Self, OrdinalError> {
        self.clm = self.clm.names(names)?;
        Ok(self)
    }

    /// The link (default logit).
    pub fn link(mut self, link: Link) -> Self {
        self.clm = self.clm.link(link);
        self
    }

    /// Laplace (default) or adaptive quadrature.
    pub fn quadrature(mut self, q: Quadrature) -> Self {
        self.quadrature = q;
        self
    }

    /// Fits by maximum (approximate) likelihood.
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] for fewer than 2 or more than [`MAX_NODES`] nodes in `Adaptive`; the errors of [`Clm::fit`];
    /// [`OrdinalError::NotConverged`].
    pub fn fit(&self) -> Result<ClmmFit, OrdinalError> {
        if let Quadrature::Adaptive { nodes } = self.quadrature {
            if !(2..=MAX_NODES).contains(&nodes) {
                return Err(InputError::OutOfRange {
                    field: "nodes".into(),
                    value: nodes as f64,
                    expected: format!("2 to {MAX_NODES} (use Laplace for one node)"),
                }
                .into());
            }
        }
        let start_fit: ClmFit<'_> = self.clm.fit()?;
        let nt = start_fit.thresholds().len();
        let k = start_fit.beta().len();
        let mut start = DVector::zeros(nt + k + 1);
        for (i, v) in start_fit
            .thresholds()
            .iter()
            .chain(start_fit.beta())
            .enumerate()
        {
            start[i] = *v;
        }
        let (nodes, weights) = match self.quadrature {
            Quadrature::Laplace => (vec![0.0], vec![std::f64::consts::PI.sqrt()]),
            Quadrature::Adaptive { nodes } => gauss_hermite(nodes)?,
        };
        let y = self.clm.codes();
        let objective = Marginal {
            y,
            x: self.clm.design(),
            members: cluster_members(self.clusters),
            nt,
            link: start_fit.link(),
            nodes,
            weights,
            warm: std::cell::RefCell::new(vec![0.0; self.clusters.n_clusters()]),
            slopes: std::cell::RefCell::new(DMatrix::zeros(0, 0)),
            scratch: std::cell::RefCell::default(),
        };
        // σ = 0 is a local maximum when the slope of the marginal log-likelihood in σ² at the
        // clm estimates is not positive (every quadrature rule agrees with the exact integral to
        // order σ², so the slope is theirs too): the random effect is at its boundary, and the
        // fit is the clm with σ = 0. Decided before the optimiser, whose steps in ln σ would
        // otherwise run towards −∞ without converging.
        let mut start_psi = start.clone();
        start_psi[nt + k] = 0.0;
        if objective.boundary_slope(&start_psi) <= 0.0 {
            return boundary_fit(&start_fit, self.clusters, self.quadrature);
        }
        // Adaptive quadrature: core's Newton method on the quadrature's gradient and Hessian.
        // Laplace: a Newton iteration on the exact gradient of the Laplace likelihood (the modes'
        // movement included), with the Hessian at modes held fixed as the metric (refreshed
        // while the steps are large); its fixed point is the Laplace optimum whatever the
        // metric's error.
        let (theta, convergence, quadrature_hessian) = match self.quadrature {
            Quadrature::Adaptive { .. } => {
                // Newton with the nodes held at the current estimate gets close; its fixed point
                // is not quite the optimum of the adaptive likelihood (the nodes move with the
                // parameters), and near it the two can stall each other (the line search
                // follows the likelihood, the step the fixed-node gradient). The optimum itself
                // is then reached by quasi-Newton steps along the likelihood's own gradient.
                let min = newton(&objective, start, &self.control)?;
                let (theta, convergence) =
                    polish_adaptive(&objective, min.theta, min.hessian, &self.control)?;
                let hessian = objective.evaluate(&theta)?.hessian;
                (theta, convergence, Some(hessian))
            }
            Quadrature::Laplace => {
                let (theta, convergence) = laplace_newton(&objective, start, &self.control)?;
                (theta, convergence, None)
            }
        };
        // The optimum in the interior, but with σ so small that the random effect changes the
        // likelihood by less than its rounding: the boundary fit, reported as such.
        if theta[nt + k] < LN_SIGMA_BOUNDARY {
            return boundary_fit(&start_fit, self.clusters, self.quadrature);
        }
        // The observed information of the likelihood that was maximised: for Laplace by central
        // differences of its exact gradient (R clmm differentiates the likelihood numerically).
        let hessian = match quadrature_hessian {
            Some(h) => h,
            None => objective.gradient_jacobian(&theta)?,
        };
        let value = objective.value(&theta)?;
        let modes = objective.modes(&theta)?;
        let vcov = Spd::new(hessian, "the observed information")?.inverse();
        let mut names: Vec<String> = start_fit.threshold_names().to_vec();
        names.extend(start_fit.beta_names().iter().cloned());
        names.push(format!("log sd({})", self.clusters.name()));
        let sigma = theta[nt + k].exp();
        Ok(ClmmFit {
            names,
            nt,
            estimates: theta,
            vcov,
            loglik: -value,
            sigma,
            modes: modes.iter().map(|b| b * sigma).collect(),
            cluster_labels: self.clusters.labels().to_vec(),
            group: self.clusters.name().to_owned(),
            quadrature: self.quadrature,
            convergence,
            clm_loglik: start_fit.loglik(),
            boundary: false,
            nobs: self.clusters.len(),
        })
    }
}

/// ln σ below which a fitted random intercept is reported at its boundary, σ = 0 (σ = 10⁻⁶ on
/// the latent logistic scale, whose standard deviation is 1.8, changes no probability beyond
/// the 12th digit).
const LN_SIGMA_BOUNDARY: f64 = -13.815_510_557_964_274;

/// The fit at the boundary σ = 0: the clm's estimates and covariance, σ = 0 with no standard
/// error (its ln σ is −∞), every conditional mode 0, and the clm's log-likelihood (LR = 0, p = 1).
fn boundary_fit(
    clm: &ClmFit<'_>,
    clusters: &Clusters,
    quadrature: Quadrature,
) -> Result<ClmmFit, OrdinalError> {
    let nt = clm.thresholds().len();
    let k = clm.beta().len();
    let mut names: Vec<String> = clm.threshold_names().to_vec();
    names.extend(clm.beta_names().iter().cloned());
    names.push(format!("log sd({})", clusters.name()));
    let mut estimates = DVector::zeros(nt + k + 1);
    for (i, v) in clm.thresholds().iter().chain(clm.beta()).enumerate() {
        estimates[i] = *v;
    }
    estimates[nt + k] = f64::NEG_INFINITY;
    let mut vcov = DMatrix::zeros(nt + k + 1, nt + k + 1);
    vcov.view_mut((0, 0), (nt + k, nt + k))
        .copy_from(trialstats_sandwich::EstimatingEquations::bread(clm));
    Ok(ClmmFit {
        names,
        nt,
        estimates,
        vcov,
        loglik: clm.loglik(),
        sigma: 0.0,
        modes: vec![0.0; clusters.n_clusters()],
        cluster_labels: clusters.labels().to_vec(),
        group: clusters.name().to_owned(),
        quadrature,
        convergence: clm.convergence().clone(),
        clm_loglik: clm.loglik(),
        boundary: true,
        nobs: clusters.len(),
    })
}

/// The quasi-Newton step M⁻¹g and its largest size relative to 1 + |θ_j|.
fn quasi_newton_step(
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
fn bfgs_update(metric: &mut DMatrix<f64>, sv: &DVector<f64>, yv: &DVector<f64>) {
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
fn finish(
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
fn descent_metric(h: DMatrix<f64>) -> Result<DMatrix<f64>, OrdinalError> {
    if Spd::new(h.clone(), "the Hessian").is_ok() {
        return Ok(h);
    }
    let (vals, vecs) = sym_eigen(&h, "the Hessian")?;
    let top = vals.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let d = DMatrix::from_diagonal(&vals.map(|v| v.abs().max(1e-8 * top.max(1e-300))));
    Ok(&vecs * d * vecs.transpose())
}

/// Maximises the adaptive-quadrature likelihood from near its optimum: quasi-Newton steps along
/// its central-difference gradient (each coordinate stepped by 10⁻⁵(1 + |ψ|): truncation error
/// about 10⁻¹⁰), the fixed-node Hessian as the first metric, updated by BFGS, each step halved
/// until the likelihood improves. Converged when a full step moves every parameter by at most
/// 10⁻⁸(1 + |ψ|), or when a step below 10⁻⁶ relative cannot improve the value (its rounding).
fn polish_adaptive(
    objective: &Marginal<'_>,
    start: DVector<f64>,
    hessian: DMatrix<f64>,
    control: &Control,
) -> Result<(DVector<f64>, Convergence), OrdinalError> {
    let mut theta = start;
    let mut value = objective.value(&theta)?;
    let mut g = objective.numerical_gradient(&theta)?;
    let condition = trialstats_core::linalg::condition_number(&hessian);
    let mut metric = descent_metric(hessian)?;
    let mut status = Termination::MaxIterations;
    let mut iterations = 0;
    for it in 0..control.max_iter.max(1) {
        iterations = it + 1;
        let (step, relative) = quasi_newton_step(&metric, &g, &theta)?;
        if relative <= 1e-8 {
            status = Termination::Converged;
            break;
        }
        let mut scale = 1.0;
        let mut accepted = None;
        for _ in 0..control.max_halvings.max(1) {
            let trial = &theta - &step * scale;
            let v = objective.value(&trial)?;
            if v <= value {
                accepted = Some((trial, v));
                break;
            }
            if relative * scale <= 1e-6 {
                break;
            }
            scale *= 0.5;
        }
        let Some((trial, v)) = accepted else {
            status = if relative <= 1e-6 {
                Termination::Converged
            } else {
                Termination::StepHalvingFailed
            };
            break;
        };
        let tg = objective.numerical_gradient(&trial)?;
        bfgs_update(&mut metric, &(&trial - &theta), &(&tg - &g));
        theta = trial;
        value = v;
        g = tg;
    }
    finish(iterations, &g, condition, status, "clmm").map(|c| (theta, c))
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
fn laplace_newton(
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
            status = if relative <= 1e-6 {
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

/// Gauss–Hermite nodes and weights for ∫ e^{−x²} f(x) dx (Golub–Welsch).
fn gauss_hermite(n: usize) -> Result<(Vec<f64>, Vec<f64>), OrdinalError> {
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

/// The negative approximate marginal log-likelihood.
struct Marginal<'b> {
    y: &'b [usize],
    x: &'b DMatrix<f64>,
    members: Vec<Vec<usize>>,
    nt: usize,
    link: Link,
    nodes: Vec<f64>,
    weights: Vec<f64>,
    /// The last mode found for each cluster: the next search starts there (the modes move
    /// little between evaluations), which saves most of the inner Newton steps.
    warm: std::cell::RefCell<Vec<f64>>,
    /// db̂_j/dψ of each cluster (G × parameters) from the last exact Laplace gradient: moving
    /// the warm starts along it puts the next mode search within O(‖Δψ‖²) of its answer.
    slopes: std::cell::RefCell<DMatrix<f64>>,
    /// Per-cluster work space: the category bounds of the cluster's rows, the link at all of
    /// them (one vectorised exponential each for the logit) and the probabilities.
    scratch: std::cell::RefCell<Scratch>,
}

/// See [`Marginal::link_block`].
#[derive(Default)]
struct Scratch {
    /// The thresholds padded with ±∞ (see [`crate::link::padded_thresholds`]).
    tp: Vec<f64>,
    z: Vec<f64>,
    tmp: Vec<f64>,
    evals: Vec<Eval>,
    p: Vec<f64>,
}

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

impl Marginal<'_> {
    fn ordered(&self, psi: &DVector<f64>) -> bool {
        (1..self.nt).all(|t| psi[t] > psi[t - 1]) && psi.iter().all(|v| v.is_finite())
    }

    /// p, f1, f0, d1, d0 for one observation at total predictor ζ (two link evaluations; the
    /// reference quadrature of the tests).
    #[cfg(test)]
    fn obs(&self, psi: &DVector<f64>, c: usize, zeta: f64) -> (f64, f64, f64, f64, f64) {
        let (z0, z1) = crate::link::category_bounds(&psi.as_slice()[..self.nt], c, zeta);
        let (e1, e0) = (self.link.eval(z1), self.link.eval(z0));
        (e0.interval_to(&e1), e1.pdf, e0.pdf, e1.dpdf, e0.dpdf)
    }

    /// The link at both category bounds of each of the cluster's rows at b (into
    /// `scratch.evals`, lower then upper bound per row) and the rows' probabilities (into
    /// `scratch.p`); false when some probability is not positive.
    fn link_block(
        &self,
        scratch: &mut Scratch,
        th: &[f64],
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
        b: f64,
    ) -> bool {
        let Scratch {
            tp,
            z,
            tmp,
            evals,
            p,
        } = scratch;
        crate::link::pad_thresholds_into(th, tp);
        z.clear();
        for &i in rows {
            let (c, zeta) = (self.y[i], eta[i] + sigma * b);
            z.extend([tp[c] - zeta, tp[c + 1] - zeta]);
        }
        self.link.eval_many(z, tmp, evals);
        p.clear();
        p.extend(evals.chunks_exact(2).map(|e| e[0].interval_to(&e[1])));
        p.iter().all(|&v| v > 0.0)
    }

    /// h(b), h′(b), h″(b) for one cluster.
    fn h(
        &self,
        psi: &DVector<f64>,
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
        b: f64,
    ) -> (f64, f64, f64) {
        let mut scratch = self.scratch.borrow_mut();
        let sc = &mut *scratch;
        if !self.link_block(sc, &psi.as_slice()[..self.nt], rows, eta, sigma, b) {
            return (f64::NEG_INFINITY, 0.0, -1.0);
        }
        let (mut h1, mut h2) = (-b, -1.0);
        for (e, &p) in sc.evals.chunks_exact(2).zip(&sc.p) {
            let (e0, e1) = (&e[0], &e[1]);
            let g = -(e1.pdf - e0.pdf) / p;
            h1 += sigma * g;
            h2 += sigma * sigma * ((e1.dpdf - e0.dpdf) / p - g * g);
        }
        let h = -0.5 * b * b - LN_SQRT_2PI + vmath::sum_ln(&sc.p);
        (h, h1, h2)
    }

    /// The mode b̂ and ŝ of cluster `g`'s integrand (Newton with step-halving from the last mode).
    fn mode(
        &self,
        psi: &DVector<f64>,
        g: usize,
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
    ) -> (f64, f64) {
        self.mode_with(psi, g, rows, eta, sigma, false)
    }

    /// As [`Marginal::mode`]; with `lazy`, a Newton step below 10⁻⁷(1 + |b|) is taken without
    /// evaluating h at its end (Newton's quadratic convergence leaves an error of order the
    /// step's square, 10⁻¹⁴), and ŝ is then that of the previous point: for callers that
    /// recompute h″ at b̂ themselves.
    fn mode_with(
        &self,
        psi: &DVector<f64>,
        g: usize,
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
        lazy: bool,
    ) -> (f64, f64) {
        let mut b = self
            .warm
            .borrow()
            .get(g)
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
        let (mut hv, mut h1, mut h2) = self.h(psi, rows, eta, sigma, b);
        for _ in 0..100 {
            let step = -h1 / h2.min(-1e-8);
            // Converged when the Newton step is below the rounding of b (h′ is a sum over the
            // cluster's rows, so an absolute bound on it cannot be met in large clusters).
            if h1.abs() < 1e-12 || step.abs() <= 1e-13 * (1.0 + b.abs()) {
                break;
            }
            if lazy && step.abs() <= 1e-7 * (1.0 + b.abs()) {
                b += step;
                break;
            }
            let mut t = 1.0;
            loop {
                let (nv, n1, n2) = self.h(psi, rows, eta, sigma, b + t * step);
                if nv >= hv - 1e-14 * hv.abs() || t < 1e-10 {
                    b += t * step;
                    hv = nv;
                    h1 = n1;
                    h2 = n2;
                    break;
                }
                t *= 0.5;
            }
        }
        if let Some(slot) = self.warm.borrow_mut().get_mut(g) {
            *slot = b;
        }
        (b, 1.0 / (-h2).max(1e-300).sqrt())
    }

    /// The slope of the marginal log-likelihood in σ² at σ = 0, for the thresholds and β of
    /// `psi` (its ln σ is ignored): with L1, L2 the derivatives of ln p in the predictor,
    /// ½ Σ_j [(Σ_i L1)² + Σ_i L2] (the second-order expansion of ln E exp ℓ_j(u), u ~ N(0, σ²)).
    fn boundary_slope(&self, psi: &DVector<f64>) -> f64 {
        let (eta, _) = self.predictor(psi);
        self.members
            .iter()
            .map(|rows| {
                // With σ = 1 and b = 0, h′ = ΣL1 and h″ = ΣL2 − 1.
                let (h, h1, h2) = self.h(psi, rows, &eta, 1.0, 0.0);
                if h.is_finite() {
                    0.5 * (h1 * h1 + h2 + 1.0)
                } else {
                    f64::INFINITY
                }
            })
            .sum()
    }

    fn modes(&self, psi: &DVector<f64>) -> Result<Vec<f64>, OrdinalError> {
        let (eta, sigma) = self.predictor(psi);
        Ok(self
            .members
            .iter()
            .enumerate()
            .map(|(g, rows)| self.mode(psi, g, rows, &eta, sigma).0)
            .collect())
    }

    fn predictor(&self, psi: &DVector<f64>) -> (DVector<f64>, f64) {
        let k = self.x.ncols();
        (self.x * psi.rows(self.nt, k), psi[self.nt + k].exp())
    }

    /// The Laplace objective −Σ_j [h_j(b̂_j) + ½ ln 2π − ½ ln(−h_j″(b̂_j))] and its exact gradient,
    /// the modes' dependence on ψ included.
    ///
    /// # Formula
    /// With L1, L2, L3 the first three derivatives of ln p in the predictor ζ = η + σb
    /// (from P′ = −(f1 − f0), P″ = f1′ − f0′, P‴ = −(f1″ − f0″): L1 = P′/P, L2 = P″/P − L1²,
    /// L3 = P‴/P − 3(P″/P)L1 + 2L1³), h′ = σΣL1 − b, h″ = σ²ΣL2 − 1, h‴ = σ³ΣL3, and
    /// ```text
    /// dℓ_j/dψ = ∂h/∂ψ − (∂h″/∂ψ + h‴·db̂/dψ) / (2h″),   db̂/dψ = −(∂h′/∂ψ)/h″
    /// ```
    /// where ∂/∂β brings a factor xᵢ, ∂/∂ln σ differentiates σ and ζ (∂ζ/∂ln σ = σb), and ∂/∂θ
    /// acts on the category bounds (Tierney & Kadane 1986, JASA 81(393):82–86,
    /// doi:10.1080/01621459.1986.10478240; the derivative of the mode by the implicit function
    /// theorem).
    ///
    /// With `mode_curvature`, also adds Σ_j a_j a_jᵀ/h_j″ (a_j = ∂h_j′/∂ψ) to it: the part of the
    /// Hessian of −Σ h_j(b̂_j) that comes from the modes' movement, which the fixed-mode Hessian
    /// lacks.
    fn laplace_gradient_with(
        &self,
        psi: &DVector<f64>,
        mut mode_curvature: Option<&mut DMatrix<f64>>,
    ) -> Result<(f64, DVector<f64>), OrdinalError> {
        let nt = self.nt;
        let k = self.x.ncols();
        let np = nt + k + 1;
        if !self.ordered(psi) {
            return Ok((f64::INFINITY, DVector::zeros(np)));
        }
        let (eta, sigma) = self.predictor(psi);
        let th = &psi.as_slice()[..nt];
        let xs = self.x.as_slice();
        let n = self.x.nrows();
        let mut value = 0.0;
        let mut grad = DVector::zeros(np);
        // Per cluster: ∂h/∂ψ (dh), ∂h′/∂ψ (d1h), ∂h″/∂ψ (d2h).
        let mut dh = vec![0.0; np];
        let mut d1h = vec![0.0; np];
        let mut d2h = vec![0.0; np];
        for (g, rows) in self.members.iter().enumerate() {
            let (b, _) = self.mode_with(psi, g, rows, &eta, sigma, true);
            dh.fill(0.0);
            d1h.fill(0.0);
            d2h.fill(0.0);
            let mut scratch = self.scratch.borrow_mut();
            let sc = &mut *scratch;
            if !self.link_block(sc, th, rows, &eta, sigma, b) {
                return Ok((f64::INFINITY, DVector::zeros(np)));
            }
            let (h, mut s2, mut s3) = (-0.5 * b * b - LN_SQRT_2PI + vmath::sum_ln(&sc.p), 0.0, 0.0);
            let mut s1 = 0.0;
            for ((&i, e), &p) in rows.iter().zip(sc.evals.chunks_exact(2)).zip(&sc.p) {
                let c = self.y[i];
                let (e0, e1) = (&e[0], &e[1]);
                let ip = 1.0 / p;
                let (f1, f0, d1, d0, c1, c0) =
                    (e1.pdf, e0.pdf, e1.dpdf, e0.dpdf, e1.d2pdf, e0.d2pdf);
                let pp = d1 - d0; // P″
                let l1 = -(f1 - f0) * ip;
                let l2 = pp * ip - l1 * l1;
                let l3 = -(c1 - c0) * ip - 3.0 * pp * ip * l1 + 2.0 * l1 * l1 * l1;
                s1 += l1;
                s2 += l2;
                s3 += l3;
                // β: ∂ln p/∂β = L1 x, and its ζ-derivatives L2 x, L3 x.
                for j in 0..k {
                    let xij = xs[j * n + i];
                    dh[nt + j] += l1 * xij;
                    d1h[nt + j] += sigma * l2 * xij;
                    d2h[nt + j] += sigma * sigma * l3 * xij;
                }
                // θ: ∂p/∂θ_c = f1, ∂P′/∂θ_c = −f1′, ∂P″/∂θ_c = f1″ (upper bound); the lower bound
                // θ_{c−1} with the opposite signs.
                let mut theta_part = |t: usize, dp: f64, dpp1: f64, dpp2: f64| {
                    let dl1 = dpp1 * ip - l1 * dp * ip;
                    let dl2 = dpp2 * ip - pp * dp * ip * ip - 2.0 * l1 * dl1;
                    dh[t] += dp * ip;
                    d1h[t] += sigma * dl1;
                    d2h[t] += sigma * sigma * dl2;
                };
                if c < nt {
                    theta_part(c, f1, -d1, c1);
                }
                if c > 0 {
                    theta_part(c - 1, -f0, d0, -c0);
                }
            }
            let h2 = sigma * sigma * s2 - 1.0;
            let h3 = sigma * sigma * sigma * s3;
            // ln σ: ζ moves by σb, and h′, h″ carry σ and σ² explicitly.
            dh[np - 1] = sigma * b * s1;
            d1h[np - 1] = sigma * s1 + sigma * sigma * b * s2;
            d2h[np - 1] = 2.0 * sigma * sigma * s2 + sigma * sigma * sigma * b * s3;
            if h2 >= 0.0 {
                return Ok((f64::INFINITY, DVector::zeros(np)));
            }
            value -= h + 0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * (-h2).ln();
            for a in 0..np {
                let db = -d1h[a] / h2;
                grad[a] -= dh[a] - (d2h[a] + h3 * db) / (2.0 * h2);
            }
            {
                let mut sl = self.slopes.borrow_mut();
                if sl.shape() != (self.members.len(), np) {
                    *sl = DMatrix::zeros(self.members.len(), np);
                }
                for a in 0..np {
                    sl[(g, a)] = -d1h[a] / h2;
                }
            }
            if let Some(m) = mode_curvature.as_deref_mut() {
                for a in 0..np {
                    for b2 in 0..np {
                        m[(a, b2)] += d1h[a] * d1h[b2] / h2;
                    }
                }
            }
        }
        Ok((value, grad))
    }

    /// The current modes (the warm starts of the next search).
    fn current_modes(&self) -> Vec<f64> {
        self.warm.borrow().clone()
    }

    /// Sets the warm starts to `base` + (db̂/dψ)·`delta`, the first-order prediction of the modes
    /// at ψ + `delta` from the last exact Laplace gradient (at the ψ where the modes were `base`).
    fn predict_modes(&self, base: &[f64], delta: &DVector<f64>) {
        let sl = self.slopes.borrow();
        let mut warm = self.warm.borrow_mut();
        for (g, (w, b)) in warm.iter_mut().zip(base).enumerate() {
            *w = if sl.nrows() == base.len() && sl.ncols() == delta.len() {
                b + (0..delta.len()).map(|a| sl[(g, a)] * delta[a]).sum::<f64>()
            } else {
                *b
            };
        }
    }

    /// [`Marginal::laplace_gradient_with`] without the mode curvature.
    fn laplace_gradient(&self, psi: &DVector<f64>) -> Result<(f64, DVector<f64>), OrdinalError> {
        self.laplace_gradient_with(psi, None)
    }

    /// The per-node evaluation the fast [`Objective::evaluate`] replaced (a check in the tests).
    #[cfg(test)]
    fn evaluate_reference(&self, psi: &DVector<f64>) -> Result<Evaluation, OrdinalError> {
        let k = self.x.ncols();
        let np = self.nt + k + 1;
        if !self.ordered(psi) {
            return Ok(Evaluation::infeasible(np));
        }
        let (eta, sigma) = self.predictor(psi);
        let mut value = 0.0;
        let mut grad = DVector::zeros(np);
        let mut hess = DMatrix::zeros(np, np);
        let nq = self.nodes.len();
        let mut gq = vec![DVector::zeros(np); nq];
        let mut hq = vec![DMatrix::zeros(np, np); nq];
        let mut logw = vec![0.0; nq];
        let mut dp = DVector::zeros(np);
        for (g, rows) in self.members.iter().enumerate() {
            let (bhat, s) = self.mode(psi, g, rows, &eta, sigma);
            for q in 0..nq {
                let b = bhat + std::f64::consts::SQRT_2 * s * self.nodes[q];
                let mut hv = -0.5 * b * b - LN_SQRT_2PI;
                gq[q].fill(0.0);
                hq[q].fill(0.0);
                let u = sigma * b;
                for &i in rows {
                    let c = self.y[i];
                    let (p, f1, f0, d1, d0) = self.obs(psi, c, eta[i] + u);
                    if p <= 0.0 {
                        hv = f64::NEG_INFINITY;
                        continue;
                    }
                    hv += p.ln();
                    let xi = self.x.row(i);
                    dp.fill(0.0);
                    if c < self.nt {
                        dp[c] = f1;
                    }
                    if c > 0 {
                        dp[c - 1] = -f0;
                    }
                    for j in 0..k {
                        dp[self.nt + j] = -(f1 - f0) * xi[j];
                    }
                    dp[np - 1] = -(f1 - f0) * u;
                    let ip = 1.0 / p;
                    gq[q].axpy(ip, &dp, 1.0);
                    // ∇² ln p = ∇²p/p − dp dpᵀ/p²
                    hq[q].ger(-ip * ip, &dp, &dp, 1.0);
                    let mut add = |a: usize, b2: usize, v: f64| {
                        hq[q][(a, b2)] += v * ip;
                        if a != b2 {
                            hq[q][(b2, a)] += v * ip;
                        }
                    };
                    if c < self.nt {
                        add(c, c, d1);
                        for j in 0..k {
                            add(c, self.nt + j, -d1 * xi[j]);
                        }
                        add(c, np - 1, -d1 * u);
                    }
                    if c > 0 {
                        add(c - 1, c - 1, -d0);
                        for j in 0..k {
                            add(c - 1, self.nt + j, d0 * xi[j]);
                        }
                        add(c - 1, np - 1, d0 * u);
                    }
                    for a in 0..k {
                        for b2 in a..k {
                            add(self.nt + a, self.nt + b2, (d1 - d0) * xi[a] * xi[b2]);
                        }
                        add(self.nt + a, np - 1, (d1 - d0) * u * xi[a]);
                    }
                    add(np - 1, np - 1, (d1 - d0) * u * u - (f1 - f0) * u);
                }
                logw[q] = self.weights[q].ln() + self.nodes[q] * self.nodes[q] + hv;
            }
            let m = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                return Ok(Evaluation {
                    value: f64::INFINITY,
                    gradient: grad,
                    hessian: hess,
                });
            }
            let total: f64 = logw.iter().map(|l| (l - m).exp()).sum();
            value -= m + total.ln() + (std::f64::consts::SQRT_2 * s).ln();
            let pi: Vec<f64> = logw.iter().map(|l| (l - m).exp() / total).collect();
            let mut gbar = DVector::zeros(np);
            for q in 0..nq {
                gbar.axpy(pi[q], &gq[q], 1.0);
            }
            grad -= &gbar;
            for q in 0..nq {
                hess -= &hq[q] * pi[q];
                hess.ger(-pi[q], &gq[q], &gq[q], 1.0);
            }
            hess.ger(1.0, &gbar, &gbar, 1.0);
        }
        Ok(Evaluation {
            value,
            gradient: grad,
            hessian: hess,
        })
    }

    /// The Hessian of the Laplace objective by central differences of its exact gradient
    /// ([`Marginal::laplace_gradient`]), symmetrised: 2·(number of parameters) gradient
    /// evaluations, each as accurate as the gradient (a step of 10⁻⁵(1 + |ψ_a|) leaves a
    /// truncation error of about 10⁻¹⁰ relative).
    fn gradient_jacobian(&self, psi: &DVector<f64>) -> Result<DMatrix<f64>, OrdinalError> {
        let np = psi.len();
        let mut out = DMatrix::zeros(np, np);
        // The modes and their slopes at ψ, from which each shifted search starts.
        self.laplace_gradient(psi)?;
        let base = self.current_modes();
        let slopes = self.slopes.borrow().clone();
        for a in 0..np {
            let h = 1e-5 * (1.0 + psi[a].abs());
            let mut grads = [DVector::zeros(np), DVector::zeros(np)];
            for (sign, gr) in [1.0, -1.0].into_iter().zip(grads.iter_mut()) {
                let mut delta = DVector::zeros(np);
                delta[a] = sign * h;
                *self.slopes.borrow_mut() = slopes.clone();
                self.predict_modes(&base, &delta);
                *gr = self.laplace_gradient(&(psi + &delta))?.1;
            }
            let col = (&grads[0] - &grads[1]) / (2.0 * h);
            out.column_mut(a).copy_from(&col);
        }
        Ok((&out + out.transpose()) * 0.5)
    }

    /// Second-order central-difference Hessian of the exact approximate objective (a check on
    /// [`Marginal::gradient_jacobian`] in the tests).
    #[cfg(test)]
    fn numerical_hessian(&self, psi: &DVector<f64>) -> Result<DMatrix<f64>, OrdinalError> {
        let np = psi.len();
        let h: Vec<f64> = psi.iter().map(|v| 1e-4 * (1.0 + v.abs())).collect();
        let f0 = self.value(psi)?;
        let shifted = |a: usize, da: f64, b: usize, db: f64| -> Result<f64, OrdinalError> {
            let mut t = psi.clone();
            t[a] += da;
            t[b] += db;
            self.value(&t)
        };
        let mut out = DMatrix::zeros(np, np);
        for a in 0..np {
            let fp = shifted(a, h[a], a, 0.0)?;
            let fm = shifted(a, -h[a], a, 0.0)?;
            out[(a, a)] = (fp - 2.0 * f0 + fm) / (h[a] * h[a]);
            for b in (a + 1)..np {
                let v = (shifted(a, h[a], b, h[b])?
                    - shifted(a, h[a], b, -h[b])?
                    - shifted(a, -h[a], b, h[b])?
                    + shifted(a, -h[a], b, -h[b])?)
                    / (4.0 * h[a] * h[b]);
                out[(a, b)] = v;
                out[(b, a)] = v;
            }
        }
        Ok(out)
    }

    /// Central-difference gradient of the exact approximate objective: the gradient of the
    /// adaptive-quadrature likelihood ([`polish_adaptive`]), and a check on
    /// [`Marginal::laplace_gradient`] in the tests.
    fn numerical_gradient(&self, psi: &DVector<f64>) -> Result<DVector<f64>, OrdinalError> {
        let mut g = DVector::zeros(psi.len());
        for p in 0..psi.len() {
            let h = 1e-5 * (1.0 + psi[p].abs());
            let mut a = psi.clone();
            a[p] += h;
            let mut b = psi.clone();
            b[p] -= h;
            g[p] = (self.value(&a)? - self.value(&b)?) / (2.0 * h);
        }
        Ok(g)
    }
}

impl Objective for Marginal<'_> {
    type Error = OrdinalError;

    fn evaluate(&self, psi: &DVector<f64>) -> Result<Evaluation, OrdinalError> {
        let nt = self.nt;
        let k = self.x.ncols();
        let np = nt + k + 1;
        if !self.ordered(psi) {
            return Ok(Evaluation::infeasible(np));
        }
        let (eta, sigma) = self.predictor(psi);
        let th = &psi.as_slice()[..nt];
        let xs = self.x.as_slice();
        let n = self.x.nrows();
        let nq = self.nodes.len();
        let tau = np - 1;
        let mut value = 0.0;
        let mut grad = DVector::zeros(np);
        // Σ_j of each cluster's −∇²ln L_j, accumulated in a flat column-major np × np array.
        let mut hess = vec![0.0; np * np];
        // Per cluster: the per-(row, node) pieces (p, f1, f0, d1, d0, u), the node gradients
        // g_q = Σ_i ∇ln p_iq (nq × np), and the cluster's Σ_i Σ_q π_q ∇²ln p_iq.
        let mut pieces: Vec<[f64; 6]> = Vec::new();
        let mut gq = vec![0.0; nq * np];
        let mut hsum = vec![0.0; np * np];
        let mut logw = vec![0.0; nq];
        let mut pi = vec![0.0; nq];
        for (g, rows) in self.members.iter().enumerate() {
            let (bhat, s) = self.mode(psi, g, rows, &eta, sigma);
            let r = rows.len();
            pieces.clear();
            pieces.resize(r * nq, [0.0; 6]);
            gq.fill(0.0);
            // Pass 1: ln p and ∇ln p at every node.
            for q in 0..nq {
                let b = bhat + std::f64::consts::SQRT_2 * s * self.nodes[q];
                let u = sigma * b;
                let gqq = &mut gq[q * np..(q + 1) * np];
                let mut scratch = self.scratch.borrow_mut();
                let sc = &mut *scratch;
                let hv = if self.link_block(sc, th, rows, &eta, sigma, b) {
                    -0.5 * b * b - LN_SQRT_2PI + vmath::sum_ln(&sc.p)
                } else {
                    f64::NEG_INFINITY
                };
                for (ri, (&i, (e, &p))) in rows
                    .iter()
                    .zip(sc.evals.chunks_exact(2).zip(&sc.p))
                    .enumerate()
                {
                    let c = self.y[i];
                    let (e0, e1) = (&e[0], &e[1]);
                    if p <= 0.0 {
                        continue;
                    }
                    let ip = 1.0 / p;
                    let d = -(e1.pdf - e0.pdf) * ip;
                    if c < nt {
                        gqq[c] += e1.pdf * ip;
                    }
                    if c > 0 {
                        gqq[c - 1] -= e0.pdf * ip;
                    }
                    for j in 0..k {
                        gqq[nt + j] += d * xs[j * n + i];
                    }
                    gqq[tau] += d * u;
                    pieces[ri * nq + q] = [p, e1.pdf, e0.pdf, e1.dpdf, e0.dpdf, u];
                }
                logw[q] = self.weights[q].ln() + self.nodes[q] * self.nodes[q] + hv;
            }
            let m = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                return Ok(Evaluation::infeasible(np));
            }
            let total: f64 = logw.iter().map(|l| (l - m).exp()).sum();
            value -= m + total.ln() + (std::f64::consts::SQRT_2 * s).ln();
            for (w, l) in pi.iter_mut().zip(&logw) {
                *w = (l - m).exp() / total;
            }
            // Pass 2: Σ_q π_q ∇²ln p_iq row by row, as scalar weights of the row's blocks
            // (∇²ln p = ∇²p/p − v vᵀ with v = ∇p/p = (A at θ_c, B at θ_{c−1}, D·x, D·u)).
            hsum.fill(0.0);
            for (ri, &i) in rows.iter().enumerate() {
                let c = self.y[i];
                let (mut wbb, mut wbt, mut wtt) = (0.0, 0.0, 0.0);
                let (mut tcc, mut tdd, mut tcd) = (0.0, 0.0, 0.0);
                let (mut tcx, mut tcu, mut tdx, mut tdu) = (0.0, 0.0, 0.0, 0.0);
                for q in 0..nq {
                    let [p, f1, f0, d1, d0, u] = pieces[ri * nq + q];
                    let w = pi[q];
                    if p <= 0.0 || w <= 0.0 {
                        continue;
                    }
                    let ip = 1.0 / p;
                    let (a, b, d) = (f1 * ip, -f0 * ip, -(f1 - f0) * ip);
                    let e = (d1 - d0) * ip - d * d;
                    wbb += w * e;
                    wbt += w * e * u;
                    wtt += w * (e * u * u - (f1 - f0) * ip * u);
                    tcc += w * (d1 * ip - a * a);
                    tdd += w * (-d0 * ip - b * b);
                    tcd += w * (-a * b);
                    let cx = -d1 * ip - a * d;
                    let dx = d0 * ip - b * d;
                    tcx += w * cx;
                    tcu += w * cx * u;
                    tdx += w * dx;
                    tdu += w * dx * u;
                }
                let at = |a: usize, b: usize| a + b * np;
                for jb in 0..k {
                    let xb = xs[jb * n + i];
                    for ja in 0..k {
                        hsum[at(nt + ja, nt + jb)] += wbb * xs[ja * n + i] * xb;
                    }
                    hsum[at(nt + jb, tau)] += wbt * xb;
                    hsum[at(tau, nt + jb)] += wbt * xb;
                }
                hsum[at(tau, tau)] += wtt;
                if c < nt {
                    hsum[at(c, c)] += tcc;
                    for j in 0..k {
                        let v = tcx * xs[j * n + i];
                        hsum[at(c, nt + j)] += v;
                        hsum[at(nt + j, c)] += v;
                    }
                    hsum[at(c, tau)] += tcu;
                    hsum[at(tau, c)] += tcu;
                }
                if c > 0 {
                    hsum[at(c - 1, c - 1)] += tdd;
                    for j in 0..k {
                        let v = tdx * xs[j * n + i];
                        hsum[at(c - 1, nt + j)] += v;
                        hsum[at(nt + j, c - 1)] += v;
                    }
                    hsum[at(c - 1, tau)] += tdu;
                    hsum[at(tau, c - 1)] += tdu;
                }
                if c > 0 && c < nt {
                    hsum[at(c, c - 1)] += tcd;
                    hsum[at(c - 1, c)] += tcd;
                }
            }
            // −∇²ln L_j = −(Σ_q π_q (H_q + g_q g_qᵀ) − ḡḡᵀ), and −∇ln L_j = −ḡ.
            let mut gbar = vec![0.0; np];
            for q in 0..nq {
                for a in 0..np {
                    gbar[a] += pi[q] * gq[q * np + a];
                }
            }
            for a in 0..np {
                grad[a] -= gbar[a];
                for b in 0..np {
                    let mut outer = -gbar[a] * gbar[b];
                    for q in 0..nq {
                        outer += pi[q] * gq[q * np + a] * gq[q * np + b];
                    }
                    hess[a + b * np] -= hsum[a + b * np] + outer;
                }
            }
        }
        Ok(Evaluation {
            value,
            gradient: grad,
            hessian: DMatrix::from_vec(np, np, hess),
        })
    }

    fn value(&self, psi: &DVector<f64>) -> Result<f64, OrdinalError> {
        if !self.ordered(psi) {
            return Ok(f64::INFINITY);
        }
        let (eta, sigma) = self.predictor(psi);
        let mut value = 0.0;
        let mut logw = vec![0.0; self.nodes.len()];
        for (g, rows) in self.members.iter().enumerate() {
            let (bhat, s) = self.mode(psi, g, rows, &eta, sigma);
            for (q, lw) in logw.iter_mut().enumerate() {
                let b = bhat + std::f64::consts::SQRT_2 * s * self.nodes[q];
                *lw = self.weights[q].ln()
                    + self.nodes[q] * self.nodes[q]
                    + self.h(psi, rows, &eta, sigma, b).0;
            }
            let m = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                return Ok(f64::INFINITY);
            }
            let total: f64 = logw.iter().map(|l| (l - m).exp()).sum();
            value -= m + total.ln() + (std::f64::consts::SQRT_2 * s).ln();
        }
        Ok(value)
    }
}

/// A fitted random-intercept cumulative link model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClmmFit {
    names: Vec<String>,
    nt: usize,
    estimates: DVector<f64>,
    vcov: DMatrix<f64>,
    loglik: f64,
    sigma: f64,
    modes: Vec<f64>,
    cluster_labels: Vec<String>,
    group: String,
    quadrature: Quadrature,
    convergence: Convergence,
    clm_loglik: f64,
    boundary: bool,
    nobs: usize,
}

impl ClmmFit {
    /// Whether σ̂ is at its boundary 0: the random effect adds nothing, the estimates are the
    /// clm's, ln σ is −∞ and has no standard error, and the LR test is 0 with p = 1.
    pub fn at_boundary(&self) -> bool {
        self.boundary
    }
    /// Thresholds θ.
    pub fn thresholds(&self) -> &[f64] {
        &self.estimates.as_slice()[..self.nt]
    }
    /// Regression coefficients β.
    pub fn beta(&self) -> &[f64] {
        &self.estimates.as_slice()[self.nt..self.estimates.len() - 1]
    }
    /// σ, the standard deviation of the random intercept.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
    /// σ².
    pub fn variance(&self) -> f64 {
        self.sigma * self.sigma
    }
    /// The (approximate) log-likelihood at the optimum.
    pub fn loglik(&self) -> f64 {
        self.loglik
    }
    /// Conditional modes û_j = σ b̂_j, in the order of the clusters' labels.
    pub fn random_effects(&self) -> &[f64] {
        &self.modes
    }
    /// Labels of the clusters, in the order of [`ClmmFit::random_effects`].
    pub fn cluster_labels(&self) -> &[String] {
        &self.cluster_labels
    }
    /// Parameter names: thresholds, coefficients, `log sd(group)`.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The covariance of (θ, β, ln σ): the inverse observed information.
    pub fn vcov(&self) -> &DMatrix<f64> {
        &self.vcov
    }
    /// The optimiser's report (for Laplace, `max_abs_gradient` is that of the refined exact
    /// Laplace likelihood).
    pub fn convergence(&self) -> &Convergence {
        &self.convergence
    }
    /// The quadrature used.
    pub fn quadrature(&self) -> Quadrature {
        self.quadrature
    }

    /// Wald tests (z) and `level` intervals for every parameter from the inverse observed
    /// information (the model-based covariance, as R `summary(clmm)` and Stata `meologit`): the
    /// thresholds, β and ln σ last; at the boundary, where ln σ = −∞, the thresholds and β only,
    /// with a note.
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] for a zero SE.
    pub fn infer(&self, level: Level) -> Result<Inference, OrdinalError> {
        let k = if self.boundary {
            self.names.len() - 1
        } else {
            self.names.len()
        };
        let mut coefficients = Vec::with_capacity(k);
        for (j, name) in self.names.iter().take(k).enumerate() {
            coefficients.push(Coef::wald(
                name,
                self.estimates[j],
                self.vcov[(j, j)].max(0.0).sqrt(),
                Reference::Normal,
                level,
            )?);
        }
        let method = match self.quadrature {
            Quadrature::Laplace => "the Laplace approximation".to_string(),
            Quadrature::Adaptive { nodes } => {
                format!("adaptive Gauss–Hermite quadrature with {nodes} nodes")
            }
        };
        let mut notes = Vec::new();
        if self.boundary {
            notes.push(format!(
                "The variance of the random intercept for {} is at its boundary 0: the estimates are those of the model without it, and log sd({}) has no standard error.",
                self.group, self.group
            ));
        }
        Ok(Inference {
            nobs: self.nobs,
            n_clusters: Some(self.cluster_labels.len()),
            covariance: CovarianceInfo {
                label: "model-based".into(),
                description: format!(
                    "Standard errors from the inverse observed information of the likelihood integrated over a random intercept for {} by {method}.",
                    self.group
                ),
                factor: None,
                cluster_vars: vec![self.group.clone()],
                n_clusters: vec![self.cluster_labels.len()],
                reference: Reference::Normal,
            },
            coefficients,
            vcov: self.vcov.view((0, 0), (k, k)).into_owned(),
            convergence: Some(self.convergence.clone()),
            notes,
        })
    }

    /// Likelihood-ratio test of σ = 0 against the model without the random effect: statistic
    /// 2(ℓ_clmm − ℓ_clm) and the boundary-corrected p-value ½ P(χ²₁ > LR) (Self & Liang 1987),
    /// 1 when LR = 0.
    ///
    /// # Errors
    /// None in practice (a χ² tail).
    pub fn lr_test(&self) -> Result<(f64, f64), OrdinalError> {
        let lr = (2.0 * (self.loglik - self.clm_loglik)).max(0.0);
        // The null distribution is ½χ²₀ + ½χ²₁: P(LR ≥ 0) = 1 (Stata prints Prob ≥ chibar2 =
        // 1.0000 there), ½P(χ²₁ > LR) above 0.
        if lr <= 0.0 {
            return Ok((0.0, 1.0));
        }
        Ok((lr, 0.5 * trialstats_core::dist::chisq_sf(lr, 1.0)?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use trialstats_core::testing::Tol;

    /// A small clustered ordinal data set (deterministic).
    fn data(link: Link) -> (Vec<usize>, DMatrix<f64>, Vec<Vec<usize>>) {
        let (n, g) = (240, 24);
        let x = DMatrix::from_fn(n, 2, |i, j| {
            if j == 0 {
                ((i / 10) % 2) as f64
            } else {
                ((i * 37 % 101) as f64) / 50.0 - 1.0
            }
        });
        let y: Vec<usize> = (0..n)
            .map(|i| {
                let u = ((i * 7919 + 13) % 1000) as f64 / 1000.0 + 0.0005;
                let eta = 0.6 * x[(i, 0)] - 0.8 * x[(i, 1)]
                    + 0.5 * (((i / 10) * 5 % 7) as f64 / 3.5 - 1.0);
                let cuts = [-1.0, 0.0, 1.2];
                cuts.iter().filter(|&&t| link.cdf(t - eta) < u).count()
            })
            .collect();
        let members: Vec<Vec<usize>> = (0..g).map(|c| (c * 10..c * 10 + 10).collect()).collect();
        (y, x, members)
    }

    #[test]
    fn evaluate_matches_the_per_node_reference() {
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            for nodes in [1, 5] {
                let (y, x, members) = data(link);
                let (nodes, weights) = if nodes == 1 {
                    (vec![0.0], vec![std::f64::consts::PI.sqrt()])
                } else {
                    gauss_hermite(nodes).unwrap()
                };
                let m = Marginal {
                    y: &y,
                    x: &x,
                    members,
                    nt: 3,
                    link,
                    nodes,
                    weights,
                    warm: std::cell::RefCell::new(vec![0.0; 24]),
                    slopes: std::cell::RefCell::new(DMatrix::zeros(0, 0)),
                    scratch: std::cell::RefCell::default(),
                };
                let psi = DVector::from_vec(vec![-0.9, 0.1, 1.1, 0.5, -0.7, (0.6f64).ln()]);
                let fast = m.evaluate(&psi).unwrap();
                let slow = m.evaluate_reference(&psi).unwrap();
                let t = Tol {
                    abs: 1e-11,
                    rel: 1e-11,
                };
                t.check("value", fast.value, slow.value).unwrap();
                t.check_slice(
                    "gradient",
                    fast.gradient.as_slice(),
                    slow.gradient.as_slice(),
                )
                .unwrap();
                t.check_slice("Hessian", fast.hessian.as_slice(), slow.hessian.as_slice())
                    .unwrap();
            }
        }
    }

    #[test]
    fn laplace_gradient_matches_central_differences() {
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            let (y, x, members) = data(link);
            let m = Marginal {
                y: &y,
                x: &x,
                members,
                nt: 3,
                link,
                nodes: vec![0.0],
                weights: vec![std::f64::consts::PI.sqrt()],
                warm: std::cell::RefCell::new(vec![0.0; 24]),
                slopes: std::cell::RefCell::new(DMatrix::zeros(0, 0)),
                scratch: std::cell::RefCell::default(),
            };
            let psi = DVector::from_vec(vec![-0.9, 0.1, 1.1, 0.5, -0.7, (0.6f64).ln()]);
            let (v, g) = m.laplace_gradient(&psi).unwrap();
            Tol::rel(1e-12)
                .check("value", v, m.value(&psi).unwrap())
                .unwrap();
            let fd = m.numerical_gradient(&psi).unwrap();
            Tol {
                abs: 1e-6,
                rel: 1e-6,
            }
            .check_slice(&format!("{link:?} gradient"), g.as_slice(), fd.as_slice())
            .unwrap();
            assert!(g.amax() > 1e-2, "a point away from the optimum");
            let h = m.gradient_jacobian(&psi).unwrap();
            let hv = m.numerical_hessian(&psi).unwrap();
            Tol {
                abs: 1e-4 * hv.amax(),
                rel: 1e-5,
            }
            .check_slice(&format!("{link:?} Hessian"), h.as_slice(), hv.as_slice())
            .unwrap();
        }
    }
}
