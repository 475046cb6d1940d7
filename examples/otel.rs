//! Records flag evaluations with OpenTelemetry (feature `otel`): an event on the current span,
//! a log record and a count per evaluation. The SDK's in-memory exporters stand in for the
//! exporter an application would install (OTLP, stdout, ...); what they received is printed
//! and checked.
//!
//! ```text
//! cargo run --example otel --features otel
//! ```

use flags::otel::OtelHook;
use flags::{Client, Context, Flags};
use opentelemetry::trace::{Tracer, TracerProvider};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

#[derive(Flags)]
#[flags(schema = "examples/flags.json")]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
    #[flags(default = 10)]
    upload_limit: i64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The application's OpenTelemetry set-up.
    let spans = InMemorySpanExporter::default();
    let tracing = SdkTracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    let logs = InMemoryLogExporter::default();
    let logging = SdkLoggerProvider::builder()
        .with_simple_exporter(logs.clone())
        .build();
    let metrics = InMemoryMetricExporter::default();
    let metering = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metrics.clone()).build())
        .build();

    // One hook on the client: span events on whatever span is current, log records, a counter.
    // `OtelHook::new()` alone uses the global meter provider and emits no log records.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/flags.json");
    let client = Client::builder()
        .in_process(flags::source::file(path))
        .build()?;
    client.add_hook(
        OtelHook::new()
            .meter_provider(&metering)
            .log_records(&logging),
    );

    // A request handled inside a span: its evaluations become events of that span.
    tracing.tracer("shop").in_span("GET /checkout", |_| {
        let checkout: Checkout = client.flags(&Context::new("user-123").with("plan", "premium"));
        println!(
            "new checkout {}, upload limit {} MiB",
            checkout.enabled, checkout.upload_limit
        );
    });

    for span in spans.get_finished_spans()? {
        println!("span {:?}: {} events", span.name, span.events.events.len());
        for event in &span.events.events {
            let attributes: Vec<String> = event
                .attributes
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect();
            println!("  {} {}", event.name, attributes.join(" "));
        }
        assert_eq!(span.events.events.len(), 2, "one event per flag read");
    }
    let records = logs.get_emitted_logs()?;
    println!("{} log records", records.len());
    assert_eq!(records.len(), 2);
    metering.force_flush()?;
    for resource in metrics.get_finished_metrics()? {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                if let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() {
                    let total: u64 = sum.data_points().map(|p| p.value()).sum();
                    println!("{}: {total}", metric.name());
                    assert_eq!(total, 2);
                }
            }
        }
    }
    tracing.shutdown()?;
    logging.shutdown()?;
    metering.shutdown()?;
    Ok(())
}
