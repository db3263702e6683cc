//! The user card behind a nickname: account age, messages here and badge for
//! everyone; recent messages, restriction and one-click actions for moderators;
//! ignore for viewers.

use leptos::{ev::KeyboardEvent, prelude::*};

use super::state::Chat;
use crate::protocol::people::UserCard;

#[component]
pub(super) fn UserCardView(chat: Chat, card: UserCard) -> impl IntoView {
    let me = chat.me.get_value();
    let is_me = me.as_deref() == Some(card.user_id.as_str());
    let user_id = card.user_id.clone();
    let ignoring = {
        let user_id = StoredValue::new(user_id.clone());
        move || user_id.with_value(|u| chat.ignored.with(|i| i.contains(u)))
    };
    let age = card
        .account_created_at
        .as_deref()
        .and_then(|at| at.get(..10))
        .map(|day| format!("Account since {day}"))
        .unwrap_or_else(|| "Account age unknown".into());
    let close = move || chat.card.set(None);
    let title_id = "user-card-title";
    view! {
        <section class="user-card" role="dialog" aria-labelledby=title_id data-testid="user-card"
            on:keydown=move |ev: KeyboardEvent| if ev.key() == "Escape" { close(); }>
            <header>
                <h3 id=title_id>{card.nickname.clone()}
                    {card.badge.map(|b| view! { " " <span class=format!("role-badge {}", b.label())>{b.label()}</span> })}
                </h3>
                <button type="button" class="link" aria-label="Close" data-testid="close-card" autofocus
                    on:click=move |_| close()>"✕"</button>
            </header>
            <p data-testid="card-age">{age}</p>
            <p data-testid="card-count">{format!("{} messages in this chat", card.message_count)}</p>
            {(!is_me && me.is_some()).then(|| {
                let user_id = user_id.clone();
                view! {
                    <button type="button" data-testid="ignore-toggle"
                        on:click=move |_| chat.set_ignored(user_id.clone(), !ignoring())>
                        {move || if ignoring() { "Stop ignoring" } else { "Ignore" }}
                    </button>
                }
            })}
            {card.moderation.map(|m| {
                let (t_id, b_id, u_id) = (user_id.clone(), user_id.clone(), user_id.clone());
                view! {
                    <div class="card-moderation" data-testid="card-moderation">
                        <p data-testid="card-restriction">{match &m.restriction {
                            None => "Not restricted".to_owned(),
                            Some(r) => match &r.until {
                                None => "Banned".to_owned(),
                                Some(u) => format!("Timed out until {} UTC", u.get(11..19).unwrap_or("")),
                            },
                        }}</p>
                        {m.can_act.then(|| view! {
                            <div class="row">
                                <button type="button" data-testid="card-timeout"
                                    on:click=move |_| chat.restrict(t_id.clone(), Some(600))>"Time out 10 min"</button>
                                <button type="button" class="danger" data-testid="card-ban"
                                    on:click=move |_| chat.restrict(b_id.clone(), None)>"Ban"</button>
                                <button type="button" data-testid="card-unban"
                                    on:click=move |_| chat.unban(u_id.clone())>"Unban"</button>
                            </div>
                        })}
                        <h4>"Recent messages"</h4>
                        <ol class="plain card-recent">
                            {m.recent.into_iter().map(|r| view! { <li>{r.content}</li> }).collect_view()}
                        </ol>
                    </div>
                }
            })}
        </section>
    }
}
