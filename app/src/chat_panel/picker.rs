//! The emote picker: the room's custom emotes and Unicode emoji, searchable,
//! with the viewer's recent picks first; usable with the keyboard alone (arrows
//! move, Enter picks, Esc closes and returns to the message box).

use crate::i18n::{td_string, use_i18n};
use crate::text::tr;
use leptos::{ev::KeyboardEvent, html, prelude::*};

use crate::protocol::rich::Emote;

/// Emoji offered, with the words a search matches (English and Korean).
const EMOJI: &[(&str, &str)] = &[
    ("😀", "grin smile happy 웃음"),
    ("😂", "joy laugh tears lol 웃김"),
    ("🤣", "rofl laugh rolling"),
    ("😊", "blush smile happy 미소"),
    ("😍", "love heart eyes 사랑"),
    ("🥰", "love hearts smile"),
    ("😎", "cool sunglasses"),
    ("🤔", "thinking hmm 생각"),
    ("😮", "wow surprised open mouth 놀람"),
    ("😱", "scream shock 충격"),
    ("😭", "cry sob sad 슬픔 눈물"),
    ("😢", "sad tear cry"),
    ("😡", "angry mad rage 화남"),
    ("🥺", "pleading please puppy 부탁"),
    ("😴", "sleep tired zzz 졸림"),
    ("🤯", "mind blown exploding"),
    ("🥳", "party celebrate 축하"),
    ("😇", "innocent angel halo"),
    ("🙃", "upside down silly"),
    ("😏", "smirk"),
    ("😬", "grimace awkward"),
    ("🤗", "hug hugging"),
    ("🤫", "shush quiet secret"),
    ("🤡", "clown"),
    ("💀", "skull dead lol"),
    ("👻", "ghost"),
    ("👀", "eyes look watching 봄"),
    ("👍", "thumbs up yes like good 좋아요"),
    ("👎", "thumbs down no dislike"),
    ("👏", "clap applause 박수"),
    ("🙌", "raised hands hooray"),
    ("🙏", "pray please thanks 감사"),
    ("💪", "muscle strong flex 힘"),
    ("👋", "wave hello hi bye 안녕"),
    ("🤝", "handshake deal"),
    ("✌️", "peace victory"),
    ("👌", "ok perfect"),
    ("🫡", "salute"),
    ("❤️", "heart love red 하트"),
    ("💜", "purple heart"),
    ("💙", "blue heart"),
    ("💚", "green heart"),
    ("💛", "yellow heart"),
    ("🖤", "black heart"),
    ("💔", "broken heart"),
    ("🔥", "fire hot lit 불"),
    ("✨", "sparkles shiny"),
    ("⭐", "star"),
    ("🎉", "tada party celebrate confetti 축하"),
    ("🎊", "confetti ball"),
    ("🎁", "gift present 선물"),
    ("🏆", "trophy win 우승"),
    ("🥇", "gold medal first"),
    ("💯", "hundred perfect 100"),
    ("✅", "check yes done"),
    ("❌", "cross no wrong"),
    ("❓", "question"),
    ("❗", "exclamation"),
    ("⚡", "lightning zap"),
    ("💥", "boom collision"),
    ("🚀", "rocket launch"),
    ("🎮", "game controller gaming 게임"),
    ("🎵", "music note 음악"),
    ("🎤", "microphone sing 노래"),
    ("📢", "loudspeaker announce"),
    ("⏰", "alarm clock time"),
    ("🍕", "pizza food"),
    ("🍔", "burger food"),
    ("🍗", "chicken 치킨"),
    ("🍜", "ramen noodles 라면"),
    ("🍺", "beer cheers 맥주"),
    ("☕", "coffee 커피"),
    ("🐶", "dog puppy 강아지"),
    ("🐱", "cat kitty 고양이"),
    ("🐸", "frog"),
    ("🐧", "penguin"),
    ("🦄", "unicorn"),
    ("🌈", "rainbow"),
    ("☀️", "sun sunny"),
    ("🌙", "moon night"),
    ("🇰🇷", "korea flag 한국"),
    ("ㅋㅋ", "kk lol laugh korean 웃음"),
];

const COLUMNS: i32 = 8;
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const RECENT_KEY: &str = "livechat.recentEmotes";
const RECENT_MAX: usize = 16;

/// One thing the picker offers: a Unicode emoji, or a room emote by code.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pick {
    Emoji(String),
    Room(Emote),
}

impl Pick {
    /// What goes into the message box.
    fn text(&self) -> String {
        match self {
            Pick::Emoji(e) => e.clone(),
            Pick::Room(e) => format!(":{}:", e.code),
        }
    }
}

