//! The one-call API against published and recorded reference values, against the estimators
//! called directly (the same bits: the API adds no arithmetic), and its errors.
//!
//! References (each recorded in the estimator crates' tests with its command and version):
//! - Petersen's data, OLS `y ~ x`: Stata 12 `regress, vce(cluster firm)`; R 4.2.2 sandwich 3.0.2
//!   `vcovCL(type = "HC1")` two-way with `multi0 = TRUE`; clubSandwich 0.5.8 CR2 and its
//!   Satterthwaite df (crates/trialstats-robust/tests/reference_petersen.rs).
//! - wine, `glm(contact ~ temp + response, binomial, control = glm.control(epsilon = 1e-15,
//!   maxit = 100))` with `sandwich::vcovCL(m, cluster = ~judge, type = "HC0")` (Stata's
//!   G/(G − 1)), recorded here with R 4.2.2 and sandwich 3.0.2 (`options(digits = 17)`). glm's
//!   default `epsilon = 1e-8` stops the IRLS early enough to move the intercept's SE by 2.5e−8
//!   relative; the tightened run agrees with ours to 1e−15.
//! - wine, `clm(rating ~ temp + contact)`: R ordinal 2022.11.16
//!   (crates/trialstats-ordinal/tests/reference_wine.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Level;
use trialstats_core::testing::Tol;
use trialstats_data::{Column, DataTable, Formula, FrameOptions, ModelFrame, datasets};
use trialstats_mi::Mice;
use trialstats_models::prelude::*;
use trialstats_models::{ModelError, SpecError};
use trialstats_ordinal::{Clm, Clmm};
use trialstats_robust::{Ols, RobustError};
use trialstats_sandwich::Vcov;

fn petersen() -> DataTable {
    datasets::petersen().unwrap()
}

fn v(inf: &Inference) -> Vec<f64> {
    inf.vcov.as_slice().to_vec()
}

#[test]
fn ols_is_the_estimator_called_directly_and_matches_stata() {
    let d = petersen();
    let fit = ols("y ~ x").cluster("firm").fit(&d).unwrap();
    // The same computation by hand: frame, OLS with the clusters, CR1.
    let f = Formula::parse("y ~ x").unwrap();
    let opts = FrameOptions {
        clusters: vec!["firm".into()],
        check_rank: false,
    };
    let mf = ModelFrame::new(&d, &f, &opts).unwrap();
    let direct = Ols::new(&mf.x, mf.y().unwrap())
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .clusters(&mf.clusters[0])
        .unwrap()
        .fit()
        .unwrap()
        .infer(&Vcov::cr1(mf.clusters[0].clone()), Level::P95)
        .unwrap();
    assert_eq!(fit.inference(), &direct);
    // Stata 12: V(x) = .00255993, t(499).
    Tol::rel(1e-5)
        .check("V(x)", fit.inference().vcov[(1, 1)], 0.00255993)
        .unwrap();
    assert_eq!(fit.coef("x").unwrap().df, Some(499.0));
    assert_eq!(fit.nobs(), 5000);
    assert_eq!(fit.df_complete().to_bits(), 499.0f64.to_bits());
}

#[test]
fn other_standard_errors_of_one_fit_match_sandwich_and_clubsandwich() {
    let d = petersen();
    let by_firm = ols("y ~ x").cluster("firm").fit(&d).unwrap();
    let cr2 = by_firm.infer(Se::CR2, Level::P95).unwrap();
    Tol::rel(1e-10)
        .check_slice(
            "CR2",
            &v(&cr2),
            &[
                0.0044944872570532,
                -6.59291186924326e-05,
                -6.59291186924326e-05,
                0.00256823604178553,
            ],
        )
        .unwrap();
    Tol::rel(1e-8)
        .check(
            "Satterthwaite df of x",
            cr2.coefficients[1].df.unwrap(),
            308.75638131895050,
        )
        .unwrap();
    let two_way = ols("y ~ x")
        .cluster("firm")
        .cluster("year")
        .se(Se::TwoWayMulti0(CrType::Cr1))
        .fit(&d)
        .unwrap();
    Tol::rel(1e-10)
        .check_slice(
            "two-way, multi0",
            &v(two_way.inference()),
            &[
                4.2336351825485938e-03,
                -2.8458043092643871e-05,
                -2.8458043092643865e-05,
                2.8687843358484021e-03,
            ],
        )
        .unwrap();
    // t with min(G) − 1 = 9 df.
    assert_eq!(two_way.coef("x").unwrap().df, Some(9.0));
    // Model-based SEs without a cluster; HC1 of the same fit.
    let plain = ols("y ~ x").fit(&d).unwrap();
    assert_eq!(plain.inference().covariance.label, "iid");
    let hc1 = plain.infer(Se::HC1, Level::P95).unwrap();
    Tol::decimals(4)
        .check("HC1 SE(x)", hc1.coefficients[1].std_error, 0.0284)
        .unwrap();
}

