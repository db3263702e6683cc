//! A room with a long past: seeds N messages straight into the database, then
//! times what arrivals cost — `enter_room` (the first one loads the room) and
//! the server-rendered live page.

use std::time::Duration;

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use tokio::time::Instant;

use crate::{client, stats::Latencies, Setup};

pub struct HistoryReport {
    pub seeded: u64,
    pub seed_time: Duration,
    pub first_enter: Duration,
    pub enter: (f64, f64, f64),
    pub page: (f64, f64, f64),
}

/// Seeds `n` messages into the first live (in `insert_many` batches of 1,000).
pub async fn seed(mongodb_uri: &str, live: &str, n: u64) -> Result<Duration, String> {
    let started = Instant::now();
    let client = mongodb::Client::with_uri_str(mongodb_uri)
        .await
        .map_err(|e| e.to_string())?;
    let db = client
        .default_database()
        .ok_or("the MongoDB URI names no database")?;
    let chat = db.collection::<Document>("chat");
    let now = DateTime::now();
    let mut seq = 1u64;
    while seq <= n {
        let docs: Vec<Document> = (seq..=n.min(seq + 999))
            .map(|s| {
                doc! {
                    "_id": ObjectId::new(), "liveId": live, "seq": s as i64,
                    "userId": "seed", "nickname": "seed", "content": format!("seeded message {s}"),
                    "clientId": format!("seed-{s}"), "createdAt": now, "updatedAt": now,
                }
            })
            .collect();
        seq += docs.len() as u64;
        chat.insert_many(docs).await.map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed())
}

pub async fn run(
    setup: &Setup,
    mongodb_uri: &str,
    n: u64,
    arrivals: usize,
) -> Result<HistoryReport, String> {
    let live = setup.lives[0].clone();
    let seed_time = seed(mongodb_uri, &live, n).await?;

    let timed_enter = || async {
        let mut ws = client::connect(&setup.addr, None).await?;
        let began = Instant::now();
        let entered = client::enter(&mut ws, &live, false).await?;
        let took = began.elapsed();
        // Servers older than `lastSeq` are checked by their newest message.
        let newest = entered["lastSeq"]
            .as_u64()
            .or_else(|| entered["history"].as_array()?.last()?["seq"].as_u64());
        if newest != Some(n) {
            return Err(format!(
                "enter_room does not account for all {n} messages: {entered}"
            ));
        }
        let _ = ws.close(None).await;
        Ok::<_, String>(took)
    };
    let first_enter = timed_enter().await?;
    let mut enter = Latencies::default();
    for _ in 0..arrivals {
        enter.record(timed_enter().await?);
    }

    let http = reqwest::Client::builder()
        .timeout(client::WAIT)
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("http://{}/live/{live}", setup.addr);
    let mut page = Latencies::default();
    for _ in 0..arrivals {
        let began = Instant::now();
        let r = http.get(&url).send().await.map_err(|e| e.to_string())?;
        let status = r.status();
        let body = r.text().await.map_err(|e| e.to_string())?;
        page.record(began.elapsed());
        if !status.is_success() || !body.contains(&format!("seeded message {n}")) {
            return Err(format!(
                "the live page ({status}) does not show the newest message"
            ));
        }
    }
    Ok(HistoryReport {
        seeded: n,
        seed_time,
        first_enter,
        enter: enter.summary(),
        page: page.summary(),
    })
}
