//! What an authenticator app shows: RFC 6238 codes (SHA-1, six digits,
//! 30-second steps) for a base32 secret.

use totp_rs::{Algorithm, Builder, Secret};

/// The code shown `steps` steps from now (0: the current one).
pub fn code(secret: &str, steps: i64) -> String {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_secret(Secret::try_from_base32(secret).expect("a base32 secret"))
        .with_account_name("test")
        .build()
        .expect("a TOTP");
    let at = chrono::Utc::now().timestamp() + steps * 30;
    totp.generate(at as u64).to_string()
}
