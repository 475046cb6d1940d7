//! `#[derive(Flags)]` and `#[derive(FlagVariant)]` end to end: every field type, defaults from
//! the schema and from code, `Option` fields, enums, objects, skipped fields, renaming rules,
//! the typed test double, and object values that do not fit their type.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use flags::{Client, Context, ErrorCode, FlagKey, FlagVariant, Flags, Reason};

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/derive.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, FlagVariant)]
#[flags(schema = "tests/fixtures/derive.json")]
enum Hero {
    Control,
    BigPicture,
    Carousel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, FlagVariant)]
#[flags(schema = "tests/fixtures/derive.json", key = "theme")]
enum Theme {
    Dark,
    #[flags(rename = "high-contrast")]
    Contrast,
    /// Every value no other variant reads: `light`, and values added later.
    #[flags(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct UiConfig {
    density: u8,
    title: String,
    panels: Vec<String>,
}

#[derive(Flags)]
#[flags(schema = "tests/fixtures/derive.json")]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
    upload_limit: i64,
    page_size: u8,
    sample_rate: f32,
    greeting: Arc<str>,
    hero: Hero,
    theme: Theme,
    ui_config: UiConfig,
    max_retries: Option<u32>,
    #[flags(default = true)]
    dark_mode: bool,
    #[flags(skip)]
    loaded_at: Option<std::time::Instant>,
}

/// Static flags only, of every kind a key's slot holds: read without the snapshot once read.
#[derive(Flags)]
#[flags(schema = "tests/fixtures/derive.json")]
struct Statics {
    #[flags(key = "new-checkout")]
    enabled: bool,
    upload_limit: i64,
    page_size: u8,
    sample_rate: f32,
    greeting: Arc<str>,
    hero: Hero,
    theme: Theme,
    #[flags(skip)]
    note: String,
}

#[derive(Flags)]
#[flags(schema = "tests/fixtures/derive.json", rename_all = "camelCase")]
struct Camel {
    camel_case_flag: bool,
}

/// An object flag, untyped.
#[derive(Flags)]
#[flags(schema = "tests/fixtures/derive.json")]
struct Untyped {
    #[flags(key = "ui-config")]
    ui_json: serde_json::Value,
}

fn client() -> Client {
    Client::builder()
        .in_process(flags::source::file(SCHEMA))
        .build()
        .unwrap()
}

#[test]
fn every_field_type_reads_its_flag() {
    let checkout: Checkout = client().flags(&Context::new("user-1"));
    assert!(checkout.enabled);
    assert_eq!(checkout.upload_limit, 250);
    assert_eq!(checkout.page_size, 100);
    assert_eq!(checkout.sample_rate, 0.25);
    assert_eq!(&*checkout.greeting, "Hi there");
    assert_eq!(checkout.hero, Hero::BigPicture);
    assert_eq!(checkout.theme, Theme::Dark);
    assert_eq!(
        checkout.ui_config,
        UiConfig {
            density: 1,
            title: "Roomy".into(),
            panels: vec![]
        }
    );
    let untyped: Untyped = client().flags(&Context::anonymous());
    assert_eq!(untyped.ui_json["title"], "Roomy");
    // `defaultVariant: null`: the flag defers to the code, and the field says so.
    assert_eq!(checkout.max_retries, None);
    // Disabled: the code default.
    assert!(checkout.dark_mode);
    assert!(checkout.loaded_at.is_none());
}

