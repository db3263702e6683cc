//! The `bans` collection: one record per banned or timed-out user per room.

use std::time::Duration;

use app::protocol::LiveId;
use bson::{doc, DateTime};
use futures::TryStreamExt;
use mongodb::{options::IndexOptions, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::{bounded, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BanDoc {
    pub live_id: String,
    pub user_id: String,
    pub nickname: String,
    /// Epoch milliseconds when a timeout ends; `None` for a ban until lifted.
    pub until_ms: Option<i64>,
    pub by_id: String,
    pub by_nickname: String,
    pub created_at_ms: i64,
}

impl BanDoc {
    pub fn active_at(&self, now_ms: i64) -> bool {
        self.until_ms.is_none_or(|u| u > now_ms)
    }
}

#[derive(Clone)]
pub struct BanStore {
    coll: Collection<BanDoc>,
    timeout: Duration,
}

impl BanStore {
    pub fn new(db: &Database, timeout: Duration) -> Self {
        Self {
            coll: db.collection("bans"),
            timeout,
        }
    }

    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = IndexModel::builder()
            .keys(doc! {"liveId": 1, "userId": 1})
            .options(IndexOptions::builder().unique(true).build())
            .build();
        bounded(self.timeout, self.coll.create_index(idx)).await?;
        Ok(())
    }

    /// Bans (until `until_ms`, or for good), replacing any earlier ban or timeout.
    pub async fn put(&self, ban: &BanDoc) -> Result<(), StoreError> {
        let set = bson::to_document(ban).expect("plain struct");
        bounded(
            self.timeout,
            self.coll
                .update_one(
                    doc! {"liveId": &ban.live_id, "userId": &ban.user_id},
                    doc! {"$set": set},
                )
                .upsert(true),
        )
        .await?;
        Ok(())
    }

    /// Times out (as `ban.until_ms`) unless a longer restriction is in force:
    /// replaces only a shorter or expired timeout, else inserts, and the unique
    /// index refuses the insert when a longer one exists. `Ok(false)` then.
    pub async fn put_timeout(&self, ban: &BanDoc) -> Result<bool, StoreError> {
        let until = ban.until_ms.expect("a timeout has an end");
        let set = bson::to_document(ban).expect("plain struct");
        let replaced = bounded(
            self.timeout,
            self.coll.update_one(
                doc! {"liveId": &ban.live_id, "userId": &ban.user_id, "untilMs": {"$lt": until}},
                doc! {"$set": set},
            ),
        )
        .await?;
        if replaced.matched_count > 0 {
            return Ok(true);
        }
        match bounded(self.timeout, self.coll.insert_one(ban)).await {
            Ok(_) => Ok(true),
            Err(StoreError::Duplicate(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn remove(&self, live: &LiveId, user_id: &str) -> Result<bool, StoreError> {
        let r = bounded(
            self.timeout,
            self.coll
                .delete_one(doc! {"liveId": live.as_str(), "userId": user_id}),
        )
        .await?;
        Ok(r.deleted_count > 0)
    }

    /// The ban or timeout in force for this user now, if any.
    pub async fn active(&self, live: &LiveId, user_id: &str) -> Result<Option<BanDoc>, StoreError> {
        let ban = bounded(
            self.timeout,
            self.coll
                .find_one(doc! {"liveId": live.as_str(), "userId": user_id}),
        )
        .await?;
        Ok(ban.filter(|b| b.active_at(DateTime::now().timestamp_millis())))
    }

    pub async fn list_active(&self, live: &LiveId) -> Result<Vec<BanDoc>, StoreError> {
        let now = DateTime::now().timestamp_millis();
        let find = async {
            self.coll
                .find(doc! {"liveId": live.as_str()})
                .limit(1000)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        let mut bans = bounded(self.timeout, find).await?;
        bans.retain(|b| b.active_at(now));
        bans.sort_by(|a, b| a.nickname.cmp(&b.nickname));
        Ok(bans)
    }

    /// Every restriction of a room still in force: user id -> when it ends
    /// (`None`: until lifted). What a room's send path checks, held in memory.
    pub async fn in_force(
        &self,
        live: &LiveId,
    ) -> Result<std::collections::HashMap<String, Option<i64>>, StoreError> {
        let now = DateTime::now().timestamp_millis();
        let find = async {
            self.coll
                .find(doc! {"liveId": live.as_str()})
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        let bans = bounded(self.timeout, find).await?;
        Ok(bans
            .into_iter()
            .filter(|b| b.active_at(now))
            .map(|b| (b.user_id, b.until_ms))
            .collect())
    }
}
