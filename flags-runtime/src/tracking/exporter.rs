//! The seam of the pipeline: [`Exporter`], implemented by every built-in exporter as a user
//! implements theirs. A leaf beside `event.rs`.

use super::event::Event;

/// Which events an [`Exporter`] is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds {
    /// Events of [`Client::track`](crate::Client::track).
    pub tracking: bool,
    /// One event per flag evaluation. Asking for them makes every evaluation of the client
    /// run the hook that records them (hundreds of nanoseconds and a few allocations each).
    pub evaluation: bool,
}

impl Kinds {
    /// Tracking events only (the default).
    pub const TRACKING: Kinds = Kinds {
        tracking: true,
        evaluation: false,
    };
    /// Evaluation events only.
    pub const EVALUATION: Kinds = Kinds {
        tracking: false,
        evaluation: true,
    };
    /// Both.
    pub const ALL: Kinds = Kinds {
        tracking: true,
        evaluation: true,
    };

    /// Whether `event` is of a kind asked for.
    pub(crate) fn wants(self, event: &Event) -> bool {
        if event.is_evaluation() {
            self.evaluation
        } else {
            self.tracking
        }
    }
}

/// Sends batches of events somewhere: a collector, a queue, a file. The client's pipeline
/// calls [`export`](Exporter::export) on its own thread, one batch at a time (never two at
/// once, never on the thread that tracked), oldest events first; it may block, but should
/// give up within a few seconds (a shutdown waits for it at most
/// [`EventOptions::shutdown_timeout`](super::EventOptions::shutdown_timeout)).
///
/// ```
/// use flags_runtime::tracking::{Event, ExportError, Exporter};
///
/// struct Stdout;
///
/// impl Exporter for Stdout {
///     fn name(&self) -> &str {
///         "stdout"
///     }
///
///     fn export(&mut self, events: &[Event]) -> Result<(), ExportError> {
///         for event in events {
///             println!("{} {:?}", event.id, event.kind);
///         }
///         Ok(())
///     }
/// }
///
/// let client = flags_runtime::Client::builder()
///     .in_process(flags_runtime::source::json(r#"{"flags": {}}"#))
///     .events(Stdout)
///     .build()?;
/// client.track("signed-up", &flags_runtime::Context::new("user-1"), Default::default());
/// client.shutdown(); // flushes, waiting at most the shutdown timeout
/// # Ok::<(), flags_runtime::Error>(())
/// ```
///
/// An exporter that speaks HTTP can use the runtime's shared transport (feature `http`,
/// [`crate::transport`]): retries with backoff, deadlines, the circuit breaker and redaction
/// come with it; [`go_feature_flag`](super::go_feature_flag()) is built that way.
pub trait Exporter: Send + 'static {
    /// A short name, for logs and for the event log's acknowledgements: exporters of one
    /// client need distinct names, and keeping a name across restarts lets a restarted
    /// process resend to it what it had not acknowledged.
    fn name(&self) -> &str;

    /// The events it is given (by default tracking events only).
    fn kinds(&self) -> Kinds {
        Kinds::TRACKING
    }

    /// Sends one batch. `Ok` acknowledges every event of it.
    ///
    /// # Errors
    ///
    /// [`ExportError::Failed`]: the batch goes back to the front of the queue and is sent again
    /// later; [`ExportError::Rejected`]: it is dropped; [`ExportError::Unsupported`]: the
    /// exporter is disabled for the life of the client.
    fn export(&mut self, events: &[Event]) -> Result<(), ExportError>;
}

/// Why a batch was not exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Worth trying again (the receiver is down, slow, overloaded, or refused the
    /// credentials): the batch is kept, in order, and sent again after a pause.
    #[error("{message}")]
    Failed {
        /// What went wrong, short and without secrets.
        message: String,
    },
    /// The receiver will never take this batch (it is malformed for it): dropped.
    #[error("{message}")]
    Rejected {
        /// What went wrong, short and without secrets.
        message: String,
    },
    /// The receiver does not offer what the exporter sends: the exporter is disabled.
    #[error("{message}")]
    Unsupported {
        /// What went wrong, short and without secrets.
        message: String,
    },
}

impl ExportError {
    /// [`ExportError::Failed`].
    pub fn failed(message: impl Into<String>) -> ExportError {
        ExportError::Failed {
            message: message.into(),
        }
    }

    /// [`ExportError::Rejected`].
    pub fn rejected(message: impl Into<String>) -> ExportError {
        ExportError::Rejected {
            message: message.into(),
        }
    }

    /// [`ExportError::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> ExportError {
        ExportError::Unsupported {
            message: message.into(),
        }
    }
}
