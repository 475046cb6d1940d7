//! Streaming a configuration over HTTP (`source::flipt(..).streaming()`): one long-lived
//! response whose body is newline-delimited JSON, each line a whole configuration, read on
//! one background thread per provider running a current-thread tokio runtime.
//!
//! Each line is applied as it arrives; a line that cannot be read or loaded is a failed update
//! (the configuration served stays). When the stream ends, fails, or stays silent for the idle
//! bound, it is opened again after a wait: capped exponential backoff with jitter, counted in
//! connections that delivered nothing, and never shorter than [`MIN_RECONNECT`], so a server
//! that closes at once is never reconnected to in a loop. `refresh` opens a new stream at once
//! and waits for its first line.

use std::sync::Arc;
use std::time::Duration;

use flags_http::ndjson::{Line, NdjsonReader};
use flags_http::{
    Request, Stream, Transport, TransportConfig, TransportError, check_url, http_error_summary,
    redact_url,
};
use tokio::sync::mpsc;

use super::poll::{Either, race, transport_config};
use super::shared::{Failure, Origin, Shared};
use super::worker::{Command, Failed, Worker};
use crate::error::Error;
use crate::source::http::HttpConfig;

/// Reads one line of the stream: the configuration's text, or why the line is not one.
type Decode = fn(&str) -> Result<String, String>;

/// The shortest wait before opening the stream again.
pub(crate) const MIN_RECONNECT: Duration = Duration::from_millis(50);
/// The longest.
pub(crate) const MAX_RECONNECT: Duration = Duration::from_secs(30);

/// Starts streaming for `shared`. Fails on an invalid URL or header.
pub(crate) fn start(
    shared: Arc<Shared>,
    config: HttpConfig,
    idle: Duration,
    decode: Decode,
) -> Result<Worker, Error> {
    let invalid = |message: String| Error::Source {
        origin: shared.describe().to_owned(),
        message,
    };
    check_url(&config.url).map_err(|error| invalid(error.to_string()))?;
    let transport = transport_config(&config).map_err(invalid)?;
    let (tx, rx) = mpsc::unbounded_channel::<Command>();
    let worker_shared = shared.clone();
    Worker::spawn(
        "flags-stream",
        move |command| tx.send(command).is_ok(),
        move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    worker_shared.record_failure(
                        Failure::Unreachable,
                        format!("cannot start the streaming runtime: {error}"),
                    );
                    return;
                }
            };
            let stream = Streaming {
                shared: &worker_shared,
                config: &config,
                idle,
                decode,
                name: redact_url(&config.url),
                waiting: Vec::new(),
            };
            runtime.block_on(stream.run(transport, rx));
            runtime.shutdown_background();
        },
    )
    .map_err(|error| invalid(format!("cannot start the streaming thread: {error}")))
}

/// One provider's stream, and the refresh requests waiting for its next outcome.
struct Streaming<'a> {
    shared: &'a Shared,
    config: &'a HttpConfig,
    idle: Duration,
    decode: Decode,
    /// The URL without credentials, for messages.
    name: String,
    waiting: Vec<std::sync::mpsc::Sender<Result<(), Failed>>>,
}

/// How one connection ended.
enum Ended {
    /// Stop the worker.
    Stop,
    /// Open a new stream now (a refresh asked for it).
    Now,
    /// Open a new stream after the backoff; `delivered` when this one applied a line.
    Later { delivered: bool },
    /// The credentials were refused: stop streaming.
    Fatal(String),
}

