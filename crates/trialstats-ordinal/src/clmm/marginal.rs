//! The marginal likelihood of a random-intercept cumulative link model: per-cluster modes,
//! the Laplace approximation and adaptive quadrature, with the gradient and Hessian.

use nalgebra::{DMatrix, DVector};
use trialstats_core::optim::{Evaluation, Objective};
use trialstats_core::vmath;

use crate::error::OrdinalError;
use crate::link::{Eval, Link};

/// The negative approximate marginal log-likelihood.
pub(super) struct Marginal<'b> {
    pub(super) y: &'b [usize],
    pub(super) x: &'b DMatrix<f64>,
    pub(super) members: Vec<Vec<usize>>,
    pub(super) nt: usize,
    pub(super) link: Link,
    pub(super) nodes: Vec<f64>,
    pub(super) weights: Vec<f64>,
    /// The last mode found for each cluster: the next search starts there (the modes move
    /// little between evaluations), which saves most of the inner Newton steps.
    pub(super) warm: std::cell::RefCell<Vec<f64>>,
    /// db̂_j/dψ of each cluster (G × parameters) from the last exact Laplace gradient: moving
    /// the warm starts along it puts the next mode search within O(‖Δψ‖²) of its answer.
    pub(super) slopes: std::cell::RefCell<DMatrix<f64>>,
    /// Per-cluster work space: the category bounds of the cluster's rows, the link at all of
    /// them (one vectorised exponential each for the logit) and the probabilities.
    pub(super) scratch: std::cell::RefCell<Scratch>,
}

/// See [`Marginal::link_block`].
#[derive(Default)]
pub(super) struct Scratch {
    /// The thresholds padded with ±∞ (see [`crate::link::padded_thresholds`]).
    tp: Vec<f64>,
    z: Vec<f64>,
    tmp: Vec<f64>,
    evals: Vec<Eval>,
    p: Vec<f64>,
}

pub(super) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

impl<'b> Marginal<'b> {
    /// The objective for the rows `y`, `x` in clusters `members`, with `nt` thresholds and the
    /// quadrature rule (`nodes`, `weights`; one node at 0 with weight √π is Laplace).
    pub(super) fn new(
        y: &'b [usize],
        x: &'b DMatrix<f64>,
        members: Vec<Vec<usize>>,
        nt: usize,
        link: Link,
        nodes: Vec<f64>,
        weights: Vec<f64>,
    ) -> Self {
        let g = members.len();
        Marginal {
            y,
            x,
            members,
            nt,
            link,
            nodes,
            weights,
            warm: std::cell::RefCell::new(vec![0.0; g]),
            slopes: std::cell::RefCell::new(DMatrix::zeros(0, 0)),
            scratch: std::cell::RefCell::default(),
        }
    }
}

