//! sea-orm entities of the auth database.

pub mod api_key;
pub mod identity;
pub mod one_time_token;
pub mod otp_code;
pub mod passkey;
pub mod recovery_code;
pub mod refresh_token;
pub mod session;
pub mod totp_factor;
pub mod user;
