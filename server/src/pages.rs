//! What the Leptos pages read from the server, behind `app`'s `PageBackend`.

use std::sync::Arc;

use app::{
    api::{
        ssr::{BoxFuture, PageBackend},
        LivePageData,
    },
    protocol::{LiveSummary, ReplayPage, Viewer, WireError},
};

use crate::{
    moderation::{public_settings, role_of},
    room::RoomError,
    routes::lives::directory,
    state::AppState,
};

pub struct Pages(pub AppState);

impl Pages {
    pub fn backend(state: AppState) -> app::api::ssr::Backend {
        Arc::new(Pages(state))
    }
}

impl PageBackend for Pages {
    fn directory(&self) -> BoxFuture<Result<Vec<LiveSummary>, WireError>> {
        let state = self.0.clone();
        Box::pin(async move { directory(&state).await.map_err(|e| e.error) })
    }

    fn live_page(
        &self,
        id: String,
        headers: &axum::http::HeaderMap,
    ) -> BoxFuture<Result<Option<LivePageData>, WireError>> {
        let state = self.0.clone();
        let headers = headers.clone();
        Box::pin(async move {
            let who = state
                .auth
                .identify(&headers)
                .await
                .map_err(|e| crate::error::ApiError::from(RoomError::Store(e)).error)?;
            let snapshot = match state.chat.snapshot(&id).await {
                Ok(found) => found,
                Err(RoomError::NotFound | RoomError::Invalid(_)) => return Ok(None),
                Err(e) => return Err(crate::error::ApiError::from(e).error),
            };
            let (id, live) = (&snapshot.id, &snapshot.rules.live);
            let page = &snapshot.history;
            let viewers = state.presence.viewers(id).await;
            Ok(Some(LivePageData {
                live: live.summary(viewers),
                history: page.messages.clone(),
                has_older: page.has_more,
                last_seq: page.last_seq,
                role: role_of(live, who.as_ref()),
                settings: public_settings(id, live),
            }))
        })
    }

    fn replay(
        &self,
        id: String,
        from_ms: u64,
        after_seq: Option<u64>,
    ) -> BoxFuture<Result<ReplayPage, WireError>> {
        let state = self.0.clone();
        Box::pin(async move {
            crate::replay::page(&state.chat, &id, from_ms, after_seq, None)
                .await
                .map_err(|e| crate::error::ApiError::from(e).error)
        })
    }

    fn viewer(&self, headers: &axum::http::HeaderMap) -> BoxFuture<Option<Viewer>> {
        let state = self.0.clone();
        let headers = headers.clone();
        Box::pin(async move {
            // Unknown while the database is down: the page renders as for a guest.
            let who = state.auth.identify(&headers).await.ok().flatten()?;
            Some(Viewer {
                user_id: who.user_id,
                nickname: who.nickname,
            })
        })
    }
}
