//! A room's fan-out: stored messages, in seq order, to every socket in the room.
//! Each packet is encoded once and the same bytes go to every socket (socketioxide
//! broadcasts a pre-encoded packet). Sockets that entered with `batch: true` get a
//! busy room's messages as one `sending_messages` frame at most every
//! `batch_every`; the others get one `sending_message` each. The writer never
//! waits for this.

use std::{sync::Arc, time::Duration};

use app::protocol::{events, ChatMessage, LiveId, ViewerCount};
use serde::Serialize;
use socketioxide::{BroadcastError, SocketError, SocketIo};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    metrics::Metrics,
    presence::Presence,
    room::{batch_room_of, single_room_of},
};

/// The writer's end: stored messages, in seq order.
pub(super) struct Fanout(mpsc::UnboundedSender<Vec<ChatMessage>>);

impl Fanout {
    pub fn send(&self, messages: Vec<ChatMessage>) {
        if !messages.is_empty() {
            // The task ends only when this sender is dropped.
            let _ = self.0.send(messages);
        }
    }
}

pub(super) fn start(
    io: Option<SocketIo>,
    presence: Presence,
    id: LiveId,
    metrics: Arc<Metrics>,
    every: Duration,
) -> Fanout {
    let (tx, rx) = mpsc::unbounded_channel();
    if let Some(io) = io {
        tokio::spawn(run(io, presence, id, metrics, every, rx));
    }
    Fanout(tx)
}

async fn run(
    io: SocketIo,
    presence: Presence,
    id: LiveId,
    metrics: Arc<Metrics>,
    every: Duration,
    mut rx: mpsc::UnboundedReceiver<Vec<ChatMessage>>,
) {
    let (singles, batchers) = (single_room_of(&id), batch_room_of(&id));
    let mut held: Vec<ChatMessage> = Vec::new();
    let mut last_flush = Instant::now() - every;
    loop {
        let flush_at = last_flush + every;
        tokio::select! {
            got = rx.recv() => {
                let Some(messages) = got else { break };
                let members = presence.members(&id);
                if members.singles > 0 {
                    for m in &messages {
                        let missed = emit(&io, &singles, events::SENDING_MESSAGE, m, &metrics, &presence, &id).await;
                        metrics.broadcast.inc_by(members.singles.saturating_sub(missed));
                    }
                }
                if members.batchers > 0 {
                    held.extend(messages);
                    if Instant::now() >= flush_at {
                        flush(&io, &batchers, &mut held, &metrics, &presence, &id).await;
                        last_flush = Instant::now();
                    }
                }
            }
            _ = tokio::time::sleep_until(flush_at), if !held.is_empty() => {
                flush(&io, &batchers, &mut held, &metrics, &presence, &id).await;
                last_flush = Instant::now();
            }
        }
    }
    flush(&io, &batchers, &mut held, &metrics, &presence, &id).await;
}

async fn flush(
    io: &SocketIo,
    room: &str,
    held: &mut Vec<ChatMessage>,
    metrics: &Metrics,
    presence: &Presence,
    id: &LiveId,
) {
    if held.is_empty() {
        return;
    }
    let members = presence.members(id).batchers;
    let missed = emit(
        io,
        room,
        events::SENDING_MESSAGES,
        &*held,
        metrics,
        presence,
        id,
    )
    .await;
    metrics
        .broadcast
        .inc_by(members.saturating_sub(missed) * held.len() as u64);
    held.clear();
}

/// Broadcasts one packet (encoded once) to a room; returns how many sockets
/// missed it. A socket whose buffer is full (a client that stopped reading) is
/// disconnected rather than allowed to stall the room or grow memory: it catches
/// up when it reconnects.
async fn emit<T: Serialize + ?Sized>(
    io: &SocketIo,
    room: &str,
    event: &str,
    data: &T,
    metrics: &Metrics,
    presence: &Presence,
    id: &LiveId,
) -> u64 {
    let errors = match io.to(room.to_owned()).emit(event, data).await {
        Ok(()) => return 0,
        Err(BroadcastError::Socket(errors)) => errors,
        Err(e) => {
            tracing::warn!(error = %e, "a broadcast failed");
            return 0;
        }
    };
    let full = errors
        .iter()
        .filter(|e| matches!(e, SocketError::InternalChannelFull))
        .count();
    if full > 0 {
        drop_slow_consumers(io, room, presence, id, metrics);
    }
    errors.len() as u64
}

/// Finds the sockets of `room` whose buffer is full and disconnects them. The
/// broadcast does not say which sockets missed it, so each is offered the room's
/// viewer count (harmless to the rest) and those that cannot take it are dropped.
fn drop_slow_consumers(
    io: &SocketIo,
    room: &str,
    presence: &Presence,
    id: &LiveId,
    metrics: &Metrics,
) {
    let probe = ViewerCount {
        live_id: id.as_str().to_owned(),
        count: presence.count(id),
    };
    for socket in io.within(room.to_owned()).sockets() {
        if let Err(SocketError::InternalChannelFull) = socket
            .emit(events::VIEWER_COUNT, &probe)
            .map_err(|e| match e {
                socketioxide::SendError::Socket(s) => s,
                _ => SocketError::Closed,
            })
        {
            tracing::warn!(sid = %socket.id, "dropping a slow consumer");
            metrics.slow_consumers_dropped.inc();
            let _ = socket.disconnect();
        }
    }
}