impl Marginal<'_> {
    pub(super) fn ordered(&self, psi: &DVector<f64>) -> bool {
        (1..self.nt).all(|t| psi[t] > psi[t - 1]) && psi.iter().all(|v| v.is_finite())
    }

    /// p, f1, f0, d1, d0 for one observation at total predictor ζ (two link evaluations; the
    /// reference quadrature of the tests).
    #[cfg(test)]
    pub(super) fn obs(&self, psi: &DVector<f64>, c: usize, zeta: f64) -> (f64, f64, f64, f64, f64) {
        let (z0, z1) = crate::link::category_bounds(&psi.as_slice()[..self.nt], c, zeta);
        let (e1, e0) = (self.link.eval(z1), self.link.eval(z0));
        (e0.interval_to(&e1), e1.pdf, e0.pdf, e1.dpdf, e0.dpdf)
    }

    /// The link at both category bounds of each of the cluster's rows at b (into
    /// `scratch.evals`, lower then upper bound per row) and the rows' probabilities (into
    /// `scratch.p`); false when some probability is not positive.
    pub(super) fn link_block(
        &self,
        scratch: &mut Scratch,
        th: &[f64],
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
        b: f64,
    ) -> bool {
        let mut hv = [0.0];
        self.link_nodes(scratch, th, rows, eta, sigma, &[b], &mut hv);
        hv[0].is_finite()
    }

    /// [`Marginal::link_block`] at every point of `bs` in one pass (one vectorised link
    /// evaluation for the cluster's rows at all nodes): node q's rows are `evals[2rq..2r(q+1)]`
    /// and `p[rq..r(q+1)]` with r = `rows.len()`. Returns each node's h(b_q) (−∞ where a
    /// probability is not positive).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn link_nodes(
        &self,
        scratch: &mut Scratch,
        th: &[f64],
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
        bs: &[f64],
        hv: &mut [f64],
    ) {
        let Scratch {
            tp,
            z,
            tmp,
            evals,
            p,
        } = scratch;
        crate::link::pad_thresholds_into(th, tp);
        z.clear();
        for &b in bs {
            for &i in rows {
                let (c, zeta) = (self.y[i], eta[i] + sigma * b);
                z.extend([tp[c] - zeta, tp[c + 1] - zeta]);
            }
        }
        self.link.eval_many(z, tmp, evals);
        p.clear();
        p.extend(evals.chunks_exact(2).map(|e| e[0].interval_to(&e[1])));
        let r = rows.len();
        for (q, (&b, h)) in bs.iter().zip(hv.iter_mut()).enumerate() {
            let pq = &p[q * r..(q + 1) * r];
            *h = if pq.iter().all(|&v| v > 0.0) {
                -0.5 * b * b - LN_SQRT_2PI + vmath::sum_ln(pq)
            } else {
                f64::NEG_INFINITY
            };
        }
    }

    /// h(b), h′(b), h″(b) for one cluster.
    pub(super) fn h(
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
    pub(super) fn mode(
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
    pub(super) fn mode_with(
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
    pub(super) fn boundary_slope(&self, psi: &DVector<f64>) -> f64 {
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

    pub(super) fn modes(&self, psi: &DVector<f64>) -> Result<Vec<f64>, OrdinalError> {
        let (eta, sigma) = self.predictor(psi);
        Ok(self
            .members
            .iter()
            .enumerate()
            .map(|(g, rows)| self.mode(psi, g, rows, &eta, sigma).0)
            .collect())
    }

    pub(super) fn predictor(&self, psi: &DVector<f64>) -> (DVector<f64>, f64) {
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
    pub(super) fn laplace_gradient_with(
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
        let mut value = 0.0;
        let mut grad = DVector::zeros(np);
        // Per cluster: ∂h/∂ψ (dh), ∂h′/∂ψ (d1h), ∂h″/∂ψ (d2h).
        let mut dh = vec![0.0; np];
        let mut d1h = vec![0.0; np];
        let mut d2h = vec![0.0; np];
        for (g, rows) in self.members.iter().enumerate() {
            let (b, _) = self.mode_with(psi, g, rows, &eta, sigma, true);
            let Some(ModeTerms { h, h2, h3 }) =
                self.mode_terms(th, rows, &eta, sigma, b, &mut dh, &mut d1h, &mut d2h)
            else {
                return Ok((f64::INFINITY, DVector::zeros(np)));
            };
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

    /// The Laplace objective with each cluster's mode found lazily (its last Newton step taken
    /// without evaluating h at its end, and ŝ from the point before): within about 10⁻⁷ of
    /// [`Objective::value`] with one node, for a search of start values.
    pub(super) fn rough_laplace_value(&self, psi: &DVector<f64>) -> f64 {
        if !self.ordered(psi) {
            return f64::INFINITY;
        }
        let (eta, sigma) = self.predictor(psi);
        let mut value = 0.0;
        for (g, rows) in self.members.iter().enumerate() {
            let (b, s) = self.mode_with(psi, g, rows, &eta, sigma, true);
            let (h, _, _) = self.h(psi, rows, &eta, sigma, b);
            value -= h + 0.5 * (2.0 * std::f64::consts::PI).ln() + s.ln();
        }
        if value.is_nan() { f64::INFINITY } else { value }
    }

    /// The current modes (the warm starts of the next search).
    pub(super) fn current_modes(&self) -> Vec<f64> {
        self.warm.borrow().clone()
    }

    /// Sets the warm starts to `base` + (db̂/dψ)·`delta`, the first-order prediction of the modes
    /// at ψ + `delta` from the last exact Laplace gradient (at the ψ where the modes were `base`).
    pub(super) fn predict_modes(&self, base: &[f64], delta: &DVector<f64>) {
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
    pub(super) fn laplace_gradient(
        &self,
        psi: &DVector<f64>,
    ) -> Result<(f64, DVector<f64>), OrdinalError> {
        self.laplace_gradient_with(psi, None)
    }

    /// The per-node evaluation the fast [`Objective::evaluate`] replaced (a check in the tests).
    #[cfg(test)]
    pub(super) fn evaluate_reference(
        &self,
        psi: &DVector<f64>,
    ) -> Result<Evaluation, OrdinalError> {
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
    pub(super) fn gradient_jacobian(
        &self,
        psi: &DVector<f64>,
    ) -> Result<DMatrix<f64>, OrdinalError> {
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
    pub(super) fn numerical_hessian(
        &self,
        psi: &DVector<f64>,
    ) -> Result<DMatrix<f64>, OrdinalError> {
        trialstats_core::optim::second_differences(&|p| self.value(p), psi, 1e-4)
    }

    /// Central-difference gradient of the exact approximate objective: a check on
    /// [`Marginal::laplace_gradient`] and [`Marginal::adaptive_gradient`] in the tests.
    #[cfg(test)]
    pub(super) fn numerical_gradient(
        &self,
        psi: &DVector<f64>,
    ) -> Result<DVector<f64>, OrdinalError> {
        trialstats_core::optim::central_gradient(&|p| self.value(p), psi, 1e-5)
    }
}

impl Marginal<'_> {
    /// Adds row i's Σ_q π_q ∇²ln p_iq to `hsum` (column-major np × np), from the row's pieces
    /// (p, f1, f0, d1, d0, u) at each node, as scalar weights of the row's blocks
    /// (∇²ln p = ∇²p/p − v vᵀ with v = ∇p/p = (A at θ_c, B at θ_{c−1}, D·x, D·u)).
    fn add_row_hessian(&self, i: usize, pieces: &[[f64; 6]], pi: &[f64], hsum: &mut [f64]) {
        let (nt, k, n) = (self.nt, self.x.ncols(), self.x.nrows());
        let np = nt + k + 1;
        let tau = np - 1;
        let nq = pi.len();
        let xs = self.x.as_slice();
        let c = self.y[i];
        let (mut wbb, mut wbt, mut wtt) = (0.0, 0.0, 0.0);
        let (mut tcc, mut tdd, mut tcd) = (0.0, 0.0, 0.0);
        let (mut tcx, mut tcu, mut tdx, mut tdu) = (0.0, 0.0, 0.0, 0.0);
        for q in 0..nq {
            let [p, f1, f0, d1, d0, u] = pieces[q];
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
}

/// ln p of one row and its derivatives, in the latent predictor ζ and in the thresholds that
/// bound its category (see [`row_derivatives`]).
pub(super) struct RowDerivatives {
    /// L1 = ∂ln p/∂ζ.
    pub(super) l1: f64,
    /// L2 = ∂²ln p/∂ζ².
    pub(super) l2: f64,
    /// L3 = ∂³ln p/∂ζ³.
    pub(super) l3: f64,
    /// (threshold index, ∂ln p/∂θ, ∂L1/∂θ, ∂L2/∂θ) for the upper bound θ_c and the lower
    /// θ_{c−1}, each `None` where the bound is infinite.
    pub(super) theta: [Option<(usize, f64, f64, f64)>; 2],
}

/// The derivatives of ln p for a row of category `c` (0-based, of `nt` + 1) from the link at
/// its lower (`e0`) and upper (`e1`) bound θ − ζ and p = F(z₁) − F(z₀) > 0.
///
/// # Formula
/// With P′ = −(f₁ − f₀), P″ = f₁′ − f₀′, P‴ = −(f₁″ − f₀″) (derivatives in ζ):
/// L1 = P′/p, L2 = P″/p − L1², L3 = P‴/p − 3 L1 P″/p + 2 L1³. For the upper threshold
/// ∂p/∂θ = f₁, ∂P′/∂θ = −f₁′, ∂P″/∂θ = f₁″ (the lower with the signs reversed), and
/// ∂L1/∂θ = ∂P′/∂θ / p − L1 ∂p/∂θ / p, ∂L2/∂θ = ∂P″/∂θ / p − P″ ∂p/∂θ / p² − 2 L1 ∂L1/∂θ.
#[inline]
pub(super) fn row_derivatives(e0: &Eval, e1: &Eval, p: f64, c: usize, nt: usize) -> RowDerivatives {
    let ip = 1.0 / p;
    let (f1, f0, d1, d0, c1, c0) = (e1.pdf, e0.pdf, e1.dpdf, e0.dpdf, e1.d2pdf, e0.d2pdf);
    let pp = d1 - d0; // P″
    let l1 = -(f1 - f0) * ip;
    let l2 = pp * ip - l1 * l1;
    let l3 = -(c1 - c0) * ip - 3.0 * pp * ip * l1 + 2.0 * l1 * l1 * l1;
    let part = |t: usize, dp: f64, dpp1: f64, dpp2: f64| {
        let dl1 = dpp1 * ip - l1 * dp * ip;
        let dl2 = dpp2 * ip - pp * dp * ip * ip - 2.0 * l1 * dl1;
        (t, dp * ip, dl1, dl2)
    };
    RowDerivatives {
        l1,
        l2,
        l3,
        theta: [
            (c < nt).then(|| part(c, f1, -d1, c1)),
            (c > 0).then(|| part(c - 1, -f0, d0, -c0)),
        ],
    }
}

/// A cluster's integrand at one point b: h(b), h″(b) and h‴(b) (see [`Marginal::mode_terms`]).
pub(super) struct ModeTerms {
    pub(super) h: f64,
    pub(super) h2: f64,
    pub(super) h3: f64,
}

impl Marginal<'_> {
    /// At b (a cluster's mode): h(b), h″(b), h‴(b), and into `dh`, `d1h`, `d2h` the partial
    /// derivatives ∂h/∂ψ, ∂h′/∂ψ and ∂h″/∂ψ at fixed b (the formulas of
    /// [`Marginal::laplace_gradient_with`]); `None` where a probability is not positive.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn mode_terms(
        &self,
        th: &[f64],
        rows: &[usize],
        eta: &DVector<f64>,
        sigma: f64,
        b: f64,
        dh: &mut [f64],
        d1h: &mut [f64],
        d2h: &mut [f64],
    ) -> Option<ModeTerms> {
        let nt = self.nt;
        let k = self.x.ncols();
        let np = nt + k + 1;
        let xs = self.x.as_slice();
        let n = self.x.nrows();
        dh.fill(0.0);
        d1h.fill(0.0);
        d2h.fill(0.0);
        let mut scratch = self.scratch.borrow_mut();
        let sc = &mut *scratch;
        if !self.link_block(sc, th, rows, eta, sigma, b) {
            return None;
        }
        let (h, mut s2, mut s3) = (-0.5 * b * b - LN_SQRT_2PI + vmath::sum_ln(&sc.p), 0.0, 0.0);
        let mut s1 = 0.0;
        for ((&i, e), &p) in rows.iter().zip(sc.evals.chunks_exact(2)).zip(&sc.p) {
            let d = row_derivatives(&e[0], &e[1], p, self.y[i], nt);
            s1 += d.l1;
            s2 += d.l2;
            s3 += d.l3;
            // β: ∂ln p/∂β = L1 x, and its ζ-derivatives L2 x, L3 x.
            for j in 0..k {
                let xij = xs[j * n + i];
                dh[nt + j] += d.l1 * xij;
                d1h[nt + j] += sigma * d.l2 * xij;
                d2h[nt + j] += sigma * sigma * d.l3 * xij;
            }
            for &(t, dl, dl1, dl2) in d.theta.iter().flatten() {
                dh[t] += dl;
                d1h[t] += sigma * dl1;
                d2h[t] += sigma * sigma * dl2;
            }
        }
        // ln σ: ζ moves by σb, and h′, h″ carry σ and σ² explicitly.
        dh[np - 1] = sigma * b * s1;
        d1h[np - 1] = sigma * s1 + sigma * sigma * b * s2;
        d2h[np - 1] = 2.0 * sigma * sigma * s2 + sigma * sigma * sigma * b * s3;
        Some(ModeTerms {
            h,
            h2: sigma * sigma * s2 - 1.0,
            h3: sigma * sigma * sigma * s3,
        })
    }

    /// The adaptive-quadrature objective −Σ_j ln L_j and its exact gradient, the nodes'
    /// movement with ψ included (with one node, x = 0, it is the Laplace objective and
    /// gradient of [`Marginal::laplace_gradient`]).
    ///
    /// # Formula
    /// With b_q = b̂ + √2 ŝ x_q, π_q the nodes' normalised weights w_q e^{x_q²} e^{h(b_q)},
    /// ∂h the partial derivative at fixed b, and the mode's and scale's derivatives
    /// db̂/dψ = −(∂h′/∂ψ)/h″ and d ln ŝ/dψ = −(∂h″/∂ψ + h‴ db̂/dψ)/(2h″) (all at b̂),
    /// ```text
    /// d ln L_j/dψ = d ln ŝ/dψ + Σ_q π_q [∂h(b_q)/∂ψ + h′(b_q)(db̂/dψ + √2 x_q ŝ d ln ŝ/dψ)]
    /// ```
    /// (Liu & Pierce 1994, Biometrika 81(3):624–629, doi:10.1093/biomet/81.3.624, for the
    /// rule; the derivative by the chain rule through b̂(ψ) and ŝ(ψ)).
    pub(super) fn adaptive_gradient(
        &self,
        psi: &DVector<f64>,
    ) -> Result<(f64, DVector<f64>), OrdinalError> {
        let mut exact = DVector::zeros(psi.len());
        let e = self.evaluate_with(psi, Some(&mut exact), false)?;
        Ok((e.value, exact))
    }
}

impl Marginal<'_> {
    /// [`Objective::evaluate`] (the value, and the gradient and, with `hessian`, the Hessian
    /// with the nodes held at ψ; without it the Hessian is left 0), and with `exact` the exact
    /// gradient of [`Marginal::adaptive_gradient`] into it, from the same link evaluations.
    pub(super) fn evaluate_with(
        &self,
        psi: &DVector<f64>,
        mut exact: Option<&mut DVector<f64>>,
        hessian: bool,
    ) -> Result<Evaluation, OrdinalError> {
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
        if let Some(e) = exact.as_deref_mut() {
            *e = DVector::zeros(np);
        }
        // Σ_j of each cluster's −∇²ln L_j, accumulated in a flat column-major np × np array.
        let mut hess = vec![0.0; np * np];
        // Per cluster: the per-(row, node) pieces (p, f1, f0, d1, d0, u), the node gradients
        // g_q = Σ_i ∇ln p_iq (nq × np), and the cluster's Σ_i Σ_q π_q ∇²ln p_iq.
        let mut pieces: Vec<[f64; 6]> = Vec::new();
        let mut gq = vec![0.0; nq * np];
        let mut hsum = vec![0.0; np * np];
        let mut logw = vec![0.0; nq];
        let mut pi = vec![0.0; nq];
        let mut bq = vec![0.0; nq];
        let mut h1q = vec![0.0; nq];
        let (mut dh, mut d1h, mut d2h) = (vec![0.0; np], vec![0.0; np], vec![0.0; np]);
        for (g, rows) in self.members.iter().enumerate() {
            let (bhat, s) = self.mode(psi, g, rows, &eta, sigma);
            let r = rows.len();
            if hessian {
                pieces.clear();
                pieces.resize(r * nq, [0.0; 6]);
            }
            gq.fill(0.0);
            for (b, x) in bq.iter_mut().zip(&self.nodes) {
                *b = bhat + std::f64::consts::SQRT_2 * s * x;
            }
            // Pass 1: ln p and ∇ln p at every node.
            let mut scratch = self.scratch.borrow_mut();
            let sc = &mut *scratch;
            self.link_nodes(sc, th, rows, &eta, sigma, &bq, &mut logw);
            for q in 0..nq {
                let u = sigma * bq[q];
                let gqq = &mut gq[q * np..(q + 1) * np];
                let ev = &sc.evals[2 * r * q..2 * r * (q + 1)];
                let pq = &sc.p[r * q..r * (q + 1)];
                let mut s1 = 0.0;
                for (ri, (&i, (e, &p))) in rows.iter().zip(ev.chunks_exact(2).zip(pq)).enumerate() {
                    let c = self.y[i];
                    let (e0, e1) = (&e[0], &e[1]);
                    if p <= 0.0 {
                        continue;
                    }
                    let ip = 1.0 / p;
                    let d = -(e1.pdf - e0.pdf) * ip;
                    s1 += d;
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
                    if hessian {
                        pieces[ri * nq + q] = [p, e1.pdf, e0.pdf, e1.dpdf, e0.dpdf, u];
                    }
                }
                h1q[q] = sigma * s1 - bq[q];
                logw[q] += self.weights[q].ln() + self.nodes[q] * self.nodes[q];
            }
            drop(scratch);
            let m = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !m.is_finite() {
                return Ok(Evaluation::infeasible(np));
            }
            for (w, l) in pi.iter_mut().zip(&logw) {
                *w = (l - m).exp();
            }
            let total: f64 = pi.iter().sum();
            pi.iter_mut().for_each(|w| *w /= total);
            value -= m + total.ln() + (std::f64::consts::SQRT_2 * s).ln();
            // Pass 2: Σ_q π_q ∇²ln p_iq row by row, as scalar weights of the row's blocks
            // (∇²ln p = ∇²p/p − v vᵀ with v = ∇p/p = (A at θ_c, B at θ_{c−1}, D·x, D·u)).
            // −∇²ln L_j = −(Σ_q π_q (H_q + g_q g_qᵀ) − ḡḡᵀ), and −∇ln L_j = −ḡ.
            let mut gbar = vec![0.0; np];
            for q in 0..nq {
                for a in 0..np {
                    gbar[a] += pi[q] * gq[q * np + a];
                }
            }
            for a in 0..np {
                grad[a] -= gbar[a];
            }
            if hessian {
                hsum.fill(0.0);
                for (ri, &i) in rows.iter().enumerate() {
                    self.add_row_hessian(i, &pieces[ri * nq..(ri + 1) * nq], &pi, &mut hsum);
                }
                for a in 0..np {
                    for b in 0..np {
                        let mut outer = -gbar[a] * gbar[b];
                        for q in 0..nq {
                            outer += pi[q] * gq[q * np + a] * gq[q * np + b];
                        }
                        hess[a + b * np] -= hsum[a + b * np] + outer;
                    }
                }
            }
            // The exact gradient: ḡ plus the nodes' movement (see adaptive_gradient).
            if let Some(e) = exact.as_deref_mut() {
                let mut slopes = self.slopes.borrow_mut();
                if slopes.shape() != (self.members.len(), np) {
                    *slopes = DMatrix::zeros(self.members.len(), np);
                }
                let Some(ModeTerms { h2, h3, .. }) =
                    self.mode_terms(th, rows, &eta, sigma, bhat, &mut dh, &mut d1h, &mut d2h)
                else {
                    return Ok(Evaluation::infeasible(np));
                };
                for a in 0..np {
                    let db = -d1h[a] / h2;
                    let dls = -0.5 * (d2h[a] + h3 * db) / h2;
                    let mut ga = dls;
                    for q in 0..nq {
                        ga += pi[q]
                            * h1q[q]
                            * (db + std::f64::consts::SQRT_2 * self.nodes[q] * s * dls);
                    }
                    e[a] -= gbar[a] + ga;
                    slopes[(g, a)] = db;
                }
            }
        }
        Ok(Evaluation {
            value,
            gradient: grad,
            hessian: DMatrix::from_vec(np, np, hess),
        })
    }
}

impl Objective for Marginal<'_> {
    type Error = OrdinalError;

    fn evaluate(&self, psi: &DVector<f64>) -> Result<Evaluation, OrdinalError> {
        self.evaluate_with(psi, None, true)
    }

    fn value(&self, psi: &DVector<f64>) -> Result<f64, OrdinalError> {
        if !self.ordered(psi) {
            return Ok(f64::INFINITY);
        }
        let (eta, sigma) = self.predictor(psi);
        let mut value = 0.0;
        let mut logw = vec![0.0; self.nodes.len()];
        let mut bq = vec![0.0; self.nodes.len()];
        for (g, rows) in self.members.iter().enumerate() {
            let (bhat, s) = self.mode(psi, g, rows, &eta, sigma);
            for (b, x) in bq.iter_mut().zip(&self.nodes) {
                *b = bhat + std::f64::consts::SQRT_2 * s * x;
            }
            self.link_nodes(
                &mut self.scratch.borrow_mut(),
                &psi.as_slice()[..self.nt],
                rows,
                &eta,
                sigma,
                &bq,
                &mut logw,
            );
            for (q, lw) in logw.iter_mut().enumerate() {
                *lw += self.weights[q].ln() + self.nodes[q] * self.nodes[q];
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
