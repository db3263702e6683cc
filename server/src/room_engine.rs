//! The room engine: the one place that owns an active room's life.
//!
//! A room is loaded on first use (its rules and newest messages into memory) and
//! gets one writer task and one fan-out task:
//! - sends are admitted synchronously into the room's bounded queue, in the order
//!   they arrived (so one socket's messages keep their order), or refused at once
//!   when it is full;
//! - the writer checks each queued send against the rules in memory and stores
//!   everything queued with one ordered `insert_many` and consecutive seqs (group
//!   commit), acking each send once its own document is stored;
//! - stored messages go, in seq order, into the recent history and to the fan-out,
//!   which encodes each packet once for every socket in the room.
//!
//! The unique indexes on (liveId, seq) and (liveId, userId, clientId) stay the
//! judge of order and duplicates, even against another writer: in cluster mode
//! every node runs a writer for each room it serves, publishes what it stored,
//! and delivers every node's messages to its own sockets in seq order.

mod fanout;
mod prepare;
mod sequencer;
mod writer;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::{Duration, Instant},
};

use app::protocol::{
    ChatMessage, ClientId, HistoryQuery, HistoryWindow, LiveId, MessageContent, NewMessage,
    HISTORY_DEFAULT,
};
use bson::oid::ObjectId;
use tokio::sync::{mpsc, oneshot, watch};

use self::fanout::{Fanout, Feed};
use crate::{
    auth::Identity,
    cluster::{Cluster, Event},
    config::RoomsConfig,
    metrics::Metrics,
    moderation::Moderation,
    presence::Presence,
    room::{
        compose::Body,
        people::People,
        recent::{Recent, RecentPage, RECENT_KEPT},
        rules::RoomRules,
        RoomError,
    },
    sockets::Sockets,
    store::Stores,
};

/// Rooms unused this long (no send, no arrival) are dropped from memory.
const IDLE_AFTER: Duration = Duration::from_secs(300);
/// What a refused send is told to wait before trying again.
const BUSY_RETRY: Duration = Duration::from_millis(500);

/// How long a read of recent history waits for the fan-out to hold what this
/// node has stored (it runs a moment behind the writer's acks); past it, the
/// read serves what is held and the socket catches up by seq.
const RECENT_CATCH_UP: Duration = Duration::from_millis(500);

/// A stored message, and whether this send stored it (false: a resend of a
/// clientId already stored, answered with the original).
pub struct Stored {
    pub message: ChatMessage,
    pub fresh: bool,
}

/// A send admitted into its room's queue; resolves when it is stored or refused.
pub struct Admitted {
    reply: oneshot::Receiver<Result<Stored, RoomError>>,
    deadline: Instant,
}

impl Admitted {
    /// The send's outcome, never later than the configured ack deadline.
    pub async fn outcome(self) -> Result<Stored, RoomError> {
        match tokio::time::timeout_at(self.deadline.into(), self.reply).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) | Err(_) => Err(RoomError::Busy(
                "the message was not confirmed in time; send it again",
                BUSY_RETRY,
            )),
        }
    }
}

/// What a room looks like to someone arriving: its rules and newest messages.
pub struct Snapshot {
    pub id: LiveId,
    pub rules: Arc<RoomRules>,
    pub history: RecentPage,
}

struct Pending {
    who: Identity,
    body: Body,
    /// The message this one answers (checked by the writer).
    reply_to: Option<ObjectId>,
    client_id: ClientId,
    arrived: Instant,
    reply: oneshot::Sender<Result<Stored, RoomError>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Loading,
    Ready,
    NotFound,
    Failed,
}

struct View {
    rules: Arc<RoomRules>,
    /// The generation of the reload `rules` came from (newer reloads win).
    rules_generation: u64,
    /// Cluster mode: the rules version in Redis read before `rules` were, so a
    /// newer version means they may be out of date.
    rules_version: u64,
    recent: Recent,
    /// Names `@mentions` resolve to.
    people: People,
}

/// One active room, shared by the handlers and its writer.
struct Room {
    id: LiveId,
    queue: mpsc::Sender<Pending>,
    phase: watch::Receiver<Phase>,
    view: Mutex<Option<View>>,
    /// A reload of the rules failed: the writer reloads before its next batch.
    stale: AtomicBool,
    generations: AtomicU64,
    last_used: Mutex<Instant>,
    /// How long the writer's latest batch had waited in the queue (µs).
    queue_wait_us: AtomicU64,
    /// What storing one message has cost lately (µs, a moving average): with
    /// the queue's length, the wait a new send would have.
    per_message_us: AtomicU64,
    /// Stored messages on their way to this node's sockets.
    fanout: Fanout,
    /// The highest seq this node has heard of (its own writes and other
    /// nodes'): the writer numbers after it, so collisions stay rare.
    seen_seq: AtomicU64,
    /// Woken whenever `seen_seq` grows (a writer that lost a seq to another
    /// node waits here to hear how far that node got).
    seen_grew: tokio::sync::Notify,
    /// Woken whenever the fan-out adds to the recent history.
    recent_grew: tokio::sync::Notify,
}

