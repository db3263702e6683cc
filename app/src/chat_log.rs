//! The browser's model of one room's chat: confirmed messages kept in `seq` order
//! without duplicates, plus the viewer's own messages still in flight. Pure, so the
//! ordering and de-duplication rules are unit-tested natively.

use crate::protocol::{rich::ReplyTo, ChatMessage, WireError};

/// How many confirmed messages the panel keeps; older ones can be loaded again.
pub const MAX_KEPT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Pending,
    Failed { error: WireError, retryable: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub client_id: String,
    pub content: String,
    pub delivery: Delivery,
    /// The message it answers, as the sender saw it.
    pub reply_to: Option<ReplyTo>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatLog {
    messages: Vec<ChatMessage>,
    outgoing: Vec<Outgoing>,
    /// Older messages exist on the server before the first one held.
    pub has_older: bool,
    /// The newest seq the server has accounted for (held, or deleted): a live
    /// message beyond the next one means some were lost on the way.
    accounted: u64,
}

impl ChatLog {
    /// `last_seq`: the newest seq the history accounts for (deleted ones count).
    pub fn new(history: Vec<ChatMessage>, has_older: bool, last_seq: u64) -> Self {
        let mut log = Self {
            has_older,
            accounted: last_seq,
            ..Self::default()
        };
        log.merge(history);
        log
    }

    /// Records that the server accounted for every seq up to `seq` (a history
    /// answer's `lastSeq`): seqs not held up to it were deleted, not lost.
    pub fn account_through(&mut self, seq: u64) {
        self.accounted = self.accounted.max(seq);
    }

    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    pub fn outgoing(&self) -> &[Outgoing] {
        &self.outgoing
    }

    /// The highest `seq` accounted for (held or known deleted; 0 when none): the
    /// catch-up point after a reconnect.
    pub fn last_seq(&self) -> u64 {
        self.messages
            .last()
            .map(|m| m.seq)
            .unwrap_or(0)
            .max(self.accounted)
    }

    pub fn first_seq(&self) -> Option<u64> {
        self.messages.first().map(|m| m.seq)
    }

    /// True when a live message with this `seq` would leave a hole after the
    /// newest one held, so the missing range must be fetched.
    pub fn has_gap_before(&self, seq: u64) -> bool {
        seq > self.last_seq() + 1
    }

    /// Adds the messages not held yet, in `seq` order, and settles the outgoing
    /// ones they confirm. Returns how many were new.
    pub fn merge(&mut self, incoming: impl IntoIterator<Item = ChatMessage>) -> usize {
        let mut added = 0;
        for msg in incoming {
            self.outgoing.retain(|o| o.client_id != msg.client_id);
            match self.messages.binary_search_by_key(&msg.seq, |m| m.seq) {
                Ok(_) => {}
                Err(pos) => {
                    self.messages.insert(pos, msg);
                    added += 1;
                }
            }
        }
        if self.messages.len() > MAX_KEPT {
            let excess = self.messages.len() - MAX_KEPT;
            self.messages.drain(..excess);
            self.has_older = true;
        }
        added
    }

    /// Prepends an older page (from scrolling up).
    pub fn merge_older(&mut self, older: Vec<ChatMessage>, has_more: bool) -> usize {
        let added = older
            .into_iter()
            .filter(|m| {
                self.messages
                    .binary_search_by_key(&m.seq, |x| x.seq)
                    .is_err()
            })
            .collect::<Vec<_>>();
        let n = added.len();
        for m in added {
            let pos = self
                .messages
                .binary_search_by_key(&m.seq, |x| x.seq)
                .unwrap_err();
            self.messages.insert(pos, m);
        }
        self.has_older = has_more;
        n
    }

    /// Drops a deleted message (its seq stays accounted for); replies to it
    /// keep no text of it.
    pub fn remove(&mut self, id: &str) {
        let last = self.last_seq();
        self.messages.retain(|m| m.id != id);
        self.accounted = last;
        for m in &mut self.messages {
            if let Some(r) = m.reply_to.as_mut().filter(|r| r.id == id) {
                r.mark_deleted();
            }
        }
    }

    /// A held message by id.
    pub fn find(&self, id: &str) -> Option<&ChatMessage> {
        self.messages.iter().rev().find(|m| m.id == id)
    }

    pub fn push_outgoing(&mut self, client_id: String, content: String, reply_to: Option<ReplyTo>) {
        self.outgoing.push(Outgoing {
            client_id,
            content,
            delivery: Delivery::Pending,
            reply_to,
        });
    }

    pub fn fail(&mut self, client_id: &str, error: WireError, retryable: bool) {
        if let Some(o) = self.outgoing.iter_mut().find(|o| o.client_id == client_id) {
            o.delivery = Delivery::Failed { error, retryable };
        }
    }

    /// Marks a failed message pending again and returns it for re-sending.
    pub fn retry(&mut self, client_id: &str) -> Option<Outgoing> {
        let o = self
            .outgoing
            .iter_mut()
            .find(|o| o.client_id == client_id)?;
        o.delivery = Delivery::Pending;
        Some(o.clone())
    }

    pub fn dismiss(&mut self, client_id: &str) {
        self.outgoing.retain(|o| o.client_id != client_id);
    }

    /// Messages still waiting for an ack: re-sent (same clientId) after a reconnect.
    pub fn pending(&self) -> Vec<Outgoing> {
        self.outgoing
            .iter()
            .filter(|o| o.delivery == Delivery::Pending)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64, client_id: &str) -> ChatMessage {
        ChatMessage {
            id: format!("id{seq}"),
            live_id: "l".into(),
            seq,
            user_id: "u".into(),
            nickname: "n".into(),
            content: format!("m{seq}"),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            client_id: client_id.into(),
            badge: None,
            fragments: vec![],
            reply_to: None,
            mentions: vec![],
            action: false,
        }
    }

    fn seqs(log: &ChatLog) -> Vec<u64> {
        log.messages().iter().map(|m| m.seq).collect()
    }

    #[test]
    fn merge_orders_and_deduplicates() {
        let mut log = ChatLog::new(vec![msg(1, "a"), msg(2, "b")], false, 2);
        assert_eq!(log.merge(vec![msg(4, "d"), msg(3, "c"), msg(2, "b")]), 2);
        assert_eq!(seqs(&log), vec![1, 2, 3, 4]);
        assert_eq!(log.last_seq(), 4);
    }

    #[test]
    fn detects_gaps() {
        let log = ChatLog::new(vec![msg(1, "a"), msg(2, "b")], false, 2);
        assert!(!log.has_gap_before(3));
        assert!(log.has_gap_before(5));
        assert!(!ChatLog::default().has_gap_before(1));
        assert!(ChatLog::default().has_gap_before(2));
    }

    #[test]
    fn deletions_are_not_gaps() {
        // History of 1..=4 where 3 and 5 were deleted: the server says it
        // accounted through 5, so 6 is next and nothing was lost.
        let mut log = ChatLog::new(vec![msg(1, "a"), msg(2, "b"), msg(4, "d")], false, 5);
        assert!(!log.has_gap_before(6));
        assert!(log.has_gap_before(7));
        // Deleting the newest message held does not make the next one look late.
        log.merge(vec![msg(6, "f")]);
        log.remove("id6");
        assert_eq!(log.last_seq(), 6);
        assert!(!log.has_gap_before(7));
    }

    #[test]
    fn confirmation_settles_outgoing() {
        let mut log = ChatLog::default();
        log.push_outgoing("c1".into(), "hi".into(), None);
        log.push_outgoing("c2".into(), "yo".into(), None);
        assert_eq!(log.pending().len(), 2);
        log.merge(vec![msg(1, "c1")]);
        assert_eq!(log.outgoing().len(), 1);
        log.fail(
            "c2",
            WireError::new(crate::protocol::ErrorCode::Invalid, "too long"),
            false,
        );
        assert!(log.pending().is_empty());
        assert_eq!(log.retry("c2").unwrap().delivery, Delivery::Pending);
        log.dismiss("c2");
        assert!(log.outgoing().is_empty());
    }

    #[test]
    fn deleting_a_parent_marks_its_replies() {
        let mut reply = msg(2, "b");
        reply.reply_to = Some(ReplyTo {
            id: "id1".into(),
            seq: 1,
            user_id: "u".into(),
            nickname: "n".into(),
            excerpt: "m1".into(),
            deleted: false,
        });
        let mut log = ChatLog::new(vec![msg(1, "a"), reply], false, 2);
        log.remove("id1");
        let r = log.find("id2").and_then(|m| m.reply_to.clone()).unwrap();
        assert!(r.deleted && r.excerpt.is_empty());
        assert!(log.find("id1").is_none());
    }

    #[test]
    fn older_pages_prepend() {
        let mut log = ChatLog::new(vec![msg(5, "e"), msg(6, "f")], true, 6);
        log.merge_older(vec![msg(3, "c"), msg(4, "d"), msg(5, "e")], false);
        assert_eq!(seqs(&log), vec![3, 4, 5, 6]);
        assert!(!log.has_older);
        assert_eq!(log.first_seq(), Some(3));
    }

    #[test]
    fn keeps_a_bounded_window() {
        let mut log = ChatLog::default();
        log.merge((1..=(MAX_KEPT as u64 + 10)).map(|s| msg(s, &format!("c{s}"))));
        assert_eq!(log.messages().len(), MAX_KEPT);
        assert_eq!(log.first_seq(), Some(11));
        assert!(log.has_older);
    }
}
