//! Pages and the JSON API over real HTTP.

mod support;

use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::{json, Value};
use support::TestApp;

#[tokio::test]
async fn signup_login_and_cookie_flags() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .post(app.url("/api/auth/signup"))
        .json(&json!({"nickname": "Alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("access_token="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "not secure unless configured");

    let taken = app
        .http
        .post(app.url("/api/auth/signup"))
        .json(&json!({"nickname": "alice", "password": "another-one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        taken.status(),
        StatusCode::CONFLICT,
        "nicknames are unique regardless of case"
    );

    for (nick, pw) in [
        ("a", "correct-horse"),
        ("bad name", "correct-horse"),
        ("bob", "short"),
    ] {
        let r = app
            .http
            .post(app.url("/api/auth/signup"))
            .json(&json!({"nickname": nick, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{nick}/{pw}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid");
    }

    let wrong = app
        .http
        .post(app.url("/api/auth/login"))
        .json(&json!({"nickname": "Alice", "password": "wrong-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = app
        .http
        .post(app.url("/api/auth/login"))
        .json(&json!({"nickname": "alice", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    let me: Value = app
        .http
        .get(app.url("/api/me"))
        .bearer_auth(body["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["nickname"], "Alice");
}

#[tokio::test]
async fn browser_forms_get_cookies_and_redirects() {
    let app = TestApp::spawn().await;
    let browser = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = browser
        .post(app.url("/api/auth/signup"))
        .form(&[
            ("nickname", "carol"),
            ("password", "correct-horse"),
            ("next", "/live/x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/live/x");

    let created = browser
        .post(app.url("/api/lives"))
        .form(&[("title", "Carol's stream")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let location = created.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("/live/"));

    let page = browser.get(app.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Carol&#x27;s stream") || html.contains("Carol's stream"));
    assert!(
        html.contains("data-testid=\"chat-input\""),
        "logged in: the input is there"
    );

    let bad = browser
        .post(app.url("/api/auth/login"))
        .form(&[
            ("nickname", "carol"),
            ("password", "nope-nope-nope"),
            ("next", "https://evil.example"),
        ])
        .send()
        .await
        .unwrap();
    let to = bad.headers()[header::LOCATION].to_str().unwrap();
    assert!(to.starts_with("/login?error="), "{to}");
    assert!(!to.contains("evil.example"), "no open redirect: {to}");

    let out = browser
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

#[tokio::test]
async fn creating_lives_needs_auth_and_valid_json() {
    let app = TestApp::spawn().await;
    let token = app.signup("dave").await;

    let r = app
        .http
        .post(app.url("/api/lives"))
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    for (body, ct) in [
        ("{not json", "application/json"),
        (r#"{"title": 5}"#, "application/json"),
        ("{}", "application/json"),
        ("title=x", "text/plain"),
    ] {
        let r = app
            .http
            .post(app.url("/api/lives"))
            .bearer_auth(&token)
            .header(header::CONTENT_TYPE, ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{body}: {}", r.status());
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid");
    }
    let blank = app
        .http
        .post(app.url("/api/lives"))
        .bearer_auth(&token)
        .json(&json!({"title": "   "}))
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), StatusCode::BAD_REQUEST);

    let r = app
        .http
        .post(app.url("/api/lives"))
        .header(header::COOKIE, format!("access_token={token}"))
        .json(&json!({"title": "By cookie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let live: Value = r.json().await.unwrap();
    assert_eq!(live["title"], "By cookie");
    assert_eq!(live["streamerNickname"], "dave");
    assert_eq!(live["status"], "live");
    assert!(live["id"].as_str().unwrap().len() == 24);
    assert!(live["createdAt"].as_str().is_some());
    assert!(live["streamerId"].as_str().is_some());

    app.create_live(&token, "Newer").await;
    let listed: Value = app.get_json("/api/lives").await;
    let titles: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Newer", "By cookie"], "newest first");
}

#[tokio::test]
async fn foreign_origins_are_refused_by_the_api() {
    let app = TestApp::spawn_with(&[("ALLOWED_ORIGINS", "https://partner.example")]).await;
    let token = app.signup("erin").await;
    let post = |origin: &'static str| {
        app.http
            .post(app.url("/api/lives"))
            .bearer_auth(&token)
            .header(header::ORIGIN, origin)
            .json(&json!({"title": "t"}))
            .send()
    };
    assert_eq!(
        post("https://evil.example").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post("https://partner.example").await.unwrap().status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn pages_render_history_and_real_404s() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    for i in 1..=60 {
        let ack = s
            .say(&live, &format!("message number {i}"), &format!("c{i}"))
            .await;
        assert_eq!(ack["ok"], true, "message {i}: {ack}");
    }
    // Straight after the last ack: the page holds what its sender was told
    // is stored (read-your-writes), not a moment later.
    let page = app
        .http
        .get(app.url(&format!("/live/{live}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("message number 60"),
        "the newest message is on the page; it shows {} messages{}",
        html.matches("message number ").count(),
        if html.contains("class=\"error\"") {
            " and an error"
        } else {
            ""
        }
    );
    assert!(
        html.contains("message number 11"),
        "the last 50 are server-rendered"
    );
    assert!(!html.contains("message number 10<"), "older ones are not");
    assert!(
        html.contains("Log in to chat"),
        "guests see the login prompt"
    );
    assert!(!html.contains("data-testid=\"chat-input\""));

    let missing = app
        .http
        .get(app.url("/live/ffffffffffffffffffffffff"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let junk = app
        .http
        .get(app.url("/live/not-an-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status(), StatusCode::NOT_FOUND);
    let nowhere = app.http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);

    let dir = app.get_text("/").await;
    assert!(dir.contains("Test live"));
}

#[tokio::test]
async fn health_is_up_and_readiness_follows_the_database() {
    let app = TestApp::spawn().await;
    let status = |path: &'static str| {
        let app = &app;
        async move { app.http.get(app.url(path)).send().await.unwrap().status() }
    };
    assert_eq!(status("/healthz").await, 200);
    assert_eq!(status("/readyz").await, 200);

    // A server whose database does not exist starts, is alive, and is not ready.
    let dead = format!("mongodb://127.0.0.1:{}/nothing", support::free_port());
    let lonely = support::spawn_unready(&dead, &[("DB_TIMEOUT_MS", "300")]).await;
    let r = lonely
        .http
        .get(lonely.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = lonely.http.get(lonely.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn production_mode_refuses_to_start_without_a_secret() {
    let (status, all) =
        support::refused_start(&[("APP_ENV", "production"), ("JWT_SECRET", "")]).await;
    assert!(!status.success());
    assert!(all.contains("JWT_SECRET"), "{all}");
}

#[tokio::test]
async fn lives_can_carry_a_video_and_be_ended_by_their_streamer_only() {
    let app = TestApp::spawn().await;
    let token = app.signup("vera").await;
    let other = app.signup("olga").await;
    let create = |body: Value| {
        app.http
            .post(app.url("/api/lives"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let bad = create(json!({"title": "t", "videoUrl": "javascript:alert(1)"}))
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let r = create(json!({"title": "With video", "videoUrl": "https://cdn.example/live.mp4"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let live: Value = r.json().await.unwrap();
    let id = live["id"].as_str().unwrap();
    assert_eq!(live["videoUrl"], "https://cdn.example/live.mp4");
    let html = app.get_text(&format!("/live/{id}")).await;
    assert!(
        html.contains(r#"<video src="https://cdn.example/live.mp4""#),
        "the page plays it"
    );

    let end = |t: &str| {
        app.http
            .post(app.url(&format!("/api/lives/{id}/end")))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(end(&other).await.unwrap().status(), StatusCode::FORBIDDEN);
    let ended = end(&token).await.unwrap();
    assert_eq!(ended.status(), StatusCode::OK);
    let ended: Value = ended.json().await.unwrap();
    assert_eq!(ended["status"], "ended");

    app.create_live(&token, "Still live").await;
    let listed: Value = app.get_json("/api/lives").await;
    let statuses: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["live", "ended"], "live rooms first");
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", "scrape-me")]).await;
    assert_eq!(
        app.http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let ok = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok
        .text()
        .await
        .unwrap()
        .contains("livechat_sockets_connected"));
}
