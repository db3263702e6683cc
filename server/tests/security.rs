//! The holes a hostile review found, each proven closed against the real server:
//! amplification through room events, redirects, secrets, tokens, login guessing,
//! forged addresses, directory flooding, framing and headers, and logs.

mod support;

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};
use support::{now, refused_start, token_with, TestApp, SECRET};

fn code(ack: &Value) -> &str {
    ack["error"]["code"].as_str().unwrap_or("ok")
}

/// Counts the `viewer_count` frames a socket receives during `window`.
async fn viewer_counts_during(s: &mut support::TestSocket, window: Duration) -> usize {
    let deadline = Instant::now() + window;
    let mut n = 0;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if s.try_recv("viewer_count", left).await.is_some() {
            n += 1;
        }
    }
    n
}

fn raw_event(id: u64, event: &str, data: Value) -> String {
    format!("42{id}{}", json!([event, data]))
}

#[tokio::test]
async fn one_socket_cannot_flood_a_room_with_room_events() {
    let app =
        TestApp::spawn_with(&[("SOCKET_EVENTS_PER_SEC", "5"), ("SOCKET_EVENT_BURST", "10")]).await;
    let (live, _) = app.live_with_streamer().await;
    let mut watcher = app.socket(None).await;
    watcher.enter(&live).await;
    watcher.recv("viewer_count").await;

    let attacker = app.socket(None).await;
    for i in 0..400u64 {
        let event = if i % 4 == 3 {
            "enter_room"
        } else {
            "leave_room"
        };
        // Ids far from the ones emit_ack hands out, so no ack is mistaken.
        attacker.send_raw(raw_event(10_000 + i, event, json!({"liveId": live})));
    }
    let probe = attacker
        .emit_ack("leave_room", json!({"liveId": live}))
        .await;
    assert_eq!(code(&probe), "rate_limited", "{probe}");
    assert!(probe["error"]["retryAfterMs"].as_u64().unwrap() > 0);
    let other = attacker.emit_ack("no_such_event", json!({})).await;
    assert_eq!(code(&other), "rate_limited", "every event spends: {other}");
    let frames = viewer_counts_during(&mut watcher, Duration::from_millis(2500)).await;
    assert!(
        frames <= 3,
        "400 room events from one socket gave every viewer {frames} viewer_count frames"
    );
}

#[tokio::test]
async fn viewer_counts_are_coalesced_to_one_a_second_per_room() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let mut watcher = app.socket(None).await;
    watcher.enter(&live).await;
    watcher.recv("viewer_count").await;

    let started = Instant::now();
    let crowd = join_all((0..30).map(|_| app.socket(None))).await;
    join_all(crowd.iter().map(|s| s.enter(&live))).await;
    let window = Duration::from_millis(2500);
    let mut last = Value::Null;
    let mut frames = 0;
    while let Some(left) = (started + window).checked_duration_since(Instant::now()) {
        if let Some(v) = watcher.try_recv("viewer_count", left).await {
            frames += 1;
            last = v;
        }
    }
    assert!(frames <= 3, "30 joins gave {frames} viewer_count frames");
    assert_eq!(last["count"], 31, "the last count is the true one");
}

#[tokio::test]
async fn leaving_a_room_one_is_not_in_tells_nobody() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let mut watcher = app.socket(None).await;
    watcher.enter(&live).await;
    watcher.recv("viewer_count").await;
    let stranger = app.socket(None).await;
    for _ in 0..20 {
        let ack = stranger
            .emit_ack("leave_room", json!({"liveId": live}))
            .await;
        assert_eq!(ack["ok"], true);
    }
    assert_eq!(
        viewer_counts_during(&mut watcher, Duration::from_millis(1500)).await,
        0
    );
}

#[tokio::test]
async fn a_socket_may_be_in_only_so_many_rooms() {
    let app = TestApp::spawn_with(&[("MAX_ROOMS_PER_SOCKET", "3")]).await;
    let token = app.signup("roamer").await;
    let mut lives = Vec::new();
    for i in 0..4 {
        lives.push(app.create_live(&token, &format!("room {i}")).await.id);
    }
    let s = app.socket(None).await;
    for live in &lives[..3] {
        s.enter(live).await;
    }
    s.enter(&lives[0]).await; // entering again is not another room
    let fourth = s.emit_ack("enter_room", json!({"liveId": lives[3]})).await;
    assert_eq!(code(&fourth), "forbidden", "{fourth}");
    assert!(fourth["error"]["message"]
        .as_str()
        .unwrap()
        .contains("3 rooms"));
    s.emit_ack("leave_room", json!({"liveId": lives[0]})).await;
    s.enter(&lives[3]).await;
}

