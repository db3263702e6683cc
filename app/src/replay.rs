//! An ended live: its recording with the chat as it happened, or, without a
//! recording, the chat as a transcript. Messages are fetched a page at a time
//! by their time since the live started (`load_replay`), never all at once.

use crate::text::tr;
use leptos::{html, prelude::*};

use crate::{
    api::load_replay,
    chat_panel::Fragments,
    i18n::{td_string, use_i18n},
    protocol::{ChatMessage, LiveSummary, ReplayPage},
    text,
};

/// Fetch the next page when the buffer holds less than this much ahead.
const AHEAD_MS: f64 = 30_000.0;
/// After a seek, the chat shows what was said this long before the new time.
const BEHIND_MS: u64 = 60_000;
/// Lines kept on screen while a recording plays.
const SHOWN_MAX: usize = 200;

/// ms since the epoch of an RFC 3339 time (0 when unknown or on the server).
fn epoch_ms(at: &str) -> f64 {
    #[cfg(feature = "hydrate")]
    {
        let ms = js_sys::Date::parse(at);
        if !ms.is_nan() {
            return ms;
        }
    }
    let _ = at;
    0.0
}

/// "m:ss" (or "h:mm:ss") into the recording.
pub fn offset_label(ms: f64) -> String {
    let s = (ms.max(0.0) / 1000.0) as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The messages loaded so far, in time order, and whether more follow.
#[derive(Clone, Default)]
struct Buffer {
    /// The time (since the start) the buffer begins at: nothing said between
    /// it and the first message is missing.
    from_ms: u64,
    messages: Vec<ChatMessage>,
    has_more: bool,
}

impl Buffer {
    fn extend(&mut self, page: ReplayPage) {
        for m in page.messages {
            if !self.messages.iter().any(|h| h.id == m.id) {
                self.messages.push(m);
            }
        }
        self.has_more = page.has_more;
    }
}

#[component]
pub fn Replay(live: LiveSummary) -> impl IntoView {
    match live.video_url.clone() {
        Some(url) => view! { <VideoReplay live url/> }.into_any(),
        None => view! { <Transcript live/> }.into_any(),
    }
}

/// The recording and, beside it, the chat up to the recording's current time.
#[component]
fn VideoReplay(live: LiveSummary, url: String) -> impl IntoView {
    let i18n = use_i18n();
    let video = NodeRef::<html::Video>::new();
    let started = StoredValue::new(live.created_at.clone());
    let offset =
        move |m: &ChatMessage| epoch_ms(&m.created_at) - started.with_value(|s| epoch_ms(s));
    let buffer = RwSignal::new(Buffer::default());
    let now_ms = RwSignal::new(0.0f64);
    let loading = RwSignal::new(false);
    // Which fetch is current: a seek makes older answers stale.
    let generation = StoredValue::new(0u32);
    let live_id = StoredValue::new(live.id.clone());

    // A time starts over (a seek); a seq goes on from the buffer's end.
    let fetch = move |from_ms: u64, after_seq: Option<u64>| {
        let reset = after_seq.is_none();
        generation.update_value(|g| *g += u32::from(reset));
        let asked = generation.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let page = load_replay(live_id.get_value(), from_ms, after_seq).await;
            if generation.get_value() != asked {
                return;
            }
            loading.set(false);
            if let Ok(page) = page {
                buffer.update(|b| {
                    if reset {
                        *b = Buffer {
                            from_ms,
                            ..Buffer::default()
                        };
                    }
                    b.extend(page);
                });
            }
        });
    };
    // Keeps enough of the chat ahead of the recording.
    let top_up = move || {
        if loading.get_untracked() {
            return;
        }
        let (ahead, more, last_seq) = buffer.with_untracked(|b| {
            let last = b.messages.last();
            (
                last.map_or(0.0, |l| offset(l) - now_ms.get_untracked()),
                b.has_more,
                last.map(|m| m.seq),
            )
        });
        if let (true, true, Some(seq)) = (more, ahead < AHEAD_MS, last_seq) {
            fetch(0, Some(seq));
        }
    };
    let on_time = move || {
        if let Some(v) = video.get_untracked() {
            now_ms.set(v.current_time() * 1000.0);
        }
        top_up();
    };
    let on_seek = move || {
        let Some(v) = video.get_untracked() else {
            return;
        };
        let t = v.current_time() * 1000.0;
        now_ms.set(t);
        // Inside what is loaded: nothing to fetch; else start over around `t`.
        let held = buffer.with_untracked(|b| {
            let last = b.messages.last().map(offset).unwrap_or(0.0);
            b.from_ms as f64 <= (t - BEHIND_MS as f64).max(0.0) && (t <= last || !b.has_more)
        });
        if !held {
            fetch((t as u64).saturating_sub(BEHIND_MS), None);
        }
    };
    Effect::new(move |_| fetch(0, None));

    let shown = move || {
        let t = now_ms.get();
        buffer.with(|b| {
            let upto = b.messages.partition_point(|m| offset(m) <= t);
            b.messages[upto.saturating_sub(SHOWN_MAX)..upto].to_vec()
        })
    };
    let list = NodeRef::<html::Div>::new();
    // The newest line stays in view as the recording plays.
    Effect::new(move |_| {
        let _ = shown();
        request_animation_frame(move || {
            if let Some(el) = list.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });

    view! {
        <div class="live-layout replay">
            <section class="stream">
                <video src=url controls playsinline node_ref=video data-testid="replay-video"
                    on:timeupdate=move |_| on_time() on:seeked=move |_| on_seek()></video>
                <EndedTitle live=&live/>
            </section>
            <aside class="chat" aria-labelledby="replay-title" data-testid="replay">
                <header class="chat-head">
                    <h2 id="replay-title">{tr(i18n, |l| td_string!(l, live_replay))}</h2>
                </header>
                <div class="messages" role="log" tabindex="0" node_ref=list data-testid="replay-messages"
                    aria-label=tr(i18n, |l| td_string!(l, chat_messages))>
                    <ol class="message-list">
                        <For each=shown key=|m| m.id.clone() let:m>
                            {
                                let at = offset(&m);
                                view! {
                                    <li class="msg" data-seq=m.seq>
                                        <button type="button" class="link stamp" data-testid="seek"
                                            on:click=move |_| if let Some(v) = video.get_untracked() { v.set_current_time(at / 1000.0); }>
                                            {offset_label(at)}
                                        </button>
                                        " " <span class="nick">{m.nickname.clone()}</span>
                                        {if m.action { " " } else { ": " }}
                                        <span class="text"><Fragments fragments=m.pieces().into_owned() me=None/></span>
                                    </li>
                                }
                            }
                        </For>
                    </ol>
                </div>
            </aside>
        </div>
    }
}

/// The title, an "ended" badge and the streamer, under the recording or poster.
#[component]
fn EndedTitle<'a>(live: &'a LiveSummary) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h1 class="live-title">{live.title.clone()}</h1>
        <p class="streamer">
            <span class="badge ended">{tr(i18n, |l| td_string!(l, badge_ended))}</span>" "{live.streamer_nickname.clone()}
        </p>
    }
}

