//! The OpenTelemetry hook (feature `otel`) against the OpenTelemetry SDK's in-memory span, log
//! and metric exporters: exact attributes, the error path, the current span picked up, the
//! opt-in attributes, and nothing recorded outside a span.

use std::collections::BTreeMap;

use flags_runtime::otel::{EVALUATIONS_COUNTER, OtelHook};
use flags_runtime::{
    Client, Context, FlagKey, FlagMetadata, InMemory, InMemoryFlag, MetadataValue,
};
use opentelemetry::logs::{AnyValue, Severity};
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Key, KeyValue};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

/// The SDK's three pipelines, each ending in its in-memory exporter.
struct Otel {
    spans: InMemorySpanExporter,
    tracer: SdkTracerProvider,
    logs: InMemoryLogExporter,
    logger: SdkLoggerProvider,
    metrics: InMemoryMetricExporter,
    meter: SdkMeterProvider,
}

impl Otel {
    fn new() -> Otel {
        let spans = InMemorySpanExporter::default();
        let logs = InMemoryLogExporter::default();
        let metrics = InMemoryMetricExporter::default();
        Otel {
            tracer: SdkTracerProvider::builder()
                .with_simple_exporter(spans.clone())
                .build(),
            logger: SdkLoggerProvider::builder()
                .with_simple_exporter(logs.clone())
                .build(),
            meter: SdkMeterProvider::builder()
                .with_reader(PeriodicReader::builder(metrics.clone()).build())
                .build(),
            spans,
            logs,
            metrics,
        }
    }

    /// A hook writing to these pipelines (span events go to whatever span is current).
    fn hook(&self) -> OtelHook {
        OtelHook::new()
            .meter_provider(&self.meter)
            .log_records(&self.logger)
    }

    /// Counter data points: attributes (sorted by key) and value.
    fn counts(&self) -> Vec<(Vec<KeyValue>, u64)> {
        self.meter.force_flush().unwrap();
        let mut out = Vec::new();
        for resource in self.metrics.get_finished_metrics().unwrap() {
            for scope in resource.scope_metrics() {
                assert_eq!(scope.scope().name(), "flags");
                for metric in scope.metrics() {
                    assert_eq!(metric.name(), EVALUATIONS_COUNTER);
                    assert_eq!(metric.unit(), "{evaluation}");
                    let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() else {
                        panic!("the counter is a u64 sum: {:?}", metric.data());
                    };
                    assert!(sum.is_monotonic());
                    for point in sum.data_points() {
                        let mut attributes: Vec<KeyValue> = point.attributes().cloned().collect();
                        attributes.sort_by(|a, b| a.key.cmp(&b.key));
                        out.push((attributes, point.value()));
                    }
                }
            }
        }
        // The exporter keeps every export; the next flush exports the totals again.
        self.metrics.reset();
        out.sort_by_key(|(attributes, _)| text(attributes));
        out
    }
}

fn kv(key: &'static str, value: impl Into<opentelemetry::Value>) -> KeyValue {
    KeyValue::new(key, value)
}

/// Attributes as `key=value` text, to order data points.
fn text(attributes: &[KeyValue]) -> String {
    let parts: Vec<String> = attributes
        .iter()
        .map(|kv| format!("{}={}", kv.key, kv.value))
        .collect();
    parts.join(",")
}

fn sorted(mut attributes: Vec<KeyValue>) -> Vec<KeyValue> {
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    attributes
}

fn provider() -> InMemory {
    let metadata = FlagMetadata::new(BTreeMap::from([
        ("flagSetId".to_owned(), MetadataValue::String("shop".into())),
        ("version".to_owned(), MetadataValue::Int(7)),
    ]));
    InMemory::new([
        (
            "limit",
            InMemoryFlag::new([("low", 10), ("high", 100)])
                .default_variant("high")
                .metadata(metadata),
        ),
        (
            "greeting",
            InMemoryFlag::new([("hi", "hi"), ("hello", "hello")]).default_variant("hello"),
        ),
    ])
}

fn limit() -> FlagKey<i64> {
    FlagKey::new("limit", 1)
}

fn missing() -> FlagKey<bool> {
    FlagKey::new("missing", false)
}

fn greeting() -> FlagKey<String> {
    FlagKey::new("greeting", String::new())
}

