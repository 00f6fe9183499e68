//! Email over SMTP with lettre: a pooled async transport, plain, STARTTLS or
//! implicit TLS as configured, text and HTML parts, and for promotional
//! mail the `List-Unsubscribe` headers (RFC 2369 and RFC 8058 one-click).

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::SendError;
use crate::settings::{EmailSettings, SmtpTls};
use crate::templates::RenderedEmail;

pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// One email to send.
pub struct Outgoing<'a> {
    /// Also the `Message-ID`, so a resend is recognisable as the same mail.
    pub id: uuid::Uuid,
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    pub content: &'a RenderedEmail,
    /// Promotional mail: where one click unsubscribes.
    pub unsubscribe_url: Option<&'a str>,
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

impl EmailSender {
    pub fn new(settings: &EmailSettings) -> anyhow::Result<Self> {
        let builder = match settings.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(Duration::from_secs(settings.timeout_secs)))
            .pool_config(PoolConfig::new().max_size(settings.pool_size));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: settings.from.parse()?,
        })
    }

    pub async fn send(&self, email: Outgoing<'_>) -> Result<String, SendError> {
        let to = Mailbox::new(
            email.to_name.map(str::to_owned),
            email.to.parse().map_err(|e| {
                SendError::Permanent(format!("`{}` is not an address: {e}", email.to))
            })?,
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.content.subject.clone())
            .message_id(Some(format!("<{}@dayone>", email.id)));
        if let Some(url) = email.unsubscribe_url {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.content.text.clone(),
                email.content.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("could not build the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(response.message().collect::<Vec<_>>().join(" ")),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            // 4xx, timeouts, refused or dropped connections, TLS trouble.
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
