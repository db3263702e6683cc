//! What a room's send path reads, held in memory: the live (its settings, blocked
//! terms and moderators) and the restrictions in force. Loaded once per room and
//! reloaded after every write that changes them; a timeout ends by its time.

use std::collections::HashMap;

use app::protocol::{rich::Emote, LiveId};

use super::RoomError;
use crate::store::{lives::LiveDoc, Stores};

#[derive(Clone, Debug)]
pub struct RoomRules {
    pub live: LiveDoc,
    /// User id -> when their ban or timeout ends (`None`: until lifted).
    restrictions: HashMap<String, Option<i64>>,
    /// The room's custom emotes, oldest first.
    emotes: Vec<Emote>,
}

impl RoomRules {
    pub async fn load(stores: &Stores, id: &LiveId) -> Result<Self, RoomError> {
        let live = stores.lives.get(id).await?.ok_or(RoomError::NotFound)?;
        let restrictions = stores.bans.in_force(id).await?;
        let emotes = stores.emotes.set(id).await?;
        Ok(Self {
            live,
            restrictions,
            emotes,
        })
    }

    /// The id of the room's custom emote with this code (case-sensitive).
    pub fn emote(&self, code: &str) -> Option<String> {
        self.emotes
            .iter()
            .find(|e| e.code == code)
            .map(|e| e.id.clone())
    }

    pub fn emotes(&self) -> &[Emote] {
        &self.emotes
    }

    /// The restriction on `user_id` at `now_ms`: `Some(None)` banned, `Some(Some(t))`
    /// timed out until `t`, `None` free.
    pub fn restriction(&self, user_id: &str, now_ms: i64) -> Option<Option<i64>> {
        match self.restrictions.get(user_id) {
            Some(None) => Some(None),
            Some(Some(until)) if *until > now_ms => Some(Some(*until)),
            _ => None,
        }
    }
}

#[cfg(test)]
impl RoomRules {
    pub fn for_test(live: LiveDoc, restrictions: HashMap<String, Option<i64>>) -> Self {
        Self {
            live,
            restrictions,
            emotes: Vec::new(),
        }
    }
}
