//! Link functions of cumulative link models: the distribution F of the latent error.

use serde::{Deserialize, Serialize};
use trialstats_core::{Reference, vmath};

/// The link: P(Y ≤ j | x) = F(θ_j − xᵀβ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum Link {
    /// F(z) = 1/(1 + e^−z): proportional odds (R `clm` default, Stata `ologit`).
    #[default]
    Logit,
    /// F = Φ, the standard normal (Stata `oprobit`).
    Probit,
    /// F(z) = 1 − exp(−e^z): proportional hazards in discrete time.
    Cloglog,
}

impl Link {
    /// Lower-case name (`logit`, `probit`, `cloglog`).
    pub fn name(&self) -> &'static str {
        match self {
            Link::Logit => "logit",
            Link::Probit => "probit",
            Link::Cloglog => "cloglog",
        }
    }

    /// F(z); F(−∞) = 0, F(∞) = 1.
    pub fn cdf(&self, z: f64) -> f64 {
        match self {
            Link::Logit => {
                if z >= 0.0 {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    let e = z.exp();
                    e / (1.0 + e)
                }
            }
            Link::Probit => Reference::Normal
                .cdf(z)
                .unwrap_or(if z > 0.0 { 1.0 } else { 0.0 }),
            Link::Cloglog => -(-(z.exp())).exp_m1(),
        }
    }

    /// 1 − F(z), computed without cancellation.
    pub fn sf(&self, z: f64) -> f64 {
        match self {
            Link::Logit => self.cdf(-z),
            Link::Probit => Reference::Normal
                .sf(z)
                .unwrap_or(if z > 0.0 { 0.0 } else { 1.0 }),
            Link::Cloglog => (-(z.exp())).exp(),
        }
    }

    /// The density f = F′; 0 at ±∞.
    pub fn pdf(&self, z: f64) -> f64 {
        match self {
            Link::Probit if z.is_finite() => {
                (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
            }
            Link::Probit => 0.0,
            _ => self.eval(z).pdf,
        }
    }

    /// f′; 0 at ±∞.
    pub fn dpdf(&self, z: f64) -> f64 {
        match self {
            Link::Probit if z.is_finite() => -z * self.pdf(z),
            Link::Probit => 0.0,
            _ => self.eval(z).dpdf,
        }
    }

    /// F⁻¹(p) for 0 < p < 1.
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Link::Logit => (p / (1.0 - p)).ln(),
            Link::Probit => Reference::Normal.quantile(p).unwrap_or(0.0),
            Link::Cloglog => (-(-p).ln_1p()).ln(),
        }
    }

    /// (F(z), 1 − F(z), f(z), f′(z)) with one exponential for the logit and cloglog links.
    pub fn eval(&self, z: f64) -> Eval {
        if z.is_infinite() {
            return if z > 0.0 {
                Eval {
                    cdf: 1.0,
                    sf: 0.0,
                    pdf: 0.0,
                    dpdf: 0.0,
                    d2pdf: 0.0,
                }
            } else {
                Eval {
                    cdf: 0.0,
                    sf: 1.0,
                    pdf: 0.0,
                    dpdf: 0.0,
                    d2pdf: 0.0,
                }
            };
        }
        match self {
            Link::Logit => logit_eval(z, (-z.abs()).exp()),
            Link::Probit => {
                let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                Eval {
                    cdf: self.cdf(z),
                    sf: self.sf(z),
                    pdf,
                    dpdf: -z * pdf,
                    d2pdf: (z * z - 1.0) * pdf,
                }
            }
            Link::Cloglog => {
                let ez = z.exp();
                let sf = (-ez).exp();
                let pdf = ez * sf;
                // f′ = f(1 − eᶻ), f″ = f((1 − eᶻ)² − eᶻ).
                Eval {
                    cdf: -(-ez).exp_m1(),
                    sf,
                    pdf,
                    dpdf: pdf * (1.0 - ez),
                    d2pdf: pdf * ((1.0 - ez) * (1.0 - ez) - ez),
                }
            }
        }
    }

    /// [`Link::eval`] at every point of `z` into `out` (cleared first). For the logit link the
    /// exponentials e^−|z| of the whole slice are taken at once with core's vectorised `exp`
    /// (`scratch` holds them); the other links evaluate point by point.
    pub fn eval_many(&self, z: &[f64], scratch: &mut Vec<f64>, out: &mut Vec<Eval>) {
        out.clear();
        match self {
            Link::Logit => {
                // e^−|z|, with the infinite bounds of the extreme categories (half the bounds
                // of a binary outcome) kept out of the vectorised exponential, whose lanes
                // outside its range fall back to the scalar one: e = 0 there.
                scratch.clear();
                scratch.extend(
                    z.iter()
                        .map(|v| if v.is_infinite() { 0.0 } else { -v.abs() }),
                );
                vmath::exp_in_place(scratch);
                out.extend(
                    z.iter()
                        .zip(scratch.iter())
                        .map(|(&v, &e)| logit_eval(v, if v.is_infinite() { 0.0 } else { e })),
                );
            }
            _ => out.extend(z.iter().map(|&v| self.eval(v))),
        }
    }

    /// F(z1) − F(z0) for z0 < z1, computed on whichever tail avoids cancellation.
    pub fn interval(&self, z0: f64, z1: f64) -> f64 {
        if z0 > 0.0 {
            self.sf(z0) - self.sf(z1)
        } else {
            self.cdf(z1) - self.cdf(z0)
        }
    }
}

