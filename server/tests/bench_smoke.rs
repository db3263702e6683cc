//! A seconds-long run of the load generator (`bench/`) against the real server,
//! so the benchmark never rots and its accounting is itself checked: every
//! acked message reaches every viewer once, in order, singly or in batches.

mod support;

use std::time::Duration;

use bench::send::SendOpts;
use support::TestApp;

fn opts(batch: bool, rich: bool) -> SendOpts {
    SendOpts {
        senders: 2,
        viewers: 5,
        rate: 100.0,
        duration: Duration::from_secs(2),
        batch,
        stalled: 0,
        ack_bound: Duration::from_secs(2),
        rich,
    }
}

#[tokio::test]
async fn the_load_generator_sees_every_acked_message_delivered_once_in_order() {
    let app = TestApp::spawn().await;
    let setup = bench::setup(&app.addr, 2, 1, (Some(app.pid()), None))
        .await
        .expect("bench setup");

    // Plain one event per message, batched, and messages the server resolves
    // into fragments (a mention, a link, an emote code).
    for (batch, rich) in [(false, false), (true, false), (false, true)] {
        let r = bench::send::run(&setup, &opts(batch, rich))
            .await
            .expect("send run");
        assert_eq!(r.offered, 200, "open loop offers on schedule");
        assert_eq!(r.acked, 200, "every send acked (batch: {batch})");
        assert_eq!(r.unanswered, 0);
        assert_eq!(r.deliveries, 200 * 5, "each viewer got each message");
        assert_eq!(
            (
                r.lost,
                r.duplicates,
                r.out_of_order,
                r.sender_order_violations
            ),
            (0, 0, 0, 0)
        );
        assert!(r.server_cpu.is_some(), "server CPU read from /proc");
        if batch {
            assert!(r.frames < r.deliveries, "batched viewers got fewer frames");
        } else {
            assert_eq!(r.frames, r.deliveries, "one frame per message");
        }
    }

    let join = bench::join::storm(&setup, 40, 200.0, Duration::from_millis(1200), 20.0)
        .await
        .expect("join storm");
    assert_eq!((join.joined, join.failed), (40, 0));
    assert!(join.count_frames > 0, "the room's count was announced");
    let (sent, acked) = join.chat.expect("someone chatted during the storm");
    assert!(sent > 0, "the chatter sent on its schedule");
    assert_eq!(acked, sent, "every chat message during the storm acked");

    let idle = bench::join::idle(&setup, 40, 400.0, true, Duration::from_millis(200))
        .await
        .expect("idle connections");
    assert!(
        idle.bytes_per_connection.is_some(),
        "server memory read from /proc"
    );
}
