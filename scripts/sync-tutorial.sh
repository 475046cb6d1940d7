#!/usr/bin/env bash
# The README's "Sync from a flag service" walk-through, run as written: install the `flags`
# command, serve examples/flags.json over HTTP on 127.0.0.1, sync a new crate from it, build
# the crate offline, then rename a flag on the "service" and check that `flags check` fails
# (what CI runs). Uses the workspace's target directory (`CARGO_TARGET_DIR` when set), so it
# builds little after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- cargo install --path flags-cli"
CARGO_TARGET_DIR="$target_dir" cargo install --quiet --debug --locked --offline \
  --path flags-cli --root "$work/tools"
flags="$work/tools/bin/flags"
"$flags" --version

echo "-- serve a flagd file over HTTP"
mkdir -p "$work/service"
cp examples/flags.json "$work/service/flags.json"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/service" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/flags.json')" 2>/dev/null; then break; fi
  sleep 0.1
done

echo "-- a crate whose flags live on that service"
app="$work/app"
mkdir -p "$app/src"
cat > "$app/Cargo.toml" <<TOML
[package]
name = "checkout-app"
version = "0.1.0"
edition = "2024"

[dependencies]
flags = { path = "$root" }

[build-dependencies]
flags-build = { path = "$root/flags-build" }

[package.metadata.flags]
sources = [{ kind = "url", url = "http://127.0.0.1:$port/flags.json" }]

[workspace]
TOML
cp Cargo.lock "$app/Cargo.lock"
cat > "$app/build.rs" <<'RS'
fn main() {
    flags_build::sync("flags.lock.json").unwrap();
}
RS
cat > "$app/src/main.rs" <<'RS'
#[derive(flags::Flags)]
struct Checkout {
    #[flags(key = "new-checkout")]
    enabled: bool,
    upload_limit: i64,
}

fn main() {
    let client = flags::Client::builder()
        .in_process(flags::source::file(concat!(env!("CARGO_MANIFEST_DIR"), "/flags.lock.json")))
        .build()
        .unwrap();
    let checkout: Checkout = client.flags(&flags::Context::new("user-1").with("plan", "premium"));
    println!("enabled={} upload_limit={}", checkout.enabled, checkout.upload_limit);
}
RS

cd "$app"
echo "-- flags sync"
"$flags" sync
test -f flags.lock.json
echo "-- cargo run (offline: the build reads the lock)"
CARGO_TARGET_DIR="$target_dir/tmp/scratch-target" cargo run --quiet --offline
echo "-- flags check (in step)"
"$flags" check

echo "-- the service renames new-checkout: flags check must fail"
sed -i 's/"new-checkout"/"checkout-v2"/' "$work/service/flags.json"
if "$flags" check; then
  echo "flags check passed after a rename on the service" >&2
  exit 1
fi
echo "sync tutorial: the rename was caught"
