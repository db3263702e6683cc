//! Who a room's `@mentions` can resolve to without a query: everyone who chatted
//! or arrived with an account while the room was in memory, plus names looked up
//! once (found or not) and kept for a while.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

/// Most names one room keeps; beyond it, the least recently seen go first.
const KEPT: usize = 20_000;
/// How long a name no account has is remembered as unknown (an account may be
/// created with it meanwhile).
const UNKNOWN_FOR: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct People {
    /// Nickname key (lower case) -> user id, and when it was last seen.
    known: HashMap<String, (String, Instant)>,
    /// Nickname keys no account has, and when that was learned.
    unknown: HashMap<String, Instant>,
    /// Accounts known to have chatted in the room.
    chatted: HashSet<String>,
}

impl People {
    /// `nickname` is `user_id`'s (they chatted, or arrived).
    pub fn saw(&mut self, user_id: &str, nickname: &str) {
        let now = Instant::now();
        let key = nickname.to_lowercase();
        self.unknown.remove(&key);
        match self.known.get_mut(&key) {
            Some(entry) if entry.0 == user_id => entry.1 = now,
            _ => {
                self.known.insert(key, (user_id.to_owned(), now));
            }
        }
        if self.known.len() > KEPT {
            self.forget_oldest();
        }
    }

    /// `user_id` sent a message here; true if that was not known yet (it may
    /// be their first in the room: ask the database).
    pub fn chatted(&mut self, user_id: &str) -> bool {
        if self.chatted.contains(user_id) {
            return false;
        }
        if self.chatted.len() >= KEPT {
            self.chatted.clear();
        }
        self.chatted.insert(user_id.to_owned())
    }

    /// What a lookup found: `None` for a name no account has.
    pub fn learned(&mut self, key: &str, found: Option<(&str, &str)>) {
        match found {
            Some((user_id, nickname)) => self.saw(user_id, nickname),
            None => {
                if self.unknown.len() >= KEPT {
                    self.unknown.clear();
                }
                self.unknown.insert(key.to_owned(), Instant::now());
            }
        }
    }

    /// The account a name calls, if known here.
    pub fn find(&self, name: &str) -> Option<String> {
        self.known
            .get(&name.to_lowercase())
            .map(|(id, _)| id.clone())
    }

    /// Of `names`, the keys neither known nor recently found unknown: what a
    /// lookup must ask the database for (none in the steady state).
    pub fn to_look_up<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut keys: Vec<String> = names
            .into_iter()
            .map(str::to_lowercase)
            .filter(|k| {
                !self.known.contains_key(k)
                    && self
                        .unknown
                        .get(k)
                        .is_none_or(|at| at.elapsed() >= UNKNOWN_FOR)
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn forget_oldest(&mut self) {
        let mut ages: Vec<Instant> = self.known.values().map(|(_, at)| *at).collect();
        ages.sort_unstable();
        let cut = ages[ages.len() / 4];
        self.known.retain(|_, (_, at)| *at > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_case_insensitively_and_lookups_are_remembered() {
        let mut p = People::default();
        p.saw("u1", "Alice");
        assert_eq!(p.find("alice").as_deref(), Some("u1"));
        assert_eq!(p.to_look_up(["ALICE", "bob", "Bob"]), vec!["bob"]);
        p.learned("bob", None);
        p.learned("carol", Some(("u3", "Carol")));
        assert!(p.to_look_up(["bob", "carol"]).is_empty());
        assert_eq!(p.find("Carol").as_deref(), Some("u3"));
    }

    #[test]
    fn it_stays_bounded() {
        let mut p = People::default();
        for i in 0..KEPT + 10 {
            p.saw(&format!("u{i}"), &format!("n{i}"));
        }
        assert!(p.known.len() <= KEPT);
        assert!(p.find(&format!("n{}", KEPT + 9)).is_some());
    }
}