#[test]
fn logit_with_cr1_matches_r_sandwich() {
    let wine = datasets::wine().unwrap();
    let fit = logit("contact ~ temp + response")
        .cluster("judge")
        .fit(&wine)
        .unwrap();
    let inf = fit.inference();
    let est: Vec<f64> = inf.coefficients.iter().map(|c| c.estimate).collect();
    let se: Vec<f64> = inf.coefficients.iter().map(|c| c.std_error).collect();
    // R: coef(m) of the tightened glm.
    Tol::rel(1e-12)
        .check_slice(
            "estimates",
            &est,
            &[
                -2.170436996308187538,
                -1.386357875438934739,
                0.060726636977148647,
            ],
        )
        .unwrap();
    // R: sqrt(diag(vcovCL(m, cluster = ~judge, type = "HC0"))): G/(G − 1), z.
    Tol::rel(1e-12)
        .check_slice(
            "CR1 SEs",
            &se,
            &[
                0.768182685296546652,
                0.449102919325584771,
                0.021107460369663312,
            ],
        )
        .unwrap();
    assert!(inf.coefficients.iter().all(|c| c.df.is_none()));
    assert!(fit.df_complete().is_infinite());
}

#[test]
fn clm_and_clmm_are_the_estimators_called_directly() {
    let wine = datasets::wine().unwrap();
    let fit = clm("rating ~ temp + contact")
        .cluster("judge")
        .fit(&wine)
        .unwrap();
    // R ordinal: tempwarm 2.5031020078995598, contactyes 1.5277976580953543.
    Tol::rel(1e-9)
        .check(
            "tempwarm",
            fit.coef("tempwarm").unwrap().estimate,
            2.5031020078995598,
        )
        .unwrap();
    // By hand: codes 0..4 of the ratings 1..5, X without the intercept, CR1 by judge.
    let f = Formula::parse("rating ~ temp + contact").unwrap();
    let mf = ModelFrame::new(
        &wine,
        &f,
        &FrameOptions {
            clusters: vec!["judge".into()],
            check_rank: false,
        },
    )
    .unwrap();
    let codes: Vec<usize> = mf.y().unwrap().iter().map(|v| *v as usize - 1).collect();
    let levels = ["1", "2", "3", "4", "5"];
    let x = mf.x.columns(1, 2).into_owned();
    let direct = Clm::with_levels(&codes, &levels, &x)
        .unwrap()
        .names(&mf.column_names[1..])
        .unwrap()
        .fit()
        .unwrap();
    let direct_inf = direct
        .infer(&Vcov::cr1(mf.clusters[0].clone()), Level::P95)
        .unwrap();
    assert_eq!(fit.inference().coefficients, direct_inf.coefficients);
    let mm = clmm("rating ~ temp + contact", "judge")
        .quadrature(Quadrature::Adaptive { nodes: 5 })
        .fit(&wine)
        .unwrap();
    let direct = Clmm::new(&codes, &levels, &x, &mf.clusters[0])
        .unwrap()
        .names(&mf.column_names[1..])
        .unwrap()
        .quadrature(Quadrature::Adaptive { nodes: 5 })
        .fit()
        .unwrap();
    assert_eq!(mm.inference(), &direct.infer(Level::P95).unwrap());
    assert_eq!(mm.inference().covariance.label, "model-based");
}

#[test]
fn pooling_is_the_closure_path() {
    let nhanes = datasets::nhanes().unwrap();
    let imputed = Mice::new(&nhanes).unwrap().m(5).seed(3).run(None).unwrap();
    let pooled = ols("chl ~ bmi + age").pool(&imputed).unwrap();
    let by_hand = imputed
        .analyse(22.0, Level::P95, |t| {
            ols("chl ~ bmi + age").fit(t).map(|f| f.into_inference())
        })
        .unwrap();
    assert_eq!(pooled, by_hand);
    // A failing analysis names the imputation.
    let e = ols("chl ~ nothere").pool(&imputed).unwrap_err();
    assert!(
        e.to_string().starts_with("analysis of imputation 1: "),
        "{e}"
    );
}