#[component]
pub(super) fn EmotePicker(
    emotes: RwSignal<Vec<Emote>>,
    /// Called with the text to insert.
    on_pick: Callback<String>,
    /// Where focus returns on close.
    input: NodeRef<html::Textarea>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let recent = RwSignal::new(Vec::<String>::new());
    let grid = NodeRef::<html::Div>::new();
    let search = NodeRef::<html::Input>::new();

    let close = move || {
        open.set(false);
        query.set(String::new());
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };
    let pick = move |p: Pick| {
        let text = p.text();
        recent.update(|r| {
            r.retain(|x| x != &text);
            r.insert(0, text.clone());
            r.truncate(RECENT_MAX);
        });
        save_recent(&recent.get_untracked());
        on_pick.run(text);
        close();
    };
    let items = move || {
        // ASCII case only: Unicode case tables would cost the wasm more than
        // emoji names and codes need.
        let q = query.get().trim().to_ascii_lowercase();
        let room = emotes.get();
        let mut out: Vec<(Pick, String)> = Vec::new();
        if q.is_empty() {
            for r in recent.get() {
                let p = match r.strip_prefix(':').and_then(|c| c.strip_suffix(':')) {
                    Some(code) => match room.iter().find(|e| e.code == code) {
                        Some(e) => Pick::Room(e.clone()),
                        None => continue,
                    },
                    None => Pick::Emoji(r.clone()),
                };
                out.push((p, format!("recent {r}")));
            }
        }
        for e in &room {
            if q.is_empty() || e.code.to_ascii_lowercase().contains(&q) {
                out.push((Pick::Room(e.clone()), format!(":{}:", e.code)));
            }
        }
        for (emoji, words) in EMOJI {
            if q.is_empty() || words.contains(q.as_str()) {
                let name = words.split(' ').next().unwrap_or(words);
                out.push((Pick::Emoji((*emoji).to_owned()), name.to_owned()));
            }
        }
        out
    };
    // Arrow keys move between the grid's buttons.
    let on_grid_key = move |ev: KeyboardEvent| {
        let step = match ev.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            "ArrowDown" => COLUMNS,
            "ArrowUp" => -COLUMNS,
            "Escape" => {
                ev.prevent_default();
                close();
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        move_focus(grid, search, step);
    };

    let i18n = use_i18n();
    view! {
        <div class="picker-wrap">
            <button type="button" class="picker-toggle" data-testid="emote-picker-toggle"
                aria-label=tr(i18n, |l| td_string!(l, picker_open)) aria-haspopup="dialog" aria-expanded=move || open.get().to_string()
                on:click=move |_| {
                    if open.get_untracked() {
                        close();
                    } else {
                        recent.set(load_recent());
                        open.set(true);
                        request_animation_frame(move || {
                            if let Some(s) = search.get_untracked() { let _ = s.focus(); }
                        });
                    }
                }>"😀"</button>
            <Show when=move || open.get()>
                <div class="picker" role="dialog" aria-label=tr(i18n, |l| td_string!(l, picker)) data-testid="emote-picker"
                    on:keydown=on_grid_key>
                    <input type="search" node_ref=search data-testid="emote-search" placeholder=tr(i18n, |l| td_string!(l, picker_search))
                        aria-label=tr(i18n, |l| td_string!(l, picker_search))
                        prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev))
                        on:keydown=move |ev: KeyboardEvent| {
                            if ev.key() == "Enter" {
                                // Enter in the search picks the first match.
                                ev.prevent_default();
                                if let Some((p, _)) = items().into_iter().next() { pick(p); }
                            }
                        }/>
                    <div class="picker-grid" node_ref=grid role="group" aria-label=tr(i18n, |l| td_string!(l, picker_emotes))>
                        {move || items().into_iter().map(|(p, label)| {
                            let shown = match &p {
                                Pick::Emoji(e) => e.clone().into_any(),
                                Pick::Room(e) => view! {
                                    <img src=e.url() alt="" width="28" height="28"/>
                                }.into_any(),
                            };
                            let testid = match &p { Pick::Room(_) => "room-emote", Pick::Emoji(_) => "emoji" };
                            view! {
                                <button type="button" class="pick" data-testid=testid aria-label=label.clone() title=label
                                    on:click=move |_| pick(p.clone())>{shown}</button>
                            }
                        }).collect_view()}
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// Moves focus `step` buttons along the grid (from the search box: into it).
#[cfg(feature = "hydrate")]
fn move_focus(grid: NodeRef<html::Div>, search: NodeRef<html::Input>, step: i32) {
    use leptos::{wasm_bindgen::JsCast, web_sys::HtmlElement};
    let Some(grid) = grid.get_untracked() else {
        return;
    };
    let Ok(buttons) = grid.query_selector_all("button") else {
        return;
    };
    let n = buttons.length() as i32;
    let active = document().active_element();
    let at = (0..n)
        .find(|i| {
            buttons
                .item(*i as u32)
                .is_some_and(|b| active.as_ref().is_some_and(|a| a.is_same_node(Some(&b))))
        })
        .unwrap_or(-1);
    if at < 0 && step < 0 {
        if let Some(s) = search.get_untracked() {
            let _ = s.focus();
        }
        return;
    }
    let next = (at + step).clamp(0, n - 1);
    if let Some(b) = buttons
        .item(next as u32)
        .and_then(|b| b.dyn_into::<HtmlElement>().ok())
    {
        let _ = b.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn move_focus(_: NodeRef<html::Div>, _: NodeRef<html::Input>, _: i32) {}

#[cfg(feature = "hydrate")]
fn storage() -> Option<leptos::web_sys::Storage> {
    window().local_storage().ok().flatten()
}

#[cfg(feature = "hydrate")]
fn load_recent() -> Vec<String> {
    storage()
        .and_then(|s| s.get_item(RECENT_KEY).ok().flatten())
        .and_then(|raw| serde_json::from_str::<Vec<String>>(&raw).ok())
        .map(|mut v| {
            v.truncate(RECENT_MAX);
            v
        })
        .unwrap_or_default()
}

#[cfg(feature = "hydrate")]
fn save_recent(recent: &[String]) {
    if let (Some(s), Ok(raw)) = (storage(), serde_json::to_string(recent)) {
        let _ = s.set_item(RECENT_KEY, &raw);
    }
}

#[cfg(not(feature = "hydrate"))]
fn load_recent() -> Vec<String> {
    Vec::new()
}

#[cfg(not(feature = "hydrate"))]
fn save_recent(_: &[String]) {}
