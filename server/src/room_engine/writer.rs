//! A room's writer: checks queued sends against the rules in memory and stores
//! them with one ordered `insert_many` (group commit), acking each once its own
//! document is stored.

use std::{collections::VecDeque, sync::atomic::Ordering, sync::Arc, time::Instant};

use app::protocol::{
    moderation::RoomRole,
    people::{events as people_events, FirstMessage},
    ChatMessage,
};
use bson::{oid::ObjectId, DateTime};

use super::{
    fanout::Feed,
    prepare::{prepare, Prepared},
    Pending, Room, Rooms, Stored, BUSY_RETRY,
};
use crate::{
    room::{mods_room_of, rules::RoomRules, RoomError},
    store::{
        chat::{duplicate_is_resend, BatchError, ChatDoc, ReplyDoc},
        StoreError,
    },
};

pub(super) const UNAVAILABLE: &str = "chat is temporarily unavailable; try again";

/// How long a writer that lost a seq to another node waits to hear of it.
const HEAR_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

pub(super) struct Writer {
    rooms: Rooms,
    room: Arc<Room>,
    /// The highest seq known stored; `None` after a write whose outcome is
    /// unknown, until read back from the database.
    last_seq: Option<u64>,
}

type Accepted = (Pending, RoomRole, Prepared);

impl Writer {
    pub fn new(rooms: Rooms, room: Arc<Room>, last_seq: u64) -> Self {
        Self {
            rooms,
            room,
            last_seq: Some(last_seq),
        }
    }

