//! Slow mode: the last accepted send per (room, user).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Default)]
pub struct SlowMode {
    last: Mutex<HashMap<(String, String), Instant>>,
}

impl SlowMode {
    /// Takes the user's slot if `interval` has passed since their last message;
    /// otherwise `Err(time left)`.
    pub fn take(&self, room: &str, user: &str, interval: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut last = self.last.lock().expect("slow mode map");
        let key = (room.to_owned(), user.to_owned());
        if let Some(prev) = last.get(&key) {
            let since = now.duration_since(*prev);
            if since < interval {
                return Err(interval - since);
            }
        }
        last.insert(key, now);
        Ok(())
    }

    /// Drops entries older than the longest possible slow mode.
    pub fn sweep(&self, older_than: Duration) {
        let now = Instant::now();
        self.last
            .lock()
            .expect("slow mode map")
            .retain(|_, t| now.duration_since(*t) < older_than);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_mode_spaces_messages() {
        let s = SlowMode::default();
        assert!(s.take("r", "u", Duration::from_secs(10)).is_ok());
        assert!(s.take("r", "u", Duration::from_secs(10)).is_err());
        assert!(s.take("r2", "u", Duration::from_secs(10)).is_ok());
        assert!(s.take("r", "u", Duration::ZERO).is_ok());
    }
}
