//! Join storms and idle connections: guests connecting and entering one room at
//! a fixed rate, each timed from its TCP connect to its `enter_room` ack,
//! optionally while someone chats in the room at a fixed rate (then each entry
//! reads history while the room's fan-out is busy).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::{sync::watch, time::Instant};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    client::{self, Incoming, Ws},
    proc::{rss, CpuMeter},
    stats::Latencies,
    Setup,
};

pub struct JoinReport {
    pub joined: usize,
    pub failed: usize,
    pub all_in: Duration,
    pub join: (f64, f64, f64),
    pub server_cpu: Option<Duration>,
    /// The shortest time between two `viewer_count` frames at one guest.
    pub min_count_gap: Option<Duration>,
    pub count_frames: u64,
    /// Messages sent and acked `ok` by the chatter during the storm.
    pub chat: Option<(u64, u64)>,
}

/// Connects `n` guests into the room at `rate` per second and holds them for
/// `hold` after the last is in; with `chat_rate` > 0, the setup's first account
/// sends that many messages a second into the room meanwhile (open-loop).
pub async fn storm(
    setup: &Setup,
    n: usize,
    rate: f64,
    hold: Duration,
    chat_rate: f64,
) -> Result<JoinReport, String> {
    let live = setup.lives[0].clone();
    let (stop_tx, stop) = watch::channel(false);
    let chatter = match (chat_rate > 0.0, setup.tokens.first()) {
        (true, Some(token)) => {
            let mut ws = client::connect(&setup.addr, Some(token)).await?;
            client::enter(&mut ws, &live, false).await?;
            Some(tokio::spawn(chat(
                ws,
                live.clone(),
                chat_rate,
                stop.clone(),
            )))
        }
        (true, None) => return Err("chatting needs an account".into()),
        _ => None,
    };
    let (in_tx, mut in_rx) = tokio::sync::mpsc::unbounded_channel();
    let server = CpuMeter::start(setup.server_pid);
    let start = Instant::now();
    let guests: Vec<_> = (0..n)
        .map(|i| {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let (addr, live, stop, in_tx) = (
                setup.addr.clone(),
                live.clone(),
                stop.clone(),
                in_tx.clone(),
            );
            tokio::spawn(async move {
                tokio::time::sleep_until(due).await;
                let began = Instant::now();
                let entered = async {
                    let mut ws = client::connect(&addr, None).await?;
                    client::enter(&mut ws, &live, false).await?;
                    Ok::<_, String>(ws)
                }
                .await;
                match entered {
                    Ok(mut ws) => {
                        let _ = in_tx.send(Some((began.elapsed(), Instant::now())));
                        hold_counting(&mut ws, stop).await
                    }
                    Err(_) => {
                        let _ = in_tx.send(None);
                        (0, None)
                    }
                }
            })
        })
        .collect();
    drop(in_tx);
    let mut join = Latencies::default();
    let (mut joined, mut failed, mut last_in) = (0, 0, start);
    // Each guest's own waits are bounded, so this ends.
    while let Some(r) = in_rx.recv().await {
        match r {
            Some((took, at)) => {
                join.record(took);
                joined += 1;
                last_in = last_in.max(at);
            }
            None => failed += 1,
        }
        if joined + failed == n {
            break;
        }
    }
    tokio::time::sleep(hold).await;
    let server_cpu = server.elapsed();
    let _ = stop_tx.send(true);
    let chat = match chatter {
        Some(c) => Some(c.await.map_err(|e| e.to_string())?),
        None => None,
    };
    let (mut min_gap, mut frames): (Option<Duration>, u64) = (None, 0);
    for g in guests {
        let (n, gap) = g.await.map_err(|e| e.to_string())?;
        frames += n;
        min_gap = match (min_gap, gap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(JoinReport {
        joined,
        failed,
        all_in: last_in - start,
        join: join.summary(),
        server_cpu,
        min_count_gap: min_gap,
        count_frames: frames,
        chat,
    })
}

/// Sends messages into `live` at `rate` per second until `stop`, reading
/// everything that arrives; returns (sent, acked ok). Answers still on their
/// way at `stop` are waited for, bounded.
async fn chat(mut ws: Ws, live: String, rate: f64, mut stop: watch::Receiver<bool>) -> (u64, u64) {
    let start = Instant::now();
    let (mut sent, mut answered, mut acked) = (0u64, 0u64, 0u64);
    let mut stopped_at: Option<Instant> = None;
    loop {
        let due = start + Duration::from_secs_f64(sent as f64 / rate);
        if stopped_at.is_some_and(|t| answered >= sent || t.elapsed() > client::WAIT) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(due), if stopped_at.is_none() => {
                sent += 1;
                let msg = client::event(
                    Some(sent + 1),
                    "new_message",
                    serde_json::json!({"liveId": live, "content": format!("chat {sent}"), "clientId": format!("chat-{sent}")}),
                );
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
            _ = stop.changed(), if stopped_at.is_none() => stopped_at = Some(Instant::now()),
            got = ws.next() => match client::parse(got) {
                Incoming::Ack { arg, .. } => {
                    answered += 1;
                    acked += u64::from(arg["ok"] == true);
                }
                Incoming::Ping => {
                    let _ = ws.send(Message::text("3")).await;
                }
                Incoming::Closed => break,
                _ => {}
            },
        }
    }
    (sent, acked)
}

/// Holds a connection, answering pings, until `stop`; returns how many
/// `viewer_count` frames arrived and the shortest time between two of them.
async fn hold_counting(ws: &mut Ws, mut stop: watch::Receiver<bool>) -> (u64, Option<Duration>) {
    let (mut frames, mut last, mut min_gap): (u64, Option<Instant>, Option<Duration>) =
        (0, None, None);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            got = ws.next() => match client::parse(got) {
                Incoming::Event { name, .. } if name == "viewer_count" => {
                    let now = Instant::now();
                    frames += 1;
                    if let Some(prev) = last {
                        let gap = now - prev;
                        min_gap = Some(min_gap.map_or(gap, |m| m.min(gap)));
                    }
                    last = Some(now);
                }
                Incoming::Ping => {
                    let _ = ws.send(Message::text("3")).await;
                }
                Incoming::Closed => break,
                _ => {}
            }
        }
    }
    (frames, min_gap)
}

