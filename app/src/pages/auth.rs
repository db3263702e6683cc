//! Login and signup: plain forms that work before (and without) wasm.

use crate::text::tr;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    i18n::{td_string, use_i18n},
    protocol::Nickname,
};

#[component]
fn CredentialsForm(action: &'static str, title: AnyView, submit: AnyView) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let error = super::use_form_notice();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    view! {
        <section class="auth">
            <h1>{title}</h1>
            <div role="alert">{move || error().map(|e| view! { <p class="error">{e}</p> })}</div>
            <form method="post" action=action>
                <input type="hidden" name="next" value=next/>
                <label>
                    {tr(i18n, |l| td_string!(l, auth_nickname))}
                    <input
                        name="nickname"
                        autocomplete="username"
                        required
                        minlength=Nickname::MIN_CHARS
                        maxlength=Nickname::MAX_CHARS
                    />
                </label>
                <label>
                    {tr(i18n, |l| td_string!(l, auth_password))}
                    <input
                        name="password"
                        type="password"
                        autocomplete=if action.ends_with("signup") { "new-password" } else { "current-password" }
                        required
                        minlength=8
                        maxlength=128
                    />
                </label>
                <button type="submit">{submit}</button>
            </form>
        </section>
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <CredentialsForm action="/api/auth/login" title=tr(i18n, |l| td_string!(l, log_in)).into_any() submit=tr(i18n, |l| td_string!(l, log_in)).into_any()/>
        <p class="hint">{tr(i18n, |l| td_string!(l, auth_new_here))}" " <a href="/signup">{tr(i18n, |l| td_string!(l, auth_create))}</a></p>
    }
}

#[component]
pub fn Signup() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <CredentialsForm action="/api/auth/signup" title=tr(i18n, |l| td_string!(l, auth_create)).into_any() submit=tr(i18n, |l| td_string!(l, sign_up)).into_any()/>
        <p class="hint">{tr(i18n, |l| td_string!(l, auth_have_one))}" " <a href="/login">{tr(i18n, |l| td_string!(l, log_in))}</a></p>
    }
}
