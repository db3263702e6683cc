//! Runtime configuration: one typed struct read from the environment, with safe
//! defaults in every mode. Production refuses to start with any unsafe setting
//! and names it.

use std::{env, path::PathBuf, time::Duration};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub mongodb_uri: String,
    pub jwt: JwtConfig,
    pub cookie_secure: bool,
    /// Origins other than the server's own that may open sockets and call the API.
    pub allowed_origins: Vec<String>,
    /// `frame-ancestors` sources for the app's pages (`'none'` by default).
    pub frame_ancestors: String,
    /// CSP `frame-ancestors` for `/embed/...` pages: the sites that may show the
    /// chat in an iframe (`EMBED_ORIGINS`; none by default).
    pub embed_ancestors: String,
    /// Largest socket.io packet accepted, in bytes; larger ones close that socket.
    pub max_packet_bytes: u64,
    /// Packets queued per socket before it counts as a slow consumer and is dropped.
    pub socket_buffer_packets: usize,
    /// Each WebSocket's read buffer; chat packets are small, and every idle
    /// connection holds one.
    pub ws_read_buffer_bytes: usize,
    /// Per-operation bound on MongoDB calls, so a stalled database fails sends fast.
    pub db_timeout: Duration,
    /// The write concern of every write (chat inserts included): what "stored"
    /// means before a send is acked.
    pub write_concern: WriteConcernConfig,
    /// Create a demo streamer and lives when the directory is empty (never in production).
    pub seed_demo: bool,
    pub limits: Limits,
    /// How many proxies of yours append to `X-Forwarded-For` (0: trust none and use
    /// the peer address).
    pub trusted_proxy_hops: usize,
    /// Bearer token `/metrics` requires; without one, production serves no metrics.
    pub metrics_token: Option<String>,
    /// Where development keeps state it generates (its random JWT secret).
    pub data_dir: PathBuf,
    pub rooms: RoomsConfig,
    /// Cluster mode when set: nodes share rooms, counts and limits through
    /// this Redis (7+). Unset: one node, everything in-process.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel (several deployments may share a
    /// Redis).
    pub redis_prefix: String,
}

/// How each room's writer admits and batches sends.
#[derive(Clone, Debug)]
pub struct RoomsConfig {
    /// Sends one room may hold waiting to be stored; beyond it a send is refused
    /// at once (`unavailable` with `retryAfterMs`).
    pub queue_max: usize,
    /// No send is acked later than this after it arrived: a send not stored by
    /// then is answered `unavailable` (resending its clientId is safe).
    pub ack_deadline: Duration,
    /// A send is refused at once (`unavailable`) while the room's queue keeps
    /// sends waiting longer than this: accepted ones keep their latency.
    pub max_queue_wait: Duration,
    /// Most messages stored with one `insert_many`.
    pub batch_max: usize,
    /// How often a busy room sends `sending_messages` to sockets that asked for
    /// batches.
    pub batch_every: Duration,
}

/// `w` and `j` of MongoDB's write concern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteConcernConfig {
    /// `majority`, or how many members must have the write.
    pub w: WriteAcknowledgment,
    /// Wait for the journal (on disk) too.
    pub journal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteAcknowledgment {
    Majority,
    Nodes(u32),
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub secret: String,
    pub ttl: Duration,
    /// Checked (and written into our tokens) when set.
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Take `role` claims (e.g. `admin`) from tokens; otherwise roles come only
    /// from the account record.
    pub trust_token_roles: bool,
}

/// Abuse limits; every one configurable.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Messages per user per `window` (viewers).
    pub messages: u32,
    /// Messages per user per `window` (moderators, streamer, admins).
    pub mod_messages: u32,
    pub window: Duration,
    /// Events of any kind one socket may send per second, sustained...
    pub socket_events_per_sec: u32,
    /// ...and at once.
    pub socket_event_burst: u32,
    /// Rooms one socket may be in at once.
    pub rooms_per_socket: usize,
    /// New socket connections per client IP per minute.
    pub connections_per_ip_per_min: u32,
    /// Login and signup attempts per client IP per minute.
    pub logins_per_ip_per_min: u32,
    /// Failed logins per account before each further attempt waits (doubling).
    pub login_failures_per_account: u32,
    /// Password hashes computed at once (argon2 takes ~19 MiB and a core each).
    pub password_hash_concurrency: usize,
    /// How long a login or signup waits for a free hashing slot before `503`.
    pub password_hash_wait: Duration,
    /// Sockets one user may hold open at once.
    pub sockets_per_user: u32,
    /// Lives one account may have open (status live) at once.
    pub open_lives_per_user: u64,
    /// Lives one account may create per 24 hours.
    pub lives_per_day: u64,
    /// Keys each in-memory limiter (per IP, per account) may hold.
    pub limiter_max_keys: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// The development secret earlier versions shipped in their source. It is public,
