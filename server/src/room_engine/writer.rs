//! A room's writer: checks queued sends against the rules in memory and stores
//! them with one ordered `insert_many` (group commit), acking each once its own
//! document is stored.

use std::{collections::VecDeque, sync::atomic::Ordering, sync::Arc, time::Instant};

use app::protocol::{moderation::RoomRole, ChatMessage};
use bson::{oid::ObjectId, DateTime};

use super::{fanout::Fanout, Pending, Room, Rooms, Stored, BUSY_RETRY};
use crate::{
    room::{rules::RoomRules, RoomError},
    store::{
        chat::{BatchError, ChatDoc},
        StoreError,
    },
};

/// Times one batch is retried after another writer took its seqs.
const SEQ_RETRIES: usize = 3;

const UNAVAILABLE: &str = "chat is temporarily unavailable; try again";

pub(super) struct Writer {
    rooms: Rooms,
    room: Arc<Room>,
    fanout: Fanout,
    /// The highest seq known stored; `None` after a write whose outcome is
    /// unknown, until read back from the database.
    last_seq: Option<u64>,
}

type Accepted = (Pending, RoomRole);

impl Writer {
    pub fn new(rooms: Rooms, room: Arc<Room>, fanout: Fanout, last_seq: u64) -> Self {
        Self {
            rooms,
            room,
            fanout,
            last_seq: Some(last_seq),
        }
    }

