//! Login and signup: plain forms that work before (and without) wasm.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::protocol::Nickname;

#[component]
fn CredentialsForm(
    action: &'static str,
    title: &'static str,
    submit: &'static str,
) -> impl IntoView {
    let query = use_query_map();
    let error = super::use_form_notice();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_owned());
    view! {
        <section class="auth">
            <h1>{title}</h1>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form method="post" action=action>
                <input type="hidden" name="next" value=next/>
                <label>
                    "Nickname"
                    <input
                        name="nickname"
                        autocomplete="username"
                        required
                        minlength=Nickname::MIN_CHARS
                        maxlength=Nickname::MAX_CHARS
                    />
                </label>
                <label>
                    "Password"
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
    view! {
        <CredentialsForm action="/api/auth/login" title="Log in" submit="Log in"/>
        <p class="hint">"New here? " <a href="/signup">"Create an account"</a></p>
    }
}

#[component]
pub fn Signup() -> impl IntoView {
    view! {
        <CredentialsForm action="/api/auth/signup" title="Create an account" submit="Sign up"/>
        <p class="hint">"Already have one? " <a href="/login">"Log in"</a></p>
    }
}
