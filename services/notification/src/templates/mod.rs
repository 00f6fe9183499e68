//! The wording of every message, managed at run time.
//!
//! A template is a key with a category (transactional or promotional: fixed
//! for its life, as the SMS sender is chosen by it) and immutable versions.
//! A version declares its variables and holds, per locale and channel, the
//! parts (`email`: subject, text, html; `sms`: text; `push`: title, body)
//! as minijinja sources. Publishing points the key at a version; a
//! notification keeps the version it was accepted with, so a later publish
//! never changes a message already queued.
//!
//! - [`Draft`]: what an admin writes; [`Compiled::compile`] checks it
//!   (every part parses, uses only declared variables) with problems that
//!   name the locale, channel, part and line.
//! - [`Compiled`]: a version ready to render: HTML parts are auto-escaped,
//!   rendering is sandboxed (no file system, no I/O: minijinja has none).
//! - `store.rs`: the rows, the cache of compiled versions, publish and
//!   roll back; `builtin.rs`: the seeded templates the typed jobs of
//!   `dayone_model` use, and the variables each job carries.

pub mod builtin;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};

use dayone_model::locale;
use dayone_model::messages::notifications::{Category, Channel};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub use store::Templates;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A rendered push notification or inbox item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedPush {
    pub title: String,
    pub body: String,
}

/// One variable a template version takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// An identifier: a letter or `_`, then letters, digits or `_`.
    pub name: String,
    /// A job without it is refused (default `true`).
    #[serde(default = "yes")]
    pub required: bool,
    /// What previews use when they are given no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub sample: Option<Value>,
}

fn yes() -> bool {
    true
}

/// Part name -> minijinja source.
pub type Parts = BTreeMap<String, String>;

/// A template version as an admin writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The locale used when the recipient's is not written (`en`).
    pub default_locale: String,
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// `{locale: {channel: {part: source}}}`: `email` has `subject`, `text`
    /// and `html`, `sms` has `text`, `push` and `in_app` have `title` and
    /// `body`. The
    /// default locale names every channel the template is sent on; others
    /// may leave some out (they fall back).
    #[schema(value_type = Object)]
    pub content: BTreeMap<String, BTreeMap<String, Parts>>,
}

/// The parts each channel has.
pub fn parts_of(channel: Channel) -> &'static [&'static str] {
    match channel {
        Channel::Email => &["subject", "text", "html"],
        Channel::Sms => &["text"],
        Channel::Push | Channel::InApp => &["title", "body"],
    }
}

fn channel_named(name: &str) -> Option<Channel> {
    Channel::ALL.into_iter().find(|c| c.as_str() == name)
}

/// Variables every template may use without declaring them.
/// `items` and `count` are a digest's events (one, `[variables]`, when the
/// message is no digest), so a template with a digest window reads the
/// same either way.
pub const IMPLICIT: &[&str] = &[
    "name",
    "unsubscribe_url",
    "subject",
    "locale",
    "items",
    "count",
];

/// Names minijinja itself provides.
const GLOBALS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "loop",
    "self",
    "super",
];

/// The most one part's source may be.
pub const MAX_PART: usize = 64 * 1024;
/// The most variables one version may declare.
pub const MAX_VARIABLES: usize = 100;

/// A problem with a draft or a job's variables: where, and what.
pub type Problem = (String, String);

/// A version ready to render.
#[derive(Debug)]
pub struct Compiled {
    pub category: Category,
    default_locale: String,
    variables: Vec<Variable>,
    /// Locale -> the channels it writes.
    channels: BTreeMap<String, BTreeSet<Channel>>,
    env: Environment<'static>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // minijinja's HTML escaping also turns `/` into `&#x2f;`, which is
    // valid but mangles links in some mail clients' link rewriting; the
    // five characters HTML needs escaped are enough.
    env.set_formatter(
        |out, state, value| match (state.auto_escape(), value.as_str()) {
            (AutoEscape::Html, Some(text)) if !value.is_safe() => {
                out.write_str(&escape_html(text)).map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
                })
            }
            _ => minijinja::escape_formatter(out, state, value),
        },
    );
    env.add_template(
        "layout.html",
        include_str!("../../templates/email/layout.html"),
    )
    .unwrap_or_else(|e| unreachable!("the shipped layout parses: {e}"));
    env
}

