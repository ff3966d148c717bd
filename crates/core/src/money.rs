//! Exact money: integer minor units (kopecks, cents) in storage and sums.
//! Decimal is used only at the edges, to parse and to show.
//! Arithmetic saturates at the ends of i64 (±92 233 720 368 547 758 ₽): one
//! absurd value in the CRM must not wrap a total into a negative one or panic.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount in the workspace's single currency, in minor units (1 ₽ = 100).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

/// The name JSON gives an amount's unit: the currency's hundredth ("kopecks"
/// for roubles, "cents" for dollars and euros), "minor_units" when unnamed here.
pub fn minor_unit(currency: &str) -> &'static str {
    match currency.to_ascii_uppercase().as_str() {
        "RUB" | "BYN" => "kopecks",
        "UAH" => "kopiykas",
        "KZT" => "tiyns",
        "GBP" => "pence",
        "CNY" => "fen",
        "USD" | "EUR" | "CAD" | "AUD" | "NZD" | "CHF" | "HKD" | "SGD" | "AED" => "cents",
        _ => "minor_units",
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    /// Whole currency units (roubles), for generated and hand-written data.
    pub const fn from_major(major: i64) -> Self {
        Money(major.saturating_mul(100))
    }

    pub const fn minor(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The exact decimal value in major units (12345 -> 123.45).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Rounds half away from zero to kopecks; `None` if it does not fit in i64
    /// (Decimal's own multiplication panics past 7.9·10²⁸, so it is checked).
    pub fn from_decimal(value: Decimal) -> Option<Self> {
        let minor = value
            .checked_mul(Decimal::ONE_HUNDRED)?
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(minor).ok().map(Money)
    }

    pub const fn checked_add(self, rhs: Money) -> Option<Money> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Money(v)),
            None => None,
        }
    }

    /// Parses "1234.5", "1 234,50", "-12" (spaces, NBSPs and a comma decimal separator allowed).
    pub fn parse(text: &str) -> Option<Self> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '_'))
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        if cleaned.is_empty() {
            return None;
        }
        cleaned.parse::<Decimal>().ok().and_then(Money::from_decimal)
    }

    /// This amount times a rate given in basis points (1% = 100 bp), rounded half away from zero.
    pub fn apply_rate_bp(self, basis_points: i64) -> Money {
        let product = self.0 as i128 * basis_points as i128;
        let rounded = if product >= 0 {
            (product + 5_000) / 10_000
        } else {
            (product - 5_000) / 10_000
        };
        Money(saturate(rounded))
    }
}

/// Digits with the signs, separators and exponent a number is written with: a
/// number, however large, that [`Money::parse`] may still refuse as too large
/// (so the message can say "too large" rather than "not an amount").
pub fn looks_numeric(text: &str) -> bool {
    let text = text.trim();
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ',' | 'e' | 'E' | ' ' | '_' | '\u{a0}' | '\u{202f}'))
}

/// An i128 intermediate clamped into i64.
pub fn saturate(value: i128) -> i64 {
    value.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// The saturating sum of amounts in minor units (or counts): what every total
/// a report shows is made with, so no total wraps.
pub fn sum_minor(values: impl IntoIterator<Item = i64>) -> i64 {
    values.into_iter().fold(0i64, i64::saturating_add)
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(sum_minor(iter.map(|m| m.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_spellings() {
        assert_eq!(Money::parse("1 234,50"), Some(Money(123_450)));
        assert_eq!(Money::parse("1\u{a0}234.5"), Some(Money(123_450)));
        assert_eq!(Money::parse("-12"), Some(Money(-1_200)));
        assert_eq!(Money::parse("0.005"), Some(Money(1)));
        assert_eq!(Money::parse("abc"), None);
        assert_eq!(Money::parse(""), None);
    }

    #[test]
    fn sums_are_exact_where_floats_are_not() {
        let total: Money = std::iter::repeat_n(Money::parse("0.1").unwrap(), 10).sum();
        assert_eq!(total, Money::from_major(1));
    }

    #[test]
    fn rate_rounds_half_away_from_zero() {
        assert_eq!(Money(333).apply_rate_bp(1_500), Money(50)); // 49.95 -> 50
        assert_eq!(Money(-333).apply_rate_bp(1_500), Money(-50));
        assert_eq!(Money::from_major(1_000).apply_rate_bp(2_500), Money::from_major(250));
    }

    #[test]
    fn amounts_too_large_are_none_never_a_panic() {
        let big = Decimal::from_i128_with_scale(10i128.pow(27), 0);
        assert_eq!(Money::from_decimal(big), None);
        assert_eq!(Money::from_decimal(Decimal::MAX), None);
        assert_eq!(Money::from_decimal(Decimal::MIN), None);
        assert_eq!(Money::parse("1000000000000000000000000000"), None);
        assert_eq!(Money::parse("92233720368547758.07"), Some(Money(i64::MAX)));
        assert_eq!(Money::parse("92233720368547758.08"), None);
        assert!(looks_numeric("1 000 000 000 000 000 000 000,5") && looks_numeric("1e30") && looks_numeric("-7"));
        assert!(!looks_numeric("много") && !looks_numeric("") && !looks_numeric("e"));
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let max = Money(i64::MAX);
        assert_eq!(max + Money(1), max);
        assert_eq!([max, max, Money(-5)].into_iter().sum::<Money>(), Money(i64::MAX - 5));
        assert_eq!(Money(i64::MIN) - Money(1), Money(i64::MIN));
        assert_eq!(-Money(i64::MIN), max);
        assert_eq!(max.apply_rate_bp(20_000), max);
        assert_eq!(max.checked_add(Money(1)), None);
        assert_eq!(sum_minor([i64::MAX, 1, 2]), i64::MAX);
    }

    #[test]
    fn decimal_round_trip() {
        let m = Money(-987_654_321);
        assert_eq!(Money::from_decimal(m.to_decimal()), Some(m));
    }
}
