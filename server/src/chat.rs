//! Posting and reading chat, and moderating it: validation at the edge, then the
//! room engine (ordering, group commit, fan-out, recent history) and the
//! moderation service, kept in step with each other.

use std::{sync::Arc, time::Duration};

use app::protocol::{ChatPage, GetChat, HistoryQuery, LiveId, NewMessage};
use tokio_util::task::TaskTracker;

use crate::{
    auth::Identity,
    cluster::{Cluster, ClusterError},
    config::RoomsConfig,
    metrics::Metrics,
    moderation::{ModAction, Moderation, Outcome},
    presence::Presence,
    room::{find_live, RoomError},
    room_engine::{Admitted, Rooms, Snapshot},
    sockets::Sockets,
    store::{lives::LiveDoc, Stores},
};

#[derive(Clone)]
pub struct ChatService {
    stores: Stores,
    moderation: Arc<Moderation>,
    metrics: Arc<Metrics>,
    rooms: Rooms,
    /// Sends admitted and not yet answered; a graceful shutdown waits for them.
    in_flight: TaskTracker,
}

impl ChatService {
    pub fn new(
        stores: Stores,
        moderation: Moderation,
        metrics: Arc<Metrics>,
        presence: Presence,
        config: RoomsConfig,
        cluster: Option<Cluster>,
    ) -> Self {
        let moderation = Arc::new(moderation);
        Self {
            rooms: Rooms::new(
                stores.clone(),
                moderation.clone(),
                metrics.clone(),
                presence,
                config,
                cluster,
            ),
            stores,
            moderation,
            metrics,
            in_flight: TaskTracker::new(),
        }
    }

    /// The socket.io server rooms fan out on (and, in cluster mode, the start of
    /// listening to the other nodes).
    pub async fn attach(&self, io: Sockets) -> Result<(), ClusterError> {
        self.rooms.attach(io).await
    }

    /// The socket.io server, once attached.
    pub fn sockets(&self) -> Option<&Sockets> {
        self.rooms.sockets()
    }

