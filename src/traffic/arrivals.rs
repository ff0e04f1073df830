//! Request arrivals: an exact non-homogeneous Poisson process whose rate is piecewise
//! linear in time.
//!
//! The rate is given as points `(t, rps)`: linear between consecutive points, constant
//! before the first point and after the last one. Two points at the same instant make a
//! step. Arrivals are drawn by inversion of the integrated rate: with `E ~ Exp(1)`, the
//! next arrival after `t` is the `s` with `∫_t^s λ(u) du = E`. On a linear piece that
//! integral is a quadratic in `s`, solved in closed form, so every gap costs one
//! logarithm and at most a square root — no rejection, exact for the given curve.

use super::csv::{self, CsvError};
use crate::engine::{RandomStream, Time};

/// One point of a rate curve: `rps` requests per second at `at`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePoint {
    pub at: Time,
    pub rps: f64,
}

/// Why a list of rate points is not a rate curve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("a rate needs at least one point")]
    Empty,
    #[error("point {index}: the rate must be a finite number >= 0")]
    BadRate { index: usize },
    #[error("point {index}: points must be in time order")]
    OutOfOrder { index: usize },
}

/// A request rate over virtual time, piecewise linear between points.
#[derive(Clone, Debug, PartialEq)]
pub struct RateCurve {
    points: Vec<RatePoint>,
}

impl RateCurve {
    /// The same rate forever.
    pub fn constant(rps: f64) -> Result<Self, RateError> {
        Self::new(vec![RatePoint { at: Time::ZERO, rps }])
    }

    /// A curve through `points` (time order; equal times make a step).
    pub fn new(points: Vec<RatePoint>) -> Result<Self, RateError> {
        if points.is_empty() {
            return Err(RateError::Empty);
        }
        for (index, p) in points.iter().enumerate() {
            if !(p.rps.is_finite() && p.rps >= 0.0) {
                return Err(RateError::BadRate { index });
            }
            if index > 0 && p.at < points[index - 1].at {
                return Err(RateError::OutOfOrder { index });
            }
        }
        Ok(RateCurve { points })
    }

    /// A curve from a trace: a header naming a time column and a rate column, then one
    /// point per row. The time column is `t_seconds` or any header with `time`, `seconds`
    /// or `ts` in it (`t` alone too); the rate column `rps` or any with `rps`, `rate`,
    /// `qps`, `value` or `requests` in it; other columns are ignored. Times are seconds
    /// from the start; Unix timestamps (a first time of at least 1e9 seconds, or 1e12
    /// milliseconds: Prometheus' `timestamp,value` export) are shifted to start at 0.
    pub fn from_trace_csv(text: &str) -> Result<Self, CsvError> {
        let mut rows = csv::records(text);
        let header = rows.next().ok_or_else(|| {
            CsvError::new(1, 1, "empty trace: expected a header naming a time and a rate column, e.g. `t_seconds,rps`")
        })?;
        let names: Vec<String> = header.cells.iter().map(|c| c.text.trim_matches('"').to_ascii_lowercase()).collect();
        let find = |exact: &[&str], parts: &[&str]| {
            names
                .iter()
                .position(|n| exact.contains(&n.as_str()))
                .or_else(|| names.iter().position(|n| parts.iter().any(|p| n.contains(p))))
        };
        let time = find(&["t_seconds", "t", "time", "timestamp", "ts"], &["time", "seconds", "ts"]);
        let rate = find(&["rps", "rate", "value", "qps"], &["rps", "rate", "qps", "value", "requests"]);
        let (Some(tc), Some(rc)) = (time, rate.filter(|r| Some(*r) != time)) else {
            return Err(CsvError::new(
                header.line,
                1,
                format!(
                    "the header `{}` names no {} column: expected e.g. `t_seconds,rps` or `timestamp,value`",
                    header.cells.iter().map(|c| c.text).collect::<Vec<_>>().join(","),
                    if time.is_none() { "time" } else { "rate" }
                ),
            ));
        };
        let (time_name, rate_name) = (header.cells[tc].text, header.cells[rc].text);
        let mut raw: Vec<(usize, usize, f64, f64)> = Vec::new();
        let mut last_t = f64::NEG_INFINITY;
        for row in rows {
            let cell = |c: usize, what: &str| {
                row.cells
                    .get(c)
                    .copied()
                    .ok_or_else(|| CsvError::new(row.line, row.end_column, format!("missing the {what} column")))
            };
            let (tcell, rcell) = (cell(tc, time_name)?, cell(rc, rate_name)?);
            let t = csv::number(row.line, tcell, time_name)?;
            if t < 0.0 {
                return Err(CsvError::new(row.line, tcell.column, format!("{time_name} {t} is negative")));
            }
            if t < last_t {
                return Err(CsvError::new(
                    row.line,
                    tcell.column,
                    format!("{time_name} {t} is before the previous row's {last_t}"),
                ));
            }
            last_t = t;
            let rps = csv::number(row.line, rcell, rate_name)?;
            if rps < 0.0 {
                return Err(CsvError::new(row.line, rcell.column, format!("{rate_name} {rps} is negative")));
            }
            raw.push((row.line, tcell.column, t, rps));
        }
        let Some(&(_, _, first, _)) = raw.first() else {
            return Err(CsvError::new(header.line + 1, 1, "the trace has a header but no rows"));
        };
        // Unix time in seconds (from 2001) or milliseconds: shift to start at 0.
        let (offset, scale) = if first >= 1e12 {
            (first, 1e-3)
        } else if first >= 1e9 {
            (first, 1.0)
        } else {
            (0.0, 1.0)
        };
        let points = raw
            .into_iter()
            .map(|(_, _, t, rps)| RatePoint { at: Time((((t - offset) * scale) * 1e9).round() as u64), rps })
            .collect();
        Ok(RateCurve { points })
    }

