//! The explore and Pareto boards' charts, as markup made here like
//! [`crate::charts`]: bars whose label and bar are links adding a filter and
//! whose figure links to its records, with the compared period's mark; the
//! measure over time with the compared period as a line; the Pareto columns
//! with the cumulative share. Every text is escaped.

use std::fmt::Write;

use crate::charts::{Tone, esc};

/// One bar of [`explore_bars`].
#[derive(Clone, Debug)]
pub struct ExploreBar {
    pub label: String,
    /// The page with this value added as a filter; `None` for "others" and values a filter cannot name.
    pub filter_href: Option<String>,
    /// The records behind the figure.
    pub records_href: String,
    pub value: f64,
    pub value_text: String,
    /// The value as the JSON API writes it.
    pub raw: String,
    /// The compared period's value, drawn as a tick.
    pub compared: Option<f64>,
    pub change_text: Option<String>,
    pub tone: Tone,
    /// The summed rest ("Остальные").
    pub others: bool,
}

const SPAN: f64 = 1000.0;

/// Horizontal bars with the compared period's tick. A percentage is drawn on 0–100.
pub fn explore_bars(aria_label: &str, bars: &[ExploreBar], percent: bool) -> String {
    let max = if percent {
        100.0
    } else {
        bars.iter()
            .flat_map(|b| [b.value, b.compared.unwrap_or(0.0)])
            .fold(0.0, f64::max)
            .max(1.0)
    };
    let x = |v: f64| (v.max(0.0) / max * SPAN).clamp(0.0, SPAN);
    let mut out = format!(
        "<div class=\"barlist xbars\" role=\"list\" aria-label=\"{}\" style=\"--n:{}\">",
        esc(aria_label),
        bars.len().max(1)
    );
    for bar in bars {
        let label = match &bar.filter_href {
            Some(href) => format!("<a class=\"filter\" href=\"{}\">{}</a>", esc(href), esc(&bar.label)),
            None => format!(
                "<span class=\"{}\">{}</span>",
                if bar.others { "others" } else { "plain" },
                esc(&bar.label)
            ),
        };
        let change = bar
            .change_text
            .as_ref()
            .map(|c| format!(" <span class=\"change tone-{}\">{}</span>", bar.tone.class(), esc(c)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"bar-row{}\" role=\"listitem\" data-value=\"{}\"><div class=\"bar-head\"><span class=\"bar-label\">{label}</span>\
             <span class=\"bar-value\"><a class=\"records\" href=\"{}\">{}</a>{change}</span></div>",
            if bar.others { " others" } else { "" },
            esc(&bar.raw),
            esc(&bar.records_href),
            esc(&bar.value_text),
        );
        let mut svg = format!(
            "<svg class=\"bar\" viewBox=\"0 0 {SPAN} 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\
             <rect class=\"track\" width=\"{SPAN}\" height=\"10\"/><rect class=\"fill neutral\" width=\"{:.1}\" height=\"10\"/>",
            x(bar.value)
        );
        if let Some(c) = bar.compared {
            let cx = x(c).clamp(1.0, SPAN - 1.0);
            let _ = write!(
                svg,
                "<line class=\"target compared\" x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"0\" y2=\"10\" vector-effect=\"non-scaling-stroke\"/>"
            );
        }
        svg.push_str("</svg>");
        match &bar.filter_href {
            Some(href) => {
                let _ = write!(
                    out,
                    "<a class=\"bar-link\" href=\"{}\" tabindex=\"-1\" aria-hidden=\"true\">{svg}</a>",
                    esc(href)
                );
            }
            None => out.push_str(&svg),
        }
        out.push_str("</div>");
    }
    out.push_str("</div>");
    out
}

/// One bucket of [`series`].
#[derive(Clone, Debug)]
pub struct SeriesPoint {
    pub label: String,
    /// The label under the axis, short: "05.11", "ноябрь 2026".
    pub axis_label: String,
    pub value: f64,
    pub value_text: String,
    /// The compared period's bucket at the same place, when it has a value.
    pub compared: Option<f64>,
    pub compared_text: Option<String>,
    /// The page over just this bucket.
    pub href: String,
}

/// Columns over time, each a link to its bucket; the compared period as a line with dots.
pub fn series(aria_label: &str, points: &[SeriesPoint], comparing: bool, max_text: &str) -> String {
    const W: f64 = 1000.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = 220.0;
    const H: f64 = 250.0;
    let mut out = format!(
        "<svg class=\"chart series\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(aria_label),
        esc(aria_label)
    );
    let n = points.len().max(1) as f64;
    let slot = W / n;
    let max = points
        .iter()
        .flat_map(|p| [p.value, p.compared.unwrap_or(0.0)])
        .fold(0.0, f64::max)
        .max(1.0);
    let y = |v: f64| BOTTOM - v.max(0.0) / max * (BOTTOM - TOP);
    let _ = write!(out, "<line class=\"axis\" x1=\"0\" x2=\"{W}\" y1=\"{BOTTOM}\" y2=\"{BOTTOM}\"/>");
    let every = (points.len() as f64 / 7.0).ceil().max(1.0) as usize;
    if !points.is_empty() {
        // The scale: the top of the chart is the largest value.
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"0\" x2=\"{W}\" y1=\"{TOP}\" y2=\"{TOP}\"/><text class=\"axis-label\" x=\"4\" y=\"{}\">{}</text>",
            TOP - 8.0,
            esc(max_text)
        );
    }
    for (i, p) in points.iter().enumerate() {
        let x = i as f64 * slot;
        let top = y(p.value);
        let tip = match &p.compared_text {
            Some(c) => format!("{}: {} ({c})", p.label, p.value_text),
            None => format!("{}: {}", p.label, p.value_text),
        };
        let _ = write!(
            out,
            "<a href=\"{}\" class=\"bucket\"><rect class=\"hit\" x=\"{x:.1}\" y=\"0\" width=\"{slot:.1}\" height=\"{BOTTOM}\"/>\
             <rect class=\"fill neutral\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" data-value=\"{}\"/><title>{}</title></a>",
            esc(&p.href),
            x + slot * 0.12,
            slot * 0.76,
            BOTTOM - top,
            p.value,
            esc(&tip),
        );
        if i % every == 0 {
            // The first label starts at the left edge rather than being cut by it.
            let (lx, anchor) = if i == 0 {
                (x + slot * 0.12, "start")
            } else {
                (x + slot / 2.0, "middle")
            };
            let _ = write!(
                out,
                "<text class=\"axis-label\" x=\"{lx:.1}\" y=\"243\" text-anchor=\"{anchor}\">{}</text>",
                esc(&p.axis_label)
            );
        }
    }
    if comparing {
        // A bucket without a compared value (a rate with nothing closed) breaks the line.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut segments = Vec::new();
        for (i, p) in points.iter().enumerate() {
            match p.compared {
                Some(c) => segment.push((i as f64 * slot + slot / 2.0, y(c))),
                None => segments.push(std::mem::take(&mut segment)),
            }
        }
        segments.push(segment);
        for segment in segments.iter().filter(|s| !s.is_empty()) {
            let line: Vec<String> = segment.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = write!(out, "<polyline class=\"compared\" points=\"{}\"/>", line.join(" "));
            for (cx, cy) in segment {
                let _ = write!(out, "<circle class=\"compared\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4\"/>");
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// One column of [`pareto`].
#[derive(Clone, Debug)]
pub struct ParetoBar {
    pub label: String,
    pub value: f64,
    pub value_text: String,
    /// In percent of the total.
    pub cumulative: f64,
    pub class: &'static str,
    /// The records behind the column.
    pub href: Option<String>,
}

/// Contributions as columns, largest first, coloured by class; the cumulative share as a line
/// on 0–100 %, with the A and B limits marked.
pub fn pareto(aria_label: &str, bars: &[ParetoBar], a_until: u32, b_until: u32) -> String {
    const W: f64 = 1000.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 260.0;
    const H: f64 = 270.0;
    let mut out = format!(
        "<svg class=\"chart pareto\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(aria_label),
        esc(aria_label)
    );
    let n = bars.len().max(1) as f64;
    let slot = W / n;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1.0);
    let y = |share: f64| BOTTOM - share.clamp(0.0, 100.0) / 100.0 * (BOTTOM - TOP);
    for limit in [a_until, b_until] {
        let ly = y(limit as f64);
        // Below the line: the cumulative share runs above it at the right.
        let _ = write!(
            out,
            "<line class=\"limit\" x1=\"0\" x2=\"{W}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\"/><text class=\"axis-label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{limit}%</text>",
            W - 4.0,
            ly + 15.0
        );
    }
    let mut line = Vec::with_capacity(bars.len());
    for (i, b) in bars.iter().enumerate() {
        let x = i as f64 * slot;
        let h = b.value.max(0.0) / max * (BOTTOM - TOP);
        let (open, close) = match &b.href {
            Some(href) => (format!("<a href=\"{}\">", esc(href)), "</a>"),
            None => ("<g>".to_string(), "</g>"),
        };
        let _ = write!(
            out,
            "{open}<rect class=\"col class-{}\" x=\"{:.2}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{h:.1}\" data-value=\"{}\" data-class=\"{}\"/><title>{} · {} · {} · {:.1}%</title>{close}",
            b.class.to_lowercase(),
            x + slot * 0.1,
            BOTTOM - h,
            (slot * 0.8).max(0.5),
            b.value,
            b.class,
            esc(&b.label),
            b.class,
            esc(&b.value_text),
            b.cumulative,
        );
        line.push(format!("{:.1},{:.1}", x + slot / 2.0, y(b.cumulative)));
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"0\" x2=\"{W}\" y1=\"{BOTTOM}\" y2=\"{BOTTOM}\"/><polyline class=\"cumulative\" points=\"{}\"/></svg>",
        line.join(" ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_link_filters_and_records_and_escape_names() {
        let bar = ExploreBar {
            label: "<Анна & Co>".into(),
            filter_href: Some("/boards/explore?where=manager%3D1".into()),
            records_href: "/boards/explore/records?row=0".into(),
            value: 50.0,
            value_text: "50".into(),
            raw: "50".into(),
            compared: Some(100.0),
            change_text: Some("-50".into()),
            tone: Tone::Bad,
            others: false,
        };
        let html = explore_bars("x", &[bar], false);
        assert!(html.contains("&lt;Анна &amp; Co&gt;") && !html.contains("<Анна"), "{html}");
        assert!(
            html.contains("class=\"filter\" href=\"/boards/explore?where=manager%3D1\""),
            "{html}"
        );
        assert!(html.contains("width=\"500.0\"") && html.contains("x1=\"999.0\""), "{html}");
        let empty = series("s", &[], true, "");
        assert!(!empty.contains("NaN"), "{empty}");
    }
}
