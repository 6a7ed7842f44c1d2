//! Least squares and the logit on a DataFusion table, from the aggregates of
//! [`crate::aggregate`].

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::logical_expr::{Expr, ExprFunctionExt, lit};
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::prelude::SessionContext;
use nalgebra::{DMatrix, DVector};
use trialstats_core::compensated::Dd;
use trialstats_core::linalg::Spd;
use trialstats_core::{Clusters, Convergence, Inference, Level, LinalgError, Termination};
use trialstats_data::Formula;
use trialstats_robust::RobustError;
use trialstats_sandwich::{
    ClusterStatistics, CrType, HcType, ModelKind, inference_from_covariance, vcov_cluster_from,
    vcov_hc_from, vcov_iid_from,
};

use crate::aggregate::{StatisticsUdaf, Sums, logit_step, ls_scores, moments};
use crate::design::{Counts, Prepared, case, column, prepare};
use crate::error::ScaleError;

/// The standard errors of a fit on a DataFusion table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Se {
    /// Classical (least squares) or model-based (logit).
    Iid,
    /// Heteroskedasticity-robust, one observation per cluster (least squares).
    Hc(HcType),
    /// Cluster-robust, clustered by a column of the table.
    Cluster {
        /// The cluster column.
        column: String,
        /// CR0–CR3.
        kind: CrType,
    },
}

/// Where a fit is: the pass over the data (numbered from 1; the logit makes one per Newton
/// step) and the rows it has read of the rows it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    /// What the pass computes (`moments`, `scores`, `Newton step`, `cluster scores`).
    pub pass: &'a str,
    /// 1 for the first pass over the rows.
    pub pass_number: usize,
    /// Complete rows read so far in this pass.
    pub rows_done: u64,
    /// Rows the pass reads: the complete rows, or, in a first pass that also counts them, the
    /// table's rows if its statistics know them (Parquet footers), else 0 (not known).
    pub rows_total: u64,
}

/// A progress callback: called from the threads that read the data, once per batch of rows.
pub type ProgressFn = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

/// Options of [`ols`] and [`logit`].
#[derive(Clone)]
pub struct FitOptions {
    /// The standard errors.
    pub se: Se,
    /// The confidence level of the intervals.
    pub level: Level,
    /// The logit's Newton iterations at most.
    pub max_iterations: u32,
    /// Told the progress of each pass over the data, if given.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for FitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions")
            .field("se", &self.se)
            .field("level", &self.level)
            .field("max_iterations", &self.max_iterations)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            se: Se::Iid,
            level: Level::P95,
            max_iterations: 50,
            progress: None,
        }
    }
}

impl FitOptions {
    /// CR1 clustered by `column` (Stata's `vce(cluster column)`).
    pub fn cr1(column: &str) -> Self {
        Self {
            se: Se::Cluster {
                column: column.to_owned(),
                kind: CrType::Cr1,
            },
            ..Self::default()
        }
    }
}

/// A model fitted on a DataFusion table: the same [`Inference`] as the in-memory crates, with
/// what listwise deletion dropped and the fit statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleFit {
    /// `ols` or `logit`.
    pub model: &'static str,
    /// The coefficient table and covariance.
    pub inference: Inference,
    /// Rows in the table.
    pub nobs_total: usize,
    /// Rows dropped for missing values.
    pub dropped: usize,
    /// Missing values per model variable.
    pub missing_by_variable: Vec<(String, usize)>,
    /// Number of clusters, when clustered.
    pub n_clusters: Option<usize>,
    /// Residual sum of squares (least squares).
    pub rss: Option<f64>,
    /// R² (least squares; centred when the model has an intercept, as R's `summary.lm`).
    pub r_squared: Option<f64>,
    /// σ̂ = √(RSS/(N − K)) (least squares).
    pub sigma: Option<f64>,
    /// The log-likelihood (logit).
    pub loglik: Option<f64>,
    /// The log-likelihood of the intercept-only logit (for the LR test and pseudo-R²).
    pub null_loglik: Option<f64>,
    /// Warnings for the reader (rows dropped, levels unused).
    pub warnings: Vec<String>,
}

