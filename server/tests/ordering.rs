//! Every viewer receives a room's messages in `seq` order, with no gap and no
//! duplicate, however many senders race.

mod support;

use std::collections::HashSet;

use futures::future::join_all;
use support::TestApp;

const SENDERS: usize = 6;
const PER_SENDER: usize = 25;

#[tokio::test]
async fn concurrent_senders_produce_one_gapless_order_seen_by_all() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut viewers = Vec::new();
    for _ in 0..3 {
        let v = app.socket(None).await;
        v.enter(&live).await;
        viewers.push(v);
    }
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let t = app.signup(&format!("sender{i}")).await;
        let s = app.socket(Some(&t)).await;
        s.enter(&live).await;
        senders.push(s);
    }
    let _ = token;

    // Every sender fires all its messages at once, without waiting for acks.
    let sends = senders.iter().enumerate().flat_map(|(i, s)| {
        let live = live.clone();
        (0..PER_SENDER).map(move |j| {
            let live = live.clone();
            async move {
                s.say(&live, &format!("s{i}-m{j}"), &format!("s{i}-{j}"))
                    .await
            }
        })
    });
    let acks = join_all(sends).await;
    let total = SENDERS * PER_SENDER;
    let mut acked_seqs: Vec<u64> = acks
        .iter()
        .map(|a| {
            assert_eq!(a["ok"], true, "{a}");
            a["message"]["seq"].as_u64().unwrap()
        })
        .collect();
    acked_seqs.sort_unstable();
    assert_eq!(
        acked_seqs,
        (1..=total as u64).collect::<Vec<_>>(),
        "seqs are 1..=N, each once"
    );

    for v in viewers.iter_mut() {
        let mut seen = Vec::with_capacity(total);
        for _ in 0..total {
            seen.push(v.recv("sending_message").await["seq"].as_u64().unwrap());
        }
        assert_eq!(
            seen,
            (1..=total as u64).collect::<Vec<_>>(),
            "in order, no gap, no duplicate"
        );
        assert!(v
            .try_recv("sending_message", std::time::Duration::from_millis(200))
            .await
            .is_none());
    }

    let stored = app.stored(&live).await;
    assert_eq!(stored.len(), total);
    let client_ids: HashSet<_> = stored
        .iter()
        .map(|d| d.get_str("clientId").unwrap().to_owned())
        .collect();
    assert_eq!(client_ids.len(), total);
}

#[tokio::test]
async fn the_sequence_continues_after_a_restart() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let s = app.socket(Some(&token)).await;
    for i in 0..3 {
        s.say(&live, "before", &format!("b{i}")).await;
    }
    drop(s);
    let db = app.db_uri.clone();
    app.kill().await;

    let app = TestApp::spawn_on(db, &[]).await;
    let s = app.socket(Some(&token)).await;
    let r = s.say(&live, "after", "a1").await;
    assert_eq!(r["message"]["seq"], 4);
    // A retry of a message stored by the previous process is still recognised.
    let again = s.say(&live, "before", "b1").await;
    assert_eq!(again["message"]["seq"], 2);
    assert_eq!(app.stored(&live).await.len(), 4);
}

/// One socket's messages get seqs in the order it sent them, even when it sends
/// 100 without waiting for a single ack, and others send at the same time.
#[tokio::test]
async fn one_socket_s_unacked_sends_keep_their_order() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let other_token = app.signup("rival").await;
    let sender = app.socket(Some(&token)).await;
    let rival = app.socket(Some(&other_token)).await;
    sender.enter(&live).await;
    rival.enter(&live).await;

    // All frames leave before any ack can come back (emit_ack writes the frame
    // when first polled, in order).
    let (sender, rival, live) = (&sender, &rival, &live);
    let sends = join_all(
        (0..100).map(|j| async move { sender.say(live, &format!("m{j}"), &format!("o{j}")).await }),
    );
    let noise =
        join_all((0..30).map(|j| async move { rival.say(live, "noise", &format!("r{j}")).await }));
    let (acks, _) = tokio::join!(sends, noise);
    let seqs: Vec<u64> = acks
        .iter()
        .map(|a| {
            assert_eq!(a["ok"], true, "{a}");
            a["message"]["seq"].as_u64().unwrap()
        })
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted, "seqs in the order the socket sent them");
}
