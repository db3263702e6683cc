//! Open-loop sending: senders send on a fixed schedule whatever the acks do;
//! viewers record every delivery. Reports throughput, ack and delivery latency,
//! and every lost, duplicated or out-of-order delivery.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::{sync::watch, time::Instant};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    client::{self, Incoming, Ws},
    proc::{CpuMeter, CpuMeters},
    stats::Latencies,
    Setup,
};

pub struct SendOpts {
    pub senders: usize,
    pub viewers: usize,
    /// Messages per second offered, over all senders.
    pub rate: f64,
    pub duration: Duration,
    pub batch: bool,
    /// Viewers that connect, enter and then never read (slow consumers).
    pub stalled: usize,
    /// An ack later than this counts as late.
    pub ack_bound: Duration,
    /// Messages with a mention, a link and an emote code (what the server
    /// resolves into fragments), not plain text.
    pub rich: bool,
}

#[derive(Default)]
struct SenderLog {
    offered: u64,
    /// (send index, seq) of every successful ack, in send order.
    acked: Vec<(u64, u64)>,
    refused: HashMap<String, u64>,
    refused_latency: Latencies,
    ack_latency: Latencies,
    late: u64,
    unanswered: u64,
}

struct ViewerLog {
    seqs: Vec<u64>,
    latency: Latencies,
    dropped: bool,
    frames: u64,
}

pub struct SendReport {
    pub offered: u64,
    pub acked: u64,
    pub acked_per_sec: f64,
    pub refused: HashMap<String, u64>,
    pub refused_p99_ms: f64,
    pub ack: (f64, f64, f64),
    pub late_acks: u64,
    pub unanswered: u64,
    pub deliveries: u64,
    pub frames: u64,
    pub delivery: (f64, f64, f64),
    pub lost: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub sender_order_violations: u64,
    pub viewers_dropped: usize,
    pub server_cpu: Option<Duration>,
    pub db_cpu: Option<Duration>,
    pub redis_cpu: Option<Duration>,
}

pub async fn run(setup: &Setup, o: &SendOpts) -> Result<SendReport, String> {
    let epoch = std::time::Instant::now();
    // Client ids unique to this run, so a second run is not taken for resends.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let (stop_tx, stop) = watch::channel(false);
    let live = setup.lives[0].clone();

    // Viewers first, all in before anyone sends.
    let mut viewers = Vec::new();
    let max_seen: Vec<Arc<AtomicU64>> = (0..o.viewers).map(|_| Arc::default()).collect();
    for (i, seen) in max_seen.iter().enumerate() {
        let live = setup.lives[i % setup.lives.len()].clone();
        let mut ws = client::connect(setup.addr_for(i), None).await?;
        client::enter(&mut ws, &live, o.batch).await?;
        viewers.push(tokio::spawn(viewer(ws, epoch, stop.clone(), seen.clone())));
    }
    let mut stalled = Vec::new();
    for _ in 0..o.stalled {
        let mut ws = client::connect(&setup.addr, None).await?;
        client::enter(&mut ws, &live, o.batch).await?;
        stalled.push(ws);
    }

    let per_sender = o.rate / o.senders as f64;
    let count = (per_sender * o.duration.as_secs_f64()).round() as u64;
    let mut conns = Vec::new();
    for i in 0..o.senders {
        let token = &setup.tokens[i % setup.tokens.len()];
        conns.push(client::connect(setup.addr_for(i), Some(token)).await?);
    }
    let server = CpuMeters::start(&setup.server_pids());
    let db = CpuMeter::start(setup.db_pid);
    let redis = CpuMeter::start(setup.redis_pid);
    let start = Instant::now();
    let senders: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            let live = setup.lives[i % setup.lives.len()].clone();
            // Spread the senders' schedules over one period.
            let offset = Duration::from_secs_f64(i as f64 / o.rate);
            let rich = o.rich.then(|| setup.streamer.clone());
            tokio::spawn(sender(
                ws,
                live,
                i,
                start + offset,
                per_sender,
                count,
                epoch,
                o.ack_bound,
                run,
                rich,
            ))
        })
        .collect();
    let mut logs = Vec::new();
    for s in senders {
        logs.push(s.await.map_err(|e| e.to_string())?);
    }
    let elapsed = start.elapsed();

    // Let the last deliveries arrive (bounded), then stop the viewers.
    let newest = logs
        .iter()
        .flat_map(|l| l.acked.iter().map(|(_, s)| *s))
        .max()
        .unwrap_or(0);
    let drain_until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < drain_until
        && o.rooms_of_one(setup)
        && max_seen.iter().any(|m| m.load(Ordering::Relaxed) < newest)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let server_cpu = server.elapsed();
    let db_cpu = db.elapsed();
    let redis_cpu = redis.elapsed();
    let _ = stop_tx.send(true);
    let mut vlogs = Vec::new();
    for v in viewers {
        vlogs.push(v.await.map_err(|e| e.to_string())?);
    }
    drop(stalled);
    let mut report = analyse(setup, logs, vlogs, elapsed, server_cpu, db_cpu);
    report.redis_cpu = redis_cpu;
    Ok(report)
}

