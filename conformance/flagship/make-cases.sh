#!/usr/bin/env bash
# Regenerates cases.json: the inputs of cases.py, the expectations of the oracle (installed
# into .venv by run.sh from requirements.txt). Review the diff before committing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --no-deps --require-hashes -r requirements.txt </dev/null
fi
mkdir -p out
python3 cases.py > out/inputs.json
.venv/bin/python oracle.py out/inputs.json cases.json
echo "cases.json: $(python3 -c 'import json,sys; print(len(json.load(open("cases.json"))["cases"]))') cases"
