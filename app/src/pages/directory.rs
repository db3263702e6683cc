//! `/`: who is live now, then lives that recently ended (their chat can be
//! replayed), and a form to go live.

use crate::text::tr;
use leptos::prelude::*;

use crate::{
    api::list_lives,
    i18n::{t_string, td_string, use_i18n},
    protocol::{LiveStatus, LiveSummary, LiveTitle},
    text, ViewerResource,
};

#[component]
pub fn Directory() -> impl IntoView {
    let lives = Resource::new(|| (), |_| list_lives());
    let viewer = expect_context::<ViewerResource>();
    let error = super::use_form_notice();
    let i18n = use_i18n();

    view! {
        <section class="directory">
            <div role="alert">{move || error().map(|e| view! { <p class="error">{e}</p> })}</div>
            <Suspense fallback=move || view! { <p>{tr(i18n, |l| td_string!(l, loading))}</p> }>
                {move || Suspend::new(async move {
                    let logged_in = matches!(viewer.await, Ok(Some(_)));
                    let lives = lives.await;
                    view! {
                        {logged_in.then(|| view! {
                            <form method="post" action="/api/lives" class="go-live">
                                <input
                                    name="title"
                                    placeholder=tr(i18n, |l| td_string!(l, dir_title_placeholder))
                                    aria-label=tr(i18n, |l| td_string!(l, dir_title_label))
                                    required
                                    maxlength=LiveTitle::MAX_CHARS
                                />
                                <input
                                    name="videoUrl"
                                    type="url"
                                    placeholder=tr(i18n, |l| td_string!(l, dir_video_placeholder))
                                    aria-label=tr(i18n, |l| td_string!(l, dir_video_label))
                                />
                                <button type="submit">{tr(i18n, |l| td_string!(l, dir_go_live))}</button>
                            </form>
                        })}
                        {match lives {
                            Err(_) => view! { <p class="error">{tr(i18n, |l| td_string!(l, dir_load_failed))}</p> }.into_any(),
                            Ok(lives) => {
                                let (live, ended): (Vec<_>, Vec<_>) =
                                    lives.into_iter().partition(|l| l.status == LiveStatus::Live);
                                view! {
                                    <h1>{tr(i18n, |l| td_string!(l, dir_live_now))}</h1>
                                    {if live.is_empty() {
                                        view! { <p class="empty">{tr(i18n, |l| td_string!(l, dir_nobody_live))}</p> }.into_any()
                                    } else {
                                        view! { <LiveCards lives=live testid="lives-live"/> }.into_any()
                                    }}
                                    {(!ended.is_empty()).then(|| view! {
                                        <h2>{tr(i18n, |l| td_string!(l, dir_recent))}</h2>
                                        <LiveCards lives=ended testid="lives-ended"/>
                                    })}
                                }.into_any()
                            }
                        }}
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LiveCards(lives: Vec<LiveSummary>, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = text::hydrated();
    let now = RwSignal::new(0.0);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| now.set(js_sys::Date::now()));
    view! {
        <ul class="lives" data-testid=testid>
            {lives.into_iter().map(|l| {
                let live = l.status == LiveStatus::Live;
                let viewers = l.viewers;
                let (started, ended_at) = (l.created_at.clone(), l.ended_at.clone());
                let when = move || match (live, ended_at.as_deref()) {
                    (false, Some(end)) => {
                        let ago = text::relative(end, now.get(), i18n.get_locale(), hydrated.get());
                        t_string!(i18n, ended_ago, ago).to_string()
                    }
                    _ => {
                        let ago = text::relative(&started, now.get(), i18n.get_locale(), hydrated.get());
                        t_string!(i18n, started_ago, ago).to_string()
                    }
                };
                view! {
                    <li class="live-card">
                        <a href=format!("/live/{}", l.id)>
                            <span class="title">{l.title}</span>
                            <span class="streamer">{l.streamer_nickname}</span>
                            <span class=if live { "badge live" } else { "badge ended" }>
                                {if live { tr(i18n, |l| td_string!(l, badge_live)).into_any() } else { tr(i18n, |l| td_string!(l, badge_ended)).into_any() }}
                            </span>
                            {live.then(|| view! {
                                <span class="viewers">{move || t_string!(i18n, watching, count = viewers).to_string()}</span>
                            })}
                            <span class="when">{when}</span>
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
