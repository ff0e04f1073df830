//! Output folders are the user's (SPEC 5.1). A report folder is claimed before a run
//! starts and replaced in one atomic swap when it ends; nothing else is ever removed.
//!
//! - Every report folder carries the marker [`MARKER`], which lists the files the report
//!   wrote. A folder that exists, is not empty and lacks the marker is refused, and so is
//!   one that holds files its marker does not list; so are `/`, `.`, `..`, the working
//!   folder and its ancestors, a file, and a symbolic link. Refusals touch nothing.
//! - A lock (`flock` on `.NAME.clustersim-lock` beside the folder) makes a second writer
//!   fail at once with [`FolderError::Busy`].
//! - Claiming marks an old report stale: its completion file (`summary.json`, ...) is
//!   renamed `*.stale`, so a killed run never leaves an older report looking complete.
//! - The new report is written into `.NAME.clustersim-tmp-PID` beside the folder and
//!   exchanged with the old one (`renameat2(RENAME_EXCHANGE)`); then the old report's
//!   listed files are removed.
//! - SIGINT and SIGTERM remove the temporary folder and the lock before exiting 130; a
//!   claim dropped without commit does the same. A SIGKILLed run's leftovers (marked as
//!   ours) are removed by the next claim of the same folder.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, Once};

/// The marker file every report folder carries: its first line is [`MARKER_HEADER`],
/// then one line per file the report wrote.
pub const MARKER: &str = ".clustersim-report";
const MARKER_HEADER: &str = "clustersim report: the files listed below were written by clustersim and are replaced by its next run into this folder";
/// The marker of a temporary folder still being written.
const MARKER_IN_PROGRESS: &str = "clustersim report (being written)";
/// What marks an old report that a new run has started to replace.
const STALE_SUFFIX: &str = ".stale";

/// Why a folder cannot be used.
#[derive(Debug)]
pub enum FolderError {
    /// The folder is not ours to write: the message says why, the hint what to do.
    Refused { message: String, hint: String },
    /// Another run holds the folder's lock.
    Busy(PathBuf),
    /// The file system said no.
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for FolderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FolderError::Refused { message, hint } => write!(f, "error: {message}\n  hint: {hint}"),
            FolderError::Busy(dir) => write!(
                f,
                "error: another run is writing {}\n  hint: wait for it to finish, or pick another folder with --out DIR",
                dir.display()
            ),
            FolderError::Io(path, e) => {
                write!(f, "error: cannot write {}: {e}\n  hint: pick a writable folder with --out DIR", path.display())
            }
        }
    }
}

fn refused(message: String, hint: &str) -> FolderError {
    FolderError::Refused { message, hint: hint.to_string() }
}

/// A claimed output folder: locked, its old report (if any) marked stale.
pub struct OutputFolder {
    /// The folder as the user named it (for messages).
    shown: PathBuf,
    /// Absolute, with a canonical parent.
    target: PathBuf,
    parent: PathBuf,
    base: String,
    lock_path: PathBuf,
    _lock: File,
    tmp: PathBuf,
    id: u64,
}

/// Writes the files of a report into the temporary folder, remembering their names.
pub struct FolderWriter<'a> {
    root: &'a Path,
    listed: Vec<String>,
}

impl FolderWriter<'_> {
    /// Writes `bytes` to `relative` (which may name a subfolder, e.g. `seeds/1.json`).
    pub fn file(&mut self, relative: &str, bytes: impl AsRef<[u8]>) -> io::Result<()> {
        debug_assert!(Path::new(relative).components().all(|c| matches!(c, Component::Normal(_))));
        let path = self.root.join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&path, bytes)?;
        self.listed.push(relative.to_string());
        Ok(())
    }
}

impl OutputFolder {
    /// Claims `dir` for a report whose last-written file is `completion` (the file whose
    /// presence says the report is complete: `summary.json`, `sweep.json`, ...). Every
    /// refusal happens before anything is touched.
    pub fn claim(dir: &Path, completion: &str) -> Result<OutputFolder, FolderError> {
        let (parent, base) = resolve(dir)?;
        let target = parent.join(&base);
        check_target(dir, &target)?;
        fs::create_dir_all(&parent).map_err(|e| FolderError::Io(parent.clone(), e))?;
        let lock_path = parent.join(format!(".{base}.clustersim-lock"));
        let lock = take_lock(&lock_path, dir)?;
        // Under the lock: look again (another run may have just finished), then mark stale.
        let unlock = |e: FolderError| {
            let _ = fs::remove_file(&lock_path);
            e
        };
        check_target(dir, &target).map_err(unlock)?;
        remove_leftovers(&parent, &base);
        let tmp = parent.join(format!(".{base}.clustersim-tmp-{}", std::process::id()));
        let id = register(Cleanup { tmp: tmp.clone(), lock: lock_path.clone() });
        let folder = OutputFolder { shown: dir.to_path_buf(), target, parent, base, lock_path, _lock: lock, tmp, id };
        let summary = folder.target.join(completion);
        if summary.is_file() {
            let stale = folder.target.join(format!("{completion}{STALE_SUFFIX}"));
            fs::rename(&summary, &stale).map_err(|e| FolderError::Io(summary.clone(), e))?;
        }
        Ok(folder)
    }

