//! From a table and a formula to a design matrix: listwise deletion, treatment contrasts, R's
//! column names, cluster mapping and a rank check.

use std::collections::BTreeSet;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use trialstats_core::Clusters;
use trialstats_core::linalg::Qr;

use crate::error::DataError;
use crate::expr::Expr;
use crate::formula::{Formula, Term, Variable};
use crate::table::{ColumnData, DataTable};

/// Options of [`ModelFrame::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameOptions {
    /// Cluster columns (one for one-way clustering, two for two-way). Rows with a missing cluster
    /// id are dropped and counted, with a warning.
    pub clusters: Vec<String>,
    /// Whether to check the design for aliased columns (QR with R's tolerance). Default `true`;
    /// an estimator that factorises X itself may switch it off to save a pass over the data.
    pub check_rank: bool,
}

impl Default for FrameOptions {
    fn default() -> Self {
        Self {
            clusters: Vec::new(),
            check_rank: true,
        }
    }
}

/// The response of a model frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// A numeric response.
    Numeric(Vec<f64>),
    /// A categorical response: 0-based codes into `levels` (all levels of the column, sorted).
    Categorical {
        /// Code of each used row.
        codes: Vec<usize>,
        /// The column's levels.
        levels: Vec<String>,
    },
}

impl Response {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Response::Numeric(v) => v.len(),
            Response::Categorical { codes, .. } => codes.len(),
        }
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Rows dropped by listwise deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Dropped {
    /// 0-based indices of the dropped rows.
    pub rows: Vec<usize>,
    /// Missing values per model variable (a row missing in two variables counts in both).
    pub by_variable: Vec<(String, usize)>,
}

impl Dropped {
    /// Number of rows dropped.
    pub fn count(&self) -> usize {
        self.rows.len()
    }
}

/// The warnings of listwise deletion, worded as every engine of the workspace words them: the
/// rows dropped of `rows` with the missing values per variable (`by_variable`, the variables
/// without one left out of the list), then one warning per cluster variable with missing ids
/// (`clusters_missing`: name and count).
///
/// ```
/// use trialstats_data::design::deletion_warnings;
/// let w = deletion_warnings(3, 10, &[("y".into(), 2), ("x".into(), 0), ("g".into(), 1)], &[("g", 1)]);
/// assert_eq!(w, [
///     "3 of 10 rows dropped for missing values (missing per variable: y: 2, g: 1)",
///     "1 rows with a missing cluster id (`g`) were dropped",
/// ]);
/// ```
pub fn deletion_warnings(
    dropped: usize,
    rows: usize,
    by_variable: &[(String, usize)],
    clusters_missing: &[(&str, usize)],
) -> Vec<String> {
    let mut warnings = Vec::new();
    if dropped > 0 {
        let detail: Vec<String> = by_variable
            .iter()
            .filter(|(_, c)| *c > 0)
            .map(|(v, c)| format!("{v}: {c}"))
            .collect();
        warnings.push(format!(
            "{dropped} of {rows} rows dropped for missing values (missing per variable: {})",
            detail.join(", ")
        ));
    }
    for (name, missing) in clusters_missing {
        if *missing > 0 {
            warnings.push(format!(
                "{missing} rows with a missing cluster id (`{name}`) were dropped"
            ));
        }
    }
    warnings
}

/// Which design columns a term produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermColumns {
    /// The term label (`temp`, `a:b`, `(Intercept)`).
    pub label: String,
    /// First design column of the term.
    pub start: usize,
    /// Number of columns.
    pub len: usize,
}

/// A model frame: the response, the design matrix with R's column names, the clusters, and what
/// was dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFrame {
    /// The formula as given.
    pub formula: String,
    /// The response column's name.
    pub response_name: String,
    /// The response on the rows used.
    pub response: Response,
    /// The design matrix X (n × p, column-major).
    pub x: DMatrix<f64>,
    /// Column names as R's `model.matrix` gives them.
    pub column_names: Vec<String>,
    /// The columns each term produced.
    pub terms: Vec<TermColumns>,
    /// Cluster membership of the rows used, one per cluster column.
    pub clusters: Vec<Clusters>,
    /// 0-based indices (into the table) of the rows used.
    pub rows: Vec<usize>,
    /// Rows dropped for missing values.
    pub dropped: Dropped,
    /// Warnings for the reader (dropped rows, dropped levels).
    pub warnings: Vec<String>,
}

