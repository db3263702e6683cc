//! Failed logins per account: a few are free, then every further attempt must
//! wait, doubling each time (capped). Keyed by the nickname as typed, whether or
//! not the account exists, so the answers reveal nothing about which do.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

pub struct LoginThrottle {
    free: u32,
    max_keys: usize,
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    pub fn new(free: u32, max_keys: usize) -> Self {
        Self {
            free,
            max_keys,
            failures: Mutex::default(),
        }
    }

    /// `Err(wait)` while the account's backoff runs.
    pub fn check(&self, account: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self.failures.lock().expect("login throttle");
        match map.get(account).and_then(|f| f.blocked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    pub fn failed(&self, account: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("login throttle");
        if map.len() >= self.max_keys && !map.contains_key(account) {
            Self::forget_old(&mut map, now);
            if map.len() >= self.max_keys {
                // Still full: drop the stalest entry; memory stays bounded.
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        let f = map.entry(account.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: None,
        });
        f.count += 1;
        f.last = now;
        if f.count >= self.free {
            let doublings = (f.count - self.free).min(16);
            let wait = Duration::from_secs(1u64 << doublings).min(MAX_WAIT);
            f.blocked_until = Some(now + wait);
        }
    }

    pub fn succeeded(&self, account: &str) {
        self.failures
            .lock()
            .expect("login throttle")
            .remove(account);
    }

    fn forget_old(map: &mut HashMap<String, Failures>, now: Instant) {
        // An account quiet for twice the longest wait starts afresh.
        map.retain(|_, f| now.duration_since(f.last) < MAX_WAIT * 2);
    }

    pub fn sweep(&self) {
        Self::forget_old(
            &mut self.failures.lock().expect("login throttle"),
            Instant::now(),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.failures.lock().expect("login throttle").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_waits_double() {
        let t = LoginThrottle::new(3, 100);
        for _ in 0..2 {
            t.failed("alice");
            assert!(t.check("alice").is_ok());
        }
        t.failed("alice");
        let first = t.check("alice").unwrap_err();
        assert!(first <= Duration::from_secs(1) && first > Duration::ZERO);
        t.failed("alice");
        let second = t.check("alice").unwrap_err();
        assert!(second > Duration::from_secs(1), "{second:?}");
        assert!(t.check("bob").is_ok(), "accounts are independent");
        t.succeeded("alice");
        assert!(t.check("alice").is_ok(), "a success clears the count");
    }

    #[test]
    fn the_map_is_bounded() {
        let t = LoginThrottle::new(3, 10);
        for i in 0..100 {
            t.failed(&format!("user{i}"));
        }
        assert!(t.len() <= 10);
    }
}