/// The value of one aggregate per group (`keys` empty: the one ungrouped value), with the
/// groups' labels, sorted by label so that nothing depends on the order partitions finish in,
/// and the values of the counting aggregates `counts` in the same query (summed over the
/// groups). `filter`: the rows the aggregate reads (SQL's `FILTER (WHERE …)`); groups where it
/// read no row are left out.
#[allow(clippy::too_many_arguments)]
async fn aggregate(
    df: &DataFrame,
    source: &str,
    keys: Option<&str>,
    udaf: &StatisticsUdaf,
    args: Vec<Expr>,
    (q, l): (usize, usize),
    pass: &Pass<'_>,
    filter: Option<&Expr>,
    counts: &[Expr],
) -> Result<(Vec<(String, Sums)>, Vec<usize>), ScaleError> {
    let group: Vec<Expr> = keys.map(|k| vec![column(k).alias("g")]).unwrap_or_default();
    let offset = group.len();
    let udaf = pass.observe(udaf);
    let call = match filter {
        Some(f) => udaf
            .call(args)
            .filter(f.clone())
            .build()
            .map_err(|e| ScaleError::engine(source, e))?,
        None => udaf.call(args),
    };
    let mut aggs = vec![call.alias("s")];
    aggs.extend(
        counts
            .iter()
            .enumerate()
            .map(|(j, c)| c.clone().alias(format!("c{j}"))),
    );
    let batches: Vec<RecordBatch> = df
        .clone()
        .aggregate(group, aggs)
        .map_err(|e| ScaleError::engine(source, e))?
        .collect()
        .await
        .map_err(|e| ScaleError::engine(source, e))?;
    let mut out = Vec::new();
    let mut totals = vec![0_u64; counts.len()];
    for b in &batches {
        let s = b.column(offset);
        let Some(list) = s.as_list_opt::<i32>() else {
            return Err(ScaleError::engine(
                source,
                "an aggregate that is not a list",
            ));
        };
        let mut columns = Vec::with_capacity(counts.len());
        for j in 0..counts.len() {
            let c = cast(b.column(offset + 1 + j), &DataType::UInt64)
                .map_err(|e| ScaleError::engine(source, e))?;
            columns.push(c);
        }
        for i in 0..b.num_rows() {
            for (t, c) in totals.iter_mut().zip(&columns) {
                let c = c.as_primitive::<UInt64Type>();
                if c.is_valid(i) {
                    *t += c.value(i);
                }
            }
            let sums = Sums::from_list(list, i, q, l).map_err(|e| ScaleError::engine(source, e))?;
            if sums.n == 0 {
                continue;
            }
            let label = match keys {
                Some(_) => array_value_to_string(b.column(0), i)
                    .map_err(|e| ScaleError::engine(source, e))?,
                None => String::new(),
            };
            out.push((label, sums));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((out, totals.into_iter().map(|t| t as usize).collect()))
}

/// The rows a table holds, if its statistics know them (Parquet's footers), else 0.
async fn rows_hint(df: &DataFrame) -> u64 {
    let Ok(plan) = df.clone().create_physical_plan().await else {
        return 0;
    };
    StatisticsContext::new()
        .compute(plan.as_ref(), &StatisticsArgs::new())
        .ok()
        .and_then(|s| s.num_rows.get_value().copied())
        .unwrap_or(0) as u64
}

/// Reports the passes of one fit to its progress callback.
struct Pass<'a> {
    progress: Option<&'a ProgressFn>,
    name: std::sync::Mutex<&'static str>,
    number: AtomicUsize,
    rows_total: AtomicU64,
}

impl<'a> Pass<'a> {
    fn new(options: &'a FitOptions, rows_total: u64) -> Self {
        Self {
            progress: options.progress.as_ref(),
            name: std::sync::Mutex::new(""),
            number: AtomicUsize::new(0),
            rows_total: AtomicU64::new(rows_total),
        }
    }

    /// The rows the next passes read.
    fn set_total(&self, rows: usize) {
        self.rows_total.store(rows as u64, Ordering::Relaxed);
    }

    /// Starts the next pass, named `name`.
    fn start(&self, name: &'static str) -> &Self {
        if let Ok(mut n) = self.name.lock() {
            *n = name;
        }
        self.number.fetch_add(1, Ordering::Relaxed);
        self
    }

    /// `udaf` telling this pass's callback the rows it reads.
    fn observe(&self, udaf: &StatisticsUdaf) -> StatisticsUdaf {
        let Some(progress) = self.progress else {
            return udaf.clone();
        };
        let progress = Arc::clone(progress);
        let done = Arc::new(AtomicU64::new(0));
        let pass = self.name.lock().map(|n| *n).unwrap_or("");
        let number = self.number.load(Ordering::Relaxed);
        let total = self.rows_total.load(Ordering::Relaxed);
        udaf.clone().observed(Arc::new(move |rows| {
            let rows_done = done.fetch_add(rows, Ordering::Relaxed) + rows;
            progress(Progress {
                pass,
                pass_number: number,
                rows_done: rows_done.min(total),
                rows_total: total,
            });
        }))
    }
}

/// A model's rows and columns on the table.
struct Frame {
    prepared: Prepared,
    /// The table.
    all: DataFrame,
    /// The complete rows.
    rows: DataFrame,
    /// The design columns, then the response.
    z: Vec<Expr>,
    /// Design columns.
    k: usize,
}

/// The design of `formula` on `df`.
async fn frame(
    df: &DataFrame,
    source: &str,
    formula: &Formula,
    clusters: &[String],
    binary: bool,
) -> Result<Frame, ScaleError> {
    let prepared = prepare(df, source, formula, clusters, binary).await?;
    let k = prepared.names.len();
    let rows = df
        .clone()
        .filter(prepared.complete.clone())
        .map_err(|e| ScaleError::engine(source, e))?;
    let mut z = prepared.x.clone();
    z.push(prepared.y.clone());
    Ok(Frame {
        prepared,
        all: df.clone(),
        rows,
        z,
        k,
    })
}

impl Frame {
    /// A progress reporter for the fit's passes.
    async fn pass<'a>(&self, options: &'a FitOptions) -> Pass<'a> {
        let total = match &self.prepared.deletion.counts {
            Some(c) => c.nobs as u64,
            None if options.progress.is_some() => rows_hint(&self.all).await,
            None => 0,
        };
        Pass::new(options, total)
    }

    /// The fit's first pass: `udaf` of the design and response on the complete rows, grouped
    /// by `keys`, with the counting aggregates `counts`. When listwise deletion has not been
    /// counted yet (no factor needed a look at the data), its counts are folded into the same
    /// query, so the table is read once; the design is then checked to have more complete rows
    /// than columns. Returns the states and the values of `counts`.
    async fn first_pass(
        &mut self,
        source: &str,
        keys: Option<&str>,
        udaf: &StatisticsUdaf,
        ql: (usize, usize),
        pass: &Pass<'_>,
        counts: Vec<Expr>,
    ) -> Result<(Vec<(String, Sums)>, Vec<usize>), ScaleError> {
        let m = counts.len();
        let counted = self.prepared.deletion.counts.is_some();
        let mut all = counts;
        let (rows, filter) = if counted {
            (&self.rows, None)
        } else {
            all.extend(self.prepared.deletion.exprs.iter().cloned());
            (&self.all, Some(&self.prepared.complete))
        };
        let (states, values) = aggregate(
            rows,
            source,
            keys,
            udaf,
            self.z.clone(),
            ql,
            pass,
            filter,
            &all,
        )
        .await?;
        if !counted {
            let complete = states.iter().map(|(_, s)| s.n as usize).sum();
            let deletion = &mut self.prepared.deletion;
            deletion.counts = Some(deletion.record(values[m], complete, &values[m + 1..])?);
        }
        let n = self.n();
        if n <= self.k {
            return Err(RobustError::TooFewObservations { nobs: n, k: self.k }.into());
        }
        pass.set_total(n);
        Ok((states, values[..m].to_vec()))
    }

    /// The first pass of both fits: the moments Σ zzᵀ of the design and response (grouped by
    /// `keys`), with the counting aggregates `counts` (see [`Frame::first_pass`]).
    async fn moments_pass(
        &mut self,
        source: &str,
        keys: Option<&str>,
        pass: &Pass<'_>,
        counts: Vec<Expr>,
    ) -> Result<(Vec<(String, Sums)>, Vec<usize>), ScaleError> {
        let q = self.k + 1;
        self.first_pass(
            source,
            keys,
            &moments(q),
            (q, 0),
            pass.start("moments"),
            counts,
        )
        .await
    }

    /// The complete rows (0 before the first pass has counted them).
    fn n(&self) -> usize {
        self.prepared.deletion.counts.as_ref().map_or(0, |c| c.nobs)
    }

    /// What listwise deletion dropped, for the fit's results (after the first pass).
    fn counts(&self) -> Counts {
        self.prepared
            .deletion
            .counts
            .clone()
            .unwrap_or_else(|| Counts {
                nobs_total: 0,
                nobs: 0,
                by_variable: Vec::new(),
                warnings: Vec::new(),
            })
    }
}

