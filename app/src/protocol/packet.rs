//! Engine.IO v4 and Socket.IO v5 text packets, as carried by WebSocket frames.
//!
//! Platform-free so that the browser client (wasm) and the native test client share
//! one codec, and so it can be unit-tested and fuzzed natively.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("bad open handshake: {0}")]
    BadOpen(String),
    #[error("bad packet id")]
    BadId,
    #[error("bad JSON payload: {0}")]
    BadJson(String),
    #[error("unsupported namespace {0:?}")]
    Namespace(String),
    #[error("binary packets are not supported")]
    Binary,
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
}

/// The `0{...}` open packet's handshake data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInfo {
    pub sid: String,
    pub ping_interval: u64,
    pub ping_timeout: u64,
    #[serde(default)]
    pub max_payload: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnginePacket {
    Open(OpenInfo),
    Close,
    Ping,
    Pong,
    /// The payload: a Socket.IO packet.
    Message(String),
    Upgrade,
    Noop,
}

impl EnginePacket {
    pub fn decode(frame: &str) -> Result<Self, PacketError> {
        let mut chars = frame.chars();
        let kind = chars.next().ok_or(PacketError::Empty)?;
        let rest = chars.as_str();
        Ok(match kind {
            '0' => EnginePacket::Open(
                serde_json::from_str(rest).map_err(|e| PacketError::BadOpen(e.to_string()))?,
            ),
            '1' => EnginePacket::Close,
            '2' => EnginePacket::Ping,
            '3' => EnginePacket::Pong,
            '4' => EnginePacket::Message(rest.to_owned()),
            '5' => EnginePacket::Upgrade,
            '6' => EnginePacket::Noop,
            other => return Err(PacketError::UnknownType(other)),
        })
    }

    /// Encodes the packets a client sends (open is server-only).
    pub fn encode(&self) -> String {
        match self {
            EnginePacket::Open(_) => "0".to_owned(),
            EnginePacket::Close => "1".to_owned(),
            EnginePacket::Ping => "2".to_owned(),
            EnginePacket::Pong => "3".to_owned(),
            EnginePacket::Message(m) => format!("4{m}"),
            EnginePacket::Upgrade => "5".to_owned(),
            EnginePacket::Noop => "6".to_owned(),
        }
    }
}

/// A Socket.IO packet on the main namespace `/`.
#[derive(Clone, Debug, PartialEq)]
pub enum SocketPacket {
    Connect(Option<Value>),
    Disconnect,
    Event {
        id: Option<u64>,
        name: String,
        args: Vec<Value>,
    },
    Ack {
        id: u64,
        args: Vec<Value>,
    },
    ConnectError(Value),
}

