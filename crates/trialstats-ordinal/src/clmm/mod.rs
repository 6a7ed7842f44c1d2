//! Cumulative link mixed models with a random intercept per cluster (R `ordinal::clmm`, Stata
//! `meologit`), by the Laplace approximation or adaptive Gauss–Hermite quadrature.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::{Spd, cluster_members};
use trialstats_core::optim::Objective;
use trialstats_core::{Clusters, Control};

use crate::clm::{Clm, ClmFit};
use crate::error::OrdinalError;
use crate::link::Link;

mod fit;
mod marginal;
mod nested;
mod optimise;
mod quadrature;

pub use fit::ClmmFit;
use marginal::*;
pub use nested::{NestedClmm, NestedClmmFit};
use optimise::*;
use quadrature::*;

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
/// mode by Newton's method; the likelihood is maximised by a Newton-type iteration on its exact
/// gradient (the modes' and, for quadrature, the nodes' movement with the parameters included),
/// so that its fixed point is the optimum of the approximated likelihood itself. Its metric is
/// the Hessian with the modes (Laplace) or nodes (quadrature) held fixed, refreshed while the
/// steps are large and updated by BFGS near the optimum. The covariance is the inverse of, for
/// Laplace, the central-difference Jacobian of the exact gradient, and for quadrature the
/// fixed-node Hessian (the nodes' movement changes it by the order of the quadrature's error).
/// Start values: [`Clm`]'s, rescaled for the random intercept at the σ that minimises the
/// Laplace objective along the attenuation path (see `attenuated_start`).
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
    /// As [`Clm::with_levels`]; [`trialstats_core::InputError::Length`] if the clusters do not cover the rows.
    pub fn new<S: AsRef<str>>(
        y: &'a [usize],
        levels: &[S],
        x: &'a DMatrix<f64>,
        clusters: &'a Clusters,
    ) -> Result<Self, OrdinalError> {
        clusters.check_covers(y.len(), "y")?;
        let clm = Clm::with_levels(y, levels, x)?;
        constant_within(y, clusters)?;
        Ok(Self {
            clm,
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
    /// [`trialstats_core::InputError::OutOfRange`] for fewer than 2 or more than [`MAX_NODES`] nodes in `Adaptive`; the errors of [`Clm::fit`];
    /// [`OrdinalError::NotConverged`].
    pub fn fit(&self) -> Result<ClmmFit, OrdinalError> {
        let (nodes, weights) = rule(self.quadrature)?;
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
        let y = self.clm.codes();
        let members = cluster_members(self.clusters);
        let laplace = Marginal::new(
            y,
            self.clm.design(),
            members.clone(),
            nt,
            start_fit.link(),
            vec![0.0],
            vec![std::f64::consts::PI.sqrt()],
        );
        let objective = Marginal::new(
            y,
            self.clm.design(),
            members,
            nt,
            start_fit.link(),
            nodes,
            weights,
        );
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
        let start = attenuated_start(&laplace, &start, start_fit.link());
        // Adaptive quadrature: a Newton iteration on the exact gradient of the adaptive
        // likelihood (the nodes' movement included) with the fixed-node Hessian as the metric.
        // Laplace: a Newton iteration on the exact gradient of the Laplace likelihood (the modes'
        // movement included), with the Hessian at modes held fixed as the metric (refreshed
        // while the steps are large); its fixed point is the Laplace optimum whatever the
        // metric's error.
        let (theta, convergence, quadrature_hessian) = match self.quadrature {
            Quadrature::Adaptive { .. } => {
                let (theta, convergence, hessian) =
                    adaptive_newton(&objective, start, &self.control)?;
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

/// Start values on the scale of the random-intercept model: σ₀ minimising the Laplace
/// objective (its modes found lazily) along the path (θ, β)·√(1 + c²σ²), ln σ (Brent's method
/// on ln σ ∈ [ln 0.02, ln 5] to 0.1), from the clm's (θ, β). A marginal (population-averaged) coefficient is
/// attenuated from the conditional one by about 1/√(1 + c²σ²), with c² = 1 for the probit,
/// (16√3/(15π))² for the logit (Zeger, Liang & Albert 1988, Biometrics 44(4):1049–1060,
/// doi:10.2307/2531734) and, roughly, 0.6 for the cloglog. A start
/// only: the optimiser goes on from there.
fn attenuated_start(laplace: &Marginal<'_>, start: &DVector<f64>, link: Link) -> DVector<f64> {
    let c2 = match link {
        Link::Probit => 1.0,
        Link::Logit => (16.0 * 3f64.sqrt() / (15.0 * std::f64::consts::PI)).powi(2),
        Link::Cloglog => 0.6,
    };
    let np = start.len();
    let at = |ls: f64| {
        let f = (1.0 + c2 * (2.0 * ls).exp()).sqrt();
        let mut psi = start * f;
        psi[np - 1] = ls;
        psi
    };
    let objective = |ls: f64| laplace.rough_laplace_value(&at(ls));
    let (ls, v) = trialstats_core::optim::fmin(&objective, 0.02f64.ln(), 5f64.ln(), 0.1, 40);
    if v.is_finite() { at(ls) } else { start.clone() }
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

/// Wald z tests and `level` intervals of the parameters `keep` from the inverse observed
/// information, as the model-based [`Inference`] of a fit with random intercepts for `groups`
/// (with their numbers of levels) integrated out as `description` says.
#[allow(clippy::too_many_arguments)]
pub(crate) fn model_based_inference(
    names: &[String],
    estimates: &nalgebra::DVector<f64>,
    vcov: &nalgebra::DMatrix<f64>,
    keep: &[usize],
    nobs: usize,
    groups: (Vec<String>, Vec<usize>),
    description: String,
    convergence: &trialstats_core::Convergence,
    level: trialstats_core::Level,
    notes: Vec<String>,
) -> Result<trialstats_core::Inference, OrdinalError> {
    use trialstats_core::{Coef, CovarianceInfo, Inference, Reference};
    let coefficients = keep
        .iter()
        .map(|&j| {
            Coef::wald(
                &names[j],
                estimates[j],
                vcov[(j, j)].max(0.0).sqrt(),
                Reference::Normal,
                level,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Inference {
        nobs,
        n_clusters: groups.1.first().copied(),
        covariance: CovarianceInfo {
            label: "model-based".into(),
            description,
            factor: None,
            cluster_vars: groups.0,
            n_clusters: groups.1,
            reference: Reference::Normal,
        },
        coefficients,
        vcov: vcov.select_rows(keep).select_columns(keep),
        convergence: Some(convergence.clone()),
        notes,
    })
}

/// [`OrdinalError::ConstantWithinGroups`] when every level of `groups` has two or more rows, all
/// in one category (and the outcome more than one category overall, which
/// [`Clm::with_levels`] has checked): the likelihood then rises without bound with the
/// variance. A level with a single row bounds it (as σ → ∞ its row's probability tends to 0 in
/// a middle category and ½ in an extreme one), so one such level makes no error.
pub(crate) fn constant_within(y: &[usize], groups: &Clusters) -> Result<(), OrdinalError> {
    // Per level: its first category and its number of rows.
    let mut seen: Vec<(usize, usize)> = vec![(0, 0); groups.n_clusters()];
    for (&c, &g) in y.iter().zip(groups.codes()) {
        let (first, count) = &mut seen[g];
        if *count > 0 && *first != c {
            return Ok(());
        }
        *first = c;
        *count += 1;
    }
    if seen.iter().any(|&(_, count)| count == 1) {
        return Ok(());
    }
    Err(OrdinalError::ConstantWithinGroups {
        factor: groups.name().to_owned(),
    })
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
                let q = if nodes == 1 {
                    Quadrature::Laplace
                } else {
                    Quadrature::Adaptive { nodes }
                };
                let (nodes, weights) = rule(q).unwrap();
                let m = Marginal::new(&y, &x, members, 3, link, nodes, weights);
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
    fn adaptive_gradient_is_the_exact_gradient_of_the_quadrature() {
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            let (y, x, members) = data(link);
            let (nodes, weights) = rule(Quadrature::Adaptive { nodes: 5 }).unwrap();
            let m = Marginal::new(&y, &x, members, 3, link, nodes, weights);
            let psi = DVector::from_vec(vec![-0.9, 0.1, 1.1, 0.5, -0.7, (0.6f64).ln()]);
            let (v, g) = m.adaptive_gradient(&psi).unwrap();
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
            // The fixed-node gradient differs from it (by the nodes' movement), and the exact
            // one from the Hessian's pass is the same.
            let fixed = m.evaluate(&psi).unwrap().gradient;
            assert!((&fixed - &g).amax() > 1e-8, "{link:?}");
            let mut exact = DVector::zeros(6);
            let e = m.evaluate_with(&psi, Some(&mut exact), true).unwrap();
            Tol::rel(1e-12).check("value", e.value, v).unwrap();
            Tol {
                abs: 1e-12,
                rel: 1e-12,
            }
            .check_slice("exact gradient", exact.as_slice(), g.as_slice())
            .unwrap();
        }
    }

    #[test]
    fn laplace_gradient_matches_central_differences() {
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            let (y, x, members) = data(link);
            let (nodes, weights) = rule(Quadrature::Laplace).unwrap();
            let m = Marginal::new(&y, &x, members, 3, link, nodes, weights);
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
