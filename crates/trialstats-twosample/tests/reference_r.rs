//! Against R 4.2.2 (`options(digits = 17)`), the script recorded here:
//! ```r
//! x1 <- c(5.1, 4.9, 6.2, 5.8, 6.0, 5.5, 5.3, 6.6); y1 <- c(6.5, 6.1, 7.0, 5.9, 6.8, 7.2, 6.4)
//! x2 <- c(2, 3, 3, 5, 7, 7, 8, 9, 10, 3); y2 <- c(4, 5, 5, 6, 8, 9, 11, 12, 12, 13, 14)   # ties
//! set.seed(1); x3 <- round(rnorm(60, 10, 2), 3); y3 <- round(rnorm(55, 10.8, 2.5), 3)  # n ≥ 50
//! t.test(x, y); t.test(x, y, var.equal = TRUE); wilcox.test(x, y); wilcox.test(x, y, correct = FALSE)
//! t1 <- matrix(c(12, 5, 7, 15), 2); t2 <- matrix(c(3, 1, 1, 3), 2)
//! t3 <- matrix(c(20, 15, 10, 30, 25, 12), 2); t4 <- matrix(c(2, 9, 14, 3), 2)
//! chisq.test(m); chisq.test(m, correct = FALSE); fisher.test(m)
//! ```
//! Tolerance 1e−10 relative. Fisher's odds ratio and interval: `fisher.test` finds them with
//! `uniroot` at its default tolerance (≈ 1.2e−4 on ψ or 1/ψ: up to 0.7 % off here), so the
//! references are R's own noncentral-hypergeometric functions from `fisher.test`'s source solved
//! with `uniroot(..., tol = 1e-15)` on ln ψ; compared at 1e−8 relative.

// Test code: a failed unwrap is a failed test, reported with its value; reference tables are
// written as tuples of slices.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity
)]

use trialstats_core::Level;
use trialstats_core::testing::Tol;
use trialstats_twosample::{Continuity, Exact, Variances};
use trialstats_twosample::{chisq_test, fisher_test, t_test, wilcox_test};

const X1: [f64; 8] = [5.1, 4.9, 6.2, 5.8, 6.0, 5.5, 5.3, 6.6];
const Y1: [f64; 7] = [6.5, 6.1, 7.0, 5.9, 6.8, 7.2, 6.4];
const X2: [f64; 10] = [2., 3., 3., 5., 7., 7., 8., 9., 10., 3.];
const Y2: [f64; 11] = [4., 5., 5., 6., 8., 9., 11., 12., 12., 13., 14.];

/// R's `round(rnorm(60, 10, 2), 3)` and `round(rnorm(55, 10.8, 2.5), 3)` after `set.seed(1)`.
fn sample3() -> (Vec<f64>, Vec<f64>) {
    let text = include_str!("sample3.csv");
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in text.lines().skip(1) {
        let mut it = line.split(',');
        let g = it.next().unwrap();
        let v: f64 = it.next().unwrap().parse().unwrap();
        if g == "x" { x.push(v) } else { y.push(v) }
    }
    (x, y)
}

fn close(what: &str, got: f64, want: f64) {
    Tol::rel(1e-10).check(what, got, want).unwrap();
}

