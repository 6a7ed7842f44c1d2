//! The descriptive parts of a run: the ICC against Stata's published `loneway` output and R,
//! published targets, the flow with a 6-month stage, and the figures' text boxes (no overlap, no
//! overflow).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::close;
use trialstats_data::DataTable;
use trialstats_plan::svg::text_width;
use trialstats_plan::{Plan, PlanResults, Published, run};

const TRIAL: &str = include_str!("data/trial_r.csv");
const REFERENCE: &str = include_str!("data/reference.txt");
const R_PLAN: &str = include_str!("data/r_trial.toml");

fn r_run(extra: &str) -> PlanResults {
    let p = Plan::parse("r_trial.toml", &format!("{R_PLAN}\n{extra}")).unwrap();
    let data = DataTable::from_csv_str("trial_r.csv", TRIAL).unwrap();
    run(&p, &data, &mut |_, _, _| {}).unwrap()
}

#[test]
fn the_icc_is_statas_loneway() {
    // Stata's own output (Statalist, 1 April 2003: `loneway mes sub` on nine values in three
    // groups): ICC 0.99311, asymptotic SE 0.00792, 95 % interval 0.97759 to 1.00863 — not
    // truncated at 1.
    let csv = "id,sub,arm,mes\n1,1,a,25\n2,2,b,36\n3,3,b,14\n4,1,a,24\n5,2,b,35\n6,3,b,12\n7,1,a,25\n8,2,b,37\n9,3,b,14\n";
    let plan = Plan::parse(
        "loneway.toml",
        r#"
[plan]
name = "loneway"
[design]
cluster = "sub"
arm = { column = "arm", control = "a", treatment = "b" }
[[outcome]]
id = "mes"
model = "linear"
followup = "mes"
icc = true
"#,
    )
    .unwrap();
    let data = DataTable::from_csv_str("mes.csv", csv).unwrap();
    let r = run(&plan, &data, &mut |_, _, _| {}).unwrap();
    let icc = &r.iccs[0];
    // Stata prints five decimals: each value rounds to the printed one.
    let printed = [icc.estimate, icc.std_error, icc.ci_low, icc.ci_high].map(|x| format!("{x:.5}"));
    assert_eq!(printed, ["0.99311", "0.00792", "0.97759", "1.00863"]);
    // An unbalanced trial: R's aov mean squares with the same formulas (make_trial.R).
    let r = r_run("");
    let icc = &r.iccs[0];
    let reference = |n: &str| common::reference(REFERENCE, n);
    close(icc.estimate, reference("icc"), 1e-12, "ICC");
    close(icc.std_error, reference("icc_se"), 1e-12, "ICC SE");
    close(icc.ci_low, reference("icc_lo"), 1e-12, "ICC lower");
    close(icc.ci_high, reference("icc_hi"), 1e-12, "ICC upper");
    close(
        icc.design_effect,
        reference("icc_deff"),
        1e-12,
        "design effect",
    );
}

