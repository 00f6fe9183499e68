//! Values parsed at the edge: past `parse`, the type proves validity.
//! Problems are collected per field, so a 422 lists all of them at once.

use std::collections::HashSet;
use std::sync::LazyLock;

/// `(field, problem)` pairs for a 422.
pub type FieldErrors = Vec<(&'static str, String)>;

/// A lower-cased email address of a plausible shape (one `@`, a dotted
/// domain, no spaces, RFC 5321 lengths). Whether it exists is for the
/// verification email to find out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Spaces, tabs and line ends around a value are dropped (keyboards add them).
fn trim_blanks(raw: &str) -> &str {
    raw.trim_matches([' ', '\t', '\r', '\n'])
}

/// What [`Email::parse`] accepts, for the OpenAPI documents (at most 254
/// characters in all). Domains are ASCII: an IDN is sent in its `xn--` form.
pub const EMAIL_PATTERN: &str = concat!(
    "^[ \\t\\r\\n]*",
    "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-](?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{0,62}[A-Za-z0-9!#$%&'*+/=?^_`{|}~-])?",
    "@",
    "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
    "[ \\t\\r\\n]*$",
);
pub const EMAIL_MAX_LENGTH: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > EMAIL_MAX_LENGTH {
            return Err("is not an email address".into());
        }
        let email = trim_blanks(raw);
        let Some((local, domain)) = email.split_once('@') else {
            return Err("is not an email address".into());
        };
        let valid_local = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let valid_domain = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid_local || !valid_domain {
            return Err("is not an email address".into());
        }
        Ok(Self(email.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

pub const PASSWORD_MIN_LENGTH: usize = 8;
pub const PASSWORD_MAX_LENGTH: usize = 128;

/// A password good enough to hash: 8 to 128 characters and not on the
/// common-passwords list. Its `Debug` never shows it.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let length = raw.chars().count();
        if length < PASSWORD_MIN_LENGTH {
            problems.push("must be at least 8 characters".to_owned());
        }
        if length > PASSWORD_MAX_LENGTH {
            problems.push("must be at most 128 characters".to_owned());
        }
        if COMMON_PASSWORDS.contains(raw.to_lowercase().as_str()) {
            problems.push("is too common; choose another".to_owned());
        }
        if problems.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(problems)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// What [`Phone::parse`] accepts, for the OpenAPI documents.
pub const PHONE_PATTERN: &str = "^[ .()-]*\\+[ .()-]*[1-9](?:[ .()-]*[0-9]){6,14}[ .()-]*$";

/// A phone number in E.164 (`+` then 7 to 15 digits); spaces, dashes, dots
/// and brackets are dropped first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        let valid = (7..=15).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.chars().all(|c| c.is_ascii_digit());
        if valid {
            Ok(Self(compact))
        } else {
            Err("must be in international format, e.g. +4915112345678".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// What [`parse_name`] accepts, for the OpenAPI documents.
pub const NAME_PATTERN: &str = concat!(
    "^ *[^ \\u0000-\\u001F\\u007F-\\u009F]",
    "(?:[^\\u0000-\\u001F\\u007F-\\u009F]{0,98}[^ \\u0000-\\u001F\\u007F-\\u009F])? *$",
);

/// A display name: without surrounding spaces, 1 to 100 characters, no
/// control characters.
pub fn parse_name(raw: &str) -> Result<String, String> {
    let name = raw.trim_matches(' ');
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_owned())
}

pub fn locale_or_null_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(serde_json::json!({
        "type": ["string", "null"],
        "pattern": dayone_model::locale::PATTERN,
        "maxLength": dayone_model::locale::MAX_LEN,
    }))
}

/// The OpenAPI schema of a string field, `null` too if `nullable`.
pub fn string_schema(
    pattern: &str,
    nullable: bool,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let kind = if nullable {
        serde_json::json!(["string", "null"])
    } else {
        serde_json::json!("string")
    };
    dayone_web::openapi::schema(serde_json::json!({"type": kind, "pattern": pattern}))
}

pub fn email_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(serde_json::json!({
        "type": "string",
        "pattern": EMAIL_PATTERN,
        "maxLength": EMAIL_MAX_LENGTH,
    }))
}

pub fn password_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(serde_json::json!({
        "type": "string",
        "minLength": PASSWORD_MIN_LENGTH,
        "maxLength": PASSWORD_MAX_LENGTH,
        "description": "8 to 128 characters, not a common password",
    }))
}

pub fn phone_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    string_schema(PHONE_PATTERN, false)
}

