//! Who may send: the handshake token decides, and a bad token makes a guest.

mod support;

use serde_json::json;
use support::{now, token_with, TestApp, SECRET};

async fn send_result(app: &TestApp, token: Option<&str>, live: &str) -> serde_json::Value {
    let s = app.socket(token).await;
    s.enter(live).await;
    s.say(live, "hello", "c1").await
}

#[tokio::test]
async fn a_valid_token_in_auth_or_cookie_may_send() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;

    let by_field = send_result(&app, Some(&token), &live).await;
    assert_eq!(by_field["ok"], true, "{by_field}");
    assert_eq!(by_field["message"]["nickname"], "streamer");

    let s = app.socket_with_cookie(&token).await;
    s.enter(&live).await;
    let by_cookie = s.say(&live, "via cookie", "c2").await;
    assert_eq!(by_cookie["ok"], true, "{by_cookie}");
}

#[tokio::test]
async fn guests_read_but_cannot_send() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let speaker = app.socket(Some(&token)).await;
    speaker.enter(&live).await;
    speaker.say(&live, "before the guest", "c0").await;

    let mut guest = app.socket(None).await;
    let entered = guest.enter(&live).await;
    assert_eq!(entered["history"][0]["content"], "before the guest");
    let r = guest.say(&live, "hi", "g1").await;
    assert_eq!(r["ok"], false);
    assert_eq!(r["error"]["code"], "unauthorized");

    speaker.say(&live, "for the guest", "c1").await;
    let got = guest.recv("sending_message").await;
    assert_eq!(got["content"], "for the guest");
    assert_eq!(
        app.stored(&live).await.len(),
        2,
        "the guest's message was not stored"
    );
}

#[tokio::test]
async fn bad_tokens_make_guests() {
    let app = TestApp::spawn().await;
    let (live, good) = app.live_with_streamer().await;
    let claims = json!({"sub": "u9", "nickname": "mallory", "exp": now() + 3600});
    let expired = token_with(
        SECRET,
        json!({"sub": "u9", "nickname": "mallory", "exp": now() - 3600}),
    );
    let wrong_secret = token_with("some-other-secret-some-other-secret!!", claims.clone());
    let mut tampered = good.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    // {"alg":"none"} with the same claims and no signature.
    let alg_none = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
        good.split('.').nth(1).unwrap()
    );
    let no_exp = token_with(SECRET, json!({"sub": "u9", "nickname": "mallory"}));

    for (name, token) in [
        ("expired", expired),
        ("wrong secret", wrong_secret),
        ("tampered", tampered),
        ("alg none", alg_none),
        ("no exp", no_exp),
        ("garbage", "not-a-jwt".to_owned()),
    ] {
        for cookie in [false, true] {
            let s = if cookie {
                app.socket_with_cookie(&token).await
            } else {
                app.socket(Some(&token)).await
            };
            s.enter(&live).await;
            let r = s.say(&live, "sneaky", "x1").await;
            assert_eq!(
                r["error"]["code"], "unauthorized",
                "{name} (cookie: {cookie}) was accepted"
            );
        }
    }
    assert!(app.stored(&live).await.is_empty());
}

#[tokio::test]
async fn a_token_from_another_issuer_with_the_same_secret_is_accepted() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let platform = token_with(
        SECRET,
        json!({"sub": "platform-42", "nickname": "PlatformUser", "exp": now() + 600, "role": "viewer"}),
    );
    let s = app.socket(Some(&platform)).await;
    s.enter(&live).await;
    let r = s.say(&live, "from the platform", "p1").await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["message"]["userId"], "platform-42");
}

#[tokio::test]
async fn the_sender_comes_from_the_token_never_the_event() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let r = s
        .emit_ack(
            "new_message",
            json!({"liveId": live, "content": "hi", "clientId": "c1",
                   "nickname": "admin", "userId": "someone-else"}),
        )
        .await;
    assert_eq!(r["message"]["nickname"], "streamer");
    assert_ne!(r["message"]["userId"], "someone-else");
}

#[tokio::test]
async fn foreign_origins_cannot_open_sockets() {
    let app = TestApp::spawn().await;
    let refused =
        support::TestSocket::try_connect(&app.addr, None, Some("http://evil.example")).await;
    assert!(
        matches!(refused, Err(ref s) if s.contains("403")),
        "{:?}",
        refused.err()
    );
    let same = format!("http://{}", app.addr);
    assert!(
        support::TestSocket::try_connect(&app.addr, None, Some(&same))
            .await
            .is_ok()
    );
}
