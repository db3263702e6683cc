//! People in a room: user cards (moderators see more), ignore lists kept in
//! the account, and first messages marked for moderators only.

mod support;

use std::time::Duration;

use serde_json::json;
use support::TestApp;

#[tokio::test]
async fn a_card_shows_age_count_and_badge_and_moderators_see_more() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let viewer = app.signup("chatty").await;
    let viewer_id = app.user_id(&viewer).await;
    let v = app.socket(Some(&viewer)).await;
    v.enter(&live).await;
    for i in 0..3 {
        v.say(&live, &format!("hello {i}"), &format!("c{i}")).await;
    }
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;
    s.emit_ack(
        "timeout_user",
        json!({"liveId": live, "userId": viewer_id, "seconds": 600}),
    )
    .await;

    let other = app.signup("curious").await;
    let o = app.socket(Some(&other)).await;
    o.enter(&live).await;
    let card = o
        .emit_ack(
            "get_user_card",
            json!({"liveId": live, "userId": viewer_id}),
        )
        .await;
    assert_eq!(card["ok"], true, "{card}");
    assert_eq!(card["nickname"], "chatty");
    assert_eq!(card["messageCount"], 3);
    assert_eq!(card["role"], "viewer");
    assert!(card["accountCreatedAt"].as_str().unwrap().ends_with('Z'));
    assert!(
        card.get("moderation").is_none(),
        "viewers see no moderation: {card}"
    );

    let card = s
        .emit_ack(
            "get_user_card",
            json!({"liveId": live, "userId": viewer_id}),
        )
        .await;
    let m = &card["moderation"];
    let recent: Vec<&str> = m["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["content"].as_str().unwrap())
        .collect();
    assert_eq!(recent, vec!["hello 0", "hello 1", "hello 2"]);
    assert!(m["restriction"]["until"].as_str().is_some(), "{m}");
    assert_eq!(m["canAct"], true);

    let streamer_id = app.user_id(&streamer).await;
    let card = o
        .emit_ack(
            "get_user_card",
            json!({"liveId": live, "userId": streamer_id}),
        )
        .await;
    assert_eq!(card["badge"], "streamer");
    for bad in [json!("nope"), json!("aaaaaaaaaaaaaaaaaaaaaaaa")] {
        let r = o
            .emit_ack("get_user_card", json!({"liveId": live, "userId": bad}))
            .await;
        assert_eq!(r["ok"], false, "{bad}: {r}");
    }
}

#[tokio::test]
async fn the_ignore_list_is_kept_in_the_account() {
    let app = TestApp::spawn().await;
    let (_, streamer) = app.live_with_streamer().await;
    let streamer_id = app.user_id(&streamer).await;
    let me = app.signup("quiet").await;
    let my_id = app.user_id(&me).await;
    let s = app.socket(Some(&me)).await;
    let r = s
        .emit_ack(
            "ignore_user",
            json!({"userId": streamer_id, "ignore": true}),
        )
        .await;
    assert_eq!(r["userIds"], json!([streamer_id]), "{r}");
    // Another connection (another device) gets the same list.
    let again = app.socket(Some(&me)).await;
    let r = again.emit_ack("get_ignored", json!({})).await;
    assert_eq!(r["userIds"], json!([streamer_id]));
    let r = s
        .emit_ack("ignore_user", json!({"userId": my_id, "ignore": true}))
        .await;
    assert_eq!(r["error"]["code"], "invalid");
    let r = s
        .emit_ack(
            "ignore_user",
            json!({"userId": "aaaaaaaaaaaaaaaaaaaaaaaa", "ignore": true}),
        )
        .await;
    assert_eq!(r["error"]["code"], "not_found");
    let r = s
        .emit_ack(
            "ignore_user",
            json!({"userId": streamer_id, "ignore": false}),
        )
        .await;
    assert_eq!(r["userIds"], json!([]));
    let guest = app.socket(None).await;
    let r = guest.emit_ack("get_ignored", json!({})).await;
    assert_eq!(r["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn first_messages_are_marked_for_moderators_only() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let mut moderator = app.socket(Some(&streamer)).await;
    moderator.enter(&live).await;
    let mut viewer_sock = app.socket(None).await;
    viewer_sock.enter(&live).await;
    let newcomer = app.signup("newcomer").await;
    let n = app.socket(Some(&newcomer)).await;
    n.enter(&live).await;

    let first = n.say(&live, "hi all, first time here", "f1").await;
    let notice = moderator.recv("first_message").await;
    assert_eq!(notice["messageId"], first["message"]["id"]);
    assert_eq!(notice["userId"], first["message"]["userId"]);
    n.say(&live, "second", "f2").await;
    assert!(
        moderator
            .try_recv("first_message", Duration::from_millis(500))
            .await
            .is_none(),
        "only the first"
    );
    assert!(
        viewer_sock
            .try_recv("first_message", Duration::from_millis(200))
            .await
            .is_none(),
        "never sent to viewers"
    );
    // A server that restarts does not take the third message for a first.
    let restarted = TestApp::spawn_on(app.db_uri.clone(), &[]).await;
    let mut m2 = restarted.socket(Some(&streamer)).await;
    m2.enter(&live).await;
    let n2 = restarted.socket(Some(&newcomer)).await;
    n2.enter(&live).await;
    n2.say(&live, "third", "f3").await;
    assert!(m2
        .try_recv("first_message", Duration::from_millis(500))
        .await
        .is_none());
}
