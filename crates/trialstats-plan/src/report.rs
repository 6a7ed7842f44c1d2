//! A run's report and files: `results.json`; the report as Markdown, text and a self-contained
//! HTML page with the figures inline; the figures as SVG; every table as printed (`NAME.csv`)
//! and as numbers at full precision (`NAME_numeric.csv`). Everything is a string (the caller
//! writes the files), and nothing depends on the clock: the same data and plan give the same
//! bytes.

use trialstats_core::Table;
use trialstats_core::table::{Align, fmt_display, fmt_num, fmt_p, html_escape, num_cell};

use crate::describe::{shown, targets_table};
use crate::run::{PlanResults, effects_table};
use crate::svg::{flow_diagram, forest_plot};

/// A part of the report.
enum Part {
    Heading(String),
    Paragraph(String),
    Table(Table),
    Figure(&'static str, String),
    List(Vec<String>),
}

/// The interval's name at the run's level: "95 % CI".
fn ci_name(r: &PlanResults) -> String {
    format!("{} % CI", fmt_display(100.0 * r.level))
}

fn flow_table(r: &PlanResults) -> Table {
    let f = &r.flow;
    let mut t = Table::new(&["", &r.arms[0], &r.arms[1]]);
    t.set_align(0, Align::Left);
    t.push_row(vec![
        "clusters randomised".into(),
        f.clusters[0].to_string(),
        f.clusters[1].to_string(),
    ]);
    t.push_row(vec![
        "participants randomised".into(),
        f.randomised[0].to_string(),
        f.randomised[1].to_string(),
    ]);
    for s in &f.stages {
        t.push_row(vec![
            format!("{}: with {}", s.label, s.column),
            s.observed[0].to_string(),
            s.observed[1].to_string(),
        ]);
        t.push_row(vec![
            format!("{}: without", s.label),
            s.missing[0].to_string(),
            s.missing[1].to_string(),
        ]);
    }
    t.title = Some("Participant flow".into());
    let mut numeric = Table::new(&["stage", "column", "arm", "count"]);
    for a in 0..2 {
        numeric.push_row(vec![
            "clusters randomised".into(),
            String::new(),
            r.arms[a].clone(),
            num_cell(f.clusters[a] as f64),
        ]);
        numeric.push_row(vec![
            "participants randomised".into(),
            String::new(),
            r.arms[a].clone(),
            num_cell(f.randomised[a] as f64),
        ]);
        for s in &f.stages {
            numeric.push_row(vec![
                s.label.clone(),
                s.column.clone(),
                r.arms[a].clone(),
                num_cell(s.observed[a] as f64),
            ]);
        }
    }
    t.numeric = Some(Box::new(numeric));
    t
}

/// The effects as printed: odds ratios for logistic and ordinal models, differences in the
/// outcome's report scale otherwise.
fn effects_printed(r: &PlanResults) -> Table {
    let ci = ci_name(r);
    let mut e = Table::new(&[
        "outcome",
        "inference",
        "estimate",
        &ci,
        "p",
        "n",
        "clusters",
    ]);
    e.set_align(0, Align::Left);
    e.set_align(1, Align::Left);
    for x in &r.effects {
        let info = r.outcomes.iter().find(|o| o.id == x.outcome);
        let scale = info.map_or(1.0, |o| o.report_scale);
        let (est, lo, hi) = shown(x, scale);
        let what = match (&x.odds_ratio, scale > 1.0) {
            (Some(_), _) => "odds ratio".to_owned(),
            (None, true) if (scale - 100.0).abs() < f64::EPSILON => {
                "difference, % points".to_owned()
            }
            (None, true) => format!("difference × {}", fmt_display(scale)),
            (None, false) => "difference".to_owned(),
        };
        e.push_row(vec![
            info.map_or_else(|| x.outcome.clone(), |o| o.label.clone()),
            format!("{} ({what})", x.inference),
            fmt_num(est, 4),
            format!("{} to {}", fmt_num(lo, 4), fmt_num(hi, 4)),
            fmt_p(x.p_value),
            x.n.to_string(),
            x.clusters.to_string(),
        ]);
    }
    e.title = Some(format!(
        "Effects of the treatment ({} v. {})",
        r.arms[1], r.arms[0]
    ));
    e.numeric = Some(Box::new(effects_table(&r.effects)));
    e
}

fn icc_table(r: &PlanResults) -> Table {
    let ci = ci_name(r);
    let mut t = Table::new(&[
        "outcome",
        "ICC",
        &ci,
        "participants",
        "clusters",
        "mean cluster size",
        "design effect",
    ]);
    t.set_align(0, Align::Left);
    let mut numeric = Table::new(&[
        "outcome",
        "column",
        "icc",
        "std_error",
        "ci_low",
        "ci_high",
        "n",
        "clusters",
        "mean_cluster_size",
        "design_effect",
    ]);
    for x in &r.iccs {
        t.push_row(vec![
            x.outcome.clone(),
            fmt_num(x.estimate, 3),
            format!("{} to {}", fmt_num(x.ci_low, 3), fmt_num(x.ci_high, 3)),
            x.n.to_string(),
            x.clusters.to_string(),
            fmt_num(x.mean_cluster_size, 3),
            fmt_num(x.design_effect, 3),
        ]);
        let mut row = vec![x.outcome.clone(), x.column.clone()];
        row.extend(
            [
                x.estimate,
                x.std_error,
                x.ci_low,
                x.ci_high,
                x.n as f64,
                x.clusters as f64,
                x.mean_cluster_size,
                x.design_effect,
            ]
            .map(num_cell),
        );
        numeric.push_row(row);
    }
    t.title = Some("Intracluster correlation (CONSORT for cluster trials, item 17a)".into());
    if let Some(x) = r.iccs.first() {
        t.notes.push(x.method.clone());
    }
    t.numeric = Some(Box::new(numeric));
    t
}

fn subgroup_table(r: &PlanResults) -> Table {
    let ci = ci_name(r);
    let mut t = Table::new(&[
        "subgroup",
        "level",
        "estimate",
        &ci,
        "p",
        "n",
        "clusters",
        "interaction p",
    ]);
    t.set_align(0, Align::Left);
    t.set_align(1, Align::Left);
    for g in &r.subgroups {
        let scale = r
            .outcomes
            .iter()
            .find(|o| o.id == g.outcome)
            .map_or(1.0, |o| o.report_scale);
        for (k, l) in g.levels.iter().enumerate() {
            let e = &l.effect;
            let (est, lo, hi) = shown(e, scale);
            t.push_row(vec![
                format!("{}: {}", g.outcome, g.label.as_deref().unwrap_or(&g.by)),
                format!("{} = {}", g.by, l.level),
                fmt_num(est, 4),
                format!("{} to {}", fmt_num(lo, 4), fmt_num(hi, 4)),
                fmt_p(e.p_value),
                e.n.to_string(),
                e.clusters.to_string(),
                if k == 0 {
                    g.interaction.map_or_else(String::new, |i| fmt_p(i.p_value))
                } else {
                    String::new()
                },
            ]);
        }
    }
    t.title = Some(
        "Subgroups: the effect within each level (CR1) and the treatment × subgroup interaction"
            .into(),
    );
    t
}

fn comparisons_table(r: &PlanResults) -> Table {
    let mut t = Table::new(&[
        "assumption",
        "alternative",
        "effect",
        "plan",
        "alternative's",
        "p (plan)",
        "p (alternative)",
    ]);
    for j in 0..3 {
        t.set_align(j, Align::Left);
    }
    for c in &r.comparisons {
        for alt in &c.effects {
            // The same inference of the outcome, or (a model the alternative changes) the
            // plan's first inference of it.
            let Some(ours) = r
                .effects
                .iter()
                .find(|e| e.outcome == alt.outcome && e.inference == alt.inference)
                .or_else(|| r.effects.iter().find(|e| e.outcome == alt.outcome))
            else {
                continue;
            };
            if ours.estimate.to_bits() == alt.estimate.to_bits()
                && ours.p_value.to_bits() == alt.p_value.to_bits()
            {
                continue;
            }
            let scale = r
                .outcomes
                .iter()
                .find(|o| o.id == alt.outcome)
                .map_or(1.0, |o| o.report_scale);
            t.push_row(vec![
                c.assumption.clone(),
                c.label.clone(),
                if ours.inference == alt.inference {
                    format!("{}:{}", alt.outcome, alt.inference)
                } else {
                    format!("{}: {} → {}", alt.outcome, ours.inference, alt.inference)
                },
                fmt_num(shown(ours, scale).0, 4),
                fmt_num(shown(alt, scale).0, 4),
                fmt_p(ours.p_value),
                fmt_p(alt.p_value),
            ]);
        }
    }
    t.title = Some(
        "Assumptions: the effects that change under each alternative (as in the effects table)"
            .into(),
    );
    t
}

fn parts(r: &PlanResults) -> Vec<Part> {
    let mut p = vec![
        Part::Heading(r.title.clone().unwrap_or_else(|| r.plan.clone())),
        Part::Paragraph(format!(
            "Plan `{}` on `{}`: {} rows; {} {} participants in {} clusters, {} {} in {}. Intervals at {} %; random steps seeded with {}.",
            r.plan,
            r.data,
            r.nrows,
            r.arms[0],
            r.randomised[0],
            r.clusters[0],
            r.arms[1],
            r.randomised[1],
            r.clusters[1],
            fmt_display(100.0 * r.level),
            r.seed
        )),
        Part::Heading("Participant flow".into()),
        Part::Figure("flow.svg", flow_diagram(r)),
        Part::Table(flow_table(r)),
    ];
    if let Some(t) = &r.table1 {
        p.push(Part::Heading("Baseline".into()));
        p.push(Part::Table(t.clone()));
    }
    p.push(Part::Heading("Outcomes".into()));
    for (_, t) in &r.tables {
        p.push(Part::Table(t.clone()));
    }
    p.push(Part::Table(effects_printed(r)));
    p.push(Part::Figure("forest.svg", forest_plot(r)));
    if !r.iccs.is_empty() {
        p.push(Part::Table(icc_table(r)));
    }
    if !r.subgroups.is_empty() {
        p.push(Part::Table(subgroup_table(r)));
    }
    if !r.targets.is_empty() {
        p.push(Part::Heading("Published v. reproduced".into()));
        p.push(Part::Table(targets_table(&r.targets)));
    }
    if !r.assumptions.is_empty() {
        p.push(Part::Heading("Assumptions and deviations".into()));
        p.push(Part::List(
            r.assumptions
                .iter()
                .map(|a| {
                    let mut s = format!("{}: {}", a.id, a.choice);
                    if !a.alternatives.is_empty() {
                        s.push_str(&format!(" (alternatives: {})", a.alternatives.join("; ")));
                    }
                    if let Some(why) = &a.reason {
                        s.push_str(&format!(" — {why}"));
                    }
                    s
                })
                .collect(),
        ));
        if !r.comparisons.is_empty() {
            p.push(Part::Table(comparisons_table(r)));
        }
    }
    if !r.skipped.is_empty() {
        p.push(Part::Heading("Not run".into()));
        p.push(Part::List(
            r.skipped
                .iter()
                .map(|k| format!("{}: {}", k.analysis, k.reason))
                .collect(),
        ));
    }
    if !r.warnings.is_empty() {
        p.push(Part::Heading("Warnings".into()));
        p.push(Part::List(r.warnings.clone()));
    }
    p
}

/// The report as Markdown (the figures linked as `flow.svg` and `forest.svg`).
pub fn markdown(r: &PlanResults) -> String {
    let mut s = String::new();
    for (i, part) in parts(r).into_iter().enumerate() {
        match part {
            Part::Heading(h) => s.push_str(&format!("{} {h}\n\n", if i == 0 { "#" } else { "##" })),
            Part::Paragraph(t) => s.push_str(&format!("{t}\n\n")),
            Part::Table(t) => {
                s.push_str(&t.to_markdown());
                s.push('\n');
            }
            Part::Figure(name, _) => s.push_str(&format!("![{name}]({name})\n\n")),
            Part::List(items) => {
                for it in items {
                    s.push_str(&format!("- {}\n", it.replace('|', "\\|")));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// The report as plain text (for a terminal; no figures).
pub fn text(r: &PlanResults) -> String {
    let mut s = String::new();
    for part in parts(r) {
        match part {
            Part::Heading(h) => s.push_str(&format!("{h}\n{}\n\n", "=".repeat(h.chars().count()))),
            Part::Paragraph(t) => s.push_str(&format!("{t}\n\n")),
            Part::Table(t) => {
                s.push_str(&t.to_text());
                s.push('\n');
            }
            Part::Figure(..) => {}
            Part::List(items) => {
                for it in items {
                    s.push_str(&format!("- {it}\n"));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// The report as one self-contained HTML page, the figures inline.
pub fn html(r: &PlanResults) -> String {
    let title = r.title.clone().unwrap_or_else(|| r.plan.clone());
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody{{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}}\ntable{{border-collapse:collapse;margin:1em 0;font-size:0.9em}}\ncaption{{font-weight:bold;text-align:left;margin-bottom:0.4em}}\nth,td{{border-bottom:1px solid #ddd;padding:3px 8px;vertical-align:top}}\nth{{background:#f2f2f2}}\n.l{{text-align:left}}.r{{text-align:right}}\nfigure{{margin:1em 0;overflow-x:auto}}\n</style>\n</head>\n<body>\n",
        html_escape(&title)
    );
    for (i, part) in parts(r).into_iter().enumerate() {
        match part {
            Part::Heading(h) => {
                let tag = if i == 0 { "h1" } else { "h2" };
                s.push_str(&format!("<{tag}>{}</{tag}>\n", html_escape(&h)));
            }
            Part::Paragraph(t) => s.push_str(&format!("<p>{}</p>\n", html_escape(&t))),
            Part::Table(t) => s.push_str(&t.to_html()),
            Part::Figure(_, svg) => {
                s.push_str("<figure>\n");
                s.push_str(&svg);
                s.push_str("</figure>\n");
            }
            Part::List(items) => {
                s.push_str("<ul>\n");
                for it in items {
                    s.push_str(&format!("<li>{}</li>\n", html_escape(&it)));
                }
                s.push_str("</ul>\n");
            }
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

/// Every output file of a run: (name, contents): `results.json`, `report.md`, `report.html`,
/// `flow.svg`, `forest.svg`, `effects.csv` (numeric), and each table as printed and as numbers
/// (`table1.csv`, `table1_numeric.csv`, the `[[describe]]` tables by id, `flow`, `icc`,
/// `targets`).
///
/// # Errors
/// A JSON serialisation error (not expected).
pub fn files(r: &PlanResults) -> Result<Vec<(String, String)>, serde_json::Error> {
    let mut out = vec![
        (
            "results.json".to_string(),
            serde_json::to_string_pretty(r)? + "\n",
        ),
        ("report.md".to_string(), markdown(r)),
        ("report.html".to_string(), html(r)),
        ("flow.svg".to_string(), flow_diagram(r)),
        ("forest.svg".to_string(), forest_plot(r)),
        (
            "effects.csv".to_string(),
            effects_table(&r.effects).to_csv(),
        ),
    ];
    let mut tables: Vec<(String, Table)> = Vec::new();
    if let Some(t) = &r.table1 {
        tables.push(("table1".into(), t.clone()));
    }
    tables.extend(r.tables.iter().cloned());
    tables.push(("flow".into(), flow_table(r)));
    if !r.iccs.is_empty() {
        tables.push(("icc".into(), icc_table(r)));
    }
    if !r.targets.is_empty() {
        tables.push(("targets".into(), targets_table(&r.targets)));
    }
    for (name, t) in tables {
        out.push((format!("{name}.csv"), t.to_csv()));
        if let Some(n) = &t.numeric {
            out.push((format!("{name}_numeric.csv"), n.to_csv()));
        }
    }
    Ok(out)
}
