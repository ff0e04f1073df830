//! Go-style duration strings such as `250ms`, `40s` or `1h30m`.

// Semantics follow go/src/time/format.go (`ParseDuration`, `Duration.String`).

use std::fmt;

/// Nanoseconds per second.
const SECOND: u64 = 1_000_000_000;

/// Accepted unit suffixes and their length in nanoseconds.
const UNITS: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),  // U+00B5 micro sign
    ("\u{3bc}s", 1_000), // U+03BC Greek small letter mu
    ("ms", 1_000_000),
    ("s", SECOND),
    ("m", 60 * SECOND),
    ("h", 3600 * SECOND),
];

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// The string was empty.
    Empty,
    /// The string is not a sequence of `<number><unit>` parts (holds the input).
    Invalid(String),
    /// A number had no unit after it (holds the number, e.g. `5`).
    MissingUnit(String),
    /// The unit is not one of `ns`, `us`, `µs`, `ms`, `s`, `m`, `h` (holds the unit).
    UnknownUnit(String),
    /// The total does not fit in a signed 64-bit count of nanoseconds.
    Overflow,
}

impl DurationError {
    /// A short suggestion on how to fix the input.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Empty | Self::Invalid(_) => "durations look like 250ms, 40s, 5m, 1h30m",
            Self::MissingUnit(_) => {
                "add a unit, e.g. write 30s instead of 30 (durations look like 250ms, 40s, 5m, 1h30m)"
            }
            Self::UnknownUnit(_) => {
                "valid units are ns, us (or \u{b5}s), ms, s, m, h; durations look like 250ms, 40s, 5m, 1h30m"
            }
            Self::Overflow => "durations must be shorter than about 2562047h (292 years)",
        }
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("duration is empty"),
            Self::Invalid(input) => write!(f, "invalid duration {input:?}"),
            Self::MissingUnit(number) => write!(f, "missing unit after {number:?} in duration"),
            Self::UnknownUnit(unit) => write!(f, "unknown unit {unit:?} in duration"),
            Self::Overflow => f.write_str("duration is out of range"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a Go duration string (e.g. `1h30m`, `-1.5s`) into exact nanoseconds.
///
/// Unlike Go, fractions are computed with exact integer math (truncated to
/// whole nanoseconds) rather than through `float64`.
pub fn parse_duration_nanos(s: &str) -> Result<i64, DurationError> {
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let invalid = || DurationError::Invalid(s.to_string());
    let (negative, mut rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    // Magnitudes up to 2^63 are allowed so that i64::MIN parses.
    let limit = 1u128 << 63;
    let mut total = 0u128;
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        if !(bytes[0] == b'.' || bytes[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_end = digits_end(bytes, 0);
        let (frac_start, num_end) = if bytes.get(int_end) == Some(&b'.') {
            (int_end + 1, digits_end(bytes, int_end + 1))
        } else {
            (int_end, int_end)
        };
        if int_end == 0 && num_end == frac_start {
            // No digits at all, e.g. ".s".
            return Err(invalid());
        }
        // Everything up to `num_end` is ASCII, so these are char boundaries.
        let unit_end =
            rest[num_end..].find(|c: char| c == '.' || c.is_ascii_digit()).map_or(rest.len(), |i| num_end + i);
        let unit = &rest[num_end..unit_end];
        if unit.is_empty() {
            if bytes.get(num_end) == Some(&b'.') {
                // A second decimal point, e.g. "1.2.3s".
                return Err(invalid());
            }
            return Err(DurationError::MissingUnit(rest[..num_end].to_string()));
        }
        let unit_nanos = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|&(_, nanos)| u128::from(nanos))
            .ok_or_else(|| DurationError::UnknownUnit(unit.to_string()))?;

        let whole = bytes[..int_end]
            .iter()
            .try_fold(0u128, |acc, &b| {
                let v = acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
                (v <= limit).then_some(v)
            })
            .ok_or(DurationError::Overflow)?;
        let part = whole
            .checked_mul(unit_nanos)
            .and_then(|v| v.checked_add(frac_nanos(&bytes[frac_start..num_end], unit_nanos)))
            .ok_or(DurationError::Overflow)?;
        total = total.checked_add(part).filter(|&t| t <= limit).ok_or(DurationError::Overflow)?;
        rest = &rest[unit_end..];
    }
    let signed = i128::try_from(total).map_err(|_| DurationError::Overflow)?;
    i64::try_from(if negative { -signed } else { signed }).map_err(|_| DurationError::Overflow)
}

/// Index of the first non-digit at or after `start`.
fn digits_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|b| !b.is_ascii_digit()).map_or(bytes.len(), |i| start + i)
}

