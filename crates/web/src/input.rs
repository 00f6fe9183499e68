//! What PostgreSQL cannot store never reaches a handler. `text` refuses the
//! NUL character, and every string a client sends may end up in a `text`
//! column or a query parameter, where NUL made a 500 (and an alert an
//! anonymous caller could trigger). This middleware answers instead:
//! - a query parameter holding `%00` is a 422 naming the parameter;
//! - a path holding `%00` is a 400 `invalid_path`;
//! - a JSON body holding `\u0000` in any string or key is a 422 naming the
//!   field (`items[2].name`).
//!
//! It also reads a whole number written as a float (`15656.0`, `1e3`) as
//! the integer it is: JSON Schema's `integer` (the OpenAPI documents) admits
//! it, some clients send it (Python's `json` for a float), and serde would
//! refuse it for an integer field.
//!
//! Bodies without a `\u0000` escape or a digit followed by `.`, `e` or `E`
//! cost one scan each; the JSON is parsed here only when one is present.

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::extractors::JSON_LIMIT;

const NUL_MESSAGE: &str = "must not contain the NUL character (\\u0000)";

pub async fn refuse_unstorable(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Answered here as responses, not errors, so the middleware around
    // this one logs them and adds the request id like any other answer.
    if req.path().contains("%00") {
        let error = ApiError::new(
            ErrorCode::InvalidPath,
            "the path must not contain the NUL character (%00)",
        );
        return Ok(req.error_response(error));
    }
    if let Some(name) = nul_parameter(req.query_string()) {
        let error = ApiError::validation(&[(&name, NUL_MESSAGE.to_owned())]);
        return Ok(req.error_response(error));
    }
    if let Some(name) = long_parameter(req.query_string()) {
        let error = ApiError::validation(&[(
            &name,
            format!("must be at most {MAX_QUERY_VALUE_CHARS} characters"),
        )]);
        return Ok(req.error_response(error));
    }
    if is_json(req.headers()) {
        let body = match read_json_body(&mut req).await {
            Ok(body) => body,
            Err(error) => return Ok(req.error_response(error)),
        };
        if let Some(field) = nul_field(&body) {
            let error = ApiError::validation(&[(&field, NUL_MESSAGE.to_owned())]);
            return Ok(req.error_response(error));
        }
        let body = whole_numbers_as_integers(body);
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Whether the headers announce a JSON body.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

/// The whole body of a JSON request, refused beyond [`JSON_LIMIT`] without
/// reading further; the caller gives it back with `set_payload`.
pub(crate) async fn read_json_body(req: &mut ServiceRequest) -> Result<Bytes, actix_web::Error> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > JSON_LIMIT {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the JSON body is larger than {JSON_LIMIT} bytes"),
            )
            .into());
        }
    }
    Ok(body.freeze())
}

/// The longest a query parameter's value may be, in characters: the
/// gateway refuses a request line over 8 kB, and a few parameters this long
/// (percent-encoded, up to 12 bytes a character) stay under it, so a
/// request the documents call valid is never the gateway's 414.
pub const MAX_QUERY_VALUE_CHARS: usize = 256;

/// The first query parameter whose value decodes to more than
/// [`MAX_QUERY_VALUE_CHARS`] characters.
fn long_parameter(query: &str) -> Option<String> {
    if query.len() <= MAX_QUERY_VALUE_CHARS {
        return None;
    }
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decoded(value).chars().count() > MAX_QUERY_VALUE_CHARS).then(|| form_decoded(key))
    })
}

/// A query string's key or value as the extractor reads it: `+` is a
/// space, then percent-decoding (invalid UTF-8 replaced).
fn form_decoded(part: &str) -> String {
    percent_decode_str(&part.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The first query parameter whose name or value decodes to a NUL.
fn nul_parameter(query: &str) -> Option<String> {
    if !query.contains("%00") {
        return None;
    }
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !key.contains("%00") && !value.contains("%00") {
            return None;
        }
        let name = form_decoded(key).replace('\0', "");
        Some(if name.is_empty() {
            "query".to_owned()
        } else {
            name
        })
    })
}

/// Where a JSON body holds a NUL, as a path (`items[2].name`; `body` for
/// the top level); `None` when it holds none (or is not JSON: the
/// extractor says so).
fn nul_field(body: &[u8]) -> Option<String> {
    body.windows(6).position(|w| w == b"\\u0000")?;
    let value: Value = serde_json::from_slice(body).ok()?;
    let mut path = String::new();
    find_nul(&value, &mut path).then(|| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }
    })
}

