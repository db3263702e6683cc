//! One chat line: the answered message's snapshot, the sender, the text's
//! fragments (mentions, links, emotes) and the line's actions. Only structured
//! fragments from the server are rendered; no text is ever parsed or treated
//! as HTML here.

use crate::text::tr;
use leptos::prelude::*;

use super::state::Chat;
use crate::{
    i18n::{t_string, td_string, use_i18n},
    protocol::{
        rich::{Fragment, ReplyTo},
        ChatMessage,
    },
};

/// What every link in a message carries: a new tab, no opener, no referrer, and
/// no endorsement by this site.
pub const LINK_REL: &str = "noopener noreferrer nofollow ugc";

/// The text's pieces as inline elements.
#[component]
pub fn Fragments(fragments: Vec<Fragment>, me: Option<String>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|f| match f {
            Fragment::Text { text } => text.into_any(),
            Fragment::Mention { text, user_id } => {
                let mine = me.as_deref() == Some(user_id.as_str());
                view! { <span class="mention" class:me=mine data-user-id=user_id>{text}</span> }
                    .into_any()
            }
            Fragment::Link { text, url } => view! {
                <a href=url target="_blank" rel=LINK_REL data-testid="message-link">{text}</a>
            }
            .into_any(),
            Fragment::Emote { text, code, id } => view! {
                <img class="emote" src=format!("/emotes/{id}") alt=text title=format!(":{code}:")
                    loading="lazy" decoding="async" data-testid="emote"/>
            }
            .into_any(),
        })
        .collect_view()
}

/// The snapshot of the message a reply answers; activating it jumps there.
#[component]
pub fn ReplyRef(
    chat: Chat,
    reply: ReplyTo,
    tab: impl Fn() -> &'static str + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let (id, seq) = (reply.id.clone(), reply.seq);
    let label = {
        let reply = reply.clone();
        move || {
            if reply.deleted {
                t_string!(i18n, reply_to_deleted).to_owned()
            } else {
                t_string!(
                    i18n,
                    reply_ref,
                    name = reply.nickname.clone(),
                    excerpt = reply.excerpt.clone()
                )
                .to_string()
            }
        }
    };
    view! {
        <button type="button" class="reply-ref" data-testid="reply-ref" data-parent-id=reply.id.clone()
            aria-label=label disabled=reply.deleted tabindex=tab
            on:click=move |_| chat.jump_to(id.clone(), seq)>
            <span aria-hidden="true">"↪ "</span>
            {if reply.deleted {
                view! { <em>{tr(i18n, |l| td_string!(l, deleted_message))}</em> }.into_any()
            } else {
                view! { <span class="reply-nick">"@"{reply.nickname}</span> " " <span class="excerpt">{reply.excerpt}</span> }.into_any()
            }}
        </button>
    }
}

#[component]
pub fn MessageLine(
    chat: Chat,
    m: ChatMessage,
    /// The message's time as shown (changes once the page runs in the browser).
    clock: Signal<String>,
    can_reply: bool,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let seq = m.seq;
    let tab = chat.tab_stop(seq);
    let me = chat.me.get_value();
    let mentioned = me.as_deref().is_some_and(|me| m.mentions_user(me));
    let fragments = m.pieces().into_owned();
    let reply = m.reply_to.clone();
    let id = m.id.clone();
    let flashed = move || chat.flashed.with(|f| f.as_deref() == Some(id.as_str()));
    let action = m.action;
    let for_reply = m.clone();
    let reply_name = m.nickname.clone();
    let first_id = m.id.clone();
    let first_time = move || chat.first_timers.with(|f| f.contains(&first_id));
    view! {
        <li class="msg" class:action=action class:mentioned=mentioned class:flash=flashed
            data-seq=m.seq data-id=m.id.clone() data-user-id=m.user_id.clone() tabindex="-1"
            on:focusin=move |_| chat.current.set(Some(seq))>
            {reply.map(|r| view! { <ReplyRef chat reply=r tab/> })}
            {mentioned.then(|| view! {
                <span class="mention-mark" aria-hidden="true">"@"</span>
                <span class="visually-hidden">{tr(i18n, |l| td_string!(l, mentions_you))}" "</span>
            })}
            <time datetime=m.created_at.clone()>{clock}</time>
            <Show when=first_time>
                " " <span class="first-time" data-testid="first-time"
                    title=tr(i18n, |l| td_string!(l, first_message_title))>{tr(i18n, |l| td_string!(l, first_message))}</span>
            </Show>
            " "
            {m.badge.map(|b| view! { <span class=format!("role-badge {}", b.label())>{b.label()}</span> " " })}
            {
                let user_id = m.user_id.clone();
                let name = m.nickname.clone();
                view! {
                    <button type="button" class="nick" data-testid="nick" tabindex=tab
                        aria-label=move || t_string!(i18n, show_profile, name = name.clone()).to_string()
                        on:click=move |_| chat.open_card(user_id.clone())>{m.nickname.clone()}</button>
                }
            }
            {if action { " " } else { ": " }}
            <span class="text"><Fragments fragments me/></span>
            {can_reply.then(|| view! {
                <button type="button" class="link reply" data-testid="reply-button" tabindex=tab
                    aria-label=move || t_string!(i18n, reply_to, name = reply_name.clone()).to_string()
                    on:click=move |_| chat.reply_to(&for_reply)>{tr(i18n, |l| td_string!(l, reply))}</button>
            })}
            {children()}
        </li>
    }
}
