//! Custom emotes over HTTP: a room's set, uploads and removals (a browser form
//! or an API client), and the images themselves with long cache lifetimes.

use app::protocol::{
    notice::FormNotice,
    rich::{RoomEmotes, EMOTE_MAX_BYTES},
};
use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Json, Router,
};

use crate::{emotes, error::ApiError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/lives/{id}/emotes",
            get(list)
                .post(add)
                .layer(DefaultBodyLimit::max(EMOTE_MAX_BYTES + 16 * 1024)),
        )
        .route(
            "/api/lives/{id}/emotes/{code}",
            axum::routing::delete(remove),
        )
        // The same for a browser form (which can only post).
        .route(
            "/api/lives/{id}/emotes/{code}/delete",
            axum::routing::post(remove_from_form),
        )
        .route("/emotes/{id}", get(image))
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RoomEmotes>, ApiError> {
    Ok(Json(emotes::list(&state.chat, &id).await?))
}

/// A browser form (it asks for HTML) is sent back to the live page.
fn from_browser(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// `multipart/form-data` with a `code` and an `image`.
async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = async {
        let who = state.auth.identify(&headers).await?;
        let mut multipart = multipart.map_err(|e| ApiError::invalid(e.body_text()))?;
        let (mut code, mut image) = (None, None);
        while let Some(field) = multipart.next_field().await.map_err(too_big)? {
            match field.name() {
                Some("code") => code = Some(field.text().await.map_err(too_big)?),
                Some("image") => image = Some(field.bytes().await.map_err(too_big)?),
                _ => {}
            }
        }
        let (Some(code), Some(image)) = (code, image) else {
            return Err(ApiError::invalid("send a code and an image"));
        };
        Ok::<_, ApiError>(emotes::add(&state.chat, who.as_ref(), &id, &code, &image).await?)
    }
    .await;
    match (result, from_browser(&headers)) {
        (Ok(_), true) => Redirect::to(&format!("/live/{id}")).into_response(),
        (Ok(set), false) => (StatusCode::CREATED, Json(set)).into_response(),
        (Err(e), true) => {
            let notice = match e.status {
                StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => FormNotice::InvalidEmote,
                _ => e.form_notice(),
            };
            Redirect::to(&format!("/live/{id}?error={}", notice.code())).into_response()
        }
        (Err(e), false) => e.into_response(),
    }
}

fn too_big(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            app::protocol::ErrorCode::Invalid,
            format!("an emote image is at most {} KB", EMOTE_MAX_BYTES / 1024),
        )
    } else {
        ApiError::invalid(e.body_text())
    }
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, code)): Path<(String, String)>,
) -> Result<Json<RoomEmotes>, ApiError> {
    let who = state.auth.identify(&headers).await?;
    Ok(Json(
        emotes::remove(&state.chat, &state.emote_images, who.as_ref(), &id, &code).await?,
    ))
}

async fn remove_from_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, code)): Path<(String, String)>,
) -> Response {
    let who = match state.auth.identify(&headers).await {
        Ok(who) => who,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match emotes::remove(&state.chat, &state.emote_images, who.as_ref(), &id, &code).await {
        Ok(_) => Redirect::to(&format!("/live/{id}")).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            Redirect::to(&format!("/live/{id}?error={}", e.form_notice().code())).into_response()
        }
    }
}

/// An emote's image. Ids are never reused, so browsers and caches may keep
/// it for a year without asking again.
async fn image(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (emote, bytes) = state
        .chat
        .stores()
        .emotes
        .image(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such emote"))?;
    // Only the three checked types are ever served, whatever was stored.
    let content_type: &'static str = match emote.content_type.as_str() {
        "image/png" => "image/png",
        "image/webp" => "image/webp",
        "image/gif" => "image/gif",
        _ => return Err(ApiError::not_found("no such emote")),
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}
