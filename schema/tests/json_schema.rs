//! The committed JSON Schema of the lock file, `schema/manifest.schema.json`, is what the model
//! generates. Set `FLAGS_BLESS=1` to rewrite it after changing the model, and review the diff.

use std::path::Path;

#[test]
fn committed_json_schema_is_current() {
    let generated = flags_schema::json_schema();

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
