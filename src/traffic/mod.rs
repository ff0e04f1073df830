//! Request-level traffic: Poisson arrivals, service times, latency histograms —
//! independent of the control plane.

mod arrivals;
mod csv;
mod histogram;
mod service_time;

pub use arrivals::{Arrivals, RateCurve, RateError, RatePoint};
pub use csv::CsvError;
pub use histogram::Histogram;
pub use service_time::{ServiceTime, ServiceTimeError, Z99};
