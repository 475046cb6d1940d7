#!/usr/bin/env bash
# Differential test of our GO Feature Flag engine against its own (the WASI build shipped in
# gofeatureflag-python-provider 1.3.0, run with wasmtime; both pinned with their hashes in
# requirements.txt). Works from a clean clone, no stdin.
#
#   bash conformance/gofeatureflag/run.sh     # seed from $SEED (default 20261216), $COUNT cases
#
# Steps: install the oracle into .venv; generate random flags + contexts (gen.py, seeded);
# evaluate them with the engine (oracle.py) and with flags (the `gofeatureflag_conformance`
# example, which compares and prints every disagreement); when cases.json exists, recompute
# its expectations and check they are the committed ones, then run it too. Exits non-zero on
# any disagreement.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${GOFEATUREFLAG_CONFORMANCE_OUT:-$here/out}"
seed="${SEED:-20261216}"
count="${COUNT:-10000}"
mkdir -p "$out"
cd "$here"

echo "== install the oracle (pip --no-deps --require-hashes)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.txt </dev/null

echo "== generate (seed $seed, $count cases)"
python3 gen.py "$out/generated.json" "$seed" "$count"

echo "== evaluate with GO Feature Flag's engine"
.venv/bin/python oracle.py "$out/generated.json" "$out/expected.json"

echo "== evaluate with flags and compare"
(cd "$root" && cargo run --quiet -p flags-runtime --all-features --example gofeatureflag_conformance -- "$out/expected.json" "${SHOW:-30}") </dev/null

if [ -f cases.json ]; then
  echo "== cases.json: the engine's answers are the committed ones"
  .venv/bin/python oracle.py cases.json "$out/cases.json"
  diff -u cases.json "$out/cases.json"
  (cd "$root" && cargo run --quiet -p flags-runtime --all-features --example gofeatureflag_conformance -- conformance/gofeatureflag/cases.json) </dev/null
fi
echo "gofeatureflag differential: no disagreement"