    pub fn points(&self) -> &[RatePoint] {
        &self.points
    }

    /// The rate at `t` in requests per second (the right-hand value at a step).
    pub fn rate_at(&self, t: Time) -> f64 {
        self.interpolate(t, self.points.partition_point(|q| q.at <= t))
    }

    /// The expected number of arrivals in `[from, to)`: the integral of the rate.
    pub fn expected_arrivals(&self, from: Time, to: Time) -> f64 {
        if to <= from {
            return 0.0;
        }
        // Integrate the rate exactly: trapezoids between every breakpoint in range.
        let mut cuts = vec![from];
        cuts.extend(self.points.iter().map(|p| p.at).filter(|&t| t > from && t < to));
        cuts.push(to);
        cuts.windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                let ra = self.rate_at(a);
                // Left-hand limit at b (a step at b belongs to the next piece).
                let rb = self.rate_left_of(b);
                0.5 * (ra + rb) * (b - a).as_secs_f64()
            })
            .sum()
    }

    /// The rate just before `t` (the left-hand value at a step).
    fn rate_left_of(&self, t: Time) -> f64 {
        self.interpolate(t, self.points.partition_point(|q| q.at < t))
    }

    /// The rate at `t` on the piece that ends at point `k` (flat before the first point
    /// and after the last).
    fn interpolate(&self, t: Time, k: usize) -> f64 {
        let p = &self.points;
        if k == 0 {
            return p[0].rps;
        }
        if k == p.len() {
            return p[k - 1].rps;
        }
        let (a, b) = (p[k - 1], p[k]);
        let f = (t.0 - a.at.0) as f64 / (b.at.0 - a.at.0) as f64;
        a.rps + f * (b.rps - a.rps)
    }
}

/// A linear piece of the rate in seconds: `[start, end)` with rates at both ends.
#[derive(Clone, Copy, Debug)]
struct Piece {
    start: f64,
    end: f64,
    rate_start: f64,
    slope: f64,
}

/// Draws the arrival instants of a [`RateCurve`] one by one, in order.
pub struct Arrivals {
    pieces: Vec<Piece>,
    /// Constant rate after the last point.
    tail_rate: f64,
    /// Index of the piece holding `t` (`pieces.len()` = the tail).
    piece: usize,
    /// The exact (unrounded) time of the last arrival, in seconds.
    t: f64,
    rng: RandomStream,
}

