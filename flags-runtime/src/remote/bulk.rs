//! Bulk mode: one evaluation of every flag for the provider's context, refreshed by polling
//! and by the service's change events (SSE streams, supervised and reconnected).

use super::*;

impl Inner {
    /// Fetches the bulk evaluation (bulk mode) for the current context, one fetch at a time:
    /// with `If-None-Match` when the held evaluation is for this context (not after a stream
    /// reconnection, which refetches unconditionally), and with the event's metadata as
    /// query parameters when a `refetchEvaluation` message asked for it.
    pub(super) async fn refresh_bulk(&self, trigger: Trigger) -> Result<(), crate::Error> {
        if let Protocol::FlagKit(_) = &self.protocol {
            return self.refresh_flagkit().await;
        }
        let Protocol::OfrepBulk { config, .. } = &self.protocol else {
            return Ok(());
        };
        let fail = |message: String| crate::Error::Fetch {
            origin: self.name.clone(),
            message,
        };
        let _one_at_a_time = self.control.refresh.lock().await;
        if self.fatal.load(Ordering::Relaxed) {
            return Err(fail(
                "the provider is FATAL: the credentials were refused".to_owned(),
            ));
        }
        let (epoch, context) = self.control.current();
        let body = ofrep::request_body(&context).map_err(|e| fail(e.message.to_string()))?;
        let url = match &trigger {
            Trigger::Event(event) => ofrep::refetch_url(&config.base_url, event),
            Trigger::Poll | Trigger::Reconnect => ofrep::bulk_url(&config.base_url),
        };
        let mut request = Request::post_json(url, body);
        let held = self.bulk.load_full();
        let same_context = self.control.held_epoch.load(Ordering::Acquire) == epoch;
        if same_context
            && !matches!(trigger, Trigger::Reconnect)
            && let Some(etag) = held.as_ref().and_then(|b| b.etag.clone())
        {
            request = request.header("If-None-Match", etag);
        }
        let sent = self.transport.send(request).await;
        if self.control.current().0 != epoch {
            // The context changed meanwhile: this outcome is for the previous one, and the
            // fetch for the new one follows.
            return Ok(());
        }
        let answer = match sent {
            Ok(response) => ofrep::parse_bulk(
                response.status,
                response.content_type(),
                &response.body,
                response.etag(),
            ),
            Err(TransportError::Status {
                status,
                content_type,
                body,
                ..
            }) => ofrep::parse_bulk(status, content_type.as_deref(), &body, None),
            Err(error) => {
                let message = error.to_string();
                self.bulk_failed(&message, same_context);
                return Err(fail(message));
            }
        };
        match answer {
            BulkAnswer::NotModified if same_context => Ok(()),
            BulkAnswer::NotModified => {
                // Only a conditional request may be answered 304.
                let message = "the server answered 304 to a request without `If-None-Match`";
                self.bulk_failed(message, same_context);
                Err(fail(message.to_owned()))
            }
            BulkAnswer::Updated(bulk) => {
                let changed: Vec<String> = match &held {
                    None => bulk.flags.keys().map(str::to_owned).collect(),
                    Some(old) => old.flags.changed_keys(&bulk.flags),
                };
                let streams = bulk.event_streams.clone();
                self.bulk.store(Some(Arc::new(bulk)));
                self.control.held_epoch.store(epoch, Ordering::Release);
                self.control.streams.send_if_modified(|current| {
                    let modified = *current != streams;
                    *current = streams;
                    modified
                });
                let was = self.events.status();
                self.events.set_status(ProviderStatus::Ready);
                if held.is_none()
                    || !matches!(was, ProviderStatus::Ready | ProviderStatus::Reconciling)
                {
                    self.events
                        .emit(EventDetails::new(ProviderEvent::Ready, self.name.clone()));
                }
                if held.is_some() && !same_context {
                    self.events.emit(
                        EventDetails::new(ProviderEvent::ContextChanged, self.name.clone())
                            .with_flags_changed(changed),
                    );
                } else if held.is_some() && !changed.is_empty() {
                    self.events.emit(
                        EventDetails::new(ProviderEvent::ConfigurationChanged, self.name.clone())
                            .with_flags_changed(changed),
                    );
                }
                Ok(())
            }
            BulkAnswer::Failed { error, signal } => {
                if signal == Some(Signal::Fatal) {
                    self.go_fatal(&Resolution::error(error.code, error.message.clone()));
                } else {
                    self.bulk_failed(&error.message, same_context);
                }
                Err(fail(error.message.to_string()))
            }
        }
    }

