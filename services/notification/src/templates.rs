//! The wording of every message the service sends. Email templates are
//! minijinja files (subject, text and HTML parts; HTML is auto-escaped);
//! SMS texts are short enough to live in code.

use dayone_model::messages::notifications::{
    EmailTemplate, PromotionalSmsTemplate, TransactionalSmsTemplate,
};
use minijinja::{AutoEscape, Environment};
use serde_json::{Map, Value};

/// A rendered email.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
}

macro_rules! email_templates {
    ($($name:literal),*) => {
        &[$(
            (concat!($name, ".subject"), include_str!(concat!("../templates/email/", $name, ".subject"))),
            (concat!($name, ".txt"), include_str!(concat!("../templates/email/", $name, ".txt"))),
            (concat!($name, ".html"), include_str!(concat!("../templates/email/", $name, ".html"))),
        )*]
    };
}

const FILES: &[(&str, &str)] = email_templates!(
    "welcome",
    "verify_email",
    "password_reset",
    "order_receipt",
    "weekly_recommendations"
);

impl Templates {
    pub fn new() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // minijinja's HTML escaping also turns `/` into `&#x2f;`, which is
        // valid but mangles links in some mail clients' link rewriting;
        // the five characters HTML needs escaped are enough.
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
            include_str!("../templates/email/layout.html"),
        )?;
        for (name, source) in FILES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    /// Renders `template` for a recipient called `name`; promotional emails
    /// get an `unsubscribe_url`.
    pub fn email(
        &self,
        template: &EmailTemplate,
        name: Option<&str>,
        unsubscribe_url: Option<&str>,
    ) -> anyhow::Result<RenderedEmail> {
        let mut context = match serde_json::to_value(template)? {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let id = context
            .get("template")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        context.insert(
            "name".into(),
            name.map_or(Value::Null, |n| Value::String(n.into())),
        );
        context.insert(
            "unsubscribe_url".into(),
            unsubscribe_url.map_or(Value::Null, |u| Value::String(u.into())),
        );
        let subject = self
            .env
            .get_template(&format!("{id}.subject"))?
            .render(minijinja::value::Serde(&context))?;
        context.insert("subject".into(), Value::String(subject.trim().to_owned()));
        Ok(RenderedEmail {
            subject: subject.trim().to_owned(),
            text: self
                .env
                .get_template(&format!("{id}.txt"))?
                .render(minijinja::value::Serde(&context))?,
            html: self
                .env
                .get_template(&format!("{id}.html"))?
                .render(minijinja::value::Serde(&context))?,
        })
    }
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

pub fn transactional_sms(template: &TransactionalSmsTemplate) -> String {
    match template {
        TransactionalSmsTemplate::LoginCode {
            code,
            expires_in_minutes,
        } => format!(
            "Your Dayone code is {code}. It expires in {expires_in_minutes} minutes. Never share it."
        ),
        TransactionalSmsTemplate::OrderReceipt {
            order_number,
            total,
        } => {
            format!("Dayone: order {order_number} confirmed, total {total}. Thank you!")
        }
    }
}

pub fn promotional_sms(template: &PromotionalSmsTemplate) -> String {
    match template {
        PromotionalSmsTemplate::Campaign { text } => format!("{text} Reply STOP to opt out."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_template_renders_text_and_html() {
        let templates = Templates::new().unwrap();
        let cases = [
            EmailTemplate::Welcome,
            EmailTemplate::VerifyEmail {
                link: "https://x/verify-email?token=t".into(),
            },
            EmailTemplate::PasswordReset {
                link: "https://x/reset-password?token=t".into(),
                expires_in_minutes: 30,
            },
            EmailTemplate::OrderReceipt {
                order: serde_json::json!({"number": "A-1", "total": "€12.50", "items": [{"name": "Cup", "quantity": 2, "total": "€12.50"}]}),
            },
            EmailTemplate::WeeklyRecommendations {
                products: serde_json::json!([{"name": "Saucer", "price": "€4.00"}]),
            },
        ];
        for template in cases {
            let email = templates
                .email(&template, Some("Ada"), Some("https://x/unsubscribe"))
                .unwrap();
            assert!(!email.subject.is_empty(), "{template:?}");
            // Account emails leave the name out (see below).
            let account = matches!(
                template,
                EmailTemplate::Welcome
                    | EmailTemplate::VerifyEmail { .. }
                    | EmailTemplate::PasswordReset { .. }
            );
            assert_eq!(
                email.text.contains("Ada"),
                !account,
                "{template:?}: {}",
                email.text
            );
            assert!(email.html.contains("<html"), "{template:?}");
        }
    }

    #[test]
    fn html_parts_escape_what_they_are_given() {
        let templates = Templates::new().unwrap();
        let receipt = EmailTemplate::OrderReceipt {
            order: serde_json::json!({"number": "A-1", "total": "1", "items": [{"name": "<script>x</script>", "quantity": 1, "total": "1"}]}),
        };
        let email = templates.email(&receipt, None, None).unwrap();
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
    }

    /// The name is the registering caller's choice and these go to an
    /// address nobody has confirmed yet: a stranger's inbox must not carry
    /// their words.
    #[test]
    fn account_emails_do_not_carry_the_callers_name() {
        let templates = Templates::new().unwrap();
        let name = "Claim your prize at evil.example";
        for template in [
            EmailTemplate::Welcome,
            EmailTemplate::VerifyEmail {
                link: "https://x/verify-email?token=t".into(),
            },
            EmailTemplate::PasswordReset {
                link: "https://x/reset-password?token=t".into(),
                expires_in_minutes: 30,
            },
        ] {
            let email = templates.email(&template, Some(name), None).unwrap();
            for part in [&email.subject, &email.text, &email.html] {
                assert!(!part.contains("evil.example"), "{template:?}: {part}");
            }
        }
    }

    #[test]
    fn the_login_code_sms_carries_the_code() {
        let text = transactional_sms(&TransactionalSmsTemplate::LoginCode {
            code: "123456".into(),
            expires_in_minutes: 5,
        });
        assert!(text.contains("123456") && text.contains("5 minutes"));
        assert!(
            promotional_sms(&PromotionalSmsTemplate::Campaign {
                text: "Sale!".into()
            })
            .ends_with("Reply STOP to opt out.")
        );
    }
}
