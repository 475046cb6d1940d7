"""Checks the expectations of cases.json against Flipt's own engine (flipt-client), but those
marked `deliberate` (a documented difference): cargo test runs the same file through our
public API (flags-runtime/tests/flipt.rs), so both engines are held to it.

    python3 check_cases.py cases.json
"""

import ctypes
import http.server
import json
import sys
import threading

from flipt_client import FliptClient
from flipt_client.models import ClientOptions

import compare
import oracle


def category(expect):
    if expect.get("error"):
        return {"error": expect["error"]}
    reason = expect["reason"]
    return "MATCH" if reason in ("SPLIT", "TARGETING_MATCH") else reason


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), oracle.Snapshots)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    failures, checked = [], 0
    for i, case in enumerate(cases):
        if case.get("deliberate"):
            continue
        namespace = f"case{i}"
        oracle.DOCUMENTS[namespace] = {"namespace": {"key": namespace}, "flags": [case["flag"]]}
        client = FliptClient(ClientOptions(url=url, namespace=namespace))
        client.ffi_core.evaluate_variant.restype = ctypes.c_void_p
        client.ffi_core.evaluate_boolean.restype = ctypes.c_void_p
        client.ffi_core.destroy_string.argtypes = [ctypes.c_void_p]
        kind = "boolean" if case["read"] == "bool" else "variant"
        entry = (client.ffi_core.evaluate_boolean if kind == "boolean"
                 else client.ffi_core.evaluate_variant)
        answer = oracle.call(client, entry, {
            "namespace_key": namespace, "flag_key": case.get("key", case["flag"]["key"]),
            "entity_id": case["entity"] or "", "context": case["flipt_context"]})
        client.close()
        want = compare.expected({"kind": kind}, answer)
        expect = case["expect"]
        if "error" in want:
            got = {"error": expect.get("error")}
        else:
            got = {"reason": category(expect),
                   "segments": sorted(expect["segments"].split(",")) if expect.get("segments")
                   else []}
            if kind == "boolean":
                got["value"] = expect["value"]
            else:
                got["variant"] = expect.get("variant")
                if case["read"] == "json":
                    got["attachment"] = expect["value"]
                    want.pop("value")
                else:
                    got["value"] = expect["value"]
                    want.pop("attachment")
        checked += 1
        if got != want:
            failures.append(f"{case['name']}: cases.json says {json.dumps(got)}, "
                            f"Flipt answers {json.dumps(want)}")
    server.shutdown()
    print(f"cases.json: {checked} expectations checked against flipt-client, "
          f"{len(failures)} wrong")
    for failure in failures:
        print("  " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
