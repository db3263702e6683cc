//! `/live/:id`: the stream and its chat.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::NotFound;
use crate::{
    api::{load_live_page, LivePageData},
    chat_panel::ChatPanel,
    protocol::LiveStatus,
    ViewerResource,
};

#[component]
pub fn LivePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new(id, load_live_page);
    let viewer = expect_context::<ViewerResource>();

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let viewer = viewer.await.ok().flatten();
                match page.await {
                    Ok(Some(data)) => view! { <LiveView data viewer/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <p class="error">{format!("Could not load this live: {e}")}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LiveView(data: LivePageData, viewer: Option<crate::protocol::Viewer>) -> impl IntoView {
    let LivePageData {
        live,
        history,
        has_older,
        last_seq,
        role,
        settings,
    } = data;
    let is_live = live.status == LiveStatus::Live;
    let notice = super::use_form_notice();
    view! {
        {move || notice().map(|e| view! { <p class="error" role="alert" data-testid="form-notice">{e}</p> })}
        <Title text=format!("{} · Live chat", live.title)/>
        <div class="live-layout">
            <section class="stream">
                {match live.video_url.clone() {
                    Some(url) => view! { <video src=url controls autoplay muted playsinline></video> }.into_any(),
                    None => view! {
                        <div class="poster" aria-label="stream poster">
                            <span>{if is_live { "Live" } else { "This live has ended" }}</span>
                        </div>
                    }.into_any(),
                }}
                <h1 class="live-title">{live.title.clone()}</h1>
                <p class="streamer">
                    <span class=if is_live { "badge live" } else { "badge ended" }>
                        {if is_live { "LIVE" } else { "ended" }}
                    </span>
                    " " {live.streamer_nickname.clone()}
                </p>
            </section>
            <ChatPanel live_id=live.id.clone() history has_older last_seq viewer viewers=live.viewers role settings/>
        </div>
    }
    .into_any()
}
