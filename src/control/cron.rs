//! Cron schedules as the CronJob controller reads them: robfig/cron v3's standard parser
//! (`cron.ParseStandard`: five fields, ranges, steps, lists, month and weekday names, the
//! `@yearly` ... `@hourly` descriptors and `@every`) and its `Next`, evaluated in the
//! CronJob's `timeZone` (UTC without one: the controller's local zone in a container).
//!
//! Instants are Unix nanoseconds (`i64`); the run's virtual t=0 is the scenario's `start:`.
//! Upstream: github.com/robfig/cron/v3 (parser.go, spec.go, constantdelay.go), vendored by
//! kubernetes/kubernetes for pkg/controller/cronjob.

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;

const NS: i64 = 1_000_000_000;
/// Upstream: robfig/cron spec.go (starBit: the field was `*` or `?`).
const STAR_BIT: u64 = 1 << 63;

#[derive(Clone, Copy)]
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const SECONDS: Bounds = Bounds { min: 0, max: 59, names: &[] };
const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)],
};

/// A parsed `spec.schedule` with its `spec.timeZone`.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    kind: Kind,
    zone: Option<Tz>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Bit sets per field (bit N: value N matches), `STAR_BIT` for `*`/`?`.
    Spec { second: u64, minute: u64, hour: u64, dom: u64, month: u64, dow: u64 },
    /// `@every D`: D rounded down to whole seconds, at least 1 s.
    Every { seconds: i64 },
}

/// Looks up an IANA zone name (`Europe/Paris`) as Go's `time.LoadLocation` does; `UTC` is one.
pub fn time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// Every IANA zone name known (for "did you mean" hints).
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

impl Schedule {
    /// Parses a schedule as the API server validates it: `cron.ParseStandard`, and no
    /// `TZ=`/`CRON_TZ=` prefix (use `timeZone`). `zone` must be a known IANA name.
    // Upstream: pkg/apis/batch/validation/validation.go (validateScheduleFormat) and robfig/cron parser.go (Parse).
    pub fn parse(spec: &str, zone: Option<&str>) -> Result<Schedule, String> {
        if spec.contains("TZ") {
            return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".into());
        }
        let zone = match zone {
            Some(name) => Some(time_zone(name).ok_or_else(|| format!("unknown time zone {name}"))?),
            None => None,
        };
        if spec.is_empty() {
            return Err("empty spec string".into());
        }
        if spec.starts_with('@') {
            return Ok(Schedule { kind: descriptor(spec)?, zone });
        }
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!("expected exactly 5 fields, found {}: {spec}", fields.len()));
        }
        let kind = Kind::Spec {
            second: 1 << SECONDS.min,
            minute: field(fields[0], MINUTES)?,
            hour: field(fields[1], HOURS)?,
            dom: field(fields[2], DOM)?,
            month: field(fields[3], MONTHS)?,
            dow: field(fields[4], DOW)?,
        };
        Ok(Schedule { kind, zone })
    }

    /// The first activation strictly after `t` (Unix ns), a whole second; `None` when
    /// no time matches within five years (Go's zero time).
    // Upstream: robfig/cron spec.go (SpecSchedule.Next) and constantdelay.go (ConstantDelaySchedule.Next).
    pub fn next(&self, t: i64) -> Option<i64> {
        // Start at the earliest possible time (the upcoming second).
        let start = t.div_euclid(NS) + 1;
        match self.kind {
            Kind::Every { seconds } => Some((start - 1 + seconds) * NS),
            Kind::Spec { second, minute, hour, dom, month, dow } => {
                let zone = Zone(self.zone);
                let spec = [second, minute, hour, dom, month, dow];
                spec_next(&zone, spec, start).map(|s| s * NS)
            }
        }
    }
}

