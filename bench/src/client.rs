//! The load client's socket.io connection: the app's own packet codec over a real
//! WebSocket, one task per connection, no locks on the hot path.

use std::time::Duration;

use app::protocol::packet::{EnginePacket, SocketPacket};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Every network wait of the generator is bounded by this.
pub const WAIT: Duration = Duration::from_secs(20);

/// What arrived on a connection.
pub enum Incoming {
    Ping,
    Event { name: String, arg: Value },
    Ack { id: u64, arg: Value },
    Closed,
    Other,
}

/// Opens a socket.io connection (as a guest without `token`) and waits for the
/// namespace's connect packet.
pub async fn connect(addr: &str, token: Option<&str>) -> Result<Ws, String> {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| "websocket connect timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let auth = token.map(|t| json!({ "token": t }));
    let mut sent_connect = false;
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .map_err(|_| "handshake timed out".to_owned())?;
        let Some(Ok(Message::Text(text))) = frame else {
            return Err("closed during the handshake".into());
        };
        match EnginePacket::decode(&text) {
            Ok(EnginePacket::Open(_)) if !sent_connect => {
                let connect = SocketPacket::Connect(auth.clone()).to_frame();
                ws.send(Message::text(connect))
                    .await
                    .map_err(|e| e.to_string())?;
                sent_connect = true;
            }
            Ok(EnginePacket::Ping) => {
                ws.send(Message::text("3"))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(EnginePacket::Message(p)) => match SocketPacket::decode(&p) {
                Ok(SocketPacket::Connect(_)) => return Ok(ws),
                other => return Err(format!("connect refused: {other:?}")),
            },
            other => return Err(format!("unexpected handshake frame {other:?}")),
        }
    }
}

/// An event frame, with an ack id when `id` is set.
pub fn event(id: Option<u64>, name: &str, arg: Value) -> Message {
    Message::text(
        SocketPacket::Event {
            id,
            name: name.to_owned(),
            args: vec![arg],
        }
        .to_frame(),
    )
}

pub fn parse(msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Incoming {
    let text = match msg {
        Some(Ok(Message::Text(t))) => t,
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Incoming::Closed,
        Some(Ok(_)) => return Incoming::Other,
    };
    match EnginePacket::decode(&text) {
        Ok(EnginePacket::Ping) => Incoming::Ping,
        Ok(EnginePacket::Close) => Incoming::Closed,
        Ok(EnginePacket::Message(p)) => match SocketPacket::decode(&p) {
            Ok(SocketPacket::Event { name, mut args, .. }) => Incoming::Event {
                name,
                arg: if args.is_empty() {
                    Value::Null
                } else {
                    args.swap_remove(0)
                },
            },
            Ok(SocketPacket::Ack { id, mut args }) => Incoming::Ack {
                id,
                arg: if args.is_empty() {
                    Value::Null
                } else {
                    args.swap_remove(0)
                },
            },
            Ok(SocketPacket::Disconnect) => Incoming::Closed,
            _ => Incoming::Other,
        },
        _ => Incoming::Other,
    }
}

/// Sends `enter_room` (ack id 1) and waits for its ack, answering pings and
/// skipping other events meanwhile.
pub async fn enter(ws: &mut Ws, live: &str, batch: bool) -> Result<Value, String> {
    ws.send(event(
        Some(1),
        "enter_room",
        json!({ "liveId": live, "batch": batch }),
    ))
    .await
    .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| "enter_room timed out".to_owned())?;
        match parse(got) {
            Incoming::Ack { id: 1, arg } => {
                return if arg["ok"] == true {
                    Ok(arg)
                } else {
                    Err(format!("enter_room refused: {arg}"))
                };
            }
            Incoming::Ping => ws
                .send(Message::text("3"))
                .await
                .map_err(|e| e.to_string())?,
            Incoming::Closed => return Err("closed while entering".into()),
            _ => {}
        }
    }
}
