//! The model specification: formula, family, clusters, standard errors and level, checked once.

use serde::{Deserialize, Serialize};
use trialstats_core::{Clusters, Level};
use trialstats_mixed::{Ddf, Method};
use trialstats_ordinal::{Link, Quadrature};
use trialstats_sandwich::{CrType, HcType, Vcov};

use crate::error::{ModelError, SpecError};

/// The model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Family {
    /// Linear regression by least squares (R `lm`, Stata `regress`).
    Gaussian,
    /// Logistic regression of a 0/1 or two-level outcome (R `glm(family = binomial)`, Stata
    /// `logit`).
    Binomial,
    /// A cumulative link model of an ordered outcome coded by integers (R `ordinal::clm`, Stata
    /// `ologit`/`oprobit`); with a random intercept, R `clmm` and Stata `meologit`.
    Ordinal(Link),
}

/// The standard errors of a fit: the model-based ones, or a sandwich (see
/// [`trialstats_sandwich`]). The clusters are the model's (given once, with
/// [`Model::cluster`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Se {
    /// Model-based: σ̂²(XᵀX)⁻¹ for OLS, the inverse observed information for likelihood models
    /// (Stata's default `vce(oim)`).
    Model,
    /// Heteroskedasticity-consistent.
    Hc(HcType),
    /// Cluster-robust by the model's cluster column (or two-way by its two columns).
    Cluster(CrType),
    /// Two-way cluster-robust with the observations' HC0 meat, with no small-sample factor, as
    /// the intersection term (R sandwich `multi0 = TRUE`).
    TwoWayMulti0(CrType),
}

impl Se {
    /// CR1 (Stata's `vce(cluster)`).
    pub const CR1: Se = Se::Cluster(CrType::Cr1);
    /// CR2 with Satterthwaite df (Bell & McCaffrey; clubSandwich).
    pub const CR2: Se = Se::Cluster(CrType::Cr2);
    /// HC1 (Stata's `vce(robust)`).
    pub const HC1: Se = Se::Hc(HcType::Hc1);

    fn clustered(self) -> bool {
        matches!(self, Se::Cluster(_) | Se::TwoWayMulti0(_))
    }
}

/// A model to fit: a formula, a family, the clusters (given once), the standard errors and the
/// confidence level. Start from [`ols`], [`logit`], [`clm`] or [`clmm`]; [`Model::fit`] does the
/// rest (the model frame with listwise deletion, the fit, the covariance, the inference).
///
/// # Examples
/// ```
/// use trialstats_models::prelude::*;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let petersen = datasets::petersen()?;
/// let fit = ols("y ~ x").cluster("firm").fit(&petersen)?;
/// // Stata 12, regress y x, vce(cluster firm): Var(x) = .00255993 (R sandwich's saved tests).
/// let x = fit.coef("x").ok_or("no x")?;
/// assert!((x.std_error.powi(2) / 0.00255993 - 1.0).abs() < 5e-6);
/// assert_eq!(x.df, Some(499.0)); // t(G − 1)
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub(crate) formula: String,
    pub(crate) family: Family,
    pub(crate) clusters: Vec<String>,
    pub(crate) random_intercept: Option<String>,
    /// A second random intercept, nested in the first (linear mixed models).
    #[serde(default)]
    pub(crate) nested_intercept: Option<String>,
    /// Denominator df of a linear mixed model's tests.
    #[serde(default)]
    pub(crate) ddf: Ddf,
    /// REML or ML for a linear mixed model.
    #[serde(default)]
    pub(crate) method: Method,
    pub(crate) se: Option<Se>,
    pub(crate) level: Level,
    pub(crate) quadrature: Quadrature,
}

/// Linear regression by least squares of `formula` (R's formula syntax, e.g.
/// `"hba1c_12 ~ arm + hba1c_0 + factor(region)"`).
pub fn ols(formula: &str) -> Model {
    Model::new(formula, Family::Gaussian)
}

/// Logistic regression of `formula`; the outcome is coded 0/1 or has two text levels (the
/// second in sorted order is the event).
pub fn logit(formula: &str) -> Model {
    Model::new(formula, Family::Binomial)
}

/// Proportional-odds (cumulative logit) model of `formula`; the outcome holds integer category
/// codes in their order. [`Model::link`] chooses probit or cloglog instead.
pub fn clm(formula: &str) -> Model {
    Model::new(formula, Family::Ordinal(Link::Logit))
}

