//! What one read costs across the two SDKs: a `flags` read through `OpenFeatureProvider`, an
//! `open-feature` read through `FlagsProvider`, and the plain async read for comparison. Each
//! read is awaited with `block_on` on a single-threaded tokio runtime (its cost is in the
//! baseline).
//!
//! ```text
//! cargo bench -p flags-openfeature --bench openfeature
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use flags_openfeature::{FlagsProvider, OpenFeatureProvider};
use flags_runtime::{Client, Context, FlagKey};
use open_feature::provider::{FeatureProvider, ProviderMetadata, ResolutionDetails};
use open_feature::{
    EvaluationContext, EvaluationError, EvaluationErrorCode, EvaluationReason, EvaluationResult,
    OpenFeature, StructValue,
};

const FLAGS: &str = r#"{"flags": {"on": {"state": "ENABLED", "variants": {"yes": true, "no": false}, "defaultVariant": "yes"}}}"#;

/// An OpenFeature provider with one static boolean flag: the least a provider can do.
struct Static(ProviderMetadata);

fn unsupported<T>() -> EvaluationResult<T> {
    Err(EvaluationError {
        code: EvaluationErrorCode::TypeMismatch,
        message: None,
    })
}

#[open_feature::async_trait]
impl FeatureProvider for Static {
    fn metadata(&self) -> &ProviderMetadata {
        &self.0
    }
    async fn resolve_bool_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        Ok(ResolutionDetails {
            value: true,
            variant: Some("yes".into()),
            reason: Some(EvaluationReason::Static),
            flag_metadata: None,
        })
    }
    async fn resolve_int_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        unsupported()
    }
    async fn resolve_float_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        unsupported()
    }
    async fn resolve_string_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        unsupported()
    }
    async fn resolve_struct_value(
        &self,
        _: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        unsupported()
    }
}

fn reads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = FlagKey::<bool>::new("on", false);
    let ctx = Context::new("user-1").with("plan", "premium");
    let mut group = c.benchmark_group("openfeature");

    let direct = Client::builder()
        .in_process(flags_runtime::source::json(FLAGS))
        .build()
        .unwrap();
    group.bench_function("flags details_async, in process (baseline)", |b| {
        b.iter(|| runtime.block_on(direct.details_async(&key, &ctx)))
    });

    let adapted = Client::builder()
        .provider(OpenFeatureProvider::new(Static(ProviderMetadata::new(
            "static",
        ))))
        .build()
        .unwrap();
    assert!(runtime.block_on(adapted.value_async(&key, &ctx)));
    group.bench_function("flags details_async through OpenFeatureProvider", |b| {
        b.iter(|| runtime.block_on(adapted.details_async(&key, &ctx)))
    });

    let blocking = adapted.clone().blocking();
    group.bench_function("flags::blocking read through OpenFeatureProvider", |b| {
        b.iter(|| blocking.details(&key, &ctx))
    });

    let of = runtime.block_on(async {
        let mut api = OpenFeature::default();
        api.set_provider(FlagsProvider::new(direct.clone())).await;
        api.create_client()
    });
    let of_ctx = EvaluationContext::default()
        .with_targeting_key("user-1")
        .with_custom_field("plan", "premium");
    assert_eq!(
        runtime.block_on(of.get_bool_value("on", Some(&of_ctx), None)),
        Ok(true)
    );
    group.bench_function("open-feature get_bool_details through FlagsProvider", |b| {
        b.iter(|| runtime.block_on(of.get_bool_details("on", Some(&of_ctx), None)))
    });
    group.finish();
}

criterion_group!(benches, reads);
criterion_main!(benches);
