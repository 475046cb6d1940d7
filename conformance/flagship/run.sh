#!/usr/bin/env bash
# Differential test of our Flagship rule engine against Flagship's port of its data plane
# (`_evaluate.py` of the Python SDK cloudflare-flagship 0.6.0, pinned with its hash in
# requirements.txt), and of our JavaScript coercions against node itself. Works from a clean
# clone, no stdin.
#
#   bash conformance/flagship/run.sh          # seed from $SEED (default 20261121), $COUNT cases
#
# Steps: install the oracle into .venv (no dependencies: the module imports none); generate
# random definitions + contexts (gen.py, seeded); evaluate them with the oracle (oracle.py)
# and with flags (the `flagship_conformance` example, which compares and prints every
# disagreement); recompute the expectations of cases.json and check they are the committed
# ones; check String()/Number()/Date.parse against node. Exits non-zero on any disagreement.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${FLAGSHIP_CONFORMANCE_OUT:-$here/out}"
seed="${SEED:-20261121}"
count="${COUNT:-20000}"
mkdir -p "$out"
cd "$here"

echo "== install the oracle (pip --no-deps --require-hashes)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.txt </dev/null

echo "== generate (seed $seed, $count cases)"
python3 gen.py "$out/generated.json" "$seed" "$count"

echo "== evaluate with the oracle"
.venv/bin/python oracle.py "$out/generated.json" "$out/expected.json"

echo "== evaluate with flags and compare"
(cd "$root" && cargo run --quiet -p flags-runtime --all-features --example flagship_conformance -- "$out/expected.json" "${SHOW:-30}") </dev/null

echo "== cases.json: the oracle's expectations are the committed ones"
python3 cases.py > "$out/inputs.json"
.venv/bin/python oracle.py "$out/inputs.json" "$out/cases.json"
diff -u cases.json "$out/cases.json"
(cd "$root" && cargo run --quiet -p flags-runtime --all-features --example flagship_conformance -- conformance/flagship/cases.json) </dev/null

echo "== String() / Number() / Date.parse against node $(node --version)"
TZ=UTC node node_check.js "$out/js-edges.json"
(cd "$root" && FLAGSHIP_JS_EDGES="$out/js-edges.json" cargo test --quiet -p flags-runtime --all-features --lib node_agrees) </dev/null
echo "flagship differential: no disagreement"