/// The total of the exact sums of several states.
fn total(states: &[(String, Sums)]) -> Vec<Dd> {
    let s = states.first().map_or(0, |(_, x)| x.exact.len());
    let mut t = vec![Dd::ZERO; s];
    for (_, x) in states {
        for (a, b) in t.iter_mut().zip(&x.exact) {
            *a = *a + *b;
        }
    }
    t
}

/// Index of (a, b), a ≤ b, in a packed upper triangle.
fn upper(a: usize, b: usize) -> usize {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    b * (b + 1) / 2 + a
}

/// Checks X'X for aliased columns by R's rule, as a Cholesky factorisation of the
/// column-equilibrated matrix sees it (the pivot of column j is its squared distance from the
/// earlier columns, relative to its own squared norm; R's `lm` aliases it below 10⁻⁷ in norm).
fn check_aliasing(xtx: &DMatrix<f64>, names: &[String]) -> Result<(), LinalgError> {
    let k = xtx.nrows();
    let d: Vec<f64> = (0..k)
        .map(|j| {
            let v = xtx[(j, j)];
            if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 }
        })
        .collect();
    let mut l = DMatrix::<f64>::zeros(k, k);
    let mut aliased = Vec::new();
    for j in 0..k {
        let mut pivot = xtx[(j, j)] * d[j] * d[j];
        for p in 0..j {
            pivot -= l[(j, p)] * l[(j, p)];
        }
        if d[j] == 0.0 || pivot <= trialstats_core::linalg::QR_TOLERANCE.powi(2) {
            aliased.push(names[j].clone());
            continue;
        }
        let ljj = pivot.sqrt();
        l[(j, j)] = ljj;
        for i in j + 1..k {
            let mut v = xtx[(i, j)] * d[i] * d[j];
            for p in 0..j {
                v -= l[(i, p)] * l[(j, p)];
            }
            l[(i, j)] = v / ljj;
        }
    }
    if aliased.is_empty() {
        Ok(())
    } else {
        Err(LinalgError::Aliased {
            rank: k - aliased.len(),
            ncol: k,
            columns: aliased,
        })
    }
}

