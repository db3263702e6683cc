//! The chat panel: server-rendered history that the browser then keeps live over
//! socket.io, with pending/failed sends, catch-up after reconnects and scrollback.

mod announcer;
mod card;
mod mentions;
mod message;
mod moderation;
mod navigation;
mod picker;
mod state;

use crate::text::tr;
use leptos::{ev::KeyboardEvent, prelude::*};

use crate::{
    chat_log::{ChatLog, Delivery},
    i18n::{t_string, td_string, use_i18n},
    protocol::{
        moderation::{PublicRoomSettings, RoomRole},
        rich::Fragment,
        ChatMessage, MessageContent, Viewer,
    },
    socket_client::SocketClient,
    text,
};
use announcer::{Announcer, AnnouncerView};
use card::UserCardView;
pub use message::Fragments;
use message::MessageLine;
use moderation::ModerationPanel;
use picker::EmotePicker;
use state::{new_socket_slot, now, Chat, Conn};

/// Where the panel is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Surface {
    /// Beside the stream on its page.
    #[default]
    Page,
    /// Alone in its own window (`/live/:id/chat`).
    Popout,
    /// In another site's iframe (`/embed/:id/chat`): guests are sent to the
    /// popout to log in, as the iframe rarely gets this site's cookies.
    Embed,
    /// Read-only and transparent, for streaming software (`?overlay=1`).
    Overlay,
}