/// The latent-scale bounds (z₀, z₁) = (θ_{c−1} − η, θ_c − η) of category `c` (0-based) for
/// thresholds θ (θ₋₁ = −∞, θ_J = +∞).
pub fn category_bounds(thresholds: &[f64], c: usize, eta: f64) -> (f64, f64) {
    let z1 = thresholds.get(c).map_or(f64::INFINITY, |t| t - eta);
    let z0 = if c == 0 {
        f64::NEG_INFINITY
    } else {
        thresholds.get(c - 1).map_or(f64::INFINITY, |t| t - eta)
    };
    (z0, z1)
}

/// The logistic distribution at z from e = e^−|z| (one exponential serves F, 1 − F, f, f′ and
/// f″; e = 0 at z = ±∞ gives the limits).
#[inline]
fn logit_eval(z: f64, e: f64) -> Eval {
    let large = 1.0 / (1.0 + e);
    let small = e * large;
    let (cdf, sf) = if z >= 0.0 {
        (large, small)
    } else {
        (small, large)
    };
    let pdf = cdf * sf;
    // f′ = f(1 − 2F), f″ = f(1 − 2F)² − 2f².
    Eval {
        cdf,
        sf,
        pdf,
        dpdf: pdf * (sf - cdf),
        d2pdf: pdf * ((sf - cdf) * (sf - cdf) - 2.0 * pdf),
    }
}

/// The thresholds with −∞ before and +∞ after: the bounds of category c are `tp[c] − η` and
/// `tp[c + 1] − η` (as [`category_bounds`], without a branch).
pub fn padded_thresholds(thresholds: &[f64]) -> Vec<f64> {
    let mut tp = Vec::with_capacity(thresholds.len() + 2);
    pad_thresholds_into(thresholds, &mut tp);
    tp
}

/// [`padded_thresholds`] into a reused vector (cleared first).
pub fn pad_thresholds_into(thresholds: &[f64], tp: &mut Vec<f64>) {
    tp.clear();
    tp.push(f64::NEG_INFINITY);
    tp.extend_from_slice(thresholds);
    tp.push(f64::INFINITY);
}

/// The link's distribution at one point (see [`Link::eval`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eval {
    /// F(z).
    pub cdf: f64,
    /// 1 − F(z).
    pub sf: f64,
    /// f(z).
    pub pdf: f64,
    /// f′(z).
    pub dpdf: f64,
    /// f″(z) (for the Laplace approximation's exact gradient).
    pub d2pdf: f64,
}

