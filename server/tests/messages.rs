//! The message protocol: rooms, persistence before ack, broadcast, validation,
//! idempotent retries and bad input.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::TestApp;

#[tokio::test]
async fn enter_room_returns_history_and_viewers() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let a = app.socket(Some(&token)).await;
    let first = a.enter(&live).await;
    assert_eq!(first["history"], json!([]));
    assert_eq!(first["viewers"], 1);
    for i in 1..=55 {
        a.say(&live, &format!("m{i}"), &format!("c{i}")).await;
    }
    let b = app.socket(None).await;
    let entered = b.enter(&live).await;
    let history = entered["history"].as_array().unwrap();
    assert_eq!(history.len(), 50, "the last 50");
    assert_eq!(history[0]["seq"], 6, "oldest first");
    assert_eq!(history[49]["content"], "m55");
    assert_eq!(entered["viewers"], 2);
}

#[tokio::test]
async fn unknown_or_malformed_live_is_not_found_or_invalid() {
    let app = TestApp::spawn().await;
    let s = app.socket(None).await;
    let r = s
        .emit_ack("enter_room", json!({"liveId": "aaaaaaaaaaaaaaaaaaaaaaaa"}))
        .await;
    assert_eq!(r["ok"], false);
    assert_eq!(r["error"]["code"], "not_found");
    let r = s.emit_ack("enter_room", json!({"liveId": "nope"})).await;
    assert_eq!(r["error"]["code"], "invalid");
}

#[tokio::test]
async fn a_message_is_stored_before_its_ack_then_broadcast() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut other = app.socket(None).await;
    other.enter(&live).await;
    let sender = app.socket(Some(&token)).await;
    sender.enter(&live).await;

    let ack = sender.say(&live, "  hello world  ", "client-1").await;
    assert_eq!(ack["ok"], true, "{ack}");
    let msg = &ack["message"];
    assert_eq!(msg["content"], "hello world", "trimmed");
    assert_eq!(msg["seq"], 1);
    assert_eq!(msg["clientId"], "client-1");
    assert_eq!(msg["liveId"], live.as_str());
    assert!(msg["createdAt"].as_str().unwrap().ends_with('Z'));

    // Already in the database when the ack arrived.
    let stored = app.stored(&live).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].get_str("content").unwrap(), "hello world");
    assert_eq!(stored[0].get_str("nickname").unwrap(), "streamer");

    let got = other.recv("sending_message").await;
    assert_eq!(&got, msg);
}

#[tokio::test]
async fn rooms_are_isolated() {
    let app = TestApp::spawn().await;
    let (live_a, token) = app.live_with_streamer().await;
    let live_b = app.create_live(&token, "Other room").await.id;
    let mut in_a = app.socket(None).await;
    in_a.enter(&live_a).await;
    let mut in_b = app.socket(None).await;
    in_b.enter(&live_b).await;
    let sender = app.socket(Some(&token)).await;

    sender.say(&live_b, "only for b", "b1").await;
    sender.say(&live_a, "only for a", "a1").await;
    assert_eq!(in_a.recv("sending_message").await["content"], "only for a");
    assert_eq!(in_b.recv("sending_message").await["content"], "only for b");
    assert!(in_a
        .try_recv("sending_message", Duration::from_millis(300))
        .await
        .is_none());
    assert_eq!(support::seq_of(&app.stored(&live_a).await[0]), 1);
    assert_eq!(
        support::seq_of(&app.stored(&live_b).await[0]),
        1,
        "seq counts per room"
    );
}

#[tokio::test]
async fn leaving_a_room_stops_its_messages() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let r = viewer.emit_ack("leave_room", json!({"liveId": live})).await;
    assert_eq!(r, json!({"ok": true}));
    let sender = app.socket(Some(&token)).await;
    sender.say(&live, "gone", "c1").await;
    assert!(viewer
        .try_recv("sending_message", Duration::from_millis(300))
        .await
        .is_none());
}

#[tokio::test]
async fn viewer_counts_follow_joins_and_leaves() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let mut a = app.socket(None).await;
    a.enter(&live).await;
    let b = app.socket(None).await;
    b.enter(&live).await;
    let mut count = a.recv("viewer_count").await;
    while count["count"] != 2 {
        count = a.recv("viewer_count").await;
    }
    drop(b);
    let mut count = a.recv("viewer_count").await;
    while count["count"] != 1 {
        count = a.recv("viewer_count").await;
    }
    assert_eq!(count["liveId"], live.as_str());
    let listed: Value = app.get_json("/api/lives").await;
    assert_eq!(listed[0]["viewers"], 1);
}

