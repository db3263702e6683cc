//! The `users` collection: accounts with argon2id password hashes.

use std::time::Duration;

use app::protocol::Nickname;
use bson::{doc, oid::ObjectId, DateTime};
use futures::TryStreamExt;
use mongodb::{options::IndexOptions, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::{bounded, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub nickname: String,
    /// Lower-cased nickname; unique, so "Alice" and "alice" cannot both exist.
    pub nickname_key: String,
    pub password_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    /// Tokens carry the version they were issued at; bumping it (log out
    /// everywhere, a password change) revokes every older token.
    #[serde(default)]
    pub token_version: u32,
    /// Accounts whose messages this user does not want to see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

#[derive(Clone)]
pub struct UserStore {
    coll: Collection<UserDoc>,
    timeout: Duration,
}

impl UserDoc {
    /// Who this account is, for a session token.
    pub fn identity(self) -> crate::auth::Identity {
        crate::auth::Identity {
            user_id: self.id.to_hex(),
            nickname: self.nickname,
            role: self.role,
            created_at_ms: Some(self.created_at.timestamp_millis()),
        }
    }
}

impl UserStore {
    pub fn new(db: &Database, timeout: Duration) -> Self {
        Self {
            coll: db.collection("users"),
            timeout,
        }
    }

    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = IndexModel::builder()
            .keys(doc! {"nicknameKey": 1})
            .options(IndexOptions::builder().unique(true).build())
            .build();
        bounded(self.timeout, self.coll.create_index(idx)).await?;
        Ok(())
    }

    /// Inserts a new user; `Err(Duplicate)` when the nickname is taken.
    pub async fn create(
        &self,
        nickname: &Nickname,
        password_hash: String,
    ) -> Result<UserDoc, StoreError> {
        let now = DateTime::now();
        let user = UserDoc {
            id: ObjectId::new(),
            nickname: nickname.as_str().to_owned(),
            nickname_key: nickname.key(),
            password_hash,
            role: None,
            created_at: now,
            updated_at: now,
            token_version: 0,
            ignored: Vec::new(),
        };
        bounded(self.timeout, self.coll.insert_one(&user)).await?;
        Ok(user)
    }

    pub async fn find_by_id(&self, id: &str) -> Result<Option<UserDoc>, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        bounded(self.timeout, self.coll.find_one(doc! {"_id": oid})).await
    }

    pub async fn find_by_nickname(
        &self,
        nickname: &Nickname,
    ) -> Result<Option<UserDoc>, StoreError> {
        bounded(
            self.timeout,
            self.coll.find_one(doc! {"nicknameKey": nickname.key()}),
        )
        .await
    }

    /// Revokes every token issued so far; returns the new version.
    /// The accounts with these nickname keys (lower case), for mentions.
    pub async fn find_by_nickname_keys(&self, keys: &[String]) -> Result<Vec<UserDoc>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let find = async {
            self.coll
                .find(doc! {"nicknameKey": {"$in": keys.to_vec()}})
                .limit(keys.len() as i64)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        bounded(self.timeout, find).await
    }

    pub async fn revoke_tokens(&self, id: &str) -> Result<Option<u32>, StoreError> {
        self.update_and_read(id, doc! {"$inc": {"tokenVersion": 1}})
            .await
    }

    /// Sets a new password hash and revokes every token issued so far.
    pub async fn set_password(&self, id: &str, hash: String) -> Result<Option<u32>, StoreError> {
        self.update_and_read(
            id,
            doc! {"$set": {"passwordHash": hash}, "$inc": {"tokenVersion": 1}},
        )
        .await
    }

    /// Replaces `id`'s ignore list. (A whole-list `$set`: nx-27017, used in
    /// development and CI, ignores `$addToSet` on a missing field.)
    pub async fn set_ignored(&self, id: &str, list: &[String]) -> Result<bool, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(false);
        };
        let r = bounded(
            self.timeout,
            self.coll
                .update_one(doc! {"_id": oid}, doc! {"$set": {"ignored": list.to_vec()}}),
        )
        .await?;
        Ok(r.matched_count > 0)
    }

    async fn update_and_read(
        &self,
        id: &str,
        update: bson::Document,
    ) -> Result<Option<u32>, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        // A plain update then a read: nx-27017's findAndModify swallows errors.
        bounded(
            self.timeout,
            self.coll.update_one(doc! {"_id": oid}, update),
        )
        .await?;
        Ok(self.find_by_id(id).await?.map(|u| u.token_version))
    }
}
