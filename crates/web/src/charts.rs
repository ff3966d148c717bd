//! Charts as markup made here, no JavaScript and no chart library: bar lists
//! (a bar per manager with the plan marked), the leaderboard podium, a trend
//! line and columns (aging buckets). Colours come from CSS classes, so the
//! same chart reads on the light pages and the dark TV. Every text is escaped.
//!
//! Bar lists are HTML rows with a stretched SVG bar, so names and figures stay
//! real text that wraps and keeps its size on a phone or a TV; the podium,
//! trend and columns are one SVG each, scaled to the width they are given.

use std::fmt::Write;

/// How a figure is doing, as a colour: on track, close, behind, or no judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Neutral,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
            Tone::Neutral => "neutral",
        }
    }

    /// Judges a pace: the run-rate projection against the plan.
    pub fn of_pace(projection: Option<i64>, plan: Option<i64>) -> Tone {
        match (projection, plan) {
            (Some(p), Some(plan)) if plan > 0 => {
                if p >= plan {
                    Tone::Good
                } else if p as i128 * 10 >= plan as i128 * 8 {
                    Tone::Warn
                } else {
                    Tone::Bad
                }
            }
            _ => Tone::Neutral,
        }
    }
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One row of a [`bar_list`].
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    /// Where the label links to (the manager's own view), if anywhere.
    pub href: Option<String>,
    pub value: i64,
    pub value_text: String,
    /// Drawn as a marker across the bar: the plan.
    pub target: Option<i64>,
    pub tone: Tone,
}

/// Width of the bars' coordinate system; the SVG is stretched to the row.
const BAR_SPAN: f64 = 1000.0;

/// Horizontal bars, one row per item, longest scale first item's or target's max.
/// Each row's tooltip is its label and shown value (see [`bar_list_titled`]).
pub fn bar_list(aria_label: &str, bars: &[Bar]) -> String {
    let titles: Vec<String> = bars.iter().map(|b| format!("{}: {}", b.label, b.value_text)).collect();
    bar_list_titled(aria_label, bars, &titles)
}

/// [`bar_list`] with each row's tooltip given (`titles[i]` for `bars[i]`): the
/// exact figures ("1 234 567 ₽") where the row shows the compact ones ("1,2 млн ₽").
/// Shown on hover (the row's `title`) and read from the bar's SVG `<title>`.
pub fn bar_list_titled(aria_label: &str, bars: &[Bar], titles: &[String]) -> String {
    let max = bars.iter().flat_map(|b| [b.value, b.target.unwrap_or(0)]).max().unwrap_or(0).max(1) as f64;
    let x = |v: i64| (v.max(0) as f64 / max * BAR_SPAN).clamp(0.0, BAR_SPAN);
    // `--n` and `--rows` (the rows of a two-column list): the TV sizes the rows to fit
    // the screen, and a two-column list reads down the first column, then the second.
    let mut out = format!(
        "<div class=\"barlist\" role=\"list\" aria-label=\"{}\" style=\"--n:{};--rows:{}\">",
        esc(aria_label),
        bars.len().max(1),
        bars.len().div_ceil(2).max(1)
    );
    for (i, bar) in bars.iter().enumerate() {
        let title = esc(titles.get(i).map_or("", String::as_str));
        let label = match &bar.href {
            Some(href) => format!("<a href=\"{}\">{}</a>", esc(href), esc(&bar.label)),
            None => esc(&bar.label),
        };
        let _ = write!(
            out,
            "<div class=\"bar-row\" role=\"listitem\" data-value=\"{}\" title=\"{title}\"><div class=\"bar-head\"><span class=\"bar-label\">{label}</span>\
             <span class=\"bar-value\">{}</span></div>\
             <svg class=\"bar\" viewBox=\"0 0 {BAR_SPAN} 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><title>{title}</title>\
             <rect class=\"track\" width=\"{BAR_SPAN}\" height=\"10\"/><rect class=\"fill {}\" width=\"{:.1}\" height=\"10\"/>",
            bar.value,
            esc(&bar.value_text),
            bar.tone.class(),
            x(bar.value),
        );
        if let Some(target) = bar.target {
            let tx = x(target).clamp(1.0, BAR_SPAN - 1.0);
            let _ = write!(
                out,
                "<line class=\"target\" x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"0\" y2=\"10\" vector-effect=\"non-scaling-stroke\"/>"
            );
        }
        out.push_str("</svg></div>");
    }
    out.push_str("</div>");
    out
}