#[test]
fn targets_compute_their_statistics_and_say_why_not() {
    let r = r_run(
        r#"
[[target]]
quantity = "mean age, usual care"
published = 60
value = "mean(age)"
arm = "control"

[[target]]
quantity = "smokers (%)"
published = "about a third"
value = "share(smoker == 1)"

[[target]]
quantity = "HbA1c fell (%)"
published = 50
value = "share(hba1c_12 - hba1c_0 < 0)"
where = "hba1c_12 observed"

[[target]]
quantity = "CR1 estimate"
published = -0.46
value = "effect:hba1c:cr1"

[[target]]
quantity = "ICC design effect"
published = 3
value = "icc:hba1c:design_effect"

[[target]]
quantity = "an absent outcome"
published = 1
value = "effect:weight:cr1:p"
"#,
    );
    let data = DataTable::from_csv_str("trial_r.csv", TRIAL).unwrap();
    let age = data.numeric("age").unwrap();
    let arm = data.column("arm").unwrap();
    let control: Vec<f64> = (0..data.nrows())
        .filter(|&i| arm.text(i).as_deref() == Some("usual care"))
        .filter_map(|i| age[i])
        .collect();
    let mean = trialstats_core::stats::mean_sd(&control).unwrap().0;
    let t = &r.targets;
    assert_eq!(t[0].reproduced, Some(mean));
    assert_eq!(t[0].statistic, "mean(age) [control]");
    // `smoker` holds "yes"/"no": not numeric, so the share cannot be computed, and the row says so.
    assert_eq!(t[1].reproduced, None);
    assert!(
        t[1].note.as_deref().unwrap().contains("smoker"),
        "{:?}",
        t[1]
    );
    assert_eq!(t[1].published, Published::Text("about a third".into()));
    let (h0, h12) = (
        data.numeric("hba1c_0").unwrap(),
        data.numeric("hba1c_12").unwrap(),
    );
    let pairs: Vec<bool> = (0..data.nrows())
        .filter_map(|i| Some(h12[i]? - h0[i]? < 0.0))
        .collect();
    let share = 100.0 * pairs.iter().filter(|b| **b).count() as f64 / pairs.len() as f64;
    assert_eq!(t[2].reproduced, Some(share));
    let cr1 = r.effects.iter().find(|e| e.inference == "cr1").unwrap();
    assert_eq!(t[3].reproduced, Some(cr1.estimate));
    assert_eq!(t[4].reproduced, Some(r.iccs[0].design_effect));
    assert_eq!(t[5].reproduced, None);
    assert_eq!(
        t[5].note.as_deref(),
        Some("no effect weight:cr1 in this run")
    );
    // A statistic that does not read is a plan error naming its line.
    let bad =
        format!("{R_PLAN}\n[[target]]\nquantity = \"x\"\npublished = 1\nvalue = \"mode(age)\"\n");
    let e = Plan::parse("bad.toml", &bad).unwrap_err().to_string();
    assert!(
        e.contains("`target.value`") && e.contains("`mode` is not a summary"),
        "{e}"
    );
    assert!(e.contains(&format!("line {}", bad.lines().count())), "{e}");
}

#[test]
fn a_six_month_stage_enters_the_flow_when_the_data_have_it() {
    let mut lines = TRIAL.lines();
    let mut csv = format!("{},hba1c_6\n", lines.next().unwrap());
    for (i, l) in lines.enumerate() {
        let v = if i % 4 == 0 {
            String::new()
        } else {
            "7.1".into()
        };
        csv.push_str(&format!("{l},{v}\n"));
    }
    let p = Plan::parse(
        "r_trial.toml",
        &format!(
            "{R_PLAN}\n[flow]\nstages = [{{ label = \"6 months\", column = \"hba1c_6\" }}, {{ label = \"12 months\", column = \"hba1c_12\" }}]\n"
        ),
    )
    .unwrap();
    let data = DataTable::from_csv_str("trial6.csv", &csv).unwrap();
    let r = run(&p, &data, &mut |_, _, _| {}).unwrap();
    let six = &r.flow.stages[0];
    assert_eq!(six.label, "6 months");
    let n = data.nrows();
    let missing = (0..n).filter(|i| i % 4 == 0).count();
    assert_eq!(six.missing[0] + six.missing[1], missing);
    assert_eq!(six.observed[0] + six.observed[1], n - missing);
    let svg = trialstats_plan::svg::flow_diagram(&r);
    assert!(svg.contains(">6 months<") && svg.contains(">12 months<"));
    check_layout(&svg, "flow with two stages");
}

