//! Errors of the command line and their exit codes.

use trialstats_core::error::{clip, clip_list};
use trialstats_data::DataError;
use trialstats_mi::MiError;
use trialstats_ordinal::OrdinalError;
use trialstats_robust::RobustError;
use trialstats_twosample::TwoSampleError;

/// Everything a subcommand can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The data or the model could not be used (exit code 1).
    #[error(transparent)]
    Data(#[from] DataError),
    /// The model could not be fitted (exit code 1).
    #[error(transparent)]
    Model(#[from] RobustError),
    /// The ordinal model could not be fitted (exit code 1).
    #[error(transparent)]
    Ordinal(#[from] OrdinalError),
    /// Pooling failed (exit code 1).
    #[error(transparent)]
    Pool(#[from] MiError),
    /// A test could not be computed (exit code 1).
    #[error(transparent)]
    Test(#[from] TwoSampleError),
    /// A fit on the DataFusion engine failed (exit code 1).
    #[error(transparent)]
    Scale(#[from] trialstats_datafusion::ScaleError),
    /// A file could not be read or written (exit code 1).
    #[error("cannot {action} `{path}`: {message}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The path as given.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The UKPDS inputs could not be evaluated as a batch (exit code 1).
    #[error(transparent)]
    Ukpds(#[from] trialstats_ukpds::UkpdsError),
    /// An instrument setting is invalid, e.g. an unknown value set (exit code 1).
    #[error(transparent)]
    Score(#[from] trialstats_instruments::ScoreError),
    /// The input lacks columns a command needs (exit code 1).
    #[error("`{path}` lacks the column(s) {missing}; {hint}")]
    MissingColumns {
        /// The file.
        path: String,
        /// Every missing column, comma-separated.
        missing: String,
        /// What the command expects.
        hint: String,
    },
    /// A grouping column does not have the levels a test needs (exit code 1).
    #[error("{path}: the grouping column `{}` has {} level(s){}; {needed}", clip(column), levels.len(), if levels.is_empty() { String::new() } else { format!(" ({})", clip_list(levels)) })]
    GroupLevels {
        /// The file.
        path: String,
        /// The column.
        column: String,
        /// Its levels among the rows used.
        levels: Vec<String>,
        /// What the test needs, as a clause ("at least two are needed").
        needed: &'static str,
    },
    /// A cell a command needs is missing (exit code 1).
    #[error("{path}: row {row} has no value in `{}`; {need}", clip(column))]
    MissingCell {
        /// The file.
        path: String,
        /// 1-based data row.
        row: usize,
        /// The column.
        column: String,
        /// What every row needs, as a clause.
        need: &'static str,
    },
    /// An output path would overwrite the input or is empty (exit code 1).
    #[error("{0}")]
    Output(OutputError),
    /// A parameter file could not be read as the parameters it should hold (exit code 1).
    #[error("{path}: not a parameter file: {message}")]
    ParamsFile {
        /// The file.
        path: String,
        /// The parser's message (naming the field and line).
        message: String,
    },
    /// A calibration could not run (exit code 1).
    #[error("calibration: {0}")]
    Calibration(String),
    /// The simulator could not make the trial (exit code 1).
    #[error(transparent)]
    Simulation(Box<trialstats_sim::SimError>),
    /// An analysis plan could not be read, or does not fit the data (exit code 1).
    #[error(transparent)]
    Plan(Box<trialstats_plan::PlanError>),
    /// A model could not be fitted to a file's data (exit code 1).
    #[error("{path}: {source}")]
    Fit {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: Box<trialstats_models::ModelError>,
    },
    /// The options do not fit together (exit code 2).
    #[error("{0}")]
    Usage(String),
}

impl From<trialstats_sim::SimError> for CliError {
    fn from(e: trialstats_sim::SimError) -> Self {
        CliError::Simulation(Box::new(e))
    }
}

impl From<trialstats_plan::PlanError> for CliError {
    fn from(e: trialstats_plan::PlanError) -> Self {
        CliError::Plan(Box::new(e))
    }
}

impl CliError {
    /// A model error on the data of `path`.
    pub fn fit(path: &str, source: trialstats_models::ModelError) -> Self {
        CliError::Fit {
            path: path.to_owned(),
            source: Box::new(source),
        }
    }

    /// 1 for data and model errors, 2 for usage errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Data(_)
            | CliError::Scale(_)
            | CliError::Model(_)
            | CliError::Ordinal(_)
            | CliError::Test(_)
            | CliError::Pool(_)
            | CliError::Score(_)
            | CliError::Ukpds(_)
            | CliError::Plan(_)
            | CliError::MissingColumns { .. }
            | CliError::GroupLevels { .. }
            | CliError::MissingCell { .. }
            | CliError::Output(_)
            | CliError::ParamsFile { .. }
            | CliError::Simulation(_)
            | CliError::Calibration(_)
            | CliError::Fit { .. }
            | CliError::Io { .. } => 1,
        }
    }
}

/// Why an output path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// The option was given an empty path.
    #[error("{option} was given an empty path; name a file")]
    Empty {
        /// The option, e.g. `--out`.
        option: &'static str,
    },
    /// The output path is one of the inputs.
    #[error("{option} `{path}` is the input file; write the output elsewhere")]
    IsInput {
        /// The option.
        option: &'static str,
        /// The path.
        path: String,
    },
    /// The file exists and `--replace` was not given.
    #[error("{option} `{path}` exists; add --replace to overwrite it")]
    Exists {
        /// The option.
        option: &'static str,
        /// The path.
        path: String,
    },
}
