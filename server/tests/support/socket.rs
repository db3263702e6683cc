//! A socket.io test client: the app's packet codec over tokio-tungstenite.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::protocol::packet::{EnginePacket, SocketPacket};
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

use super::WAIT;

pub enum Auth<'a> {
    /// Socket.io `auth: {token}`.
    Field(&'a str),
    /// The `access_token` cookie on the WebSocket request.
    Cookie(&'a str),
}

type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct TestSocket {
    out: mpsc::UnboundedSender<Message>,
    events: mpsc::UnboundedReceiver<(String, Value)>,
    acks: Acks,
    next_id: AtomicU64,
    closed: watch::Receiver<bool>,
}

impl TestSocket {
    pub async fn connect(addr: &str, auth: Option<Auth<'_>>) -> Self {
        Self::try_connect(addr, auth, None)
            .await
            .expect("socket.io connect")
    }

    /// Connects, optionally with an `Origin` header; `Err` carries the HTTP
    /// status of a refused handshake.
    pub async fn try_connect(
        addr: &str,
        auth: Option<Auth<'_>>,
        origin: Option<&str>,
    ) -> Result<Self, String> {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let mut req = url.into_client_request().unwrap();
        if let Some(Auth::Cookie(t)) = &auth {
            req.headers_mut().insert(
                "cookie",
                HeaderValue::from_str(&format!("access_token={t}")).unwrap(),
            );
        }
        if let Some(o) = origin {
            req.headers_mut()
                .insert("origin", HeaderValue::from_str(o).unwrap());
        }
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(r) => r.status().to_string(),
                other => other.to_string(),
            })?;
        let (mut sink, mut stream) = ws.split();

        let first = next_text(&mut stream).await.ok_or("no open packet")?;
        assert!(matches!(
            EnginePacket::decode(&first),
            Ok(EnginePacket::Open(_))
        ));
        let connect = match &auth {
            Some(Auth::Field(t)) => SocketPacket::Connect(Some(json!({ "token": t }))),
            _ => SocketPacket::Connect(None),
        };
        sink.send(Message::text(connect.to_frame())).await.unwrap();
        loop {
            let frame = next_text(&mut stream)
                .await
                .ok_or("closed before connect")?;
            match EnginePacket::decode(&frame) {
                Ok(EnginePacket::Message(p)) => match SocketPacket::decode(&p) {
                    Ok(SocketPacket::Connect(_)) => break,
                    other => return Err(format!("unexpected connect reply {other:?}")),
                },
                Ok(EnginePacket::Ping) => sink.send(Message::text("3")).await.unwrap(),
                other => return Err(format!("unexpected frame {other:?}")),
            }
        }

        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (closed_tx, closed_rx) = watch::channel(false);
        let acks: Acks = Default::default();

        tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let reader_acks = acks.clone();
        let pong = out_tx.clone();
        tokio::spawn(async move {
            while let Some(text) = next_text(&mut stream).await {
                match EnginePacket::decode(&text) {
                    Ok(EnginePacket::Ping) => {
                        let _ = pong.send(Message::text("3"));
                    }
                    Ok(EnginePacket::Message(p)) => match SocketPacket::decode(&p) {
                        Ok(SocketPacket::Event { name, mut args, .. }) => {
                            let arg = if args.is_empty() {
                                Value::Null
                            } else {
                                args.remove(0)
                            };
                            let _ = ev_tx.send((name, arg));
                        }
                        Ok(SocketPacket::Ack { id, mut args }) => {
                            let tx = reader_acks.lock().unwrap().remove(&id);
                            if let Some(tx) = tx {
                                let arg = if args.is_empty() {
                                    Value::Null
                                } else {
                                    args.remove(0)
                                };
                                let _ = tx.send(arg);
                            }
                        }
                        Ok(SocketPacket::Disconnect) => break,
                        _ => {}
                    },
                    Ok(EnginePacket::Close) => break,
                    _ => {}
                }
            }
            let _ = closed_tx.send(true);
        });

        Ok(Self {
            out: out_tx,
            events: ev_rx,
            acks,
            next_id: AtomicU64::new(1),
            closed: closed_rx,
        })
    }

    /// Emits an event with an ack and waits (bounded) for the reply.
    pub async fn emit_ack(&self, event: &str, data: impl Serialize) -> Value {
        self.try_emit_ack(event, data, WAIT)
            .await
            .unwrap_or_else(|| panic!("no ack for {event} within {WAIT:?}"))
    }

    pub async fn try_emit_ack(
        &self,
        event: &str,
        data: impl Serialize,
        within: Duration,
    ) -> Option<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().unwrap().insert(id, tx);
        let frame = SocketPacket::Event {
            id: Some(id),
            name: event.to_owned(),
            args: vec![serde_json::to_value(data).unwrap()],
        }
        .to_frame();
        self.out.send(Message::text(frame)).ok()?;
        tokio::time::timeout(within, rx).await.ok()?.ok()
    }

    /// Sends an event whose arguments are raw JSON text (`["name", ...]`), with an
    /// ack, and waits (bounded) for the reply; `None` if none came.
    pub async fn raw_ack(&self, args_json: &str) -> Option<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().unwrap().insert(id, tx);
        self.out
            .send(Message::text(format!("42{id}{args_json}")))
            .ok()?;
        tokio::time::timeout(WAIT, rx).await.ok()?.ok()
    }

    pub fn send_raw(&self, frame: impl Into<String>) {
        let _ = self.out.send(Message::text(frame.into()));
    }

    /// The next event called `name` (others are skipped), within the test wait.
    pub async fn recv(&mut self, name: &str) -> Value {
        self.try_recv(name, WAIT)
            .await
            .unwrap_or_else(|| panic!("no {name} event within {WAIT:?}"))
    }

    pub async fn try_recv(&mut self, name: &str, within: Duration) -> Option<Value> {
        tokio::time::timeout(within, async {
            while let Some((n, v)) = self.events.recv().await {
                if n == name {
                    return Some(v);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    /// Whether the server closed this connection within `within`.
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, self.closed.wait_for(|c| *c))
            .await
            .is_ok()
    }

    pub async fn enter(&self, live_id: &str) -> Value {
        let ack = self
            .emit_ack("enter_room", json!({ "liveId": live_id }))
            .await;
        assert_eq!(ack["ok"], true, "enter_room failed: {ack}");
        ack
    }

    pub async fn say(&self, live_id: &str, content: &str, client_id: &str) -> Value {
        self.emit_ack(
            "new_message",
            json!({"liveId": live_id, "content": content, "clientId": client_id}),
        )
        .await
    }
}

impl Drop for TestSocket {
    /// Closes the WebSocket like a browser tab closing.
    fn drop(&mut self) {
        let _ = self.out.send(Message::Close(None));
    }
}

async fn next_text<S>(stream: &mut S) -> Option<String>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match stream.next().await? {
            Ok(Message::Text(t)) => return Some(t.to_string()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}
