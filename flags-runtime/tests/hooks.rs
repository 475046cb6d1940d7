//! Hooks: order, hints, per-hook data, failures, context merge, built-in hooks.
//!
//! The API state is global to the process: every test here holds `LOCK` and leaves the API
//! clean.

use std::sync::{Arc, Mutex, MutexGuard};

use flags_runtime::telemetry::{EVALUATION_EVENT, EvaluationEvent, LoggingHook, TelemetryHook};
use flags_runtime::{
    Client, Context, ErrorCode, Evaluation, EvaluationDetails, EvaluationError, EvaluationOptions,
    FlagKey, FlagMetadata, FlagType, Flags, Hook, HookContext, HookHints, InMemory, InMemoryFlag,
    MetadataValue, Reason, Value, api, with_transaction_context, with_transaction_context_async,
};

static LOCK: Mutex<()> = Mutex::new(());

/// Serialises the tests and resets the API before and after each.
struct Clean(#[allow(dead_code)] MutexGuard<'static, ()>);

fn clean() -> Clean {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    api().shutdown();
    Clean(guard)
}

impl Drop for Clean {
    fn drop(&mut self) {
        api().shutdown();
    }
}

type Log = Arc<Mutex<Vec<String>>>;

/// Logs `<name> <stage>` for each stage; can be told to fail or panic at a stage.
struct Probe {
    name: &'static str,
    log: Log,
    fail: Option<&'static str>,
    panic: Option<&'static str>,
}

impl Probe {
    fn new(name: &'static str, log: &Log) -> Probe {
        Probe {
            name,
            log: log.clone(),
            fail: None,
            panic: None,
        }
    }

    fn failing(mut self, stage: &'static str) -> Probe {
        self.fail = Some(stage);
        self
    }

    fn panicking(mut self, stage: &'static str) -> Probe {
        self.panic = Some(stage);
        self
    }

    fn stage(&self, stage: &str) -> Result<(), EvaluationError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} {stage}", self.name));
        if self.panic == Some(stage) {
            panic!("{} panics in {stage}", self.name);
        }
        if self.fail == Some(stage) {
            return Err(EvaluationError::new(
                ErrorCode::InvalidContext,
                format!("{} refuses", self.name),
            ));
        }
        Ok(())
    }
}

impl Hook for Probe {
    fn before(
        &self,
        _ctx: &mut HookContext<'_>,
        _hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        self.stage("before").map(|()| None)
    }

    fn after(
        &self,
        _ctx: &mut HookContext<'_>,
        _details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) -> Result<(), EvaluationError> {
        self.stage("after")
    }

    fn error(&self, _ctx: &mut HookContext<'_>, error: &EvaluationError, _hints: &HookHints) {
        let _ = self.stage(&format!("error({})", error.code));
    }

    fn finally(
        &self,
        _ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) {
        let _ = self.stage(&format!("finally({})", details.reason));
    }
}

fn flags() -> InMemory {
    InMemory::new([
        (
            "limit",
            InMemoryFlag::new([("low", 10), ("high", 100)]).default_variant("high"),
        ),
        (
            "greeting",
            InMemoryFlag::new([("hi", "hi"), ("hello", "hello")]).default_variant("hi"),
        ),
    ])
}

