//! Cross-origin guard for the API and the socket handshake. Same-origin requests
//! and non-browser clients (no `Origin`) pass; other origins must be configured.

use axum::{
    extract::{Request, State},
    http::header::{HOST, ORIGIN},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{error::ApiError, state::AppState};

fn guarded(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/socket.io") || path.starts_with("/sfn/")
}

pub fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let origin = origin.trim_end_matches('/');
    let same_origin = host.is_some_and(|h| {
        origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(h)
    });
    same_origin || allowed.iter().any(|a| a == "*" || a == origin)
}

pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if guarded(req.uri().path()) {
        if let Some(origin) = req.headers().get(ORIGIN) {
            let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
            let ok = origin
                .to_str()
                .is_ok_and(|o| origin_allowed(o, host, &state.config.allowed_origins));
            if !ok {
                return ApiError::forbidden("this origin is not allowed").into_response();
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_and_listed_origins_pass() {
        let allowed = vec!["https://app.example".to_owned()];
        assert!(origin_allowed("http://127.0.0.1:3000", Some("127.0.0.1:3000"), &[]));
        assert!(origin_allowed("https://app.example", Some("api.example"), &allowed));
        assert!(!origin_allowed("https://evil.example", Some("api.example"), &allowed));
        assert!(!origin_allowed("http://127.0.0.1:3001", Some("127.0.0.1:3000"), &[]));
    }
}