/// A struct of static flags reads the same whether its fields come from the snapshot (the
/// first read of a configuration) or from their keys' slots (every later one), and follows
/// each reload: enums by their packed values, a value only the catch-all reads, a value no
/// variant reads.
#[test]
fn a_struct_of_static_flags_follows_every_reload() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("derive-statics");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flags.json");
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SCHEMA).unwrap()).unwrap();
    let write = |hero: &str, theme: &str, on: &str, greeting: &str| {
        let mut flags = base.clone();
        flags["flags"]["hero"]["defaultVariant"] = hero.into();
        flags["flags"]["theme"]["defaultVariant"] = theme.into();
        flags["flags"]["new-checkout"]["defaultVariant"] = on.into();
        flags["flags"]["greeting"]["defaultVariant"] = greeting.into();
        std::fs::write(&path, flags.to_string()).unwrap();
    };
    write("a", "dark", "on", "formal");
    let client = Client::builder()
        .in_process(flags::source::file(&path).watch(false))
        .build()
        .unwrap();
    let rounds = [
        (
            "a",
            "dark",
            "on",
            "formal",
            Hero::Control,
            Theme::Dark,
            true,
            "Good afternoon",
        ),
        (
            "b",
            "contrast",
            "off",
            "casual",
            Hero::BigPicture,
            Theme::Contrast,
            false,
            "Hi there",
        ),
        (
            "c",
            "light",
            "on",
            "casual",
            Hero::Carousel,
            Theme::Other,
            true,
            "Hi there",
        ),
    ];
    for (round, (hero, theme, on, greeting, want_hero, want_theme, want_on, want_greeting)) in
        rounds.into_iter().enumerate()
    {
        if round > 0 {
            write(hero, theme, on, greeting);
            client.refresh().unwrap();
        }
        for _ in 0..3 {
            let statics: Statics = client.flags(&Context::new("user-1"));
            assert_eq!(statics.hero, want_hero, "round {round}");
            assert_eq!(statics.theme, want_theme, "round {round}");
            assert_eq!(statics.enabled, want_on);
            assert_eq!(&*statics.greeting, want_greeting);
            assert_eq!(statics.upload_limit, 250);
            assert_eq!(statics.page_size, 100);
            assert_eq!(statics.sample_rate, 0.25);
            assert!(statics.note.is_empty());
        }
    }
    // A value the closed enum `Hero` does not read: its default, from the slot path too.
    let mut flags = base.clone();
    flags["flags"]["hero"]["variants"]["a"] = "gallery".into();
    flags["flags"]["hero"]["defaultVariant"] = "a".into();
    std::fs::write(&path, flags.to_string()).unwrap();
    client.refresh().unwrap();
    for _ in 0..3 {
        let statics: Statics = client.flags(&Context::new("user-1"));
        assert_eq!(statics.hero, Statics::HERO.default_value());
        assert_eq!(
            client
                .details(Statics::HERO, &Context::new("user-1"))
                .error_code(),
            Some(ErrorCode::TypeMismatch)
        );
    }
}

/// A struct of static flags read again on a thread, for the same configuration, is a copy of
/// the one it read before (its `Arc<str>` is the same allocation). The thread keeps one such
/// struct per type, and lets it go when the configuration changes; another thread keeps its
/// own, and clients of two configurations read on one thread each get theirs.
#[test]
fn a_struct_read_again_is_a_copy_until_the_configuration_changes() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("derive-memo");
    std::fs::create_dir_all(&dir).unwrap();
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SCHEMA).unwrap()).unwrap();
    let write = |name: &str, greeting: &str| {
        let mut flags = base.clone();
        flags["flags"]["greeting"]["defaultVariant"] = greeting.into();
        let path = dir.join(name);
        std::fs::write(&path, flags.to_string()).unwrap();
        path
    };
    let client = Client::builder()
        .in_process(flags::source::file(write("first.json", "formal")).watch(false))
        .build()
        .unwrap();
    let ctx = Context::new("user-1");
    let read = || client.flags::<Statics>(&ctx);
    // The first read of a configuration fills the keys' slots, the second builds the struct
    // from them and keeps a copy, the third copies that.
    let _ = read();
    let kept = read();
    let again = read();
    assert_eq!(&*again.greeting, "Good afternoon");
    assert!(Arc::ptr_eq(&kept.greeting, &again.greeting));
    assert_eq!(
        Arc::strong_count(&kept.greeting),
        3,
        "kept, again, the thread's copy"
    );

    let elsewhere = std::thread::scope(|scope| {
        scope
            .spawn(|| (read().greeting, read().greeting, read().greeting))
            .join()
            .unwrap()
    });
    assert!(Arc::ptr_eq(&elsewhere.1, &elsewhere.2));
    assert!(!Arc::ptr_eq(&elsewhere.2, &kept.greeting));
    assert_eq!(&*elsewhere.2, "Good afternoon");

    write("first.json", "casual");
    client.refresh().unwrap();
    drop(again);
    for _ in 0..3 {
        assert_eq!(&*read().greeting, "Hi there");
    }
    assert_eq!(
        Arc::strong_count(&kept.greeting),
        1,
        "the thread let go of the struct of the configuration before"
    );

    let other = Client::builder()
        .in_process(flags::source::file(write("second.json", "formal")).watch(false))
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(&*read().greeting, "Hi there");
        assert_eq!(&*other.flags::<Statics>(&ctx).greeting, "Good afternoon");
    }
}

