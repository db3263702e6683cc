//! The wire protocol: the one definition of every event name, payload, message and
//! error code that the server and the browser exchange. Both ends use these types.

pub mod domain;
pub mod moderation;
pub mod notice;
pub mod packet;
pub mod people;
pub mod rich;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use domain::*;

/// Event names, client -> server.
pub mod events {
    pub const ENTER_ROOM: &str = "enter_room";
    pub const LEAVE_ROOM: &str = "leave_room";
    pub const NEW_MESSAGE: &str = "new_message";
    pub const GET_CHAT: &str = "get_all_chat_by_liveId";
    /// Server -> client.
    pub const SENDING_MESSAGE: &str = "sending_message";
    /// Server -> client, to sockets that entered with `batch: true`: a busy
    /// room's messages, in seq order, at most one frame per 50 ms.
    pub const SENDING_MESSAGES: &str = "sending_messages";
    pub const VIEWER_COUNT: &str = "viewer_count";
}

/// Most messages a history request may ask for, and how many it gets by default.
pub const HISTORY_MAX: u32 = 100;
pub const HISTORY_DEFAULT: u32 = 50;

/// A stored chat message as every client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: String,
    pub live_id: String,
    pub seq: u64,
    pub user_id: String,
    pub nickname: String,
    pub content: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub client_id: String,
    /// The sender's role badge in this room when they sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<moderation::Badge>,
    /// The text's pieces (mentions, links, emotes); absent when it is all plain
    /// text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fragments: Vec<rich::Fragment>,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<rich::ReplyTo>,
    /// The accounts `@mentioned` in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Sent as `/me ...`: shown as something the sender does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub action: bool,
}

impl ChatMessage {
    /// The text's pieces, a plain message's whole text as one.
    pub fn pieces(&self) -> std::borrow::Cow<'_, [rich::Fragment]> {
        if self.fragments.is_empty() {
            std::borrow::Cow::Owned(vec![rich::Fragment::Text {
                text: self.content.clone(),
            }])
        } else {
            std::borrow::Cow::Borrowed(&self.fragments)
        }
    }

    /// Whether `user_id` is called in this message.
    pub fn mentions_user(&self, user_id: &str) -> bool {
        self.mentions.iter().any(|m| m == user_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterRoom {
    pub live_id: String,
    /// Receive this room's messages as `sending_messages` batches instead of one
    /// `sending_message` event each.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomEntered {
    pub history: Vec<ChatMessage>,
    /// The newest seq this answer accounts for: every seq up to it that is not in
    /// `history` (and not older than its first message) was deleted.
    #[serde(default)]
    pub last_seq: u64,
    pub viewers: u64,
    /// What this socket's user may do here.
    pub role: moderation::RoomRole,
    pub settings: moderation::PublicRoomSettings,
    /// The room's pinned message, if one is pinned now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<rich::Pin>,
    /// The room's custom emotes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emotes: Vec<rich::Emote>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveRoom {
    pub live_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    pub live_id: String,
    pub content: String,
    pub client_id: String,
    /// The id of the message (in the same live) this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStored {
    pub message: ChatMessage,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetChat {
    pub live_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatPage {
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    pub has_more: bool,
    /// The newest seq this page accounts for (see `RoomEntered::last_seq`).
    #[serde(default)]
    pub last_seq: u64,
}

/// A live's messages by time, for replaying its chat with the recording:
/// those sent at least `fromMs` after it started, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayPage {
    pub messages: Vec<ChatMessage>,
    pub has_more: bool,
}

impl ReplayPage {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 200;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewerCount {
    pub live_id: String,
    pub count: u64,
}

/// Empty success payload (`{ok:true}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Stable error codes clients may branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Invalid,
    NotFound,
    Unavailable,
    /// Not allowed: a foreign origin, a missing permission, a ban or timeout.
    Forbidden,
    /// Slow mode: wait before sending again.
    SlowMode,
    /// The message contains a term blocked in this room.
    Blocked,
    /// Too many messages or requests; wait `retryAfterMs`.
    RateLimited,
    /// Not from the server: the client gave up waiting for an ack.
    Timeout,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Invalid => "invalid",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::SlowMode => "slow_mode",
            ErrorCode::Blocked => "blocked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
#[serde(rename_all = "camelCase")]
pub struct WireError {
    pub code: ErrorCode,
    pub message: String,
    /// For `rate_limited` and `slow_mode`: how long to wait before sending again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// For `forbidden` by a timeout: when it ends (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Which rule refused it, when the code alone does not say: clients word
    /// the error in the viewer's language from `code` and `reason`, not from
    /// `message` (English, for logs and API users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ErrorReason>,
    /// For `account_too_new`: the room's minimum account age in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
}

/// A finer, stable cause under an [`ErrorCode`]. Reasons this build does not
/// know read as `other` (the code still says what kind of refusal it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorReason {
    Banned,
    TimedOut,
    LinksModeratorsOnly,
    LinksNone,
    AccountTooNew,
    TooLong,
    Empty,
    /// The message asked for (to jump to, reply to) is gone.
    MessageGone,
    #[serde(other)]
    Other,
}

impl WireError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
            until: None,
            reason: None,
            minutes: None,
        }
    }

    pub fn because(mut self, reason: ErrorReason) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn retry_after(mut self, ms: u64) -> Self {
        self.retry_after_ms = Some(ms);
        self
    }

    pub fn until(mut self, at: impl Into<String>) -> Self {
        self.until = Some(at.into());
        self
    }
}