    /// The folder as the user named it.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// Writes the new report with `write` and swaps it in for the old one. Signals wait
    /// until this is done (the process then exits as they ask).
    pub fn commit(self, write: impl FnOnce(&mut FolderWriter) -> io::Result<()>) -> Result<(), FolderError> {
        let _quiet = FS_GUARD.lock().unwrap_or_else(|p| p.into_inner());
        let result = self.write_and_swap(write);
        if result.is_err() {
            let _ = remove_ours(&self.tmp);
        }
        result
    }

    fn write_and_swap(&self, write: impl FnOnce(&mut FolderWriter) -> io::Result<()>) -> Result<(), FolderError> {
        let io = |e| FolderError::Io(self.tmp.clone(), e);
        if self.tmp.exists() {
            remove_ours(&self.tmp).map_err(io)?;
        }
        fs::create_dir(&self.tmp).map_err(io)?;
        fs::write(self.tmp.join(MARKER), MARKER_IN_PROGRESS).map_err(io)?;
        let mut writer = FolderWriter { root: &self.tmp, listed: Vec::new() };
        write(&mut writer).map_err(io)?;
        let mut marker = format!("{MARKER_HEADER}\n");
        for f in &writer.listed {
            marker.push_str(f);
            marker.push('\n');
        }
        fs::write(self.tmp.join(MARKER), marker).map_err(io)?;
        let target_io = |e| FolderError::Io(self.target.clone(), e);
        match fs::symlink_metadata(&self.target) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::rename(&self.tmp, &self.target).map_err(target_io),
            Err(e) => Err(target_io(e)),
            Ok(_) => {
                if exchange(&self.tmp, &self.target).is_err() {
                    // A file system without RENAME_EXCHANGE: two renames, the old one aside first.
                    let aside = self.parent.join(format!(".{}.clustersim-old-{}", self.base, std::process::id()));
                    fs::rename(&self.target, &aside).map_err(target_io)?;
                    fs::rename(&self.tmp, &self.target).map_err(target_io)?;
                    fs::rename(&aside, &self.tmp).map_err(target_io)?;
                }
                // The old report is now at `tmp`: remove what it listed, and nothing else.
                remove_old_report(&self.tmp, &self.target).map_err(target_io)
            }
        }
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        let _ = remove_ours(&self.tmp);
        let _ = fs::remove_file(&self.lock_path);
        unregister(self.id);
    }
}

/// Splits `dir` into a canonical parent and a final name, refusing paths that name the
/// root, `.`, `..` or nothing at all.
fn resolve(dir: &Path) -> Result<(PathBuf, String), FolderError> {
    let hint = "name a folder of its own, e.g. --out reports/my-run";
    let last = dir.components().next_back();
    let base = match last {
        Some(Component::Normal(name)) => name.to_string_lossy().into_owned(),
        _ => {
            return Err(refused(
                format!("--out {:?} names {}, not a folder clustersim can own", dir.display().to_string(), what(last)),
                hint,
            ))
        }
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((canonical_prefix(&parent).map_err(|e| FolderError::Io(parent.clone(), e))?, base))
}

fn what(c: Option<Component>) -> &'static str {
    match c {
        Some(Component::RootDir) | Some(Component::Prefix(_)) => "the root folder",
        Some(Component::CurDir) => "the working folder",
        Some(Component::ParentDir) => "a parent folder",
        _ => "no folder",
    }
}

