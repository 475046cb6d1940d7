#!/usr/bin/env bash
# Differential test of our in-process flagd engine against the official evaluator,
# @openfeature/flagd-core (pinned in package-lock.json). Works from a clean clone, no stdin.
#
#   bash conformance/flagd/run.sh            # seed from $SEED, default 20261121
#   REPORT=path.md bash conformance/flagd/run.sh   # also write a Markdown report
#
# Steps: npm ci; generate configurations + cases (gen.js, seeded, deterministic); evaluate them
# with flagd-core (oracle.js) and with flags (the `flagd_conformance` example, one process);
# compare (compare.js). Prints "N cases, M disagreements" and the first disagreements in full;
# exits non-zero on any disagreement.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${FLAGD_CONFORMANCE_OUT:-$here/out}"
seed="${SEED:-20261121}"
mkdir -p "$out"
cd "$here"

echo "== npm ci (@openfeature/flagd-core)"
npm ci --no-audit --no-fund --loglevel=error </dev/null

echo "== generate (seed $seed)"
node gen.js "$out/cases.json" "$seed"

echo "== evaluate with flagd-core"
node oracle.js "$out/cases.json" "$out/oracle.json"

echo "== evaluate with flags"
(cd "$root" && cargo run --quiet -p flags-runtime --example flagd_conformance -- "$out/cases.json" "$out/ours.json") </dev/null

echo "== compare"
node compare.js "$out/cases.json" "$out/oracle.json" "$out/ours.json" --show "${SHOW:-30}" ${REPORT:+--report "$REPORT"}