    pub async fn commit(&mut self, batch: Vec<Pending>) {
        let Some((rules, version)) = self.current_rules().await else {
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
        let batch: Vec<Pending> = batch
            .into_iter()
            .filter(|p| !p.reply.is_closed())
            .filter_map(|p| {
                if now.duration_since(p.arrived) <= max_wait {
                    return Some(p);
                }
                inner.metrics.refused_busy.inc();
                let _ = p.reply.send(Err(RoomError::Busy(
                    "this chat is very busy right now; try again in a moment",
                    BUSY_RETRY,
                )));
                None
            })
            .collect();
        let prepared = prepare(&self.rooms, &self.room, &rules, &batch).await;
        let mut passed = Vec::with_capacity(batch.len());
        for (p, prep) in batch.into_iter().zip(prepared) {
            let checked = prep.and_then(|prep| {
                inner
                    .moderation
                    .check_send(
                        &rules,
                        &p.who,
                        &p.body.text,
                        prep.composed.has_links,
                        now_ms,
                    )
                    .map(|ok| (prep, ok))
            });
            match checked {
                Ok((prep, ok)) => passed.push((p, ok, prep)),
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
        if passed.is_empty() {
            return;
        }
        let quotas: Vec<_> = passed.iter().map(|(p, ok, _)| (&p.who, *ok)).collect();
        let (taken, current) = inner.moderation.take_quotas(&self.room.id, &quotas).await;
        // Another node changed the rules (e.g. a ban) since they were loaded:
        // reload them and check these sends again before storing any.
        // Any other version (also an older one: Redis restarted empty) means the
        // rules may have changed since they were loaded.
        let recheck = matches!(current, Some(c) if c != version);
        let rules = if recheck {
            self.rooms.refresh(&self.room.id).await;
            self.room.rules().map_or(rules, |(r, _)| r)
        } else {
            rules
        };
        let mut accepted = VecDeque::with_capacity(passed.len());
        for ((p, ok, prep), taken) in passed.into_iter().zip(taken) {
            let checked = taken.and_then(|()| {
                if recheck {
                    inner.moderation.check_send(
                        &rules,
                        &p.who,
                        &p.body.text,
                        prep.composed.has_links,
                        now_ms,
                    )
                } else {
                    Ok(ok)
                }
            });
            match checked {
                Ok(ok) => accepted.push_back((p, ok.role, prep)),
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
        self.store(accepted).await;
    }

    /// The rules to check against (and their version), reloaded first if a
    /// reload failed or another node changed them.
    async fn current_rules(&self) -> Option<(Arc<RoomRules>, u64)> {
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
        // Other writers (other nodes) may take the seqs this one tries, again
        // and again under contention; each round one of them wins, so retrying
        // for as long as the sends may still be acked ends.
        let give_up = Instant::now() + self.rooms.inner.config.ack_deadline / 2;
        while !todo.is_empty() {
            let last = match self.last_seq {
                // After what other nodes stored too, as far as this one heard.
                Some(s) => s.max(self.room.seen_seq.load(Ordering::Relaxed)),
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
                .map(|(i, (p, role, prep))| {
                    document(&self.room, p, *role, prep, last + 1 + i as u64)
                })
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
                    self.stored(&docs, todo.drain(..)).await;
                    return;
                }
                Err(BatchError::Refused { stored, cause }) => {
                    let done: Vec<Accepted> = todo.drain(..stored).collect();
                    self.stored(&docs[..stored], done).await;
                    let Some((p, role, prep)) = todo.pop_front() else {
                        return;
                    };
                    match cause {
                        // A seq another writer took needs no lookup of the clientId.
                        StoreError::Duplicate(why) => match self.original_if_resend(&p, &why).await
                        {
                            Ok(Some(original)) => {
                                // Stored by an earlier attempt (maybe on a node that
                                // died before telling anyone): make sure it is delivered.
                                self.exists(original.seq).await;
                                let _ = p.reply.send(Ok(Stored {
                                    message: original,
                                    fresh: false,
                                }));
                            }
                            Ok(None) => {
                                // Another writer took this seq: learn how far it got,
                                // then try again after it.
                                let taken = docs[stored].seq as u64;
                                self.last_seq = self.heard_of(taken).await;
                                self.rooms
                                    .inner
                                    .metrics
                                    .seq_collisions
                                    .with_label_values(&[if self.last_seq.is_some() {
                                        "heard"
                                    } else {
                                        "read"
                                    }])
                                    .inc();
                                if Instant::now() >= give_up {
                                    tracing::error!(live = %self.room.id, "seqs keep being taken by another writer");
                                    todo.push_front((p, role, prep));
                                    fail_all(todo);
                                    return;
                                }
                                todo.push_front((p, role, prep));
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

    /// The original of a send refused as a duplicate, if it is a resend; `None`
    /// when the duplicate was the seq.
    async fn original_if_resend(
        &self,
        p: &Pending,
        why: &str,
    ) -> Result<Option<ChatMessage>, StoreError> {
        match duplicate_is_resend(why) {
            Some(false) => Ok(None),
            _ => self.original(p).await,
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

    /// In a cluster, the node that took `seq` publishes its batch before acking
    /// it: waiting a moment to hear of it costs far less than reading the
    /// room's last seq back from the database (and the other writer's whole
    /// batch is heard at once). `None`: not heard, read it back.
    async fn heard_of(&self, seq: u64) -> Option<u64> {
        self.rooms.inner.cluster.as_ref()?;
        let heard = || {
            let seen = self.room.seen_seq.load(Ordering::Relaxed);
            (seen >= seq).then_some(seen)
        };
        let wait = async {
            loop {
                let grew = self.room.seen_grew.notified();
                if let Some(seen) = heard() {
                    return seen;
                }
                grew.await;
            }
        };
        tokio::time::timeout(HEAR_WAIT, wait).await.ok()
    }

    /// Reads the room's last seq back; the fan-out reads what was stored up to
    /// it (by a write whose answer was lost, or by another writer) if it has
    /// not arrived, so viewers get those too.
    async fn resync(&mut self) -> Result<u64, StoreError> {
        let last = self.rooms.inner.stores.chat.last_seq(&self.room.id).await?;
        self.exists(last).await;
        self.last_seq = Some(last);
        Ok(last)
    }

    /// Seqs up to `seq` are stored: this node's viewers get them, and if this
    /// node had not heard of them, the others are told too (the node that
    /// stored them may have died before telling anyone).
    async fn exists(&self, seq: u64) {
        let unheard = self.room.seen_seq.fetch_max(seq, Ordering::Relaxed) < seq;
        self.room.fanout.feed(Feed::Exists(seq));
        if let (true, Some(cluster)) = (unheard, &self.rooms.inner.cluster) {
            if let Err(e) = cluster.publish_exists(&self.room.id, seq).await {
                tracing::warn!(error = %e, live = %self.room.id, "cannot tell other nodes of stored messages");
            }
        }
    }

    async fn stored(&mut self, docs: &[ChatDoc], done: impl IntoIterator<Item = Accepted>) {
        let Some(newest) = docs.last() else {
            return;
        };
        self.last_seq = Some(newest.seq as u64);
        self.room.saw(newest.seq as u64);
        let messages: Vec<ChatMessage> = docs.iter().map(ChatDoc::to_message).collect();
        self.rooms
            .inner
            .metrics
            .stored
            .inc_by(messages.len() as u64);
        self.room.fanout.send(messages.clone());
        if let Some(cluster) = &self.rooms.inner.cluster {
            // Published before the acks: an acked message is known to every node
            // even if this one dies now. If publishing fails (Redis gone), every
            // node catches up from the database when Redis is back.
            if let Err(e) = cluster
                .publish_stored(&self.room.id, messages.clone())
                .await
            {
                tracing::warn!(error = %e, live = %self.room.id, "cannot publish stored messages");
            }
        }
        self.first_messages(&messages);
        for ((p, _, _), message) in done.into_iter().zip(messages) {
            let _ = p.reply.send(Ok(Stored {
                message,
                fresh: true,
            }));
        }
    }
}

impl Writer {
    /// Tells the room's moderators of anyone whose first message here this
    /// may be: checked off the send path, once per user while the room is in
    /// memory (those in its recent history are known already).
    fn first_messages(&self, stored: &[ChatMessage]) {
        let new: Vec<&ChatMessage> = stored
            .iter()
            .filter(|m| {
                self.room
                    .with_view(|v| v.people.chatted(&m.user_id))
                    .unwrap_or(false)
            })
            .collect();
        for m in new {
            let (rooms, id) = (self.rooms.clone(), self.room.id.clone());
            let notice = FirstMessage {
                live_id: m.live_id.clone(),
                message_id: m.id.clone(),
                user_id: m.user_id.clone(),
            };
            let seq = m.seq;
            tokio::spawn(async move {
                let inner = &rooms.inner;
                match inner
                    .stores
                    .chat
                    .sent_before(&id, &notice.user_id, seq)
                    .await
                {
                    Ok(false) => {
                        if let Some(io) = inner.io.get() {
                            let _ = io
                                .emit_everywhere(
                                    mods_room_of(&id),
                                    people_events::FIRST_MESSAGE,
                                    &notice,
                                )
                                .await;
                        }
                    }
                    Ok(true) => {}
                    // Only a notice for moderators is lost.
                    Err(e) => {
                        tracing::debug!(error = %e, live = %id, "cannot tell a first message")
                    }
                }
            });
        }
    }
}

fn document(room: &Room, p: &Pending, role: RoomRole, prep: &Prepared, seq: u64) -> ChatDoc {
    let now = DateTime::now();
    ChatDoc {
        id: ObjectId::new(),
        live_id: room.id.as_str().to_owned(),
        seq: seq as i64,
        user_id: p.who.user_id.clone(),
        nickname: p.who.nickname.clone(),
        content: p.body.text.as_str().to_owned(),
        fragments: prep.composed.fragments.clone(),
        mentions: prep.composed.mentions.clone(),
        reply_to: prep.reply_to.as_ref().map(ReplyDoc::from_wire),
        action: p.body.action,
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
    for (p, _, _) in todo {
        let _ = p.reply.send(Err(RoomError::Busy(UNAVAILABLE, BUSY_RETRY)));
    }
}
