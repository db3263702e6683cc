//! Viewer counts per room, announced at most once per second per room and only
//! when the count changed: joins and leaves cost the room O(1) frames a second,
//! not one frame per viewer per join.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::protocol::{events, LiveId, ViewerCount};
use socketioxide::SocketIo;

use crate::socket::room_of;

const EVERY: Duration = Duration::from_secs(1);
/// Even the first announcement waits a little, so a burst of joins (and a
/// disconnecting socket still listed in its rooms) settles into one count.
const SETTLE: Duration = Duration::from_millis(100);

#[derive(Default)]
struct RoomPresence {
    announced: Option<u64>,
    announced_at: Option<Instant>,
    scheduled: bool,
}

#[derive(Clone, Default)]
pub struct Presence {
    rooms: Arc<Mutex<HashMap<LiveId, RoomPresence>>>,
}

/// Sockets currently in a live's room on this node.
pub fn viewer_count(io: &SocketIo, id: &LiveId) -> u64 {
    io.within(room_of(id)).sockets().len() as u64
}

impl Presence {
    /// Someone entered or left: schedule one announcement for the room.
    pub fn changed(&self, io: &SocketIo, id: &LiveId) {
        let delay = {
            let mut rooms = self.rooms.lock().expect("presence");
            let room = rooms.entry(id.clone()).or_default();
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
        let count = viewer_count(io, id);
        let send = {
            let mut rooms = self.rooms.lock().expect("presence");
            let Some(room) = rooms.get_mut(id) else {
                return;
            };
            room.scheduled = false;
            let send = room.announced != Some(count);
            if send {
                room.announced = Some(count);
                room.announced_at = Some(Instant::now());
            }
            if count == 0 {
                rooms.remove(id);
            }
            send
        };
        if send {
            let msg = ViewerCount {
                live_id: id.as_str().to_owned(),
                count,
            };
            if let Err(e) = io.to(room_of(id)).emit(events::VIEWER_COUNT, &msg).await {
                tracing::debug!(error = %e, "viewer_count broadcast incomplete");
            }
        }
    }
}
