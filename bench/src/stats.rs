//! Percentiles over recorded latencies.

use std::time::Duration;

#[derive(Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    pub fn record(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u32::MAX as u128) as u32);
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// (p50, p99, max) in milliseconds.
    pub fn summary(&mut self) -> (f64, f64, f64) {
        if self.0.is_empty() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        self.0.sort_unstable();
        let at = |q: f64| {
            let i = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
            self.0[i] as f64 / 1000.0
        };
        (at(0.50), at(0.99), *self.0.last().unwrap() as f64 / 1000.0)
    }
}