#[test]
fn t_tests_match_r() {
    let (x3, y3) = sample3();
    let cases: [(&[f64], &[f64], [f64; 7], [f64; 7]); 3] = [
        (
            &X1,
            &Y1,
            [
                -3.2452278099932621025,
                12.9509690983755643146,
                0.0064147024241774601,
                -1.4696170111755701981,
                -0.2946687031101440368,
                5.6749999999999998224,
                6.5571428571428569398,
            ],
            [
                -3.1983039453204695768,
                13.0,
                0.0069903773709150494,
                -1.4780067311446780653,
                -0.2862789831410363361,
                5.6749999999999998224,
                6.5571428571428569398,
            ],
        ),
        (
            &X2,
            &Y2,
            [
                -2.330452967169647671,
                18.701558376978049125,
                0.031143472838602304,
                -6.266997066792691307,
                -0.333002933207309948,
                5.7,
                9.0,
            ],
            [
                -2.304389741539550673,
                19.0,
                0.032657377596403192,
                -6.297313889677750964,
                -0.302686110322247903,
                5.7,
                9.0,
            ],
        ),
        (
            &x3,
            &y3,
            [
                -2.37067760781557313,
                97.56159551025346843,
                0.01972132468118086,
                -1.69099992757842599,
                -0.14990916333066751,
                10.2152,
                11.13565454545454614,
            ],
            [
                -2.403614787661997099,
                113.0,
                0.017860810416031807,
                -1.679139537970467222,
                -0.161769552938626437,
                10.2152,
                11.135654545454546138,
            ],
        ),
    ];
    for (x, y, welch, student) in cases {
        for (variances, want) in [(Variances::Unequal, welch), (Variances::Equal, student)] {
            let r = t_test(x, y, variances, Level::P95).unwrap();
            close("t", r.statistic.unwrap(), want[0]);
            close("df", r.df.unwrap(), want[1]);
            close("p", r.p_value, want[2]);
            let (lo, hi) = r.ci.unwrap();
            close("lo", lo, want[3]);
            close("hi", hi, want[4]);
            close("estimate", r.estimate.unwrap(), want[5] - want[6]);
        }
    }
}

#[test]
fn wilcoxon_matches_r() {
    let (x3, y3) = sample3();
    // (x, y, W, p with correction, p without)
    let cases: [(&[f64], &[f64], f64, f64, f64); 3] = [
        (&X1, &Y1, 7.0, 0.013986013986013986, 0.013986013986013986), // exact (no ties, n < 50)
        (&X2, &Y2, 26.0, 0.043928263694789464, 0.040352566135122538), // ties: normal
        (
            &x3,
            &y3,
            1313.5,
            5.9938932308948471e-02,
            5.9559292397137316e-02,
        ), // n ≥ 50: normal
    ];
    for (x, y, w, p_c, p_nc) in cases {
        let r = wilcox_test(x, y, Exact::Auto, Continuity::Corrected).unwrap();
        close("W", r.statistic.unwrap(), w);
        close("p", r.p_value, p_c);
        let r = wilcox_test(x, y, Exact::Auto, Continuity::Uncorrected).unwrap();
        close("p no correction", r.p_value, p_nc);
    }
}

