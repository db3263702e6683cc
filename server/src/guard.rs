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

/// The client's address: the peer, or behind `hops` proxies of yours the address
/// the outermost of them saw, which is the `hops`-th `X-Forwarded-For` entry from
/// the right. Entries further left are the client's own to write, so they are
/// never read. A header too short for `hops` falls back to the peer.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, hops: usize) -> Option<IpAddr> {
    if hops > 0 {
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if let Some(ip) = entries
            .len()
            .checked_sub(hops)
            .and_then(|i| entries[i].parse().ok())
        {
            return Some(ip);
        }
    }
    peer.map(|p| p.ip())
}

pub fn request_ip(req: &Request, hops: usize) -> Option<IpAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    client_ip(req.headers(), peer, hops)
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
            if let Some(ip) = request_ip(&req, state.config.trusted_proxy_hops) {
                if let Err(wait) = state.limits.connection(ip).await {
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
    fn forwarded_for_only_when_trusted_and_only_what_proxies_appended() {
        let mut h = HeaderMap::new();
        // The client wrote the first entry; our proxy appended the second.
        h.insert(
            "x-forwarded-for",
            "203.0.113.7, 198.51.100.9".parse().unwrap(),
        );
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&h, Some(peer), 0), Some(peer.ip()));
        assert_eq!(
            client_ip(&h, Some(peer), 1),
            Some("198.51.100.9".parse().unwrap())
        );
        assert_eq!(
            client_ip(&h, Some(peer), 2),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            client_ip(&h, Some(peer), 3),
            Some(peer.ip()),
            "too few entries"
        );
    }
}
