//! Moderation: every permission boundary both ways, restrictions that bite and
//! lift, room modes, and the limits everyone lives with.

mod support;

use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};
use support::{TestApp, TestSocket};

/// A room with a streamer, a moderator and a viewer, all connected and inside.
struct Room {
    live: String,
    streamer: TestSocket,
    moderator: TestSocket,
    viewer: TestSocket,
    streamer_token: String,
    moderator_token: String,
    viewer_token: String,
    viewer_id: String,
}

async fn room(app: &TestApp) -> Room {
    let (live, streamer_token) = app.live_with_streamer().await;
    let mod_token = app.signup("mod").await;
    let viewer_token = app.signup("viewer").await;
    let streamer = app.socket(Some(&streamer_token)).await;
    streamer.enter(&live).await;
    let r = streamer
        .emit_ack("add_moderator", json!({"liveId": live, "nickname": "mod"}))
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let moderator = app.socket(Some(&mod_token)).await;
    let entered = moderator.enter(&live).await;
    assert_eq!(entered["role"], "moderator");
    let viewer = app.socket(Some(&viewer_token)).await;
    assert_eq!(viewer.enter(&live).await["role"], "viewer");
    let viewer_id = app.user_id(&viewer_token).await;
    Room {
        live,
        streamer,
        moderator,
        viewer,
        streamer_token,
        moderator_token: mod_token,
        viewer_token,
        viewer_id,
    }
}

fn code(ack: &Value) -> &str {
    ack["error"]["code"].as_str().unwrap_or("ok")
}

