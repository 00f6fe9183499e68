//! Random tokens and how they are stored: refresh tokens and links as
//! SHA-256 (they carry 256 bits, so a fast hash is enough), login codes as
//! HMAC-SHA256 with a pepper (six digits would otherwise fall to a
//! dictionary of a million entries).

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, RngCore};

/// 256 random bits, base64url (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(token: &str) -> String {
    dayone_web::sha256_hex(token.as_bytes())
}

/// A six-digit code, uniform over 000000..=999999 (`ThreadRng` is a CSPRNG).
pub fn otp_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

pub fn otp_hash(pepper: &str, phone: &str, code: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, pepper.as_bytes());
    hex(hmac::sign(&key, format!("{phone}:{code}").as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn otp_codes_are_six_digits_and_hashes_depend_on_pepper_and_phone() {
        for _ in 0..100 {
            let code = otp_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
        let h = otp_hash("pepper", "+15550100", "123456");
        assert_ne!(h, otp_hash("other", "+15550100", "123456"));
        assert_ne!(h, otp_hash("pepper", "+15550101", "123456"));
        assert_eq!(h, otp_hash("pepper", "+15550100", "123456"));
    }
}
