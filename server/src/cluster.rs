//! Cluster mode (`REDIS_URL` set): this node's link to the others through Redis.
//!
//! MongoDB stays the store of record and the judge of each room's seq. Redis
//! carries what nodes tell each other:
//! - `{prefix}:room:{liveId}`: messages a node stored (each node subscribes to the
//!   rooms it has loaded and delivers them to its own sockets in seq order);
//! - `{prefix}:changed`: a room's rules or messages changed (moderation), so every
//!   node reloads what it keeps in memory before it checks another send.
//!
//! Shared state lives in Redis keys: each node's heartbeat (`{prefix}:nodes`),
//! viewers per room per node, sockets per account per node, and the send,
//! connection and login limits (`limits`).
//!
//! Pub/sub delivers at most once and keeps nothing: a node that misses messages
//! (a gap in seq, or Redis gone for a while) reads them from MongoDB. The fred
//! client reconnects by itself; after it does, this node resubscribes and tells
//! its rooms to catch up (`Event::Recovered`).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use app::protocol::{ChatMessage, LiveId};
use fred::{
    clients::{Client, SubscriberClient},
    interfaces::{ClientLike, EventInterface, PubsubInterface},
    prelude::{Builder, Config, ReconnectPolicy},
    types::RespVersion,
};
use serde::{Deserialize, Serialize};

/// How often Redis is pinged; sends are refused while it does not answer.
const PING_EVERY: Duration = Duration::from_millis(500);
/// Commands give up after this, so a gone Redis fails sends fast.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// Delay between reconnection attempts (forever).
const RECONNECT_DELAY_MS: u32 = 250;
/// How often a node says it is alive...
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// ...and how long after its last heartbeat its viewers and sockets still count.
pub(crate) const ALIVE: Duration = Duration::from_secs(5);

pub mod limits;

static HEARTBEAT: std::sync::LazyLock<fred::types::scripts::Script> =
    std::sync::LazyLock::new(|| {
        fred::types::scripts::Script::from_lua(
            "local t = redis.call('TIME') \
             local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) \
             redis.call('ZADD', KEYS[1], now, ARGV[1]) \
             redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - 86400000) \
             return now",
        )
    });
/// Counts kept per node and summed over live nodes (viewers, sockets).
static PER_NODE: std::sync::LazyLock<fred::types::scripts::Script> =
    std::sync::LazyLock::new(|| {
        fred::types::scripts::Script::from_lua(include_str!("cluster/nodes.lua"))
    });

#[derive(Debug, thiserror::Error)]
#[error("redis: {0}")]
pub struct ClusterError(#[from] fred::error::Error);

/// What other nodes told this one.
pub enum Event {
    /// Messages another node stored in a room.
    Stored {
        live_id: LiveId,
        messages: Vec<ChatMessage>,
    },
    /// A room's seqs up to `seq` are stored; read those not received.
    Exists { live_id: LiveId, seq: u64 },
    /// A room's rules changed, and these messages were deleted.
    Changed {
        live_id: LiveId,
        deleted: Vec<String>,
    },
    /// Redis came back after a disconnection: anything may have been missed.
    Recovered,
}

#[derive(Serialize, Deserialize)]
struct StoredWire {
    node: String,
    messages: Vec<ChatMessage>,
    /// Seqs up to this one are stored (found by a node that did not store
    /// them, e.g. after the node that did died before publishing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exists: Option<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangedWire {
    node: String,
    live_id: String,
    deleted: Vec<String>,
}

#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    node_id: String,
    prefix: String,
    commands: Client,
    subscriber: SubscriberClient,
    up: AtomicBool,
}

/// The clients of one node: ours, and the one the socket.io adapter subscribes
/// with (hand it to the adapter, then call `Cluster::keep_subscribed` on it).
pub struct Connected {
    pub cluster: Cluster,
    pub adapter_client: SubscriberClient,
}

/// Subscribes a client again to its (sharded) channels after each reconnection,
/// then runs `then`. fred's own `manage_subscriptions` cannot be used: its
/// `resubscribe_all` (fred 10.1) first sends `SUBSCRIBE` with no channel when
/// only sharded ones are tracked, which Redis refuses, and stops there.
pub fn keep_subscribed(client: &SubscriberClient, then: impl Fn() + Send + 'static) {
    let mut reconnected = client.reconnect_rx();
    let client = client.clone();
    tokio::spawn(async move {
        while reconnected.recv().await.is_ok() {
            let channels = client.tracked_shard_channels();
            let results = futures::future::join_all(
                channels.iter().map(|c| client.ssubscribe(c.to_string())),
            )
            .await;
            match results.into_iter().find_map(Result::err) {
                None => tracing::info!(channels = channels.len(), "redis is back: resubscribed"),
                Some(e) => tracing::warn!(error = %e, "cannot resubscribe after a reconnection"),
            }
            then();
        }
    });
}

