//! The report as text, Markdown, self-contained HTML, CSV tables and JSON. Everything is a string
//! (the caller writes files), and nothing depends on the clock: same input and seed, same bytes.

use trialstats_core::Table;
use trialstats_core::table::{Align, fmt_num, html_escape, opt_cell};

use crate::analysis::{Effect, Report};
use crate::svg::{flow_diagram, forest_plot};

/// Published v. reproduced, as a table.
pub fn targets_table(r: &Report) -> Table {
    let mut t = Table::new(&["quantity", "published", "reproduced", "source"]);
    t.set_align(0, Align::Left);
    t.set_align(3, Align::Left);
    for row in &r.targets {
        t.push_row(vec![
            row.quantity.clone(),
            row.published.clone(),
            row.reproduced.map_or_else(|| "—".into(), |v| fmt_num(v, 4)),
            row.source.clone(),
        ]);
    }
    t.title = Some("Every published number next to the reproduced one".into());
    let mut numeric = Table::new(&["quantity", "published", "reproduced", "source"]);
    for row in &r.targets {
        numeric.push_row(vec![
            row.quantity.clone(),
            row.published.clone(),
            opt_cell(row.reproduced),
            row.source.clone(),
        ]);
    }
    t.numeric = Some(Box::new(numeric));
    t
}

fn problems_table(r: &Report) -> Table {
    let mut t = Table::new(&["row", "variable", "problem"]);
    t.set_align(1, Align::Left);
    t.set_align(2, Align::Left);
    for p in &r.problems {
        t.push_row(vec![
            p.row.to_string(),
            p.variable.clone(),
            p.message.clone(),
        ]);
    }
    t.title = Some(format!(
        "Values kept out of their analysis ({} in {} rows)",
        r.problems.len(),
        {
            let mut rows: Vec<usize> = r.problems.iter().map(|p| p.row).collect();
            rows.dedup();
            rows.len()
        }
    ));
    t
}

fn flow_line(r: &Report) -> String {
    let f = &r.flow;
    format!(
        "Participant flow: usual care {} communities, {} participants, {} with the 12-month outcome ({} missing); intervention {} communities, {} participants, {} with the outcome ({} missing).",
        f.clusters[0],
        f.randomised[0],
        f.analysed[0],
        f.missing[0],
        f.clusters[1],
        f.randomised[1],
        f.analysed[1],
        f.missing[1]
    )
}

fn settings_line(r: &Report) -> String {
    let o = &r.options;
    format!(
        "Data: {}. Settings: {:.0} % intervals; wild bootstrap {} draws; MI m = {}, {} iterations; seed {}; ordered logits with {}-node adaptive quadrature.",
        r.source,
        100.0 * o.level.value(),
        o.wild_reps,
        o.mi_m,
        o.mi_maxit,
        o.seed,
        o.agq_nodes
    )
}

/// The terminal summary: flow, every table, the published comparison, problems and warnings.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    s.push_str(
        "Reproduction of Riddell et al. (2016), BMC Public Health, doi:10.1186/s12889-016-3538-3\n",
    );
    s.push_str(&settings_line(r));
    s.push_str("\n\n");
    s.push_str(&flow_line(r));
    s.push_str("\n\n");
    for t in [&r.table1, &r.table2, &r.primary, &r.table3, &r.secondary] {
        s.push_str(&t.to_text());
        s.push('\n');
    }
    s.push_str(&targets_table(r).to_text());
    s.push('\n');
    if !r.problems.is_empty() {
        s.push_str(&format!(
            "{} value(s) could not be derived and were kept out of their analysis (see problems.csv).\n",
            r.problems.len()
        ));
    }
    for w in &r.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}

/// The Markdown report (figures as the SVG files written next to it).
pub fn markdown(r: &Report) -> String {
    let mut s =
        String::from("# Reproduction of the Australasian Peers for Progress diabetes trial\n\n");
    s.push_str("Riddell MA, Dunbar JA, Absetz P, et al. Cardiovascular risk outcome and program evaluation of a cluster randomised controlled trial of a community-based, lay peer led program for people with diabetes. BMC Public Health 2016. doi:10.1186/s12889-016-3538-3\n\n");
    s.push_str(&settings_line(r));
    s.push_str("\n\n## Participant flow\n\n");
    s.push_str(&flow_line(r));
    s.push_str("\n\n![Participant flow](flow.svg)\n\n## Baseline\n\n");
    s.push_str(&r.table1.to_markdown());
    s.push_str("\n## Primary outcome\n\n");
    s.push_str(&r.table2.to_markdown());
    s.push('\n');
    s.push_str(&r.primary.to_markdown());
    s.push_str("\n## Clinical outcomes\n\n");
    s.push_str(&r.table3.to_markdown());
    s.push_str("\n## Secondary outcomes\n\n");
    s.push_str(&r.secondary.to_markdown());
    s.push_str("\n![Adjusted effects](forest.svg)\n\n## Published v. reproduced\n\n");
    s.push_str(&targets_table(r).to_markdown());
    if !r.problems.is_empty() || !r.warnings.is_empty() {
        s.push_str("\n## Data problems and warnings\n\n");
        if !r.problems.is_empty() {
            s.push_str(&problems_table(r).to_markdown());
            s.push('\n');
        }
        for w in &r.warnings {
            s.push_str(&format!("- {}\n", w.replace('|', "\\|")));
        }
    }
    s
}

