//! Moderation events: each parses its payload, asks the moderation service, and
//! tells the room what changed.

use app::protocol::{
    moderation::{
        events, BanUser, DeleteMessage, MessageDeleted, ModerationDone, RoomRef, SetModerator,
        TimeoutUser, UnbanUser, UpdateRoomSettings,
    },
    rich::{events as rich_events, MessagePinned, PinMessage},
};
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
    ParserError,
};

use super::{bad_payload, reply, Session};
use crate::{
    chat::ChatService,
    moderation::{ModAction, Outcome},
    room::room_of,
    sockets::Sockets,
};

/// Broadcasts an action's effects to its room, on every node.
pub async fn publish(io: &Sockets, outcome: &Outcome) {
    let Ok(id) = app::protocol::LiveId::parse(&outcome.live_id) else {
        return;
    };
    let room = room_of(&id);
    for deleted in &outcome.deleted {
        let msg = MessageDeleted {
            live_id: outcome.live_id.clone(),
            id: deleted.clone(),
        };
        let _ = io
            .emit_everywhere(room.clone(), events::MESSAGE_DELETED, &msg)
            .await;
    }
    if let Some(settings) = &outcome.settings {
        let _ = io
            .emit_everywhere(room.clone(), events::ROOM_SETTINGS, settings)
            .await;
    }
    if let Some(unpinned) = &outcome.unpinned {
        let _ = io
            .emit_everywhere(room.clone(), rich_events::MESSAGE_UNPINNED, unpinned)
            .await;
    }
    if let Some(pin) = &outcome.pinned {
        let pinned = MessagePinned {
            live_id: outcome.live_id.clone(),
            pin: pin.to_wire(),
        };
        let _ = io
            .emit_everywhere(room, rich_events::MESSAGE_PINNED, &pinned)
            .await;
    }
}

async fn run<A: Adapter>(
    action: Result<ModAction, ParserError>,
    ack: AckSender<A>,
    chat: ChatService,
    session: Session,
) {
    let result = async {
        session.spend()?;
        let action = action.map_err(bad_payload)?;
        let outcome = chat.moderate(session.who.as_ref(), action).await?;
        if let Some(io) = chat.sockets() {
            publish(io, &outcome).await;
        }
        Ok(ModerationDone {
            deleted: outcome.deleted,
        })
    }
    .await;
    reply(ack, result);
}

macro_rules! action_handler {
    ($socket:expr, $event:expr, $ty:ty, $variant:expr) => {
        $socket.on(
            $event,
            async |TryData(req): TryData<$ty>,
                   ack: AckSender<A>,
                   State(chat): State<ChatService>,
                   Extension(session): Extension<Session>| {
                run(req.map($variant), ack, chat, session).await
            },
        )
    };
}

pub fn register<A: Adapter>(socket: &SocketRef<A>) {
    action_handler!(
        socket,
        events::DELETE_MESSAGE,
        DeleteMessage,
        ModAction::Delete
    );
    action_handler!(
        socket,
        events::TIMEOUT_USER,
        TimeoutUser,
        ModAction::Timeout
    );
    action_handler!(socket, events::BAN_USER, BanUser, ModAction::Ban);
    action_handler!(socket, events::UNBAN_USER, UnbanUser, ModAction::Unban);
    action_handler!(
        socket,
        events::ADD_MODERATOR,
        SetModerator,
        ModAction::AddModerator
    );
    action_handler!(
        socket,
        events::REMOVE_MODERATOR,
        SetModerator,
        ModAction::RemoveModerator
    );
    action_handler!(
        socket,
        events::UPDATE_ROOM_SETTINGS,
        UpdateRoomSettings,
        ModAction::UpdateSettings
    );
    action_handler!(socket, rich_events::PIN_MESSAGE, PinMessage, ModAction::Pin);
    action_handler!(
        socket,
        rich_events::UNPIN_MESSAGE,
        RoomRef,
        ModAction::Unpin
    );
    socket.on(
        events::GET_MODERATION,
        async |TryData(req): TryData<RoomRef>,
               ack: AckSender<A>,
               State(chat): State<ChatService>,
               Extension(session): Extension<Session>| {
            let result = async {
                session.spend()?;
                let req = req.map_err(bad_payload)?;
                chat.moderation()
                    .state(session.who.as_ref(), &req.live_id)
                    .await
            }
            .await;
            reply(ack, result);
        },
    );
    socket.on(
        events::GET_AUDIT_LOG,
        async |TryData(req): TryData<RoomRef>,
               ack: AckSender<A>,
               State(chat): State<ChatService>,
               Extension(session): Extension<Session>| {
            let result = async {
                session.spend()?;
                let req = req.map_err(bad_payload)?;
                let entries = chat
                    .moderation()
                    .audit_log(session.who.as_ref(), &req.live_id)
                    .await?;
                Ok(app::protocol::moderation::AuditLog { entries })
            }
            .await;
            reply(ack, result);
        },
    );
}