/// Read from a thread-local's destructor while the thread exits, before or after the thread's
/// copy of the struct is gone: read all the same, without a panic.
#[test]
fn a_struct_is_read_while_its_thread_exits() {
    struct ReadOnExit(Client, std::sync::mpsc::Sender<String>);
    impl Drop for ReadOnExit {
        fn drop(&mut self) {
            for _ in 0..3 {
                let statics: Statics = self.0.flags(&Context::anonymous());
                let _ = self.1.send(statics.greeting.to_string());
            }
        }
    }
    thread_local! {
        static ON_EXIT: std::cell::RefCell<Option<ReadOnExit>> =
            const { std::cell::RefCell::new(None) };
    }
    for guard_first in [true, false] {
        let (tx, rx) = std::sync::mpsc::channel();
        let client = client();
        std::thread::spawn(move || {
            let reads = |client: &Client| {
                for _ in 0..3 {
                    let _: Statics = client.flags(&Context::anonymous());
                }
            };
            // Destructors run in the reverse order of the first uses.
            if guard_first {
                let copy = client.clone();
                ON_EXIT.with(|guard| *guard.borrow_mut() = Some(ReadOnExit(client, tx)));
                reads(&copy);
            } else {
                reads(&client);
                ON_EXIT.with(|guard| *guard.borrow_mut() = Some(ReadOnExit(client, tx)));
            }
        })
        .join()
        .unwrap();
        let read: Vec<String> = rx.iter().collect();
        assert_eq!(read, ["Hi there"; 3], "guard first: {guard_first}");
    }
}

#[test]
fn typed_keys_carry_the_schema_default_or_the_code_default() {
    assert_eq!(Checkout::ENABLED.key(), "new-checkout");
    assert!(Checkout::ENABLED.default_value());
    assert_eq!(Checkout::PAGE_SIZE.default_value(), 100u8);
    assert_eq!(Checkout::SAMPLE_RATE.default_value(), 0.25f32);
    assert_eq!(&*Checkout::GREETING.default_value(), "Hi there");
    assert_eq!(Checkout::HERO.default_value(), Hero::BigPicture);
    assert_eq!(Checkout::THEME.default_value(), Theme::Dark);
    assert_eq!(Checkout::UI_CONFIG.default_value().title, "Roomy");
    assert_eq!(Checkout::MAX_RETRIES.default_value(), None);
    assert!(Checkout::DARK_MODE.default_value());
    assert_eq!(Camel::CAMEL_CASE_FLAG.key(), "camelCaseFlag");
}

#[test]
fn rename_all_names_keys() {
    let camel: Camel = client().flags(&Context::anonymous());
    assert!(camel.camel_case_flag);
}

#[test]
fn details_of_typed_keys() {
    let client = client();
    let ctx = Context::new("user-1");
    let hero = client.details(Checkout::HERO, &ctx);
    assert_eq!(hero.value, Hero::BigPicture);
    assert_eq!(hero.variant.as_deref(), Some("b"));
    assert_eq!(hero.reason, Reason::Static);
    assert_eq!(hero.flag_metadata.len(), 1);

    let retries = client.details(Checkout::MAX_RETRIES, &ctx);
    assert_eq!((retries.value, retries.reason), (None, Reason::Default));

    let dark = client.details(Checkout::DARK_MODE, &ctx);
    assert_eq!((dark.value, dark.reason), (true, Reason::Disabled));
}

