//! The chat panel: server-rendered history that the browser then keeps live over
//! socket.io, with pending/failed sends, catch-up after reconnects and scrollback.

mod moderation;

use leptos::{ev::KeyboardEvent, html, prelude::*};
use serde_json::Value;

use crate::{
    chat_log::{ChatLog, Delivery, Outgoing},
    protocol::{
        events,
        moderation::{
            events as mod_events, BanUser, DeleteMessage, MessageDeleted, ModerationDone,
            PublicRoomSettings, RoomRole, TimeoutUser,
        },
        Ack, ChatMessage, ChatPage, EnterRoom, ErrorCode, GetChat, MessageContent, MessageStored,
        NewMessage, RoomEntered, Viewer, ViewerCount, WireError,
    },
    socket_client::{SocketClient, SocketEvent},
};
use moderation::ModerationPanel;

const ACK_TIMEOUT_MS: u32 = 10_000;
const CATCH_UP_PAGE: u32 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    Connecting,
    Connected,
    Reconnecting,
}

/// The panel's reactive state; `Copy`, so every handler can hold it.
#[derive(Clone, Copy)]
struct Chat {
    live_id: StoredValue<String>,
    log: RwSignal<ChatLog>,
    viewers: RwSignal<u64>,
    conn: RwSignal<Conn>,
    unseen: RwSignal<usize>,
    stuck_to_bottom: RwSignal<bool>,
    loading_older: RwSignal<bool>,
    list: NodeRef<html::Ol>,
    socket: SocketSlot,
    /// The viewer's user id, if logged in.
    me: StoredValue<Option<String>>,
    role: RwSignal<RoomRole>,
    settings: RwSignal<PublicRoomSettings>,
    /// Slow mode: when (ms since the epoch) this viewer may send again.
    cooldown_until: RwSignal<f64>,
    /// A clock for countdowns, ticking in the browser.
    now_ms: RwSignal<f64>,
    /// The last moderation action's error, shown above the input.
    notice: RwSignal<Option<String>>,
}

/// Where the panel keeps its socket. The browser's client is `!Send`, so it lives
/// in thread-local storage there; the server (which never opens one) uses plain
/// storage, because it may drop a rendered page on another thread.
#[cfg(feature = "hydrate")]
type SocketSlot = StoredValue<Option<SocketClient>, LocalStorage>;
#[cfg(not(feature = "hydrate"))]
type SocketSlot = StoredValue<Option<SocketClient>>;

#[cfg(feature = "hydrate")]
fn new_socket_slot() -> SocketSlot {
    StoredValue::new_local(None)
}
#[cfg(not(feature = "hydrate"))]
fn new_socket_slot() -> SocketSlot {
    StoredValue::new(None)
}

fn parse_ack<T: serde::de::DeserializeOwned>(r: Result<Value, WireError>) -> Result<T, WireError> {
    let v = r?;
    let ack: Ack<T> = serde_json::from_value(v)
        .map_err(|e| WireError::new(ErrorCode::Invalid, format!("unexpected reply: {e}")))?;
    ack.into()
}