#[tokio::test]
async fn invalid_content_is_refused_and_never_stored() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let long = "x".repeat(501);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"liveId": live, "content": "   ", "clientId": "a"}),
            "blank",
        ),
        (
            json!({"liveId": live, "content": long, "clientId": "b"}),
            "501 chars",
        ),
        (
            json!({"liveId": live, "content": 42, "clientId": "c"}),
            "number content",
        ),
        (json!({"liveId": live, "clientId": "d"}), "missing content"),
        (json!({"liveId": live, "content": "hi"}), "missing clientId"),
        (
            json!({"liveId": live, "content": "hi", "clientId": "has space"}),
            "bad clientId",
        ),
        (
            json!({"liveId": 7, "content": "hi", "clientId": "e"}),
            "number liveId",
        ),
        (json!("just a string"), "not an object"),
        (json!([1, 2, 3]), "array"),
    ];
    for (payload, name) in cases {
        let r = s.emit_ack("new_message", payload).await;
        assert_eq!(r["ok"], false, "{name} accepted");
        assert_eq!(r["error"]["code"], "invalid", "{name}: {r}");
        assert!(!r["error"]["message"].as_str().unwrap().is_empty());
    }
    let max = "é".repeat(500);
    let ok = s.say(&live, &max, "max").await;
    assert_eq!(ok["ok"], true, "500 characters are fine");
    assert_eq!(app.stored(&live).await.len(), 1);
}

#[tokio::test]
async fn html_is_stored_and_sent_as_plain_text() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    let payload = "<script>alert(1)</script><b>bold</b>";
    let r = s.say(&live, payload, "x").await;
    assert_eq!(r["message"]["content"], payload);
    let page = app.get_text(&format!("/live/{live}")).await;
    assert!(!page.contains(payload), "raw HTML must not reach the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn a_retried_client_id_returns_the_original_without_a_second_broadcast() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut watcher = app.socket(None).await;
    watcher.enter(&live).await;
    let s = app.socket(Some(&token)).await;
    let first = s.say(&live, "once", "retry-me").await;
    let again = s.say(&live, "once (retry)", "retry-me").await;
    assert_eq!(again["ok"], true);
    assert_eq!(
        again["message"], first["message"],
        "the original comes back"
    );
    assert_eq!(watcher.recv("sending_message").await["seq"], 1);
    s.say(&live, "next", "another").await;
    assert_eq!(
        watcher.recv("sending_message").await["seq"],
        2,
        "no second broadcast, no gap"
    );
    assert_eq!(app.stored(&live).await.len(), 2);
}

#[tokio::test]
async fn unknown_events_and_garbage_get_errors_not_crashes() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut bad = app.socket(Some(&token)).await;
    let r = bad.emit_ack("drop_database", json!({})).await;
    assert_eq!(r["ok"], false);
    assert_eq!(r["error"]["code"], "invalid");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("drop_database"));

    for frame in [
        "42[",
        "4",
        "42{}",
        "43",
        "9",
        "42[\"new_message\"",
        "42999999999999999999[\"x\"]",
    ] {
        bad.send_raw(frame);
    }
    // Whatever the garbage did to that socket, everyone else is still served.
    let _ = bad.closed_within(Duration::from_millis(500)).await;
    let good = app.socket(Some(&token)).await;
    good.enter(&live).await;
    assert_eq!(good.say(&live, "still here", "ok1").await["ok"], true);
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn oversized_packets_close_only_that_socket() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut big = app.socket(Some(&token)).await;
    let mut bystander = app.socket(None).await;
    bystander.enter(&live).await;

    let huge = "x".repeat(64 * 1024);
    big.send_raw(format!(
        r#"42["new_message",{{"liveId":"{live}","content":"{huge}","clientId":"big"}}]"#
    ));
    assert!(
        big.closed_within(Duration::from_secs(5)).await,
        "oversized packet must close the socket"
    );

    let sender = app.socket(Some(&token)).await;
    sender.say(&live, "after the flood", "ok").await;
    assert_eq!(
        bystander.recv("sending_message").await["content"],
        "after the flood"
    );
    assert_eq!(app.stored(&live).await.len(), 1);
}

#[tokio::test]
async fn deeply_nested_json_is_refused() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let ack = s
        .raw_ack(&format!(r#"["new_message",{nested}]"#))
        .await
        .expect("an answer, not a hang or a crash");
    assert_eq!(ack["ok"], false, "{ack}");
    assert_eq!(ack["error"]["code"], "invalid", "{ack}");
    assert!(app.stored(&live).await.is_empty(), "nothing stored");
    assert!(
        !s.closed_within(Duration::from_millis(200)).await,
        "the socket that sent it keeps working"
    );
    assert_eq!(s.say(&live, "after", "n0").await["ok"], true);
    let other = app.socket(Some(&token)).await;
    assert_eq!(other.say(&live, "fine", "n1").await["ok"], true);
}
