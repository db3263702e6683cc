//! The socket.io protocol: thin handlers that parse, call the chat service and
//! answer with an `Ack`. Identity comes only from the verified handshake token.

mod moderation;

use std::{sync::Arc, time::Instant};

use app::protocol::{
    events, Ack, EnterRoom, ErrorCode, GetChat, LeaveRoom, LiveId, MessageStored, NewMessage,
    RoomEntered, ViewerCount, WireError,
};
use serde::{Deserialize, Serialize};
use socketioxide::{
    extract::{AckSender, Data, Event, Extension, SocketRef, State, TryData},
    handler::ConnectHandler,
    ParserError, SendError, SocketError, SocketIo,
};

use crate::{
    auth::{cookie_token, Identity, TokenKeys},
    chat::{ChatError, ChatService},
    moderation::{limits::ClientLimits, public_settings, role_of},
};

pub use moderation::publish;

/// Who this socket speaks for: `None` is a guest (may read, never send).
#[derive(Clone, Debug)]
pub struct Session(pub Option<Identity>);

#[derive(Deserialize, Default)]
struct AuthPayload {
    #[serde(default)]
    token: Option<String>,
}

/// The socket.io room of a live.
pub fn room_of(id: &LiveId) -> String {
    format!("live:{id}")
}

/// Sockets currently in a live's room on this node.
pub fn viewer_count(io: &SocketIo, id: &LiveId) -> u64 {
    io.within(room_of(id)).sockets().len() as u64
}

pub fn register(io: &SocketIo) {
    io.ns("/", on_connect.with(prepare));
}

/// Runs (awaited) before the server acknowledges the connection. The token from
/// `auth.token` or the `access_token` cookie decides the session; a bad token makes
/// a guest, not an error. Event handlers are registered here too, not in the
/// connect handler: socketioxide spawns that one after sending the connect packet,
/// so events a client sends right after connecting could otherwise find no handler.
async fn prepare(
    socket: SocketRef,
    TryData(auth): TryData<AuthPayload>,
    State(keys): State<TokenKeys>,
    State(limits): State<Arc<ClientLimits>>,
    State(chat): State<ChatService>,
) -> Result<(), &'static str> {
    let token = auth
        .ok()
        .and_then(|a| a.token)
        .or_else(|| cookie_token(&socket.req_parts().headers));
    let identity = token.and_then(|t| keys.verify(&t));
    if let Some(who) = &identity {
        if !limits
            .sockets
            .try_open(&who.user_id, limits.sockets_per_user)
        {
            return Err("too many open connections for this account");
        }
    }
    tracing::debug!(sid = %socket.id, user = ?identity.as_ref().map(|i| &i.user_id), "socket connected");
    chat.metrics().sockets.inc();
    socket.extensions.insert(Session(identity));
    moderation::register(&socket);
    socket.on(events::ENTER_ROOM, enter_room);
    socket.on(events::LEAVE_ROOM, leave_room);
    socket.on(events::NEW_MESSAGE, new_message);
    socket.on(events::GET_CHAT, get_chat);
    socket.on_fallback(unknown_event);
    socket.on_disconnect(on_disconnect);
    Ok(())
}

async fn on_connect() {}

pub(crate) fn bad_payload(e: ParserError) -> ChatError {
    ChatError::Invalid(format!("malformed payload: {e}"))
}

pub(crate) fn reply<T: Serialize>(ack: AckSender, result: Result<T, ChatError>) {
    let ack_value: Ack<T> = result.map_err(|e| e.to_wire()).into();
    // The client may not have asked for an ack, or may be gone: nothing to do then.
    let _ = ack.send(&ack_value);
}

async fn announce_viewers(io: &SocketIo, id: &LiveId) {
    let count = ViewerCount {
        live_id: id.as_str().to_owned(),
        count: viewer_count(io, id),
    };
    if let Err(e) = io.to(room_of(id)).emit(events::VIEWER_COUNT, &count).await {
        tracing::debug!(error = %e, "viewer_count broadcast incomplete");
    }
}