    /// The cluster this node is part of, if any.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.rooms.cluster()
    }

    /// Admits a send into its room, in call order (call synchronously as sends
    /// arrive). Refused once draining has begun.
    pub fn admit(&self, who: Option<&Identity>, req: NewMessage) -> Result<Admitted, RoomError> {
        if self.in_flight.is_closed() {
            return Err(RoomError::Busy(
                "the server is restarting; try again",
                Duration::from_secs(1),
            ));
        }
        let who = who.ok_or(RoomError::Unauthorized)?;
        if self.cluster().is_some_and(|c| !c.is_up()) {
            // Other nodes would not hear of the message: refuse it rather than
            // deliver it late (the client resends it once Redis is back).
            return Err(RoomError::Busy(
                "chat is reconnecting; try again",
                Duration::from_secs(1),
            ));
        }
        self.rooms.admit(who, req)
    }

    /// Runs one send's answer to completion even if its socket goes away.
    pub async fn track<F: std::future::Future>(&self, send: F) -> F::Output {
        self.in_flight.track_future(send).await
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

    /// The live, or `NotFound` (read from the database).
    pub async fn live(&self, raw_id: &str) -> Result<(LiveId, LiveDoc), RoomError> {
        find_live(&self.stores, raw_id).await
    }

    /// Loads a room into memory (if it is not there yet): `NotFound` when there is
    /// no such live.
    pub async fn open(&self, id: &LiveId) -> Result<(), RoomError> {
        self.rooms.open(id).await
    }

    /// The room as someone arriving sees it, from memory once the room is loaded.
    pub async fn snapshot(&self, raw_id: &str) -> Result<Snapshot, RoomError> {
        self.rooms.snapshot(raw_id).await
    }

    /// Someone with an account entered the room: their name is mentionable.
    pub fn met(&self, id: &LiveId, who: &Identity) {
        self.rooms.met(id, who);
    }

    pub async fn history(&self, req: &GetChat) -> Result<ChatPage, RoomError> {
        let query = HistoryQuery::parse(req)?;
        let id = LiveId::parse(&req.live_id)?;
        let page = self.rooms.history(&id, query).await?;
        Ok(ChatPage {
            messages: page.messages,
            has_more: page.has_more,
            last_seq: page.last_seq,
        })
    }

    /// Carries out a moderator action and brings the room's memory in line with
    /// it before answering, so later sends are checked against the new rules.
    pub async fn moderate(
        &self,
        who: Option<&Identity>,
        action: ModAction,
    ) -> Result<Outcome, RoomError> {
        // Other nodes could not be told: refuse rather than act on one node only.
        self.refuse_without_cluster()?;
        let outcome = self.moderation.act(who, action).await?;
        if let Ok(id) = LiveId::parse(&outcome.live_id) {
            // Replies keep no text of a deleted message (repeating the action
            // repeats this if it fails).
            self.stores
                .chat
                .mark_replies_deleted(&id, &outcome.deleted)
                .await?;
            self.changed(&id, &outcome.deleted).await?;
            if let Some(until) = outcome.pinned.as_ref().and_then(|p| p.until_ms) {
                let pin_id = outcome
                    .pinned
                    .as_ref()
                    .map(|p| p.id.clone())
                    .unwrap_or_default();
                self.expire_pin_at(id, pin_id, until);
            }
        }
        Ok(outcome)
    }

    /// Unpins a pin when its time runs out (if it is still the room's pin) and
    /// tells everyone. Clients also hide it by its end time, so a node that
    /// stops before then leaves nothing showing.
    fn expire_pin_at(&self, id: LiveId, pin_id: String, until_ms: i64) {
        let this = self.clone();
        tokio::spawn(async move {
            let wait = until_ms - bson::DateTime::now().timestamp_millis();
            tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
            match this.moderation.expire_pin(&id, &pin_id).await {
                Ok(Some(unpinned)) => {
                    let _ = this.changed(&id, &[]).await;
                    if let Some(io) = this.sockets() {
                        let _ = io
                            .emit_everywhere(
                                crate::room::room_of(&id),
                                app::protocol::rich::events::MESSAGE_UNPINNED,
                                &unpinned,
                            )
                            .await;
                    }
                }
                Ok(None) => {}
                Err(e) => e.log_if_internal(),
            }
        });
    }

    /// After a write to the live itself (e.g. it ended).
    pub async fn live_changed(&self, id: &LiveId) {
        // The write is done; if other nodes cannot be told now, they reload
        // every room when Redis is back.
        let _ = self.changed(id, &[]).await;
    }

    fn refuse_without_cluster(&self) -> Result<(), RoomError> {
        if self.cluster().is_some_and(|c| !c.is_up()) {
            return Err(RoomError::Busy(
                "chat is reconnecting; try again",
                Duration::from_secs(1),
            ));
        }
        Ok(())
    }

    /// Brings every node's memory of a room in line with a change written to
    /// the database, before the change is acknowledged: a newer rules version
    /// in Redis makes every node's next batch reload the rules first (so a ban
    /// on one node holds on all at once), and a message tells them to drop
    /// deleted messages and reload now.
    /// `Err(unavailable)` if other nodes could not be told (the change is
    /// stored; repeating the action tells them).
    async fn changed(&self, id: &LiveId, deleted: &[String]) -> Result<(), RoomError> {
        let cluster = self.cluster();
        let mut told = true;
        if let Some(cluster) = cluster {
            if let Err(e) = cluster.bump_rules(id).await {
                tracing::warn!(error = %e, live = %id, "cannot bump a room's rules version");
                told = false;
            }
        }
        self.rooms.deleted(id, deleted);
        self.rooms.refresh(id).await;
        if let Some(cluster) = cluster {
            if let Err(e) = cluster.publish_changed(id, deleted).await {
                tracing::warn!(error = %e, live = %id, "cannot tell other nodes of a change");
                told = false;
            }
        }
        if told {
            Ok(())
        } else {
            Err(RoomError::Busy(
                "saved, but not every server has it yet; try again",
                Duration::from_secs(1),
            ))
        }
    }
}
