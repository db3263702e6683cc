//! A room's newest messages in memory (deletions applied), so arriving viewers,
//! the live page and short catch-ups need no query.

use std::collections::VecDeque;

use app::protocol::ChatMessage;

/// How many stored messages a room keeps in memory.
pub const RECENT_KEPT: usize = 100;

#[derive(Debug, Default)]
pub struct Recent {
    messages: VecDeque<ChatMessage>,
    /// The highest seq stored in the room (deleted or not).
    last_seq: u64,
    /// Every message with `seq >= complete_from` is held here unless deleted.
    complete_from: u64,
    /// Visible messages older than the ones held may exist in the database.
    older_exist: bool,
}

/// What a page read from memory holds.
pub struct RecentPage {
    pub messages: Vec<ChatMessage>,
    pub has_more: bool,
    pub last_seq: u64,
}

impl Recent {
    /// From the newest visible messages (oldest first), the room's last seq, and
    /// whether the database holds older visible ones.
    pub fn new(newest: Vec<ChatMessage>, last_seq: u64, older_exist: bool) -> Self {
        let complete_from = match (newest.first(), older_exist) {
            (_, false) => 1,
            (Some(first), true) => first.seq,
            (None, true) => last_seq + 1,
        };
        let mut r = Self {
            messages: newest.into(),
            last_seq,
            complete_from,
            older_exist,
        };
        r.trim();
        r
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Adds newly stored messages (in seq order).
    pub fn push(&mut self, stored: impl IntoIterator<Item = ChatMessage>) {
        for m in stored {
            if m.seq <= self.last_seq {
                continue;
            }
            self.last_seq = m.seq;
            self.messages.push_back(m);
        }
        self.trim();
    }

    /// Records that seqs up to `seq` are stored (some may be deleted already).
    pub fn note_last_seq(&mut self, seq: u64) {
        self.last_seq = self.last_seq.max(seq);
    }

    fn trim(&mut self) {
        while self.messages.len() > RECENT_KEPT {
            if let Some(old) = self.messages.pop_front() {
                self.complete_from = old.seq + 1;
                self.older_exist = true;
            }
        }
    }

    /// Applies deletions (message ids): the messages go, and replies to them
    /// keep no text of them.
    pub fn delete(&mut self, ids: &[String]) {
        self.messages.retain(|m| !ids.contains(&m.id));
        for m in &mut self.messages {
            if let Some(r) = m.reply_to.as_mut().filter(|r| ids.contains(&r.id)) {
                r.mark_deleted();
            }
        }
    }

    /// A visible message held here, by id.
    pub fn find(&self, id: &str) -> Option<&ChatMessage> {
        self.messages.iter().rev().find(|m| m.id == id)
    }

    /// The messages held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &ChatMessage> {
        self.messages.iter()
    }

    /// The newest `limit` visible messages.
    pub fn latest(&self, limit: usize) -> RecentPage {
        let skip = self.messages.len().saturating_sub(limit);
        RecentPage {
            messages: self.messages.iter().skip(skip).cloned().collect(),
            has_more: skip > 0 || self.older_exist,
            last_seq: self.last_seq,
        }
    }

    /// The visible messages after `seq`, if memory holds all of them.
    pub fn after(&self, seq: u64, limit: usize) -> Option<RecentPage> {
        if seq.saturating_add(1) < self.complete_from {
            return None;
        }
        let mut newer = self.messages.iter().filter(|m| m.seq > seq);
        let messages: Vec<ChatMessage> = newer.by_ref().take(limit).cloned().collect();
        let has_more = newer.next().is_some();
        let last_seq = match (has_more, messages.last()) {
            (true, Some(m)) => m.seq,
            _ => self.last_seq.max(seq),
        };
        Some(RecentPage {
            messages,
            has_more,
            last_seq,
        })
    }
}

/// A message with seq `seq`, for unit tests.
#[cfg(test)]
pub(crate) fn test_message(seq: u64) -> ChatMessage {
    ChatMessage {
        id: format!("m{seq}"),
        live_id: "l".into(),
        seq,
        user_id: "u".into(),
        nickname: "n".into(),
        content: "c".into(),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        client_id: format!("c{seq}"),
        badge: None,
        fragments: vec![],
        reply_to: None,
        mentions: vec![],
        action: false,
    }
}

#[cfg(test)]
mod tests {
    use super::{test_message as msg, *};

    fn seqs(p: &RecentPage) -> Vec<u64> {
        p.messages.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn keeps_the_newest_and_knows_what_it_covers() {
        let mut r = Recent::new(vec![], 0, false);
        r.push((1..=150).map(msg));
        let latest = r.latest(50);
        assert_eq!(seqs(&latest), (101..=150).collect::<Vec<_>>());
        assert!(latest.has_more);
        assert_eq!(latest.last_seq, 150);
        assert!(r.after(49, 10).is_none(), "seq 50 was evicted");
        let page = r.after(50, 10).unwrap();
        assert_eq!(seqs(&page), (51..=60).collect::<Vec<_>>());
        assert!(page.has_more);
        assert_eq!(page.last_seq, 60);
    }

    #[test]
    fn deletions_leave_their_seq_accounted_for() {
        let mut r = Recent::new((1..=5).map(msg).collect(), 5, false);
        r.delete(&["m5".into(), "m3".into()]);
        let latest = r.latest(50);
        assert_eq!(seqs(&latest), vec![1, 2, 4]);
        assert_eq!(
            latest.last_seq, 5,
            "the deleted newest one is still counted"
        );
        assert!(!latest.has_more);
        let page = r.after(4, 10).unwrap();
        assert!(page.messages.is_empty());
        assert_eq!(page.last_seq, 5);
    }

    #[test]
    fn a_partial_load_sends_older_reads_to_the_database() {
        let r = Recent::new((40..=60).map(msg).collect(), 61, true);
        assert!(r.after(38, 10).is_none());
        assert_eq!(seqs(&r.after(39, 5).unwrap()), vec![40, 41, 42, 43, 44]);
        assert!(r.latest(100).has_more);
    }
}
