//! A trial-like dataset (24 unbalanced clusters, arm constant within cluster) against R.
//!
//! Data: `data/trial24.csv`, made with R 4.2.2:
//! ```r
//! set.seed(20261126)
//! G <- 24; sizes <- sample(4:16, G, replace = TRUE)
//! site <- rep(seq_len(G), sizes); n <- length(site)
//! arm <- rep(rep(0:1, each = 12)[sample(G)], sizes)
//! female <- rbinom(n, 1, 0.55); base <- round(rnorm(n, 20, 8), 2); u <- rnorm(G, 0, 2)[site]
//! y <- round(5 + 0.8*base - 0.5*arm + 1.2*female + u + rnorm(n, 0, 4), 2)
//! hba1c_high <- as.integer(0.05*base - 0.3*arm + u/2 + rnorm(n) > 1)
//! ```
//! References: R 4.2.2, sandwich 3.0.2, clubSandwich 0.5.8 (`options(digits = 17)`):
//! ```r
//! m <- lm(y ~ arm + base + female, d)
//! vcovCL(m, cluster = ~site, type = "HC1"); vcovCR(m, cluster = d$site, type = "CR2" / "CR3")
//! coef_test(m, vcov = "CR2", cluster = d$site, test = "Satterthwaite")
//! vcovHC(m, type = "HC2" / "HC3")
//! Wald_test(m, constrain_zero(c("arm", "female")), vcov = "CR1S", cluster = d$site, test = "Naive-F")
//! gm <- glm(hba1c_high ~ arm + base, binomial, d, control = glm.control(epsilon = 1e-15, maxit = 100))
//! vcovCL(gm, cluster = ~site, type = "HC0", cadjust = TRUE)   # Stata's logit, vce(cluster site)
//! ```
//! Closed-form covariances: rtol 1e−10. The logit is converged tightly on both sides (glm's
//! default epsilon = 1e−8 would leave the 7th digit uncertain): rtol 1e−9.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Level;
use trialstats_core::testing::Tol;
use trialstats_data::{DataTable, Formula, FrameOptions, ModelFrame};
use trialstats_robust::{CrType, HcType, Logit, Ols, Vcov, wald_test};

const TRIAL24: &str = include_str!("../data/trial24.csv");

fn frame(formula: &str) -> ModelFrame {
    let t = DataTable::from_csv_str("trial24", TRIAL24).unwrap();
    let f = Formula::parse(formula).unwrap();
    ModelFrame::new(
        &t,
        &f,
        &FrameOptions {
            clusters: vec!["site".into()],
            check_rank: false,
        },
    )
    .unwrap()
}

fn ols() -> (
    trialstats_robust::OlsFit<'static>,
    trialstats_core::Clusters,
) {
    let mf = frame("y ~ arm + base + female");
    let y = mf.y().unwrap().to_vec();
    let fit = Ols::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap()
        .into_owned();
    (fit, mf.clusters[0].clone())
}

#[test]
fn ols_cluster_covariances() {
    let (fit, site) = ols();
    assert_eq!((fit.coefficients().len(), site.n_clusters()), (4, 24));
    Tol::rel(1e-12)
        .check_slice(
            "beta",
            fit.coefficients().as_slice(),
            &[
                2.84864278994995912,
                -0.97604200116131667,
                0.89586595093664190,
                0.78927511781991211,
            ],
        )
        .unwrap();
    let cases: [(CrType, [f64; 16]); 3] = [
        (
            CrType::Cr1,
            [
                1.92877487230010369323,
                -0.60691310255338759561,
                -0.05241105313061321380,
                -0.12379041600234197418,
                -0.60691310255338681845,
                1.48809376159987349908,
                -0.00046669479814887157,
                -0.00766306948791149484,
                -0.05241105313061305421,
                -0.00046669479814890176,
                0.00197245235011144892,
                0.00365832548876388053,
                -0.12379041600234431952,
                -0.00766306948791151306,
                0.00365832548876396857,
                0.24932537130115628443,
            ],
        ),
        (
            CrType::Cr2,
            [
                1.98669817429027673050,
                -0.62642829401203525830,
                -0.05378293524535444209,
                -0.12057471286560467183,
                -0.62642829401203559136,
                1.56459990367179546666,
                -0.00098109214173592858,
                -0.01195167518674552544,
                -0.05378293524535440739,
                -0.00098109214173590841,
                0.00202966591073670561,
                0.00371074962772802901,
                -0.12057471286560630941,
                -0.01195167518674570065,
                0.00371074962772798347,
                0.25683179751817353242,
            ],
        ),
        (
            CrType::Cr3 { jackknife: false },
            [
                2.1642178885393708043,
                -0.6834773188535997468,
                -0.0584001800667147200,
                -0.1238355016034737993,
                -0.6834773188536007460,
                1.7385931555022060557,
                -0.0016157757519222979,
                -0.0176145757759062493,
                -0.0584001800667147963,
                -0.0016157757519223055,
                0.0022111794349802634,
                0.0039801394815103903,
                -0.1238355016034757144,
                -0.0176145757759059267,
                0.0039801394815103973,
                0.2802052262498360702,
            ],
        ),
    ];
    for (kind, want) in cases {
        let how = Vcov::Cluster {
            clusters: site.clone(),
            kind,
        };
        let v = fit.vcov(&how).unwrap();
        Tol {
            abs: 1e-15,
            rel: 1e-10,
        }
        .check_slice(&how.label(), v.matrix.as_slice(), &want)
        .unwrap();
    }
    let inf = fit
        .infer(
            &Vcov::Cluster {
                clusters: site.clone(),
                kind: CrType::Cr2,
            },
            Level::P95,
        )
        .unwrap();
    let df: Vec<f64> = inf.coefficients.iter().map(|c| c.df.unwrap()).collect();
    Tol::rel(1e-8)
        .check_slice(
            "df_Satt",
            &df,
            &[
                18.700884436701230,
                20.141219691768423,
                18.140368903728579,
                20.950297181596561,
            ],
        )
        .unwrap();
    let p: Vec<f64> = inf.coefficients.iter().map(|c| c.p_value).collect();
    Tol::rel(1e-8)
        .check_slice(
            "p_Satt",
            &p,
            &[
                5.7829193630304337e-02,
                4.4428301469767106e-01,
                9.0997106350239153e-14,
                1.3435082935969095e-01,
            ],
        )
        .unwrap();
}

