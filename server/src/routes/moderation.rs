//! Moderation over HTTP: the same actions as the socket events, for tools.

use app::protocol::{
    moderation::{
        AuditLog, BanUser, DeleteMessage, ModerationDone, ModerationState, RoomRef, SetModerator,
        TimeoutUser, UnbanUser, UpdateRoomSettings,
    },
    rich::PinMessage,
};
use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::HeaderMap,
    routing::{get, post},
    Json, Router,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{error::ApiError, moderation::ModAction, socket::publish, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lives/{id}/moderation", get(state_of))
        .route("/api/lives/{id}/moderation/{action}", post(act))
        .route("/api/lives/{id}/audit", get(audit))
}

/// The body with the path's live id filled in, as the typed request.
fn typed<T: DeserializeOwned>(live_id: &str, body: Value) -> Result<T, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::invalid("the body must be a JSON object"));
    };
    map.insert("liveId".into(), Value::String(live_id.to_owned()));
    serde_json::from_value(Value::Object(map)).map_err(|e| ApiError::invalid(e.to_string()))
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ModerationDone>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::invalid(e.body_text()))?;
    let action = match action.as_str() {
        "delete_message" => ModAction::Delete(typed::<DeleteMessage>(&id, body)?),
        "timeout_user" => ModAction::Timeout(typed::<TimeoutUser>(&id, body)?),
        "ban_user" => ModAction::Ban(typed::<BanUser>(&id, body)?),
        "unban_user" => ModAction::Unban(typed::<UnbanUser>(&id, body)?),
        "add_moderator" => ModAction::AddModerator(typed::<SetModerator>(&id, body)?),
        "remove_moderator" => ModAction::RemoveModerator(typed::<SetModerator>(&id, body)?),
        "update_room_settings" => {
            ModAction::UpdateSettings(typed::<UpdateRoomSettings>(&id, body)?)
        }
        "pin_message" => ModAction::Pin(typed::<PinMessage>(&id, body)?),
        "unpin_message" => ModAction::Unpin(typed::<RoomRef>(&id, body)?),
        other => {
            return Err(ApiError::not_found(format!(
                "no moderation action {other:?}"
            )))
        }
    };
    let who = state.auth.identify(&headers).await?;
    let outcome = state.chat.moderate(who.as_ref(), action).await?;
    publish(&state.io, &outcome).await;
    Ok(Json(ModerationDone {
        deleted: outcome.deleted,
    }))
}

async fn state_of(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ModerationState>, ApiError> {
    let who = state.auth.identify(&headers).await?;
    Ok(Json(
        state.chat.moderation().state(who.as_ref(), &id).await?,
    ))
}

async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AuditLog>, ApiError> {
    let who = state.auth.identify(&headers).await?;
    let entries = state.chat.moderation().audit_log(who.as_ref(), &id).await?;
    Ok(Json(AuditLog { entries }))
}
