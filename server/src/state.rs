//! Everything a request handler may need, cloned cheaply per request.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    auth::{Authenticator, Passwords},
    chat::ChatService,
    config::Config,
    health::Health,
    limits::ClientLimits,
    presence::Presence,
    sockets::Sockets,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub auth: Authenticator,
    pub passwords: Passwords,
    pub chat: ChatService,
    pub io: Sockets,
    pub limits: Arc<ClientLimits>,
    pub presence: Presence,
    pub health: Health,
    /// Emote images served lately.
    pub emote_images: Arc<crate::emotes::ImageCache>,
    /// Held while a live is created, so per-account limits hold under concurrency.
    pub live_creation: Arc<tokio::sync::Mutex<()>>,
}
