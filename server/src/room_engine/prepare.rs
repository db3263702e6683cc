//! What a batch of sends becomes before the rules are checked: each text cut
//! into fragments with its mentions resolved, and each reply's parent found.
//! From memory in the steady state; the database is asked only for names never
//! seen in the room and for parents older than its recent history.

use app::protocol::rich::ReplyTo;

use super::{Pending, Room, Rooms};
use crate::{
    room::{
        compose::{compose, mention_names, Composed, MENTIONS_MAX},
        rules::RoomRules,
        RoomError,
    },
    store::StoreError,
};

/// A send's resolved extras.
pub(super) struct Prepared {
    pub composed: Composed,
    pub reply_to: Option<ReplyTo>,
}

pub(super) async fn prepare(
    rooms: &Rooms,
    room: &Room,
    rules: &RoomRules,
    batch: &[Pending],
) -> Vec<Result<Prepared, RoomError>> {
    let started = std::time::Instant::now();
    let out = prepare_all(rooms, room, rules, batch).await;
    rooms
        .inner
        .metrics
        .prepare_seconds
        .observe(started.elapsed().as_secs_f64());
    out
}

async fn prepare_all(
    rooms: &Rooms,
    room: &Room,
    rules: &RoomRules,
    batch: &[Pending],
) -> Vec<Result<Prepared, RoomError>> {
    learn_names(rooms, room, batch).await;
    let mut out = Vec::with_capacity(batch.len());
    for p in batch {
        let reply_to = match p.reply_to {
            None => Ok(None),
            Some(parent) => parent_of(rooms, room, parent).await.map(Some),
        };
        out.push(reply_to.map(|reply_to| {
            let composed = room
                .with_view(|v| {
                    compose(
                        p.body.text.as_str(),
                        |name| v.people.find(name),
                        |code| rules.emote(code),
                    )
                })
                .unwrap_or_default();
            Prepared { composed, reply_to }
        }));
    }
    out
}

/// Looks up, with one query, the `@names` of this batch the room has never
/// seen; what is found (or not) is remembered.
async fn learn_names(rooms: &Rooms, room: &Room, batch: &[Pending]) {
    let keys = room
        .with_view(|v| {
            // Only as many names per message as may resolve.
            v.people.to_look_up(
                batch
                    .iter()
                    .flat_map(|p| mention_names(p.body.text.as_str()).take(MENTIONS_MAX)),
            )
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return;
    }
    rooms
        .inner
        .metrics
        .send_lookups
        .with_label_values(&["names"])
        .inc();
    match rooms.inner.stores.users.find_by_nickname_keys(&keys).await {
        Ok(found) => {
            room.with_view(|v| {
                for key in &keys {
                    let user = found.iter().find(|u| &u.nickname_key == key);
                    let id = user.map(|u| u.id.to_hex());
                    v.people.learned(
                        key,
                        user.zip(id.as_deref())
                            .map(|(u, id)| (id, u.nickname.as_str())),
                    );
                }
            });
        }
        // The names stay text in these messages; looked up again next time.
        Err(e) => tracing::warn!(error = %e, live = %room.id, "cannot look up mentioned names"),
    }
}

/// The snapshot of a reply's parent: from the room's recent history, else from
/// the database (it must be a visible message of the same live).
async fn parent_of(
    rooms: &Rooms,
    room: &Room,
    parent: bson::oid::ObjectId,
) -> Result<ReplyTo, RoomError> {
    let hex = parent.to_hex();
    let held = room
        .with_view(|v| v.recent.find(&hex).map(ReplyTo::of))
        .flatten();
    if let Some(r) = held {
        return Ok(r);
    }
    rooms
        .inner
        .metrics
        .send_lookups
        .with_label_values(&["reply_parent"])
        .inc();
    let doc = rooms
        .inner
        .stores
        .chat
        .get(&room.id, &hex)
        .await
        .map_err(|e: StoreError| {
            tracing::error!(error = %e, live = %room.id, "cannot read a reply's parent");
            RoomError::Busy(super::writer::UNAVAILABLE, super::BUSY_RETRY)
        })?
        .ok_or_else(|| RoomError::Invalid("replyToId is not a message in this live".into()))?;
    if doc.deleted_at_ms.is_some() {
        return Err(RoomError::Invalid(
            "that message was deleted; it cannot be replied to".into(),
        ));
    }
    Ok(ReplyTo::of(&doc.to_message()))
}
