//! Posting and reading chat: validation, per-room sequencing and idempotency.
//!
//! Each room has one turn (an async mutex). A send takes the turn, stores the
//! message with the next `seq`, and the caller broadcasts it before giving the turn
//! back, so every viewer receives a room's messages in `seq` order however many
//! senders race. The unique indexes on (liveId, seq) and (liveId, userId, clientId)
//! make the database the final judge of order and of duplicates.

mod send_order;

pub use send_order::{SendOrder, SendTurn};

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::protocol::{
    ChatMessage, ChatPage, ClientId, GetChat, HistoryQuery, HistoryWindow, LiveId, MessageContent,
    NewMessage, HISTORY_DEFAULT,
};
use bson::{oid::ObjectId, DateTime};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio_util::task::TaskTracker;

use crate::{
    auth::Identity,
    metrics::Metrics,
    moderation::Moderation,
    room::{find_live, RoomError},
    store::{
        chat::{ChatDoc, HistoryPage},
        lives::LiveDoc,
        StoreError, Stores,
    },
};

#[derive(Default)]
struct RoomState {
    /// The last stored `seq`; `None` until read from the database, and again after
    /// a write whose outcome is unknown.
    last_seq: Option<u64>,
}

/// A stored message, and the room's turn. Broadcast `message` (when `fresh`)
/// before dropping this, so the room's order holds.
pub struct Sequenced {
    pub message: ChatMessage,
    /// False when this was a retry of an already stored message.
    pub fresh: bool,
    _turn: OwnedMutexGuard<RoomState>,
}

const INSERT_ATTEMPTS: usize = 3;

#[derive(Clone)]
pub struct ChatService {
    stores: Stores,
    moderation: Arc<Moderation>,
    metrics: Arc<Metrics>,
    rooms: Arc<Mutex<HashMap<LiveId, Arc<AsyncMutex<RoomState>>>>>,
    /// Sends being stored and acked; a graceful shutdown waits for them.
    in_flight: TaskTracker,
}

impl ChatService {
    pub fn new(stores: Stores, moderation: Moderation, metrics: Arc<Metrics>) -> Self {
        Self {
            stores,
            moderation: Arc::new(moderation),
            metrics,
            rooms: Default::default(),
            in_flight: TaskTracker::new(),
        }
    }

    /// Runs one send to completion even if its socket goes away; refuses new ones
    /// once draining has begun.
    pub async fn track<F: std::future::Future>(&self, send: F) -> Result<F::Output, RoomError> {
        if self.in_flight.is_closed() {
            return Err(RoomError::Store(StoreError::Unavailable(
                "the server is restarting".into(),
            )));
        }
        Ok(self.in_flight.track_future(send).await)
    }

    /// Stops taking sends and waits (up to `limit`) for those in flight.
    pub async fn drain(&self, limit: Duration) -> bool {
        self.in_flight.close();
        tokio::time::timeout(limit, self.in_flight.wait())
            .await
            .is_ok()
    }

    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    pub fn moderation(&self) -> &Moderation {
        &self.moderation
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The live, or `NotFound`.
    pub async fn live(&self, raw_id: &str) -> Result<(LiveId, LiveDoc), RoomError> {
        find_live(&self.stores, raw_id).await
    }

    /// The newest page of a room's history (what a viewer sees on arrival).
    pub async fn latest(&self, id: &LiveId) -> Result<HistoryPage, RoomError> {
        let newest = HistoryQuery {
            window: HistoryWindow::Latest,
            limit: HISTORY_DEFAULT,
        };
        Ok(self.stores.chat.history(id, newest).await?)
    }

    fn room(&self, id: &LiveId) -> Arc<AsyncMutex<RoomState>> {
        let mut rooms = self.rooms.lock().expect("room map poisoned");
        rooms.entry(id.clone()).or_default().clone()
    }

    /// Stores a message from `who` and returns it with the room's turn. `order`
    /// is the message's place among its sender's sends: it waits for the earlier
    /// ones and lets the next go once it holds the room's turn.
    pub async fn post(
        &self,
        who: Option<&Identity>,
        req: NewMessage,
        order: SendTurn,
    ) -> Result<Sequenced, RoomError> {
        order.wait().await;
        let who = who.ok_or(RoomError::Unauthorized)?;
        let content = MessageContent::parse(&req.content)?;
        let client_id = ClientId::parse(&req.client_id)?;
        let (live_id, live) = self.live(&req.live_id).await?;
        let role = self
            .moderation
            .check_send(&live_id, &live, who, &content)
            .await?;

        let mut turn = self.room(&live_id).lock_owned().await;
        drop(order);
        for _ in 0..INSERT_ATTEMPTS {
            let last = match turn.last_seq {
                Some(s) => s,
                None => {
                    let s = self.stores.chat.last_seq(&live_id).await?;
                    turn.last_seq = Some(s);
                    s
                }
            };
            let now = DateTime::now();
            let doc = ChatDoc {
                id: ObjectId::new(),
                live_id: live_id.as_str().to_owned(),
                seq: (last + 1) as i64,
                user_id: who.user_id.clone(),
                nickname: who.nickname.clone(),
                content: content.as_str().to_owned(),
                client_id: client_id.as_str().to_owned(),
                badge: role.badge(),
                created_at: now,
                updated_at: now,
                deleted_at_ms: None,
                deleted_by: None,
            };
            let timer = self.metrics.store_seconds.start_timer();
            let inserted = self.stores.chat.insert(&doc).await;
            timer.observe_duration();
            match inserted {
                Ok(()) => {
                    self.metrics.stored.inc();
                    turn.last_seq = Some(last + 1);
                    return Ok(Sequenced {
                        message: doc.to_message(),
                        fresh: true,
                        _turn: turn,
                    });
                }
                Err(StoreError::Duplicate(_)) => {
                    // Either this clientId was already stored (a retry), or another
                    // writer took this seq: tell them apart by looking.
                    if let Some(original) = self
                        .stores
                        .chat
                        .find_by_client_id(&live_id, &who.user_id, client_id.as_str())
                        .await?
                    {
                        return Ok(Sequenced {
                            message: original.to_message(),
                            fresh: false,
                            _turn: turn,
                        });
                    }
                    turn.last_seq = None;
                }
                Err(e) => {
                    // The write may or may not have landed: re-read the seq next time.
                    turn.last_seq = None;
                    return Err(e.into());
                }
            }
        }
        Err(StoreError::Unavailable("could not allocate a sequence number".into()).into())
    }

    pub async fn history(&self, req: &GetChat) -> Result<ChatPage, RoomError> {
        let query = HistoryQuery::parse(req)?;
        let (live_id, _) = self.live(&req.live_id).await?;
        let page = self.stores.chat.history(&live_id, query).await?;
        Ok(ChatPage {
            messages: page.messages,
            has_more: page.has_more,
        })
    }
}
