//! Access tokens for tests of services that take auth's tokens, where auth
//! itself is not under test: signed with an Ed25519 key made for the test
//! and checked by the service under test exactly as auth's are, against a
//! JWKS a small local server publishes (`APP_TOKENS__JWKS_URL`). No auth
//! service, database or registration is needed to be someone.

use std::sync::{Arc, RwLock};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dayone_web::auth::{ADMIN, Claims, ed25519_jwk};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::accounts::User;

/// The `tokens.issuer` and `tokens.audience` of `config/base.yaml`.
const ISSUER: &str = "dayone-auth";
const AUDIENCE: &str = "dayone-api";
/// Within `tokens.max_lifetime_secs`.
const LIFETIME_SECS: i64 = 600;

/// Signs access tokens and serves the public key's JWKS until dropped.
pub struct TestIssuer {
    kid: String,
    key: EncodingKey,
    /// The JWKS document served, replaced when the key is rotated.
    published: Arc<RwLock<Vec<u8>>>,
    jwks_url: String,
    server: JoinHandle<()>,
}

impl TestIssuer {
    pub async fn start() -> Self {
        let (kid, key, jwks) = new_key();
        let published = Arc::new(RwLock::new(jwks));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("its address");
        let server = tokio::spawn(serve(listener, published.clone()));
        Self {
            kid,
            key,
            published,
            jwks_url: format!("http://{address}/.well-known/jwks.json"),
            server,
        }
    }

    /// Signs with a new key from now on and withdraws the old one from the
    /// JWKS, as auth does when a key is retired: tokens signed with the old
    /// key must stop being accepted.
    pub fn rotate(&mut self) {
        let (kid, key, jwks) = new_key();
        *self.published.write().expect("the JWKS lock") = jwks;
        self.kid = kid;
        self.key = key;
    }

    /// Where the service under test fetches the keys.
    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }

    /// A valid access token for `user` in a new session.
    pub fn token(&self, user: Uuid, roles: &[&str]) -> String {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let claims = Claims {
            sub: user,
            sid: Uuid::new_v4(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + LIFETIME_SECS,
            jti: Uuid::new_v4(),
            amr: vec!["pwd".into()],
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("signing a test token")
    }

    /// Someone new with the `user` role (an email and phone of their own,
    /// for services that learn them from auth's events).
    pub fn user(&self) -> User {
        self.someone(&["user"])
    }

    pub fn admin(&self) -> User {
        self.someone(&["user", ADMIN])
    }

    fn someone(&self, roles: &[&str]) -> User {
        let uuid = Uuid::new_v4();
        User {
            uuid,
            email: format!("u-{}@example.com", uuid.simple()),
            phone: format!("+1555{:07}", uuid.as_u128() % 10_000_000),
            token: self.token(uuid, roles),
        }
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A new key's id, signing key and the JWKS that publishes it alone.
fn new_key() -> (String, EncodingKey, Vec<u8>) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("an Ed25519 key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("the key just made");
    let kid = format!("test-{}", Uuid::new_v4().simple());
    let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
    let jwks = JwkSet {
        keys: vec![ed25519_jwk(&kid, &x)],
    };
    let jwks = serde_json::to_vec(&jwks).expect("JSON");
    (kid, EncodingKey::from_ed_der(pkcs8.as_ref()), jwks)
}

/// Answers every request with the JWKS: the verifier asks for nothing else.
async fn serve(listener: TcpListener, published: Arc<RwLock<Vec<u8>>>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let jwks = published.read().expect("the JWKS lock").clone();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            jwks.len()
        );
        let response = [head.as_bytes(), &jwks].concat();
        tokio::spawn(async move {
            // Read the request head before answering, so the client never
            // sees its request cut off.
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
        });
    }
}