/// Where a minijinja error is, in words.
fn explain(e: &minijinja::Error) -> String {
    let what = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_owned);
    match e.line() {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

/// What [`is_key`] accepts, in words.
pub const KEY_RULE: &str =
    "lower-case letters, digits, `_`, `.` and `-`, starting with a letter; at most 64";

/// A template key or topic: lower-case letters, digits, `_`, `.` and `-`,
/// starting with a letter; at most 64.
pub fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
        && key.len() <= 64
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

impl Compiled {
    /// Checks `draft` and compiles every part: all problems at once.
    pub fn compile(category: Category, draft: &Draft) -> Result<Self, Vec<Problem>> {
        let mut problems: Vec<Problem> = Vec::new();
        let mut problem = |field: String, message: String| problems.push((field, message));

        let mut declared = BTreeSet::new();
        if draft.variables.len() > MAX_VARIABLES {
            problem(
                "variables".into(),
                format!("at most {MAX_VARIABLES} variables"),
            );
        }
        for (i, v) in draft.variables.iter().enumerate() {
            let field = format!("variables[{i}].name");
            if !is_identifier(&v.name) {
                problem(field, "must be an identifier: a letter or `_`, then letters, digits or `_` (at most 64)".into());
            } else if IMPLICIT.contains(&v.name.as_str()) {
                problem(
                    field,
                    format!("`{}` is given to every template; pick another name", v.name),
                );
            } else if !declared.insert(v.name.as_str()) {
                problem(field, format!("`{}` is declared twice", v.name));
            }
        }

        if !draft.content.contains_key(&draft.default_locale) {
            problem(
                "default_locale".into(),
                format!("`{}` has no content", draft.default_locale),
            );
        }
        let default_channels: BTreeSet<&str> = draft
            .content
            .get(&draft.default_locale)
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if draft
            .content
            .get(&draft.default_locale)
            .is_some_and(BTreeMap::is_empty)
        {
            problem(
                format!("content.{}", draft.default_locale),
                "names no channel: write email, sms, push or in_app".into(),
            );
        }

        let mut env = environment();
        let mut channels = BTreeMap::new();
        for (tag, by_channel) in &draft.content {
            let at = format!("content.{tag}");
            if locale::normalize(tag).as_deref() != Some(tag.as_str()) {
                match locale::normalize(tag) {
                    Some(usual) => problem(at.clone(), format!("write the locale as `{usual}`")),
                    None => problem(
                        at.clone(),
                        "is not a language tag such as `pt` or `pt-BR`".into(),
                    ),
                }
                continue;
            }
            let mut written = BTreeSet::new();
            for (name, parts) in by_channel {
                let at = format!("{at}.{name}");
                let Some(channel) = channel_named(name) else {
                    problem(at, "is not a channel: email, sms, push or in_app".into());
                    continue;
                };
                if !default_channels.contains(name.as_str()) {
                    problem(
                        at.clone(),
                        format!(
                            "the default locale `{}` has no {name}: it is what every locale falls back to",
                            draft.default_locale
                        ),
                    );
                }
                let wanted = parts_of(channel);
                for part in parts.keys().filter(|p| !wanted.contains(&p.as_str())) {
                    problem(
                        format!("{at}.{part}"),
                        format!("is not a part of {name}: {}", wanted.join(", ")),
                    );
                }
                for part in wanted {
                    let at = format!("{at}.{part}");
                    let Some(source) = parts.get(*part) else {
                        problem(at, "is missing".into());
                        continue;
                    };
                    if source.len() > MAX_PART {
                        problem(at, format!("is longer than {MAX_PART} bytes"));
                        continue;
                    }
                    let name = part_name(tag, channel, part);
                    if let Err(e) = env.add_template_owned(name.clone(), source.clone()) {
                        problem(at, explain(&e));
                        continue;
                    }
                    let Ok(template) = env.get_template(&name) else {
                        continue;
                    };
                    let mut unknown: Vec<String> = template
                        .undeclared_variables(false)
                        .into_iter()
                        .filter(|v| {
                            !declared.contains(v.as_str())
                                && !IMPLICIT.contains(&v.as_str())
                                && !GLOBALS.contains(&v.as_str())
                        })
                        .collect();
                    unknown.sort();
                    for variable in unknown {
                        problem(
                            at.clone(),
                            format!(
                                "{}uses `{variable}`, which is not a declared variable",
                                line_of(source, &variable)
                            ),
                        );
                    }
                }
                written.insert(channel);
            }
            channels.insert(tag.clone(), written);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            category,
            default_locale: draft.default_locale.clone(),
            variables: draft.variables.clone(),
            channels,
            env,
        })
    }

    /// Whether the template can be sent on `channel`.
    pub fn has(&self, channel: Channel) -> bool {
        self.channels
            .get(&self.default_locale)
            .is_some_and(|c| c.contains(&channel))
    }

    pub fn default_locale(&self) -> &str {
        &self.default_locale
    }

    /// The locale `channel` is written in for someone who reads `wanted`:
    /// `pt-BR`, then `pt`, then the default.
    pub fn locale_for(&self, channel: Channel, wanted: Option<&str>) -> &str {
        wanted
            .into_iter()
            .flat_map(locale::fallbacks)
            .find_map(|tag| {
                self.channels
                    .get_key_value(tag)
                    .filter(|(_, c)| c.contains(&channel))
                    .map(|(k, _)| k.as_str())
            })
            .unwrap_or(&self.default_locale)
    }

    /// The first of `accepted` (an `Accept-Language`, most wanted first)
    /// the template writes `channel` in, through each one's fallbacks.
    pub fn best_locale(&self, channel: Channel, accepted: &[String]) -> Option<String> {
        accepted.iter().find_map(|tag| {
            locale::fallbacks(tag)
                .find(|f| self.channels.get(*f).is_some_and(|c| c.contains(&channel)))
                .map(str::to_owned)
        })
    }

    /// Checks a job's variables: every one declared, every required one
    /// given.
    pub fn check(&self, variables: &Map<String, Value>) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let mut unknown: Vec<&String> = variables
            .keys()
            .filter(|k| !self.variables.iter().any(|v| &v.name == *k))
            .collect();
        unknown.sort();
        for name in unknown {
            problems.push((
                format!("variables.{name}"),
                "is not a variable of this template".into(),
            ));
        }
        for v in self.variables.iter().filter(|v| v.required) {
            if variables.get(&v.name).is_none_or(Value::is_null) {
                problems.push((format!("variables.{}", v.name), "is required".into()));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// [`Self::check`] for each event of a digest.
    pub fn check_each(&self, events: &[Map<String, Value>]) -> Result<(), Vec<Problem>> {
        let problems: Vec<Problem> = events
            .iter()
            .enumerate()
            .flat_map(|(i, event)| {
                self.check(event)
                    .err()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |(field, message)| (format!("digest[{i}].{field}"), message))
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// `given` over the declared samples, for previews.
    pub fn with_samples(&self, given: &Map<String, Value>) -> Map<String, Value> {
        let mut values: Map<String, Value> = self
            .variables
            .iter()
            .map(|v| (v.name.clone(), v.sample.clone().unwrap_or(Value::Null)))
            .collect();
        values.extend(given.clone());
        values
    }

    /// The context of one render: the job's variables (optional ones left
    /// out are `null`, so `{% if %}` works), and the implicit ones.
    fn context(
        &self,
        variables: &Map<String, Value>,
        locale: &str,
        extra: &[(&str, Option<&str>)],
    ) -> Map<String, Value> {
        let mut context: Map<String, Value> = self
            .variables
            .iter()
            .map(|v| (v.name.clone(), Value::Null))
            .collect();
        context.extend(variables.clone());
        if !context.contains_key("items") {
            // No digest: the message is its own one event.
            context.insert(
                "items".into(),
                Value::Array(vec![Value::Object(variables.clone())]),
            );
            context.insert("count".into(), Value::from(1));
        }
        context.insert("locale".into(), Value::String(locale.to_owned()));
        for (name, value) in extra {
            context.insert(
                (*name).into(),
                value.map_or(Value::Null, |v| Value::String(v.into())),
            );
        }
        context
    }

    fn render(
        &self,
        locale: &str,
        channel: Channel,
        part: &str,
        context: &Map<String, Value>,
    ) -> Result<String, RenderError> {
        let name = part_name(locale, channel, part);
        self.env
            .get_template(&name)
            .and_then(|t| t.render(minijinja::value::Serde(context)))
            .map_err(|e| RenderError(format!("{name}: {}", explain(&e))))
    }

    /// The email for someone called `name` reading `wanted`; promotional
    /// emails get an `unsubscribe_url`.
    pub fn email(
        &self,
        wanted: Option<&str>,
        variables: &Map<String, Value>,
        name: Option<&str>,
        unsubscribe_url: Option<&str>,
    ) -> Result<RenderedEmail, RenderError> {
        let locale = self.locale_for(Channel::Email, wanted);
        let mut context = self.context(
            variables,
            locale,
            &[("name", name), ("unsubscribe_url", unsubscribe_url)],
        );
        let subject = self
            .render(locale, Channel::Email, "subject", &context)?
            .trim()
            .to_owned();
        context.insert("subject".into(), Value::String(subject.clone()));
        Ok(RenderedEmail {
            text: self.render(locale, Channel::Email, "text", &context)?,
            html: self.render(locale, Channel::Email, "html", &context)?,
            subject,
        })
    }

    /// The text of an SMS for someone reading `wanted`.
    pub fn sms(
        &self,
        wanted: Option<&str>,
        variables: &Map<String, Value>,
        name: Option<&str>,
    ) -> Result<String, RenderError> {
        let locale = self.locale_for(Channel::Sms, wanted);
        let context = self.context(variables, locale, &[("name", name)]);
        Ok(self
            .render(locale, Channel::Sms, "text", &context)?
            .trim()
            .to_owned())
    }

    /// A push notification (`channel` push) or an inbox item (`in_app`)
    /// for someone reading `wanted`.
    pub fn titled(
        &self,
        channel: Channel,
        wanted: Option<&str>,
        variables: &Map<String, Value>,
        name: Option<&str>,
    ) -> Result<RenderedPush, RenderError> {
        let locale = self.locale_for(channel, wanted);
        let context = self.context(variables, locale, &[("name", name)]);
        let part = |part| {
            self.render(locale, channel, part, &context)
                .map(|text| text.trim().to_owned())
        };
        Ok(RenderedPush {
            title: part("title")?,
            body: part("body")?,
        })
    }
}

/// A version that does not render with these values (a job's variable of
/// the wrong shape): the job cannot succeed.
#[derive(Debug, thiserror::Error)]
#[error("the template does not render: {0}")]
pub struct RenderError(pub String);

fn part_name(locale: &str, channel: Channel, part: &str) -> String {
    format!("{locale}/{}.{part}", channel.as_str())
}

/// `"line N: "` of the first line of `source` naming `variable`, if found.
fn line_of(source: &str, variable: &str) -> String {
    source
        .lines()
        .position(|line| {
            line.match_indices(variable).any(|(i, _)| {
                let before = line[..i].chars().next_back();
                let after = line[i + variable.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        })
        .map(|i| format!("line {}: ", i + 1))
        .unwrap_or_default()
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn draft(content: Value) -> Draft {
        serde_json::from_value(json!({
            "default_locale": "en",
            "variables": [{"name": "item", "sample": "Cup"}, {"name": "note", "required": false}],
            "content": content,
        }))
        .unwrap()
    }

    fn email(subject: &str) -> Value {
        json!({"subject": subject, "text": "{{ item }}{% if note %} ({{ note }}){% endif %}", "html": "<p>{{ item }}</p>"})
    }

    #[test]
    fn locales_fall_back_from_region_to_language_to_default() {
        let compiled = Compiled::compile(
            Category::Transactional,
            &draft(json!({
                "en": {"email": email("Hello"), "sms": {"text": "{{ item }}"}},
                "pt": {"email": email("Olá")},
            })),
        )
        .unwrap();
        let vars = Map::from_iter([("item".into(), json!("Cup"))]);
        let subject = |wanted| compiled.email(wanted, &vars, None, None).unwrap().subject;
        assert_eq!(subject(Some("pt-BR")), "Olá");
        assert_eq!(subject(Some("pt")), "Olá");
        assert_eq!(subject(Some("de")), "Hello");
        assert_eq!(subject(None), "Hello");
        // Portuguese has no SMS: it falls back to the default's.
        assert_eq!(compiled.locale_for(Channel::Sms, Some("pt-BR")), "en");
        assert_eq!(
            compiled.best_locale(Channel::Email, &["de".into(), "pt-BR".into(), "en".into()]),
            Some("pt".into())
        );
        assert_eq!(compiled.best_locale(Channel::Email, &["de".into()]), None);
        assert!(compiled.has(Channel::Sms) && !compiled.has(Channel::Push));
    }

    #[test]
    fn problems_name_the_part_and_the_line() {
        let problems = Compiled::compile(
            Category::Transactional,
            &draft(json!({
                "en": {"email": {"subject": "Hi", "text": "one\ntwo {{ price }}", "html": "<p>\n{% if %}</p>"}},
                "pt_br": {"email": email("Olá")},
                "de": {"sms": {"text": "x"}, "fax": {}},
            })),
        )
        .unwrap_err();
        let find = |field: &str| {
            problems
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, m)| m.as_str())
                .unwrap_or_else(|| panic!("{field} in {problems:?}"))
        };
        assert_eq!(
            find("content.en.email.text"),
            "line 2: uses `price`, which is not a declared variable"
        );
        assert!(
            find("content.en.email.html").starts_with("line 2: "),
            "{problems:?}"
        );
        assert_eq!(find("content.pt_br"), "write the locale as `pt-BR`");
        assert!(find("content.de.sms").contains("default locale `en` has no sms"));
        assert!(find("content.de.fax").contains("not a channel"));
    }

    #[test]
    fn job_variables_are_checked_against_the_declared_ones() {
        let compiled = Compiled::compile(
            Category::Promotional,
            &draft(json!({"en": {"email": email("Hi")}})),
        )
        .unwrap();
        assert!(
            compiled
                .check(&Map::from_iter([("item".into(), json!("Cup"))]))
                .is_ok()
        );
        assert_eq!(
            compiled
                .check(&Map::from_iter([("itme".into(), json!("Cup"))]))
                .unwrap_err(),
            vec![
                (
                    "variables.itme".to_owned(),
                    "is not a variable of this template".to_owned()
                ),
                ("variables.item".to_owned(), "is required".to_owned()),
            ]
        );
        // Samples fill a preview; an optional variable left out renders as
        // nothing rather than failing.
        let preview = compiled
            .email(None, &compiled.with_samples(&Map::new()), None, None)
            .unwrap();
        assert_eq!(preview.text, "Cup");
    }

    #[test]
    fn html_parts_escape_what_they_are_given_and_text_parts_do_not() {
        let compiled = Compiled::compile(
            Category::Transactional,
            &draft(json!({"en": {"email": email("Hi")}})),
        )
        .unwrap();
        let vars = Map::from_iter([("item".into(), json!("<script>x</script> & https://a/b"))]);
        let email = compiled.email(None, &vars, None, None).unwrap();
        assert_eq!(
            email.html,
            "<p>&lt;script&gt;x&lt;/script&gt; &amp; https://a/b</p>"
        );
        assert_eq!(email.text, "<script>x</script> & https://a/b");
    }
}
