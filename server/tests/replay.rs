//! Replays page through an ended live's chat by time since it started, from
//! MongoDB, hiding deleted messages; bad parameters are refused.

mod support;

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use reqwest::StatusCode;
use serde_json::Value;
use support::TestApp;

/// Stores a message said `after_ms` after the live started.
async fn said(
    app: &TestApp,
    live_id: &str,
    started: DateTime,
    seq: i64,
    after_ms: i64,
    text: &str,
    deleted: bool,
) {
    let client = mongodb::Client::with_uri_str(&app.db_uri).await.unwrap();
    let db = client.default_database().unwrap();
    let at = DateTime::from_millis(started.timestamp_millis() + after_ms);
    let mut d = doc! {
        "_id": ObjectId::new(), "liveId": live_id, "seq": seq, "userId": "u1", "nickname": "speaker",
        "content": text, "clientId": format!("c{seq}"), "createdAt": at, "updatedAt": at,
    };
    if deleted {
        d.insert("deletedAtMs", at.timestamp_millis());
    }
    db.collection::<Document>("chat")
        .insert_one(d)
        .await
        .unwrap();
}

fn texts(page: &Value) -> Vec<&str> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn replay_pages_by_time_since_the_start_and_hides_deleted_messages() {
    let app = TestApp::spawn().await;
    let token = app.signup("host").await;
    let live = app.create_live(&token, "Recorded").await;
    let started = DateTime::parse_rfc3339_str(&live.created_at).unwrap();
    // Stored out of order on purpose: time, not insertion, decides.
    said(&app, &live.id, started, 3, 10_000, "at ten", false).await;
    said(&app, &live.id, started, 1, 1_000, "at one", false).await;
    said(&app, &live.id, started, 2, 5_000, "at five", false).await;
    said(&app, &live.id, started, 4, 7_000, "deleted at seven", true).await;

    let page = |q: &str| {
        let path = format!("/api/lives/{}/replay{q}", live.id);
        let app = &app;
        async move { app.get_json(&path).await }
    };
    let all = page("").await;
    assert_eq!(texts(&all), ["at one", "at five", "at ten"]);
    assert_eq!(all["hasMore"], false);
    assert_eq!(texts(&page("?fromMs=4000").await), ["at five", "at ten"]);
    assert_eq!(
        texts(&page("?fromMs=5000").await),
        ["at five", "at ten"],
        "from is inclusive"
    );
    // (Whole seconds: nx-27017, the test database, compares dates by the second.)
    assert_eq!(texts(&page("?fromMs=11000").await), Vec::<&str>::new());
    let one = page("?fromMs=0&limit=1").await;
    assert_eq!(texts(&one), ["at one"]);
    assert_eq!(one["hasMore"], true);
    // The next pages go on by seq.
    let next = page("?afterSeq=1&limit=1").await;
    assert_eq!(texts(&next), ["at five"]);
    assert_eq!(next["hasMore"], true);
    let last = page("?afterSeq=2").await;
    assert_eq!(texts(&last), ["at ten"], "the deleted seq 4 is skipped");
    assert_eq!(last["hasMore"], false);
    // Far past any recording: nothing, not an error.
    assert_eq!(
        texts(&page(&format!("?fromMs={}", u64::MAX)).await),
        Vec::<&str>::new()
    );

    let status = |q: String| {
        let app = &app;
        async move { app.http.get(app.url(&q)).send().await.unwrap().status() }
    };
    for bad in [
        "?limit=0",
        "?limit=201",
        "?fromMs=-1",
        "?fromMs=soon",
        "?afterSeq=x",
    ] {
        assert_eq!(
            status(format!("/api/lives/{}/replay{bad}", live.id)).await,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        status("/api/lives/nope/replay".into()).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(format!("/api/lives/{}/replay", ObjectId::new().to_hex())).await,
        StatusCode::NOT_FOUND
    );
}
