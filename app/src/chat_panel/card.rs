//! The user card behind a nickname: account age, messages here and badge for
//! everyone; recent messages, restriction and one-click actions for moderators;
//! ignore for viewers.

use crate::text::tr;
use leptos::{ev::KeyboardEvent, prelude::*};

use super::state::Chat;
use crate::{
    i18n::{t_string, td_string, use_i18n},
    protocol::people::UserCard,
    text,
};

#[component]
pub(super) fn UserCardView(chat: Chat, card: UserCard) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = text::hydrated();
    let me = chat.me.get_value();
    let is_me = me.as_deref() == Some(card.user_id.as_str());
    let user_id = card.user_id.clone();
    let ignoring = {
        let user_id = StoredValue::new(user_id.clone());
        move || user_id.with_value(|u| chat.ignored.with(|i| i.contains(u)))
    };
    let created = card.account_created_at.clone();
    let age = move || match created.as_deref() {
        Some(at) => {
            let day = text::relative(at, chat.now_ms.get(), i18n.get_locale(), hydrated.get());
            t_string!(i18n, card_since, day).to_string()
        }
        None => t_string!(i18n, card_age_unknown).to_owned(),
    };
    let count = card.message_count;
    // Focus moves into the card when it opens and back to where it was (the
    // name that opened it) when it closes.
    let close_button = NodeRef::<leptos::html::Button>::new();
    let opener = focus_into(close_button);
    let close = move || {
        chat.card.set(None);
        opener.with_value(restore_focus);
    };
    let title_id = "user-card-title";
    view! {
        <section class="user-card" role="dialog" aria-labelledby=title_id data-testid="user-card"
            on:keydown=move |ev: KeyboardEvent| if ev.key() == "Escape" { close(); }>
            <header>
                <h3 id=title_id>{card.nickname.clone()}
                    {card.badge.map(|b| view! { " " <span class=format!("role-badge {}", b.label())>{b.label()}</span> })}
                </h3>
                <button type="button" class="link" aria-label=tr(i18n, |l| td_string!(l, close)) data-testid="close-card" node_ref=close_button
                    on:click=move |_| close()>"✕"</button>
            </header>
            <p data-testid="card-age">{age}</p>
            <p data-testid="card-count">{move || if count == 1 {
                t_string!(i18n, card_count_one).to_owned()
            } else {
                t_string!(i18n, card_count, count).to_string()
            }}</p>
            {(!is_me && me.is_some()).then(|| {
                let user_id = user_id.clone();
                view! {
                    <button type="button" data-testid="ignore-toggle"
                        on:click=move |_| chat.set_ignored(user_id.clone(), !ignoring())>
                        {move || if ignoring() { tr(i18n, |l| td_string!(l, stop_ignoring)).into_any() } else { tr(i18n, |l| td_string!(l, ignore)).into_any() }}
                    </button>
                }
            })}
            {card.moderation.map(|m| {
                let (t_id, b_id, u_id) = (user_id.clone(), user_id.clone(), user_id.clone());
                view! {
                    <div class="card-moderation" data-testid="card-moderation">
                        <p data-testid="card-restriction">{
                            let restriction = m.restriction.clone();
                            move || match &restriction {
                                None => t_string!(i18n, not_restricted).to_owned(),
                                Some(r) => match &r.until {
                                    None => t_string!(i18n, banned).to_owned(),
                                    Some(u) => {
                                        let time = text::date_time(u, i18n.get_locale(), hydrated.get());
                                        t_string!(i18n, timed_out_until, time).to_string()
                                    }
                                },
                            }
                        }</p>
                        {m.can_act.then(|| view! {
                            <div class="row">
                                <button type="button" data-testid="card-timeout"
                                    on:click=move |_| chat.restrict(t_id.clone(), Some(600))>{tr(i18n, |l| td_string!(l, card_time_out))}</button>
                                <button type="button" class="danger" data-testid="card-ban"
                                    on:click=move |_| chat.restrict(b_id.clone(), None)>{tr(i18n, |l| td_string!(l, card_ban))}</button>
                                <button type="button" data-testid="card-unban"
                                    on:click=move |_| chat.unban(u_id.clone())>{tr(i18n, |l| td_string!(l, card_unban))}</button>
                            </div>
                        })}
                        <h4>{tr(i18n, |l| td_string!(l, recent_messages))}</h4>
                        <ol class="plain card-recent">
                            {m.recent.into_iter().map(|r| view! { <li>{r.content}</li> }).collect_view()}
                        </ol>
                    </div>
                }
            })}
        </section>
    }
}

#[cfg(feature = "hydrate")]
type Focused = Option<web_sys::HtmlElement>;
#[cfg(not(feature = "hydrate"))]
type Focused = ();

/// Remembers what has focus now, then focuses `target` once it is in the page.
fn focus_into(target: NodeRef<leptos::html::Button>) -> StoredValue<Focused, LocalStorage> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let before = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        request_animation_frame(move || {
            if let Some(b) = target.get_untracked() {
                let _ = b.focus();
            }
        });
        StoredValue::new_local(before)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = target;
        StoredValue::new_local(())
    }
}

#[cfg(feature = "hydrate")]
fn restore_focus(before: &Focused) {
    if let Some(el) = before.as_ref().filter(|e| e.is_connected()) {
        let _ = el.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn restore_focus(_: &Focused) {}
