//! Conversation features on the wire: replies, mentions, links and their room
//! policy, `/me` actions. Everything is resolved by the server into structured
//! fields; nothing invalid is stored.

mod support;

use serde_json::{json, Value};
use support::TestApp;

async fn send(s: &support::socket::TestSocket, live: &str, body: Value) -> Value {
    let mut req = json!({"liveId": live});
    req.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    s.emit_ack("new_message", req).await
}

#[tokio::test]
async fn a_reply_carries_a_snapshot_of_its_parent() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let long = "가".repeat(150);
    let parent = s.say(&live, &long, "p1").await["message"].clone();
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;

    let ack = send(
        &s,
        &live,
        json!({"content": "agreed", "clientId": "r1", "replyToId": parent["id"]}),
    )
    .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let reply = &ack["message"]["replyTo"];
    assert_eq!(reply["id"], parent["id"]);
    assert_eq!(reply["seq"], 1);
    assert_eq!(reply["nickname"], "streamer");
    assert_eq!(reply["userId"], parent["userId"]);
    assert_eq!(reply["excerpt"].as_str().unwrap().chars().count(), 100);
    // Viewers and history see the same snapshot.
    let got = viewer.recv("sending_message").await;
    assert_eq!(got["replyTo"], *reply);
    let stored = app.stored(&live).await;
    assert_eq!(
        stored[1]
            .get_document("replyTo")
            .unwrap()
            .get_str("id")
            .unwrap(),
        parent["id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn replies_to_bad_ids_other_rooms_and_deleted_messages_are_refused() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let other_live = app.create_live(&token, "Other").await.id;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    s.enter(&other_live).await;
    let elsewhere = s.say(&other_live, "over there", "o1").await["message"]["id"].clone();
    let here = s.say(&live, "here", "h1").await["message"]["id"].clone();

    for (i, bad) in [
        json!("nope"),
        json!(12),
        json!("aaaaaaaaaaaaaaaaaaaaaaaa"),
        elsewhere,
    ]
    .into_iter()
    .enumerate()
    {
        let ack = send(
            &s,
            &live,
            json!({"content": "x", "clientId": format!("b{i}"), "replyToId": bad}),
        )
        .await;
        assert_eq!(ack["error"]["code"], "invalid", "{bad}: {ack}");
    }
    let del = s
        .emit_ack("delete_message", json!({"liveId": live, "messageId": here}))
        .await;
    assert_eq!(del["ok"], true, "{del}");
    let ack = send(
        &s,
        &live,
        json!({"content": "x", "clientId": "d1", "replyToId": here}),
    )
    .await;
    assert_eq!(ack["error"]["code"], "invalid", "{ack}");
    assert!(ack["error"]["message"]
        .as_str()
        .unwrap()
        .contains("deleted"));
    // Nothing refused was stored: only the (deleted) parent is there.
    assert_eq!(app.stored(&live).await.len(), 1);
}

#[tokio::test]
async fn deleting_a_parent_later_leaves_replies_showing_a_deleted_message() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let parent = s.say(&live, "secret words", "p").await["message"]["id"].clone();
    let reply = send(
        &s,
        &live,
        json!({"content": "what?", "clientId": "r", "replyToId": parent}),
    )
    .await;
    assert_eq!(reply["ok"], true);
    s.emit_ack(
        "delete_message",
        json!({"liveId": live, "messageId": parent}),
    )
    .await;

    // Someone arriving now (memory) and the history read from the database.
    let late = app.socket(None).await;
    let entered = late.enter(&live).await;
    let history = entered["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["replyTo"]["deleted"], true);
    assert_eq!(history[0]["replyTo"]["excerpt"], "");
    let stored = app.stored(&live).await;
    let snap = stored
        .iter()
        .find_map(|d| d.get_document("replyTo").ok())
        .unwrap();
    assert_eq!(snap.get_str("excerpt").unwrap(), "");
    assert!(snap.get_i64("deletedAtMs").is_ok());
    let restarted = TestApp::spawn_on(app.db_uri.clone(), &[]).await;
    let s2 = restarted.socket(None).await;
    let page = s2
        .emit_ack(
            "get_all_chat_by_liveId",
            json!({"liveId": live, "before": 99}),
        )
        .await;
    assert_eq!(page["messages"][0]["replyTo"]["deleted"], true, "{page}");
}

#[tokio::test]
async fn mentions_of_accounts_resolve_and_unknown_names_stay_text() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    // Alice has an account but never came to this room; Bob is here.
    let alice = app.signup("Alice").await;
    let alice_id = app.user_id(&alice).await;
    let bob = app.signup("bob_2").await;
    let bob_id = app.user_id(&bob).await;
    let bob_socket = app.socket(Some(&bob)).await;
    bob_socket.enter(&live).await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;

    let ack = s
        .say(
            &live,
            "hi @alice and @BOB_2, not @nobody_here or x@bob_2",
            "m1",
        )
        .await;
    let m = &ack["message"];
    assert_eq!(m["mentions"], json!([alice_id, bob_id]), "{m}");
    let frags = m["fragments"].as_array().unwrap();
    let joined: String = frags.iter().map(|f| f["text"].as_str().unwrap()).collect();
    assert_eq!(joined, m["content"]);
    assert_eq!(
        frags[1],
        json!({"type": "mention", "text": "@alice", "userId": alice_id})
    );
    assert!(frags
        .iter()
        .all(|f| f["type"] != "mention" || f["text"] != "@nobody_here"));

    // A plain message carries no fragments or mentions at all.
    let plain = s.say(&live, "just words", "m2").await;
    assert!(plain["message"].get("fragments").is_none(), "{plain}");
    assert!(plain["message"].get("mentions").is_none());
}

