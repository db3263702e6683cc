//! The front door for the API and the socket handshake: foreign origins are
//! refused, and each client IP may open only so many new connections a minute.
//! Same-origin requests and non-browser clients (no `Origin`) pass the origin check.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{
        header::{HOST, ORIGIN},
        HeaderMap,
    },
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
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(h)
    });
    same_origin || allowed.iter().any(|a| a == "*" || a == origin)
}

/// The client's address: the peer, or with `trust_proxy` the first
/// `X-Forwarded-For` entry your proxy wrote.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_proxy: bool,
) -> Option<IpAddr> {
    if trust_proxy {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

pub fn request_ip(req: &Request, trust_proxy: bool) -> Option<IpAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    client_ip(req.headers(), peer, trust_proxy)
}

pub async fn front_door(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if guarded(path) {
        if let Some(origin) = req.headers().get(ORIGIN) {
            let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
            let ok = origin
                .to_str()
                .is_ok_and(|o| origin_allowed(o, host, &state.config.allowed_origins));
            if !ok {
                return ApiError::forbidden("this origin is not allowed").into_response();
            }
        }
        // A new engine.io session (no `sid` yet) is a new connection.
        let new_socket = path.starts_with("/socket.io")
            && !req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .any(|p| p.starts_with("sid="));
        if new_socket {
            if let Some(ip) = request_ip(&req, state.config.trust_proxy) {
                if let Err(wait) = state.limits.connections.check(&ip.to_string()) {
                    return ApiError::rate_limited(
                        "too many new connections from this address",
                        wait,
                    )
                    .into_response();
                }
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
        assert!(origin_allowed(
            "http://127.0.0.1:3000",
            Some("127.0.0.1:3000"),
            &[]
        ));
        assert!(origin_allowed(
            "https://app.example",
            Some("api.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            "https://evil.example",
            Some("api.example"),
            &allowed
        ));
        assert!(!origin_allowed(
            "http://127.0.0.1:3001",
            Some("127.0.0.1:3000"),
            &[]
        ));
    }

    #[test]
    fn forwarded_for_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&h, Some(peer), false), Some(peer.ip()));
        assert_eq!(
            client_ip(&h, Some(peer), true),
            Some("203.0.113.7".parse().unwrap())
        );
    }
}
