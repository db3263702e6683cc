//! A room's custom emotes: what an upload must be (PNG, WebP or GIF, checked by
//! its bytes, never by a name or a declared type), who may add and remove them
//! (the streamer and admins), and telling every viewer of the new set.

use app::protocol::{
    moderation::RoomRole,
    rich::{events, RoomEmotes, EMOTES_PER_ROOM, EMOTE_MAX_BYTES, EMOTE_MAX_PIXELS},
    EmoteCode, Invalid,
};
use bson::{oid::ObjectId, DateTime};

use crate::{
    auth::Identity,
    chat::ChatService,
    moderation::role_of,
    room::{room_of, RoomError},
    store::{audit::AuditDoc, emotes::EmoteDoc, StoreError},
};

/// Emote images served lately, kept in memory so that a busy room's viewers
/// (and anyone requesting them over and over) cost the database nothing. Ids
/// are never reused, so an entry never goes stale.
#[derive(Default)]
pub struct ImageCache {
    held: std::sync::Mutex<Held>,
}

#[derive(Default)]
struct Held {
    images: std::collections::HashMap<String, (&'static str, axum::body::Bytes)>,
    bytes: usize,
}

/// What the image cache may hold, in bytes (about 128 rooms' worth of full sets
/// of small emotes).
const CACHE_BYTES: usize = 32 * 1024 * 1024;

impl ImageCache {
    pub fn get(&self, id: &str) -> Option<(&'static str, axum::body::Bytes)> {
        self.held
            .lock()
            .expect("image cache")
            .images
            .get(id)
            .cloned()
    }

    pub fn forget(&self, id: &str) {
        let mut held = self.held.lock().expect("image cache");
        if let Some((_, image)) = held.images.remove(id) {
            held.bytes -= image.len();
        }
    }

    pub fn put(&self, id: &str, content_type: &'static str, image: axum::body::Bytes) {
        let mut held = self.held.lock().expect("image cache");
        if held.bytes + image.len() > CACHE_BYTES {
            // Simple and bounded: start over rather than track recency.
            held.images.clear();
            held.bytes = 0;
        }
        held.bytes += image.len();
        if let Some((_, old)) = held.images.insert(id.to_owned(), (content_type, image)) {
            held.bytes -= old.len();
        }
    }
}

/// An image that may be an emote.
#[derive(Debug, PartialEq, Eq)]
pub struct Image {
    pub content_type: &'static str,
    pub width: usize,
    pub height: usize,
}

/// Checks an upload by its content: the format from its magic bytes, the size
/// from its header.
pub fn check_image(bytes: &[u8]) -> Result<Image, Invalid> {
    if bytes.len() > EMOTE_MAX_BYTES {
        return Err(Invalid(format!(
            "an emote image is at most {} KB",
            EMOTE_MAX_BYTES / 1024
        )));
    }
    let content_type = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        Ok(imagesize::ImageType::Gif) => "image/gif",
        _ => return Err(Invalid("an emote must be a PNG, WebP or GIF image".into())),
    };
    let size =
        imagesize::blob_size(bytes).map_err(|_| Invalid("the image could not be read".into()))?;
    if size.width == 0
        || size.height == 0
        || size.width > EMOTE_MAX_PIXELS
        || size.height > EMOTE_MAX_PIXELS
    {
        return Err(Invalid(format!(
            "an emote is at most {EMOTE_MAX_PIXELS}×{EMOTE_MAX_PIXELS} pixels (this one is {}×{})",
            size.width, size.height
        )));
    }
    Ok(Image {
        content_type,
        width: size.width,
        height: size.height,
    })
}

/// Only the streamer and admins manage a room's emotes.
async fn manager(
    chat: &ChatService,
    who: Option<&Identity>,
    raw_live: &str,
) -> Result<(app::protocol::LiveId, Identity), RoomError> {
    let who = who.ok_or(RoomError::Unauthorized)?;
    let (id, live) = chat.live(raw_live).await?;
    if role_of(&live, Some(who)) < RoomRole::Streamer {
        return Err(RoomError::Forbidden(
            "only the streamer manages this room's emotes".into(),
        ));
    }
    Ok((id, who.clone()))
}

