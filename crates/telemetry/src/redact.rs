//! Redaction of what may be logged: JSON bodies (nested objects and arrays
//! included) and header values. A key is sensitive when its normalised name
//! (lowercase, without `_` and `-`) is in [`SENSITIVE_KEYS`] or ends in one
//! of [`SENSITIVE_SUFFIXES`]; any string that looks like a payment card
//! number (13-19 digits passing the Luhn check) or a JWT is redacted
//! whatever its key.

use serde_json::Value;

/// What replaces a redacted value.
pub const REDACTED: &str = "[REDACTED]";

/// Normalised key names whose values never reach a log.
const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "newpassword",
    "currentpassword",
    "oldpassword",
    "passwordconfirmation",
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "resettoken",
    "verificationtoken",
    "devicetoken",
    "otp",
    "code",
    "secret",
    "clientsecret",
    "authorization",
    "cookie",
    "setcookie",
    "apikey",
    "xapikey",
    "xservicetoken",
    "privatekey",
    "cardnumber",
    "pan",
    "cvv",
    "cvc",
    "pin",
    "iban",
    "ssn",
];

/// Suffixes that mark a key sensitive (`stripe_secret`, `sms_api_key`).
const SENSITIVE_SUFFIXES: &[&str] = &["password", "secret", "token", "apikey", "privatekey"];

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a field or header of this name is never logged in clear.
pub fn is_sensitive_key(key: &str) -> bool {
    let key = normalise(key);
    SENSITIVE_KEYS.contains(&key.as_str()) || SENSITIVE_SUFFIXES.iter().any(|s| key.ends_with(s))
}

/// Redacts `value` in place: sensitive keys at any depth, card numbers and
/// JWTs in any string.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if is_sensitive_key(key) && !field.is_null() && !is_error_code(key, field) {
                    *field = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::String(s) if looks_secret(s) => *s = REDACTED.to_owned(),
        _ => {}
    }
}

/// Our error bodies' `code` (`invalid_credentials`) is a word, never a
/// secret; an OTP or authorisation `code` always has digits or mixed case.
fn is_error_code(key: &str, value: &Value) -> bool {
    key == "code"
        && value.as_str().is_some_and(|s| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
}

/// A body as it may be logged: redacted JSON, or a note saying what it was.
pub fn loggable_body(bytes: &[u8], limit: usize) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if bytes.len() > limit {
        return Value::String(format!("[{} bytes, not logged]", bytes.len()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut value) => {
            redact_json(&mut value);
            value
        }
        Err(_) => Value::String(format!("[{} bytes of non-JSON, not logged]", bytes.len())),
    }
}

fn looks_secret(s: &str) -> bool {
    looks_like_card(s) || looks_like_jwt(s)
}

/// 13-19 digits (spaces and dashes allowed between) passing the Luhn check.
pub fn looks_like_card(s: &str) -> bool {
    if s.len() > 40
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
    {
        return false;
    }
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (1, doubled) if doubled > 9 => doubled - 9,
            (1, doubled) => doubled,
            _ => *d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Three base64url segments, the first a JSON header (`eyJ`).
fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ")
        && s.split('.').count() == 3
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sensitive_keys_are_redacted_at_any_depth() {
        let mut body = json!({
            "email": "ada@example.com",
            "password": "hunter2hunter2",
            "session": {"refresh_token": "abc", "accessToken": "def", "expires_in": 900},
            "steps": [{"otp": "123456"}, {"Code": "654321"}],
            "sms_api_key": "k",
            "note": null,
            "error": {"code": "invalid_credentials"},
        });
        redact_json(&mut body);
        assert_eq!(body["email"], "ada@example.com");
        assert_eq!(body["password"], REDACTED);
        assert_eq!(body["session"]["refresh_token"], REDACTED);
        assert_eq!(body["session"]["accessToken"], REDACTED);
        assert_eq!(body["session"]["expires_in"], 900);
        assert_eq!(body["steps"][0]["otp"], REDACTED);
        assert_eq!(body["steps"][1]["Code"], REDACTED);
        assert_eq!(body["sms_api_key"], REDACTED);
        assert!(body["note"].is_null());
        assert_eq!(body["error"]["code"], "invalid_credentials");
    }

    #[test]
    fn card_numbers_and_jwts_are_redacted_under_any_key() {
        let mut body = json!({
            "memo": "4111 1111 1111 1111",
            "other": "4111-1111-1111-1111",
            "phone": "+15555550100",
            "order_number": "1234567890123",
            "bearer": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        });
        redact_json(&mut body);
        assert_eq!(body["memo"], REDACTED);
        assert_eq!(body["other"], REDACTED);
        assert_eq!(body["phone"], "+15555550100");
        // 13 digits failing the Luhn check stay.
        assert_eq!(body["order_number"], "1234567890123");
        assert_eq!(body["bearer"], REDACTED);
    }

    #[test]
    fn bodies_that_are_not_json_or_too_large_are_described_not_logged() {
        assert_eq!(
            loggable_body(b"password=x", 1024),
            json!("[10 bytes of non-JSON, not logged]")
        );
        assert_eq!(
            loggable_body(br#"{"a":1}"#, 3),
            json!("[7 bytes, not logged]")
        );
        assert_eq!(loggable_body(b"", 10), Value::Null);
    }
}
