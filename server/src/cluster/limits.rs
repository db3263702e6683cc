//! Limits every node enforces together, kept in Redis with one script call per
//! check (atomic, on Redis's clock): the per-user send rate (GCRA) and slow mode
//! for a whole batch of sends, per-key rates (connections and logins per IP),
//! and sockets per account (counted per node, so a dead node's sockets stop
//! counting once its heartbeat lapses).

use std::time::Duration;

use app::protocol::LiveId;
use fred::types::scripts::Script;

use super::{Cluster, ClusterError};

static SENDS: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::from_lua(include_str!("sends.lua")));

/// `n` per `window`, all usable at once.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub n: u32,
    pub window: Duration,
}

impl Rate {
    fn period_us(self) -> u64 {
        (self.window.as_micros() as u64 / u64::from(self.n.max(1))).max(1)
    }
}

/// One send's quotas: its sender's rate, and slow mode in its room (if on).
pub struct SendQuota<'a> {
    pub user: &'a str,
    pub rate: Rate,
    /// Which rate (viewers and moderators have their own).
    pub tier: &'static str,
    pub room: &'a LiveId,
    pub slow: Option<Duration>,
}

/// Why a send's quota was refused, and for how long.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Rate(Duration),
    SlowMode(Duration),
}

impl Cluster {
    /// Takes the quotas of a batch of sends to room `id` in order, in one
    /// round trip; also returns the room's rules version.
    pub async fn take_sends(
        &self,
        id: &LiveId,
        sends: &[SendQuota<'_>],
    ) -> Result<(u64, Vec<Result<(), Refused>>), ClusterError> {
        let mut keys = Vec::with_capacity(1 + sends.len() * 2);
        keys.push(self.rules_key(id));
        let mut args = Vec::with_capacity(sends.len() * 3);
        for s in sends {
            keys.push(self.key(&["rate", s.tier, s.user]));
            keys.push(self.key(&["slow", s.room.as_str(), s.user]));
            args.push(s.rate.period_us().to_string());
            args.push(s.rate.n.max(1).to_string());
            args.push(s.slow.map_or(0, |d| d.as_millis() as u64).to_string());
        }
        let out: Vec<i64> = SENDS
            .evalsha_with_reload(&self.inner.commands, keys, args)
            .await?;
        let (version, taken) = out.split_first().map_or((0, &[][..]), |(v, t)| (*v, t));
        Ok((
            version.max(0) as u64,
            taken
                .chunks(2)
                .map(|c| match c {
                    [1, ms] => Err(Refused::Rate(Duration::from_millis(*ms as u64))),
                    [2, ms] => Err(Refused::SlowMode(Duration::from_millis(*ms as u64))),
                    _ => Ok(()),
                })
                .collect(),
        ))
    }

    fn rules_key(&self, id: &LiveId) -> String {
        self.key(&["rules", id.as_str()])
    }

    /// The version of a room's rules (bumped by every change to them).
    pub async fn rules_version(&self, id: &LiveId) -> Result<u64, ClusterError> {
        use fred::interfaces::KeysInterface;
        let v: Option<u64> = self.inner.commands.get(self.rules_key(id)).await?;
        Ok(v.unwrap_or(0))
    }

    /// A room's rules changed (written to the database): every node's next
    /// batch of sends to it sees a newer version and reloads them first.
    pub async fn bump_rules(&self, id: &LiveId) -> Result<(), ClusterError> {
        use fred::interfaces::KeysInterface;
        let _: i64 = self.inner.commands.incr(self.rules_key(id)).await?;
        Ok(())
    }

    /// Spends one from `key`'s budget of `rate` (e.g. connections per IP):
    /// `Ok(Err(wait))` when it is spent.
    pub async fn spend(
        &self,
        what: &'static str,
        key: &str,
        rate: Rate,
    ) -> Result<Result<(), Duration>, ClusterError> {
        let keys = vec![
            self.key(&["unused"]),
            self.key(&["rate", what, key]),
            self.key(&["unused"]),
        ];
        let args = vec![
            rate.period_us().to_string(),
            rate.n.max(1).to_string(),
            "0".to_owned(),
        ];
        let out: Vec<i64> = SENDS
            .evalsha_with_reload(&self.inner.commands, keys, args)
            .await?;
        Ok(match out.as_slice() {
            [_, 1, ms] => Err(Duration::from_millis(*ms as u64)),
            _ => Ok(()),
        })
    }

    /// Counts one more socket of `user` on this node unless their sockets on
    /// all live nodes reach `cap`.
    pub async fn open_socket(&self, user: &str, cap: u32) -> Result<bool, ClusterError> {
        let keys = vec![self.key(&["sockets", user]), self.nodes_key()];
        Ok(self.per_node(keys, "open", u64::from(cap)).await? == 1)
    }

    /// One socket of `user` on this node closed.
    pub async fn close_socket(&self, user: &str) -> Result<(), ClusterError> {
        use fred::interfaces::HashesInterface;
        let _: i64 = self
            .inner
            .commands
            .hincrby(
                self.key(&["sockets", user]),
                self.inner.node_id.as_str(),
                -1,
            )
            .await?;
        Ok(())
    }
}
