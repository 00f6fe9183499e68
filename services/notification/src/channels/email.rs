//! Email over SMTP with lettre's connection: a pool of long-lived
//! connections with `TCP_NODELAY`, plain, STARTTLS or implicit TLS as
//! configured, text and HTML parts, and for promotional
//! mail the `List-Unsubscribe` headers (RFC 2369 and RFC 8058 one-click).

use std::time::{Duration, Instant};

use lettre::Message;
use lettre::address::Envelope;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore};

use super::SendError;
use crate::settings::{EmailSettings, SmtpTls};
use crate::templates::RenderedEmail;

pub struct EmailSender {
    pool: SmtpPool,
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
        Ok(Self {
            pool: SmtpPool::new(settings)?,
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
        let response = self
            .pool
            .send(message.envelope(), &message.formatted())
            .await?;
        Ok(response.message().collect::<Vec<_>>().join(" "))
    }
}

/// Long-lived SMTP connections, at most `pool_size` at once, each with
/// `TCP_NODELAY`: lettre writes a message and its closing `.` as two
/// writes, and with Nagle's algorithm and delayed ACKs the second waits
/// ~40 ms for the first's ACK, which capped a connection near 20 emails/s.
/// A connection idle for a while is checked with NOOP before it is reused,
/// and one that failed is dropped.
struct SmtpPool {
    host: String,
    port: u16,
    tls: SmtpTls,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    permits: Semaphore,
}

/// Reused without a check when idle for less than this.
const FRESH: Duration = Duration::from_secs(2);
/// Closed rather than reused when idle for longer (servers drop idle
/// connections after a minute or more).
const STALE: Duration = Duration::from_secs(50);

impl SmtpPool {
    fn new(settings: &EmailSettings) -> anyhow::Result<Self> {
        Ok(Self {
            host: settings.host.clone(),
            port: settings.port,
            tls: settings.tls,
            credentials: (!settings.username.is_empty()).then(|| {
                Credentials::new(
                    settings.username.clone(),
                    settings.password.expose_secret().to_owned(),
                )
            }),
            timeout: Duration::from_secs(settings.timeout_secs),
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(settings.pool_size.max(1) as usize),
        })
    }

    async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SendError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the SMTP pool is closed".into()))?;
        let mut connection = self.checkout().await?;
        let sent = tokio::time::timeout(self.timeout, connection.send(envelope, message))
            .await
            .map_err(|_| timed_out())?
            .map_err(classify)?;
        if !connection.has_broken() {
            self.idle.lock().await.push((connection, Instant::now()));
        }
        Ok(sent)
    }

    /// An idle connection that still works, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let Some((mut connection, since)) = self.idle.lock().await.pop() else {
                break;
            };
            let idle = since.elapsed();
            if connection.has_broken() || idle > STALE {
                continue;
            }
            if idle < FRESH || connection.test_connected().await {
                return Ok(connection);
            }
        }
        tokio::time::timeout(self.timeout, self.connect())
            .await
            .map_err(|_| timed_out())?
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut connection = match self.tls {
            // Implicit TLS through lettre's own connector (no NODELAY).
            SmtpTls::Tls => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                Some(TlsParameters::new(self.host.clone()).map_err(classify)?),
                None,
            )
            .await
            .map_err(classify)?,
            SmtpTls::None | SmtpTls::Starttls => {
                let stream = TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| {
                        SendError::Transient(format!("connecting to the SMTP server: {e}"))
                    })?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| SendError::Transient(e.to_string()))?;
                let mut connection =
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                        .await
                        .map_err(classify)?;
                if self.tls == SmtpTls::Starttls {
                    let tls = TlsParameters::new(self.host.clone()).map_err(classify)?;
                    connection
                        .starttls(tls, &self.hello)
                        .await
                        .map_err(classify)?;
                }
                connection
            }
        };
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(classify)?;
        }
        Ok(connection)
    }
}

fn timed_out() -> SendError {
    SendError::Transient("the SMTP server did not answer in time".into())
}

/// 5xx answers are permanent; 4xx, refused or dropped connections and TLS
/// trouble are worth another try.
fn classify(error: smtp::Error) -> SendError {
    if error.is_permanent() {
        SendError::Permanent(error.to_string())
    } else {
        SendError::Transient(error.to_string())
    }
}
