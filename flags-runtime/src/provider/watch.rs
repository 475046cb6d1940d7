//! Watching a local flag file.
//!
//! The file's directory is watched, not the file: an editor that saves by writing a new file
//! and renaming it over the old one replaces the file watched, and a watch on the file alone
//! would see nothing after the first save. Changes are debounced: the file is read once it has
//! been quiet for a moment (and at the latest a second after the first change), so that a save
//! in several writes is read whole.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};

use super::shared::Shared;
use super::worker::{Command, Failed, Worker};
use crate::error::Error;

/// The longest a burst of changes delays reading the file.
const MAX_DELAY: Duration = Duration::from_secs(1);

enum Message {
    Fs(notify::Result<notify::Event>),
    Command(Command),
}

/// Starts watching `path` for `shared`.
pub(crate) fn start(shared: Arc<Shared>, path: PathBuf, quiet: Duration) -> Result<Worker, Error> {
    let (tx, rx) = mpsc::channel::<Message>();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(OsString::from).unwrap_or_default();
    let fs_tx = tx.clone();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = fs_tx.send(Message::Fs(event));
    })
    .map_err(|error| watch_error(&shared, &error))?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|error| watch_error(&shared, &error))?;
    Worker::spawn(
        "flags-watch",
        move |command| tx.send(Message::Command(command)).is_ok(),
        move || {
            // The watcher lives as long as the thread.
            let _watcher = watcher;
            run(&shared, &name, quiet, &rx);
        },
    )
    .map_err(|error| Error::Source {
        origin: path.display().to_string(),
        message: format!("cannot start the watching thread: {error}"),
    })
}

fn watch_error(shared: &Shared, error: &notify::Error) -> Error {
    Error::Source {
        origin: shared.describe().to_owned(),
        message: format!("cannot watch it for changes: {error}"),
    }
}

fn run(shared: &Shared, name: &OsString, quiet: Duration, rx: &mpsc::Receiver<Message>) {
    loop {
        match rx.recv() {
            Ok(Message::Fs(event)) => {
                if !concerns(&event, name) {
                    continue;
                }
                // Wait for quiet, at most `MAX_DELAY`.
                let deadline = Instant::now() + MAX_DELAY;
                loop {
                    let wait = quiet.min(deadline.saturating_duration_since(Instant::now()));
                    match rx.recv_timeout(wait) {
                        Ok(Message::Fs(_)) if Instant::now() < deadline => continue,
                        Ok(Message::Fs(_)) | Err(mpsc::RecvTimeoutError::Timeout) => break,
                        Ok(Message::Command(Command::Refresh(reply))) => {
                            let _ = reply.send(reload(shared));
                        }
                        Ok(Message::Command(Command::Stop))
                        | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
                if shared.is_closed() {
                    return;
                }
                let _ = reload(shared);
            }
            Ok(Message::Command(Command::Refresh(reply))) => {
                let _ = reply.send(reload(shared));
            }
            Ok(Message::Command(Command::Stop)) | Err(_) => return,
        }
    }
}

fn reload(shared: &Shared) -> Result<(), Failed> {
    shared.reload_local().map_err(|error| {
        shared.failed(&error);
        match &error {
            Error::Load { error: cause, .. }
                if matches!(**cause, flags_schema::Error::Io { .. }) =>
            {
                Failed::Fetch(error.to_string())
            }
            _ => Failed::Rejected(error.to_string()),
        }
    })
}

/// Whether `event` may have changed the file named `name`: anything but reads.
fn concerns(event: &notify::Result<notify::Event>, name: &OsString) -> bool {
    let Ok(event) = event else {
        // An overflow or a watch error: read the file to be sure.
        return true;
    };
    let read_only = matches!(
        event.kind,
        EventKind::Access(
            AccessKind::Open(_)
                | AccessKind::Read
                | AccessKind::Close(AccessMode::Read | AccessMode::Execute)
        )
    );
    !read_only
        && event
            .paths
            .iter()
            .any(|p| Path::file_name(p) == Some(name.as_os_str()))
}