fn log_of(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[test]
fn stages_run_in_the_specified_order() {
    let _clean = clean();
    let log = Log::default();
    api().add_hook(Probe::new("api1", &log));
    api().add_hook(Probe::new("api2", &log));
    let client = flags().with_hook(Probe::new("provider", &log)).client();
    client.add_hook(Probe::new("client", &log));
    let options = EvaluationOptions::new().with_hook(Probe::new("invocation", &log));
    let limit = FlagKey::<i64>::new("limit", 1);

    let details = client.details_with(&limit, &Context::anonymous(), &options);
    assert_eq!(details.value, 100);
    assert_eq!(
        log_of(&log),
        [
            "api1 before",
            "api2 before",
            "client before",
            "invocation before",
            "provider before",
            "provider after",
            "invocation after",
            "client after",
            "api2 after",
            "api1 after",
            "provider finally(STATIC)",
            "invocation finally(STATIC)",
            "client finally(STATIC)",
            "api2 finally(STATIC)",
            "api1 finally(STATIC)",
        ]
    );
}

#[test]
fn a_resolution_error_runs_error_hooks_not_after_hooks() {
    let _clean = clean();
    let log = Log::default();
    let client = flags().client();
    client.add_hook(Probe::new("a", &log));
    client.add_hook(Probe::new("b", &log));
    let missing = FlagKey::<bool>::new("missing", true);
    let details = client.details(&missing, &Context::anonymous());
    assert!(details.value);
    assert_eq!(details.error_code(), Some(ErrorCode::FlagNotFound));
    assert_eq!(
        log_of(&log),
        [
            "a before",
            "b before",
            "b error(FLAG_NOT_FOUND)",
            "a error(FLAG_NOT_FOUND)",
            "b finally(ERROR)",
            "a finally(ERROR)",
        ]
    );
}

#[test]
fn a_failing_before_hook_gives_the_default_and_skips_the_rest_of_the_stage() {
    let _clean = clean();
    let log = Log::default();
    let client = flags().client();
    client.add_hook(Probe::new("a", &log));
    client.add_hook(Probe::new("b", &log).failing("before"));
    client.add_hook(Probe::new("c", &log));
    let limit = FlagKey::<i64>::new("limit", 7);
    let details = client.details(&limit, &Context::anonymous());
    assert_eq!(details.value, 7);
    assert_eq!(details.reason, Reason::Error);
    assert_eq!(details.error_code(), Some(ErrorCode::InvalidContext));
    assert_eq!(details.error_message(), Some("b refuses"));
    assert_eq!(
        log_of(&log),
        [
            "a before",
            "b before",
            "c error(INVALID_CONTEXT)",
            "b error(INVALID_CONTEXT)",
            "a error(INVALID_CONTEXT)",
            "c finally(ERROR)",
            "b finally(ERROR)",
            "a finally(ERROR)",
        ]
    );
    // `value` takes the same path.
    assert_eq!(client.value(&limit, &Context::anonymous()), 7);
}

#[test]
fn a_failing_after_hook_gives_the_default_and_skips_the_rest_of_the_stage() {
    let _clean = clean();
    let log = Log::default();
    let client = flags().client();
    client.add_hook(Probe::new("a", &log));
    client.add_hook(Probe::new("b", &log).failing("after"));
    client.add_hook(Probe::new("c", &log));
    let limit = FlagKey::<i64>::new("limit", 7);
    let details = client.details(&limit, &Context::anonymous());
    assert_eq!(details.value, 7);
    assert_eq!(details.error_code(), Some(ErrorCode::InvalidContext));
    assert_eq!(details.variant, None);
    assert_eq!(
        log_of(&log),
        [
            "a before",
            "b before",
            "c before",
            "c after",
            "b after",
            "c error(INVALID_CONTEXT)",
            "b error(INVALID_CONTEXT)",
            "a error(INVALID_CONTEXT)",
            "c finally(ERROR)",
            "b finally(ERROR)",
            "a finally(ERROR)",
        ]
    );
}

#[test]
fn panicking_hooks_never_break_an_evaluation() {
    let _clean = clean();
    let log = Log::default();
    let client = flags().client();
    client.add_hook(Probe::new("a", &log).panicking("finally(STATIC)"));
    client.add_hook(Probe::new("b", &log).panicking("finally(STATIC)"));
    let limit = FlagKey::<i64>::new("limit", 7);
    // Panics in `finally` are swallowed: the value stands and every `finally` ran.
    assert_eq!(client.value(&limit, &Context::anonymous()), 100);
    assert_eq!(
        log_of(&log),
        [
            "a before",
            "b before",
            "b after",
            "a after",
            "b finally(STATIC)",
            "a finally(STATIC)"
        ]
    );

    // A panic in `before` is an error: the default, GENERAL, error hooks (which may panic too).
    log.lock().unwrap().clear();
    client.clear_hooks();
    client.add_hook(Probe::new("a", &log).panicking("error(GENERAL)"));
    client.add_hook(Probe::new("b", &log).panicking("before"));
    let details = client.details(&limit, &Context::anonymous());
    assert_eq!(details.value, 7);
    assert_eq!(details.error_code(), Some(ErrorCode::General));
    assert_eq!(
        log_of(&log),
        [
            "a before",
            "b before",
            "b error(GENERAL)",
            "a error(GENERAL)",
            "b finally(ERROR)",
            "a finally(ERROR)",
        ]
    );
}

/// Checks what a hook sees, and keeps data between its stages.
struct Inspector {
    seen: Arc<Mutex<Vec<String>>>,
}

impl Hook for Inspector {
    fn before(
        &self,
        ctx: &mut HookContext<'_>,
        hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        assert!(ctx.data().is_empty(), "hook data starts empty");
        ctx.data_mut().set("count", 1u32);
        self.seen.lock().unwrap().push(format!(
            "before key={} type={:?} rust={} default={:?} default_as={:?} client={:?} provider={} hint={:?}",
            ctx.flag_key(),
            ctx.flag_type(),
            ctx.type_name(),
            ctx.default_value(),
            ctx.default_as::<i64>(),
            ctx.client_metadata().domain,
            ctx.provider_metadata().name,
            hints.get("route"),
        ));
        Ok(None)
    }

    fn after(
        &self,
        ctx: &mut HookContext<'_>,
        details: &EvaluationDetails<Value>,
        _hints: &HookHints,
    ) -> Result<(), EvaluationError> {
        let count = *ctx
            .data()
            .get::<u32>("count")
            .expect("data kept from before");
        ctx.data_mut().set("count", count + 1);
        self.seen.lock().unwrap().push(format!(
            "after value={:?} count={}",
            details.value,
            count + 1
        ));
        Ok(())
    }

    fn finally(
        &self,
        ctx: &mut HookContext<'_>,
        _details: &EvaluationDetails<Value>,
        hints: &HookHints,
    ) {
        self.seen.lock().unwrap().push(format!(
            "finally count={:?} wrong type={:?} hints={}",
            ctx.data().get::<u32>("count"),
            ctx.data().get::<String>("count"),
            hints.iter().count()
        ));
    }
}

#[test]
fn hooks_see_the_evaluation_hints_and_their_own_data() {
    let _clean = clean();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = flags().client().with_domain("checkout");
    let inspector: Arc<dyn Hook> = Arc::new(Inspector { seen: seen.clone() });
    // The same hook instance twice: each registration has its own data.
    client.add_shared_hook(inspector.clone());
    let options = EvaluationOptions::new()
        .with_shared_hook(inspector)
        .with_hints(HookHints::new().with("route", "/upload").with("n", 2));
    let limit = FlagKey::<i64>::new("limit", 1);
    assert_eq!(
        client.value_with(&limit, &Context::anonymous(), &options),
        100
    );
    let seen = seen.lock().unwrap().clone();
    let before = "before key=limit type=Some(Integer) rust=i64 default=Int(1) default_as=Some(1) \
                  client=Some(\"checkout\") provider=in-memory hint=Some(String(\"/upload\"))";
    assert_eq!(
        seen,
        [
            before,
            before,
            "after value=Int(100) count=2",
            "after value=Int(100) count=2",
            "finally count=Some(2) wrong type=None hints=2",
            "finally count=Some(2) wrong type=None hints=2",
        ]
    );
}

/// Records the context the provider resolved with.
fn recording_flags(seen: &Arc<Mutex<Option<Context>>>) -> InMemory {
    let seen = seen.clone();
    InMemory::new([(
        "probe",
        InMemoryFlag::new([("on", true), ("off", false)])
            .default_variant("off")
            .context_evaluator(move |ctx| {
                *seen.lock().unwrap() = Some(ctx.clone());
                None
            }),
    )])
}

struct AddContext(Context);

impl Hook for AddContext {
    fn before(
        &self,
        ctx: &mut HookContext<'_>,
        _hints: &HookHints,
    ) -> Result<Option<Context>, EvaluationError> {
        // Earlier `before` results are visible to later hooks.
        let mut added = self.0.clone();
        if let Some(previous) = ctx.context().get("hook") {
            added.set("previous-hook", previous.clone());
        }
        Ok(Some(added))
    }
}

#[test]
fn contexts_merge_from_api_to_before_hooks() {
    let _clean = clean();
    let seen = Arc::new(Mutex::new(None));
    let client = recording_flags(&seen).client();
    let probe = FlagKey::<bool>::new("probe", true);
    let levels = ["api", "transaction", "client", "invocation", "hook"];
    let level = |name: &str, upto: usize| {
        // Each level sets `k` to its name and a key of its own.
        let mut ctx = Context::anonymous().with(name, true);
        if levels.iter().position(|l| *l == name).unwrap() <= upto {
            ctx.set("k", name);
        }
        ctx
    };
    for upto in 0..levels.len() {
        api().set_context(level("api", upto).with_targeting_key("api-user"));
        client.set_context(level("client", upto));
        client.clear_hooks();
        client.add_hook(AddContext(level("hook", upto)));
        client.add_hook(AddContext(Context::anonymous().with("second-hook", 1)));
        let invocation = level("invocation", upto);
        with_transaction_context(level("transaction", upto), || {
            client.value(&probe, &invocation);
        });
        let seen = seen.lock().unwrap().take().expect("the provider resolved");
        assert_eq!(
            seen.get("k").and_then(Value::as_str),
            Some(levels[upto]),
            "up to {}",
            levels[upto]
        );
        for name in levels {
            assert_eq!(seen.get(name), Some(&Value::Bool(true)), "{name} merged");
        }
        assert_eq!(seen.get("previous-hook"), Some(&Value::Bool(true)));
        assert_eq!(seen.targeting_key(), Some("api-user"));
        // The caller's context is untouched.
        assert_eq!(invocation, level("invocation", upto));
    }

    // Outside the transaction, the transaction level is gone.
    client.value(&probe, &Context::anonymous());
    let seen = seen.lock().unwrap().take().unwrap();
    assert_eq!(seen.get("transaction"), None);
    assert_eq!(seen.get("api"), Some(&Value::Bool(true)));
}

#[test]
fn the_transaction_context_follows_a_task() {
    let _clean = clean();
    let seen = Arc::new(Mutex::new(None));
    let client = recording_flags(&seen).client();
    let probe = FlagKey::<bool>::new("probe", true);
    let task = with_transaction_context_async(Context::new("request-user"), async {
        client.details_async(&probe, &Context::anonymous()).await
    });
    let mut task = std::pin::pin!(task);
    let poll = task
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    assert!(poll.is_ready());
    let seen = seen.lock().unwrap().take().unwrap();
    assert_eq!(seen.targeting_key(), Some("request-user"));
    assert!(flags_runtime::transaction_context().is_none());
}

use std::future::Future;

#[test]
fn flags_structs_run_hooks_per_field() {
    let _clean = clean();
    struct Two {
        limit: i64,
        greeting: String,
    }
    impl Flags for Two {
        fn evaluate(evaluation: &Evaluation<'_>) -> Self {
            Two {
                limit: evaluation.value(&FlagKey::new("limit", 1)),
                greeting: evaluation.value(&FlagKey::new("greeting", String::new())),
            }
        }
    }
    let log = Log::default();
    let client = flags().client();
    let two: Two = client.flags(&Context::anonymous());
    assert_eq!((two.limit, two.greeting.as_str()), (100, "hi"));
    client.add_hook(Probe::new("h", &log));
    let two: Two = client.flags(&Context::anonymous());
    assert_eq!((two.limit, two.greeting.as_str()), (100, "hi"));
    assert_eq!(log_of(&log).len(), 6, "three stages for each of two fields");
}

#[test]
fn the_telemetry_hook_reports_every_field() {
    let _clean = clean();
    let events: Arc<Mutex<Vec<EvaluationEvent>>> = Arc::default();
    let sink = events.clone();
    let metadata = FlagMetadata::new(
        [
            ("flagSetId".to_owned(), MetadataValue::String("shop".into())),
            ("version".to_owned(), MetadataValue::String("7".into())),
        ]
        .into(),
    );
    let provider = InMemory::new([(
        "limit",
        InMemoryFlag::new([("low", 10), ("high", 100)])
            .default_variant("high")
            .metadata(metadata),
    )]);
    let client = provider.client();
    client.add_hook(TelemetryHook::new(move |e| {
        sink.lock().unwrap().push(e.clone())
    }));
    let ctx = Context::new("user-9").with("plan", "pro");
    let options = EvaluationOptions::new().with_hints(HookHints::new().with("route", "/x"));
    let limit = FlagKey::<i64>::new("limit", 1);
    let missing = FlagKey::<bool>::new("missing", false);
    assert_eq!(client.value_with(&limit, &ctx, &options), 100);
    assert!(!client.value(&missing, &ctx));

    let events = events.lock().unwrap();
    assert_eq!(events.len(), 2);
    let ok = &events[0];
    assert_eq!(ok.event_type, EVALUATION_EVENT);
    assert_eq!(ok.flag_key, "limit");
    assert_eq!(ok.value, Value::Int(100));
    assert_eq!(ok.reason, Reason::Static);
    assert_eq!(ok.variant.as_deref(), Some("high"));
    assert_eq!((ok.error_code, ok.error_message.as_deref()), (None, None));
    assert_eq!(ok.context, ctx);
    assert_eq!(ok.hints.get("route").and_then(Value::as_str), Some("/x"));
    assert_eq!(&*ok.provider_name, "in-memory");
    assert!(ok.timestamp <= std::time::SystemTime::now());
    let attributes = ok.attributes();
    let attribute = |name: &str| {
        attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(attribute("feature_flag.key"), Some(Value::from("limit")));
    assert_eq!(
        attribute("feature_flag.result.value"),
        Some(Value::Int(100))
    );
    assert_eq!(
        attribute("feature_flag.result.variant"),
        Some(Value::from("high"))
    );
    assert_eq!(
        attribute("feature_flag.result.reason"),
        Some(Value::from("static"))
    );
    assert_eq!(
        attribute("feature_flag.provider.name"),
        Some(Value::from("in-memory"))
    );
    assert_eq!(
        attribute("feature_flag.context.id"),
        Some(Value::from("user-9"))
    );
    assert_eq!(attribute("feature_flag.set.id"), Some(Value::from("shop")));
    assert_eq!(attribute("feature_flag.version"), Some(Value::from("7")));
    assert_eq!(attribute("error.type"), None);

    let failed = &events[1];
    assert_eq!(failed.flag_key, "missing");
    assert_eq!(failed.value, Value::Bool(false));
    assert_eq!(failed.reason, Reason::Error);
    assert_eq!(failed.error_code, Some(ErrorCode::FlagNotFound));
    assert!(failed.error_message.as_deref().unwrap().contains("missing"));
    let attributes = failed.attributes();
    assert!(attributes.contains(&("error.type", Value::from("flag_not_found"))));
    assert!(attributes.iter().any(|(n, _)| *n == "error.message"));
}

#[test]
fn the_logging_hook_changes_nothing() {
    let _clean = clean();
    let client = flags().client();
    let limit = FlagKey::<i64>::new("limit", 1);
    let plain = client.details(&limit, &Context::new("u"));
    client.add_hook(LoggingHook::new().include_context(true));
    api().add_hook(LoggingHook::new());
    assert_eq!(client.details(&limit, &Context::new("u")), plain);
    let missing = FlagKey::<i64>::new("missing", 3);
    assert_eq!(client.value(&missing, &Context::new("u")), 3);
}

#[test]
fn hook_types_follow_the_rust_type() {
    let _clean = clean();
    struct Types(Arc<Mutex<Vec<Option<FlagType>>>>);
    impl Hook for Types {
        fn before(
            &self,
            ctx: &mut HookContext<'_>,
            _hints: &HookHints,
        ) -> Result<Option<Context>, EvaluationError> {
            self.0.lock().unwrap().push(ctx.flag_type());
            Ok(None)
        }
    }
    let seen = Arc::default();
    let client = Client::for_tests();
    client.add_hook(Types(Arc::clone(&seen)));
    let ctx = Context::anonymous();
    client.value(FlagKey::new("a", true), &ctx);
    client.value(FlagKey::new("b", 1i64), &ctx);
    client.value(FlagKey::new("c", 1.5f64), &ctx);
    client.value(FlagKey::new("d", String::new()), &ctx);
    client.value(FlagKey::new("e", serde_json::json!({"a": 1})), &ctx);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            Some(FlagType::Boolean),
            Some(FlagType::Integer),
            Some(FlagType::Float),
            Some(FlagType::String),
            Some(FlagType::Object)
        ]
    );
}

