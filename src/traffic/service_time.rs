//! Service-time distributions: how long a pod's server works on one request.
//!
//! Draws are durations in integer nanoseconds (rounded), taken from the Service's
//! `traffic/<service>/service-time` stream by the caller.

use super::csv::{self, CsvError};
use crate::engine::{Duration, RandomStream};

/// The standard normal quantile at 0.99: a lognormal's p99 is `median · exp(σ · z99)`.
pub const Z99: f64 = 2.326_347_874_040_840_8;

/// Why a service-time distribution is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceTimeError {
    #[error("the median must be greater than zero")]
    ZeroMedian,
    #[error("the p99 must be at least the median")]
    P99BelowMedian,
    #[error("samples must be finite numbers >= 0, and there must be at least one")]
    BadSamples,
}

/// A service-time distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceTime(Shape);

#[derive(Clone, Debug, PartialEq)]
enum Shape {
    /// Mean in nanoseconds.
    Exponential(f64),
    Constant(Duration),
    /// `exp(mu + sigma·N(0,1))` nanoseconds.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Sorted samples in nanoseconds; inverse CDF with linear interpolation.
    Empirical(Vec<f64>),
}

impl ServiceTime {
    /// Exponential with the given mean.
    pub fn exponential(mean: Duration) -> Self {
        ServiceTime(Shape::Exponential(mean.0 as f64))
    }

    /// Always exactly `d`.
    pub fn constant(d: Duration) -> Self {
        ServiceTime(Shape::Constant(d))
    }

    /// Lognormal with the given median and 99th percentile:
    /// `μ = ln(median)`, `σ = ln(p99 / median) / z99`.
    pub fn lognormal(median: Duration, p99: Duration) -> Result<Self, ServiceTimeError> {
        if median.0 == 0 {
            return Err(ServiceTimeError::ZeroMedian);
        }
        if p99 < median {
            return Err(ServiceTimeError::P99BelowMedian);
        }
        let (m, p) = (median.0 as f64, p99.0 as f64);
        Ok(ServiceTime(Shape::LogNormal { mu: m.ln(), sigma: (p / m).ln() / Z99 }))
    }

    /// Empirical distribution of `samples_ms` (milliseconds, any order): draws follow the
    /// samples' inverse CDF with linear interpolation between order statistics.
    pub fn empirical(samples_ms: &[f64]) -> Result<Self, ServiceTimeError> {
        if samples_ms.is_empty() || samples_ms.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(ServiceTimeError::BadSamples);
        }
        let mut ns: Vec<f64> = samples_ms.iter().map(|ms| ms * 1e6).collect();
        ns.sort_by(f64::total_cmp);
        Ok(ServiceTime(Shape::Empirical(ns)))
    }

    /// Empirical distribution from CSV text: either one duration in milliseconds per line
    /// (no header), or a header naming an `ms` column (other columns are ignored).
    pub fn empirical_from_csv(text: &str) -> Result<Self, CsvError> {
        let mut rows = csv::records(text).peekable();
        let first = rows.peek().ok_or_else(|| CsvError::new(1, 1, "no samples: expected durations in ms"))?;
        let headed = first.cells.len() > 1 || first.cells[0].text.parse::<f64>().is_err();
        let mut column = 0;
        if headed {
            let header = rows.next().expect("peeked");
            column = header.cells.iter().position(|c| c.text == "ms").ok_or_else(|| {
                CsvError::new(header.line, 1, "expected a header with an `ms` column, or one number per line")
            })?;
        }
        let mut samples = Vec::new();
        let mut last_line = 1;
        for row in rows {
            last_line = row.line;
            let cell = *row
                .cells
                .get(column)
                .ok_or_else(|| CsvError::new(row.line, row.end_column, "missing the ms column"))?;
            let ms = csv::number(row.line, cell, "ms")?;
            if ms < 0.0 {
                return Err(CsvError::new(row.line, cell.column, format!("ms {ms} is negative")));
            }
            samples.push(ms);
        }
        if samples.is_empty() {
            return Err(CsvError::new(last_line + 1, 1, "no samples after the header"));
        }
        Ok(Self::empirical(&samples).expect("validated above"))
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut RandomStream) -> Duration {
        match &self.0 {
            Shape::Exponential(mean) => to_duration(-mean * rng.next_f64_open0().ln()),
            Shape::Constant(d) => *d,
            Shape::LogNormal { mu, sigma } => to_duration((mu + sigma * rng.standard_normal()).exp()),
            Shape::Empirical(s) => {
                let pos = rng.next_f64() * (s.len() - 1) as f64;
                let i = pos as usize;
                let lo = s[i];
                let hi = s.get(i + 1).copied().unwrap_or(lo);
                to_duration(lo + (pos - i as f64) * (hi - lo))
            }
        }
    }

    /// The distribution's mean in seconds (for utilization and tests).
    pub fn mean_secs(&self) -> f64 {
        let ns = match &self.0 {
            Shape::Exponential(mean) => *mean,
            Shape::Constant(d) => d.0 as f64,
            Shape::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Shape::Empirical(s) if s.len() == 1 => s[0],
            // The interpolated inverse CDF is uniform on each gap: the mean of midpoints.
            Shape::Empirical(s) => s.windows(2).map(|w| 0.5 * (w[0] + w[1])).sum::<f64>() / (s.len() - 1) as f64,
        };
        ns / 1e9
    }
}