async fn enter_room(
    socket: SocketRef,
    io: SocketIo,
    TryData(req): TryData<EnterRoom>,
    ack: AckSender,
    State(chat): State<ChatService>,
    Extension(session): Extension<Session>,
) {
    let result = async {
        let req = req.map_err(bad_payload)?;
        let (id, live) = chat.live(&req.live_id).await?;
        // Join before reading history: a message stored in between then arrives
        // both ways (the client keeps one by seq) instead of not at all.
        socket.join(room_of(&id));
        let page = chat.latest(&id).await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                socket.leave(room_of(&id));
                return Err(e);
            }
        };
        announce_viewers(&io, &id).await;
        Ok(RoomEntered {
            history: page.messages,
            viewers: viewer_count(&io, &id),
            role: role_of(&live, session.0.as_ref()),
            settings: public_settings(&id, &live),
        })
    }
    .await;
    reply(ack, result);
}

async fn leave_room(
    socket: SocketRef,
    io: SocketIo,
    TryData(req): TryData<LeaveRoom>,
    ack: AckSender,
) {
    let result = async {
        let req = req.map_err(bad_payload)?;
        let id = LiveId::parse(&req.live_id)?;
        socket.leave(room_of(&id));
        announce_viewers(&io, &id).await;
        Ok(app::protocol::Empty {})
    }
    .await;
    reply(ack, result);
}

async fn new_message(
    io: SocketIo,
    TryData(req): TryData<NewMessage>,
    ack: AckSender,
    State(chat): State<ChatService>,
    Extension(session): Extension<Session>,
) {
    let started = Instant::now();
    let send = async {
        let req = req.map_err(bad_payload)?;
        let stored = chat.post(session.0.as_ref(), req).await?;
        if stored.fresh {
            let id = LiveId::parse(&stored.message.live_id)?;
            // Still holding the room's turn: broadcasts leave in seq order.
            deliver(&io, &chat, &id, events::SENDING_MESSAGE, &stored.message);
        }
        Ok(MessageStored {
            message: stored.message.clone(),
        })
    };
    let result: Result<MessageStored, ChatError> = chat.track(send).await.and_then(|r| r);
    if let Err(e) = &result {
        chat.metrics()
            .rejected
            .with_label_values(&[e.to_wire().code.as_str()])
            .inc();
    }
    reply(ack, result);
    chat.metrics().observe_ack(started.elapsed());
}

/// Hands `data` to every socket in the room. A socket whose send buffer is full
/// (a client that stopped reading) is disconnected rather than allowed to stall the
/// room or grow memory; it catches up when it reconnects.
pub fn deliver<T: Serialize + ?Sized>(
    io: &SocketIo,
    chat: &ChatService,
    id: &LiveId,
    event: &str,
    data: &T,
) {
    let mut sent = 0;
    for socket in io.within(room_of(id)).sockets() {
        match socket.emit(event, data) {
            Ok(()) => sent += 1,
            Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                tracing::warn!(sid = %socket.id, "dropping a slow consumer");
                chat.metrics().slow_consumers_dropped.inc();
                let _ = socket.disconnect();
            }
            Err(_) => {}
        }
    }
    chat.metrics().broadcast.inc_by(sent);
}

async fn get_chat(TryData(req): TryData<GetChat>, ack: AckSender, State(chat): State<ChatService>) {
    let result = async {
        let req = req.map_err(bad_payload)?;
        chat.history(&req).await
    }
    .await;
    reply(ack, result);
}

async fn unknown_event(Event(name): Event, Data(_): Data<serde_json::Value>, ack: AckSender) {
    let mut shown: String = name.chars().take(64).collect();
    if shown.len() < name.len() {
        shown.push('…');
    }
    let err: Ack<app::protocol::Empty> = Ack::Err(WireError::new(
        ErrorCode::Invalid,
        format!("unknown event {shown:?}"),
    ));
    let _ = ack.send(&err);
}

async fn on_disconnect(
    socket: SocketRef,
    io: SocketIo,
    State(limits): State<Arc<ClientLimits>>,
    State(chat): State<ChatService>,
    Extension(session): Extension<Session>,
) {
    chat.metrics().sockets.dec();
    if let Some(who) = &session.0 {
        limits.sockets.close(&who.user_id);
    }
    // Rooms are still set during this handler; count everyone but this socket.
    for room in socket.rooms() {
        let Some(raw) = room.strip_prefix("live:") else {
            continue;
        };
        let Ok(id) = LiveId::parse(raw) else { continue };
        let count = io
            .within(room.clone())
            .sockets()
            .iter()
            .filter(|s| s.id != socket.id)
            .count() as u64;
        let msg = ViewerCount {
            live_id: id.as_str().to_owned(),
            count,
        };
        let _ = socket
            .to(room.clone())
            .emit(events::VIEWER_COUNT, &msg)
            .await;
    }
}