#[test]
fn specifications_are_checked_before_any_data_are_read() {
    let cases = [
        (ols("y ~ x").se(Se::CR1), SpecError::ClusterNeeded),
        (
            ols("y ~ x").cluster("g").se(Se::HC1),
            SpecError::ClusterUnused,
        ),
        (
            ols("y ~ x").cluster("a").cluster("b").cluster("c"),
            SpecError::TooManyClusters,
        ),
        (
            ols("y ~ x").cluster("a").cluster("b").se(Se::CR2),
            SpecError::TwoWayType,
        ),
        (
            ols("y ~ x").cluster("a").se(Se::TwoWayMulti0(CrType::Cr1)),
            SpecError::Multi0OneWay,
        ),
        (
            clm("y ~ x").cluster("g").se(Se::CR2),
            SpecError::LeverageForOrdinal,
        ),
        (
            clmm("y ~ x", "g").cluster("g"),
            SpecError::RandomInterceptSe,
        ),
        (
            glmm("y ~ x", "g").random_intercept("id"),
            SpecError::NestedFamily,
        ),
        (
            glmm("y ~ x", "g").cluster("g"),
            SpecError::RandomInterceptSe,
        ),
        (lmm("y ~ x", "g").cluster("g"), SpecError::RandomInterceptSe),
        (
            clmm("y ~ x", "g").quadrature(Quadrature::Adaptive { nodes: 1000 }),
            SpecError::Nodes,
        ),
    ];
    // An empty table: a data error would come first if the specification were not checked.
    let empty = DataTable::new("none", vec![Column::numeric("z", vec![Some(1.0)])]).unwrap();
    for (model, want) in cases {
        assert_eq!(model.check(), Err(ModelError::Spec(want)), "{model:?}");
        assert_eq!(model.fit(&empty).unwrap_err(), ModelError::Spec(want));
    }
    assert!(ols("y ~ x").cluster("g").check().is_ok());
}

/// A table whose first row is dropped (missing x): error rows must still be data rows.
fn with_dropped_first_row(y: Vec<Option<f64>>) -> DataTable {
    let n = y.len();
    let x: Vec<Option<f64>> = (0..n)
        .map(|i| (i > 0).then_some(i as f64 * 0.7 % 3.0))
        .collect();
    DataTable::new(
        "t.csv",
        vec![Column::numeric("y", y), Column::numeric("x", x)],
    )
    .unwrap()
}

#[test]
fn outcome_errors_name_the_data_row() {
    // Logit: the fourth data row holds 2 (the first row is dropped, so it is frame row 3).
    let t = with_dropped_first_row(vec![Some(0.0), Some(1.0), Some(0.0), Some(2.0), Some(1.0)]);
    let e = logit("y ~ x").fit(&t).unwrap_err();
    assert_eq!(
        e,
        ModelError::Robust(RobustError::NotBinary { row: 3, value: 2.0 })
    );
    assert!(e.to_string().contains("row 4 is 2"), "{e}");
    // Ordinal: 2.5 on the fifth data row.
    let t = with_dropped_first_row(vec![
        Some(1.0),
        Some(1.0),
        Some(2.0),
        Some(3.0),
        Some(2.5),
        Some(3.0),
    ]);
    let e = clm("y ~ x").fit(&t).unwrap_err();
    assert_eq!(
        e,
        ModelError::OrdinalCode {
            column: "y".into(),
            row: 5,
            value: 2.5
        }
    );
    // Text outcomes: three levels for a logit, any text for an ordinal model.
    let wine = datasets::wine().unwrap();
    // A column that is not there is a data error naming it.
    let e = logit("nothere ~ temp").fit(&wine).unwrap_err();
    assert!(
        matches!(e, ModelError::Data(_)) && e.to_string().contains("nothere"),
        "{e}"
    );
    let three = DataTable::new(
        "three.csv",
        vec![
            Column::categorical("y", &[Some("a"), Some("b"), Some("c"), Some("a")]),
            Column::numeric("x", vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)]),
        ],
    )
    .unwrap();
    assert!(matches!(
        logit("y ~ x").fit(&three),
        Err(ModelError::NotBinary { levels, .. }) if levels.len() == 3
    ));
    assert!(matches!(
        clm("temp ~ contact").fit(&wine),
        Err(ModelError::OrdinalText { .. })
    ));
}

#[test]
fn the_wild_bootstrap_needs_ols_with_one_cluster_column() {
    let wine = datasets::wine().unwrap();
    let fit = logit("contact ~ temp + response")
        .cluster("judge")
        .fit(&wine)
        .unwrap();
    let boot = WildClusterBootstrap::default();
    assert_eq!(
        fit.wild_bootstrap("tempwarm", &boot, None).unwrap_err(),
        ModelError::Spec(SpecError::WildBootstrap)
    );
    // The bootstrap uses the model's clustering (year: G = 10, all 2^10 sign vectors).
    let d = petersen();
    let fit = ols("y ~ x").cluster("year").fit(&d).unwrap();
    let spec = WildClusterBootstrap {
        reps: 1024,
        ..WildClusterBootstrap::default()
    };
    let t = fit.wild_bootstrap("x", &spec, None).unwrap();
    assert!(t.enumerated && t.n_clusters == 10);
}