/// β solving (XᵀX)β = Xᵀy, refined against the double-double sums until the residual of the
/// normal equations is below the double result's last bit.
fn solve_refined(
    xtx_exact: &[Dd],
    xty_exact: &[Dd],
    spd: &Spd,
) -> Result<DVector<f64>, LinalgError> {
    let k = xty_exact.len();
    let rhs = DVector::from_iterator(k, xty_exact.iter().map(|d| d.value()));
    let mut beta = spd.solve(&rhs)?;
    for _ in 0..3 {
        let r = DVector::from_iterator(
            k,
            (0..k).map(|a| {
                let mut acc = xty_exact[a];
                for (b, &bb) in beta.iter().enumerate() {
                    acc = acc - xtx_exact[upper(a, b)] * bb;
                }
                acc.value()
            }),
        );
        let delta = spd.solve(&r)?;
        let done = delta
            .iter()
            .zip(beta.iter())
            .all(|(d, b)| d.abs() <= f64::EPSILON * b.abs());
        beta += delta;
        if done {
            break;
        }
    }
    Ok(beta)
}

/// Fits least squares on `df` (a DataFusion table whose files or name `source` names in
/// messages), with the standard errors of `options`.
///
/// # Formula
/// One query sums zᵢzᵢᵀ for zᵢ = (xᵢ, yᵢ) over the complete rows (per cluster when clustered):
/// XᵀX, Xᵀy and yᵀy, in double-double. β̂ solves the normal equations by Cholesky, refined
/// against the double-double sums; RSS = yᵀy − 2β̂ᵀXᵀy + β̂ᵀXᵀXβ̂ and the cluster score sums
/// X_gᵀy_g − X_gᵀX_gβ̂ are evaluated in double-double, so neither loses digits to
/// cancellation. The covariances are those of `trialstats_sandwich` (iid σ̂²(XᵀX)⁻¹;
/// CR0–CR3 from the per-cluster statistics, CR3 by the leave-cluster-out identity); HC0–HC3
/// take a second query once β̂ and (XᵀX)⁻¹ are known.
///
/// # Errors
/// [`ScaleError::Data`] for an unknown column, a level or a formula (as the in-memory frame);
/// [`ScaleError::NotNumericType`]; [`ScaleError::Engine`] for files that cannot be read and
/// values that are not finite; [`ScaleError::Linalg`] naming aliased columns;
/// [`ScaleError::Sandwich`] for fewer than two clusters.
///
/// # Examples
/// ```
/// use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::prelude::SessionContext;
/// use std::sync::Arc;
/// use trialstats_datafusion::{FitOptions, ols_table};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("y", DataType::Float64, true),
///     Field::new("x", DataType::Float64, true),
///     Field::new("g", DataType::Int64, true),
/// ]));
/// let batch = RecordBatch::try_new(schema, vec![
///     Arc::new(Float64Array::from(vec![2.1, 3.9, 1.5, 5.2, 4.1, 3.3, 1.8, 2.2, 3.9, 6.1, 4.4, 2.0])),
///     Arc::new(Float64Array::from(vec![1.2, 2.3, 0.7, 3.1, 2.8, 1.9, 0.4, 1.6, 2.2, 3.5, 2.9, 1.1])),
///     Arc::new(Int64Array::from(vec![1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])),
/// ])?;
/// let ctx = SessionContext::new();
/// ctx.register_batch("d", batch)?;
/// let fit = ols_table(&ctx, "d", "y ~ x", &FitOptions::cr1("g")).await?;
/// // R: sqrt(diag(sandwich::vcovCL(lm(y ~ x, d), cluster = ~g, type = "HC1")))[2]
/// assert!((fit.inference.coefficients[1].std_error - 0.11771353286507935).abs() < 1e-14);
/// # Ok(()) }
/// ```
pub async fn ols(
    df: &DataFrame,
    source: &str,
    formula: &str,
    options: &FitOptions,
) -> Result<ScaleFit, ScaleError> {
    let formula = Formula::parse(formula)?;
    let cluster = match &options.se {
        Se::Cluster { column, .. } => Some(column.clone()),
        _ => None,
    };
    let mut frame = frame(df, source, &formula, cluster.as_slice(), false).await?;
    let pass = frame.pass(options).await;
    let k = frame.k;
    let (states, _) = frame
        .moments_pass(source, cluster.as_deref(), &pass, Vec::new())
        .await?;
    let (n, counts) = (frame.n(), frame.counts());
    let Frame {
        prepared, rows, z, ..
    } = frame;
    let names = &prepared.names;
    let exact = total(&states);
    let xtx = DMatrix::from_fn(k, k, |a, b| exact[upper(a, b)].value());
    let xty: Vec<Dd> = (0..k).map(|a| exact[upper(a, k)]).collect();
    let yty = exact[upper(k, k)];
    let linalg = |error: LinalgError| ScaleError::Linalg {
        source_name: source.to_owned(),
        error,
    };
    check_aliasing(&xtx, names).map_err(linalg)?;
    let spd = Spd::new(xtx.clone(), "X'X").map_err(linalg)?;
    let beta = solve_refined(&exact, &xty, &spd).map_err(linalg)?;
    let bread = spd.inverse();
    // RSS = yᵀy − 2βᵀXᵀy + βᵀXᵀXβ in double-double.
    let mut rss = yty;
    for a in 0..k {
        rss = rss - xty[a] * (2.0 * beta[a]);
        for b in 0..k {
            rss = rss + exact[upper(a, b)] * beta[a] * beta[b];
        }
    }
    let rss = rss.value().max(0.0);
    // Centred TSS with an intercept (Σy = the intercept's entry of Xᵀy), uncentred without.
    let tss = if prepared.intercept {
        let sy = xty[0].value();
        (yty - Dd::from(sy) * (sy / n as f64)).value()
    } else {
        yty.value()
    };
    if tss <= 0.0 {
        return Err(RobustError::ConstantResponse {
            value: if n > 0 {
                xty[0].value() / n as f64
            } else {
                0.0
            },
            n,
        }
        .into());
    }
    let df_resid = n - k;
    let kind = ModelKind::Linear { df_resid };
    let sigma2 = rss / df_resid as f64;
    let (cov, n_clusters) = match &options.se {
        Se::Iid => (vcov_iid_from(&bread, kind, sigma2), None),
        Se::Hc(t) => {
            let power = match t {
                HcType::Hc0 | HcType::Hc1 => 0,
                HcType::Hc2 => 1,
                _ => 2,
            };
            let (meat_states, _) = aggregate(
                &rows,
                source,
                None,
                &ls_scores(beta.as_slice(), &bread, power),
                z,
                (k, 0),
                pass.start("scores"),
                None,
                &[],
            )
            .await?;
            let meat = meat_states
                .first()
                .map(|(_, s)| s.gram.clone())
                .unwrap_or_else(|| DMatrix::zeros(k, k));
            (vcov_hc_from(&bread, &meat, *t, n, kind), None)
        }
        Se::Cluster { column, kind: cr } => {
            let labels: Vec<&str> = states.iter().map(|(l, _)| l.as_str()).collect();
            let clusters = Clusters::from_labels(column, &labels)?;
            let g = states.len();
            let mut xtx_g = Vec::with_capacity(g);
            let mut scores = DMatrix::zeros(g, k);
            for (gi, (_, s)) in states.iter().enumerate() {
                xtx_g.push(DMatrix::from_fn(k, k, |a, b| s.gram[(a, b)]));
                for a in 0..k {
                    let mut acc = s.exact[upper(a, k)];
                    for (b, &bb) in beta.iter().enumerate() {
                        acc = acc - s.exact[upper(a, b)] * bb;
                    }
                    scores[(gi, a)] = acc.value();
                }
            }
            let stats = ClusterStatistics {
                xtx: Cow::Owned(xtx_g),
                scores: Cow::Owned(scores),
            };
            (
                vcov_cluster_from(&bread, &stats, &clusters, *cr, n, kind)?,
                Some(g),
            )
        }
    };
    let inference = inference_from_covariance(names, &beta, n, cov, options.level)?;
    Ok(ScaleFit {
        model: "ols",
        inference,
        nobs_total: counts.nobs_total,
        dropped: counts.nobs_total - n,
        missing_by_variable: counts.by_variable,
        n_clusters,
        rss: Some(rss),
        r_squared: Some(1.0 - rss / tss),
        sigma: Some(sigma2.sqrt()),
        loglik: None,
        null_loglik: None,
        warnings: counts.warnings,
    })
}

