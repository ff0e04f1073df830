//! The one way input files are read: scenario files, manifests, `kubectl apply` files,
//! traffic traces and service-time samples.
//!
//! Only regular files are read (a FIFO, a device or a folder is refused before anything
//! blocks: the path is checked first and opened with `O_NONBLOCK`, and the opened handle
//! is checked again); at most [`MAX_INPUT_BYTES`] are read whatever the metadata says;
//! the text must be UTF-8, and a bad byte is reported with its line and column.

use super::diag::{Diagnostic, Span};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// The largest input file read: far above any scenario, manifest or trace, far below
/// what would strain memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Why an input file could not be read.
#[derive(Debug)]
pub enum InputError {
    /// Opening or reading failed (missing file, permissions...).
    Io(std::io::Error),
    /// The path names something other than a regular file.
    NotRegular(&'static str),
    /// More than `limit` bytes.
    TooLarge { limit: u64 },
    /// A byte sequence that is not UTF-8, at a 1-based line and column (in characters).
    NotUtf8 { line: u32, col: u32, byte: u8 },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Io(e) => write!(f, "{e}"),
            InputError::NotRegular(kind) => write!(f, "not a regular file (it is {kind})"),
            InputError::TooLarge { limit } => write!(f, "it is larger than {} MiB", limit / (1024 * 1024)),
            InputError::NotUtf8 { byte, .. } => write!(f, "invalid UTF-8 (byte 0x{byte:02X})"),
        }
    }
}

impl InputError {
    /// A hint that fits the failure; `what` names the kind of file ("the scenario file").
    pub fn hint(&self, what: &str) -> String {
        match self {
            InputError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => format!("check the path of {what}"),
            InputError::Io(_) => format!("check that {what} can be read"),
            InputError::NotRegular(_) => {
                format!("{what} must be a regular file; pipes, devices and folders are not read")
            }
            InputError::TooLarge { limit } => {
                format!("input files are read whole, up to {} MiB; split it or shorten it", limit / (1024 * 1024))
            }
            InputError::NotUtf8 { .. } => format!("save {what} as UTF-8 text"),
        }
    }

    /// Where in the file the problem is, if it is inside the file.
    pub fn position(&self) -> Option<Span> {
        match self {
            InputError::NotUtf8 { line, col, .. } => Some(Span { line: *line, col: *col }),
            _ => None,
        }
    }

    /// The diagnostic for `path` read on behalf of `referrer` at `span` (the value naming
    /// it): a problem inside the file points into the file, any other at the reference.
    /// With no referrer (the scenario file itself), it names the file alone.
    pub fn diagnostic(&self, path: &Path, referrer: Option<(&Path, Span)>, what: &str) -> Diagnostic {
        let hint = match (self, referrer) {
            (InputError::Io(e), Some((file, _))) if e.kind() == std::io::ErrorKind::NotFound => {
                if file == Path::new("<stdin>") {
                    "check the path; a scenario read from standard input has its paths relative to the working folder"
                        .to_string()
                } else {
                    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                    format!("check the path; it is relative to the scenario file's folder ({})", folder.display())
                }
            }
            _ => self.hint(what),
        };
        match (self.position(), referrer) {
            (Some(at), _) => Diagnostic::new(path, at, self.to_string()).with_hint(hint),
            (None, Some((file, span))) => {
                Diagnostic::new(file, span, format!("cannot read {}: {self}", path.display())).with_hint(hint)
            }
            (None, None) => {
                Diagnostic::new(path, Span::WHOLE_FILE, format!("cannot read {what}: {self}")).with_hint(hint)
            }
        }
    }
}

