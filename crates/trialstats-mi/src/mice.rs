//! Multiple imputation by chained equations (MICE), as R's mice (van Buuren & Groothuis-Oudshoorn
//! 2011) does it.
//!
//! # Algorithm
//! Each of the `m` chains starts by filling every missing value with a random draw from the
//! column's observed values. Then, `maxit` times, each incomplete column `y` in the visit sequence
//! is imputed from a model of `y` on its predictors (an intercept, the current values of the other
//! columns the predictor matrix names — categorical ones as treatment dummies — and, optionally,
//! the cluster) fitted on the rows where `y` is observed:
//!
//! - **norm** (Bayesian linear regression; mice's `.norm.draw`): with V = (X'X + κ·diag(X'X))⁻¹,
//!   κ = 1e−5, β̂ = V X'y, σ*² = RSS / χ²(n_obs − p), β* = β̂ + σ* L z (L Lᵀ = V, z ~ N(0, I));
//!   imputations x'β* + σ* ε.
//! - **pmm** (predictive mean matching, type-1 matching as mice's default): the same β̂ and β*;
//!   for each missing row, the `donors` observed rows whose x'β̂ is closest to its x'β* are the
//!   donors, and one of them, at random, gives its observed value.
//! - **logreg** (binary): the logistic regression fitted by Newton on the observed rows plus
//!   mice's augmentation rows (White, Daniel & Royston 2010), so separated data give finite
//!   estimates; β* ~ N(β̂, V̂), imputation 1 with probability expit(x'β*).
//! - **polr** (ordered categories): the proportional-odds model fitted by trialstats-ordinal's
//!   `Clm`, categories drawn from its predicted probabilities (as mice's `polr`, without a draw
//!   of the parameters).
//!
//! Defaults: pmm with 5 donors for numeric columns, logreg for two-level categorical columns,
//! polr for categorical columns with more levels (levels in sorted order); every other column
//! predicts; the visit sequence is column order. Chains are independent and each is seeded from
//! (`seed`, chain), so results are reproducible and do not depend on how chains are scheduled:
//! they run on rayon's pool, one imputed column of one chain at a time and in turn, so that the
//! m × maxit iterations spread evenly over the threads, and the values are the same bits on any
//! number of threads.
//!
//! # Clusters
//! A cluster column (complete) can enter every imputation model as cluster indicators (fixed
//! effects) or as the cluster means of each numeric predictor, so that imputations respect the
//! trial's design; it is not imputed and not used as an ordinary predictor.
//!
//! # References
//! van Buuren S, Groothuis-Oudshoorn K. mice: Multivariate Imputation by Chained Equations in R.
//! J Stat Softw 2011;45(3):1–67, doi:10.18637/jss.v045.i03.
//! van Buuren S. Flexible Imputation of Missing Data, 2nd ed. CRC Press 2018, §3.2 (norm) and
//! §3.4 (pmm), doi:10.1201/9780429492259.
//! Little RJA. Missing-data adjustments in large surveys. J Bus Econ Stat 1988;6:287–96 (pmm).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use trialstats_core::linalg::{Spd, crossprod_with, matvec, residuals_of, weighted_crossprod};
use trialstats_core::order::{from_order_key, order_key};
use trialstats_core::rng::{Rng, splitmix64};
use trialstats_core::scratch;
use trialstats_core::{Level, LinalgError};
use trialstats_data::{Column, ColumnData, DataTable};
use trialstats_ordinal::Clm;

use crate::pool::{AnalysisFailure, Estimates, ImputationFailure, MiError, Pooled, pool};

/// How a column is imputed.
///
/// # Examples
/// ```
/// use trialstats_data::datasets;
/// use trialstats_mi::{Method, Mice};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// assert_eq!(Method::Pmm { donors: 5 }.name(), "pmm");
/// assert_eq!((Method::Norm.name(), Method::LogReg.name(), Method::Polr.name()), ("norm", "logreg", "polr"));
/// // Predictive mean matching from 3 donors instead of mice's 5, for bmi.
/// let spec = Mice::new(&datasets::nhanes()?)?.method("bmi", Method::Pmm { donors: 3 })?;
/// assert_eq!(spec.methods()[1], ("bmi".to_string(), Method::Pmm { donors: 3 }));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Not imputed (complete columns, or columns left as they are).
    None,
    /// Predictive mean matching with `donors` candidates (mice default 5).
    Pmm {
        /// Number of donors.
        donors: usize,
    },
    /// Bayesian linear regression.
    Norm,
    /// Logistic regression (binary columns).
    LogReg,
    /// Proportional-odds model (ordered categorical columns).
    Polr,
}

impl Method {
    /// The method's name as mice spells it (`pmm`, `norm`, `logreg`, `polr`, `none`).
    pub fn name(self) -> &'static str {
        match self {
            Method::None => "none",
            Method::Pmm { .. } => "pmm",
            Method::Norm => "norm",
            Method::LogReg => "logreg",
            Method::Polr => "polr",
        }
    }
}

/// How the cluster enters the imputation models.
///
/// # Examples
/// ```
/// use trialstats_data::datasets;
/// use trialstats_mi::{ClusterTerm, Method, Mice};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Age group as the cluster, entering the numeric predictors' models as their cluster means.
/// let imp = Mice::new(&datasets::nhanes()?)?.cluster("age", ClusterTerm::Means)?.m(2).run(None)?;
/// assert_eq!(imp.imputed_values("chl", 0).ok_or("no chl")?.len(), 10);
/// assert_eq!(imp.methods[0], ("age".to_string(), Method::None)); // the cluster is not imputed
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterTerm {
    /// One indicator per cluster but the first.
    Indicators,
    /// The cluster mean of each numeric predictor (current completed values).
    Means,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Iterations done, over all chains.
    pub done: usize,
    /// Iterations in all (m × maxit).
    pub total: usize,
}

#[derive(Debug, Clone)]
enum Kind {
    Numeric,
    Categorical(Vec<String>),
}

#[derive(Debug, Clone)]
struct Var {
    name: String,
    kind: Kind,
    /// Values (category codes as numbers); missing entries hold the initial 0.
    values: Vec<f64>,
    observed: Vec<bool>,
    /// The file's spelling of numeric cells that print differently (see `Column::written`),
    /// carried to the completed data sets.
    written: Option<std::collections::BTreeMap<usize, String>>,
}

impl Var {
    /// The observed values, in row order.
    fn observed_values(&self) -> Vec<f64> {
        self.values
            .iter()
            .zip(&self.observed)
            .filter(|(_, o)| **o)
            .map(|(x, _)| *x)
            .collect()
    }

    fn n_missing(&self) -> usize {
        self.observed.iter().filter(|o| !**o).count()
    }
}

/// Most imputations [`Mice::run`] makes (R's mice has no bound; 5 to 100 are usual).
pub const MAX_IMPUTATIONS: usize = 1000;

/// Most iterations per chain.
pub const MAX_ITERATIONS: usize = 10_000;

/// Most values the completed data sets may hold in all (m × rows × columns; 8 bytes each).
pub const MAX_COMPLETED_CELLS: usize = 250_000_000;

/// Newton steps allowed to the logistic imputation model (mice's `glm.fit` allows 25; the
/// augmented data of White, Daniel & Royston (2010) keep the fit finite, so 50 is ample).
const LOGISTIC_STEPS: usize = 50;

