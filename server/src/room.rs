//! What every room operation shares: the room's error type (what clients are
//! told, and what is logged) and looking a live up by its raw id. Chat and
//! moderation both build on this module, not on each other.

pub mod compose;
pub mod people;
pub mod recent;
pub mod rules;

use std::time::Duration;

use app::protocol::{ErrorCode, ErrorReason, LiveId, WireError};
use bson::DateTime;

use crate::store::{lives::LiveDoc, StoreError, Stores};

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("log in to chat")]
    Unauthorized,
    #[error("{0}")]
    Invalid(String),
    #[error("no such live")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    /// Forbidden by one of the room's rules, which the client words itself.
    #[error("{message}")]
    Refused {
        reason: ErrorReason,
        message: String,
        minutes: Option<u32>,
    },
    #[error("you are banned from this chat")]
    Banned { until: Option<DateTime> },
    #[error("slow mode is on")]
    SlowMode(Duration),
    #[error("your message contains a term that is blocked in this chat")]
    Blocked,
    #[error("you are sending too fast")]
    RateLimited(Duration),
    /// The room cannot take more right now (its queue is full, or the send was
    /// not stored in time); resending the same clientId later is safe.
    #[error("{0}")]
    Busy(&'static str, Duration),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn wait_text(d: Duration) -> String {
    format!("{} s", d.as_secs() + u64::from(d.subsec_millis() > 0))
}

impl RoomError {
    /// Logs the cause of a failure that is ours, not the client's; call once,
    /// where the error is answered.
    pub fn log_if_internal(&self) {
        if let RoomError::Store(e) = self {
            tracing::error!(error = %e, "chat store failure");
        }
    }

    /// What the client is told (a pure conversion): store failures become a
    /// generic `unavailable`, their cause stays in the log.
    pub fn to_wire(&self) -> WireError {
        match self {
            RoomError::Unauthorized => WireError::new(ErrorCode::Unauthorized, self.to_string()),
            RoomError::Invalid(m) => WireError::new(ErrorCode::Invalid, m.clone()),
            RoomError::NotFound => WireError::new(ErrorCode::NotFound, self.to_string()),
            RoomError::Forbidden(m) => WireError::new(ErrorCode::Forbidden, m.clone()),
            RoomError::Refused {
                reason,
                message,
                minutes,
            } => WireError {
                minutes: *minutes,
                ..WireError::new(ErrorCode::Forbidden, message.clone()).because(*reason)
            },
            RoomError::Banned { until: None } => {
                WireError::new(ErrorCode::Forbidden, self.to_string()).because(ErrorReason::Banned)
            }
            RoomError::Banned { until: Some(t) } => {
                let at = crate::store::rfc3339(*t);
                WireError::new(
                    ErrorCode::Forbidden,
                    format!("you are timed out until {} UTC", &at[11..19]),
                )
                .until(at)
                .because(ErrorReason::TimedOut)
            }
            RoomError::SlowMode(wait) => WireError::new(
                ErrorCode::SlowMode,
                format!(
                    "slow mode is on: wait {} before your next message",
                    wait_text(*wait)
                ),
            )
            .retry_after(wait.as_millis() as u64),
            RoomError::Blocked => WireError::new(ErrorCode::Blocked, self.to_string()),
            RoomError::RateLimited(wait) => WireError::new(
                ErrorCode::RateLimited,
                format!("you are sending too fast: wait {}", wait_text(*wait)),
            )
            .retry_after(wait.as_millis() as u64),
            RoomError::Busy(why, wait) => {
                WireError::new(ErrorCode::Unavailable, *why).retry_after(wait.as_millis() as u64)
            }
            RoomError::Store(_) => WireError::new(
                ErrorCode::Unavailable,
                "chat is temporarily unavailable; try again",
            ),
        }
    }
}

impl From<app::protocol::Invalid> for RoomError {
    fn from(e: app::protocol::Invalid) -> Self {
        RoomError::Invalid(e.0)
    }
}

/// A live by its raw id: `Invalid` when malformed, `NotFound` when absent.
pub async fn find_live(stores: &Stores, raw_id: &str) -> Result<(LiveId, LiveDoc), RoomError> {
    let id = LiveId::parse(raw_id)?;
    let live = stores.lives.get(&id).await?.ok_or(RoomError::NotFound)?;
    Ok((id, live))
}

/// The socket.io room of a live.
pub fn room_of(id: &LiveId) -> String {
    format!("live:{id}")
}

/// The socket.io room of a live's sockets that take messages in batches.
pub fn batch_room_of(id: &LiveId) -> String {
    format!("batch:{id}")
}

/// The socket.io room of a live's sockets that take one event per message.
pub fn single_room_of(id: &LiveId) -> String {
    format!("single:{id}")
}

/// The socket.io room of a live's moderators (notices for them only).
pub fn mods_room_of(id: &LiveId) -> String {
    format!("mods:{id}")
}