impl Room {
    /// The wait a send admitted now can expect before its write begins.
    fn expected_wait(&self) -> Duration {
        let queued = (self.queue.max_capacity() - self.queue.capacity()) as u64;
        let estimate = queued * self.per_message_us.load(Ordering::Relaxed);
        Duration::from_micros(estimate.max(if queued > 0 {
            self.queue_wait_us.load(Ordering::Relaxed)
        } else {
            0
        }))
    }

    /// Records what a write of `n` messages took. Only big batches count: they
    /// show the marginal cost of a message (a lone message's write is mostly
    /// round trip, which a queued burst shares).
    fn note_write(&self, n: usize, took: Duration) {
        if n < 16 {
            return;
        }
        let sample = took.as_micros() as u64 / n.max(1) as u64;
        let old = self.per_message_us.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            (old * 7 + sample) / 8
        };
        self.per_message_us.store(new, Ordering::Relaxed);
    }
}

impl Room {
    fn touch(&self) {
        *self.last_used.lock().expect("room") = Instant::now();
    }

    fn with_view<T>(&self, f: impl FnOnce(&mut View) -> T) -> Option<T> {
        self.view.lock().expect("room view").as_mut().map(f)
    }

    fn rules(&self) -> Option<(Arc<RoomRules>, u64)> {
        self.with_view(|v| (v.rules.clone(), v.rules_version))
    }

    fn saw(&self, seq: u64) {
        if self.seen_seq.fetch_max(seq, Ordering::Relaxed) < seq {
            self.seen_grew.notify_waiters();
        }
    }

    /// Waits (bounded) until the recent history holds every seq this node knew
    /// stored when called: a sender acked just before reloading the page, or
    /// re-entering the room, finds their message in it.
    async fn recent_caught_up(&self) {
        let target = self.seen_seq.load(Ordering::Relaxed);
        let wait = async {
            loop {
                let grew = self.recent_grew.notified();
                tokio::pin!(grew);
                // Registered before the check, so a push in between wakes it.
                grew.as_mut().enable();
                let held = self.with_view(|v| v.recent.last_seq()).unwrap_or(target);
                if held >= target {
                    return;
                }
                grew.await;
            }
        };
        let _ = tokio::time::timeout(RECENT_CATCH_UP, wait).await;
    }
}

struct Inner {
    stores: Stores,
    moderation: Arc<Moderation>,
    metrics: Arc<Metrics>,
    presence: Presence,
    io: OnceLock<Sockets>,
    cluster: Option<Cluster>,
    config: RoomsConfig,
    rooms: Mutex<HashMap<LiveId, Arc<Room>>>,
}

#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