#[test]
fn flag_variant_maps_values_both_ways() {
    assert_eq!(Hero::VALUES, &["control", "big-picture", "carousel"]);
    assert_eq!(Hero::from_value("carousel"), Some(Hero::Carousel));
    assert_eq!(Hero::from_value("unknown"), None);
    assert_eq!(Hero::Control.as_value(), Some("control"));
    assert_eq!(Theme::VALUES, &["dark", "high-contrast"]);
    assert_eq!(Theme::from_value("high-contrast"), Some(Theme::Contrast));
    assert_eq!(Theme::from_value("light"), Some(Theme::Other));
    assert_eq!(Theme::from_value("sepia"), Some(Theme::Other));
    assert_eq!(Theme::Other.as_value(), None);
    // Exhaustive matching follows from Rust.
    let label = match Hero::from_value("control").unwrap() {
        Hero::Control => "control",
        Hero::BigPicture => "big picture",
        Hero::Carousel => "carousel",
    };
    assert_eq!(label, "control");
}

/// A configuration that drifted from the compile-time schema: values out of the field's
/// range, an enum value without variant, an object that does not fit its type.
const DRIFTED: &str = r#"{"flags": {
  "page-size": {"state": "ENABLED", "variants": {"huge": 1000}, "defaultVariant": "huge"},
  "hero": {"state": "ENABLED", "variants": {"x": "new-hero"}, "defaultVariant": "x"},
  "theme": {"state": "ENABLED", "variants": {"x": "sepia"}, "defaultVariant": "x"},
  "ui-config": {"state": "ENABLED",
    "variants": {"bad": {"density": 300, "title": "Bad", "panels": ["a", 7]}},
    "defaultVariant": "bad"}
}}"#;

#[test]
fn values_that_do_not_fit_are_type_mismatches_with_the_code_default() {
    let client = Client::builder()
        .in_process(flags::source::json(DRIFTED))
        .build()
        .unwrap();
    let ctx = Context::anonymous();

    let page = client.details(Checkout::PAGE_SIZE, &ctx);
    assert_eq!(page.value, 100, "the code (schema) default");
    assert_eq!(page.error_code(), Some(ErrorCode::TypeMismatch));
    assert!(page.error_message().unwrap().contains("1000"), "{page:?}");

    let hero = client.details(Checkout::HERO, &ctx);
    assert_eq!(hero.value, Hero::BigPicture);
    assert_eq!(hero.error_code(), Some(ErrorCode::TypeMismatch));
    assert!(
        hero.error_message().unwrap().contains("new-hero"),
        "{hero:?}"
    );

    // The catch-all takes a value added after the build.
    assert_eq!(client.value(Checkout::THEME, &ctx), Theme::Other);

    let ui = client.details(Checkout::UI_CONFIG, &ctx);
    assert_eq!(ui.reason, Reason::Error);
    assert_eq!(ui.error_code(), Some(ErrorCode::TypeMismatch));
    let message = ui.error_message().unwrap();
    // serde's path to the first problem.
    assert!(message.contains("density"), "{message}");
    // The untyped view reads it all the same.
    assert_eq!(client.value(Untyped::UI_JSON, &ctx)["density"], 300);
}

static DECODES: AtomicUsize = AtomicUsize::new(0);

/// Counts how often it is deserialized.
#[derive(Debug, Clone, PartialEq, Default)]
struct Counted(String);

impl<'de> serde::Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            title: String,
        }
        DECODES.fetch_add(1, Ordering::SeqCst);
        Raw::deserialize(d).map(|raw| Counted(raw.title))
    }
}