#[tokio::test]
async fn login_redirects_only_to_same_site_paths() {
    let app = TestApp::spawn().await;
    app.signup("wanderer").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (next, expected) in [
        ("/live/abc", "/live/abc"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\nx", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("/ /evil.example", "/"),
    ] {
        let login = |password: &'static str| {
            client
                .post(app.url("/api/auth/login"))
                .form(&[
                    ("nickname", "wanderer"),
                    ("password", password),
                    ("next", next),
                ])
                .send()
        };
        let r = login("correct-horse").await.unwrap();
        assert_eq!(r.status(), 303, "next={next:?}");
        assert_eq!(r.headers()["location"], expected, "next={next:?}");
        let failed = login("wrong-pass").await.unwrap();
        assert_eq!(failed.status(), 303, "a failed login with next={next:?}");
        let location = failed.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/login?error=wrong_credentials&next="),
            "{location}"
        );
    }
}

#[tokio::test]
async fn pages_show_only_messages_the_server_chose() {
    let app = TestApp::spawn().await;
    let planted = "Your account is locked. Call 555-0100";
    for page in ["/login", "/"] {
        let html = app
            .get_text(&format!("{page}?error={}", planted.replace(' ', "%20")))
            .await;
        assert!(!html.contains("555-0100"), "{page} echoed the query");
    }
    let html = app.get_text("/login?error=wrong_credentials").await;
    assert!(html.contains("Wrong nickname or password."));
}

#[tokio::test]
async fn without_a_configured_secret_development_uses_its_own_random_one() {
    let app = TestApp::spawn_with(&[("JWT_SECRET", "")]).await;
    let published = "dev-only-insecure-secret-change-me-0123456789";
    let forged = token_with(
        published,
        json!({"sub": "x1", "nickname": "mallory", "exp": now() + 600, "role": "admin"}),
    );
    assert_eq!(
        app.me_status(&forged).await,
        401,
        "a token signed with the published secret"
    );
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&forged)).await;
    assert_eq!(s.enter(&live).await["role"], "guest");
    assert_eq!(code(&s.say(&live, "hi", "f1").await), "unauthorized");
    let real = app.socket(Some(&token)).await;
    assert_eq!(
        real.say(&live, "mine", "r1").await["ok"],
        true,
        "own tokens work"
    );

    let (status, out) = refused_start(&[("JWT_SECRET", published)]).await;
    assert!(!status.success());
    assert!(out.contains("published"), "{out}");
}

#[tokio::test]
async fn production_refuses_unsafe_settings_and_names_them() {
    let strong = "a-production-secret-that-is-long-enough";
    for (key, value) in [("SEED_DEMO", "true"), ("COOKIE_SECURE", "false")] {
        let (status, out) = refused_start(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", strong),
            (key, value),
        ])
        .await;
        assert!(!status.success(), "{key}={value}");
        assert!(out.contains(key), "{key}: {out}");
    }
}

#[tokio::test]
async fn token_roles_count_only_when_trusted() {
    let admin_claims =
        json!({"sub": "ext-1", "nickname": "root", "exp": now() + 600, "role": "admin"});
    let token = token_with(SECRET, admin_claims);
    for (trust, role) in [("false", "viewer"), ("true", "admin")] {
        let app = TestApp::spawn_with(&[("TRUST_TOKEN_ROLES", trust)]).await;
        let (live, _) = app.live_with_streamer().await;
        let s = app.socket(Some(&token)).await;
        assert_eq!(
            s.enter(&live).await["role"],
            role,
            "TRUST_TOKEN_ROLES={trust}"
        );
    }
}

