//! Runtime configuration: one typed struct read from the environment, with safe
//! defaults for development and hard requirements in production.

use std::{env, time::Duration};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub mongodb_uri: String,
    pub jwt_secret: String,
    pub jwt_ttl: Duration,
    pub cookie_secure: bool,
    /// Origins other than the server's own that may open sockets and call the API.
    pub allowed_origins: Vec<String>,
    /// Largest socket.io packet accepted, in bytes; larger ones close that socket.
    pub max_packet_bytes: u64,
    /// Packets queued per socket before it counts as a slow consumer and is dropped.
    pub socket_buffer_packets: usize,
    /// Per-operation bound on MongoDB calls, so a stalled database fails sends fast.
    pub db_timeout: Duration,
    /// Create a demo streamer and lives when the directory is empty.
    pub seed_demo: bool,
    pub limits: Limits,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_proxy: bool,
    /// Bearer token `/metrics` requires; without one, production serves no metrics.
    pub metrics_token: Option<String>,
}

/// Abuse limits; every one configurable.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Messages per user per `window` (viewers).
    pub messages: u32,
    /// Messages per user per `window` (moderators, streamer, admins).
    pub mod_messages: u32,
    pub window: Duration,
    /// New socket connections per client IP per minute.
    pub connections_per_ip_per_min: u32,
    /// Login and signup attempts per client IP per minute.
    pub logins_per_ip_per_min: u32,
    /// Sockets one user may hold open at once.
    pub sockets_per_user: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

const DEV_SECRET: &str = "dev-only-insecure-secret-change-me-0123456789";

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

        let jwt_secret = match get("JWT_SECRET") {
            Some(s) if s.len() >= 32 => s,
            Some(_) => return Err(ConfigError("JWT_SECRET must be at least 32 bytes".into())),
            None if prod => return Err(ConfigError("JWT_SECRET is required in production".into())),
            None => {
                tracing::warn!("JWT_SECRET not set: using the insecure development secret");
                DEV_SECRET.to_owned()
            }
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
        if prod && allowed_origins.iter().any(|o| o == "*") {
            return Err(ConfigError(
                "ALLOWED_ORIGINS may not contain * in production".into(),
            ));
        }

        Ok(Self {
            mode,
            mongodb_uri: get("MONGODB_URI")
                .unwrap_or_else(|| "mongodb://127.0.0.1:27017/livechat".into()),
            jwt_secret,
            jwt_ttl: Duration::from_secs(parse_num(&get, "JWT_TTL_SECS", 7 * 24 * 3600)?),
            cookie_secure: parse_bool(&get, "COOKIE_SECURE", prod)?,
            allowed_origins,
            max_packet_bytes: parse_num(&get, "MAX_PACKET_BYTES", 16 * 1024)?,
            socket_buffer_packets: parse_num(&get, "SOCKET_BUFFER_PACKETS", 256)? as usize,
            db_timeout: Duration::from_millis(parse_num(&get, "DB_TIMEOUT_MS", 3000)?),
            seed_demo: parse_bool(&get, "SEED_DEMO", false)?,
            limits: Limits {
                messages: parse_num(&get, "RATE_LIMIT_MESSAGES", 20)? as u32,
                mod_messages: parse_num(&get, "RATE_LIMIT_MOD_MESSAGES", 100)? as u32,
                window: Duration::from_secs(parse_num(&get, "RATE_LIMIT_WINDOW_SECS", 30)?),
                connections_per_ip_per_min: parse_num(&get, "CONNECTIONS_PER_IP_PER_MIN", 60)?
                    as u32,
                logins_per_ip_per_min: parse_num(&get, "LOGINS_PER_IP_PER_MIN", 10)? as u32,
                sockets_per_user: parse_num(&get, "MAX_SOCKETS_PER_USER", 10)? as u32,
            },
            trust_proxy: parse_bool(&get, "TRUST_PROXY", false)?,
            metrics_token: get("METRICS_TOKEN").filter(|t| !t.is_empty()),
        })
    }
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
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn development_has_safe_defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.mode, Mode::Development);
        assert!(!c.cookie_secure);
        assert_eq!(c.max_packet_bytes, 16384);
        assert_eq!(c.limits.messages, 20);
        assert_eq!(c.limits.mod_messages, 100);
        assert_eq!(c.limits.window, Duration::from_secs(30));
    }

    #[test]
    fn production_requires_a_strong_secret_and_no_wildcard() {
        assert!(cfg(&[("APP_ENV", "production")]).is_err());
        let secret = "x".repeat(32);
        let c = cfg(&[("APP_ENV", "production"), ("JWT_SECRET", &secret)]).unwrap();
        assert!(c.cookie_secure);
        assert!(c.allowed_origins.is_empty());
        assert!(cfg(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", &secret),
            ("ALLOWED_ORIGINS", "*")
        ])
        .is_err());
        assert!(cfg(&[("JWT_SECRET", "short")]).is_err());
    }

    #[test]
    fn bad_numbers_are_errors() {
        assert!(cfg(&[("MAX_PACKET_BYTES", "lots")]).is_err());
        assert!(cfg(&[("DB_TIMEOUT_MS", "0")]).is_err());
        assert!(cfg(&[("COOKIE_SECURE", "maybe")]).is_err());
    }
}
