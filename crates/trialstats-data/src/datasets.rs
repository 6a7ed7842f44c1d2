//! Public reference datasets, embedded in the crate so that examples and tests need no files.
//!
//! Each function parses the embedded CSV (a few milliseconds for the largest) and returns a
//! [`DataTable`]. The files are in the crate's `data/` folder, with their provenance in
//! `data/README.md`.

use crate::error::DataError;
use crate::table::DataTable;

/// Petersen's test data for clustered standard errors, as CSV text.
///
/// # Examples
/// ```
/// use trialstats_data::datasets::PETERSEN_CSV;
/// assert!(PETERSEN_CSV.starts_with("\"firm\",\"year\",\"x\",\"y\""));
/// assert_eq!(PETERSEN_CSV.lines().count(), 5001); // a header and 5000 rows
/// ```
pub const PETERSEN_CSV: &str = include_str!("../data/petersen.csv");
/// The `wine` bitterness ratings of R package ordinal, as CSV text.
pub const WINE_CSV: &str = include_str!("../data/wine.csv");
/// The `nhanes` data of R package mice (numeric codes), as CSV text.
pub const NHANES_CSV: &str = include_str!("../data/nhanes.csv");
/// The `nhanes2` data of R package mice (age group and hypertension as text), as CSV text.
pub const NHANES2_CSV: &str = include_str!("../data/nhanes2.csv");

/// Petersen's simulated panel: 5000 rows, 500 firms × 10 years; columns `firm`, `year`, `x`, `y`.
///
/// The standard test of clustered-SE programs: OLS `y ~ x` clustered by firm, by year, or both.
///
/// # References
/// Petersen, M. A. (2009), "Estimating standard errors in finance panel data sets: comparing
/// approaches", *Review of Financial Studies* 22(1):435–480, doi:10.1093/rfs/hhn053. Distributed
/// as `PetersenCL` in R package sandwich (Zeileis, Köll & Graham 2020, JSS 95(1),
/// doi:10.18637/jss.v095.i01).
///
/// # Errors
/// None in practice (the embedded text is checked by the tests); the `Result` keeps parsing honest.
///
/// # Examples
/// ```
/// use trialstats_data::datasets;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = datasets::petersen()?;
/// assert_eq!(t.nrows(), 5000);
/// assert_eq!(t.names(), ["firm", "year", "x", "y"]);
/// // R: mean(sandwich::PetersenCL$y) = 0.035238109035789965
/// let y: Vec<f64> = t.numeric("y")?.iter().flatten().copied().collect();
/// assert!((y.iter().sum::<f64>() / 5000.0 - 0.035238109035789965).abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn petersen() -> Result<DataTable, DataError> {
    DataTable::from_csv_str("petersen", PETERSEN_CSV)
}

/// Bitterness of wine: 72 ratings (1–5) by 9 judges; columns `response`, `rating`, `temp`
/// (`cold`/`warm`), `contact` (`no`/`yes`), `bottle`, `judge`.
///
/// # References
/// Randall, J. H. (1989), "The analysis of sensory data by generalized linear model",
/// *Biometrical Journal* 31(7):781–793, doi:10.1002/bimj.4710310707. Distributed as `wine` in R
/// package ordinal (Christensen 2019).
///
/// # Errors
/// As [`petersen`].
///
/// # Examples
/// ```
/// use trialstats_data::datasets;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = datasets::wine()?;
/// assert_eq!((t.nrows(), t.ncols()), (72, 6));
/// // R: table(ordinal::wine$rating) gives 5, 22, 26, 12, 7 for ratings 1–5.
/// let rating = t.numeric("rating")?;
/// let n = |k: f64| rating.iter().filter(|r| **r == Some(k)).count();
/// assert_eq!([1.0, 2.0, 3.0, 4.0, 5.0].map(n), [5, 22, 26, 12, 7]);
/// # Ok(()) }
/// ```
pub fn wine() -> Result<DataTable, DataError> {
    DataTable::from_csv_str("wine", WINE_CSV)
}

/// NHANES example of R package mice: 25 rows; `age` (1–3), `bmi`, `hyp` (1/2), `chl`, with
/// missing values.
///
/// # References
/// van Buuren, S. & Groothuis-Oudshoorn, K. (2011), "mice: Multivariate Imputation by Chained
/// Equations in R", *JSS* 45(3), doi:10.18637/jss.v045.i03; data from Schafer (1997), *Analysis of
/// Incomplete Multivariate Data*, p. 237.
///
/// # Errors
/// As [`petersen`].
///
/// # Examples
/// ```
/// use trialstats_data::datasets;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = datasets::nhanes()?;
/// let bmi = t.numeric("bmi")?;
/// // R: sum(is.na(mice::nhanes$bmi)) = 9; mean(mice::nhanes$bmi, na.rm = TRUE) = 26.5625
/// assert_eq!((bmi.len(), bmi.iter().filter(|b| b.is_none()).count()), (25, 9));
/// let mean = bmi.iter().flatten().sum::<f64>() / 16.0;
/// assert!((mean - 26.5625).abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn nhanes() -> Result<DataTable, DataError> {
    DataTable::from_csv_str("nhanes", NHANES_CSV)
}

/// `nhanes2` of R package mice: as [`nhanes`] with `age` as the groups `20-39`, `40-59`,
/// `60-99` and `hyp` as `no`/`yes`.
///
/// # Errors
/// As [`petersen`].
///
/// # Examples
/// ```
/// use trialstats_data::{datasets, ColumnData};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = datasets::nhanes2()?;
/// // R: levels(mice::nhanes2$age); table(mice::nhanes2$age) gives 12, 7, 6.
/// let ColumnData::Categorical { codes, levels } = &t.column("age")?.data else {
///     return Err("age is not categorical".into());
/// };
/// assert_eq!(levels, &["20-39", "40-59", "60-99"]);
/// let n = |k: u32| codes.iter().filter(|c| **c == Some(k)).count();
/// assert_eq!([n(0), n(1), n(2)], [12, 7, 6]);
/// # Ok(()) }
/// ```
pub fn nhanes2() -> Result<DataTable, DataError> {
    DataTable::from_csv_str("nhanes2", NHANES2_CSV)
}
