//! The socket.io protocol: thin handlers that parse, call the chat service and
//! answer with an `Ack`. Identity comes only from the verified handshake token.
//! Every event, of any kind, spends from the socket's budget first.

mod moderation;
mod people;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use app::protocol::{
    events, Ack, EnterRoom, ErrorCode, GetChat, LeaveRoom, LiveId, MessageStored, NewMessage,
    RoomEntered, WireError,
};
use serde::{Deserialize, Serialize};
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, Data, Event, Extension, SocketRef, State, TryData},
    ParserError, SocketIo,
};
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{cookie_token, Authenticator, Identity},
    chat::ChatService,
    limits::{ClientLimits, EventBudget, SocketSlot},
    moderation::{public_settings, role_of},
    presence::Presence,
    room::{batch_room_of, mods_room_of, room_of, single_room_of, RoomError},
    room_engine::Admitted,
};

pub use moderation::publish;

/// Who this socket speaks for (`who: None` is a guest: may read, never send), and
/// what it may still spend.
#[derive(Clone)]
pub struct Session {
    pub who: Option<Identity>,
    /// Where this signed-in socket counts towards its account's cap.
    slot: Option<SocketSlot>,
    budget: Arc<EventBudget>,
    /// Cancels the task that disconnects the socket when its token expires.
    expiry: CancellationToken,
}

impl Session {
    /// Every event costs one unit of the socket's budget.
    pub fn spend(&self) -> Result<(), RoomError> {
        self.budget.spend().map_err(RoomError::RateLimited)
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct AuthPayload {
    #[serde(default)]
    token: Option<String>,
}

/// The socket.io room of all of one user's sockets (to revoke them at once).
pub fn user_room(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// Registers the namespace (on the server with either adapter; the result is
/// the adapter's start, a future to await with Redis).
macro_rules! register {
    ($io:expr) => {
        $io.ns(
            "/",
            socketioxide::handler::ConnectHandler::with(
                $crate::socket::on_connect,
                $crate::socket::prepare,
            ),
        )
    };
}
pub(crate) use register;

/// Runs (awaited) before the server acknowledges the connection. The token from
/// `auth.token` or the session cookie decides the session; a bad token makes a
/// guest, not an error. Event handlers are registered here too, not in the
/// connect handler: socketioxide spawns that one after sending the connect packet,
/// so events a client sends right after connecting could otherwise find no handler.
pub(crate) async fn prepare<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    TryData(auth): TryData<AuthPayload>,
    State(authn): State<Authenticator>,
    State(limits): State<Arc<ClientLimits>>,
    State(chat): State<ChatService>,
) -> Result<(), &'static str> {
    let token = auth
        .ok()
        .and_then(|a| a.token)
        .or_else(|| cookie_token(&socket.req_parts().headers, authn.cookie_name()));
    let signed_in = match token {
        Some(t) => authn.authenticate(&t).await.map_err(|e| {
            tracing::warn!(error = %e, "cannot check a session token");
            "sessions cannot be checked right now; try again"
        })?,
        None => None,
    };
    let expiry = CancellationToken::new();
    let mut slot = None;
    if let Some(s) = &signed_in {
        let who = &s.identity;
        slot = Some(
            limits
                .open_socket(&who.user_id)
                .await
                .ok_or("too many open connections for this account")?,
        );
        socket.join(user_room(&who.user_id));
        // The socket lives no longer than its token.
        let left = s
            .expires_at
            .saturating_sub(jsonwebtoken::get_current_timestamp());
        let (cancel, sid) = (expiry.clone(), socket.id);
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tokio::time::sleep(Duration::from_secs(left)) => {
                    if let Some(s) = io.get_socket(sid) {
                        tracing::debug!(%sid, "session expired; disconnecting");
                        let _ = s.disconnect();
                    }
                }
            }
        });
    }
    let identity = signed_in.map(|s| s.identity);
    tracing::debug!(sid = %socket.id, user = ?identity.as_ref().map(|i| &i.user_id), "socket connected");
    chat.metrics().sockets.inc();
    socket.extensions.insert(Session {
        who: identity,
        slot,
        budget: Arc::new(limits.event_budget()),
        expiry,
    });
    moderation::register(&socket);
    people::register(&socket);
    socket.on(events::ENTER_ROOM, enter_room::<A>);
    socket.on(events::LEAVE_ROOM, leave_room::<A>);
    socket.on(events::NEW_MESSAGE, new_message::<A>);
    socket.on(events::GET_CHAT, get_chat::<A>);
    socket.on_fallback(unknown_event::<A>);
    socket.on_disconnect(on_disconnect::<A>);
    Ok(())
}

