//! Everything a request handler may need, cloned cheaply per request.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use socketioxide::SocketIo;

use crate::{auth::TokenKeys, chat::ChatService, config::Config, moderation::limits::ClientLimits};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub keys: TokenKeys,
    pub chat: ChatService,
    pub io: SocketIo,
    pub limits: Arc<ClientLimits>,
}