impl Eval {
    /// P(z0 < Z ≤ z1) from the evaluations at z0 (`self`) and z1, on the tail that avoids
    /// cancellation.
    pub fn interval_to(&self, upper: &Eval) -> f64 {
        if self.cdf > 0.5 {
            self.sf - upper.sf
        } else {
            upper.cdf - self.cdf
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trialstats_core::testing::Tol;

    /// The block evaluation (vectorised exponentials for the logit) agrees with the point one,
    /// infinite bounds included, to 2 ulp of the vectorised exp.
    #[test]
    fn eval_many_matches_eval() {
        let z: Vec<f64> = (0..203)
            .map(|i| -40.0 + 0.4 * i as f64)
            .chain([f64::NEG_INFINITY, f64::INFINITY, 0.0, -0.0, 1e-300])
            .collect();
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            link.eval_many(&z, &mut scratch, &mut out);
            assert_eq!(out.len(), z.len());
            for (&v, e) in z.iter().zip(&out) {
                let want = link.eval(v);
                for (got, w) in [
                    (e.cdf, want.cdf),
                    (e.sf, want.sf),
                    (e.pdf, want.pdf),
                    (e.dpdf, want.dpdf),
                    (e.d2pdf, want.d2pdf),
                ] {
                    assert!(
                        (got - w).abs() <= 1e-15 * w.abs(),
                        "{link:?} at {v}: {got} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            for z in [-3.0, -0.7, 0.0, 0.4, 2.5] {
                let h = 1e-6;
                // Differentiate the tail that is small, to avoid cancellation.
                let fd = if z > 0.0 {
                    (link.sf(z - h) - link.sf(z + h)) / (2.0 * h)
                } else {
                    (link.cdf(z + h) - link.cdf(z - h)) / (2.0 * h)
                };
                Tol::rel(1e-8)
                    .check(&format!("{link:?} pdf {z}"), link.pdf(z), fd)
                    .unwrap();
                let fd2 = (link.pdf(z + h) - link.pdf(z - h)) / (2.0 * h);
                Tol {
                    abs: 1e-9,
                    rel: 1e-6,
                }
                .check(&format!("{link:?} dpdf {z}"), link.dpdf(z), fd2)
                .unwrap();
                Tol::rel(1e-12)
                    .check("quantile", link.quantile(link.cdf(z)), z)
                    .unwrap_or_else(|_| {
                        // cloglog and logit round-trip to about 1e-12 relative; z = 0 needs an absolute bound.
                        Tol::abs(1e-12)
                            .check("quantile", link.quantile(link.cdf(z)), z)
                            .unwrap()
                    });
                Tol::rel(1e-14)
                    .check("sf", link.sf(z), 1.0 - link.cdf(z))
                    .unwrap_or_else(|_| {
                        Tol::abs(1e-15)
                            .check("sf", link.sf(z), 1.0 - link.cdf(z))
                            .unwrap()
                    });
            }
            assert!(
                link.cdf(f64::NEG_INFINITY) < 1e-300
                    && (link.cdf(f64::INFINITY) - 1.0).abs() < 1e-15
            );
        }
    }

    #[test]
    fn eval_agrees_with_the_separate_functions() {
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            for z in [-40.0, -3.0, -0.2, 0.0, 0.7, 4.0, 35.0] {
                let e = link.eval(z);
                let t = Tol {
                    abs: 1e-300,
                    rel: 1e-14,
                };
                t.check("cdf", e.cdf, link.cdf(z)).unwrap();
                t.check("sf", e.sf, link.sf(z)).unwrap();
                t.check("pdf", e.pdf, link.pdf(z)).unwrap();
                Tol {
                    abs: 1e-300,
                    rel: 1e-12,
                }
                .check("dpdf", e.dpdf, link.dpdf(z))
                .unwrap();
                if z.abs() < 10.0 {
                    let h = 1e-5;
                    let fd = (link.eval(z + h).dpdf - link.eval(z - h).dpdf) / (2.0 * h);
                    Tol {
                        abs: 1e-9,
                        rel: 1e-6,
                    }
                    .check(&format!("{link:?} d2pdf {z}"), e.d2pdf, fd)
                    .unwrap();
                }
            }
            let (a, b) = (link.eval(1.0), link.eval(2.5));
            Tol::rel(1e-14)
                .check("interval", a.interval_to(&b), link.interval(1.0, 2.5))
                .unwrap();
        }
    }

    #[test]
    fn interval_is_accurate_in_the_upper_tail() {
        // P(30 < Z ≤ 31) for the logit: e^-30 − e^-31 to leading order, far below 1 − F's rounding.
        let p = Link::Logit.interval(30.0, 31.0);
        let want = 1.0 / (1.0 + 30f64.exp()) - 1.0 / (1.0 + 31f64.exp());
        Tol::rel(1e-12).check("interval", p, want).unwrap();
    }
}
