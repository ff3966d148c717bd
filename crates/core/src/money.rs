//! Exact money: integer minor units (kopecks, cents) in storage and sums.
//! Decimal is used only at the edges, to parse and to show.

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
        Money(major * 100)
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

    /// Rounds half away from zero to kopecks; `None` if it does not fit in i64.
    pub fn from_decimal(value: Decimal) -> Option<Self> {
        let minor = (value * Decimal::ONE_HUNDRED).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(minor).ok().map(Money)
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
        Money(rounded as i64)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
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
    fn decimal_round_trip() {
        let m = Money(-987_654_321);
        assert_eq!(Money::from_decimal(m.to_decimal()), Some(m));
    }
}