/// A `tracing` subscriber keeping each event's level and fields, as text.
#[derive(Default, Clone)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn the_logging_hook_writes_each_stage_to_tracing() {
    let _clean = clean();
    let capture = Capture::default();
    let client = flags().client();
    client.add_hook(LoggingHook::new());
    let ctx = Context::new("secret-user");
    tracing::subscriber::with_default(capture.clone(), || {
        client.value(FlagKey::<i64>::new("limit", 1), &ctx);
        client.value(FlagKey::<i64>::new("missing", 1), &ctx);
    });
    let records = capture.0.lock().unwrap().clone();
    assert_eq!(records.len(), 4, "{records:?}");
    assert!(records[0].starts_with("DEBUG stage=before flag_key=limit provider=in-memory"));
    assert!(
        records[1].starts_with("DEBUG stage=after flag_key=limit")
            && records[1].contains("value=Int(100)")
            && records[1].contains("variant=high")
            && records[1].contains("reason=STATIC"),
        "{}",
        records[1]
    );
    assert!(records[2].starts_with("DEBUG stage=before flag_key=missing"));
    assert!(
        records[3].starts_with("WARN stage=error flag_key=missing")
            && records[3].contains("error_code=FLAG_NOT_FOUND"),
        "{}",
        records[3]
    );
    assert!(
        records.iter().all(|r| !r.contains("secret-user")),
        "the context stays out by default"
    );

    // Asked for, the context is in every record.
    let capture = Capture::default();
    client.clear_hooks();
    client.add_hook(LoggingHook::new().include_context(true));
    tracing::subscriber::with_default(capture.clone(), || {
        client.value(FlagKey::<i64>::new("limit", 1), &ctx);
    });
    let records = capture.0.lock().unwrap().clone();
    assert!(
        records.iter().all(|r| r.contains("secret-user")),
        "{records:?}"
    );
}

