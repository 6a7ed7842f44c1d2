//! Statistical analysis plans as data: a TOML file that declares a cluster trial's design
//! (participant, cluster and arm columns, the arms' values), derived variables (thresholds,
//! unit conversions), Table 1 with the conventions of Stata 13 or R, and each outcome with its
//! model and inferences (CR1, CR2, the wild cluster bootstrap, model-based), and the choices the
//! plan makes where its source leaves them open. [`run`] performs every analysis the data allow
//! and lists the others as skipped, with the reason. `docs/plan.md` documents every key.
//!
//! ```
//! use trialstats_data::DataTable;
//! use trialstats_plan::{Plan, run};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let plan = Plan::parse("example.toml", r#"
//! [plan]
//! name = "example"
//! conventions = "stata13"
//! [design]
//! cluster = "community"
//! arm = { column = "arm", control = "usual care", treatment = "peer support" }
//! [table1]
//! continuous = ["age"]
//! [[outcome]]
//! id = "hba1c"
//! model = "linear"
//! followup = "hba1c_12"
//! baseline = "hba1c_0"
//! [[outcome]]
//! id = "weight"
//! model = "linear"
//! followup = "weight_12"
//! "#)?;
//! let mut csv = String::from("community,arm,age,hba1c_0,hba1c_12\n");
//! for g in 0..8 {
//!     let arm = if g % 2 == 0 { "usual care" } else { "peer support" };
//!     for i in 0..5 {
//!         let (a, h) = (50 + 3 * i + g, 7.0 + 0.1 * f64::from(i * g % 7));
//!         csv.push_str(&format!("c{g},{arm},{a},{h},{}\n", h - 0.05 * f64::from(g % 2) + 0.01 * f64::from(i)));
//!     }
//! }
//! let data = DataTable::from_csv_str("trial.csv", &csv)?;
//! let results = run(&plan, &data, &mut |_, _, _| {})?;
//! assert_eq!(results.clusters, [4, 4]);
//! assert_eq!(results.effects[0].outcome, "hba1c");
//! assert_eq!(results.effects[0].df, Some(7.0)); // CR1: t(G − 1)
//! assert_eq!(results.table1_tests[0].test, "ttest"); // Stata 13: Student's t
//! assert_eq!(results.skipped[0].reason, "missing columns: weight_12");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod check;
pub mod describe;
pub mod error;
pub mod plan;
pub mod report;
pub mod run;
pub mod svg;

pub use check::{PlanCheck, check};
pub use describe::{Flow, FlowStage, Icc, TargetRow, targets_table};
pub use error::PlanError;
pub use plan::{
    ArmSpec, ArmValue, Assumption, Better, Conventions, Conversion, Derived, DescribeSpec, Design,
    EMBEDDED, FlowBox, FlowSpec, FlowStageSpec, InferenceKind, Meta, ModelKind, Outcome, Plan,
    Published, ScoreRule, Sensitivity, Subgroup, Table1Spec, TargetArm, TargetSpec, UkpdsEquation,
    UkpdsRule,
};
pub use run::{
    Comparison, Effect, Interaction, OddsRatio, OutcomeInfo, PlanResults, Skipped, SubgroupLevel,
    SubgroupResult, TREATED, Table1Test, derived, run,
};