/// Proportional-odds model with a random intercept for each level of `group` (R `clmm`, Stata
/// `meologit … || group:`), by the Laplace approximation unless [`Model::quadrature`] says
/// otherwise.
///
/// # Examples
/// ```
/// use trialstats_models::prelude::*;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let wine = datasets::wine()?;
/// let fit = clmm("rating ~ temp + contact", "judge").fit(&wine)?;
/// // R 4.2.2, ordinal 2022.11.16: clmm(rating ~ temp + contact + (1|judge), data = wine):
/// // tempwarm 3.0629993141030161 (R stops at |gradient| 1e−5: agreement to 1e−4).
/// let temp = fit.coef("tempwarm").ok_or("no tempwarm")?;
/// assert!((temp.estimate / 3.0629993141030161 - 1.0).abs() < 1e-4);
/// // The last parameter is log sd(judge); R: sd 1.1311391416274585.
/// let log_sd = fit.coef("log sd(judge)").ok_or("no log sd")?;
/// assert!((log_sd.estimate.exp() / 1.1311391416274585 - 1.0).abs() < 1e-4);
/// # Ok(()) }
/// ```
pub fn clmm(formula: &str, group: &str) -> Model {
    Model::new(formula, Family::Ordinal(Link::Logit)).random_intercept(group)
}

/// Linear mixed model with a random intercept for each level of `group` (R `lmer(… + (1 |
/// group))`, Stata `mixed … || group:`), by REML with Satterthwaite's df unless
/// [`Model::method`] and [`Model::ddf`] say otherwise; [`Model::random_intercept`] adds a
/// nested level.
///
/// # Examples
/// ```
/// use trialstats_models::prelude::*;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let petersen = datasets::petersen()?;
/// let fit = lmm("y ~ x", "firm").fit(&petersen)?;
/// let x = fit.coef("x").ok_or("no x")?;
/// assert!(x.df.is_some_and(|df| df > 100.0)); // Satterthwaite
/// let Fitted::Lmm(m) = fit.fitted() else { return Err("not an lmm".into()) };
/// assert_eq!(m.components.len(), 2); // firm, residual
/// # Ok(()) }
/// ```
pub fn lmm(formula: &str, group: &str) -> Model {
    Model::new(formula, Family::Gaussian).random_intercept(group)
}

/// A logistic regression with a random intercept for each level of `group` (R
/// `lme4::glmer(family = binomial)`, Stata `melogit`), by the Laplace approximation unless
/// [`Model::quadrature`] says otherwise; model-based standard errors and z tests.
///
/// # Examples
/// ```
/// use trialstats_models::prelude::*;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let csv = "y,x,g\n1,0.5,a\n0,-1.2,a\n1,0.3,a\n0,0.1,a\n1,1.1,b\n1,0.2,b\n0,-0.7,b\n1,2.0,b\n\
///            0,-0.4,c\n0,0.9,c\n1,0.4,c\n0,-1.5,c\n1,0.8,d\n0,-0.2,d\n1,1.4,d\n0,0.0,d\n";
/// let data = DataTable::from_csv_str("example.csv", csv)?;
/// let fit = glmm("y ~ x", "g").quadrature(Quadrature::Adaptive { nodes: 10 }).fit(&data)?;
/// let Fitted::Glmm(m) = fit.fitted() else { return Err("not a glmm".into()) };
/// assert!(m.sigma >= 0.0 && fit.coef("x").is_some());
/// # Ok(()) }
/// ```
pub fn glmm(formula: &str, group: &str) -> Model {
    Model::new(formula, Family::Binomial).random_intercept(group)
}

impl Model {
    /// A model of `formula` in `family`, with model-based standard errors and 95 % intervals
    /// until told otherwise.
    pub fn new(formula: &str, family: Family) -> Self {
        Model {
            formula: formula.to_owned(),
            family,
            clusters: Vec::new(),
            random_intercept: None,
            nested_intercept: None,
            ddf: Ddf::default(),
            method: Method::default(),
            se: None,
            level: Level::default(),
            quadrature: Quadrature::Laplace,
        }
    }

    /// Clusters the standard errors by `column` (twice for two-way clustering). With clusters
    /// and no [`Model::se`], the standard errors are CR1 (Stata's `vce(cluster)`).
    pub fn cluster(mut self, column: &str) -> Self {
        self.clusters.push(column.to_owned());
        self
    }

    /// The standard errors (default: CR1 with a cluster column, model-based without).
    pub fn se(mut self, se: Se) -> Self {
        self.se = Some(se);
        self
    }

    /// The confidence level of the intervals (default 95 %).
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The link of an ordinal model (default logit).
    pub fn link(mut self, link: Link) -> Self {
        if let Family::Ordinal(_) = self.family {
            self.family = Family::Ordinal(link);
        }
        self
    }

