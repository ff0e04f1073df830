//! Virtual time: integer nanoseconds, never floats.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A span of virtual time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

/// An instant of virtual time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1_000_000_000)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds as a float, for reports and metrics only (never for the clock).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Converts a non-negative float of seconds, rounding to the nearest nanosecond.
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_finite() && s > 0.0 {
            Duration((s * 1e9).round().min(u64::MAX as f64) as u64)
        } else {
            Duration(0)
        }
    }
}

impl Time {
    pub const ZERO: Time = Time(0);

    pub const fn from_secs(s: u64) -> Self {
        Time(s * 1_000_000_000)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds as a float, for reports and metrics only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Time since `earlier`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(d.0))
    }
}

impl AddAssign<Duration> for Time {
    fn add_assign(&mut self, d: Duration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, rhs: Time) -> Duration {
        self.since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

/// Seconds with exactly six decimals (microseconds), as `events.jsonl` prints `t`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0 / 1_000;
        let secs = micros / 1_000_000;
        let frac = micros % 1_000_000;
        if frac == 0 {
            write!(f, "{secs}")
        } else {
            let digits = format!("{frac:06}");
            write!(f, "{secs}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_prints_at_most_six_decimals_without_trailing_zeros() {
        assert_eq!(Time::from_secs(175).to_string(), "175");
        assert_eq!(Time(1_500_000_000).to_string(), "1.5");
        assert_eq!(Time(1_000_001_999).to_string(), "1.000001");
        assert_eq!(Time(0).to_string(), "0");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(Time(u64::MAX) + Duration(5), Time(u64::MAX));
        assert_eq!(Time(5) - Time(9), Duration(0));
    }
}
