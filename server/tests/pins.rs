//! The pinned message: moderators pin a message or a text, for 30 s to 30 min
//! or until unpinned; everyone (and everyone arriving later) sees it; it ends
//! by time, by unpinning or with its message; every change is audited.

mod support;

use std::time::Duration;

use serde_json::json;
use support::TestApp;

#[tokio::test]
async fn a_moderator_pins_a_message_and_everyone_sees_it_late_arrivals_too() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let msg = s
        .say(&live, "Giveaway at 9 https://example.com/rules", "g")
        .await["message"]
        .clone();

    let ack = s
        .emit_ack(
            "pin_message",
            json!({"liveId": live, "messageId": msg["id"], "durationSecs": 600}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let pinned = viewer.recv("message_pinned").await;
    assert_eq!(pinned["liveId"], live.as_str());
    let pin = &pinned["pin"];
    assert_eq!(pin["messageId"], msg["id"]);
    assert_eq!(pin["content"], msg["content"]);
    assert_eq!(pin["fragments"], msg["fragments"]);
    assert_eq!(pin["pinnedBy"], "streamer");
    assert!(pin["until"].as_str().unwrap().ends_with('Z'));

    let late = app.socket(None).await;
    let entered = late.enter(&live).await;
    assert_eq!(entered["pin"], *pin);

    // One pin per room: a text pin replaces it.
    let ack = s
        .emit_ack("pin_message", json!({"liveId": live, "text": "Be kind"}))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let second = viewer.recv("message_pinned").await;
    assert_eq!(second["pin"]["content"], "Be kind");
    assert!(second["pin"].get("until").is_none(), "until unpinned");
    assert_eq!(late.enter(&live).await["pin"]["content"], "Be kind");

    let log = s.emit_ack("get_audit_log", json!({"liveId": live})).await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "pin").count(),
        2,
        "{actions:?}"
    );
}

#[tokio::test]
async fn pins_are_for_moderators_with_valid_targets_and_durations() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let other_live = app.create_live(&streamer, "Other").await.id;
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;
    s.enter(&other_live).await;
    let here = s.say(&live, "here", "h").await["message"]["id"].clone();
    let there = s.say(&other_live, "there", "t").await["message"]["id"].clone();
    let viewer = app.signup("viewer1").await;
    let v = app.socket(Some(&viewer)).await;
    v.enter(&live).await;

    let r = v
        .emit_ack("pin_message", json!({"liveId": live, "messageId": here}))
        .await;
    assert_eq!(r["error"]["code"], "forbidden", "{r}");
    for (body, why) in [
        (
            json!({"liveId": live, "messageId": there}),
            "another room's message",
        ),
        (json!({"liveId": live, "messageId": "zz"}), "a malformed id"),
        (json!({"liveId": live}), "nothing to pin"),
        (
            json!({"liveId": live, "messageId": here, "text": "x"}),
            "both",
        ),
        (
            json!({"liveId": live, "messageId": here, "durationSecs": 29}),
            "too short",
        ),
        (
            json!({"liveId": live, "messageId": here, "durationSecs": 1801}),
            "too long",
        ),
        (json!({"liveId": live, "text": "   "}), "an empty text"),
        (
            json!({"liveId": live, "messageId": here, "durationSecs": -5}),
            "a negative duration",
        ),
    ] {
        let r = s.emit_ack("pin_message", body).await;
        assert_eq!(r["error"]["code"], "invalid", "{why}: {r}");
    }
    assert!(
        s.enter(&live).await.get("pin").is_none(),
        "nothing was pinned"
    );
    let r = s.emit_ack("unpin_message", json!({"liveId": live})).await;
    assert_eq!(r["error"]["code"], "not_found");
}

#[tokio::test]
async fn unpinning_and_deleting_the_pinned_message_end_the_pin() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let msg = s.say(&live, "pin me", "p").await["message"]["id"].clone();

    s.emit_ack("pin_message", json!({"liveId": live, "messageId": msg}))
        .await;
    let pin_id = viewer.recv("message_pinned").await["pin"]["id"].clone();
    let r = s.emit_ack("unpin_message", json!({"liveId": live})).await;
    assert_eq!(r["ok"], true, "{r}");
    let un = viewer.recv("message_unpinned").await;
    assert_eq!(
        un,
        json!({"liveId": live, "id": pin_id, "reason": "unpinned"})
    );

    s.emit_ack("pin_message", json!({"liveId": live, "messageId": msg}))
        .await;
    let pin_id = viewer.recv("message_pinned").await["pin"]["id"].clone();
    s.emit_ack("delete_message", json!({"liveId": live, "messageId": msg}))
        .await;
    let un = viewer.recv("message_unpinned").await;
    assert_eq!(un["id"], pin_id);
    assert_eq!(un["reason"], "deleted");
    assert!(app
        .socket(None)
        .await
        .enter(&live)
        .await
        .get("pin")
        .is_none());
}

#[tokio::test]
async fn a_pin_expires_by_itself() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let r = s
        .emit_ack(
            "pin_message",
            json!({"liveId": live, "text": "short one", "durationSecs": 30}),
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let pin_id = viewer.recv("message_pinned").await["pin"]["id"].clone();
    let un = viewer
        .try_recv("message_unpinned", Duration::from_secs(40))
        .await
        .expect("unpinned within 40 s");
    assert_eq!(un["id"], pin_id);
    assert_eq!(un["reason"], "expired");
    assert!(app
        .socket(None)
        .await
        .enter(&live)
        .await
        .get("pin")
        .is_none());
}

#[tokio::test]
async fn tools_pin_and_unpin_over_http_too() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let post = |action: &str, body: serde_json::Value| {
        app.http
            .post(app.url(&format!("/api/lives/{live}/moderation/{action}")))
            .bearer_auth(&streamer)
            .json(&body)
            .send()
    };
    let r = post(
        "pin_message",
        json!({"text": "Schedule: 9 pm", "durationSecs": 600}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let pinned = viewer.recv("message_pinned").await;
    assert_eq!(pinned["pin"]["content"], "Schedule: 9 pm");
    let r = post("unpin_message", json!({})).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(viewer.recv("message_unpinned").await["reason"], "unpinned");
    let r = post("pin_message", json!({"durationSecs": 600}))
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "nothing to pin");
}