#[test]
fn objects_are_decoded_once_per_configuration_not_per_read() {
    let dir = std::env::temp_dir().join(format!("flags-derive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flags.json");
    std::fs::copy(SCHEMA, &path).unwrap();
    let client = Client::builder()
        .in_process(flags::source::file(&path).watch(false))
        .build()
        .unwrap();
    let key = FlagKey::<Counted>::new("ui-config", Counted::default());
    let ctx = Context::anonymous();
    let before = DECODES.load(Ordering::SeqCst);
    for _ in 0..100 {
        assert_eq!(client.value(&key, &ctx), Counted("Roomy".into()));
    }
    assert_eq!(
        DECODES.load(Ordering::SeqCst) - before,
        1,
        "one decode for 100 reads"
    );

    // A new configuration decodes the type when it loads (both variants), before any read.
    let text = std::fs::read_to_string(SCHEMA)
        .unwrap()
        .replace("\"Roomy\"", "\"Airy\"");
    std::fs::write(&path, text).unwrap();
    client.refresh().unwrap();
    assert_eq!(
        DECODES.load(Ordering::SeqCst) - before,
        3,
        "decoded at load"
    );
    assert_eq!(client.value(&key, &ctx), Counted("Airy".into()));
    assert_eq!(
        DECODES.load(Ordering::SeqCst) - before,
        3,
        "and not again when read"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn typed_test_doubles_need_no_strings() {
    let client = Client::for_tests()
        .set(Checkout::ENABLED, false)
        .set(Checkout::PAGE_SIZE, 7)
        .set(Checkout::SAMPLE_RATE, 0.5)
        .set(Checkout::GREETING, Arc::from("Hey"))
        .set(Checkout::HERO, Hero::Carousel)
        .set(
            Checkout::UI_CONFIG,
            UiConfig {
                density: 3,
                ..UiConfig::default()
            },
        )
        .set(Checkout::MAX_RETRIES, Some(4));
    let ctx = Context::new("user-1");
    let checkout: Checkout = client.flags(&ctx);
    assert!(!checkout.enabled);
    assert_eq!(checkout.page_size, 7);
    assert_eq!(checkout.sample_rate, 0.5);
    assert_eq!(&*checkout.greeting, "Hey");
    assert_eq!(checkout.hero, Hero::Carousel);
    assert_eq!(checkout.ui_config.density, 3);
    assert_eq!(checkout.max_retries, Some(4));
    // Not set: the code default, reason DEFAULT.
    assert_eq!(checkout.upload_limit, 250);
    assert_eq!(checkout.theme, Theme::Dark);
    let details = client.details(Checkout::THEME, &ctx);
    assert_eq!(details.reason, Reason::Default);
    let details = client.details(Checkout::HERO, &ctx);
    assert_eq!(
        (details.value, details.reason),
        (Hero::Carousel, Reason::Static)
    );

    // Changed through a shared handle; unset again.
    client.set_value(Checkout::HERO, Hero::Control);
    assert_eq!(client.value(Checkout::HERO, &ctx), Hero::Control);
    client.unset(Checkout::HERO);
    assert_eq!(client.value(Checkout::HERO, &ctx), Hero::BigPicture);

    // Code that takes a `&Client` takes the test client.
    fn enabled(client: &Client) -> bool {
        client.value(Checkout::ENABLED, &Context::anonymous())
    }
    assert!(!enabled(&client));
}

/// The variant keys of a Flipt variant flag (`examples/flipt.json`): the default variant and
/// the variants its rules distribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FlagVariant)]
#[flags(schema = "examples/flipt.json", key = "theme")]
enum StoreTheme {
    Light,
    Dark,
}

/// A Flipt namespace typed: boolean flags as `bool`, a variant flag as an enum of its variant
/// keys (or as `String`, below).
#[derive(Flags)]
#[flags(schema = "examples/flipt.json")]
struct Storefront {
    #[flags(key = "new-checkout")]
    checkout: bool,
    theme: StoreTheme,
    maintenance: bool,
}

#[derive(Flags)]
#[flags(schema = "examples/flipt.json")]
struct StorefrontKeys {
    theme: String,
}

#[test]
fn a_flipt_namespace_reads_typed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/flipt.json");
    // Read without its namespace, as the lock records it: each flag serves its default.
    let client = Client::builder()
        .in_process(flags::source::file(path))
        .build()
        .unwrap();
    let front: Storefront = client.flags(&Context::new("u-1"));
    assert!(!front.checkout);
    assert_eq!(front.theme, StoreTheme::Light);
    assert!(!front.maintenance);
    let keys: StorefrontKeys = client.flags(&Context::new("u-1"));
    assert_eq!(keys.theme, "light");
    let details = client.details(Storefront::THEME, &Context::new("u-1"));
    assert_eq!(details.variant.as_deref(), Some("light"));
    // The typed test double over the same keys.
    let test = Client::for_tests().set(Storefront::THEME, StoreTheme::Dark);
    let front: Storefront = test.client().flags(&Context::anonymous());
    assert_eq!(front.theme, StoreTheme::Dark);
}

// --- A Flipt variant flag whose variants carry attachments ------------------------------------

const FLIPT_SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/flipt-checkout.json"
);

/// What a variant of `theme` carries as its attachment (`tests/fixtures/flipt-checkout.json`:
/// `light` and `dark` have one, `plain` none).
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct Palette {
    background: String,
    accent: String,
}

impl Palette {
    fn fallback() -> Palette {
        Palette {
            background: "#fafafa".into(),
            accent: "#777777".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, FlagVariant)]
#[flags(schema = "tests/fixtures/flipt.lock.json", key = "theme")]
enum CheckoutTheme {
    Light,
    Dark,
    Plain,
}

/// The lock marks `theme` (`"attachments": true`): one field reads its attachment, another its
/// variant key.
#[derive(Flags)]
#[flags(schema = "tests/fixtures/flipt.lock.json")]
struct Styled {
    #[flags(key = "theme")]
    palette: Palette,
    #[flags(key = "theme")]
    theme_key: String,
    banner: String,
    new_checkout: bool,
}

/// The key as an enum of the variant keys; the attachment with a default written in code.
#[derive(Flags)]
#[flags(schema = "tests/fixtures/flipt.lock.json")]
struct StyledEnum {
    #[flags(key = "theme", default = Palette::fallback())]
    palette: Palette,
    theme: CheckoutTheme,
}

/// The attachment as an `Option` (`None`: the variant has none), or untyped.
#[derive(Flags)]
#[flags(schema = "tests/fixtures/flipt.lock.json")]
struct StyledLoose {
    #[flags(key = "theme")]
    palette: Option<Palette>,
}

#[derive(Flags)]
#[flags(schema = "tests/fixtures/flipt.lock.json")]
struct StyledJson {
    #[flags(key = "theme")]
    palette: serde_json::Value,
}

/// `promo` has no default variant: the attachment falls back on `Default`.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
struct Offer {
    discount: u32,
}

#[derive(Flags)]
#[flags(schema = "tests/fixtures/flipt.lock.json")]
struct Promoted {
    #[flags(key = "promo")]
    offer: Offer,
    #[flags(key = "promo")]
    promo: Option<String>,
}

fn palette(background: &str, accent: &str) -> Palette {
    Palette {
        background: background.into(),
        accent: accent.into(),
    }
}

/// The committed lock is what `flags sync` writes for the snapshot.
#[test]
fn the_flipt_lock_marks_the_flag_with_attachments() {
    let snapshot = std::fs::read_to_string(FLIPT_SNAPSHOT).unwrap();
    let imported = flags_schema::import_str(&snapshot, "flipt-checkout.json").unwrap();
    let lock_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/flipt.lock.json"
    );
    assert_eq!(
        imported.to_lock_string(),
        std::fs::read_to_string(lock_path).unwrap()
    );
    assert!(imported.flags["theme"].attachments);
    assert!(!imported.flags["banner"].attachments);
}

#[test]
fn a_flipt_variant_reads_as_its_attachment_and_as_its_key() {
    let client = Client::builder()
        .in_process(
            flags::source::file(FLIPT_SNAPSHOT).format(flags::Format::Flipt {
                namespace: "checkout".into(),
            }),
        )
        .build()
        .unwrap();
    let pro = Context::new("u-1").with("plan", "pro");
    let tester = Context::new("u-2").with("email", "ada@test.example");
    let anyone = Context::new("u-3");

    // The rule for the pro plans: `dark`, with its attachment.
    let styled: Styled = client.flags(&pro);
    assert_eq!(styled.palette, palette("#111111", "#ffb000"));
    assert_eq!(styled.theme_key, "dark");
    assert_eq!(styled.banner, "none");
    assert!(styled.new_checkout);
    let details = client.details(Styled::PALETTE, &pro);
    assert_eq!(details.value, palette("#111111", "#ffb000"));
    assert_eq!(details.variant.as_deref(), Some("dark"));
    assert_eq!(details.reason, Reason::TargetingMatch);
    assert_eq!(details.error_code(), None);

    // No rule: the default variant `light`, with its attachment.
    let styled: Styled = client.flags(&anyone);
    assert_eq!(styled.palette, palette("#ffffff", "#0050b3"));
    assert_eq!(styled.theme_key, "light");
    assert_eq!(
        client.details(Styled::PALETTE, &anyone).reason,
        Reason::Default
    );

    // `plain` has no attachment: the caller's default for the attachment, the key for the key.
    let styled: Styled = client.flags(&tester);
    assert_eq!(styled.palette, Palette::default());
    assert_eq!(styled.theme_key, "plain");
    let details = client.details(Styled::PALETTE, &tester);
    assert_eq!(details.value, Palette::default());
    assert_eq!(details.variant.as_deref(), Some("plain"));
    assert_eq!(details.reason, Reason::TargetingMatch);
    assert_eq!(details.error_code(), None);

    let with_enum: StyledEnum = client.flags(&tester);
    assert_eq!(with_enum.theme, CheckoutTheme::Plain);
    assert_eq!(with_enum.palette, Palette::fallback());
    let with_enum: StyledEnum = client.flags(&pro);
    assert_eq!(with_enum.theme, CheckoutTheme::Dark);
    assert_eq!(with_enum.palette, palette("#111111", "#ffb000"));

    let loose: StyledLoose = client.flags(&tester);
    assert_eq!(loose.palette, None);
    let loose: StyledLoose = client.flags(&pro);
    assert_eq!(loose.palette, Some(palette("#111111", "#ffb000")));
    let json: StyledJson = client.flags(&pro);
    assert_eq!(
        json.palette,
        serde_json::json!({ "background": "#111111", "accent": "#ffb000" })
    );

    let promoted: Promoted = client.flags(&anyone);
    assert_eq!(promoted.offer, Offer { discount: 10 });
    assert_eq!(promoted.promo.as_deref(), Some("spring"));

    // The keys' own defaults: the default variant for the key, `Default` or the code's for the
    // attachment.
    assert_eq!(Styled::THEME_KEY.default_value(), "light");
    assert_eq!(Styled::PALETTE.default_value(), Palette::default());
    assert_eq!(StyledEnum::THEME.default_value(), CheckoutTheme::Light);
    assert_eq!(StyledEnum::PALETTE.default_value(), Palette::fallback());
    assert_eq!(StyledLoose::PALETTE.default_value(), None);
    assert_eq!(Promoted::OFFER.default_value(), Offer::default());
}

/// Read without its namespace, as the lock records it, the flag has no rules and no
/// attachments: the key serves, the attachment field its default. The test double holds one
/// value per flag: the attachment, or the key.
#[test]
fn a_flipt_attachment_without_its_rules_and_in_the_test_double() {
    let client = Client::builder()
        .in_process(flags::source::file(FLIPT_SNAPSHOT))
        .build()
        .unwrap();
    let styled: Styled = client.flags(&Context::new("u-1").with("plan", "pro"));
    assert_eq!(styled.theme_key, "light");
    assert_eq!(styled.palette, Palette::default());

    let test = Client::for_tests().set(Styled::PALETTE, palette("#000000", "#ff0000"));
    let styled: StyledEnum = test.client().flags(&Context::anonymous());
    assert_eq!(styled.palette, palette("#000000", "#ff0000"));
    let test = Client::for_tests().set(StyledEnum::THEME, CheckoutTheme::Dark);
    let styled: StyledEnum = test.client().flags(&Context::anonymous());
    assert_eq!(styled.theme, CheckoutTheme::Dark);
}
