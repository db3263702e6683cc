//! Signup, login, logout (here or everywhere) and password changes. Browser forms
//! get a cookie and a redirect; JSON clients get the cookie and a JSON body.
//!
//! Guessing is bounded three ways: attempts per client address (IPv6 by /64),
//! failures per account with a doubling wait, and argon2 work at once (503 with
//! `Retry-After` when saturated). Unknown nicknames cost a real verification too,
//! so timing does not tell which accounts exist.

use app::protocol::{notice::FormNotice, Nickname, Password, Viewer};
use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};

use super::safe_next;
use crate::{
    auth::Identity, error::ApiError, extract::FormOrJson, socket::user_room, state::AppState,
    store::StoreError,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/logout-all", post(logout_all))
        .route("/api/auth/password", post(change_password))
        .route("/api/me", get(me))
}

#[derive(Deserialize)]
struct Credentials {
    nickname: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    user_id: String,
    nickname: String,
    token: String,
}

/// Login and signup attempts are limited per client address (password guessing,
/// account farming).
async fn check_attempts(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<(), ApiError> {
    let Some(ip) = crate::guard::client_ip(headers, Some(peer), state.config.trusted_proxy_hops)
    else {
        return Ok(());
    };
    state.limits.login(ip).await.map_err(|wait| {
        ApiError::rate_limited(
            format!("too many attempts; try again in {} s", wait.as_secs() + 1),
            wait,
        )
    })
}

/// The signed-in caller, or 401.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    state
        .auth
        .identify(headers)
        .await?
        .ok_or_else(|| ApiError::unauthorized("not logged in"))
}

async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    input: FormOrJson<Credentials>,
) -> Response {
    let from_form = input.from_form;
    let next = safe_next(input.value.next.as_deref());
    let result = async {
        check_attempts(&state, &headers, peer).await?;
        let nickname = Nickname::parse(&input.value.nickname)
            .map_err(|e| ApiError::from(e).with_notice(FormNotice::InvalidNickname))?;
        let password = Password::parse(&input.value.password)
            .map_err(|e| ApiError::from(e).with_notice(FormNotice::InvalidPassword))?;
        let hash = state.passwords.hash(password.expose().to_owned()).await?;
        let user = match state.chat.stores().users.create(&nickname, hash).await {
            Ok(u) => u,
            Err(StoreError::Duplicate(_)) => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    app::protocol::ErrorCode::Invalid,
                    "that nickname is taken",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        Ok((user.token_version, user.identity()))
    }
    .await;
    finish(
        &state,
        result,
        from_form,
        "/signup",
        &next,
        StatusCode::CREATED,
    )
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    input: FormOrJson<Credentials>,
) -> Response {
    let from_form = input.from_form;
    let next = safe_next(input.value.next.as_deref());
    let result = async {
        check_attempts(&state, &headers, peer).await?;
        let wrong = || {
            ApiError::unauthorized("wrong nickname or password")
                .with_notice(FormNotice::WrongCredentials)
        };
        let nickname = Nickname::parse(&input.value.nickname).map_err(|_| wrong())?;
        let account = nickname.key();
        let failures = &state.limits.login_failures;
        failures.check(&account).map_err(|wait| {
            ApiError::rate_limited(
                format!(
                    "too many failed logins for this account; try again in {} s",
                    wait.as_secs() + 1
                ),
                wait,
            )
        })?;
        let user = state
            .chat
            .stores()
            .users
            .find_by_nickname(&nickname)
            .await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !state
            .passwords
            .verify(input.value.password.clone(), hash)
            .await?
        {
            failures.failed(&account);
            return Err(wrong());
        }
        failures.succeeded(&account);
        let user = user.expect("a verified password has an account");
        Ok((user.token_version, user.identity()))
    }
    .await;
    finish(&state, result, from_form, "/login", &next, StatusCode::OK)
}

/// Sets the session cookie and answers the way the client asked.
fn finish(
    state: &AppState,
    result: Result<(u32, Identity), ApiError>,
    from_form: bool,
    form_page: &str,
    next: &str,
    ok_status: StatusCode,
) -> Response {
    match result {
        Ok((token_version, identity)) => {
            let token = state.auth.keys.issue(&identity, token_version);
            let cookie = session_cookie(state, &token);
            let mut response = if from_form {
                Redirect::to(next).into_response()
            } else {
                (
                    ok_status,
                    Json(Session {
                        user_id: identity.user_id,
                        nickname: identity.nickname,
                        token,
                    }),
                )
                    .into_response()
            };
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(e) if from_form => Redirect::to(&format!(
            "{form_page}?error={}&next={}",
            e.form_notice().code(),
            super::query_escape(next)
        ))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

fn cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        state.auth.cookie_name()
    ))
    .expect("JWTs are header-safe")
}

fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookie(state, token, state.auth.keys.ttl().as_secs())
}

fn signed_out(state: &AppState, headers: &HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let mut response = if wants_json {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Redirect::to("/").into_response()
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(state, "", 0));
    response
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    signed_out(&state, &headers)
}

/// Revokes every token of the account (this one too) and closes its sockets.
async fn logout_all(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let who = caller(&state, &headers).await?;
        let revoked = state
            .chat
            .stores()
            .users
            .revoke_tokens(&who.user_id)
            .await?;
        if revoked.is_none() {
            return Err(ApiError::forbidden(
                "this account is managed by another issuer",
            ));
        }
        let _ = state
            .io
            .disconnect_everywhere(user_room(&who.user_id))
            .await;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => signed_out(&state, &headers),
        Err(e) => e.into_response(),
    }
}

/// A new password revokes every earlier token; the answer carries a fresh one.
/// Guessing the current password here is throttled like logging in: a stolen
/// session must not become a password oracle.
async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(input): Json<PasswordChange>,
) -> Response {
    let result = async {
        check_attempts(&state, &headers, peer).await?;
        let who = caller(&state, &headers).await?;
        let users = &state.chat.stores().users;
        let user = users
            .find_by_id(&who.user_id)
            .await?
            .ok_or_else(|| ApiError::forbidden("this account is managed by another issuer"))?;
        let account = user.nickname_key.clone();
        let failures = &state.limits.login_failures;
        failures
            .check(&account)
            .map_err(|wait| ApiError::rate_limited("too many wrong passwords; wait", wait))?;
        if !state
            .passwords
            .verify(input.current_password, Some(user.password_hash.clone()))
            .await?
        {
            failures.failed(&account);
            return Err(ApiError::unauthorized("the current password is wrong"));
        }
        failures.succeeded(&account);
        let new = Password::parse(&input.new_password)?;
        let hash = state.passwords.hash(new.expose().to_owned()).await?;
        let version = users
            .set_password(&who.user_id, hash)
            .await?
            .ok_or_else(|| ApiError::not_found("no such account"))?;
        let _ = state
            .io
            .disconnect_everywhere(user_room(&who.user_id))
            .await;
        Ok((version, user.identity()))
    }
    .await;
    finish(&state, result, false, "", "/", StatusCode::OK)
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Viewer>, ApiError> {
    let who = caller(&state, &headers).await?;
    Ok(Json(Viewer {
        user_id: who.user_id,
        nickname: who.nickname,
    }))
}
