//! In-process send limits: the per-user rate limit (GCRA from `governor`, atomic,
//! so concurrent sends cannot slip past it) and slow mode.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// `n` per `window`, all of them usable at once.
pub fn quota(n: u32, window: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("non-zero");
    Quota::with_period(window / n.get())
        .expect("non-zero period")
        .allow_burst(n)
}

pub struct KeyedLimit {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl KeyedLimit {
    pub fn new(quota: Quota) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// `Err(wait)` when the key is over its quota.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                not_until.wait_time_from(governor::clock::DefaultClock::default().now())
            })
    }

    /// Forgets keys that are back to a full quota (bounded memory).
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Last accepted send per (room, user), for slow mode.
#[derive(Default)]
pub struct SlowMode {
    last: Mutex<HashMap<(String, String), Instant>>,
}

impl SlowMode {
    /// Takes the user's slot if `interval` has passed since their last message;
    /// otherwise `Err(time left)`.
    pub fn take(&self, room: &str, user: &str, interval: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut last = self.last.lock().expect("slow mode map");
        let key = (room.to_owned(), user.to_owned());
        if let Some(prev) = last.get(&key) {
            let since = now.duration_since(*prev);
            if since < interval {
                return Err(interval - since);
            }
        }
        last.insert(key, now);
        Ok(())
    }

    /// Drops entries older than the longest possible slow mode.
    pub fn sweep(&self, older_than: Duration) {
        let now = Instant::now();
        self.last
            .lock()
            .expect("slow mode map")
            .retain(|_, t| now.duration_since(*t) < older_than);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_allows_a_burst_then_refuses() {
        let l = KeyedLimit::new(quota(3, Duration::from_secs(30)));
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
    fn slow_mode_spaces_messages() {
        let s = SlowMode::default();
        assert!(s.take("r", "u", Duration::from_secs(10)).is_ok());
        assert!(s.take("r", "u", Duration::from_secs(10)).is_err());
        assert!(s.take("r2", "u", Duration::from_secs(10)).is_ok());
        assert!(s.take("r", "u", Duration::ZERO).is_ok());
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

/// Per-client limits outside any room: new connections and login attempts per IP,
/// and open sockets per user.
pub struct ClientLimits {
    pub connections: KeyedLimit,
    pub logins: KeyedLimit,
    pub sockets: SocketCounts,
    pub sockets_per_user: u32,
}

impl ClientLimits {
    pub fn new(l: &crate::config::Limits) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            connections: KeyedLimit::new(quota(l.connections_per_ip_per_min, minute)),
            logins: KeyedLimit::new(quota(l.logins_per_ip_per_min, minute)),
            sockets: SocketCounts::default(),
            sockets_per_user: l.sockets_per_user,
        }
    }

    pub fn sweep(&self) {
        self.connections.sweep();
        self.logins.sweep();
    }
}
