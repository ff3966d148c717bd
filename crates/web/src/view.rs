//! What the board templates show, in one shape for every report: headline
//! figures (KPIs), figures (charts, as trusted markup from [`crate::charts`])
//! and tables drawn from the core's `tabular` tables, so the page, the CSV and
//! the XLSX can never disagree. Also the small formatters the pages share.

use tsifra_core::i18n::{currency_symbol, format_int, format_money, format_percent};
use tsifra_core::model::Metric;
use tsifra_core::reports::tabular::{Cell, Table};
use tsifra_core::{BusinessCalendar, Language, Money};

use crate::charts::Tone;
use crate::texts::{t, t_with};

/// A headline figure. `key` and `raw` are for machines: the browser tests find a
/// figure by `data-kpi` and compare `data-value` with the JSON API's number.
#[derive(Clone, Debug)]
pub struct Kpi {
    pub key: String,
    pub label: String,
    pub value: String,
    pub raw: String,
    pub detail: Option<String>,
    /// Percent done, drawn as a bar (capped at 100 on screen; the text says more).
    pub progress: Option<f64>,
    pub tone: Tone,
    pub href: Option<String>,
    /// The value is words (a name), set smaller than a number.
    pub textual: bool,
}

impl Kpi {
    pub fn new(key: impl Into<String>, label: impl Into<String>, value: impl Into<String>, raw: impl ToString) -> Kpi {
        Kpi {
            key: key.into(),
            label: label.into(),
            value: value.into(),
            raw: raw.to_string(),
            detail: None,
            progress: None,
            tone: Tone::Neutral,
            href: None,
            textual: false,
        }
    }
    pub fn textual(mut self) -> Kpi {
        self.textual = true;
        self
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Kpi {
        self.detail = Some(detail.into());
        self
    }
    pub fn progress(mut self, percent: Option<f64>) -> Kpi {
        self.progress = percent;
        self
    }
    pub fn tone(mut self, tone: Tone) -> Kpi {
        self.tone = tone;
        self
    }
    pub fn href(mut self, href: String) -> Kpi {
        self.href = Some(href);
        self
    }
    pub fn tone_class(&self) -> &'static str {
        self.tone.class()
    }
    /// The progress bar's width in percent, 0 to 100.
    pub fn bar_width(&self) -> String {
        format!("{:.1}", self.progress.unwrap_or(0.0).clamp(0.0, 100.0))
    }
}

/// A chart or list with its heading; `markup` is built and escaped by [`crate::charts`].
#[derive(Clone, Debug)]
pub struct Figure {
    pub id: &'static str,
    pub title: String,
    pub markup: String,
    /// Spans the whole width (a long bar list) rather than half of it.
    pub wide: bool,
    /// A line under the chart (how a figure was obtained).
    pub note: Option<String>,
}

/// A table as the page shows it: one page of rows, formatted for the locale.
#[derive(Clone, Debug)]
pub struct TableView {
    pub id: String,
    pub title: String,
    pub columns: Vec<ColumnView>,
    pub rows: Vec<RowView>,
    pub notes: Vec<String>,
    pub total_rows: usize,
    /// "Rows 101–200 of 5 432; all of them in the CSV and XLSX", when not all fit.
    pub range_note: Option<String>,
    pub csv: String,
    pub xlsx: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Extra classes of the table's card (`hygiene-counts`).
    pub class: &'static str,
    /// Sorted and filtered on the server (query parameters): client-side sorting leaves it alone.
    pub server_sort: bool,
}