#[tokio::test]
async fn issuer_audience_and_not_before_are_checked() {
    let app = TestApp::spawn_with(&[
        ("JWT_ISSUER", "https://id.example"),
        ("JWT_AUDIENCE", "livechat"),
    ])
    .await;
    let me = |token: String| {
        let app = &app;
        async move { app.me_status(&token).await }
    };
    let base = json!({"sub": "ext-2", "nickname": "ext", "exp": now() + 600});
    let with = |extra: Value| {
        let mut c = base.clone();
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        token_with(SECRET, c)
    };
    assert_eq!(
        me(with(
            json!({"iss": "https://id.example", "aud": "livechat"})
        ))
        .await,
        200
    );
    assert_eq!(me(with(json!({}))).await, 401, "no issuer or audience");
    assert_eq!(
        me(with(
            json!({"iss": "https://evil.example", "aud": "livechat"})
        ))
        .await,
        401
    );
    assert_eq!(
        me(with(json!({"iss": "https://id.example", "aud": "other"}))).await,
        401
    );
    let early = with(json!({"iss": "https://id.example", "aud": "livechat", "nbf": now() + 600}));
    assert_eq!(me(early).await, 401, "not valid yet");
    let own = app.signup("native").await;
    assert_eq!(me(own).await, 200, "our own tokens carry both");
}

#[tokio::test]
async fn a_socket_is_closed_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let short = token_with(
        SECRET,
        json!({"sub": "ext-3", "nickname": "brief", "exp": now() + 3}),
    );
    let mut s = app.socket(Some(&short)).await;
    s.enter(&live).await;
    assert!(!s.closed_within(Duration::from_millis(500)).await);
    assert!(
        s.closed_within(Duration::from_secs(8)).await,
        "the socket outlived its token"
    );
}

