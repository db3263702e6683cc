//! `/`: who is live, newest first, and a form to go live.

use leptos::prelude::*;

use crate::{
    api::list_lives,
    protocol::{LiveStatus, LiveTitle},
    ViewerResource,
};

#[component]
pub fn Directory() -> impl IntoView {
    let lives = Resource::new(|| (), |_| list_lives());
    let viewer = expect_context::<ViewerResource>();
    let error = super::use_form_notice();

    view! {
        <section class="directory">
            <h1>"Live now"</h1>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let logged_in = matches!(viewer.await, Ok(Some(_)));
                    let lives = lives.await;
                    view! {
                        {logged_in.then(|| view! {
                            <form method="post" action="/api/lives" class="go-live">
                                <input
                                    name="title"
                                    placeholder="Title of your live"
                                    required
                                    maxlength=LiveTitle::MAX_CHARS
                                />
                                <input
                                    name="videoUrl"
                                    type="url"
                                    placeholder="Stream URL (optional)"
                                />
                                <button type="submit">"Go live"</button>
                            </form>
                        })}
                        {match lives {
                            Err(e) => view! { <p class="error">{format!("Could not load the directory: {e}")}</p> }.into_any(),
                            Ok(lives) if lives.is_empty() => view! { <p class="empty">"Nobody is live yet."</p> }.into_any(),
                            Ok(lives) => view! {
                                <ul class="lives">
                                    {lives.into_iter().map(|l| {
                                        let live = l.status == LiveStatus::Live;
                                        view! {
                                            <li class="live-card">
                                                <a href=format!("/live/{}", l.id)>
                                                    <span class="title">{l.title}</span>
                                                    <span class="streamer">{l.streamer_nickname}</span>
                                                    <span class=if live { "badge live" } else { "badge ended" }>
                                                        {if live { "LIVE" } else { "ended" }}
                                                    </span>
                                                    <span class="viewers">{format!("{} watching", l.viewers)}</span>
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }}
                    }
                })}
            </Suspense>
        </section>
    }
}
