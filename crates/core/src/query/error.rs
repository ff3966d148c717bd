//! What is wrong with a question, said in the workspace's language: the CLI,
//! the API and the page all show these words.

use crate::i18n::{Language, text_with};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    UnknownMeasure(String),
    TooManyDimensions(usize),
    UnknownPeriod(String),
    UnknownCompare(String),
    /// A filter not written as `dimension=value`.
    BadFilter(String),
    BadLimit(usize),
    UnknownDimension(String),
    /// `product`, `client_type` or `industry` with no field mapped in `[fields]`.
    Unmapped {
        text: String,
        key: &'static str,
    },
    NoField(String),
    NoValue {
        dim: String,
        value: String,
    },
    Ambiguous {
        dim: String,
        value: String,
        n: usize,
    },
    NotADate {
        dim: String,
        value: String,
    },
    /// A Pareto view of a measure that does not add up (a rate, days).
    NotSummable(String),
}

impl QueryError {
    pub fn message(&self, lang: Language) -> String {
        let t = |key: &str, values: &[(&str, &str)]| text_with(lang, key, values);
        match self {
            QueryError::UnknownMeasure(v) => t("query.unknown_measure", &[("value", v), ("names", &super::Measure::names())]),
            QueryError::TooManyDimensions(n) => t(
                "query.too_many_dimensions",
                &[("max", &super::MAX_DIMENSIONS.to_string()), ("n", &n.to_string())],
            ),
            QueryError::UnknownPeriod(v) => t("query.unknown_period", &[("value", v)]),
            QueryError::UnknownCompare(v) => t("query.unknown_compare", &[("value", v)]),
            QueryError::BadFilter(v) => t("query.bad_filter", &[("value", v)]),
            QueryError::BadLimit(n) => t(
                "query.bad_limit",
                &[("value", &n.to_string()), ("max", &super::params::MAX_LIMIT.to_string())],
            ),
            QueryError::UnknownDimension(v) => t("query.unknown_dimension", &[("value", v), ("names", super::dimension::NAMES)]),
            QueryError::Unmapped { text, key } => t("query.unmapped", &[("value", text), ("key", key)]),
            QueryError::NoField(v) => t("query.no_field", &[("value", v)]),
            QueryError::NoValue { dim, value } => t("query.no_value", &[("dim", dim), ("value", value)]),
            QueryError::Ambiguous { dim, value, n } => t("query.ambiguous", &[("dim", dim), ("value", value), ("n", &n.to_string())]),
            QueryError::NotADate { dim, value } => t("query.not_a_date", &[("dim", dim), ("value", value)]),
            QueryError::NotSummable(m) => t("query.not_summable", &[("value", m)]),
        }
    }
}

/// In English, for logs and `?`.
impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for QueryError {}