#[component]
pub fn ChatPanel(
    live_id: String,
    history: Vec<ChatMessage>,
    has_older: bool,
    /// The newest seq `history` accounts for (deleted ones included).
    last_seq: u64,
    viewer: Option<Viewer>,
    viewers: u64,
    role: RoomRole,
    settings: PublicRoomSettings,
    #[prop(optional)] surface: Surface,
) -> impl IntoView {
    let i18n = use_i18n();
    let draft = RwSignal::new(String::new());
    let chat = Chat {
        live_id: StoredValue::new(live_id.clone()),
        log: RwSignal::new(ChatLog::new(history, has_older, last_seq)),
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
        announcer: Announcer::new(),
        current: RwSignal::new(None),
        notice: RwSignal::new(None),
        replying: RwSignal::new(None),
        jump_target: RwSignal::new(None),
        flashed: RwSignal::new(None),
        pin: RwSignal::new(None),
        emotes: RwSignal::new(Vec::new()),
        ignored: RwSignal::new(Vec::new()),
        card: RwSignal::new(None),
        first_timers: RwSignal::new(Vec::new()),
    };
    let input = NodeRef::<leptos::html::Textarea>::new();
    // `@` completion: the offered names, the highlighted one, and where the
    // `@` being completed starts.
    let offered = RwSignal::new(Vec::<String>::new());
    let active = RwSignal::new(0usize);
    let mention_at = RwSignal::new(None::<(usize, usize)>);
    let suggest = move || {
        let text = draft.get_untracked();
        let caret = caret_of(input).unwrap_or(text.len()).min(text.len());
        let found = text
            .get(..caret)
            .and_then(mentions::typing_mention)
            .map(|(at, prefix)| (at, prefix.to_owned()));
        match found {
            Some((at, prefix)) => {
                let names = chat.log.with_untracked(|l| {
                    chat.me
                        .with_value(|me| mentions::candidates(l.messages(), me.as_deref(), &prefix))
                });
                mention_at.set((!names.is_empty()).then_some((at, caret)));
                active.set(0);
                offered.set(names);
            }
            None => {
                mention_at.set(None);
                offered.set(Vec::new());
            }
        }
    };
    let accept = move |i: usize| {
        let (Some((at, caret)), Some(name)) = (
            mention_at.get_untracked(),
            offered.with_untracked(|o| o.get(i).cloned()),
        ) else {
            return;
        };
        let (text, new_caret) = mentions::complete(&draft.get_untracked(), at, caret, &name);
        draft.set(text);
        mention_at.set(None);
        offered.set(Vec::new());
        set_caret(input, new_caret);
    };
    let insert = Callback::new(move |text: String| {
        draft.update(|d| {
            if !d.is_empty() && !d.ends_with(char::is_whitespace) {
                d.push(' ');
            }
            d.push_str(&text);
            d.push(' ');
        });
    });
    let can_reply = viewer.is_some();
    let show_moderation = RwSignal::new(false);
    let in_browser = RwSignal::new(false);
    let input_error = RwSignal::new(None::<crate::protocol::WireError>);

    // Runs in the browser only, once, after hydration.
    Effect::new(move |_| {
        in_browser.set(true);
        chat.now_ms.set(now());
        chat.announcer.load();
        if let Ok(tick) = set_interval_with_handle(
            move || {
                chat.now_ms.set(now());
                chat.announcer.tick();
            },
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

    let conn_state = move || match chat.conn.get() {
        Conn::Connecting => "connecting",
        Conn::Connected => "connected",
        Conn::Reconnecting => "reconnecting",
    };
    let popout_href = format!("/live/{live_id}/chat");
    let login_href = match surface {
        Surface::Page => format!("/login?next=/live/{live_id}"),
        _ => format!("/login?next={popout_href}"),
    };
    let overlay = surface == Surface::Overlay;
    // An overlay is read-only, whoever opens it.
    let viewer = viewer.filter(|_| !overlay);
    let hydrated = in_browser;
    // Near the limit the counter is read out, once per threshold crossed.
    let left =
        move || MessageContent::MAX_CHARS as i64 - draft.with(|d| d.trim().chars().count()) as i64;
    let left_said = Memo::new(move |_| {
        let l = left();
        [50, 20, 10, 0]
            .into_iter()
            .find(|t| l <= *t)
            .map(|t| if l < 0 { -1 } else { t })
    });
    // Said when a threshold is crossed, not on every key.
    let limit_text = move || {
        left_said.get().map(|bucket| {
            let count = draft.with_untracked(|d| {
                MessageContent::MAX_CHARS as i64 - d.trim().chars().count() as i64
            });
            if bucket < 0 {
                t_string!(i18n, err_too_long, max = MessageContent::MAX_CHARS).to_string()
            } else {
                t_string!(i18n, chars_left, count).to_string()
            }
        })
    };

    view! {
        <aside class="chat" class:overlay=overlay class:alone=surface != Surface::Page
            data-testid="chat" data-surface=format!("{surface:?}").to_lowercase() aria-labelledby="chat-title">
            <header class="chat-head">
                <h2 id="chat-title">{tr(i18n, |l| td_string!(l, chat))}</h2>
                <span class="viewers" data-testid="viewer-count">
                    {move || t_string!(i18n, watching, count = chat.viewers.get()).to_string()}
                </span>
                <span class="conn" data-testid="connection" data-state=conn_state>
                    {move || match chat.conn.get() {
                        Conn::Connecting => tr(i18n, |l| td_string!(l, conn_connecting)).into_any(),
                        Conn::Connected => tr(i18n, |l| td_string!(l, conn_connected)).into_any(),
                        Conn::Reconnecting => tr(i18n, |l| td_string!(l, conn_reconnecting)).into_any(),
                    }}
                </span>
                {(surface == Surface::Page).then(|| view! {
                    <a class="popout" href=popout_href.clone() target="_blank" data-testid="popout"
                        on:click=move |ev| open_popout(ev, &format!("/live/{}/chat", chat.live_id.get_value()))>
                        {tr(i18n, |l| td_string!(l, live_pop_out))}
                    </a>
                })}
                <Show when=move || !overlay && chat.role.get().moderates()>
                    <button
                        type="button"
                        class="link"
                        data-testid="moderation-toggle"
                        aria-expanded=move || show_moderation.get().to_string()
                        on:click=move |_| show_moderation.update(|v| *v = !*v)
                    >
                        {tr(i18n, |l| td_string!(l, moderation))}
                    </button>
                </Show>
            </header>
            {move || (show_moderation.get() && chat.role.get().moderates()).then(|| view! { <ModerationPanel chat/> })}
            {move || chat.card.get().map(|card| view! { <UserCardView chat card/> })}
            {move || chat.current_pin().map(|p| view! {
                <section class="pinned" data-testid="pinned" aria-label=tr(i18n, |l| td_string!(l, pinned))>
                    <span class="pin-mark" aria-hidden="true">"📌"</span>
                    <span class="nick">{p.nickname}</span>": "
                    <span class="text"><Fragments fragments=if p.fragments.is_empty() {
                        vec![Fragment::Text { text: p.content }]
                    } else {
                        p.fragments
                    } me=None/></span>
                    <span class="pinned-by">" · "{
                        let name = p.pinned_by.clone();
                        move || t_string!(i18n, pinned_by, name = name.clone()).to_string()
                    }</span>
                    <Show when=move || chat.role.get().moderates()>
                        <button type="button" class="link" data-testid="unpin" on:click=move |_| chat.unpin()>{tr(i18n, |l| td_string!(l, unpin))}</button>
                    </Show>
                </section>
            })}
            // The log is one tab stop; arrows move between messages inside it.
            // Its own announcements are off: the announcer below says each new
            // message once, as the viewer chose.
            <div class="messages" data-testid="messages" role="log" aria-live="off" tabindex="0"
                aria-label=tr(i18n, |l| td_string!(l, chat_messages))
                node_ref=chat.list on:scroll=move |_| chat.on_scroll()
                on:keydown=move |ev| navigation::on_key(ev, chat.list)>
            <ol class="message-list">
                <Show when=move || chat.log.with(|l| l.has_older)>
                    <li class="older">
                        <button type="button" class="link" on:click=move |_| chat.load_older()>
                            {move || if chat.loading_older.get() { tr(i18n, |l| td_string!(l, loading)).into_any() } else { tr(i18n, |l| td_string!(l, load_older)).into_any() }}
                        </button>
                    </li>
                </Show>
                <For
                    each=move || {
                        let ignored = chat.ignored.get();
                        chat.log.with(|l| l.messages().iter().filter(|m| !ignored.contains(&m.user_id)).cloned().collect::<Vec<_>>())
                    }
                    // A reply's snapshot changes when its parent is deleted.
                    key=|m| (m.seq, m.reply_to.as_ref().is_some_and(|r| r.deleted))
                    let:m
                >
                    {
                        let at = m.created_at.clone();
                        let shown = Signal::derive(move || text::clock(&at, i18n.get_locale(), hydrated.get()));
                        let (id, user_id, privileged, seq) = (m.id.clone(), m.user_id.clone(), m.badge.is_some(), m.seq);
                        view! {
                            <MessageLine chat m clock=shown can_reply>
                                <MessageActions chat id user_id privileged seq/>
                            </MessageLine>
                        }
                    }
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
                                    <span class="status">" "{tr(i18n, |l| td_string!(l, sending))}</span>
                                </li>
                            }.into_any(),
                            Delivery::Failed { error, retryable } => {
                                let dismiss_id = client_id.clone();
                                let reason = text::error_signal(i18n, error);
                                view! {
                                    <li class="msg failed" data-testid="failed">
                                        <span class="text">{o.content}</span>
                                        <span class="status" role="status">" "{move || t_string!(i18n, not_sent, reason = reason()).to_string()}</span>
                                        {retryable.then(|| view! {
                                            <button type="button" class="link" on:click=move |_| chat.retry(&client_id)>{tr(i18n, |l| td_string!(l, retry))}</button>
                                        })}
                                        <button type="button" class="link" on:click=move |_| chat.log.update(|l| l.dismiss(&dismiss_id))>{tr(i18n, |l| td_string!(l, dismiss))}</button>
                                    </li>
                                }.into_any()
                            }
                        }
                    }
                </For>
            </ol>
            </div>
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
                    {move || text::new_messages(i18n.get_locale(), chat.unseen.get() as u64)}
                </button>
            </Show>
            {(!overlay).then(|| view! { <AnnouncerView announcer=chat.announcer/> })}
            {match viewer {
                Some(_) => view! {
                    <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                        {move || chat.replying.get().map(|r| view! {
                            <div class="replying" data-testid="replying">
                                <span>{tr(i18n, |l| td_string!(l, replying_to))}" "<strong>"@"{r.nickname}</strong>": "<span class="excerpt">{r.excerpt}</span></span>
                                <button type="button" class="link" aria-label=tr(i18n, |l| td_string!(l, cancel_reply))
                                    on:click=move |_| chat.replying.set(None)>"✕"</button>
                            </div>
                        })}
                        <textarea
                            node_ref=input
                            data-testid="chat-input"
                            rows="2"
                            placeholder=tr(i18n, |l| td_string!(l, send_placeholder))
                            aria-label=tr(i18n, |l| td_string!(l, message_label))
                            aria-describedby="chat-limit"
                            prop:value=move || draft.get()
                            aria-autocomplete="list"
                            aria-controls=move || (!offered.with(Vec::is_empty)).then_some("mention-list")
                            aria-activedescendant=move || (!offered.with(Vec::is_empty)).then(|| format!("mention-{}", active.get()))
                            on:input=move |ev| {
                                draft.set(event_target_value(&ev));
                                input_error.set(None);
                                suggest();
                            }
                            on:keydown=move |ev: KeyboardEvent| {
                                let n = offered.with_untracked(Vec::len);
                                if n > 0 && !ev.is_composing() {
                                    match ev.key().as_str() {
                                        "ArrowDown" => { ev.prevent_default(); active.update(|a| *a = (*a + 1) % n); return; }
                                        "ArrowUp" => { ev.prevent_default(); active.update(|a| *a = (*a + n - 1) % n); return; }
                                        "Tab" | "Enter" => { ev.prevent_default(); accept(active.get_untracked()); return; }
                                        "Escape" => { ev.prevent_default(); offered.set(Vec::new()); mention_at.set(None); return; }
                                        _ => {}
                                    }
                                }
                                if ev.key() == "Escape" && chat.replying.get_untracked().is_some() {
                                    ev.prevent_default();
                                    chat.replying.set(None);
                                    return;
                                }
                                if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                    ev.prevent_default();
                                    submit();
                                }
                            }
                        ></textarea>
                        <Show when=move || !offered.with(Vec::is_empty)>
                            <ul class="mention-list" id="mention-list" role="listbox"
                                aria-label=tr(i18n, |l| td_string!(l, mention_someone)) data-testid="mention-list">
                                {move || offered.get().into_iter().enumerate().map(|(i, name)| view! {
                                    <li role="option" id=format!("mention-{i}") aria-selected=move || (active.get() == i).to_string()
                                        class:active=move || active.get() == i
                                        on:mousedown=move |ev| { ev.prevent_default(); accept(i); }>
                                        "@"{name}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </Show>
                        <div class="composer-row">
                            <EmotePicker emotes=chat.emotes on_pick=insert input/>
                            <span
                                class="counter"
                                data-testid="char-counter"
                                aria-hidden="true"
                                class:over=move || left() < 0
                            >
                                {move || format!("{}/{}", draft.with(|d| d.trim().chars().count()), MessageContent::MAX_CHARS)}
                            </span>
                            <span id="chat-limit" class="visually-hidden" aria-live="polite" data-testid="chars-left">
                                {limit_text}
                            </span>
                            <button type="submit" data-testid="send">{tr(i18n, |l| td_string!(l, send))}</button>
                        </div>
                        <div role="status" class="status-line">
                            {move || input_error.get().map(|e| {
                                let said = text::error_signal(i18n, e);
                                view! { <p class="error" data-testid="input-error">{said}</p> }
                            })}
                            {move || chat.notice.get().map(|e| {
                                let said = text::error_signal(i18n, e);
                                view! { <p class="error" data-testid="notice">{said}</p> }
                            })}
                        </div>
                        {move || {
                            let slow = chat.settings.with(|s| s.slow_mode_secs);
                            let left = chat.cooldown_left();
                            (slow > 0 || left > 0).then(|| view! {
                                <p class="mode" data-testid="slow-mode">
                                    {(slow > 0).then(|| t_string!(i18n, slow_mode_on, secs = slow).to_string())}
                                    {(left > 0).then(|| format!(" · {}", t_string!(i18n, wait_secs, secs = left)))}
                                </p>
                            })
                        }}
                    </form>
                }.into_any(),
                None if overlay => ().into_any(),
                None if surface == Surface::Embed => view! {
                    <p class="guest" data-testid="login-to-chat">
                        <span class="read-only">{tr(i18n, |l| td_string!(l, read_only))}" · "</span>
                        <a href=login_href target="_blank" data-testid="popout-login"
                            on:click=move |ev| open_popout(ev, &format!("/login?next=/live/{}/chat", chat.live_id.get_value()))>
                            {tr(i18n, |l| td_string!(l, open_popout_to_chat))}
                        </a>
                    </p>
                }.into_any(),
                None => view! {
                    <p class="guest" data-testid="login-to-chat">
                        <a href=login_href>{tr(i18n, |l| td_string!(l, log_in_to_chat))}</a>
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
fn MessageActions(
    chat: Chat,
    id: String,
    user_id: String,
    privileged: bool,
    seq: u64,
) -> impl IntoView {
    let i18n = use_i18n();
    let tab = chat.tab_stop(seq);
    let own = chat
        .me
        .with_value(|me| me.as_deref() == Some(user_id.as_str()));
    move || {
        let moderates = chat.role.get().moderates();
        let (id, user_id) = (id.clone(), user_id.clone());
        let pin_id = id.clone();
        (moderates || own).then(|| {
            let restrictable = moderates && !own && !privileged;
            let (ban_user, timeout_user) = (user_id.clone(), user_id);
            view! {
                <span class="actions">
                    <button type="button" class="link" tabindex=tab title=tr(i18n, |l| td_string!(l, delete_message)) data-testid="delete-message"
                        on:click=move |_| chat.delete(id.clone())>{tr(i18n, |l| td_string!(l, delete))}</button>
                    {moderates.then(|| view! {
                        <select class="pin" tabindex=tab data-testid="pin-select" aria-label=tr(i18n, |l| td_string!(l, pin_message))
                            on:change=move |ev| {
                                match event_target_value(&ev).as_str() {
                                    "" => {}
                                    "forever" => chat.pin_message(pin_id.clone(), None),
                                    secs => if let Ok(secs) = secs.parse::<u64>() {
                                        chat.pin_message(pin_id.clone(), Some(secs));
                                    },
                                }
                            }>
                            <option value="" selected>{tr(i18n, |l| td_string!(l, pin_choose))}</option>
                            <option value="30">{tr(i18n, |l| td_string!(l, secs_30))}</option>
                            <option value="120">{tr(i18n, |l| td_string!(l, mins_2))}</option>
                            <option value="600">{tr(i18n, |l| td_string!(l, mins_10))}</option>
                            <option value="1800">{tr(i18n, |l| td_string!(l, mins_30))}</option>
                            <option value="forever">{tr(i18n, |l| td_string!(l, until_unpinned))}</option>
                        </select>
                    })}
                    {restrictable.then(|| view! {
                        <select class="timeout" tabindex=tab data-testid="timeout-select" aria-label=tr(i18n, |l| td_string!(l, time_out))
                            on:change=move |ev| {
                                if let Ok(secs) = event_target_value(&ev).parse::<u64>() {
                                    chat.restrict(timeout_user.clone(), Some(secs));
                                }
                            }>
                            <option value="" selected>{tr(i18n, |l| td_string!(l, timeout_choose))}</option>
                            <option value="60">{tr(i18n, |l| td_string!(l, mins_1))}</option>
                            <option value="600">{tr(i18n, |l| td_string!(l, mins_10))}</option>
                            <option value="3600">{tr(i18n, |l| td_string!(l, hour_1))}</option>
                            <option value="86400">{tr(i18n, |l| td_string!(l, hours_24))}</option>
                        </select>
                        <button type="button" class="link danger" tabindex=tab data-testid="ban-user"
                            on:click=move |_| chat.restrict(ban_user.clone(), None)>{tr(i18n, |l| td_string!(l, ban))}</button>
                    })}
                </span>
            }
        })
    }
}

/// Opens the chat in a small window of its own (a new tab where windows are
/// not allowed, as the link's `target` says).
#[cfg(feature = "hydrate")]
fn open_popout(ev: leptos::ev::MouseEvent, href: &str) {
    let Some(w) = web_sys::window() else { return };
    if let Ok(Some(_)) =
        w.open_with_url_and_target_and_features(href, "_blank", "popup,width=420,height=720")
    {
        ev.prevent_default();
    }
}

#[cfg(not(feature = "hydrate"))]
fn open_popout(_: leptos::ev::MouseEvent, _: &str) {}

/// Where the caret is in the message box (a byte offset into its text).
#[cfg(feature = "hydrate")]
fn caret_of(input: NodeRef<leptos::html::Textarea>) -> Option<usize> {
    let el = input.get_untracked()?;
    // The DOM counts UTF-16 units; the text is Rust's UTF-8.
    let units = el.selection_start().ok().flatten()? as usize;
    let text = el.value();
    let mut seen = 0;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return Some(i);
        }
        seen += c.len_utf16();
    }
    Some(text.len())
}

#[cfg(not(feature = "hydrate"))]
fn caret_of(_: NodeRef<leptos::html::Textarea>) -> Option<usize> {
    None
}

/// Puts the caret at a byte offset of the message box's text, once the new
/// text is in it.
#[cfg(feature = "hydrate")]
fn set_caret(input: NodeRef<leptos::html::Textarea>, at: usize) {
    request_animation_frame(move || {
        if let Some(el) = input.get_untracked() {
            let text = el.value();
            let units = text.get(..at).map_or(0, |t| t.encode_utf16().count()) as u32;
            let _ = el.set_selection_range(units, units);
            let _ = el.focus();
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn set_caret(_: NodeRef<leptos::html::Textarea>, _: usize) {}