/// The canonical form of `path`: its deepest existing ancestor canonicalized, the rest
/// appended (the rest holds only plain names, since `..` below a missing folder fails).
fn canonical_prefix(path: &Path) -> io::Result<PathBuf> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(c) => {
                let mut out = c;
                for name in rest.iter().rev() {
                    out.push(name);
                }
                return Ok(out);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = existing.file_name().ok_or(e)?;
                if matches!(Path::new(name).components().next(), Some(Component::ParentDir | Component::CurDir)) {
                    return Err(io::Error::new(io::ErrorKind::NotFound, "a missing folder followed by `..`"));
                }
                rest.push(name.to_os_string());
                existing = existing.parent().unwrap_or(Path::new("/"));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Refuses the working folder and its ancestors, files, links, and folders that hold
/// anything but a clustersim report.
fn check_target(shown: &Path, target: &Path) -> Result<(), FolderError> {
    let show = shown.display();
    if let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize()) {
        if cwd.starts_with(target) {
            let which = if cwd == target { "the working folder" } else { "an ancestor of the working folder" };
            return Err(refused(
                format!("--out {show} is {which} ({})", target.display()),
                "name a folder of its own, e.g. --out reports/my-run",
            ));
        }
    }
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(FolderError::Io(target.to_path_buf(), e)),
    };
    if meta.file_type().is_symlink() {
        return Err(refused(
            format!("--out {show} is a symbolic link"),
            "name the real folder, or a new one, e.g. --out reports/my-run",
        ));
    }
    if !meta.is_dir() {
        return Err(refused(
            format!("--out {show} is a file, not a folder"),
            "name a new or empty folder, or one that holds an earlier clustersim report",
        ));
    }
    let entries = list_entries(target).map_err(|e| FolderError::Io(target.to_path_buf(), e))?;
    if entries.is_empty() {
        return Ok(());
    }
    let Some(listed) = read_marker(target) else {
        return Err(refused(
            format!("--out {show} is not empty and holds no clustersim report (no {MARKER} file)"),
            "clustersim only replaces its own reports: name a new or empty folder",
        ));
    };
    let foreign: Vec<&String> = entries.iter().filter(|e| !owned(e, &listed)).collect();
    if let Some(first) = foreign.first() {
        return Err(refused(
            format!(
                "--out {show} holds {} that the clustersim report there did not write: {first}{}",
                if foreign.len() == 1 { "a file" } else { "files" },
                if foreign.len() > 1 { format!(" and {} more", foreign.len() - 1) } else { String::new() }
            ),
            "move them elsewhere first, or name another folder: clustersim never deletes files it did not write",
        ));
    }
    Ok(())
}

/// Whether a top-level entry (or a file below it) belongs to the report whose marker lists `listed`.
fn owned(entry: &str, listed: &[String]) -> bool {
    entry == MARKER
        || listed.iter().any(|l| {
            l == entry
                || entry.strip_suffix(STALE_SUFFIX) == Some(l.as_str())
                || l.strip_prefix(entry).is_some_and(|r| r.starts_with('/'))
        })
}

/// Every entry below `dir`, as relative paths (`seeds/1.json`), files and folders alike;
/// folders end up listed by their files.
fn list_entries(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            let inner = list_entries(&entry.path())?;
            if inner.is_empty() {
                out.push(name);
            } else {
                out.extend(inner.into_iter().map(|i| format!("{name}/{i}")));
            }
        } else {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// The files a report folder's marker lists, or `None` when it has no valid marker.
fn read_marker(dir: &Path) -> Option<Vec<String>> {
    // A FIFO or device put where the marker goes is no marker (and is never opened
    // for a blocking read); markers list a report's few files.
    let text = crate::scenario::read_input(&dir.join(MARKER), 1 << 20).ok()?;
    let mut lines = text.lines();
    if lines.next()? != MARKER_HEADER {
        return None;
    }
    Some(lines.filter(|l| !l.is_empty()).map(str::to_string).collect())
}

/// Removes the old report (now at `old`): its listed files, their stale forms and the
/// marker; then the folder, if nothing else is in it. Anything else stays, renamed to
/// a visible folder beside the new report, and is reported.
fn remove_old_report(old: &Path, target: &Path) -> io::Result<()> {
    let listed = read_marker(old).unwrap_or_default();
    for f in &listed {
        for name in [f.clone(), format!("{f}{STALE_SUFFIX}")] {
            let path = old.join(&name);
            if path.is_file() {
                fs::remove_file(&path)?;
            }
        }
    }
    let _ = fs::remove_file(old.join(MARKER));
    remove_empty_dirs(old)?;
    if old.exists() {
        let keep = target.with_file_name(format!(
            "{}.kept-files",
            target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        fs::rename(old, &keep)?;
        eprintln!(
            "warning: files that appeared in the old report while this run wrote its own were kept in {}",
            keep.display()
        );
    }
    Ok(())
}

/// Removes `dir` and its subfolders if they hold no files (bottom-up).
fn remove_empty_dirs(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_dirs(&entry.path())?;
        }
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.exists() => Ok(()), // not empty: kept by the caller
        Err(e) => Err(e),
    }
}

/// Removes a temporary folder of ours; refuses anything without our marker.
fn remove_ours(tmp: &Path) -> io::Result<()> {
    match fs::symlink_metadata(tmp) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() && tmp.join(MARKER).is_file() => fs::remove_dir_all(tmp),
        Ok(m) if m.is_dir() && fs::read_dir(tmp)?.next().is_none() => fs::remove_dir(tmp),
        Ok(_) => Err(io::Error::other(format!("{} is not a clustersim temporary folder", tmp.display()))),
    }
}

