//! Faults the server must survive: SIGTERM mid-traffic, and the database going
//! away and coming back. Real processes on loopback, every wait bounded.

mod support;

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use futures::future::join_all;
use support::{own_db::OwnDatabase, TestApp};

#[tokio::test]
async fn sigterm_finishes_in_flight_sends_and_exits_promptly() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let sender = app.socket(Some(&token)).await;

    let ids: Vec<String> = (0..40).map(|i| format!("term{i}")).collect();
    let sends = join_all(ids.iter().map(|id| {
        sender.try_emit_ack(
            "new_message",
            serde_json::json!({"liveId": live, "content": "in flight", "clientId": id}),
            Duration::from_secs(10),
        )
    }));
    let db_uri = app.db_uri.clone();
    let pid = app.pid();
    let term = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        started
    };
    let (acks, started) = tokio::join!(sends, term);
    let status = app.wait_exit().await;
    assert!(status.success(), "clean exit: {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "bounded shutdown"
    );
    assert!(
        viewer.closed_within(Duration::from_secs(5)).await,
        "clients are told to go"
    );

    // Every send acknowledged ok was stored; the rest were refused or unanswered.
    let acked: BTreeSet<String> = acks
        .iter()
        .flatten()
        .filter(|a| a["ok"] == true)
        .map(|a| a["message"]["clientId"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !acked.is_empty(),
        "sends in flight when SIGTERM came were finished and acked"
    );
    for a in acks.iter().flatten().filter(|a| a["ok"] != true) {
        assert_eq!(a["error"]["code"], "unavailable", "{a}");
    }
    let app = TestApp::spawn_on(db_uri, &[]).await;
    let stored: BTreeSet<String> = app
        .stored(&live)
        .await
        .iter()
        .map(|d| d.get_str("clientId").unwrap().to_owned())
        .collect();
    assert!(
        acked.is_subset(&stored),
        "acked {acked:?} but stored {stored:?}"
    );
}

#[tokio::test]
async fn a_database_outage_fails_sends_fast_and_heals_by_itself() {
    let mut db = OwnDatabase::start().await;
    let app = TestApp::spawn_on(db.uri(), &[("DB_TIMEOUT_MS", "1500")]).await;
    let (live, token) = app.live_with_streamer().await;
    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let sender = app.socket(Some(&token)).await;
    assert_eq!(sender.say(&live, "before", "b1").await["ok"], true);
    assert_eq!(viewer.recv("sending_message").await["content"], "before");

    db.stop().await;
    for i in 0..3 {
        let started = Instant::now();
        let r = sender.say(&live, "during", &format!("d{i}")).await;
        assert_eq!(r["error"]["code"], "unavailable", "{r}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "fails fast: {:?}",
            started.elapsed()
        );
    }
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready without the database");
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still up"
    );
    assert!(
        viewer
            .try_recv("sending_message", Duration::from_millis(300))
            .await
            .is_none(),
        "nothing unstored is broadcast"
    );

    db.resume().await;
    let healed = tokio::time::timeout(Duration::from_secs(30), async {
        let mut n = 0;
        loop {
            n += 1;
            let r = sender.say(&live, "after", &format!("a{n}")).await;
            if r["ok"] == true {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("sends never recovered");
    assert_eq!(healed["message"]["seq"], 2, "no gap from the failed sends");
    assert_eq!(viewer.recv("sending_message").await["seq"], 2);
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let contents: Vec<String> = app
        .stored(&live)
        .await
        .iter()
        .map(|d| d.get_str("content").unwrap().to_owned())
        .collect();
    assert_eq!(contents, vec!["before", "after"]);
}

#[tokio::test]
async fn readiness_answers_at_once_while_the_database_hangs() {
    let db = OwnDatabase::start().await;
    let app = TestApp::spawn_on(db.uri(), &[("DB_TIMEOUT_MS", "3000")]).await;
    let probe = || async {
        let started = Instant::now();
        let status = app
            .http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status();
        (status, started.elapsed())
    };
    let (status, took) = probe().await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(100), "{took:?}");

    db.hang(true);
    // Every probe answers within 100 ms; within a few seconds they say 503.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut went_unready = false;
    while Instant::now() < deadline {
        let (status, took) = probe().await;
        assert!(
            took < Duration::from_millis(100),
            "/readyz took {took:?} while the database hangs"
        );
        if status == 503 {
            went_unready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(went_unready, "a hanging database makes the server unready");

    db.hang(false);
    let healed = tokio::time::timeout(Duration::from_secs(10), async {
        while probe().await.0 != 200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(healed.is_ok(), "ready again when the database answers");
}

#[tokio::test]
async fn metrics_count_what_happened() {
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;
    let viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let s = app.socket(Some(&token)).await;
    s.say(&live, "one", "m1").await;
    s.say(&live, "", "m2").await;
    let guest = app.socket(None).await;
    guest.say(&live, "nope", "m3").await;
    assert_eq!(app.metric("livechat_sockets_connected").await, 3.0);
    assert_eq!(app.metric("livechat_rooms_active").await, 1.0);
    assert_eq!(app.metric("livechat_messages_stored_total").await, 1.0);
    assert_eq!(
        app.metric("livechat_messages_broadcast_total").await,
        1.0,
        "one viewer in the room"
    );
    assert_eq!(
        app.metric("livechat_messages_rejected_total{code=\"invalid\"}")
            .await,
        1.0
    );
    assert_eq!(
        app.metric("livechat_messages_rejected_total{code=\"unauthorized\"}")
            .await,
        1.0
    );
    assert_eq!(app.metric("livechat_ack_seconds_count").await, 3.0);
    assert_eq!(app.metric("livechat_store_seconds_count").await, 1.0);
}

#[tokio::test]
async fn ping_floods_and_half_open_connections_do_not_hurt_others() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn().await;
    let (live, token) = app.live_with_streamer().await;

    // Half-open: a TCP connection that stops mid-request, and a WebSocket that
    // never joins the namespace.
    let mut half = tokio::net::TcpStream::connect(&app.addr).await.unwrap();
    half.write_all(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", app.addr);
    let (_silent, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    // A flood of pings and junk frames from a connected socket.
    let flooder = app.socket(Some(&token)).await;
    for _ in 0..5_000 {
        flooder.send_raw("2");
    }
    for _ in 0..500 {
        flooder.send_raw("4garbage");
        flooder.send_raw("");
    }

    let mut viewer = app.socket(None).await;
    viewer.enter(&live).await;
    let sender = app.socket(Some(&token)).await;
    let started = Instant::now();
    assert_eq!(sender.say(&live, "unbothered", "u1").await["ok"], true);
    assert_eq!(
        viewer.recv("sending_message").await["content"],
        "unbothered"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(half);
}
