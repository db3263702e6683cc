//! Load generator for the live chat server.
//!
//! ```text
//! (`--addr` may list several nodes, comma-separated: clients are spread over
//! them in turn; `--server-pid` then lists their pids, and `--redis-pid` adds
//! Redis's CPU to the report.)
//! bench send --addr HOST:PORT [--senders 10] [--viewers 20] [--rate 1000] [--secs 10]
//!            [--rooms 1] [--batch] [--stalled 0] [--ack-bound-ms 2000] [--rich]
//! bench join --addr HOST:PORT [--guests 3000] [--rate 500] [--hold-secs 2] [--chat-rate 0]
//! bench idle --addr HOST:PORT [--conns 2000] [--rate 1000] [--no-room]
//! bench history --addr HOST:PORT --mongodb-uri URI (or BENCH_MONGODB_URI) [--messages 100000] [--arrivals 300]
//! ```
//! `--server-pid` and `--db-pid` let it read their CPU and memory from /proc.
//! Sending is open-loop: each sender sends on its schedule whatever the acks do.

use std::{collections::HashMap, time::Duration};

use bench::{history, join, send, setup, Setup};

struct Args(HashMap<String, String>);

impl Args {
    fn parse(raw: impl Iterator<Item = String>) -> Self {
        let mut map = HashMap::new();
        let mut key: Option<String> = None;
        for a in raw {
            if let Some(k) = a.strip_prefix("--") {
                if let Some(prev) = key.replace(k.to_owned()) {
                    map.insert(prev, "true".to_owned());
                }
            } else if let Some(k) = key.take() {
                map.insert(k, a);
            }
        }
        if let Some(k) = key {
            map.insert(k, "true".to_owned());
        }
        Self(map)
    }

    fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> T {
        match self.0.get(key) {
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| fail(&format!("--{key} {v}: not a number"))),
            None => default,
        }
    }

    fn flag(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|v| v == "true")
    }
}

fn addr(args: &Args) -> String {
    args.0
        .get("addr")
        .cloned()
        .unwrap_or_else(|| fail("--addr HOST:PORT is required"))
}

fn pids(args: &Args) -> (Option<u32>, Option<u32>) {
    let pid = |k: &str| args.0.get(k).and_then(|p| p.parse().ok());
    (server_pids(args).first().copied(), pid("db-pid"))
}

/// Every `--server-pid` (a comma-separated list with several nodes).
fn server_pids(args: &Args) -> Vec<u32> {
    args.0
        .get("server-pid")
        .map(|list| list.split(',').filter_map(|p| p.parse().ok()).collect())
        .unwrap_or_default()
}

/// The set-up, with the other nodes' and Redis's processes.
async fn setup_all(args: &Args, senders: usize, rooms: usize) -> Result<Setup, String> {
    let mut s = setup(&addr(args), senders, rooms, pids(args)).await?;
    s.other_pids = server_pids(args).into_iter().skip(1).collect();
    s.redis_pid = args.0.get("redis-pid").and_then(|p| p.parse().ok());
    Ok(s)
}

fn fail(msg: &str) -> ! {
    eprintln!("bench: {msg}");
    std::process::exit(2)
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// "p50 X p99 Y max Z" from a (p50, p99, max) summary in ms.
fn spread((p50, p99, max): (f64, f64, f64)) -> String {
    format!("p50 {} p99 {} max {}", ms(p50), ms(p99), ms(max))
}

fn secs(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.2} s", d.as_secs_f64()))
}

#[tokio::main]
async fn main() {
    let mut raw = std::env::args().skip(1);
    let scenario = raw
        .next()
        .unwrap_or_else(|| fail("usage: bench send|join|idle --addr HOST:PORT ..."));
    let args = Args::parse(raw);
    let result = match scenario.as_str() {
        "send" => run_send(&args).await,
        "join" => run_join(&args).await,
        "idle" => run_idle(&args).await,
        "history" => run_history(&args).await,
        other => fail(&format!("unknown scenario {other:?}")),
    };
    if let Err(e) = result {
        fail(&e);
    }
}

