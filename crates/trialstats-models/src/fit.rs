//! A fitted model: its frame, the estimator's fit, and the inference under the chosen standard
//! errors, in one value.

use rayon::prelude::*;
use trialstats_core::Clusters;
use trialstats_core::nalgebra::DMatrix;
use trialstats_core::{Coef, Inference, Level, Table};
use trialstats_data::{DataTable, Formula, FrameOptions, ModelFrame, Response};
use trialstats_mi::{AnalysisFailure, Imputed, MiError, Pooled, pool};
use trialstats_mixed::{Ddf, Glmm, GlmmFit, Lmm, LmmFit, MixedError};
use trialstats_ordinal::{Clm, ClmFit, Clmm, ClmmFit, Link, NestedClmm, NestedClmmFit};
use trialstats_robust::{
    BootTest, Logit, LogitFit, Ols, OlsFit, RobustError, WildClusterBootstrap,
};
use trialstats_sandwich::Vcov;

use crate::error::{ModelError, SpecError};
use crate::spec::{Family, Model, Se};

/// The estimator's own fit, for what the shared [`Inference`] does not carry (R², the
/// log-likelihood, thresholds, random effects, predictions).
#[derive(Debug)]
#[non_exhaustive]
pub enum Fitted<'a> {
    /// Least squares.
    Ols(OlsFit<'a>),
    /// Logistic regression.
    Logit(LogitFit<'a>),
    /// Cumulative link model.
    Clm(ClmFit<'a>),
    /// Cumulative link model with a random intercept.
    Clmm(ClmmFit),
    /// Linear mixed model (one random intercept, or two nested).
    Lmm(LmmFit<'a>),
    /// Logistic regression with a random intercept.
    Glmm(GlmmFit),
    /// Cumulative link model with nested random intercepts.
    NestedClmm(NestedClmmFit),
}

/// What a fit is made from and borrows: the model frame, and the outcome and design in the form
/// the estimator takes when it differs from the frame's.
#[derive(Debug)]
struct Prepared {
    frame: ModelFrame,
    /// A logistic model's 0/1 outcome when the frame holds two text levels.
    binary: Option<Vec<f64>>,
    /// An ordinal model's codes, levels and design without the intercept column.
    ordinal: Option<OrdinalData>,
    /// A nested random intercept's levels: (outer, inner) pairs, as lme4's `g/id`.
    nested: Option<Clusters>,
}

#[derive(Debug)]
struct OrdinalData {
    codes: Vec<usize>,
    levels: Vec<String>,
    x: DMatrix<f64>,
    names: Vec<String>,
}

self_cell::self_cell!(
    struct FitCell {
        owner: Prepared,
        #[covariant]
        dependent: Fitted,
    }
    impl {Debug}
);

/// A fitted model (see [`Model::fit`]): the model frame (rows used and dropped, warnings), the
/// estimator's fit, and the [`Inference`] under the model's standard errors.
#[derive(Debug)]
pub struct Fit {
    cell: FitCell,
    model: Model,
    vcov: Vcov,
    inference: Inference,
}

impl Model {
    /// Builds the model frame of `data` (listwise deletion, counted), fits, and computes the
    /// inference under the model's standard errors.
    ///
    /// # Errors
    /// [`ModelError::Spec`] (see [`Model::check`]); [`ModelError::Data`] for the formula or the
    /// columns; the estimator's errors ([`ModelError::Robust`], [`ModelError::Ordinal`]); the
    /// covariance's ([`ModelError::Sandwich`]); [`ModelError::NotBinary`],
    /// [`ModelError::OrdinalCode`] and [`ModelError::OrdinalText`] for an outcome the family
    /// cannot take.
    pub fn fit(&self, data: &DataTable) -> Result<Fit, ModelError> {
        self.check()?;
        let formula = Formula::parse(&self.formula)?;
        let frame_clusters: Vec<String> = self
            .clusters
            .iter()
            .chain(&self.random_intercept)
            .chain(&self.nested_intercept)
            .cloned()
            .collect();
        let frame = ModelFrame::new(
            data,
            &formula,
            &FrameOptions {
                clusters: frame_clusters,
                // OLS and logit factorise X themselves (naming aliased columns); clm checks
                // its rank too.
                check_rank: false,
            },
        )?;
        let prepared = self.prepare(frame)?;
        let cell = FitCell::try_new(prepared, |p| self.fit_prepared(p))?;
        let frame = &cell.borrow_owner().frame;
        let vcov = self.vcov(&frame.clusters[..self.clusters.len()])?;
        let inference = infer(cell.borrow_dependent(), &vcov, self.level, self.ddf)?;
        Ok(Fit {
            cell,
            model: self.clone(),
            vcov,
            inference,
        })
    }

    /// Fits the model to every completed data set of `imputed` and pools the results by Rubin's
    /// rules (R `pool(with(imp, …))`), with the complete-data df of the first fit (see
    /// [`Fit::df_complete`]).
    ///
    /// # Examples
    /// ```
    /// use trialstats_models::prelude::*;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?;
    /// let imputed = Mice::new(&nhanes)?.m(5).seed(1).run(None)?;
    /// let pooled = ols("chl ~ bmi + age").pool(&imputed)?;
    /// assert_eq!(pooled.m, 5);
    /// assert_eq!(pooled.df_complete, 25.0 - 3.0);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Model::fit`], wrapped in [`MiError::Analysis`] naming the imputation; the pooling
    /// errors of [`trialstats_mi::pool()`].
    pub fn pool(&self, imputed: &Imputed) -> Result<Pooled, ModelError> {
        // The m analyses on rayon's pool, put back in order (the first failure by imputation
        // number is the one reported, whatever the number of threads).
        let fitted: Vec<Result<(f64, Inference), ModelError>> = (0..imputed.m)
            .into_par_iter()
            .map(|i| {
                let table = imputed.complete(i)?;
                let fit = self.fit(&table).map_err(|e| MiError::Analysis {
                    imputation: i + 1,
                    source: AnalysisFailure::new(e),
                })?;
                Ok((fit.df_complete(), fit.into_inference()))
            })
            .collect();
        let mut fits = Vec::with_capacity(imputed.m);
        let mut df_complete = f64::INFINITY;
        for (i, fit) in fitted.into_iter().enumerate() {
            let (df, inference) = fit?;
            if i == 0 {
                df_complete = df;
            }
            fits.push(inference);
        }
        Ok(pool(&fits, df_complete, self.level)?)
    }

    /// The outcome and design in the estimator's form.
    fn prepare(&self, frame: ModelFrame) -> Result<Prepared, ModelError> {
        let mut prepared = Prepared {
            frame,
            binary: None,
            ordinal: None,
            nested: None,
        };
        if self.nested_intercept.is_some() {
            // The inner factor's levels within the outer's (lme4's `g/id`, Stata's `|| g: || id:`).
            let k = self.clusters.len();
            let frame = &mut prepared.frame;
            let (outer, inner) = (&frame.clusters[k], &frame.clusters[k + 1]);
            let mut seen: Vec<Option<usize>> = vec![None; inner.n_clusters()];
            let mut recurring = 0usize;
            let labels: Vec<String> = outer
                .codes()
                .iter()
                .zip(inner.codes())
                .map(|(&g, &j)| {
                    match seen[j] {
                        None => seen[j] = Some(g),
                        Some(h) if h != g => {
                            recurring += 1;
                            seen[j] = Some(g);
                        }
                        Some(_) => {}
                    }
                    format!("{}:{}", outer.labels()[g], inner.labels()[j])
                })
                .collect();
            let name = format!("{}:{}", outer.name(), inner.name());
            let nested = Clusters::from_labels(&name, &labels)
                .map_err(|e| ModelError::from(MixedError::from(e)))?;
            if recurring > 0 {
                frame.warnings.push(format!(
                    "values of `{}` recur across levels of `{}`; as in lme4's {}/{} and Stata's || {}: || {}:, each {} is identified within its {} ({} distinct pairs)",
                    inner.name(), outer.name(), outer.name(), inner.name(), outer.name(), inner.name(),
                    inner.name(), outer.name(), nested.n_clusters()
                ));
            }
            prepared.nested = Some(nested);
        }
        let frame = &prepared.frame;
        match self.family {
            Family::Gaussian => {
                frame.y()?;
            }
            Family::Binomial => {
                if let Response::Categorical { codes, levels } = &frame.response {
                    if levels.len() != 2 {
                        return Err(ModelError::NotBinary {
                            column: frame.response_name.clone(),
                            levels: levels.clone(),
                        });
                    }
                    prepared.binary = Some(codes.iter().map(|&c| c as f64).collect());
                }
            }
            Family::Ordinal(_) => {
                let values = match &frame.response {
                    Response::Numeric(v) => v,
                    Response::Categorical { levels, .. } => {
                        return Err(ModelError::OrdinalText {
                            column: frame.response_name.clone(),
                            levels: levels.clone(),
                        });
                    }
                };
                let (codes, levels) =
                    category_codes(values).map_err(|i| ModelError::OrdinalCode {
                        column: frame.response_name.clone(),
                        row: frame.rows.get(i).map_or(i + 1, |r| r + 1),
                        value: values[i],
                    })?;
                // A cumulative link model has no intercept: the thresholds take its place.
                let intercept = usize::from(
                    frame.column_names.first().map(String::as_str) == Some("(Intercept)"),
                );
                prepared.ordinal = Some(OrdinalData {
                    codes,
                    levels,
                    x: frame
                        .x
                        .columns(intercept, frame.x.ncols() - intercept)
                        .into_owned(),
                    names: frame.column_names[intercept..].to_vec(),
                });
            }
        }
        Ok(prepared)
    }

    /// Fits the estimator of the family on the prepared data.
    fn fit_prepared<'a>(&self, p: &'a Prepared) -> Result<Fitted<'a>, ModelError> {
        let frame = &p.frame;
        match (self.family, &p.ordinal) {
            (Family::Gaussian, _) if self.random_intercept.is_some() => {
                let k = self.clusters.len();
                let mut spec = Lmm::new(frame.y()?, &frame.x, &frame.clusters[k])?
                    .names(&frame.column_names)
                    .method(self.method);
                if let Some(inner) = &p.nested {
                    spec = spec.nested(inner)?;
                }
                Ok(Fitted::Lmm(spec.fit()?))
            }
            (Family::Gaussian, _) => {
                let mut spec = Ols::new(&frame.x, frame.y()?)?.names(&frame.column_names)?;
                if let [one] = &frame.clusters[..self.clusters.len()] {
                    // One pass keeps the per-cluster statistics for CR0–CR3 and the bootstrap.
                    spec = spec.clusters(one)?;
                }
                Ok(Fitted::Ols(spec.fit()?))
            }
            (Family::Binomial, _) if self.random_intercept.is_some() => {
                let y = match &p.binary {
                    Some(y) => y.as_slice(),
                    None => frame.y()?,
                };
                let group = &frame.clusters[self.clusters.len()];
                let fit = Glmm::new(y, &frame.x, group)
                    .map(|m| m.names(&frame.column_names).quadrature(self.quadrature))
                    .and_then(|m| m.fit())
                    .map_err(|e| mixed_data_row(e, frame))?;
                Ok(Fitted::Glmm(fit))
            }
            (Family::Binomial, _) => {
                let y = match &p.binary {
                    Some(y) => y.as_slice(),
                    None => frame.y()?,
                };
                let fit = Logit::new(&frame.x, y)
                    .and_then(|l| l.names(&frame.column_names))
                    .and_then(|l| l.fit())
                    .map_err(|e| data_row(e, frame))?;
                Ok(Fitted::Logit(fit))
            }
            (Family::Ordinal(link), Some(o)) => match (&p.nested, frame.clusters.last()) {
                (Some(inner), _) => {
                    let outer = &frame.clusters[self.clusters.len()];
                    Ok(Fitted::NestedClmm(
                        NestedClmm::new(&o.codes, &o.levels, &o.x, outer, inner)?
                            .names(&o.names)?
                            .link(link)
                            .quadrature(self.quadrature)
                            .fit()?,
                    ))
                }
                (None, Some(group)) if self.random_intercept.is_some() => Ok(Fitted::Clmm(
                    Clmm::new(&o.codes, &o.levels, &o.x, group)?
                        .names(&o.names)?
                        .link(link)
                        .quadrature(self.quadrature)
                        .fit()?,
                )),
                _ => Ok(Fitted::Clm(
                    Clm::with_levels(&o.codes, &o.levels, &o.x)?
                        .names(&o.names)?
                        .link(link)
                        .fit()?,
                )),
            },
            (Family::Ordinal(_), None) => Err(ModelError::OrdinalText {
                column: frame.response_name.clone(),
                levels: Vec::new(),
            }),
        }
    }
}

/// A logit's `NotBinary` row is a row of the frame; the message names the data row.
fn data_row(e: RobustError, frame: &ModelFrame) -> ModelError {
    match e {
        RobustError::NotBinary { row, value } => RobustError::NotBinary {
            row: frame.rows.get(row).copied().unwrap_or(row),
            value,
        }
        .into(),
        e => e.into(),
    }
}

/// A random-intercept logit's `NotBinary` row is a row of the frame; the message names the data
/// row.
fn mixed_data_row(e: MixedError, frame: &ModelFrame) -> ModelError {
    match e {
        MixedError::NotBinary { row, value } => MixedError::NotBinary {
            row: frame.rows.get(row).copied().unwrap_or(row),
            value,
        }
        .into(),
        e => e.into(),
    }
}

/// The inference of a fit under `vcov`.
fn infer(
    fitted: &Fitted<'_>,
    vcov: &Vcov,
    level: Level,
    ddf: Ddf,
) -> Result<Inference, ModelError> {
    Ok(match fitted {
        Fitted::Ols(f) => f.infer(vcov, level)?,
        Fitted::Logit(f) => f.infer(vcov, level)?,
        Fitted::Clm(f) => {
            let mut inf = f.infer(vcov, level)?;
            inf.notes.extend(f.warnings().iter().cloned());
            inf
        }
        Fitted::Clmm(f) => f.infer(level)?,
        Fitted::Lmm(f) => f.inference(ddf, level)?,
        Fitted::Glmm(f) => f.inference(level)?,
        Fitted::NestedClmm(f) => f.infer(level)?,
    })
}

/// Integer category codes to 0-based codes in numeric order, with the labels R prints; the
/// index of the first value that is not an integer otherwise.
fn category_codes(values: &[f64]) -> Result<(Vec<usize>, Vec<String>), usize> {
    if let Some(i) = values.iter().position(|v| v.fract() != 0.0) {
        return Err(i);
    }
    // −0 and 0 are one category (adding +0 turns −0 into +0).
    let mut distinct: Vec<f64> = values.iter().map(|v| v + 0.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup_by(|a, b| a.total_cmp(b).is_eq());
    let codes = values
        .iter()
        .map(|v| distinct.partition_point(|d| d < v))
        .collect();
    let levels = distinct
        .iter()
        .map(|&d| {
            if d.abs() < 1e15 {
                format!("{}", d as i64)
            } else {
                format!("{d:e}")
            }
        })
        .collect();
    Ok((codes, levels))
}

impl Fit {
    /// The inference under the model's standard errors.
    pub fn inference(&self) -> &Inference {
        &self.inference
    }

    /// The inference, consuming the fit.
    pub fn into_inference(self) -> Inference {
        self.inference
    }

    /// The coefficient row of `term` (R's name: `armintervention`, `a:b`, `(Intercept)`).
    pub fn coef(&self, term: &str) -> Option<&Coef> {
        self.inference.coef(term)
    }

    /// The model frame: rows used and dropped, design column names, clusters, warnings.
    pub fn frame(&self) -> &ModelFrame {
        &self.cell.borrow_owner().frame
    }

    /// Number of rows used.
    pub fn nobs(&self) -> usize {
        self.frame().nobs()
    }

    /// The estimator's own fit.
    pub fn fitted(&self) -> &Fitted<'_> {
        self.cell.borrow_dependent()
    }

    /// The specification fitted.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The covariance request the inference used.
    pub fn vcov(&self) -> &Vcov {
        &self.vcov
    }

    /// The ordinal link, for ordinal models.
    pub fn link(&self) -> Option<Link> {
        match self.model.family {
            Family::Ordinal(link) => Some(link),
            _ => None,
        }
    }

    /// The inference under other standard errors or level, on the same fit (no refit).
    ///
    /// # Errors
    /// As [`Model::check`] for `se` with this model's clusters; the covariance's errors.
    pub fn infer(&self, se: Se, level: Level) -> Result<Inference, ModelError> {
        let model = self.model.clone().se(se).level(level);
        model.check()?;
        let vcov = model.vcov(&self.frame().clusters[..model.clusters.len()])?;
        infer(self.fitted(), &vcov, level, self.model.ddf)
    }

    /// The complete-data degrees of freedom for Rubin's rules: those of the inference's
    /// reference t (N − K, or G − 1 when clustered), ∞ for likelihood models.
    pub fn df_complete(&self) -> f64 {
        self.inference
            .covariance
            .reference
            .df()
            .unwrap_or(f64::INFINITY)
    }

    /// The wild cluster bootstrap test of `term` = `boot.null` for a linear model with one
    /// cluster column (see [`WildClusterBootstrap`]), with `progress(done, total)` called along
    /// the way.
    ///
    /// # Examples
    /// ```
    /// use trialstats_models::prelude::*;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let petersen = datasets::petersen()?;
    /// let fit = ols("y ~ x").cluster("firm").fit(&petersen)?;
    /// let boot = WildClusterBootstrap { reps: 99, ..WildClusterBootstrap::default() };
    /// let test = fit.wild_bootstrap("x", &boot, None)?;
    /// assert!(test.p_value < 0.05);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SpecError::WildBootstrap`] for another model; the bootstrap's errors.
    pub fn wild_bootstrap(
        &self,
        term: &str,
        boot: &WildClusterBootstrap,
        progress: Option<&mut dyn FnMut(usize, usize)>,
    ) -> Result<BootTest, ModelError> {
        let (Fitted::Ols(fit), [clusters]) = (
            self.fitted(),
            &self.frame().clusters[..self.model.clusters.len()],
        ) else {
            return Err(SpecError::WildBootstrap.into());
        };
        let mut nothing = |_: usize, _: usize| {};
        let progress = progress.unwrap_or(&mut nothing);
        Ok(boot.test_with_progress(fit, clusters, term, progress)?)
    }

    /// The frame's warnings (rows dropped, suspicious values) and the inference's notes.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.frame().warnings.clone();
        w.extend(self.inference.notes.iter().cloned());
        w
    }

    /// The coefficient table with the rows used and dropped in its title and the warnings in
    /// its notes.
    pub fn summary(&self) -> Table {
        let mut t = self.inference.summary();
        let frame = self.frame();
        let used = format!(
            "{}: {} rows used ({} dropped)",
            self.model.formula,
            frame.nobs(),
            frame.dropped.count()
        );
        t.title = Some(match t.title.take() {
            Some(s) => format!("{used}; {s}"),
            None => used,
        });
        t.notes.extend(frame.warnings.iter().cloned());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::category_codes;

    #[test]
    fn categories_are_the_distinct_codes() {
        // Found by the CLI fault campaign: a code of 1e308 panicked ("capacity overflow") and
        // 1e9 allocated 24 GB, one level per integer between the extremes.
        let (y, levels) = category_codes(&[3.0, 1e9, -2.0, 3.0, 1e300]).unwrap_or_default();
        assert_eq!(y, [1, 2, 0, 1, 3]);
        assert_eq!(levels, ["-2", "3", "1000000000", "1e300"]);
        assert_eq!(category_codes(&[1.0, 2.5, 3.0]), Err(1));
        let (y, levels) = category_codes(&[-0.0, 0.0, 1.0]).unwrap_or_default();
        assert_eq!((y, levels.len()), (vec![0, 0, 1], 2));
    }
}
