//! A room's custom emotes: one document each in `emotes` (unique per live and
//! code), the image itself in the GridFS bucket `emote_images` under the same id.

use std::time::Duration;

use app::protocol::{EmoteCode, LiveId};
use bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use futures::{AsyncWriteExt, TryStreamExt};
use mongodb::{gridfs::GridFsBucket, options::IndexOptions, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::{bounded, StoreError};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmoteDoc {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub live_id: String,
    pub code: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub size: i64,
    pub created_by: String,
    pub created_at: DateTime,
}

impl EmoteDoc {
    pub fn to_wire(&self) -> app::protocol::rich::Emote {
        app::protocol::rich::Emote {
            code: self.code.clone(),
            id: self.id.to_hex(),
        }
    }
}

#[derive(Clone)]
pub struct EmoteStore {
    coll: Collection<EmoteDoc>,
    images: GridFsBucket,
    chunks: Collection<Document>,
    timeout: Duration,
}

impl EmoteStore {
    pub fn new(db: &Database, timeout: Duration) -> Self {
        Self {
            coll: db.collection("emotes"),
            images: db.gridfs_bucket(
                mongodb::options::GridFsBucketOptions::builder()
                    .bucket_name("emote_images".to_owned())
                    .build(),
            ),
            chunks: db.collection("emote_images.chunks"),
            timeout,
        }
    }

    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        let idx = IndexModel::builder()
            .keys(doc! {"liveId": 1, "code": 1})
            .options(IndexOptions::builder().unique(true).build())
            .build();
        bounded(self.timeout, self.coll.create_index(idx)).await?;
        Ok(())
    }

    /// A room's emotes, oldest first.
    pub async fn list(&self, live: &LiveId) -> Result<Vec<EmoteDoc>, StoreError> {
        let find = async {
            self.coll
                .find(doc! {"liveId": live.as_str()})
                .sort(doc! {"createdAt": 1})
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        bounded(self.timeout, find).await
    }

    /// A room's emotes as everyone sees them, oldest first.
    pub async fn set(&self, live: &LiveId) -> Result<Vec<app::protocol::rich::Emote>, StoreError> {
        Ok(self
            .list(live)
            .await?
            .iter()
            .map(EmoteDoc::to_wire)
            .collect())
    }

    pub async fn count(&self, live: &LiveId) -> Result<u64, StoreError> {
        bounded(
            self.timeout,
            self.coll.count_documents(doc! {"liveId": live.as_str()}),
        )
        .await
    }

    /// Stores the image, then its document (`Duplicate` when the room already
    /// has the code; the image is removed again then).
    pub async fn insert(&self, emote: &EmoteDoc, image: &[u8]) -> Result<(), StoreError> {
        let upload = async {
            let mut up = self
                .images
                .open_upload_stream(format!("{}/{}", emote.live_id, emote.code))
                .id(Bson::ObjectId(emote.id))
                .await?;
            up.write_all(image).await?;
            up.close().await?;
            Ok::<_, mongodb::error::Error>(())
        };
        bounded(self.timeout, upload).await?;
        if let Err(e) = bounded(self.timeout, self.coll.insert_one(emote)).await {
            let _ = bounded(self.timeout, self.images.delete(Bson::ObjectId(emote.id))).await;
            return Err(e);
        }
        Ok(())
    }

    /// Removes a room's emote by code; `None` when it has none by that code.
    pub async fn remove(
        &self,
        live: &LiveId,
        code: &EmoteCode,
    ) -> Result<Option<EmoteDoc>, StoreError> {
        let filter = doc! {"liveId": live.as_str(), "code": code.as_str()};
        let Some(found) = bounded(self.timeout, self.coll.find_one(filter.clone())).await? else {
            return Ok(None);
        };
        bounded(self.timeout, self.coll.delete_one(doc! {"_id": found.id})).await?;
        // Messages keep showing the image until it is gone; a failure here
        // leaves an orphan file, not a broken room.
        if let Err(e) = bounded(self.timeout, self.images.delete(Bson::ObjectId(found.id))).await {
            tracing::warn!(error = %e, "cannot remove an emote's image");
        }
        Ok(Some(found))
    }

    /// An emote's document and image bytes.
    pub async fn image(&self, id: &str) -> Result<Option<(EmoteDoc, Vec<u8>)>, StoreError> {
        let Ok(oid) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        let Some(emote) = bounded(self.timeout, self.coll.find_one(doc! {"_id": oid})).await?
        else {
            return Ok(None);
        };
        // The file's chunks, read as GridFS lays them out. Not through the
        // driver's download stream: it parses the files document's
        // `uploadDate`, which nx-27017 (dev and CI) stores as a string.
        let read = async {
            self.chunks
                .find(doc! {"files_id": oid})
                .sort(doc! {"n": 1})
                .await?
                .try_collect::<Vec<Document>>()
                .await
        };
        let chunks = bounded(self.timeout, read).await?;
        let mut bytes = Vec::with_capacity(emote.size.max(0) as usize);
        for chunk in &chunks {
            if let Ok(data) = chunk.get_binary_generic("data") {
                bytes.extend_from_slice(data);
            }
        }
        if bytes.len() as i64 != emote.size {
            return Err(StoreError::Unavailable(format!(
                "emote {id}: {} of {} bytes stored",
                bytes.len(),
                emote.size
            )));
        }
        Ok(Some((emote, bytes)))
    }
}
