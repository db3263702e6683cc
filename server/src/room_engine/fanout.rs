//! A room's fan-out: stored messages, in seq order, to this node's sockets in the
//! room. Messages arrive from this node's writer and (cluster mode) from other
//! nodes in any order; the sequencer puts them back in order, filling gaps from
//! the database. Each packet is encoded once and the same bytes go to every
//! socket (socketioxide broadcasts a pre-encoded packet). Sockets that entered
//! with `batch: true` get a busy room's messages as one `sending_messages` frame
//! at most every `batch_every`; the others get one `sending_message` each. The
//! writer never waits for this.

use std::{sync::Arc, time::Duration};

use app::protocol::{events, ChatMessage, LiveId, ViewerCount};
use serde::Serialize;
use socketioxide::{BroadcastError, SocketError};
use tokio::{sync::mpsc, time::Instant};

use super::{sequencer::Sequencer, Room};
use crate::{
    metrics::Metrics,
    presence::Presence,
    room::{batch_room_of, single_room_of},
    sockets::Sockets,
    store::Stores,
};

/// How long a missing seq is waited for before it is read from the database.
const GAP_WAIT: Duration = Duration::from_millis(150);

/// What reaches a room's fan-out.
pub(super) enum Feed {
    /// Stored messages (from this node's writer or another node), any order.
    Stored(Vec<ChatMessage>),
    /// Seqs up to this one are stored: read what has not arrived now.
    Exists(u64),
    /// Anything may have been missed: read what the database has beyond the
    /// last seq delivered.
    CatchUp,
    /// The room has ended.
    Stop,
}

/// The sending end; the task ends when the room is dropped.
#[derive(Clone)]
pub(super) struct Fanout(mpsc::UnboundedSender<Feed>);

impl Fanout {
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Feed>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    pub fn send(&self, messages: Vec<ChatMessage>) {
        if !messages.is_empty() {
            self.feed(Feed::Stored(messages));
        }
    }

    pub fn feed(&self, feed: Feed) {
        // Fails only once the room has ended, when nobody is listening.
        let _ = self.0.send(feed);
    }
}

pub(super) struct Context {
    pub io: Option<Sockets>,
    pub presence: Presence,
    pub stores: Stores,
    pub metrics: Arc<Metrics>,
    pub every: Duration,
}

/// Delivers the room's messages after `delivered` (the last seq of its loaded
/// history) until the room ends.
pub(super) async fn run(
    ctx: Context,
    room: Arc<Room>,
    delivered: u64,
    mut rx: mpsc::UnboundedReceiver<Feed>,
) {
    let id = room.id.clone();
    let (singles, batchers) = (single_room_of(&id), batch_room_of(&id));
    let mut seq = Sequencer::new(delivered);
    let mut held: Vec<ChatMessage> = Vec::new();
    let mut last_flush = Instant::now() - ctx.every;
    let mut gap_since: Option<Instant> = None;
    loop {
        let flush_at = last_flush + ctx.every;
        let fill_at = gap_since.map(|t| t + GAP_WAIT);
        let mut fill_now = false;
        tokio::select! {
            got = rx.recv() => match got {
                None | Some(Feed::Stop) => break,
                Some(Feed::Stored(m)) => seq.offer(m),
                Some(Feed::Exists(s)) => { seq.exists(s); fill_now = true; }
                Some(Feed::CatchUp) => {
                    match ctx.stores.chat.last_seq(&id).await {
                        Ok(s) => seq.exists(s),
                        Err(e) => tracing::warn!(error = %e, live = %id, "cannot catch a room up"),
                    }
                    fill_now = true;
                }
            },
            _ = sleep_until_opt(fill_at), if fill_at.is_some() => fill_now = true,
            _ = tokio::time::sleep_until(flush_at), if !held.is_empty() => {
                flush(&ctx, &batchers, &mut held, &id).await;
                last_flush = Instant::now();
                continue;
            }
        }
        if let Some((from, to)) = seq.gap() {
            if fill_now {
                match ctx.stores.chat.range(&id, from, to).await {
                    Ok(docs) => {
                        ctx.metrics.gaps_filled.inc();
                        seq.fill(docs);
                    }
                    // Tried again after another wait.
                    Err(e) => tracing::warn!(error = %e, live = %id, "cannot read a gap in a room"),
                }
            }
        }
        let ready = seq.ready();
        gap_since = match (seq.gap(), gap_since) {
            (None, _) => None,
            (Some(_), Some(t)) if !fill_now => Some(t),
            (Some(_), _) => Some(Instant::now()),
        };
        let delivered = seq.delivered();
        // Recent history before the sockets: someone entering between the two
        // then has a message one way or both (the client keeps one by seq).
        room.with_view(|v| {
            for m in &ready {
                v.people.saw(&m.user_id, &m.nickname);
            }
            v.recent.push(ready.iter().cloned());
            v.recent.note_last_seq(delivered);
        });
        room.recent_grew.notify_waiters();
        if ready.is_empty() {
            continue;
        }
        let Some(io) = &ctx.io else { continue };
        let members = ctx.presence.members(&id);
        if members.singles > 0 {
            for m in &ready {
                let missed = emit(io, &singles, events::SENDING_MESSAGE, m, &ctx, &id).await;
                ctx.metrics
                    .broadcast
                    .inc_by(members.singles.saturating_sub(missed));
            }
        }
        if members.batchers > 0 {
            held.extend(ready);
            if Instant::now() >= flush_at {
                flush(&ctx, &batchers, &mut held, &id).await;
                last_flush = Instant::now();
            }
        }
    }
    flush(&ctx, &batchers, &mut held, &id).await;
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn flush(ctx: &Context, room: &str, held: &mut Vec<ChatMessage>, id: &LiveId) {
    let Some(io) = &ctx.io else { return };
    if held.is_empty() {
        return;
    }
    let members = ctx.presence.members(id).batchers;
    let missed = emit(io, room, events::SENDING_MESSAGES, &*held, ctx, id).await;
    ctx.metrics
        .broadcast
        .inc_by(members.saturating_sub(missed) * held.len() as u64);
    held.clear();
}

/// Broadcasts one packet (encoded once) to a room; returns how many sockets
/// missed it. A socket whose buffer is full (a client that stopped reading) is
/// disconnected rather than allowed to stall the room or grow memory: it catches
/// up when it reconnects.
async fn emit<T: Serialize + ?Sized>(
    io: &Sockets,
    room: &str,
    event: &'static str,
    data: &T,
    ctx: &Context,
    id: &LiveId,
) -> u64 {
    let errors = match io.emit_here(room.to_owned(), event, data).await {
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
        let probe = ViewerCount {
            live_id: id.as_str().to_owned(),
            count: ctx.presence.count(id),
        };
        let dropped = io.drop_full(room.to_owned(), events::VIEWER_COUNT, &probe);
        ctx.metrics.slow_consumers_dropped.inc_by(dropped);
    }
    errors.len() as u64
}
