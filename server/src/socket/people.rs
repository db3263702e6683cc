//! People events: user cards and the ignore list.

use app::protocol::people::{events, GetUserCard, IgnoreUser};
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{bad_payload, reply, Session};
use crate::{chat::ChatService, people};

pub fn register<A: Adapter>(socket: &SocketRef<A>) {
    socket.on(
        events::GET_USER_CARD,
        async |TryData(req): TryData<GetUserCard>,
               ack: AckSender<A>,
               State(chat): State<ChatService>,
               Extension(session): Extension<Session>| {
            let result = async {
                session.spend()?;
                let req = req.map_err(bad_payload)?;
                people::user_card(&chat, session.who.as_ref(), req).await
            }
            .await;
            reply(ack, result);
        },
    );
    socket.on(
        events::GET_IGNORED,
        async |ack: AckSender<A>,
               State(chat): State<ChatService>,
               Extension(session): Extension<Session>| {
            let result = async {
                session.spend()?;
                people::ignored(&chat, session.who.as_ref()).await
            }
            .await;
            reply(ack, result);
        },
    );
    socket.on(
        events::IGNORE_USER,
        async |TryData(req): TryData<IgnoreUser>,
               ack: AckSender<A>,
               State(chat): State<ChatService>,
               Extension(session): Extension<Session>| {
            let result = async {
                session.spend()?;
                let req = req.map_err(bad_payload)?;
                people::ignore(&chat, session.who.as_ref(), req).await
            }
            .await;
            reply(ack, result);
        },
    );
}
