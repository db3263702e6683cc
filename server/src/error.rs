//! The HTTP layer's error: a status, a stable code and a message for the client;
//! causes go to the log, never to the response.

use app::protocol::{notice::FormNotice, ApiErrorBody, ErrorCode, WireError};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use crate::{room::RoomError, store::StoreError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: WireError,
    /// What a browser form is told, when more precise than the status says.
    pub notice: Option<FormNotice>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: WireError::new(code, message),
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: FormNotice) -> Self {
        self.notice = Some(notice);
        self
    }

    /// The notice for a form page: the precise one if set, else by status.
    pub fn form_notice(&self) -> FormNotice {
        self.notice.unwrap_or(match self.status {
            StatusCode::UNAUTHORIZED => FormNotice::LoginRequired,
            StatusCode::CONFLICT => FormNotice::NicknameTaken,
            StatusCode::TOO_MANY_REQUESTS => FormNotice::TooManyAttempts,
            StatusCode::SERVICE_UNAVAILABLE => FormNotice::Unavailable,
            _ => FormNotice::Invalid,
        })
    }

    /// 503 with `Retry-After`: the server is saturated, not broken.
    pub fn busy(message: impl Into<String>, wait: std::time::Duration) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            message,
        )
        .with_notice(FormNotice::Busy);
        e.error = e.error.retry_after(wait.as_millis() as u64);
        e
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

impl From<RoomError> for ApiError {
    /// HTTP answers each error once, so its cause is logged here.
    fn from(e: RoomError) -> Self {
        e.log_if_internal();
        let status = match &e {
            RoomError::Unauthorized => StatusCode::UNAUTHORIZED,
            RoomError::Invalid(_) => StatusCode::BAD_REQUEST,
            RoomError::NotFound => StatusCode::NOT_FOUND,
            RoomError::Forbidden(_)
            | RoomError::Refused { .. }
            | RoomError::Banned { .. }
            | RoomError::Blocked => StatusCode::FORBIDDEN,
            RoomError::SlowMode(_) | RoomError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            RoomError::Store(_) | RoomError::Busy(..) => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self {
            status,
            error: e.to_wire(),
            notice: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        RoomError::Store(e).into()
    }
}

impl From<app::protocol::Invalid> for ApiError {
    fn from(e: app::protocol::Invalid) -> Self {
        Self::invalid(e.0)
    }
}

impl From<crate::auth::Busy> for ApiError {
    fn from(e: crate::auth::Busy) -> Self {
        Self::busy(e.to_string(), std::time::Duration::from_secs(1))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.error.retry_after_ms.map(|ms| ms.div_ceil(1000).max(1));
        let mut response = (self.status, Json(ApiErrorBody { error: self.error })).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