#[test]
fn ols_hc2_hc3() {
    let (fit, _) = ols();
    let hc2 = fit.vcov(&Vcov::Hc(HcType::Hc2)).unwrap();
    Tol::rel(1e-10)
        .check("HC2[arm,arm]", hc2.matrix[(1, 1)], 0.3506516312678584768)
        .unwrap();
    Tol::rel(1e-10)
        .check("HC2[0,3]", hc2.matrix[(0, 3)], -0.2034014873840618576)
        .unwrap();
    let hc3 = fit.vcov(&Vcov::Hc(HcType::Hc3)).unwrap();
    Tol::rel(1e-10)
        .check("HC3[arm,arm]", hc3.matrix[(1, 1)], 0.3561467498019867950)
        .unwrap();
    Tol::rel(1e-10)
        .check(
            "HC3[base,female]",
            hc3.matrix[(2, 3)],
            0.0016449589603332294,
        )
        .unwrap();
}

#[test]
fn joint_wald_test_f_with_g_minus_1_df() {
    // clubSandwich Naive-F with CR1S (Stata's CR1; clubSandwich's "CR1" omits (N−1)/(N−K)):
    // F = 1.55370974199139811 on (2, 23), p = 0.23285454556399579.
    let (fit, site) = ols();
    let cov = fit
        .vcov(&Vcov::Cluster {
            clusters: site,
            kind: CrType::Cr1,
        })
        .unwrap();
    let w = wald_test(fit.names(), fit.coefficients(), &cov, &["arm", "female"]).unwrap();
    assert_eq!((w.df1, w.df2), (2, Some(23.0)));
    Tol::rel(1e-10)
        .check("F", w.statistic, 1.55370974199139811)
        .unwrap();
    Tol::rel(1e-10)
        .check("p", w.p_value, 0.23285454556399579)
        .unwrap();
    let e = wald_test(fit.names(), fit.coefficients(), &cov, &["armm"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`armm` is not a term of the model; its terms are (Intercept), arm, base, female"
    );
}

#[test]
fn logit_matches_glm_and_stata_cluster_convention() {
    let mf = frame("hba1c_high ~ arm + base");
    let y = mf.y().unwrap().to_vec();
    let fit = Logit::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap();
    let t = Tol::rel(1e-9);
    t.check_slice(
        "beta",
        fit.coefficients().as_slice(),
        &[
            -1.184802448257777030,
            -0.456286609605346394,
            0.055902962021451535,
        ],
    )
    .unwrap();
    t.check("loglik", fit.loglik(), -166.51178797123131)
        .unwrap();
    let iid = fit.vcov(&Vcov::Iid).unwrap();
    t.check_slice(
        "iid",
        iid.matrix.as_slice(),
        &[
            0.17148196273761373565,
            -0.02792565334915817626,
            -0.00662300762142179790,
            -0.02792565334915817626,
            0.06840122157474405606,
            -0.00014674682884253514,
            -0.00662300762142179790,
            -0.00014674682884253514,
            0.00031232437996111108,
        ],
    )
    .unwrap();
    let how = Vcov::Cluster {
        clusters: mf.clusters[0].clone(),
        kind: CrType::Cr1,
    };
    let cr1 = fit.vcov(&how).unwrap();
    t.check_slice(
        "cr1",
        cr1.matrix.as_slice(),
        &[
            0.32033620949209096196,
            -0.18814437642528308858,
            -0.00721483281946327503,
            -0.18814437642528331063,
            0.32515471712774540736,
            0.00076939333716492689,
            -0.00721483281946323426,
            0.00076939333716492212,
            0.00034999582615124282,
        ],
    )
    .unwrap();
    let inf = fit.infer(&how, Level::P95).unwrap();
    assert!(
        inf.coefficients.iter().all(|c| c.df.is_none()),
        "z inference as Stata"
    );
    let or = inf.coefficients[1].exponentiated();
    Tol::rel(1e-9)
        .check("OR arm", or.estimate, (-0.456286609605346394f64).exp())
        .unwrap();
}

#[test]
fn logit_cr3_matches_clubsandwich() {
    // clubSandwich 0.5.8: vcovCR(gm, cluster = d$site, type = "CR3") on the tightly converged glm.
    // (Its glm CR2 uses the model's working covariance as target and is not the Bell–McCaffrey
    // adjustment of the working regression that we compute; CR3 does not depend on the target.)
    let mf = frame("hba1c_high ~ arm + base");
    let y = mf.y().unwrap().to_vec();
    let fit = Logit::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap();
    let v = fit
        .vcov(&Vcov::Cluster {
            clusters: mf.clusters[0].clone(),
            kind: CrType::Cr3 { jackknife: false },
        })
        .unwrap();
    Tol::rel(1e-9)
        .check_slice(
            "logit CR3",
            v.matrix.as_slice(),
            &[
                0.38214053740868758613,
                -0.22761720714319519376,
                -0.00876465829670565640,
                -0.22761720714319530479,
                0.38374410861412755480,
                0.00128070640808871012,
                -0.00876465829670572925,
                0.00128070640808869689,
                0.00042240882236008903,
            ],
        )
        .unwrap();
}

/// Two-way clustering by site and sex, whose intersection cells hold 1 to 11 observations
/// (Petersen's firm × year cells hold one, where the two readings of `multi0` coincide).
///
/// R 4.2.2, sandwich 3.0.2 (`options(digits = 17)`), `m <- lm(y ~ arm + base, d)`:
/// ```r
/// vcovCL(m, cluster = ~site + female, type = "HC1", multi0 = TRUE / FALSE)
/// vcovCL(m, cluster = ~site + female, type = "HC0", cadjust = FALSE, multi0 = TRUE)
/// ```
/// Found by a review of the doc examples: with `multi0 = TRUE`, sandwich's `meatCL` makes every
/// observation its own intersection cell (the HC0 meat, no factor); the intersection term was
/// summed by cell instead, which agrees with R only when every cell holds one observation.
#[test]
fn two_way_with_multi_row_cells_matches_sandwich() {
    let t = DataTable::from_csv_str("trial24", TRIAL24).unwrap();
    let mf = ModelFrame::new(
        &t,
        &Formula::parse("y ~ arm + base").unwrap(),
        &FrameOptions {
            clusters: vec!["site".into(), "female".into()],
            check_rank: false,
        },
    )
    .unwrap();
    let fit = Ols::new(&mf.x, mf.y().unwrap()).unwrap().fit().unwrap();
    let (site, female) = (mf.clusters[0].clone(), mf.clusters[1].clone());
    let two_way = |kind: CrType, multi0: bool| Vcov::TwoWay {
        first: site.clone(),
        second: female.clone(),
        kind,
        intersection_hc0: multi0,
    };
    let cases: [(Vcov, [f64; 9]); 3] = [
        (
            two_way(CrType::Cr1, true),
            [
                1.63732457838670408812,
                -0.61537259892223628022,
                -0.03113340217928805068,
                -0.61537259892223472590,
                1.16419479520847435339,
                0.00395672271175095697,
                -0.03113340217928775577,
                0.00395672271175096131,
                0.00077049175844799234,
            ],
        ),
        (
            two_way(CrType::Cr1, false),
            [
                1.25793331348115988710,
                -0.41303365778780548601,
                -0.02565576713265571573,
                -0.41303365778780548601,
                0.62837887330075381520,
                0.00468692140417291490,
                -0.02565576713265575737,
                0.00468692140417291143,
                0.00061440199096202217,
            ],
        ),
        (
            two_way(CrType::Cr0, true),
            [
                1.27710735491190163771,
                -0.50802846424170300388,
                -0.02442156148051105244,
                -0.50802846424170333695,
                1.06956504682714426124,
                0.00270662713372050740,
                -0.02442156148051098305,
                0.00270662713372045883,
                0.00060861031647487071,
            ],
        ),
    ];
    for (how, want) in cases {
        let v = fit.vcov(&how).unwrap();
        Tol::rel(1e-10)
            .check_slice(&how.label(), v.matrix.as_slice(), &want)
            .unwrap();
    }
}
