//! The report's figures as self-contained SVG: the participant flow diagram (CONSORT for cluster
//! trials) and a forest plot of the adjusted effects. Hand-written SVG keeps the output
//! dependency-free and byte-for-byte reproducible.

use trialstats_core::table::{fmt_num, fmt_p, html_escape};

use crate::analysis::{Effect, Flow, Scale};

/// The recruitment numbers published in the paper (before randomisation; not in the data).
const RECRUITMENT: [(&str, &str); 5] = [
    ("Invited by mail", "7576 (294 returned undelivered)"),
    ("Expressed interest", "501"),
    ("Eligible", "441 (151 declined)"),
    ("Consented", "290 (17 withdrew)"),
    (
        "Baseline and education session",
        "273 (33 became peer supporters)",
    ),
];

fn text(x: f64, y: f64, s: &str, anchor: &str, size: u32, weight: &str) -> String {
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" font-size=\"{size}\" font-weight=\"{weight}\">{}</text>\n",
        html_escape(s)
    )
}

fn boxed(x: f64, y: f64, w: f64, h: f64, lines: &[&str], fill: &str) -> String {
    let mut s = format!(
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"4\" fill=\"{fill}\" stroke=\"#333\"/>\n"
    );
    for (i, l) in lines.iter().enumerate() {
        let weight = if i == 0 { "bold" } else { "normal" };
        s.push_str(&text(
            x + w / 2.0,
            y + 18.0 + 16.0 * i as f64,
            l,
            "middle",
            12,
            weight,
        ));
    }
    s
}

fn arrow(x1: f64, y1: f64, x2: f64, y2: f64) -> String {
    format!(
        "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#333\" marker-end=\"url(#arrow)\"/>\n"
    )
}

/// The participant flow: published recruitment, then the data's randomisation and follow-up.
pub fn flow_diagram(flow: &Flow) -> String {
    let (w, h) = (720.0, 520.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\">\n\
<title>Participant flow</title>\n\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>\n"
    );
    let bw = 360.0;
    let x = (w - bw) / 2.0;
    let mut y = 10.0;
    for (i, (label, n)) in RECRUITMENT.iter().enumerate() {
        s.push_str(&boxed(x, y, bw, 42.0, &[label, n], "#f2f2f2"));
        if i + 1 < RECRUITMENT.len() {
            s.push_str(&arrow(w / 2.0, y + 42.0, w / 2.0, y + 58.0));
        }
        y += 58.0;
    }
    s.push_str(&arrow(w / 2.0, y - 16.0, w / 2.0, y));
    let total_c = flow.clusters[0] + flow.clusters[1];
    let total_n = flow.randomised[0] + flow.randomised[1];
    let rand_line = format!("{total_c} communities, {total_n} participants");
    s.push_str(&boxed(
        x,
        y,
        bw,
        42.0,
        &["Randomised (3 regions, stratified)", &rand_line],
        "#dde8f5",
    ));
    let ytop = y + 42.0;
    let cw = 300.0;
    let xs = [40.0, w - 40.0 - cw];
    for (a, name) in ["Usual care", "Intervention (peer support)"]
        .iter()
        .enumerate()
    {
        let cx = xs[a] + cw / 2.0;
        s.push_str(&arrow(w / 2.0, ytop, cx, ytop + 40.0));
        let l1 = format!(
            "{} communities, {} participants",
            flow.clusters[a], flow.randomised[a]
        );
        s.push_str(&boxed(
            xs[a],
            ytop + 40.0,
            cw,
            42.0,
            &[name, &l1],
            "#dde8f5",
        ));
        s.push_str(&arrow(cx, ytop + 82.0, cx, ytop + 110.0));
        let l2 = format!("analysed: {}", flow.analysed[a]);
        let l3 = format!("no 12-month outcome: {}", flow.missing[a]);
        s.push_str(&boxed(
            xs[a],
            ytop + 110.0,
            cw,
            58.0,
            &["12-month primary outcome", &l2, &l3],
            "#e6f2e6",
        ));
    }
    s.push_str(&text(
        w / 2.0,
        h - 12.0,
        "Grey: recruitment as published (Riddell et al. 2016). Blue and green: from the data analysed.",
        "middle",
        11,
        "normal",
    ));
    s.push_str("</svg>\n");
    s
}