/// Removes temporary folders of this target that a killed run left behind (only under
/// the lock, so none of them is being written).
fn remove_leftovers(parent: &Path, base: &str) {
    let prefixes = [format!(".{base}.clustersim-tmp-"), format!(".{base}.clustersim-old-")];
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.strip_prefix(p.as_str()).is_some_and(|pid| pid.parse::<u32>().is_ok())) {
            let _ = remove_ours(&entry.path());
        }
    }
}

extern "C" {
    /// flock(2).
    fn flock(fd: i32, operation: i32) -> i32;
    /// renameat2(2) (glibc 2.28+).
    fn renameat2(olddirfd: i32, oldpath: *const i8, newdirfd: i32, newpath: *const i8, flags: u32) -> i32;
}
const LOCK_EX: i32 = 2;
const LOCK_NB: i32 = 4;
const AT_FDCWD: i32 = -100;
const RENAME_EXCHANGE: u32 = 2;

/// Takes the folder's lock without waiting; a lock file another run unlinked while we
/// waited for it is not the lock, so we check we hold the one at `path`.
fn take_lock(path: &Path, shown: &Path) -> Result<File, FolderError> {
    for _ in 0..16 {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| FolderError::Io(path.to_path_buf(), e))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { flock(file.as_raw_fd(), LOCK_EX | LOCK_NB) } != 0 {
            return Err(FolderError::Busy(shown.to_path_buf()));
        }
        let held = file.metadata().map_err(|e| FolderError::Io(path.to_path_buf(), e))?;
        match fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => return Ok(file),
            _ => continue, // unlinked by the run that held it: take the new one
        }
    }
    Err(FolderError::Busy(shown.to_path_buf()))
}

/// Swaps two paths atomically.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: two valid NUL-terminated paths.
    let r = unsafe { renameat2(AT_FDCWD, ca.as_ptr(), AT_FDCWD, cb.as_ptr(), RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What a signal must clean up for one claimed folder.
struct Cleanup {
    tmp: PathBuf,
    lock: PathBuf,
}

/// Held while a report is written and swapped, and by the signal watcher while it cleans up.
static FS_GUARD: Mutex<()> = Mutex::new(());
static ACTIVE: Mutex<Vec<(u64, Cleanup)>> = Mutex::new(Vec::new());
static WATCHER: Once = Once::new();

fn register(c: Cleanup) -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).push((id, c));
    WATCHER.call_once(|| {
        crate::signals::catch_signals();
        std::thread::spawn(|| loop {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if crate::signals::interrupted() {
                let _guard = FS_GUARD.lock().unwrap_or_else(|p| p.into_inner());
                for (_, c) in ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    let _ = remove_ours(&c.tmp);
                    let _ = fs::remove_file(&c.lock);
                }
                eprintln!("interrupted: nothing was written");
                std::process::exit(130);
            }
        });
    });
    id
}