/// The body with every float that holds a whole number (`2.0`, `1e3`)
/// rewritten as that integer; the same bytes when there is none (or the
/// body is not JSON: the extractor says so).
fn whole_numbers_as_integers(body: Bytes) -> Bytes {
    let maybe_float = body
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && matches!(w[1], b'.' | b'e' | b'E'));
    if !maybe_float {
        return body;
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    if !integralize(&mut value) {
        return body;
    }
    serde_json::to_vec(&value).map_or(body, Bytes::from)
}

/// Rewrites whole-number floats within the range of `i64` as integers;
/// whether it rewrote any.
fn integralize(value: &mut Value) -> bool {
    // i64::MAX as f64 rounds up to 2^63, which is out of range: `<` it.
    const BOUND: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && (-BOUND..BOUND).contains(&f) => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, v| integralize(v) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, v| integralize(v) | any),
        _ => false,
    }
}

fn find_nul(value: &Value, path: &mut String) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_nul(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(fields) => fields.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key.replace('\0', ""));
            let found = key.contains('\0') || find_nul(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_wherever_it_is_in_the_body() {
        assert_eq!(
            nul_field(br#"{"email":"a\u0000@example.com"}"#).as_deref(),
            Some("email")
        );
        assert_eq!(
            nul_field(br#"{"items":[{"name":"ok"},{"name":"b\u0000"}]}"#).as_deref(),
            Some("items[1].name")
        );
        assert_eq!(
            nul_field(br#"{"data":{"k\u0000ey":1}}"#).as_deref(),
            Some("data.key")
        );
        assert_eq!(nul_field(br#""\u0000""#).as_deref(), Some("body"));
    }

    #[test]
    fn an_escaped_backslash_or_other_escapes_are_not_a_nul() {
        assert_eq!(nul_field(br#"{"path":"C:\\u0000"}"#), None);
        assert_eq!(nul_field(br#"{"name":"caf\u00e9 \u0001"}"#), None);
        assert_eq!(nul_field(b"not json \\u0000"), None);
    }

    fn normalized(body: &str) -> String {
        String::from_utf8(whole_numbers_as_integers(Bytes::from(body.to_owned())).to_vec()).unwrap()
    }

    #[test]
    fn whole_numbers_written_as_floats_become_integers() {
        assert_eq!(
            normalized(r#"{"price_cents":15656.0,"stock":-3e2}"#),
            r#"{"price_cents":15656,"stock":-300}"#
        );
        assert_eq!(
            normalized(r#"{"items":[{"quantity":2.0}]}"#),
            r#"{"items":[{"quantity":2}]}"#
        );
    }

    #[test]
    fn other_bodies_keep_their_bytes() {
        // A fraction, a version string, a float beyond i64, not JSON.
        for body in [
            r#"{ "ratio": 0.5 }"#,
            r#"{ "version": "1.0.0" }"#,
            r#"{ "n": 1e30 }"#,
            "not json 1.0",
        ] {
            assert_eq!(normalized(body), body);
        }
    }

    #[test]
    fn an_overlong_query_value_names_its_parameter() {
        let long = "a".repeat(MAX_QUERY_VALUE_CHARS + 1);
        assert_eq!(
            long_parameter(&format!("page=1&category={long}")).as_deref(),
            Some("category")
        );
        // Counted in characters once decoded: 256 encoded é are 256.
        let encoded = "%C3%A9".repeat(MAX_QUERY_VALUE_CHARS);
        assert_eq!(long_parameter(&format!("q={encoded}")), None);
        assert_eq!(long_parameter("category=mugs"), None);
    }

    #[test]
    fn a_nul_in_a_query_parameter_names_it() {
        assert_eq!(nul_parameter("category=a%00b").as_deref(), Some("category"));
        assert_eq!(nul_parameter("page=1&q=x%00").as_deref(), Some("q"));
        assert_eq!(nul_parameter("a%00=1").as_deref(), Some("a"));
        assert_eq!(nul_parameter("%00").as_deref(), Some("query"));
        assert_eq!(nul_parameter("category=a%2500"), None);
        assert_eq!(nul_parameter("page=100"), None);
    }
}
