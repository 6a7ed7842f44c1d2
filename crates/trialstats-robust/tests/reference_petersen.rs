//! OLS `y ~ x` on Petersen's test data (5000 rows, 500 firms × 10 years) against published and
//! recorded reference values.
//!
//! Sources:
//! - Stata/MP 12 `regress y x, vce(cluster firm)` covariance, printed to 5 significant digits
//!   (R sandwich's saved tests; `estimators.md` §1): rtol 1e−4.
//! - CR2 (Bell–McCaffrey) by firm from Imbens–Kolesár's code, full precision: rtol 1e−10.
//! - Everything else recorded here with R 4.2.2, sandwich 3.0.2 and clubSandwich 0.5.8
//!   (`options(digits = 17)`):
//!   ```r
//!   m <- lm(y ~ x, d); vcov(m); vcovHC(m, type = "HC0".."HC3")
//!   vcovCL(m, cluster = ~firm, type = "HC0", cadjust = FALSE)          # CR0
//!   vcovCL(m, cluster = ~firm, type = "HC1")                           # CR1
//!   vcovCR(m, cluster = d$firm, type = "CR2"); vcovCR(.., type = "CR3")
//!   coef_test(m, vcov = "CR2", cluster = d$firm, test = "Satterthwaite")$df_Satt
//!   vcovCL(m, cluster = ~firm + year, type = "HC1", multi0 = TRUE / FALSE)
//!   ```
//!   Algebra that should agree exactly is held to rtol 1e−10; the Satterthwaite df to 1e−8.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Clusters;
use trialstats_core::Level;
use trialstats_core::testing::Tol;
use trialstats_data::{Formula, FrameOptions, ModelFrame, datasets};
use trialstats_robust::{CrType, HcType, Ols, OlsFit, Vcov};

struct Case {
    fit: OlsFit<'static>,
    firm: Clusters,
    year: Clusters,
}

fn case() -> Case {
    let d = datasets::petersen().unwrap();
    let f = Formula::parse("y ~ x").unwrap();
    let mf = ModelFrame::new(
        &d,
        &f,
        &FrameOptions {
            clusters: vec!["firm".into(), "year".into()],
            check_rank: false,
        },
    )
    .unwrap();
    let y = mf.y().unwrap().to_vec();
    let fit = Ols::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap()
        .into_owned();
    Case {
        fit,
        firm: mf.clusters[0].clone(),
        year: mf.clusters[1].clone(),
    }
}

fn check(fit: &OlsFit, how: &Vcov, want: [f64; 4], tol: Tol) {
    let v = fit.vcov(how).unwrap();
    tol.check_slice(&how.label(), v.matrix.as_slice(), &want)
        .unwrap();
}

#[test]
fn coefficients_and_r_squared() {
    let c = case();
    Tol::rel(1e-12)
        .check_slice(
            "beta",
            c.fit.coefficients().as_slice(),
            &[0.029679720734517624, 1.034833439461696480],
        )
        .unwrap();
    // Published: R² 0.2078.
    Tol::decimals(4)
        .check("R2", c.fit.r_squared(), 0.2078)
        .unwrap();
}

#[test]
fn iid_and_hc_match_r() {
    let c = case();
    let t = Tol::rel(1e-10);
    check(
        &c.fit,
        &Vcov::Iid,
        [
            8.0425081905602890e-04,
            -4.3883655066649296e-06,
            -4.3883655066649296e-06,
            8.1700434095932726e-04,
        ],
        t,
    );
    check(
        &c.fit,
        &Vcov::Hc(HcType::Hc0),
        [
            8.0400599832449425e-04,
            -1.1514366706829507e-05,
            -1.1514366706829507e-05,
            8.0596268071258788e-04,
        ],
        t,
    );
    check(
        &c.fit,
        &Vcov::Hc(HcType::Hc1),
        [
            8.0432772941625914e-04,
            -1.1518974296548263e-05,
            -1.1518974296548264e-05,
            8.0628519479050741e-04,
        ],
        t,
    );
    check(
        &c.fit,
        &Vcov::Hc(HcType::Hc2),
        [
            8.0432581921206987e-04,
            -1.1532641068266689e-05,
            -1.1532641068266689e-05,
            8.0660474340188990e-04,
        ],
        t,
    );
    check(
        &c.fit,
        &Vcov::Hc(HcType::Hc3),
        [
            8.0464583091341185e-04,
            -1.1550945811923108e-05,
            -1.1550945811923108e-05,
            8.0724749860144581e-04,
        ],
        t,
    );
    // Published (Petersen's page, 4 dp): OLS SE 0.0284, 0.0286; White SE 0.0284, 0.0284.
    let inf = c.fit.infer(&Vcov::Iid, Level::P95).unwrap();
    Tol::decimals(4)
        .check("se0", inf.coefficients[0].std_error, 0.0284)
        .unwrap();
    Tol::decimals(4)
        .check("se1", inf.coefficients[1].std_error, 0.0286)
        .unwrap();
    let inf = c.fit.infer(&Vcov::Hc(HcType::Hc1), Level::P95).unwrap();
    Tol::decimals(4)
        .check("hc se1", inf.coefficients[1].std_error, 0.0284)
        .unwrap();
}

