//! Evaluation cost, in nanoseconds per read, against DESIGN §8's targets. A plain harness
//! (`harness = false`, no dependencies): each case runs for a fixed time after a warm-up and
//! reports the mean; `--quick` shortens the runs (CI uses it to show the bench runs; the
//! figures worth quoting come from a full run on an idle machine).
//!
//! ```text
//! cargo bench --bench evaluate
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use flags::{Client, Context, FlagKey, Flags};

#[derive(Debug, Clone, Copy, PartialEq, flags::FlagVariant)]
#[flags(schema = "benches/flags.json", key = "flag-3")]
enum Greeting {
    #[flags(rename = "Good afternoon")]
    Formal,
    #[flags(rename = "Hi there")]
    Casual,
}

/// Ten flags, as in DESIGN §8's `client.flags::<S>()` target, from a 1,000-flag configuration.
#[allow(dead_code)] // read through `black_box`
#[derive(Flags)]
#[flags(schema = "benches/flags.json")]
struct Ten {
    #[flags(key = "flag-0")]
    a: bool,
    #[flags(key = "flag-1")]
    b: i64,
    #[flags(key = "flag-2")]
    c: f64,
    #[flags(key = "flag-3")]
    d: Greeting,
    #[flags(key = "flag-4")]
    e: Option<bool>,
    #[flags(key = "flag-5")]
    f: u32,
    #[flags(key = "flag-6")]
    g: f32,
    #[flags(key = "flag-7")]
    h: Greeting,
    #[flags(key = "flag-8")]
    i: bool,
    #[flags(key = "flag-9")]
    j: i64,
}

fn measure(name: &str, budget: Duration, mut op: impl FnMut()) -> f64 {
    // `cargo bench --bench evaluate -- <text>` runs the cases whose name contains it.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
        return f64::NAN;
    }
    // Warm up: caches, arc-swap's per-thread state, branch predictors.
    for _ in 0..10_000 {
        op();
    }
    let mut iterations: u64 = 0;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..1_000 {
            op();
        }
        iterations += 1_000;
    }
    let ns = start.elapsed().as_nanos() as f64 / iterations as f64;
    println!("{name:<48} {ns:>9.1} ns/op  ({iterations} ops)");
    ns
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = if quick {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(2)
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/flags.json");
    let client = Client::builder()
        .in_process(flags::source::file(path))
        .build()
        .unwrap();
    let ctx = Context::new("user-123").with("plan", "premium");

    let enabled = FlagKey::<bool>::new("flag-0", false);
    let limit = FlagKey::<i64>::new("flag-1", 0);
    let rate = FlagKey::<f64>::new("flag-2", 0.0);
    let greeting = FlagKey::<String>::new("flag-3", String::new());

    println!(
        "in-process evaluation, benches/flags.json ({} flags)",
        client.flag_count()
    );
    let one = measure(
        "value::<bool> (static flag, derived key constant)",
        budget,
        || {
            black_box(client.value(black_box(Ten::A), &ctx));
        },
    );
    measure(
        "value::<bool> (static flag, key made at run time)",
        budget,
        || {
            black_box(client.value(black_box(&enabled), &ctx));
        },
    );
    measure("value::<i64> (static flag)", budget, || {
        black_box(client.value(black_box(&limit), &ctx));
    });
    measure("value::<f64> (static flag)", budget, || {
        black_box(client.value(black_box(&rate), &ctx));
    });
    measure(
        "value::<Greeting> (enum from a string flag)",
        budget,
        || {
            black_box(client.value(black_box(Ten::D), &ctx));
        },
    );
    measure("value::<String> (allocates the string)", budget, || {
        black_box(client.value(black_box(&greeting), &ctx));
    });
    measure("details::<bool>", budget, || {
        black_box(client.details(black_box(&enabled), &ctx));
    });
    let ten = measure("flags::<Ten> (10 fields, one snapshot)", budget, || {
        black_box(client.flags::<Ten>(&ctx));
    });
    println!(
        "  flags::<Ten> = {:.1} × one flag (target ≤ 10 ×)",
        ten / one
    );

    // Two threads reading at once: throughput against one thread's.
    let per_thread = 2_000_000u64 / if quick { 20 } else { 1 };
    let single = {
        let start = Instant::now();
        for _ in 0..per_thread {
            black_box(client.value(black_box(&enabled), &ctx));
        }
        per_thread as f64 / start.elapsed().as_secs_f64()
    };
    let double = {
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..per_thread {
                        black_box(client.value(black_box(&enabled), &ctx));
                    }
                });
            }
        });
        2.0 * per_thread as f64 / start.elapsed().as_secs_f64()
    };
    println!(
        "2 threads: {:.2} × one thread's throughput (target ≥ 1.8 ×; {:.0} M reads/s → {:.0} M reads/s)",
        double / single,
        single / 1e6,
        double / 1e6
    );
}
