//! All file I/O of phaseflow. Writes are atomic: a temporary file in the target's folder,
//! flushed and synced, then renamed over the target, so an interrupted run never leaves a
//! half-written file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file could not be read or written; each names the file.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file system refused.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The content is not what it must be (a JSON parse error).
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A value that could not be serialised as JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// An output folder another running phaseflow is writing.
    #[error("{}: being written by phaseflow process {pid} (lock {}); wait for it, choose another --out, or remove the lock if that process is gone", dir.display(), lock.display())]
    Locked {
        /// The folder.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The process holding it.
        pid: u32,
    },
}

type Error = IoError;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| IoError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// Files this process created and has not finished: temporaries of [`write_atomic`] and
/// the locks of [`DirLock`]. [`remove_pending`] deletes them (the binary calls it on SIGINT
/// and SIGTERM), so an interrupted run leaves no `.NAME.tmp-PID` file and no stale lock.
static PENDING: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn pending(path: &Path, add: bool) {
    let mut v = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    if add {
        v.push(path.to_path_buf());
    } else if let Some(i) = v.iter().position(|p| p == path) {
        v.swap_remove(i);
    }
}

/// Delete every temporary file and lock this process has not finished (on a signal).
pub fn remove_pending() {
    let v = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    for p in v.iter() {
        let _ = fs::remove_file(p);
    }
}

/// Create the output folder if needed and check that files can be written into it (a probe
/// file is written, synced and removed), before any work: a read-only, full or mistyped
/// `--out` fails at once instead of after the computation.
///
/// # Errors
/// [`IoError::File`] naming the folder (or the file in its way).
pub fn prepare_dir(dir: &Path) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(IoError::File {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "exists and is not a folder; --out names the folder for the report files",
            ),
        });
    }
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let probe = dir.join(format!(".phaseflow-probe-{}", std::process::id()));
    pending(&probe, true);
    let r = (|| {
        let mut f = fs::File::create(&probe)?;
        f.write_all(&[0u8; 4096])?;
        f.sync_all()
    })();
    let _ = fs::remove_file(&probe);
    pending(&probe, false);
    r.map_err(io_err(dir))
}

/// A lock on an output folder, held while a report set is computed and written: a second
/// phaseflow writing the same folder stops at once (exit 2) instead of mixing its files
/// with ours. The lock is the file `DIR/.phaseflow.lock` holding our process id, created
/// exclusively; a lock whose process is gone is taken over. Dropped: removed.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
}

impl DirLock {
    /// The lock file's name inside the folder.
    pub const NAME: &'static str = ".phaseflow.lock";

    /// Prepare `dir` ([`prepare_dir`]) and lock it.
    ///
    /// # Errors
    /// [`IoError::Locked`] naming the process that holds it, or [`IoError::File`].
    pub fn acquire(dir: &Path) -> Result<Self, Error> {
        prepare_dir(dir)?;
        let path = dir.join(Self::NAME);
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    pending(&path, true);
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid: Option<u32> = fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse().ok());
                    match pid {
                        Some(pid) if process_alive(pid) => {
                            return Err(IoError::Locked {
                                dir: dir.to_path_buf(),
                                lock: path,
                                pid,
                            });
                        }
                        // A stale lock (its process is gone, or it is unreadable): take over.
                        _ => {
                            let _ = fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Err(IoError::Locked {
            dir: dir.to_path_buf(),
            lock: path,
            pid: 0,
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        pending(&self.path, false);
    }
}

/// Whether a process with this id runs (a lock of our own pid from an earlier run of a
/// recycled id counts as alive: the lock is then refused, naming the pid).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks for the process; no signal is sent.
    let r = unsafe { libc::kill(p, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Write `bytes` to `path` atomically (temporary file + rename), creating parent folders.
///
/// # Errors
/// [`IoError::File`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    pending(&tmp, true);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    pending(&tmp, false);
    result.map_err(io_err(path))
}

/// Serialise `value` as pretty JSON (with a trailing newline) and write it atomically.
///
/// # Errors
/// [`IoError`] naming the file.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

/// The most any input file is read: 256 MiB. Experiment files are a few hundred bytes, the
/// digits data 0.5 MiB, a paper-size shard about 1 MiB; a larger file (or `/dev/zero`) is
/// refused before it fills the memory.
pub const MAX_READ: u64 = 256 << 20;

/// Read a whole file to a string, at most [`MAX_READ`] bytes.
///
/// # Errors
/// [`IoError`] naming the file: unreadable, larger than [`MAX_READ`], or not UTF-8.
pub fn read_to_string(path: &Path) -> Result<String, Error> {
    read_to_string_max(path, MAX_READ)
}

/// Read a whole file to a string, refusing one longer than `max` bytes (without reading
/// more than `max + 1` of them).
///
/// # Errors
/// [`IoError`] naming the file.
pub fn read_to_string_max(path: &Path, max: u64) -> Result<String, Error> {
    use std::io::Read;
    // A FIFO would block the open (and the read) forever, a directory or a device is not
    // an input file: only regular files are opened (symlinks followed), issue 24.
    let meta = fs::metadata(path).map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(IoError::Parse {
            path: path.to_path_buf(),
            message: format!(
                "not a regular file (a {}); give a file",
                file_kind(&meta.file_type())
            ),
        });
    }
    let f = fs::File::open(path).map_err(io_err(path))?;
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(io_err(path))?;
    if buf.len() as u64 > max {
        return Err(IoError::Parse {
            path: path.to_path_buf(),
            message: format!(
                "larger than {} MiB, the most read from an input file; is it the right file?",
                max >> 20
            ),
        });
    }
    String::from_utf8(buf).map_err(|e| IoError::Parse {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })
}

/// What a non-regular file is, for messages.
fn file_kind(t: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Read and parse a JSON file; a parse failure is an input error naming the file.
///
/// # Errors
/// [`IoError::File`] or [`IoError::Parse`] naming the file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let s = read_to_string(path)?;
    parse_json(&s).map_err(|message| IoError::Parse {
        path: path.to_path_buf(),
        message,
    })
}

/// `path: message`, or the message alone at the top level. Inside an internally tagged
/// object (`{"kind": …}`) the path ends at that object; the message names the field.
fn with_path(path: &serde_path_to_error::Path, message: String) -> String {
    let mut p = path.to_string();
    if p == "." {
        p.clear();
    }
    // An unknown field inside a tagged object: the path stops at the object, so add the
    // field (`train.problem.schedule.kappa`).
    if let Some(name) = message
        .split("unknown field `")
        .nth(1)
        .and_then(|r| r.split('`').next())
    {
        if !p.ends_with(name) {
            p = if p.is_empty() {
                name.to_string()
            } else {
                format!("{p}.{name}")
            };
        }
    }
    if p.is_empty() {
        message
    } else {
        format!("{p}: {message}")
    }
}

/// Parse JSON; the error names the path of the bad field, the rule, line and column.
///
/// # Errors
/// The message.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| with_path(e.path(), e.inner().to_string()))?;
    // Trailing content after the document is an error too, as in serde_json::from_str.
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Parse TOML; the error names the path of the bad field and the rule (on one line).
///
/// # Errors
/// The message.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let m = e.inner().to_string().replace('\n', " ");
        with_path(e.path(), m.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("phaseflow-io-{}", std::process::id()));
        let path = dir.join("a.json");
        write_json(&path, &serde_json::json!({"x": 1})).unwrap();
        assert_eq!(read_to_string(&path).unwrap(), "{\n  \"x\": 1\n}\n");
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