/// Every ack: `{ok:true, ...data}` or `{ok:false, error:{code,message}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ack<T> {
    Ok(T),
    Err(WireError),
}

impl<T> From<Result<T, WireError>> for Ack<T> {
    fn from(r: Result<T, WireError>) -> Self {
        match r {
            Ok(t) => Ack::Ok(t),
            Err(e) => Ack::Err(e),
        }
    }
}

impl<T> From<Ack<T>> for Result<T, WireError> {
    fn from(a: Ack<T>) -> Self {
        match a {
            Ack::Ok(t) => Ok(t),
            Ack::Err(e) => Err(e),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct AckOk<T> {
    ok: bool,
    #[serde(flatten)]
    data: T,
}

#[derive(Serialize, Deserialize)]
struct AckErr {
    ok: bool,
    error: WireError,
}

impl<T: Serialize> Serialize for Ack<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ack::Ok(data) => AckOk { ok: true, data }.serialize(s),
            Ack::Err(error) => AckErr {
                ok: false,
                error: error.clone(),
            }
            .serialize(s),
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Ack<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        match value.get("ok").and_then(|v| v.as_bool()) {
            Some(true) => {
                let data: AckOk<T> = serde_json::from_value(value).map_err(D::Error::custom)?;
                Ok(Ack::Ok(data.data))
            }
            Some(false) => {
                let err: AckErr = serde_json::from_value(value).map_err(D::Error::custom)?;
                Ok(Ack::Err(err.error))
            }
            None => Err(D::Error::custom("ack without a boolean `ok`")),
        }
    }
}

/// A live room as listed in the directory and shown on its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveSummary {
    pub id: String,
    pub title: String,
    pub streamer_id: String,
    pub streamer_nickname: String,
    pub status: LiveStatus,
    /// When it went live (RFC 3339).
    pub created_at: String,
    /// When it ended (RFC 3339); absent while live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default)]
    pub viewers: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    Live,
    Ended,
}

impl LiveStatus {
    /// The stored and serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Live => "live",
            LiveStatus::Ended => "ended",
        }
    }
}

/// `POST /api/lives` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLive {
    pub title: String,
    /// A playable stream URL (HLS, MP4, ...) for the page's `<video>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
}

/// The logged-in viewer as pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    pub user_id: String,
    pub nickname: String,
}

/// Error body of every JSON API error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: WireError,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ack_ok_flattens_data() {
        let ack: Ack<ViewerCount> = Ack::Ok(ViewerCount {
            live_id: "l".into(),
            count: 3,
        });
        assert_eq!(
            serde_json::to_value(&ack).unwrap(),
            json!({"ok": true, "liveId": "l", "count": 3})
        );
        let empty: Ack<Empty> = Ack::Ok(Empty {});
        assert_eq!(serde_json::to_value(&empty).unwrap(), json!({"ok": true}));
    }

    #[test]
    fn ack_error_round_trips() {
        let ack: Ack<Empty> = Ack::Err(WireError::new(ErrorCode::NotFound, "no such live"));
        let v = serde_json::to_value(&ack).unwrap();
        assert_eq!(
            v,
            json!({"ok": false, "error": {"code": "not_found", "message": "no such live"}})
        );
        let back: Ack<Empty> = serde_json::from_value(v).unwrap();
        assert_eq!(back, ack);
    }

    #[test]
    fn ack_without_ok_is_rejected() {
        assert!(serde_json::from_value::<Ack<Empty>>(json!({"data": 1})).is_err());
    }

    #[test]
    fn get_chat_fields_are_optional() {
        let g: GetChat = serde_json::from_value(json!({"liveId": "x"})).unwrap();
        assert_eq!(g.before, None);
        assert_eq!(g.limit, None);
    }
}

#[cfg(test)]
mod ack_parse_tests {
    use super::*;

    #[test]
    fn a_stored_message_ack_parses() {
        let raw = serde_json::json!({"ok": true, "message": {
            "id": "6b073cf5ddf51cdbcf05636a", "liveId": "6b073cf5ddf51cdbcf05636b", "seq": 1,
            "userId": "u", "nickname": "n", "content": "hi",
            "createdAt": "2026-11-25T19:55:00.000Z", "clientId": "c", "badge": "moderator"}});
        let ack: Ack<MessageStored> = serde_json::from_value(raw).unwrap();
        let Ack::Ok(stored) = ack else {
            panic!("not ok")
        };
        assert_eq!(stored.message.badge, Some(moderation::Badge::Moderator));
    }
}