/// How a variable is coded in one term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Numeric,
    Contrasts,
    Indicators,
}

/// A resolved variable: its values on the table's rows, as numbers or level codes.
enum Values<'a> {
    Numeric(std::borrow::Cow<'a, [Option<f64>]>),
    Levels {
        codes: Vec<Option<usize>>,
        levels: Vec<String>,
    },
}

impl ModelFrame {
    /// Builds the model frame of `formula` on `table`.
    ///
    /// Rows with a missing value in the response, any variable or any cluster column are dropped
    /// and counted in [`ModelFrame::dropped`] (listwise deletion, as R's `na.omit`). Categorical
    /// variables use treatment contrasts with the first level (or `ref`) as reference; levels
    /// without rows after deletion are dropped with a warning. A factor appearing in an
    /// interaction without its marginal term is coded by indicators, by the rule of R's
    /// `model.matrix` (Chambers & Hastie 1992, p. 38); without an intercept, the first factor is
    /// coded by indicators.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`], [`DataError::MixedColumn`], [`DataError::NotNumeric`] (a
    /// categorical response is allowed, a mixed one is not), [`DataError::UnknownLevel`],
    /// [`DataError::TooFewLevels`], [`DataError::NoCompleteRows`], and
    /// [`DataError::Linalg`] with [`trialstats_core::LinalgError::Aliased`] naming aliased columns.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{datasets, Formula, FrameOptions, ModelFrame};
    /// let wine = datasets::wine().unwrap();
    /// let f = Formula::parse("rating ~ temp + contact").unwrap();
    /// let mf = ModelFrame::new(&wine, &f, &FrameOptions::default()).unwrap();
    /// assert_eq!(mf.column_names, ["(Intercept)", "tempwarm", "contactyes"]);
    /// assert_eq!(mf.x.nrows(), 72);
    /// ```
    pub fn new(
        table: &DataTable,
        formula: &Formula,
        options: &FrameOptions,
    ) -> Result<Self, DataError> {
        let file = table.source().to_owned();
        let n = table.nrows();
        // Resolve the response (computed for a transformed response).
        let computed;
        let response_col: &ColumnData = match &formula.response_expr {
            Some(e) => {
                computed = ColumnData::Numeric(evaluate(table, e, &formula.response)?);
                &computed
            }
            None => &table.column(&formula.response)?.data,
        };
        if let ColumnData::Mixed(v) = response_col {
            return Err(table.mixed_error(&formula.response, v));
        }
        // Resolve every right-hand-side variable once.
        let mut values: Vec<Values<'_>> = Vec::with_capacity(formula.variables.len());
        for var in &formula.variables {
            values.push(resolve(table, var)?);
        }
        // Resolve clusters.
        let mut cluster_labels: Vec<Vec<Option<String>>> = Vec::new();
        for name in &options.clusters {
            let col = table.column(name)?;
            if let ColumnData::Mixed(v) = &col.data {
                return Err(table.mixed_error(name, v));
            }
            cluster_labels.push((0..n).map(|i| col.data.text(i)).collect());
        }
        // Listwise deletion.
        let mut by_variable: Vec<(String, usize)> = Vec::new();
        let mut drop = vec![false; n];
        by_variable.push((
            formula.response.clone(),
            mark_missing(&mut drop, |i| response_col.is_missing(i)),
        ));
        for (var, vals) in formula.variables.iter().zip(&values) {
            let c = match vals {
                Values::Numeric(v) => mark_missing(&mut drop, |i| v[i].is_none()),
                Values::Levels { codes, .. } => mark_missing(&mut drop, |i| codes[i].is_none()),
            };
            by_variable.push((var.column.clone(), c));
        }
        for (name, labels) in options.clusters.iter().zip(&cluster_labels) {
            by_variable.push((
                name.clone(),
                mark_missing(&mut drop, |i| labels[i].is_none()),
            ));
        }
        // A column named twice (response and a factor() of it, say) is reported once.
        let mut seen = BTreeSet::new();
        by_variable.retain(|(name, _)| seen.insert(name.clone()));
        let rows: Vec<usize> = (0..n).filter(|&i| !drop[i]).collect();
        let dropped = Dropped {
            rows: (0..n).filter(|&i| drop[i]).collect(),
            by_variable,
        };
        // The table's warnings about the columns the model uses (a missing-value code read as a
        // value, say).
        let response_columns: Vec<&str> = match &formula.response_expr {
            Some(e) => e.columns(),
            None => vec![formula.response.as_str()],
        };
        let used: BTreeSet<&str> = response_columns
            .into_iter()
            .chain(formula.variables.iter().flat_map(|v| match &v.expr {
                Some(e) => e.columns(),
                None => vec![v.column.as_str()],
            }))
            .chain(options.clusters.iter().map(String::as_str))
            .collect();
        let mut warnings: Vec<String> = table
            .warnings()
            .iter()
            .filter(|(c, _)| used.contains(c.as_str()))
            .map(|(_, w)| w.clone())
            .collect();
        if rows.is_empty() {
            return Err(DataError::NoCompleteRows {
                file,
                dropped: dropped.count(),
                variables: dropped.by_variable.iter().map(|(v, _)| v.clone()).collect(),
            });
        }
        let clusters_missing: Vec<(&str, usize)> = options
            .clusters
            .iter()
            .zip(&cluster_labels)
            .map(|(name, labels)| (name.as_str(), labels.iter().filter(|l| l.is_none()).count()))
            .collect();
        warnings.extend(deletion_warnings(
            dropped.count(),
            n,
            &dropped.by_variable,
            &clusters_missing,
        ));
        // Response on the used rows.
        let response = match response_col {
            ColumnData::Numeric(v) => {
                Response::Numeric(rows.iter().filter_map(|&i| v[i]).collect())
            }
            ColumnData::Categorical { codes, levels } => Response::Categorical {
                codes: rows
                    .iter()
                    .filter_map(|&i| codes[i].map(|c| c as usize))
                    .collect(),
                levels: levels.clone(),
            },
            ColumnData::Mixed(v) => return Err(table.mixed_error(&formula.response, v)),
        };
        // Levels in use, with the reference first.
        let mut used_levels: Vec<Option<Vec<usize>>> = Vec::with_capacity(values.len());
        for (var, vals) in formula.variables.iter().zip(&values) {
            used_levels.push(match vals {
                Values::Numeric(_) => None,
                Values::Levels { codes, levels } => Some(level_order(
                    var,
                    codes,
                    levels,
                    &rows,
                    &file,
                    &mut warnings,
                )?),
            });
        }
        // Coding of each variable in each term (R's TermCode heuristic).
        let (columns, names, terms) = design_columns(formula, &values, &used_levels, &rows);
        let x = DMatrix::from_vec(rows.len(), names.len(), columns);
        let p = x.ncols();
        if options.check_rank && p > 0 {
            Qr::new(&x)?.require_full_rank(&names)?;
        }
        let mut clusters = Vec::new();
        for (name, labels) in options.clusters.iter().zip(&cluster_labels) {
            let used: Vec<&str> = rows.iter().filter_map(|&i| labels[i].as_deref()).collect();
            clusters.push(Clusters::from_labels(name, &used)?);
        }
        Ok(Self {
            formula: formula.text.clone(),
            response_name: formula.response.clone(),
            response,
            x,
            column_names: names,
            terms,
            clusters,
            rows,
            dropped,
            warnings,
        })
    }