/// `@yearly` ... `@hourly`, `@every D`.
// Upstream: robfig/cron parser.go (parseDescriptor, every).
fn descriptor(spec: &str) -> Result<Kind, String> {
    let all = |b: Bounds| bits(b.min, b.max, 1) | STAR_BIT;
    let (s, mi, h, d, mo, w) = (1u64, 1u64, 1u64, 1u64 << DOM.min, 1u64 << MONTHS.min, all(DOW));
    let kind = match spec {
        "@yearly" | "@annually" => Kind::Spec { second: s, minute: mi, hour: h, dom: d, month: mo, dow: w },
        "@monthly" => Kind::Spec { second: s, minute: mi, hour: h, dom: d, month: all(MONTHS), dow: w },
        "@weekly" => Kind::Spec { second: s, minute: mi, hour: h, dom: all(DOM), month: all(MONTHS), dow: 1 },
        "@daily" | "@midnight" => {
            Kind::Spec { second: s, minute: mi, hour: h, dom: all(DOM), month: all(MONTHS), dow: w }
        }
        "@hourly" => Kind::Spec { second: s, minute: mi, hour: all(HOURS), dom: all(DOM), month: all(MONTHS), dow: w },
        _ => match spec.strip_prefix("@every ") {
            Some(text) => {
                let nanos = go_duration(text).map_err(|e| format!("failed to parse duration {spec}: {e}"))?;
                // Upstream: robfig/cron constantdelay.go (Every: at least a second, whole seconds).
                Kind::Every { seconds: (nanos / NS).max(1) }
            }
            None => return Err(format!("unrecognized descriptor: {spec}")),
        },
    };
    Ok(kind)
}

/// A comma-separated list of ranges (empty items skipped, as `strings.FieldsFunc`).
// Upstream: robfig/cron parser.go (getField).
fn field(text: &str, b: Bounds) -> Result<u64, String> {
    let mut out = 0;
    for expr in text.split(',').filter(|e| !e.is_empty()) {
        out |= range(expr, b)?;
    }
    Ok(out)
}

/// `*`, `?`, `N`, `N-M`, each with an optional `/STEP` (`N/STEP` means `N-max/STEP`).
// Upstream: robfig/cron parser.go (getRange).
fn range(expr: &str, b: Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (start, end, extra) = (b.min, b.max, STAR_BIT);
    } else {
        start = int_or_name(low_and_high[0], b)?;
        end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step) | extra)
}

fn int_or_name(expr: &str, b: Bounds) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    match b.names.iter().find(|(n, _)| *n == lower) {
        Some((_, v)) => Ok(*v),
        None => must_int(expr),
    }
}

// Upstream: robfig/cron parser.go (mustParseInt).
fn must_int(expr: &str) -> Result<u32, String> {
    let n: i64 = expr.parse().map_err(|_| format!("failed to parse int from {expr}: invalid syntax"))?;
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    u32::try_from(n).map_err(|_| format!("failed to parse int from {expr}: value out of range"))
}

fn bits(min: u32, max: u32, step: u32) -> u64 {
    if step == 1 {
        return !(u64::MAX << (max + 1)) & (u64::MAX << min);
    }
    (min..=max).step_by(step as usize).fold(0, |acc, i| acc | (1 << i))
}

/// Go's `time.ParseDuration` (`1h30m`, `90s`, `1.5h`): nanoseconds, non-negative.
fn go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let s = text.strip_prefix('+').unwrap_or(text);
    if s.starts_with('-') {
        return Err("negative durations are not allowed".into());
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(invalid());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| invalid())?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            u => return Err(format!("time: unknown unit {u:?} in duration {text:?}")),
        };
        rest = &rest[unit_len..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return Err(format!("time: invalid duration {text:?}"));
    }
    Ok(total as i64)
}

/// The schedule's zone: UTC offsets and Go's wall-clock arithmetic over them.
struct Zone(Option<Tz>);

/// A wall-clock reading in the zone.
#[derive(Clone, Copy, Debug)]
struct Local {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: u32,
}

