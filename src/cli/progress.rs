//! Progress on stderr: a bar redrawn in place when stderr is a terminal, nothing when it is
//! not (a CI log or a file), and plain lines, one per tenth of the work, with `--progress`.
//! Colour on a terminal unless `NO_COLOR` is set (https://no-color.org).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Off,
    /// Redrawn in place with `\r` (a terminal).
    Bar,
    /// One plain line per tenth of the work (`--progress`: for logs).
    Lines,
}

impl Mode {
    /// `--progress` forces plain lines; otherwise a bar on a terminal, nothing elsewhere;
    /// `quiet` turns it off.
    pub fn pick(forced: bool, quiet: bool) -> Mode {
        Self::pick_for(forced, quiet, std::io::stderr().is_terminal())
    }

    pub fn pick_for(forced: bool, quiet: bool, terminal: bool) -> Mode {
        match (quiet, forced, terminal) {
            (true, _, _) => Mode::Off,
            (false, true, _) => Mode::Lines,
            (false, false, true) => Mode::Bar,
            (false, false, false) => Mode::Off,
        }
    }
}

/// Whether stdout gets ANSI colours: a terminal, and `NO_COLOR` unset or empty.
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A progress display for `total` units of work.
pub struct Progress {
    mode: Mode,
    label: String,
    total: f64,
    started: Instant,
    /// The bar appears only once the work has taken this long (short runs stay silent).
    delay: Duration,
    last_draw: Option<Instant>,
    /// Tenths already reported as lines.
    tenths: u32,
    drawn: bool,
}

impl Progress {
    pub fn new(mode: Mode, label: impl Into<String>, total: f64, delay: Duration) -> Self {
        Progress {
            mode,
            label: label.into(),
            total: total.max(f64::MIN_POSITIVE),
            started: Instant::now(),
            delay,
            last_draw: None,
            tenths: 0,
            drawn: false,
        }
    }

    /// `done` units of `total` are done; `detail` says what in words ("3/10 seeds").
    pub fn update(&mut self, done: f64, detail: &str) {
        let fraction = (done / self.total).clamp(0.0, 1.0);
        match self.mode {
            Mode::Off => {}
            Mode::Lines => {
                let tenths = (fraction * 10.0).floor() as u32;
                if tenths > self.tenths {
                    self.tenths = tenths;
                    eprintln!("{}: {detail} ({}%)", self.label, tenths * 10);
                }
            }
            Mode::Bar => {
                let now = Instant::now();
                if now.duration_since(self.started) < self.delay {
                    return;
                }
                if self.last_draw.is_some_and(|l| now.duration_since(l) < Duration::from_millis(100)) && fraction < 1.0
                {
                    return;
                }
                self.last_draw = Some(now);
                self.drawn = true;
                let width = 30;
                let filled = (fraction * width as f64).floor() as usize;
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[K{} [{}{}] {detail}",
                    self.label,
                    "#".repeat(filled),
                    ".".repeat(width - filled)
                );
                let _ = err.flush();
            }
        }
    }

    /// The work is over: the bar's line is cleared so the summary starts on a clean line.
    pub fn finish(&mut self) {
        if self.mode == Mode::Bar && self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_follow_the_terminal_and_the_flags() {
        assert_eq!(Mode::pick_for(false, false, true), Mode::Bar);
        assert_eq!(Mode::pick_for(false, false, false), Mode::Off);
        assert_eq!(Mode::pick_for(true, false, false), Mode::Lines);
        assert_eq!(Mode::pick_for(true, false, true), Mode::Lines);
        assert_eq!(Mode::pick_for(true, true, true), Mode::Off);
    }
}