/// Fits the logit on `df` by Newton–Raphson, one query per step, with the standard errors of
/// `options` (iid: the inverse observed information; CR0–CR3 clustered by a column).
///
/// # Formula
/// Each step sums, at the current β, the information Σ pᵢ(1 − pᵢ)xᵢxᵢᵀ, the score
/// Σ (yᵢ − pᵢ)xᵢ and the log-likelihood in one query (double-double) and moves by the Newton step,
/// halved while the log-likelihood falls. It starts at β = 0 with the intercept at logit(ȳ), as
/// the in-memory fit, and stops when the Newton step is below 10⁻¹³ relative to the
/// coefficients (quadratic convergence makes the last step's error negligible). The cluster
/// score sums Σ_{i∈g}(yᵢ − pᵢ)xᵢ at β̂ take one grouped query.
///
/// # Errors
/// As [`ols`]; [`ScaleError::NotBinary`] for a response other than 0/1 (or two text levels);
/// [`RobustError::NotConverged`] (separation shows as coefficients that do not settle);
/// [`ScaleError::Unsupported`] for HC standard errors.
pub async fn logit(
    df: &DataFrame,
    source: &str,
    formula: &str,
    options: &FitOptions,
) -> Result<ScaleFit, ScaleError> {
    let formula = Formula::parse(formula)?;
    let cluster = match &options.se {
        Se::Cluster { column, .. } => Some(column.clone()),
        Se::Hc(t) => {
            return Err(ScaleError::Unsupported {
                what: format!("{t:?} for the logit"),
                reason: "use iid or a cluster-robust covariance, or --engine memory".into(),
            });
        }
        Se::Iid => None,
    };
    let mut frame = frame(df, source, &formula, cluster.as_slice(), true).await?;
    let pass = frame.pass(options).await;
    let k = frame.k;
    // The moments (XᵀX for the aliasing check, Σy for the start) and the count of response
    // values other than 0 and 1, in one query.
    let y = frame.prepared.y.clone();
    let not_binary = frame
        .prepared
        .complete
        .clone()
        .and(y.clone().not_eq(lit(0.0)))
        .and(y.clone().not_eq(lit(1.0)));
    let (first, values) = frame
        .moments_pass(source, None, &pass, vec![sum(case(not_binary.clone())?)])
        .await?;
    let (n, counts) = (frame.n(), frame.counts());
    let Frame {
        prepared, rows, z, ..
    } = frame;
    let names = &prepared.names;
    let exact = total(&first);
    let sy = exact[upper(k, k)].value();
    let check = if values.first().copied().unwrap_or(0) > 0 {
        rows.clone()
            .filter(not_binary)
            .map_err(|e| ScaleError::engine(source, e))?
            .limit(0, Some(1))
            .map_err(|e| ScaleError::engine(source, e))?
            .select(vec![y.clone().alias("y")])
            .map_err(|e| ScaleError::engine(source, e))?
            .collect()
            .await
            .map_err(|e| ScaleError::engine(source, e))?
    } else {
        Vec::new()
    };
    if let Some(b) = check.iter().find(|b| b.num_rows() > 0) {
        let v = b
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        return Err(ScaleError::NotBinary {
            source_name: source.to_owned(),
            column: formula.response.clone(),
            detail: format!("holds {}", v.value(0)),
        });
    }
    let xtx = DMatrix::from_fn(k, k, |a, b| exact[upper(a, b)].value());
    let linalg = |error: LinalgError| ScaleError::Linalg {
        source_name: source.to_owned(),
        error,
    };
    check_aliasing(&xtx, names).map_err(linalg)?;
    let ybar = sy / n as f64;
    // Σy counts the 1s exactly.
    if sy <= 0.0 || sy >= n as f64 {
        return Err(RobustError::ConstantOutcome { value: ybar, n }.into());
    }
    let mut beta = DVector::zeros(k);
    let intercept = prepared.intercept.then_some(0);
    if let Some(j) = intercept {
        beta[j] = (ybar / (1.0 - ybar)).ln();
    }
    let eval = |b: DVector<f64>| {
        let rows = rows.clone();
        let z = z.clone();
        let pass = &pass;
        async move {
            let (s, _) = aggregate(
                &rows,
                source,
                None,
                &logit_step(b.as_slice()),
                z,
                (k, k + 1),
                pass.start("Newton step"),
                None,
                &[],
            )
            .await?;
            s.into_iter()
                .next()
                .map(|(_, s)| s)
                .ok_or_else(|| ScaleError::engine(source, "no rows"))
        }
    };
    let mut current = eval(beta.clone()).await?;
    let mut iterations = 0;
    let status = loop {
        if iterations >= options.max_iterations {
            break Termination::MaxIterations;
        }
        let info = Spd::new(current.gram.clone(), "X'WX").map_err(linalg)?;
        let score = current.extra.rows(0, k).into_owned();
        let step = info.solve(&score).map_err(linalg)?;
        let ll = current.extra[k];
        iterations += 1;
        let mut t = 1.0;
        let mut next = None;
        for _ in 0..30 {
            let candidate = &beta + &step * t;
            let s = eval(candidate.clone()).await?;
            if s.extra[k] >= ll - 1e-12 * ll.abs() {
                next = Some((candidate, s));
                break;
            }
            t *= 0.5;
        }
        let Some((candidate, s)) = next else {
            break Termination::StepHalvingFailed;
        };
        let small = step
            .iter()
            .zip(beta.iter())
            .all(|(d, b)| (d * t).abs() <= 1e-13 * (1.0 + b.abs()));
        beta = candidate;
        current = s;
        if small {
            break Termination::Converged;
        }
    };
    let convergence = Convergence {
        iterations,
        max_abs_gradient: current
            .extra
            .rows(0, k)
            .iter()
            .fold(0.0_f64, |m, v| m.max(v.abs())),
        hessian_condition: trialstats_core::linalg::condition_number(&current.gram),
        status,
    };
    if !convergence.converged() {
        return Err(RobustError::NotConverged {
            model: "logit".into(),
            convergence,
        }
        .into());
    }
    let bread = Spd::new(current.gram.clone(), "X'WX")
        .map_err(linalg)?
        .inverse();
    let kind = ModelKind::Likelihood;
    let (cov, n_clusters) = match &options.se {
        Se::Cluster { column, kind: cr } => {
            let (groups, _) = aggregate(
                &rows,
                source,
                Some(column),
                &logit_step(beta.as_slice()),
                z,
                (k, k + 1),
                pass.start("cluster scores"),
                None,
                &[],
            )
            .await?;
            let labels: Vec<&str> = groups.iter().map(|(l, _)| l.as_str()).collect();
            let clusters = Clusters::from_labels(column, &labels)?;
            let g = groups.len();
            let scores = DMatrix::from_fn(g, k, |gi, a| groups[gi].1.extra[a]);
            let stats = ClusterStatistics {
                xtx: Cow::Owned(groups.iter().map(|(_, s)| s.gram.clone()).collect()),
                scores: Cow::Owned(scores),
            };
            (
                vcov_cluster_from(&bread, &stats, &clusters, *cr, n, kind)?,
                Some(g),
            )
        }
        _ => (vcov_iid_from(&bread, kind, 1.0), None),
    };
    let mut inference = inference_from_covariance(names, &beta, n, cov, options.level)?;
    inference.convergence = Some(convergence);
    let loglik = current.extra[k];
    let null_loglik = if prepared.intercept {
        let n1 = sy;
        let n0 = n as f64 - sy;
        Some(n1 * ybar.ln() + n0 * (1.0 - ybar).ln())
    } else {
        None
    };
    Ok(ScaleFit {
        model: "logit",
        inference,
        nobs_total: counts.nobs_total,
        dropped: counts.nobs_total - n,
        missing_by_variable: counts.by_variable,
        n_clusters,
        rss: None,
        r_squared: None,
        sigma: None,
        loglik: Some(loglik),
        null_loglik,
        warnings: counts.warnings,
    })
}

