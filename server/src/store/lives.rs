//! The `lives` collection: live rooms.

use std::time::Duration;

use app::protocol::{
    moderation::{LinkPolicy, RoomSettings, RoomUser},
    rich::{Fragment, Pin},
    LiveId, LiveStatus, LiveSummary, LiveTitle,
};
use bson::{doc, oid::ObjectId, DateTime};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::{bounded, rfc3339, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub title: String,
    pub streamer_id: String,
    pub streamer_nickname: String,
    pub status: LiveStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    /// When it ended (ms since the epoch: set by a partial update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at_ms: Option<i64>,
    #[serde(default)]
    pub moderators: Vec<ModeratorDoc>,
    #[serde(default)]
    pub settings: SettingsDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<PinDoc>,
}

/// The room's pinned message (times in ms: partial updates stay portable).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinDoc {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub nickname: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fragments: Vec<Fragment>,
    pub pinned_by: String,
    pub pinned_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

impl PinDoc {
    /// Whether it still shows at `now_ms`.
    pub fn in_force(&self, now_ms: i64) -> bool {
        self.until_ms.is_none_or(|until| until > now_ms)
    }

    pub fn to_wire(&self) -> Pin {
        let at = |ms| crate::store::rfc3339(DateTime::from_millis(ms));
        Pin {
            id: self.id.clone(),
            message_id: self.message_id.clone(),
            nickname: self.nickname.clone(),
            content: self.content.clone(),
            fragments: self.fragments.clone(),
            pinned_by: self.pinned_by.clone(),
            pinned_at: at(self.pinned_at_ms),
            until: self.until_ms.map(at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModeratorDoc {
    pub user_id: String,
    pub nickname: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDoc {
    #[serde(default)]
    pub slow_mode_secs: i64,
    #[serde(default)]
    pub min_account_age_mins: i64,
    #[serde(default)]
    pub blocked_terms: Vec<String>,
    #[serde(default)]
    pub links: LinkPolicy,
}

impl SettingsDoc {
    pub fn to_wire(&self) -> RoomSettings {
        RoomSettings {
            slow_mode_secs: self.slow_mode_secs.clamp(0, u32::MAX as i64) as u32,
            min_account_age_mins: self.min_account_age_mins.clamp(0, u32::MAX as i64) as u32,
            blocked_terms: self.blocked_terms.clone(),
            links: self.links,
        }
    }
}

impl LiveDoc {
    pub fn is_moderator(&self, user_id: &str) -> bool {
        self.moderators.iter().any(|m| m.user_id == user_id)
    }

    pub fn moderator_list(&self) -> Vec<RoomUser> {
        self.moderators
            .iter()
            .map(|m| RoomUser {
                user_id: m.user_id.clone(),
                nickname: m.nickname.clone(),
            })
            .collect()
    }

    /// The public view; `viewers` is filled in by the caller from the socket rooms.
    pub fn summary(&self, viewers: u64) -> LiveSummary {
        LiveSummary {
            id: self.id.to_hex(),
            title: self.title.clone(),
            streamer_id: self.streamer_id.clone(),
            streamer_nickname: self.streamer_nickname.clone(),
            status: self.status,
            created_at: rfc3339(self.created_at),
            ended_at: self
                .ended_at_ms
                .map(|ms| rfc3339(DateTime::from_millis(ms))),
            video_url: self.video_url.clone(),
            viewers,
        }
    }
}

/// The directory lists at most this many rooms.
const DIRECTORY_LIMIT: i64 = 100;

#[derive(Clone)]
pub struct LiveStore {
    coll: Collection<LiveDoc>,
    timeout: Duration,
}

impl LiveStore {
    pub fn new(db: &Database, timeout: Duration) -> Self {
        Self {
            coll: db.collection("lives"),
            timeout,
        }
    }

    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = IndexModel::builder()
            .keys(doc! {"status": 1, "createdAt": -1})
            .build();
        bounded(self.timeout, self.coll.create_index(idx)).await?;
        let by_streamer = IndexModel::builder()
            .keys(doc! {"streamerId": 1, "createdAt": -1})
            .build();
        bounded(self.timeout, self.coll.create_index(by_streamer)).await?;
        Ok(())
    }

    /// How many lives `streamer_id` has open now, and how many they created since
    /// `since`: what the per-account creation limits count.
    pub async fn usage_of(
        &self,
        streamer_id: &str,
        since: DateTime,
    ) -> Result<(u64, u64), StoreError> {
        let open = bounded(
            self.timeout,
            self.coll
                .count_documents(doc! {"streamerId": streamer_id, "status": "live"}),
        )
        .await?;
        let recent = bounded(
            self.timeout,
            self.coll
                .count_documents(doc! {"streamerId": streamer_id, "createdAt": {"$gte": since}}),
        )
        .await?;
        Ok((open, recent))
    }

    pub async fn create(
        &self,
        title: &LiveTitle,
        streamer_id: &str,
        streamer_nickname: &str,
        video_url: Option<String>,
    ) -> Result<LiveDoc, StoreError> {
        let now = DateTime::now();
        let live = LiveDoc {
            id: ObjectId::new(),
            title: title.as_str().to_owned(),
            streamer_id: streamer_id.to_owned(),
            streamer_nickname: streamer_nickname.to_owned(),
            status: LiveStatus::Live,
            video_url,
            created_at: now,
            updated_at: now,
            ended_at_ms: None,
            moderators: Vec::new(),
            settings: SettingsDoc::default(),
            pin: None,
        };
        bounded(self.timeout, self.coll.insert_one(&live)).await?;
        Ok(live)
    }

    pub async fn get(&self, id: &LiveId) -> Result<Option<LiveDoc>, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id.as_str()) else {
            return Ok(None);
        };
        bounded(self.timeout, self.coll.find_one(doc! {"_id": oid})).await
    }

    /// Sets the status and returns the updated live.
    pub async fn set_status(
        &self,
        id: &LiveId,
        status: LiveStatus,
    ) -> Result<Option<LiveDoc>, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id.as_str()) else {
            return Ok(None);
        };
        let now = DateTime::now().timestamp_millis();
        let mut set = doc! {"status": status.as_str(), "updatedAtMs": now};
        if status == LiveStatus::Ended {
            set.insert("endedAtMs", now);
        }
        bounded(
            self.timeout,
            self.coll.update_one(doc! {"_id": oid}, doc! {"$set": set}),
        )
        .await?;
        self.get(id).await
    }

