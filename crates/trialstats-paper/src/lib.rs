//! The paper pipeline: the published analysis plan of Riddell et al. (2016), "Cardiovascular
//! risk outcome and program evaluation of a cluster randomised controlled trial of a
//! community-based, lay peer led program for people with diabetes", BMC Public Health,
//! doi:10.1186/s12889-016-3538-3 — run on a table in the trial schema (the seeded simulator's
//! trial by default, or the user's own data) and reported as the paper reports it, next to every
//! published number.
//!
//! - [`analysis::analyse`]: participant flow; Table 1 with the paper's tests (t, chi-square,
//!   Wilcoxon); Table 2, the UKPDS 5-year risk by arm, time and sex, and the adjusted difference
//!   with CR1 (the paper's Stata analysis), CR2 with Satterthwaite df, the wild cluster bootstrap
//!   and the multiple-imputation sensitivity analysis; Table 3; the secondary outcomes (logistic
//!   models of dichotomised HbA1c, multilevel ordered logits of the PHQ-9 and MMAS-8 category
//!   change, linear models of EQ-5D, DDS-4, self-care days and support); published v. reproduced.
//! - [`render`]: the report as text, Markdown, a self-contained HTML page with SVG figures
//!   (participant flow, forest plot), CSV tables and JSON. No clock and no randomness beyond the
//!   recorded seed: the same input and seed give the same bytes.
//!
//! Values that cannot be derived for a row (a clinical value outside the UKPDS range, an invalid
//! survey answer) are kept out of that analysis only, listed and counted in the report.
#![forbid(unsafe_code)]

pub mod analysis;
pub mod render;
pub mod svg;
pub mod targets;

pub use analysis::{Effect, Flow, Options, Report, Scale, TargetRow, analyse};

/// Why the pipeline could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaperError {
    /// The table lacks schema columns (all of them are listed).
    #[error("`{data}` lacks {} column(s) of the trial schema: {}", missing.len(), missing.join(", "))]
    MissingColumns {
        /// The data's name.
        data: String,
        /// Every missing column.
        missing: Vec<String>,
    },
    /// A value that makes the row unusable for every analysis.
    #[error(
        "`{data}` row {row}, column `{column}`: {:?} is not valid; expected {expected}",
        trialstats_core::error::clip(value)
    )]
    BadValue {
        /// The data's name.
        data: String,
        /// 1-based row.
        row: usize,
        /// Column.
        column: String,
        /// The value.
        value: String,
        /// What is expected.
        expected: String,
    },
    /// A column could not be read as the analysis needs it.
    #[error(transparent)]
    Data(#[from] trialstats_data::DataError),
    /// The analysis variables could not be derived.
    #[error(transparent)]
    Derive(#[from] Box<trialstats_sim::SimError>),
    /// An analysis that the report cannot do without failed.
    #[error("{analysis}: {source}")]
    Analysis {
        /// Which analysis (`primary analysis`, `Table 1`, …).
        analysis: String,
        /// Why.
        #[source]
        source: Box<AnalysisError>,
    },
}

/// Why one analysis of the report failed (the report names the analysis; an optional analysis
/// that fails becomes a warning).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The model could not be fitted.
    #[error(transparent)]
    Model(#[from] trialstats_models::ModelError),
    /// A column could not be read.
    #[error(transparent)]
    Data(#[from] trialstats_data::DataError),
    /// Imputation failed.
    #[error(transparent)]
    Mi(#[from] trialstats_mi::MiError),
    /// A Table 1 test failed.
    #[error(transparent)]
    Test(#[from] trialstats_twosample::TwoSampleError),
    /// The model has no term for the arm (every row in one arm).
    #[error("the model has no `{term}` term (are both arms present?)")]
    MissingTerm {
        /// The term.
        term: String,
    },
}

impl AnalysisError {
    pub(crate) fn context(self, analysis: &str) -> PaperError {
        PaperError::Analysis {
            analysis: analysis.to_owned(),
            source: Box::new(self),
        }
    }
}

impl From<trialstats_sim::SimError> for PaperError {
    fn from(e: trialstats_sim::SimError) -> Self {
        PaperError::Derive(Box::new(e))
    }
}
