//! Per-evaluation answers: each flag asked for concurrently within one deadline, through
//! the cache when there is one.

use super::*;

impl Inner {
    /// Resolves every `(flag, context)` pair, concurrently (identical requests are coalesced
    /// by the transport), answering in the same order, all within one deadline (the
    /// transport's, from now); the `bool` says whether an answer came from the cache.
    pub(super) async fn resolve_each(self: Arc<Self>, queries: Vec<Query>) -> Vec<Fetched> {
        let deadline = Deadline::after(self.transport.deadline());
        let mut tasks = Vec::with_capacity(queries.len());
        for query in queries {
            let inner = self.clone();
            let key = query.key.clone();
            tasks.push((
                key,
                tokio::spawn(async move { inner.resolve(&query, deadline).await }),
            ));
        }
        let mut out = Vec::with_capacity(tasks.len());
        for (key, task) in tasks {
            // A panic in user code (a `headers_factory`) ends only this flag's task.
            out.push(task.await.unwrap_or_else(|_| {
                let message = format!(
                    "{}: the evaluation of `{key}` failed: the provider panicked (in \
                     `headers_factory`?)",
                    self.name
                );
                Fetched {
                    resolution: Arc::new(Resolution::error(ErrorCode::General, message)),
                    cached: false,
                }
            }));
        }
        out
    }

    pub(super) async fn resolve(&self, query: &Query, deadline: Deadline) -> Fetched {
        let ctx = &query.context;
        if let Some(cache) = &self.cache
            && let Some(hit) = cache.get(&query.key, query.type_id, ctx)
        {
            return Fetched {
                resolution: hit,
                cached: true,
            };
        }
        let resolution = Arc::new(self.fetch_one(&query.key, ctx, deadline).await);
        if let Some(cache) = &self.cache {
            cache.insert(&query.key, query.type_id, ctx, resolution.clone());
        }
        Fetched {
            resolution,
            cached: false,
        }
    }

    pub(super) async fn fetch_one(
        &self,
        key: &str,
        ctx: &Context,
        deadline: Deadline,
    ) -> Resolution {
        if self.stopped.load(Ordering::Relaxed) {
            return Resolution::error(
                ErrorCode::ProviderNotReady,
                format!("{} is shut down", self.name),
            );
        }
        if self.fatal.load(Ordering::Relaxed) {
            return Resolution::error(
                ErrorCode::ProviderFatal,
                format!(
                    "{} refused the credentials; the provider stopped (FATAL)",
                    self.name
                ),
            );
        }
        match &self.protocol {
            Protocol::Ofrep(config) => {
                let request = match ofrep::single_url(&config.base_url, key)
                    .and_then(|url| ofrep::request_body(ctx).map(|body| (url, body)))
                {
                    Ok((url, body)) => Request::post_json(url, body),
                    Err(error) => return from_error(error),
                };
                let (status, content_type, body) =
                    match answered(self.transport.send_until(request, deadline).await) {
                        Ok(answer) => answer,
                        Err(error) => return self.transport_failure(&error),
                    };
                let answer = ofrep::parse_single(key, status, content_type.as_deref(), &body);
                if answer.signal == Some(Signal::Fatal) {
                    self.go_fatal(&answer.resolution);
                }
                answer.resolution
            }
            Protocol::Flagship(config) => {
                let request = match crate::wire::flagship::evaluate_request(config, key, ctx) {
                    Ok(FlagshipRequest::Get { url }) => Request::get(url),
                    Ok(FlagshipRequest::Post { url, body }) => Request::post_json(url, body),
                    Err(error) => return from_error(error),
                };
                let mut request = request;
                for (name, value) in config.request_headers() {
                    request = request.header(name, value);
                }
                let (status, content_type, body) =
                    match answered(self.transport.send_until(request, deadline).await) {
                        Ok(answer) => answer,
                        Err(error) => return self.transport_failure(&error),
                    };
                crate::wire::flagship::parse_evaluate(key, status, content_type.as_deref(), &body)
            }
            Protocol::FlagKit(fk) if !fk.is_bulk() => {
                self.flagkit_evaluate(fk, key, ctx, deadline).await
            }
            Protocol::OfrepBulk { .. } | Protocol::FlagKit(_) => match self.bulk.load_full() {
                Some(bulk) => match bulk.flags.get(key) {
                    Some(resolution) => resolution.clone(),
                    None => Resolution::error(
                        ErrorCode::FlagNotFound,
                        format!("flag `{key}` is not in the bulk evaluation"),
                    ),
                },
                None => Resolution::error(
                    ErrorCode::ProviderNotReady,
                    "the bulk evaluation has not arrived yet",
                ),
            },
        }
    }

    /// `true` once the service refused the credentials (FATAL).
    pub(super) fn is_fatal(&self) -> bool {
        self.fatal.load(Ordering::Relaxed)
    }

    pub(super) fn transport_failure(&self, error: &TransportError) -> Resolution {
        Resolution::error(ErrorCode::General, format!("{}: {error}", self.name))
    }

    pub(super) fn go_fatal(&self, resolution: &Resolution) {
        if !self.fatal.swap(true, Ordering::Relaxed) {
            let message = resolution.error.as_ref().map_or_else(
                || "credentials refused".to_owned(),
                |e| e.message.to_string(),
            );
            self.events.set_status(ProviderStatus::Fatal);
            // No more listening either.
            self.control.streams.send_replace(Vec::new());
            if let Some(cache) = &self.cache {
                cache.clear();
            }
            // Bulk reads stop answering from the last evaluation (OpenFeature 1.7.8): every
            // read gets the caller's default with PROVIDER_FATAL.
            if matches!(
                self.protocol,
                Protocol::OfrepBulk { .. } | Protocol::FlagKit(_)
            ) {
                self.bulk
                    .store(Some(Arc::new(crate::wire::ofrep::Bulk::gated(
                        EvaluationError::new(
                            ErrorCode::ProviderFatal,
                            format!("{}: {message}", self.name),
                        ),
                    ))));
            }
            self.events.emit(
                EventDetails::new(ProviderEvent::Error, self.name.clone())
                    .with_message(message)
                    .with_error_code(ErrorCode::ProviderFatal),
            );
        }
    }
}

/// An answer to read (a success or an HTTP error status): status, content type and body; or
/// the failure that left no answer.
pub(super) fn answered(
    sent: Result<crate::transport::Response, TransportError>,
) -> Result<(u16, Option<String>, bytes::Bytes), TransportError> {
    match sent {
        Ok(response) => Ok((
            response.status,
            response.content_type().map(str::to_owned),
            response.body,
        )),
        Err(TransportError::Status {
            status,
            content_type,
            body,
            ..
        }) => Ok((status, content_type, body)),
        Err(error) => Err(error),
    }
}

pub(super) fn from_error(error: EvaluationError) -> Resolution {
    Resolution {
        value: None,
        variant: None,
        reason: crate::details::Reason::Error,
        error: Some(error),
        metadata: crate::details::FlagMetadata::empty(),
    }
}
