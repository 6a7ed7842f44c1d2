//! A run's files: `results.json`, `report.md`, Table 1 as printed and as numbers, and the
//! effects as numbers. Everything is a string; the caller writes the files.

use trialstats_core::Table;
use trialstats_core::table::{Align, fmt_display, fmt_num, fmt_p};

use crate::run::{PlanResults, effects_table};

/// The report as Markdown: the design, Table 1, the effects, what was skipped, the assumptions
/// and the warnings.
pub fn markdown(r: &PlanResults) -> String {
    let mut s = format!("# {}\n\n", r.title.as_deref().unwrap_or(&r.plan));
    s.push_str(&format!(
        "Plan `{}` on `{}`: {} rows; control {} participants in {} clusters, treatment {} in {}. Intervals at {} %; random steps seeded with {}.\n\n",
        r.plan,
        r.data,
        r.nrows,
        r.randomised[0],
        r.clusters[0],
        r.randomised[1],
        r.clusters[1],
        fmt_display(100.0 * r.level),
        r.seed
    ));
    if let Some(t) = &r.table1 {
        s.push_str(&t.to_markdown());
        s.push('\n');
    }
    let mut e = Table::new(&[
        "outcome",
        "inference",
        "estimate",
        "interval",
        "p",
        "n",
        "clusters",
    ]);
    e.set_align(0, Align::Left);
    e.set_align(1, Align::Left);
    for x in &r.effects {
        let (est, lo, hi, what) = match &x.odds_ratio {
            Some(or) => (or.estimate, or.ci_low, or.ci_high, "odds ratio"),
            None => (x.estimate, x.ci_low, x.ci_high, "difference"),
        };
        e.push_row(vec![
            x.outcome.clone(),
            format!("{} ({what})", x.inference),
            fmt_num(est, 4),
            format!("{} to {}", fmt_num(lo, 4), fmt_num(hi, 4)),
            fmt_p(x.p_value),
            x.n.to_string(),
            x.clusters.to_string(),
        ]);
    }
    e.title = Some("Effects of the treatment (treatment v. control)".into());
    s.push_str(&e.to_markdown());
    s.push('\n');
    if !r.subgroups.is_empty() {
        let mut t = Table::new(&[
            "subgroup",
            "level",
            "estimate",
            "interval",
            "p",
            "n",
            "clusters",
            "interaction p",
        ]);
        t.set_align(0, Align::Left);
        t.set_align(1, Align::Left);
        for g in &r.subgroups {
            for (k, l) in g.levels.iter().enumerate() {
                let e = &l.effect;
                let (est, lo, hi) = match &e.odds_ratio {
                    Some(or) => (or.estimate, or.ci_low, or.ci_high),
                    None => (e.estimate, e.ci_low, e.ci_high),
                };
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
        t.title = Some("Subgroups: the effect within each level (CR1) and the treatment × subgroup interaction".into());
        s.push_str(&t.to_markdown());
        s.push('\n');
    }
    if !r.skipped.is_empty() {
        s.push_str("## Not run\n\n");
        for k in &r.skipped {
            s.push_str(&format!("- `{}`: {}\n", k.analysis, k.reason));
        }
        s.push('\n');
    }
    if !r.assumptions.is_empty() {
        s.push_str("## Assumptions\n\n");
        for a in &r.assumptions {
            s.push_str(&format!("- **{}**: {}", a.id, a.choice));
            if !a.alternatives.is_empty() {
                s.push_str(&format!(" (alternatives: {})", a.alternatives.join("; ")));
            }
            if let Some(why) = &a.reason {
                s.push_str(&format!(" — {why}"));
            }
            s.push('\n');
        }
        s.push('\n');
    }
    if !r.comparisons.is_empty() {
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
                let Some(ours) = r
                    .effects
                    .iter()
                    .find(|e| e.outcome == alt.outcome && e.inference == alt.inference)
                else {
                    continue;
                };
                if ours.estimate.to_bits() == alt.estimate.to_bits()
                    && ours.p_value.to_bits() == alt.p_value.to_bits()
                {
                    continue;
                }
                t.push_row(vec![
                    c.assumption.clone(),
                    c.label.clone(),
                    format!("{}:{}", alt.outcome, alt.inference),
                    fmt_num(ours.estimate, 4),
                    fmt_num(alt.estimate, 4),
                    fmt_p(ours.p_value),
                    fmt_p(alt.p_value),
                ]);
            }
        }
        t.title = Some("Assumptions: the effects that change under each alternative (estimates on the model's scale)".into());
        s.push_str(&t.to_markdown());
        s.push('\n');
    }
    if !r.warnings.is_empty() {
        s.push_str("## Warnings\n\n");
        for w in &r.warnings {
            s.push_str(&format!("- {w}\n"));
        }
    }
    s
}

/// Every output file of a run: (name, contents).
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
        (
            "effects.csv".to_string(),
            effects_table(&r.effects).to_csv(),
        ),
    ];
    if let Some(t) = &r.table1 {
        out.push(("table1.csv".to_string(), t.to_csv()));
        if let Some(n) = &t.numeric {
            out.push(("table1_numeric.csv".to_string(), n.to_csv()));
        }
    }
    Ok(out)
}