impl Zone {
    /// Seconds east of UTC at Unix second `unix`.
    fn offset(&self, unix: i64) -> i64 {
        let Some(tz) = self.0 else { return 0 };
        let Some(utc) = chrono::DateTime::from_timestamp(unix, 0) else { return 0 };
        i64::from(tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc())
    }

    fn local(&self, unix: i64) -> Local {
        let secs = unix + self.offset(unix);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Local {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// Go's `time.Date` in this zone: fields normalized, then the offset found as Go finds it.
    // Upstream: go/src/time/time.go (Date: lookup at the local time taken as UTC, then at the UTC time if that falls outside the zone period).
    fn date(&self, year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64 {
        let m0 = month - 1;
        let (year, month) = (year + m0.div_euclid(12), m0.rem_euclid(12) + 1);
        let days = days_from_civil(year, month as u32, 1) + day - 1;
        let local = days * 86_400 + hour * 3600 + minute * 60 + second;
        let first = self.offset(local);
        if first == 0 {
            return local;
        }
        let utc = local - first;
        let second_try = self.offset(utc);
        local - if second_try != first { second_try } else { first }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// robfig's `SpecSchedule.Next` from Unix second `t` (already the upcoming second), in
/// whole seconds: the same field-by-field search, with Go's `AddDate`, `Add` and `Truncate`.
// Upstream: robfig/cron spec.go (SpecSchedule.Next, dayMatches).
fn spec_next(zone: &Zone, spec: [u64; 6], mut t: i64) -> Option<i64> {
    let [second, minute, hour, dom, month, dow] = spec;
    let day_matches = |l: &Local| {
        let dom_match = (1u64 << l.day) & dom > 0;
        let dow_match = (1u64 << l.weekday) & dow > 0;
        if dom & STAR_BIT > 0 || dow & STAR_BIT > 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    };
    let mut added = false;
    let year_limit = zone.local(t).year + 5;
    'wrap: loop {
        let mut l = zone.local(t);
        if l.year > year_limit {
            return None;
        }
        while (1u64 << l.month) & month == 0 {
            if !added {
                added = true;
                t = zone.date(l.year, i64::from(l.month), 1, 0, 0, 0);
                l = zone.local(t);
            }
            // t.AddDate(0, 1, 0)
            t = zone.date(
                l.year,
                i64::from(l.month) + 1,
                i64::from(l.day),
                l.hour.into(),
                l.minute.into(),
                l.second.into(),
            );
            l = zone.local(t);
            if l.month == 1 {
                continue 'wrap;
            }
        }
        while !day_matches(&l) {
            if !added {
                added = true;
                t = zone.date(l.year, i64::from(l.month), i64::from(l.day), 0, 0, 0);
                l = zone.local(t);
            }
            // t.AddDate(0, 0, 1)
            t = zone.date(
                l.year,
                i64::from(l.month),
                i64::from(l.day) + 1,
                l.hour.into(),
                l.minute.into(),
                l.second.into(),
            );
            l = zone.local(t);
            // Notice if the hour is no longer midnight due to DST.
            if l.hour != 0 {
                if l.hour > 12 {
                    t += i64::from(24 - l.hour) * 3600;
                } else {
                    t -= i64::from(l.hour) * 3600;
                }
                l = zone.local(t);
            }
            if l.day == 1 {
                continue 'wrap;
            }
        }
        while (1u64 << l.hour) & hour == 0 {
            if !added {
                added = true;
                t = zone.date(l.year, i64::from(l.month), i64::from(l.day), l.hour.into(), 0, 0);
            }
            t += 3600;
            l = zone.local(t);
            if l.hour == 0 {
                continue 'wrap;
            }
        }
        while (1u64 << l.minute) & minute == 0 {
            if !added {
                added = true;
                t -= t.rem_euclid(60);
            }
            t += 60;
            l = zone.local(t);
            if l.minute == 0 {
                continue 'wrap;
            }
        }
        while (1u64 << l.second) & second == 0 {
            if !added {
                added = true;
            }
            t += 1;
            l = zone.local(t);
            if l.second == 0 {
                continue 'wrap;
            }
        }
        return Some(t);
    }
}

/// How many schedules were missed since the last one (upstream's `missedSchedulesType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    /// More than 100: upstream warns "too many missed start times" (and still starts the latest).
    Many,
}

/// What [`most_recent_schedule_time`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MostRecent {
    /// The last schedule time, or the CronJob's creation (or the starting deadline's edge).
    pub earliest: i64,
    /// The latest activation in (earliest, now], if any.
    pub most_recent: Option<i64>,
    pub missed: Missed,
}

/// The latest activation not after `now` since `last_schedule` (or `created`), counting
/// missed ones roughly from the gap between two activations; with the starting deadline
/// nothing older than `now - deadline` counts. Errors when two activations are less
/// than a second apart (a schedule that never fires, such as `59 23 31 2 *`).
// Upstream: pkg/controller/cronjob/utils.go (mostRecentScheduleTime).
pub fn most_recent_schedule_time(
    schedule: &Schedule,
    created: i64,
    last_schedule: Option<i64>,
    starting_deadline_seconds: Option<i64>,
    now: i64,
) -> Result<MostRecent, String> {
    let mut earliest = last_schedule.unwrap_or(created);
    if let Some(sds) = starting_deadline_seconds {
        let deadline = now - sds * NS;
        if deadline > earliest {
            earliest = deadline;
        }
    }
    let none = |most_recent, missed| Ok(MostRecent { earliest, most_recent, missed });
    let Some(t1) = schedule.next(earliest) else {
        return Err("time difference between two schedules is less than 1 second".into());
    };
    if now < t1 {
        return none(None, Missed::None);
    }
    let t2 = schedule.next(t1);
    if t2.is_some_and(|t2| now < t2) {
        return none(Some(t1), Missed::None);
    }
    // The gap between the first two activations, in whole seconds.
    let between = t2.map_or(0, |t2| (t2 - t1 + NS / 2).div_euclid(NS));
    if between < 1 {
        return Err("time difference between two schedules is less than 1 second".into());
    }
    let elapsed = (now - t1) / NS;
    let missed_count = elapsed / between + 1;
    let potential_earliest = t1 + (missed_count - 2) * between * NS;
    let mut most_recent = None;
    let mut t = schedule.next(potential_earliest);
    while let Some(x) = t.filter(|x| *x <= now) {
        most_recent = Some(x);
        t = schedule.next(x);
    }
    let missed = if missed_count > 100 { Missed::Many } else { Missed::Few };
    none(most_recent, missed)
}

/// When to look again: the activation after the latest one (or after `earliest` when
/// none was missed), plus 100 ms, as a delay from `now` (ns).
// Upstream: pkg/controller/cronjob/utils.go (nextScheduleTimeDuration) and cronjob_controllerv2.go (nextScheduleDelta).
pub fn next_schedule_delay(schedule: &Schedule, created: i64, last_schedule: Option<i64>, now: i64) -> Option<i64> {
    const NEXT_SCHEDULE_DELTA: i64 = 100_000_000;
    let base = match most_recent_schedule_time(schedule, created, last_schedule, None, now) {
        Err(_) => now,
        Ok(MostRecent { most_recent: Some(t), .. }) => t,
        Ok(MostRecent { earliest, missed: Missed::None, .. }) => earliest,
        Ok(_) => now,
    };
    schedule.next(base).map(|next| next + NEXT_SCHEDULE_DELTA - now)
}

/// The activation to start now, if any: the latest in (last schedule or creation, now],
/// none older than the starting deadline; and whether more than 100 were missed.
// Upstream: pkg/controller/cronjob/utils.go (nextScheduleTime).
pub fn next_schedule_time(
    schedule: &Schedule,
    created: i64,
    last_schedule: Option<i64>,
    starting_deadline_seconds: Option<i64>,
    now: i64,
) -> Result<(Option<i64>, Missed), String> {
    let found = most_recent_schedule_time(schedule, created, last_schedule, starting_deadline_seconds, now)?;
    Ok((found.most_recent.filter(|t| *t <= now), found.missed))
}

/// RFC 3339 (`2026-01-01T00:00:00Z`, `2026-03-29T01:30:00+01:00`) to Unix nanoseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let t = chrono::DateTime::parse_from_rfc3339(text).map_err(|e| e.to_string())?;
    t.timestamp_nanos_opt().ok_or_else(|| "out of range".to_string())
}

/// Unix nanoseconds as RFC 3339 in UTC (`2026-01-01T00:05:00Z`).
pub fn format_rfc3339(unix_ns: i64) -> String {
    let secs = unix_ns.div_euclid(NS);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ns of a UTC wall time.
    fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
        (days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * NS
    }

    fn sched(s: &str) -> Schedule {
        Schedule::parse(s, None).unwrap()
    }

    fn next_str(s: &str, zone: Option<&str>, from: &str) -> String {
        let sch = Schedule::parse(s, zone).unwrap();
        sch.next(parse_rfc3339(from).unwrap()).map_or("zero".into(), format_rfc3339)
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 59, 365, 11_016, 20_454, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(format_rfc3339(parse_rfc3339("2026-01-01T00:00:00Z").unwrap()), "2026-01-01T00:00:00Z");
    }

    // Cases restated from robfig/cron parser_test.go (TestRange, TestField, TestStandardSpecSchedule).
    #[test]
    fn ranges_parse_as_robfig_does() {
        let r = |e: &str, min, max| range(e, Bounds { min, max, names: &[] });
        assert_eq!(r("5", 0, 7), Ok(1 << 5));
        assert_eq!(r("0", 0, 7), Ok(1));
        assert_eq!(r("7", 0, 7), Ok(1 << 7));
        assert_eq!(r("5-5", 0, 7), Ok(1 << 5));
        assert_eq!(r("5-6", 0, 7), Ok(1 << 5 | 1 << 6));
        assert_eq!(r("5-7", 0, 7), Ok(1 << 5 | 1 << 6 | 1 << 7));
        assert_eq!(r("5-6/2", 0, 7), Ok(1 << 5));
        assert_eq!(r("5-7/2", 0, 7), Ok(1 << 5 | 1 << 7));
        assert_eq!(r("5-7/1", 0, 7), Ok(1 << 5 | 1 << 6 | 1 << 7));
        assert_eq!(r("*", 1, 3), Ok(1 << 1 | 1 << 2 | 1 << 3 | STAR_BIT));
        assert_eq!(r("*/2", 1, 3), Ok(1 << 1 | 1 << 3));
        assert_eq!(r("5--5", 0, 0).unwrap_err(), "too many hyphens: 5--5");
        assert_eq!(r("jan-x", 0, 0).unwrap_err(), "failed to parse int from jan: invalid syntax");
        assert_eq!(r("2-x", 1, 5).unwrap_err(), "failed to parse int from x: invalid syntax");
        assert_eq!(r("*/-12", 0, 0).unwrap_err(), "negative number (-12) not allowed: -12");
        assert_eq!(r("*//2", 0, 0).unwrap_err(), "too many slashes: *//2");
        assert_eq!(r("1", 3, 5).unwrap_err(), "beginning of range (1) below minimum (3): 1");
        assert_eq!(r("6", 3, 5).unwrap_err(), "end of range (6) above maximum (5): 6");
        assert_eq!(r("5-3", 3, 5).unwrap_err(), "beginning of range (5) beyond end of range (3): 5-3");
        assert_eq!(r("*/0", 0, 0).unwrap_err(), "step of range should be a positive number: */0");
        // "N/step" runs to the maximum; a step past the range keeps only N.
        assert_eq!(r("3/2", 0, 7), Ok(1 << 3 | 1 << 5 | 1 << 7));
        assert_eq!(r("*/61", 0, 59), Ok(1));
        assert_eq!(field("5,6", Bounds { min: 0, max: 7, names: &[] }), Ok(1 << 5 | 1 << 6));
        assert_eq!(field("5,6,7", Bounds { min: 0, max: 7, names: &[] }), Ok(1 << 5 | 1 << 6 | 1 << 7));
        assert_eq!(field("1,5-7/2,3", Bounds { min: 0, max: 7, names: &[] }), Ok(1 << 1 | 1 << 5 | 1 << 7 | 1 << 3));
        assert_eq!(field("jan-feb", MONTHS), Ok(1 << 1 | 1 << 2));
        assert_eq!(field("MON-fri", DOW), Ok(0b111110));
    }

    #[test]
    fn schedules_refused_as_the_api_server_refuses_them() {
        let err = |s: &str| Schedule::parse(s, None).unwrap_err();
        assert_eq!(err("* * * *"), "expected exactly 5 fields, found 4: * * * *");
        assert_eq!(err("0 0 * * * *"), "expected exactly 5 fields, found 6: 0 0 * * * *");
        assert_eq!(err("61 * * * *"), "end of range (61) above maximum (59): 61");
        assert_eq!(err("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(err("@reboot"), "unrecognized descriptor: @reboot");
        assert_eq!(err("TZ=UTC * * * * *"), "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        assert_eq!(err("@every 5x"), "failed to parse duration @every 5x: time: unknown unit \"x\" in duration \"5x\"");
        assert_eq!(Schedule::parse("* * * * *", Some("Mars/Olympus")).unwrap_err(), "unknown time zone Mars/Olympus");
        assert!(Schedule::parse("*/5 * * * ?", Some("Europe/Paris")).is_ok());
    }

    // Cases restated from robfig/cron spec_test.go (TestNext), in UTC.
    #[test]
    fn next_activation_matches_robfig() {
        let cases = [
            ("*/15 * * * *", "2012-07-09T14:45:00Z", "2012-07-09T15:00:00Z"),
            ("*/15 * * * *", "2012-07-09T14:59:59Z", "2012-07-09T15:00:00Z"),
            ("0 * * * *", "2012-07-09T23:30:00Z", "2012-07-10T00:00:00Z"),
            ("* * * * *", "2012-07-09T14:59:59Z", "2012-07-09T15:00:00Z"),
            // Wrap around days, months, years.
            ("*/15 * 10 * *", "2012-07-09T23:46:00Z", "2012-07-10T00:00:00Z"),
            ("*/15 * 10 * *", "2012-07-31T23:46:00Z", "2012-08-10T00:00:00Z"),
            ("0 0 1 1 *", "2012-07-09T23:46:00Z", "2013-01-01T00:00:00Z"),
            ("0 0 * feb mon", "2012-07-09T23:45:00Z", "2013-02-04T00:00:00Z"),
            // Leap year.
            ("0 0 29 feb *", "2012-07-09T23:35:00Z", "2016-02-29T00:00:00Z"),
            // Day of month or day of week when both are restricted.
            ("0 0 1 * mon", "2012-07-09T23:35:00Z", "2012-07-16T00:00:00Z"),
            ("0 0 15 * mon", "2012-07-09T23:35:00Z", "2012-07-15T00:00:00Z"),
            // Unsatisfiable.
            ("0 0 30 feb *", "2012-07-09T23:35:00Z", "zero"),
            ("0 0 31 apr *", "2012-07-09T23:35:00Z", "zero"),
            ("@every 90m", "2012-07-09T14:45:00Z", "2012-07-09T16:15:00Z"),
            ("@hourly", "2012-07-09T14:45:00Z", "2012-07-09T15:00:00Z"),
            ("@weekly", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"),
            ("@monthly", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
            ("@yearly", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ];
        for (spec, from, want) in cases {
            assert_eq!(next_str(spec, None, from), want, "{spec} after {from}");
        }
    }

    // Daylight saving (robfig/cron spec_test.go TestNext, America/New_York cases restated).
    #[test]
    fn next_activation_across_daylight_saving() {
        let ny = Some("America/New_York");
        // Spring forward 2012-03-11 02:00 -> 03:00: 2:30 does not exist that day.
        assert_eq!(next_str("30 2 * * *", ny, "2012-03-11T00:00:00-05:00"), "2012-03-12T06:30:00Z");
        // Midnight each day, before and after the switch (EST -5, EDT -4).
        assert_eq!(next_str("0 0 * * *", ny, "2012-03-10T00:00:00-05:00"), "2012-03-11T05:00:00Z");
        assert_eq!(next_str("0 0 * * *", ny, "2012-03-11T00:00:00-05:00"), "2012-03-12T04:00:00Z");
        // Hourly through the fall-back hour: 1:00 EDT then 1:00 EST.
        assert_eq!(next_str("0 * * * *", ny, "2012-11-04T00:00:00-04:00"), "2012-11-04T05:00:00Z");
        assert_eq!(next_str("0 * * * *", ny, "2012-11-04T01:00:00-04:00"), "2012-11-04T06:00:00Z");
        // Europe/Paris: 03:00 local is 01:00 UTC in summer, 02:00 UTC in winter.
        assert_eq!(next_str("0 3 * * *", Some("Europe/Paris"), "2026-07-01T00:00:00Z"), "2026-07-01T01:00:00Z");
        assert_eq!(next_str("0 3 * * *", Some("Europe/Paris"), "2026-01-01T00:00:00Z"), "2026-01-01T02:00:00Z");
    }

    /// The top of an hour, as upstream's tests use (`topOfTheHour`: 2016-05-19 10:00 UTC).
    fn top() -> i64 {
        utc(2016, 5, 19, 10, 0, 0)
    }

    const MIN: i64 = 60 * NS;
    const HOUR: i64 = 60 * MIN;

    // Cases restated from pkg/controller/cronjob/utils_test.go (TestMostRecentScheduleTime).
    #[test]
    fn most_recent_schedule_time_matches_upstream() {
        let run = |s: &str, created: i64, last: Option<i64>, sds: Option<i64>, now: i64| {
            most_recent_schedule_time(&sched(s), created, last, sds, now)
        };
        let got = run("0 * * * *", top(), None, None, top() + 30 * NS).unwrap();
        assert_eq!(got, MostRecent { earliest: top(), most_recent: None, missed: Missed::None });
        let got = run("0 * * * *", top(), None, None, top() + 61 * MIN).unwrap();
        assert_eq!(got, MostRecent { earliest: top(), most_recent: Some(top() + HOUR), missed: Missed::None });
        // Missed 5 schedules.
        let got = run("0 * * * *", top() + 10 * NS, None, None, top() + 301 * MIN).unwrap();
        assert_eq!((got.most_recent, got.missed), (Some(top() + 300 * MIN), Missed::Few));
        // Complex schedules.
        let half = top() + 30 * MIN;
        let got = run("30 6-16/4 * * 1-5", top(), Some(half), None, top() + 24 * HOUR + 31 * MIN).unwrap();
        assert_eq!(
            (got.earliest, got.most_recent, got.missed),
            (half, Some(top() + 24 * HOUR + 30 * MIN), Missed::Few)
        );
        let got = run("30 10,11,12 * * 1-5", top(), Some(half), None, top() + 30 * HOUR + 30 * MIN).unwrap();
        assert_eq!((got.most_recent, got.missed), (None, Missed::Few));
        let got = run("30 6-16/4 * * 1-5", top(), Some(half), None, top() + 96 * HOUR + 31 * MIN).unwrap();
        assert_eq!((got.most_recent, got.missed), (Some(top() + 96 * HOUR + 30 * MIN), Missed::Few));
        let got = run("30 6-16/4 * * 1-5", top(), None, None, top() + 24 * HOUR + 31 * MIN).unwrap();
        assert_eq!((got.earliest, got.most_recent), (top(), Some(top() + 24 * HOUR + 30 * MIN)));
        // @every counts from the earliest time, which a starting deadline moves.
        let got = run("@every 1h", top(), None, None, top() + 61 * MIN + 5 * NS).unwrap();
        assert_eq!((got.most_recent, got.missed), (Some(top() + HOUR), Missed::None));
        let got = run("@every 1h", top(), None, Some(10), top() + 61 * MIN + 5 * NS).unwrap();
        assert_eq!((got.earliest, got.most_recent), (top() + 60 * MIN + 55 * NS, None));
        // Rogue schedule: two activations never come.
        assert!(run("59 23 31 2 *", top(), None, None, top() + HOUR).is_err());
        // Too many missed: more than 100 minutes for a per-minute schedule.
        let got = run("* * * * *", top(), None, None, top() + 200 * MIN).unwrap();
        assert_eq!((got.most_recent, got.missed), (Some(top() + 200 * MIN), Missed::Many));
        let got = run("* * * * *", top(), None, Some(600), top() + 200 * MIN).unwrap();
        assert_eq!((got.most_recent, got.missed), (Some(top() + 200 * MIN), Missed::Few));
    }

    // Cases restated from pkg/controller/cronjob/utils_test.go (TestNextScheduleTime).
    #[test]
    fn next_schedule_time_matches_upstream() {
        let s = sched("0 * * * ?");
        let (t1, t2) = (top(), top() + HOUR);
        let created = t1 - 10 * MIN;
        // No start needed yet / one needed.
        assert_eq!(next_schedule_time(&s, created, None, None, t1 - 7 * MIN).unwrap().0, None);
        assert_eq!(next_schedule_time(&s, created, None, None, t1 + 2 * NS).unwrap().0, Some(t1));
        // Known last schedule: none needed / one needed / two needed (the latest).
        assert_eq!(next_schedule_time(&s, created, Some(t1), None, t1 + 2 * MIN).unwrap().0, None);
        assert_eq!(next_schedule_time(&s, created, Some(t1), None, t2 + 5 * MIN).unwrap().0, Some(t2));
        let (created, last) = (t1 - 2 * HOUR, t1 - HOUR);
        assert_eq!(next_schedule_time(&s, created, Some(last), None, t2 + 5 * MIN).unwrap().0, Some(t2));
        // Far behind, with and without a deadline: still one start (the latest).
        let far = t2 + 10 * 24 * HOUR;
        let (got, missed) = next_schedule_time(&s, created, Some(last), None, far).unwrap();
        assert_eq!((got, missed), (Some(far), Missed::Many));
        let (got, missed) = next_schedule_time(&s, created, Some(last), Some(2 * 3600), far).unwrap();
        assert_eq!((got, missed), (Some(far), Missed::Few));
        assert!(next_schedule_time(&sched("59 23 31 2 *"), t1 + 10 * NS, None, None, t2).is_err());
    }

    // Cases restated from pkg/controller/cronjob/utils_test.go (TestNextScheduleTimeDuration).
    #[test]
    fn next_schedule_delay_adds_the_100ms_pad() {
        let s = sched("*/5 * * * *");
        // Created on the hour, nothing scheduled yet: the first activation five minutes later.
        assert_eq!(next_schedule_delay(&s, top(), None, top() + 2 * MIN), Some(3 * MIN + 100_000_000));
        // Last scheduled on the hour, now just after it.
        assert_eq!(next_schedule_delay(&s, top(), Some(top()), top() + NS), Some(5 * MIN - NS + 100_000_000));
        // Missed some: from the latest activation.
        assert_eq!(next_schedule_delay(&s, top(), Some(top()), top() + 17 * MIN), Some(3 * MIN + 100_000_000));
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("1h30m"), Ok(90 * MIN));
        assert_eq!(go_duration("1.5h"), Ok(90 * MIN));
        assert_eq!(go_duration("90s"), Ok(90 * NS));
        assert!(go_duration("").is_err() && go_duration("5").is_err() && go_duration("-5s").is_err());
    }
}