#[test]
fn cr1_by_firm_matches_stata() {
    let c = case();
    let how = Vcov::Cluster {
        clusters: c.firm.clone(),
        kind: CrType::Cr1,
    };
    check(
        &c.fit,
        &how,
        [0.0044907, -6.474e-05, -6.474e-05, 0.00255993],
        Tol::rel(1e-4),
    );
    check(
        &c.fit,
        &how,
        [
            4.4907024570195195e-03,
            -6.4735166091279032e-05,
            -6.4735166091279032e-05,
            2.5599274777318658e-03,
        ],
        Tol::rel(1e-10),
    );
    let inf = c.fit.infer(&how, Level::P95).unwrap();
    // Stata: t with G − 1 = 499 df; SEs 0.0670, 0.0506.
    assert_eq!(inf.coefficients[1].df, Some(499.0));
    Tol::decimals(4)
        .check("se0", inf.coefficients[0].std_error, 0.0670)
        .unwrap();
    Tol::decimals(4)
        .check("se1", inf.coefficients[1].std_error, 0.0506)
        .unwrap();
    assert_eq!(inf.n_clusters, Some(500));
}

#[test]
fn cr0_and_cr1_by_year() {
    let c = case();
    check(
        &c.fit,
        &Vcov::Cluster {
            clusters: c.firm.clone(),
            kind: CrType::Cr0,
        },
        [
            4.4808245285903560e-03,
            -6.4592772035199870e-05,
            -6.4592772035199883e-05,
            2.5542965590390995e-03,
        ],
        Tol::rel(1e-10),
    );
    let how = Vcov::Cluster {
        clusters: c.year.clone(),
        kind: CrType::Cr1,
    };
    check(
        &c.fit,
        &how,
        [
            5.4693872385356917e-04,
            2.4762756291805651e-05,
            2.4762756291805651e-05,
            1.1148195388291245e-03,
        ],
        Tol::rel(1e-10),
    );
    // Published: clustered by year 0.0234, 0.0334.
    let inf = c.fit.infer(&how, Level::P95).unwrap();
    Tol::decimals(4)
        .check("se0", inf.coefficients[0].std_error, 0.0234)
        .unwrap();
    Tol::decimals(4)
        .check("se1", inf.coefficients[1].std_error, 0.0334)
        .unwrap();
}

#[test]
fn cr2_matches_imbens_kolesar_and_clubsandwich() {
    let c = case();
    let how = Vcov::Cluster {
        clusters: c.firm.clone(),
        kind: CrType::Cr2,
    };
    check(
        &c.fit,
        &how,
        [
            0.0044944872570532,
            -6.59291186924326e-05,
            -6.59291186924326e-05,
            0.00256823604178553,
        ],
        Tol::rel(1e-10),
    );
    let inf = c.fit.infer(&how, Level::P95).unwrap();
    Tol::rel(1e-8)
        .check_slice(
            "df_Satt",
            &[
                inf.coefficients[0].df.unwrap(),
                inf.coefficients[1].df.unwrap(),
            ],
            &[498.66999688454217, 308.75638131895050],
        )
        .unwrap();
    Tol::rel(1e-8)
        .check_slice(
            "p_Satt",
            &[inf.coefficients[0].p_value, inf.coefficients[1].p_value],
            &[6.5816717964605886e-01, 3.0022106267778448e-59],
        )
        .unwrap();
    // Few clusters: by year (G = 10), where the df matter most.
    let how = Vcov::Cluster {
        clusters: c.year.clone(),
        kind: CrType::Cr2,
    };
    check(
        &c.fit,
        &how,
        [
            5.4722375700168226e-04,
            2.6183880264777238e-05,
            2.6183880264777238e-05,
            1.1152982940203834e-03,
        ],
        Tol::rel(1e-10),
    );
    let inf = c.fit.infer(&how, Level::P95).unwrap();
    Tol::rel(1e-8)
        .check_slice(
            "df year",
            &[
                inf.coefficients[0].df.unwrap(),
                inf.coefficients[1].df.unwrap(),
            ],
            &[9.0000066523077749, 8.9894360781599207],
        )
        .unwrap();
}