/// One step of the [`podium`].
#[derive(Clone, Debug)]
pub struct Place {
    pub place: u32,
    pub name: String,
    pub value_text: String,
}

/// The first three places on steps: second on the left, first in the middle, third on the right.
/// With nobody placed yet (the 1st of the month), `empty_text` stands where the steps would.
pub fn podium(aria_label: &str, places: &[Place], empty_text: &str) -> String {
    const W: f64 = 600.0;
    const H: f64 = 300.0;
    let mut out = format!(
        "<svg class=\"chart podium\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(aria_label),
        esc(aria_label)
    );
    if places.is_empty() {
        let _ = write!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></svg>",
            W / 2.0,
            H / 2.0,
            esc(empty_text)
        );
        return out;
    }
    // (place, column index, step height)
    for (place, column, step) in [(2u32, 0.0, 110.0), (1, 1.0, 160.0), (3, 2.0, 75.0)] {
        let Some(p) = places.iter().find(|p| p.place == place) else {
            continue;
        };
        let x = 10.0 + column * 195.0;
        let top = H - step;
        let cx = x + 92.5;
        let _ = write!(
            out,
            "<rect class=\"step p{place}\" x=\"{x}\" y=\"{top}\" width=\"185\" height=\"{step}\" rx=\"6\"><title>{place}. {}: {}</title></rect>\
             <text class=\"step-no\" x=\"{cx}\" y=\"{:.0}\" text-anchor=\"middle\">{place}</text>\
             <text class=\"name\" x=\"{cx}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text>\
             <text class=\"value\" x=\"{cx}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text>",
            esc(&p.name),
            esc(&p.value_text),
            top + 52.0,
            top - 42.0,
            esc(&p.name),
            top - 14.0,
            esc(&p.value_text),
        );
    }
    out.push_str("</svg>");
    out
}

/// A line over days: the values, the first and last labels on the axis, min and max marked.
pub fn trend(aria_label: &str, points: &[(String, i64)], value_text: impl Fn(i64) -> String) -> String {
    const W: f64 = 600.0;
    const H: f64 = 200.0;
    const LEFT: f64 = 10.0;
    const RIGHT: f64 = 590.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = 165.0;
    let mut out = format!(
        "<svg class=\"chart trend\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(aria_label),
        esc(aria_label)
    );
    if points.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    // From zero: a count that fell from 522 to 425 must not look like it fell to nothing.
    let lo = points.iter().map(|p| p.1).min().unwrap_or(0).min(0);
    let hi = points.iter().map(|p| p.1).max().unwrap_or(0);
    let span = (hi - lo).max(1) as f64;
    let step = if points.len() > 1 {
        (RIGHT - LEFT) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |i: usize, v: i64| {
        let x = if points.len() > 1 {
            LEFT + i as f64 * step
        } else {
            (LEFT + RIGHT) / 2.0
        };
        let y = if hi == lo {
            (TOP + BOTTOM) / 2.0
        } else {
            BOTTOM - (v - lo) as f64 / span * (BOTTOM - TOP)
        };
        (x, y)
    };
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = xy(i, p.1);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{BOTTOM}\" y2=\"{BOTTOM}\"/>\
         <polyline class=\"line\" points=\"{}\"/>",
        line.join(" ")
    );
    // A hover target with its exact value on every day, not just the first and last.
    for (i, p) in points.iter().enumerate() {
        let (x, y) = xy(i, p.1);
        let _ = write!(
            out,
            "<circle class=\"hover\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\"><title>{}: {}</title></circle>",
            (step / 2.0).clamp(4.0, 12.0),
            esc(&p.0),
            esc(&value_text(p.1)),
        );
    }
    let last = points.len() - 1;
    let (lx, ly) = xy(last, points[last].1);
    let (fx, fy) = xy(0, points[0].1);
    let _ = write!(
        out,
        "<circle class=\"dot\" cx=\"{fx:.1}\" cy=\"{fy:.1}\" r=\"4\"/><circle class=\"dot last\" cx=\"{lx:.1}\" cy=\"{ly:.1}\" r=\"6\"/>\
         <text class=\"value\" x=\"{LEFT}\" y=\"20\">{}</text>\
         <text class=\"value last\" x=\"{RIGHT}\" y=\"20\" text-anchor=\"end\">{}</text>\
         <text class=\"axis-label\" x=\"{LEFT}\" y=\"192\">{}</text>\
         <text class=\"axis-label\" x=\"{RIGHT}\" y=\"192\" text-anchor=\"end\">{}</text>",
        esc(&value_text(points[0].1)),
        esc(&value_text(points[last].1)),
        esc(&points[0].0),
        esc(&points[last].0),
    );
    out.push_str("</svg>");
    out
}

