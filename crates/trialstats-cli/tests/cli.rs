//! End-to-end tests of the `trialstats` binary: output, error messages and exit codes.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use trialstats_data::DataTable;
use trialstats_data::read::ReadOptions;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trialstats"))
}

/// Writes `text` to a file unique to this test and returns its path.
fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialstats-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    // Tests run in parallel and some write the same file: write a private copy and rename it
    // into place (atomic), so that no test reads a file another is still writing.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{n}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn design_on_wine_as_json() {
    let wine = run(&["dataset", "wine"]);
    assert!(wine.status.success());
    let path = write_temp("wine.csv", &stdout(&wine));
    let o = run(&[
        "design",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "rating ~ temp + contact",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["nobs"], 72);
    assert_eq!(v["nobs_dropped"], 0);
    assert_eq!(
        v["columns"],
        serde_json::json!(["(Intercept)", "tempwarm", "contactyes"])
    );
}

#[test]
fn design_on_petersen_with_clusters_as_text() {
    let p = run(&["dataset", "petersen"]);
    let path = write_temp("petersen.csv", &stdout(&p));
    let o = run(&[
        "design",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "y ~ x",
        "--cluster",
        "firm",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("y ~ x: 5000 rows used, 0 dropped; clustered by firm (500 clusters)\n"),
        "{text}"
    );
}

#[test]
fn design_matrix_as_csv() {
    let path = write_temp("small.csv", "y,arm\n1,a\n2,b\nNA,b\n");
    let o = run(&[
        "--format",
        "csv",
        "design",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "y ~ arm",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "(Intercept),armb\n1,0\n1,1\n");
}

#[test]
fn data_errors_exit_1_with_one_sentence_and_no_stdout() {
    let path = write_temp("ragged.csv", "y,x\n1,2\n3\n");
    let p = path.to_str().unwrap();
    let o = run(&["design", "--data", p, "--formula", "y ~ x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o),
        format!("error: {p}: row 2 (line 3) has 1 fields but the header has 2\n")
    );

    let path = write_temp("nan.csv", "y,x\n1,2\n3,NaN\n");
    let p = path.to_str().unwrap();
    let o = run(&["design", "--data", p, "--formula", "y ~ x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("row 2, column `x`: \"NaN\" is not a finite number"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn formula_errors_point_at_the_character() {
    let path = write_temp("f.csv", "y,x\n1,2\n3,4\n");
    let o = run(&[
        "design",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "y ~ x +",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: formula syntax error at character 8 of `y ~ x +`: expected a term at the end of the formula\n"
    );
}

#[test]
fn missing_file_exits_1() {
    let o = run(&["design", "--data", "no/such/file.csv", "--formula", "y ~ x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: cannot read `no/such/file.csv`: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["design", "--formula", "y ~ x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let o = run(&["no-such-command"]);
    assert_eq!(o.status.code(), Some(2));
    let path = write_temp("c.csv", "y,x,a,b,c\n1,2,1,1,1\n3,4,2,2,2\n");
    let o = run(&[
        "design",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "y ~ x",
        "--cluster",
        "a",
        "--cluster",
        "b",
        "--cluster",
        "c",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

fn trial24() -> PathBuf {
    write_temp(
        "trial24.csv",
        include_str!("../../trialstats-robust/data/trial24.csv"),
    )
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap()
}

#[test]
fn regress_json_follows_the_contract() {
    let p = run(&["dataset", "petersen"]);
    let path = write_temp("petersen-regress.csv", &stdout(&p));
    let v = json(&run(&[
        "regress",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "y ~ x",
        "--cluster",
        "firm",
        "--format",
        "json",
    ]));
    assert_eq!(v["model"], "ols");
    assert_eq!(v["nobs"], 5000);
    assert_eq!(v["nobs_dropped"], 0);
    assert_eq!(v["n_clusters"], 500);
    assert_eq!(v["vcov"]["type"], "cr1");
    assert_eq!(v["vcov"]["clusters"], serde_json::json!(["firm"]));
    assert_eq!(v["vcov"]["df"], 499.0);
    let x = &v["coefficients"][1];
    assert_eq!(x["term"], "x");
    // Stata: coefficient 1.0348, CR1 SE 0.0506 (4 dp).
    assert!((x["estimate"].as_f64().unwrap() - 1.0348).abs() < 5e-5);
    assert!((x["std_error"].as_f64().unwrap() - 0.0506).abs() < 5e-5);
    for key in ["statistic", "df", "p_value", "ci_low", "ci_high"] {
        assert!(x[key].is_number(), "{key}");
    }
    assert_eq!(
        v["covariance_matrix"]["terms"],
        serde_json::json!(["(Intercept)", "x"])
    );
    assert!((v["r_squared"].as_f64().unwrap() - 0.2078).abs() < 5e-5);
    assert!(v["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn regress_cr2_reports_satterthwaite_df_per_coefficient() {
    let path = trial24();
    let v = json(&run(&[
        "regress",
        "--data",
        path.to_str().unwrap(),
        "--formula",
        "y ~ arm + base + female",
        "--cluster",
        "site",
        "--vcov",
        "cr2",
        "--format",
        "json",
    ]));
    assert_eq!(v["vcov"]["type"], "cr2");
    assert!(v["vcov"]["df"].is_null());
    // clubSandwich 0.5.8 coef_test(.., "Satterthwaite"): arm df 20.141219691768423.
    assert!((v["coefficients"][1]["df"].as_f64().unwrap() - 20.141219691768423).abs() < 1e-6);
}

#[test]
fn regress_logit_and_wild_bootstrap() {
    let path = trial24();
    let p = path.to_str().unwrap();
    let v = json(&run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "hba1c_high ~ arm + base",
        "--family",
        "binomial",
        "--cluster",
        "site",
        "--format",
        "json",
    ]));
    assert_eq!(v["model"], "logit");
    assert!(v["coefficients"][1]["df"].is_null(), "z inference");
    assert_eq!(v["convergence"]["converged"], true);
    assert!(v["loglik"].as_f64().unwrap() < 0.0);
    let or = &v["odds_ratios"][1];
    assert_eq!(or["term"], "arm");
    let b = v["coefficients"][1]["estimate"].as_f64().unwrap();
    assert!((or["odds_ratio"].as_f64().unwrap() - b.exp()).abs() < 1e-12);
    // The wild bootstrap of `arm` with further options, as JSON.
    let boot = |extra: &[&str]| {
        let mut args = vec![
            "regress",
            "--data",
            p,
            "--formula",
            "y ~ arm + base",
            "--cluster",
            "site",
            "--wild-bootstrap",
            "--test",
            "arm",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let v = json(&boot(&["--reps", "499", "--seed", "7"]));
    let b = &v["bootstrap"];
    assert_eq!(
        (b["term"].as_str(), b["reps"].as_u64(), b["seed"].as_u64()),
        (Some("arm"), Some(499), Some(7))
    );
    // The same output, byte for byte, on one thread and on three; a pool of none is a usage
    // error.
    let on = |threads: &str| boot(&["--reps", "1999", "--weights", "webb", "--threads", threads]);
    let (one, three) = (on("1"), on("3"));
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_eq!(stdout(&one), stdout(&three));
    // Bound to CPUs (the default where there are enough) or left to the scheduler: the same.
    let free = boot(&[
        "--reps",
        "1999",
        "--weights",
        "webb",
        "--threads",
        "2",
        "--no-bind",
    ]);
    assert_eq!(free.status.code(), Some(0), "{}", stderr(&free));
    assert_eq!(stdout(&one), stdout(&free));
    assert_eq!(on("0").status.code(), Some(2));
    assert_eq!(b["enumerated"], false);
    assert_eq!(b["weights"], "rademacher");
    assert!(b["ci_low"].as_f64().unwrap() < b["ci_high"].as_f64().unwrap());
}

#[test]
fn regress_errors() {
    let path = trial24();
    let p = path.to_str().unwrap();
    // Not 0/1.
    let o = run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "y ~ arm",
        "--family",
        "binomial",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: {p}: the outcome must be coded 0/1, but row 1 is 16.65"
        )),
        "{}",
        stderr(&o)
    );
    // Usage: bootstrap without --test, clustered vcov without --cluster.
    let o = run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "y ~ arm",
        "--cluster",
        "site",
        "--wild-bootstrap",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "y ~ arm",
        "--vcov",
        "cr2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    // A bootstrap term not in the model.
    let o = run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "y ~ arm",
        "--cluster",
        "site",
        "--wild-bootstrap",
        "--test",
        "female",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`female` is not a term of the model"),
        "{}",
        stderr(&o)
    );
    // Separation: `sep` = 1 exactly when the outcome is 1.
    let sep = write_temp(
        "sep.csv",
        "y,sep,x\n0,0,1\n0,0,2\n1,1,3\n1,1,1\n0,0,5\n1,1,2\n",
    );
    let o = run(&[
        "regress",
        "--data",
        sep.to_str().unwrap(),
        "--formula",
        "y ~ sep + x",
        "--family",
        "binomial",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: {}: separation: `sep` > 0 predicts y = 1 perfectly",
            sep.display()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ordinal_json_matches_r_ordinal_on_wine() {
    let wine = run(&["dataset", "wine"]);
    let path = write_temp("wine-ordinal.csv", &stdout(&wine));
    let p = path.to_str().unwrap();
    let v = json(&run(&[
        "ordinal",
        "--data",
        p,
        "--formula",
        "rating ~ temp + contact",
        "--format",
        "json",
    ]));
    assert_eq!(v["model"], "clm");
    // R ordinal 2022.11.16: tempwarm 2.5031020078995598; θ₁ −1.3443834112650246; logLik −86.491923365649086.
    assert!((v["coefficients"][0]["estimate"].as_f64().unwrap() - 2.5031020078995598).abs() < 1e-8);
    assert!((v["thresholds"][0]["estimate"].as_f64().unwrap() + 1.3443834112650246).abs() < 1e-8);
    assert!((v["loglik"].as_f64().unwrap() + 86.491923365649086).abs() < 1e-9);
    assert_eq!(v["thresholds"][3]["term"], "4|5");
    assert_eq!(v["covariance_matrix"]["terms"][4], "tempwarm");
    assert!(v["coefficients"][0]["df"].is_null());
    let nt = json(&run(&[
        "ordinal",
        "--data",
        p,
        "--formula",
        "rating ~ temp + contact",
        "--nominal-test",
        "--format",
        "json",
    ]));
    // R nominal_test: temp LRT 3.17497709974728 on 3 df.
    assert_eq!(nt["nominal_test"][0]["term"], "temp");
    assert!((nt["nominal_test"][0]["statistic"].as_f64().unwrap() - 3.17497709974728).abs() < 1e-4);
    let v = json(&run(&[
        "ordinal",
        "--data",
        p,
        "--formula",
        "rating ~ temp + contact",
        "--cluster",
        "judge",
        "--format",
        "json",
    ]));
    assert_eq!(
        (v["vcov"]["type"].as_str(), v["n_clusters"].as_u64()),
        (Some("cr1"), Some(9))
    );
    // Errors in the data, exit 1: a text outcome, non-integer codes.
    let o = run(&["ordinal", "--data", p, "--formula", "temp ~ contact"]);
    assert_eq!(o.status.code(), Some(1));
    let bad = write_temp("bad-ord.csv", "y,x\n1,0.5\n2.5,0.1\n3,0.7\n");
    let o = run(&[
        "ordinal",
        "--data",
        bad.to_str().unwrap(),
        "--formula",
        "y ~ x",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "must hold integer category codes in their order, but row 2 of the data has 2.5"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ordinal_random_intercept() {
    let wine = run(&["dataset", "wine"]);
    let path = write_temp("wine-clmm.csv", &stdout(&wine));
    let p = path.to_str().unwrap();
    let v = json(&run(&[
        "ordinal",
        "--data",
        p,
        "--formula",
        "rating ~ temp + contact",
        "--random-intercept",
        "judge",
        "--nagq",
        "10",
        "--format",
        "json",
    ]));
    assert_eq!(v["model"], "clmm");
    // R ordinal clmm(nAGQ = 10): tempwarm 3.0618909923846043, σ 1.1347832978256818.
    assert!((v["coefficients"][0]["estimate"].as_f64().unwrap() - 3.0618909923846043).abs() < 1e-3);
    assert!((v["random_effects"]["sd"].as_f64().unwrap() - 1.1347832978256818).abs() < 1e-3);
    assert_eq!(v["random_effects"]["group"], "judge");
    assert_eq!(v["covariance_matrix"]["terms"][6], "log sd(judge)");
    let o = run(&[
        "ordinal",
        "--data",
        p,
        "--formula",
        "rating ~ temp",
        "--random-intercept",
        "judge",
        "--cluster",
        "judge",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ukpds_scores_every_row_and_reports_bad_ones() {
    let path = write_temp(
        "ukpds.csv",
        "age_at_diagnosis,duration,female,afro_caribbean,smoker,hba1c,sbp,tc_hdl\n45,0,0,0,0,7.5,160,4.9\n45,0,0,0,0,53,160,4.9\n",
    );
    let p = path.to_str().unwrap();
    let o = run(&["ukpds", "--data", p, "--horizon", "20", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "age_at_diagnosis,duration,female,afro_caribbean,smoker,hba1c,sbp,tc_hdl,risk,warning,error"
    );
    // UKPDS 56 worked example: 20-year CHD risk 0.3263.
    let risk: f64 = lines[1].split(',').nth(8).unwrap().parse().unwrap();
    assert!((risk - 0.3263).abs() < 5e-5);
    assert!(
        lines[2].contains("`hba1c` = 53 is impossible or in the wrong unit"),
        "{}",
        lines[2]
    );
    let v = json(&run(&["ukpds", "--data", p, "--format", "json"]));
    assert!(v[0]["risk"].as_f64().unwrap() > 0.0);
    assert!(v[1]["risk"].is_null());
    // The stroke equation needs an `af` column.
    let o = run(&["ukpds", "--data", p, "--equation", "stroke"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no column `af`"), "{}", stderr(&o));
}

#[test]
fn two_sample_test_and_table1() {
    let path = write_temp(
        "ttest.csv",
        "y,g\n5.1,a\n4.9,a\n6.2,a\n5.8,a\n6.0,a\n5.5,a\n5.3,a\n6.6,a\n6.5,b\n6.1,b\n7.0,b\n5.9,b\n6.8,b\n7.2,b\n6.4,b\n",
    );
    let p = path.to_str().unwrap();
    // R 4.2.2: t.test(x1, y1): t = -3.2452278099932621, df 12.950969098375564, p 0.0064147024241774601.
    let v = json(&run(&[
        "test", "welch", "--data", p, "--var", "y", "--by", "g", "--format", "json",
    ]));
    assert_eq!(v["test"], "welch");
    assert!((v["statistic"].as_f64().unwrap() + 3.2452278099932621).abs() < 1e-9);
    assert!((v["p_value"].as_f64().unwrap() - 0.0064147024241774601).abs() < 1e-12);
    // wilcox.test(x1, y1): W = 7, exact p = 0.013986013986013986.
    let v = json(&run(&[
        "test", "wilcoxon", "--data", p, "--var", "y", "--by", "g", "--format", "json",
    ]));
    assert!((v["p_value"].as_f64().unwrap() - 0.013986013986013986).abs() < 1e-12);
    // Hodges–Lehmann (wilcox.test(conf.int = TRUE)): −0.95, CI (−1.5, −0.2).
    assert!((v["estimate"].as_f64().unwrap() + 0.95).abs() < 1e-12);
    assert!((v["ci_low"].as_f64().unwrap() + 1.5).abs() < 1e-12);
    let three = write_temp("three.csv", "y,g\n1,a\n2,b\n3,c\n");
    let o = run(&[
        "test",
        "welch",
        "--data",
        three.to_str().unwrap(),
        "--var",
        "y",
        "--by",
        "g",
    ]);
    // A data problem (three groups for a two-sample test): exit 1.
    assert_eq!(o.status.code(), Some(1));
    let t = run(&["table1", "--data", p, "--by", "g", "--format", "csv"]);
    assert!(t.status.success(), "{}", stderr(&t));
    let text = stdout(&t);
    assert!(
        text.starts_with("variable,a (n = 8),b (n = 7),test,p\n"),
        "{text}"
    );
    assert!(
        text.contains("y,5.7 (0.6),6.6 (0.5),Welch Two Sample t-test,0.006415"),
        "{text}"
    );
}

#[test]
fn pool_matches_mice() {
    let path = write_temp(
        "mice_fits.csv",
        include_str!("../../trialstats-mi/tests/nhanes_mice_fits.csv"),
    );
    let v = json(&run(&[
        "pool",
        "--data",
        path.to_str().unwrap(),
        "--df-complete",
        "22",
        "--format",
        "json",
    ]));
    assert_eq!(v["m"], 5);
    // The contract's `terms`, and the `coefficients` every model result has: the same rows.
    assert_eq!(v["coefficients"], v["terms"]);
    // mice 3.15.0 pool(): age estimate 34.3968029374965241, df 17.339535168233692, fmi 0.19071493077768237.
    let age = &v["terms"][1];
    assert_eq!(age["term"], "age");
    assert!((age["estimate"].as_f64().unwrap() - 34.3968029374965241).abs() < 1e-10);
    assert!((age["df"].as_f64().unwrap() - 17.339535168233692).abs() < 1e-9);
    assert!((age["fmi"].as_f64().unwrap() - 0.19071493077768237).abs() < 1e-11);
}

#[test]
fn score_phq9_keeps_going_past_a_bad_row() {
    let path = write_temp(
        "phq.csv",
        "id,phq1,phq2,phq3,phq4,phq5,phq6,phq7,phq8,phq9\n1,3,3,2,2,2,0,0,0,0\n2,1,7,0,0,0,0,0,0,0\n3,1,1,1,1,1,1,1,,\n",
    );
    let o = run(&[
        "score",
        "phq9",
        "--data",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["phq9_total"], 12.0);
    assert_eq!(v[0]["phq9_severity"], "moderate");
    assert_eq!(v[0]["phq9_syndrome"], "major depressive");
    assert!(v[1]["phq9_total"].is_null());
    assert_eq!(
        v[1]["error"],
        "row 2: PHQ-9 item 2: \"7\" is not an allowed answer (allowed: 0, 1, 2 or 3)"
    );
    assert!(v[2]["phq9_total"].is_null());
    let o = run(&[
        "score",
        "phq9",
        "--data",
        path.to_str().unwrap(),
        "--prorate",
        "2",
        "--format",
        "csv",
    ]);
    assert!(
        stdout(&o).lines().nth(3).unwrap().contains(",9,mild,"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn score_eq5d_value_sets_and_errors() {
    let path = write_temp(
        "eq.csv",
        "mo,sc,ua,pd,ad\n1,1,2,2,1\n3,3,3,3,3\n1,1,1,1,9\n1,1,4,1,1\n",
    );
    let p = path.to_str().unwrap();
    let o = run(&[
        "score",
        "eq5d3l",
        "--data",
        p,
        "--value-set",
        "eq5d3l_uk_dolan1997",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!((v[0]["eq5d_index"].as_f64().unwrap() - 0.760).abs() < 1e-12);
    assert!((v[1]["eq5d_index"].as_f64().unwrap() + 0.594).abs() < 1e-12);
    assert!(v[2]["eq5d_index"].is_null() && v[2].get("error").is_none());
    assert!(v[3]["error"].as_str().unwrap().contains("is a 5L state"));
    // The trial's default: the Australian 3L table.
    let o = run(&["score", "eq5d3l", "--data", p, "--format", "csv"]);
    assert!(
        stdout(&o)
            .lines()
            .nth(2)
            .unwrap()
            .contains(",33333,-0.217,"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "score",
        "eq5d3l",
        "--data",
        p,
        "--value-set",
        "eq5d5l_en_devlin2018",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["score", "eq5d3l", "--data", p, "--value-set", "nowhere"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown EQ-5D value set \"nowhere\""));
    let state = write_temp("state.csv", "state\n55555\n");
    let o = run(&[
        "score",
        "eq5d5l",
        "--data",
        state.to_str().unwrap(),
        "--value-set",
        "eq5d5l_cw_uk",
        "--format",
        "csv",
    ]);
    assert!(stdout(&o).contains("55555,-0.594,"), "{}", stdout(&o));
}

#[test]
fn score_names_every_missing_column_and_mmas8_prints_its_notice() {
    let path = write_temp("few.csv", "mmas1,mmas2\nno,no\n");
    let o = run(&["score", "mmas8", "--data", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("licensed by its owner"), "{e}");
    assert!(
        e.contains("lacks the column(s) mmas3, mmas4, mmas5, mmas6, mmas7, mmas8"),
        "{e}"
    );
    assert!(stdout(&o).is_empty());
    let o = run(&[
        "score",
        "sdsca",
        "--data",
        path.to_str().unwrap(),
        "--prorate",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn impute_writes_completed_data_and_pools_a_model() {
    let nh = run(&["dataset", "nhanes"]);
    let path = write_temp("nhanes.csv", &stdout(&nh));
    let out = path.with_file_name("nhanes_imputed.csv");
    let args = [
        "impute",
        "--data",
        path.to_str().unwrap(),
        "--m",
        "5",
        "--seed",
        "11",
        "--formula",
        "chl ~ age + bmi",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["imputation"]["m"], 5);
    assert_eq!(v["imputation"]["seed"], 11);
    // `coefficients`, as every model result (the first release's `terms` is gone).
    assert_eq!(v["coefficients"][1]["term"], "age");
    assert!(v["coefficients"][1]["fmi"].as_f64().unwrap() >= 0.0);
    assert!(v["terms"].is_null());
    let long = std::fs::read_to_string(&out).unwrap();
    assert_eq!(long.lines().count(), 1 + 5 * 25);
    assert!(long.starts_with("imputation,age,bmi,hyp,chl\n1,"));
    assert!(
        !long
            .lines()
            .skip(1)
            .any(|l| l.contains(",,") || l.ends_with(','))
    );
    // The output exists now: refused without --replace (nothing else written), and the input
    // is never a valid output.
    let refused = run(&args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("exists; add --replace to overwrite it"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), long);
    // Same seed, same bytes.
    let mut replace = args.to_vec();
    replace.push("--replace");
    let again = run(&replace);
    assert_eq!(stdout(&o), stdout(&again));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), long);
    // Errors are found before anything is written.
    let fresh = path.with_file_name("never_written.csv");
    let e = run(&[
        "impute",
        "--data",
        path.to_str().unwrap(),
        "--method",
        "age=logreg",
        "--out",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(1));
    assert!(
        stderr(&e).contains("logistic regression needs a binary column, and it has 3 distinct")
    );
    let e = run(&[
        "impute",
        "--data",
        path.to_str().unwrap(),
        "--method",
        "bmi",
        "--out",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(2));
    let e = run(&[
        "impute",
        "--data",
        path.to_str().unwrap(),
        "--m",
        "1",
        "--formula",
        "chl ~ age",
    ]);
    assert_eq!(e.status.code(), Some(1));
    assert!(stderr(&e).contains("m ≥ 2"));
    assert!(!fresh.exists());
    // The input is never an output, even with --replace.
    let e = run(&[
        "impute",
        "--data",
        path.to_str().unwrap(),
        "--out",
        path.to_str().unwrap(),
        "--replace",
    ]);
    assert_eq!(e.status.code(), Some(1));
    assert!(stderr(&e).contains("is the input file"), "{}", stderr(&e));
    // A formula error leaves no file behind (it was written before the formula was parsed).
    let e = run(&[
        "impute",
        "--data",
        path.to_str().unwrap(),
        "--out",
        fresh.to_str().unwrap(),
        "--formula",
        "chl ~ (age",
    ]);
    assert_eq!(e.status.code(), Some(1));
    assert!(!fresh.exists());
    let e = run(&["impute", "--data", path.to_str().unwrap(), "--out", ""]);
    assert_eq!(e.status.code(), Some(1));
    assert!(
        stderr(&e).contains("--out was given an empty path"),
        "{}",
        stderr(&e)
    );
}

#[test]
fn reproduce_writes_the_report_and_lists_missing_columns() {
    let dir = std::env::temp_dir().join(format!("trialstats-reproduce-{}", std::process::id()));
    let o = run(&["reproduce", "--quick", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Table 1. Baseline characteristics by arm (Stata 13 conventions)"));
    assert!(out.contains("cr1 (difference, % points)"));
    assert!(out.contains("Published v. reproduced"));
    for f in [
        "report.md",
        "report.html",
        "flow.svg",
        "forest.svg",
        "results.json",
        "targets.csv",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["flow"]["clusters"], serde_json::json!([12, 12]));
    let bad = write_temp("notrial.csv", "id,arm\n1,usual_care\n");
    let e = run(&[
        "reproduce",
        "--data",
        bad.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(1));
    assert!(
        stderr(&e).contains("`design.cluster`: the data (")
            && stderr(&e).contains("have no column `cluster`"),
        "{}",
        stderr(&e)
    );
}

#[test]
fn instrument_rows_flag_item_10_the_missing_code_and_keep_ids() {
    // Found by the CLI fault campaign: a PHQ item 10 of 7 passed unnoticed, an EQ-5D level 9
    // left an empty index without a reason, and identifiers were re-rendered through f64.
    let phq = write_temp(
        "phq10.csv",
        "id,phq1,phq2,phq3,phq4,phq5,phq6,phq7,phq8,phq9,phq10\n\
         007,0,1,2,3,0,1,2,3,0,7\n\
         12345678901234567890,0,1,2,3,0,1,2,3,0,2\n",
    );
    let o = run(&[
        "score",
        "phq9",
        "--data",
        phq.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[1].starts_with("007,"), "{text}");
    assert!(
        rows[1].ends_with(
            "\"PHQ-9 item 10: \"\"7\"\" is not an allowed answer (allowed: 0, 1, 2 or 3)\""
        ),
        "{text}"
    );
    assert!(rows[2].starts_with("12345678901234567890,"), "{text}");
    assert!(rows[2].contains(",12,moderate,"), "{text}");
    // JSON: an id column that does not print back as a number is passed as its strings.
    let o = run(&[
        "score",
        "phq9",
        "--data",
        phq.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["id"], "007");
    assert_eq!(v[1]["id"], "12345678901234567890");
    assert_eq!(v[1]["phq1"], 0.0);
    // SDSCA: cigarettes per day from a non-smoker are flagged in the row, not kept silently.
    let sd = write_temp(
        "sdsca.csv",
        "sdsca1,sdsca2,sdsca3,sdsca4,sdsca5,sdsca6,sdsca7,sdsca8,sdsca9,sdsca10,sdsca11,sdsca12\n\
         1,2,3,4,5,6,7,1,2,3,0,10\n",
    );
    let o = run(&[
        "score",
        "sdsca",
        "--data",
        sd.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v[0]["sdsca_warning"],
        "item 12 = 10 cigarettes per day but item 11 says no smoking"
    );
    let eq = write_temp("eq9.csv", "mo,sc,ua,pd,ad\n1,1,9,2,1\n1,2,3,1,1\n");
    let o = run(&[
        "score",
        "eq5d3l",
        "--data",
        eq.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(
        stdout(&o),
        "mo,sc,ua,pd,ad,eq5d_state,eq5d_index,eq5d_note,error\n\
         1,1,9,2,1,,,no index: UA coded 9 (missing),\n\
         1,2,3,1,1,12311,0.669,,\n"
    );
}

#[test]
fn impute_pools_the_model_with_the_clustered_covariance() {
    // Found by the CLI fault campaign: `impute --formula … --cluster C` pooled an iid model (df
    // 165, SE(arm) 0.113 where CR1 gives 0.149). The pooled model now takes --vcov as `regress`
    // does (cr1 by default with --cluster), and Rubin's complete-data df are G − 1.
    let mut text = String::from("site,arm,x,y\n");
    for i in 0..240usize {
        let site = i % 24;
        let arm = usize::from(site >= 12);
        let u = ((site * 37 % 11) as f64 - 5.0) / 4.0; // a site effect
        let x = ((i * 7919 % 1000) as f64) / 250.0 - 2.0;
        let e = ((i * 104_729 % 997) as f64) / 400.0 - 1.25;
        let y = 1.0 + 0.4 * arm as f64 + 0.5 * x + u + e;
        let y = if i % 9 == 4 {
            "NA".to_string()
        } else {
            format!("{y:.4}")
        };
        let x = if i % 13 == 6 {
            "NA".to_string()
        } else {
            format!("{x:.4}")
        };
        text.push_str(&format!("{site},{arm},{x},{y}\n"));
    }
    let path = write_temp("clustered-missing.csv", &text);
    let args = |vcov: Option<&'static str>| {
        let mut a = vec![
            "impute",
            "--data",
            path.to_str().unwrap(),
            "--m",
            "5",
            "--seed",
            "3",
            "--cluster",
            "site",
            "--cluster-term",
            "means",
            "--formula",
            "y ~ arm + x",
            "--format",
            "json",
        ];
        if let Some(v) = vcov {
            a.extend(["--vcov", v]);
        }
        a
    };
    let o = run(&args(None));
    assert!(o.status.success(), "{}", stderr(&o));
    let cr1: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(cr1["vcov"]["type"], "cr1");
    assert_eq!(cr1["vcov"]["clusters"][0], "site");
    assert_eq!(cr1["vcov"]["df_complete"], 23.0);
    let o = run(&args(Some("iid")));
    let iid: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(iid["vcov"]["df_complete"], 237.0);
    // Same imputations (same seed), so the same pooled estimate; the SEs differ by the covariance.
    let (a, b) = (&cr1["coefficients"][1], &iid["coefficients"][1]);
    assert_eq!(a["term"], "arm");
    assert_eq!(a["estimate"], b["estimate"]);
    let (se1, se0) = (
        a["std_error"].as_f64().unwrap(),
        b["std_error"].as_f64().unwrap(),
    );
    assert!(
        se1 > 1.5 * se0,
        "CR1 {se1} v. iid {se0}: the site effect must show"
    );
    assert!(a["df"].as_f64().unwrap() <= 23.0);
}

#[test]
fn options_files_and_streams_fail_loudly() {
    // Found by the CLI fault campaign. Negative option values reach the range check that names
    // the option (clap took them for flags: "unexpected argument '-5'").
    let o = run(&["ukpds", "--data", "x.csv", "--horizon", "-5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--horizon must be in (0, 50] years, not -5"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "regress",
        "--data",
        "x.csv",
        "--formula",
        "y ~ x",
        "--level",
        "-0.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'--level <LEVEL>'"), "{}", stderr(&o));
    // --nagq is bounded before anything is read (100000 allocated 80 GB).
    let o = run(&[
        "ordinal",
        "--data",
        "x.csv",
        "--formula",
        "y ~ x",
        "--random-intercept",
        "g",
        "--nagq",
        "100000",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--nagq must be from 1 (Laplace) to 100 nodes"),
        "{}",
        stderr(&o)
    );
    // simulate --params refuses a misspelt field (it was ignored), as a data error.
    let params = write_temp("params.json", r#"{"regions": 3, "clustr_size": 10}"#);
    let o = run(&["simulate", "--params", params.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown field `clustr_size`"),
        "{}",
        stderr(&o)
    );
    // simulate --out does not overwrite silently.
    let out = write_temp("existing-trial.csv", "keep me\n");
    let o = run(&["simulate", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me\n");
    let o = run(&["simulate", "--out", out.to_str().unwrap(), "--replace"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("id,"));
    let o = run(&["reproduce", "--out", ""]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--out was given an empty path"),
        "{}",
        stderr(&o)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_standard_output_is_reported() {
    // Found by the CLI fault campaign: `> /dev/full` exited 1 with nothing on stderr.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = bin()
        .args(["dataset", "petersen"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot write the output to standard output"),
        "{}",
        stderr(&o)
    );
}

/// Three arms: y by arm (R's kruskal.test / oneway.test data), and a three-level category whose
/// arm × level table is R's T1 (matrix(c(3,1,4, 1,5,9, 2,6,5), 3, byrow = TRUE), levels as rows).
fn three_arm_file() -> PathBuf {
    let ys: [(&str, &[f64]); 3] = [
        ("a", &[2.9, 3.0, 2.5, 2.6, 3.2, 2.5]),
        ("b", &[3.8, 2.7, 4.0, 2.4, 2.5]),
        ("c", &[2.8, 3.4, 3.7, 2.2, 2.0, 3.4, 2.9]),
    ];
    let mut text = String::from("id,site,arm,y,stage\n");
    let mut id = 0;
    for (arm, values) in ys {
        for (i, v) in values.iter().enumerate() {
            id += 1;
            text.push_str(&format!("{id},{arm}{},{arm},{v},\n", i % 2));
        }
    }
    // The category on separate rows (y missing there).
    let t1 = [[3, 1, 4], [1, 5, 9], [2, 6, 5]];
    for (lvl, row) in t1.iter().enumerate() {
        for (arm_i, &count) in row.iter().enumerate() {
            let arm = ["a", "b", "c"][arm_i];
            for _ in 0..count {
                id += 1;
                text.push_str(&format!("{id},{arm}{},{arm},,s{}\n", id % 2, lvl + 1));
            }
        }
    }
    write_temp("three-arm.csv", &text)
}

#[test]
fn tests_with_three_groups_match_r() {
    // R 4.2.2 (recorded in crates/trialstats-twosample/tests/data/kgroup.out): kruskal.test,
    // oneway.test (var.equal = TRUE / FALSE), chisq.test and fisher.test on the same data.
    let path = three_arm_file();
    let p = path.to_str().unwrap();
    let json = |test: &str, var: &str| -> serde_json::Value {
        let o = run(&[
            "test", test, "--data", p, "--var", var, "--by", "arm", "--format", "json",
        ]);
        assert!(o.status.success(), "{test}: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let close = |got: &serde_json::Value, want: f64, tol: f64| {
        let g = got.as_f64().unwrap();
        assert!((g - want).abs() <= tol * want.abs(), "{g} v. {want}");
    };
    let k = json("kruskal", "y");
    close(&k["statistic"], 0.21070315976857426, 1e-9);
    close(&k["p_value"], 0.90000804223211694, 1e-9);
    assert_eq!(k["groups"], serde_json::json!(["a", "b", "c"]));
    let a = json("anova", "y");
    close(&a["statistic"], 0.34729939476318666, 1e-9);
    assert_eq!(
        (a["df"].as_f64(), a["df2"].as_f64()),
        (Some(2.0), Some(15.0))
    );
    close(&a["p_value"], 0.71212758274432442, 1e-9);
    let w = json("welch-anova", "y");
    close(&w["df2"], 7.9910153391434458, 1e-9);
    close(&w["p_value"], 0.69813039156660928, 1e-9);
    let c = json("chisq", "stage");
    close(&c["statistic"], 5.3250000000000011, 1e-9);
    close(&c["p_value"], 0.25554569864697468, 1e-9);
    let f = json("fisher", "stage");
    close(&f["p_value"], 0.28236022876835382, 1e-6);
    // A two-group test on three groups says which tests take more.
    let o = run(&["test", "welch", "--data", p, "--var", "y", "--by", "arm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("use anova, welch-anova or kruskal"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn three_arm_table1_in_every_format_leaves_identifiers_out() {
    let path = three_arm_file();
    let p = path.to_str().unwrap();
    let o = run(&["table1", "--data", p, "--by", "arm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("a (n = 12)") && text.contains("b (n = 17)") && text.contains("c (n = 25)"),
        "{text}"
    );
    assert!(
        text.contains("One-way analysis of means (not assuming equal variances)"),
        "{text}"
    );
    assert!(text.contains("Pearson's Chi-squared test"), "{text}");
    // The identifier and the cluster column are left out, and the table says so.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("id ") || l.starts_with("site ")),
        "{text}"
    );
    assert!(text.contains("Left out as identifiers or design columns: id (an identifier), site (a design column (cluster or stratum))"), "{text}");
    let md = stdout(&run(&[
        "table1", "--data", p, "--by", "arm", "--format", "markdown",
    ]));
    assert!(
        md.contains("| variable | a (n = 12) | b (n = 17) | c (n = 25) | test | p |"),
        "{md}"
    );
    let csv = stdout(&run(&[
        "table1", "--data", p, "--by", "arm", "--format", "csv",
    ]));
    assert!(
        csv.starts_with("variable,a (n = 12),b (n = 17),c (n = 25),test,p\n"),
        "{csv}"
    );
    let html = stdout(&run(&[
        "table1", "--data", p, "--by", "arm", "--format", "html",
    ]));
    assert!(
        html.contains("<table") && html.contains(r#"<th class="r">c (n = 25)</th>"#),
        "{html}"
    );
    // --vars still chooses, identifiers included.
    let o = run(&[
        "table1", "--data", p, "--by", "arm", "--vars", "id,y", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["tests"][0]["var"], "id");
    assert_eq!(v["left_out"], serde_json::json!([]));
}

#[test]
fn regress_text_reads_like_stata() {
    let ds = run(&["dataset", "petersen"]);
    let path = write_temp("petersen-stata.csv", &stdout(&ds));
    let p = path.to_str().unwrap();
    let o = run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "y ~ x",
        "--cluster",
        "firm",
    ]);
    let text = stdout(&o);
    // Stata/MP 12, regress y x, vce(cluster firm): N = 5000, 500 clusters, F(1, 499) = 418.32,
    // R-squared = 0.2078, Root MSE = 2.0053.
    for want in [
        "Number of obs   =    5000",
        "Clusters (firm) =     500",
        "F(1, 499)       =   418.3",
        "R-squared       =  0.2078",
        "Root MSE        =  2.0053",
        "[95% conf.",
        "x               1.034833  0.05059573",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // The README shows this output as it is.
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("--formula \"y ~ x\" --cluster firm\n```\n\n```text\n")
        .expect("the README's regress example");
    let block = &readme[start..];
    let block = &block[block.find("```text\n").unwrap() + 8..];
    let block = &block[..block.find("```").unwrap()];
    assert_eq!(text, block, "README.md's regress output is stale");
    // A logit shows odds ratios by default (Stata's logistic), coefficients with --coef.
    let mut bin = String::from("firm,x,yb\n");
    let t = trialstats_data::DataTable::from_csv_str("p", &stdout(&ds)).unwrap();
    let (firm, x, y) = (
        t.numeric("firm").unwrap(),
        t.numeric("x").unwrap(),
        t.numeric("y").unwrap(),
    );
    for i in 0..t.nrows() {
        bin.push_str(&format!(
            "{},{},{}\n",
            firm[i].unwrap(),
            x[i].unwrap(),
            u8::from(y[i].unwrap() > 0.0)
        ));
    }
    let bpath = write_temp("petersen-binary.csv", &bin);
    let b = bpath.to_str().unwrap();
    let o = run(&[
        "regress",
        "--data",
        b,
        "--formula",
        "yb ~ x",
        "--family",
        "binomial",
        "--cluster",
        "firm",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("Logistic regression (odds ratios)") && text.contains("Odds ratio"),
        "{text}"
    );
    assert!(
        text.contains("Wald chi2(1)") && text.contains("Pseudo R2 (McFadden)"),
        "{text}"
    );
    let o = run(&[
        "regress",
        "--data",
        b,
        "--formula",
        "yb ~ x",
        "--family",
        "binomial",
        "--coef",
    ]);
    assert!(
        stdout(&o).contains("Logistic regression (log odds)"),
        "{}",
        stdout(&o)
    );
    let o = run(&["regress", "--data", p, "--formula", "y ~ x", "--or"]);
    assert_eq!(o.status.code(), Some(2));
    // The bootstrap p with its resolution (2 of 1024 sign vectors), never "0.0000".
    let o = run(&[
        "regress",
        "--data",
        p,
        "--formula",
        "y ~ x",
        "--cluster",
        "year",
        "--wild-bootstrap",
        "--test",
        "x",
    ]);
    assert!(
        stdout(&o).contains("p = 0.001953 (2 of 1024 draws as extreme)"),
        "{}",
        stdout(&o)
    );
    // dataset --format json writes JSON.
    let o = run(&["dataset", "wine", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 72);
    assert_eq!(v[0]["temp"], "cold");
}

/// The format test files of trialstats-data (their writing commands are recorded there).
fn format_file(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trialstats-data/tests/data/formats")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn the_same_trial_in_every_format_gives_the_same_regression_to_the_bit() {
    let formula = r#"y ~ factor(arm, ref = "usual care") + base + female"#;
    let fit = |options: &[&str], file: &str| {
        let data = format_file(file);
        let mut args: Vec<&str> = options.to_vec();
        args.extend([
            "regress",
            "--data",
            data.as_str(),
            "--formula",
            formula,
            "--cluster",
            "centre",
            "--format",
            "json",
        ]);
        let v = json(&run(&args));
        (
            v["coefficients"].clone(),
            v["covariance_matrix"].clone(),
            v["nobs"].clone(),
        )
    };
    let reference = fit(&[], "trial.csv");
    assert_eq!(reference.2, 247);
    for (options, file) in [
        (&[][..], "trial_haven_118.dta"),
        (&[], "trial_pandas_114.dta"),
        (&[], "trial_pandas_117.dta"),
        (&[], "trial_pandas_118.dta"),
        (&[], "trial_pandas_119.dta"),
        (&[], "trial_pyreadstat_118.dta"),
        (&[], "trial.parquet"),
        (&[], "trial.feather"),
        (&["--sheet", "trial"], "trial.xlsx"),
        (&[], "trial.ods"),
        (&["--na", "-999"], "trial_minus999.csv"),
        (&["--decimal", "comma"], "trial_semicolon.csv"),
        (&["--encoding", "latin1"], "trial_latin1.csv"),
    ] {
        assert_eq!(fit(options, file), reference, "{file} {options:?}");
    }
}

#[test]
fn table1_on_a_stata_file_uses_its_value_labels_and_variable_labels() {
    // trial_haven_118.dta (make_files.R): arm 0/1 labelled "usual care"/"intervention", y
    // labelled "HbA1c at 12 months (%)". The groups come in value order with their labels, and
    // the row is named by the variable label; the numbers are those of the CSV holding the text.
    let dta = format_file("trial_haven_118.dta");
    let csv = format_file("trial.csv");
    let t1 = |data: &str| {
        json(&run(&[
            "table1", "--data", data, "--by", "arm", "--vars", "y,base", "--format", "json",
        ]))
    };
    let (from_dta, from_csv) = (t1(&dta), t1(&csv));
    assert_eq!(
        from_dta["groups"],
        serde_json::json!(["usual care", "intervention"])
    );
    assert_eq!(
        from_csv["groups"],
        serde_json::json!(["intervention", "usual care"])
    );
    let rows = from_dta["rows"].as_array().unwrap();
    assert!(
        rows[0][0]
            .as_str()
            .unwrap()
            .starts_with("HbA1c at 12 months (%)"),
        "{rows:?}"
    );
    // Same cells, the two group columns swapped.
    let csv_rows = from_csv["rows"].as_array().unwrap();
    for (a, b) in rows.iter().zip(csv_rows) {
        assert_eq!((&a[1], &a[2], &a[4]), (&b[2], &b[1], &b[4]));
    }
    // The numbers behind the cells, to the bit of R 4.2.2 on the same file (haven 2.5.1):
    // d <- haven::read_dta("trial_haven_118.dta"); x <- na.omit(d$base[d$arm == 0])
    // sprintf("%.17g", c(mean(x), sd(x), quantile(x, c(.5, .25, .75))))
    let numeric = stdout(&run(&[
        "table1",
        "--data",
        &dta,
        "--by",
        "arm",
        "--vars",
        "base",
        "--numeric",
        "--format",
        "csv",
    ]));
    let row: Vec<&str> = numeric.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(&row[..5], ["base", "", "usual care", "134", "0"]);
    let r = [
        21.188059701492538,
        7.2578881617063722,
        21.454999999999998,
        16.452500000000001,
        26.035,
    ];
    for (cell, r) in row[5..10].iter().zip(r) {
        assert_eq!(
            cell.parse::<f64>().unwrap().to_bits(),
            f64::to_bits(r),
            "{cell}"
        );
    }
    // The t statistic changes sign with the group order; df and p do not.
    for (a, b) in from_dta["tests"]
        .as_array()
        .unwrap()
        .iter()
        .zip(from_csv["tests"].as_array().unwrap())
    {
        assert_eq!((&a["df"], &a["p_value"]), (&b["df"], &b["p_value"]));
        assert_eq!(
            a["statistic"].as_f64().unwrap().to_bits(),
            (-b["statistic"].as_f64().unwrap()).to_bits()
        );
    }
}

#[test]
fn unreadable_data_files_are_one_sentence_naming_the_file() {
    let truncated = write_temp(
        "truncated.dta",
        &String::from_utf8_lossy(
            &std::fs::read(format_file("trial_haven_118.dta")).unwrap()[..200],
        ),
    );
    let lying = write_temp("lying.parquet", "a,b\n1,2\n");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--data".into(), truncated.to_string_lossy().into_owned()],
            "not a readable Stata .dta file",
        ),
        (
            vec!["--data".into(), lying.to_string_lossy().into_owned()],
            "not a readable Parquet file",
        ),
        (
            vec![
                "--sheet".into(),
                "results".into(),
                "--data".into(),
                format_file("trial.xlsx"),
            ],
            "no sheet `results`; the sheets are trial",
        ),
        (
            vec![
                "--encoding".into(),
                "ebcdic".into(),
                "--data".into(),
                format_file("trial.csv"),
            ],
            "unknown encoding `ebcdic`",
        ),
        (
            vec![
                "--decimal".into(),
                "comma".into(),
                "--data".into(),
                format_file("trial.csv"),
            ],
            "a decimal comma needs another field delimiter",
        ),
    ];
    for (mut args, want) in cases {
        args.extend(["--formula".into(), "y ~ base".into()]);
        let mut all = vec!["regress".to_string()];
        all.extend(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let o = run(&refs);
        assert_eq!(o.status.code(), Some(1), "{refs:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
        let e = stderr(&o);
        assert!(
            e.starts_with("error: ") && e.contains(want),
            "{refs:?}: {e}"
        );
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    }
}

/// `impute --out F.dta` and `--out F.parquet`: Stata's mi flong layout. The .dta reads in R
/// haven 2.5.1 and pyreadstat 1.3.8 (checked when this test was written: 100 rows × 7 columns,
/// the Parquet file equal to it cell for cell).
#[test]
fn impute_writes_stata_mi_flong_as_dta_and_parquet() {
    let data = write_temp(
        "nhanes-flong.csv",
        &DataTable::to_csv(&trialstats_data::datasets::nhanes().unwrap()),
    );
    let impute_to = |out: &std::path::Path| {
        let _ = std::fs::remove_file(out);
        run(&[
            "impute",
            "--data",
            data.to_str().unwrap(),
            "--m",
            "3",
            "--seed",
            "4",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let csv_out = std::env::temp_dir().join(format!("flong-{}.csv", std::process::id()));
    let o = impute_to(&csv_out);
    assert!(o.status.success(), "{}", stderr(&o));
    let stacked = DataTable::read(&csv_out, &ReadOptions::default()).unwrap();
    for ext in ["dta", "parquet"] {
        let out = std::env::temp_dir().join(format!("flong-{}.{ext}", std::process::id()));
        let o = impute_to(&out);
        assert!(o.status.success(), "{ext}: {}", stderr(&o));
        let t = DataTable::read(&out, &ReadOptions::default()).unwrap();
        assert_eq!(t.nrows(), 4 * 25, "{ext}");
        assert_eq!(t.names()[..3], ["_mi_m", "_mi_id", "_mi_miss"]);
        let m = t.numeric("_mi_m").unwrap();
        let bmi = t.numeric("bmi").unwrap();
        let miss = t.numeric("_mi_miss").unwrap();
        // The original data: bmi missing in 9 rows, which _mi_miss flags; imputed rows complete.
        assert_eq!((0..25).filter(|&i| bmi[i].is_none()).count(), 9);
        assert!((0..25).all(|i| miss[i].is_some()) && (25..100).all(|i| miss[i].is_none()));
        assert!((25..100).all(|i| bmi[i].is_some()));
        // Imputation k holds the same values as the CSV's imputation k.
        let csv_bmi = stacked.numeric("bmi").unwrap();
        for i in 25..100 {
            assert_eq!(m[i].map(f64::to_bits), Some(((i / 25) as f64).to_bits()));
            assert_eq!(
                bmi[i].map(f64::to_bits),
                csv_bmi[i - 25].map(f64::to_bits),
                "{ext} row {i}"
            );
        }
    }
}

#[test]
fn describe_shows_what_the_reader_made_of_a_file() {
    let v = json(&run(&[
        "describe",
        "--data",
        &format_file("trial_haven_118.dta"),
        "--format",
        "json",
    ]));
    assert_eq!(v["nrows"], 252);
    let col = |name: &str| {
        v["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(col("arm")["label"], "Randomised arm");
    assert_eq!(
        col("arm")["value_labels"],
        serde_json::json!([{"value": 0.0, "label": "usual care"}, {"value": 1.0, "label": "intervention"}])
    );
    assert_eq!(
        (col("y")["missing"].clone(), col("y")["type"].clone()),
        (5.into(), "numeric".into())
    );
    assert_eq!(col("centre")["levels"].as_array().unwrap().len(), 24);
    // The -999-coded file: the code is a value, and the warning says so and how to fix it.
    let coded = run(&["describe", "--data", &format_file("trial_minus999.csv")]);
    let text = stdout(&coded);
    assert!(text.contains("-999 to 40.64"), "{text}");
    assert!(
        text.contains("`y` holds -999 in 5 row(s)") && text.contains("--na -999"),
        "{text}"
    );
    let fixed = json(&run(&[
        "describe",
        "--data",
        &format_file("trial_minus999.csv"),
        "--na",
        "-999",
        "--format",
        "json",
    ]));
    assert_eq!(fixed["warnings"], serde_json::json!([]));
    assert_eq!(fixed["columns"][5]["missing"], 5);
}

fn plan_file(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trialstats-plan/tests/data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn run_writes_the_plans_results_and_plan_check_lists_what_cannot_run() {
    let out = std::env::temp_dir().join(format!("trialstats-cli-run-{}", std::process::id()));
    let o = run(&[
        "run",
        &plan_file("r_trial.toml"),
        "--data",
        &plan_file("trial_r.csv"),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["plan"], "r-trial");
    assert_eq!(v["effects"][0]["outcome"], "hba1c");
    assert_eq!(v["effects"][0]["df"], 19.0);
    for f in [
        "results.json",
        "report.md",
        "effects.csv",
        "table1.csv",
        "table1_numeric.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(written, v);
    // plan check: what runs and what cannot, with the reason.
    let check = stdout(&run(&[
        "plan",
        "check",
        &plan_file("r_trial.toml"),
        "--data",
        &plan_file("trial_r.csv"),
    ]));
    // Three Table 1 rows, HbA1c's CR1, CR2, bootstrap and ICC, the logistic CR1, the subgroup.
    assert!(check.contains("9 of 11 analyses can run"), "{check}");
    assert!(
        check.contains("hba1c_gt8:wild")
            && check.contains("the wild cluster bootstrap is for linear models"),
        "{check}"
    );
    assert!(
        check.contains("eq5d") && check.contains("cannot run: missing columns: eq5d_12, eq5d_0"),
        "{check}"
    );
    // A plan naming an arm value the data do not hold: one sentence naming the line and key,
    // exit 1, nothing on stdout.
    let plan = std::fs::read_to_string(plan_file("r_trial.toml"))
        .unwrap()
        .replace(
            "treatment = \"intervention\"",
            "treatment = \"peer support\"",
        );
    let bad = write_temp("bad_plan.toml", &plan);
    let o = run(&[
        "run",
        bad.to_str().unwrap(),
        "--data",
        &plan_file("trial_r.csv"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(
        e.contains("bad_plan.toml, line 10, `design.arm.treatment`"),
        "{e}"
    );
}

#[test]
fn the_embedded_paper_plan_runs_on_a_users_file_with_set() {
    let out =
        std::env::temp_dir().join(format!("trialstats-cli-paper-plan-{}", std::process::id()));
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run".to_string(),
            "riddell2016".into(),
            "--data".into(),
            plan_file("trial_clinical.csv"),
            "--out".into(),
            out.to_string_lossy().into_owned(),
            "--format".into(),
            "json".into(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_string()));
        a
    };
    // As embedded, the plan's cluster column is `cluster`: one sentence naming line and key.
    let plain = args(&[]);
    let o = run(&plain.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`design.cluster`") && stderr(&o).contains("no column `cluster`"),
        "{}",
        stderr(&o)
    );
    let set = args(&[
        "--set",
        "design.cluster=community",
        "--set",
        "design.arm.control=usual care",
    ]);
    let v = json(&run(&set.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(v["plan"], "riddell2016");
    assert_eq!(v["clusters"], serde_json::json!([12, 12]));
    assert_eq!(v["effects"][0]["outcome"], "ukpds_risk");
    // A --set without `=` is refused, naming it.
    let bad = args(&["--set", "design.cluster"]);
    let o = run(&bad.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--set design.cluster: write KEY=VALUE"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn simulate_calibrate_summarises_the_published_numbers_over_seeds() {
    let o = run(&[
        "simulate",
        "--calibrate",
        "--seeds",
        "3",
        "--seed",
        "7",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        (v["first_seed"].as_u64(), v["seeds"].as_u64()),
        (Some(7), Some(3))
    );
    let rows = v["rows"].as_array().unwrap();
    let clusters = rows
        .iter()
        .find(|r| r["quantity"] == "communities randomised")
        .unwrap();
    assert_eq!(clusters["median"], 24.0);
    assert_eq!(clusters["computed"], 3);
    // --calibrate writes no trial: with --out it is refused.
    let e = run(&["simulate", "--calibrate", "--out", "x.csv"]);
    assert_eq!(e.status.code(), Some(2));
}

#[test]
fn mixed_gives_lme4s_nested_fit_with_the_contracts_json() {
    // R 4.2.2, lme4 1.1.31, lmerTest 3.1.3 (crates/trialstats-mixed/tests/data/make_lmm_ref.R):
    // y ~ arm*time + x1 + x2 + (1|community) + (1|community:pid), REML.
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../trialstats-mixed/tests/data/trial_lmm.csv"
    );
    let o = run(&[
        "mixed",
        "--data",
        data,
        "--formula",
        "y ~ arm * time + x1 + x2",
        "--random-intercept",
        "community",
        "--random-intercept",
        "pid",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["model"].as_str(), v["method"].as_str()),
        (Some("lmm"), Some("reml"))
    );
    assert_eq!(
        (v["nobs"].as_u64(), v["nobs_dropped"].as_u64()),
        (Some(465), Some(5))
    );
    let at = v["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["term"] == "arm:time")
        .unwrap();
    assert!((at["df"].as_f64().unwrap() / 221.98884319487243 - 1.0).abs() < 1e-5);
    let re = v["random_effects"].as_array().unwrap();
    assert_eq!(re.len(), 2);
    assert!((re[0]["variance"].as_f64().unwrap() / 0.20206382132320524 - 1.0).abs() < 1e-6);
    assert!((v["residual_variance"].as_f64().unwrap() / 0.79854128661086132 - 1.0).abs() < 1e-6);
    assert!((v["icc"]["estimate"].as_f64().unwrap() / 0.10888020652146571 - 1.0).abs() < 1e-6);
    assert!((v["loglik"].as_f64().unwrap() + 1527.2048369148326 / 2.0).abs() < 1e-6);
    // Kenward–Roger is for REML fits: a usage error, exit 2.
    let o = run(&[
        "mixed",
        "--data",
        data,
        "--formula",
        "y ~ arm",
        "--random-intercept",
        "community",
        "--method",
        "ml",
        "--df",
        "kenward-roger",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("REML"));
}

#[test]
fn regress_with_a_random_intercept_is_glmers_logit() {
    // R 4.2.2, lme4 1.1.31 (crates/trialstats-mixed/tests/data/make_glmm_ref.R):
    // glmer(y ~ arm + x1 + x2 + (1 | community), binomial, nAGQ = 10), polished.
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../trialstats-mixed/tests/data/trial_glmm.csv"
    );
    let o = run(&[
        "regress",
        "--data",
        data,
        "--formula",
        "y ~ arm + x1 + x2",
        "--family",
        "binomial",
        "--random-intercept",
        "community",
        "--nagq",
        "10",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["model"].as_str(), v["nagq"].as_u64(), v["nobs"].as_u64()),
        (Some("glmm"), Some(10), Some(523))
    );
    let arm = v["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["term"] == "arm")
        .unwrap();
    assert!((arm["estimate"].as_f64().unwrap() - 1.040819366615094).abs() < 1e-6);
    assert!((arm["std_error"].as_f64().unwrap() / 0.30807083260759899 - 1.0).abs() < 1e-5);
    let re = &v["random_effects"];
    assert!((re["sd"].as_f64().unwrap() - 0.61213779170953153).abs() < 1e-6);
    assert!(
        (re["lr_test_vs_glm"]["statistic"].as_f64().unwrap() - 10.042146846811193).abs() < 1e-6
    );
    assert!((v["loglik"].as_f64().unwrap() + 322.83971998786063).abs() < 1e-8);
    assert_eq!(re["icc"]["scale"], "latent");
    // The text output: odds ratios, the LR test and the ICC.
    let o = run(&[
        "regress",
        "--data",
        data,
        "--formula",
        "y ~ arm + x1 + x2",
        "--family",
        "binomial",
        "--random-intercept",
        "community",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("odds ratio") && text.contains("chibar2(01)") && text.contains("ICC"),
        "{text}"
    );
    // Usage errors: a gaussian family, clustered standard errors, two random intercepts.
    for extra in [
        &["--family", "gaussian", "--random-intercept", "community"][..],
        &[
            "--family",
            "binomial",
            "--random-intercept",
            "community",
            "--cluster",
            "community",
        ],
        &[
            "--family",
            "binomial",
            "--random-intercept",
            "community",
            "--random-intercept",
            "x1",
        ],
    ] {
        let mut args = vec!["regress", "--data", data, "--formula", "y ~ arm"];
        args.extend_from_slice(extra);
        assert_eq!(run(&args).status.code(), Some(2), "{extra:?}");
    }
}

#[test]
fn ordinal_with_two_random_intercepts_is_the_nested_clmm() {
    // R 4.2.2, ordinal 2022.11.16 (crates/trialstats-ordinal/tests/data/make_nested_ref.R):
    // clmm(y ~ arm * time + x1 + (1 | community) + (1 | community:pid)), Laplace, polished.
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../trialstats-ordinal/tests/data/nested_trial.csv"
    );
    let o = run(&[
        "ordinal",
        "--data",
        data,
        "--formula",
        "y ~ arm * time + x1",
        "--random-intercept",
        "community",
        "--random-intercept",
        "pid",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (
            v["model"].as_str(),
            v["nobs"].as_u64(),
            v["n_clusters"].as_u64()
        ),
        (Some("clmm"), Some(316), Some(30))
    );
    let re = v["random_effects"].as_array().unwrap();
    assert_eq!(
        (re[0]["group"].as_str(), re[1]["levels"].as_u64()),
        (Some("community"), Some(159))
    );
    assert!((re[0]["log_sd"].as_f64().unwrap() + 0.53324931400468822).abs() < 1e-6);
    assert!((re[1]["log_sd"].as_f64().unwrap() + 0.13791994787426989).abs() < 1e-6);
    assert!((v["loglik"].as_f64().unwrap() + 408.46360761532105).abs() < 1e-8);
    let x1 = v["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["term"] == "x1")
        .unwrap();
    assert!((x1["estimate"].as_f64().unwrap() - 0.67484899653539387).abs() < 1e-6);
    assert!((x1["std_error"].as_f64().unwrap() / 0.16143464563352378 - 1.0).abs() < 1e-5);
    // Three random intercepts: a usage error.
    let o = run(&[
        "ordinal",
        "--data",
        data,
        "--formula",
        "y ~ arm",
        "--random-intercept",
        "community",
        "--random-intercept",
        "pid",
        "--random-intercept",
        "time",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// `regress --engine datafusion` on the trial's Parquet file, and on a directory holding it,
/// against the in-memory engine: the same coefficients and standard errors to 1e-12, the same
/// rows dropped and the same JSON keys; options it cannot do are refused with a pointer to
/// `--engine memory`.
#[test]
fn the_datafusion_engine_gives_the_in_memory_regression() {
    let formula = r#"y ~ factor(arm, ref = "usual care") + base + female"#;
    let file = format_file("trial.parquet");
    let dir = std::env::temp_dir().join(format!("trialstats-cli-df-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&file, dir.join("part-0.parquet")).unwrap();
    let dir = dir.to_string_lossy().into_owned();
    let fit = |data: &str, engine: &str, vcov: &str| {
        json(&run(&[
            "regress",
            "--data",
            data,
            "--engine",
            engine,
            "--formula",
            formula,
            "--cluster",
            "centre",
            "--vcov",
            vcov,
            "--format",
            "json",
        ]))
    };
    for vcov in ["cr1", "cr2", "cr3"] {
        let memory = fit(&file, "memory", vcov);
        for (data, engine) in [(file.as_str(), "datafusion"), (dir.as_str(), "auto")] {
            let scale = fit(data, engine, vcov);
            for key in ["nobs", "nobs_dropped", "n_clusters", "model"] {
                assert_eq!(scale[key], memory[key], "{vcov} {engine} {key}");
            }
            let (s, m) = (
                scale["coefficients"].as_array().unwrap(),
                memory["coefficients"].as_array().unwrap(),
            );
            assert_eq!(s.len(), m.len());
            for (a, b) in s.iter().zip(m) {
                assert_eq!(a["term"], b["term"]);
                for k in ["estimate", "std_error", "p_value"] {
                    let (x, y) = (a[k].as_f64().unwrap(), b[k].as_f64().unwrap());
                    assert!(
                        (x - y).abs() <= 1e-12 * y.abs().max(1e-3),
                        "{vcov} {engine} {} {k}: {x} v. {y}",
                        a["term"]
                    );
                }
            }
            let keys =
                |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&scale), keys(&memory), "{vcov} {engine}");
        }
    }
    // A directory without --engine datafusion (or auto) is refused, and so is what the engine
    // cannot do.
    let out = run(&[
        "regress",
        "--data",
        &dir,
        "--engine",
        "memory",
        "--formula",
        formula,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--engine datafusion"));
    let out = run(&[
        "regress",
        "--data",
        &dir,
        "--formula",
        formula,
        "--cluster",
        "centre",
        "--wild-bootstrap",
        "--test",
        "base",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--engine memory"));
    // An unknown column names the data and the column.
    let out = run(&["regress", "--data", &dir, "--formula", "y ~ nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nosuch") && err.contains(&dir), "{err}");
    // A damaged file among the directory's is named.
    std::fs::write(
        std::path::Path::new(&dir).join("part-9.parquet"),
        b"not parquet",
    )
    .unwrap();
    let out = run(&["regress", "--data", &dir, "--formula", formula]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("part-9.parquet") && err.contains("not a readable Parquet file"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
