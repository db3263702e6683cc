//! Signup, login and logout. Browser forms get a cookie and a redirect; JSON
//! clients get the cookie and a JSON body with the token.

use app::protocol::{Nickname, Password, Viewer};
use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};

use super::{query_escape, safe_next};
use crate::{
    auth::{hash_password, verify_password, Identity, COOKIE_NAME},
    error::ApiError,
    extract::FormOrJson,
    state::AppState,
    store::StoreError,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/me", get(me))
}

#[derive(Deserialize)]
struct Credentials {
    nickname: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    user_id: String,
    nickname: String,
    token: String,
}

/// Login and signup attempts are limited per client IP (password guessing,
/// account farming).
fn check_attempts(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Result<(), ApiError> {
    let Some(ip) = crate::guard::client_ip(headers, Some(peer), state.config.trust_proxy) else {
        return Ok(());
    };
    state.limits.logins.check(&ip.to_string()).map_err(|wait| {
        ApiError::rate_limited(
            format!("too many attempts; try again in {} s", wait.as_secs() + 1),
            wait,
        )
    })
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
        check_attempts(&state, &headers, peer)?;
        let nickname = Nickname::parse(&input.value.nickname)?;
        let password = Password::parse(&input.value.password)?;
        let hash = hash_password(password.expose().to_owned()).await;
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
        Ok(user.identity())
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
        check_attempts(&state, &headers, peer)?;
        let wrong = || ApiError::unauthorized("wrong nickname or password");
        let nickname = Nickname::parse(&input.value.nickname).map_err(|_| wrong())?;
        let user = state
            .chat
            .stores()
            .users
            .find_by_nickname(&nickname)
            .await?
            .ok_or_else(wrong)?;
        if !verify_password(input.value.password.clone(), user.password_hash.clone()).await {
            return Err(wrong());
        }
        Ok(user.identity())
    }
    .await;
    finish(&state, result, from_form, "/login", &next, StatusCode::OK)
}

/// Sets the session cookie and answers the way the client asked.
fn finish(
    state: &AppState,
    result: Result<Identity, ApiError>,
    from_form: bool,
    form_page: &str,
    next: &str,
    ok_status: StatusCode,
) -> Response {
    match result {
        Ok(identity) => {
            let token = state.keys.issue(&identity);
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
            query_escape(&e.error.message),
            query_escape(next)
        ))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let max_age = state.keys.ttl().as_secs();
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("JWTs are header-safe")
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let clear = HeaderValue::from_str(&format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("static cookie");
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let mut response = if wants_json {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Redirect::to("/").into_response()
    };
    response.headers_mut().insert(header::SET_COOKIE, clear);
    response
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Viewer>, ApiError> {
    let who = state
        .keys
        .from_headers(&headers)
        .ok_or_else(|| ApiError::unauthorized("not logged in"))?;
    Ok(Json(Viewer {
        user_id: who.user_id,
        nickname: who.nickname,
    }))
}
