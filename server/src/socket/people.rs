//! People events: user cards and the ignore list.

use app::protocol::people::{events, GetUserCard, IgnoreUser};
use socketioxide::{
    adapter::Adapter,
    extract::{AckSender, Extension, SocketRef, State, TryData},
};

use super::{bad_payload, reply, Session};
use crate::{chat::ChatService, people};

/// An event with a payload of type `$ty`, answered by `$answer(chat, who, req)`.
macro_rules! people_handler {
    ($socket:expr, $event:expr, $ty:ty, $answer:expr) => {
        $socket.on(
            $event,
            async |TryData(req): TryData<$ty>,
                   ack: AckSender<A>,
                   State(chat): State<ChatService>,
                   Extension(session): Extension<Session>| {
                let result = async {
                    session.spend()?;
                    let req = req.map_err(bad_payload)?;
                    $answer(&chat, session.who.as_ref(), req).await
                }
                .await;
                reply(ack, result);
            },
        )
    };
}

pub fn register<A: Adapter>(socket: &SocketRef<A>) {
    people_handler!(
        socket,
        events::GET_USER_CARD,
        GetUserCard,
        people::user_card
    );
    people_handler!(socket, events::IGNORE_USER, IgnoreUser, people::ignore);
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
}