#[tokio::test]
async fn deleting_messages_respects_roles_and_reaches_everyone() {
    let app = TestApp::spawn().await;
    let mut r = room(&app).await;
    let other_token = app.signup("other").await;
    let other = app.socket(Some(&other_token)).await;
    other.enter(&r.live).await;

    let by_other = other.say(&r.live, "someone else's", "o1").await["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = r.viewer.say(&r.live, "my own", "v1").await["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let denied = r
        .viewer
        .emit_ack(
            "delete_message",
            json!({"liveId": r.live, "messageId": by_other}),
        )
        .await;
    assert_eq!(
        code(&denied),
        "forbidden",
        "a viewer cannot delete another's message"
    );
    let mine = r
        .viewer
        .emit_ack(
            "delete_message",
            json!({"liveId": r.live, "messageId": own}),
        )
        .await;
    assert_eq!(mine["ok"], true, "a user may delete their own");

    let done = r
        .moderator
        .emit_ack(
            "delete_message",
            json!({"liveId": r.live, "messageId": by_other}),
        )
        .await;
    assert_eq!(done, json!({"ok": true, "deleted": [by_other]}));
    // Everyone in the room is told, at once.
    let mut gone = Vec::new();
    while gone.len() < 2 {
        gone.push(
            r.viewer.recv("message_deleted").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(gone, vec![own.clone(), by_other.clone()]);

    let history = r
        .viewer
        .emit_ack("get_all_chat_by_liveId", json!({"liveId": r.live}))
        .await;
    assert_eq!(
        history["messages"],
        json!([]),
        "deleted messages leave history"
    );
    let stored = app.stored(&r.live).await;
    assert_eq!(stored.len(), 2, "the records stay");
    assert!(stored
        .iter()
        .all(|d| d.get("deletedBy").is_some() && d.get("deletedAtMs").is_some()));
    let page = app.get_text(&format!("/live/{}", r.live)).await;
    assert!(!page.contains("someone else&#x27;s") && !page.contains("someone else's"));

    let again = r
        .moderator
        .emit_ack(
            "delete_message",
            json!({"liveId": r.live, "messageId": by_other}),
        )
        .await;
    assert_eq!(code(&again), "not_found");
}

#[tokio::test]
async fn a_moderator_of_one_room_has_no_power_in_another() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let other_live = app.create_live(&r.streamer_token, "Room B").await.id;
    let in_b = r.viewer.say(&other_live, "in room b", "b1").await["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (event, payload) in [
        (
            "delete_message",
            json!({"liveId": other_live, "messageId": in_b}),
        ),
        (
            "ban_user",
            json!({"liveId": other_live, "userId": r.viewer_id}),
        ),
        (
            "timeout_user",
            json!({"liveId": other_live, "userId": r.viewer_id, "seconds": 60}),
        ),
        (
            "update_room_settings",
            json!({"liveId": other_live, "slowModeSecs": 5}),
        ),
        ("get_moderation", json!({"liveId": other_live})),
    ] {
        let ack = r.moderator.emit_ack(event, payload).await;
        assert_eq!(code(&ack), "forbidden", "{event} in room B");
    }
    assert_eq!(
        r.viewer.say(&other_live, "still free in b", "b2").await["ok"],
        true
    );
}

#[tokio::test]
async fn banned_users_read_but_cannot_send_until_unbanned() {
    let app = TestApp::spawn().await;
    let mut r = room(&app).await;
    let ban = r
        .moderator
        .emit_ack("ban_user", json!({"liveId": r.live, "userId": r.viewer_id}))
        .await;
    assert_eq!(ban["ok"], true, "{ban}");

    let refused = r.viewer.say(&r.live, "let me speak", "x1").await;
    assert_eq!(code(&refused), "forbidden");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("banned"));

    r.streamer.say(&r.live, "you can still read", "s1").await;
    assert_eq!(
        r.viewer.recv("sending_message").await["content"],
        "you can still read"
    );

    let state = r
        .moderator
        .emit_ack("get_moderation", json!({"liveId": r.live}))
        .await;
    assert_eq!(state["bans"][0]["nickname"], "viewer");
    assert_eq!(state["bans"][0]["until"], Value::Null);
    assert_eq!(state["moderators"][0]["nickname"], "mod");

    let unban = r
        .moderator
        .emit_ack(
            "unban_user",
            json!({"liveId": r.live, "userId": r.viewer_id}),
        )
        .await;
    assert_eq!(unban["ok"], true);
    assert_eq!(r.viewer.say(&r.live, "back again", "x2").await["ok"], true);
    let stored: Vec<String> = app
        .stored(&r.live)
        .await
        .iter()
        .map(|d| d.get_str("content").unwrap().to_owned())
        .collect();
    assert_eq!(stored, vec!["you can still read", "back again"]);
}

#[tokio::test]
async fn a_timeout_expires_by_itself() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    for bad in [5, 86_401] {
        let ack = r
            .moderator
            .emit_ack(
                "timeout_user",
                json!({"liveId": r.live, "userId": r.viewer_id, "seconds": bad}),
            )
            .await;
        assert_eq!(code(&ack), "invalid", "{bad} s");
    }
    let ack = r
        .moderator
        .emit_ack(
            "timeout_user",
            json!({"liveId": r.live, "userId": r.viewer_id, "seconds": 10}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let refused = r.viewer.say(&r.live, "now?", "t1").await;
    assert_eq!(code(&refused), "forbidden");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timed out until"));
    let until =
        chrono::DateTime::parse_from_rfc3339(refused["error"]["until"].as_str().unwrap()).unwrap();
    let left = until
        .signed_duration_since(chrono::Utc::now())
        .num_milliseconds();
    assert!((5_000..=10_500).contains(&left), "{left} ms left");

    // Poll (bounded) until the timeout has passed; no one lifts it.
    let accepted = tokio::time::timeout(Duration::from_secs(20), async {
        let mut n = 0;
        loop {
            n += 1;
            let r = r.viewer.say(&r.live, "free again", &format!("t{n}x")).await;
            if r["ok"] == true {
                return chrono::Utc::now();
            }
            assert_eq!(code(&r), "forbidden");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await
    .expect("the timeout never ended");
    assert!(accepted >= until, "not before it ends");
}

#[tokio::test]
async fn banning_can_remove_recent_messages() {
    let app = TestApp::spawn().await;
    let mut r = room(&app).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            r.viewer
                .say(&r.live, &format!("spam {i}"), &format!("sp{i}"))
                .await["message"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    r.streamer.say(&r.live, "legit", "l1").await;
    let ack = r
        .moderator
        .emit_ack(
            "ban_user",
            json!({"liveId": r.live, "userId": r.viewer_id, "removeMessages": true}),
        )
        .await;
    let mut deleted: Vec<String> = serde_json::from_value(ack["deleted"].clone()).unwrap();
    deleted.sort();
    ids.sort();
    assert_eq!(deleted, ids);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(
            r.streamer.recv("message_deleted").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    seen.sort();
    assert_eq!(seen, ids);
    let history = r
        .streamer
        .emit_ack("get_all_chat_by_liveId", json!({"liveId": r.live}))
        .await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_the_streamer_restricts_moderators_and_nobody_restricts_the_streamer() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let streamer_id = app.user_id(&r.streamer_token).await;
    let mod_id = {
        let state = r
            .streamer
            .emit_ack("get_moderation", json!({"liveId": r.live}))
            .await;
        state["moderators"][0]["userId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ack = r
        .moderator
        .emit_ack("ban_user", json!({"liveId": r.live, "userId": streamer_id}))
        .await;
    assert_eq!(code(&ack), "forbidden");
    let other_mod = app.signup("mod2").await;
    r.streamer
        .emit_ack(
            "add_moderator",
            json!({"liveId": r.live, "nickname": "mod2"}),
        )
        .await;
    let m2 = app.socket(Some(&other_mod)).await;
    let ack = m2
        .emit_ack(
            "timeout_user",
            json!({"liveId": r.live, "userId": mod_id, "seconds": 60}),
        )
        .await;
    assert_eq!(
        code(&ack),
        "forbidden",
        "a moderator cannot time out another"
    );
    let ack = r
        .viewer
        .emit_ack(
            "add_moderator",
            json!({"liveId": r.live, "nickname": "viewer"}),
        )
        .await;
    assert_eq!(code(&ack), "forbidden", "viewers appoint no one");
    let ack = r
        .moderator
        .emit_ack(
            "add_moderator",
            json!({"liveId": r.live, "nickname": "viewer"}),
        )
        .await;
    assert_eq!(code(&ack), "forbidden", "moderators appoint no one");

    let ack = r
        .streamer
        .emit_ack(
            "remove_moderator",
            json!({"liveId": r.live, "nickname": "mod"}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let ack = r
        .moderator
        .emit_ack("ban_user", json!({"liveId": r.live, "userId": r.viewer_id}))
        .await;
    assert_eq!(
        code(&ack),
        "forbidden",
        "removed moderators lose their powers"
    );
    let ack = r
        .streamer
        .emit_ack(
            "timeout_user",
            json!({"liveId": r.live, "userId": mod_id, "seconds": 30}),
        )
        .await;
    assert_eq!(ack["ok"], true, "the streamer can restrict anyone else");
}

#[tokio::test]
async fn slow_mode_spaces_viewers_and_is_announced() {
    let app = TestApp::spawn().await;
    let mut r = room(&app).await;
    let ack = r
        .moderator
        .emit_ack(
            "update_room_settings",
            json!({"liveId": r.live, "slowModeSecs": 30}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let announced = r.viewer.recv("room_settings").await;
    assert_eq!(
        announced,
        json!({"liveId": r.live, "slowModeSecs": 30, "minAccountAgeMins": 0, "links": "all"})
    );

    assert_eq!(r.viewer.say(&r.live, "one", "s1").await["ok"], true);
    let second = r.viewer.say(&r.live, "two", "s2").await;
    assert_eq!(code(&second), "slow_mode");
    let wait = second["error"]["retryAfterMs"].as_u64().unwrap();
    assert!((25_000..=30_000).contains(&wait), "{wait}");
    for i in 0..3 {
        assert_eq!(
            r.moderator
                .say(&r.live, "mods are exempt", &format!("m{i}"))
                .await["ok"],
            true
        );
    }
    let entered = r.viewer.enter(&r.live).await;
    assert_eq!(
        entered["settings"]["slowModeSecs"], 30,
        "newcomers learn it on entry"
    );
}

#[tokio::test]
async fn established_users_mode_keeps_new_accounts_quiet() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    r.streamer
        .emit_ack(
            "update_room_settings",
            json!({"liveId": r.live, "minAccountAgeMins": 60}),
        )
        .await;
    let refused = r.viewer.say(&r.live, "brand new here", "n1").await;
    assert_eq!(code(&refused), "forbidden");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("60 minutes"));
    assert_eq!(
        r.streamer.say(&r.live, "the streamer may", "n2").await["ok"],
        true
    );
    r.streamer
        .emit_ack(
            "update_room_settings",
            json!({"liveId": r.live, "minAccountAgeMins": 0}),
        )
        .await;
    assert_eq!(r.viewer.say(&r.live, "now I may", "n3").await["ok"], true);
}

#[tokio::test]
async fn blocked_terms_catch_look_alikes_and_stay_private() {
    let app = TestApp::spawn().await;
    let mut r = room(&app).await;
    let ack = r
        .moderator
        .emit_ack(
            "update_room_settings",
            json!({"liveId": r.live, "blockedTerms": ["badword", " BadWord ", ""]}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let announced = r.viewer.recv("room_settings").await;
    assert!(
        announced.get("blockedTerms").is_none(),
        "viewers are not shown the list"
    );

    for (i, text) in [
        "badword",
        "B@DW0RD!",
        "b.a.d.w.o.r.d",
        "ｂａｄｗｏｒｄ",
        "bädwörd",
    ]
    .iter()
    .enumerate()
    {
        let ack = r.viewer.say(&r.live, text, &format!("b{i}")).await;
        assert_eq!(code(&ack), "blocked", "{text}");
    }
    assert_eq!(
        r.viewer.say(&r.live, "a perfectly good word", "g1").await["ok"],
        true
    );
    assert_eq!(
        app.stored(&r.live).await.len(),
        1,
        "blocked messages are never stored"
    );
    let state = r
        .moderator
        .emit_ack("get_moderation", json!({"liveId": r.live}))
        .await;
    assert_eq!(state["settings"]["blockedTerms"], json!(["badword"]));
    let viewer_view = r
        .viewer
        .emit_ack("get_moderation", json!({"liveId": r.live}))
        .await;
    assert_eq!(code(&viewer_view), "forbidden");
}

#[tokio::test]
async fn badges_mark_the_streamer_and_moderators() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    assert_eq!(
        r.streamer.say(&r.live, "hi", "s").await["message"]["badge"],
        "streamer"
    );
    assert_eq!(
        r.moderator.say(&r.live, "hi", "m").await["message"]["badge"],
        "moderator"
    );
    assert!(r.viewer.say(&r.live, "hi", "v").await["message"]
        .get("badge")
        .is_none());
    let history = r.viewer.enter(&r.live).await["history"].clone();
    assert_eq!(history[0]["badge"], "streamer");
    assert_eq!(history[1]["badge"], "moderator");
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_to_whom() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let id = r.viewer.say(&r.live, "oops", "o").await["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    r.moderator
        .emit_ack("delete_message", json!({"liveId": r.live, "messageId": id}))
        .await;
    r.moderator
        .emit_ack(
            "timeout_user",
            json!({"liveId": r.live, "userId": r.viewer_id, "seconds": 60}),
        )
        .await;
    r.moderator
        .emit_ack(
            "unban_user",
            json!({"liveId": r.live, "userId": r.viewer_id}),
        )
        .await;

    let log = r
        .streamer
        .emit_ack("get_audit_log", json!({"liveId": r.live}))
        .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["unban", "timeout", "delete_message", "add_moderator"],
        "newest first"
    );
    let timeout = &log["entries"][1];
    assert_eq!(timeout["actorNickname"], "mod");
    assert_eq!(timeout["targetNickname"], "viewer");
    assert!(timeout["createdAt"].as_str().is_some());
    assert_eq!(
        code(
            &r.moderator
                .emit_ack("get_audit_log", json!({"liveId": r.live}))
                .await
        ),
        "forbidden"
    );

    // The same log over HTTP, for the streamer only.
    let http = app
        .http
        .get(app.url(&format!("/api/lives/{}/audit", r.live)));
    assert_eq!(
        http.try_clone()
            .unwrap()
            .bearer_auth(&r.viewer_token)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let body: Value = http
        .bearer_auth(&r.streamer_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["entries"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn moderation_works_over_http_too() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let ban = app
        .http
        .post(app.url(&format!("/api/lives/{}/moderation/ban_user", r.live)))
        .bearer_auth(&r.streamer_token)
        .json(&json!({"userId": r.viewer_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(ban.status(), 200);
    assert_eq!(code(&r.viewer.say(&r.live, "hm", "h").await), "forbidden");
    let nope = app
        .http
        .post(app.url(&format!("/api/lives/{}/moderation/ban_user", r.live)))
        .bearer_auth(&r.viewer_token)
        .json(&json!({"userId": r.viewer_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(nope.status(), 403);
    let unknown = app
        .http
        .post(app.url(&format!("/api/lives/{}/moderation/nuke", r.live)))
        .bearer_auth(&r.streamer_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn concurrent_sends_cannot_slip_past_the_rate_limit() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_MESSAGES", "5"),
        ("RATE_LIMIT_MOD_MESSAGES", "8"),
    ])
    .await;
    let (live, streamer_token) = app.live_with_streamer().await;
    let token = app.signup("flooder").await;
    let s = app.socket(Some(&token)).await;
    let ids: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let acks = join_all(ids.iter().map(|id| s.say(&live, "flood", id))).await;
    let ok = acks.iter().filter(|a| a["ok"] == true).count();
    assert_eq!(ok, 5, "exactly the quota gets through");
    for a in acks.iter().filter(|a| a["ok"] != true) {
        assert_eq!(code(a), "rate_limited");
        assert!(a["error"]["retryAfterMs"].as_u64().unwrap() > 0);
    }
    assert_eq!(app.stored(&live).await.len(), 5);

    let streamer = app.socket(Some(&streamer_token)).await;
    let ids: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    let acks = join_all(ids.iter().map(|id| streamer.say(&live, "lots", id))).await;
    assert_eq!(
        acks.iter().filter(|a| a["ok"] == true).count(),
        8,
        "the streamer's higher quota"
    );
}

#[tokio::test]
async fn per_ip_connection_and_login_limits() {
    let app = TestApp::spawn_with(&[
        ("CONNECTIONS_PER_IP_PER_MIN", "3"),
        ("LOGINS_PER_IP_PER_MIN", "3"),
    ])
    .await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(
            TestSocket::try_connect(&app.addr, None, None)
                .await
                .expect("within the limit"),
        );
    }
    let refused = TestSocket::try_connect(&app.addr, None, None).await;
    assert!(
        matches!(refused, Err(ref s) if s.contains("429")),
        "{:?}",
        refused.err()
    );

    let attempt = || {
        app.http
            .post(app.url("/api/auth/login"))
            .json(&json!({"nickname": "nobody", "password": "guess-guess"}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.unwrap().status(), 401);
    }
    let limited = attempt().await.unwrap();
    assert_eq!(limited.status(), 429);
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn one_account_may_hold_only_so_many_sockets() {
    let app = TestApp::spawn_with(&[("MAX_SOCKETS_PER_USER", "2")]).await;
    let token = app.signup("tabby").await;
    let a = app.socket(Some(&token)).await;
    let _b = app.socket(Some(&token)).await;
    let third =
        TestSocket::try_connect(&app.addr, Some(support::socket::Auth::Field(&token)), None).await;
    let refused = third.err().expect("a third socket is refused");
    assert!(
        refused.contains("too many open connections for this account"),
        "refused for the cap, not something else: {refused}"
    );
    let _guest = app.socket(None).await;
    drop(a);
    // Once one closes, a new one fits (the server notices the close promptly).
    let again = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(s) =
                TestSocket::try_connect(&app.addr, Some(support::socket::Auth::Field(&token)), None)
                    .await
            {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(again.is_ok());
}

#[tokio::test]
async fn an_admin_moderates_every_room() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let admin = app.signup("root").await;
    app.make_admin("root").await;
    let a = app.socket(Some(&admin)).await;
    assert_eq!(a.enter(&r.live).await["role"], "admin");
    let said = r.viewer.say(&r.live, "hello", "h").await["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = a
        .emit_ack(
            "delete_message",
            json!({"liveId": r.live, "messageId": said}),
        )
        .await;
    assert_eq!(done["ok"], true);
    let ack = a
        .emit_ack(
            "add_moderator",
            json!({"liveId": r.live, "nickname": "viewer"}),
        )
        .await;
    assert_eq!(ack["ok"], true, "admins appoint moderators anywhere");
    assert_eq!(
        a.say(&r.live, "admin here", "a1").await["message"]["badge"],
        "admin"
    );
}

#[tokio::test]
async fn restrictions_bind_moderators_and_nobody_lifts_their_own() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let mod_id = app.user_id(&r.moderator_token).await;

    for (action, extra) in [
        ("timeout_user", json!({"seconds": 600})),
        ("ban_user", json!({})),
    ] {
        let mut body = json!({"liveId": r.live, "userId": mod_id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let ack = r.streamer.emit_ack(action, body).await;
        assert_eq!(ack["ok"], true, "{action}: {ack}");

        let said = r
            .moderator
            .say(&r.live, "still here?", &format!("m-{action}"))
            .await;
        assert_eq!(
            code(&said),
            "forbidden",
            "{action} binds a moderator: {said}"
        );
        let unban_self = r
            .moderator
            .emit_ack("unban_user", json!({"liveId": r.live, "userId": mod_id}))
            .await;
        assert_eq!(code(&unban_self), "forbidden", "{unban_self}");
        let act = r
            .moderator
            .emit_ack(
                "timeout_user",
                json!({"liveId": r.live, "userId": r.viewer_id, "seconds": 60}),
            )
            .await;
        assert_eq!(code(&act), "forbidden", "no powers while restricted: {act}");

        let lifted = r
            .streamer
            .emit_ack("unban_user", json!({"liveId": r.live, "userId": mod_id}))
            .await;
        assert_eq!(lifted["ok"], true, "{lifted}");
        let said = r
            .moderator
            .say(&r.live, "back", &format!("b-{action}"))
            .await;
        assert_eq!(said["ok"], true, "{said}");
    }
    assert!(
        app.stored(&r.live)
            .await
            .iter()
            .all(|m| m.get_str("content").unwrap() == "back"),
        "nothing a restricted moderator sent was stored"
    );
}

#[tokio::test]
async fn a_timeout_never_shortens_a_longer_restriction() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let timeout = |secs: u64| {
        r.moderator.emit_ack(
            "timeout_user",
            json!({"liveId": r.live, "userId": r.viewer_id, "seconds": secs}),
        )
    };
    let ban_of = || async {
        let state = r
            .streamer
            .emit_ack("get_moderation", json!({"liveId": r.live}))
            .await;
        state["bans"][0].clone()
    };

    assert_eq!(timeout(600).await["ok"], true);
    let shorter = timeout(10).await;
    assert_eq!(code(&shorter), "invalid", "{shorter}");
    let until_600 = ban_of().await["until"].clone();
    assert!(until_600.is_string());
    assert_eq!(
        timeout(1200).await["ok"],
        true,
        "a longer timeout replaces it"
    );
    assert_ne!(ban_of().await["until"], until_600);

    let ban = r
        .moderator
        .emit_ack("ban_user", json!({"liveId": r.live, "userId": r.viewer_id}))
        .await;
    assert_eq!(ban["ok"], true, "a ban outlasts any timeout");
    let after = timeout(10).await;
    assert_eq!(
        code(&after),
        "invalid",
        "a timeout cannot shorten a ban: {after}"
    );
    assert!(ban_of().await["until"].is_null(), "still banned for good");
    let said = r.viewer.say(&r.live, "free?", "f1").await;
    assert_eq!(code(&said), "forbidden");
}

/// Who may act on whom, as one table: deleting someone's message and timing them
/// out follow the same rule.
#[tokio::test]
async fn target_rules_are_the_same_for_every_action() {
    let app = TestApp::spawn().await;
    let r = room(&app).await;
    let mod2_token = app.signup("mod2").await;
    let admin_token = app.signup("boss").await;
    app.make_admin("boss").await;
    let added = r
        .streamer
        .emit_ack(
            "add_moderator",
            json!({"liveId": r.live, "nickname": "mod2"}),
        )
        .await;
    assert_eq!(added["ok"], true);
    let mod2 = app.socket(Some(&mod2_token)).await;
    mod2.enter(&r.live).await;
    let admin = app.socket(Some(&admin_token)).await;
    assert_eq!(admin.enter(&r.live).await["role"], "admin");

    let ids = [
        ("viewer", r.viewer_id.clone()),
        ("mod2", app.user_id(&mod2_token).await),
        ("streamer", app.user_id(&r.streamer_token).await),
        ("admin", app.user_id(&admin_token).await),
    ];
    let id_of = |name: &str| ids.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let socket_of = |name: &str| match name {
        "viewer" => &r.viewer,
        "mod2" => &mod2,
        "streamer" => &r.streamer,
        "admin" => &admin,
        "moderator" => &r.moderator,
        _ => unreachable!(),
    };
    // actor, target, may delete their message, may time them out
    let table = [
        ("moderator", "viewer", true, true),
        ("moderator", "mod2", false, false),
        ("moderator", "streamer", false, false),
        ("moderator", "admin", false, false),
        ("streamer", "viewer", true, true),
        ("streamer", "mod2", true, true),
        ("streamer", "admin", false, false),
        ("admin", "viewer", true, true),
        ("admin", "mod2", true, true),
        // The streamer's messages an admin may remove; restrictions never bind them.
        ("admin", "streamer", true, false),
    ];
    let mut n = 0;
    for (actor, target, may_delete, _) in table {
        n += 1;
        let said = socket_of(target)
            .say(&r.live, "hello", &format!("t{n}"))
            .await;
        assert_eq!(said["ok"], true, "{target} speaks: {said}");
        let ack = socket_of(actor)
            .emit_ack(
                "delete_message",
                json!({"liveId": r.live, "messageId": said["message"]["id"]}),
            )
            .await;
        let expected = if may_delete { "ok" } else { "forbidden" };
        assert_eq!(
            code(&ack),
            expected,
            "{actor} deletes {target}'s message: {ack}"
        );
    }
    for (actor, target, _, may_restrict) in table {
        let ack = socket_of(actor)
            .emit_ack(
                "timeout_user",
                json!({"liveId": r.live, "userId": id_of(target), "seconds": 60}),
            )
            .await;
        let expected = if may_restrict { "ok" } else { "forbidden" };
        assert_eq!(code(&ack), expected, "{actor} times out {target}: {ack}");
        if may_restrict {
            let lifted = admin
                .emit_ack(
                    "unban_user",
                    json!({"liveId": r.live, "userId": id_of(target)}),
                )
                .await;
            assert_eq!(lifted["ok"], true, "{lifted}");
        }
    }
}