pub(crate) async fn on_connect() {}

pub(crate) fn bad_payload(e: ParserError) -> RoomError {
    RoomError::Invalid(format!("malformed payload: {e}"))
}

pub(crate) fn reply<A: Adapter, T: Serialize>(ack: AckSender<A>, result: Result<T, RoomError>) {
    let ack_value: Ack<T> = result
        .map_err(|e| {
            e.log_if_internal();
            e.to_wire()
        })
        .into();
    // The client may not have asked for an ack, or may be gone: nothing to do then.
    let _ = ack.send(&ack_value);
}

fn live_rooms<A: Adapter>(socket: &SocketRef<A>) -> usize {
    socket
        .rooms()
        .iter()
        .filter(|r| r.starts_with("live:"))
        .count()
}

/// Whether the socket takes a room's messages in batches (it is in the room's
/// batch room).
fn takes_batches<A: Adapter>(socket: &SocketRef<A>, id: &LiveId) -> bool {
    socket.rooms().contains(&batch_room_of(id).into())
}

#[allow(clippy::too_many_arguments)] // extractors, one per thing the handler reads
async fn enter_room<A: Adapter>(
    socket: SocketRef<A>,
    TryData(req): TryData<EnterRoom>,
    ack: AckSender<A>,
    State(chat): State<ChatService>,
    State(limits): State<Arc<ClientLimits>>,
    State(presence): State<Presence>,
    Extension(session): Extension<Session>,
) {
    let result = async {
        session.spend()?;
        let req = req.map_err(bad_payload)?;
        let id = LiveId::parse(&req.live_id)?;
        // Loads the room (or finds it in memory): the live exists.
        chat.open(&id).await?;
        let room = room_of(&id);
        let already_in = socket.rooms().contains(&room.clone().into());
        if !already_in && live_rooms(&socket) >= limits.rooms_per_socket {
            return Err(RoomError::Forbidden(format!(
                "a connection may be in at most {} rooms; leave one first",
                limits.rooms_per_socket
            )));
        }
        let was_batch = already_in && takes_batches(&socket, &id);
        if already_in && was_batch != req.batch {
            // Re-entering with the other delivery mode switches it.
            presence.left(&id, was_batch);
            socket.leave(vec![single_room_of(&id), batch_room_of(&id)]);
        }
        // Join before reading history: a message stored in between then arrives
        // both ways (the client keeps one by seq) instead of not at all.
        let delivery = if req.batch {
            batch_room_of(&id)
        } else {
            single_room_of(&id)
        };
        socket.join(vec![room, delivery]);
        if !already_in || was_batch != req.batch {
            presence.entered(&id, req.batch);
        }
        let snapshot = chat.snapshot(id.as_str()).await?;
        if let Some(who) = &session.who {
            chat.met(&id, who);
        }
        let live = &snapshot.rules.live;
        let role = role_of(live, session.who.as_ref());
        // Notices for moderators only (e.g. someone's first message here).
        if role.moderates() {
            socket.join(mods_room_of(&id));
        } else {
            socket.leave(mods_room_of(&id));
        }
        Ok(RoomEntered {
            history: snapshot.history.messages,
            last_seq: snapshot.history.last_seq,
            viewers: presence.count(&id),
            role,
            settings: public_settings(&id, live),
            pin: live
                .pin
                .as_ref()
                .filter(|p| p.in_force(bson::DateTime::now().timestamp_millis()))
                .map(|p| p.to_wire()),
            emotes: snapshot.rules.emotes().to_vec(),
        })
    }
    .await;
    reply(ack, result);
}

