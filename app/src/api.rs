//! Server functions the pages load their data with. The server provides a
//! [`ssr::PageBackend`] in context; the browser calls these over HTTP when it
//! navigates without a full page load.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::protocol::{
    moderation::{PublicRoomSettings, RoomRole},
    ChatMessage, LiveSummary, ReplayPage, Viewer,
};

/// Everything the live page renders on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LivePageData {
    pub live: LiveSummary,
    /// The newest messages, oldest first.
    pub history: Vec<ChatMessage>,
    pub has_older: bool,
    /// The newest seq the history accounts for (deleted ones included).
    #[serde(default)]
    pub last_seq: u64,
    /// The viewer's role in this room.
    pub role: RoomRole,
    pub settings: PublicRoomSettings,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::{future::Future, pin::Pin, sync::Arc};

    use super::LivePageData;
    use crate::protocol::{LiveSummary, ReplayPage, Viewer, WireError};

    pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

    /// What the pages need from the server, implemented by the `server` crate.
    pub trait PageBackend: Send + Sync + 'static {
        fn directory(&self) -> BoxFuture<Result<Vec<LiveSummary>, WireError>>;
        /// The page as the requester (identified by `headers`) sees it.
        fn live_page(
            &self,
            id: String,
            headers: &http::HeaderMap,
        ) -> BoxFuture<Result<Option<LivePageData>, WireError>>;
        fn viewer(&self, headers: &http::HeaderMap) -> BoxFuture<Option<Viewer>>;
        /// A live's messages from `from_ms` after it started (or after
        /// `after_seq`, for the next page).
        fn replay(
            &self,
            id: String,
            from_ms: u64,
            after_seq: Option<u64>,
        ) -> BoxFuture<Result<ReplayPage, WireError>>;
    }

    pub type Backend = Arc<dyn PageBackend>;

    pub fn backend() -> Result<Backend, leptos::prelude::ServerFnError> {
        leptos::prelude::use_context::<Backend>()
            .ok_or_else(|| leptos::prelude::ServerFnError::new("page backend missing"))
    }
}

#[server(prefix = "/sfn")]
pub async fn current_viewer() -> Result<Option<Viewer>, ServerFnError> {
    let backend = ssr::backend()?;
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Ok(None);
    };
    Ok(backend.viewer(&parts.headers).await)
}

#[server(prefix = "/sfn")]
pub async fn list_lives() -> Result<Vec<LiveSummary>, ServerFnError> {
    ssr::backend()?
        .directory()
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server(prefix = "/sfn")]
pub async fn load_live_page(id: String) -> Result<Option<LivePageData>, ServerFnError> {
    let headers = use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    ssr::backend()?
        .live_page(id, &headers)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server(prefix = "/sfn")]
pub async fn load_replay(
    id: String,
    from_ms: u64,
    after_seq: Option<u64>,
) -> Result<ReplayPage, ServerFnError> {
    ssr::backend()?
        .replay(id, from_ms, after_seq)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}