async fn run_send(args: &Args) -> Result<(), String> {
    let o = send::SendOpts {
        senders: args.num("senders", 10),
        viewers: args.num("viewers", 20),
        rate: args.num("rate", 1000.0),
        duration: Duration::from_secs_f64(args.num("secs", 10.0)),
        batch: args.flag("batch"),
        stalled: args.num("stalled", 0),
        rich: args.flag("rich"),
        ack_bound: Duration::from_millis(args.num("ack-bound-ms", 2000)),
    };
    let rooms = args.num("rooms", 1usize).max(1);
    let setup = setup_all(args, o.senders, rooms).await?;
    let r = send::run(&setup, &o).await?;
    let per_delivery = r
        .server_cpu
        .filter(|_| r.deliveries > 0)
        .map_or("-".into(), |c| {
            format!("{:.1} µs", c.as_secs_f64() * 1e6 / r.deliveries as f64)
        });
    let mut refused: Vec<_> = r.refused.iter().collect();
    refused.sort();
    println!(
        "send: {} node(s), {} senders, {} viewers ({}), {} room(s), {} msg/s offered for {:.0} s{}",
        setup.addrs.len(),
        o.senders,
        o.viewers,
        if o.batch {
            "batched"
        } else {
            "one event per message"
        },
        rooms,
        o.rate,
        o.duration.as_secs_f64(),
        if o.stalled > 0 {
            format!(", {} stalled readers", o.stalled)
        } else {
            String::new()
        },
    );
    println!(
        "  offered {}  acked {} ({:.0}/s)  refused {:?} (p99 {} ms)  unanswered {}",
        r.offered,
        r.acked,
        r.acked_per_sec,
        refused,
        ms(r.refused_p99_ms),
        r.unanswered
    );
    println!(
        "  ack ms {}  later than {} ms: {}",
        spread(r.ack),
        o.ack_bound.as_millis(),
        r.late_acks
    );
    println!(
        "  deliveries {} in {} frames  delivery ms {}",
        r.deliveries,
        r.frames,
        spread(r.delivery)
    );
    println!("  lost {}  duplicated {}  out of seq order {}  per-sender order violations {}  viewers dropped {}", r.lost, r.duplicates, r.out_of_order, r.sender_order_violations, r.viewers_dropped);
    println!(
        "  server CPU {} ({} per delivery)  database CPU {}",
        secs(r.server_cpu),
        per_delivery,
        secs(r.db_cpu)
    );
    if let Some(redis) = r.redis_cpu {
        let with_redis = r
            .server_cpu
            .filter(|_| r.deliveries > 0)
            .map_or("-".into(), |c| {
                format!(
                    "{:.1} µs",
                    (c + redis).as_secs_f64() * 1e6 / r.deliveries as f64
                )
            });
        println!(
            "  redis CPU {} ({:.1} µs per message acked)  nodes + redis per delivery {}",
            secs(Some(redis)),
            redis.as_secs_f64() * 1e6 / r.acked.max(1) as f64,
            with_redis
        );
    }
    // The acked messages must all have reached every viewer still connected.
    if r.lost > 0 || r.duplicates > 0 || r.out_of_order > 0 || r.sender_order_violations > 0 {
        return Err("delivery promises broken (see above)".into());
    }
    Ok(())
}

async fn run_join(args: &Args) -> Result<(), String> {
    let guests = args.num("guests", 3000usize);
    let rate = args.num("rate", 500.0);
    let chat_rate = args.num("chat-rate", 0.0);
    let chatters = usize::from(chat_rate > 0.0);
    let setup = setup(&addr(args), chatters, 1, pids(args)).await?;
    let r = join::storm(
        &setup,
        guests,
        rate,
        Duration::from_secs_f64(args.num("hold-secs", 2.0)),
        chat_rate,
    )
    .await?;
    println!("join: {guests} guests into one room at {rate}/s");
    if let Some((sent, acked)) = r.chat {
        println!("  while chatting at {chat_rate}/s: sent {sent}  acked {acked}");
    }
    println!(
        "  joined {}  failed {}  all in after {:.1} s",
        r.joined,
        r.failed,
        r.all_in.as_secs_f64()
    );
    println!("  join ms {}", spread(r.join));
    println!(
        "  viewer_count frames {} (closest two at one viewer: {})  server CPU {}",
        r.count_frames,
        r.min_count_gap
            .map_or("-".into(), |g| format!("{} ms", g.as_millis())),
        secs(r.server_cpu)
    );
    if r.failed > 0 {
        return Err(format!("{} guests could not join", r.failed));
    }
    Ok(())
}

async fn run_idle(args: &Args) -> Result<(), String> {
    let n = args.num("conns", 2000usize);
    let rate = args.num("rate", 1000.0);
    let enter = !args.flag("no-room");
    let setup = if enter {
        setup(&addr(args), 0, 1, pids(args)).await?
    } else {
        let addr = args
            .0
            .get("addr")
            .cloned()
            .unwrap_or_else(|| fail("--addr is required"));
        Setup {
            addrs: vec![addr.clone()],
            addr,
            lives: Vec::new(),
            tokens: Vec::new(),
            server_pid: args.0.get("server-pid").and_then(|p| p.parse().ok()),
            other_pids: Vec::new(),
            db_pid: None,
            redis_pid: None,
            streamer: String::new(),
        }
    };
    let settle = Duration::from_secs_f64(args.num("settle-secs", 3.0));
    let r = join::idle(&setup, n, rate, enter, settle).await?;
    println!(
        "idle: {} connections{}",
        r.connections,
        if enter { " in one room" } else { "" }
    );
    println!(
        "  server RSS {} -> {} MB  ({} per connection)",
        r.rss_before
            .map_or("-".into(), |b| format!("{:.1}", b as f64 / 1e6)),
        r.rss_after
            .map_or("-".into(), |b| format!("{:.1}", b as f64 / 1e6)),
        r.bytes_per_connection
            .map_or("-".into(), |b| format!("{:.1} KB", b / 1000.0)),
    );
    Ok(())
}

async fn run_history(args: &Args) -> Result<(), String> {
    let n = args.num("messages", 100_000u64);
    let arrivals = args.num("arrivals", 300usize);
    let uri = args
        .0
        .get("mongodb-uri")
        .cloned()
        .or_else(|| std::env::var("BENCH_MONGODB_URI").ok())
        .unwrap_or_else(|| {
            fail("--mongodb-uri (or BENCH_MONGODB_URI) is required: the server's database")
        });
    let setup = setup(&addr(args), 0, 1, pids(args)).await?;
    let r = history::run(&setup, &uri, n, arrivals).await?;
    println!(
        "history: one room with {} stored messages (seeded in {:.0} s)",
        r.seeded,
        r.seed_time.as_secs_f64()
    );
    println!(
        "  first enter_room (loads the room) {:.1} ms",
        r.first_enter.as_secs_f64() * 1e3
    );
    println!("  enter_room ms {} ({arrivals} arrivals)", spread(r.enter));
    println!("  live page ms {} ({arrivals} requests)", spread(r.page));
    Ok(())
}
