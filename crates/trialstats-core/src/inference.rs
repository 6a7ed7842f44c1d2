//! Inference types shared by every estimator: coefficient rows, the covariance used, convergence.

use std::fmt;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::dist::{Alternative, Reference};
use crate::error::InputError;
use crate::level::Level;
use crate::table::{Align, Table, fmt_num, fmt_p};

/// One row of a coefficient table: a Wald test and confidence interval for one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coef {
    /// Term name, as R names it (`(Intercept)`, `x`, `tempwarm`, `a:b`).
    pub term: String,
    /// Point estimate θ̂.
    pub estimate: f64,
    /// Standard error, √V̂_jj.
    pub std_error: f64,
    /// Wald statistic (θ̂ − θ₀) / SE.
    pub statistic: f64,
    /// Degrees of freedom of the reference t distribution; `None` for z inference.
    pub df: Option<f64>,
    /// p-value for the alternative used.
    pub p_value: f64,
    /// Lower confidence limit.
    pub ci_low: f64,
    /// Upper confidence limit.
    pub ci_high: f64,
}

impl Coef {
    /// A two-sided Wald test of θ = 0 with a `level` confidence interval.
    ///
    /// # Formula
    /// ```text
    /// t = θ̂ / SE,   p = 2 P(T > |t|),   CI = θ̂ ± q_{(1+level)/2} · SE
    /// ```
    ///
    /// # Errors
    /// [`InputError::NonFinite`] if the estimate or SE is not finite, [`InputError::OutOfRange`]
    /// if the SE is not positive.
    pub fn wald(
        term: &str,
        estimate: f64,
        std_error: f64,
        reference: Reference,
        level: Level,
    ) -> Result<Self, InputError> {
        Self::wald_test(
            term,
            estimate,
            std_error,
            reference,
            level,
            0.0,
            Alternative::TwoSided,
        )
    }

    /// A Wald test of θ = `null` against `alternative`, with a two-sided `level` interval.
    ///
    /// # Errors
    /// As [`Coef::wald`].
    pub fn wald_test(
        term: &str,
        estimate: f64,
        std_error: f64,
        reference: Reference,
        level: Level,
        null: f64,
        alternative: Alternative,
    ) -> Result<Self, InputError> {
        if !estimate.is_finite() {
            return Err(InputError::NonFinite {
                field: format!("estimate of {term}"),
                row: 0,
                value: estimate,
            });
        }
        if !std_error.is_finite() {
            return Err(InputError::NonFinite {
                field: format!("standard error of {term}"),
                row: 0,
                value: std_error,
            });
        }
        if std_error <= 0.0 {
            return Err(InputError::OutOfRange {
                field: format!("standard error of {term}"),
                value: std_error,
                expected: "> 0".into(),
            });
        }
        let statistic = (estimate - null) / std_error;
        let p_value = reference.p_value(statistic, alternative)?;
        let q = reference.quantile(level.upper_tail_probability())?;
        Ok(Self {
            term: term.to_owned(),
            estimate,
            std_error,
            statistic,
            df: reference.df(),
            p_value,
            ci_low: estimate - q * std_error,
            ci_high: estimate + q * std_error,
        })
    }

    /// The row on the exponentiated scale (odds ratios): estimate and limits exponentiated; the
    /// statistic, p-value and SE (of the log) are unchanged.
    pub fn exponentiated(&self) -> Coef {
        Coef {
            estimate: self.estimate.exp(),
            ci_low: self.ci_low.exp(),
            ci_high: self.ci_high.exp(),
            ..self.clone()
        }
    }
}

/// Which covariance estimator produced the standard errors, and what it assumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovarianceInfo {
    /// Short label: `iid`, `hc1`, `cr1`, `cr2`, …
    pub label: String,
    /// One sentence on what the standard errors assume, for the summary's notes.
    pub description: String,
    /// The small-sample factor applied, if any (e.g. G/(G−1)·(N−1)/(N−K) for CR1 after `regress`).
    pub factor: Option<f64>,
    /// Names of the clustering variables (empty when not clustered).
    pub cluster_vars: Vec<String>,
    /// Number of clusters of each clustering variable.
    pub n_clusters: Vec<usize>,
    /// The reference distribution of the Wald statistics (per-coefficient df may differ, see
    /// [`Coef::df`]).
    pub reference: Reference,
}

/// How an iterative fit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Termination {
    /// The convergence criterion was met.
    Converged,
    /// The iteration limit was reached first.
    MaxIterations,
    /// No step length in the halving sequence decreased the objective.
    StepHalvingFailed,
}

impl Termination {
    /// A short phrase describing the outcome.
    pub fn text(&self) -> &'static str {
        match self {
            Termination::Converged => "converged",
            Termination::MaxIterations => "iteration limit reached",
            Termination::StepHalvingFailed => "step-halving failed to decrease the objective",
        }
    }
}

/// A convergence report for an iterative fit (as R ordinal's `convergence()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Newton iterations taken.
    pub iterations: u32,
    /// max |∂f/∂θ| at the returned point.
    pub max_abs_gradient: f64,
    /// Condition number of the Hessian at the returned point.
    pub hessian_condition: f64,
    /// How the iterations ended.
    pub status: Termination,
}

