#!/usr/bin/env python3
"""Evaluates Flagship cases with the oracle: the `_evaluate.py` of `cloudflare-flagship`
(the Python SDK's port of the Flagship data plane's `evaluateFlag`), loaded on its own (it
needs no third-party module; the package's `__init__` does, so it is not run).

    .venv/bin/python oracle.py CASES.json OUT.json

CASES.json: {"cases": [{name, account, flag, context, type, default}, ...]} (see
`flags-runtime/tests/flagship_support/mod.rs`). OUT.json: the same cases, each with
`expected`: the outcomes the SDK's provider reports, `{value, variant, reason, errorCode}`
(DISABLED: the caller's default and the default variation's name; a definition error:
PARSE_ERROR; a value of the wrong type: TYPE_MISMATCH, as its `_typecheck_flag_value` decides),
one per distinct outcome when the case draws random buckets (a rollout without its attribute):
every sequence of draws at the bottom and at the top of the range is tried.
"""

import importlib.util
import json
import os
import random
import sys
import types


def load_engine():
    """The oracle's `_evaluate` module, from the installed package (found, not imported)."""
    spec = importlib.util.find_spec("flagship")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("cloudflare-flagship is not installed (run.sh installs it into .venv)")
    here = list(spec.submodule_search_locations)[0]
    package = types.ModuleType("flagship")
    package.__path__ = [here]
    sys.modules["flagship"] = package
    # `_evaluate` imports one type alias from `.context`, which imports OpenFeature: a stand-in.
    context = types.ModuleType("flagship.context")
    context.JsonValue = object
    sys.modules["flagship.context"] = context
    spec = importlib.util.spec_from_file_location("flagship._evaluate", os.path.join(here, "_evaluate.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["flagship._evaluate"] = module
    spec.loader.exec_module(module)
    return module


def typecheck(value, kind):
    """The provider's type check: `None` when the value fits `kind`, else a mismatch."""
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "float":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return float(value)
        return value if isinstance(value, float) else None
    if kind == "string":
        return value if isinstance(value, str) else None
    return value if isinstance(value, (dict, list)) else None


MISMATCH = object()


def resolve(engine, case):
    default = case["default"]
    try:
        result = engine.evaluate_flag(case["flag"], case["context"], case["account"])
    except Exception:  # FlagConfigError, or a definition the engine cannot read
        return {"value": default, "variant": None, "reason": "ERROR", "errorCode": "PARSE_ERROR"}
    variant = result["variant"] or None
    if result["reason"] == "DISABLED":
        return {"value": default, "variant": variant, "reason": "DISABLED", "errorCode": None}
    value = result["value"]
    checked = typecheck(value, case["type"])
    if checked is None:
        return {"value": default, "variant": None, "reason": "ERROR", "errorCode": "TYPE_MISMATCH"}
    return {"value": checked, "variant": variant, "reason": result["reason"], "errorCode": None}


def outcomes(engine, case):
    """Every outcome of the case: one when it draws no random bucket, else one per sequence of
    draws at the bottom or the top of the range (every sequence, explored depth first; at
    most 256 evaluations)."""
    seen = []
    pending = [[]]
    runs = 0
    real = random.random
    try:
        while pending and runs < 256:
            prefix = pending.pop()
            taken = []

            def draw():
                high = prefix[len(taken)] if len(taken) < len(prefix) else False
                taken.append(high)
                return 0.9999999 if high else 0.0

            random.random = draw
            outcome = resolve(engine, case)
            runs += 1
            if outcome not in seen:
                seen.append(outcome)
            # Every draw this run took low, past the prefix, could have been high.
            for j in range(len(prefix), len(taken)):
                pending.append(taken[:j] + [True])
    finally:
        random.random = real
    return seen


def main():
    cases_path, out_path = sys.argv[1], sys.argv[2]
    engine = load_engine()
    with open(cases_path, encoding="utf-8") as f:
        doc = json.load(f)
    for case in doc["cases"]:
        found = outcomes(engine, case)
        if len(found) == 1:
            case["expected"] = found[0]
        else:
            case["expectedOneOf"] = found
    for vector in doc.get("murmur", []):
        vector["hash"] = engine.murmurhash3(vector["input"] * vector.get("repeat", 1), vector["seed"])
    # One case per line: a change to a case reads as a one-line diff.
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("{\n")
        for i, (name, items) in enumerate(doc.items()):
            if not isinstance(items, list):
                comma = "," if i + 1 < len(doc) else ""
                f.write(f" {json.dumps(name)}: {json.dumps(items, ensure_ascii=False)}{comma}\n")
                continue
            f.write(f" {json.dumps(name)}: [\n")
            f.write(",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in items))
            f.write("\n ]" + ("," if i + 1 < len(doc) else "") + "\n")
        f.write("}\n")


if __name__ == "__main__":
    main()
