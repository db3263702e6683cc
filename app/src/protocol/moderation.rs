//! Moderation on the wire: roles, badges, room settings and moderator actions.

use serde::{Deserialize, Serialize};

/// Event names of moderation, client -> server (each with an ack) and server -> client.
pub mod events {
    pub const DELETE_MESSAGE: &str = "delete_message";
    pub const TIMEOUT_USER: &str = "timeout_user";
    pub const BAN_USER: &str = "ban_user";
    pub const UNBAN_USER: &str = "unban_user";
    pub const ADD_MODERATOR: &str = "add_moderator";
    pub const REMOVE_MODERATOR: &str = "remove_moderator";
    pub const UPDATE_ROOM_SETTINGS: &str = "update_room_settings";
    pub const GET_MODERATION: &str = "get_moderation";
    pub const GET_AUDIT_LOG: &str = "get_audit_log";
    /// Server -> client.
    pub const MESSAGE_DELETED: &str = "message_deleted";
    pub const ROOM_SETTINGS: &str = "room_settings";
}

/// What a user may do in one room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomRole {
    Guest,
    Viewer,
    Moderator,
    Streamer,
    Admin,
}

impl RoomRole {
    /// Moderators, the streamer and admins moderate.
    pub fn moderates(self) -> bool {
        self >= RoomRole::Moderator
    }

    /// Whether this role may act on a user holding `target` in the same room:
    /// delete their messages, time them out, ban or unban them. Moderators act on
    /// viewers, the streamer also on moderators, admins on everyone but admins.
    pub fn may_act_on(self, target: RoomRole) -> bool {
        match self {
            RoomRole::Admin => target < RoomRole::Admin,
            RoomRole::Streamer => target <= RoomRole::Moderator,
            RoomRole::Moderator => target <= RoomRole::Viewer,
            RoomRole::Viewer | RoomRole::Guest => false,
        }
    }

    /// Whether bans and timeouts bind this role (everyone but the streamer and
    /// admins).
    pub fn can_be_restricted(self) -> bool {
        self < RoomRole::Streamer
    }

    /// The badge shown next to the nickname, if any.
    pub fn badge(self) -> Option<Badge> {
        match self {
            RoomRole::Admin => Some(Badge::Admin),
            RoomRole::Streamer => Some(Badge::Streamer),
            RoomRole::Moderator => Some(Badge::Moderator),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    Streamer,
    Moderator,
    Admin,
}

impl Badge {
    pub fn label(self) -> &'static str {
        match self {
            Badge::Streamer => "streamer",
            Badge::Moderator => "mod",
            Badge::Admin => "admin",
        }
    }
}

/// The settings everyone in the room sees (`room_settings`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicRoomSettings {
    pub live_id: String,
    /// Seconds between one user's messages; 0 = off.
    pub slow_mode_secs: u32,
    /// Accounts younger than this many minutes cannot send; 0 = off.
    pub min_account_age_mins: u32,
    #[serde(default)]
    pub links: LinkPolicy,
}

/// Who may post messages with links in a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPolicy {
    #[default]
    All,
    /// Moderators, the streamer and admins only.
    Moderators,
    /// Nobody.
    None,
}

impl LinkPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPolicy::All => "all",
            LinkPolicy::Moderators => "moderators",
            LinkPolicy::None => "none",
        }
    }

    /// Whether `role` may post links under this policy.
    pub fn allows(self, role: RoomRole) -> bool {
        match self {
            LinkPolicy::All => true,
            LinkPolicy::Moderators => role.moderates(),
            LinkPolicy::None => false,
        }
    }
}

/// All of a room's settings; the blocked terms are for moderators only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomSettings {
    pub slow_mode_secs: u32,
    pub min_account_age_mins: u32,
    pub blocked_terms: Vec<String>,
    #[serde(default)]
    pub links: LinkPolicy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteMessage {
    pub live_id: String,
    pub message_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutUser {
    pub live_id: String,
    pub user_id: String,
    /// 10 s to 24 h.
    pub seconds: u64,
    #[serde(default)]
    pub remove_messages: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BanUser {
    pub live_id: String,
    pub user_id: String,
    #[serde(default)]
    pub remove_messages: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnbanUser {
    pub live_id: String,
    pub user_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetModerator {
    pub live_id: String,
    pub nickname: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRoomSettings {
    pub live_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_mode_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_account_age_mins: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_terms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<LinkPolicy>,
}

/// `{liveId}`: the room a read-only moderation request is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomRef {
    pub live_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomUser {
    pub user_id: String,
    pub nickname: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BanEntry {
    pub user_id: String,
    pub nickname: String,
    /// RFC 3339; `None` for a ban until lifted.
    #[serde(default)]
    pub until: Option<String>,
    pub by: String,
}

/// `get_moderation`: what the moderation panel shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationState {
    pub moderators: Vec<RoomUser>,
    pub bans: Vec<BanEntry>,
    pub settings: RoomSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    pub action: String,
    pub actor_id: String,
    pub actor_nickname: String,
    #[serde(default)]
    pub target_user_id: Option<String>,
    #[serde(default)]
    pub target_nickname: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    pub detail: String,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// `message_deleted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDeleted {
    pub live_id: String,
    pub id: String,
}

/// Every moderation action's ack: the ids of messages it removed (if any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationDone {
    #[serde(default)]
    pub deleted: Vec<String>,
}
