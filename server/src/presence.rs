//! Who is in each room on this node, counted in memory as sockets enter and
//! leave, and the `viewer_count` announcement: at most once per second per room
//! and only when the count changed, so joins and leaves cost the room O(1) frames
//! a second, not one frame per viewer per join.
//!
//! In a cluster each node records its own count in Redis and announces the
//! room's total on all live nodes to its own sockets; it re-reads the total
//! every second, so other nodes' joins, leaves and deaths show up.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::{cluster::Cluster, room::room_of, sockets::Sockets};
use app::protocol::{events, LiveId, ViewerCount};

const EVERY: Duration = Duration::from_secs(1);
/// Even the first announcement waits a little, so a burst of joins settles into
/// one count.
const SETTLE: Duration = Duration::from_millis(100);
/// Rooms whose remote totals are kept before old ones are dropped.
const ELSEWHERE_KEPT: usize = 10_000;

/// Sockets in a room, by how they take messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Members {
    pub singles: u64,
    pub batchers: u64,
}

impl Members {
    pub fn total(self) -> u64 {
        self.singles + self.batchers
    }
}

#[derive(Default)]
struct RoomPresence {
    members: Members,
    /// The room's viewers on every node, as last read (cluster mode).
    total: Option<u64>,
    announced: Option<u64>,
    announced_at: Option<Instant>,
    scheduled: bool,
}

#[derive(Clone, Default)]
pub struct Presence {
    rooms: Arc<Mutex<HashMap<LiveId, RoomPresence>>>,
    io: Arc<std::sync::OnceLock<Sockets>>,
    cluster: Option<Cluster>,
    /// Totals of rooms with no viewer on this node, as read for pages and the
    /// directory (cluster mode), kept a second so page views cost Redis at
    /// most one read per room per second.
    elsewhere: Arc<Mutex<HashMap<LiveId, (u64, Instant)>>>,
}

impl Presence {
    pub fn new(cluster: Option<Cluster>) -> Self {
        Self {
            cluster,
            ..Self::default()
        }
    }

    /// The socket.io server counts are announced on; set once at start-up. In
    /// a cluster, starts re-reading every room's total each second.
    pub fn attach(&self, io: Sockets) {
        let _ = self.io.set(io);
        if self.cluster.is_some() {
            let this = self.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(EVERY);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    let idle: Vec<LiveId> = {
                        let rooms = this.rooms.lock().expect("presence");
                        rooms
                            .iter()
                            .filter(|(_, r)| !r.scheduled)
                            .map(|(id, _)| id.clone())
                            .collect()
                    };
                    futures::future::join_all(idle.iter().map(|id| this.announce(id))).await;
                }
            });
        }
    }

    pub fn members(&self, id: &LiveId) -> Members {
        let rooms = self.rooms.lock().expect("presence");
        rooms.get(id).map(|r| r.members).unwrap_or_default()
    }

    /// Viewers (sockets) in a room: on every node in a cluster (as last read).
    pub fn count(&self, id: &LiveId) -> u64 {
        let rooms = self.rooms.lock().expect("presence");
        rooms.get(id).map_or(0, |r| {
            r.total
                .map_or(r.members.total(), |t| t.max(r.members.total()))
        })
    }

    /// A room's viewers on every node, read now (cluster mode; one node: the
    /// count in memory). For pages and the directory, which may be served by a
    /// node none of the room's viewers are on.
    pub async fn viewers(&self, id: &LiveId) -> u64 {
        if self.cluster.is_none() {
            return self.count(id);
        }
        // A room with viewers here has its total re-read every second.
        if let Some(total) = self
            .rooms
            .lock()
            .expect("presence")
            .get(id)
            .and_then(|r| r.total)
        {
            return total;
        }
        if let Some((total, at)) = self.elsewhere.lock().expect("presence").get(id) {
            if at.elapsed() < EVERY {
                return *total;
            }
        }
        let here = self.members(id).total();
        let total = self.read_total(id, here).await.unwrap_or(here);
        let mut elsewhere = self.elsewhere.lock().expect("presence");
        if elsewhere.len() >= ELSEWHERE_KEPT {
            elsewhere.retain(|_, (_, at)| at.elapsed() < EVERY);
        }
        elsewhere.insert(id.clone(), (total, Instant::now()));
        total
    }

    /// Records this node's `here` viewers of a room in Redis and returns the
    /// room's total on every live node (cluster mode; `None` on one node or
    /// when Redis cannot answer).
    async fn read_total(&self, id: &LiveId, here: u64) -> Option<u64> {
        let cluster = self.cluster.as_ref()?;
        cluster
            .viewers(id, here)
            .await
            .inspect_err(
                |e| tracing::debug!(error = %e, live = %id, "cannot count viewers in redis"),
            )
            .ok()
    }

    /// A socket entered the room.
    pub fn entered(&self, id: &LiveId, batch: bool) {
        self.update(id, |m| {
            if batch {
                m.batchers += 1
            } else {
                m.singles += 1
            }
        });
    }

    /// A socket left the room (or disconnected).
    pub fn left(&self, id: &LiveId, batch: bool) {
        self.update(id, |m| {
            if batch {
                m.batchers = m.batchers.saturating_sub(1)
            } else {
                m.singles = m.singles.saturating_sub(1)
            }
        });
    }

    /// Applies a change and schedules one announcement for the room.
    fn update(&self, id: &LiveId, change: impl FnOnce(&mut Members)) {
        let delay = {
            let mut rooms = self.rooms.lock().expect("presence");
            let room = rooms.entry(id.clone()).or_default();
            change(&mut room.members);
            if room.scheduled {
                return;
            }
            room.scheduled = true;
            let next = room.announced_at.map_or(Duration::ZERO, |at| {
                (at + EVERY).saturating_duration_since(Instant::now())
            });
            next.max(SETTLE)
        };
        let (this, id) = (self.clone(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            this.announce(&id).await;
        });
    }

    async fn announce(&self, id: &LiveId) {
        let here = {
            let mut rooms = self.rooms.lock().expect("presence");
            let Some(room) = rooms.get_mut(id) else {
                return;
            };
            room.scheduled = false;
            room.members.total()
        };
        let total = self.read_total(id, here).await;
        let count = {
            let mut rooms = self.rooms.lock().expect("presence");
            let Some(room) = rooms.get_mut(id) else {
                return;
            };
            if room.members.total() == 0 {
                // Nobody here to tell (the count in Redis says 0 for this node).
                if !room.scheduled {
                    rooms.remove(id);
                }
                return;
            }
            room.total = total;
            let count = total.map_or(room.members.total(), |t| t.max(room.members.total()));
            if room.announced == Some(count) {
                return;
            }
            room.announced = Some(count);
            room.announced_at = Some(Instant::now());
            count
        };
        let msg = ViewerCount {
            live_id: id.as_str().to_owned(),
            count,
        };
        let Some(io) = self.io.get() else { return };
        if let Err(e) = io.emit_here(room_of(id), events::VIEWER_COUNT, &msg).await {
            tracing::debug!(error = %e, "viewer_count broadcast incomplete");
        }
    }
}
