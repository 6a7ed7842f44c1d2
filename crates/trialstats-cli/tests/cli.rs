//! End-to-end tests of the `trialstats` binary: output, error messages and exit codes.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trialstats"))
}

/// Writes `text` to a file unique to this test and returns its path.
fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialstats-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
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
