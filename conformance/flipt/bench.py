"""Times Flipt's own client (flipt-client 1.4.5) on the cases of the `flipt` group of
benches/evaluate.rs: what a user of that client pays per evaluation, its Python wrapper
included (the request model, the JSON both ways, the engine call), and the bare engine call
through ctypes for comparison.

    .venv/bin/python bench.py [SECONDS_PER_CASE]
"""

import ctypes
import http.server
import json
import sys
import threading
import time

from flipt_client import FliptClient
from flipt_client.models import ClientOptions

import oracle

FLAGS = [
    {"key": "colour", "name": "colour", "type": "VARIANT_FLAG_TYPE", "enabled": True,
     "rules": [{"segmentOperator": "OR_SEGMENT_OPERATOR",
                "segments": [{"key": "pro", "matchType": "ALL_SEGMENT_MATCH_TYPE", "constraints": [
                    {"type": "STRING_CONSTRAINT_COMPARISON_TYPE", "property": "plan",
                     "operator": "eq", "value": "premium"}]}],
                "distributions": [{"variantKey": "red", "rollout": 50},
                                  {"variantKey": "blue", "rollout": 50}]}]},
    {"key": "half", "name": "half", "type": "BOOLEAN_FLAG_TYPE", "enabled": False,
     "rollouts": [{"threshold": {"percentage": 50, "value": True}}]},
    {"key": "on", "name": "on", "type": "BOOLEAN_FLAG_TYPE", "enabled": True},
]


def per_call(f, seconds):
    """Median of five runs of the time per call, in nanoseconds."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            f()
        if time.perf_counter() - start > seconds / 10:
            break
        n *= 2
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            f()
        runs.append((time.perf_counter() - start) / n * 1e9)
    return sorted(runs)[2]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), oracle.Snapshots)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    oracle.DOCUMENTS["default"] = {"namespace": {"key": "default"}, "flags": FLAGS}
    client = FliptClient(ClientOptions(url=f"http://127.0.0.1:{server.server_address[1]}"))
    ctx = {"plan": "premium"}
    cases = [
        ("variant, one segment rule", lambda: client.evaluate_variant("colour", "user-123", ctx),
         "evaluate_variant", "colour"),
        ("boolean, threshold rollout", lambda: client.evaluate_boolean("half", "user-123", ctx),
         "evaluate_boolean", "half"),
        ("boolean, static", lambda: client.evaluate_boolean("on", "user-123", ctx),
         "evaluate_boolean", "on"),
    ]
    ffi = client.ffi_core
    for name in ("evaluate_variant", "evaluate_boolean"):
        getattr(ffi, name).restype = ctypes.c_void_p
    ffi.destroy_string.argtypes = [ctypes.c_void_p]
    print("| case | flipt-client (Python API) | engine call alone (ctypes) |")
    print("| --- | --- | --- |")
    for name, call, entry, flag in cases:
        call()
        request = json.dumps({"namespace_key": "default", "flag_key": flag,
                              "entity_id": "user-123", "context": ctx}).encode()
        engine = getattr(ffi, entry)

        def bare():
            ffi.destroy_string(engine(client.engine, request))

        # The Python API reparses the answer into its models; restore what it expects.
        getattr(ffi, entry).restype = ctypes.POINTER(ctypes.c_char_p)
        python = per_call(call, seconds)
        getattr(ffi, entry).restype = ctypes.c_void_p
        alone = per_call(bare, seconds)
        print(f"| {name} | {python / 1000:.1f} µs | {alone / 1000:.1f} µs |")
    client.close()
    server.shutdown()


if __name__ == "__main__":
    main()