pub async fn add(
    chat: &ChatService,
    who: Option<&Identity>,
    raw_live: &str,
    raw_code: &str,
    bytes: &[u8],
) -> Result<RoomEmotes, RoomError> {
    let (id, who) = manager(chat, who, raw_live).await?;
    let code = EmoteCode::parse(raw_code.trim())?;
    let image = check_image(bytes)?;
    let stores = chat.stores();
    if stores.emotes.count(&id).await? >= EMOTES_PER_ROOM as u64 {
        return Err(RoomError::Invalid(format!(
            "a room has at most {EMOTES_PER_ROOM} emotes; remove one first"
        )));
    }
    let emote = EmoteDoc {
        id: ObjectId::new(),
        live_id: id.as_str().to_owned(),
        code: code.as_str().to_owned(),
        content_type: image.content_type.to_owned(),
        width: image.width as i64,
        height: image.height as i64,
        size: bytes.len() as i64,
        created_by: who.user_id.clone(),
        created_at: DateTime::now(),
    };
    match stores.emotes.insert(&emote, bytes).await {
        Err(StoreError::Duplicate(_)) => {
            return Err(RoomError::Invalid(format!(
                "this room already has :{code}:"
            )))
        }
        other => other?,
    }
    record(chat, &id, &who, "add_emote", format!("added :{code}:")).await?;
    changed(chat, &id).await
}

/// Removes an emote; this node stops serving its image at once (others when
/// it leaves their cache: messages that used it may keep showing it).
pub async fn remove(
    chat: &ChatService,
    cache: &ImageCache,
    who: Option<&Identity>,
    raw_live: &str,
    raw_code: &str,
) -> Result<RoomEmotes, RoomError> {
    let (id, who) = manager(chat, who, raw_live).await?;
    let code = EmoteCode::parse(raw_code)?;
    let removed = chat
        .stores()
        .emotes
        .remove(&id, &code)
        .await?
        .ok_or(RoomError::NotFound)?;
    cache.forget(&removed.id.to_hex());
    record(chat, &id, &who, "remove_emote", format!("removed :{code}:")).await?;
    changed(chat, &id).await
}

/// The room's emotes as everyone sees them.
pub async fn list(chat: &ChatService, raw_live: &str) -> Result<RoomEmotes, RoomError> {
    let (id, _) = chat.live(raw_live).await?;
    set_of(chat, &id).await
}

async fn set_of(chat: &ChatService, id: &app::protocol::LiveId) -> Result<RoomEmotes, RoomError> {
    let emotes = chat.stores().emotes.set(id).await?;
    Ok(RoomEmotes {
        live_id: id.as_str().to_owned(),
        emotes,
    })
}

/// Sends now resolve the new set, on every node, and every viewer is told.
async fn changed(chat: &ChatService, id: &app::protocol::LiveId) -> Result<RoomEmotes, RoomError> {
    chat.live_changed(id).await;
    let set = set_of(chat, id).await?;
    if let Some(io) = chat.sockets() {
        let _ = io
            .emit_everywhere(room_of(id), events::ROOM_EMOTES, &set)
            .await;
    }
    Ok(set)
}

async fn record(
    chat: &ChatService,
    id: &app::protocol::LiveId,
    who: &Identity,
    action: &str,
    detail: String,
) -> Result<(), RoomError> {
    chat.stores()
        .audit
        .record(&AuditDoc {
            id: ObjectId::new(),
            live_id: id.as_str().to_owned(),
            action: action.to_owned(),
            actor_id: who.user_id.clone(),
            actor_nickname: who.nickname.clone(),
            target_user_id: None,
            target_nickname: None,
            message_id: None,
            detail,
            created_at: DateTime::now(),
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PNG header claiming `w`×`h` (enough for the size check).
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn images_are_checked_by_content() {
        assert_eq!(
            check_image(&png(112, 112)).unwrap(),
            Image {
                content_type: "image/png",
                width: 112,
                height: 112
            }
        );
        assert!(check_image(&png(129, 10)).is_err());
        assert!(check_image(&png(0, 10)).is_err());
        assert!(check_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>").is_err());
        assert!(check_image(b"GIF89a").is_err(), "too short to have a size");
        let mut big = png(64, 64);
        big.resize(EMOTE_MAX_BYTES + 1, 0);
        assert!(check_image(&big).is_err());
    }
}