/// so it is refused in every mode.
const PUBLISHED_SECRETS: &[&str] = &["dev-only-insecure-secret-change-me-0123456789"];

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can supply them without touching the
    /// process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mode = match get("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => Mode::Development,
            Some("production") | Some("prod") => Mode::Production,
            Some(other) => {
                return Err(ConfigError(format!(
                    "APP_ENV must be development or production, not {other:?}"
                )))
            }
        };
        let prod = mode == Mode::Production;
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| ".data".into()));

        let secret = match get("JWT_SECRET") {
            Some(s) if PUBLISHED_SECRETS.contains(&s.as_str()) => {
                return Err(ConfigError(
                    "JWT_SECRET is a published example value; choose your own".into(),
                ))
            }
            Some(s) if s.len() >= 32 => s,
            Some(_) => return Err(ConfigError("JWT_SECRET must be at least 32 bytes".into())),
            None if prod => return Err(ConfigError("JWT_SECRET is required in production".into())),
            None => dev_secret(&data_dir)?,
        };

        let allowed_origins: Vec<String> = match get("ALLOWED_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().trim_end_matches('/').to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None if prod => Vec::new(),
            None => vec![
                "http://127.0.0.1:3000".into(),
                "http://localhost:3000".into(),
            ],
        };
        let frame_ancestors = csp_sources("FRAME_ANCESTORS", get("FRAME_ANCESTORS"))?;
        let embed_ancestors = embed_origins(get("EMBED_ORIGINS"))?;
        let trusted_proxy_hops = match get("TRUST_PROXY").as_deref().map(str::trim) {
            None | Some("0" | "false" | "no") => 0,
            Some("true" | "yes") => 1,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 10)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "TRUST_PROXY must be false, true or a number of proxies (1-10), not {n:?}"
                    ))
                })?,
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;

        let config = Self {
            mode,
            mongodb_uri: get("MONGODB_URI")
                .unwrap_or_else(|| "mongodb://127.0.0.1:27017/livechat".into()),
            jwt: JwtConfig {
                secret,
                ttl: Duration::from_secs(parse_num(&get, "JWT_TTL_SECS", 7 * 24 * 3600)?),
                issuer: get("JWT_ISSUER").filter(|s| !s.is_empty()),
                audience: get("JWT_AUDIENCE").filter(|s| !s.is_empty()),
                trust_token_roles: parse_bool(&get, "TRUST_TOKEN_ROLES", false)?,
            },
            cookie_secure: parse_bool(&get, "COOKIE_SECURE", prod)?,
            allowed_origins,
            frame_ancestors,
            embed_ancestors,
            max_packet_bytes: parse_num(&get, "MAX_PACKET_BYTES", 16 * 1024)?,
            socket_buffer_packets: parse_num(&get, "SOCKET_BUFFER_PACKETS", 256)? as usize,
            ws_read_buffer_bytes: parse_num(&get, "WS_READ_BUFFER_BYTES", 1024)?.clamp(256, 1 << 20)
                as usize,
            db_timeout: Duration::from_millis(parse_num(&get, "DB_TIMEOUT_MS", 3000)?),
            write_concern: WriteConcernConfig {
                w: match get("MONGODB_WRITE_CONCERN").as_deref().map(str::trim) {
                    None | Some("majority") => WriteAcknowledgment::Majority,
                    Some(n) => match n.parse::<u32>() {
                        Ok(n) if n >= 1 => WriteAcknowledgment::Nodes(n),
                        _ => {
                            return Err(ConfigError(format!(
                                "MONGODB_WRITE_CONCERN must be majority or a number of members (1 or more), not {n:?}"
                            )))
                        }
                    },
                },
                journal: parse_bool(&get, "MONGODB_JOURNAL", true)?,
            },
            seed_demo: parse_bool(&get, "SEED_DEMO", false)?,
            limits: Limits {
                messages: parse_num(&get, "RATE_LIMIT_MESSAGES", 20)? as u32,
                mod_messages: parse_num(&get, "RATE_LIMIT_MOD_MESSAGES", 100)? as u32,
                window: Duration::from_secs(parse_num(&get, "RATE_LIMIT_WINDOW_SECS", 30)?),
                socket_events_per_sec: parse_num(&get, "SOCKET_EVENTS_PER_SEC", 10)? as u32,
                socket_event_burst: parse_num(&get, "SOCKET_EVENT_BURST", 40)? as u32,
                rooms_per_socket: parse_num(&get, "MAX_ROOMS_PER_SOCKET", 5)? as usize,
                connections_per_ip_per_min: parse_num(&get, "CONNECTIONS_PER_IP_PER_MIN", 60)?
                    as u32,
                logins_per_ip_per_min: parse_num(&get, "LOGINS_PER_IP_PER_MIN", 10)? as u32,
                login_failures_per_account: parse_num(&get, "LOGIN_FAILURES_PER_ACCOUNT", 5)?
                    as u32,
                password_hash_concurrency: parse_num(&get, "PASSWORD_HASH_CONCURRENCY", cores)?
                    as usize,
                password_hash_wait: Duration::from_millis(
                    parse_num(&get, "PASSWORD_HASH_WAIT_MS", 1000)?.max(1),
                ),
                sockets_per_user: parse_num(&get, "MAX_SOCKETS_PER_USER", 10)? as u32,
                open_lives_per_user: parse_num(&get, "MAX_OPEN_LIVES_PER_USER", 3)?,
                lives_per_day: parse_num(&get, "MAX_LIVES_PER_DAY", 10)?,
                limiter_max_keys: parse_num(&get, "LIMITER_MAX_KEYS", 100_000)? as usize,
            },
            trusted_proxy_hops,
            metrics_token: get("METRICS_TOKEN").filter(|t| !t.is_empty()),
            data_dir,
            rooms: RoomsConfig {
                queue_max: parse_num(&get, "ROOM_QUEUE_MAX", 1000)?.max(1) as usize,
                ack_deadline: Duration::from_millis(
                    parse_num(&get, "ACK_DEADLINE_MS", 2000)?.max(100),
                ),
                max_queue_wait: Duration::from_millis(parse_num(
                    &get,
                    "ROOM_MAX_QUEUE_WAIT_MS",
                    100,
                )?),
                batch_max: parse_num(&get, "ROOM_BATCH_MAX", 256)?.clamp(1, 10_000) as usize,
                batch_every: Duration::from_millis(parse_num(&get, "BATCH_EVERY_MS", 50)?.max(1)),
            },
            redis_url: get("REDIS_URL").filter(|u| !u.trim().is_empty()),
            redis_prefix: get("REDIS_PREFIX")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "livechat".into()),
        };
        if let Some(url) = &config.redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(ConfigError(
                    "REDIS_URL must be a redis:// or rediss:// URL".into(),
                ));
            }
        }
        if prod {
            config.refuse_unsafe_production()?;
        }
        Ok(config)
    }

    /// Every setting production will not run with, named.
    fn refuse_unsafe_production(&self) -> Result<(), ConfigError> {
        let mut unsafe_settings = Vec::new();
        if self.allowed_origins.iter().any(|o| o == "*") {
            unsafe_settings
                .push("ALLOWED_ORIGINS may not contain * (any site could act for your users)");
        }
        if self.seed_demo {
            unsafe_settings.push("SEED_DEMO=true creates an account with a published password");
        }
        if !self.cookie_secure {
            unsafe_settings.push("COOKIE_SECURE=false would send sessions over plain HTTP");
        }
        if self
            .allowed_origins
            .iter()
            .any(|o| o.starts_with("http://"))
        {
            unsafe_settings.push("ALLOWED_ORIGINS lists a plain http:// origin");
        }
        if unsafe_settings.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(format!(
                "refusing to start in production: {}",
                unsafe_settings.join("; ")
            )))
        }
    }
}

