//! The HTTP JSON API, one router per area, merged here.

pub mod auth;
pub mod emotes;
pub mod health;
pub mod lives;
pub mod moderation;

use axum::Router;

use crate::state::AppState;

pub fn api() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(lives::router())
        .merge(emotes::router())
        .merge(moderation::router())
        .merge(health::router())
}

/// A same-site path to go back to after a form post: one leading `/`, no `//`,
/// no `\\`, no control characters or spaces anywhere (browsers drop tabs and
/// newlines, so `/\t/evil.example` would become `//evil.example`). Anything else
/// falls back to `/`, so forms cannot be used as open redirects.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && p.len() <= 2048
                && !p.contains("//")
                && !p.contains('\\')
                && !p.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            p.to_owned()
        }
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
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "/a//evil.example",
            "/x\ny",
            "/\u{7f}",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
    }

    #[test]
    fn escapes_queries() {
        assert_eq!(query_escape("a b&c"), "a%20b%26c");
    }
}