async fn leave_room<A: Adapter>(
    socket: SocketRef<A>,
    TryData(req): TryData<LeaveRoom>,
    ack: AckSender<A>,
    State(presence): State<Presence>,
    Extension(session): Extension<Session>,
) {
    let result = async {
        session.spend()?;
        let req = req.map_err(bad_payload)?;
        let id = LiveId::parse(&req.live_id)?;
        let room = room_of(&id);
        // Leaving a room one is not in changes nothing and tells nobody.
        if socket.rooms().contains(&room.clone().into()) {
            let batch = takes_batches(&socket, &id);
            socket.leave(vec![
                room,
                single_room_of(&id),
                batch_room_of(&id),
                mods_room_of(&id),
            ]);
            presence.left(&id, batch);
        }
        Ok(app::protocol::Empty {})
    }
    .await;
    reply(ack, result);
}

/// Not an `async fn`: socketioxide calls it synchronously as each packet arrives
/// and then spawns the future, so admitting the send here puts it in its room's
/// queue in arrival order (one socket's messages keep their order, acks or not).
fn new_message<A: Adapter>(
    TryData(req): TryData<NewMessage>,
    ack: AckSender<A>,
    State(chat): State<ChatService>,
    Extension(session): Extension<Session>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let started = Instant::now();
    let admitted = session
        .spend()
        .and_then(|()| req.map_err(bad_payload))
        .and_then(|req| chat.admit(session.who.as_ref(), req));
    answer_send(admitted, ack, chat, started)
}

async fn answer_send<A: Adapter>(
    admitted: Result<Admitted, RoomError>,
    ack: AckSender<A>,
    chat: ChatService,
    started: Instant,
) {
    let result = match admitted {
        Ok(a) => chat.track(a.outcome()).await.map(|stored| MessageStored {
            message: stored.message,
        }),
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        chat.metrics()
            .rejected
            .with_label_values(&[e.to_wire().code.as_str()])
            .inc();
    }
    reply(ack, result);
    chat.metrics().observe_ack(started.elapsed());
}

async fn get_chat<A: Adapter>(
    TryData(req): TryData<GetChat>,
    ack: AckSender<A>,
    State(chat): State<ChatService>,
    Extension(session): Extension<Session>,
) {
    let result = async {
        session.spend()?;
        let req = req.map_err(bad_payload)?;
        chat.history(&req).await
    }
    .await;
    reply(ack, result);
}

async fn unknown_event<A: Adapter>(
    Event(name): Event,
    Data(_): Data<serde_json::Value>,
    ack: AckSender<A>,
    Extension(session): Extension<Session>,
) {
    if let Err(e) = session.spend() {
        reply::<A, app::protocol::Empty>(ack, Err(e));
        return;
    }
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

async fn on_disconnect<A: Adapter>(
    socket: SocketRef<A>,
    State(limits): State<Arc<ClientLimits>>,
    State(chat): State<ChatService>,
    State(presence): State<Presence>,
    Extension(session): Extension<Session>,
) {
    chat.metrics().sockets.dec();
    session.expiry.cancel();
    if let (Some(who), Some(slot)) = (&session.who, session.slot) {
        limits.close_socket(&who.user_id, slot);
    }
    // The socket is still in its rooms here.
    for room in socket.rooms() {
        if let Some(id) = room
            .strip_prefix("live:")
            .and_then(|raw| LiveId::parse(raw).ok())
        {
            presence.left(&id, takes_batches(&socket, &id));
        }
    }
}