#[test]
fn evaluations_are_events_on_the_current_span_log_records_and_counts() {
    let otel = Otel::new();
    let client: Client = provider().client();
    client.add_hook(otel.hook());
    let ctx = Context::new("user-9");
    let tracer = otel.tracer.tracer("app");

    let (trace_id, span_id, message) = tracer.in_span("request", |cx| {
        assert_eq!(client.value(limit(), &ctx), 100);
        assert!(!client.value(missing(), &ctx));
        assert_eq!(client.value(limit(), &ctx), 100);
        let message = client
            .details(missing(), &ctx)
            .error_message()
            .unwrap()
            .to_owned();
        let span = cx.span();
        let span_context = span.span_context();
        (span_context.trace_id(), span_context.span_id(), message)
    });
    assert!(!message.is_empty());

    let ok = vec![
        kv("feature_flag.key", "limit"),
        kv("feature_flag.provider.name", "in-memory"),
        kv("feature_flag.result.reason", "static"),
        kv("feature_flag.result.variant", "high"),
        kv("feature_flag.set.id", "shop"),
        kv("feature_flag.version", 7),
    ];
    let failed = vec![
        kv("feature_flag.key", "missing"),
        kv("feature_flag.provider.name", "in-memory"),
        kv("feature_flag.result.reason", "error"),
        kv("error.type", "flag_not_found"),
        kv("error.message", message.clone()),
    ];

    // Span events: on the span current during the evaluation, in order, attributes exact.
    let spans = otel.spans.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.name, "request");
    assert_eq!(span.span_context.span_id(), span_id);
    let events: Vec<_> = span
        .events
        .events
        .iter()
        .map(|e| (e.name.to_string(), sorted(e.attributes.clone())))
        .collect();
    assert_eq!(
        events,
        vec![
            ("feature_flag.evaluation".to_owned(), sorted(ok.clone())),
            ("feature_flag.evaluation".to_owned(), sorted(failed.clone())),
            ("feature_flag.evaluation".to_owned(), sorted(ok.clone())),
            ("feature_flag.evaluation".to_owned(), sorted(failed.clone())),
        ]
    );

    // Log records: same attributes, event name, severity by outcome, the span's trace context.
    let logs = otel.logs.get_emitted_logs().unwrap();
    assert_eq!(logs.len(), 4);
    for (log, (expected, severity)) in logs.iter().zip([
        (&ok, Severity::Info),
        (&failed, Severity::Warn),
        (&ok, Severity::Info),
        (&failed, Severity::Warn),
    ]) {
        let record = &log.record;
        assert_eq!(log.instrumentation.name(), "flags");
        assert_eq!(record.event_name(), Some("feature_flag.evaluation"));
        assert_eq!(record.severity_number(), Some(severity));
        assert!(record.timestamp().is_some());
        let trace = record.trace_context().expect("the current span's context");
        assert_eq!((trace.trace_id, trace.span_id), (trace_id, span_id));
        let mut attributes: Vec<(Key, AnyValue)> = record.attributes_iter().cloned().collect();
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        let want: Vec<(Key, AnyValue)> = sorted(expected.clone())
            .into_iter()
            .map(|kv| {
                let value = match kv.value {
                    opentelemetry::Value::I64(i) => AnyValue::Int(i),
                    opentelemetry::Value::String(s) => AnyValue::String(s),
                    other => panic!("unexpected {other:?}"),
                };
                (kv.key, value)
            })
            .collect();
        assert_eq!(attributes, want);
    }

    // The counter: bounded attributes (no message, value, context id or metadata), summed.
    assert_eq!(
        otel.counts(),
        vec![
            // error.type sorts first.
            (
                sorted(vec![
                    kv("error.type", "flag_not_found"),
                    kv("feature_flag.key", "missing"),
                    kv("feature_flag.provider.name", "in-memory"),
                    kv("feature_flag.result.reason", "error"),
                ]),
                2
            ),
            (
                sorted(vec![
                    kv("feature_flag.key", "limit"),
                    kv("feature_flag.provider.name", "in-memory"),
                    kv("feature_flag.result.reason", "static"),
                    kv("feature_flag.result.variant", "high"),
                ]),
                2
            ),
        ]
    );
}

#[test]
fn value_and_context_id_only_when_asked() {
    let otel = Otel::new();
    let client = provider().client();
    client.add_hook(
        OtelHook::new()
            .without_metrics()
            .include_value(true)
            .include_context_id(true),
    );
    let tracer = otel.tracer.tracer("app");
    tracer.in_span("request", |_| {
        assert_eq!(client.value(greeting(), &Context::new("user-3")), "hello");
        assert_eq!(client.value(limit(), &Context::anonymous()), 100);
    });
    let spans = otel.spans.get_finished_spans().unwrap();
    let events: Vec<_> = spans[0]
        .events
        .events
        .iter()
        .map(|e| sorted(e.attributes.clone()))
        .collect();
    assert_eq!(
        events,
        vec![
            sorted(vec![
                kv("feature_flag.key", "greeting"),
                kv("feature_flag.provider.name", "in-memory"),
                kv("feature_flag.result.reason", "static"),
                kv("feature_flag.result.variant", "hello"),
                kv("feature_flag.result.value", "hello"),
                kv("feature_flag.context.id", "user-3"),
            ]),
            // No targeting key, no contextId: no context id.
            sorted(vec![
                kv("feature_flag.key", "limit"),
                kv("feature_flag.provider.name", "in-memory"),
                kv("feature_flag.result.reason", "static"),
                kv("feature_flag.result.variant", "high"),
                kv("feature_flag.result.value", 100),
                kv("feature_flag.set.id", "shop"),
                kv("feature_flag.version", 7),
            ]),
        ]
    );
    // Neither logs nor metrics were configured for this hook.
    assert!(otel.logs.get_emitted_logs().unwrap().is_empty());
    assert!(otel.counts().is_empty());
}

#[test]
fn without_a_recording_span_only_logs_and_counts() {
    let otel = Otel::new();
    let client = provider().client();
    client.add_hook(otel.hook());
    // No span at all.
    assert_eq!(client.value(limit(), &Context::anonymous()), 100);
    // A span that is not sampled records nothing.
    let unsampled = SdkTracerProvider::builder()
        .with_simple_exporter(otel.spans.clone())
        .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOff)
        .build();
    unsampled.tracer("app").in_span("dropped", |cx| {
        assert!(!cx.span().is_recording());
        assert_eq!(client.value(limit(), &Context::anonymous()), 100);
    });
    assert!(otel.spans.get_finished_spans().unwrap().is_empty());
    let logs = otel.logs.get_emitted_logs().unwrap();
    assert_eq!(logs.len(), 2);
    let counts = otel.counts();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].1, 2);

    // Span events off: a recording span gets none, logs and counts go on.
    let quiet = provider().client();
    quiet.add_hook(otel.hook().span_events(false));
    otel.tracer.tracer("app").in_span("request", |_| {
        assert_eq!(quiet.value(limit(), &Context::anonymous()), 100);
    });
    let spans = otel.spans.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    assert!(spans[0].events.events.is_empty());
    assert_eq!(otel.logs.get_emitted_logs().unwrap().len(), 3);
}
