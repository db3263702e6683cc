//! The browser's socket.io client: Engine.IO v4 / Socket.IO v5 over a WebSocket,
//! with acks and their timeouts, ping liveness, and reconnection with exponential
//! backoff and jitter. On the server (SSR) it is an inert stub with the same API:
//! components create it only in effects, which never run there.

use serde_json::Value;

use crate::protocol::WireError;

#[derive(Clone, Debug, PartialEq)]
pub enum SocketEvent {
    /// The socket.io connection is (re)established.
    Connected,
    /// The connection dropped; a reconnect is scheduled.
    Disconnected,
    Event {
        name: String,
        args: Vec<Value>,
    },
}

pub type AckCallback = Box<dyn FnOnce(Result<Value, WireError>)>;

/// Backoff before reconnect attempt `attempt` (0-based), given a random `r` in
/// [0, 1): doubling from 500 ms up to 10 s, with half of it random.
pub fn backoff_ms(attempt: u32, r: f64) -> u32 {
    let base = 500u64.saturating_mul(1u64 << attempt.min(5)).min(10_000) as f64;
    (base * (0.5 + 0.5 * r.clamp(0.0, 1.0))) as u32
}

#[cfg(feature = "hydrate")]
pub use browser::SocketClient;

#[cfg(not(feature = "hydrate"))]
pub use stub::SocketClient;

#[cfg(not(feature = "hydrate"))]
mod stub {
    use super::*;

    #[derive(Clone)]
    pub struct SocketClient;

    impl SocketClient {
        pub fn connect(_on_event: impl Fn(SocketEvent) + 'static) -> Self {
            SocketClient
        }
        pub fn is_connected(&self) -> bool {
            false
        }
        pub fn emit_with_ack(
            &self,
            _name: &str,
            _data: &impl serde::Serialize,
            _timeout_ms: u32,
            cb: AckCallback,
        ) {
            cb(Err(WireError::new(
                crate::protocol::ErrorCode::Unavailable,
                "not connected",
            )))
        }
        pub fn close(&self) {}
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{
        cell::RefCell,
        collections::HashMap,
        rc::{Rc, Weak},
    };

    use gloo_timers::callback::Timeout;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::*;
    use crate::protocol::{
        packet::{EnginePacket, SocketPacket},
        ErrorCode,
    };

    struct Handlers {
        _message: Closure<dyn FnMut(MessageEvent)>,
        _close: Closure<dyn FnMut(CloseEvent)>,
    }

    struct Inner {
        url: String,
        ws: Option<WebSocket>,
        handlers: Option<Handlers>,
        on_event: Rc<dyn Fn(SocketEvent)>,
        connected: bool,
        closed_by_user: bool,
        attempt: u32,
        next_ack: u64,
        acks: HashMap<u64, (AckCallback, Timeout)>,
        /// Fires when the server has been silent longer than its ping contract.
        liveness: Option<Timeout>,
        silence_limit_ms: u32,
        reconnect: Option<Timeout>,
    }

    /// A handle to one logical connection that survives reconnects.
    #[derive(Clone)]
    pub struct SocketClient(Rc<RefCell<Inner>>);

    fn socket_url() -> String {
        let loc = web_sys::window().expect("window").location();
        let scheme = if loc.protocol().unwrap_or_default() == "https:" {
            "wss"
        } else {
            "ws"
        };
        let host = loc.host().unwrap_or_default();
        format!("{scheme}://{host}/socket.io/?EIO=4&transport=websocket")
    }

    impl SocketClient {
        pub fn connect(on_event: impl Fn(SocketEvent) + 'static) -> Self {
            let client = SocketClient(Rc::new(RefCell::new(Inner {
                url: socket_url(),
                ws: None,
                handlers: None,
                on_event: Rc::new(on_event),
                connected: false,
                closed_by_user: false,
                attempt: 0,
                next_ack: 0,
                acks: HashMap::new(),
                liveness: None,
                silence_limit_ms: 60_000,
                reconnect: None,
            })));
            open(&client.0);
            client
        }

        pub fn is_connected(&self) -> bool {
            self.0.borrow().connected
        }

        /// Sends an event and calls `cb` once with the ack's first argument, or
        /// with a `timeout` error if none comes in time or the connection drops.
        pub fn emit_with_ack(
            &self,
            name: &str,
            data: &impl serde::Serialize,
            timeout_ms: u32,
            cb: AckCallback,
        ) {
            let payload = match serde_json::to_value(data) {
                Ok(v) => v,
                Err(e) => return cb(Err(WireError::new(ErrorCode::Invalid, e.to_string()))),
            };
            let mut inner = self.0.borrow_mut();
            if !inner.connected {
                drop(inner);
                return cb(Err(WireError::new(ErrorCode::Timeout, "not connected")));
            }
            let id = inner.next_ack;
            inner.next_ack += 1;
            let weak = Rc::downgrade(&self.0);
            let timer = Timeout::new(timeout_ms, move || {
                let Some(rc) = weak.upgrade() else { return };
                let entry = rc.borrow_mut().acks.remove(&id);
                if let Some((cb, _)) = entry {
                    cb(Err(WireError::new(
                        ErrorCode::Timeout,
                        "no answer from the server",
                    )));
                }
            });
            inner.acks.insert(id, (cb, timer));
            let frame = SocketPacket::Event {
                id: Some(id),
                name: name.to_owned(),
                args: vec![payload],
            }
            .to_frame();
            if let Some(ws) = &inner.ws {
                let _ = ws.send_with_str(&frame);
            }
        }

