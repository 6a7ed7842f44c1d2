//! From a formula to DataFusion expressions: the design columns of
//! [`trialstats_data::DesignPlan`] (so the names, contrasts and interactions are those of the
//! in-memory [`trialstats_data::ModelFrame`]), the listwise-deletion predicate, the counts of
//! rows dropped and each factor's levels, found by queries on the table.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::common::{Column, Result as DfResult, exec_err};
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
    lit, when,
};
use trialstats_data::design::deletion_warnings;
use trialstats_data::expr::Expr as FormulaExpr;
use trialstats_data::table::format_number;
use trialstats_data::{DataError, DesignPlan, Formula, Part, TermColumns};

use crate::error::ScaleError;

/// A reference to a column by its exact name (no parsing of dots or quotes).
pub(crate) fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

fn float(name: &str) -> Expr {
    cast(column(name), DataType::Float64)
}

/// The design of a formula on a table, as expressions, with what listwise deletion dropped.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Design column names, as R's `model.matrix`.
    pub names: Vec<String>,
    /// The columns of each term.
    #[allow(dead_code)]
    pub terms: Vec<TermColumns>,
    /// One Float64 expression per design column.
    pub x: Vec<Expr>,
    /// The response, Float64 (a two-level text response coded 0/1).
    pub y: Expr,
    /// True on the complete rows (no null in any column the model uses).
    pub complete: Expr,
    /// Listwise deletion's counts, or the queries for the fit's first pass to run.
    pub deletion: Deletion,
    /// Whether the design has an intercept column.
    pub intercept: bool,
}

/// A factor's level: its text label and the value that selects it.
#[derive(Debug, Clone)]
enum LevelValue {
    Number(f64),
    Text(String),
}

/// The distinct non-null values of `name`, sorted as the in-memory tables sort levels (numbers
/// in numeric order, text by its UTF-8 bytes), with their labels.
async fn distinct(
    df: &DataFrame,
    name: &str,
    source: &str,
) -> Result<Vec<(String, LevelValue)>, ScaleError> {
    let batches = df
        .clone()
        .filter(column(name).is_not_null())
        .and_then(|d| d.aggregate(vec![column(name)], vec![]))
        .map_err(|e| ScaleError::engine(source, e))?
        .collect()
        .await
        .map_err(|e| ScaleError::engine(source, e))?;
    let mut numbers: Vec<f64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for b in &batches {
        let a = b.column(0);
        if a.data_type().is_numeric() {
            let f = datafusion::arrow::compute::cast(a, &DataType::Float64)
                .map_err(|e| ScaleError::engine(source, e))?;
            numbers.extend(f.as_primitive::<Float64Type>().iter().flatten());
        } else {
            for i in 0..a.len() {
                if a.is_valid(i) {
                    texts.push(
                        array_value_to_string(a, i).map_err(|e| ScaleError::engine(source, e))?,
                    );
                }
            }
        }
    }
    if !numbers.is_empty() {
        numbers.sort_by(f64::total_cmp);
        numbers.dedup_by(|a, b| a.total_cmp(b).is_eq());
        return Ok(numbers
            .into_iter()
            .map(|v| (format_number(v), LevelValue::Number(v)))
            .collect());
    }
    texts.sort();
    texts.dedup();
    Ok(texts
        .into_iter()
        .map(|t| (t.clone(), LevelValue::Text(t)))
        .collect())
}

/// 1.0 where `name` equals the level, 0.0 elsewhere.
fn indicator(name: &str, level: &LevelValue) -> DfResult<Expr> {
    let test = match level {
        LevelValue::Number(v) => float(name).eq(lit(*v)),
        LevelValue::Text(t) => cast(column(name), DataType::Utf8).eq(lit(t.clone())),
    };
    when(test, lit(1.0)).otherwise(lit(0.0))
}