impl SendOpts {
    /// With one room every viewer should see the newest seq; with several the
    /// drain wait is skipped (seqs are per room).
    fn rooms_of_one(&self, setup: &Setup) -> bool {
        setup.lives.len() == 1
    }
}

fn analyse(
    setup: &Setup,
    logs: Vec<SenderLog>,
    vlogs: Vec<ViewerLog>,
    elapsed: Duration,
    server_cpu: Option<Duration>,
    db_cpu: Option<Duration>,
) -> SendReport {
    let mut ack = Latencies::default();
    let mut refused_latency = Latencies::default();
    let mut refused = HashMap::new();
    let (mut offered, mut late, mut unanswered, mut order_violations) = (0, 0, 0, 0);
    // Acked seqs per room (senders map to rooms round-robin).
    let mut acked: Vec<HashSet<u64>> = vec![HashSet::new(); setup.lives.len()];
    for (i, l) in logs.into_iter().enumerate() {
        offered += l.offered;
        late += l.late;
        unanswered += l.unanswered;
        for (code, n) in l.refused {
            *refused.entry(code).or_insert(0) += n;
        }
        let mut sorted = l.acked.clone();
        sorted.sort_unstable();
        order_violations += sorted.windows(2).filter(|w| w[1].1 <= w[0].1).count() as u64;
        acked[i % setup.lives.len()].extend(l.acked.iter().map(|(_, s)| *s));
        ack.extend(l.ack_latency);
        refused_latency.extend(l.refused_latency);
    }
    let total_acked: u64 = acked.iter().map(|s| s.len() as u64).sum();
    let mut delivery = Latencies::default();
    let (mut deliveries, mut frames, mut lost, mut dups, mut ooo, mut dropped) = (0, 0, 0, 0, 0, 0);
    for (i, v) in vlogs.into_iter().enumerate() {
        let room = &acked[i % setup.lives.len()];
        deliveries += v.seqs.len() as u64;
        frames += v.frames;
        let mut seen = HashSet::with_capacity(v.seqs.len());
        let mut newest = 0;
        for s in &v.seqs {
            if !seen.insert(*s) {
                dups += 1;
            }
            if *s < newest {
                ooo += 1;
            }
            newest = newest.max(*s);
        }
        if v.dropped {
            dropped += 1;
        } else {
            lost += room.iter().filter(|s| !seen.contains(s)).count() as u64;
        }
        delivery.extend(v.latency);
    }
    SendReport {
        offered,
        acked: total_acked,
        acked_per_sec: total_acked as f64 / elapsed.as_secs_f64(),
        refused,
        refused_p99_ms: refused_latency.summary().1,
        ack: ack.summary(),
        late_acks: late,
        unanswered,
        deliveries,
        frames,
        delivery: delivery.summary(),
        lost,
        duplicates: dups,
        out_of_order: ooo,
        sender_order_violations: order_violations,
        viewers_dropped: dropped,
        server_cpu,
        db_cpu,
        redis_cpu: None,
    }
}

