//! One sender's messages get seqs in the order they were sent, acks or not.
//!
//! socketioxide runs each event in its own task, so a socket's sends can reach
//! the room's turn in any order. A ticket is taken synchronously when the event
//! is dispatched (in arrival order); each send waits until the sends before it
//! have taken the room's turn (or finished), and lets the next one go once it has.

use std::{
    collections::BTreeSet,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::watch;

pub struct SendOrder {
    issued: AtomicU64,
    /// The ticket whose turn it is.
    serving: watch::Sender<u64>,
    /// Tickets that finished before their turn came (e.g. refused early).
    finished_early: Mutex<BTreeSet<u64>>,
}

impl Default for SendOrder {
    fn default() -> Self {
        Self {
            issued: AtomicU64::new(0),
            serving: watch::Sender::new(0),
            finished_early: Mutex::default(),
        }
    }
}

/// A place in one sender's order. Dropping it (however the send ends) lets the
/// next one go.
pub struct SendTurn {
    order: Arc<SendOrder>,
    ticket: u64,
}

impl SendOrder {
    /// Call synchronously, in the order the sends arrived.
    pub fn ticket(self: &Arc<Self>) -> SendTurn {
        SendTurn {
            order: self.clone(),
            ticket: self.issued.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn finish(&self, ticket: u64) {
        let mut early = self.finished_early.lock().expect("send order");
        let serving = *self.serving.borrow();
        if ticket == serving {
            let mut next = serving + 1;
            while early.remove(&next) {
                next += 1;
            }
            self.serving.send_replace(next);
        } else {
            early.insert(ticket);
        }
    }
}

impl SendTurn {
    /// Resolves once every earlier send of this sender has let go.
    pub async fn wait(&self) {
        let mut serving = self.order.serving.subscribe();
        let _ = serving.wait_for(|s| *s >= self.ticket).await;
    }
}

impl Drop for SendTurn {
    fn drop(&mut self) {
        self.order.finish(self.ticket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn turns_come_in_ticket_order_even_when_one_ends_early() {
        let order = Arc::new(SendOrder::default());
        let (a, b, c) = (order.ticket(), order.ticket(), order.ticket());
        let third = tokio::spawn(async move {
            c.wait().await;
        });
        drop(b); // refused before its turn
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!third.is_finished(), "the third waits for the first");
        a.wait().await;
        drop(a);
        tokio::time::timeout(Duration::from_secs(1), third)
            .await
            .expect("the third goes once the first and second are done")
            .unwrap();
    }
}
