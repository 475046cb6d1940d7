"""Evaluates the generated cases with Flipt's own engine, the one `flipt-client` ships
(offline: a server on 127.0.0.1 in this process serves each snapshot once).

    python3 oracle.py CASES.json OUT.json

Each snapshot is served at /internal/v1/evaluation/snapshot/namespace/{ns}, the path the
engine polls; one FliptClient per snapshot loads it when it is built. Cases go through the
engine's own entry points (`evaluate_variant`, `evaluate_boolean`) with the JSON request the
Python client sends, so that an empty entity id (which the Python wrapper refuses before
calling the engine) is evaluated too. The answer envelopes are written as they are.
"""

import ctypes
import http.server
import json
import sys
import threading
import time

from flipt_client import FliptClient
from flipt_client.models import ClientOptions

DOCUMENTS = {}


class Snapshots(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        namespace = self.path.split("?")[0].rsplit("/", 1)[-1]
        document = DOCUMENTS.get(namespace)
        if document is None:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def call(client, entry, request):
    answer = entry(client.engine, json.dumps(request).encode())
    text = ctypes.cast(answer, ctypes.c_char_p).value
    client.ffi_core.destroy_string(answer)
    return json.loads(text)


def main():
    cases_path, out_path = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        data = json.load(f)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Snapshots)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    by_doc = {}
    for i, case in enumerate(data["cases"]):
        by_doc.setdefault(case["doc"], []).append(i)
    results = [None] * len(data["cases"])
    started = time.time()
    for d, document in enumerate(data["documents"]):
        namespace = document["namespace"]["key"]
        DOCUMENTS[namespace] = document
        client = FliptClient(ClientOptions(url=url, namespace=namespace))
        client.ffi_core.evaluate_variant.restype = ctypes.c_void_p
        client.ffi_core.evaluate_boolean.restype = ctypes.c_void_p
        client.ffi_core.destroy_string.argtypes = [ctypes.c_void_p]
        for i in by_doc.get(d, []):
            case = data["cases"][i]
            entry = (client.ffi_core.evaluate_variant if case["kind"] == "variant"
                     else client.ffi_core.evaluate_boolean)
            request = {"namespace_key": namespace, "flag_key": case["flag"],
                       "entity_id": case["entity"], "context": case["flipt_context"]}
            results[i] = call(client, entry, request)
        client.close()
        del DOCUMENTS[namespace]
    server.shutdown()
    with open(out_path, "w") as f:
        json.dump({"results": results}, f)
    print(f"flipt-client: {len(results)} cases in {time.time() - started:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
