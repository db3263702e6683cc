//! Limits on clients outside any room: per-IP connection and login budgets, the
//! per-account login backoff, sockets per account, and each socket's event
//! budget. Every per-key map is bounded in size and forgets idle keys.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use governor::{
    clock::Clock, DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter,
};

use crate::{
    auth::login_throttle::LoginThrottle,
    cluster::{limits::Rate, Cluster},
    config::Limits,
};

/// `n` per `window`, all of them usable at once.
pub fn quota(n: u32, window: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("non-zero");
    Quota::with_period(window / n.get())
        .expect("non-zero period")
        .allow_burst(n)
}

fn wait_from(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    not_until.wait_time_from(governor::clock::DefaultClock::default().now())
}

/// The key an address is limited by: IPv4 as is, IPv6 by its /64 (one subscriber
/// usually holds a whole /64, so per-address keys would be free to multiply).
pub fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A GCRA limit per key (atomic, so concurrent requests cannot slip past it),
/// holding at most `max_keys` keys.
pub struct KeyedLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    max_keys: usize,
    /// When a full map was last pruned (ms since `epoch`), so pruning stays rare.
    pruned_at_ms: AtomicU64,
    epoch: Instant,
}

impl KeyedLimit {
    pub fn new(quota: Quota, max_keys: usize) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
            max_keys: max_keys.max(1),
            pruned_at_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// `Err(wait)` when the key is over its quota. When the map is full of keys
    /// still in use, new checks are refused for a second (failing closed): memory
    /// stays bounded whatever keys a client invents.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        if self.limiter.len() >= self.max_keys {
            let now = self.epoch.elapsed().as_millis() as u64;
            let last = self.pruned_at_ms.load(Ordering::Relaxed);
            if now.saturating_sub(last) >= 1000
                && self
                    .pruned_at_ms
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                self.sweep();
            }
            if self.limiter.len() >= self.max_keys {
                tracing::warn!(
                    keys = self.limiter.len(),
                    "a limiter is full; refusing new work"
                );
                return Err(Duration::from_secs(1));
            }
        }
        self.limiter.check_key(&key.to_owned()).map_err(wait_from)
    }

    /// Forgets keys that are back to a full quota (bounded memory).
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.limiter.len()
    }
}

/// One socket's budget for events of every kind.
pub struct EventBudget(DefaultDirectRateLimiter);

impl EventBudget {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_sec.max(1)).expect("non-zero");
        let burst = NonZeroU32::new(burst.max(1)).expect("non-zero");
        Self(RateLimiter::direct(
            Quota::per_second(rate).allow_burst(burst),
        ))
    }

    pub fn spend(&self) -> Result<(), Duration> {
        self.0.check().map_err(wait_from)
    }
}

/// Open sockets per user, for the per-user cap.
#[derive(Default)]
pub struct SocketCounts {
    open: Mutex<HashMap<String, u32>>,
}

impl SocketCounts {
    /// Counts one more socket for `user` unless that would pass `cap`.
    pub fn try_open(&self, user: &str, cap: u32) -> bool {
        let mut open = self.open.lock().expect("socket counts");
        let n = open.entry(user.to_owned()).or_insert(0);
        if *n >= cap {
            return false;
        }
        *n += 1;
        true
    }

    pub fn close(&self, user: &str) {
        let mut open = self.open.lock().expect("socket counts");
        if let Some(n) = open.get_mut(user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(user);
            }
        }
    }
}

/// Where a socket was counted towards its account's cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketSlot {
    Local,
    Shared,
}

/// Per-client limits outside any room. In a cluster, connections and logins
/// per IP and sockets per account are counted in Redis for all nodes; if Redis
/// cannot answer, each node falls back to its own count (still bounded).
pub struct ClientLimits {
    pub connections: KeyedLimit,
    pub logins: KeyedLimit,
    connection_rate: Rate,
    login_rate: Rate,
    cluster: Option<Cluster>,
    pub login_failures: LoginThrottle,
    pub sockets: SocketCounts,
    pub sockets_per_user: u32,
    pub socket_events_per_sec: u32,
    pub socket_event_burst: u32,
    pub rooms_per_socket: usize,
}

