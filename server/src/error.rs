//! The HTTP layer's error: a status, a stable code and a message for the client;
//! causes go to the log, never to the response.

use app::protocol::{ApiErrorBody, ErrorCode, WireError};
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};

use crate::{chat::ChatError, store::StoreError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: WireError,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: WireError::new(code, message),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::Invalid, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }
    /// 429 with how long to wait.
    pub fn rate_limited(message: impl Into<String>, wait: std::time::Duration) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            message,
        );
        e.error = e.error.retry_after(wait.as_millis() as u64);
        e
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        let status = match &e {
            ChatError::Unauthorized => StatusCode::UNAUTHORIZED,
            ChatError::Invalid(_) => StatusCode::BAD_REQUEST,
            ChatError::NotFound => StatusCode::NOT_FOUND,
            ChatError::Forbidden(_) | ChatError::Banned { .. } | ChatError::Blocked => {
                StatusCode::FORBIDDEN
            }
            ChatError::SlowMode(_) | ChatError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ChatError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self {
            status,
            error: e.to_wire(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ChatError::Store(e).into()
    }
}

impl From<app::protocol::Invalid> for ApiError {
    fn from(e: app::protocol::Invalid) -> Self {
        Self::invalid(e.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ApiErrorBody { error: self.error })).into_response()
    }
}
