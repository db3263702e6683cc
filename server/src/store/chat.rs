//! The `chat` collection: messages, unique per (liveId, seq) and per
//! (liveId, userId, clientId) so both ordering and idempotency are enforced by the
//! database, not only by this process.

use std::{future::IntoFuture, time::Duration};

use app::protocol::{
    moderation::Badge,
    rich::{Fragment, ReplyTo},
    ChatMessage, HistoryQuery, HistoryWindow, LiveId,
};
use bson::{doc, oid::ObjectId, DateTime, Document};
use futures::TryStreamExt;
use mongodb::{options::IndexOptions, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::{bounded, rfc3339, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub live_id: String,
    pub seq: i64,
    pub user_id: String,
    pub nickname: String,
    pub content: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<Badge>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    /// Set when a moderator (or the author) deleted it: the record stays, hidden.
    /// Milliseconds, not a BSON date, so partial updates stay portable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fragments: Vec<Fragment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub action: bool,
}

/// A reply's snapshot of its parent, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDoc {
    pub id: String,
    pub seq: i64,
    pub user_id: String,
    pub nickname: String,
    pub excerpt: String,
    /// Set when the parent was deleted (a number: partial updates of booleans
    /// are not portable across servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at_ms: Option<i64>,
}

impl ReplyDoc {
    pub fn from_wire(r: &ReplyTo) -> Self {
        Self {
            id: r.id.clone(),
            seq: clamp_i64(r.seq),
            user_id: r.user_id.clone(),
            nickname: r.nickname.clone(),
            excerpt: r.excerpt.clone(),
            deleted_at_ms: None,
        }
    }

    pub fn to_wire(&self) -> ReplyTo {
        let mut r = ReplyTo {
            id: self.id.clone(),
            seq: self.seq.max(0) as u64,
            user_id: self.user_id.clone(),
            nickname: self.nickname.clone(),
            excerpt: self.excerpt.clone(),
            deleted: false,
        };
        if self.deleted_at_ms.is_some() {
            r.mark_deleted();
        }
        r
    }
}

impl ChatDoc {
    pub fn to_message(&self) -> ChatMessage {
        ChatMessage {
            id: self.id.to_hex(),
            live_id: self.live_id.clone(),
            seq: self.seq.max(0) as u64,
            user_id: self.user_id.clone(),
            nickname: self.nickname.clone(),
            content: self.content.clone(),
            created_at: rfc3339(self.created_at),
            client_id: self.client_id.clone(),
            badge: self.badge,
            fragments: self.fragments.clone(),
            reply_to: self.reply_to.as_ref().map(ReplyDoc::to_wire),
            mentions: self.mentions.clone(),
            action: self.action,
        }
    }
}

/// How an ordered batch insert failed.
#[derive(Debug)]
pub enum BatchError {
    /// The first `stored` documents are stored, the one after them was refused
    /// (`cause`), and none after it were tried.
    Refused { stored: usize, cause: StoreError },
    /// No answer: any prefix of the batch may be stored.
    Unknown(StoreError),
}

/// Whether a duplicate-key message is about the (liveId, userId, clientId)
/// index (a resend) rather than (liveId, seq) (a seq another writer took).
/// MongoDB and nx-27017 both name the index's fields; `None` if this one does
/// not say.
pub fn duplicate_is_resend(message: &str) -> Option<bool> {
    if message.contains("clientId") {
        Some(true)
    } else if message.contains("seq") {
        Some(false)
    } else {
        None
    }
}

impl BatchError {
    fn from_driver(e: mongodb::error::Error) -> Self {
        use mongodb::error::{ErrorKind, InsertManyError};
        if let ErrorKind::InsertMany(InsertManyError {
            write_errors: Some(errors),
            write_concern_error: None,
            ..
        }) = &*e.kind
        {
            if let Some(first) = errors.iter().min_by_key(|w| w.index) {
                let cause = if first.code == 11000 {
                    StoreError::Duplicate(first.message.clone())
                } else {
                    StoreError::Unavailable(format!("write refused: {}", first.message))
                };
                return BatchError::Refused {
                    stored: first.index,
                    cause,
                };
            }
        }
        BatchError::Unknown(StoreError::from_driver(e))
    }
}

/// A page of history, oldest first.
/// Where a replay page starts.
#[derive(Clone, Copy, Debug)]
pub enum ReplayFrom {
    Time(DateTime),
    AfterSeq(u64),
}

pub struct HistoryPage {
    pub messages: Vec<ChatMessage>,
    pub has_more: bool,
}

#[derive(Clone)]
pub struct ChatStore {
    coll: Collection<ChatDoc>,
    timeout: Duration,
}

