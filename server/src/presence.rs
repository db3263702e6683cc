//! Who is in each room on this node, counted in memory as sockets enter and
//! leave, and the `viewer_count` announcement: at most once per second per room
//! and only when the count changed, so joins and leaves cost the room O(1) frames
//! a second, not one frame per viewer per join.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::protocol::{events, LiveId, ViewerCount};
use socketioxide::SocketIo;

use crate::room::room_of;

const EVERY: Duration = Duration::from_secs(1);
/// Even the first announcement waits a little, so a burst of joins settles into
/// one count.
const SETTLE: Duration = Duration::from_millis(100);

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
    announced: Option<u64>,
    announced_at: Option<Instant>,
    scheduled: bool,
}

#[derive(Clone, Default)]
pub struct Presence {
    rooms: Arc<Mutex<HashMap<LiveId, RoomPresence>>>,
}

impl Presence {
    pub fn members(&self, id: &LiveId) -> Members {
        let rooms = self.rooms.lock().expect("presence");
        rooms.get(id).map(|r| r.members).unwrap_or_default()
    }

    /// Viewers (sockets) in a room on this node.
    pub fn count(&self, id: &LiveId) -> u64 {
        self.members(id).total()
    }

    /// A socket entered the room.
    pub fn entered(&self, io: &SocketIo, id: &LiveId, batch: bool) {
        self.update(io, id, |m| {
            if batch {
                m.batchers += 1
            } else {
                m.singles += 1
            }
        });
    }

    /// A socket left the room (or disconnected).
    pub fn left(&self, io: &SocketIo, id: &LiveId, batch: bool) {
        self.update(io, id, |m| {
            if batch {
                m.batchers = m.batchers.saturating_sub(1)
            } else {
                m.singles = m.singles.saturating_sub(1)
            }
        });
    }

    /// Applies a change and schedules one announcement for the room.
    fn update(&self, io: &SocketIo, id: &LiveId, change: impl FnOnce(&mut Members)) {
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
        let (this, io, id) = (self.clone(), io.clone(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            this.announce(&io, &id).await;
        });
    }

    async fn announce(&self, io: &SocketIo, id: &LiveId) {
        let count = {
            let mut rooms = self.rooms.lock().expect("presence");
            let Some(room) = rooms.get_mut(id) else {
                return;
            };
            room.scheduled = false;
            let count = room.members.total();
            if count == 0 {
                rooms.remove(id);
                return;
            }
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
        if let Err(e) = io.to(room_of(id)).emit(events::VIEWER_COUNT, &msg).await {
            tracing::debug!(error = %e, "viewer_count broadcast incomplete");
        }
    }
}