impl Chat {
    fn emit<T: serde::de::DeserializeOwned + 'static>(
        self,
        event: &str,
        data: &impl serde::Serialize,
        done: impl FnOnce(Result<T, WireError>) + 'static,
    ) {
        self.socket.with_value(|s| match s {
            Some(s) => s.emit_with_ack(
                event,
                data,
                ACK_TIMEOUT_MS,
                Box::new(move |r| done(parse_ack(r))),
            ),
            None => done(Err(WireError::new(ErrorCode::Timeout, "not connected"))),
        });
    }

    fn connected(self) -> bool {
        self.socket
            .with_value(|s| s.as_ref().is_some_and(SocketClient::is_connected))
    }

    fn on_socket_event(self, ev: SocketEvent) {
        match ev {
            SocketEvent::Connected => {
                self.conn.set(Conn::Connected);
                self.enter();
            }
            SocketEvent::Disconnected => self.conn.set(Conn::Reconnecting),
            SocketEvent::Event { name, args } => {
                let Some(arg) = args.into_iter().next() else {
                    return;
                };
                if name == events::SENDING_MESSAGE {
                    if let Ok(m) = serde_json::from_value::<ChatMessage>(arg) {
                        if m.live_id == self.live_id.get_value() {
                            self.receive_live(m);
                        }
                    }
                } else if name == events::VIEWER_COUNT {
                    if let Ok(v) = serde_json::from_value::<ViewerCount>(arg) {
                        if v.live_id == self.live_id.get_value() {
                            self.viewers.set(v.count);
                        }
                    }
                } else if name == mod_events::MESSAGE_DELETED {
                    if let Ok(d) = serde_json::from_value::<MessageDeleted>(arg) {
                        if d.live_id == self.live_id.get_value() {
                            self.log.update(|l| l.remove(&d.id));
                        }
                    }
                } else if name == mod_events::ROOM_SETTINGS {
                    if let Ok(s) = serde_json::from_value::<PublicRoomSettings>(arg) {
                        if s.live_id == self.live_id.get_value() {
                            self.settings.set(s);
                        }
                    }
                }
            }
        }
    }

    /// (Re-)enters the room, fills any hole since the last message held, and
    /// re-sends what was never acknowledged.
    fn enter(self) {
        let had = self.log.with_untracked(ChatLog::last_seq);
        let req = EnterRoom {
            live_id: self.live_id.get_value(),
        };
        self.emit(
            events::ENTER_ROOM,
            &req,
            move |r: Result<RoomEntered, WireError>| {
                let Ok(entered) = r else { return };
                self.viewers.set(entered.viewers);
                // Roles and modes may have changed while this socket was away.
                self.role.set(entered.role);
                self.settings.set(entered.settings);
                let oldest_new = entered.history.first().map(|m| m.seq);
                self.add(entered.history);
                if had > 0 && oldest_new.is_some_and(|s| s > had + 1) {
                    self.catch_up(had);
                }
                for o in self.log.with_untracked(ChatLog::pending) {
                    self.transmit(o);
                }
            },
        );
    }

    fn catch_up(self, after: u64) {
        let req = GetChat {
            live_id: self.live_id.get_value(),
            after: Some(after),
            limit: Some(CATCH_UP_PAGE),
            ..GetChat::default()
        };
        self.emit(
            events::GET_CHAT,
            &req,
            move |r: Result<ChatPage, WireError>| {
                let Ok(page) = r else { return };
                let last = page.messages.last().map(|m| m.seq);
                self.add(page.messages);
                if let (true, Some(last)) = (page.has_more, last) {
                    self.catch_up(last);
                }
            },
        );
    }

    fn receive_live(self, m: ChatMessage) {
        let gap_after = self
            .log
            .with_untracked(|l| l.has_gap_before(m.seq).then(|| l.last_seq()));
        self.add(vec![m]);
        if let Some(after) = gap_after {
            self.catch_up(after);
        }
    }

    fn add(self, messages: Vec<ChatMessage>) {
        if messages.is_empty() {
            return;
        }
        let mut added = 0;
        self.log.update(|l| added = l.merge(messages));
        if added == 0 {
            return;
        }
        if self.stuck_to_bottom.get_untracked() {
            self.scroll_to_bottom();
        } else {
            self.unseen.update(|n| *n += added);
        }
    }

    fn send(self, text: String) -> Result<(), String> {
        let content = MessageContent::parse(&text).map_err(|e| e.0)?;
        let client_id = new_client_id();
        self.log
            .update(|l| l.push_outgoing(client_id.clone(), content.as_str().to_owned()));
        self.stuck_to_bottom.set(true);
        self.unseen.set(0);
        self.scroll_to_bottom();
        self.transmit(Outgoing {
            client_id,
            content: content.into_inner(),
            delivery: Delivery::Pending,
        });
        Ok(())
    }

    fn transmit(self, o: Outgoing) {
        let req = NewMessage {
            live_id: self.live_id.get_value(),
            content: o.content,
            client_id: o.client_id.clone(),
        };
        let client_id = o.client_id;
        self.emit(
            events::NEW_MESSAGE,
            &req,
            move |r: Result<MessageStored, WireError>| match r {
                Ok(stored) => {
                    let slow = self.settings.with_untracked(|s| s.slow_mode_secs);
                    if slow > 0 && !self.role.get_untracked().moderates() {
                        self.cooldown_until.set(now() + f64::from(slow) * 1000.0);
                    }
                    self.add(vec![stored.message]);
                }
                // Not connected: stays pending and goes again after the reconnect.
                Err(e) if e.code == ErrorCode::Timeout && !self.connected() => {}
                Err(e) => {
                    if let Some(ms) = e.retry_after_ms {
                        self.cooldown_until.set(now() + ms as f64);
                    }
                    let retryable = matches!(e.code, ErrorCode::Timeout | ErrorCode::Unavailable);
                    self.log
                        .update(|l| l.fail(&client_id, e.message, retryable));
                }
            },
        );
    }

    /// Runs a moderation action; failures are shown as a notice.
    fn moderate(self, event: &'static str, data: serde_json::Value) {
        self.notice.set(None);
        self.emit(event, &data, move |r: Result<ModerationDone, WireError>| {
            if let Err(e) = r {
                self.notice.set(Some(e.message));
            }
        });
    }

    fn delete(self, message_id: String) {
        let req = DeleteMessage {
            live_id: self.live_id.get_value(),
            message_id,
        };
        self.moderate(
            mod_events::DELETE_MESSAGE,
            serde_json::to_value(req).unwrap_or_default(),
        );
    }

    fn restrict(self, user_id: String, seconds: Option<u64>) {
        let live_id = self.live_id.get_value();
        match seconds {
            Some(seconds) => self.moderate(
                mod_events::TIMEOUT_USER,
                serde_json::to_value(TimeoutUser {
                    live_id,
                    user_id,
                    seconds,
                    remove_messages: false,
                })
                .unwrap_or_default(),
            ),
            None => self.moderate(
                mod_events::BAN_USER,
                serde_json::to_value(BanUser {
                    live_id,
                    user_id,
                    remove_messages: true,
                })
                .unwrap_or_default(),
            ),
        }
    }

    /// Seconds of slow mode left before this viewer may send (0 when free).
    fn cooldown_left(self) -> u64 {
        let left = self.cooldown_until.get() - self.now_ms.get();
        if left > 0.0 {
            (left / 1000.0).ceil() as u64
        } else {
            0
        }
    }

    fn retry(self, client_id: &str) {
        if let Some(o) = self.log.try_update(|l| l.retry(client_id)).flatten() {
            self.transmit(o);
        }
    }

    fn load_older(self) {
        if self.loading_older.get_untracked() || !self.log.with_untracked(|l| l.has_older) {
            return;
        }
        let Some(first) = self.log.with_untracked(ChatLog::first_seq) else {
            return;
        };
        self.loading_older.set(true);
        let req = GetChat {
            live_id: self.live_id.get_value(),
            before: Some(first),
            ..GetChat::default()
        };
        self.emit(
            events::GET_CHAT,
            &req,
            move |r: Result<ChatPage, WireError>| {
                self.loading_older.set(false);
                let Ok(page) = r else { return };
                let before = self
                    .list
                    .get_untracked()
                    .map(|el| (el.scroll_height(), el.scroll_top()));
                self.log.update(|l| {
                    l.merge_older(page.messages, page.has_more);
                });
                // Keep the message the viewer was looking at in place.
                if let Some((old_height, old_top)) = before {
                    let list = self.list;
                    request_animation_frame(move || {
                        if let Some(el) = list.get_untracked() {
                            el.set_scroll_top(old_top + el.scroll_height() - old_height);
                        }
                    });
                }
            },
        );
    }

    fn on_scroll(self) {
        let Some(el) = self.list.get_untracked() else {
            return;
        };
        let at_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 40;
        self.stuck_to_bottom.set(at_bottom);
        if at_bottom {
            self.unseen.set(0);
        }
        if el.scroll_top() < 40 {
            self.load_older();
        }
    }

    fn scroll_to_bottom(self) {
        let list = self.list;
        request_animation_frame(move || {
            if let Some(el) = list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
}

#[cfg(feature = "hydrate")]
fn now() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
fn now() -> f64 {
    0.0
}

#[cfg(feature = "hydrate")]
fn new_client_id() -> String {
    let now = js_sys::Date::now() as u64;
    let r1 = (js_sys::Math::random() * u32::MAX as f64) as u32;
    let r2 = (js_sys::Math::random() * u32::MAX as f64) as u32;
    format!("c{now:x}-{r1:08x}{r2:08x}")
}

#[cfg(not(feature = "hydrate"))]
fn new_client_id() -> String {
    unreachable!("messages are only sent from the browser")
}

/// "HH:MM" in the viewer's time zone once running in the browser; UTC in the
/// server-rendered HTML (the server cannot know the viewer's zone).
fn clock(created_at: &str, in_browser: bool) -> String {
    #[cfg(feature = "hydrate")]
    if in_browser {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(created_at));
        if !d.get_time().is_nan() {
            return format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
        }
    }
    let _ = in_browser;
    created_at
        .get(11..16)
        .map(|hm| format!("{hm} UTC"))
        .unwrap_or_default()
}

#[component]
pub fn ChatPanel(
    live_id: String,
    history: Vec<ChatMessage>,
    has_older: bool,
    viewer: Option<Viewer>,
    viewers: u64,
    role: RoomRole,
    settings: PublicRoomSettings,
) -> impl IntoView {
    let chat = Chat {
        live_id: StoredValue::new(live_id.clone()),
        log: RwSignal::new(ChatLog::new(history, has_older)),
        viewers: RwSignal::new(viewers),
        conn: RwSignal::new(Conn::Connecting),
        unseen: RwSignal::new(0),
        stuck_to_bottom: RwSignal::new(true),
        loading_older: RwSignal::new(false),
        list: NodeRef::new(),
        socket: new_socket_slot(),
        me: StoredValue::new(viewer.as_ref().map(|v| v.user_id.clone())),
        role: RwSignal::new(role),
        settings: RwSignal::new(settings),
        cooldown_until: RwSignal::new(0.0),
        now_ms: RwSignal::new(0.0),
        notice: RwSignal::new(None),
    };
    let show_moderation = RwSignal::new(false);
    let in_browser = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let input_error = RwSignal::new(None::<String>);

    // Runs in the browser only, once, after hydration.
    Effect::new(move |_| {
        in_browser.set(true);
        chat.now_ms.set(now());
        if let Ok(tick) = set_interval_with_handle(
            move || chat.now_ms.set(now()),
            std::time::Duration::from_millis(500),
        ) {
            on_cleanup(move || tick.clear());
        }
        chat.scroll_to_bottom();
        let client = SocketClient::connect(move |ev| chat.on_socket_event(ev));
        chat.socket.set_value(Some(client));
        // Registered here, in the browser-only effect: the socket lives in
        // thread-local storage, which the server must never touch while it
        // tears a rendered page down on another thread.
        on_cleanup(move || {
            chat.socket.with_value(|s| {
                if let Some(s) = s {
                    s.close()
                }
            })
        });
    });

    let submit = move || {
        let text = draft.get_untracked();
        match chat.send(text) {
            Ok(()) => {
                draft.set(String::new());
                input_error.set(None);
            }
            Err(e) => input_error.set(Some(e)),
        }
    };

    let conn_label = move || match chat.conn.get() {
        Conn::Connecting => "connecting…",
        Conn::Connected => "connected",
        Conn::Reconnecting => "reconnecting…",
    };
    let conn_state = move || match chat.conn.get() {
        Conn::Connecting => "connecting",
        Conn::Connected => "connected",
        Conn::Reconnecting => "reconnecting",
    };
    let login_href = format!("/login?next=/live/{live_id}");

    view! {
        <aside class="chat" data-testid="chat">
            <header class="chat-head">
                <h2>"Chat"</h2>
                <span class="viewers" data-testid="viewer-count">
                    {move || format!("{} watching", chat.viewers.get())}
                </span>
                <span class="conn" data-testid="connection" data-state=conn_state>{conn_label}</span>
                <Show when=move || chat.role.get().moderates()>
                    <button
                        type="button"
                        class="link"
                        data-testid="moderation-toggle"
                        on:click=move |_| show_moderation.update(|v| *v = !*v)
                    >
                        "Moderation"
                    </button>
                </Show>
            </header>
            {move || (show_moderation.get() && chat.role.get().moderates()).then(|| view! { <ModerationPanel chat/> })}
            <ol class="messages" data-testid="messages" node_ref=chat.list on:scroll=move |_| chat.on_scroll()>
                <Show when=move || chat.log.with(|l| l.has_older)>
                    <li class="older">
                        <button type="button" class="link" on:click=move |_| chat.load_older()>
                            {move || if chat.loading_older.get() { "Loading…" } else { "Load older messages" }}
                        </button>
                    </li>
                </Show>
                <For each=move || chat.log.with(|l| l.messages().to_vec()) key=|m| m.seq let:m>
                    <li class="msg" data-seq=m.seq data-id=m.id.clone()>
                        <time datetime=m.created_at.clone()>{
                            let at = m.created_at.clone();
                            move || clock(&at, in_browser.get())
                        }</time>
                        " "
                        {m.badge.map(|b| view! { <span class=format!("role-badge {}", b.label())>{b.label()}</span> " " })}
                        <span class="nick">{m.nickname.clone()}</span>
                        ": "
                        <span class="text">{m.content.clone()}</span>
                        <MessageActions chat id=m.id.clone() user_id=m.user_id.clone() privileged=m.badge.is_some()/>
                    </li>
                </For>
                <For
                    each=move || chat.log.with(|l| l.outgoing().to_vec())
                    key=|o| format!("{}:{:?}", o.client_id, o.delivery)
                    let:o
                >
                    {
                        let client_id = o.client_id.clone();
                        match o.delivery {
                            Delivery::Pending => view! {
                                <li class="msg pending" data-testid="pending">
                                    <span class="text">{o.content}</span>
                                    <span class="status">" sending…"</span>
                                </li>
                            }.into_any(),
                            Delivery::Failed { reason, retryable } => {
                                let dismiss_id = client_id.clone();
                                view! {
                                    <li class="msg failed" data-testid="failed">
                                        <span class="text">{o.content}</span>
                                        <span class="status" role="alert">{format!(" not sent: {reason}")}</span>
                                        {retryable.then(|| view! {
                                            <button type="button" class="link" on:click=move |_| chat.retry(&client_id)>"Retry"</button>
                                        })}
                                        <button type="button" class="link" on:click=move |_| chat.log.update(|l| l.dismiss(&dismiss_id))>"Dismiss"</button>
                                    </li>
                                }.into_any()
                            }
                        }
                    }
                </For>
            </ol>
            <Show when=move || { chat.unseen.get() > 0 }>
                <button
                    type="button"
                    class="new-messages"
                    data-testid="new-messages"
                    on:click=move |_| {
                        chat.unseen.set(0);
                        chat.stuck_to_bottom.set(true);
                        chat.scroll_to_bottom();
                    }
                >
                    {move || {
                        let n = chat.unseen.get();
                        format!("{n} new message{} ↓", if n == 1 { "" } else { "s" })
                    }}
                </button>
            </Show>
            {match viewer {
                Some(_) => view! {
                    <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                        <textarea
                            data-testid="chat-input"
                            rows="2"
                            placeholder="Send a message"
                            aria-label="Chat message"
                            prop:value=move || draft.get()
                            on:input=move |ev| {
                                draft.set(event_target_value(&ev));
                                input_error.set(None);
                            }
                            on:keydown=move |ev: KeyboardEvent| {
                                if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                    ev.prevent_default();
                                    submit();
                                }
                            }
                        ></textarea>
                        <div class="composer-row">
                            <span
                                class="counter"
                                data-testid="char-counter"
                                class:over=move || draft.with(|d| d.trim().chars().count() > MessageContent::MAX_CHARS)
                            >
                                {move || format!("{}/{}", draft.with(|d| d.trim().chars().count()), MessageContent::MAX_CHARS)}
                            </span>
                            <button type="submit" data-testid="send">"Chat"</button>
                        </div>
                        {move || input_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                        {move || chat.notice.get().map(|e| view! { <p class="error" role="alert" data-testid="notice">{e}</p> })}
                        {move || {
                            let slow = chat.settings.with(|s| s.slow_mode_secs);
                            let left = chat.cooldown_left();
                            (slow > 0 || left > 0).then(|| view! {
                                <p class="mode" data-testid="slow-mode">
                                    {if slow > 0 { format!("Slow mode: one message every {slow} s") } else { String::new() }}
                                    {(left > 0).then(|| format!(" · wait {left} s"))}
                                </p>
                            })
                        }}
                    </form>
                }.into_any(),
                None => view! {
                    <p class="guest" data-testid="login-to-chat">
                        <a href=login_href>"Log in to chat"</a>
                    </p>
                }.into_any(),
            }}
        </aside>
    }
    .into_any()
}

/// Delete (own messages, or any for moderators), timeout and ban (moderators, on
/// messages of users without a role badge).
#[component]
fn MessageActions(chat: Chat, id: String, user_id: String, privileged: bool) -> impl IntoView {
    let own = chat
        .me
        .with_value(|me| me.as_deref() == Some(user_id.as_str()));
    move || {
        let moderates = chat.role.get().moderates();
        let (id, user_id) = (id.clone(), user_id.clone());
        (moderates || own).then(|| {
            let restrictable = moderates && !own && !privileged;
            let (ban_user, timeout_user) = (user_id.clone(), user_id);
            view! {
                <span class="actions">
                    <button type="button" class="link" title="Delete message" data-testid="delete-message"
                        on:click=move |_| chat.delete(id.clone())>"delete"</button>
                    {restrictable.then(|| view! {
                        <select class="timeout" data-testid="timeout-select" aria-label="Time out"
                            on:change=move |ev| {
                                if let Ok(secs) = event_target_value(&ev).parse::<u64>() {
                                    chat.restrict(timeout_user.clone(), Some(secs));
                                }
                            }>
                            <option value="" selected>"timeout…"</option>
                            <option value="60">"1 min"</option>
                            <option value="600">"10 min"</option>
                            <option value="3600">"1 hour"</option>
                            <option value="86400">"24 hours"</option>
                        </select>
                        <button type="button" class="link danger" data-testid="ban-user"
                            on:click=move |_| chat.restrict(ban_user.clone(), None)>"ban"</button>
                    })}
                </span>
            }
        })
    }
}
