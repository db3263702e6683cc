//! `/live/:id`: the stream and its chat.

use crate::text::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::NotFound;
use crate::{
    api::{load_live_page, LivePageData},
    chat_panel::ChatPanel,
    i18n::{t_string, td_string, use_i18n},
    protocol::LiveStatus,
    replay::Replay,
    ViewerResource,
};

#[component]
pub fn LivePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = Resource::new(id, load_live_page);
    let viewer = expect_context::<ViewerResource>();
    let i18n = use_i18n();

    view! {
        <Suspense fallback=move || view! { <p>{tr(i18n, |l| td_string!(l, loading))}</p> }>
            {move || Suspend::new(async move {
                let viewer = viewer.await.ok().flatten();
                match page.await {
                    Ok(Some(data)) if data.live.status == LiveStatus::Ended => view! {
                        <Title text={
                            let title = data.live.title.clone();
                            move || format!("{title} · {}", t_string!(i18n, site_title))
                        }/>
                        <Replay live=data.live/>
                    }.into_any(),
                    Ok(Some(data)) => view! { <LiveView data viewer/> }.into_any(),
                    Ok(None) => view! { <NotFound/> }.into_any(),
                    Err(_) => view! { <p class="error">{tr(i18n, |l| td_string!(l, live_load_failed))}</p> }.into_any(),
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
    let i18n = use_i18n();
    let is_live = live.status == LiveStatus::Live;
    let notice = super::use_form_notice();
    view! {
        <div role="alert">{move || notice().map(|e| view! { <p class="error" data-testid="form-notice">{e}</p> })}</div>
        <Title text={
            let title = live.title.clone();
            move || format!("{title} · {}", t_string!(i18n, site_title))
        }/>
        <div class="live-layout">
            <section class="stream">
                {match live.video_url.clone() {
                    Some(url) => view! { <video src=url controls autoplay muted playsinline></video> }.into_any(),
                    None => view! {
                        <div class="poster" role="img" aria-label=tr(i18n, |l| td_string!(l, live_poster))>
                            <span>{if is_live { tr(i18n, |l| td_string!(l, live_on_air)).into_any() } else { tr(i18n, |l| td_string!(l, live_has_ended)).into_any() }}</span>
                        </div>
                    }.into_any(),
                }}
                <h1 class="live-title">{live.title.clone()}</h1>
                <p class="streamer">
                    <span class=if is_live { "badge live" } else { "badge ended" }>
                        {if is_live { tr(i18n, |l| td_string!(l, badge_live)).into_any() } else { tr(i18n, |l| td_string!(l, badge_ended)).into_any() }}
                    </span>
                    " " {live.streamer_nickname.clone()}
                </p>
            </section>
            <ChatPanel live_id=live.id.clone() history has_older last_seq viewer viewers=live.viewers role settings/>
        </div>
    }
    .into_any()
}
