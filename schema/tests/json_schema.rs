//! The committed JSON Schema of the lock file, `schema/manifest.schema.json`, is what the model
//! generates. Set `FLAGS_BLESS=1` to rewrite it after changing the model, and review the diff.

use std::path::Path;

use serde_json::Value;

#[test]
fn committed_json_schema_is_current() {
    let schema = schemars::schema_for!(flags_schema::Manifest);
    let schema = serde_json::to_value(&schema).expect("a schema serialises");
    // Keys sorted explicitly, so the file is the same whether or not another crate in the
    // build enables serde_json's `preserve_order`.
    let mut generated = serde_json::to_string_pretty(&sorted(schema)).expect("a value serialises");
    generated.push('\n');

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifest.schema.json");
    if std::env::var_os("FLAGS_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated)
            .unwrap_or_else(|e| panic!("could not write `{}`: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "`{}` is stale or missing; run `FLAGS_BLESS=1 cargo test -p flags-schema --test \
         json_schema` and review the diff",
        path.display()
    );
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