    fn oid(id: &LiveId) -> Result<ObjectId, StoreError> {
        ObjectId::parse_str(id.as_str()).map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    pub async fn add_moderator(&self, id: &LiveId, m: &ModeratorDoc) -> Result<(), StoreError> {
        let m = bson::to_document(m).expect("plain struct");
        bounded(
            self.timeout,
            self.coll.update_one(
                doc! {"_id": Self::oid(id)?},
                doc! {"$addToSet": {"moderators": m}},
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn remove_moderator(&self, id: &LiveId, user_id: &str) -> Result<(), StoreError> {
        bounded(
            self.timeout,
            self.coll.update_one(
                doc! {"_id": Self::oid(id)?},
                doc! {"$pull": {"moderators": {"userId": user_id}}},
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn set_settings(
        &self,
        id: &LiveId,
        settings: &SettingsDoc,
    ) -> Result<(), StoreError> {
        let settings = bson::to_document(settings).expect("plain struct");
        bounded(
            self.timeout,
            self.coll.update_one(
                doc! {"_id": Self::oid(id)?},
                doc! {"$set": {"settings": settings}},
            ),
        )
        .await?;
        Ok(())
    }

    /// Pins a message (replacing any pin).
    pub async fn set_pin(&self, id: &LiveId, pin: &PinDoc) -> Result<(), StoreError> {
        let pin = bson::to_document(pin).expect("plain struct");
        bounded(
            self.timeout,
            self.coll
                .update_one(doc! {"_id": Self::oid(id)?}, doc! {"$set": {"pin": pin}}),
        )
        .await?;
        Ok(())
    }

    /// Removes the pin `pin_id` if it is still the room's pin; true if it was.
    pub async fn clear_pin(&self, id: &LiveId, pin_id: &str) -> Result<bool, StoreError> {
        let r = bounded(
            self.timeout,
            self.coll.update_one(
                doc! {"_id": Self::oid(id)?, "pin.id": pin_id},
                doc! {"$unset": {"pin": ""}},
            ),
        )
        .await?;
        Ok(r.matched_count > 0)
    }

    /// Live rooms first, then ended ones; newest first within each.
    pub async fn directory(&self) -> Result<Vec<LiveDoc>, StoreError> {
        let find = async {
            let cursor = self
                .coll
                .find(doc! {})
                .sort(doc! {"createdAt": -1})
                .limit(DIRECTORY_LIMIT)
                .await?;
            cursor.try_collect::<Vec<_>>().await
        };
        let mut lives = bounded(self.timeout, find).await?;
        // Stable sort keeps newest-first inside each status group.
        lives.sort_by_key(|l| l.status != LiveStatus::Live);
        Ok(lives)
    }

    pub async fn count(&self) -> Result<u64, StoreError> {
        bounded(self.timeout, self.coll.count_documents(doc! {})).await
    }
}
