//! Liveness and readiness probes.

use axum::{extract::State, http::StatusCode, routing::get, Router};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

async fn metrics(
    State(state): State<AppState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let m = state.chat.metrics();
    let Ok(rooms) = state.io.rooms().await;
    m.rooms
        .set(rooms.iter().filter(|r| r.starts_with("live:")).count() as i64);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        m.render(),
    )
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
