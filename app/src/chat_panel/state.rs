//! The panel's state and behaviour: the socket, the room's log, acks, catch-up,
//! scrolling and moderation calls. The view lives in `chat_panel.rs`.

use leptos::{html, prelude::*};
use serde_json::Value;

use super::announcer::Announcer;
use crate::{
    chat_log::{ChatLog, Delivery, Outgoing},
    protocol::{
        events,
        moderation::{
            events as mod_events, BanUser, DeleteMessage, MessageDeleted, ModerationDone,
            PublicRoomSettings, RoomRef, RoomRole, TimeoutUser, UnbanUser,
        },
        people::{
            events as people_events, FirstMessage, GetUserCard, IgnoreUser, IgnoredUsers, UserCard,
        },
        rich::{
            events as rich_events, Emote, MessagePinned, MessageUnpinned, Pin, PinMessage, ReplyTo,
            RoomEmotes,
        },
        Ack, ChatMessage, ChatPage, EnterRoom, ErrorCode, ErrorReason, GetChat, MessageContent,
        MessageStored, NewMessage, RoomEntered, ViewerCount, WireError,
    },
    socket_client::{SocketClient, SocketEvent},
};

const ACK_TIMEOUT_MS: u32 = 10_000;
const CATCH_UP_PAGE: u32 = 100;
/// Times a send refused by a busy room goes again by itself before it is shown
/// as failed.
const AUTO_RETRIES: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Conn {
    Connecting,
    Connected,
    Reconnecting,
}

/// The panel's reactive state; `Copy`, so every handler can hold it.
#[derive(Clone, Copy)]
pub(super) struct Chat {
    pub(super) live_id: StoredValue<String>,
    pub(super) log: RwSignal<ChatLog>,
    pub(super) viewers: RwSignal<u64>,
    pub(super) conn: RwSignal<Conn>,
    pub(super) unseen: RwSignal<usize>,
    pub(super) stuck_to_bottom: RwSignal<bool>,
    pub(super) loading_older: RwSignal<bool>,
    pub(super) list: NodeRef<html::Div>,
    pub(super) socket: SocketSlot,
    /// The viewer's user id, if logged in.
    pub(super) me: StoredValue<Option<String>>,
    pub(super) role: RwSignal<RoomRole>,
    pub(super) settings: RwSignal<PublicRoomSettings>,
    /// Slow mode: when (ms since the epoch) this viewer may send again.
    pub(super) cooldown_until: RwSignal<f64>,
    /// A clock for countdowns, ticking in the browser.
    pub(super) now_ms: RwSignal<f64>,
    /// What a screen reader is told of new messages.
    pub(super) announcer: Announcer,
    /// The message keyboard focus is in: only its buttons are tab stops, so
    /// the list stays one stop however long it is.
    pub(super) current: RwSignal<Option<u64>>,
    /// The last moderation action's error, shown above the input.
    pub(super) notice: RwSignal<Option<WireError>>,
    /// The message the next send answers.
    pub(super) replying: RwSignal<Option<ReplyTo>>,
    /// A message to scroll to once older history holding it is loaded.
    pub(super) jump_target: RwSignal<Option<(String, u64)>>,
    /// The message briefly highlighted after a jump.
    pub(super) flashed: RwSignal<Option<String>>,
    /// The room's pinned message, and when it ends (ms since the epoch).
    pub(super) pin: RwSignal<Option<(Pin, Option<f64>)>>,
    /// The room's custom emotes (for the picker).
    pub(super) emotes: RwSignal<Vec<Emote>>,
    /// Accounts whose messages this viewer does not see.
    pub(super) ignored: RwSignal<Vec<String>>,
    /// The user card shown, if any.
    pub(super) card: RwSignal<Option<UserCard>>,
    /// Messages that were their sender's first here (moderators are told).
    pub(super) first_timers: RwSignal<Vec<String>>,
}

