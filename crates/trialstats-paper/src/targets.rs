//! Every number the paper (and its companions) publish that the pipeline can recompute, with its
//! source. Sources: P = Riddell et al., BMC Public Health 2016, doi:10.1186/s12889-016-3538-3;
//! Coch = the Cochrane review's extraction of P (CD014513, PMC10233616); Aziz = the process
//! evaluation, BMC Public Health 2018;18:262, doi:10.1186/s12889-018-5148-8. Tables 1–3 and
//! S1–S2 of P could not be retrieved: their cells are not targets (the report says "not
//! published" for them).

/// A published number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Key used by the pipeline to attach its reproduced value.
    pub key: &'static str,
    /// What it is.
    pub quantity: &'static str,
    /// The published value (as printed; p-values printed as "< 0.01" are stored as 0.01 with
    /// `bound` set).
    pub value: f64,
    /// Whether `value` is an upper bound ("p < 0.01").
    pub bound: bool,
    /// Source.
    pub source: &'static str,
}

const fn t(key: &'static str, quantity: &'static str, value: f64, source: &'static str) -> Target {
    Target {
        key,
        quantity,
        value,
        bound: false,
        source,
    }
}

/// The targets, in report order.
pub const TARGETS: [Target; 33] = [
    t("clusters", "communities randomised", 24.0, "P Methods"),
    t(
        "n_uc",
        "participants, usual care",
        120.0,
        "Coch (may be the planned number)",
    ),
    t("n_i", "participants, intervention", 120.0, "Coch"),
    t("age_mean", "age at baseline, mean (years)", 60.9, "Coch"),
    t("male_pct", "male (%)", 50.8, "Coch"),
    t(
        "duration_median_uc",
        "diabetes duration, median, usual care (years)",
        7.0,
        "P Results",
    ),
    t(
        "duration_median_i",
        "diabetes duration, median, intervention (years)",
        9.0,
        "P Results",
    ),
    t(
        "duration_p",
        "diabetes duration, Wilcoxon p",
        0.01,
        "P Results",
    ),
    t(
        "risk_men_mean",
        "UKPDS 5-year risk at baseline, men, mean (%)",
        11.5,
        "P Results",
    ),
    t(
        "risk_men_sd",
        "UKPDS 5-year risk at baseline, men, SD (%)",
        7.5,
        "P Results",
    ),
    t(
        "risk_women_mean",
        "UKPDS 5-year risk at baseline, women, mean (%)",
        4.2,
        "P Results",
    ),
    t(
        "risk_women_sd",
        "UKPDS 5-year risk at baseline, women, SD (%)",
        2.8,
        "P Results",
    ),
    t(
        "hba1c_gt8_uc",
        "HbA1c > 8 % at baseline, usual care (n of 108)",
        17.0,
        "P Results",
    ),
    t(
        "hba1c_gt8_i",
        "HbA1c > 8 % at baseline, intervention (n of 98)",
        22.0,
        "P Results",
    ),
    t(
        "hba1c_ge85_uc",
        "HbA1c ≥ 8.5 % at baseline, usual care (n of 108)",
        12.0,
        "P Results",
    ),
    t(
        "hba1c_ge85_i",
        "HbA1c ≥ 8.5 % at baseline, intervention (n of 98)",
        11.0,
        "P Results",
    ),
    t(
        "n12_uc",
        "with 12-month HbA1c, usual care (the denominators above)",
        108.0,
        "P Results; meaning not stated",
    ),
    t(
        "n12_i",
        "with 12-month HbA1c, intervention",
        98.0,
        "P Results",
    ),
    t(
        "risk_diff",
        "UKPDS risk at 12 months, adjusted difference (proportion)",
        0.0,
        "P Results, Abstract",
    ),
    t("risk_diff_lo", "… 95 % CI lower", -0.011, "P Results"),
    t("risk_diff_hi", "… 95 % CI upper", 0.011, "P Results"),
    t("risk_diff_p", "… p", 1.0, "P Results"),
    t(
        "hba1c_gt8_p",
        "HbA1c ≥ 8.0 % at 12 months, logistic, p",
        0.49,
        "P Results (post hoc)",
    ),
    t(
        "hba1c_ge85_p",
        "HbA1c ≥ 8.5 % at 12 months, logistic, p",
        0.47,
        "P Results (post hoc)",
    ),
    t(
        "mmas8_or",
        "MMAS-8 change, multilevel ordered logit, OR",
        2.5,
        "P Results",
    ),
    t("mmas8_or_lo", "… 95 % CI lower", 0.9, "P Results"),
    t("mmas8_or_hi", "… 95 % CI upper", 7.0, "P Results"),
    t("mmas8_p", "… p", 0.09, "P Results"),
    Target {
        key: "fv_p",
        quantity: "days with > 5 serves of fruit and vegetables, p",
        value: 0.01,
        bound: true,
        source: "P Results / Table S1",
    },
    t(
        "exercise_p",
        "days with a specific exercise session, p",
        0.03,
        "P Results / Table S1",
    ),
    t(
        "bg_test_p",
        "days testing blood sugar, p",
        0.02,
        "P Results / Table S1",
    ),
    t("eq5d_p", "EQ-5D index at 12 months, p", 0.34, "P Results"),
    t(
        "pa3_p",
        "physically active > 3 times a week, p",
        0.61,
        "P Results",
    ),
];

/// Published targets without a model counterpart here, listed for completeness in the report.
pub const CONTEXT: [(&str, &str, &str); 6] = [
    (
        "physical activity > 3/week, increase, intervention v. usual care (%)",
        "15.4 v. 9.1",
        "P Results",
    ),
    (
        "availability of support from the health-care team, p",
        "0.01",
        "P / Table S2",
    ),
    (
        "satisfaction with support from the health-care team, p",
        "< 0.01",
        "P / Table S2",
    ),
    (
        "share whose 5-year risk fell, intervention v. usual care (%)",
        "65.1 v. 44.8",
        "Aziz abstract",
    ),
    (
        "PHQ-9 category change; DDS-4; mental health",
        "not significant (data not shown)",
        "P Results",
    ),
    (
        "per-arm means and SDs of Tables 1–3 and S1–S2",
        "not retrievable",
        "—",
    ),
];
