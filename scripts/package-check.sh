#!/usr/bin/env bash
# Packages every published crate of the workspace as crates.io would receive it, and builds
# each package on its own (run by .ci/run).
#
#   bash scripts/package-check.sh                 # on a clean checkout
#   bash scripts/package-check.sh --allow-dirty   # while editing
#
# 1. `cargo package --list` for each published crate: the licence files and the README must be
#    in, and no test left in the package may need the workspace (the unpublished
#    flags-test-support, or a fixture outside the crate): such tests are listed in the crate's
#    `exclude`.
# 2. `cargo package` of all of them at once, with verification. The crates depend on each other
#    at versions crates.io does not have yet; packaged together, Cargo resolves those
#    dependencies against the packages it has just made (a local registry overlaid on
#    crates.io; Cargo 1.90 and later), so each package is unpacked and built alone, in
#    dependency order, before anything is published. Third-party dependencies come from
#    crates.io as usual (already in the cache after a build).
set -euo pipefail
cd "$(dirname "$0")/.."

# The published crates: every member without `publish = false`.
mapfile -t crates < <(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] != []:
        print(p["name"])
')
echo "published crates: ${crates[*]}"

failed=0
for crate in "${crates[@]}"; do
  list="$(cargo package --list --quiet -p "$crate" "$@")"
  for required in LICENSE-MIT LICENSE-APACHE README.md; do
    if ! grep -qx "$required" <<<"$list"; then
      echo "error: $crate: $required is not in the package" >&2
      failed=1
    fi
  done
  dir="$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1]:
        print(os.path.dirname(p["manifest_path"]))
' "$crate")"
  while read -r file; do
    case "$file" in
      tests/*.rs | tests/*/*.rs | benches/*.rs | examples/*.rs)
        if grep -Eq 'flags_test_support|"\.\./|\("\.\./|join\("\.\./' "$dir/$file"; then
          echo "error: $crate: $file needs the workspace (flags-test-support or a file outside the crate); exclude it" >&2
          failed=1
        fi
        ;;
    esac
  done <<<"$list"
  echo "$crate: $(wc -l <<<"$list") files"
done
[ "$failed" = 0 ]

# Cargo unpacks the packages it verifies against into
# `$CARGO_HOME/registry/src/-<hash of the local registry's path>/NAME-VERSION` and reuses a copy
# it finds there: one left by an earlier run from the same target directory, of the same
# version, would stand in for today's package (a build against yesterday's code). Remove ours.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
while read -r unpacked; do
  rm -rf "$cargo_home/registry/src/"-*/"$unpacked"
done < <(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] != []:
        print(p["name"] + "-" + p["version"])
')

packages=()
for crate in "${crates[@]}"; do packages+=(-p "$crate"); done
cargo package "${packages[@]}" "$@"
echo "packaged and verified: ${crates[*]}"