    pub(super) fn stop_requested(&self) -> bool {
        self.stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// A failed bulk fetch: STALE when an evaluation for this context is held, else ERROR
    /// (none yet, or only one for a previous context).
    pub(super) fn bulk_failed(&self, message: &str, same_context: bool) {
        let status = if same_context && self.bulk.load().is_some() {
            ProviderStatus::Stale
        } else {
            ProviderStatus::Error
        };
        self.events.set_status(status);
        let event = if status == ProviderStatus::Stale {
            ProviderEvent::Stale
        } else {
            ProviderEvent::Error
        };
        self.events.emit(
            EventDetails::new(event, self.name.clone())
                .with_message(format!("{}: {message}", self.name)),
        );
    }
}

/// The most event streams listened to at once.
const MAX_STREAMS: usize = 4;
/// The largest SSE line or event accepted; longer ones are dropped.
const MAX_EVENT: usize = 64 * 1024;
/// The reconnection delay when the server gave none (`retry:`).
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// The bounds of the server's `retry:` and of the backoff.
const MIN_RECONNECT: Duration = Duration::from_millis(50);
const MAX_RECONNECT: Duration = Duration::from_secs(60);
/// A stream silent this long (not even a comment) is presumed dead: reconnect.
const STREAM_IDLE: Duration = Duration::from_secs(5 * 60);
/// A connection that lasted this long resets the backoff.
const STABLE_CONNECTION: Duration = Duration::from_secs(30);

/// Listens to the streams the latest bulk answer announced, switching when a new answer
/// announces others; ends with the provider (its sender dropped) and stops listening on
/// FATAL (the list emptied).
pub(super) async fn supervise_streams(
    weak: Weak<Inner>,
    mut announced: tokio::sync::watch::Receiver<Vec<EventStream>>,
) {
    let mut listeners = tokio::task::JoinSet::new();
    loop {
        let streams = announced.borrow_and_update().clone();
        listeners.abort_all();
        if streams.len() > MAX_STREAMS {
            tracing::warn!(
                target: "flags",
                "the bulk answer announces {} event streams; listening to the first {MAX_STREAMS}",
                streams.len()
            );
        }
        for stream in streams.into_iter().take(MAX_STREAMS) {
            listeners.spawn(listen(weak.clone(), stream));
        }
        if announced.changed().await.is_err() {
            return;
        }
    }
}

/// One event stream: connect, read messages, refetch on `refetchEvaluation`, reconnect with
/// capped exponential backoff and jitter when it ends or fails (`204` stops it, as SSE says).
///
/// The stream's `inactivityDelaySec` is not used: it asks clients to disconnect while the
/// *application* is inactive (a hidden tab, a backgrounded phone app), which a server
/// process never is. A stream silent for [`STREAM_IDLE`] is presumed dead instead.
pub(super) async fn listen(weak: Weak<Inner>, stream: EventStream) {
    let mut failures: u32 = 0;
    let mut connected_before = false;
    let mut server_retry: Option<Duration> = None;
    let mut last_id: Option<String> = None;
    loop {
        let (transport, url, name) = {
            let Some(inner) = weak.upgrade() else { return };
            if inner.fatal.load(Ordering::Relaxed) {
                return;
            }
            let Protocol::OfrepBulk { config, .. } = &inner.protocol else {
                return;
            };
            (
                inner.transport.clone(),
                stream.url(&config.base_url),
                inner.name.clone(),
            )
        };
        let Some(url) = url else {
            tracing::warn!(target: "flags", "{name}: an event stream has no usable URL; ignored");
            return;
        };
        let mut request = Request::get(url)
            .header("Accept", "text/event-stream")
            .header("Cache-Control", "no-cache");
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id.clone());
        }
        match transport.open_stream(request).await {
            Ok(open) if open.status() == 204 => {
                // The SSE standard's "stop reconnecting".
                tracing::debug!(target: "flags", "{name}: the event stream answered 204; not listening");
                return;
            }
            Ok(mut open) if open.status() == 200 => {
                let opened = Instant::now();
                if let Some(inner) = weak.upgrade() {
                    inner
                        .control
                        .stream_stats
                        .connections
                        .fetch_add(1, Ordering::Relaxed);
                    if connected_before {
                        // Messages may have been missed while disconnected.
                        let _ = inner.refresh_bulk(Trigger::Reconnect).await;
                    }
                }
                connected_before = true;
                let mut parser = SseParser::new(MAX_EVENT);
                let content_type = open.header("content-type").unwrap_or("text/event-stream");
                if !content_type
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/event-stream")
                {
                    tracing::debug!(target: "flags", "{name}: the event stream is not `text/event-stream`; retrying");
                    failures = failures.saturating_add(1);
                    tokio::time::sleep(reconnect_delay(server_retry, failures)).await;
                    continue;
                }
                loop {
                    let chunk = match tokio::time::timeout(STREAM_IDLE, open.chunk()).await {
                        Ok(Ok(Some(chunk))) => chunk,
                        Ok(Ok(None)) => break,
                        Ok(Err(error)) => {
                            tracing::debug!(target: "flags", "{name}: the event stream failed: {error}");
                            break;
                        }
                        Err(_) => {
                            tracing::debug!(target: "flags", "{name}: the event stream is silent; reconnecting");
                            break;
                        }
                    };
                    let events = parser.feed(&chunk);
                    if events.is_empty() {
                        continue;
                    }
                    let Some(inner) = weak.upgrade() else { return };
                    // Several messages in one read make one refetch, with the last one's
                    // metadata.
                    let mut refetch = None;
                    for event in &events {
                        match event.refetch() {
                            Some(found) => {
                                inner
                                    .control
                                    .stream_stats
                                    .refetch_messages
                                    .fetch_add(1, Ordering::Relaxed);
                                refetch = Some(found);
                            }
                            None => {
                                inner
                                    .control
                                    .stream_stats
                                    .ignored_messages
                                    .fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    if let Some(event) = refetch {
                        let _ = inner.refresh_bulk(Trigger::Event(event)).await;
                    }
                    if inner.fatal.load(Ordering::Relaxed) {
                        return;
                    }
                }
                if let Some(inner) = weak.upgrade() {
                    let stats = &inner.control.stream_stats;
                    tracing::debug!(
                        target: "flags",
                        "{name}: event stream closed; {} connections, {} refetch messages, {} other messages ignored so far",
                        stats.connections.load(Ordering::Relaxed),
                        stats.refetch_messages.load(Ordering::Relaxed),
                        stats.ignored_messages.load(Ordering::Relaxed)
                    );
                }
                server_retry = parser.retry().or(server_retry);
                last_id = parser.last_id().map(str::to_owned).or(last_id);
                // A server that keeps dropping streams early gets fewer and fewer attempts.
                if opened.elapsed() >= STABLE_CONNECTION {
                    failures = 0;
                }
            }
            Ok(open) => {
                tracing::debug!(
                    target: "flags",
                    "{name}: the event stream answered {}; retrying",
                    open.status()
                );
            }
            Err(error) => {
                tracing::debug!(target: "flags", "{name}: cannot open the event stream: {error}");
            }
        }
        failures = failures.saturating_add(1);
        tokio::time::sleep(reconnect_delay(server_retry, failures)).await;
    }
}

/// The wait before reconnection attempt `failures` (1 for the first): the server's `retry:`
/// (or 1 s) doubled per consecutive failure, capped at 60 s, half of it random.
pub(super) fn reconnect_delay(server_retry: Option<Duration>, failures: u32) -> Duration {
    let base = server_retry
        .unwrap_or(RECONNECT_DELAY)
        .clamp(MIN_RECONNECT, MAX_RECONNECT);
    let doublings = failures.saturating_sub(1).min(16);
    let ceiling = base
        .checked_mul(1 << doublings)
        .unwrap_or(MAX_RECONNECT)
        .min(MAX_RECONNECT);
    let half = ceiling / 2;
    half + crate::transport::jitter(ceiling - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_grow_within_their_bounds() {
        for _ in 0..50 {
            let first = reconnect_delay(None, 1);
            assert!(
                (RECONNECT_DELAY / 2..=RECONNECT_DELAY).contains(&first),
                "{first:?}"
            );
            let asked = reconnect_delay(Some(Duration::from_millis(200)), 3);
            let ceiling = Duration::from_millis(800);
            assert!((ceiling / 2..=ceiling).contains(&asked), "{asked:?}");
            // A server asking for no delay still gets the floor; one asking for hours, the cap.
            assert!(reconnect_delay(Some(Duration::ZERO), 1) >= MIN_RECONNECT / 2);
            assert!(reconnect_delay(Some(Duration::from_secs(7200)), 1) <= MAX_RECONNECT);
            assert!(reconnect_delay(None, u32::MAX) <= MAX_RECONNECT);
            assert!(reconnect_delay(None, u32::MAX) >= MAX_RECONNECT / 2);
        }
    }
}
