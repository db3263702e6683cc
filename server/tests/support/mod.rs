//! Test support: a real server binary on a free port, a real MongoDB-wire server
//! with a fresh database per test, and a socket.io client built on the app's own
//! packet codec over a real WebSocket. Every wait is bounded.

#![allow(dead_code)]

pub mod own_db;
pub mod redis;
pub mod socket;

use std::{process::Stdio, sync::OnceLock, time::Duration};

use app::protocol::LiveSummary;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub use socket::TestSocket;

pub const SECRET: &str = "integration-test-secret-0123456789abcdef";
pub const WAIT: Duration = Duration::from_secs(10);

/// The MongoDB-wire server all tests in this process share (each test has its own
/// database). `TEST_MONGODB_URI` points at one started by the test script;
/// otherwise one `nx-27017` is started here and stopped when the process exits.
fn mongo_base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        if let Ok(uri) = std::env::var("TEST_MONGODB_URI") {
            return uri.trim_end_matches('/').to_owned();
        }
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("livechat-test-mongo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The shell watchdog stops the database when this test process ends.
        let script = format!(
            "nx-27017 --data-dir memory -p {port} --pid-file {d}/pid --log-file {d}/log >/dev/null 2>&1 & db=$!; \
             while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; kill $db",
            d = dir.display(),
            parent = std::process::id()
        );
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .spawn()
            .expect("start nx-27017 (pip install nx-27017, or set TEST_MONGODB_URI)");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "nx-27017 did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        format!("mongodb://127.0.0.1:{port}")
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn fresh_db_uri() -> String {
    format!("{}/t{}", mongo_base(), uuid::Uuid::new_v4().simple())
}

/// A running server process and its own database.
pub struct TestApp {
    pub addr: String,
    pub db_uri: String,
    pub http: reqwest::Client,
    /// Everything the server wrote to stdout (its log lines).
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    child: Child,
}

/// The server binary with the harness's environment; an empty value in
/// `extra_env` removes that variable.
fn server_command(db_uri: &str, extra_env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    let data_dir = std::env::temp_dir().join(format!(
        "livechat-test-data-{}",
        uuid::Uuid::new_v4().simple()
    ));
    cmd.env("MONGODB_URI", db_uri)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("JWT_SECRET", SECRET)
        .env("DATA_DIR", data_dir)
        .env(
            "RUST_LOG",
            std::env::var("TEST_LOG").unwrap_or_else(|_| "error".into()),
        )
        // Generous limits unless a test sets its own: most tests are not about them.
        .env("RATE_LIMIT_MESSAGES", "100000")
        .env("RATE_LIMIT_MOD_MESSAGES", "100000")
        .env("CONNECTIONS_PER_IP_PER_MIN", "100000")
        .env("LOGINS_PER_IP_PER_MIN", "100000")
        .env("SOCKET_EVENTS_PER_SEC", "100000")
        .env("SOCKET_EVENT_BURST", "100000")
        .env("MAX_OPEN_LIVES_PER_USER", "1000")
        .env("MAX_LIVES_PER_DAY", "1000")
        .env_remove("APP_ENV")
        .env_remove("ALLOWED_ORIGINS")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in extra_env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    cmd
}

/// A server that listens but whose database may never answer.
pub async fn spawn_unready(db_uri: &str, extra_env: &[(&str, &str)]) -> TestApp {
    TestApp::start(db_uri.to_owned(), extra_env).await
}

/// Runs the server expecting it to refuse to start: its exit status and all it
/// printed.
pub async fn refused_start(extra_env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let out = tokio::time::timeout(WAIT, server_command(&fresh_db_uri(), extra_env).output())
        .await
        .expect("the server neither started nor exited")
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, all)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra_env: &[(&str, &str)]) -> Self {
        Self::spawn_on(fresh_db_uri(), extra_env).await
    }

    /// Starts a server on an existing database (e.g. after a restart).
    pub async fn spawn_on(db_uri: String, extra_env: &[(&str, &str)]) -> Self {
        let app = Self::start(db_uri, extra_env).await;
        app.wait_ready().await;
        app
    }

    /// Starts a server and returns once it listens, ready or not.
    async fn start(db_uri: String, extra_env: &[(&str, &str)]) -> Self {
        let mut cmd = server_command(&db_uri, extra_env);
        cmd.stdout(Stdio::piped())
            .stderr(if std::env::var("TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        let mut child = cmd.spawn().expect("spawn server binary");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(a) = line.strip_prefix("listening on http://") {
                    return a.trim().to_owned();
                }
            }
            panic!("server exited before listening");
        })
        .await
        .expect("server did not start in time");
        // Keep draining stdout so the child never blocks on a full pipe.
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = logs.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            addr,
            db_uri,
            logs,
            http: reqwest::Client::builder().timeout(WAIT).build().unwrap(),
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Waits until `/readyz` answers 200 and indexes exist (inserts rely on them).
    pub async fn wait_ready(&self) {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Ok(r) = self.http.get(self.url("/readyz")).send().await {
                    if r.status() == 200 && self.indexes_ready().await {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("server never became ready");
    }

    async fn indexes_ready(&self) -> bool {
        let Ok(client) = mongodb::Client::with_uri_str(&self.db_uri).await else {
            return false;
        };
        let Some(db) = client.default_database() else {
            return false;
        };
        match db
            .collection::<mongodb::bson::Document>("chat")
            .list_index_names()
            .await
        {
            Ok(names) => names.len() >= 3,
            Err(_) => false,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("server still running")
    }

    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Waits (bounded) for the process to exit by itself.
    pub async fn wait_exit(mut self) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("server did not exit")
            .unwrap()
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.pid();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("server did not exit after SIGTERM")
            .unwrap()
    }

    /// Creates an account and returns its JWT.
    pub async fn signup(&self, nickname: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/auth/signup"))
            .json(&json!({"nickname": nickname, "password": "correct-horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "signup {nickname}");
        let body: Value = r.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn create_live(&self, token: &str, title: &str) -> LiveSummary {
        let r = self
            .http
            .post(self.url("/api/lives"))
            .bearer_auth(token)
            .json(&json!({"title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// A streamer, a live, and the streamer's token.
    pub async fn live_with_streamer(&self) -> (String, String) {
        let token = self.signup("streamer").await;
        let live = self.create_live(&token, "Test live").await;
        (live.id, token)
    }

    pub async fn socket(&self, token: Option<&str>) -> TestSocket {
        TestSocket::connect(&self.addr, token.map(socket::Auth::Field)).await
    }

    pub async fn socket_with_cookie(&self, token: &str) -> TestSocket {
        TestSocket::connect(&self.addr, Some(socket::Auth::Cookie(token))).await
    }

    /// `GET path` as JSON (any status).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The user id behind a session token.
    pub async fn user_id(&self, token: &str) -> String {
        let me = self
            .http
            .get(self.url("/api/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        me["userId"].as_str().unwrap().to_owned()
    }

    /// `GET path` as text (any status).
    pub async fn get_text(&self, path: &str) -> String {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// One sample from `/metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// Makes an account a global admin, straight in the database (the only place
    /// admins come from unless `TRUST_TOKEN_ROLES=true`).
    pub async fn make_admin(&self, nickname: &str) {
        let client = mongodb::Client::with_uri_str(&self.db_uri).await.unwrap();
        let db = client.default_database().unwrap();
        let r = db
            .collection::<mongodb::bson::Document>("users")
            .update_one(
                mongodb::bson::doc! {"nicknameKey": nickname.to_lowercase()},
                mongodb::bson::doc! {"$set": {"role": "admin"}},
            )
            .await
            .unwrap();
        assert_eq!(r.matched_count, 1, "no account {nickname}");
    }

    /// The status `/api/me` answers for a bearer token (200 = signed in).
    pub async fn me_status(&self, token: &str) -> u16 {
        self.http
            .get(self.url("/api/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Whether any log line contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.logs.lock().unwrap().iter().any(|l| l.contains(needle))
    }

    /// Messages stored for a live, read straight from the database.
    pub async fn stored(&self, live_id: &str) -> Vec<mongodb::bson::Document> {
        use futures::TryStreamExt;
        let client = mongodb::Client::with_uri_str(&self.db_uri).await.unwrap();
        let db = client.default_database().unwrap();
        db.collection::<mongodb::bson::Document>("chat")
            .find(mongodb::bson::doc! {"liveId": live_id})
            .sort(mongodb::bson::doc! {"seq": 1})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// The seqs stored for a live, in order.
    pub async fn stored_seqs(&self, live_id: &str) -> Vec<i64> {
        self.stored(live_id).await.iter().map(seq_of).collect()
    }
}

/// A JWT signed with any secret and claims, for handshake tests.
pub fn token_with(secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A stored message's `seq`, whatever integer width the server stored it with.
pub fn seq_of(doc: &mongodb::bson::Document) -> i64 {
    match doc.get("seq") {
        Some(mongodb::bson::Bson::Int32(n)) => i64::from(*n),
        Some(mongodb::bson::Bson::Int64(n)) => *n,
        other => panic!("seq is {other:?}"),
    }
}

impl TestApp {
    /// Whether a user's message with this clientId is stored, read straight
    /// from the database.
    pub async fn is_stored(&self, live_id: &str, client_id: &str) -> bool {
        let client = mongodb::Client::with_uri_str(&self.db_uri).await.unwrap();
        let db = client.default_database().unwrap();
        db.collection::<mongodb::bson::Document>("chat")
            .find_one(mongodb::bson::doc! {"liveId": live_id, "clientId": client_id})
            .await
            .unwrap()
            .is_some()
    }

    /// Stores a message as another writer would (another node, a migration),
    /// bypassing this server.
    pub async fn insert_foreign(&self, live_id: &str, seq: i64, client_id: &str) {
        let client = mongodb::Client::with_uri_str(&self.db_uri).await.unwrap();
        let db = client.default_database().unwrap();
        let now = mongodb::bson::DateTime::now();
        db.collection::<mongodb::bson::Document>("chat")
            .insert_one(mongodb::bson::doc! {
                "_id": mongodb::bson::oid::ObjectId::new(),
                "liveId": live_id, "seq": seq, "userId": "elsewhere", "nickname": "elsewhere",
                "content": "from another writer", "clientId": client_id,
                "createdAt": now, "updatedAt": now,
            })
            .await
            .unwrap();
    }
}