/// Development's secret: random, generated once and kept in `data_dir` so sessions
/// survive restarts. Never a value anyone else knows.
fn dev_secret(data_dir: &std::path::Path) -> Result<String, ConfigError> {
    let path = data_dir.join("jwt-secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_owned();
        if s.len() >= 32 && !PUBLISHED_SECRETS.contains(&s.as_str()) {
            return Ok(s);
        }
    }
    let mut bytes = [0u8; 32];
    argon2::password_hash::rand_core::RngCore::fill_bytes(
        &mut argon2::password_hash::rand_core::OsRng,
        &mut bytes,
    );
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let written = std::fs::create_dir_all(data_dir).and_then(|()| write_private(&path, &secret));
    match written {
        Ok(()) => {
            tracing::info!(path = %path.display(), "JWT_SECRET not set: generated a development secret")
        }
        Err(e) => tracing::warn!(error = %e, path = %path.display(),
            "JWT_SECRET not set and the development secret could not be saved: sessions end at restart"),
    }
    Ok(secret)
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents.as_bytes())
}
/// A space-separated list of CSP sources; keywords may come unquoted (shells
/// and env files strip quotes). Empty or unset: `'none'`.
fn csp_sources(name: &str, raw: Option<String>) -> Result<String, ConfigError> {
    let sources = raw
        .map(|s| {
            s.split_whitespace()
                .map(|t| match t {
                    "none" | "self" => format!("'{t}'"),
                    other => other.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "'none'".into());
    if sources.contains([';', ',', '\r', '\n']) {
        return Err(ConfigError(format!(
            "{name} is a space-separated list of CSP sources"
        )));
    }
    Ok(sources)
}

/// `EMBED_ORIGINS`: the origins (`https://host[:port]`) whose pages may frame
/// `/embed/...`; nothing else is accepted, so a typo cannot open it to all.
fn embed_origins(raw: Option<String>) -> Result<String, ConfigError> {
    let sources = csp_sources("EMBED_ORIGINS", raw)?;
    if sources == "'none'" {
        return Ok(sources);
    }
    for origin in sources.split(' ') {
        let ok = url::Url::parse(origin).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.path() == "/"
                && !origin.ends_with('/')
                && u.query().is_none()
                && u.username().is_empty()
        });
        if !ok {
            return Err(ConfigError(format!(
                "EMBED_ORIGINS holds origins like https://example.com, not {origin:?}"
            )));
        }
    }
    Ok(sources)
}

fn parse_num(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: u64,
) -> Result<u64, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError(format!("{key} must be a positive integer, not {v:?}"))),
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(key).as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes") => Ok(true),
        Some("0" | "false" | "no") => Ok(false),
        Some(v) => Err(ConfigError(format!(
            "{key} must be true or false, not {v:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("livechat-config-test-{}", std::process::id()));
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("DATA_DIR".into())
            .or_insert_with(|| dir.display().to_string());
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const PROD_SECRET: &str = "a-production-secret-of-32-bytes-or-more";

    #[test]
    fn development_has_safe_defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.mode, Mode::Development);
        assert!(!c.cookie_secure);
        assert_eq!(c.max_packet_bytes, 16384);
        assert_eq!(c.limits.messages, 20);
        assert_eq!(c.limits.mod_messages, 100);
        assert_eq!(c.limits.window, Duration::from_secs(30));
        assert_eq!(c.limits.rooms_per_socket, 5);
        assert_eq!(c.trusted_proxy_hops, 0);
        assert!(!c.jwt.trust_token_roles);
        assert_eq!(c.frame_ancestors, "'none'");
        assert_eq!(
            c.write_concern,
            WriteConcernConfig {
                w: WriteAcknowledgment::Majority,
                journal: true
            },
            "acked means on a majority, journaled"
        );
        assert_eq!(c.redis_url, None, "one node unless Redis is configured");
    }

    #[test]
    fn write_concern_and_redis_are_checked() {
        let c = cfg(&[("MONGODB_WRITE_CONCERN", "2"), ("MONGODB_JOURNAL", "false")]).unwrap();
        assert_eq!(c.write_concern.w, WriteAcknowledgment::Nodes(2));
        assert!(!c.write_concern.journal);
        for bad in ["0", "all", "-1"] {
            let e = cfg(&[("MONGODB_WRITE_CONCERN", bad)])
                .unwrap_err()
                .to_string();
            assert!(e.contains("MONGODB_WRITE_CONCERN"), "{bad}: {e}");
        }
        let e = cfg(&[("REDIS_URL", "http://127.0.0.1:6379")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("REDIS_URL"), "{e}");
        let c = cfg(&[("REDIS_URL", "redis://127.0.0.1:6379")]).unwrap();
        assert_eq!(c.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
    }

    #[test]
    fn development_generates_a_random_secret_once_and_keeps_it() {
        let dir = std::env::temp_dir().join(format!("livechat-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let d = dir.display().to_string();
        let first = cfg(&[("DATA_DIR", &d)]).unwrap().jwt.secret;
        assert!(first.len() >= 32);
        assert!(!PUBLISHED_SECRETS.contains(&first.as_str()));
        assert_eq!(cfg(&[("DATA_DIR", &d)]).unwrap().jwt.secret, first, "kept");
        let other = std::env::temp_dir().join(format!("livechat-secret2-{}", std::process::id()));
        let o = other.display().to_string();
        assert_ne!(
            cfg(&[("DATA_DIR", &o)]).unwrap().jwt.secret,
            first,
            "random"
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&other);
    }

    #[test]
    fn the_published_secret_is_refused_in_every_mode() {
        for mode in ["development", "production"] {
            let e = cfg(&[("APP_ENV", mode), ("JWT_SECRET", PUBLISHED_SECRETS[0])]).unwrap_err();
            assert!(e.to_string().contains("published"), "{e}");
        }
    }

    #[test]
    fn production_requires_a_strong_secret_and_no_wildcard() {
        assert!(cfg(&[("APP_ENV", "production")]).is_err());
        let c = cfg(&[("APP_ENV", "production"), ("JWT_SECRET", PROD_SECRET)]).unwrap();
        assert!(c.cookie_secure);
        assert!(c.allowed_origins.is_empty());
        assert!(cfg(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", PROD_SECRET),
            ("ALLOWED_ORIGINS", "*")
        ])
        .is_err());
        assert!(cfg(&[("JWT_SECRET", "short")]).is_err());
    }

    #[test]
    fn production_refuses_unsafe_settings_and_names_them() {
        for (key, value, named) in [
            ("SEED_DEMO", "true", "SEED_DEMO"),
            ("COOKIE_SECURE", "false", "COOKIE_SECURE"),
            ("ALLOWED_ORIGINS", "http://other.example", "ALLOWED_ORIGINS"),
        ] {
            let e = cfg(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", PROD_SECRET),
                (key, value),
            ])
            .unwrap_err();
            assert!(e.to_string().contains(named), "{key}: {e}");
        }
        assert!(cfg(&[("SEED_DEMO", "true")]).is_ok(), "fine in development");
    }

    #[test]
    fn trust_proxy_counts_hops() {
        assert_eq!(
            cfg(&[("TRUST_PROXY", "true")]).unwrap().trusted_proxy_hops,
            1
        );
        assert_eq!(cfg(&[("TRUST_PROXY", "2")]).unwrap().trusted_proxy_hops, 2);
        assert_eq!(
            cfg(&[("TRUST_PROXY", "false")]).unwrap().trusted_proxy_hops,
            0
        );
        assert!(cfg(&[("TRUST_PROXY", "maybe")]).is_err());
    }

    #[test]
    fn bad_numbers_are_errors() {
        assert!(cfg(&[("MAX_PACKET_BYTES", "lots")]).is_err());
        assert!(cfg(&[("DB_TIMEOUT_MS", "0")]).is_err());
        assert!(cfg(&[("COOKIE_SECURE", "maybe")]).is_err());
        assert!(cfg(&[("FRAME_ANCESTORS", "'self'; script-src *")]).is_err());
        let quoted = cfg(&[("FRAME_ANCESTORS", "self https://a.example")]).unwrap();
        assert_eq!(quoted.frame_ancestors, "'self' https://a.example");
    }

    #[test]
    fn embed_origins_are_origins_only() {
        assert_eq!(cfg(&[]).unwrap().embed_ancestors, "'none'");
        let two = cfg(&[("EMBED_ORIGINS", "https://a.example http://127.0.0.1:8080")]).unwrap();
        assert_eq!(
            two.embed_ancestors,
            "https://a.example http://127.0.0.1:8080"
        );
        for bad in [
            "*",
            "self",
            "https://a.example/path",
            "a.example",
            "https://a.example/",
            "javascript:x",
            "https://a.example;",
        ] {
            assert!(cfg(&[("EMBED_ORIGINS", bad)]).is_err(), "{bad}");
        }
    }
}