/// Transformations in formulas as R users write them, against R 4.2.2 on trial24
/// (crates/trialstats-robust/data/trial24.csv; `options(digits = 17)`):
/// ```r
/// m <- lm(log(y) ~ arm + I(base^2) + sqrt(abs(base)) + log1p(female) + I(base/10 - 1), d)
/// names(coef(m)); coef(m); sqrt(diag(vcov(m)))
/// m2 <- lm(I(y^2/100) ~ exp(female) + log10(abs(base) + 1) + log2(abs(base) + 2), d)
/// ```
/// Both fits are least squares by Householder QR on both sides: rtol 1e−9.
#[test]
fn transformations_match_r() {
    let d = DataTable::from_csv_str(
        "trial24",
        include_str!("../../trialstats-robust/data/trial24.csv"),
    )
    .unwrap();
    let fit =
        ols("log(y) ~ arm + I(base ^ 2) + sqrt(abs(base)) + log1p(female) + I(base / 10 - 1)")
            .fit(&d)
            .unwrap();
    let inf = fit.inference();
    let names: Vec<&str> = inf.coefficients.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(
        names,
        [
            "(Intercept)",
            "arm",
            "I(base^2)",
            "sqrt(abs(base))",
            "log1p(female)",
            "I(base/10 - 1)"
        ]
    );
    assert_eq!(fit.frame().response_name, "log(y)");
    let est: Vec<f64> = inf.coefficients.iter().map(|c| c.estimate).collect();
    let se: Vec<f64> = inf.coefficients.iter().map(|c| c.std_error).collect();
    Tol::rel(1e-9)
        .check_slice(
            "estimates",
            &est,
            &[
                -0.70535147634919825865,
                -0.05955658482655845631,
                0.00030380176940619254,
                0.96849039446651141727,
                0.03950540007766285833,
                -0.73937337202703834471,
            ],
        )
        .unwrap();
    Tol::rel(1e-9)
        .check_slice(
            "SEs",
            &se,
            &[
                2.1839585472898281893,
                0.0392297670293615952,
                0.0010319886766466913,
                0.6635746980335370804,
                0.0566431372549326892,
                1.1851753459940030933,
            ],
        )
        .unwrap();
    let fit2 = ols("I(y^2/100) ~ exp(female) + log10(abs(base) + 1) + log2(abs(base) + 2)")
        .fit(&d)
        .unwrap();
    let est2: Vec<f64> = fit2
        .inference()
        .coefficients
        .iter()
        .map(|c| c.estimate)
        .collect();
    Tol::rel(1e-9)
        .check_slice(
            "estimates 2",
            &est2,
            &[
                -59.19024505180118467,
                0.22885459468727104,
                -391.05623332064857323,
                130.20483531797000865,
            ],
        )
        .unwrap();
    // The log of 0 is an error naming the row and the input, not an infinite value.
    let zero = DataTable::from_csv_str("z.csv", "y,x\n1,1\n0,2\n3,3\n4,5\n").unwrap();
    let e = ols("log(y) ~ x").fit(&zero).unwrap_err();
    assert!(
        e.to_string().contains("`log(y)` is -inf at row 2 (y = 0)"),
        "{e}"
    );
    // An unknown function is named.
    let e = ols("y ~ logg(x)").fit(&zero).unwrap_err();
    assert!(e.to_string().contains("unknown function `logg`"), "{e}");
}