/// One column of [`columns`].
#[derive(Clone, Debug)]
pub struct Column {
    pub label: String,
    pub value: i64,
    pub value_text: String,
    pub tone: Tone,
}

/// Vertical columns side by side with their values above and labels below.
/// Each column's tooltip is its label and shown value (see [`columns_titled`]).
pub fn columns(aria_label: &str, cols: &[Column]) -> String {
    let titles: Vec<String> = cols.iter().map(|c| format!("{}: {}", c.label, c.value_text)).collect();
    columns_titled(aria_label, cols, &titles)
}

/// [`columns`] with each column's tooltip given (`titles[i]` for `cols[i]`), as an
/// SVG `<title>` on a hover area spanning the column's whole slot.
pub fn columns_titled(aria_label: &str, cols: &[Column], titles: &[String]) -> String {
    const W: f64 = 600.0;
    const H: f64 = 280.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 240.0;
    let mut out = format!(
        "<svg class=\"chart columns\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(aria_label),
        esc(aria_label)
    );
    let n = cols.len().max(1) as f64;
    let slot = W / n;
    let max = cols.iter().map(|c| c.value).max().unwrap_or(0).max(1) as f64;
    let _ = write!(out, "<line class=\"axis\" x1=\"0\" x2=\"{W}\" y1=\"{BOTTOM}\" y2=\"{BOTTOM}\"/>");
    for (i, c) in cols.iter().enumerate() {
        let h = (c.value.max(0) as f64 / max * (BOTTOM - TOP)).max(if c.value > 0 { 2.0 } else { 0.0 });
        let x = i as f64 * slot + slot * 0.15;
        let cx = i as f64 * slot + slot / 2.0;
        let _ = write!(
            out,
            "<rect class=\"fill {}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" rx=\"4\" data-value=\"{}\"/>\
             <text class=\"value\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text class=\"axis-label\" x=\"{cx:.1}\" y=\"268\" text-anchor=\"middle\">{}</text>\
             <rect class=\"hover\" x=\"{:.1}\" y=\"0\" width=\"{slot:.1}\" height=\"{H}\"><title>{}</title></rect>",
            c.tone.class(),
            BOTTOM - h,
            slot * 0.7,
            c.value,
            BOTTOM - h - 10.0,
            esc(&c.value_text),
            esc(&c.label),
            i as f64 * slot,
            esc(titles.get(i).map_or("", String::as_str)),
        );
    }
    out.push_str("</svg>");
    out
}

