#![recursion_limit = "256"]
//! The live chat's pages and components, and the wire types both ends share.

pub mod api;
pub mod chat_log;
pub mod chat_panel;
pub mod pages;
pub mod protocol;
pub mod socket_client;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, SsrMode,
};

use crate::{api::current_viewer, protocol::Viewer};

/// The document around the app; used by the server to render every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The logged-in viewer, loaded once per page and shared through context.
pub type ViewerResource = Resource<Result<Option<Viewer>, ServerFnError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let viewer: ViewerResource = Resource::new_blocking(|| (), |_| current_viewer());
    provide_context(viewer);

    view! {
        <Stylesheet id="leptos" href="/pkg/livechat.css"/>
        <Title text="Live chat"/>
        <Router>
            <Header/>
            <main>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::Directory ssr=SsrMode::Async/>
                    <Route path=path!("/live/:id") view=pages::LivePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::Login/>
                    <Route path=path!("/signup") view=pages::Signup/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"● Live"</A>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await.ok().flatten() {
                        Some(v) => view! {
                            <span class="who" data-testid="whoami">{v.nickname}</span>
                            <form method="post" action="/api/auth/logout" class="inline">
                                <button type="submit" class="link">"Log out"</button>
                            </form>
                        }.into_any(),
                        None => view! {
                            <a href="/login">"Log in"</a>
                            <a href="/signup">"Sign up"</a>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}
