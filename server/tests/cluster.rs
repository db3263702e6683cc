//! Several nodes on one Redis and one database: the promises of one node hold
//! across them (every viewer gets every message once, in seq order, with no
//! gap), moderation acts on every node, and a Redis restart is survived.

mod support;

use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};
use support::{redis::TestCluster, TestSocket, WAIT};

const PER_NODE: usize = 100;

fn code(ack: &Value) -> &str {
    ack["error"]["code"].as_str().unwrap_or("ok")
}

/// Collects `n` messages from `sending_message` events (bounded wait).
async fn collect(v: &mut TestSocket, n: usize) -> Vec<u64> {
    let mut seen = Vec::with_capacity(n);
    while seen.len() < n {
        match v.try_recv("sending_message", WAIT).await {
            Some(m) => seen.push(m["seq"].as_u64().unwrap()),
            None => panic!("got {} of {n} messages: {seen:?}", seen.len()),
        }
    }
    seen
}

/// One viewer per node, entered.
async fn viewers(c: &TestCluster, live: &str) -> Vec<TestSocket> {
    let mut out = Vec::new();
    for node in &c.nodes {
        let v = node.socket(None).await;
        v.enter(live).await;
        out.push(v);
    }
    out
}

#[tokio::test]
async fn every_viewer_on_every_node_gets_every_message_once_in_seq_order() {
    let c = TestCluster::start(3, &[]).await;
    let (live, _) = c.nodes[0].live_with_streamer().await;
    let mut viewers = viewers(&c, &live).await;
    let mut senders = Vec::new();
    for (i, node) in c.nodes.iter().enumerate() {
        let t = node.signup(&format!("sender{i}")).await;
        let s = node.socket(Some(&t)).await;
        s.enter(&live).await;
        senders.push(s);
    }

    // Every sender (one per node) fires all its messages at once.
    let sends = senders.iter().enumerate().flat_map(|(i, s)| {
        let live = live.clone();
        (0..PER_NODE).map(move |j| {
            let live = live.clone();
            async move {
                s.say(&live, &format!("n{i}-m{j}"), &format!("n{i}-{j}"))
                    .await
            }
        })
    });
    let acks = join_all(sends).await;
    let total = 3 * PER_NODE;
    let mut acked: Vec<u64> = acks
        .iter()
        .map(|a| {
            assert_eq!(a["ok"], true, "{a}");
            a["message"]["seq"].as_u64().unwrap()
        })
        .collect();
    acked.sort_unstable();
    let all: Vec<u64> = (1..=total as u64).collect();
    assert_eq!(acked, all, "seqs are 1..=N across nodes, each once");

    for (i, v) in viewers.iter_mut().enumerate() {
        assert_eq!(
            collect(v, total).await,
            all,
            "viewer on node {i}: in order, no gap"
        );
        assert!(
            v.try_recv("sending_message", Duration::from_millis(300))
                .await
                .is_none(),
            "viewer on node {i}: no duplicate"
        );
    }
    // The history, from any node, is the same sequence.
    for node in &c.nodes {
        let page = node
            .socket(None)
            .await
            .emit_ack(
                app::protocol::events::GET_CHAT,
                json!({"liveId": live, "after": 0, "limit": 100}),
            )
            .await;
        let seqs: Vec<u64> = page["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
    }
    assert_eq!(c.nodes[0].stored_seqs(&live).await.len(), total);
}

#[tokio::test]
async fn moderation_on_one_node_acts_on_every_node() {
    let c = TestCluster::start(3, &[]).await;
    let (a, b, n3) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    let (live, streamer_token) = a.live_with_streamer().await;
    let streamer = a.socket(Some(&streamer_token)).await;
    streamer.enter(&live).await;
    let viewer_token = a.signup("viewer").await;
    let viewer_id = a.user_id(&viewer_token).await;
    // The viewer sends through node C; others watch on A and C.
    let viewer = n3.socket(Some(&viewer_token)).await;
    viewer.enter(&live).await;
    let mut watchers = viewers(&c, &live).await;

    let said = viewer.say(&live, "to be deleted", "v1").await;
    assert_eq!(said["ok"], true, "{said}");
    let id = said["message"]["id"].as_str().unwrap().to_owned();
    for w in watchers.iter_mut() {
        w.recv("sending_message").await;
    }

    // A delete on B vanishes for viewers on A and C, and from every node's history.
    let moderator_on_b = b.socket(Some(&streamer_token)).await;
    moderator_on_b.enter(&live).await;
    let done = moderator_on_b
        .emit_ack("delete_message", json!({"liveId": live, "messageId": id}))
        .await;
    assert_eq!(done["ok"], true, "{done}");
    for (i, w) in watchers.iter_mut().enumerate() {
        assert_eq!(
            w.recv("message_deleted").await["id"],
            id.as_str(),
            "viewer on node {i} told"
        );
    }
    for node in &c.nodes {
        let entered = node.socket(None).await.enter(&live).await;
        assert_eq!(
            entered["history"],
            json!([]),
            "node {} still shows it",
            node.addr
        );
    }

    // A ban issued on A stops sends on C at once.
    let ban = streamer
        .emit_ack("ban_user", json!({"liveId": live, "userId": viewer_id}))
        .await;
    assert_eq!(ban["ok"], true, "{ban}");
    let refused = viewer.say(&live, "let me speak", "v2").await;
    assert_eq!(code(&refused), "forbidden", "{refused}");
    assert!(!n3.is_stored(&live, "v2").await);
}

#[tokio::test]
async fn a_redis_restart_refuses_sends_while_it_is_gone_and_heals_by_itself() {
    let mut c = TestCluster::start(2, &[]).await;
    let (live, token) = c.nodes[0].live_with_streamer().await;
    let sender = c.nodes[0].socket(Some(&token)).await;
    sender.enter(&live).await;
    let mut watcher = c.nodes[1].socket(None).await;
    watcher.enter(&live).await;
    assert_eq!(sender.say(&live, "before", "c1").await["ok"], true);
    assert_eq!(collect(&mut watcher, 1).await, [1]);

    c.redis.stop().await;
    // Sends fail fast (never acked as stored) while Redis is gone.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let started = std::time::Instant::now();
        let ack = sender.say(&live, "during", "c2").await;
        if code(&ack) == "unavailable" {
            assert!(started.elapsed() < Duration::from_secs(2), "refused fast");
            assert!(ack["error"]["retryAfterMs"].as_u64().is_some(), "{ack}");
            break;
        }
        // Sent before the node noticed: stored, and delivered once Redis is back.
        assert_eq!(ack["ok"], true, "{ack}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "sends never refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each node notices by itself (it pings Redis every 0.5 s).
    for node in &c.nodes {
        let unready = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                let r = node.http.get(node.url("/readyz")).send().await.unwrap();
                if r.status() == 503 {
                    return r.text().await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("readyz says redis is gone within 3 s");
        assert_eq!(unready, "redis unreachable");
    }
    // Moderation too: acting on one node only would leave the others behind.
    let slow = sender
        .emit_ack(
            "update_room_settings",
            json!({"liveId": live, "slowModeSecs": 30}),
        )
        .await;
    assert_eq!(code(&slow), "unavailable", "{slow}");

    c.redis.resume().await;
    // Both nodes heal by themselves: sends are taken again and reach the other
    // node's viewer, after whatever was stored before the outage was noticed.
    let deadline = tokio::time::Instant::now() + WAIT;
    let resent = loop {
        let ack = sender.say(&live, "after", "c3").await;
        if ack["ok"] == true {
            break ack;
        }
        assert_eq!(code(&ack), "unavailable", "{ack}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "sends never taken again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let last = resent["message"]["seq"].as_u64().unwrap();
    let got = collect(&mut watcher, (last - 1) as usize).await;
    assert_eq!(got, (2..=last).collect::<Vec<_>>(), "caught up, in order");
    for node in &c.nodes {
        node.wait_ready().await;
    }
}

#[tokio::test]
async fn the_rate_limit_slow_mode_and_socket_cap_hold_across_nodes() {
    let c = TestCluster::start(
        3,
        &[
            ("RATE_LIMIT_MESSAGES", "3"),
            ("RATE_LIMIT_WINDOW_SECS", "60"),
            ("MAX_SOCKETS_PER_USER", "2"),
        ],
    )
    .await;
    let (a, b, n3) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    let (live, streamer_token) = a.live_with_streamer().await;

    // One user's sends alternate between A and B: the rate is theirs, not a node's.
    let token = a.signup("chatty").await;
    let on_a = a.socket(Some(&token)).await;
    let on_b = b.socket(Some(&token)).await;
    on_a.enter(&live).await;
    on_b.enter(&live).await;
    for (i, s) in [&on_a, &on_b, &on_a].into_iter().enumerate() {
        let ack = s.say(&live, "hi", &format!("r{i}")).await;
        assert_eq!(ack["ok"], true, "send {i}: {ack}");
    }
    let over = on_b.say(&live, "one too many", "r3").await;
    assert_eq!(code(&over), "rate_limited", "{over}");
    assert!(!b.is_stored(&live, "r3").await);

    // The socket cap counts the account's sockets on every node.
    let third =
        TestSocket::try_connect(&n3.addr, Some(support::socket::Auth::Field(&token)), None).await;
    let refused = third
        .err()
        .expect("a third socket, on a third node, is refused");
    assert!(refused.contains("too many open connections"), "{refused}");

    // Slow mode set on A holds for a user whose sends alternate between B and C.
    let streamer = a.socket(Some(&streamer_token)).await;
    streamer.enter(&live).await;
    let set = streamer
        .emit_ack(
            "update_room_settings",
            json!({"liveId": live, "slowModeSecs": 30}),
        )
        .await;
    assert_eq!(set["ok"], true, "{set}");
    let slow_token = a.signup("patient").await;
    let slow_b = b.socket(Some(&slow_token)).await;
    let slow_c = n3.socket(Some(&slow_token)).await;
    slow_b.enter(&live).await;
    slow_c.enter(&live).await;
    assert_eq!(slow_b.say(&live, "first", "s1").await["ok"], true);
    let second = slow_c.say(&live, "too soon", "s2").await;
    assert_eq!(code(&second), "slow_mode", "{second}");
}

/// The next `viewer_count` equal to `want`, within `within`.
async fn count_reaches(v: &mut TestSocket, want: u64, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        loop {
            match v.try_recv("viewer_count", within).await {
                Some(c) if c["count"] == want => return,
                Some(_) => continue,
                None => std::future::pending::<()>().await,
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn viewer_counts_are_the_whole_rooms_and_a_dead_nodes_viewers_drop_out() {
    let mut c = TestCluster::start(3, &[]).await;
    let (live, _) = c.nodes[0].live_with_streamer().await;
    let mut watcher = c.nodes[0].socket(None).await;
    watcher.enter(&live).await;
    let mut others = Vec::new();
    for node in [1, 1, 2, 2, 2] {
        let v = c.nodes[node].socket(None).await;
        v.enter(&live).await;
        others.push(v);
    }
    assert!(
        count_reaches(&mut watcher, 6, Duration::from_secs(3)).await,
        "the count converges to all 6 viewers within 3 s"
    );
    // The API and pages say the whole room's count too, from any node.
    let summary = c.nodes[0].get_json(&format!("/api/lives/{live}")).await;
    assert_eq!(summary["viewers"], 6, "{summary}");
    // Node 3 dies with its 3 viewers: they drop out within 10 s.
    c.nodes.pop().unwrap().kill().await;
    assert!(
        count_reaches(&mut watcher, 3, Duration::from_secs(10)).await,
        "a dead node's viewers drop out within 10 s"
    );
}

#[tokio::test]
async fn a_node_killed_mid_traffic_loses_no_acked_message_and_duplicates_none() {
    let mut c = TestCluster::start(3, &[]).await;
    let (live, _) = c.nodes[0].live_with_streamer().await;
    let mut watchers = Vec::new();
    for node in &c.nodes[..2] {
        let v = node.socket(None).await;
        v.enter(&live).await;
        watchers.push(v);
    }
    let token = c.nodes[0].signup("traveller").await;
    let victim = c.nodes.pop().unwrap();
    let sender = victim.socket(Some(&token)).await;
    sender.enter(&live).await;

    // 60 sends in flight at once when the node dies.
    const N: usize = 60;
    let ids: Vec<String> = (0..N).map(|i| format!("k{i}")).collect();
    let sends = join_all(ids.iter().map(|id| {
        let (s, live) = (&sender, &live);
        async move {
            (
                id.clone(),
                s.try_emit_ack(
                    "new_message",
                    json!({"liveId": live, "content": "hi", "clientId": id}),
                    Duration::from_secs(3),
                )
                .await,
            )
        }
    }));
    let (answers, ()) = tokio::join!(sends, async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        victim.kill().await;
    });
    let mut acked: Vec<u64> = Vec::new();
    let mut unacked = Vec::new();
    for (id, a) in answers {
        match a {
            Some(a) if a["ok"] == true => acked.push(a["message"]["seq"].as_u64().unwrap()),
            _ => unacked.push(id),
        }
    }

    // The client reconnects to another node and resends what was not acked,
    // with the same clientIds: each is stored once.
    let again = c.nodes[1].socket(Some(&token)).await;
    again.enter(&live).await;
    for id in &unacked {
        let a = again.say(&live, "hi", id).await;
        assert_eq!(a["ok"], true, "resend {id}: {a}");
        acked.push(a["message"]["seq"].as_u64().unwrap());
    }
    acked.sort_unstable();
    acked.dedup();
    let stored = c.nodes[0].stored_seqs(&live).await;
    assert_eq!(stored.len(), N, "every clientId stored exactly once");
    let all: Vec<u64> = (1..=N as u64).collect();
    assert_eq!(acked, all, "acked = stored");
    for (i, w) in watchers.iter_mut().enumerate() {
        assert_eq!(
            collect(w, N).await,
            all,
            "viewer on node {i} ends with what is stored"
        );
    }
}
