//! The `audit` collection: every moderation action, who did it, to whom, when.

use std::time::Duration;

use app::protocol::{moderation::AuditEntry, LiveId};
use bson::{doc, oid::ObjectId, DateTime};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::{bounded, rfc3339, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub live_id: String,
    pub action: String,
    pub actor_id: String,
    pub actor_nickname: String,
    pub target_user_id: Option<String>,
    pub target_nickname: Option<String>,
    pub message_id: Option<String>,
    pub detail: String,
    pub created_at: DateTime,
}

impl AuditDoc {
    pub fn to_wire(&self) -> AuditEntry {
        AuditEntry {
            id: self.id.to_hex(),
            action: self.action.clone(),
            actor_id: self.actor_id.clone(),
            actor_nickname: self.actor_nickname.clone(),
            target_user_id: self.target_user_id.clone(),
            target_nickname: self.target_nickname.clone(),
            message_id: self.message_id.clone(),
            detail: self.detail.clone(),
            created_at: rfc3339(self.created_at),
        }
    }
}

#[derive(Clone)]
pub struct AuditStore {
    coll: Collection<AuditDoc>,
    timeout: Duration,
}

impl AuditStore {
    pub fn new(db: &Database, timeout: Duration) -> Self {
        Self {
            coll: db.collection("audit"),
            timeout,
        }
    }

    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = IndexModel::builder()
            .keys(doc! {"liveId": 1, "createdAt": -1})
            .build();
        bounded(self.timeout, self.coll.create_index(idx)).await?;
        Ok(())
    }

    pub async fn record(&self, entry: &AuditDoc) -> Result<(), StoreError> {
        bounded(self.timeout, self.coll.insert_one(entry)).await?;
        Ok(())
    }

    /// The newest entries first.
    pub async fn list(&self, live: &LiveId, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let find = async {
            self.coll
                .find(doc! {"liveId": live.as_str()})
                .sort(doc! {"createdAt": -1})
                .limit(limit)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        Ok(bounded(self.timeout, find)
            .await?
            .iter()
            .map(AuditDoc::to_wire)
            .collect())
    }
}
