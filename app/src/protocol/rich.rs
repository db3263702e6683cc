//! What a message carries besides its text, all computed by the server: the
//! text's pieces (`fragments`), the message it answers (`replyTo`), and the room's
//! pinned message. Clients render these; they never parse text or render HTML.

use serde::{Deserialize, Serialize};

/// Event names, client -> server (each with an ack) and server -> client.
pub mod events {
    pub const PIN_MESSAGE: &str = "pin_message";
    pub const UNPIN_MESSAGE: &str = "unpin_message";
    /// Server -> client.
    pub const MESSAGE_PINNED: &str = "message_pinned";
    pub const MESSAGE_UNPINNED: &str = "message_unpinned";
    /// The room's custom emotes changed.
    pub const ROOM_EMOTES: &str = "room_emotes";
}

/// A room's custom emote; its image is at `/emotes/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Emote {
    pub code: String,
    pub id: String,
}

impl Emote {
    pub fn url(&self) -> String {
        format!("/emotes/{}", self.id)
    }
}

/// The most custom emotes a room may have.
pub const EMOTES_PER_ROOM: usize = 100;
/// An emote image's largest size in bytes, and width and height in pixels.
pub const EMOTE_MAX_BYTES: usize = 256 * 1024;
pub const EMOTE_MAX_PIXELS: usize = 128;

/// `room_emotes`: the room's whole emote set after a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomEmotes {
    pub live_id: String,
    pub emotes: Vec<Emote>,
}

/// One piece of a message's text, in order; concatenating every piece's `text`
/// gives the message's `content`. A message whose text is all plain carries no
/// fragments (read it as one `text` piece).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "FlatFragment")]
pub enum Fragment {
    Text {
        text: String,
    },
    /// `@nickname` of an account: `userId` is who it calls.
    #[serde(rename_all = "camelCase")]
    Mention {
        text: String,
        user_id: String,
    },
    /// An http(s) URL. `url` is the normalised address to open; no other
    /// scheme is ever a link.
    Link {
        text: String,
        url: String,
    },
    /// `:code:` of one of the room's custom emotes; the image is at
    /// `/emotes/{id}`.
    Emote {
        text: String,
        code: String,
        id: String,
    },
}

/// A fragment as it arrives: read through a flat struct, because serde's
/// internally tagged enums buffer every value first, which costs the browser's
/// wasm far more code than this.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlatFragment {
    r#type: String,
    text: String,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

impl TryFrom<FlatFragment> for Fragment {
    type Error = String;

    fn try_from(f: FlatFragment) -> Result<Self, String> {
        let text = f.text;
        let missing = |field: &str| format!("a {} fragment needs `{field}`", f.r#type);
        Ok(match f.r#type.as_str() {
            "text" => Fragment::Text { text },
            "mention" => Fragment::Mention {
                text,
                user_id: f.user_id.ok_or_else(|| missing("userId"))?,
            },
            "link" => Fragment::Link {
                text,
                url: f.url.ok_or_else(|| missing("url"))?,
            },
            "emote" => Fragment::Emote {
                text,
                code: f.code.ok_or_else(|| missing("code"))?,
                id: f.id.ok_or_else(|| missing("id"))?,
            },
            other => return Err(format!("unknown fragment type {other:?}")),
        })
    }
}

impl Fragment {
    /// The piece of the message's text this fragment stands for.
    pub fn text(&self) -> &str {
        match self {
            Fragment::Text { text }
            | Fragment::Mention { text, .. }
            | Fragment::Link { text, .. }
            | Fragment::Emote { text, .. } => text,
        }
    }
}

/// The most characters of a parent message a reply carries.
pub const EXCERPT_MAX_CHARS: usize = 100;

/// What a reply shows of the message it answers: a snapshot taken when the
/// reply was sent, marked when the parent is deleted later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyTo {
    pub id: String,
    pub seq: u64,
    pub user_id: String,
    pub nickname: String,
    /// At most `EXCERPT_MAX_CHARS` characters of the parent's text; empty once
    /// the parent is deleted.
    pub excerpt: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ReplyTo {
    /// The snapshot of `parent` a reply to it carries.
    pub fn of(parent: &super::ChatMessage) -> Self {
        Self {
            id: parent.id.clone(),
            seq: parent.seq,
            user_id: parent.user_id.clone(),
            nickname: parent.nickname.clone(),
            excerpt: Self::excerpt_of(&parent.content),
            deleted: false,
        }
    }

    /// The parent's text cut to `EXCERPT_MAX_CHARS` characters.
    pub fn excerpt_of(content: &str) -> String {
        content.chars().take(EXCERPT_MAX_CHARS).collect()
    }

    /// The snapshot once its parent is gone: no text of it is kept.
    pub fn mark_deleted(&mut self) {
        self.deleted = true;
        self.excerpt.clear();
    }
}

/// How long a pin may last, in seconds; `None` keeps it until unpinned.
pub const PIN_MIN_SECS: u64 = 30;
pub const PIN_MAX_SECS: u64 = 30 * 60;

/// `pin_message`: pin one of the room's messages, or a moderator's own text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinMessage {
    pub live_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `PIN_MIN_SECS..=PIN_MAX_SECS`; absent: until unpinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<u64>,
}

/// The room's pinned message, as everyone sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pin {
    pub id: String,
    /// The pinned message's id, when a message was pinned (not a text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub nickname: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fragments: Vec<Fragment>,
    /// Who pinned it.
    pub pinned_by: String,
    pub pinned_at: String,
    /// RFC 3339; absent: until unpinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// `message_pinned`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagePinned {
    pub live_id: String,
    pub pin: Pin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnpinReason {
    /// A moderator unpinned it.
    Unpinned,
    /// Its time ran out.
    Expired,
    /// The pinned message was deleted.
    Deleted,
}

/// `message_unpinned`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageUnpinned {
    pub live_id: String,
    /// The pin that ended.
    pub id: String,
    pub reason: UnpinReason,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fragments_are_tagged_by_type() {
        let f = vec![
            Fragment::Text { text: "hi ".into() },
            Fragment::Mention {
                text: "@Bob".into(),
                user_id: "u1".into(),
            },
        ];
        let wire = serde_json::to_value(&f).unwrap();
        assert_eq!(
            wire,
            json!([{"type": "text", "text": "hi "}, {"type": "mention", "text": "@Bob", "userId": "u1"}])
        );
        assert_eq!(serde_json::from_value::<Vec<Fragment>>(wire).unwrap(), f);
        assert!(serde_json::from_value::<Fragment>(json!({"type": "link", "text": "x"})).is_err());
        assert!(serde_json::from_value::<Fragment>(json!({"type": "html", "text": "x"})).is_err());
    }

    #[test]
    fn excerpts_count_characters_and_deletion_drops_the_text() {
        let long = "가".repeat(150);
        let mut r = ReplyTo {
            id: "m".into(),
            seq: 1,
            user_id: "u".into(),
            nickname: "n".into(),
            excerpt: ReplyTo::excerpt_of(&long),
            deleted: false,
        };
        assert_eq!(r.excerpt.chars().count(), EXCERPT_MAX_CHARS);
        r.mark_deleted();
        assert!(r.deleted && r.excerpt.is_empty());
    }
}