/// A MICE specification over a data table.
#[derive(Debug, Clone)]
pub struct Mice {
    vars: Vec<Var>,
    methods: Vec<Method>,
    predictors: Vec<Vec<bool>>,
    visit: Vec<usize>,
    m: usize,
    maxit: usize,
    seed: u64,
    cluster: Option<(usize, ClusterTerm, Vec<usize>)>,
    source: String,
}

fn input_error(detail: String) -> MiError {
    MiError::Spec(detail)
}

impl Mice {
    /// Whether column `k` has missing values and no method: its missing cells stay missing
    /// (as R mice's `complete()` leaves them NA), and it predicts no other column.
    fn left_missing(&self, k: usize) -> bool {
        self.methods[k] == Method::None && self.vars[k].observed.iter().any(|o| !o)
    }

    /// A specification with mice's defaults (m = 5, maxit = 5, seed 1; methods and predictor
    /// matrix as in the module docs).
    ///
    /// # Errors
    /// [`MiError::Spec`] for a column that is entirely missing or that mixes numbers and text,
    /// and for a table with at least as many columns as rows.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::{Method, Mice};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = Mice::new(&datasets::nhanes2()?)?;
    /// // R: mice::make.method(nhanes2) gives "", "pmm", "logreg", "pmm" (age is complete; hyp is a
    /// // two-level factor)
    /// let methods: Vec<Method> = spec.methods().into_iter().map(|(_, m)| m).collect();
    /// assert_eq!(methods, [Method::None, Method::Pmm { donors: 5 }, Method::LogReg, Method::Pmm { donors: 5 }]);
    /// // A table with as many columns as rows cannot be imputed.
    /// let wide = trialstats_data::DataTable::from_csv_str("wide", "a,b\n1,2\n")?;
    /// assert!(Mice::new(&wide).is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(table: &DataTable) -> Result<Self, MiError> {
        // Every column predicts every other by default: with at least as many columns as rows,
        // no imputation model can be fitted, and the p × p predictor matrix of a very wide file
        // would be allocated for nothing. Refuse before allocating.
        if table.ncols() > 1 && table.ncols() >= table.nrows() {
            return Err(input_error(format!(
                "`{}` has {} columns and {} rows: every imputation model would have at least as many predictors as rows; keep only the columns the imputation needs",
                table.source(),
                table.ncols(),
                table.nrows()
            )));
        }
        let mut vars = Vec::with_capacity(table.ncols());
        for col in table.columns() {
            let (kind, values, observed) = match &col.data {
                ColumnData::Numeric(v) => (
                    Kind::Numeric,
                    v.iter().map(|x| x.unwrap_or(0.0)).collect::<Vec<_>>(),
                    v.iter().map(Option::is_some).collect::<Vec<_>>(),
                ),
                ColumnData::Categorical { codes, levels } => (
                    Kind::Categorical(levels.clone()),
                    codes.iter().map(|c| c.map_or(0.0, f64::from)).collect(),
                    codes.iter().map(Option::is_some).collect(),
                ),
                _ => {
                    return Err(input_error(format!(
                        "column `{}` of `{}` mixes numbers and text; make it numeric or categorical before imputing",
                        col.name,
                        table.source()
                    )));
                }
            };
            if !observed.iter().any(|o| *o) {
                return Err(input_error(format!(
                    "column `{}` of `{}` is entirely missing: there is nothing to impute it from; drop it",
                    col.name,
                    table.source()
                )));
            }
            vars.push(Var {
                name: col.name.clone(),
                kind,
                values,
                observed,
                written: col.written.clone(),
            });
        }
        let p = vars.len();
        let methods = vars
            .iter()
            .map(|v| match (&v.kind, v.n_missing()) {
                (_, 0) => Method::None,
                (Kind::Numeric, _) => Method::Pmm { donors: 5 },
                (Kind::Categorical(l), _) if l.len() <= 2 => Method::LogReg,
                (Kind::Categorical(_), _) => Method::Polr,
            })
            .collect();
        let predictors = (0..p).map(|j| (0..p).map(|k| k != j).collect()).collect();
        Ok(Self {
            vars,
            methods,
            predictors,
            visit: (0..p).collect(),
            m: 5,
            maxit: 5,
            seed: 1,
            cluster: None,
            source: table.source().to_string(),
        })
    }

    fn index(&self, name: &str) -> Result<usize, MiError> {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| {
                input_error(format!(
                    "no column `{name}` in `{}` (columns: {})",
                    self.source,
                    self.vars
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// Sets a column's method.
    ///
    /// # Errors
    /// [`MiError::Spec`] for an unknown column or a method that does not fit the column: logreg
    /// needs exactly two distinct observed values, polr a categorical column, pmm/norm a numeric
    /// one, pmm at least one donor.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::{Method, Mice};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = Mice::new(&datasets::nhanes()?)?.method("bmi", Method::Norm)?;
    /// assert!(spec.methods().contains(&("bmi".to_string(), Method::Norm)));
    /// // bmi has 16 distinct observed values: not a binary column.
    /// assert!(spec.clone().method("bmi", Method::LogReg).is_err());
    /// // hyp (coded 1/2 in nhanes) is, and is recoded to 0/1 on use.
    /// let imp = spec.method("hyp", Method::LogReg)?.m(2).maxit(2).run(None)?;
    /// assert!(imp.imputed_values("hyp", 0).ok_or("no hyp")?.iter().all(|v| *v == 1.0 || *v == 2.0));
    /// # Ok(()) }
    /// ```
    pub fn method(mut self, column: &str, method: Method) -> Result<Self, MiError> {
        let j = self.index(column)?;
        let v = &self.vars[j];
        let distinct = {
            let mut d = v.observed_values();
            d.sort_by(f64::total_cmp);
            d.dedup();
            d.len()
        };
        let bad = |why: String| {
            Err(input_error(format!(
                "method {} does not fit column `{column}`: {why}",
                method.name()
            )))
        };
        match (method, &v.kind) {
            (Method::LogReg, _) if distinct != 2 => {
                return bad(format!(
                    "logistic regression needs a binary column, and it has {distinct} distinct observed values"
                ));
            }
            (Method::LogReg, Kind::Numeric) => {
                // Recode to 0/1 on use: the lower value is 0.
            }
            (Method::Polr, Kind::Numeric) => {
                return bad("polr needs a categorical column (use factor codes)".into());
            }
            (Method::Pmm { .. } | Method::Norm, Kind::Categorical(_)) => {
                return bad("pmm and norm impute numeric columns".into());
            }
            (Method::Pmm { donors: 0 }, _) => return bad("pmm needs at least 1 donor".into()),
            _ => {}
        }
        self.methods[j] = method;
        Ok(self)
    }

    /// Sets which columns predict `column` (the rest do not).
    ///
    /// # Errors
    /// [`MiError::Spec`] for an unknown column or a column that would predict itself.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?;
    /// // chl from age only (R: pred["chl", ] <- c(1, 0, 0, 0)).
    /// let imp = Mice::new(&nhanes)?.predictors("chl", &["age"])?.m(2).run(None)?;
    /// assert_eq!(imp.imputed_values("chl", 1).ok_or("no chl")?.len(), 10); // sum(is.na(nhanes$chl))
    /// assert!(Mice::new(&nhanes)?.predictors("chl", &["chl"]).is_err()); // not itself
    /// assert!(Mice::new(&nhanes)?.predictors("chl", &["weight"]).is_err()); // no such column
    /// # Ok(()) }
    /// ```
    pub fn predictors(mut self, column: &str, predictors: &[&str]) -> Result<Self, MiError> {
        let j = self.index(column)?;
        let mut row = vec![false; self.vars.len()];
        for p in predictors {
            let k = self.index(p)?;
            if k == j {
                return Err(input_error(format!(
                    "column `{column}` cannot predict itself in the predictor matrix"
                )));
            }
            row[k] = true;
        }
        self.predictors[j] = row;
        Ok(self)
    }

    /// Sets the whole predictor matrix: `matrix[j][k]` = column k predicts column j.
    ///
    /// # Errors
    /// [`MiError::Spec`] for a wrong shape or a `true` on the diagonal.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?; // age, bmi, hyp, chl
    /// // Everything from age only: row j names the predictors of column j.
    /// let (t, f) = (true, false);
    /// let only_age = vec![vec![f, f, f, f], vec![t, f, f, f], vec![t, f, f, f], vec![t, f, f, f]];
    /// let imp = Mice::new(&nhanes)?.predictor_matrix(only_age)?.m(2).run(None)?;
    /// assert_eq!(imp.m, 2);
    /// assert!(Mice::new(&nhanes)?.predictor_matrix(vec![vec![f; 3]; 3]).is_err()); // not 4 × 4
    /// assert!(Mice::new(&nhanes)?.predictor_matrix(vec![vec![t; 4]; 4]).is_err()); // diagonal
    /// # Ok(()) }
    /// ```
    pub fn predictor_matrix(mut self, matrix: Vec<Vec<bool>>) -> Result<Self, MiError> {
        let p = self.vars.len();
        if matrix.len() != p || matrix.iter().any(|r| r.len() != p) {
            return Err(input_error(format!(
                "the predictor matrix must be {p} × {p} (one row and column per column of the data)"
            )));
        }
        if let Some(j) = (0..p).find(|&j| matrix[j][j]) {
            return Err(input_error(format!(
                "the predictor matrix makes column `{}` predict itself (diagonal entry {j} is true)",
                self.vars[j].name
            )));
        }
        self.predictors = matrix;
        Ok(self)
    }

    /// Sets the visit sequence (column names, each at most once).
    ///
    /// # Errors
    /// [`MiError::Spec`] for an unknown or repeated column.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?;
    /// let imp = Mice::new(&nhanes)?.visit_sequence(&["chl", "bmi"])?.m(2).maxit(3).run(None)?;
    /// // Only the visited columns are modelled and traced: 2 columns × 2 chains × 3 iterations.
    /// assert_eq!(imp.trace.len(), 12);
    /// assert_eq!((imp.trace[0].column.as_str(), imp.trace[1].column.as_str()), ("chl", "bmi"));
    /// assert!(Mice::new(&nhanes)?.visit_sequence(&["bmi", "bmi"]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn visit_sequence(mut self, columns: &[&str]) -> Result<Self, MiError> {
        let mut seq = Vec::with_capacity(columns.len());
        for c in columns {
            let j = self.index(c)?;
            if seq.contains(&j) {
                return Err(input_error(format!(
                    "column `{c}` appears twice in the visit sequence"
                )));
            }
            seq.push(j);
        }
        self.visit = seq;
        Ok(self)
    }

    /// Number of imputations (default 5).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let imp = Mice::new(&datasets::nhanes()?)?.m(3).run(None)?;
    /// assert_eq!(imp.m, 3);
    /// assert!(imp.complete(2).is_ok() && imp.complete(3).is_err()); // 0-based
    /// assert!(Mice::new(&datasets::nhanes()?)?.m(1).run(None).is_err()); // m ≥ 2
    /// # Ok(()) }
    /// ```
    pub fn m(mut self, m: usize) -> Self {
        self.m = m;
        self
    }

    /// Iterations per chain (default 5).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let imp = Mice::new(&datasets::nhanes()?)?.m(2).maxit(4).run(None)?;
    /// // bmi, hyp and chl are incomplete: 3 columns × 2 chains × 4 iterations in the trace.
    /// assert_eq!((imp.maxit, imp.trace.len()), (4, 24));
    /// assert!(imp.trace.iter().all(|p| (1..=4).contains(&p.iteration)));
    /// # Ok(()) }
    /// ```
    pub fn maxit(mut self, maxit: usize) -> Self {
        self.maxit = maxit;
        self
    }

    /// Seed (default 1); recorded in the result.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = Mice::new(&datasets::nhanes()?)?.m(2).maxit(2);
    /// let a = spec.clone().seed(7).run(None)?;
    /// let b = spec.clone().seed(7).run(None)?;
    /// let c = spec.seed(8).run(None)?;
    /// // The same seed gives the same imputations, byte for byte.
    /// assert_eq!(a.complete(0)?.to_csv(), b.complete(0)?.to_csv());
    /// assert_ne!(a.complete(0)?.to_csv(), c.complete(0)?.to_csv());
    /// assert_eq!(a.seed, 7);
    /// # Ok(()) }
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Uses the complete column `column` as the cluster in every imputation model.
    ///
    /// # Errors
    /// [`MiError::Spec`] for an unknown column or one with missing ids.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::{ClusterTerm, Method, Mice};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?;
    /// // The three (complete) age groups as clusters, entering every model as indicators.
    /// let spec = Mice::new(&nhanes)?.cluster("age", ClusterTerm::Indicators)?;
    /// assert_eq!(spec.methods()[0], ("age".to_string(), Method::None));
    /// assert_eq!(spec.m(2).run(None)?.imputed_values("bmi", 0).ok_or("no bmi")?.len(), 9);
    /// // A cluster id may not be missing.
    /// assert!(Mice::new(&nhanes)?.cluster("bmi", ClusterTerm::Means).is_err());
    /// # Ok(()) }
    /// ```
    pub fn cluster(mut self, column: &str, term: ClusterTerm) -> Result<Self, MiError> {
        let j = self.index(column)?;
        let v = &self.vars[j];
        if let Some(row) = v.observed.iter().position(|o| !o) {
            return Err(input_error(format!(
                "cluster column `{column}` is missing at row {}; clusters must be complete",
                row + 1
            )));
        }
        // Codes in the ids' numeric order (the indicator columns follow it).
        let clusters = trialstats_core::Clusters::from_numbers(column, &v.values)?;
        let rank = clusters.label_ranks();
        let map: Vec<usize> = clusters.codes().iter().map(|&c| rank[c]).collect();
        self.methods[j] = Method::None;
        for row in &mut self.predictors {
            row[j] = false;
        }
        self.cluster = Some((j, term, map));
        Ok(self)
    }

    /// The method of each column, by name.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = Mice::new(&datasets::nhanes()?)?;
    /// // R: mice::make.method(nhanes) gives "", "pmm", "pmm", "pmm" (hyp is numeric 1/2 there)
    /// let names: Vec<(String, &str)> = spec.methods().into_iter().map(|(c, m)| (c, m.name())).collect();
    /// assert_eq!(names[0], ("age".to_string(), "none"));
    /// assert!(names[1..].iter().all(|(_, m)| *m == "pmm"));
    /// # Ok(()) }
    /// ```
    pub fn methods(&self) -> Vec<(String, Method)> {
        self.vars
            .iter()
            .zip(&self.methods)
            .map(|(v, m)| (v.name.clone(), *m))
            .collect()
    }

    /// Runs the `m` chains, in parallel on rayon's pool (the calling thread works too, and only
    /// it calls `progress`, once for every iteration finished, in order).
    ///
    /// # Errors
    /// [`MiError::Spec`] for m < 2, maxit = 0, or beyond [`MAX_IMPUTATIONS`], [`MAX_ITERATIONS`]
    /// or [`MAX_COMPLETED_CELLS`]; [`MiError::Imputation`] when a model cannot be
    /// fitted (the column, iteration and chain are named; of several chains that fail, the
    /// first).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::{Mice, Progress};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = Mice::new(&datasets::nhanes()?)?.m(2).maxit(3);
    /// let mut done = Vec::new();
    /// let imp = spec.run(Some(&mut |p: Progress| done.push((p.done, p.total))))?;
    /// // One report per iteration of each chain: m × maxit = 6 in all.
    /// assert_eq!(done, [(1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)]);
    /// assert_eq!((imp.m, imp.maxit, imp.seed), (2, 3, 1));
    /// # Ok(()) }
    /// ```
    pub fn run(&self, mut progress: Option<&mut dyn FnMut(Progress)>) -> Result<Imputed, MiError> {
        if self.m < 2 {
            return Err(input_error(format!(
                "multiple imputation needs m ≥ 2 imputations; got {}",
                self.m
            )));
        }
        if self.maxit == 0 {
            return Err(input_error("maxit must be at least 1".into()));
        }
        // Bounds that turn a mistyped count into an error rather than hours or an allocation
        // failure (every chain keeps its completed data).
        if self.m > MAX_IMPUTATIONS || self.maxit > MAX_ITERATIONS {
            return Err(input_error(format!(
                "m = {} and maxit = {} exceed the bounds m ≤ {MAX_IMPUTATIONS}, maxit ≤ {MAX_ITERATIONS}",
                self.m, self.maxit
            )));
        }
        let cells = self
            .vars
            .first()
            .map_or(0, |v| v.values.len())
            .saturating_mul(self.vars.len())
            .saturating_mul(self.m);
        if cells > MAX_COMPLETED_CELLS {
            return Err(input_error(format!(
                "m = {} completed copies of {} columns × {} rows ({cells} values) exceed {MAX_COMPLETED_CELLS}; use fewer imputations or columns",
                self.m,
                self.vars.len(),
                self.vars.first().map_or(0, |v| v.values.len())
            )));
        }
        let total = self.m * self.maxit;
        let layout = Layout::new(self);
        // Chains not yet started are their index (each is started, its missing values drawn,
        // by the thread that first takes it).
        let queue: Mutex<VecDeque<Result<Chain, usize>>> =
            Mutex::new((0..self.m).map(Err).collect());
        let finished: Mutex<Vec<Chain>> = Mutex::new(Vec::with_capacity(self.m));
        let failures: Mutex<Vec<(usize, MiError)>> = Mutex::new(Vec::new());
        // The lowest chain that failed: chains after it cannot change the outcome and stop.
        let first_failed = AtomicUsize::new(usize::MAX);
        let done = AtomicUsize::new(0);
        // One imputed column of one chain at a time, taken from the front of the queue and put
        // back at its end: the chains advance in turn, so that the m × maxit iterations spread
        // evenly over the threads (five chains of five iterations on two threads: about 12.5
        // iterations' time; 13 when the unit was a whole iteration, 15 a whole chain). Each chain
        // draws from its own generator, so its values do not depend on which thread runs it or
        // when.
        let work = |report: &mut dyn FnMut()| {
            loop {
                let next = lock(&queue).pop_front();
                let Some(chain) = next else { break };
                let mut chain = chain.unwrap_or_else(|index| self.start_chain(index));
                if chain.index > first_failed.load(Ordering::Acquire) {
                    continue;
                }
                let ended = match self.step(&layout, &mut chain) {
                    Ok(ended) => {
                        if chain.iterations == self.maxit {
                            lock(&finished).push(chain);
                        } else {
                            lock(&queue).push_back(Ok(chain));
                        }
                        ended
                    }
                    Err(e) => {
                        first_failed.fetch_min(chain.index, Ordering::AcqRel);
                        lock(&failures).push((chain.index, e));
                        true
                    }
                };
                if ended {
                    done.fetch_add(1, Ordering::AcqRel);
                    report();
                }
            }
        };
        let helpers = rayon::current_num_threads().min(self.m).saturating_sub(1);
        let mut reported = 0;
        let mut report = |upto: usize| {
            if let Some(p) = progress.as_mut() {
                for d in reported + 1..=upto.min(total) {
                    p(Progress { done: d, total });
                }
            }
            reported = reported.max(upto);
        };
        // The calling thread works too, and it alone calls `progress` (the callback need not be
        // Send): after each of its iterations it reports every count reached since.
        rayon::in_place_scope(|s| {
            for _ in 0..helpers {
                s.spawn(|_| work(&mut || {}));
            }
            work(&mut || report(done.load(Ordering::Acquire)));
        });
        let failures = failures
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, e)) = failures.into_iter().min_by_key(|(c, _)| *c) {
            return Err(e);
        }
        report(total);
        let mut finished = finished
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        finished.sort_by_key(|c| c.index);
        let mut chains = Vec::with_capacity(self.m);
        let mut trace = Vec::with_capacity(total * self.visit.len());
        for c in finished {
            trace.extend(c.trace);
            chains.push(c.cur);
        }
        let notes = (0..self.vars.len())
            .filter(|&k| self.left_missing(k))
            .map(|k| {
                format!(
                    "`{}` has {} missing values and no imputation method: they stay missing in the completed data, and `{}` predicts no other column",
                    self.vars[k].name,
                    self.vars[k].n_missing(),
                    self.vars[k].name
                )
            })
            .collect();
        Ok(Imputed {
            notes,
            names: self.vars.iter().map(|v| v.name.clone()).collect(),
            kinds: self.vars.iter().map(|v| v.kind.clone()).collect(),
            observed: self.vars.iter().map(|v| v.observed.clone()).collect(),
            written: self.vars.iter().map(|v| v.written.clone()).collect(),
            chains,
            trace,
            methods: self.methods(),
            m: self.m,
            maxit: self.maxit,
            seed: self.seed,
            source: self.source.clone(),
        })
    }

    /// Chain `index` before its first iteration: its generator, seeded from (`seed`, chain), and
    /// the missing values filled with random draws from the observed ones (mice's default).
    fn start_chain(&self, index: usize) -> Chain {
        let mut state = self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Rng::seed_from(splitmix64(&mut state));
        let mut cur: Vec<Vec<f64>> = self.vars.iter().map(|v| v.values.clone()).collect();
        for (j, v) in self.vars.iter().enumerate() {
            if self.methods[j] == Method::None {
                continue;
            }
            let obs = v.observed_values();
            for (slot, observed) in cur[j].iter_mut().zip(&v.observed) {
                if !observed {
                    *slot = obs[rng.below(obs.len() as u64) as usize];
                }
            }
        }
        Chain {
            index,
            rng,
            cur,
            trace: Vec::with_capacity(self.maxit * self.visit.len()),
            iterations: 0,
            next: 0,
        }
    }

    /// The next imputation of a chain: the next column of its visit sequence that has values to
    /// impute. Returns true when that ends the chain's iteration (the columns after it have
    /// nothing to impute).
    fn step(&self, layout: &Layout, chain: &mut Chain) -> Result<bool, MiError> {
        let it = chain.iterations;
        // A method on a complete column has nothing to impute (and no trace: the mean of no
        // values would be NaN).
        let idle = |j: usize| self.methods[j] == Method::None || layout.missing[j].is_empty();
        while let Some(&j) = self.visit.get(chain.next) {
            chain.next += 1;
            if idle(j) {
                continue;
            }
            let imputed = self
                .impute(layout, j, self.methods[j], chain)
                .map_err(|source| MiError::Imputation {
                    column: self.vars[j].name.clone(),
                    iteration: it + 1,
                    chain: chain.index + 1,
                    source,
                })?;
            for (&r, &v) in layout.missing[j].iter().zip(&imputed) {
                chain.cur[j][r] = v;
            }
            let n = imputed.len() as f64;
            let mean = imputed.iter().sum::<f64>() / n;
            let sd = if imputed.len() > 1 {
                (imputed.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            chain.trace.push(TracePoint {
                column: self.vars[j].name.clone(),
                chain: chain.index + 1,
                iteration: it + 1,
                mean,
                sd: (imputed.len() > 1).then_some(sd),
            });
            break;
        }
        while self.visit.get(chain.next).is_some_and(|&j| idle(j)) {
            chain.next += 1;
        }
        if chain.next < self.visit.len() {
            return Ok(false);
        }
        chain.next = 0;
        chain.iterations += 1;
        Ok(true)
    }

    /// Clusters of the cluster column (codes 0..G; 0 without one).
    fn n_clusters(&self) -> usize {
        self.cluster
            .as_ref()
            .and_then(|(_, _, map)| map.iter().copied().max())
            .map_or(0, |x| x + 1)
    }

    /// The cluster means of the current values of the numeric predictors that enter column
    /// `j`'s model by their means (sums in row order over all rows), by design column; empty
    /// for the other columns. Formed once per imputation, for the observed and missing rows'
    /// designs alike.
    fn cluster_means(&self, layout: &Layout, j: usize, cur: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let map: &[usize] = self.cluster.as_ref().map_or(&[], |(_, _, m)| m);
        layout.columns[j]
            .iter()
            .map(|col| match *col {
                DesignColumn::Mean(k) => {
                    let mut sums = vec![0.0; layout.counts.len()];
                    for (&m, &v) in map.iter().zip(&cur[k]) {
                        sums[m] += v;
                    }
                    sums.iter()
                        .zip(&layout.counts)
                        .map(|(s, c)| s / c)
                        .collect()
                }
                _ => Vec::new(),
            })
            .collect()
    }

    /// The columns of the imputation model for column `j`: intercept, predictors (categorical
    /// ones as treatment dummies), cluster terms.
    fn design_columns(&self, j: usize) -> Vec<DesignColumn> {
        let mut cols = vec![DesignColumn::Intercept];
        let mut numeric = Vec::new();
        for (k, v) in self.vars.iter().enumerate() {
            if !self.predictors[j][k] || self.left_missing(k) {
                continue;
            }
            match &v.kind {
                Kind::Numeric => {
                    numeric.push(k);
                    cols.push(DesignColumn::Value(k));
                }
                Kind::Categorical(levels) => {
                    cols.extend((1..levels.len()).map(|l| DesignColumn::Level(k, l)));
                }
            }
        }
        if let Some((_, term, _)) = &self.cluster {
            match term {
                ClusterTerm::Indicators => {
                    cols.extend((1..self.n_clusters()).map(DesignColumn::Cluster));
                }
                ClusterTerm::Means => cols.extend(numeric.into_iter().map(DesignColumn::Mean)),
            }
        }
        cols
    }

    /// The rows `rows` of the design of column `j`'s imputation model at the chain's current
    /// values (`means` from [`Mice::cluster_means`]), in `buffer` (from the scratch pool).
    fn design(
        &self,
        layout: &Layout,
        j: usize,
        (cur, means): (&[Vec<f64>], &[Vec<f64>]),
        rows: &[usize],
        buffer: Vec<f64>,
    ) -> DMatrix<f64> {
        let cols = &layout.columns[j];
        let mut data = buffer;
        data.clear();
        data.reserve(rows.len() * cols.len());
        let map: &[usize] = self.cluster.as_ref().map_or(&[], |(_, _, m)| m);
        for (col, mk) in cols.iter().zip(means) {
            match *col {
                DesignColumn::Intercept => data.extend(rows.iter().map(|_| 1.0)),
                DesignColumn::Value(k) => data.extend(rows.iter().map(|&r| cur[k][r])),
                DesignColumn::Level(k, l) => data.extend(
                    rows.iter()
                        .map(|&r| if cur[k][r] as usize == l { 1.0 } else { 0.0 }),
                ),
                DesignColumn::Cluster(c) => {
                    data.extend(rows.iter().map(|&r| if map[r] == c { 1.0 } else { 0.0 }));
                }
                DesignColumn::Mean(_) => data.extend(rows.iter().map(|&r| mk[map[r]])),
            }
        }
        DMatrix::from_vec(rows.len(), cols.len(), data)
    }

    fn impute(
        &self,
        layout: &Layout,
        j: usize,
        method: Method,
        chain: &mut Chain,
    ) -> Result<Vec<f64>, ImputationFailure> {
        // The designs' buffers come from and go back to the scratch pool: fresh ones cost their
        // page faults at each imputation.
        let width = layout.columns[j].len();
        let [bo, bm] = [&layout.observed[j], &layout.missing[j]]
            .map(|rows| scratch::take_f64_with_capacity(rows.len() * width));
        let means = self.cluster_means(layout, j, &chain.cur);
        let at = (chain.cur.as_slice(), means.as_slice());
        let xo = self.design(layout, j, at, &layout.observed[j], bo);
        let xm = self.design(layout, j, at, &layout.missing[j], bm);
        let yo = &layout.y_observed[j];
        let rng = &mut chain.rng;
        let out = match method {
            Method::Norm | Method::Pmm { .. } => norm_draw(&xo, yo, rng)
                .and_then(|(fitted, beta_star, sigma)| {
                    let eta = matvec(&xm, &beta_star)?;
                    Ok(match method {
                        Method::Pmm { donors } => {
                            pmm_match(&fitted, &eta, yo, donors.min(yo.len()), rng)
                        }
                        _ => eta.iter().map(|e| e + sigma * rng.normal()).collect(),
                    })
                })
                .map_err(ImputationFailure::from),
            Method::LogReg => {
                let buffer = scratch::take_f64_with_capacity(layout.all.len() * width);
                let x = self.design(layout, j, at, &layout.all, buffer);
                let draw = logreg_draw(&x, &xo, &xm, yo, rng);
                scratch::give_f64(x.data.into());
                draw
            }
            Method::Polr => self.polr_draw(j, &xo, &xm, yo, rng),
            Method::None => Ok(Vec::new()),
        };
        scratch::give_f64(xo.data.into());
        scratch::give_f64(xm.data.into());
        out
    }

    /// polr: the proportional-odds model on the observed rows; categories drawn from its
    /// predicted probabilities for the missing rows.
    fn polr_draw(
        &self,
        j: usize,
        xo: &DMatrix<f64>,
        xm: &DMatrix<f64>,
        yo: &[f64],
        rng: &mut Rng,
    ) -> Result<Vec<f64>, ImputationFailure> {
        let Kind::Categorical(levels) = &self.vars[j].kind else {
            return Err(ImputationFailure::NotCategorical);
        };
        let codes: Vec<usize> = yo.iter().map(|&v| v as usize).collect();
        // Clm has no intercept: drop the design's first column.
        let xo1 = xo.columns(1, xo.ncols() - 1).into_owned();
        let xm1 = xm.columns(1, xm.ncols() - 1).into_owned();
        let labels: Vec<String> = (0..levels.len()).map(|c| c.to_string()).collect();
        let fit = Clm::with_levels(&codes, &labels, &xo1).and_then(|c| c.fit())?;
        let probs = fit.predict(&xm1)?;
        let kept: Vec<f64> = fit
            .levels()
            .iter()
            .map(|l| l.parse::<f64>().unwrap_or(0.0))
            .collect();
        Ok((0..xm1.nrows())
            .map(|i| {
                let u = rng.uniform();
                let mut acc = 0.0;
                for (c, &code) in kept.iter().enumerate() {
                    acc += probs[(i, c)];
                    if u < acc {
                        return code;
                    }
                }
                kept[kept.len() - 1]
            })
            .collect())
    }
}

/// logreg: the logistic model on the observed rows and mice's augmentation rows; β* ~ N(β̂, V̂);
/// each missing row 1 (the higher observed value) with probability expit(x'β*).
fn logreg_draw(
    x: &DMatrix<f64>,
    xo: &DMatrix<f64>,
    xm: &DMatrix<f64>,
    yo: &[f64],
    rng: &mut Rng,
) -> Result<Vec<f64>, ImputationFailure> {
    let lo = yo.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = yo.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y01: Vec<f64> = yo.iter().map(|&v| if v > lo { 1.0 } else { 0.0 }).collect();
    let (xa, ya, wa) = augment(x, xo, &y01);
    let (beta, cov) = logistic(&xa, &ya, &wa)?;
    let l = Spd::new(cov, "covariance of the logistic fit")?.l();
    let z = DVector::from_fn(beta.len(), |_, _| rng.normal());
    let beta_star = &beta + &l * z;
    let eta = xm * &beta_star;
    Ok(eta
        .iter()
        .map(|e| {
            let p = 1.0 / (1.0 + (-e).exp());
            if rng.uniform() < p { hi } else { lo }
        })
        .collect())
}

/// A column of an imputation model's design.
#[derive(Debug, Clone, Copy)]
enum DesignColumn {
    Intercept,
    /// A numeric predictor's current values.
    Value(usize),
    /// A categorical predictor's dummy for one level (not the first).
    Level(usize, usize),
    /// The indicator of one cluster (not the first).
    Cluster(usize),
    /// The cluster means of a numeric predictor's current values.
    Mean(usize),
}

/// What every chain shares: each column's observed and missing rows, its observed values, and
/// the columns of its imputation model.
struct Layout {
    observed: Vec<Vec<usize>>,
    missing: Vec<Vec<usize>>,
    y_observed: Vec<Vec<f64>>,
    columns: Vec<Vec<DesignColumn>>,
    /// Every row, for the designs that need them all (logreg's augmentation).
    all: Vec<usize>,
    /// Rows per cluster (with a cluster column).
    counts: Vec<f64>,
}

impl Layout {
    fn new(spec: &Mice) -> Self {
        let rows = |v: &Var, want: bool| -> Vec<usize> {
            (0..v.observed.len())
                .filter(|&i| v.observed[i] == want)
                .collect()
        };
        let n = spec.vars.first().map_or(0, |v| v.values.len());
        let counts = match &spec.cluster {
            Some((_, _, map)) => {
                let mut counts = vec![0.0; spec.n_clusters()];
                for &m in map {
                    counts[m] += 1.0;
                }
                counts
            }
            None => Vec::new(),
        };
        Self {
            observed: spec.vars.iter().map(|v| rows(v, true)).collect(),
            missing: spec.vars.iter().map(|v| rows(v, false)).collect(),
            y_observed: spec.vars.iter().map(Var::observed_values).collect(),
            columns: (0..spec.vars.len())
                .map(|j| spec.design_columns(j))
                .collect(),
            all: (0..n).collect(),
            counts,
        }
    }
}

/// One chain's state between iterations.
struct Chain {
    index: usize,
    rng: Rng,
    /// The current completed values, column by column.
    cur: Vec<Vec<f64>>,
    trace: Vec<TracePoint>,
    iterations: usize,
    /// Position in the visit sequence of the next column to impute.
    next: usize,
}

/// A mutex's guard, also after a thread panicked while holding it (the data it guards are
/// plain values, left consistent by every holder).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// mice's `.norm.draw` on the observed rows: the fitted values x'β̂ (as y − e), a posterior draw
/// β* and σ*.
fn norm_draw(
    x: &DMatrix<f64>,
    y: &[f64],
    rng: &mut Rng,
) -> Result<(Vec<f64>, DVector<f64>, f64), LinalgError> {
    const RIDGE: f64 = 1e-5;
    let n = x.nrows();
    let p = x.ncols();
    // X'X and X'y in one blocked pass over X; e and e'e in another.
    let (mut xtx, xty) = crossprod_with(x, y)?;
    for d in 0..p {
        xtx[(d, d)] += RIDGE * xtx[(d, d)];
    }
    let spd = Spd::new(xtx, "X'X of the imputation model")?;
    let beta_hat = spd.solve(&xty)?;
    let (resid, rss) = residuals_of(x, y, &beta_hat);
    let fitted = y.iter().zip(resid.iter()).map(|(y, e)| y - e).collect();
    let df = (n as f64 - p as f64).max(1.0);
    let sigma = (rss / rng.chi_square(df)).sqrt();
    let v = spd.inverse();
    let l = Spd::new(v, "(X'X)⁻¹ of the imputation model")?.l();
    let z = DVector::from_fn(p, |_, _| rng.normal());
    let beta_star = &beta_hat + (&l * z) * sigma;
    Ok((fitted, beta_star, sigma))
}

/// Type-1 predictive mean matching: for each missing row, a random one of the `donors` observed
/// rows with the closest predicted mean gives its observed value.
///
/// The observed rows are sorted by their predictions (as integer keys, ties in row order) and
/// so are the missing rows' targets; one merge-like sweep then finds each target's place, and
/// the window of `donors` nearest grows from there, taking the nearer side first (the left one
/// on a tie). The donors are drawn in the missing rows' order.
fn pmm_match(
    fitted_obs: &[f64],
    targets: &[f64],
    y_obs: &[f64],
    donors: usize,
    rng: &mut Rng,
) -> Vec<f64> {
    let mut obs: Vec<(u64, u32)> = fitted_obs
        .iter()
        .enumerate()
        .map(|(i, &p)| (order_key(p), i as u32))
        .collect();
    obs.sort_unstable();
    let sorted: Vec<f64> = obs.iter().map(|o| from_order_key(o.0)).collect();
    let mut order: Vec<(u64, u32)> = targets
        .iter()
        .enumerate()
        .map(|(i, &t)| (order_key(t), i as u32))
        .collect();
    order.sort_unstable();
    let n = sorted.len();
    let mut first = vec![0; targets.len()];
    let mut pos = 0;
    for &(_, i) in &order {
        let t = targets[i as usize];
        // The targets ascend, so each one's place is at or after the previous one's.
        while pos < n && sorted[pos] < t {
            pos += 1;
        }
        let (mut lo, mut hi) = (pos, pos);
        while hi - lo < donors {
            let take_left = if lo == 0 {
                false
            } else if hi == n {
                true
            } else {
                (t - sorted[lo - 1]) <= (sorted[hi] - t)
            };
            if take_left {
                lo -= 1;
            } else {
                hi += 1;
            }
        }
        first[i as usize] = lo;
    }
    first
        .iter()
        .map(|&lo| {
            let pick = lo + rng.below(donors as u64) as usize;
            y_obs[obs[pick].1 as usize]
        })
        .collect()
}

/// mice's `augment` (White, Daniel & Royston 2010, Comput Stat Data Anal 54:2267–75,
/// doi:10.1016/j.csda.2010.04.005): for each predictor j and each outcome value c, two
/// pseudo-observations with x_j at its mean ± ½ SD (clipped to its range), the other predictors
/// at their means, and y = c; the 2·p·2 rows share the total weight p + 1. They keep the logistic
/// fit finite under (quasi-)separation and shrink it slightly, exactly as mice does.
/// `x_all` is the design over all rows (intercept first), `xo` its observed rows.
fn augment(
    x_all: &DMatrix<f64>,
    xo: &DMatrix<f64>,
    y: &[f64],
) -> (DMatrix<f64>, Vec<f64>, Vec<f64>) {
    let p = x_all.ncols() - 1;
    if p == 0 {
        return (xo.clone(), y.to_vec(), vec![1.0; y.len()]);
    }
    let n = x_all.nrows() as f64;
    let stats: Vec<(f64, f64, f64, f64)> = (1..=p)
        .map(|j| {
            let c = x_all.column(j);
            let mean = c.iter().sum::<f64>() / n;
            let var = c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            let min = c.iter().copied().fold(f64::INFINITY, f64::min);
            let max = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (mean, var.sqrt(), min, max)
        })
        .collect();
    let k = 2; // outcome values 0 and 1
    let nr = 2 * p * k;
    let no = xo.nrows();
    let mut xa = DMatrix::zeros(no + nr, p + 1);
    xa.rows_mut(0, no).copy_from(xo);
    let mut ya = y.to_vec();
    let mut wa = vec![1.0; no];
    for j in 0..p {
        for c in 0..k {
            for (s, sign) in [0.5, -0.5].into_iter().enumerate() {
                let r = no + j * 2 * k + 2 * c + s;
                xa[(r, 0)] = 1.0;
                for (m, st) in stats.iter().enumerate() {
                    xa[(r, m + 1)] = st.0;
                }
                let (mean, sd, min, max) = stats[j];
                xa[(r, j + 1)] = (mean + sign * sd).max(min).min(max);
                ya.push(c as f64);
                wa.push((p as f64 + 1.0) / nr as f64);
            }
        }
    }
    (xa, ya, wa)
}

/// Weighted logistic regression by Newton (glm.fit with prior weights); returns β̂ and the
/// inverse of the information (R's `cov.unscaled`).
fn logistic(
    x: &DMatrix<f64>,
    y: &[f64],
    weights: &[f64],
) -> Result<(DVector<f64>, DMatrix<f64>), ImputationFailure> {
    let p = x.ncols();
    let mut beta = DVector::zeros(p);
    for _ in 0..LOGISTIC_STEPS {
        let eta = x * &beta;
        let mu: Vec<f64> = eta.iter().map(|e| 1.0 / (1.0 + (-e).exp())).collect();
        // Score Xᵀ(w·(y − μ)) and information XᵀWX with W = w·μ(1 − μ), by core's kernels.
        let r =
            DVector::from_iterator(mu.len(), (0..mu.len()).map(|i| weights[i] * (y[i] - mu[i])));
        let grad = x.transpose() * r;
        let w: Vec<f64> = (0..mu.len())
            .map(|i| weights[i] * (mu[i] * (1.0 - mu[i])).max(1e-12))
            .collect();
        let info = weighted_crossprod(x, &w)?;
        let spd = Spd::new(info, "information of the logistic imputation model")?;
        let step = spd.solve(&grad)?;
        beta += &step;
        if step.amax() < 1e-10 {
            return Ok((beta, spd.inverse()));
        }
    }
    Err(ImputationFailure::NotConverged {
        steps: LOGISTIC_STEPS,
    })
}

/// Mean and SD of one column's imputed values at one iteration of one chain (the convergence
/// trace: chains should mix and show no trend).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TracePoint {
    /// Column.
    pub column: String,
    /// Chain, 1-based.
    pub chain: usize,
    /// Iteration, 1-based.
    pub iteration: usize,
    /// Mean of the imputed values.
    pub mean: f64,
    /// Their SD (`None` with one missing value).
    pub sd: Option<f64>,
}

/// The result of [`Mice::run`]: `m` completed data sets, the trace, and the settings.
#[derive(Debug, Clone)]
pub struct Imputed {
    names: Vec<String>,
    kinds: Vec<Kind>,
    observed: Vec<Vec<bool>>,
    written: Vec<Option<std::collections::BTreeMap<usize, String>>>,
    chains: Vec<Vec<Vec<f64>>>,
    /// The convergence trace.
    pub trace: Vec<TracePoint>,
    /// Method per column.
    pub methods: Vec<(String, Method)>,
    /// Imputations.
    pub m: usize,
    /// Iterations per chain.
    pub maxit: usize,
    /// The seed.
    pub seed: u64,
    /// What the imputation left undone, in sentences (a column with missing values and no
    /// method).
    pub notes: Vec<String>,
    source: String,
}

impl Imputed {
    /// The `i`-th completed data set (0-based), as a data table with the original columns.
    ///
    /// # Errors
    /// [`MiError::Spec`] for `i ≥ m`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?;
    /// let imp = Mice::new(&nhanes)?.m(2).run(None)?;
    /// let done = imp.complete(1)?;
    /// // Every hole is filled, and the observed values are kept.
    /// let (chl, filled) = (nhanes.numeric("chl")?, done.numeric("chl")?);
    /// assert!(filled.iter().all(Option::is_some));
    /// assert!(chl.iter().zip(filled).all(|(o, f)| o.is_none() || o == f));
    /// assert_eq!((done.nrows(), done.names()), (25, nhanes.names()));
    /// # Ok(()) }
    /// ```
    pub fn complete(&self, i: usize) -> Result<DataTable, MiError> {
        let chain = self.chains.get(i).ok_or_else(|| {
            input_error(format!("imputation {i} does not exist (m = {})", self.m))
        })?;
        let columns = self
            .names
            .iter()
            .zip(&self.kinds)
            .zip(chain)
            .zip(&self.written)
            .enumerate()
            .map(|(k, (((name, kind), vals), written))| {
                // A column with no method keeps its missing cells missing.
                let imputed = !matches!(self.methods.get(k), Some((_, Method::None)));
                let observed = &self.observed[k];
                let kept = |row: usize| imputed || observed[row];
                match kind {
                    // Observed cells keep the file's spelling; imputed ones (missing in the file)
                    // have none.
                    Kind::Numeric => Column {
                        written: written.clone(),
                        ..Column::numeric(
                            name,
                            vals.iter()
                                .enumerate()
                                .map(|(r, v)| kept(r).then_some(*v))
                                .collect(),
                        )
                    },
                    Kind::Categorical(levels) => Column {
                        data: ColumnData::Categorical {
                            codes: vals
                                .iter()
                                .enumerate()
                                .map(|(r, v)| kept(r).then_some(*v as u32))
                                .collect(),
                            levels: levels.clone(),
                        },
                        ..Column::numeric(name, Vec::new())
                    },
                }
            })
            .collect();
        Ok(DataTable::new(
            &format!("{} (imputation {})", self.source, i + 1),
            columns,
        )?)
    }

    /// The imputed values of `column` in imputation `i` (missing rows in row order).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::datasets;
    /// use trialstats_mi::Mice;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let nhanes = datasets::nhanes()?;
    /// let imp = Mice::new(&nhanes)?.m(2).run(None)?;
    /// // R: sum(is.na(nhanes$bmi)) = 9; pmm imputes observed values only.
    /// let bmi = imp.imputed_values("bmi", 0).ok_or("no bmi")?;
    /// let observed: Vec<f64> = nhanes.numeric("bmi")?.iter().flatten().copied().collect();
    /// assert_eq!(bmi.len(), 9);
    /// assert!(bmi.iter().all(|v| observed.contains(v)));
    /// assert!(imp.imputed_values("bmi", 2).is_none() && imp.imputed_values("weight", 0).is_none());
    /// # Ok(()) }
    /// ```
    pub fn imputed_values(&self, column: &str, i: usize) -> Option<Vec<f64>> {
        let j = self.names.iter().position(|n| n == column)?;
        let chain = self.chains.get(i)?;
        if matches!(self.methods.get(j), Some((_, Method::None))) {
            // Not imputed: nothing to report (a complete column, or one left missing).
            return Some(Vec::new());
        }
        Some(
            chain[j]
                .iter()
                .zip(&self.observed[j])
                .filter(|(_, o)| !**o)
                .map(|(v, _)| *v)
                .collect(),
        )
    }

    /// Fits `analysis` on every completed data set and pools the results by Rubin's rules.
    ///
    /// # Errors
    /// The first analysis error (with its imputation), or a pooling error.
    ///
    /// `df_complete` is the complete-data residual df (`f64::INFINITY` for large-sample models);
    /// `level` the confidence level of the pooled intervals.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Inference, Level};
    /// use trialstats_data::{DataTable, Formula, FrameOptions, ModelFrame, datasets};
    /// use trialstats_mi::Mice;
    /// use trialstats_robust::{Ols, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The complete-data analysis: lm(chl ~ age + bmi) with classical standard errors.
    /// fn lm(t: &DataTable) -> Result<Inference, Box<dyn std::error::Error + Send + Sync>> {
    ///     let mf = ModelFrame::new(t, &Formula::parse("chl ~ age + bmi")?, &FrameOptions::default())?;
    ///     Ok(Ols::new(&mf.x, mf.y()?)?.names(&mf.column_names)?.fit()?.infer(&Vcov::Iid, Level::P95)?)
    /// }
    /// let imp = Mice::new(&datasets::nhanes()?)?.m(5).run(None)?;
    /// let pooled = imp.analyse(22.0, Level::P95, lm)?; // complete-data df: 25 rows − 3 coefficients
    /// let terms: Vec<&str> = pooled.terms.iter().map(|t| t.term.as_str()).collect();
    /// assert_eq!((pooled.m, terms), (5, vec!["(Intercept)", "age", "bmi"]));
    /// // Barnard–Rubin df are below the complete-data df; fmi is a fraction.
    /// assert!(pooled.terms.iter().all(|t| t.df > 0.0 && t.df < 22.0 && (0.0..=1.0).contains(&t.fmi)));
    /// # Ok(()) }
    /// ```
    pub fn analyse<E, Er, F>(
        &self,
        df_complete: f64,
        level: Level,
        mut analysis: F,
    ) -> Result<Pooled, MiError>
    where
        E: Estimates,
        Er: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: FnMut(&DataTable) -> Result<E, Er>,
    {
        let mut fits = Vec::with_capacity(self.m);
        for i in 0..self.m {
            let table = self.complete(i)?;
            fits.push(analysis(&table).map_err(|e| MiError::Analysis {
                imputation: i + 1,
                source: AnalysisFailure::new(e),
            })?);
        }
        pool(&fits, df_complete, level)
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test, reported with its value.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Type-1 matching by its definition, one target at a time: the target's place among the
    /// sorted predictions by binary search, then the window of `donors` grown toward the nearer
    /// side (left on a tie); equal predictions in row order.
    fn pmm_by_definition(
        fitted: &[f64],
        targets: &[f64],
        y: &[f64],
        donors: usize,
        rng: &mut Rng,
    ) -> Vec<f64> {
        let mut rows: Vec<usize> = (0..fitted.len()).collect();
        // Equal predictions (−0 and +0 among them) in row order.
        rows.sort_by(|&a, &b| fitted[a].partial_cmp(&fitted[b]).unwrap().then(a.cmp(&b)));
        let sorted: Vec<f64> = rows.iter().map(|&r| fitted[r]).collect();
        let n = sorted.len();
        let windows: Vec<usize> = targets
            .iter()
            .map(|&t| {
                let pos = sorted.partition_point(|&v| v < t);
                let (mut lo, mut hi) = (pos, pos);
                while hi - lo < donors {
                    if lo > 0 && (hi == n || t - sorted[lo - 1] <= sorted[hi] - t) {
                        lo -= 1;
                    } else {
                        hi += 1;
                    }
                }
                lo
            })
            .collect();
        windows
            .iter()
            .map(|&lo| y[rows[lo + rng.below(donors as u64) as usize]])
            .collect()
    }

    #[test]
    fn matching_sweep_equals_the_definition() {
        let mut data = Rng::seed_from(11);
        for case in 0..200 {
            let n_obs = 1 + data.below(60) as usize;
            let n_mis = data.below(40) as usize;
            // Some cases on a coarse grid, so that predictions and targets tie.
            let grid = case % 2 == 0;
            let draw = |r: &mut Rng| {
                let v = 3.0 * r.normal();
                if grid { v.round() } else { v }
            };
            let fitted: Vec<f64> = (0..n_obs).map(|_| draw(&mut data)).collect();
            let targets: Vec<f64> = (0..n_mis).map(|_| draw(&mut data)).collect();
            let y: Vec<f64> = (0..n_obs).map(|i| i as f64).collect();
            let donors = (1 + case % 7).min(n_obs);
            let (mut a, mut b) = (Rng::seed_from(case as u64), Rng::seed_from(case as u64));
            assert_eq!(
                pmm_match(&fitted, &targets, &y, donors, &mut a),
                pmm_by_definition(&fitted, &targets, &y, donors, &mut b),
                "case {case}"
            );
        }
    }
}