pub struct IdleReport {
    pub connections: usize,
    pub bytes_per_connection: Option<f64>,
    pub rss_before: Option<u64>,
    pub rss_after: Option<u64>,
}

/// Opens `n` guest connections into the room (at `rate`/s), lets the server
/// settle, and reads its resident memory before and after.
pub async fn idle(
    setup: &Setup,
    n: usize,
    rate: f64,
    enter: bool,
    settle: Duration,
) -> Result<IdleReport, String> {
    let live = setup.lives.first().cloned();
    let before = setup.server_pid.and_then(rss);
    let start = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let (addr, live) = (setup.addr.clone(), live.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(due).await;
                let mut ws = client::connect(&addr, None).await?;
                if let (true, Some(live)) = (enter, live) {
                    client::enter(&mut ws, &live, false).await?;
                }
                Ok::<Ws, String>(ws)
            })
        })
        .collect();
    let mut conns = Vec::new();
    for t in tasks {
        conns.push(t.await.map_err(|e| e.to_string())??);
    }
    // Keep them alive (answering pings) while the server settles.
    let (stop_tx, stop) = watch::channel(false);
    let holders: Vec<_> = conns
        .into_iter()
        .map(|mut ws| {
            let stop = stop.clone();
            tokio::spawn(async move {
                hold_counting(&mut ws, stop).await;
                ws
            })
        })
        .collect();
    tokio::time::sleep(settle).await;
    let after = setup.server_pid.and_then(rss);
    let _ = stop_tx.send(true);
    for h in holders {
        let _ = h.await;
    }
    Ok(IdleReport {
        connections: n,
        bytes_per_connection: match (before, after) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / n as f64),
            _ => None,
        },
        rss_before: before,
        rss_after: after,
    })
}