#[tokio::test]
async fn logging_out_everywhere_and_changing_the_password_revoke_old_tokens() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let old = app.signup("rita").await;
    let mut socket = app.socket(Some(&old)).await;
    socket.enter(&live).await;
    let status = |token: String| {
        let app = &app;
        async move { app.me_status(&token).await }
    };
    assert_eq!(status(old.clone()).await, 200);

    let out = app
        .http
        .post(app.url("/api/auth/logout-all"))
        .bearer_auth(&old)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(status(old.clone()).await, 401, "revoked");
    assert!(
        socket.closed_within(Duration::from_secs(5)).await,
        "its sockets close"
    );
    let revoked = app.socket(Some(&old)).await;
    assert_eq!(revoked.enter(&live).await["role"], "guest");

    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/auth/login"))
                .json(&json!({"nickname": "rita", "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let second: Value = login("correct-horse").await.json().await.unwrap();
    let second = second["token"].as_str().unwrap().to_owned();
    assert_eq!(status(second.clone()).await, 200);

    let changed = app
        .http
        .post(app.url("/api/auth/password"))
        .bearer_auth(&second)
        .json(&json!({"currentPassword": "correct-horse", "newPassword": "battery-staple"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let third: Value = changed.json().await.unwrap();
    assert_eq!(status(second).await, 401, "the password change revoked it");
    assert_eq!(
        status(third["token"].as_str().unwrap().to_owned()).await,
        200
    );
    assert_eq!(login("correct-horse").await.status(), 401);
    let fourth: Value = login("battery-staple").await.json().await.unwrap();
    let fourth = fourth["token"].as_str().unwrap().to_owned();

    // A stolen session is no password oracle: wrong guesses back off too.
    let guess = || {
        app.http
            .post(app.url("/api/auth/password"))
            .bearer_auth(&fourth)
            .json(&json!({"currentPassword": "guess-guess", "newPassword": "whatever-else"}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(guess().await.unwrap().status().as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    assert_eq!(statuses[5], 429, "{statuses:?}");
}

#[tokio::test]
async fn forged_forwarded_addresses_do_not_escape_per_ip_limits() {
    let app = TestApp::spawn_with(&[("TRUST_PROXY", "true"), ("LOGINS_PER_IP_PER_MIN", "3")]).await;
    let attempt = |forged: String| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/auth/login"))
                // The client wrote the first entry; the proxy appended the last.
                .header("x-forwarded-for", format!("{forged}, 198.51.100.7"))
                .json(&json!({"nickname": format!("n{}", forged.len()), "password": "guess-guess"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..3 {
        assert_eq!(attempt(format!("203.0.113.{i}")).await, 401);
    }
    assert_eq!(
        attempt("203.0.113.99".into()).await,
        429,
        "the forged entry was ignored"
    );

    // IPv6 clients are keyed by their /64.
    let v6 = |addr: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", addr)
                .json(&json!({"nickname": "someone", "password": "guess-guess"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 1..=3 {
        let addr: &'static str = Box::leak(format!("2001:db8:7:7::{i}").into_boxed_str());
        assert_eq!(v6(addr).await, 401);
    }
    assert_eq!(v6("2001:db8:7:7:ffff::1").await, 429, "same /64");
    assert_eq!(v6("2001:db8:7:8::1").await, 401, "another /64");
}

#[tokio::test]
async fn failed_logins_back_off_per_account() {
    let app =
        TestApp::spawn_with(&[("TRUST_PROXY", "true"), ("LOGIN_FAILURES_PER_ACCOUNT", "3")]).await;
    app.signup("target").await;
    app.signup("bystander").await;
    let login = |nickname: &'static str, password: &'static str, from: u32| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", format!("203.0.113.{from}"))
                .json(&json!({"nickname": nickname, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    // Guesses from many addresses: the account's own budget stops them.
    for i in 0..3 {
        assert_eq!(login("target", "guess-guess", i).await.status(), 401);
    }
    let blocked = login("target", "correct-horse", 50).await;
    assert_eq!(blocked.status(), 429, "even the right password waits");
    assert!(blocked.headers().contains_key("retry-after"));
    assert_eq!(login("bystander", "correct-horse", 51).await.status(), 200);
    // Unknown accounts are throttled the same way (nothing to tell them apart).
    for i in 0..3 {
        assert_eq!(login("ghost", "guess-guess", 60 + i).await.status(), 401);
    }
    assert_eq!(login("ghost", "guess-guess", 70).await.status(), 429);
    // After the wait, the right password works and clears the count.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(login("target", "correct-horse", 80).await.status(), 200);
}

#[tokio::test]
async fn unknown_nicknames_cost_a_real_password_check() {
    let app = TestApp::spawn().await;
    app.signup("known").await;
    let timed = |nickname: &'static str| {
        let app = &app;
        async move {
            let started = Instant::now();
            let r = app
                .http
                .post(app.url("/api/auth/login"))
                .json(&json!({"nickname": nickname, "password": "guess-guess"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
            started.elapsed()
        }
    };
    timed("warmup").await; // the dummy hash is made on first use
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        known.push(timed("known").await);
        unknown.push(timed("nobody").await);
    }
    known.sort();
    unknown.sort();
    assert!(
        unknown[1] * 2 >= known[1],
        "unknown {unknown:?} answered much faster than known {known:?}"
    );
}

#[tokio::test]
async fn parallel_logins_cannot_take_every_core() {
    // One slot, and a wait for it shorter than a few argon2 checks take on any
    // machine: most of 40 simultaneous logins cannot get a slot in time.
    let app = TestApp::spawn_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_WAIT_MS", "50"),
    ])
    .await;
    let statuses = join_all((0..40).map(|i| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(app.url("/api/auth/login"))
                .json(&json!({"nickname": format!("crowd{i}"), "password": "guess-guess"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        }
    }))
    .await;
    let busy: Vec<_> = statuses.iter().filter(|(s, _)| *s == 503).collect();
    assert!(
        !busy.is_empty(),
        "40 logins at once on one hashing slot: {statuses:?}"
    );
    assert!(
        busy.iter().all(|(_, retry)| *retry),
        "503 carries Retry-After"
    );
    assert!(
        statuses.iter().all(|(s, _)| *s == 503 || *s == 401),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn one_account_cannot_flood_the_directory() {
    let app =
        TestApp::spawn_with(&[("MAX_OPEN_LIVES_PER_USER", "2"), ("MAX_LIVES_PER_DAY", "3")]).await;
    let token = app.signup("flooder").await;
    let create = |title: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.http
                .post(app.url("/api/lives"))
                .bearer_auth(token)
                .json(&json!({"title": title}))
                .send()
                .await
                .unwrap()
        }
    };
    let first: Value = create("one").await.json().await.unwrap();
    assert_eq!(create("two").await.status(), 201);
    let third = create("three").await;
    assert_eq!(third.status(), 429, "two open at once");
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    let ended = app
        .http
        .post(app.url(&format!("/api/lives/{}/end", first["id"].as_str().unwrap())))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    assert_eq!(
        create("three").await.status(),
        201,
        "room again after ending one"
    );
    app.http
        .post(app.url(&format!("/api/lives/{}/end", first["id"].as_str().unwrap())))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let fourth = create("four").await;
    assert_eq!(fourth.status(), 429, "three a day");
    let other = app.signup("honest").await;
    assert_eq!(
        app.create_live(&other, "mine").await.title,
        "mine",
        "others unaffected"
    );
    let concurrent = join_all((0..6).map(|_| {
        app.http
            .post(app.url("/api/lives"))
            .bearer_auth(&other)
            .json(&json!({"title": "race"}))
            .send()
    }))
    .await;
    let created = concurrent
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == 201)
        .count();
    assert_eq!(created, 1, "concurrent creations cannot all pass the count");
}

#[tokio::test]
async fn binary_attachments_are_refused() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    // A binary event announcing one attachment: the protocol carries none.
    s.send_raw(format!(
        r#"451-1["new_message",{{"liveId":"{live}","content":{{"_placeholder":true,"num":0}},"clientId":"b1"}}]"#
    ));
    assert!(
        s.closed_within(Duration::from_secs(5)).await,
        "a socket announcing attachments is closed"
    );
    assert!(app.stored(&live).await.is_empty());
}

#[tokio::test]
async fn metrics_need_the_exact_token() {
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", "metrics-secret-123")]).await;
    for (token, expected) in [
        (Some("metrics-secret-123"), 200),
        (Some("metrics-secret-12"), 401),
        (Some("metrics-secret-1234"), 401),
        (None, 401),
    ] {
        let mut req = app.http.get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.unwrap().status(), expected, "{token:?}");
    }
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_for_their_scripts() {
    let app = TestApp::spawn().await;
    let r = app.http.get(app.url("/")).send().await.unwrap();
    let h = r.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    let html = r.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page's policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline scripts carry it"
    );
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains("nonce=") || tag.contains("src="),
            "script without a nonce: {tag}"
        );
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(
        !h.contains_key("strict-transport-security"),
        "not over plain http"
    );
    let api = app.http.get(app.url("/api/lives")).send().await.unwrap();
    assert!(api.headers().contains_key("content-security-policy"));

    let framed = TestApp::spawn_with(&[("FRAME_ANCESTORS", "https://partner.example")]).await;
    let r = framed.http.get(framed.url("/login")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.ends_with("frame-ancestors https://partner.example"),
        "{csp}"
    );
}

#[tokio::test]
async fn secure_cookies_use_the_host_prefix_and_hsts() {
    let app = TestApp::spawn_with(&[("COOKIE_SECURE", "true")]).await;
    let r = app
        .http
        .post(app.url("/api/auth/signup"))
        .json(&json!({"nickname": "secure", "password": "correct-horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-access_token="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let token: Value = r.json().await.unwrap();
    let token = token["token"].as_str().unwrap();
    let named = |name: &str| {
        let app = &app;
        let cookie = format!("{name}={token}");
        async move {
            app.http
                .get(app.url("/api/me"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(named("__Host-access_token").await, 200);
    assert_eq!(
        named("access_token").await,
        401,
        "an unprefixed cookie could be planted"
    );
}

#[tokio::test]
async fn tokens_and_passwords_never_reach_the_logs() {
    let app = TestApp::spawn_with(&[("RUST_LOG", "trace")]).await;
    let password = "a-very-secret-password-42";
    let r = app
        .http
        .post(app.url("/api/auth/signup"))
        .json(&json!({"nickname": "quiet", "password": password}))
        .send()
        .await
        .unwrap();
    let token: Value = r.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let live = app.create_live(&token, "logs").await.id;
    let by_field = app.socket(Some(&token)).await;
    by_field.enter(&live).await;
    by_field.say(&live, "hello", "l1").await;
    let by_cookie = app.socket_with_cookie(&token).await;
    by_cookie.enter(&live).await;
    app.http
        .post(app.url("/api/auth/login"))
        .json(&json!({"nickname": "quiet", "password": password}))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // let the last lines arrive
    assert!(
        app.logged("socket connected"),
        "debug logging is on and captured"
    );
    let signature = token.rsplit('.').next().unwrap();
    let leaks: Vec<String> = app
        .logs
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(signature))
        .cloned()
        .collect();
    assert!(leaks.is_empty(), "a token reached the logs: {leaks:#?}");
    assert!(!app.logged(password), "a password reached the logs");
}