/// [`ols`] on the table registered as `table` in `ctx`.
///
/// # Errors
/// As [`ols`], and [`ScaleError::Engine`] if there is no such table.
pub async fn ols_table(
    ctx: &SessionContext,
    table: &str,
    formula: &str,
    options: &FitOptions,
) -> Result<ScaleFit, ScaleError> {
    let df = ctx
        .table(table)
        .await
        .map_err(|e| ScaleError::engine(table, e))?;
    ols(&df, table, formula, options).await
}

/// [`logit`] on the table registered as `table` in `ctx`.
///
/// # Errors
/// As [`logit`], and [`ScaleError::Engine`] if there is no such table.
pub async fn logit_table(
    ctx: &SessionContext,
    table: &str,
    formula: &str,
    options: &FitOptions,
) -> Result<ScaleFit, ScaleError> {
    let df = ctx
        .table(table)
        .await
        .map_err(|e| ScaleError::engine(table, e))?;
    logit(&df, table, formula, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliasing_names_the_column_r_would_drop() {
        // Columns 1, x, 2x: the third is aliased.
        let x = DMatrix::from_fn(6, 3, |i, j| match j {
            0 => 1.0,
            1 => i as f64,
            _ => 2.0 * i as f64,
        });
        let xtx = x.transpose() * &x;
        let names: Vec<String> = ["(Intercept)", "x", "x2"].map(String::from).to_vec();
        let err = check_aliasing(&xtx, &names).unwrap_err();
        assert_eq!(
            err,
            LinalgError::Aliased {
                columns: vec!["x2".into()],
                rank: 2,
                ncol: 3
            }
        );
        let ok = DMatrix::from_fn(6, 2, |i, j| if j == 0 { 1.0 } else { (i * i) as f64 });
        assert!(check_aliasing(&(ok.transpose() * &ok), &names[..2]).is_ok());
    }
}
