//! Live rooms over HTTP: the directory, one live, its chat history, and creation.

use app::protocol::{
    ChatPage, CreateLive, GetChat, LiveId, LiveStatus, LiveSummary, LiveTitle, ReplayPage, VideoUrl,
};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;

use app::protocol::notice::FormNotice;

use crate::{error::ApiError, extract::FormOrJson, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lives", get(list).post(create))
        .route("/api/lives/{id}", get(one))
        .route("/api/lives/{id}/end", post(end))
        .route("/api/lives/{id}/chat", get(history))
        .route("/api/lives/{id}/replay", get(replay))
}

/// The directory with each room's current viewer count.
pub async fn directory(state: &AppState) -> Result<Vec<LiveSummary>, ApiError> {
    let lives = state.chat.stores().lives.directory().await?;
    Ok(futures::future::join_all(lives.iter().map(|l| async move {
        let viewers = match LiveId::parse(&l.id.to_hex()) {
            Ok(id) => state.presence.viewers(&id).await,
            Err(_) => 0,
        };
        l.summary(viewers)
    }))
    .await)
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<LiveSummary>>, ApiError> {
    Ok(Json(directory(&state).await?))
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LiveSummary>, ApiError> {
    let (id, live) = state.chat.live(&id).await?;
    Ok(Json(live.summary(state.presence.viewers(&id).await)))
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    input: FormOrJson<CreateLive>,
) -> Response {
    let from_form = input.from_form;
    let result = async {
        let who = state
            .auth
            .identify(&headers)
            .await?
            .ok_or_else(|| ApiError::unauthorized("log in to create a live"))?;
        let title = LiveTitle::parse(&input.value.title)
            .map_err(|e| ApiError::from(e).with_notice(FormNotice::InvalidTitle))?;
        let video = VideoUrl::parse_optional(input.value.video_url.as_deref())
            .map_err(|e| ApiError::from(e).with_notice(FormNotice::InvalidVideoUrl))?;
        // One account cannot flood the directory. Creations are serialised so
        // concurrent requests cannot all pass the count.
        let _one_at_a_time = state.live_creation.lock().await;
        let limits = &state.config.limits;
        let day_ago = bson::DateTime::from_millis(
            bson::DateTime::now().timestamp_millis() - 24 * 3600 * 1000,
        );
        let (open, today) = state
            .chat
            .stores()
            .lives
            .usage_of(&who.user_id, day_ago)
            .await?;
        if open >= limits.open_lives_per_user || today >= limits.lives_per_day {
            let why = if open >= limits.open_lives_per_user {
                format!(
                    "you may have {} lives open at once; end one first",
                    limits.open_lives_per_user
                )
            } else {
                format!("you may create {} lives a day", limits.lives_per_day)
            };
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                app::protocol::ErrorCode::RateLimited,
                why,
            )
            .with_notice(FormNotice::TooManyLives));
        }
        let live = state
            .chat
            .stores()
            .lives
            .create(
                &title,
                &who.user_id,
                &who.nickname,
                video.map(VideoUrl::into_inner),
            )
            .await?;
        Ok::<_, ApiError>(live.summary(0))
    }
    .await;
    match (result, from_form) {
        (Ok(live), true) => Redirect::to(&format!("/live/{}", live.id)).into_response(),
        (Ok(live), false) => (StatusCode::CREATED, Json(live)).into_response(),
        (Err(e), true) => {
            Redirect::to(&format!("/?error={}", e.form_notice().code())).into_response()
        }
        (Err(e), false) => e.into_response(),
    }
}

/// Marks a live as ended; only its streamer may.
async fn end(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<LiveSummary>, ApiError> {
    let who = state
        .auth
        .identify(&headers)
        .await?
        .ok_or_else(|| ApiError::unauthorized("log in to end a live"))?;
    let (id, live) = state.chat.live(&id).await?;
    if live.streamer_id != who.user_id {
        return Err(ApiError::forbidden("only the streamer can end this live"));
    }
    let ended = state
        .chat
        .stores()
        .lives
        .set_status(&id, LiveStatus::Ended)
        .await?
        .ok_or_else(|| ApiError::not_found("no such live"))?;
    state.chat.live_changed(&id).await;
    Ok(Json(ended.summary(state.presence.viewers(&id).await)))
}

#[derive(Deserialize)]
struct HistoryParams {
    before: Option<u64>,
    after: Option<u64>,
    limit: Option<u32>,
}

async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<Json<ChatPage>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::invalid(e.body_text()))?;
    let page = state
        .chat
        .history(&GetChat {
            live_id: id,
            before: p.before,
            after: p.after,
            limit: p.limit,
        })
        .await?;
    Ok(Json(page))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplayParams {
    #[serde(default)]
    from_ms: u64,
    after_seq: Option<u64>,
    limit: Option<u32>,
}

/// The chat by time since the live started, for replays.
async fn replay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<ReplayParams>, QueryRejection>,
) -> Result<Json<ReplayPage>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::invalid(e.body_text()))?;
    Ok(Json(
        crate::replay::page(&state.chat, &id, p.from_ms, p.after_seq, p.limit).await?,
    ))
}
