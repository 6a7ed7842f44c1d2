//! The participant-level schema shared by the simulator and the paper pipeline: one row per
//! participant, baseline (`_0`) and 12-month (`_12`) columns, item-level survey answers. Users
//! with real trial data map their columns to these names; 12-month cells are empty for
//! participants without follow-up.

use trialstats_data::DataTable;

/// The `arm` value of the control arm.
pub const ARM_USUAL_CARE: &str = "usual_care";
/// The `arm` value of the intervention arm.
pub const ARM_INTERVENTION: &str = "intervention";

/// Columns measured once (at baseline), with their meaning.
pub const FIXED: [(&str, &str); 10] = [
    ("id", "participant id"),
    ("region", "stratum (health region)"),
    ("cluster", "community (unit of randomisation)"),
    ("arm", "`usual_care` or `intervention`"),
    ("female", "1 = female, 0 = male"),
    ("age", "age at baseline (years)"),
    ("duration", "years since diagnosis of diabetes at baseline"),
    (
        "afro_caribbean",
        "1 = Afro-Caribbean ethnicity (UKPDS input)",
    ),
    ("af", "1 = atrial fibrillation (UKPDS 60 input)"),
    ("height", "height (m)"),
];

/// Columns measured at baseline and 12 months (names end in `_0` and `_12`).
pub const REPEATED: [(&str, &str); 12] = [
    ("smoker", "1 = current smoker"),
    ("hba1c", "HbA1c (%, NGSP)"),
    ("sbp", "systolic blood pressure (mmHg)"),
    ("dbp", "diastolic blood pressure (mmHg)"),
    ("tc", "total cholesterol (mmol/L)"),
    ("hdl", "HDL cholesterol (mmol/L)"),
    ("ldl", "LDL cholesterol (mmol/L)"),
    ("tg", "triglycerides (mmol/L)"),
    ("weight", "weight (kg)"),
    ("waist", "waist circumference (cm)"),
    ("pa3", "1 = physically active more than 3 times a week"),
    ("eqvas", "EQ VAS, 0–100"),
];

/// Item-level survey columns measured at baseline and 12 months: (prefix, items, coding).
pub const ITEMS: [(&str, &[&str], &str); 6] = [
    (
        "phq",
        &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
        "PHQ-9 items, 0–3",
    ),
    (
        "dds",
        &["14", "6", "16", "3"],
        "DDS-4 items by their DDS-17 numbers, 1–6",
    ),
    (
        "",
        &["mo", "sc", "ua", "pd", "ad"],
        "EQ-5D-3L dimensions, levels 1–3",
    ),
    (
        "mmas",
        &["1", "2", "3", "4", "5", "6", "7", "8"],
        "MMAS-8 items: 1–7 yes/no, 8 A–E",
    ),
    (
        "sdsca",
        &[
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
        ],
        "SDSCA: items 1–10 days 0–7, 11 smoked (0/1), 12 cigarettes per day",
    ),
    (
        "support_",
        &["avail", "satis"],
        "availability of / satisfaction with support, 1–5",
    ),
];

/// Every column name of the schema, in order.
///
/// # Examples
/// ```
/// use trialstats_sim::schema;
/// let c = schema::columns();
/// // 10 fixed columns, then 52 at baseline (`_0`) and 52 at 12 months (`_12`).
/// assert_eq!(c.len(), 114);
/// assert_eq!(&c[..4], ["id", "region", "cluster", "arm"]);
/// assert!(c.contains(&"hba1c_12".to_string()) && c.contains(&"sdsca12_0".to_string()));
/// ```
pub fn columns() -> Vec<String> {
    let mut out: Vec<String> = FIXED.iter().map(|(n, _)| (*n).to_string()).collect();
    for t in [0, 12] {
        for (n, _) in REPEATED {
            out.push(format!("{n}_{t}"));
        }
        for (prefix, items, _) in ITEMS {
            for i in items {
                out.push(format!("{prefix}{i}_{t}"));
            }
        }
    }
    out
}

/// Checks that a table has every schema column.
///
/// # Errors
/// Every missing column, in schema order.
///
/// # Examples
/// ```
/// use trialstats_data::{Column, DataTable};
/// use trialstats_sim::schema;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = DataTable::new("mine.csv", vec![Column::numeric("id", vec![Some(1.0)]), Column::numeric("age", vec![Some(60.0)])])?;
/// let missing = schema::check(&t).err().ok_or("the check passed")?;
/// assert_eq!(missing.len(), schema::columns().len() - 2); // all but id and age
/// assert_eq!(&missing[..2], ["region", "cluster"]); // in schema order
/// # Ok(()) }
/// ```
pub fn check(table: &DataTable) -> Result<(), Vec<String>> {
    let missing: Vec<String> = columns()
        .into_iter()
        .filter(|c| table.column(c).is_err())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}
