//! The live chat server: pages (Leptos SSR), the JSON API and socket.io on one
//! port, over MongoDB.

pub mod auth;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod emotes;
pub mod error;
pub mod extract;
pub mod guard;
pub mod headers;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod moderation;
pub mod pages;
pub mod people;
pub mod presence;
pub mod replay;
pub mod room;
pub mod room_engine;
pub mod routes;
pub mod seed;
pub mod socket;
pub mod sockets;
pub mod state;
pub mod store;

use std::{future::Future, sync::Arc};

use app::{shell, App};
use axum::{middleware, routing::post, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use socketioxide::SocketIo;
use tokio::net::TcpListener;

use crate::{
    auth::{Authenticator, Passwords},
    chat::ChatService,
    cluster::Cluster,
    config::Config,
    health::Health,
    limits::ClientLimits,
    moderation::Moderation,
    pages::Pages,
    presence::Presence,
    sockets::{ClusterAdapter, Sockets},
    state::AppState,
    store::Stores,
};

/// Builds the whole application: state, socket.io and the router.
pub async fn build(
    config: Config,
    leptos_options: LeptosOptions,
) -> startup::Result<(Router, Sockets, ChatService)> {
    let stores = Stores::connect(
        &config.mongodb_uri,
        config.db_timeout,
        &config.write_concern,
    )
    .await?;
    let cluster = match &config.redis_url {
        Some(url) => {
            let connected = Cluster::connect(url, &config.redis_prefix).await?;
            tracing::info!(
                node = connected.cluster.node_id(),
                "cluster mode: redis connected"
            );
            Some(connected)
        }
        None => None,
    };
    // Indexes and demo data need the database; if it is down at start the server
    // still comes up (readiness says not ready) and creates them once it is back.
    {
        let stores = stores.clone();
        let seed = config.seed_demo;
        tokio::spawn(async move { prepare_database(stores, seed).await });
    }
    let health = Health::watch(stores.clone());
    let auth = Authenticator::new(&config.jwt, stores.users.clone(), config.cookie_secure);
    let presence = Presence::new(cluster.as_ref().map(|c| c.cluster.clone()));
    let chat = ChatService::new(
        stores.clone(),
        Moderation::new(
            stores,
            &config.limits,
            cluster.as_ref().map(|c| c.cluster.clone()),
        ),
        Arc::new(metrics::Metrics::new()),
        presence.clone(),
        config.rooms.clone(),
        cluster.as_ref().map(|c| c.cluster.clone()),
    );
    let limits = Arc::new(ClientLimits::new(
        &config.limits,
        cluster.as_ref().map(|c| c.cluster.clone()),
    ));
    {
        // Limiter state of clients gone quiet is dropped, so memory stays bounded.
        let (chat, limits) = (chat.clone(), limits.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                chat.moderation().sweep();
                limits.sweep();
            }
        });
    }

    // The protocol uses no binary attachments: allow none, and bound their buffer
    // by the packet cap (socketioxide's defaults are 10,000 and 10 MB a socket).
    let parser = socketioxide::ParserConfig::common()
        .max_incoming_binaries(0)
        .max_incoming_binary_buf_size(config.max_packet_bytes as usize);
    let builder = SocketIo::builder()
        .max_payload(config.max_packet_bytes)
        .max_buffer_size(config.socket_buffer_packets)
        .ws_read_buffer_size(config.ws_read_buffer_bytes)
        .ws_max_message_size(config.max_packet_bytes as usize)
        .ws_max_frame_size(config.max_packet_bytes as usize)
        .with_parser(parser)
        .with_state(chat.clone())
        .with_state(auth.clone())
        .with_state(limits.clone())
        .with_state(presence.clone());
    let (socket_layer, io) = match cluster {
        None => {
            let (layer, io) = builder.build_layer();
            socket::register!(io);
            (SocketLayer::Single(layer), Sockets::Single(io))
        }
        Some(connected) => {
            let adapter_client = connected.adapter_client.clone();
            let adapter = socketioxide_redis::RedisAdapterCtr::new_with_fred_config(
                connected.adapter_client,
                socketioxide_redis::RedisAdapterConfig::new()
                    .with_prefix(format!("{}-sio", config.redis_prefix))
                    .with_request_timeout(std::time::Duration::from_secs(2)),
            )
            .await
            .map_err(cluster::ClusterError::from)?;
            let (layer, io) = builder
                .with_adapter::<ClusterAdapter>(adapter)
                .build_layer();
            socket::register!(io)
                .await
                .map_err(|e| startup::StartError::Adapter(e.to_string()))?;
            cluster::keep_subscribed(&adapter_client, || {});
            (SocketLayer::Cluster(layer), Sockets::Cluster(io))
        }
    };
    presence.attach(io.clone());
    chat.attach(io.clone()).await?;

    let state = AppState {
        passwords: Passwords::new(
            config.limits.password_hash_concurrency,
            config.limits.password_hash_wait,
        ),
        leptos_options,
        config: Arc::new(config),
        auth,
        chat: chat.clone(),
        io: io.clone(),
        limits,
        presence,
        health,
        live_creation: Arc::default(),
        emote_images: Arc::default(),
    };
    let backend = Pages::backend(state.clone());
    let routes = generate_route_list(App);
    let page_context = {
        let (frame_ancestors, embed_ancestors, mode) = (
            state.config.frame_ancestors.clone(),
            state.config.embed_ancestors.clone(),
            state.config.mode,
        );
        move || {
            provide_context(backend.clone());
            headers::provide_page_policy(&frame_ancestors, &embed_ancestors, mode);
        }
    };

    let router = Router::new()
        .route(
            "/sfn/{*fn_name}",
            post({
                let page_context = page_context.clone();
                move |req| handle_server_fns_with_context(page_context.clone(), req)
            }),
        )
        .merge(routes::api())
        .leptos_routes_with_context(&state, routes, page_context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, shell));
    let router = match socket_layer {
        SocketLayer::Single(layer) => router.layer(layer),
        SocketLayer::Cluster(layer) => router.layer(layer),
    };
    let router = router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::front_door,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state);
    Ok((router, io, chat))
}