impl Arrivals {
    /// Arrivals of `curve` after `start`, drawing from `rng` (one stream per source).
    pub fn new(curve: &RateCurve, start: Time, rng: RandomStream) -> Self {
        let p = curve.points();
        let secs = |t: Time| t.as_secs_f64();
        let mut pieces = Vec::with_capacity(p.len());
        if p[0].at > Time::ZERO {
            pieces.push(Piece { start: 0.0, end: secs(p[0].at), rate_start: p[0].rps, slope: 0.0 });
        }
        for w in p.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b.at > a.at {
                let (s, e) = (secs(a.at), secs(b.at));
                pieces.push(Piece { start: s, end: e, rate_start: a.rps, slope: (b.rps - a.rps) / (e - s) });
            }
        }
        let t = secs(start);
        let piece = pieces.partition_point(|q| q.end <= t);
        Arrivals { pieces, tail_rate: p[p.len() - 1].rps, piece, t, rng }
    }

    /// The next arrival instant, or `None` when the rate stays zero forever.
    #[inline]
    pub fn next_arrival(&mut self) -> Option<Time> {
        let mut e = -self.rng.next_f64_open0().ln();
        loop {
            let Some(q) = self.pieces.get(self.piece) else {
                if self.tail_rate <= 0.0 {
                    self.t = f64::INFINITY;
                    return None;
                }
                self.t += e / self.tail_rate;
                return Some(self.time());
            };
            let r = (q.rate_start + q.slope * (self.t - q.start)).max(0.0);
            let rest = q.end - self.t;
            let mass = rest * (r + 0.5 * q.slope * rest);
            if mass >= e && mass > 0.0 {
                // Solve r·x + slope·x²/2 = e for x >= 0 in the cancellation-free form.
                let disc = (r * r + 2.0 * q.slope * e).max(0.0);
                let x = 2.0 * e / (r + disc.sqrt());
                self.t = (self.t + x).min(q.end);
                return Some(self.time());
            }
            e -= mass.max(0.0);
            self.t = q.end;
            self.piece += 1;
        }
    }

    fn time(&self) -> Time {
        // Round half up (t >= 0) without a libm call.
        Time((self.t * 1e9 + 0.5) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn pt(secs: u64, rps: f64) -> RatePoint {
        RatePoint { at: Time::from_secs(secs), rps }
    }

    fn count(curve: &RateCurve, from: Time, to: Time, seed: u64) -> u64 {
        let mut a = Arrivals::new(curve, from, RngStreams::new(seed).stream("arrivals"));
        let mut n = 0;
        let mut last = from;
        while let Some(t) = a.next_arrival() {
            assert!(t >= last, "arrivals go back in time");
            last = t;
            if t >= to {
                break;
            }
            n += 1;
        }
        n
    }

    /// Poisson counts: within 4.5 standard deviations of the integral.
    fn assert_poisson(n: u64, mean: f64) {
        let z = (n as f64 - mean) / mean.sqrt();
        assert!(z.abs() < 4.5, "{n} arrivals, expected {mean:.1} (z = {z:.2})");
    }

    #[test]
    fn constant_rate_gives_poisson_counts_and_exponential_gaps() {
        let curve = RateCurve::constant(1000.0).unwrap();
        let n = count(&curve, Time::ZERO, Time::from_secs(200), 1);
        assert_poisson(n, 200_000.0);
        // Gaps: coefficient of variation 1 for the exponential.
        let mut a = Arrivals::new(&curve, Time::ZERO, RngStreams::new(2).stream("a"));
        let mut prev = 0.0;
        let (mut s1, mut s2) = (0.0, 0.0);
        let m = 100_000;
        for _ in 0..m {
            let t = a.next_arrival().unwrap().as_secs_f64();
            let g = t - prev;
            prev = t;
            s1 += g;
            s2 += g * g;
        }
        let mean = s1 / m as f64;
        let cv = ((s2 / m as f64 - mean * mean).sqrt()) / mean;
        assert!((mean - 1e-3).abs() < 2e-5, "mean gap {mean}");
        assert!((cv - 1.0).abs() < 0.02, "cv {cv}");
    }

    #[test]
    fn ramps_follow_the_integrated_rate_piece_by_piece() {
        // Before the first point the rate is constant; ramp up, hold, ramp down to zero.
        let curve =
            RateCurve::new(vec![pt(10, 100.0), pt(70, 5000.0), pt(100, 5000.0), pt(130, 0.0), pt(140, 0.0)]).unwrap();
        for (from, to) in [(0, 10), (10, 40), (40, 70), (70, 100), (100, 115), (115, 130), (130, 500)] {
            let (from, to) = (Time::from_secs(from), Time::from_secs(to));
            let expected = curve.expected_arrivals(from, to);
            let n = count(&curve, from, to, from.0 ^ 77);
            if expected == 0.0 {
                assert_eq!(n, 0);
            } else {
                assert_poisson(n, expected);
            }
        }
        // A ramp to zero followed by a zero tail ends the process.
        let mut a = Arrivals::new(&curve, Time::from_secs(129), RngStreams::new(3).stream("a"));
        while let Some(t) = a.next_arrival() {
            assert!(t <= Time::from_secs(130));
        }
    }

    #[test]
    fn arrivals_are_denser_where_the_rate_is_higher_within_a_ramp() {
        let curve = RateCurve::new(vec![pt(0, 0.0), pt(100, 2000.0)]).unwrap();
        let lo = count(&curve, Time::ZERO, Time::from_secs(50), 4);
        let hi = count(&curve, Time::from_secs(50), Time::from_secs(100), 5);
        assert_poisson(lo, 25_000.0);
        assert_poisson(hi, 75_000.0);
    }

    #[test]
    fn steps_switch_the_rate_at_the_instant() {
        let curve = RateCurve::new(vec![pt(0, 10.0), pt(60, 10.0), pt(60, 1000.0)]).unwrap();
        assert_eq!(curve.rate_at(Time::from_secs(60)), 1000.0);
        assert_eq!(curve.rate_at(Time::from_secs(59)), 10.0);
        assert!((curve.expected_arrivals(Time::ZERO, Time::from_secs(120)) - 60_600.0).abs() < 1e-6);
        assert_poisson(count(&curve, Time::ZERO, Time::from_secs(60), 6), 600.0);
        assert_poisson(count(&curve, Time::from_secs(60), Time::from_secs(120), 7), 60_000.0);
    }

    #[test]
    fn same_stream_gives_the_same_arrivals() {
        let curve = RateCurve::new(vec![pt(0, 50.0), pt(10, 500.0)]).unwrap();
        let draw = || {
            let mut a = Arrivals::new(&curve, Time::ZERO, RngStreams::new(9).stream("x"));
            (0..1000).map(|_| a.next_arrival().unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(draw(), draw());
    }

    #[test]
    fn zero_rate_never_arrives() {
        let curve = RateCurve::constant(0.0).unwrap();
        let mut a = Arrivals::new(&curve, Time::ZERO, RngStreams::new(1).stream("a"));
        assert_eq!(a.next_arrival(), None);
    }

    #[test]
    fn bad_points_are_refused() {
        assert_eq!(RateCurve::new(vec![]), Err(RateError::Empty));
        assert_eq!(RateCurve::new(vec![pt(0, -1.0)]), Err(RateError::BadRate { index: 0 }));
        assert_eq!(RateCurve::new(vec![pt(0, f64::NAN)]), Err(RateError::BadRate { index: 0 }));
        assert_eq!(RateCurve::new(vec![pt(5, 1.0), pt(4, 1.0)]), Err(RateError::OutOfOrder { index: 1 }));
    }

    #[test]
    fn trace_csv_is_piecewise_linear_between_rows() {
        // Any header naming a time and a rate column; other columns are ignored; Unix
        // timestamps (seconds or milliseconds) start at 0.
        let at = |text: &str| -> Vec<(u64, f64)> {
            RateCurve::from_trace_csv(text).unwrap().points().iter().map(|p| (p.at.0, p.rps)).collect()
        };
        assert_eq!(at("timestamp,value\n1700000000,5\n1700000060,7\n"), [(0, 5.0), (60_000_000_000, 7.0)]);
        assert_eq!(at("host,Time_ms,QPS\na,1700000000000,5\nb,1700000000500,7\n"), [(0, 5.0), (500_000_000, 7.0)]);
        assert_eq!(at("seconds,requests_per_second\n0,1\n2.5,3\n"), [(0, 1.0), (2_500_000_000, 3.0)]);
        let curve = RateCurve::from_trace_csv("t_seconds,rps\n0,100\n# peak\n60.5, 2000\n\n120,0\n").unwrap();
        assert_eq!(curve.points().len(), 3);
        assert_eq!(curve.points()[1], RatePoint { at: Time(60_500_000_000), rps: 2000.0 });
        assert!((curve.rate_at(Time::from_secs(30)) - (100.0 + 1900.0 * 30.0 / 60.5)).abs() < 1e-9);
        assert_eq!(curve.rate_at(Time::from_secs(500)), 0.0);
    }

    #[test]
    fn trace_csv_errors_name_line_and_column() {
        let err = |text: &str| RateCurve::from_trace_csv(text).unwrap_err();
        assert_eq!(
            err(""),
            CsvError::new(1, 1, "empty trace: expected a header naming a time and a rate column, e.g. `t_seconds,rps`")
        );
        assert_eq!(
            err("when,rps\n0,1\n"),
            CsvError::new(
                1,
                1,
                "the header `when,rps` names no time column: expected e.g. `t_seconds,rps` or `timestamp,value`"
            )
        );
        assert_eq!(err("t_seconds,rps\n"), CsvError::new(2, 1, "the trace has a header but no rows"));
        assert_eq!(err("t_seconds,rps\n0,1\n10,x\n"), CsvError::new(3, 4, "rps `x` is not a finite number"));
        assert_eq!(err("t_seconds,rps\n0,1\n10, -3\n"), CsvError::new(3, 5, "rps -3 is negative"));
        assert_eq!(err("t_seconds,rps\n5,1\n4,1\n"), CsvError::new(3, 1, "t_seconds 4 is before the previous row's 5"));
        assert_eq!(err("t_seconds,rps\n5\n"), CsvError::new(2, 2, "missing the rps column"));
        assert_eq!(err("t_seconds,rps\n-1,1\n"), CsvError::new(2, 1, "t_seconds -1 is negative"));
        assert_eq!(err("t_seconds,rps\n1,\n"), CsvError::new(2, 3, "rps is empty"));
    }
}