/// Where the panel keeps its socket. The browser's client is `!Send`, so it lives
/// in thread-local storage there; the server (which never opens one) uses plain
/// storage, because it may drop a rendered page on another thread.
#[cfg(feature = "hydrate")]
pub(super) type SocketSlot = StoredValue<Option<SocketClient>, LocalStorage>;
#[cfg(not(feature = "hydrate"))]
pub(super) type SocketSlot = StoredValue<Option<SocketClient>>;

#[cfg(feature = "hydrate")]
pub(super) fn new_socket_slot() -> SocketSlot {
    StoredValue::new_local(None)
}
#[cfg(not(feature = "hydrate"))]
pub(super) fn new_socket_slot() -> SocketSlot {
    StoredValue::new(None)
}

fn parse_ack<T: serde::de::DeserializeOwned>(r: Result<Value, WireError>) -> Result<T, WireError> {
    let v = r?;
    let ack: Ack<T> = serde_json::from_value(v)
        .map_err(|e| WireError::new(ErrorCode::Invalid, format!("unexpected reply: {e}")))?;
    ack.into()
}

impl Chat {
    /// A tab stop inside message `seq` only while focus is in that message.
    pub(super) fn tab_stop(self, seq: u64) -> impl Fn() -> &'static str + Copy {
        move || {
            if self.current.get() == Some(seq) {
                "0"
            } else {
                "-1"
            }
        }
    }

    pub(super) fn emit<T: serde::de::DeserializeOwned + 'static>(
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

    pub(super) fn connected(self) -> bool {
        self.socket
            .with_value(|s| s.as_ref().is_some_and(SocketClient::is_connected))
    }

    pub(super) fn on_socket_event(self, ev: SocketEvent) {
        match ev {
            SocketEvent::Connected => {
                self.conn.set(Conn::Connected);
                self.enter();
                self.load_ignored();
            }
            SocketEvent::Disconnected => self.conn.set(Conn::Reconnecting),
            SocketEvent::Event { name, args } => {
                let Some(arg) = args.into_iter().next() else {
                    return;
                };
                if name == events::SENDING_MESSAGE {
                    if let Ok(m) = serde_json::from_value::<ChatMessage>(arg) {
                        if m.live_id == self.live_id.get_value() {
                            self.receive_live(vec![m]);
                        }
                    }
                } else if name == events::SENDING_MESSAGES {
                    if let Ok(batch) = serde_json::from_value::<Vec<ChatMessage>>(arg) {
                        let here = self.live_id.get_value();
                        let batch: Vec<_> =
                            batch.into_iter().filter(|m| m.live_id == here).collect();
                        self.receive_live(batch);
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
                } else if name == people_events::FIRST_MESSAGE {
                    if let Ok(f) = serde_json::from_value::<FirstMessage>(arg) {
                        if f.live_id == self.live_id.get_value() {
                            self.first_timers.update(|ids| {
                                ids.push(f.message_id);
                                if ids.len() > 200 {
                                    ids.remove(0);
                                }
                            });
                        }
                    }
                } else if name == rich_events::ROOM_EMOTES {
                    if let Ok(e) = serde_json::from_value::<RoomEmotes>(arg) {
                        if e.live_id == self.live_id.get_value() {
                            self.emotes.set(e.emotes);
                        }
                    }
                } else if name == rich_events::MESSAGE_PINNED {
                    if let Ok(p) = serde_json::from_value::<MessagePinned>(arg) {
                        if p.live_id == self.live_id.get_value() {
                            self.show_pin(Some(p.pin));
                        }
                    }
                } else if name == rich_events::MESSAGE_UNPINNED {
                    if let Ok(u) = serde_json::from_value::<MessageUnpinned>(arg) {
                        let shown = self
                            .pin
                            .with_untracked(|p| p.as_ref().is_some_and(|(p, _)| p.id == u.id));
                        if u.live_id == self.live_id.get_value() && shown {
                            self.pin.set(None);
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
    pub(super) fn enter(self) {
        let had = self.log.with_untracked(ChatLog::last_seq);
        let req = EnterRoom {
            live_id: self.live_id.get_value(),
            // A busy room's messages arrive as one frame per 50 ms.
            batch: true,
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
                self.show_pin(entered.pin);
                self.emotes.set(entered.emotes);
                let oldest_new = entered.history.first().map(|m| m.seq);
                self.add(entered.history);
                self.log.update(|l| l.account_through(entered.last_seq));
                if had > 0 && oldest_new.is_some_and(|s| s > had + 1) {
                    self.catch_up(had);
                }
                for o in self.log.with_untracked(ChatLog::pending) {
                    self.transmit(o);
                }
            },
        );
    }

    pub(super) fn catch_up(self, after: u64) {
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
                self.log.update(|l| l.account_through(page.last_seq));
                if let (true, Some(last)) = (page.has_more, last) {
                    self.catch_up(last);
                }
            },
        );
    }

    /// Messages pushed by the server (one, or a batch in seq order).
    pub(super) fn receive_live(self, batch: Vec<ChatMessage>) {
        let Some(first) = batch.first().map(|m| m.seq) else {
            return;
        };
        let (gap_after, held) = self
            .log
            .with_untracked(|l| (l.has_gap_before(first).then(|| l.last_seq()), l.last_seq()));
        let fresh: Vec<_> = batch.iter().filter(|m| m.seq > held).cloned().collect();
        self.me.with_value(|me| {
            self.ignored
                .with_untracked(|i| self.announcer.hear(&fresh, me.as_deref(), i))
        });
        self.add(batch);
        if let Some(after) = gap_after {
            self.catch_up(after);
        }
    }

    pub(super) fn add(self, messages: Vec<ChatMessage>) {
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

    pub(super) fn send(self, text: String) -> Result<(), WireError> {
        let content = MessageContent::parse(&text).map_err(|e| {
            let trimmed = text.trim();
            let error = WireError::new(ErrorCode::Invalid, e.0);
            if trimmed.is_empty() {
                error.because(ErrorReason::Empty)
            } else if trimmed.chars().count() > MessageContent::MAX_CHARS {
                error.because(ErrorReason::TooLong)
            } else {
                error
            }
        })?;
        let client_id = new_client_id();
        let reply_to = self.replying.get_untracked();
        self.replying.set(None);
        self.log.update(|l| {
            l.push_outgoing(
                client_id.clone(),
                content.as_str().to_owned(),
                reply_to.clone(),
            )
        });
        self.stuck_to_bottom.set(true);
        self.unseen.set(0);
        self.scroll_to_bottom();
        self.transmit(Outgoing {
            client_id,
            content: content.into_inner(),
            delivery: Delivery::Pending,
            reply_to,
        });
        Ok(())
    }

    pub(super) fn show_pin(self, pin: Option<Pin>) {
        self.pin.set(pin.map(|p| {
            let until = p.until.as_deref().map(parse_time);
            (p, until)
        }));
    }

    /// The pin to show now (none once its time has run out, even if the
    /// server's notice is late).
    pub(super) fn current_pin(self) -> Option<Pin> {
        let now = self.now_ms.get();
        self.pin.with(|p| {
            p.as_ref()
                .filter(|(_, until)| until.is_none_or(|u| now == 0.0 || u > now))
                .map(|(p, _)| p.clone())
        })
    }

    /// Pins a message for `secs` seconds (`None`: until unpinned).
    pub(super) fn pin_message(self, message_id: String, secs: Option<u64>) {
        let req = PinMessage {
            live_id: self.live_id.get_value(),
            message_id: Some(message_id),
            text: None,
            duration_secs: secs,
        };
        self.moderate(
            rich_events::PIN_MESSAGE,
            serde_json::to_value(req).unwrap_or_default(),
        );
    }

    pub(super) fn unpin(self) {
        self.moderate(
            rich_events::UNPIN_MESSAGE,
            serde_json::to_value(RoomRef {
                live_id: self.live_id.get_value(),
            })
            .unwrap_or_default(),
        );
    }

    /// Answers `m` with the next send.
    pub(super) fn reply_to(self, m: &ChatMessage) {
        self.replying.set(Some(ReplyTo::of(m)));
    }

    /// Scrolls to a message (loading older history until it is held) and
    /// highlights it for a moment.
    pub(super) fn jump_to(self, id: String, seq: u64) {
        if self.log.with_untracked(|l| l.find(&id).is_some()) {
            self.jump_target.set(None);
            self.flashed.set(Some(id.clone()));
            #[cfg(feature = "hydrate")]
            {
                let flashed = self.flashed;
                gloo_timers::callback::Timeout::new(2_000, move || flashed.set(None)).forget();
            }
            let list = self.list;
            request_animation_frame(move || {
                let Some(el) = list.get_untracked() else {
                    return;
                };
                let selector = format!("li[data-id=\"{id}\"]");
                if let Ok(Some(target)) = el.query_selector(&selector) {
                    target.scroll_into_view_with_bool(false);
                    // Keyboard and screen reader users land on it too.
                    if let Ok(li) = leptos::wasm_bindgen::JsCast::dyn_into::<
                        leptos::web_sys::HtmlElement,
                    >(target)
                    {
                        let _ = li.focus();
                    }
                }
            });
            return;
        }
        let older = self
            .log
            .with_untracked(|l| l.has_older && l.first_seq().is_some_and(|first| first > seq));
        if older {
            self.jump_target.set(Some((id, seq)));
            self.load_older();
        } else {
            // Deleted meanwhile: nothing to show.
            self.jump_target.set(None);
            self.notice.set(Some(
                WireError::new(ErrorCode::NotFound, "that message is no longer in the chat")
                    .because(ErrorReason::MessageGone),
            ));
        }
    }

    pub(super) fn transmit(self, o: Outgoing) {
        self.transmit_attempt(o, 0);
    }

    fn transmit_attempt(self, o: Outgoing, attempt: u8) {
        let req = NewMessage {
            live_id: self.live_id.get_value(),
            content: o.content,
            client_id: o.client_id.clone(),
            reply_to_id: o.reply_to.map(|r| r.id),
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
                // A busy room asked us to come back: do so quietly, a few times
                // (same clientId, so it is stored once at most).
                Err(WireError {
                    code: ErrorCode::Unavailable,
                    retry_after_ms: Some(ms),
                    ..
                }) if attempt < AUTO_RETRIES => self.retry_later(client_id, ms, attempt + 1),
                Err(e) => {
                    if let Some(ms) = e.retry_after_ms {
                        self.cooldown_until.set(now() + ms as f64);
                    }
                    let retryable = matches!(e.code, ErrorCode::Timeout | ErrorCode::Unavailable);
                    self.log.update(|l| l.fail(&client_id, e, retryable));
                }
            },
        );
    }

    /// Sends a still-pending message again after `after_ms`.
    fn retry_later(self, client_id: String, after_ms: u64, attempt: u8) {
        #[cfg(feature = "hydrate")]
        gloo_timers::callback::Timeout::new(after_ms.clamp(100, 10_000) as u32, move || {
            let pending = self
                .log
                .try_with_untracked(|l| {
                    l.outgoing()
                        .iter()
                        .find(|o| o.client_id == client_id && o.delivery == Delivery::Pending)
                        .cloned()
                })
                .flatten();
            if let Some(o) = pending {
                self.transmit_attempt(o, attempt);
            }
        })
        .forget();
        #[cfg(not(feature = "hydrate"))]
        let _ = (client_id, after_ms, attempt);
    }

    /// Runs a moderation action; failures are shown as a notice. An open user
    /// card is read again to show the result.
    pub(super) fn moderate(self, event: &'static str, data: serde_json::Value) {
        self.notice.set(None);
        self.emit(
            event,
            &data,
            move |r: Result<ModerationDone, WireError>| match r {
                Ok(_) => {
                    if let Some(user_id) = self
                        .card
                        .with_untracked(|c| c.as_ref().map(|c| c.user_id.clone()))
                    {
                        self.open_card(user_id);
                    }
                }
                Err(e) => self.notice.set(Some(e)),
            },
        );
    }

    pub(super) fn unban(self, user_id: String) {
        let req = UnbanUser {
            live_id: self.live_id.get_value(),
            user_id,
        };
        self.moderate(
            mod_events::UNBAN_USER,
            serde_json::to_value(req).unwrap_or_default(),
        );
    }

    /// Shows the card of the user behind a nickname.
    pub(super) fn open_card(self, user_id: String) {
        let req = GetUserCard {
            live_id: self.live_id.get_value(),
            user_id,
        };
        self.emit(
            people_events::GET_USER_CARD,
            &req,
            move |r: Result<UserCard, WireError>| match r {
                Ok(card) => self.card.set(Some(card)),
                Err(e) => self.notice.set(Some(e)),
            },
        );
    }

    fn load_ignored(self) {
        if self.me.with_value(Option::is_none) {
            return;
        }
        self.emit(
            people_events::GET_IGNORED,
            &serde_json::json!({}),
            move |r: Result<IgnoredUsers, WireError>| {
                if let Ok(list) = r {
                    self.ignored.set(list.user_ids);
                }
            },
        );
    }

    /// Starts or stops ignoring a user (kept in the account).
    pub(super) fn set_ignored(self, user_id: String, ignore: bool) {
        self.emit(
            people_events::IGNORE_USER,
            &IgnoreUser { user_id, ignore },
            move |r: Result<IgnoredUsers, WireError>| match r {
                Ok(list) => self.ignored.set(list.user_ids),
                Err(e) => self.notice.set(Some(e)),
            },
        );
    }

    pub(super) fn delete(self, message_id: String) {
        let req = DeleteMessage {
            live_id: self.live_id.get_value(),
            message_id,
        };
        self.moderate(
            mod_events::DELETE_MESSAGE,
            serde_json::to_value(req).unwrap_or_default(),
        );
    }

    pub(super) fn restrict(self, user_id: String, seconds: Option<u64>) {
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
    pub(super) fn cooldown_left(self) -> u64 {
        let left = self.cooldown_until.get() - self.now_ms.get();
        if left > 0.0 {
            (left / 1000.0).ceil() as u64
        } else {
            0
        }
    }

    pub(super) fn retry(self, client_id: &str) {
        if let Some(o) = self.log.try_update(|l| l.retry(client_id)).flatten() {
            self.transmit(o);
        }
    }

    pub(super) fn load_older(self) {
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
                if let Some((id, seq)) = self.jump_target.get_untracked() {
                    self.jump_to(id, seq);
                    return;
                }
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

    pub(super) fn on_scroll(self) {
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

    pub(super) fn scroll_to_bottom(self) {
        let list = self.list;
        request_animation_frame(move || {
            if let Some(el) = list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
}

/// An RFC 3339 time in ms since the epoch (0 where unknown).
#[cfg(feature = "hydrate")]
fn parse_time(at: &str) -> f64 {
    let ms = js_sys::Date::parse(at);
    if ms.is_nan() {
        0.0
    } else {
        ms
    }
}

#[cfg(not(feature = "hydrate"))]
fn parse_time(_: &str) -> f64 {
    0.0
}

#[cfg(feature = "hydrate")]
pub(super) fn now() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
pub(super) fn now() -> f64 {
    0.0
}

#[cfg(feature = "hydrate")]
pub(super) fn new_client_id() -> String {
    let now = js_sys::Date::now() as u64;
    let r1 = (js_sys::Math::random() * u32::MAX as f64) as u32;
    let r2 = (js_sys::Math::random() * u32::MAX as f64) as u32;
    format!("c{now:x}-{r1:08x}{r2:08x}")
}

#[cfg(not(feature = "hydrate"))]
pub(super) fn new_client_id() -> String {
    unreachable!("messages are only sent from the browser")
}