    /// Number of rows used.
    pub fn nobs(&self) -> usize {
        self.rows.len()
    }

    /// The numeric response.
    ///
    /// # Errors
    /// [`DataError::NotNumeric`] if the response is categorical.
    pub fn y(&self) -> Result<&[f64], DataError> {
        match &self.response {
            Response::Numeric(v) => Ok(v),
            Response::Categorical { codes, levels } => Err(DataError::NotNumeric {
                file: self.formula.clone(),
                column: self.response_name.clone(),
                row: self.rows.first().map_or(0, |r| r + 1),
                value: codes
                    .first()
                    .and_then(|&c| levels.get(c))
                    .cloned()
                    .unwrap_or_default(),
            }),
        }
    }
}

/// The levels of a categorical variable in use on `rows`, the reference first: errors for an
/// unknown or unused reference and for fewer than two levels; a warning for unused levels.
fn level_order(
    var: &Variable,
    codes: &[Option<usize>],
    levels: &[String],
    rows: &[usize],
    file: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<usize>, DataError> {
    let present: BTreeSet<usize> = rows.iter().filter_map(|&i| codes[i]).collect();
    let mut order: Vec<usize> = present.iter().copied().collect();
    if let Some(r) = &var.reference {
        let pos = levels
            .iter()
            .position(|l| l == r)
            .ok_or_else(|| DataError::UnknownLevel {
                file: file.to_owned(),
                column: var.column.clone(),
                level: r.clone(),
                levels: levels.to_vec(),
            })?;
        match order.iter().position(|&c| c == pos) {
            Some(p) => {
                order.remove(p);
                order.insert(0, pos);
            }
            None => {
                return Err(DataError::UnknownLevel {
                    file: file.to_owned(),
                    column: var.column.clone(),
                    level: r.clone(),
                    levels: order.iter().map(|&c| levels[c].clone()).collect(),
                });
            }
        }
    }
    let unused: Vec<&str> = (0..levels.len())
        .filter(|c| !present.contains(c))
        .map(|c| levels[c].as_str())
        .collect();
    if !unused.is_empty() {
        warnings.push(format!(
            "level(s) {} of `{}` have no rows in the data used and were dropped",
            unused
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", "),
            var.column
        ));
    }
    if order.len() < 2 {
        return Err(DataError::TooFewLevels {
            file: file.to_owned(),
            column: var.column.clone(),
            n_levels: order.len(),
            nobs: rows.len(),
        });
    }
    Ok(order)
}

