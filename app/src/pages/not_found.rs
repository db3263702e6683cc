use crate::text::tr;
use leptos::prelude::*;

use crate::i18n::{td_string, use_i18n};

/// Rendered for unknown paths and unknown lives, with a real 404 status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <section class="not-found">
            <h1>{tr(i18n, |l| td_string!(l, nf_title))}</h1>
            <p>{tr(i18n, |l| td_string!(l, nf_text))}</p>
            <a href="/">{tr(i18n, |l| td_string!(l, nf_home))}</a>
        </section>
    }
}
