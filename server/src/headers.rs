//! Security headers on every response. Pages get a Content-Security-Policy with
//! the per-response nonce Leptos puts on its inline hydration scripts; everything
//! else gets the same policy without a nonce (no inline script at all).

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::{config::Mode, state::AppState};

/// The policy: scripts and wasm from this origin only (plus the page's nonce),
/// sockets to this origin, video from the web (streams live elsewhere), and
/// framing only by `frame_ancestors`.
pub fn content_security_policy(nonce: Option<&str>, frame_ancestors: &str, mode: Mode) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    // `cargo leptos watch` reloads pages over a websocket on its own port.
    let dev_reload = if mode == Mode::Development {
        " ws:"
    } else {
        ""
    };
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; media-src 'self' https: http:; \
         connect-src 'self'{dev_reload}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// Called in each page render's reactive context: sets the page's policy with
/// its nonce. Embeddable pages (`/embed/...`) may be framed by `embed_ancestors`,
/// every other page by `frame_ancestors` only.
pub fn provide_page_policy(frame_ancestors: &str, embed_ancestors: &str, mode: Mode) {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let embeddable = use_context::<axum::http::request::Parts>()
        .is_some_and(|p| p.uri.path().starts_with("/embed/"));
    let ancestors = if embeddable {
        embed_ancestors
    } else {
        frame_ancestors
    };
    let policy = content_security_policy(Some(&nonce), ancestors, mode);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy =
            content_security_policy(None, &state.config.frame_ancestors, state.config.mode);
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let fixed: [(HeaderName, &str); 2] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if state.config.cookie_secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_only_own_scripts_and_the_nonce() {
        let p = content_security_policy(Some("abc"), "'none'", Mode::Production);
        assert!(
            p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"),
            "{p}"
        );
        assert!(p.ends_with("frame-ancestors 'none'"), "{p}");
        assert!(!p.contains("unsafe-inline"));
        assert!(!p.contains("ws:"), "no reload socket in production");
    }
}