/// `floor(0.<digits> * unit)`, exact for any number of digits.
fn frac_nanos(digits: &[u8], unit: u128) -> u128 {
    // Horner's rule from the last digit; nested floors equal the outer floor.
    digits.iter().rev().fold(0, |acc, &d| (u128::from(d - b'0') * unit + acc) / 10)
}

/// Formats nanoseconds like Go's `Duration.String()`, e.g. `1h30m0s`, `1.5s`, `250ms`.
pub fn format_duration_nanos(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let u = ns.unsigned_abs();
    if u == 0 {
        return "0s".to_string();
    }
    if u < SECOND {
        let (prec, unit) = match u {
            0..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "\u{b5}s"),
            _ => (6, "ms"),
        };
        let (frac, whole) = fmt_frac(u, prec);
        return format!("{sign}{whole}{frac}{unit}");
    }
    let (frac, secs) = fmt_frac(u, 9);
    let mins = secs / 60;
    let hours = mins / 60;
    let mut out = sign.to_string();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if mins > 0 {
        out.push_str(&format!("{}m", mins % 60));
    }
    out.push_str(&format!("{}{frac}s", secs % 60));
    out
}

/// Splits `v` into `v / 10^prec` and its fraction as `.ddd` without trailing zeros.
fn fmt_frac(v: u64, prec: usize) -> (String, u64) {
    let scale = (0..prec).fold(1u64, |p, _| p * 10);
    let frac = v % scale;
    if frac == 0 {
        return (String::new(), v / scale);
    }
    let digits = format!("{frac:0prec$}");
    (format!(".{}", digits.trim_end_matches('0')), v / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;

    fn ok(s: &str) -> i64 {
        parse_duration_nanos(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn err(s: &str) -> DurationError {
        match parse_duration_nanos(s) {
            Ok(v) => panic!("{s:?} should fail, got {v}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_examples() {
        assert_eq!(ok("250ms"), 250 * MS);
        assert_eq!(ok("40s"), 40 * S);
        assert_eq!(ok("5m"), 300 * S);
        assert_eq!(ok("1h30m"), 5400 * S);
        assert_eq!(ok("1.5s"), 1500 * MS);
        assert_eq!(ok("2m0.5s"), 120 * S + 500 * MS);
        assert_eq!(ok("-1.5h"), -5400 * S);
        assert_eq!(ok("+1s"), S);
    }

    #[test]
    fn parses_all_units() {
        assert_eq!(ok("1ns"), 1);
        assert_eq!(ok("1us"), 1_000);
        assert_eq!(ok("1\u{b5}s"), 1_000);
        assert_eq!(ok("1\u{3bc}s"), 1_000);
        assert_eq!(ok("1ms"), MS);
        assert_eq!(ok("1s"), S);
        assert_eq!(ok("1m"), 60 * S);
        assert_eq!(ok("1h"), 3600 * S);
        assert_eq!(ok("1h1m1s1ms1us1ns"), 3661 * S + MS + 1_001);
    }

    #[test]
    fn zero_and_number_forms() {
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("+0"), 0);
        assert_eq!(ok("-0"), 0);
        assert_eq!(ok("0s"), 0);
        assert_eq!(ok(".5s"), 500 * MS);
        assert_eq!(ok("5.s"), 5 * S);
        assert_eq!(ok("1.0000000001s"), S);
        assert_eq!(ok("0.1ns"), 0);
    }

    #[test]
    fn fractions_are_exact() {
        assert_eq!(ok("0.3333333333333333333333h"), 1_199_999_999_999);
        assert_eq!(ok("1.000000001h"), 3600 * S + 3_600);
        assert_eq!(ok("0.000000000000000000000000001h"), 0);
        assert_eq!(ok("1.123456789s"), 1_123_456_789);
    }

    #[test]
    fn limits() {
        assert_eq!(ok("2562047h47m16.854775807s"), i64::MAX);
        assert_eq!(ok("-2562047h47m16.854775808s"), i64::MIN);
        assert_eq!(ok("9223372036854775807ns"), i64::MAX);
        assert_eq!(err("2562047h47m16.854775808s"), DurationError::Overflow);
        assert_eq!(err("9999999999h"), DurationError::Overflow);
        assert_eq!(err("99999999999999999999999999999999999999999ns"), DurationError::Overflow);
        assert_eq!(err("5000000h5000000h"), DurationError::Overflow);
    }

    #[test]
    fn errors() {
        assert_eq!(err(""), DurationError::Empty);
        assert_eq!(err("5"), DurationError::MissingUnit("5".into()));
        assert_eq!(err("1h30"), DurationError::MissingUnit("30".into()));
        assert_eq!(err("00"), DurationError::MissingUnit("00".into()));
        assert_eq!(err("5x"), DurationError::UnknownUnit("x".into()));
        assert_eq!(err("5 s"), DurationError::UnknownUnit(" s".into()));
        assert_eq!(err("5S"), DurationError::UnknownUnit("S".into()));
        assert_eq!(err("1.2.3s"), DurationError::Invalid("1.2.3s".into()));
        assert_eq!(err("h"), DurationError::Invalid("h".into()));
        assert_eq!(err("-"), DurationError::Invalid("-".into()));
        assert_eq!(err(".s"), DurationError::Invalid(".s".into()));
        assert_eq!(err(" 5s"), DurationError::Invalid(" 5s".into()));
        assert_eq!(err("--5s"), DurationError::Invalid("--5s".into()));
    }

    #[test]
    fn error_messages_and_hints() {
        let e = err("5");
        assert!(e.hint().contains("30s instead of 30"));
        assert_eq!(e.to_string(), "missing unit after \"5\" in duration");
        assert_eq!(err("5x").to_string(), "unknown unit \"x\" in duration");
        assert!(err("").hint().contains("250ms, 40s, 5m, 1h30m"));
        let boxed: Box<dyn std::error::Error> = Box::new(DurationError::Overflow);
        assert_eq!(boxed.to_string(), "duration is out of range");
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration_nanos(0), "0s");
        assert_eq!(format_duration_nanos(1), "1ns");
        assert_eq!(format_duration_nanos(1_500), "1.5\u{b5}s");
        assert_eq!(format_duration_nanos(250 * MS), "250ms");
        assert_eq!(format_duration_nanos(1_500_001), "1.500001ms");
        assert_eq!(format_duration_nanos(1500 * MS), "1.5s");
        assert_eq!(format_duration_nanos(40 * S), "40s");
        assert_eq!(format_duration_nanos(60 * S), "1m0s");
        assert_eq!(format_duration_nanos(120 * S + 500 * MS), "2m0.5s");
        assert_eq!(format_duration_nanos(3600 * S), "1h0m0s");
        assert_eq!(format_duration_nanos(5400 * S), "1h30m0s");
        assert_eq!(format_duration_nanos(-5400 * S), "-1h30m0s");
        assert_eq!(format_duration_nanos(-1), "-1ns");
        assert_eq!(format_duration_nanos(i64::MAX), "2562047h47m16.854775807s");
        assert_eq!(format_duration_nanos(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn round_trips() {
        for ns in [1, 999, 1_000, 1_234_567, S, 61 * S + 1, 5400 * S, i64::MAX, i64::MIN] {
            assert_eq!(ok(&format_duration_nanos(ns)), ns);
        }
    }
}