impl Streaming<'_> {
    async fn run(
        mut self,
        transport: TransportConfig,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) {
        let transport = match transport.build() {
            Ok(transport) => transport,
            Err(error) => {
                self.shared
                    .fatal(format!("cannot set up the HTTP client: {error}"));
                return;
            }
        };
        // Connections in a row that delivered no configuration.
        let mut empty: u32 = 0;
        loop {
            if self.shared.is_closed() {
                return;
            }
            match self.connect(&transport, &mut commands).await {
                Ended::Stop => return,
                Ended::Now => continue,
                Ended::Later { delivered } => {
                    empty = if delivered {
                        0
                    } else {
                        empty.saturating_add(1)
                    };
                }
                Ended::Fatal(message) => {
                    self.shared.fatal(message.clone());
                    self.reply(&Err(Failed::Fatal(message.clone())));
                    while let Some(command) = commands.recv().await {
                        match command {
                            Command::Refresh(reply) => {
                                let _ = reply.send(Err(Failed::Fatal(message.clone())));
                            }
                            Command::Stop => return,
                        }
                    }
                    return;
                }
            }
            let wait = reconnect_delay(self.config.retry_delay, empty);
            match race(tokio::time::sleep(wait), commands.recv()).await {
                Either::Left(()) => {}
                Either::Right(Some(Command::Refresh(reply))) => self.waiting.push(reply),
                Either::Right(Some(Command::Stop) | None) => return,
            }
        }
    }

    /// Opens the stream and reads it until it ends.
    async fn connect(
        &mut self,
        transport: &Transport,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Ended {
        let opened = {
            let open = transport.open_stream(Request::get(self.config.url.as_str()));
            let mut open = std::pin::pin!(open);
            loop {
                match race(open.as_mut(), commands.recv()).await {
                    Either::Left(opened) => break opened,
                    Either::Right(Some(Command::Refresh(reply))) => self.waiting.push(reply),
                    Either::Right(Some(Command::Stop) | None) => return Ended::Stop,
                }
            }
        };
        if self.shared.is_closed() {
            return Ended::Stop;
        }
        let origin = &self.name;
        let stream = match opened {
            Ok(stream) if stream.status() == 200 => stream,
            Ok(stream) => {
                let status = stream.status();
                self.unreachable(format!(
                    "`{origin}` answered {status} to the stream request"
                ));
                return Ended::Later { delivered: false };
            }
            Err(TransportError::Status { status, .. }) if status == 401 || status == 403 => {
                let status = http_error_summary(status, None, b"");
                let status = status.trim_start_matches("HTTP ");
                return Ended::Fatal(format!(
                    "`{origin}` refused the credentials ({status}); streaming stopped"
                ));
            }
            Err(TransportError::Status {
                status,
                content_type,
                body,
                ..
            }) => {
                self.unreachable(format!(
                    "`{origin}` answered {}",
                    http_error_summary(status, content_type.as_deref(), &body)
                ));
                return Ended::Later { delivered: false };
            }
            Err(TransportError::Timeout) => {
                self.unreachable(format!(
                    "cannot reach `{origin}`: no answer within {} ms",
                    self.config.timeout.as_millis()
                ));
                return Ended::Later { delivered: false };
            }
            Err(error) => {
                self.unreachable(format!("cannot reach `{origin}`: {error}"));
                return Ended::Later { delivered: false };
            }
        };
        self.read(stream, commands).await
    }

    /// Reads the stream's lines until it ends, fails or stays silent too long.
    async fn read(
        &mut self,
        mut stream: Stream,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Ended {
        let mut reader = NdjsonReader::new(self.config.max_body.max(1));
        let mut delivered = false;
        let origin = self.name.clone();
        loop {
            let chunk = {
                let next = tokio::time::timeout(self.idle, stream.chunk());
                match race(next, commands.recv()).await {
                    Either::Left(chunk) => chunk,
                    Either::Right(Some(Command::Refresh(reply))) => {
                        self.waiting.push(reply);
                        return Ended::Now;
                    }
                    Either::Right(Some(Command::Stop) | None) => return Ended::Stop,
                }
            };
            if self.shared.is_closed() {
                return Ended::Stop;
            }
            match chunk {
                Ok(Ok(Some(bytes))) => {
                    for line in reader.feed(&bytes) {
                        delivered |= self.line(line);
                    }
                }
                Ok(Ok(None)) => {
                    if let Some(line) = reader.finish() {
                        delivered |= self.line(line);
                    }
                    if !delivered {
                        self.unreachable(format!(
                            "the stream from `{origin}` ended before sending a configuration"
                        ));
                    }
                    tracing::debug!(target: "flags", "{origin}: the stream ended; reconnecting");
                    return Ended::Later { delivered };
                }
                Ok(Err(error)) => {
                    self.unreachable(format!("the stream from `{origin}` broke: {error}"));
                    return Ended::Later { delivered };
                }
                Err(_) => {
                    self.unreachable(format!(
                        "the stream from `{origin}` sent nothing for {} ms",
                        self.idle.as_millis()
                    ));
                    return Ended::Later { delivered };
                }
            }
        }
    }

    /// Applies one line; `true` when it was a configuration now in use.
    fn line(&mut self, line: Line) -> bool {
        let origin = &self.name;
        let text = match line {
            Line::Text(text) => (self.decode)(&text),
            Line::TooLong => Err(format!(
                "a line of the stream is longer than {} bytes",
                self.config.max_body
            )),
            Line::NotUtf8 => Err("a line of the stream is not UTF-8".to_owned()),
        };
        let outcome = match text {
            Ok(text) => match self.shared.apply(&text, origin, Origin::Live) {
                Ok(()) => Ok(()),
                Err(error) => {
                    self.shared.failed(&error);
                    Err(Failed::Rejected(error.to_string()))
                }
            },
            Err(why) => {
                let message = format!("{}: {why}", self.shared.describe());
                self.shared
                    .record_failure(Failure::Rejected, message.clone());
                Err(Failed::Rejected(message))
            }
        };
        let applied = outcome.is_ok();
        self.reply(&outcome);
        applied
    }

    /// Records that the source could not be read, and tells the refreshes waiting.
    fn unreachable(&mut self, message: String) {
        self.shared
            .record_failure(Failure::Unreachable, message.clone());
        self.reply(&Err(Failed::Fetch(message)));
    }

    fn reply(&mut self, outcome: &Result<(), Failed>) {
        for reply in self.waiting.drain(..) {
            let _ = reply.send(outcome.clone());
        }
    }
}

/// The wait before opening the stream again after `empty` connections in a row that delivered
/// nothing: `base` doubled per such connection up to [`MAX_RECONNECT`], its upper half at
/// random, and never less than [`MIN_RECONNECT`].
pub(crate) fn reconnect_delay(base: Duration, empty: u32) -> Duration {
    let base = base.clamp(MIN_RECONNECT, MAX_RECONNECT);
    let ceiling = base
        .checked_mul(1 << empty.min(16))
        .unwrap_or(MAX_RECONNECT)
        .min(MAX_RECONNECT);
    let half = ceiling / 2;
    (half + flags_http::jitter(ceiling - half)).max(MIN_RECONNECT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_grow_within_their_bounds() {
        for _ in 0..50 {
            let first = reconnect_delay(Duration::from_secs(1), 0);
            assert!(
                (Duration::from_millis(500)..=Duration::from_secs(1)).contains(&first),
                "{first:?}"
            );
            let third = reconnect_delay(Duration::from_millis(100), 2);
            assert!(
                (Duration::from_millis(200)..=Duration::from_millis(400)).contains(&third),
                "{third:?}"
            );
            // Never a loop: a zero base still waits; never more than the cap.
            assert!(reconnect_delay(Duration::ZERO, 0) >= MIN_RECONNECT);
            assert!(reconnect_delay(Duration::from_secs(3600), 0) <= MAX_RECONNECT);
            assert!(reconnect_delay(Duration::from_secs(1), u32::MAX) >= MAX_RECONNECT / 2);
        }
    }
}