#[test]
fn a_linear_mixed_model_from_a_formula_is_lme4s_with_ids_within_communities() {
    // The unbalanced trial of trialstats-mixed's references (R 4.2.2, lme4 1.1.31, lmerTest
    // 3.1.3: y ~ arm*time + x1 + x2 + (1 | community) + (1 | community:pid), REML), with the
    // participant ids written without their community ("p01" recurs in every community): the
    // model identifies participants within communities, says so, and gives R's numbers.
    let csv = include_str!("../../trialstats-mixed/tests/data/trial_lmm.csv");
    let short: String = csv
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_owned()
            } else {
                let mut f: Vec<String> = l.split(',').map(str::to_owned).collect();
                let pid = f[6].split_at(3).1.to_owned(); // "c01p01" → "p01"
                f[6] = pid;
                f.join(",")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let t = DataTable::from_csv_str("trial.csv", &short).unwrap();
    let fit = lmm("y ~ arm * time + x1 + x2", "community")
        .random_intercept("pid")
        .fit(&t)
        .unwrap();
    assert_eq!((fit.nobs(), fit.frame().dropped.count()), (465, 5));
    let c = fit.coef("arm:time").unwrap();
    // R: fixef 0.3163…, Satterthwaite df 221.98884319487243.
    let Fitted::Lmm(m) = fit.fitted() else {
        panic!("not an lmm")
    };
    assert_eq!(m.components[1].levels, 270);
    assert!(
        (c.df.unwrap() / 221.98884319487243 - 1.0).abs() < 1e-5,
        "{:?}",
        c.df
    );
    assert!(
        fit.warnings().iter().any(|w| w.contains("recur")),
        "{:?}",
        fit.warnings()
    );
    // Kenward–Roger through the same specification: R's df 218.70659402424147.
    let kr = lmm("y ~ arm * time + x1 + x2", "community")
        .random_intercept("pid")
        .ddf(Ddf::KenwardRoger)
        .fit(&t)
        .unwrap();
    let c = kr.coef("arm:time").unwrap();
    assert!(
        (c.df.unwrap() / 218.70659402424147 - 1.0).abs() < 1e-5,
        "{:?}",
        c.df
    );
}

#[test]
fn a_random_intercept_logit_from_a_formula_is_glmers() {
    // The mixed crate's reference data; glmer(y ~ arm + x1 + x2 + (1 | community), binomial,
    // nAGQ = 10), polished (tests/data/make_glmm_ref.R there): arm 1.040819366615094, SE
    // 0.30807083260759899, sigma 0.61213779170953153; 4 of 527 outcomes missing.
    let csv = include_str!("../../trialstats-mixed/tests/data/trial_glmm.csv");
    let t = DataTable::from_csv_str("trial_glmm.csv", csv).unwrap();
    let fit = glmm("y ~ arm + x1 + x2", "community")
        .quadrature(Quadrature::Adaptive { nodes: 10 })
        .fit(&t)
        .unwrap();
    assert_eq!((fit.nobs(), fit.frame().dropped.count()), (523, 4));
    let arm = fit.coef("arm").unwrap();
    assert!((arm.estimate - 1.040819366615094).abs() < 1e-6, "{arm:?}");
    assert!(
        (arm.std_error / 0.30807083260759899 - 1.0).abs() < 1e-5,
        "{arm:?}"
    );
    assert_eq!(arm.df, None, "z tests");
    let Fitted::Glmm(m) = fit.fitted() else {
        panic!("not a glmm")
    };
    assert!((m.sigma - 0.61213779170953153).abs() < 1e-6);
    // A value other than 0/1 is named by its data row.
    let bad = csv.replacen("\n1,", "\n3,", 1);
    let row = bad.lines().position(|l| l.starts_with("3,")).unwrap();
    let t = DataTable::from_csv_str("trial_glmm.csv", &bad).unwrap();
    let err = glmm("y ~ arm + x1 + x2", "community").fit(&t).unwrap_err();
    assert!(err.to_string().contains(&format!("row {row}")), "{err}");
}

#[test]
fn an_ordinal_model_with_nested_random_intercepts_is_clmms() {
    // R 4.2.2, ordinal 2022.11.16 (trialstats-ordinal's tests/data/make_nested_ref.R):
    // clmm(y ~ arm * time + x1 + (1 | community) + (1 | community:pid)), Laplace, polished:
    // log-likelihood −408.46360761532105, arm:time −0.46111993265599138 (SE 0.44014771373).
    let csv = include_str!("../../trialstats-ordinal/tests/data/nested_trial.csv");
    let t = DataTable::from_csv_str("nested_trial.csv", csv).unwrap();
    let fit = clmm("y ~ arm * time + x1", "community")
        .random_intercept("pid")
        .fit(&t)
        .unwrap();
    assert_eq!((fit.nobs(), fit.frame().dropped.count()), (316, 2));
    let Fitted::NestedClmm(m) = fit.fitted() else {
        panic!("not a nested clmm")
    };
    assert!((m.loglik() + 408.46360761532105).abs() < 1e-8);
    let at = fit.coef("arm:time").unwrap();
    assert!((at.estimate + 0.46111993265599138).abs() < 1e-6, "{at:?}");
    assert!(
        (at.std_error / 0.44014771373092604 - 1.0).abs() < 1e-5,
        "{at:?}"
    );
    // Participant ids recur across communities: identified within each, with a warning.
    assert!(fit.warnings().iter().any(|w| w.contains("recur")));
}
