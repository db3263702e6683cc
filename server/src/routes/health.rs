//! Liveness and readiness probes, and metrics.

use axum::{
    extract::State,
    http::{header::CONTENT_TYPE, HeaderMap, HeaderName, StatusCode},
    routing::get,
    Router,
};

use crate::{auth::bearer_token, config::Mode, error::ApiError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// Metrics reveal traffic: with `METRICS_TOKEN` they need that bearer token, and
/// production without one serves none.
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<([(HeaderName, &'static str); 1], String), ApiError> {
    match &state.config.metrics_token {
        Some(token) if !same_secret(bearer_token(&headers).as_deref(), token) => {
            return Err(ApiError::unauthorized(
                "metrics need the METRICS_TOKEN bearer token",
            ));
        }
        None if state.config.mode == Mode::Production => {
            return Err(ApiError::forbidden(
                "set METRICS_TOKEN to serve metrics in production",
            ));
        }
        _ => {}
    }
    let m = state.chat.metrics();
    m.rooms.set(state.io.local_rooms_with("live:").await as i64);
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4")], m.render()))
}

/// Compares in constant time, so response timing reveals nothing of the token.
fn same_secret(given: Option<&str>, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())))
}

/// Answers from the state background checks keep current (the database, and
/// Redis in cluster mode): at once, even while either hangs.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if !state.health.ready() {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    } else if state.chat.cluster().is_some_and(|c| !c.is_up()) {
        (StatusCode::SERVICE_UNAVAILABLE, "redis unreachable")
    } else {
        (StatusCode::OK, "ready")
    }
}