impl Convergence {
    /// Whether the fit converged.
    pub fn converged(&self) -> bool {
        self.status == Termination::Converged
    }
}

/// The inference of a fitted model: coefficient table, covariance matrix and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    /// Number of observations used.
    pub nobs: usize,
    /// Number of clusters (of the first clustering variable), if clustered.
    pub n_clusters: Option<usize>,
    /// The covariance estimator.
    pub covariance: CovarianceInfo,
    /// One row per parameter.
    pub coefficients: Vec<Coef>,
    /// The estimated covariance matrix of the parameters, in the order of `coefficients`.
    pub vcov: DMatrix<f64>,
    /// The convergence report (`None` for closed-form fits).
    pub convergence: Option<Convergence>,
    /// Notes and warnings for the reader (covariance used, dropped rows, conditioning).
    pub notes: Vec<String>,
}

impl Inference {
    /// The coefficient row for `term`, if present.
    pub fn coef(&self, term: &str) -> Option<&Coef> {
        self.coefficients.iter().find(|c| c.term == term)
    }

    /// The full summary: a header, the coefficient table and the notes.
    pub fn summary(&self) -> Table {
        let mut t = Table::new(&[
            "term",
            "estimate",
            "std. error",
            "statistic",
            "df",
            "p",
            "CI low",
            "CI high",
        ]);
        t.set_align(0, Align::Left);
        for c in &self.coefficients {
            t.push_row(vec![
                c.term.clone(),
                fmt_num(c.estimate, 6),
                fmt_num(c.std_error, 6),
                fmt_num(c.statistic, 4),
                c.df.map_or_else(|| String::from("z"), |d| fmt_num(d, 4)),
                fmt_p(c.p_value),
                fmt_num(c.ci_low, 6),
                fmt_num(c.ci_high, 6),
            ]);
        }
        let clusters = match self.n_clusters {
            Some(g) => format!(", {g} clusters"),
            None => String::new(),
        };
        t.title = Some(format!(
            "N = {}{clusters}; covariance: {}",
            self.nobs, self.covariance.label
        ));
        t.notes.push(self.covariance.description.clone());
        if let Some(conv) = &self.convergence {
            t.notes.push(format!(
                "{} after {} iterations (max |gradient| {:.2e}, Hessian condition {:.2e})",
                conv.status.text(),
                conv.iterations,
                conv.max_abs_gradient,
                conv.hessian_condition
            ));
        }
        t.notes.extend(self.notes.iter().cloned());
        t
    }
}

impl fmt::Display for Inference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary().to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tol;

    #[test]
    fn wald_row_matches_hand_computation() {
        // Petersen x: 1.0348 with CR1 SE 0.050596, t with 499 df (values rounded; algebra check).
        let c = Coef::wald(
            "x",
            1.0348,
            0.050596,
            Reference::StudentT { df: 499.0 },
            Level::P95,
        )
        .unwrap();
        let q = Reference::StudentT { df: 499.0 }.quantile(0.975).unwrap();
        Tol::rel(1e-14)
            .check("t", c.statistic, 1.0348 / 0.050596)
            .unwrap();
        Tol::rel(1e-14)
            .check("lo", c.ci_low, 1.0348 - q * 0.050596)
            .unwrap();
        assert_eq!(c.df, Some(499.0));
        let z = Coef::wald("x", 1.0, 0.5, Reference::Normal, Level::P95).unwrap();
        Tol::rel(1e-12)
            .check("p", z.p_value, 0.045500263896358424)
            .unwrap();
        assert!(z.df.is_none());
        let or = z.exponentiated();
        Tol::rel(1e-14)
            .check("or", or.estimate, 1f64.exp())
            .unwrap();
    }

    #[test]
    fn zero_or_nan_se_is_an_error() {
        assert!(Coef::wald("x", 1.0, 0.0, Reference::Normal, Level::P95).is_err());
        assert!(Coef::wald("x", 1.0, f64::NAN, Reference::Normal, Level::P95).is_err());
        assert!(Coef::wald("x", f64::INFINITY, 1.0, Reference::Normal, Level::P95).is_err());
    }

    #[test]
    fn summary_serde_round_trip() {
        let c = Coef::wald("x", 1.0, 0.5, Reference::Normal, Level::P95).unwrap();
        let inf = Inference {
            nobs: 10,
            n_clusters: Some(3),
            covariance: CovarianceInfo {
                label: "cr1".into(),
                description: "clustered".into(),
                factor: Some(1.5),
                cluster_vars: vec!["g".into()],
                n_clusters: vec![3],
                reference: Reference::Normal,
            },
            coefficients: vec![c],
            vcov: DMatrix::from_element(1, 1, 0.25),
            convergence: Some(Convergence {
                iterations: 3,
                max_abs_gradient: 1e-12,
                hessian_condition: 2.0,
                status: Termination::Converged,
            }),
            notes: vec![],
        };
        let text = inf.to_string();
        assert!(text.contains("N = 10, 3 clusters"), "{text}");
        let json = serde_json::to_string(&inf).unwrap();
        let back: Inference = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inf);
    }
}