/// A self-contained HTML page with the figures inline.
pub fn html(r: &Report) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Reproduction: Australasian Peers for Progress diabetes trial</title>\n<style>\nbody{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\ntable{border-collapse:collapse;margin:1em 0;font-size:0.9em}\ncaption{font-weight:bold;text-align:left;margin-bottom:0.4em}\nth,td{border-bottom:1px solid #ddd;padding:3px 8px}\nth{background:#f2f2f2}\n.l{text-align:left}.r{text-align:right}\nfigure{margin:1em 0}\n</style>\n</head>\n<body>\n",
    );
    s.push_str("<h1>Reproduction of the Australasian Peers for Progress diabetes trial</h1>\n");
    s.push_str("<p>Riddell MA, Dunbar JA, Absetz P, et al. <em>Cardiovascular risk outcome and program evaluation of a cluster randomised controlled trial of a community-based, lay peer led program for people with diabetes.</em> BMC Public Health 2016. doi:10.1186/s12889-016-3538-3</p>\n");
    s.push_str(&format!("<p>{}</p>\n", html_escape(&settings_line(r))));
    s.push_str("<h2>Participant flow</h2>\n");
    s.push_str(&format!(
        "<p>{}</p>\n<figure>\n",
        html_escape(&flow_line(r))
    ));
    s.push_str(&flow_diagram(&r.flow));
    s.push_str("</figure>\n<h2>Baseline</h2>\n");
    s.push_str(&r.table1.to_html());
    s.push_str("<h2>Primary outcome</h2>\n");
    s.push_str(&r.table2.to_html());
    s.push_str(&r.primary.to_html());
    s.push_str("<h2>Clinical outcomes</h2>\n");
    s.push_str(&r.table3.to_html());
    s.push_str("<h2>Secondary outcomes</h2>\n");
    s.push_str(&r.secondary.to_html());
    s.push_str("<figure>\n");
    s.push_str(&forest_plot(&r.effects));
    s.push_str("</figure>\n<h2>Published v. reproduced</h2>\n");
    s.push_str(&targets_table(r).to_html());
    if !r.problems.is_empty() {
        s.push_str(&problems_table(r).to_html());
    }
    if !r.warnings.is_empty() {
        s.push_str("<h2>Warnings</h2>\n<ul>\n");
        for w in &r.warnings {
            s.push_str(&format!("<li>{}</li>\n", html_escape(w)));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

/// Every output file: (name, contents): the reports, the figures, `results.json`, each table as
/// formatted CSV (`table1.csv`: cells as printed) and as numeric CSV (`table1_numeric.csv`:
/// estimates, interval ends, counts and p-values in their own columns at full precision), every
/// effect in `effects.csv` (numeric), and the rows kept out of an analysis in `problems.csv`.
///
/// # Errors
/// A JSON serialisation error (not expected: every field is finite or null).
pub fn files(r: &Report) -> Result<Vec<(String, String)>, serde_json::Error> {
    let mut out = vec![
        ("report.md".to_string(), markdown(r)),
        ("report.html".to_string(), html(r)),
        ("flow.svg".to_string(), flow_diagram(&r.flow)),
        ("forest.svg".to_string(), forest_plot(&r.effects)),
        (
            "results.json".to_string(),
            serde_json::to_string_pretty(r)? + "\n",
        ),
    ];
    let targets = targets_table(r);
    for (name, t) in [
        ("table1", &r.table1),
        ("table2", &r.table2),
        ("primary", &r.primary),
        ("table3", &r.table3),
        ("secondary", &r.secondary),
        ("targets", &targets),
    ] {
        out.push((format!("{name}.csv"), t.to_csv()));
        if let Some(numeric) = &t.numeric {
            out.push((format!("{name}_numeric.csv"), numeric.to_csv()));
        }
    }
    out.push((
        "effects.csv".to_string(),
        Effect::numeric_table(&r.effects).to_csv(),
    ));
    out.push(("problems.csv".to_string(), problems_table(r).to_csv()));
    Ok(out)
}