    /// A random intercept for each level of `column` (linear, logistic and ordinal models). Given twice
    /// (linear and ordinal models), the second is nested in the first: participants within communities,
    /// identified within their community as lme4's `(1 | g/id)` and Stata's `|| g: || id:` do.
    pub fn random_intercept(mut self, column: &str) -> Self {
        if self.random_intercept.is_none() {
            self.random_intercept = Some(column.to_owned());
        } else {
            self.nested_intercept = Some(column.to_owned());
        }
        self
    }

    /// The denominator degrees of freedom of a linear mixed model's t tests (default
    /// Satterthwaite).
    pub fn ddf(mut self, ddf: Ddf) -> Self {
        self.ddf = ddf;
        self
    }

    /// REML (default) or ML for a linear mixed model.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The nested random-intercept column, if any.
    pub fn nested_intercept_column(&self) -> Option<&str> {
        self.nested_intercept.as_deref()
    }

    /// How a random intercept is integrated out (default Laplace).
    pub fn quadrature(mut self, quadrature: Quadrature) -> Self {
        self.quadrature = quadrature;
        self
    }

    /// The formula.
    pub fn formula(&self) -> &str {
        &self.formula
    }

    /// The family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The confidence level.
    pub fn confidence_level(&self) -> Level {
        self.level
    }

    /// The cluster columns.
    pub fn cluster_columns(&self) -> &[String] {
        &self.clusters
    }

    /// The random-intercept column, if any.
    pub fn random_intercept_column(&self) -> Option<&str> {
        self.random_intercept.as_deref()
    }

    /// The standard errors that will be used: as given, or CR1 with clusters and model-based
    /// without.
    pub fn standard_errors(&self) -> Se {
        self.se.unwrap_or(if self.clusters.is_empty() {
            Se::Model
        } else {
            Se::CR1
        })
    }

    /// Checks that the specification can be fitted, before any data are read: the standard
    /// errors against the clusters and the family, the random intercept against the family.
    ///
    /// # Errors
    /// [`ModelError::Spec`] saying what to change.
    pub fn check(&self) -> Result<(), ModelError> {
        let se = self.standard_errors();
        if self.clusters.len() > 2 {
            return Err(SpecError::TooManyClusters.into());
        }
        if se.clustered() && self.clusters.is_empty() {
            return Err(SpecError::ClusterNeeded.into());
        }
        if !se.clustered() && !self.clusters.is_empty() {
            return Err(SpecError::ClusterUnused.into());
        }
        if let Se::Cluster(kind) | Se::TwoWayMulti0(kind) = se {
            if self.clusters.len() == 2 && !matches!(kind, CrType::Cr0 | CrType::Cr1) {
                return Err(SpecError::TwoWayType.into());
            }
        }
        if matches!(se, Se::TwoWayMulti0(_)) && self.clusters.len() != 2 {
            return Err(SpecError::Multi0OneWay.into());
        }
        if let Family::Ordinal(_) = self.family {
            let leverage = matches!(
                se,
                Se::Hc(HcType::Hc2 | HcType::Hc3) | Se::Cluster(CrType::Cr2 | CrType::Cr3 { .. })
            );
            if leverage {
                return Err(SpecError::LeverageForOrdinal.into());
            }
        }
        if self.random_intercept.is_some() {
            if self.nested_intercept.is_some() && self.family == Family::Binomial {
                return Err(SpecError::NestedFamily.into());
            }
            if se != Se::Model {
                return Err(SpecError::RandomInterceptSe.into());
            }
        }
        if let Quadrature::Adaptive { nodes } = self.quadrature {
            if !(2..=trialstats_ordinal::clmm::MAX_NODES).contains(&nodes) {
                return Err(SpecError::Nodes.into());
            }
        }
        Ok(())
    }

    /// The covariance request for the model's standard errors over the frame's clusters (in the
    /// order of [`Model::cluster`]).
    pub(crate) fn vcov(&self, clusters: &[Clusters]) -> Result<Vcov, ModelError> {
        let se = self.standard_errors();
        Ok(match (se, clusters) {
            (Se::Model, _) => Vcov::Iid,
            (Se::Hc(t), _) => Vcov::Hc(t),
            (Se::Cluster(kind), [one]) => Vcov::Cluster {
                clusters: one.clone(),
                kind,
            },
            (Se::Cluster(kind) | Se::TwoWayMulti0(kind), [a, b]) => Vcov::TwoWay {
                first: a.clone(),
                second: b.clone(),
                kind,
                intersection_hc0: matches!(se, Se::TwoWayMulti0(_)),
            },
            _ => return Err(SpecError::ClusterNeeded.into()),
        })
    }
}
