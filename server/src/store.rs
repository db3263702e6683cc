//! MongoDB access: one store per collection, every call bounded by the configured
//! timeout so a stalled database turns into a fast `Unavailable`, never a hang.

pub mod audit;
pub mod bans;
pub mod chat;
pub mod emotes;
pub mod lives;
pub mod users;

use std::{future::IntoFuture, time::Duration};

use mongodb::{
    error::ErrorKind,
    options::{Acknowledgment, ClientOptions, WriteConcern},
    Client, Database,
};

use crate::config::{WriteAcknowledgment, WriteConcernConfig};

pub use audit::AuditStore;
pub use bans::BanStore;
pub use chat::ChatStore;
pub use emotes::EmoteStore;
pub use lives::LiveStore;
pub use users::UserStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique index refused the write; the text names the index.
    #[error("duplicate key: {0}")]
    Duplicate(String),
    #[error("database error: {0}")]
    Other(#[from] mongodb::error::Error),
}

impl StoreError {
    pub(crate) fn from_driver(e: mongodb::error::Error) -> Self {
        use mongodb::error::WriteFailure;
        match &*e.kind {
            ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000 => {
                StoreError::Duplicate(w.message.clone())
            }
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. } => StoreError::Unavailable(e.to_string()),
            _ if e.contains_label(mongodb::error::RETRYABLE_WRITE_ERROR) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e),
        }
    }
}

/// Runs one database operation within `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    op: impl IntoFuture<Output = mongodb::error::Result<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, op.into_future()).await {
        Ok(r) => r.map_err(StoreError::from_driver),
        Err(_) => Err(StoreError::Unavailable(format!(
            "no answer within {} ms",
            limit.as_millis()
        ))),
    }
}

/// The stores over one database.
#[derive(Clone)]
pub struct Stores {
    pub db: Database,
    pub users: UserStore,
    pub lives: LiveStore,
    pub chat: ChatStore,
    pub bans: BanStore,
    pub audit: AuditStore,
    pub emotes: EmoteStore,
    pub timeout: Duration,
}

impl Stores {
    /// Connects lazily: the server starts (and reports not ready) even while the
    /// database is down, and recovers by itself when it comes back.
    pub async fn connect(
        uri: &str,
        timeout: Duration,
        write: &WriteConcernConfig,
    ) -> Result<Self, StoreError> {
        let mut opts = ClientOptions::parse(uri)
            .await
            .map_err(StoreError::from_driver)?;
        // Acked means stored on a majority (by default), journaled: it survives
        // a primary failover on a replica set. Bounded like every call.
        opts.write_concern = Some(
            WriteConcern::builder()
                .w(match write.w {
                    WriteAcknowledgment::Majority => Acknowledgment::Majority,
                    WriteAcknowledgment::Nodes(n) => Acknowledgment::Nodes(n),
                })
                .journal(write.journal)
                .w_timeout(timeout)
                .build(),
        );
        opts.server_selection_timeout = Some(timeout);
        opts.connect_timeout = Some(timeout);
        opts.app_name = Some("livechat".into());
        let db_name = opts
            .default_database
            .clone()
            .unwrap_or_else(|| "livechat".to_owned());
        let client = Client::with_options(opts).map_err(StoreError::from_driver)?;
        let db = client.database(&db_name);
        Ok(Self {
            users: UserStore::new(&db, timeout),
            lives: LiveStore::new(&db, timeout),
            chat: ChatStore::new(&db, timeout),
            bans: BanStore::new(&db, timeout),
            audit: AuditStore::new(&db, timeout),
            emotes: EmoteStore::new(&db, timeout),
            db,
            timeout,
        })
    }

    /// Creates the indexes the queries rely on (idempotent).
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.users.ensure_indexes().await?;
        self.lives.ensure_indexes().await?;
        self.bans.ensure_indexes().await?;
        self.audit.ensure_indexes().await?;
        self.emotes.ensure_indexes().await?;
        self.chat.ensure_indexes().await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        bounded(
            self.timeout,
            self.db.run_command(mongodb::bson::doc! {"ping": 1}),
        )
        .await
        .map(|_| ())
    }
}

pub(crate) fn rfc3339(dt: mongodb::bson::DateTime) -> String {
    // Millisecond precision, `Z` suffix: what browsers and JS `Date` parse.
    let chrono: chrono::DateTime<chrono::Utc> = dt.to_chrono();
    chrono.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
