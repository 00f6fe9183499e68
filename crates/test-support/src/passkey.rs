//! A software passkey authenticator: what a phone or a security key does
//! for `navigator.credentials.create()` and `.get()`, for tests of the
//! server side. An ES256 key (P-256) made per passkey; "none" attestation;
//! user presence and verification always given; a signature counter.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// One passkey held by the authenticator.
pub struct SoftPasskey {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    rp_id: String,
    /// The signature counter the next assertion carries.
    pub counter: u32,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn field<'a>(options: &'a Value, path: &[&str]) -> &'a str {
    let mut at = &options["publicKey"];
    for p in path {
        at = &at[*p];
    }
    at.as_str()
        .unwrap_or_else(|| panic!("publicKey.{} in {options}", path.join(".")))
}

/// The tiny part of CBOR (RFC 8949) attestation needs.
mod cbor {
    fn head(out: &mut Vec<u8>, major: u8, len: u64) {
        let major = major << 5;
        match len {
            0..=23 => out.push(major | len as u8),
            24..=0xff => out.extend([major | 24, len as u8]),
            _ => {
                out.push(major | 25);
                out.extend((len as u16).to_be_bytes());
            }
        }
    }
    pub fn int(out: &mut Vec<u8>, n: i64) {
        if n >= 0 {
            head(out, 0, n as u64);
        } else {
            head(out, 1, (-1 - n) as u64);
        }
    }
    pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        head(out, 2, b.len() as u64);
        out.extend_from_slice(b);
    }
    pub fn text(out: &mut Vec<u8>, s: &str) {
        head(out, 3, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    pub fn map(out: &mut Vec<u8>, entries: u64) {
        head(out, 5, entries);
    }
}

fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
    json!({
        "type": kind,
        "challenge": field(options, &["challenge"]),
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string()
    .into_bytes()
}

impl SoftPasskey {
    /// Makes a passkey for `navigator.credentials.create()`'s `options`
    /// (the server's `{"publicKey": ...}`), as a page at `origin` asks;
    /// answers it and the `PublicKeyCredential` JSON to send back.
    pub fn create(options: &Value, origin: &str) -> (Self, Value) {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("a P-256 key");
        let rp_id = field(options, &["rp", "id"]).to_owned();
        let user_handle = URL_SAFE_NO_PAD
            .decode(field(options, &["user", "id"]))
            .expect("a base64url user id");
        let credential_id = uuid::Uuid::new_v4().as_bytes().to_vec();
        let passkey = Self {
            key,
            credential_id,
            user_handle,
            rp_id,
            counter: 1,
        };
        let point = passkey.key.public_key().as_ref();
        let mut cose = Vec::new();
        cbor::map(&mut cose, 5);
        cbor::int(&mut cose, 1); // kty: EC2
        cbor::int(&mut cose, 2);
        cbor::int(&mut cose, 3); // alg: ES256
        cbor::int(&mut cose, -7);
        cbor::int(&mut cose, -1); // crv: P-256
        cbor::int(&mut cose, 1);
        cbor::int(&mut cose, -2); // x
        cbor::bytes(&mut cose, &point[1..33]);
        cbor::int(&mut cose, -3); // y
        cbor::bytes(&mut cose, &point[33..65]);
        let mut authenticator_data = passkey.authenticator_data(UP | UV | AT, 0);
        authenticator_data.extend([0u8; 16]); // AAGUID
        authenticator_data.extend((passkey.credential_id.len() as u16).to_be_bytes());
        authenticator_data.extend(&passkey.credential_id);
        authenticator_data.extend(cose);
        let mut attestation = Vec::new();
        cbor::map(&mut attestation, 3);
        cbor::text(&mut attestation, "fmt");
        cbor::text(&mut attestation, "none");
        cbor::text(&mut attestation, "attStmt");
        cbor::map(&mut attestation, 0);
        cbor::text(&mut attestation, "authData");
        cbor::bytes(&mut attestation, &authenticator_data);
        let credential = json!({
            "id": b64(&passkey.credential_id),
            "rawId": b64(&passkey.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data("webauthn.create", options, origin)),
            },
            "extensions": {},
        });
        (passkey, credential)
    }

    fn authenticator_data(&self, flags: u8, counter: u32) -> Vec<u8> {
        let mut data = digest(&SHA256, self.rp_id.as_bytes()).as_ref().to_vec();
        data.push(flags);
        data.extend(counter.to_be_bytes());
        data
    }

    /// Answers `navigator.credentials.get()`'s `options` from a page at
    /// `origin`, with the counter moved on.
    pub fn get(&mut self, options: &Value, origin: &str) -> Value {
        self.counter += 1;
        self.assert_with(options, origin, self.counter)
    }

    /// An assertion carrying `counter` as is (a cloned authenticator's
    /// stale counter, for instance).
    pub fn assert_with(&self, options: &Value, origin: &str, counter: u32) -> Value {
        let authenticator_data = self.authenticator_data(UP | UV, counter);
        let client_data = client_data("webauthn.get", options, origin);
        let mut signed = authenticator_data.clone();
        signed.extend(digest(&SHA256, &client_data).as_ref());
        let signature = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .expect("a signature");
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&authenticator_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
    }
}
