#!/usr/bin/env bash
# Differential test of our in-process Flipt engine against Flipt's own, the engine that the
# `flipt-client` PyPI package ships (pinned with hashes in requirements.txt). Works from a
# clean clone, no stdin, offline but for the package install.
#
#   bash conformance/flipt/run.sh               # seed from $SEED, default 20261205
#   DOCUMENTS=600 bash conformance/flipt/run.sh  # more snapshots (20 flags each, 3 contexts per flag)
#   REPORT=path.md bash conformance/flipt/run.sh # also write the comparison
#
# Steps: a virtualenv in conformance/flipt/.venv with flipt-client installed from the
# committed requirements (--require-hashes); check the expectations of cases.json (which cargo
# test runs through our API) against flipt-client (check_cases.py); generate snapshots + cases (gen.py, seeded,
# deterministic); evaluate them with Flipt's engine (oracle.py, which serves each snapshot on
# 127.0.0.1) and with flags (the `flipt_conformance` example, one process); compare
# (compare.py). Prints "N cases, M disagreements" and the first disagreements in full; exits
# non-zero on any disagreement.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${FLIPT_CONFORMANCE_OUT:-$here/out}"
seed="${SEED:-20261205}"
documents="${DOCUMENTS:-250}"
python="${PYTHON:-python3}"
mkdir -p "$out"
cd "$here"

echo "== virtualenv with flipt-client (pip install --require-hashes)"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
  -r requirements.txt </dev/null

echo "== cases.json: its expectations against flipt-client"
.venv/bin/python check_cases.py cases.json

echo "== generate (seed $seed, $documents snapshots)"
.venv/bin/python gen.py "$out/cases.json" "$seed" "$documents"

echo "== evaluate with flipt-client"
.venv/bin/python oracle.py "$out/cases.json" "$out/oracle.json"

echo "== evaluate with flags"
(cd "$root" && cargo run --quiet -p flags-runtime --example flipt_conformance -- "$out/cases.json" "$out/ours.json") </dev/null

echo "== compare"
.venv/bin/python compare.py "$out/cases.json" "$out/oracle.json" "$out/ours.json" --show "${SHOW:-30}" ${REPORT:+--report "$REPORT"}
