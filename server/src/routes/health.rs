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
        Some(token) if bearer_token(&headers).as_deref() != Some(token.as_str()) => {
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
    let Ok(rooms) = state.io.rooms().await;
    m.rooms
        .set(rooms.iter().filter(|r| r.starts_with("live:")).count() as i64);
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4")], m.render()))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.chat.stores().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
