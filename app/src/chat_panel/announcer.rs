//! What a screen reader hears: one polite live region that says "nickname:
//! text" for messages arriving live (never history, counters or timers), set by
//! the viewer to all messages, mentions of them only, or off (kept in
//! localStorage). Busy rooms are read at most once per tick, newest lines
//! only, so the reader is never buried.

use crate::text::tr;
use leptos::prelude::*;

use crate::{
    i18n::{td_string, use_i18n},
    protocol::ChatMessage,
};

/// Lines read in one go at most; older ones in the same tick are skipped.
const LINES_PER_TICK: usize = 3;
const STORAGE_KEY: &str = "livechat.announce";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnounceMode {
    All,
    Mentions,
    Off,
}

impl AnnounceMode {
    const ALL: [AnnounceMode; 3] = [AnnounceMode::All, AnnounceMode::Mentions, AnnounceMode::Off];

    fn as_str(self) -> &'static str {
        match self {
            AnnounceMode::All => "all",
            AnnounceMode::Mentions => "mentions",
            AnnounceMode::Off => "off",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Clone, Copy)]
pub struct Announcer {
    mode: RwSignal<AnnounceMode>,
    pending: StoredValue<Vec<String>>,
    spoken: RwSignal<String>,
}

impl Announcer {
    pub fn new() -> Self {
        Self {
            mode: RwSignal::new(AnnounceMode::All),
            pending: StoredValue::new(Vec::new()),
            spoken: RwSignal::new(String::new()),
        }
    }

    /// Reads the viewer's choice (browser only).
    pub fn load(self) {
        if let Some(m) = stored().as_deref().and_then(AnnounceMode::parse) {
            self.mode.set(m);
        }
    }

    /// Queues what a live batch should say: others' messages, all or only
    /// those mentioning the viewer.
    pub fn hear(self, batch: &[ChatMessage], me: Option<&str>, ignored: &[String]) {
        let mode = self.mode.get_untracked();
        if mode == AnnounceMode::Off {
            return;
        }
        let lines = batch.iter().filter(|m| {
            me != Some(m.user_id.as_str())
                && !ignored.contains(&m.user_id)
                && (mode == AnnounceMode::All || me.is_some_and(|me| m.mentions_user(me)))
        });
        self.pending.update_value(|p| {
            p.extend(lines.map(|m| {
                let sep = if m.action { " " } else { ": " };
                format!("{}{sep}{}", m.nickname, m.content)
            }));
            let excess = p.len().saturating_sub(LINES_PER_TICK);
            p.drain(..excess);
        });
    }

    /// Says what was queued since the last tick.
    pub fn tick(self) {
        let lines = self
            .pending
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        if !lines.is_empty() {
            self.spoken.set(lines.join("\n"));
        }
    }
}

/// The live region and the viewer's choice of what it says.
#[component]
pub fn AnnouncerView(announcer: Announcer) -> impl IntoView {
    let i18n = use_i18n();
    let mode = announcer.mode;
    view! {
        <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcer">
            {move || announcer.spoken.get()}
        </div>
        <label class="announce">
            {tr(i18n, |l| td_string!(l, announce))}" "
            <select data-testid="announce-mode" on:change=move |ev| {
                if let Some(m) = AnnounceMode::parse(&event_target_value(&ev)) {
                    mode.set(m);
                    store(m.as_str());
                }
            }>
                {AnnounceMode::ALL.into_iter().map(|m| view! {
                    <option value=m.as_str() selected=move || mode.get() == m>
                        {move || match m {
                            AnnounceMode::All => tr(i18n, |l| td_string!(l, announce_all)).into_any(),
                            AnnounceMode::Mentions => tr(i18n, |l| td_string!(l, announce_mentions)).into_any(),
                            AnnounceMode::Off => tr(i18n, |l| td_string!(l, announce_off)).into_any(),
                        }}
                    </option>
                }).collect_view()}
            </select>
        </label>
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(feature = "hydrate")]
fn stored() -> Option<String> {
    storage()?.get_item(STORAGE_KEY).ok().flatten()
}

#[cfg(feature = "hydrate")]
fn store(v: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, v);
    }
}

#[cfg(not(feature = "hydrate"))]
fn stored() -> Option<String> {
    let _ = STORAGE_KEY;
    None
}

#[cfg(not(feature = "hydrate"))]
fn store(_: &str) {}
