//! Request bodies that may come from a browser form or a JSON client.

use axum::{
    extract::{FromRequest, Request},
    http::header::CONTENT_TYPE,
    Form, Json,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A body parsed from JSON or from an urlencoded form; `from_form` tells the
/// handler whether to answer with a redirect (browser) or JSON (API client).
pub struct FormOrJson<T> {
    pub value: T,
    pub from_form: bool,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormOrJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            let Json(value) = Json::<T>::from_request(req, state)
                .await
                .map_err(|e| ApiError::invalid(e.body_text()))?;
            Ok(Self {
                value,
                from_form: false,
            })
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let Form(value) = Form::<T>::from_request(req, state)
                .await
                .map_err(|e| ApiError::invalid(e.body_text()))?;
            Ok(Self {
                value,
                from_form: true,
            })
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                app::protocol::ErrorCode::Invalid,
                "send application/json or an urlencoded form",
            ))
        }
    }
}
