//! The chat without the stream: `/live/:id/chat` (a window of its own, from
//! the live page's "pop out" button) and `/embed/:id/chat` (inside other
//! sites' iframes, framed only by `EMBED_ORIGINS`; `?overlay=1` is the
//! transparent, read-only variant for streaming software).

use crate::text::tr;
use leptos::prelude::*;
use leptos_meta::{Body, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::NotFound;
use crate::{
    api::{load_live_page, LivePageData},
    chat_panel::{ChatPanel, Surface},
    i18n::{t_string, td_string, use_i18n},
    ViewerResource,
};

#[component]
pub fn PopoutChat() -> impl IntoView {
    view! { <ChatOnly surface=Surface::Popout/> }
}

#[component]
pub fn EmbedChat() -> impl IntoView {
    let query = use_query_map();
    let overlay = query
        .read_untracked()
        .get("overlay")
        .is_some_and(|v| v == "1");
    view! { <ChatOnly surface=if overlay { Surface::Overlay } else { Surface::Embed }/> }
}

#[component]
fn ChatOnly(surface: Surface) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new(id, load_live_page);
    let viewer = expect_context::<ViewerResource>();
    let i18n = use_i18n();
    let class = match surface {
        Surface::Overlay => "chat-only overlay",
        _ => "chat-only",
    };
    view! {
        <Body {..} class=class/>
        <main id="main" class="chat-only-main">
            <Suspense fallback=move || view! { <p>{tr(i18n, |l| td_string!(l, loading))}</p> }>
                {move || Suspend::new(async move {
                    let viewer = viewer.await.ok().flatten();
                    match page.await {
                        Ok(Some(data)) => {
                            let LivePageData { live, history, has_older, last_seq, role, settings } = data;
                            let title = live.title.clone();
                            view! {
                                <Title text=move || format!("{title} · {}", t_string!(i18n, chat))/>
                                <ChatPanel live_id=live.id history has_older last_seq viewer
                                    viewers=live.viewers role settings surface/>
                            }.into_any()
                        }
                        Ok(None) => view! { <NotFound/> }.into_any(),
                        Err(_) => view! { <p class="error">{tr(i18n, |l| td_string!(l, live_load_failed))}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