        pub fn close(&self) {
            let mut inner = self.0.borrow_mut();
            inner.closed_by_user = true;
            inner.reconnect = None;
            inner.liveness = None;
            inner.handlers = None;
            if let Some(ws) = inner.ws.take() {
                ws.set_onmessage(None);
                ws.set_onclose(None);
                let _ = ws.close();
            }
            inner.connected = false;
        }
    }

    fn open(rc: &Rc<RefCell<Inner>>) {
        let url = rc.borrow().url.clone();
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => return schedule_reconnect(rc),
        };
        let weak = Rc::downgrade(rc);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let (Some(rc), Some(text)) = (weak.upgrade(), e.data().as_string()) {
                on_frame(&rc, &text);
            }
        });
        let weak = Rc::downgrade(rc);
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
            if let Some(rc) = weak.upgrade() {
                connection_lost(&rc);
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = rc.borrow_mut();
        inner.ws = Some(ws);
        inner.handlers = Some(Handlers {
            _message: on_message,
            _close: on_close,
        });
        drop(inner);
        arm_liveness(rc);
    }

    fn send(rc: &Rc<RefCell<Inner>>, frame: &str) {
        if let Some(ws) = &rc.borrow().ws {
            let _ = ws.send_with_str(frame);
        }
    }

    fn arm_liveness(rc: &Rc<RefCell<Inner>>) {
        let weak: Weak<RefCell<Inner>> = Rc::downgrade(rc);
        let limit = rc.borrow().silence_limit_ms;
        let timer = Timeout::new(limit, move || {
            if let Some(rc) = weak.upgrade() {
                connection_lost(&rc);
            }
        });
        rc.borrow_mut().liveness = Some(timer);
    }

    fn on_frame(rc: &Rc<RefCell<Inner>>, text: &str) {
        arm_liveness(rc);
        let Ok(packet) = EnginePacket::decode(text) else {
            return;
        };
        match packet {
            EnginePacket::Open(info) => {
                rc.borrow_mut().silence_limit_ms =
                    (info.ping_interval + info.ping_timeout).min(u32::MAX as u64) as u32;
                arm_liveness(rc);
                // The session cookie travels with the WebSocket request itself.
                send(rc, &SocketPacket::Connect(None).to_frame());
            }
            EnginePacket::Ping => send(rc, &EnginePacket::Pong.encode()),
            EnginePacket::Close => connection_lost(rc),
            EnginePacket::Message(payload) => on_packet(rc, &payload),
            _ => {}
        }
    }

    fn on_packet(rc: &Rc<RefCell<Inner>>, payload: &str) {
        let Ok(packet) = SocketPacket::decode(payload) else {
            return;
        };
        let on_event = rc.borrow().on_event.clone();
        match packet {
            SocketPacket::Connect(_) => {
                {
                    let mut inner = rc.borrow_mut();
                    inner.connected = true;
                    inner.attempt = 0;
                }
                on_event(SocketEvent::Connected);
            }
            SocketPacket::Event { name, args, .. } => on_event(SocketEvent::Event { name, args }),
            SocketPacket::Ack { id, mut args } => {
                let entry = rc.borrow_mut().acks.remove(&id);
                if let Some((cb, _timer)) = entry {
                    let first = if args.is_empty() {
                        Value::Null
                    } else {
                        args.swap_remove(0)
                    };
                    cb(Ok(first));
                }
            }
            SocketPacket::Disconnect | SocketPacket::ConnectError(_) => connection_lost(rc),
        }
    }

    /// Drops the current WebSocket, fails the acks in flight, tells the UI, and
    /// schedules the next attempt.
    fn connection_lost(rc: &Rc<RefCell<Inner>>) {
        let (acks, was_connected, on_event) = {
            let mut inner = rc.borrow_mut();
            if let Some(ws) = inner.ws.take() {
                ws.set_onmessage(None);
                ws.set_onclose(None);
                let _ = ws.close();
            }
            inner.handlers = None;
            inner.liveness = None;
            let was = inner.connected;
            inner.connected = false;
            let acks: Vec<_> = inner.acks.drain().map(|(_, (cb, _))| cb).collect();
            (acks, was, inner.on_event.clone())
        };
        for cb in acks {
            cb(Err(WireError::new(ErrorCode::Timeout, "connection lost")));
        }
        if was_connected {
            on_event(SocketEvent::Disconnected);
        }
        schedule_reconnect(rc);
    }

    fn schedule_reconnect(rc: &Rc<RefCell<Inner>>) {
        let mut inner = rc.borrow_mut();
        if inner.closed_by_user || inner.reconnect.is_some() {
            return;
        }
        let delay = backoff_ms(inner.attempt, js_sys::Math::random());
        inner.attempt = inner.attempt.saturating_add(1);
        let weak = Rc::downgrade(rc);
        inner.reconnect = Some(Timeout::new(delay, move || {
            if let Some(rc) = weak.upgrade() {
                rc.borrow_mut().reconnect = None;
                open(&rc);
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_up_to_a_cap_with_jitter() {
        assert_eq!(backoff_ms(0, 0.0), 250);
        assert_eq!(backoff_ms(0, 1.0), 500);
        assert_eq!(backoff_ms(1, 1.0), 1000);
        assert_eq!(backoff_ms(10, 1.0), 10_000);
        assert!(backoff_ms(3, 0.5) < backoff_ms(3, 0.9));
    }
}
