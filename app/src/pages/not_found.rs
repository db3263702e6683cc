use leptos::prelude::*;

/// Rendered for unknown paths and unknown lives, with a real 404 status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="not-found">
            <h1>"Not found"</h1>
            <p>"There is nothing here. It may have been an old link."</p>
            <a href="/">"See who is live"</a>
        </section>
    }
}
