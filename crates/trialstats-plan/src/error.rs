//! The errors of reading and running a plan.

use trialstats_data::DataError;

/// Why a plan cannot be read or run. An analysis the data do not allow is not an error: the run
/// lists it as skipped, with the reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The TOML does not parse, a key is unknown or a value has the wrong type.
    #[error("{plan}, line {line}: {message}")]
    Syntax {
        /// The plan.
        plan: String,
        /// 1-based line.
        line: usize,
        /// What is wrong (from the TOML reader).
        message: String,
    },
    /// A value parses but cannot be used: an arm value absent from the data, a column the
    /// design needs missing, a threshold on a text column.
    #[error("{plan}, line {line}, `{key}`: {message}")]
    Invalid {
        /// The plan.
        plan: String,
        /// 1-based line.
        line: usize,
        /// The key (dotted path).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A `--set KEY=VALUE` override cannot be applied.
    #[error("--set {set}: {message}")]
    Override {
        /// The override as given.
        set: String,
        /// What is wrong.
        message: String,
    },
    /// No embedded plan has that name.
    #[error("no embedded plan `{name}` (embedded: {})", embedded.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The embedded plans.
        embedded: Vec<String>,
    },
    /// The data cannot be read or a derived column cannot be built.
    #[error(transparent)]
    Data(#[from] DataError),
}