/// The Arrow type of a column, or the in-memory frame's error for an unknown one.
fn column_type(df: &DataFrame, name: &str, source: &str) -> Result<DataType, ScaleError> {
    let schema = df.schema();
    match schema.field_with_unqualified_name(name) {
        Ok(f) => Ok(f.data_type().clone()),
        Err(_) => {
            let available: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            let suggestion = available
                .iter()
                .find(|a| a.eq_ignore_ascii_case(name))
                .cloned();
            Err(DataError::UnknownColumn {
                file: source.to_owned(),
                column: name.to_owned(),
                suggestion,
                available,
            }
            .into())
        }
    }
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

fn require_numeric(df: &DataFrame, name: &str, source: &str) -> Result<(), ScaleError> {
    let t = column_type(df, name, source)?;
    if t.is_numeric() {
        Ok(())
    } else {
        Err(ScaleError::NotNumericType {
            source_name: source.to_owned(),
            column: name.to_owned(),
            data_type: t.to_string(),
        })
    }
}

/// A transformation (`log(y)`, `I(age^2)`) as an expression: the in-memory evaluator itself,
/// row by row, so the values are the same bits.
fn transform(e: &FormulaExpr, label: &str) -> Expr {
    let udf = Transform::new(e.clone(), label.to_owned());
    let args: Vec<Expr> = if udf.columns.is_empty() {
        vec![lit(0.0)]
    } else {
        udf.columns.iter().map(|c| float(c)).collect()
    };
    ScalarUDF::from(udf).call(args)
}

/// The scalar function of [`transform`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Transform {
    pub(crate) expr: FormulaExpr,
    pub(crate) label: String,
    columns: Vec<String>,
    signature: Signature,
}

impl Transform {
    pub(crate) fn new(expr: FormulaExpr, label: String) -> Self {
        let columns: Vec<String> = expr.columns().into_iter().map(str::to_owned).collect();
        let signature = Signature::uniform(
            columns.len().max(1),
            vec![DataType::Float64],
            Volatility::Immutable,
        );
        Self {
            expr,
            label,
            columns,
            signature,
        }
    }
}

