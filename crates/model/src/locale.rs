//! Language tags (BCP 47, the `pt-BR` kind): the one spelling every
//! service stores, the fallback chain templates are looked up by, and the
//! order an `Accept-Language` header asks for.

/// The most a tag may be (RFC 5646 recommends supporting 35 characters).
pub const MAX_LEN: usize = 35;

/// What [`normalize`] accepts (with at most [`MAX_LEN`] characters), for
/// API documents.
pub const PATTERN: &str = "^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$";

/// `tag` in its usual case (`pt-br` -> `pt-BR`, `zh-hant-tw` ->
/// `zh-Hant-TW`), or `None` when it is not a language tag: a 2-3 letter
/// language, then subtags of 1-8 letters or digits.
pub fn normalize(tag: &str) -> Option<String> {
    if tag.is_empty() || tag.len() > MAX_LEN {
        return None;
    }
    let mut parts = tag.split(['-', '_']);
    let language = parts.next()?;
    if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = language.to_ascii_lowercase();
    for part in parts {
        if part.is_empty() || part.len() > 8 || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        match part.len() {
            2 if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                out.push_str(&part.to_ascii_uppercase())
            }
            4 if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                out.push_str(&part[..1].to_ascii_uppercase());
                out.push_str(&part[1..].to_ascii_lowercase());
            }
            _ => out.push_str(&part.to_ascii_lowercase()),
        }
    }
    Some(out)
}

/// [`normalize`]d `raw`, or why it is refused (for an API's field error).
pub fn parse(raw: &str) -> Result<String, String> {
    normalize(raw).ok_or_else(|| "must be a language tag such as `pt` or `pt-BR`".into())
}

/// `tag` and each shorter prefix: `pt-BR` -> `pt-BR`, `pt`.
pub fn fallbacks(tag: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(tag);
    std::iter::from_fn(move || {
        let current = rest?;
        rest = current.rfind('-').map(|i| &current[..i]);
        Some(current)
    })
}

/// The languages an `Accept-Language` header names, most wanted first
/// (`q=0` and malformed entries left out; `*` is no language).
pub fn accept_language(header: &str) -> Vec<String> {
    let mut wanted: Vec<(String, f32, usize)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, entry)| {
            let mut fields = entry.split(';');
            let tag = normalize(fields.next()?.trim())?;
            let mut q = 1.0;
            for field in fields {
                if let Some(value) = field.trim().strip_prefix("q=") {
                    q = value.trim().parse::<f32>().ok()?;
                }
            }
            (q > 0.0 && q <= 1.0).then_some((tag, q, i))
        })
        .collect();
    wanted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    wanted.into_iter().map(|(tag, ..)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalized_or_refused() {
        assert_eq!(normalize("pt-br").as_deref(), Some("pt-BR"));
        assert_eq!(normalize("zh_hant_TW").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalize("EN").as_deref(), Some("en"));
        assert_eq!(normalize("es-419").as_deref(), Some("es-419"));
        for bad in [
            "",
            "p",
            "portuguese",
            "pt-",
            "pt--BR",
            "pt-BR!",
            "<b>",
            "1a",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
        assert_eq!(normalize(&format!("en-{}", "a".repeat(40))), None);
    }

    #[test]
    fn fallbacks_shorten_the_tag() {
        assert_eq!(fallbacks("pt-BR").collect::<Vec<_>>(), ["pt-BR", "pt"]);
        assert_eq!(
            fallbacks("zh-Hant-TW").collect::<Vec<_>>(),
            ["zh-Hant-TW", "zh-Hant", "zh"]
        );
        assert_eq!(fallbacks("en").collect::<Vec<_>>(), ["en"]);
    }

    #[test]
    fn accept_language_orders_by_weight() {
        assert_eq!(
            accept_language("de;q=0.5, pt-br, *;q=0.1, en;q=0.8, fr;q=0, xx-;q=1"),
            ["pt-BR", "en", "de"]
        );
        assert!(accept_language("").is_empty());
    }
}
