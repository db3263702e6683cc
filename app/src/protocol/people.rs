//! People in a room on the wire: the user card, a viewer's ignore list, and the
//! moderators' "first message here" notice.

use serde::{Deserialize, Serialize};

use super::{
    moderation::{Badge, RoomRole},
    ChatMessage,
};

/// Event names, client -> server (each with an ack) and server -> client.
pub mod events {
    pub const GET_USER_CARD: &str = "get_user_card";
    pub const GET_IGNORED: &str = "get_ignored";
    pub const IGNORE_USER: &str = "ignore_user";
    /// Server -> the room's moderators only.
    pub const FIRST_MESSAGE: &str = "first_message";
}

/// The most accounts one viewer may ignore.
pub const IGNORED_MAX: usize = 500;
/// How many of a user's recent messages moderators see on the card.
pub const CARD_RECENT: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUserCard {
    pub live_id: String,
    pub user_id: String,
}

/// What clicking a nickname shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCard {
    pub user_id: String,
    pub nickname: String,
    /// When the account was created (RFC 3339), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_created_at: Option<String>,
    /// Their visible messages in this room.
    pub message_count: u64,
    pub role: RoomRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<Badge>,
    /// For moderators only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation: Option<CardModeration>,
}

/// What moderators see on a card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardModeration {
    /// Newest last.
    pub recent: Vec<ChatMessage>,
    /// Their ban or timeout in this room, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<Restriction>,
    /// Whether the asking moderator may act on them.
    pub can_act: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restriction {
    /// RFC 3339 end of a timeout; absent for a ban.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreUser {
    pub user_id: String,
    /// `false` stops ignoring them.
    pub ignore: bool,
}

/// A viewer's ignore list (kept in their account).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoredUsers {
    pub user_ids: Vec<String>,
}

/// `first_message`: a user's first message in this room, for moderators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstMessage {
    pub live_id: String,
    pub message_id: String,
    pub user_id: String,
}