    pub async fn commit(&mut self, batch: Vec<Pending>) {
        let Some(rules) = self.current_rules().await else {
            for p in batch {
                let _ = p.reply.send(Err(RoomError::Busy(UNAVAILABLE, BUSY_RETRY)));
            }
            return;
        };
        let inner = &self.rooms.inner;
        // A send that waited half its deadline in the queue is refused rather than
        // stored after its sender was told it failed.
        let max_wait = inner.config.ack_deadline / 2;
        let now = Instant::now();
        let now_ms = DateTime::now().timestamp_millis();
        let mut accepted = VecDeque::with_capacity(batch.len());
        for p in batch {
            if p.reply.is_closed() {
                continue;
            }
            if now.duration_since(p.arrived) > max_wait {
                inner.metrics.refused_busy.inc();
                let _ = p.reply.send(Err(RoomError::Busy(
                    "this chat is very busy right now; try again in a moment",
                    BUSY_RETRY,
                )));
                continue;
            }
            match inner
                .moderation
                .check_send(&self.room.id, &rules, &p.who, &p.content, now_ms)
            {
                Ok(role) => accepted.push_back((p, role)),
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
        self.store(accepted).await;
    }

    /// The rules to check against, reloaded first if a reload failed earlier.
    async fn current_rules(&self) -> Option<Arc<RoomRules>> {
        if self.room.stale.load(Ordering::SeqCst) {
            // A successful reload clears the flag; a failed one is logged there
            // and tried again before the next batch.
            self.rooms.refresh(&self.room.id).await;
            if self.room.stale.load(Ordering::SeqCst) {
                return None;
            }
        }
        self.room.rules()
    }

    async fn store(&mut self, mut todo: VecDeque<Accepted>) {
        let mut retries = 0;
        while !todo.is_empty() {
            let last = match self.last_seq {
                Some(s) => s,
                None => match self.resync().await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, live = %self.room.id, "cannot read a room's last seq");
                        fail_all(todo);
                        return;
                    }
                },
            };
            let docs: Vec<ChatDoc> = todo
                .iter()
                .enumerate()
                .map(|(i, (p, role))| document(&self.room, p, *role, last + 1 + i as u64))
                .collect();
            let started = Instant::now();
            let result = self.rooms.inner.stores.chat.insert_batch(&docs).await;
            let took = started.elapsed();
            self.rooms
                .inner
                .metrics
                .store_seconds
                .observe(took.as_secs_f64());
            self.room.note_write(docs.len(), took);
            self.rooms
                .inner
                .metrics
                .batch_size
                .observe(docs.len() as f64);
            match result {
                Ok(()) => {
                    self.stored(&docs, todo.drain(..));
                    return;
                }
                Err(BatchError::Refused { stored, cause }) => {
                    let done: Vec<Accepted> = todo.drain(..stored).collect();
                    self.stored(&docs[..stored], done);
                    let Some((p, role)) = todo.pop_front() else {
                        return;
                    };
                    match cause {
                        StoreError::Duplicate(_) => match self.original(&p).await {
                            Ok(Some(original)) => {
                                let _ = p.reply.send(Ok(Stored {
                                    message: original,
                                    fresh: false,
                                }));
                            }
                            Ok(None) => {
                                // Another writer took this seq: learn what it stored,
                                // then try again after it.
                                self.last_seq = None;
                                retries += 1;
                                if retries > SEQ_RETRIES {
                                    tracing::error!(live = %self.room.id, "seqs keep being taken by another writer");
                                    todo.push_front((p, role));
                                    fail_all(todo);
                                    return;
                                }
                                todo.push_front((p, role));
                            }
                            Err(e) => {
                                tracing::error!(error = %e, live = %self.room.id, "cannot look up a resent message");
                                let _ = p.reply.send(Err(RoomError::Busy(UNAVAILABLE, BUSY_RETRY)));
                            }
                        },
                        other => {
                            tracing::error!(error = %other, live = %self.room.id, "a message was refused by the database");
                            let _ = p.reply.send(Err(RoomError::Busy(UNAVAILABLE, BUSY_RETRY)));
                        }
                    }
                }
                Err(BatchError::Unknown(e)) => {
                    // Any prefix may be stored: read the seq back before the next
                    // write; resends of these clientIds find what did land.
                    tracing::error!(error = %e, live = %self.room.id, "storing a batch failed");
                    self.last_seq = None;
                    fail_all(todo);
                    return;
                }
            }
        }
    }

    /// The stored message a resend's clientId refers to.
    async fn original(&self, p: &Pending) -> Result<Option<ChatMessage>, StoreError> {
        let found = self
            .rooms
            .inner
            .stores
            .chat
            .find_by_client_id(&self.room.id, &p.who.user_id, p.client_id.as_str())
            .await?;
        Ok(found.map(|d| d.to_message()))
    }

    /// Reads the room's last seq back, and hands on what was stored since the
    /// last seq this writer knows (by a write whose answer was lost, or by
    /// another writer), so viewers get those too.
    async fn resync(&mut self) -> Result<u64, StoreError> {
        let chat = &self.rooms.inner.stores.chat;
        let known = self.room.with_view(|v| v.recent.last_seq()).unwrap_or(0);
        let last = chat.last_seq(&self.room.id).await?;
        if last > known {
            let landed = chat.range(&self.room.id, known + 1, last).await?;
            let visible: Vec<ChatMessage> = landed
                .iter()
                .filter(|d| d.deleted_at_ms.is_none())
                .map(ChatDoc::to_message)
                .collect();
            self.room.with_view(|v| {
                v.recent.push(visible.iter().cloned());
                v.recent.note_last_seq(last);
            });
            self.fanout.send(visible);
        }
        self.last_seq = Some(last);
        Ok(last)
    }

    fn stored(&mut self, docs: &[ChatDoc], done: impl IntoIterator<Item = Accepted>) {
        let Some(newest) = docs.last() else {
            return;
        };
        self.last_seq = Some(newest.seq as u64);
        let messages: Vec<ChatMessage> = docs.iter().map(ChatDoc::to_message).collect();
        self.rooms
            .inner
            .metrics
            .stored
            .inc_by(messages.len() as u64);
        // Recent history before the fan-out: someone entering between the two
        // then has the message one way or both (the client keeps one by seq).
        self.room
            .with_view(|v| v.recent.push(messages.iter().cloned()));
        self.fanout.send(messages.clone());
        for ((p, _), message) in done.into_iter().zip(messages) {
            let _ = p.reply.send(Ok(Stored {
                message,
                fresh: true,
            }));
        }
    }
}

fn document(room: &Room, p: &Pending, role: RoomRole, seq: u64) -> ChatDoc {
    let now = DateTime::now();
    ChatDoc {
        id: ObjectId::new(),
        live_id: room.id.as_str().to_owned(),
        seq: seq as i64,
        user_id: p.who.user_id.clone(),
        nickname: p.who.nickname.clone(),
        content: p.content.as_str().to_owned(),
        client_id: p.client_id.as_str().to_owned(),
        badge: role.badge(),
        created_at: now,
        updated_at: now,
        deleted_at_ms: None,
        deleted_by: None,
    }
}

/// Answers sends whose outcome is unknown; the cause was logged where it was met.
fn fail_all(todo: impl IntoIterator<Item = Accepted>) {
    for (p, _) in todo {
        let _ = p.reply.send(Err(RoomError::Busy(UNAVAILABLE, BUSY_RETRY)));
    }
}
