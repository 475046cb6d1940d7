//! A provider's background thread, and how it is told to refresh or stop.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::Error;

/// What a background thread is asked to do.
pub(crate) enum Command {
    /// Refresh now and send the outcome.
    Refresh(mpsc::Sender<Result<(), Failed>>),
    /// Stop.
    Stop,
}

/// Why a refresh failed, for a caller waiting for it.
#[derive(Debug, Clone)]
pub(crate) enum Failed {
    /// The source could not be reached or read.
    Fetch(String),
    /// What it delivered was rejected.
    Rejected(String),
    /// The source refused for good.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    Fatal(String),
}

/// A running background thread.
pub(crate) struct Worker {
    /// Sends a command; `false` when the thread is gone.
    send: Box<dyn Fn(Command) -> bool + Send>,
    /// Disconnected when the thread ends.
    done: mpsc::Receiver<()>,
    thread: JoinHandle<()>,
}

impl Worker {
    /// Spawns `run` on a thread named `name`; `send` delivers commands to it.
    pub(crate) fn spawn(
        name: &str,
        send: impl Fn(Command) -> bool + Send + 'static,
        run: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<Worker> {
        let (done_tx, done) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _done = done_tx;
                run();
            })?;
        Ok(Worker {
            send: Box::new(send),
            done,
            thread,
        })
    }

    /// Whether the calling thread is this worker's (an event handler runs there).
    pub(crate) fn is_current(&self) -> bool {
        self.thread.thread().id() == std::thread::current().id()
    }

    /// Asks for a refresh; the receiver gets the outcome.
    pub(crate) fn refresh(&self) -> Result<mpsc::Receiver<Result<(), Failed>>, Error> {
        let (tx, rx) = mpsc::channel();
        if (self.send)(Command::Refresh(tx)) {
            Ok(rx)
        } else {
            Err(Error::ShutDown)
        }
    }

    /// Stops the thread, waiting at most `bound` for it to end (it is detached after that).
    pub(crate) fn stop(self, bound: Duration) {
        (self.send)(Command::Stop);
        // From the thread itself (a handler dropping the last client): it ends on its own.
        if self.is_current() {
            return;
        }
        match self.done.recv_timeout(bound) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tracing::warn!(
                    target: "flags",
                    "a background thread of the flags provider did not stop within {bound:?}"
                );
            }
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = self.thread.join();
            }
        }
    }
}
