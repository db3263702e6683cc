//! Readiness kept current by a background check, so `/readyz` answers at once
//! (probes give up after about a second) even while the database hangs.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use crate::store::Stores;

/// How often the database is pinged.
const EVERY: Duration = Duration::from_millis(500);
/// Ready only if the database answered this recently: a hanging database turns
/// the server unready within about this long, however long one ping may wait.
const FRESH: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

struct Inner {
    epoch: Instant,
    database_ok: AtomicBool,
    /// When the database last answered, in ms since `epoch`.
    answered_at_ms: AtomicU64,
}

impl Health {
    /// Starts the background check.
    pub fn watch(stores: Stores) -> Self {
        let health = Self {
            inner: Arc::new(Inner {
                epoch: Instant::now(),
                database_ok: AtomicBool::new(false),
                answered_at_ms: AtomicU64::new(0),
            }),
        };
        let this = health.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let ok = tokio::time::timeout(FRESH, stores.ping())
                    .await
                    .is_ok_and(|r| r.is_ok());
                if ok {
                    let now = this.inner.epoch.elapsed().as_millis() as u64;
                    this.inner.answered_at_ms.store(now, Ordering::Relaxed);
                } else if this.inner.database_ok.load(Ordering::Relaxed) {
                    tracing::warn!("database stopped answering: not ready");
                }
                this.inner.database_ok.store(ok, Ordering::Relaxed);
            }
        });
        health
    }

    /// Ready: the database answered its last check, and recently.
    pub fn ready(&self) -> bool {
        let now = self.inner.epoch.elapsed().as_millis() as u64;
        let last = self.inner.answered_at_ms.load(Ordering::Relaxed);
        self.inner.database_ok.load(Ordering::Relaxed)
            && now.saturating_sub(last) <= FRESH.as_millis() as u64
    }
}
