//! The room's pinned message: moderators pin one of the room's messages or a
//! text of their own, for 30 s to 30 min or until unpinned; one pin per room.

use app::protocol::{
    moderation::RoomRole,
    rich::{MessageUnpinned, PinMessage, UnpinReason, PIN_MAX_SECS, PIN_MIN_SECS},
    LiveId, MessageContent,
};
use bson::{oid::ObjectId, DateTime};

use super::{forbidden, terms, Moderation, Outcome};
use crate::{
    auth::Identity,
    room::{compose::compose, RoomError},
    store::{
        audit::AuditDoc,
        lives::{LiveDoc, PinDoc},
    },
};

impl Moderation {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn pin(
        &self,
        id: &LiveId,
        live: &LiveDoc,
        who: &Identity,
        role: RoomRole,
        a: PinMessage,
        audit: &mut AuditDoc,
        outcome: &mut Outcome,
    ) -> Result<(), RoomError> {
        if !role.moderates() {
            return Err(forbidden("only moderators pin messages"));
        }
        if let Some(secs) = a.duration_secs {
            if !(PIN_MIN_SECS..=PIN_MAX_SECS).contains(&secs) {
                return Err(RoomError::Invalid(format!(
                    "a pin lasts {PIN_MIN_SECS} s to {PIN_MAX_SECS} s, or until unpinned"
                )));
            }
        }
        let now = DateTime::now().timestamp_millis();
        let (message_id, nickname, content, fragments) = match (a.message_id, a.text) {
            (Some(mid), None) => {
                let m = self
                    .stores
                    .chat
                    .get(id, &mid)
                    .await?
                    .filter(|m| m.deleted_at_ms.is_none())
                    .ok_or_else(|| {
                        RoomError::Invalid("messageId is not a message in this live".into())
                    })?;
                audit.target_user_id = Some(m.user_id.clone());
                audit.target_nickname = Some(m.nickname.clone());
                audit.message_id = Some(mid.clone());
                (Some(mid), m.nickname, m.content, m.fragments)
            }
            (None, Some(text)) => {
                let text = MessageContent::parse(&text)?;
                if terms::find_blocked(text.as_str(), &live.settings.blocked_terms).is_some() {
                    return Err(RoomError::Blocked);
                }
                let fragments = compose(text.as_str(), |_| None, |_| None).fragments;
                (None, who.nickname.clone(), text.into_inner(), fragments)
            }
            _ => {
                return Err(RoomError::Invalid(
                    "pin either a messageId or a text".into(),
                ))
            }
        };
        let pin = PinDoc {
            id: ObjectId::new().to_hex(),
            message_id,
            nickname,
            content,
            fragments,
            pinned_by: who.nickname.clone(),
            pinned_at_ms: now,
            until_ms: a.duration_secs.map(|s| now + s as i64 * 1000),
        };
        self.stores.lives.set_pin(id, &pin).await?;
        audit.action = "pin".into();
        audit.detail = format!(
            "pinned {}: {}",
            a.duration_secs
                .map_or("until unpinned".to_owned(), |s| format!("for {s} s")),
            pin.content.chars().take(100).collect::<String>()
        );
        outcome.pinned = Some(pin);
        Ok(())
    }

    pub(super) async fn unpin(
        &self,
        id: &LiveId,
        live: &LiveDoc,
        role: RoomRole,
        audit: &mut AuditDoc,
        outcome: &mut Outcome,
    ) -> Result<(), RoomError> {
        if !role.moderates() {
            return Err(forbidden("only moderators unpin messages"));
        }
        let now = DateTime::now().timestamp_millis();
        let pin = live
            .pin
            .as_ref()
            .filter(|p| p.in_force(now))
            .ok_or(RoomError::NotFound)?;
        self.stores.lives.clear_pin(id, &pin.id).await?;
        audit.action = "unpin".into();
        audit.message_id = pin.message_id.clone();
        audit.detail = format!(
            "unpinned: {}",
            pin.content.chars().take(100).collect::<String>()
        );
        outcome.unpinned = Some(unpinned(id, &pin.id, UnpinReason::Unpinned));
        Ok(())
    }

    /// A pinned message that was just deleted is unpinned with it.
    pub(super) async fn unpin_deleted(
        &self,
        id: &LiveId,
        live: &LiveDoc,
        outcome: &mut Outcome,
    ) -> Result<(), RoomError> {
        let Some(pin) = &live.pin else { return Ok(()) };
        let gone = pin
            .message_id
            .as_ref()
            .is_some_and(|m| outcome.deleted.contains(m));
        if gone && self.stores.lives.clear_pin(id, &pin.id).await? {
            outcome.unpinned = Some(unpinned(id, &pin.id, UnpinReason::Deleted));
        }
        Ok(())
    }

    /// Ends a pin whose time ran out, if it is still the room's pin.
    pub async fn expire_pin(
        &self,
        id: &LiveId,
        pin_id: &str,
    ) -> Result<Option<MessageUnpinned>, RoomError> {
        Ok(self
            .stores
            .lives
            .clear_pin(id, pin_id)
            .await?
            .then(|| unpinned(id, pin_id, UnpinReason::Expired)))
    }
}

fn unpinned(id: &LiveId, pin_id: &str, reason: UnpinReason) -> MessageUnpinned {
    MessageUnpinned {
        live_id: id.as_str().to_owned(),
        id: pin_id.to_owned(),
        reason,
    }
}
