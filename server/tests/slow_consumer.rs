//! A client that stops reading its socket cannot stall the room or grow the
//! server's memory without bound: once its buffer is full it is dropped, and
//! everyone else keeps receiving every message in order.

mod support;

use std::time::Duration;

use app::protocol::packet::{EnginePacket, SocketPacket};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use support::TestApp;
use tokio_tungstenite::tungstenite::Message;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_stuck_reader_is_dropped_and_the_room_flows_on() {
    let app = TestApp::spawn_with(&[("SOCKET_BUFFER_PACKETS", "32")]).await;
    let (live, token) = app.live_with_streamer().await;

    // The stuck client: a tiny receive buffer, joins the room, then never reads.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(app.addr.parse().unwrap()).await.unwrap();
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", app.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let _open = ws.next().await.unwrap().unwrap();
    ws.send(Message::text(SocketPacket::Connect(None).to_frame()))
        .await
        .unwrap();
    let _connected = ws.next().await.unwrap().unwrap();
    let enter = SocketPacket::Event {
        id: Some(1),
        name: "enter_room".into(),
        args: vec![json!({"liveId": live})],
    };
    ws.send(Message::text(enter.to_frame())).await.unwrap();
    loop {
        let Message::Text(t) = ws.next().await.unwrap().unwrap() else {
            continue;
        };
        if let Ok(EnginePacket::Message(p)) = EnginePacket::decode(&t) {
            if matches!(
                SocketPacket::decode(&p),
                Ok(SocketPacket::Ack { id: 1, .. })
            ) {
                break;
            }
        }
    }

    let mut healthy = app.socket(None).await;
    healthy.enter(&live).await;
    let sender = app.socket(Some(&token)).await;
    let rss_before = rss_kib(app.pid());

    // About 2 KB a message: enough to fill the stuck client's buffers soon.
    let body = "😀".repeat(500);
    let mut sent = 0u64;
    let dropped = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            for _ in 0..100 {
                sent += 1;
                let r = sender.say(&live, &body, &format!("m{sent}")).await;
                assert_eq!(r["ok"], true, "{r}");
            }
            if app.metric("livechat_slow_consumers_dropped_total").await >= 1.0 {
                return;
            }
            assert!(sent < 20_000, "the stuck client was never dropped");
        }
    })
    .await;
    assert!(dropped.is_ok(), "not dropped within the time limit");

    // The healthy viewer got everything, in order, while this went on.
    for seq in 1..=sent {
        let m = healthy.recv("sending_message").await;
        assert_eq!(m["seq"], seq);
    }
    let rss_after = rss_kib(app.pid());
    assert!(
        rss_after < rss_before + 100 * 1024,
        "server memory grew from {rss_before} KiB to {rss_after} KiB"
    );
    println!("stuck client dropped after {sent} messages; RSS {rss_before} -> {rss_after} KiB");
    drop(ws);
}