#[test]
fn cr3_matches_clubsandwich() {
    let c = case();
    let how = Vcov::Cluster {
        clusters: c.firm.clone(),
        kind: CrType::Cr3 { jackknife: false },
    };
    let want = [
        4.5082022937877270e-03,
        -6.7280836115793009e-05,
        -6.7280836115793009e-05,
        2.5822624320339074e-03,
    ];
    check(&c.fit, &how, want, Tol::rel(1e-10));
    let jk = Vcov::Cluster {
        clusters: c.firm.clone(),
        kind: CrType::Cr3 { jackknife: true },
    };
    check(
        &c.fit,
        &jk,
        want.map(|v| v * 499.0 / 500.0),
        Tol::rel(1e-10),
    );
}

#[test]
fn two_way_matches_sandwich_conventions() {
    let c = case();
    let multi0 = Vcov::TwoWay {
        first: c.firm.clone(),
        second: c.year.clone(),
        kind: CrType::Cr1,
        intersection_hc0: true,
    };
    check(
        &c.fit,
        &multi0,
        [
            4.2336351825485938e-03,
            -2.8458043092643871e-05,
            -2.8458043092643865e-05,
            2.8687843358484021e-03,
        ],
        Tol::rel(1e-10),
    );
    let cgm = Vcov::TwoWay {
        first: c.firm.clone(),
        second: c.year.clone(),
        kind: CrType::Cr1,
        intersection_hc0: false,
    };
    check(
        &c.fit,
        &cgm,
        [
            4.2333134514568275e-03,
            -2.8453435502925247e-05,
            -2.8453435502925247e-05,
            2.8684618217704860e-03,
        ],
        Tol::rel(1e-10),
    );
    // Published (Stata, 4 dp): 0.0651, 0.0536; t with min(G) − 1 = 9 df.
    let inf = c.fit.infer(&multi0, Level::P95).unwrap();
    Tol::decimals(4)
        .check("se0", inf.coefficients[0].std_error, 0.0651)
        .unwrap();
    Tol::decimals(4)
        .check("se1", inf.coefficients[1].std_error, 0.0536)
        .unwrap();
    assert_eq!(inf.coefficients[0].df, Some(9.0));
}

#[test]
fn logit_cluster_matches_stata() {
    // binary = (y > 0) ~ x clustered by firm. Stata (`brl … cluster(firm) logit`, estimators.md §1):
    // [[0.00358954, 1.531e−05], [1.531e−05, 0.00275766]], i.e. 6 and 4 significant digits.
    // R 4.2.2: vcovCL(glm(b ~ x, binomial, control = glm.control(epsilon = 1e-15, maxit = 100)),
    //   cluster = ~firm, type = "HC0", cadjust = TRUE): rtol 1e−9. (glm's default epsilon = 1e−8
    //   leaves the off-diagonal wrong in its 6th digit; converged tightly, R and we agree to 1e−12.)
    let d = datasets::petersen().unwrap();
    let f = Formula::parse("y ~ x").unwrap();
    let mf = ModelFrame::new(
        &d,
        &f,
        &FrameOptions {
            clusters: vec!["firm".into()],
            check_rank: false,
        },
    )
    .unwrap();
    let b: Vec<f64> = mf
        .y()
        .unwrap()
        .iter()
        .map(|&v| if v > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let fit = trialstats_robust::Logit::new(&mf.x, &b)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap();
    Tol::rel(1e-9)
        .check_slice(
            "beta",
            fit.coefficients().as_slice(),
            &[0.035945979060338203, 0.811889755454308082],
        )
        .unwrap();
    Tol::rel(1e-7)
        .check("loglik", fit.loglik(), -3133.1692966265314)
        .unwrap();
    let v = fit
        .vcov(&Vcov::Cluster {
            clusters: mf.clusters[0].clone(),
            kind: CrType::Cr1,
        })
        .unwrap();
    let m = v.matrix.as_slice();
    Tol::significant(6).check("v00", m[0], 0.00358954).unwrap();
    Tol::significant(4).check("v01", m[1], 1.531e-05).unwrap();
    Tol::significant(6).check("v11", m[3], 0.00275766).unwrap();
    Tol::rel(1e-9)
        .check_slice(
            "R",
            m,
            &[
                3.5895365326379662e-03,
                1.5314324917898731e-05,
                1.5314324917898731e-05,
                2.7576608419465007e-03,
            ],
        )
        .unwrap();
    // vcovHC(.., type = "HC2") on the same tightly converged glm: rtol 1e−9.
    let hc2 = fit.vcov(&Vcov::Hc(HcType::Hc2)).unwrap();
    Tol::rel(1e-9)
        .check_slice(
            "HC2",
            hc2.matrix.as_slice(),
            &[
                9.1607695821004987e-04,
                -4.9057435813427213e-06,
                -4.9057435813427221e-06,
                1.1739231087836729e-03,
            ],
        )
        .unwrap();
}