#[test]
fn chisq_and_fisher_match_r() {
    let t = |v: [f64; 4]| vec![vec![v[0], v[2]], vec![v[1], v[3]]];
    let t1 = t([12., 5., 7., 15.]);
    let t2 = t([3., 1., 1., 3.]);
    let t4 = t([2., 9., 14., 3.]);
    let t3 = vec![vec![20., 10., 25.], vec![15., 30., 12.]];
    // (table, X² Yates, p, X² plain, p)
    let chis = [
        (
            &t1,
            4.322120391218686741,
            0.037620016634840062,
            5.76959611595834332,
            0.01630578158465017,
        ),
        (&t2, 0.5, 0.47950012218695348, 2.0, 0.15729920705028447),
        (
            &t3,
            1.5251002198370617e+01,
            4.8785072066475163e-04,
            1.5251002198370617e+01,
            4.8785072066475163e-04,
        ),
        (
            &t4,
            8.7624777183600706110,
            0.0030749102585724414,
            1.1229946524064172e+01,
            8.0487963944472405e-04,
        ),
    ];
    for (m, s_c, p_c, s, p) in chis {
        let r = chisq_test(m, Continuity::Corrected).unwrap();
        close("X2", r.statistic.unwrap(), s_c);
        close("p", r.p_value, p_c);
        let r = chisq_test(m, Continuity::Uncorrected).unwrap();
        close("X2 plain", r.statistic.unwrap(), s);
        close("p plain", r.p_value, p);
    }
    // fisher: (table, p, ci lo, ci hi, estimate); p from fisher.test, interval and estimate
    // from the tight solve (see the header).
    let fishers = [
        (
            &t1,
            0.024841720377823343,
            1.0878360069157906,
            25.7854585721326757,
            4.9082417424045577,
        ),
        (
            &t2,
            0.48571428571428582,
            0.21173559544657863,
            626.24353058881445122,
            6.40831965819967220,
        ),
        (
            &t4,
            0.0014825245946527446,
            0.0038736616763282005,
            0.4434400612119056007,
            0.0556688600606834033,
        ),
    ];
    for (m, p, lo, hi, est) in fishers {
        let r = fisher_test(m, Level::P95).unwrap();
        close("fisher p", r.p_value, p);
        let (l, h) = r.ci.unwrap();
        Tol::rel(1e-8).check("ci lo", l, lo).unwrap();
        Tol::rel(1e-8).check("ci hi", h, hi).unwrap();
        Tol::rel(1e-8)
            .check("OR", r.estimate.unwrap(), est)
            .unwrap();
    }
    // 2 × 3 by enumeration.
    close(
        "fisher 2x3",
        fisher_test(&t3, Level::P95).unwrap().p_value,
        0.00041230357416628216,
    );
}

#[test]
fn hodges_lehmann_and_prop_test_match_r() {
    use trialstats_twosample::{hodges_lehmann, prop_test};
    // R 4.2.2: wilcox.test(x1, y1, conf.int = TRUE): estimate −0.95, CI (−1.5, −0.2) — exact.
    let (e, (lo, hi)) =
        hodges_lehmann(&X1, &Y1, Level::P95, Exact::Auto, Continuity::Corrected).unwrap();
    Tol::abs(1e-12)
        .check_slice("HL exact", &[e, lo, hi], &[-0.95, -1.5, -0.2])
        .unwrap();
    // wilcox.test(x2, y2, conf.int = TRUE) (ties, normal): −3, (−6.9999940088300967,
    // −6.5421074904306711e-05); R's uniroot stops 1e−4 short of the step boundaries −7 and 0.
    let (e, (lo, hi)) =
        hodges_lehmann(&X2, &Y2, Level::P95, Exact::Auto, Continuity::Corrected).unwrap();
    Tol::abs(1e-3)
        .check_slice(
            "HL normal",
            &[e, lo, hi],
            &[-3.0, -6.9999940088300967, -6.5421074904306711e-05],
        )
        .unwrap();
    // prop.test(c(15, 25), c(50, 50)): X² 3.375, p 0.0661925797221933898, CI (−0.4079931412322958528,
    // 0.0079931412322958306); correct = FALSE: X² 4.166666666666666963, p 0.041226833337163572,
    // CI (−0.387993141232295891, −0.012006858767704159).
    let r = prop_test(
        [15.0, 25.0],
        [50.0, 50.0],
        Continuity::Corrected,
        Level::P95,
    )
    .unwrap();
    close("X2", r.statistic.unwrap(), 3.375);
    close("p", r.p_value, 0.0661925797221933898);
    let (lo, hi) = r.ci.unwrap();
    close("lo", lo, -0.4079931412322958528);
    close("hi", hi, 0.0079931412322958306);
    let r = prop_test(
        [15.0, 25.0],
        [50.0, 50.0],
        Continuity::Uncorrected,
        Level::P95,
    )
    .unwrap();
    close("X2 nc", r.statistic.unwrap(), 4.166666666666666963);
    close("p nc", r.p_value, 0.041226833337163572);
    let (lo, hi) = r.ci.unwrap();
    close("lo nc", lo, -0.387993141232295891);
    close("hi nc", hi, -0.012006858767704159);
}
