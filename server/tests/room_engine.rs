//! The room engine: group commit, partial failures, admission under overload,
//! and the recent history it keeps in memory.

mod support;

use std::time::{Duration, Instant};

use futures::{future::join_all, stream::FuturesUnordered, StreamExt};
use serde_json::json;
use support::{own_db::OwnDatabase, TestApp};

#[tokio::test]
async fn group_commit_gives_concurrent_senders_seqs_1_to_n_and_acks_only_stored_messages() {
    // About group commit, not admission (its own test below): on a loaded
    // machine a slow debug build may estimate the burst's wait past 100 ms.
    let app = TestApp::spawn_with(&[("ROOM_MAX_QUEUE_WAIT_MS", "10000")]).await;
    let (live, _) = app.live_with_streamer().await;
    let mut senders = Vec::new();
    for i in 0..5 {
        let t = app.signup(&format!("gc{i}")).await;
        senders.push(app.socket(Some(&t)).await);
    }
    // All 200 sent at once; each ack, as it arrives, must find its message stored.
    let mut sends: FuturesUnordered<_> = senders
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let (live, app) = (live.clone(), &app);
            (0..40).map(move |j| {
                let (live, client_id) = (live.clone(), format!("gc{i}-{j}"));
                async move {
                    let ack = s.say(&live, "hello", &client_id).await;
                    let stored = app.is_stored(&live, &client_id).await;
                    (ack, stored)
                }
            })
        })
        .collect();
    let mut seqs = Vec::new();
    while let Some((ack, stored)) = sends.next().await {
        assert_eq!(ack["ok"], true, "{ack}");
        assert!(stored, "acked before stored: {ack}");
        seqs.push(ack["message"]["seq"].as_u64().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=200).collect::<Vec<_>>(),
        "1..n, no gap, none twice"
    );
    let inserts = app.metric("livechat_store_batch_messages_count").await;
    assert!(
        inserts < 200.0,
        "sends that queued together were stored together ({inserts} inserts for 200)"
    );
}

#[tokio::test]
async fn a_batch_refused_half_way_acks_the_stored_prefix_and_stores_the_rest_after() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let sender = app.socket(Some(&token)).await;
    for i in 1..=3 {
        assert_eq!(
            sender.say(&live, "warm", &format!("w{i}")).await["ok"],
            true
        );
    }
    // Another writer takes seq 6: the next batch (4, 5, 6, ...) is refused at 6.
    app.insert_foreign(&live, 6, "foreign-6").await;
    let ids: Vec<String> = (0..6).map(|k| format!("b{k}")).collect();
    let acks = join_all(ids.iter().map(|id| sender.say(&live, "burst", id))).await;
    let mut seqs: Vec<u64> = acks
        .iter()
        .map(|a| {
            assert_eq!(a["ok"], true, "{a}");
            a["message"]["seq"].as_u64().unwrap()
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in send order: {seqs:?}"
    );
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        vec![4, 5, 7, 8, 9, 10],
        "around the foreign seq, no gap"
    );

    let stored = app.stored_seqs(&live).await;
    assert_eq!(stored, (1..=10).collect::<Vec<_>>(), "one document per seq");
    // Viewers get every stored message in order, the other writer's included.
    for want in 1..=10u64 {
        let m = viewer.recv("sending_message").await;
        assert_eq!(m["seq"], want, "{m}");
    }
    // Resending is safe: the original comes back, nothing is stored twice.
    let again = sender.say(&live, "burst", "b2").await;
    assert_eq!(again["message"]["seq"], acks[2]["message"]["seq"]);
    assert_eq!(app.stored(&live).await.len(), 10);
    assert!(
        viewer
            .try_recv("sending_message", Duration::from_millis(300))
            .await
            .is_none(),
        "a resend is not broadcast again"
    );
}

#[tokio::test]
async fn overload_is_refused_at_once_and_no_ack_comes_later_than_the_bound() {
    let db = OwnDatabase::start().await;
    let app = TestApp::spawn_on(
        db.uri(),
        &[
            ("ROOM_QUEUE_MAX", "8"),
            ("ACK_DEADLINE_MS", "1000"),
            ("DB_TIMEOUT_MS", "5000"),
        ],
    )
    .await;
    let (live, token) = app.live_with_streamer().await;
    let sender = app.socket(Some(&token)).await;
    assert_eq!(sender.say(&live, "warm", "warm").await["ok"], true);

    // The database stops answering: the writer's batch hangs, the queue fills.
    db.hang(true);
    let timed = (0..40).map(|k| {
        let (sender, live) = (&sender, live.clone());
        async move {
            // Spread a little so the first one is in flight before the rest arrive.
            tokio::time::sleep(Duration::from_millis(k as u64 * 2)).await;
            let started = Instant::now();
            let ack = sender.say(&live, "load", &format!("o{k}")).await;
            (ack, started.elapsed())
        }
    });
    let results = join_all(timed).await;
    db.hang(false);
    let mut refused_fast = 0;
    for (ack, took) in &results {
        assert_eq!(ack["error"]["code"], "unavailable", "{ack}");
        assert!(ack["error"]["retryAfterMs"].as_u64().is_some(), "{ack}");
        assert!(
            took < &Duration::from_millis(1500),
            "an ack {took:?} after its send"
        );
        if *took < Duration::from_millis(100) {
            refused_fast += 1;
        }
    }
    assert!(
        refused_fast >= 30,
        "beyond the queue, sends are refused at once ({refused_fast} of 40)"
    );

    // Once the database answers, resending every clientId (one at a time, as
    // a client honouring retryAfterMs would) stores each exactly once.
    for k in 0..40 {
        let mut ack = sender.say(&live, "load", &format!("o{k}")).await;
        for _ in 0..10 {
            let Some(wait) = ack["error"]["retryAfterMs"].as_u64() else {
                break;
            };
            tokio::time::sleep(Duration::from_millis(wait)).await;
            ack = sender.say(&live, "load", &format!("o{k}")).await;
        }
        assert_eq!(ack["ok"], true, "{ack}");
    }
    let stored = app.stored_seqs(&live).await;
    assert_eq!(stored, (1..=41).collect::<Vec<_>>(), "no gap, no duplicate");
}

#[tokio::test]
async fn arrivals_get_recent_history_from_memory_with_deletions_applied() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let sender = app.socket(Some(&token)).await;
    let mut ids = Vec::new();
    for i in 1..=5 {
        let a = sender.say(&live, &format!("m{i}"), &format!("h{i}")).await;
        ids.push(a["message"]["id"].as_str().unwrap().to_owned());
    }
    for id in [&ids[2], &ids[4]] {
        let r = sender
            .emit_ack("delete_message", json!({"liveId": live, "messageId": id}))
            .await;
        assert_eq!(r["ok"], true, "{r}");
    }
    let viewer = app.socket(None).await;
    let entered = viewer.enter(&live).await;
    let seqs: Vec<u64> = entered["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2, 4], "deleted messages are gone");
    assert_eq!(entered["lastSeq"], 5, "their seqs are accounted for");

    // A catch-up after seq 4 finds nothing missing: seq 5 was deleted, not lost.
    let page = viewer
        .emit_ack(
            "get_all_chat_by_liveId",
            json!({"liveId": live, "after": 4}),
        )
        .await;
    assert_eq!(page["messages"], json!([]));
    assert_eq!(page["lastSeq"], 5);
    // The page rendered on the server says the same.
    let html = app.get_text(&format!("/live/{live}")).await;
    assert!(html.contains("m4") && !html.contains("m5") && !html.contains(">m3<"));
}
