//! The HTTP JSON API, one router per area, merged here.

pub mod auth;
pub mod health;
pub mod lives;
pub mod moderation;

use axum::Router;

use crate::state::AppState;

pub fn api() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(lives::router())
        .merge(moderation::router())
        .merge(health::router())
}

/// A local path to go back to after a form post; anything else (absolute URLs,
/// `//host`) falls back to `/` so forms cannot be used as open redirects.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Percent-encodes a message for a `?error=` query parameter.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/live/abc")), "/live/abc");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn escapes_queries() {
        assert_eq!(query_escape("a b&c"), "a%20b%26c");
    }
}