/// The socket.io layer of either kind of server.
enum SocketLayer {
    Single(socketioxide::layer::SocketIoLayer),
    Cluster(socketioxide::layer::SocketIoLayer<ClusterAdapter>),
}

async fn prepare_database(stores: Stores, seed: bool) {
    let mut delay = std::time::Duration::from_millis(200);
    loop {
        let result = async {
            stores.ensure_indexes().await?;
            if seed {
                seed::seed_demo(&stores).await?;
            }
            Ok::<_, store::StoreError>(())
        }
        .await;
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "database not prepared yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
        }
    }
}

/// How long a graceful shutdown may take before the process exits anyway.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until `shutdown` resolves; then stops taking sends, finishes the stores
/// and acks in flight, closes every socket (clients reconnect and catch up), and
/// returns within `SHUTDOWN_GRACE`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    io: Sockets,
    chat: ChatService,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(true);
        tracing::info!("shutting down: draining sends");
        if !chat.drain(SHUTDOWN_GRACE / 2).await {
            tracing::warn!("sends still in flight at shutdown");
        }
        tracing::info!("closing sockets");
        io.close().await;
    });
    tokio::select! {
        r = server => r,
        _ = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("graceful shutdown took too long; exiting");
            Ok(())
        }
    }
}

/// The error of start-up.
pub mod startup {
    #[derive(Debug, thiserror::Error)]
    pub enum StartError {
        #[error(transparent)]
        Config(#[from] crate::config::ConfigError),
        #[error(transparent)]
        Store(#[from] crate::store::StoreError),
        #[error("cannot listen: {0}")]
        Io(#[from] std::io::Error),
        #[error(transparent)]
        Cluster(#[from] crate::cluster::ClusterError),
        #[error("socket.io adapter: {0}")]
        Adapter(String),
    }
    pub type Result<T> = std::result::Result<T, StartError>;
}
