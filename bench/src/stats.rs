//! Latency samples and the summary lines.

/// Collected latencies in microseconds.
#[derive(Default)]
pub struct Latencies {
    samples: Vec<u32>,
}

impl Latencies {
    /// Adds one sample.
    pub fn record(&mut self, micros: u64) {
        self.samples.push(micros.min(u32::MAX as u64) as u32);
    }

    /// Merges another set.
    pub fn extend(&mut self, other: Latencies) {
        self.samples.extend(other.samples);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// p50, p99, p99.9 and max in µs.
    pub fn percentiles(&mut self) -> (u32, u32, u32, u32) {
        if self.samples.is_empty() {
            return (0, 0, 0, 0);
        }
        self.samples.sort_unstable();
        let at = |q: f64| {
            let index = ((self.samples.len() as f64 * q).ceil() as usize).saturating_sub(1);
            self.samples[index.min(self.samples.len() - 1)]
        };
        (
            at(0.50),
            at(0.99),
            at(0.999),
            self.samples[self.samples.len() - 1],
        )
    }
}
