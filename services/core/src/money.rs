//! Amounts are integer cents everywhere inside; `/v2` shows them as a
//! decimal string with the currency, which no client can round wrongly.

use serde::Serialize;
use utoipa::ToSchema;

/// `{"amount": "12.50", "currency": "EUR"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Money {
    /// Decimal, two places, as a string.
    pub amount: String,
    /// ISO 4217.
    pub currency: String,
}

impl Money {
    pub fn from_cents(cents: i64, currency: &str) -> Self {
        let sign = if cents < 0 { "-" } else { "" };
        let cents = cents.unsigned_abs();
        Self {
            amount: format!("{sign}{}.{:02}", cents / 100, cents % 100),
            currency: currency.to_owned(),
        }
    }

    /// `€12.50`-style text for emails.
    pub fn display(cents: i64, currency: &str) -> String {
        let amount = Self::from_cents(cents, currency).amount;
        match currency {
            "EUR" => format!("€{amount}"),
            "USD" => format!("${amount}"),
            "GBP" => format!("£{amount}"),
            other => format!("{amount} {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn cents_become_two_decimal_amounts() {
        assert_eq!(Money::from_cents(1250, "EUR").amount, "12.50");
        assert_eq!(Money::from_cents(5, "EUR").amount, "0.05");
        assert_eq!(Money::from_cents(0, "EUR").amount, "0.00");
        assert_eq!(Money::from_cents(-199, "EUR").amount, "-1.99");
        assert_eq!(Money::display(1250, "EUR"), "€12.50");
    }
}