pub fn phone_or_null_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    string_schema(PHONE_PATTERN, true)
}

pub fn name_or_null_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    string_schema(NAME_PATTERN, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented patterns accept exactly what the parsers accept.
    #[test]
    fn the_documented_patterns_agree_with_the_parsers() {
        let email = regex::Regex::new(EMAIL_PATTERN).unwrap();
        for sample in [
            " Ada@Example.COM ",
            "o'brien+tag@mail.example.ie",
            "a.b..c@x-y.example",
            "ada@example",
            ".ada@example.com",
            "ada.@example.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@b\u{fc}cher.de",
            "ada@xn--bcher-kva.de",
            "a da@example.com",
            "\u{212a}@example.com",
            "\u{feff}ada@example.com",
            &format!("{}@example.com", "a".repeat(64)),
            &format!("{}@example.com", "a".repeat(65)),
            &format!("ada@{}.com", "b".repeat(63)),
            &format!("ada@{}.com", "b".repeat(64)),
        ] {
            assert_eq!(
                email.is_match(sample),
                Email::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
        let phone = regex::Regex::new(PHONE_PATTERN).unwrap();
        for sample in [
            "+49 151 1234-5678",
            "(+49) 151.123.456",
            "015112345678",
            "+0151123456",
            "+123456",
            "+1234567",
            "+123456789012345",
            "+1234567890123456",
            "+49abc12345",
            "+ 4 9 1 5 1 1 2",
            "++4915112345",
        ] {
            assert_eq!(
                phone.is_match(sample),
                Phone::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
        let locale = regex::Regex::new(dayone_model::locale::PATTERN).unwrap();
        for sample in [
            "pt-BR",
            "zh_hant_TW",
            "es-419",
            " pt",
            "pt-",
            "pt-BR!",
            "p",
            "abcd",
        ] {
            assert_eq!(
                locale.is_match(sample),
                dayone_model::locale::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
        let name = regex::Regex::new(NAME_PATTERN).unwrap();
        for sample in [
            "  Ada Lovelace ",
            "   ",
            "",
            "Ada\u{0007}",
            "Ada\u{0085}",
            "\u{3000}Ada",
            "\tAda",
            &"a".repeat(100),
            &"a".repeat(101),
            &format!(" {} ", "\u{e9}".repeat(100)),
        ] {
            assert_eq!(
                name.is_match(sample),
                parse_name(sample).is_ok(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("o'brien+tag@mail.example.ie").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@@example.com",
            ".ada@example.com",
            "ada@-example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn passwords_must_be_long_and_uncommon() {
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            Password::parse("short").unwrap_err(),
            ["must be at least 8 characters"]
        );
        assert_eq!(
            Password::parse("Password1").unwrap_err(),
            ["is too common; choose another"]
        );
        assert_eq!(
            Password::parse("qwertyuiop").unwrap_err(),
            ["is too common; choose another"]
        );
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse battery").unwrap()),
            "Password([REDACTED])"
        );
    }

    #[test]
    fn phones_are_normalised_to_e164() {
        assert_eq!(
            Phone::parse("+49 151 1234-5678").unwrap().as_str(),
            "+4915112345678"
        );
        for bad in [
            "015112345678",
            "+0151123456",
            "+12",
            "+1234567890123456",
            "+49abc12345",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"a".repeat(101)).is_err());
        assert!(parse_name("Ada\u{0007}").is_err());
    }
}
