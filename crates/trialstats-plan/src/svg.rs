//! The report's figures as self-contained SVG: the participant flow diagram (CONSORT for cluster
//! trials) and a forest plot of the effects. Hand-written SVG keeps the output small and
//! byte-for-byte reproducible; text is laid out with [`text_width`], a deliberately generous
//! estimate of a sans-serif font's advance widths, so that boxes hold their text in any common
//! sans-serif font (checked against headless Chromium's measured text boxes, DejaVu Sans and
//! Liberation Sans).

use trialstats_core::table::{fmt_num, fmt_p, html_escape};

use crate::plan::Better;
use crate::run::{Effect, OutcomeInfo, PlanResults};

/// The width of `s` at `size` px, bold or not: per-character advance widths at or above those of
/// DejaVu Sans (the widest common sans-serif), so that a layout made with it does not overflow.
///
/// # Examples
/// ```
/// use trialstats_plan::svg::text_width;
/// assert!(text_width("HbA1c", 12.0, false) > 30.0);
/// assert!(text_width("HbA1c", 12.0, true) > text_width("HbA1c", 12.0, false));
/// ```
pub fn text_width(s: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            ' ' => 0.33,
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' => 0.3,
            'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | '/' => 0.42,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 1.0,
            'A'..='Z' => 0.78,
            'a'..='z' | '0'..='9' => 0.66,
            c if c.is_ascii() => 0.7,
            _ => 0.9,
        })
        .sum();
    em * size * if bold { 1.12 } else { 1.0 }
}

/// A piece of text with its anchor, for the layout and its test.
fn text(x: f64, y: f64, s: &str, anchor: &str, size: u32, bold: bool) -> String {
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" font-size=\"{size}\" font-weight=\"{}\">{}</text>\n",
        if bold { "bold" } else { "normal" },
        html_escape(s)
    )
}

/// Words of `s` in lines no wider than `width` at `size` px.
fn wrap(s: &str, width: f64, size: f64, bold: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text_width(&candidate, size, bold) > width {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A box of lines (the first bold), wrapped to `w`; returns the SVG and the box's height.
fn boxed(x: f64, y: f64, w: f64, lines: &[String], fill: &str) -> (String, f64) {
    let mut rows: Vec<(String, bool)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        for part in wrap(l, w - 16.0, 12.0, i == 0) {
            rows.push((part, i == 0));
        }
    }
    let h = 12.0 + 16.0 * rows.len() as f64;
    let mut s = format!(
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"4\" fill=\"{fill}\" stroke=\"#333\"/>\n"
    );
    for (i, (l, bold)) in rows.iter().enumerate() {
        s.push_str(&text(
            x + w / 2.0,
            y + 18.0 + 16.0 * i as f64,
            l,
            "middle",
            12,
            *bold,
        ));
    }
    (s, h)
}

fn arrow(x1: f64, y1: f64, x2: f64, y2: f64) -> String {
    format!(
        "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#333\" marker-end=\"url(#arrow)\"/>\n"
    )
}

fn svg_open(w: f64, h: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\">\n<title>{}</title>\n\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        html_escape(title)
    )
}

/// The participant flow: the boxes before randomisation as the plan publishes them, then the
/// data's randomisation by arm and each follow-up stage.
pub fn flow_diagram(r: &PlanResults) -> String {
    let f = &r.flow;
    let w = 760.0;
    let mut body = String::new();
    let bw = 400.0;
    let x = (w - bw) / 2.0;
    let mut y = 12.0;
    for b in &f.before {
        let (s, h) = boxed(x, y, bw, &[b.label.clone(), b.count.clone()], "#f2f2f2");
        body.push_str(&s);
        body.push_str(&arrow(w / 2.0, y + h, w / 2.0, y + h + 18.0));
        y += h + 18.0;
    }
    let (s, h) = boxed(
        x,
        y,
        bw,
        &[
            "Randomised".to_owned(),
            format!(
                "{} clusters, {} participants",
                f.clusters[0] + f.clusters[1],
                f.randomised[0] + f.randomised[1]
            ),
        ],
        "#dde8f5",
    );
    body.push_str(&s);
    let top = y + h;
    let cw = 330.0;
    let xs = [30.0, w - 30.0 - cw];
    let mut bottom: f64 = top;
    for (a, &x0) in xs.iter().enumerate() {
        let cx = x0 + cw / 2.0;
        let mut y = top + 36.0;
        body.push_str(&arrow(w / 2.0, top, cx, y));
        let (s, h) = boxed(
            x0,
            y,
            cw,
            &[
                r.arms[a].clone(),
                format!(
                    "{} clusters, {} participants",
                    f.clusters[a], f.randomised[a]
                ),
            ],
            "#dde8f5",
        );
        body.push_str(&s);
        y += h;
        for st in &f.stages {
            body.push_str(&arrow(cx, y, cx, y + 26.0));
            y += 26.0;
            let (s, h) = boxed(
                x0,
                y,
                cw,
                &[
                    st.label.clone(),
                    format!("with {}: {}", st.column, st.observed[a]),
                    format!("without: {}", st.missing[a]),
                ],
                "#e6f2e6",
            );
            body.push_str(&s);
            y += h;
        }
        bottom = bottom.max(y);
    }
    let note = if f.before.is_empty() {
        "Blue and green: from the data analysed.".to_owned()
    } else {
        "Grey: before randomisation, as published (the plan's [flow]). Blue and green: from the data analysed.".to_owned()
    };
    let mut y = bottom + 24.0;
    for line in wrap(&note, w - 40.0, 11.0, false) {
        body.push_str(&text(w / 2.0, y, &line, "middle", 11, false));
        y += 15.0;
    }
    let mut s = svg_open(w, y + 4.0, "Participant flow");
    s.push_str(&body);
    s.push_str("</svg>\n");
    s
}