#[tokio::test]
async fn http_links_become_link_fragments_and_nothing_else_does() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let ack = s
        .say(
            &live,
            "see https://example.com/x?y=1. or javascript:alert(1) <a href=x>",
            "l1",
        )
        .await;
    let frags = ack["message"]["fragments"].as_array().unwrap();
    let links: Vec<&Value> = frags.iter().filter(|f| f["type"] == "link").collect();
    assert_eq!(links.len(), 1, "{frags:?}");
    assert_eq!(links[0]["url"], "https://example.com/x?y=1");
    assert!(frags
        .iter()
        .any(|f| f["type"] == "text" && f["text"].as_str().unwrap().contains("<a href=x>")));
}

#[tokio::test]
async fn the_link_policy_refuses_links_from_those_it_excludes() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let viewer = app.signup("viewer1").await;
    let v = app.socket(Some(&viewer)).await;
    v.enter(&live).await;
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;

    let bad = s
        .emit_ack(
            "update_room_settings",
            json!({"liveId": live, "links": "sometimes"}),
        )
        .await;
    assert_eq!(bad["ok"], false);
    let set = s
        .emit_ack(
            "update_room_settings",
            json!({"liveId": live, "links": "moderators"}),
        )
        .await;
    assert_eq!(set["ok"], true, "{set}");
    let refused = v.say(&live, "go to http://spam.example", "v1").await;
    assert_eq!(refused["error"]["code"], "forbidden", "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("links"));
    assert_eq!(v.say(&live, "no link here", "v2").await["ok"], true);
    assert_eq!(
        s.say(&live, "official: https://shop.example", "s1").await["ok"],
        true,
        "moderators may"
    );

    s.emit_ack(
        "update_room_settings",
        json!({"liveId": live, "links": "none"}),
    )
    .await;
    let refused = s.say(&live, "https://shop.example again", "s2").await;
    assert_eq!(refused["error"]["code"], "forbidden");
    // Everyone learns the policy on entering.
    let entered = app.socket(None).await.enter(&live).await;
    assert_eq!(entered["settings"]["links"], "none");
    let contents: Vec<String> = app
        .stored(&live)
        .await
        .iter()
        .map(|d| d.get_str("content").unwrap().to_owned())
        .collect();
    assert_eq!(
        contents,
        vec!["no link here", "official: https://shop.example"]
    );
}

#[tokio::test]
async fn me_actions_are_marked_and_an_empty_action_is_refused() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    s.enter(&live).await;
    let ack = s.say(&live, "/me waves at everyone", "a1").await;
    assert_eq!(ack["message"]["action"], true, "{ack}");
    assert_eq!(ack["message"]["content"], "waves at everyone");
    let empty = s.say(&live, "/me   ", "a2").await;
    assert_eq!(empty["error"]["code"], "invalid");
    let not_action = s.say(&live, "/meow", "a3").await;
    assert!(not_action["message"].get("action").is_none());
}

#[tokio::test]
async fn blocked_terms_apply_to_link_text() {
    let app = TestApp::spawn().await;
    let (live, streamer) = app.live_with_streamer().await;
    let viewer = app.signup("viewer2").await;
    let s = app.socket(Some(&streamer)).await;
    s.enter(&live).await;
    s.emit_ack(
        "update_room_settings",
        json!({"liveId": live, "blockedTerms": ["casino"]}),
    )
    .await;
    let v = app.socket(Some(&viewer)).await;
    v.enter(&live).await;
    let r = v.say(&live, "https://best-casino.example/win", "c1").await;
    assert_eq!(r["error"]["code"], "blocked", "{r}");
    let r = v.say(&live, "/me plays at the casino", "c2").await;
    assert_eq!(r["error"]["code"], "blocked", "{r}");
}
