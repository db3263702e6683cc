//! Everything a request handler may need, cloned cheaply per request.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use socketioxide::SocketIo;

use crate::{
    auth::{Authenticator, Passwords},
    chat::ChatService,
    config::Config,
    health::Health,
    limits::ClientLimits,
    presence::Presence,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub auth: Authenticator,
    pub passwords: Passwords,
    pub chat: ChatService,
    pub io: SocketIo,
    pub limits: Arc<ClientLimits>,
    pub presence: Presence,
    pub health: Health,
    /// Held while a live is created, so per-account limits hold under concurrency.
    pub live_creation: Arc<tokio::sync::Mutex<()>>,
}