/// Content carries the send time (µs since the run began), so any viewer can
/// time the delivery.
fn content(epoch: std::time::Instant, sender: usize, k: u64, mention: Option<&str>) -> String {
    let at = epoch.elapsed().as_micros();
    match mention {
        None => format!("t{at} s{sender} n{k}"),
        Some(name) => {
            format!("t{at} s{sender} n{k} hey @{name} see https://example.com/clip/{k} :bench:")
        }
    }
}

fn sent_at(content: &str) -> Option<u64> {
    content.strip_prefix('t')?.split(' ').next()?.parse().ok()
}

#[allow(clippy::too_many_arguments)]
async fn sender(
    mut ws: Ws,
    live: String,
    idx: usize,
    first: Instant,
    rate: f64,
    count: u64,
    epoch: std::time::Instant,
    bound: Duration,
    run: u64,
    mention: Option<String>,
) -> SenderLog {
    let mut log = SenderLog::default();
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut pending: HashMap<u64, Instant> = HashMap::new();
    let mut k = 0u64;
    let mut grace_until: Option<Instant> = None;
    loop {
        let due = first + period.mul_f64(k as f64);
        if k == count && grace_until.is_none() {
            grace_until = Some(Instant::now() + client::WAIT);
        }
        if k == count && pending.is_empty() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(due), if k < count => {
                let frame = client::event(
                    Some(k + 1),
                    "new_message",
                    json!({"liveId": live, "content": content(epoch, idx, k, mention.as_deref()), "clientId": format!("{run}-{idx}-{k}")}),
                );
                pending.insert(k + 1, Instant::now());
                log.offered += 1;
                k += 1;
                if ws.send(frame).await.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(grace_until.unwrap_or(due)), if grace_until.is_some() => break,
            got = ws.next() => match client::parse(got) {
                Incoming::Ack { id, arg } => {
                    let Some(at) = pending.remove(&id) else { continue };
                    let took = at.elapsed();
                    if took > bound {
                        log.late += 1;
                    }
                    if arg["ok"] == true {
                        log.ack_latency.record(took);
                        if let Some(seq) = arg["message"]["seq"].as_u64() {
                            log.acked.push((id - 1, seq));
                        }
                    } else {
                        let code = arg["error"]["code"].as_str().unwrap_or("?").to_owned();
                        *log.refused.entry(code).or_insert(0) += 1;
                        log.refused_latency.record(took);
                    }
                }
                Incoming::Ping => {
                    let _ = ws.send(Message::text("3")).await;
                }
                Incoming::Closed => break,
                _ => {}
            }
        }
    }
    log.unanswered = pending.len() as u64;
    log
}

async fn viewer(
    mut ws: Ws,
    epoch: std::time::Instant,
    mut stop: watch::Receiver<bool>,
    max_seen: Arc<AtomicU64>,
) -> ViewerLog {
    let mut log = ViewerLog {
        seqs: Vec::new(),
        latency: Latencies::default(),
        dropped: false,
        frames: 0,
    };
    let record = |m: &Value, log: &mut ViewerLog| {
        if let Some(seq) = m["seq"].as_u64() {
            log.seqs.push(seq);
            max_seen.fetch_max(seq, Ordering::Relaxed);
            if let Some(t) = m["content"].as_str().and_then(sent_at) {
                let now = epoch.elapsed().as_micros() as u64;
                log.latency
                    .record(Duration::from_micros(now.saturating_sub(t)));
            }
        }
    };
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            got = ws.next() => match client::parse(got) {
                Incoming::Event { name, arg } if name == "sending_message" => {
                    log.frames += 1;
                    record(&arg, &mut log);
                }
                Incoming::Event { name, arg } if name == "sending_messages" => {
                    log.frames += 1;
                    for m in arg.as_array().into_iter().flatten() {
                        record(m, &mut log);
                    }
                }
                Incoming::Ping => {
                    let _ = ws.send(Message::text("3")).await;
                }
                Incoming::Closed => {
                    log.dropped = true;
                    break;
                }
                _ => {}
            }
        }
    }
    let _ = ws.close(None).await;
    log
}