impl ChatStore {
    pub fn new(db: &Database, timeout: Duration) -> Self {
        Self {
            coll: db.collection("chat"),
            timeout,
        }
    }

    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let unique = || IndexOptions::builder().unique(true).build();
        for keys in [
            doc! {"liveId": 1, "seq": 1},
            doc! {"liveId": 1, "userId": 1, "clientId": 1},
        ] {
            let idx = IndexModel::builder().keys(keys).options(unique()).build();
            bounded(self.timeout, self.coll.create_index(idx)).await?;
        }
        // Replays page through a room by time.
        let by_time = IndexModel::builder()
            .keys(doc! {"liveId": 1, "createdAt": 1})
            .build();
        bounded(self.timeout, self.coll.create_index(by_time)).await?;
        // Replies to a message, marked when it is deleted.
        let replies = IndexModel::builder()
            .keys(doc! {"liveId": 1, "replyTo.id": 1})
            .options(IndexOptions::builder().sparse(true).build())
            .build();
        bounded(self.timeout, self.coll.create_index(replies)).await?;
        Ok(())
    }

    /// Stores `docs` in order with one `insert_many`, stopping at the first
    /// refused document.
    pub async fn insert_batch(&self, docs: &[ChatDoc]) -> Result<(), BatchError> {
        let op = self.coll.insert_many(docs).ordered(true);
        match tokio::time::timeout(self.timeout, op.into_future()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(BatchError::from_driver(e)),
            Err(_) => Err(BatchError::Unknown(StoreError::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            )))),
        }
    }

    /// A room's newest `limit` messages, deleted ones included, newest first
    /// (one query tells both the last seq and what to show).
    pub async fn newest(&self, live: &LiveId, limit: i64) -> Result<Vec<ChatDoc>, StoreError> {
        let find = async {
            self.coll
                .find(doc! {"liveId": live.as_str()})
                .sort(doc! {"seq": -1})
                .limit(limit)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        bounded(self.timeout, find).await
    }

    /// Messages of a room with `from <= seq <= to`, deleted ones included,
    /// oldest first (to learn what another writer stored).
    pub async fn range(
        &self,
        live: &LiveId,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChatDoc>, StoreError> {
        let find = async {
            self.coll
                .find(doc! {
                    "liveId": live.as_str(),
                    "seq": {"$gte": clamp_i64(from), "$lte": clamp_i64(to)},
                })
                .sort(doc! {"seq": 1})
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        bounded(self.timeout, find).await
    }

    /// The message a user already sent with this client id, if any.
    pub async fn find_by_client_id(
        &self,
        live: &LiveId,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<ChatDoc>, StoreError> {
        bounded(
            self.timeout,
            self.coll.find_one(doc! {
                "liveId": live.as_str(), "userId": user_id, "clientId": client_id
            }),
        )
        .await
    }

    /// The highest sequence number stored for a room (0 when empty).
    pub async fn last_seq(&self, live: &LiveId) -> Result<u64, StoreError> {
        let last = bounded(
            self.timeout,
            self.coll
                .find_one(doc! {"liveId": live.as_str()})
                .sort(doc! {"seq": -1}),
        )
        .await?;
        Ok(last.map(|d| d.seq.max(0) as u64).unwrap_or(0))
    }

    pub async fn history(&self, live: &LiveId, q: HistoryQuery) -> Result<HistoryPage, StoreError> {
        let (mut filter, ascending): (Document, bool) = match q.window {
            HistoryWindow::Latest => (doc! {"liveId": live.as_str()}, false),
            HistoryWindow::Before(b) => (
                doc! {"liveId": live.as_str(), "seq": {"$lt": clamp_i64(b)}},
                false,
            ),
            HistoryWindow::After(a) => (
                doc! {"liveId": live.as_str(), "seq": {"$gt": clamp_i64(a)}},
                true,
            ),
        };
        filter.insert("deletedAtMs", doc! {"$exists": false});
        let limit = i64::from(q.limit);
        let find = async {
            let cursor = self
                .coll
                .find(filter)
                .sort(doc! {"seq": if ascending { 1 } else { -1 }})
                // One extra tells whether there is more beyond this page.
                .limit(limit + 1)
                .await?;
            cursor.try_collect::<Vec<_>>().await
        };
        let mut docs = bounded(self.timeout, find).await?;
        let has_more = docs.len() as i64 > limit;
        docs.truncate(q.limit as usize);
        if !ascending {
            docs.reverse();
        }
        Ok(HistoryPage {
            messages: docs.iter().map(ChatDoc::to_message).collect(),
            has_more,
        })
    }
}

impl ChatStore {
    /// A room's visible messages oldest first, from a time (sent at or after
    /// `from`) or after a seq (the next page), `limit` of them and whether more
    /// follow. Pages continue by seq: times can tie, seqs cannot.
    pub async fn replay(
        &self,
        live: &LiveId,
        from: ReplayFrom,
        limit: u32,
    ) -> Result<HistoryPage, StoreError> {
        let (mut filter, sort) = match from {
            ReplayFrom::Time(t) => (
                doc! {"liveId": live.as_str(), "createdAt": {"$gte": t}},
                doc! {"createdAt": 1, "seq": 1},
            ),
            ReplayFrom::AfterSeq(seq) => (
                doc! {"liveId": live.as_str(), "seq": {"$gt": clamp_i64(seq)}},
                doc! {"seq": 1},
            ),
        };
        filter.insert("deletedAtMs", doc! {"$exists": false});
        let find = async {
            let cursor = self
                .coll
                .find(filter)
                .sort(sort)
                .limit(i64::from(limit) + 1)
                .await?;
            cursor.try_collect::<Vec<_>>().await
        };
        let mut docs = bounded(self.timeout, find).await?;
        let has_more = docs.len() > limit as usize;
        docs.truncate(limit as usize);
        Ok(HistoryPage {
            messages: docs.iter().map(ChatDoc::to_message).collect(),
            has_more,
        })
    }

    pub async fn get(&self, live: &LiveId, id: &str) -> Result<Option<ChatDoc>, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        bounded(
            self.timeout,
            self.coll
                .find_one(doc! {"_id": oid, "liveId": live.as_str()}),
        )
        .await
    }

    /// Hides messages (the records stay, marked with who and when).
    pub async fn mark_deleted(&self, ids: &[ObjectId], by: &str) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = DateTime::now();
        bounded(
            self.timeout,
            self.coll.update_many(
                doc! {"_id": {"$in": ids.to_vec()}},
                doc! {"$set": {"deletedAtMs": now.timestamp_millis(), "deletedBy": by}},
            ),
        )
        .await?;
        Ok(())
    }

    /// How many visible messages a user has in a room.
    pub async fn count_by_user(&self, live: &LiveId, user_id: &str) -> Result<u64, StoreError> {
        bounded(
            self.timeout,
            self.coll.count_documents(doc! {
                "liveId": live.as_str(), "userId": user_id, "deletedAtMs": {"$exists": false},
            }),
        )
        .await
    }

    /// A user's newest visible messages in a room, newest first.
    pub async fn latest_by_user(
        &self,
        live: &LiveId,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<ChatDoc>, StoreError> {
        let find = async {
            self.coll
                .find(doc! {
                    "liveId": live.as_str(), "userId": user_id, "deletedAtMs": {"$exists": false},
                })
                .sort(doc! {"seq": -1})
                .limit(limit)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        bounded(self.timeout, find).await
    }

    /// Whether a user sent anything in a room before `seq` (deleted or not).
    pub async fn sent_before(
        &self,
        live: &LiveId,
        user_id: &str,
        seq: u64,
    ) -> Result<bool, StoreError> {
        let found = bounded(
            self.timeout,
            self.coll.find_one(doc! {
                "liveId": live.as_str(), "userId": user_id, "seq": {"$lt": clamp_i64(seq)},
            }),
        )
        .await?;
        Ok(found.is_some())
    }

    /// Marks the snapshots of replies to deleted messages: their text is gone.
    pub async fn mark_replies_deleted(
        &self,
        live: &LiveId,
        ids: &[String],
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        bounded(
            self.timeout,
            self.coll.update_many(
                doc! {"liveId": live.as_str(), "replyTo.id": {"$in": ids.to_vec()}},
                doc! {"$set": {
                    "replyTo.deletedAtMs": DateTime::now().timestamp_millis(),
                    "replyTo.excerpt": "",
                }},
            ),
        )
        .await?;
        Ok(())
    }

    /// A user's visible messages in a room sent since `since` (for "remove their
    /// recent messages" on a ban or timeout).
    pub async fn recent_by_user(
        &self,
        live: &LiveId,
        user_id: &str,
        since: DateTime,
    ) -> Result<Vec<ChatDoc>, StoreError> {
        let find = async {
            self.coll
                .find(doc! {
                    "liveId": live.as_str(),
                    "userId": user_id,
                    "createdAt": {"$gte": since},
                    "deletedAtMs": {"$exists": false},
                })
                .sort(doc! {"seq": -1})
                .limit(500)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        bounded(self.timeout, find).await
    }
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::duplicate_is_resend;

    #[test]
    fn duplicate_messages_name_the_index_on_mongodb_and_nx() {
        // MongoDB 6+:
        let seq = r#"E11000 duplicate key error collection: livechat.chat index: liveId_1_seq_1 dup key: { liveId: "a", seq: 5 }"#;
        let resend = r#"E11000 duplicate key error collection: livechat.chat index: liveId_1_userId_1_clientId_1 dup key: { liveId: "a", userId: "u", clientId: "c" }"#;
        assert_eq!(duplicate_is_resend(seq), Some(false));
        assert_eq!(duplicate_is_resend(resend), Some(true));
        // nx-27017:
        assert_eq!(
            duplicate_is_resend("UNIQUE constraint failed: index 'idx_chat_liveId_seq'"),
            Some(false)
        );
        assert_eq!(
            duplicate_is_resend(
                "UNIQUE constraint failed: index 'idx_chat_liveId_userId_clientId'"
            ),
            Some(true)
        );
        assert_eq!(duplicate_is_resend("duplicate"), None);
    }
}