/// One row of the forest plot.
struct Row<'a> {
    label: String,
    effect: &'a Effect,
    info: &'a OutcomeInfo,
}

/// A forest plot of each outcome's effect under its first inference: differences standardised
/// by the outcome's baseline SD, odds ratios on a log scale; one panel for each kind and for each
/// direction of benefit, with the null line, the side that favours each arm, and each effect's
/// numbers (difference in the outcome's unit, or odds ratio; interval; p) inside the picture.
pub fn forest_plot(r: &PlanResults) -> String {
    let rows: Vec<Row<'_>> = r
        .outcomes
        .iter()
        .filter_map(|o| {
            let e = r
                .effects
                .iter()
                .find(|e| e.outcome == o.id && e.inference == o.inference)?;
            let ok = if o.model.is_linear() {
                e.baseline_sd.is_some_and(|s| s > 0.0)
            } else {
                e.odds_ratio.is_some()
            };
            ok.then(|| Row {
                label: o.label.clone(),
                effect: e,
                info: o,
            })
        })
        .collect();
    let mut panels: Vec<(String, bool, Option<Better>, Vec<&Row<'_>>)> = Vec::new();
    for (log, kind) in [(false, "Differences / baseline SD"), (true, "Odds ratios")] {
        for better in [Some(Better::Lower), Some(Better::Higher), None] {
            let members: Vec<&Row<'_>> = rows
                .iter()
                .filter(|x| x.info.model.is_linear() != log && x.info.better == better)
                .collect();
            if members.is_empty() {
                continue;
            }
            let title = match better {
                Some(Better::Lower) => format!("{kind}: lower is better"),
                Some(Better::Higher) => format!("{kind}: higher is better"),
                None => kind.to_owned(),
            };
            panels.push((title, log, better, members));
        }
    }
    let row_h = 22.0;
    let label_w = rows
        .iter()
        .map(|x| text_width(&x.label, 11.0, false))
        .fold(160.0f64, f64::max)
        .min(380.0)
        + 20.0;
    let numbers: Vec<String> = rows.iter().map(|x| numbers_label(x)).collect();
    let right_w = numbers
        .iter()
        .map(|n| text_width(n, 10.0, false))
        .fold(120.0f64, f64::max)
        + 20.0;
    let plot_w = 300.0;
    let w = label_w + plot_w + right_w;
    let mut body = String::new();
    let mut y0 = 8.0;
    for (title, log, better, members) in &panels {
        let value = |e: &Effect, v: f64| {
            if *log {
                v.ln()
            } else {
                v / e.baseline_sd.unwrap_or(1.0)
            }
        };
        let (mut lo, mut hi) = if *log {
            (0.5f64.ln(), 2f64.ln())
        } else {
            (-0.5, 0.5)
        };
        for m in members {
            let e = m.effect;
            let (a, b) = match (&e.odds_ratio, *log) {
                (Some(or), true) => (value(e, or.ci_low), value(e, or.ci_high)),
                _ => (value(e, e.ci_low), value(e, e.ci_high)),
            };
            for v in [a, b] {
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        let pad = 0.05 * (hi - lo);
        let (lo, hi) = (lo - pad, hi + pad);
        let px = |v: f64| label_w + (v - lo) / (hi - lo) * plot_w;
        body.push_str(&text(10.0, y0 + 16.0, title, "start", 13, true));
        let top = y0 + 28.0;
        let bottom = top + row_h * members.len() as f64;
        let zero = px(0.0);
        body.push_str(&format!(
            "<line x1=\"{zero:.1}\" y1=\"{top:.1}\" x2=\"{zero:.1}\" y2=\"{bottom:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        ));
        for (i, m) in members.iter().enumerate() {
            let e = m.effect;
            let yc = top + row_h * (i as f64 + 0.5);
            let label = fit(&m.label, label_w - 20.0, 11.0);
            body.push_str(&text(10.0, yc + 4.0, &label, "start", 11, false));
            let (a, b, c) = match (&e.odds_ratio, *log) {
                (Some(or), true) => (
                    value(e, or.ci_low),
                    value(e, or.ci_high),
                    value(e, or.estimate),
                ),
                _ => (
                    value(e, e.ci_low),
                    value(e, e.ci_high),
                    value(e, e.estimate),
                ),
            };
            if a.is_finite() && b.is_finite() && c.is_finite() {
                body.push_str(&format!(
                    "<line x1=\"{:.1}\" y1=\"{yc:.1}\" x2=\"{:.1}\" y2=\"{yc:.1}\" stroke=\"#1f4e79\" stroke-width=\"2\"/>\n<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#1f4e79\"/>\n",
                    px(a),
                    px(b),
                    px(c) - 4.0,
                    yc - 4.0
                ));
            }
            body.push_str(&text(
                label_w + plot_w + 10.0,
                yc + 4.0,
                &numbers_label(m),
                "start",
                10,
                false,
            ));
        }
        body.push_str(&format!(
            "<line x1=\"{label_w:.1}\" y1=\"{bottom:.1}\" x2=\"{:.1}\" y2=\"{bottom:.1}\" stroke=\"#333\"/>\n",
            label_w + plot_w
        ));
        let ticks: Vec<f64> = if *log {
            [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
                .iter()
                .map(|v: &f64| v.ln())
                .filter(|v| *v >= lo && *v <= hi)
                .collect()
        } else {
            linear_ticks(lo, hi)
        };
        // Tick labels at least their width apart.
        let mut last_right = f64::NEG_INFINITY;
        for t in ticks {
            let label = if *log {
                fmt_num(t.exp(), 2)
            } else {
                format!("{t:.2}")
            };
            let half = text_width(&label, 10.0, false) / 2.0;
            body.push_str(&format!(
                "<line x1=\"{0:.1}\" y1=\"{bottom:.1}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#333\"/>\n",
                px(t),
                bottom + 4.0
            ));
            if px(t) - half > last_right + 4.0 {
                body.push_str(&text(px(t), bottom + 16.0, &label, "middle", 10, false));
                last_right = px(t) + half;
            }
        }
        let (left, right) = match better {
            Some(Better::Lower) => (
                format!("← favours {}", r.arms[1]),
                format!("favours {} →", r.arms[0]),
            ),
            Some(Better::Higher) => (
                format!("← favours {}", r.arms[0]),
                format!("favours {} →", r.arms[1]),
            ),
            None => (
                format!("← lower with {}", r.arms[1]),
                format!("higher with {} →", r.arms[1]),
            ),
        };
        let half = plot_w / 2.0 - 6.0;
        body.push_str(&text(
            zero.clamp(label_w + 4.0, label_w + plot_w - 4.0) - 6.0,
            bottom + 30.0,
            &fit(&left, half.max(60.0), 10.0),
            "end",
            10,
            false,
        ));
        body.push_str(&text(
            zero.clamp(label_w + 4.0, label_w + plot_w - 4.0) + 6.0,
            bottom + 30.0,
            &fit(&right, half.max(60.0), 10.0),
            "start",
            10,
            false,
        ));
        y0 = bottom + 44.0;
    }
    if panels.is_empty() {
        body.push_str(&text(10.0, 24.0, "No effect to plot.", "start", 12, false));
        y0 = 36.0;
    }
    let mut s = svg_open(w, y0, "Effects of the treatment");
    s.push_str(&body);
    s.push_str("</svg>\n");
    s
}

/// An effect's numbers as printed beside its row: estimate (interval) p.
fn numbers_label(x: &Row<'_>) -> String {
    let (est, lo, hi) = crate::describe::shown(x.effect, x.info.report_scale);
    format!(
        "{}{} ({} to {}), p {}",
        if x.effect.odds_ratio.is_some() {
            "OR "
        } else {
            ""
        },
        fmt_num(est, 3),
        fmt_num(lo, 3),
        fmt_num(hi, 3),
        fmt_p(x.effect.p_value)
    )
}

/// `s`, cut with an ellipsis to fit `width` at `size` px.
fn fit(s: &str, width: f64, size: f64) -> String {
    if text_width(s, size, false) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width(&format!("{out}…"), size, false) > width {
            out.pop();
            break;
        }
    }
    format!("{}…", out.trim_end())
}

/// Round tick values over [lo, hi]: steps of 0.25 up to a range of 2 and 0.5 up to 8 (the usual
/// standardised differences), beyond that 1, 2, 2.5 or 5 × 10^k for at most about eight ticks;
/// bounded whatever the range (an extreme estimate once made the axis loop without end).
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
mod tests {
    use super::*;

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
        let huge = linear_ticks(-1.0, 1e300);
        assert!(!huge.is_empty() && huge.len() <= 21, "{huge:?}");
        assert!(linear_ticks(0.0, f64::INFINITY).is_empty());
        assert!(linear_ticks(1.0, 1.0).is_empty());
    }

    #[test]
    fn long_text_wraps_and_fits() {
        let lines = wrap(
            "a long label that cannot fit on one line of a narrow box",
            120.0,
            12.0,
            false,
        );
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_width(l, 12.0, false) <= 120.0));
        let cut = fit("a long label that cannot fit", 80.0, 11.0);
        assert!(cut.ends_with('…') && text_width(&cut, 11.0, false) <= 80.0);
    }
}