/// Reads `path` as UTF-8 text under the rules of this module, at most `limit` bytes.
pub fn read_input(path: &Path, limit: u64) -> Result<String, InputError> {
    // Check before opening: opening a FIFO for reading blocks until a writer appears.
    let meta = std::fs::metadata(path).map_err(InputError::Io)?;
    not_regular(&meta.file_type()).map_or(Ok(()), |kind| Err(InputError::NotRegular(kind)))?;
    let mut file = open_nonblocking(path).map_err(InputError::Io)?;
    // Check again on the handle: the path may have been swapped in between.
    let meta = file.metadata().map_err(InputError::Io)?;
    not_regular(&meta.file_type()).map_or(Ok(()), |kind| Err(InputError::NotRegular(kind)))?;
    if meta.len() > limit {
        return Err(InputError::TooLarge { limit });
    }
    // The metadata may lie (files under /proc, a file growing while read): the bound is
    // enforced on what is actually read.
    read_bounded(&mut file, limit, meta.len())
}

/// Reads a stream (standard input, an opened file) as UTF-8 text of at most `limit` bytes;
/// `expected` sizes the first allocation.
pub fn read_bounded(reader: &mut impl Read, limit: u64, expected: u64) -> Result<String, InputError> {
    let mut bytes = Vec::with_capacity(expected.min(limit) as usize);
    reader.take(limit + 1).read_to_end(&mut bytes).map_err(InputError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { limit });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = std::str::from_utf8(&bytes[..valid]).expect("valid up to here");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        InputError::NotUtf8 { line: line as u32, col: col as u32, byte: bytes[valid] }
    })
}

/// What a non-regular file is, for the message.
fn not_regular(t: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    if t.is_dir() {
        return Some("a folder");
    }
    if !t.is_file() {
        return Some("not a file");
    }
    None
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("clustersim-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_regular_file_and_refuses_a_folder() {
        let dir = scratch("basic");
        std::fs::write(dir.join("a.yaml"), "a: 1\n").unwrap();
        assert_eq!(read_input(&dir.join("a.yaml"), 100).unwrap(), "a: 1\n");
        let e = read_input(&dir, 100).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (it is a folder)");
        assert!(matches!(read_input(&dir.join("missing"), 100), Err(InputError::Io(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_limit_counts_bytes_read() {
        let dir = scratch("limit");
        std::fs::write(dir.join("big"), "x".repeat(101)).unwrap();
        std::fs::write(dir.join("ok"), "x".repeat(100)).unwrap();
        assert!(matches!(read_input(&dir.join("big"), 100), Err(InputError::TooLarge { limit: 100 })));
        assert_eq!(read_input(&dir.join("ok"), 100).unwrap().len(), 100);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stream_is_bounded_while_read() {
        let mut endless = std::io::repeat(b'x');
        assert!(matches!(read_bounded(&mut endless, 1000, 0), Err(InputError::TooLarge { limit: 1000 })));
        let mut bad: &[u8] = b"ok\n\xff";
        assert!(matches!(read_bounded(&mut bad, 1000, 0), Err(InputError::NotUtf8 { line: 2, col: 1, byte: 0xFF })));
    }

    #[test]
    fn devices_are_refused_without_reading() {
        let e = read_input(Path::new("/dev/zero"), MAX_INPUT_BYTES).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (it is a character device)");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = scratch("fifo");
        let fifo = dir.join("pipe.yaml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // No writer ever opens the FIFO: a blocking open would hang here.
        let e = read_input(&fifo, MAX_INPUT_BYTES).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (it is a FIFO)");
        let d = e.diagnostic(&fifo, None, "the scenario file");
        assert_eq!(d.span, Span::WHOLE_FILE);
        assert!(d.render("error").starts_with(&format!("{}: error: cannot read the scenario file", fifo.display())));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let dir = scratch("utf8");
        std::fs::write(dir.join("bad"), b"a: 1\nb: \xc3\xa9\xff\n").unwrap();
        let e = read_input(&dir.join("bad"), 100).unwrap_err();
        assert!(matches!(e, InputError::NotUtf8 { line: 2, col: 5, byte: 0xFF }), "{e:?}");
        assert_eq!(e.to_string(), "invalid UTF-8 (byte 0xFF)");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
