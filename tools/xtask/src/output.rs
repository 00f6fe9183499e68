//! What a generator writes: a file's path and text, and the mark that says
//! it was generated.

/// One generated file: its path from the repository root and its text.
pub struct Generated {
    pub path: String,
    pub text: String,
}

/// The line every generated file carries in its first five lines (after its
/// own comment mark); `check` knows a generated file by it.
pub const MARK: &str = "Generated from services.toml by `cargo xtask gen`: do not edit.";

/// `MARK` as a comment in the syntax `prefix` starts (`#`, `//`, `--`).
pub fn header(prefix: &str) -> String {
    format!("{prefix} {MARK}\n")
}