impl ClientLimits {
    pub fn new(l: &Limits, cluster: Option<Cluster>) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            connection_rate: Rate {
                n: l.connections_per_ip_per_min,
                window: minute,
            },
            login_rate: Rate {
                n: l.logins_per_ip_per_min,
                window: minute,
            },
            cluster,
            connections: KeyedLimit::new(
                quota(l.connections_per_ip_per_min, minute),
                l.limiter_max_keys,
            ),
            logins: KeyedLimit::new(quota(l.logins_per_ip_per_min, minute), l.limiter_max_keys),
            login_failures: LoginThrottle::new(l.login_failures_per_account, l.limiter_max_keys),
            sockets: SocketCounts::default(),
            sockets_per_user: l.sockets_per_user,
            socket_events_per_sec: l.socket_events_per_sec,
            socket_event_burst: l.socket_event_burst,
            rooms_per_socket: l.rooms_per_socket,
        }
    }

    /// A new connection from `ip`: `Err(wait)` when its budget is spent.
    pub async fn connection(&self, ip: IpAddr) -> Result<(), Duration> {
        self.spend("conn", ip, self.connection_rate, &self.connections)
            .await
    }

    /// A login or signup attempt from `ip`.
    pub async fn login(&self, ip: IpAddr) -> Result<(), Duration> {
        self.spend("login", ip, self.login_rate, &self.logins).await
    }

    async fn spend(
        &self,
        what: &'static str,
        ip: IpAddr,
        rate: Rate,
        local: &KeyedLimit,
    ) -> Result<(), Duration> {
        let key = ip_key(ip);
        if let Some(cluster) = &self.cluster {
            match cluster.spend(what, &key, rate).await {
                Ok(r) => return r,
                Err(e) => tracing::debug!(error = %e, "redis limit unavailable; counting locally"),
            }
        }
        local.check(&key)
    }

    /// Counts a new socket of `user`; `None` when they have
    /// `sockets_per_user` open already (on all nodes).
    pub async fn open_socket(&self, user: &str) -> Option<SocketSlot> {
        if let Some(cluster) = &self.cluster {
            match cluster.open_socket(user, self.sockets_per_user).await {
                Ok(true) => return Some(SocketSlot::Shared),
                Ok(false) => return None,
                Err(e) => {
                    tracing::debug!(error = %e, "redis socket count unavailable; counting locally")
                }
            }
        }
        self.sockets
            .try_open(user, self.sockets_per_user)
            .then_some(SocketSlot::Local)
    }

    pub fn close_socket(&self, user: &str, slot: SocketSlot) {
        match (slot, &self.cluster) {
            (SocketSlot::Shared, Some(cluster)) => {
                let (cluster, user) = (cluster.clone(), user.to_owned());
                tokio::spawn(async move {
                    if let Err(e) = cluster.close_socket(&user).await {
                        tracing::debug!(error = %e, "cannot uncount a socket in redis");
                    }
                });
            }
            _ => self.sockets.close(user),
        }
    }

    pub fn event_budget(&self) -> EventBudget {
        EventBudget::new(self.socket_events_per_sec, self.socket_event_burst)
    }

    pub fn sweep(&self) {
        self.connections.sweep();
        self.logins.sweep();
        self.login_failures.sweep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_allows_a_burst_then_refuses() {
        let l = KeyedLimit::new(quota(3, Duration::from_secs(30)), 100);
        for _ in 0..3 {
            assert!(l.check("u").is_ok());
        }
        let wait = l.check("u").unwrap_err();
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert!(l.check("other").is_ok(), "keys are independent");
    }

    #[test]
    fn a_keyed_limit_never_holds_more_than_its_maximum() {
        let l = KeyedLimit::new(quota(3, Duration::from_secs(30)), 50);
        let refused = (0..500)
            .filter(|i| l.check(&format!("203.0.113.{i}")).is_err())
            .count();
        assert!(l.len() <= 50, "{} keys", l.len());
        assert_eq!(refused, 450, "new keys beyond the maximum are refused");
    }

    #[test]
    fn ipv6_is_keyed_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        assert_eq!(
            ip_key("::ffff:198.51.100.4".parse().unwrap()),
            "198.51.100.4"
        );
    }

    #[test]
    fn an_event_budget_allows_its_burst_then_refuses() {
        let b = EventBudget::new(1, 5);
        for _ in 0..5 {
            assert!(b.spend().is_ok());
        }
        assert!(b.spend().is_err());
    }
}
