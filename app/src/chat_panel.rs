//! The chat panel: server-rendered history that the browser then keeps live over
//! socket.io, with pending/failed sends, catch-up after reconnects and scrollback.

mod card;
mod mentions;
mod message;
mod moderation;
mod picker;
mod state;

use leptos::{ev::KeyboardEvent, prelude::*};

use crate::{
    chat_log::{ChatLog, Delivery},
    protocol::{
        moderation::{PublicRoomSettings, RoomRole},
        rich::Fragment,
        ChatMessage, MessageContent, Viewer,
    },
    socket_client::SocketClient,
};
use card::UserCardView;
use message::{Fragments, MessageLine};
use moderation::ModerationPanel;
use picker::EmotePicker;
use state::{new_socket_slot, now, Chat, Conn};

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
    /// The newest seq `history` accounts for (deleted ones included).
    last_seq: u64,
    viewer: Option<Viewer>,
    viewers: u64,
    role: RoomRole,
    settings: PublicRoomSettings,
) -> impl IntoView {
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
            {move || chat.card.get().map(|card| view! { <UserCardView chat card/> })}
            {move || chat.current_pin().map(|p| view! {
                <section class="pinned" data-testid="pinned" aria-label="Pinned message">
                    <span class="pin-mark" aria-hidden="true">"📌"</span>
                    <span class="nick">{p.nickname}</span>": "
                    <span class="text"><Fragments fragments=if p.fragments.is_empty() {
                        vec![Fragment::Text { text: p.content }]
                    } else {
                        p.fragments
                    } me=None/></span>
                    <span class="pinned-by">" · pinned by "{p.pinned_by}</span>
                    <Show when=move || chat.role.get().moderates()>
                        <button type="button" class="link" data-testid="unpin" on:click=move |_| chat.unpin()>"Unpin"</button>
                    </Show>
                </section>
            })}
            <ol class="messages" data-testid="messages" node_ref=chat.list on:scroll=move |_| chat.on_scroll()>
                <Show when=move || chat.log.with(|l| l.has_older)>
                    <li class="older">
                        <button type="button" class="link" on:click=move |_| chat.load_older()>
                            {move || if chat.loading_older.get() { "Loading…" } else { "Load older messages" }}
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
                        let shown = Signal::derive(move || clock(&at, in_browser.get()));
                        let (id, user_id, privileged) = (m.id.clone(), m.user_id.clone(), m.badge.is_some());
                        view! {
                            <MessageLine chat m clock=shown can_reply>
                                <MessageActions chat id user_id privileged/>
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
                        {move || chat.replying.get().map(|r| view! {
                            <div class="replying" data-testid="replying">
                                <span>"Replying to "<strong>"@"{r.nickname}</strong>": "<span class="excerpt">{r.excerpt}</span></span>
                                <button type="button" class="link" aria-label="Cancel reply"
                                    on:click=move |_| chat.replying.set(None)>"✕"</button>
                            </div>
                        })}
                        <textarea
                            node_ref=input
                            data-testid="chat-input"
                            rows="2"
                            placeholder="Send a message"
                            aria-label="Chat message"
                            prop:value=move || draft.get()
                            aria-autocomplete="list"
                            aria-controls="mention-list"
                            aria-expanded=move || (!offered.with(Vec::is_empty)).to_string()
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
                                if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                    ev.prevent_default();
                                    submit();
                                }
                            }
                        ></textarea>
                        <Show when=move || !offered.with(Vec::is_empty)>
                            <ul class="mention-list" id="mention-list" role="listbox" aria-label="Mention someone" data-testid="mention-list">
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
        let pin_id = id.clone();
        (moderates || own).then(|| {
            let restrictable = moderates && !own && !privileged;
            let (ban_user, timeout_user) = (user_id.clone(), user_id);
            view! {
                <span class="actions">
                    <button type="button" class="link" title="Delete message" data-testid="delete-message"
                        on:click=move |_| chat.delete(id.clone())>"delete"</button>
                    {moderates.then(|| view! {
                        <select class="pin" data-testid="pin-select" aria-label="Pin message"
                            on:change=move |ev| {
                                match event_target_value(&ev).as_str() {
                                    "" => {}
                                    "forever" => chat.pin_message(pin_id.clone(), None),
                                    secs => if let Ok(secs) = secs.parse::<u64>() {
                                        chat.pin_message(pin_id.clone(), Some(secs));
                                    },
                                }
                            }>
                            <option value="" selected>"pin…"</option>
                            <option value="30">"30 s"</option>
                            <option value="120">"2 min"</option>
                            <option value="600">"10 min"</option>
                            <option value="1800">"30 min"</option>
                            <option value="forever">"until unpinned"</option>
                        </select>
                    })}
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