/// One factor of a design column: a numeric variable, or the indicator of one level of a
/// categorical variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// The value of variable `variable` (an index into [`Formula::variables`]).
    Numeric {
        /// Index of the variable.
        variable: usize,
    },
    /// 1 where variable `variable` is at its `level`-th level in use (an index into the levels
    /// given to [`DesignPlan::new`], the reference first), 0 elsewhere.
    Level {
        /// Index of the variable.
        variable: usize,
        /// Index of the level among the levels in use.
        level: usize,
    },
}

/// One design column: the product of its parts (none for the intercept), with R's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedColumn {
    /// The name R's `model.matrix` gives the column (`(Intercept)`, `armpeer`, `age:armpeer`).
    pub name: String,
    /// The factors whose product is the column.
    pub parts: Vec<Part>,
}

/// The columns of a design matrix, before any data: what [`ModelFrame::new`] evaluates on a
/// table, and what an engine that evaluates expressions elsewhere (a query engine's
/// partitions, say) evaluates on its own.
///
/// Categorical variables use treatment contrasts with the first level given as the reference;
/// a factor in an interaction without its marginal term is coded by indicators (R's
/// `TermCode` rule, Chambers & Hastie 1992, p. 38); without an intercept the first factor is
/// coded by indicators. In an interaction the earlier variable varies fastest, as in R.
///
/// # Examples
/// ```
/// use trialstats_data::{DesignPlan, Formula};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let f = Formula::parse("y ~ age * arm")?;
/// // `arm` is categorical with levels control (the reference) and peer; `age` is numeric.
/// let levels = [None, Some(vec!["control".to_string(), "peer".to_string()])];
/// let plan = DesignPlan::new(&f, &levels);
/// let names: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
/// // R: colnames(model.matrix(~ age * arm))
/// assert_eq!(names, ["(Intercept)", "age", "armpeer", "age:armpeer"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignPlan {
    /// The design columns, in order.
    pub columns: Vec<PlannedColumn>,
    /// The columns each term produced.
    pub terms: Vec<TermColumns>,
}