#[test]
fn flags_structs_see_the_merged_context() {
    let _clean = clean();
    struct One {
        on: bool,
    }
    impl Flags for One {
        fn evaluate(evaluation: &Evaluation<'_>) -> Self {
            One {
                on: evaluation.value(&FlagKey::new("beta", false)),
            }
        }
    }
    let provider = InMemory::new([(
        "beta",
        InMemoryFlag::new([("on", true), ("off", false)])
            .default_variant("off")
            .context_evaluator(|ctx| {
                (ctx.get("region").and_then(Value::as_str) == Some("eu")).then(|| "on".to_owned())
            }),
    )]);
    let client = provider.client();
    let ctx = Context::new("u");
    assert!(!client.flags::<One>(&ctx).on);
    api().set_context(Context::anonymous().with("region", "eu"));
    assert!(client.flags::<One>(&ctx).on, "API context, no hooks");
    assert!(client.value(FlagKey::new("beta", false), &ctx));
    api().set_context(Context::anonymous());
    client.set_context(Context::anonymous().with("region", "eu"));
    client.add_hook(LoggingHook::new());
    assert!(client.flags::<One>(&ctx).on, "client context, with hooks");
    // The invocation context wins over the client's.
    assert!(!client.flags::<One>(&ctx.clone().with("region", "us")).on);
}