impl SocketPacket {
    /// Decodes the payload of an Engine.IO message packet.
    pub fn decode(payload: &str) -> Result<Self, PacketError> {
        let mut chars = payload.chars();
        let kind = chars.next().ok_or(PacketError::Empty)?;
        let mut rest = chars.as_str();
        if matches!(kind, '5' | '6') {
            return Err(PacketError::Binary);
        }
        if !('0'..='4').contains(&kind) {
            return Err(PacketError::UnknownType(kind));
        }
        if let Some(stripped) = rest.strip_prefix('/') {
            let (nsp, after) = match stripped.find(',') {
                Some(i) => (&stripped[..i], &stripped[i + 1..]),
                None => (stripped, ""),
            };
            if !nsp.is_empty() {
                return Err(PacketError::Namespace(format!("/{nsp}")));
            }
            rest = after;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let id = if digits > 0 {
            // More than 15 digits cannot be a JS-safe integer.
            if digits > 15 {
                return Err(PacketError::BadId);
            }
            Some(
                rest[..digits]
                    .parse::<u64>()
                    .map_err(|_| PacketError::BadId)?,
            )
        } else {
            None
        };
        let json = &rest[digits..];
        let data: Option<Value> = if json.is_empty() {
            None
        } else {
            Some(serde_json::from_str(json).map_err(|e| PacketError::BadJson(e.to_string()))?)
        };
        match kind {
            '0' => Ok(SocketPacket::Connect(data)),
            '1' => Ok(SocketPacket::Disconnect),
            '2' => {
                let Some(Value::Array(mut items)) = data else {
                    return Err(PacketError::Malformed("event payload must be an array"));
                };
                if items.is_empty() {
                    return Err(PacketError::Malformed("event without a name"));
                }
                let Value::String(name) = items.remove(0) else {
                    return Err(PacketError::Malformed("event name must be a string"));
                };
                Ok(SocketPacket::Event {
                    id,
                    name,
                    args: items,
                })
            }
            '3' => {
                let id = id.ok_or(PacketError::Malformed("ack without an id"))?;
                let Some(Value::Array(args)) = data else {
                    return Err(PacketError::Malformed("ack payload must be an array"));
                };
                Ok(SocketPacket::Ack { id, args })
            }
            _ => Ok(SocketPacket::ConnectError(data.unwrap_or(Value::Null))),
        }
    }

    pub fn encode(&self) -> String {
        match self {
            SocketPacket::Connect(None) => "0".to_owned(),
            SocketPacket::Connect(Some(v)) => format!("0{v}"),
            SocketPacket::Disconnect => "1".to_owned(),
            SocketPacket::Event { id, name, args } => {
                let mut items = Vec::with_capacity(args.len() + 1);
                items.push(Value::String(name.clone()));
                items.extend(args.iter().cloned());
                let id = id.map(|i| i.to_string()).unwrap_or_default();
                format!("2{id}{}", Value::Array(items))
            }
            SocketPacket::Ack { id, args } => format!("3{id}{}", Value::Array(args.clone())),
            SocketPacket::ConnectError(v) => format!("4{v}"),
        }
    }

    /// The whole WebSocket frame (Engine.IO message wrapping this packet).
    pub fn to_frame(&self) -> String {
        EnginePacket::Message(self.encode()).encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_open() {
        let p = EnginePacket::decode(
            r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        )
        .unwrap();
        assert_eq!(
            p,
            EnginePacket::Open(OpenInfo {
                sid: "abc".into(),
                ping_interval: 25000,
                ping_timeout: 20000,
                max_payload: 1000000
            })
        );
        assert!(matches!(
            EnginePacket::decode("0{}"),
            Err(PacketError::BadOpen(_))
        ));
    }

    #[test]
    fn engine_control_packets() {
        assert_eq!(EnginePacket::decode("2").unwrap(), EnginePacket::Ping);
        assert_eq!(EnginePacket::Pong.encode(), "3");
        assert_eq!(
            EnginePacket::decode("440").unwrap(),
            EnginePacket::Message("40".into())
        );
        assert_eq!(EnginePacket::decode(""), Err(PacketError::Empty));
        assert_eq!(
            EnginePacket::decode("9"),
            Err(PacketError::UnknownType('9'))
        );
    }

    #[test]
    fn event_round_trip_with_and_without_id() {
        let e = SocketPacket::Event {
            id: Some(12),
            name: "new_message".into(),
            args: vec![json!({"content": "hi"})],
        };
        assert_eq!(e.encode(), r#"212["new_message",{"content":"hi"}]"#);
        assert_eq!(SocketPacket::decode(&e.encode()).unwrap(), e);
        assert_eq!(e.to_frame(), r#"4212["new_message",{"content":"hi"}]"#);
        let plain = SocketPacket::decode(r#"2["sending_message",{"seq":1}]"#).unwrap();
        assert_eq!(
            plain,
            SocketPacket::Event {
                id: None,
                name: "sending_message".into(),
                args: vec![json!({"seq": 1})]
            }
        );
    }

    #[test]
    fn ack_and_connect() {
        assert_eq!(
            SocketPacket::decode(r#"37[{"ok":true}]"#).unwrap(),
            SocketPacket::Ack {
                id: 7,
                args: vec![json!({"ok": true})]
            }
        );
        assert_eq!(
            SocketPacket::decode(r#"0{"sid":"x"}"#).unwrap(),
            SocketPacket::Connect(Some(json!({"sid": "x"})))
        );
        assert_eq!(
            SocketPacket::Connect(Some(json!({"token": "t"}))).to_frame(),
            r#"40{"token":"t"}"#
        );
        assert_eq!(
            SocketPacket::decode("0").unwrap(),
            SocketPacket::Connect(None)
        );
        assert_eq!(
            SocketPacket::decode("1/,").unwrap(),
            SocketPacket::Disconnect
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(SocketPacket::decode("").is_err());
        assert!(SocketPacket::decode("2").is_err());
        assert!(SocketPacket::decode("2{}").is_err());
        assert!(SocketPacket::decode("2[]").is_err());
        assert!(SocketPacket::decode("2[1]").is_err());
        assert!(SocketPacket::decode("3[]").is_err());
        assert!(SocketPacket::decode("2[\"a\"").is_err());
        assert!(SocketPacket::decode("51-[\"a\"]").is_err());
        assert!(SocketPacket::decode("2/admin,[\"a\"]").is_err());
        assert!(SocketPacket::decode("29999999999999999999[\"a\"]").is_err());
        assert!(SocketPacket::decode("x").is_err());
    }
}

/// Feeds arbitrary bytes through everything the server and browser decode from the
/// wire: Engine.IO frame, Socket.IO packet, and every client payload type. Must
/// never panic. Shared by the cargo-fuzz target and the corpus test.
pub fn exercise(data: &[u8]) {
    use super::{moderation as m, EnterRoom, GetChat, HistoryQuery, LeaveRoom, NewMessage};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let payload = match EnginePacket::decode(text) {
        Ok(EnginePacket::Message(p)) => p,
        Ok(_) | Err(_) => text.to_owned(),
    };
    let Ok(SocketPacket::Event { args, name, id }) = SocketPacket::decode(&payload) else {
        return;
    };
    let round = SocketPacket::Event {
        id,
        name,
        args: args.clone(),
    }
    .encode();
    assert!(
        SocketPacket::decode(&round).is_ok(),
        "re-encoded packets decode"
    );
    for arg in args {
        let _ = serde_json::from_value::<EnterRoom>(arg.clone());
        let _ = serde_json::from_value::<LeaveRoom>(arg.clone());
        if let Ok(n) = serde_json::from_value::<NewMessage>(arg.clone()) {
            let _ = super::MessageContent::parse(&n.content);
            let _ = super::ClientId::parse(&n.client_id);
            let _ = super::LiveId::parse(&n.live_id);
        }
        if let Ok(g) = serde_json::from_value::<GetChat>(arg.clone()) {
            let _ = HistoryQuery::parse(&g);
        }
        let _ = serde_json::from_value::<m::TimeoutUser>(arg.clone());
        let _ = serde_json::from_value::<m::UpdateRoomSettings>(arg);
    }
}