impl Cluster {
    /// Connects to Redis; fails if it cannot be reached now (later outages are
    /// survived).
    pub async fn connect(url: &str, prefix: &str) -> Result<Connected, ClusterError> {
        let mut config = Config::from_url(url)?;
        // fred does not read `?protocol=resp3` from the URL; the adapter needs RESP3.
        config.version = RespVersion::RESP3;
        let builder = {
            let mut b = Builder::from_config(config);
            b.with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(2);
                c.internal_command_timeout = Duration::from_secs(2);
                c.max_command_attempts = 1;
            })
            .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
            .set_policy(ReconnectPolicy::new_constant(0, RECONNECT_DELAY_MS));
            b
        };
        let commands = builder.build()?;
        let subscriber = builder.build_subscriber_client()?;
        let adapter_client = builder.build_subscriber_client()?;
        commands.init().await?;
        subscriber.init().await?;
        let cluster = Cluster {
            inner: Arc::new(Inner {
                node_id: uuid_like(),
                prefix: prefix.to_owned(),
                commands,
                subscriber,
                up: AtomicBool::new(true),
            }),
        };
        cluster.watch();
        Ok(Connected {
            cluster,
            adapter_client,
        })
    }

    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// Redis answered its latest ping.
    pub fn is_up(&self) -> bool {
        self.inner.up.load(Ordering::Relaxed)
    }

    /// `{prefix}:part:part…`: every key and channel of this deployment.
    fn key(&self, parts: &[&str]) -> String {
        let mut k = self.inner.prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }

    fn nodes_key(&self) -> String {
        self.key(&["nodes"])
    }

    /// Records this node's viewers of a room; returns the room's viewers on
    /// every live node.
    pub async fn viewers(&self, id: &LiveId, here: u64) -> Result<u64, ClusterError> {
        let keys = vec![self.key(&["viewers", id.as_str()]), self.nodes_key()];
        let total = self.per_node(keys, "set", here).await?;
        Ok(total.max(0) as u64)
    }

    /// Runs the per-node count script (`nodes.lua`) in `mode` with `n`.
    async fn per_node(&self, keys: Vec<String>, mode: &str, n: u64) -> Result<i64, ClusterError> {
        let args = vec![
            self.inner.node_id.clone(),
            ALIVE.as_millis().to_string(),
            mode.to_owned(),
            n.to_string(),
        ];
        Ok(PER_NODE
            .evalsha_with_reload(&self.inner.commands, keys, args)
            .await?)
    }

    fn room_channel(&self, id: &LiveId) -> String {
        self.key(&["room", id.as_str()])
    }

    fn changed_channel(&self) -> String {
        self.key(&["changed"])
    }

    /// Starts receiving a room's messages (before reading it from the database,
    /// so nothing stored in between is missed).
    pub async fn follow(&self, id: &LiveId) -> Result<(), ClusterError> {
        Ok(self
            .inner
            .subscriber
            .ssubscribe(self.room_channel(id))
            .await?)
    }

    pub async fn unfollow(&self, id: &LiveId) {
        if let Err(e) = self
            .inner
            .subscriber
            .sunsubscribe(self.room_channel(id))
            .await
        {
            tracing::debug!(error = %e, live = %id, "cannot unsubscribe from a room");
        }
    }

    /// Tells the other nodes what this one stored in a room.
    pub async fn publish_stored(
        &self,
        id: &LiveId,
        messages: Vec<ChatMessage>,
    ) -> Result<(), ClusterError> {
        self.publish_room(
            id,
            &StoredWire {
                node: self.inner.node_id.clone(),
                messages,
                exists: None,
            },
        )
        .await
    }

    /// Tells the other nodes that a room's seqs up to `seq` are stored.
    pub async fn publish_exists(&self, id: &LiveId, seq: u64) -> Result<(), ClusterError> {
        self.publish_room(
            id,
            &StoredWire {
                node: self.inner.node_id.clone(),
                messages: Vec::new(),
                exists: Some(seq),
            },
        )
        .await
    }

    async fn publish_room(&self, id: &LiveId, wire: &StoredWire) -> Result<(), ClusterError> {
        self.publish(self.room_channel(id), wire).await
    }

    async fn publish(&self, channel: String, wire: &impl Serialize) -> Result<(), ClusterError> {
        let body = serde_json::to_vec(wire).expect("cluster messages serialize");
        let _: i64 = self.inner.commands.spublish(channel, body).await?;
        Ok(())
    }

    /// Tells every node a room's rules changed (and which messages were deleted).
    pub async fn publish_changed(
        &self,
        id: &LiveId,
        deleted: &[String],
    ) -> Result<(), ClusterError> {
        let wire = ChangedWire {
            node: self.inner.node_id.clone(),
            live_id: id.as_str().to_owned(),
            deleted: deleted.to_vec(),
        };
        self.publish(self.changed_channel(), &wire).await
    }

    /// Hands every event from other nodes to `on_event`, in arrival order.
    pub async fn listen(
        &self,
        on_event: impl Fn(Event) + Send + Sync + 'static,
    ) -> Result<(), ClusterError> {
        let on_event = Arc::new(on_event);
        let this = self.clone();
        let mut messages = self.inner.subscriber.message_rx();
        let room_prefix = self.key(&["room", ""]);
        let changed = self.changed_channel();
        {
            let changed = changed.clone();
            let on_event = on_event.clone();
            tokio::spawn(async move {
                loop {
                    let msg = match messages.recv().await {
                        Ok(m) => m,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            // Missed messages leave gaps, which rooms fill from the
                            // database.
                            tracing::warn!(missed = n, "cluster messages dropped: catching up");
                            on_event(Event::Recovered);
                            continue;
                        }
                        Err(_) => return,
                    };
                    let Some(body) = msg.value.as_bytes() else {
                        continue;
                    };
                    let channel = msg.channel.to_string();
                    if let Some(raw) = channel.strip_prefix(&room_prefix) {
                        match (
                            LiveId::parse(raw),
                            serde_json::from_slice::<StoredWire>(body),
                        ) {
                            (Ok(live_id), Ok(w)) if w.node != this.inner.node_id => {
                                if let Some(seq) = w.exists {
                                    on_event(Event::Exists {
                                        live_id: live_id.clone(),
                                        seq,
                                    });
                                }
                                if !w.messages.is_empty() {
                                    on_event(Event::Stored {
                                        live_id,
                                        messages: w.messages,
                                    })
                                }
                            }
                            (Ok(_), Ok(_)) => {}
                            _ => tracing::warn!(%channel, "unreadable cluster message"),
                        }
                    } else if channel == changed {
                        match serde_json::from_slice::<ChangedWire>(body) {
                            Ok(w) if w.node != this.inner.node_id => {
                                if let Ok(live_id) = LiveId::parse(&w.live_id) {
                                    on_event(Event::Changed {
                                        live_id,
                                        deleted: w.deleted,
                                    });
                                }
                            }
                            Ok(_) => {}
                            Err(_) => tracing::warn!(%channel, "unreadable cluster message"),
                        }
                    }
                }
            });
        }
        // After a reconnection: resubscribe first, then catch up, so nothing
        // published after the catch-up's reads is missed.
        keep_subscribed(&self.inner.subscriber, move || on_event(Event::Recovered));
        self.inner.subscriber.ssubscribe(changed).await?;
        Ok(())
    }

    /// Keeps `is_up` current: pings Redis, and goes down at once on a
    /// connection error.
    fn watch(&self) {
        let this = self.clone();
        let _ = self.inner.commands.on_error(move |(e, _)| {
            let this = this.clone();
            async move {
                if this.inner.up.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "redis unreachable: refusing sends");
                }
                Ok(())
            }
        });
        let this = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(HEARTBEAT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let beat: Result<i64, _> = HEARTBEAT
                    .evalsha_with_reload(
                        &this.inner.commands,
                        vec![this.nodes_key()],
                        vec![this.inner.node_id.clone()],
                    )
                    .await;
                if let Err(e) = beat {
                    // The ping loop reports Redis as gone; nothing more to say here.
                    tracing::debug!(error = %e, "heartbeat failed");
                }
            }
        });
        let this = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PING_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let ok = this.inner.commands.ping::<String>(None).await.is_ok();
                let was = this.inner.up.swap(ok, Ordering::Relaxed);
                if ok && !was {
                    tracing::info!("redis answers again");
                } else if !ok && was {
                    tracing::warn!("redis unreachable: refusing sends");
                }
            }
        });
    }
}

/// A node id: random, so a restarted node is a new node.
fn uuid_like() -> String {
    let mut bytes = [0u8; 8];
    argon2::password_hash::rand_core::RngCore::fill_bytes(
        &mut argon2::password_hash::rand_core::OsRng,
        &mut bytes,
    );
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