impl DesignPlan {
    /// The design of `formula` when each variable's levels in use are `levels` (`None` for a
    /// numeric variable; for a categorical one its level labels in use, the reference first).
    pub fn new(formula: &Formula, levels: &[Option<Vec<String>>]) -> Self {
        let codings = term_codings(formula, levels);
        let mut columns: Vec<PlannedColumn> = Vec::new();
        let mut terms = Vec::new();
        if formula.intercept {
            columns.push(PlannedColumn {
                name: "(Intercept)".into(),
                parts: Vec::new(),
            });
            terms.push(TermColumns {
                label: "(Intercept)".into(),
                start: 0,
                len: 1,
            });
        }
        for (term, coding) in formula.terms.iter().zip(&codings) {
            let start = columns.len();
            // Start with a single empty product named "", then multiply in each variable.
            let mut acc: Vec<PlannedColumn> = vec![PlannedColumn {
                name: String::new(),
                parts: Vec::new(),
            }];
            for (&v, &code) in term.0.iter().zip(coding) {
                let var = &formula.variables[v];
                let parts: Vec<(String, Part)> = match levels.get(v).and_then(Option::as_ref) {
                    None => vec![(var.label(), Part::Numeric { variable: v })],
                    Some(used) => {
                        let skip = usize::from(code == Coding::Contrasts);
                        used.iter()
                            .enumerate()
                            .skip(skip)
                            .map(|(level, label)| {
                                (
                                    format!("{}{label}", var.label()),
                                    Part::Level { variable: v, level },
                                )
                            })
                            .collect()
                    }
                };
                // The earlier variable varies fastest, as in R.
                let mut next = Vec::with_capacity(acc.len() * parts.len());
                for (pname, part) in &parts {
                    for a in &acc {
                        let name = if a.name.is_empty() {
                            pname.clone()
                        } else {
                            format!("{}:{pname}", a.name)
                        };
                        let mut p = a.parts.clone();
                        p.push(*part);
                        next.push(PlannedColumn { name, parts: p });
                    }
                }
                acc = next;
            }
            columns.extend(acc);
            terms.push(TermColumns {
                label: formula.term_label(term),
                start,
                len: columns.len() - start,
            });
        }
        Self { columns, terms }
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}

/// Marks the rows where `missing` holds in `drop` and counts them (a generic predicate, so that
/// the test of each row is inlined: this runs once per variable and row of every fit).
fn mark_missing(drop: &mut [bool], missing: impl Fn(usize) -> bool) -> usize {
    let mut c = 0;
    for (i, d) in drop.iter_mut().enumerate() {
        if missing(i) {
            *d = true;
            c += 1;
        }
    }
    c
}

/// The design columns of every term on `rows`, one after another (column-major), with R's
/// names: [`DesignPlan`] evaluated on the resolved variables.
fn design_columns(
    formula: &Formula,
    values: &[Values<'_>],
    used_levels: &[Option<Vec<usize>>],
    rows: &[usize],
) -> (Vec<f64>, Vec<String>, Vec<TermColumns>) {
    let labels: Vec<Option<Vec<String>>> = values
        .iter()
        .zip(used_levels)
        .map(|(vals, order)| match (vals, order) {
            (Values::Levels { levels, .. }, Some(order)) => {
                Some(order.iter().map(|&c| levels[c].clone()).collect())
            }
            _ => None,
        })
        .collect();
    let plan = DesignPlan::new(formula, &labels);
    let n = rows.len();
    let mut columns = Vec::with_capacity(n * plan.columns.len());
    for c in &plan.columns {
        let start = columns.len();
        match c.parts.as_slice() {
            // A numeric variable alone (the common column) is gathered straight: 1 × x is x.
            [Part::Numeric { variable }] if matches!(values[*variable], Values::Numeric(_)) => {
                if let Values::Numeric(x) = &values[*variable] {
                    columns.extend(rows.iter().map(|&i| x[i].unwrap_or(0.0)));
                }
            }
            parts => {
                columns.resize(start + n, 1.0);
                let col = &mut columns[start..];
                for part in parts {
                    match *part {
                        Part::Numeric { variable } => {
                            if let Values::Numeric(x) = &values[variable] {
                                for (v, &i) in col.iter_mut().zip(rows) {
                                    *v *= x[i].unwrap_or(0.0);
                                }
                            }
                        }
                        Part::Level { variable, level } => {
                            if let (Values::Levels { codes, .. }, Some(order)) =
                                (&values[variable], &used_levels[variable])
                            {
                                let code = Some(order[level]);
                                for (v, &i) in col.iter_mut().zip(rows) {
                                    *v *= f64::from(u8::from(codes[i] == code));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (columns, plan.names(), plan.terms)
}

/// The values of a transformation (`log(y)`, `I(age^2)`) on every row: missing where an input is
/// missing.
///
/// # Errors
/// The errors of [`DataTable::numeric`] for a column that is not numeric;
/// [`DataError::NotFinite`] for a value that is not finite (the log of 0, say), naming the row
/// and the inputs.
impl DataTable {
    /// Evaluates an arithmetic expression of numeric columns, as R evaluates it inside `I()`,
    /// row by row: `+ - * / ^`, parentheses, numbers and `log`, `log1p`, `exp`, `sqrt`, `log10`,
    /// `log2`, `abs`. A row with a missing input is missing.
    ///
    /// # Errors
    /// An expression that does not parse; a column that is absent or not numeric;
    /// [`DataError::NotFinite`] naming the row where the value is not finite (a division by 0).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// let t = DataTable::from_csv_str("lipids.csv", "tc,hdl\n5.2,1.3\n4.8,\n").unwrap();
    /// assert_eq!(t.evaluate("tc / hdl").unwrap(), [Some(4.0), None]);
    /// assert_eq!(t.evaluate("log(tc / hdl)").unwrap()[0], Some(4.0_f64.ln()));
    /// assert!(t.evaluate("tc / ldl").is_err()); // no column `ldl`
    /// ```
    pub fn evaluate(&self, expression: &str) -> Result<Vec<Option<f64>>, DataError> {
        let formula = Formula::parse(&format!("I({expression}) ~ 1"))?;
        match &formula.response_expr {
            Some(e) => evaluate(self, e, expression),
            None => Ok(self.numeric(expression)?.to_vec()),
        }
    }
}

fn evaluate(table: &DataTable, expr: &Expr, label: &str) -> Result<Vec<Option<f64>>, DataError> {
    let mut inputs: Vec<(&str, &[Option<f64>])> = Vec::new();
    for c in expr.columns() {
        inputs.push((c, table.numeric(c)?));
    }
    (0..table.nrows())
        .map(|i| {
            if inputs.iter().any(|(_, v)| v[i].is_none()) {
                return Ok(None);
            }
            let value_of = |name: &str| {
                inputs
                    .iter()
                    .find(|(c, _)| *c == name)
                    .and_then(|(_, v)| v[i])
                    .unwrap_or(f64::NAN)
            };
            let y = expr.eval(&value_of);
            if y.is_finite() {
                Ok(Some(y))
            } else {
                Err(DataError::NotFinite {
                    file: table.source().to_owned(),
                    term: label.to_owned(),
                    row: i + 1,
                    value: y,
                    inputs: inputs
                        .iter()
                        .map(|(c, v)| format!("{c} = {}", v[i].map_or(f64::NAN, |x| x)))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        })
        .collect()
}

/// Resolves a formula variable to numbers or level codes.
fn resolve<'a>(table: &'a DataTable, var: &Variable) -> Result<Values<'a>, DataError> {
    if let Some(expr) = &var.expr {
        return Ok(Values::Numeric(evaluate(table, expr, &var.column)?.into()));
    }
    let col = table.column(&var.column)?;
    match &col.data {
        ColumnData::Mixed(v) => return Err(table.mixed_error(&var.column, v)),
        ColumnData::Numeric(x) if !var.factor => return Ok(Values::Numeric(x.into())),
        _ => {}
    }
    // factor(numeric): the distinct values in numeric order, named by their value labels (a
    // Stata file's, as haven's `as_factor`) or as R prints them; a categorical column's own
    // levels. (Only a mixed column has none, and it was refused above.)
    let (codes, levels) = col.as_factor().unwrap_or_default();
    Ok(Values::Levels { codes, levels })
}

/// R's rule (model.c, `TermCode`; Chambers & Hastie 1992, p. 38): a factor f in term T is coded
/// by contrasts when T∖{f} is empty or contained in a preceding term, and by indicators otherwise;
/// without an intercept, the first factor of the first term containing one is coded by indicators.
fn term_codings<L>(formula: &Formula, used_levels: &[Option<L>]) -> Vec<Vec<Coding>> {
    let is_factor = |v: usize| used_levels.get(v).is_some_and(Option::is_some);
    let mut out: Vec<Vec<Coding>> = Vec::with_capacity(formula.terms.len());
    for (t, term) in formula.terms.iter().enumerate() {
        let preceding: &[Term] = &formula.terms[..t];
        let coding = term
            .0
            .iter()
            .map(|&v| {
                if !is_factor(v) {
                    return Coding::Numeric;
                }
                let rest: Vec<usize> = term.0.iter().copied().filter(|&w| w != v).collect();
                if rest.is_empty()
                    || preceding
                        .iter()
                        .any(|p| rest.iter().all(|w| p.0.contains(w)))
                {
                    Coding::Contrasts
                } else {
                    Coding::Indicators
                }
            })
            .collect();
        out.push(coding);
    }
    if !formula.intercept {
        'outer: for (term, coding) in formula.terms.iter().zip(out.iter_mut()) {
            for (pos, &v) in term.0.iter().enumerate() {
                if is_factor(v) {
                    coding[pos] = Coding::Indicators;
                    break 'outer;
                }
            }
        }
    }
    out
}
