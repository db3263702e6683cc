//! The load generator's parts, also used by the server's smoke test so they
//! never rot: a socket.io client over real WebSockets (the app's own codec),
//! open-loop sending with full delivery accounting, join storms and idle
//! connections, and CPU and memory read from /proc.

pub mod client;
pub mod history;
pub mod join;
pub mod proc;
pub mod send;
pub mod stats;

use serde_json::{json, Value};

/// The server under test (one node, or several behind no balancer: clients
/// are spread over them in turn) and what the generator created on it.
pub struct Setup {
    /// The first node: accounts and lives are created through it.
    pub addr: String,
    pub addrs: Vec<String>,
    pub lives: Vec<String>,
    pub tokens: Vec<String>,
    pub server_pid: Option<u32>,
    /// The other nodes' processes (their CPU counts as the server's).
    pub other_pids: Vec<u32>,
    pub db_pid: Option<u32>,
    pub redis_pid: Option<u32>,
    /// The streamer's nickname (rich sends mention it).
    pub streamer: String,
}

impl Setup {
    /// The node the `i`th client connects to.
    pub fn addr_for(&self, i: usize) -> &str {
        &self.addrs[i % self.addrs.len()]
    }

    /// Every server process (all nodes).
    pub fn server_pids(&self) -> Vec<u32> {
        self.server_pid
            .into_iter()
            .chain(self.other_pids.iter().copied())
            .collect()
    }
}

async fn signup(http: &reqwest::Client, base: &str, nickname: &str) -> Result<String, String> {
    let r = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"nickname": nickname, "password": "bench-password-1"}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| e.to_string())?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("signup {nickname}: {status} {body}"))
}

/// Signs up a streamer with `rooms` lives and `senders` sender accounts.
pub async fn setup(
    addr: &str,
    senders: usize,
    rooms: usize,
    (server_pid, db_pid): (Option<u32>, Option<u32>),
) -> Result<Setup, String> {
    let addrs: Vec<String> = addr
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    let addr = addrs.first().cloned().ok_or("no address")?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .timeout(client::WAIT)
        .build()
        .map_err(|e| e.to_string())?;
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    let streamer_nick = format!("bst{run}");
    let streamer = signup(&http, &base, &streamer_nick).await?;
    let mut lives = Vec::new();
    for i in 0..rooms {
        let r = http
            .post(format!("{base}/api/lives"))
            .bearer_auth(&streamer)
            .json(&json!({"title": format!("bench room {i}")}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body: Value = r.json().await.map_err(|e| e.to_string())?;
        lives.push(
            body["id"]
                .as_str()
                .ok_or_else(|| format!("create live: {body}"))?
                .to_owned(),
        );
    }
    let mut tokens = Vec::new();
    for i in 0..senders {
        tokens.push(signup(&http, &base, &format!("bs{run}x{i}")).await?);
    }
    Ok(Setup {
        streamer: streamer_nick,
        addr,
        addrs,
        other_pids: Vec::new(),
        redis_pid: None,
        lives,
        tokens,
        server_pid,
        db_pid,
    })
}
