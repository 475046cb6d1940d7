"""GO Feature Flag's own engine (its WASI build, from gofeatureflag-python-provider 1.3.0) on
the cases of a file: reads `{"cases": [{"flagKey", "flag", "context", ...}]}` and writes the
same cases, each with the engine's answer in `expected`. Where the WASI build traps, the
answer is the relay's (`"relay": true`, see `relay`) when it can be had, else `{"trap": true}`.

The module is driven as its host protocol says (top of the provider's `wasm/evaluate_wasm.py`):
the input JSON is written into memory from `malloc`, `evaluate(ptr, len)` answers
`(out_ptr << 32) | out_len`, the output is read before anything else runs, then `free`. A trap
poisons the store: the case is recorded as `{"trap": true}` and a new store is made.

    .venv/bin/python oracle.py in.json out.json
"""

import json
import pathlib
import sys

import wasmtime

MODULE = "gofeatureflag_python_provider/wasm/gofeatureflag-evaluation_0.2.4.wasi"


def module_path():
    for entry in sys.path:
        candidate = pathlib.Path(entry) / MODULE
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{MODULE} not found: run run.sh to install the oracle")


class Engine:
    def __init__(self):
        self.engine = wasmtime.Engine()
        self.module = wasmtime.Module.from_file(self.engine, str(module_path()))
        self.fresh()

    def fresh(self):
        store = wasmtime.Store(self.engine)
        store.set_wasi(wasmtime.WasiConfig())
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        instance = linker.instantiate(store, self.module)
        exports = instance.exports(store)
        start = exports.get("_start")
        if start is not None:
            try:
                start(store)
            except wasmtime.ExitTrap as exit_trap:
                if exit_trap.code != 0:
                    raise
        self.store = store
        self.memory = exports["memory"]
        self.malloc = exports["malloc"]
        self.free = exports["free"]
        self.call = exports["evaluate"]

    def evaluate_case(self, case):
        return evaluate_case(self, case)

    def evaluate(self, payload):
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        ptr = self.malloc(self.store, len(data) + 1)
        self.memory.write(self.store, data + b"\0", ptr)
        try:
            result = self.call(self.store, ptr, len(data))
        except (wasmtime.Trap, wasmtime.WasmtimeError):
            self.fresh()
            return {"trap": True}
        out_ptr, out_len = (result >> 32) & 0xFFFFFFFF, result & 0xFFFFFFFF
        answer = json.loads(self.memory.read(self.store, out_ptr, out_ptr + out_len))
        self.free(self.store, ptr)
        return answer


def evaluate(engine, case):
    answer = engine.evaluate_case(case)
    if answer.get("trap"):
        return relay(engine, case) or answer
    return answer


def evaluate_case(engine, case):
    return engine.evaluate(
        {
            "flagKey": case["flagKey"],
            "flag": case["flag"],
            "evalContext": case["context"],
            "flagContext": {
                "defaultSdkValue": None,
                "evaluationContextEnrichment": case.get("enrichment", {}),
            },
        }
    )


NEVER = '{"==":[1,2]}'


def relay(engine, case):
    """GO Feature Flag's relay on a case where the WASI build traps: its native engine takes a
    rule whose query crashes for not matching. Each enabled rule's query is evaluated alone
    (same context); those that trap are replaced by a query that never matches and the flag is
    evaluated again. Flags with scheduled steps (whose rules at "now" differ) stay traps."""
    flag = case["flag"]
    rules = flag.get("targeting")
    if "scheduledRollout" in flag or not isinstance(rules, list):
        return None
    names = sorted((flag.get("variations") or {}).keys()) or ["x"]
    patched = []
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("disable") is True or "query" not in rule:
            patched.append(rule)
            continue
        probe = dict(case, flag={"variations": flag.get("variations"),
                                 "targeting": [{"query": rule["query"], "variation": names[0]}],
                                 "defaultRule": {"variation": names[0]}})
        if engine.evaluate_case(probe).get("trap"):
            rule = dict(rule, query=NEVER)
        patched.append(rule)
    answer = engine.evaluate_case(dict(case, flag=dict(flag, targeting=patched)))
    if answer.get("trap"):
        return None
    answer["relay"] = True
    return answer


def main():
    source, target = sys.argv[1], sys.argv[2]
    document = json.loads(pathlib.Path(source).read_text())
    engine = Engine()
    for case in document["cases"]:
        case["expected"] = evaluate(engine, case)
    pathlib.Path(target).write_text(
        "{\"cases\": [\n"
        + ",\n".join(json.dumps(c, separators=(",", ":"), sort_keys=True) for c in document["cases"])
        + "\n]}\n"
    )


if __name__ == "__main__":
    main()
