//! `get_all_chat_by_liveId` and `GET /api/lives/{id}/chat`: paging both ways.

mod support;

use serde_json::{json, Value};
use support::TestApp;

fn seqs(page: &Value) -> Vec<u64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn pages_backwards_and_forwards() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    for i in 1..=120 {
        s.say(&live, &format!("m{i}"), &format!("c{i}")).await;
    }

    let latest = s
        .emit_ack("get_all_chat_by_liveId", json!({"liveId": live}))
        .await;
    assert_eq!(latest["ok"], true);
    assert_eq!(
        seqs(&latest),
        (71..=120).collect::<Vec<_>>(),
        "default: newest 50, oldest first"
    );
    assert_eq!(latest["hasMore"], true);

    let older = s
        .emit_ack(
            "get_all_chat_by_liveId",
            json!({"liveId": live, "before": 71, "limit": 100}),
        )
        .await;
    assert_eq!(seqs(&older), (1..=70).collect::<Vec<_>>());
    assert_eq!(older["hasMore"], false);

    let newer = s
        .emit_ack(
            "get_all_chat_by_liveId",
            json!({"liveId": live, "after": 100, "limit": 10}),
        )
        .await;
    assert_eq!(seqs(&newer), (101..=110).collect::<Vec<_>>());
    assert_eq!(newer["hasMore"], true);

    let tail = s
        .emit_ack(
            "get_all_chat_by_liveId",
            json!({"liveId": live, "after": 115}),
        )
        .await;
    assert_eq!(seqs(&tail), (116..=120).collect::<Vec<_>>());
    assert_eq!(tail["hasMore"], false);

    let http: Value = app
        .get_json(&format!("/api/lives/{live}/chat?before=3"))
        .await;
    assert_eq!(seqs(&http), vec![1, 2]);
}

#[tokio::test]
async fn bad_paging_requests_are_invalid() {
    let app = TestApp::spawn().await;
    let (live, _) = app.live_with_streamer().await;
    let s = app.socket(None).await;
    for (payload, why) in [
        (json!({"liveId": live, "limit": 0}), "limit 0"),
        (json!({"liveId": live, "limit": 101}), "limit 101"),
        (json!({"liveId": live, "limit": -1}), "negative limit"),
        (
            json!({"liveId": live, "before": 5, "after": 1}),
            "both directions",
        ),
        (json!({"liveId": live, "before": "soon"}), "string cursor"),
        (json!({}), "no liveId"),
    ] {
        let r = s.emit_ack("get_all_chat_by_liveId", payload).await;
        assert_eq!(r["error"]["code"], "invalid", "{why}: {r}");
    }
    let r = s
        .emit_ack(
            "get_all_chat_by_liveId",
            json!({"liveId": "bbbbbbbbbbbbbbbbbbbbbbbb"}),
        )
        .await;
    assert_eq!(r["error"]["code"], "not_found");
    let status = app
        .http
        .get(app.url(&format!("/api/lives/{live}/chat?limit=abc")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
}