impl ScalarUDFImpl for Transform {
    fn name(&self) -> &str {
        "ts_transform"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Float64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut inputs = Vec::with_capacity(arrays.len());
        for a in &arrays {
            match a.as_primitive_opt::<Float64Type>() {
                Some(f) => inputs.push(f.clone()),
                None => return exec_err!("{}: an input of type {}", self.label, a.data_type()),
            }
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if inputs.iter().any(|a| a.is_null(i)) {
                out.push(None);
                continue;
            }
            let value_of = |name: &str| {
                self.columns
                    .iter()
                    .position(|c| c == name)
                    .map_or(f64::NAN, |j| inputs[j].value(i))
            };
            let y = self.expr.eval(&value_of);
            if !y.is_finite() {
                let shown: Vec<String> = self
                    .columns
                    .iter()
                    .zip(&inputs)
                    .map(|(c, a)| format!("{c} = {}", a.value(i)))
                    .collect();
                return exec_err!(
                    "term `{}` is {y} (not finite) where {}",
                    self.label,
                    shown.join(", ")
                );
            }
            out.push(Some(y));
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
    }
}

/// The model's columns: the design, the response, deletion and levels.
///
/// `binary`: the response of a logit (numbers 0/1, or text with two levels, the second coded 1).
pub(crate) async fn prepare(
    df: &DataFrame,
    source: &str,
    formula: &Formula,
    clusters: &[String],
    binary: bool,
) -> Result<Prepared, ScaleError> {
    // Which raw columns each model variable reads, checked against the schema.
    let response_columns: Vec<String> = match &formula.response_expr {
        Some(e) => e.columns().into_iter().map(str::to_owned).collect(),
        None => vec![formula.response.clone()],
    };
    let mut text_response = false;
    for c in &response_columns {
        let t = column_type(df, c, source)?;
        if is_text(&t) && binary && formula.response_expr.is_none() {
            text_response = true;
        } else if !t.is_numeric() {
            return Err(ScaleError::NotNumericType {
                source_name: source.to_owned(),
                column: c.clone(),
                data_type: t.to_string(),
            });
        }
    }
    let mut variable_columns: Vec<Vec<String>> = Vec::new();
    let mut categorical: Vec<bool> = Vec::new();
    for v in &formula.variables {
        match &v.expr {
            Some(e) => {
                let cols: Vec<String> = e.columns().into_iter().map(str::to_owned).collect();
                for c in &cols {
                    require_numeric(df, c, source)?;
                }
                variable_columns.push(cols);
                categorical.push(false);
            }
            None => {
                let t = column_type(df, &v.column, source)?;
                let text = is_text(&t);
                if !text && !t.is_numeric() {
                    return Err(ScaleError::NotNumericType {
                        source_name: source.to_owned(),
                        column: v.column.clone(),
                        data_type: t.to_string(),
                    });
                }
                variable_columns.push(vec![v.column.clone()]);
                categorical.push(v.factor || text);
            }
        }
    }
    for c in clusters {
        column_type(df, c, source)?;
    }
    // Listwise deletion: every column read by the model, the clusters included.
    let mut all: Vec<String> = Vec::new();
    for c in response_columns
        .iter()
        .chain(variable_columns.iter().flatten())
        .chain(clusters)
    {
        if !all.contains(c) {
            all.push(c.clone());
        }
    }
    let not_null = |cols: &[String]| -> Expr {
        cols.iter()
            .map(|c| column(c).is_not_null())
            .reduce(Expr::and)
            .unwrap_or(lit(true))
    };
    let complete = not_null(&all);
    // The counts of listwise deletion: each variable's non-null rows (a column's count, or the
    // rows where all the columns a transformation reads are present) and all the rows.
    let mut names: Vec<String> = vec![formula.response.clone()];
    let mut groups: Vec<&[String]> = vec![&response_columns];
    for (v, cols) in formula.variables.iter().zip(&variable_columns) {
        names.push(v.column.clone());
        groups.push(cols);
    }
    for c in clusters {
        names.push(c.clone());
        groups.push(std::slice::from_ref(c));
    }
    let mut count_exprs = vec![count(lit(1_i64)).alias("n")];
    for (j, cols) in groups.iter().enumerate() {
        let e = match cols {
            [one] => count(column(one)),
            _ => sum(case(not_null(cols))?),
        };
        count_exprs.push(e.alias(format!("v{j}")));
    }
    let mut deletion = Deletion {
        source: source.to_owned(),
        names,
        variables: formula.variables.len(),
        clusters: clusters.to_vec(),
        exprs: count_exprs,
        counts: None,
    };
    let categorical_any = categorical.iter().any(|&c| c) || text_response;
    if !categorical_any {
        // Nothing to look up before the design: the first pass of the fit counts (one scan).
        let plan = DesignPlan::new(formula, &vec![None; formula.variables.len()]);
        let x = design_columns(&plan, formula, &[], source)?;
        return Ok(Prepared {
            names: plan.names(),
            terms: plan.terms,
            x,
            y: match &formula.response_expr {
                Some(e) => transform(e, &formula.response),
                None => float(&formula.response),
            },
            complete,
            deletion,
            intercept: formula.intercept,
        });
    }
    // The levels need the complete rows: count them first (one scan).
    let mut aggs = deletion.exprs.clone();
    aggs.push(sum(case(complete.clone())?).alias("complete"));
    let values = scalars(df, aggs, source).await?;
    let complete_rows = values.last().copied().unwrap_or(0);
    let counts = deletion.record(values[0], complete_rows, &values[1..values.len() - 1])?;
    let nobs = counts.nobs;
    let mut warnings = counts.warnings.clone();
    deletion.counts = Some(counts);
    // Levels of the categorical variables on the complete rows, the reference first.
    let complete_df = df
        .clone()
        .filter(complete.clone())
        .map_err(|e| ScaleError::engine(source, e))?;
    let mut level_values: Vec<Option<Vec<(String, LevelValue)>>> = Vec::new();
    for (v, &cat) in formula.variables.iter().zip(&categorical) {
        if !cat {
            level_values.push(None);
            continue;
        }
        let present = distinct(&complete_df, &v.column, source).await?;
        let every = distinct(df, &v.column, source).await?;
        let mut order = present.clone();
        if let Some(r) = &v.reference {
            if !every.iter().any(|(l, _)| l == r) {
                return Err(DataError::UnknownLevel {
                    file: source.to_owned(),
                    column: v.column.clone(),
                    level: r.clone(),
                    levels: every.iter().map(|(l, _)| l.clone()).collect(),
                }
                .into());
            }
            match order.iter().position(|(l, _)| l == r) {
                Some(p) => {
                    let level = order.remove(p);
                    order.insert(0, level);
                }
                None => {
                    return Err(DataError::UnknownLevel {
                        file: source.to_owned(),
                        column: v.column.clone(),
                        level: r.clone(),
                        levels: order.iter().map(|(l, _)| l.clone()).collect(),
                    }
                    .into());
                }
            }
        }
        let unused: Vec<String> = every
            .iter()
            .filter(|(l, _)| !present.iter().any(|(p, _)| p == l))
            .map(|(l, _)| format!("`{l}`"))
            .collect();
        if !unused.is_empty() {
            warnings.push(format!(
                "level(s) {} of `{}` have no rows in the data used and were dropped",
                unused.join(", "),
                v.column
            ));
        }
        if order.len() < 2 {
            return Err(DataError::TooFewLevels {
                file: source.to_owned(),
                column: v.column.clone(),
                n_levels: order.len(),
                nobs,
            }
            .into());
        }
        level_values.push(Some(order));
    }
    let labels: Vec<Option<Vec<String>>> = level_values
        .iter()
        .map(|l| {
            l.as_ref()
                .map(|l| l.iter().map(|(t, _)| t.clone()).collect())
        })
        .collect();
    let plan = DesignPlan::new(formula, &labels);
    let x = design_columns(&plan, formula, &level_values, source)?;
    let y = if text_response {
        let levels = distinct(&complete_df, &formula.response, source).await?;
        if levels.len() != 2 {
            return Err(ScaleError::NotBinary {
                source_name: source.to_owned(),
                column: formula.response.clone(),
                detail: format!(
                    "has {} levels: {}",
                    levels.len(),
                    levels
                        .iter()
                        .map(|(l, _)| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        indicator(&formula.response, &levels[1].1).map_err(|e| ScaleError::engine(source, e))?
    } else {
        match &formula.response_expr {
            Some(e) => transform(e, &formula.response),
            None => float(&formula.response),
        }
    };
    Ok(Prepared {
        names: plan.names(),
        terms: plan.terms,
        x,
        y,
        complete,
        deletion: Deletion {
            counts: deletion.counts.map(|c| Counts { warnings, ..c }),
            ..deletion
        },
        intercept: formula.intercept,
    })
}

/// One Float64 expression per design column of `plan` (`level_values`: each categorical
/// variable's levels, in the design's order; empty when there are none).
fn design_columns(
    plan: &DesignPlan,
    formula: &Formula,
    level_values: &[Option<Vec<(String, LevelValue)>>],
    source: &str,
) -> Result<Vec<Expr>, ScaleError> {
    let mut x = Vec::with_capacity(plan.columns.len());
    for c in &plan.columns {
        let mut e = lit(1.0);
        for part in &c.parts {
            let factor = match *part {
                Part::Numeric { variable } => {
                    let v = &formula.variables[variable];
                    match &v.expr {
                        Some(t) => transform(t, &v.column),
                        None => float(&v.column),
                    }
                }
                Part::Level { variable, level } => {
                    let v = &formula.variables[variable];
                    match level_values
                        .get(variable)
                        .and_then(Option::as_ref)
                        .and_then(|l| l.get(level))
                    {
                        Some((_, value)) => indicator(&v.column, value)
                            .map_err(|e| ScaleError::engine(source, e))?,
                        None => lit(0.0),
                    }
                }
            };
            e = e * factor;
        }
        x.push(e);
    }
    Ok(x)
}

/// The values of ungrouped aggregates that count rows, in order (a null count is 0).
async fn scalars(df: &DataFrame, aggs: Vec<Expr>, source: &str) -> Result<Vec<usize>, ScaleError> {
    let m = aggs.len();
    let batches = df
        .clone()
        .aggregate(vec![], aggs)
        .map_err(|e| ScaleError::engine(source, e))?
        .collect()
        .await
        .map_err(|e| ScaleError::engine(source, e))?;
    let b = batches.iter().find(|b| b.num_rows() > 0);
    let mut out = Vec::with_capacity(m);
    for j in 0..m {
        let v = match b {
            Some(b) => {
                let c = datafusion::arrow::compute::cast(b.column(j), &DataType::Float64)
                    .map_err(|e| ScaleError::engine(source, e))?;
                let f = c.as_primitive::<Float64Type>();
                if f.is_null(0) { 0.0 } else { f.value(0) }
            }
            None => 0.0,
        };
        out.push(v as usize);
    }
    Ok(out)
}

/// Listwise deletion: the queries that count it and, once run, what they counted.
#[derive(Debug, Clone)]
pub(crate) struct Deletion {
    source: String,
    /// The model's variables: the response, the formula's variables, the clusters.
    names: Vec<String>,
    /// How many of `names` are the formula's variables.
    variables: usize,
    clusters: Vec<String>,
    /// Aggregates: the rows, then each of `names`' non-null rows.
    pub exprs: Vec<Expr>,
    /// What the aggregates counted (None until a pass has run them).
    pub counts: Option<Counts>,
}

/// What listwise deletion dropped.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    /// Rows in the table.
    pub nobs_total: usize,
    /// Complete rows.
    pub nobs: usize,
    /// Missing values per model variable, as the in-memory frame counts them.
    pub by_variable: Vec<(String, usize)>,
    /// Warnings for the reader (rows dropped, levels unused).
    pub warnings: Vec<String>,
}

impl Deletion {
    /// The counts from the values of [`Deletion::exprs`] (`rows`, then `non_null`) and the
    /// number of complete rows, with the warnings of the in-memory frame.
    ///
    /// # Errors
    /// [`DataError::NoCompleteRows`] when no row is complete.
    pub fn record(
        &self,
        rows: usize,
        complete: usize,
        non_null: &[usize],
    ) -> Result<Counts, ScaleError> {
        let mut by_variable: Vec<(String, usize)> = Vec::new();
        let mut seen = BTreeSet::new();
        for (name, c) in self.names.iter().zip(non_null) {
            if seen.insert(name.clone()) {
                by_variable.push((name.clone(), rows.saturating_sub(*c)));
            }
        }
        let dropped = rows.saturating_sub(complete);
        if complete == 0 {
            return Err(DataError::NoCompleteRows {
                file: self.source.clone(),
                dropped,
                variables: by_variable.iter().map(|(v, _)| v.clone()).collect(),
            }
            .into());
        }
        let first_cluster = 1 + self.variables;
        let clusters_missing: Vec<(&str, usize)> = self
            .clusters
            .iter()
            .zip(&non_null[first_cluster..])
            .map(|(c, n)| (c.as_str(), rows.saturating_sub(*n)))
            .collect();
        let warnings = deletion_warnings(dropped, rows, &by_variable, &clusters_missing);
        Ok(Counts {
            nobs_total: rows,
            nobs: complete,
            by_variable,
            warnings,
        })
    }
}

/// 1 where `p` holds, 0 elsewhere.
pub(crate) fn case(p: Expr) -> Result<Expr, ScaleError> {
    when(p, lit(1_i64))
        .otherwise(lit(0_i64))
        .map_err(|e| ScaleError::engine("query", e))
}