impl Rooms {
    pub fn new(
        stores: Stores,
        moderation: Arc<Moderation>,
        metrics: Arc<Metrics>,
        presence: Presence,
        config: RoomsConfig,
        cluster: Option<Cluster>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                stores,
                moderation,
                metrics,
                presence,
                io: OnceLock::new(),
                cluster,
                config,
                rooms: Mutex::default(),
            }),
        }
    }

    /// The socket.io server the fan-out emits on; set once at start-up. In
    /// cluster mode, starts listening to the other nodes.
    pub async fn attach(&self, io: Sockets) -> Result<(), crate::cluster::ClusterError> {
        let _ = self.inner.io.set(io);
        if let Some(cluster) = &self.inner.cluster {
            let this = self.clone();
            cluster.listen(move |e| this.heard(e)).await?;
        }
        Ok(())
    }

    pub fn sockets(&self) -> Option<&Sockets> {
        self.inner.io.get()
    }

    /// The cluster, when there is one.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.inner.cluster.as_ref()
    }

    /// What another node told this one.
    fn heard(&self, event: Event) {
        match event {
            Event::Stored { live_id, messages } => {
                if let Some(room) = self.existing(&live_id) {
                    if let Some(newest) = messages.iter().map(|m| m.seq).max() {
                        room.saw(newest);
                    }
                    room.fanout.send(messages);
                }
            }
            Event::Exists { live_id, seq } => {
                if let Some(room) = self.existing(&live_id) {
                    room.saw(seq);
                    room.fanout.feed(Feed::Exists(seq));
                }
            }
            Event::Changed { live_id, deleted } => {
                if let Some(room) = self.existing(&live_id) {
                    // Marked at once: the writer reloads before its next check.
                    room.stale.store(true, Ordering::SeqCst);
                    room.with_view(|v| v.recent.delete(&deleted));
                    let this = self.clone();
                    tokio::spawn(async move { this.refresh(&live_id).await });
                }
            }
            Event::Recovered => {
                let rooms: Vec<Arc<Room>> = self
                    .inner
                    .rooms
                    .lock()
                    .expect("rooms")
                    .values()
                    .cloned()
                    .collect();
                for room in rooms {
                    room.stale.store(true, Ordering::SeqCst);
                    room.fanout.feed(Feed::CatchUp);
                    let (this, id) = (self.clone(), room.id.clone());
                    tokio::spawn(async move { this.refresh(&id).await });
                }
            }
        }
    }

    /// Admits a send into its room's queue, in the order of the calls: call it
    /// synchronously as each send arrives. Refuses at once when the queue is full.
    pub fn admit(&self, who: &Identity, req: NewMessage) -> Result<Admitted, RoomError> {
        let body = Body::parse(MessageContent::parse(&req.content)?)?;
        let client_id = ClientId::parse(&req.client_id)?;
        let id = LiveId::parse(&req.live_id)?;
        let reply_to = match req.reply_to_id.as_deref() {
            None => None,
            Some(raw) => Some(ObjectId::parse_str(raw).map_err(|_| {
                RoomError::Invalid("replyToId must be a message's 24-hex-digit id".into())
            })?),
        };
        let arrived = Instant::now();
        let (reply, outcome) = oneshot::channel();
        let mut pending = Pending {
            who: who.clone(),
            body,
            reply_to,
            client_id,
            arrived,
            reply,
        };
        // A room retiring as this runs has closed its queue: one more try gets a
        // fresh room.
        for _ in 0..2 {
            let room = self.room(&id);
            if room.expected_wait() > self.inner.config.max_queue_wait {
                // The writer is behind: refuse now rather than add to everyone's wait.
                self.inner.metrics.refused_busy.inc();
                return Err(RoomError::Busy(
                    "this chat is very busy right now; try again in a moment",
                    BUSY_RETRY,
                ));
            }
            match room.queue.try_send(pending) {
                Ok(()) => {
                    return Ok(Admitted {
                        reply: outcome,
                        deadline: arrived + self.inner.config.ack_deadline,
                    })
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.inner.metrics.refused_busy.inc();
                    return Err(RoomError::Busy(
                        "this chat is very busy right now; try again in a moment",
                        BUSY_RETRY,
                    ));
                }
                Err(mpsc::error::TrySendError::Closed(p)) => pending = p,
            }
        }
        Err(RoomError::Busy(
            "the room is restarting; try again",
            BUSY_RETRY,
        ))
    }

    /// Loads a room (if it is not in memory yet).
    pub async fn open(&self, id: &LiveId) -> Result<(), RoomError> {
        self.ready(id).await.map(|room| room.touch())
    }

    /// The room as someone arriving sees it (rules, newest messages), from
    /// memory once loaded.
    pub async fn snapshot(&self, raw_id: &str) -> Result<Snapshot, RoomError> {
        let id = LiveId::parse(raw_id)?;
        let room = self.ready(&id).await?;
        room.touch();
        room.recent_caught_up().await;
        room.with_view(|v| Snapshot {
            id: id.clone(),
            rules: v.rules.clone(),
            history: v.recent.latest(HISTORY_DEFAULT as usize),
        })
        .ok_or_else(|| RoomError::Busy("the room is restarting; try again", BUSY_RETRY))
    }

    /// A page of history: from memory when it holds the whole page (the newest
    /// messages and short catch-ups), else from the database.
    pub async fn history(&self, id: &LiveId, q: HistoryQuery) -> Result<RecentPage, RoomError> {
        let room = self.ready(id).await?;
        if !matches!(q.window, HistoryWindow::Before(_)) {
            room.recent_caught_up().await;
        }
        let from_memory = room.with_view(|v| match q.window {
            HistoryWindow::Latest => Some(v.recent.latest(q.limit as usize)),
            HistoryWindow::After(a) => v.recent.after(a, q.limit as usize),
            HistoryWindow::Before(_) => None,
        });
        if let Some(Some(page)) = from_memory {
            return Ok(page);
        }
        // Read the room's last seq first: every seq up to it that the page does
        // not hold was deleted (a message stored in between may be in the page).
        let before = room.with_view(|v| v.recent.last_seq()).unwrap_or(0);
        let page = self.inner.stores.chat.history(id, q).await?;
        let newest = page.messages.last().map_or(0, |m| m.seq);
        let last_seq = match q.window {
            HistoryWindow::Before(b) => b.saturating_sub(1),
            _ if page.has_more => newest,
            _ => before.max(newest),
        };
        Ok(RecentPage {
            messages: page.messages,
            has_more: page.has_more,
            last_seq,
        })
    }

    /// Re-reads a room's rules after a write that changed them (a ban, a
    /// moderator, its settings, its status). Returns once sends are checked
    /// against the new rules.
    pub async fn refresh(&self, id: &LiveId) {
        let Some(room) = self.existing(id) else {
            return;
        };
        let generation = room.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let version = self.rules_version(id).await;
        match RoomRules::load(&self.inner.stores, id).await {
            Ok(rules) => {
                room.with_view(|v| {
                    if generation > v.rules_generation {
                        v.rules = Arc::new(rules);
                        v.rules_generation = generation;
                        v.rules_version = version;
                    }
                });
                // An older reload finishing late must not hide a newer change.
                if room.generations.load(Ordering::SeqCst) == generation {
                    room.stale.store(false, Ordering::SeqCst);
                }
            }
            Err(e) => {
                // Handled here: the writer reloads before storing anything more.
                tracing::warn!(error = %e, live = %id, "cannot reload a room's rules");
                room.stale.store(true, Ordering::SeqCst);
            }
        }
    }

    /// The room's rules version in Redis (0 on one node, or if Redis cannot
    /// say: the next batch then finds a newer one and reloads).
    async fn rules_version(&self, id: &LiveId) -> u64 {
        let Some(cluster) = &self.inner.cluster else {
            return 0;
        };
        cluster.rules_version(id).await.unwrap_or_else(|e| {
            tracing::debug!(error = %e, live = %id, "cannot read a room's rules version");
            0
        })
    }

    /// Someone with an account arrived in the room: their name can be
    /// mentioned without a lookup.
    pub fn met(&self, id: &LiveId, who: &Identity) {
        if let Some(room) = self.existing(id) {
            room.with_view(|v| v.people.saw(&who.user_id, &who.nickname));
        }
    }

    /// Applies deletions to the room's recent history.
    pub fn deleted(&self, id: &LiveId, ids: &[String]) {
        if let Some(room) = self.existing(id) {
            room.with_view(|v| v.recent.delete(ids));
        }
    }

    fn existing(&self, id: &LiveId) -> Option<Arc<Room>> {
        self.inner.rooms.lock().expect("rooms").get(id).cloned()
    }

    /// The room, loaded and ready.
    async fn ready(&self, id: &LiveId) -> Result<Arc<Room>, RoomError> {
        let room = self.room(id);
        let mut phase = room.phase.clone();
        let phase = *phase
            .wait_for(|p| *p != Phase::Loading)
            .await
            .map_err(|_| RoomError::Busy("the room is restarting; try again", BUSY_RETRY))?;
        match phase {
            Phase::Ready => Ok(room),
            Phase::NotFound => Err(RoomError::NotFound),
            _ => Err(RoomError::Busy(
                "chat is temporarily unavailable; try again",
                BUSY_RETRY,
            )),
        }
    }

    /// The room, starting it if it is not active.
    fn room(&self, id: &LiveId) -> Arc<Room> {
        let mut rooms = self.inner.rooms.lock().expect("rooms");
        if let Some(room) = rooms.get(id) {
            return room.clone();
        }
        let (queue, queued) = mpsc::channel(self.inner.config.queue_max);
        let (phase_tx, phase) = watch::channel(Phase::Loading);
        let (fanout, feed) = Fanout::channel();
        let room = Arc::new(Room {
            id: id.clone(),
            queue,
            phase,
            view: Mutex::new(None),
            stale: AtomicBool::new(false),
            generations: AtomicU64::new(0),
            last_used: Mutex::new(Instant::now()),
            queue_wait_us: AtomicU64::new(0),
            per_message_us: AtomicU64::new(0),
            fanout,
            seen_seq: AtomicU64::new(0),
            seen_grew: tokio::sync::Notify::new(),
            recent_grew: tokio::sync::Notify::new(),
        });
        rooms.insert(id.clone(), room.clone());
        self.inner.metrics.rooms.set(rooms.len() as i64);
        drop(rooms);
        tokio::spawn(self.clone().run(room.clone(), queued, feed, phase_tx));
        room
    }

    /// Drops `room` from the registry (if it is still the registered one).
    fn forget(&self, room: &Arc<Room>) {
        let mut rooms = self.inner.rooms.lock().expect("rooms");
        if rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.id);
            if let Some(cluster) = self.inner.cluster.clone() {
                let id = room.id.clone();
                tokio::spawn(async move { cluster.unfollow(&id).await });
            }
        }
        self.inner.metrics.rooms.set(rooms.len() as i64);
    }

    async fn load(&self, id: &LiveId) -> Result<View, RoomError> {
        let stores = &self.inner.stores;
        let rules_version = self.rules_version(id).await;
        if let Some(cluster) = &self.inner.cluster {
            // Subscribed before reading: what other nodes store from now on
            // arrives (messages up to the read are dropped as repeats).
            cluster.follow(id).await.map_err(|e| {
                tracing::warn!(error = %e, live = %id, "cannot follow a room on redis");
                RoomError::Busy("chat is temporarily unavailable; try again", BUSY_RETRY)
            })?;
        }
        let rules = RoomRules::load(stores, id).await?;
        // One query: the newest messages, deleted ones included, give both the
        // room's last seq and the recent history.
        let mut newest = stores.chat.newest(id, RECENT_KEPT as i64 + 1).await?;
        let older_exist = newest.len() > RECENT_KEPT;
        newest.truncate(RECENT_KEPT);
        newest.reverse();
        let last_seq = newest.last().map_or(0, |d| d.seq.max(0) as u64);
        let visible: Vec<_> = newest
            .iter()
            .filter(|d| d.deleted_at_ms.is_none())
            .map(crate::store::chat::ChatDoc::to_message)
            .collect();
        let mut people = People::default();
        for m in &visible {
            people.saw(&m.user_id, &m.nickname);
            people.chatted(&m.user_id);
        }
        Ok(View {
            rules: Arc::new(rules),
            rules_generation: 0,
            rules_version,
            recent: Recent::new(visible, last_seq, older_exist),
            people,
        })
    }

    /// The room's life: load, then store what is queued until idle.
    async fn run(
        self,
        room: Arc<Room>,
        mut queued: mpsc::Receiver<Pending>,
        feed: mpsc::UnboundedReceiver<Feed>,
        phase: watch::Sender<Phase>,
    ) {
        let view = match self.load(&room.id).await {
            Ok(v) => v,
            Err(e) => {
                let gone = if matches!(e, RoomError::NotFound) {
                    Phase::NotFound
                } else {
                    e.log_if_internal();
                    Phase::Failed
                };
                self.forget(&room);
                let _ = phase.send(gone);
                queued.close();
                while let Some(p) = queued.recv().await {
                    let _ = p.reply.send(Err(match gone {
                        Phase::NotFound => RoomError::NotFound,
                        _ => RoomError::Busy(
                            "chat is temporarily unavailable; try again",
                            BUSY_RETRY,
                        ),
                    }));
                }
                return;
            }
        };
        let last_seq = view.recent.last_seq();
        *room.view.lock().expect("room view") = Some(view);
        let _ = phase.send(Phase::Ready);

        room.saw(last_seq);
        let ctx = fanout::Context {
            io: self.inner.io.get().cloned(),
            presence: self.inner.presence.clone(),
            stores: self.inner.stores.clone(),
            metrics: self.inner.metrics.clone(),
            every: self.inner.config.batch_every,
        };
        tokio::spawn(fanout::run(ctx, room.clone(), last_seq, feed));
        let mut writer = writer::Writer::new(self.clone(), room.clone(), last_seq);
        loop {
            let first = match tokio::time::timeout(IDLE_AFTER, queued.recv()).await {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(_) => {
                    let idle = room.last_used.lock().expect("room").elapsed() >= IDLE_AFTER;
                    if idle {
                        // Stop taking sends; store what is already queued, then end.
                        self.forget(&room);
                        queued.close();
                    }
                    continue;
                }
            };
            room.touch();
            room.queue_wait_us.store(
                first.arrived.elapsed().as_micros() as u64,
                Ordering::Relaxed,
            );
            let mut batch = vec![first];
            while batch.len() < self.inner.config.batch_max {
                match queued.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            writer.commit(batch).await;
        }
        room.fanout.feed(Feed::Stop);
    }
}