/// A `<text>` element: its box by the layout's width estimate.
#[derive(Debug)]
struct TextBox {
    text: String,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

fn attribute(tag: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    let start = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
    tag[start..].split('"').next().unwrap().to_owned()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every text box lies inside the picture and overlaps no other.
fn check_layout(svg: &str, what: &str) {
    let head = svg.split('>').next().unwrap();
    let (w, h): (f64, f64) = (
        attribute(head, "width").parse().unwrap(),
        attribute(head, "height").parse().unwrap(),
    );
    let mut boxes = Vec::new();
    for piece in svg.split("<text ").skip(1) {
        let (tag, rest) = piece.split_once('>').unwrap();
        let tag = &format!(" {tag}");
        let text = unescape(rest.split("</text>").next().unwrap());
        let x: f64 = attribute(tag, "x").parse().unwrap();
        let y: f64 = attribute(tag, "y").parse().unwrap();
        let size: f64 = attribute(tag, "font-size").parse().unwrap();
        let bold = attribute(tag, "font-weight") == "bold";
        let width = text_width(&text, size, bold);
        let left = match attribute(tag, "text-anchor").as_str() {
            "middle" => x - width / 2.0,
            "end" => x - width,
            _ => x,
        };
        boxes.push(TextBox {
            text,
            left,
            right: left + width,
            // Ascent and descent of a sans-serif font: about 0.8 and 0.2 em.
            top: y - 0.8 * size,
            bottom: y + 0.2 * size,
        });
    }
    assert!(boxes.len() > 5, "{what}: {} texts", boxes.len());
    for b in &boxes {
        assert!(
            b.left >= 0.0 && b.right <= w && b.top >= 0.0 && b.bottom <= h,
            "{what}: `{}` leaves the {w} × {h} picture: {b:?}",
            b.text
        );
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart =
                a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
            assert!(apart, "{what}: `{}` overlaps `{}`", a.text, b.text);
        }
    }
}

#[test]
fn the_figures_text_neither_overlaps_nor_overflows() {
    // The paper's plan on the simulated trial, MMAS-8 and all.
    let trial = trialstats_sim::simulate(&trialstats_sim::SimParams::default(), 2016)
        .unwrap()
        .table;
    let plan = common::quick_paper_plan(&[], false);
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    check_layout(&trialstats_plan::svg::flow_diagram(&r), "paper flow");
    let forest = trialstats_plan::svg::forest_plot(&r);
    check_layout(&forest, "paper forest plot");
    // The null line, and the sides that favour each arm, for each direction of benefit.
    assert!(forest.contains("stroke-dasharray"));
    assert!(forest.contains("← favours intervention") && forest.contains("favours usual care →"));
    assert!(forest.contains("← favours usual care") && forest.contains("favours intervention →"));
    // Long arm names and outcome labels: wrapped or cut, never overflowing.
    let mut r = r;
    r.arms = [
        "usual care in the community health service, unchanged".into(),
        "lay peer-led group support with monthly meetings and telephone contact".into(),
    ];
    if let Some(o) = r.outcomes.iter_mut().find(|o| o.id == "hba1c") {
        o.label = "glycated haemoglobin at twelve months after randomisation, as measured by the local accredited laboratory (%)".into();
    }
    check_layout(&trialstats_plan::svg::flow_diagram(&r), "long flow");
    check_layout(&trialstats_plan::svg::forest_plot(&r), "long forest plot");
}

#[test]
fn the_layout_check_catches_overlap_and_overflow() {
    let svg = |a: &str, b: &str| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"100\">\n{a}\n{b}\n{}</svg>",
            (0..5)
                .map(|i| format!("<text x=\"10.0\" y=\"{}\" text-anchor=\"start\" font-size=\"8\" font-weight=\"normal\">n{i}</text>\n", 20 + 12 * i))
                .collect::<String>()
        )
    };
    let t = |x: f64, y: f64, s: &str| {
        format!(
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"start\" font-size=\"12\" font-weight=\"normal\">{s}</text>"
        )
    };
    check_layout(
        &svg(&t(100.0, 20.0, "apart"), &t(100.0, 40.0, "apart")),
        "fine",
    );
    let overlapping = svg(&t(100.0, 20.0, "overlapping"), &t(130.0, 24.0, "text"));
    assert!(std::panic::catch_unwind(|| check_layout(&overlapping, "overlap")).is_err());
    let overflowing = svg(&t(250.0, 20.0, "a long line of text"), &t(100.0, 60.0, "x"));
    assert!(std::panic::catch_unwind(|| check_layout(&overflowing, "overflow")).is_err());
}
