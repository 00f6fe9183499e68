//! The templates the service ships, seeded as rows (version 1, published)
//! the first time it starts, and the variables each typed job of
//! `dayone_model` renders them with. Admins may reword them (new versions)
//! but not change their category or variables: those are the typed
//! contracts' and the compiler checked them at the sender.

use dayone_model::messages::notifications::{
    Category, EmailTemplate, PromotionalSmsTemplate, TransactionalSmsTemplate,
};
use serde_json::{Map, Value, json};

use super::{Draft, Variable};

/// One shipped template.
pub struct BuiltIn {
    pub key: &'static str,
    pub category: Category,
    pub description: &'static str,
    /// `(name, sample)`; every one is required.
    variables: &'static [(&'static str, &'static str)],
    /// Subject, text and HTML.
    email: Option<[&'static str; 3]>,
    sms: Option<&'static str>,
}

macro_rules! email {
    ($name:literal) => {
        Some([
            include_str!(concat!("../../templates/email/", $name, ".subject")),
            include_str!(concat!("../../templates/email/", $name, ".txt")),
            include_str!(concat!("../../templates/email/", $name, ".html")),
        ])
    };
}

macro_rules! sms {
    ($name:literal) => {
        Some(include_str!(concat!("../../templates/sms/", $name, ".txt")))
    };
}

const ORDER: &str = r#"{"number": "A-1001", "total": "€12.50", "items": [{"name": "Cup", "quantity": 2, "total": "€12.50"}]}"#;

pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        key: "welcome",
        category: Category::Transactional,
        description: "After registration",
        variables: &[],
        email: email!("welcome"),
        sms: None,
    },
    BuiltIn {
        key: "verify_email",
        category: Category::Transactional,
        description: "The link that confirms an email address",
        variables: &[("link", r#""https://example.com/verify-email?token=t""#)],
        email: email!("verify_email"),
        sms: None,
    },
    BuiltIn {
        key: "password_reset",
        category: Category::Transactional,
        description: "The link that sets a new password",
        variables: &[
            ("link", r#""https://example.com/reset-password?token=t""#),
            ("expires_in_minutes", "30"),
        ],
        email: email!("password_reset"),
        sms: None,
    },
    BuiltIn {
        key: "order_receipt",
        category: Category::Transactional,
        description: "An order was placed",
        variables: &[("order", ORDER)],
        email: email!("order_receipt"),
        sms: sms!("order_receipt"),
    },
    BuiltIn {
        key: "weekly_recommendations",
        category: Category::Promotional,
        description: "Products picked from what the user bought",
        variables: &[("products", r#"[{"name": "Saucer", "price": "€4.00"}]"#)],
        email: email!("weekly_recommendations"),
        sms: None,
    },
    BuiltIn {
        key: "login_code",
        category: Category::Transactional,
        description: "A sign-in code by SMS",
        variables: &[("code", r#""123456""#), ("expires_in_minutes", "5")],
        email: None,
        sms: sms!("login_code"),
    },
    BuiltIn {
        key: "campaign",
        category: Category::Promotional,
        description: "A marketing text",
        variables: &[("text", r#""Spring sale: 20% off everything.""#)],
        email: None,
        sms: sms!("campaign"),
    },
];

/// The locale the shipped wording is written in.
pub const LOCALE: &str = "en";

impl BuiltIn {
    pub fn named(key: &str) -> Option<&'static BuiltIn> {
        BUILT_IN.iter().find(|b| b.key == key)
    }

    /// The declared variables (every edit must keep them).
    pub fn variables(&self) -> Vec<Variable> {
        self.variables
            .iter()
            .map(|(name, sample)| Variable {
                name: (*name).to_owned(),
                required: true,
                sample: serde_json::from_str(sample).ok(),
            })
            .collect()
    }

    /// Version 1.
    pub fn draft(&self) -> Draft {
        let mut channels = Map::new();
        if let Some([subject, text, html]) = self.email {
            channels.insert(
                "email".into(),
                json!({"subject": subject.trim(), "text": text, "html": html}),
            );
        }
        if let Some(text) = self.sms {
            channels.insert("sms".into(), json!({"text": text.trim()}));
        }
        Draft {
            default_locale: LOCALE.into(),
            variables: self.variables(),
            content: serde_json::from_value(json!({ LOCALE: channels }))
                .unwrap_or_else(|e| unreachable!("the shipped parts are strings: {e}")),
        }
    }
}

/// The fields of a typed job's template but its `template` tag.
fn fields(template: impl serde::Serialize) -> Map<String, Value> {
    match serde_json::to_value(template) {
        Ok(Value::Object(mut map)) => {
            map.remove("template");
            map
        }
        _ => Map::new(),
    }
}

/// The template key and variables of a typed email job.
pub fn email(template: &EmailTemplate) -> (&'static str, Map<String, Value>) {
    (template.name(), fields(template))
}

/// The template key and variables of a typed transactional SMS.
pub fn transactional_sms(
    template: &TransactionalSmsTemplate,
) -> (&'static str, Map<String, Value>) {
    match template {
        // One template writes the receipt on both channels, from one
        // `order`.
        TransactionalSmsTemplate::OrderReceipt {
            order_number,
            total,
        } => (
            template.name(),
            Map::from_iter([(
                "order".into(),
                json!({"number": order_number, "total": total}),
            )]),
        ),
        TransactionalSmsTemplate::LoginCode { .. } => (template.name(), fields(template)),
    }
}

/// The template key and variables of a typed promotional SMS.
pub fn promotional_sms(template: &PromotionalSmsTemplate) -> (&'static str, Map<String, Value>) {
    (template.name(), fields(template))
}

#[cfg(test)]
mod tests {
    use dayone_model::messages::notifications::Channel;

    use super::*;
    use crate::templates::Compiled;

    fn compiled(key: &str) -> Compiled {
        let builtin = BuiltIn::named(key).unwrap();
        Compiled::compile(builtin.category, &builtin.draft()).unwrap()
    }

    /// Every typed job's variables are what its seeded template declares,
    /// and its category is the template's: the contracts and the rows agree.
    #[test]
    fn every_typed_job_renders_from_its_seeded_template() {
        let emails = [
            EmailTemplate::Welcome,
            EmailTemplate::VerifyEmail {
                link: "https://x/verify-email?token=t".into(),
            },
            EmailTemplate::PasswordReset {
                link: "https://x/reset-password?token=t".into(),
                expires_in_minutes: 30,
            },
            EmailTemplate::OrderReceipt {
                order: json!({"number": "A-1", "total": "€12.50", "items": [{"name": "Cup", "quantity": 2, "total": "€12.50"}]}),
            },
            EmailTemplate::WeeklyRecommendations {
                products: json!([{"name": "Saucer", "price": "€4.00"}]),
            },
        ];
        for template in emails {
            let (key, variables) = email(&template);
            let compiled = compiled(key);
            assert_eq!(compiled.category, template.category(), "{key}");
            compiled.check(&variables).unwrap();
            let email = compiled
                .email(None, &variables, Some("Ada"), Some("https://x/unsubscribe"))
                .unwrap();
            assert!(
                !email.subject.is_empty() && email.html.contains("<html"),
                "{key}"
            );
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
                "{key}: {}",
                email.text
            );
        }
        let code = TransactionalSmsTemplate::LoginCode {
            code: "123456".into(),
            expires_in_minutes: 5,
        };
        let receipt = TransactionalSmsTemplate::OrderReceipt {
            order_number: "A-1".into(),
            total: "€3".into(),
        };
        for template in [code, receipt] {
            let (key, variables) = transactional_sms(&template);
            let compiled = compiled(key);
            assert_eq!(compiled.category, Category::Transactional);
            compiled.check(&variables).unwrap();
            let text = compiled.sms(None, &variables, None).unwrap();
            assert!(
                text.contains("123456") || text.contains("order A-1 confirmed, total €3"),
                "{text}"
            );
        }
        let (key, variables) = promotional_sms(&PromotionalSmsTemplate::Campaign {
            text: "Sale!".into(),
        });
        let compiled = compiled(key);
        assert_eq!(compiled.category, Category::Promotional);
        assert_eq!(
            compiled.sms(None, &variables, None).unwrap(),
            "Sale! Reply STOP to opt out."
        );
        assert!(!compiled.has(Channel::Email));
    }

    /// The name is the registering caller's choice and these go to an
    /// address nobody has confirmed yet: a stranger's inbox must not carry
    /// their words.
    #[test]
    fn account_emails_do_not_carry_the_callers_name() {
        let name = "Claim your prize at evil.example";
        for key in ["welcome", "verify_email", "password_reset"] {
            let compiled = compiled(key);
            let variables = compiled.with_samples(&Map::new());
            let email = compiled.email(None, &variables, Some(name), None).unwrap();
            for part in [&email.subject, &email.text, &email.html] {
                assert!(!part.contains("evil.example"), "{key}: {part}");
            }
        }
    }

    #[test]
    fn shipped_html_escapes_what_it_is_given() {
        let variables = Map::from_iter([(
            "order".into(),
            json!({"number": "A-1", "total": "1", "items": [{"name": "<script>x</script>", "quantity": 1, "total": "1"}]}),
        )]);
        let email = compiled("order_receipt")
            .email(None, &variables, None, None)
            .unwrap();
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
    }
}
