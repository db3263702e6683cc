//! One chat line: the answered message's snapshot, the sender, the text's
//! fragments (mentions, links, emotes) and the line's actions. Only structured
//! fragments from the server are rendered; no text is ever parsed or treated
//! as HTML here.

use leptos::prelude::*;

use super::state::Chat;
use crate::protocol::{
    rich::{Fragment, ReplyTo},
    ChatMessage,
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
pub fn ReplyRef(chat: Chat, reply: ReplyTo) -> impl IntoView {
    let (id, seq) = (reply.id.clone(), reply.seq);
    let label = if reply.deleted {
        "Reply to a deleted message".to_owned()
    } else {
        format!("Reply to {}: {}", reply.nickname, reply.excerpt)
    };
    view! {
        <button type="button" class="reply-ref" data-testid="reply-ref" data-parent-id=reply.id.clone()
            aria-label=label disabled=reply.deleted
            on:click=move |_| chat.jump_to(id.clone(), seq)>
            <span aria-hidden="true">"↪ "</span>
            {if reply.deleted {
                view! { <em>"deleted message"</em> }.into_any()
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
    let me = chat.me.get_value();
    let mentioned = me.as_deref().is_some_and(|me| m.mentions_user(me));
    let fragments = m.pieces().into_owned();
    let reply = m.reply_to.clone();
    let id = m.id.clone();
    let flashed = move || chat.flashed.with(|f| f.as_deref() == Some(id.as_str()));
    let action = m.action;
    let for_reply = m.clone();
    let first_id = m.id.clone();
    let first_time = move || chat.first_timers.with(|f| f.contains(&first_id));
    view! {
        <li class="msg" class:action=action class:mentioned=mentioned class:flash=flashed
            data-seq=m.seq data-id=m.id.clone() data-user-id=m.user_id.clone() tabindex="-1">
            {reply.map(|r| view! { <ReplyRef chat reply=r/> })}
            {mentioned.then(|| view! {
                <span class="mention-mark" aria-hidden="true">"@"</span>
                <span class="visually-hidden">"Mentions you: "</span>
            })}
            <time datetime=m.created_at.clone()>{clock}</time>
            <Show when=first_time>
                " " <span class="first-time" data-testid="first-time" title="First message in this chat">"first message"</span>
            </Show>
            " "
            {m.badge.map(|b| view! { <span class=format!("role-badge {}", b.label())>{b.label()}</span> " " })}
            {
                let user_id = m.user_id.clone();
                view! {
                    <button type="button" class="nick" data-testid="nick"
                        aria-label=format!("{}: show profile", m.nickname)
                        on:click=move |_| chat.open_card(user_id.clone())>{m.nickname.clone()}</button>
                }
            }
            {if action { " " } else { ": " }}
            <span class="text"><Fragments fragments me/></span>
            {can_reply.then(|| view! {
                <button type="button" class="link reply" data-testid="reply-button"
                    aria-label=format!("Reply to {}", m.nickname)
                    on:click=move |_| chat.reply_to(&for_reply)>"reply"</button>
            })}
            {children()}
        </li>
    }
}