/// A forest plot: standardised differences (difference / baseline SD) in one panel, odds ratios
/// on a log scale in another; each with its 95 % interval.
pub fn forest_plot(effects: &[Effect]) -> String {
    let diffs: Vec<&Effect> = effects
        .iter()
        .filter(|e| e.scale == Scale::Difference && e.baseline_sd.is_some_and(|s| s > 0.0))
        .collect();
    let ors: Vec<&Effect> = effects
        .iter()
        .filter(|e| e.scale == Scale::OddsRatio)
        .collect();
    let row_h = 22.0;
    let (label_w, plot_w, right_w) = (330.0, 280.0, 150.0);
    let w = label_w + plot_w + right_w;
    let panel_h = |n: usize| 40.0 + row_h * n as f64 + 36.0;
    let h = panel_h(diffs.len()) + panel_h(ors.len()) + 20.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\">\n<title>Adjusted effects of the intervention</title>\n"
    );
    let mut y0 = 10.0;
    let mut panel = |title: &str, rows: &[&Effect], log: bool, s: &mut String| {
        let value = |e: &Effect, v: f64| {
            if log {
                v.ln()
            } else {
                v / e.baseline_sd.unwrap_or(1.0)
            }
        };
        let (mut lo, mut hi) = (
            if log { 0.5f64.ln() } else { -0.5 },
            if log { 2f64.ln() } else { 0.5 },
        );
        for e in rows {
            for v in [e.ci_low, e.ci_high] {
                let v = value(e, v);
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        let pad = 0.05 * (hi - lo);
        let (lo, hi) = (lo - pad, hi + pad);
        let px = |v: f64| label_w + (v - lo) / (hi - lo) * plot_w;
        s.push_str(&text(10.0, y0 + 16.0, title, "start", 13, "bold"));
        let top = y0 + 30.0;
        let bottom = top + row_h * rows.len() as f64;
        let zero = px(0.0);
        s.push_str(&format!(
            "<line x1=\"{zero:.1}\" y1=\"{top:.1}\" x2=\"{zero:.1}\" y2=\"{bottom:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        ));
        for (i, e) in rows.iter().enumerate() {
            let yc = top + row_h * (i as f64 + 0.5);
            s.push_str(&text(10.0, yc + 4.0, &e.outcome, "start", 11, "normal"));
            let (a, b, m) = (
                value(e, e.ci_low),
                value(e, e.ci_high),
                value(e, e.estimate),
            );
            if a.is_finite() && b.is_finite() && m.is_finite() {
                s.push_str(&format!(
                    "<line x1=\"{:.1}\" y1=\"{yc:.1}\" x2=\"{:.1}\" y2=\"{yc:.1}\" stroke=\"#1f4e79\" stroke-width=\"2\"/>\n<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#1f4e79\"/>\n",
                    px(a),
                    px(b),
                    px(m) - 4.0,
                    yc - 4.0
                ));
            }
            let label = format!(
                "{} ({}, {}) p {}",
                fmt_num(e.estimate, 3),
                fmt_num(e.ci_low, 3),
                fmt_num(e.ci_high, 3),
                fmt_p(e.p_value)
            );
            s.push_str(&text(
                label_w + plot_w + 8.0,
                yc + 4.0,
                &label,
                "start",
                10,
                "normal",
            ));
        }
        // Axis with ticks at round values.
        s.push_str(&format!(
            "<line x1=\"{label_w:.1}\" y1=\"{bottom:.1}\" x2=\"{:.1}\" y2=\"{bottom:.1}\" stroke=\"#333\"/>\n",
            label_w + plot_w
        ));
        let ticks: Vec<f64> = if log {
            [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
                .iter()
                .map(|v: &f64| v.ln())
                .filter(|v| *v >= lo && *v <= hi)
                .collect()
        } else {
            linear_ticks(lo, hi)
        };
        for t in ticks {
            let label = if log {
                format!("{}", (t.exp() * 100.0).round() / 100.0)
            } else {
                format!("{t:.2}")
            };
            s.push_str(&format!(
                "<line x1=\"{0:.1}\" y1=\"{bottom:.1}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#333\"/>\n",
                px(t),
                bottom + 4.0
            ));
            s.push_str(&text(px(t), bottom + 16.0, &label, "middle", 10, "normal"));
        }
        let axis = if log {
            "odds ratio, intervention v. usual care (log scale)"
        } else {
            "difference / baseline SD (intervention − usual care)"
        };
        s.push_str(&text(
            label_w + plot_w / 2.0,
            bottom + 30.0,
            axis,
            "middle",
            11,
            "normal",
        ));
        y0 = bottom + 46.0;
    };
    panel(
        "Adjusted differences, standardised by the baseline SD",
        &diffs,
        false,
        &mut s,
    );
    panel("Odds ratios", &ors, true, &mut s);
    s.push_str("</svg>\n");
    s
}

/// Round tick values over [lo, hi]: steps of 0.25 up to a range of 2 and 0.5 up to 8 (the usual
/// standardised differences), beyond that 1, 2, 2.5 or 5 × 10^k for at most about eight ticks. Bounded whatever the range: with an extreme
/// estimate in the data the step was 0.5 over a range of 1e300, an endless loop.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return Vec::new();
    }
    let step = if hi - lo <= 2.0 {
        0.25
    } else if hi - lo <= 8.0 {
        0.5
    } else {
        let raw = (hi - lo) / 6.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude)
    };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last.min(first + 20))
        .map(|i| i as f64 * step)
        .collect()
}

#[cfg(test)]
mod tick_tests {
    use super::linear_ticks;

    #[test]
    fn ticks_are_few_and_round_whatever_the_range() {
        assert_eq!(
            linear_ticks(-1.0, 1.0),
            vec![-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(
            linear_ticks(-0.4, 3.1),
            vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
        );
        assert_eq!(
            linear_ticks(-10.0, 50.0),
            vec![-10.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        // Found by the CLI fault campaign: an extreme estimate made the axis loop without end.
        let huge = linear_ticks(-1.0, 1e300);
        assert!(!huge.is_empty() && huge.len() <= 21, "{huge:?}");
        assert!(linear_ticks(0.0, f64::INFINITY).is_empty());
        assert!(linear_ticks(1.0, 1.0).is_empty());
    }
}
