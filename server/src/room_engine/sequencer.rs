//! Puts a room's stored messages back in seq order before they are delivered.
//!
//! Messages reach a node from its own writer and, in cluster mode, from other
//! nodes' writers through Redis, in any order. The sequencer hands on only the
//! contiguous run after the last seq delivered; a missing seq is waited for
//! briefly (it may be in flight) and then read from the database, where it
//! always is (a node publishes only what it stored). Deleted messages count as
//! delivered without being shown.

use std::collections::BTreeMap;

use app::protocol::ChatMessage;

use crate::store::chat::ChatDoc;

#[derive(Debug)]
pub(super) struct Sequencer {
    /// The next seq to deliver.
    next: u64,
    /// Seqs after a gap: `None` for one known to be deleted.
    held: BTreeMap<u64, Option<ChatMessage>>,
    /// The highest seq known to be stored (it may not have arrived yet).
    known: u64,
}

impl Sequencer {
    /// Everything up to `delivered` is accounted for.
    pub fn new(delivered: u64) -> Self {
        Self {
            next: delivered + 1,
            held: BTreeMap::new(),
            known: delivered,
        }
    }

    /// The newest seq delivered (or deleted) with every one before it.
    pub fn delivered(&self) -> u64 {
        self.next - 1
    }

    /// Stored messages, in any order, repeats allowed.
    pub fn offer(&mut self, messages: impl IntoIterator<Item = ChatMessage>) {
        for m in messages {
            if m.seq >= self.next {
                self.known = self.known.max(m.seq);
                self.held.insert(m.seq, Some(m));
            }
        }
    }

    /// Seqs up to `seq` are stored (e.g. read back by a writer).
    pub fn exists(&mut self, seq: u64) {
        self.known = self.known.max(seq);
    }

    /// The seqs missing before what is known, if any: `(from, to)` inclusive.
    pub fn gap(&self) -> Option<(u64, u64)> {
        (self.known >= self.next && !self.held.contains_key(&self.next))
            .then_some((self.next, self.known))
    }

    /// Documents read from the database for a gap (deleted ones included).
    pub fn fill(&mut self, docs: impl IntoIterator<Item = ChatDoc>) {
        for d in docs {
            let seq = d.seq.max(0) as u64;
            if seq < self.next || self.held.get(&seq).is_some_and(Option::is_some) {
                continue;
            }
            self.known = self.known.max(seq);
            let shown = d.deleted_at_ms.is_none().then(|| d.to_message());
            self.held.insert(seq, shown);
        }
    }

    /// Takes the contiguous run after the last delivered seq.
    pub fn ready(&mut self) -> Vec<ChatMessage> {
        let mut out = Vec::new();
        while let Some(m) = self.held.remove(&self.next) {
            out.extend(m);
            self.next += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::recent::test_message as msg;

    fn seqs(v: &[ChatMessage]) -> Vec<u64> {
        v.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn holds_what_comes_after_a_gap_until_it_is_filled() {
        let mut s = Sequencer::new(10);
        s.offer([msg(13), msg(12)]);
        assert!(s.ready().is_empty());
        assert_eq!(s.gap(), Some((11, 13)));
        s.offer([msg(11), msg(12)]);
        assert_eq!(seqs(&s.ready()), [11, 12, 13]);
        assert_eq!(s.gap(), None);
        assert_eq!(s.delivered(), 13);
        // Repeats of delivered seqs are dropped.
        s.offer([msg(12), msg(13)]);
        assert!(s.ready().is_empty());
    }

    #[test]
    fn a_known_seq_that_never_arrived_is_a_gap() {
        let mut s = Sequencer::new(0);
        s.exists(2);
        assert_eq!(s.gap(), Some((1, 2)));
    }
}