#[derive(Clone, Debug)]
pub struct ColumnView {
    pub label: String,
    pub numeric: bool,
    /// The full name, where the head is abbreviated (a tooltip).
    pub title: Option<String>,
    /// Where a click on the head sorts by this column, for lists sorted on the server.
    pub sort_href: Option<String>,
    /// `ascending` / `descending` when the list is sorted by this column.
    pub sorted: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct RowView {
    pub cells: Vec<CellView>,
    /// The team total closing a table.
    pub total: bool,
}

#[derive(Clone, Debug)]
pub struct CellView {
    pub text: String,
    /// A CRM card, opened in a new tab.
    pub href: Option<String>,
    /// The raw value (minor units for money), as in the JSON API and the CSV.
    pub raw: String,
}

/// Rows a page shows per table; the downloads always have all of them.
pub const ROWS_PER_PAGE: usize = 100;

/// Tables whose last row is the team total.
fn ends_with_total(table_id: &str) -> bool {
    matches!(table_id, "today" | "week" | "month" | "managers")
}

/// Formats one page of `table`. `link` makes the hrefs: (table id, extension) for a
/// download, and a page number for the pager.
pub fn table_view(
    table: &Table,
    page: usize,
    lang: Language,
    currency: &str,
    calendar: &BusinessCalendar,
    download: impl Fn(&str, &str) -> String,
    page_href: impl Fn(usize) -> String,
) -> TableView {
    let total_rows = table.rows.len();
    let pages = total_rows.div_ceil(ROWS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let from = (page - 1) * ROWS_PER_PAGE;
    let to = (from + ROWS_PER_PAGE).min(total_rows);
    let numeric: Vec<bool> = (0..table.columns.len())
        .map(|i| {
            table
                .rows
                .iter()
                .any(|r| matches!(r.get(i), Some(Cell::Int(_) | Cell::Money(_) | Cell::Percent(_) | Cell::Decimal(_))))
        })
        .collect();
    let with_total = ends_with_total(&table.id);
    let rows = table.rows[from..to]
        .iter()
        .enumerate()
        .map(|(i, row)| RowView {
            cells: row
                .iter()
                .map(|cell| CellView {
                    text: cell.display(lang, currency, calendar),
                    href: match cell {
                        Cell::Link { url, .. } => Some(url.clone()),
                        _ => None,
                    },
                    raw: match cell {
                        Cell::Money(m) => m.to_string(),
                        other => other.raw(calendar),
                    },
                })
                .collect(),
            total: with_total && from + i + 1 == total_rows,
        })
        .collect();
    let range_note = (pages > 1).then(|| {
        t_with(
            lang,
            "web.table.range",
            &[
                ("from", &format_int(lang, from as i64 + 1)),
                ("to", &format_int(lang, to as i64)),
                ("total", &format_int(lang, total_rows as i64)),
            ],
        )
    });
    TableView {
        id: table.id.clone(),
        title: table.title.clone(),
        columns: table
            .columns
            .iter()
            .zip(&numeric)
            .map(|(label, numeric)| ColumnView {
                label: label.clone(),
                numeric: *numeric,
                title: None,
                sort_href: None,
                sorted: None,
            })
            .collect(),
        rows,
        notes: table.notes.clone(),
        total_rows,
        range_note,
        csv: download(&table.id, "csv"),
        xlsx: download(&table.id, "xlsx"),
        prev: (page > 1).then(|| page_href(page - 1)),
        next: (page < pages).then(|| page_href(page + 1)),
        class: "",
        server_sort: false,
    }
}

/// A metric's value for people: money or a count.
pub fn metric_value(lang: Language, currency: &str, metric: Metric, value: i64) -> String {
    if metric.is_money() {
        format_money(lang, currency, Money(value))
    } else {
        format_int(lang, value)
    }
}

/// A metric's value in few characters, for charts, the TV and the phone: "382,7 млн ₽".
pub fn metric_compact(lang: Language, currency: &str, metric: Metric, value: i64) -> String {
    if metric.is_money() {
        compact_money(lang, currency, value)
    } else {
        format_int(lang, value)
    }
}

/// Money rounded to thousands, millions or billions: "382,7 млн ₽" / "₽382.7M".
/// Below ten thousand it is written in full.
pub fn compact_money(lang: Language, currency: &str, minor: i64) -> String {
    let major = minor as f64 / 100.0;
    let abs = major.abs();
    let (scaled, unit_key) = if abs >= 1e9 {
        (major / 1e9, "web.unit.billion")
    } else if abs >= 1e6 {
        (major / 1e6, "web.unit.million")
    } else if abs >= 1e4 {
        (major / 1e3, "web.unit.thousand")
    } else {
        return format_money(lang, currency, Money(minor));
    };
    let digits = if scaled.abs() >= 100.0 { 0 } else { 1 };
    let number = format!("{scaled:.digits$}");
    let symbol = currency_symbol(currency);
    let unit = t(lang, unit_key);
    match lang {
        Language::Ru => format!("{}\u{a0}{unit}\u{a0}{symbol}", number.replace('.', ",").replace('-', "\u{2212}")),
        Language::En if scaled < 0.0 => format!("-{symbol}{}{unit}", number.trim_start_matches('-')),
        Language::En => format!("{symbol}{number}{unit}"),
    }
}

/// "Смирнова Анна Викторовна" → "Смирнова А. В.": names that fit a podium step or a TV row.
pub fn short_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let Some(first) = words.next() else {
        return name.to_string();
    };
    let rest: Vec<String> = words
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect();
    if rest.is_empty() {
        first.to_string()
    } else {
        format!("{first} {}", rest.join("\u{a0}"))
    }
}

/// A percentage for people, or a dash.
pub fn percent_text(lang: Language, percent: Option<f64>) -> String {
    percent.map_or_else(|| "—".to_string(), |p| format_percent(lang, p))
}

/// A number written as the JSON API writes it (`90.0`, not `90`), for `data-value`.
pub fn json_number(value: f64) -> String {
    serde_json::to_string(&value).unwrap_or_default()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `path?k=v&...` with the empty values left out.
pub fn href(path: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_money_in_both_languages() {
        assert_eq!(compact_money(Language::Ru, "RUB", 382_708_298_254), "3,8\u{a0}млрд\u{a0}₽");
        assert_eq!(compact_money(Language::En, "RUB", 38_270_829_825_400), "₽383B");
        assert_eq!(compact_money(Language::Ru, "RUB", 123_456_700), "1,2\u{a0}млн\u{a0}₽");
        assert_eq!(compact_money(Language::En, "USD", 1_234_500), "$12.3K");
        assert_eq!(compact_money(Language::En, "USD", -1_234_500), "-$12.3K");
        assert_eq!(compact_money(Language::Ru, "RUB", 512_300), "5\u{a0}123\u{a0}₽");
        assert_eq!(compact_money(Language::Ru, "RUB", 45_000_000_000), "450\u{a0}млн\u{a0}₽");
        // A shortfall with the minus sign, in full or compact.
        assert_eq!(compact_money(Language::Ru, "RUB", -123_456_700), "\u{2212}1,2\u{a0}млн\u{a0}₽");
        assert_eq!(compact_money(Language::Ru, "RUB", -512_300), "\u{2212}5\u{a0}123\u{a0}₽");
    }

    #[test]
    fn short_names_and_links() {
        assert_eq!(short_name("Смирнова Анна Викторовна"), "Смирнова А.\u{a0}В.");
        assert_eq!(short_name("Anna"), "Anna");
        assert_eq!(
            href("/boards/x", &[("as_of", "2026-11-20T15:00"), ("manager", ""), ("m", "Анна & Co")]),
            "/boards/x?as_of=2026-11-20T15%3A00&m=%D0%90%D0%BD%D0%BD%D0%B0%20%26%20Co"
        );
        assert_eq!(href("/", &[("a", "")]), "/");
    }
}
