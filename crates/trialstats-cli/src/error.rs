//! Errors of the command line and their exit codes.

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
    /// The paper pipeline could not run on the data (exit code 1).
    #[error("{0}")]
    Paper(String),
    /// The options do not fit together (exit code 2).
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// 1 for data and model errors, 2 for usage errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Data(_)
            | CliError::Model(_)
            | CliError::Ordinal(_)
            | CliError::Test(_)
            | CliError::Pool(_)
            | CliError::Score(_)
            | CliError::Paper(_)
            | CliError::MissingColumns { .. }
            | CliError::Io { .. } => 1,
        }
    }
}
