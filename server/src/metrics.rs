//! Prometheus metrics, served at `/metrics`.

use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub sockets: IntGauge,
    pub rooms: IntGauge,
    pub stored: IntCounter,
    pub broadcast: IntCounter,
    pub rejected: IntCounterVec,
    pub slow_consumers_dropped: IntCounter,
    pub store_seconds: Histogram,
    pub ack_seconds: Histogram,
    /// Sends refused because their room's queue was full or they waited too long.
    pub refused_busy: IntCounter,
    /// Gaps in a room's seqs read from the database (cluster: a message missed
    /// on Redis, or a node that died between storing and publishing).
    pub gaps_filled: IntCounter,
    /// A writer's seq was taken by another writer (another node), by how the
    /// writer learned how far the other got.
    pub seq_collisions: IntCounterVec,
    pub batch_size: Histogram,
    /// Queries a batch of sends needed besides its insert, by what for.
    pub send_lookups: IntCounterVec,
    /// Time to resolve a batch's mentions, emotes, links and replies.
    pub prepare_seconds: Histogram,
}

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("livechat".into()), None).expect("registry");
        let m = Self {
            sockets: IntGauge::new("sockets_connected", "Connected sockets").unwrap(),
            rooms: IntGauge::new("rooms_active", "Rooms loaded in memory").unwrap(),
            stored: IntCounter::new("messages_stored_total", "Messages stored").unwrap(),
            broadcast: IntCounter::new(
                "messages_broadcast_total",
                "Message deliveries handed to sockets (one per viewer)",
            )
            .unwrap(),
            rejected: IntCounterVec::new(
                Opts::new("messages_rejected_total", "Sends refused, by error code"),
                &["code"],
            )
            .unwrap(),
            slow_consumers_dropped: IntCounter::new(
                "slow_consumers_dropped_total",
                "Sockets disconnected because their send buffer was full",
            )
            .unwrap(),
            store_seconds: Histogram::with_opts(
                HistogramOpts::new("store_seconds", "Time to store one batch of messages")
                    .buckets(LATENCY_BUCKETS.to_vec()),
            )
            .unwrap(),
            ack_seconds: Histogram::with_opts(
                HistogramOpts::new("ack_seconds", "Time from receiving new_message to its ack")
                    .buckets(LATENCY_BUCKETS.to_vec()),
            )
            .unwrap(),
            refused_busy: IntCounter::new(
                "sends_refused_busy_total",
                "Sends refused at admission: the room's queue was full or they waited too long",
            )
            .unwrap(),
            seq_collisions: IntCounterVec::new(
                Opts::new(
                    "seq_collisions_total",
                    "Seqs a writer lost to another writer, by how it learned the room's last seq (heard: from the cluster; read: from the database)",
                ),
                &["learned"],
            )
            .unwrap(),
            gaps_filled: IntCounter::new(
                "seq_gaps_filled_total",
                "Gaps in a room's seqs filled from the database before delivery",
            )
            .unwrap(),
            batch_size: Histogram::with_opts(
                HistogramOpts::new("store_batch_messages", "Messages stored per insert_many")
                    .buckets(vec![
                        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0,
                    ]),
            )
            .unwrap(),
            send_lookups: IntCounterVec::new(
                Opts::new(
                    "send_lookups_total",
                    "Queries sends needed besides their insert (names: @mentions never seen in the room; reply_parent: a parent older than the room's recent history)",
                ),
                &["what"],
            )
            .unwrap(),
            prepare_seconds: Histogram::with_opts(
                HistogramOpts::new(
                    "prepare_seconds",
                    "Time to resolve a batch's mentions, emotes, links and replies",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
            )
            .unwrap(),
            registry,
        };
        m.registry.register(Box::new(m.sockets.clone())).unwrap();
        m.registry.register(Box::new(m.rooms.clone())).unwrap();
        m.registry.register(Box::new(m.stored.clone())).unwrap();
        m.registry.register(Box::new(m.broadcast.clone())).unwrap();
        m.registry.register(Box::new(m.rejected.clone())).unwrap();
        m.registry
            .register(Box::new(m.slow_consumers_dropped.clone()))
            .unwrap();
        m.registry
            .register(Box::new(m.store_seconds.clone()))
            .unwrap();
        m.registry
            .register(Box::new(m.ack_seconds.clone()))
            .unwrap();
        m.registry
            .register(Box::new(m.refused_busy.clone()))
            .unwrap();
        m.registry.register(Box::new(m.batch_size.clone())).unwrap();
        m.registry
            .register(Box::new(m.gaps_filled.clone()))
            .unwrap();
        m.registry
            .register(Box::new(m.seq_collisions.clone()))
            .unwrap();
        m.registry
            .register(Box::new(m.send_lookups.clone()))
            .unwrap();
        m.registry
            .register(Box::new(m.prepare_seconds.clone()))
            .unwrap();
        m
    }

    pub fn observe_ack(&self, elapsed: Duration) {
        self.ack_seconds.observe(elapsed.as_secs_f64());
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding");
        String::from_utf8(out).expect("utf-8 metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