/// An ended live without a recording: its chat, page by page, with times.
#[component]
fn Transcript(live: LiveSummary) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = text::hydrated();
    let id = live.id.clone();
    let first = Resource::new(move || id.clone(), |id| load_replay(id, 0, None));
    let more = RwSignal::new(Buffer::default());
    let started = live.created_at.clone();
    let live_id = StoredValue::new(live.id.clone());
    let load_more = move |after_seq: u64| {
        leptos::task::spawn_local(async move {
            if let Ok(page) = load_replay(live_id.get_value(), 0, Some(after_seq)).await {
                more.update(|b| b.extend(page));
            }
        });
    };
    view! {
        <div class="live-layout replay">
            <section class="stream">
                <div class="poster" role="img" aria-label=tr(i18n, |l| td_string!(l, live_poster))>
                    <span>{tr(i18n, |l| td_string!(l, live_has_ended))}</span>
                </div>
                <EndedTitle live=&live/>
            </section>
            <aside class="chat transcript" aria-labelledby="transcript-title" data-testid="transcript">
                <header class="chat-head">
                    <h2 id="transcript-title">{tr(i18n, |l| td_string!(l, live_transcript))}</h2>
                </header>
                <div class="messages" tabindex="0" aria-labelledby="transcript-title">
                    <Suspense fallback=move || view! { <p>{tr(i18n, |l| td_string!(l, loading))}</p> }>
                        {move || Suspend::new({
                            let started = started.clone();
                            async move {
                                let page = first.await.unwrap_or(ReplayPage { messages: Vec::new(), has_more: false });
                                let start_ms = StoredValue::new(started);
                                let line = move |m: ChatMessage| {
                                    let (at, at_clock) = (m.created_at.clone(), m.created_at.clone());
                                    let offset = epoch_ms(&m.created_at) - start_ms.with_value(|s| epoch_ms(s));
                                    view! {
                                        <li class="msg" data-seq=m.seq>
                                            <time datetime=m.created_at.clone()
                                                title=move || text::date_time(&at, i18n.get_locale(), hydrated.get())>
                                                {move || if hydrated.get() { offset_label(offset) } else { text::clock(&at_clock, i18n.get_locale(), false) }}
                                            </time>
                                            " " <span class="nick">{m.nickname.clone()}</span>
                                            {if m.action { " " } else { ": " }}
                                            <span class="text"><Fragments fragments=m.pieces().into_owned() me=None/></span>
                                        </li>
                                    }
                                };
                                let first_has_more = page.has_more;
                                let first_messages = page.messages.clone();
                                let first_last = page.messages.last().map(|m| m.seq);
                                view! {
                                    <ol class="message-list" data-testid="transcript-messages">
                                        {first_messages.into_iter().map(line).collect_view()}
                                        {move || more.with(|b| b.messages.clone()).into_iter().map(line).collect_view()}
                                    </ol>
                                    <Show when=move || more.with(|b| if b.messages.is_empty() { first_has_more } else { b.has_more })>
                                        <button type="button" class="link" data-testid="transcript-more" on:click=move |_| {
                                            let last = more.with_untracked(|b| b.messages.last().map(|m| m.seq)).or(first_last);
                                            load_more(last.unwrap_or(0));
                                        }>{tr(i18n, |l| td_string!(l, load_more))}</button>
                                    </Show>
                                }
                            }
                        })}
                    </Suspense>
                </div>
            </aside>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::offset_label;

    #[test]
    fn offsets_read_as_a_player_shows_them() {
        assert_eq!(offset_label(0.0), "0:00");
        assert_eq!(offset_label(61_500.0), "1:01");
        assert_eq!(offset_label(3_723_000.0), "1:02:03");
        assert_eq!(offset_label(-5.0), "0:00");
    }
}