/// `text` cut to `max` characters, an ellipsis standing for the rest.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// A funnel: one centred bar per step, its width the step's share of the widest,
/// joined to the next by a neck, the step's name on the left and its figures on
/// the right. `title` names the pipeline above it.
pub fn funnel(aria_label: &str, title: &str, steps: &[Column]) -> String {
    const W: f64 = 600.0;
    const ROW: f64 = 44.0;
    const BAR: f64 = 30.0;
    const TOP: f64 = 34.0;
    // The bars' band, between the names and the figures; names longer than fit are cut.
    const LEFT: f64 = 215.0;
    const RIGHT: f64 = 455.0;
    const NAME_CHARS: usize = 25;
    let h = TOP + ROW * steps.len().max(1) as f64;
    let mut out = format!(
        "<svg class=\"chart funnel\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{}\"><title>{}</title>\
         <text class=\"funnel-title\" x=\"0\" y=\"20\">{}</text>",
        esc(aria_label),
        esc(aria_label),
        esc(title)
    );
    let max = steps.iter().map(|c| c.value).max().unwrap_or(0).max(1) as f64;
    let centre = (LEFT + RIGHT) / 2.0;
    // Half a bar's width: a step with anything in it stays visible.
    let half = |v: i64| {
        let w = v.max(0) as f64 / max * (RIGHT - LEFT);
        (if v > 0 { w.max(4.0) } else { 0.0 }) / 2.0
    };
    for (i, c) in steps.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        let hw = half(c.value);
        if let Some(next) = steps.get(i + 1) {
            let nw = half(next.value);
            let (y1, y2) = (y + BAR, y + ROW);
            let _ = write!(
                out,
                "<polygon class=\"neck\" points=\"{:.1},{y1:.1} {:.1},{y1:.1} {:.1},{y2:.1} {:.1},{y2:.1}\"/>",
                centre - hw,
                centre + hw,
                centre + nw,
                centre - nw,
            );
        }
        let _ = write!(
            out,
            "<rect class=\"fill {}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR}\" rx=\"3\" data-value=\"{}\"/>\
             <text class=\"axis-label\" x=\"0\" y=\"{:.1}\">{}</text>\
             <text class=\"value\" x=\"{W}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"hover\" x=\"0\" y=\"{y:.1}\" width=\"{W}\" height=\"{BAR}\"><title>{}: {}</title></rect>",
            c.tone.class(),
            centre - hw,
            hw * 2.0,
            c.value,
            y + BAR / 2.0 + 5.0,
            esc(&cut(&c.label, NAME_CHARS)),
            y + BAR / 2.0 + 6.0,
            esc(&c.value_text),
            esc(&c.label),
            esc(&c.value_text),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_of_a_plan_at_the_end_of_the_range() {
        assert_eq!(Tone::of_pace(Some(i64::MAX), Some(i64::MAX)), Tone::Good);
        assert_eq!(Tone::of_pace(Some(i64::MAX / 10 * 9), Some(i64::MAX)), Tone::Warn);
        assert_eq!(Tone::of_pace(Some(1), Some(i64::MAX)), Tone::Bad);
    }

    fn bar(label: &str, value: i64, target: Option<i64>) -> Bar {
        Bar {
            label: label.into(),
            href: None,
            value,
            value_text: value.to_string(),
            target,
            tone: Tone::Good,
        }
    }

    #[test]
    fn bars_scale_to_the_largest_value_or_target_and_escape_names() {
        let svg = bar_list("Plan", &[bar("<Анна & Co>", 50, Some(100)), bar("Борис", 100, None)]);
        assert!(svg.contains("&lt;Анна &amp; Co&gt;") && !svg.contains("<Анна"), "{svg}");
        assert!(svg.contains("width=\"500.0\""), "half of the target: {svg}");
        assert!(svg.contains("x1=\"999.0\""), "the target at the end, kept inside: {svg}");
        assert!(svg.contains("width=\"1000.0\""), "{svg}");
        // Nothing to scale by: no division by zero, no NaN.
        let svg = bar_list("Empty", &[bar("A", 0, None), bar("B", -5, Some(0))]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn every_bar_and_column_carries_its_exact_figure_as_a_tooltip() {
        let bars = [bar("Анна <A>", 123_456_700, Some(200_000_000)), bar("Борис", 0, None)];
        let titles = [
            "Анна: факт 1\u{a0}234\u{a0}567\u{a0}₽".to_string(),
            "Борис: факт 0\u{a0}₽".to_string(),
        ];
        let html = bar_list_titled("Plan", &bars, &titles);
        assert!(html.contains("title=\"Анна: факт 1\u{a0}234\u{a0}567\u{a0}₽\""), "{html}");
        assert!(html.contains("<title>Борис: факт 0\u{a0}₽</title>"), "{html}");
        // Without titles given, a row's tooltip is its label and shown value, escaped.
        let html = bar_list("Plan", &bars);
        assert!(html.contains("title=\"Анна &lt;A&gt;: 123456700\""), "{html}");
        let col = |label: &str, value| Column {
            label: label.into(),
            value,
            value_text: "1,2 млн ₽".into(),
            tone: Tone::Warn,
        };
        let svg = columns_titled(
            "aging",
            &[col("1–30 дн.", 1), col("31–60 дн.", 2)],
            &["1–30 дн.: 1 234 567 ₽".into(), "x".into()],
        );
        assert_eq!(svg.matches("class=\"hover\"").count(), 2, "{svg}");
        assert!(svg.contains("<title>1–30 дн.: 1 234 567 ₽</title></rect>"), "{svg}");
        assert!(columns("aging", &[col("a", 1)]).contains("<title>a: 1,2 млн ₽</title>"));
        let line = trend("t", &[("01.11".into(), 5), ("02.11".into(), 1_234)], |v| format!("{v} нар."));
        assert!(
            line.contains("<title>01.11: 5 нар.</title>") && line.contains("<title>02.11: 1234 нар.</title>"),
            "{line}"
        );
    }

    #[test]
    fn podium_puts_first_in_the_middle_and_survives_fewer_places() {
        let svg = podium(
            "Top",
            &[
                Place {
                    place: 1,
                    name: "Анна".into(),
                    value_text: "10".into(),
                },
                Place {
                    place: 2,
                    name: "Борис".into(),
                    value_text: "5".into(),
                },
            ],
            "—",
        );
        assert!(svg.contains("class=\"step p1\" x=\"205\""), "{svg}");
        assert!(svg.contains("class=\"step p2\" x=\"10\""), "{svg}");
        assert!(!svg.contains("p3"));
        let empty = podium("none", &[], "Пока без результата");
        assert!(empty.contains(">Пока без результата</text>") && !empty.contains("step"), "{empty}");
    }

    #[test]
    fn trend_and_columns_handle_flat_and_single_points() {
        let flat = trend("t", &[("1".into(), 5), ("2".into(), 5)], |v| v.to_string());
        assert!(!flat.contains("NaN"), "{flat}");
        let one = trend("t", &[("1".into(), 5)], |v| v.to_string());
        assert!(one.contains("points=\"300.0,30.0\""), "{one}");
        let zero = trend("t", &[("1".into(), 0), ("2".into(), 0)], |v| v.to_string());
        assert!(zero.contains("points=\"10.0,97.5 590.0,97.5\""), "{zero}");
        let cols = columns(
            "aging",
            &[Column {
                label: "1-30".into(),
                value: 0,
                value_text: "0".into(),
                tone: Tone::Warn,
            }],
        );
        assert!(cols.contains("height=\"0.0\"") && !cols.contains("NaN"), "{cols}");
    }

    #[test]
    fn funnel_bars_are_centred_shares_of_the_widest_step() {
        let step = |label: &str, value| Column {
            label: label.into(),
            value,
            value_text: value.to_string(),
            tone: Tone::Neutral,
        };
        let svg = funnel(
            "f",
            "Холодные <продажи>",
            &[
                step("Первичный контакт", 10),
                step("Переговоры", 5),
                step("Успешно реализовано, очень длинно", 0),
            ],
        );
        assert!(
            svg.contains("x=\"215.0\" y=\"34.0\" width=\"240.0\""),
            "the widest spans the band: {svg}"
        );
        assert!(
            svg.contains("x=\"275.0\" y=\"78.0\" width=\"120.0\""),
            "half as wide, centred: {svg}"
        );
        assert!(svg.contains(">Успешно реализовано, оче…</text>"), "long names are cut: {svg}");
        assert!(svg.contains("width=\"0.0\"") && svg.contains("&lt;продажи&gt;"), "{svg}");
        assert_eq!(svg.matches("class=\"neck\"").count(), 2);
        let empty = funnel("f", "—", &[step("a", 0)]);
        assert!(!empty.contains("NaN") && !empty.contains("inf"), "{empty}");
    }
}