#[inline]
fn to_duration(ns: f64) -> Duration {
    // Round half up without a libm call; `as` saturates: negative or NaN become 0, huge
    // becomes u64::MAX.
    Duration((ns + 0.5) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn draws(st: &ServiceTime, n: usize) -> Vec<f64> {
        let mut rng = RngStreams::new(11).stream("service-time");
        let mut v: Vec<f64> = (0..n).map(|_| st.sample(&mut rng).0 as f64).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    fn quantile(sorted: &[f64], q: f64) -> f64 {
        sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
    }

    #[test]
    fn exponential_has_the_mean_and_median() {
        let st = ServiceTime::exponential(Duration::from_millis(20));
        let v = draws(&st, 200_000);
        assert!((mean(&v) / 20e6 - 1.0).abs() < 0.01, "{}", mean(&v));
        assert!((quantile(&v, 0.5) / (20e6 * std::f64::consts::LN_2) - 1.0).abs() < 0.02);
        assert_eq!(st.mean_secs(), 0.02);
    }

    #[test]
    fn constant_is_constant() {
        let st = ServiceTime::constant(Duration::from_millis(7));
        assert!(draws(&st, 100).iter().all(|&x| x == 7e6));
    }

    #[test]
    fn lognormal_hits_the_median_and_p99() {
        let st = ServiceTime::lognormal(Duration::from_millis(10), Duration::from_millis(80)).unwrap();
        let v = draws(&st, 400_000);
        assert!((quantile(&v, 0.5) / 10e6 - 1.0).abs() < 0.01, "p50 {}", quantile(&v, 0.5));
        assert!((quantile(&v, 0.99) / 80e6 - 1.0).abs() < 0.03, "p99 {}", quantile(&v, 0.99));
        assert!((mean(&v) / (st.mean_secs() * 1e9) - 1.0).abs() < 0.02);
        assert_eq!(ServiceTime::lognormal(Duration(0), Duration(5)), Err(ServiceTimeError::ZeroMedian));
        assert_eq!(ServiceTime::lognormal(Duration(6), Duration(5)), Err(ServiceTimeError::P99BelowMedian));
    }

    #[test]
    fn empirical_interpolates_between_order_statistics() {
        let st = ServiceTime::empirical(&[30.0, 10.0, 20.0]).unwrap();
        let v = draws(&st, 100_000);
        assert!(v[0] >= 10e6 && v[v.len() - 1] <= 30e6);
        // Uniform on [10, 20] half the time and on [20, 30] the other half.
        assert!((quantile(&v, 0.25) / 15e6 - 1.0).abs() < 0.01);
        assert!((quantile(&v, 0.5) / 20e6 - 1.0).abs() < 0.01);
        assert!((mean(&v) / 20e6 - 1.0).abs() < 0.01);
        assert!((st.mean_secs() - 0.02).abs() < 1e-12);
        let one = ServiceTime::empirical(&[4.0]).unwrap();
        assert_eq!(draws(&one, 10), vec![4e6; 10]);
        assert_eq!(ServiceTime::empirical(&[]), Err(ServiceTimeError::BadSamples));
        assert_eq!(ServiceTime::empirical(&[1.0, -1.0]), Err(ServiceTimeError::BadSamples));
    }

    #[test]
    fn empirical_csv_takes_bare_numbers_or_an_ms_column() {
        let bare = ServiceTime::empirical_from_csv("12\n\n8.5\n# x\n10\n").unwrap();
        assert_eq!(bare, ServiceTime::empirical(&[8.5, 10.0, 12.0]).unwrap());
        let headed = ServiceTime::empirical_from_csv("id,ms\na,3\nb,1\n").unwrap();
        assert_eq!(headed, ServiceTime::empirical(&[1.0, 3.0]).unwrap());
        let single = ServiceTime::empirical_from_csv("ms\n5\n").unwrap();
        assert_eq!(single, ServiceTime::empirical(&[5.0]).unwrap());
    }

    #[test]
    fn empirical_csv_errors_name_line_and_column() {
        let err = |t: &str| ServiceTime::empirical_from_csv(t).unwrap_err();
        assert_eq!(err(""), CsvError::new(1, 1, "no samples: expected durations in ms"));
        assert_eq!(
            err("id,t\n1,2\n"),
            CsvError::new(1, 1, "expected a header with an `ms` column, or one number per line")
        );
        assert_eq!(err("ms\n"), CsvError::new(2, 1, "no samples after the header"));
        assert_eq!(err("1\n2\nfast\n"), CsvError::new(3, 1, "ms `fast` is not a finite number"));
        assert_eq!(err("id,ms\na,1\nb\n"), CsvError::new(3, 2, "missing the ms column"));
        assert_eq!(err("id,ms\na,-1\n"), CsvError::new(2, 3, "ms -1 is negative"));
    }
}