fn unregister(id: u64) {
    ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).retain(|(i, _)| *i != id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("clustersim-folder-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write_report(dir: &Path, files: &[&str]) -> Result<(), FolderError> {
        let claim = OutputFolder::claim(dir, "summary.json")?;
        claim.commit(|w| {
            for f in files {
                w.file(f, f.as_bytes())?;
            }
            Ok(())
        })
    }

    #[test]
    fn a_new_folder_gets_the_report_and_its_marker_and_nothing_hidden() {
        let s = sandbox("new");
        let dir = s.join("deep/r");
        write_report(&dir, &["a.txt", "seeds/1.json", "summary.json"]).unwrap();
        assert_eq!(read_marker(&dir).unwrap(), ["a.txt", "seeds/1.json", "summary.json"]);
        assert_eq!(fs::read_dir(s.join("deep")).unwrap().count(), 1, "no lock or temporary folder left");
        fs::remove_dir_all(&s).unwrap();
    }

    #[test]
    fn a_report_replaces_an_older_report_only() {
        let s = sandbox("replace");
        let dir = s.join("r");
        write_report(&dir, &["old.txt", "seeds/9.json", "summary.json"]).unwrap();
        write_report(&dir, &["new.txt", "summary.json"]).unwrap();
        assert!(!dir.join("old.txt").exists() && !dir.join("seeds").exists());
        assert!(dir.join("new.txt").is_file());
        assert_eq!(fs::read_dir(&s).unwrap().count(), 1);
        fs::remove_dir_all(&s).unwrap();
    }

    #[test]
    fn foreign_folders_files_links_and_ancestors_are_refused_untouched() {
        let s = sandbox("refuse");
        let user = s.join("user");
        fs::create_dir_all(&user).unwrap();
        fs::write(user.join("canary"), "x").unwrap();
        assert!(matches!(write_report(&user, &["a"]), Err(FolderError::Refused { .. })));
        let file = s.join("afile.txt");
        fs::write(&file, "x").unwrap();
        assert!(matches!(write_report(&file, &["a"]), Err(FolderError::Refused { .. })));
        std::os::unix::fs::symlink(&user, s.join("link")).unwrap();
        assert!(matches!(write_report(&s.join("link"), &["a"]), Err(FolderError::Refused { .. })));
        for p in ["/", ".", "..", "a/..", "./", "../.."] {
            assert!(matches!(write_report(Path::new(p), &["a"]), Err(FolderError::Refused { .. })), "{p}");
        }
        let cwd = std::env::current_dir().unwrap();
        assert!(matches!(write_report(&cwd, &["a"]), Err(FolderError::Refused { .. })));
        assert!(matches!(write_report(cwd.parent().unwrap(), &["a"]), Err(FolderError::Refused { .. })));
        assert_eq!(fs::read_to_string(user.join("canary")).unwrap(), "x");
        assert_eq!(fs::read_to_string(&file).unwrap(), "x");
        let mut names: Vec<_> = fs::read_dir(&s).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["afile.txt", "link", "user"]);
        fs::remove_dir_all(&s).unwrap();
    }

    #[test]
    fn a_fifo_in_place_of_the_marker_is_no_marker_and_never_blocks() {
        let s = sandbox("fifo-marker");
        let dir = s.join("r");
        fs::create_dir_all(&dir).unwrap();
        let marker = CString::new(dir.join(MARKER).as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(marker.as_ptr(), 0o600) }, 0);
        // No writer ever opens it: a blocking read would hang here.
        assert_eq!(read_marker(&dir), None);
        assert!(matches!(write_report(&dir, &["a"]), Err(FolderError::Refused { .. })));
        fs::remove_dir_all(&s).unwrap();
    }

    #[test]
    fn a_user_file_inside_an_old_report_blocks_the_replacement() {
        let s = sandbox("inside");
        let dir = s.join("r");
        write_report(&dir, &["summary.json"]).unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let e = write_report(&dir, &["summary.json"]).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
        assert!(dir.join("summary.json").is_file(), "a refusal does not mark the report stale");
        fs::remove_dir_all(&s).unwrap();
    }

    #[test]
    fn a_claim_marks_the_old_report_stale_and_a_second_writer_is_busy() {
        let s = sandbox("busy");
        let dir = s.join("r");
        write_report(&dir, &["summary.json"]).unwrap();
        let first = OutputFolder::claim(&dir, "summary.json").unwrap();
        assert!(!dir.join("summary.json").exists() && dir.join("summary.json.stale").is_file());
        assert!(matches!(OutputFolder::claim(&dir, "summary.json"), Err(FolderError::Busy(_))));
        drop(first);
        let names: Vec<_> = fs::read_dir(&s).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["r"], "an abandoned claim leaves no lock behind");
        // The stale report is still ours to replace.
        write_report(&dir, &["summary.json"]).unwrap();
        assert!(!dir.join("summary.json.stale").exists());
        fs::remove_dir_all(&s).unwrap();
    }

    #[test]
    fn a_killed_runs_temporary_folder_is_removed_by_the_next_claim() {
        let s = sandbox("killed");
        let left = s.join(".r.clustersim-tmp-999999");
        fs::create_dir_all(&left).unwrap();
        fs::write(left.join(MARKER), MARKER_IN_PROGRESS).unwrap();
        let not_ours = s.join(".r.clustersim-tmp-888888");
        fs::create_dir_all(&not_ours).unwrap();
        fs::write(not_ours.join("x"), "user").unwrap();
        write_report(&s.join("r"), &["summary.json"]).unwrap();
        assert!(!left.exists());
        assert!(not_ours.join("x").is_file(), "a folder without our marker is never removed");
        fs::remove_dir_all(&s).unwrap();
    }
}
