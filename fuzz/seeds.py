#!/usr/bin/env python3
"""Writes the seed corpora (fuzz/corpus/<target>/) from the repository's own fixtures and a few
hand-written cases. Run from anywhere: `python3 fuzz/seeds.py`. A few dozen files per target at
most; libFuzzer grows its working corpus elsewhere (see README.md)."""
import hashlib, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEP = b"\xff"


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def dumps(value):
    return json.dumps(value, separators=(",", ":")).encode()


def write(target, seeds):
    out = os.path.join(HERE, "corpus", target)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for seed in seeds[:40]:
        name = hashlib.sha1(seed).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed)


def cases(path):
    return json.loads(read(path))["cases"]


def spread(items, n):
    """`n` items spread over the list (the cases are grouped by feature)."""
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


CTX = [
    {"when": {"$datetime": 1767225600, "nanos": 5}, "ratio": {"$float": "nan"}, "big": {"$float": "-inf"}},
    {"targetingKey": "user-1", "email": "ann@example.com", "plan": "pro", "age": 42,
     "version": "1.2.3", "beta": True, "tags": ["a", "b"], "app": {"version": "2.3.0"}},
    {"targetingKey": "user-2", "email": "bob@corp.example", "plan": "free", "age": 17.5},
]

# flagd: the flagd-schemas fixtures, the examples, the gherkin flags.
flagd = []
fixtures = "schema/tests/fixtures/flagd-schemas/json/test/flags"
for kind in ("positive", "negative"):
    for name in sorted(os.listdir(os.path.join(ROOT, fixtures, kind))):
        flagd.append(read(f"{fixtures}/{kind}/{name}") + SEP + dumps(CTX[1]))
flagd.append(read("examples/flags.json") + SEP + dumps(CTX[1]))
flagd.append(read("flags-runtime/tests/gherkin/test-flags.json") + SEP + dumps(CTX[2]))
write("flagd", flagd)

# flagd rules: one per operator family.
RULES = [
    {"if": [{"==": [{"var": "plan"}, "pro"]}, "b", "c"]},
    {"fractional": [{"var": "targetingKey"}, ["a", 50], ["b", 30], ["c", 20]]},
    {"fractional": [["a", 1], ["b", 1]]},
    {"if": [{"sem_ver": [{"var": "version"}, ">=", "1.2.0"]}, "b"]},
    {"if": [{"sem_ver": [{"var": "app.version"}, "^", "2.0.0"]}, "on", "off"]},
    {"if": [{"starts_with": [{"var": "email"}, "ann"]}, "one", "half"]},
    {"if": [{"ends_with": [{"var": "email"}, "@example.com"]}, "b"]},
    {"if": [{"in": ["@corp", {"var": "email"}]}, "obj", "a"]},
    {"if": [{"and": [{">": [{"var": "age"}, 18]}, {"!": {"var": "beta"}}]}, "b",
            {"or": [{"<=": [1, {"var": "age"}, 100]}, "c"]}]},
    {"if": [{"$ref": "shared"}, "b", "c"]},
    {"cat": ["o", "n"]},
    {"if": [{"some": [{"var": "tags"}, {"==": [{"var": ""}, "a"]}]}, "b"]},
    {"if": [{"<": [{"var": "$flagd.timestamp"}, 2000000000]}, {"var": "$flagd.flagKey"}]},
    {"merge": [[1], {"substr": ["abc", -2]}, {"%": [7, 3]}, {"max": [1, 2]}]},
]
write("flagd_rule", [dumps(r) + SEP + dumps(CTX[i % 3]) for i, r in enumerate(RULES)])

# OpenFeature formats (the first byte picks: 0 CLI manifest, 1 API, 2 OFREP bulk, 3 FlagKit).
of = [b"\x00" + read("schema/tests/fixtures/services/openfeature-manifest.json"),
      b"\x02" + read("schema/tests/fixtures/services/ofrep-bulk.json"),
      b"\x03" + read("schema/tests/fixtures/services/flagkit-init.json"),
      b"\x03" + read("examples/flagkit.json")]
cli = "schema/tests/fixtures/openfeature-cli/schema/v0/testdata"
for kind in ("positive", "negative"):
    for name in sorted(os.listdir(os.path.join(ROOT, cli, kind))):
        of.append(b"\x00" + read(f"{cli}/{kind}/{name}"))
of.append(b"\x01" + dumps({"flags": [
    {"key": "a", "type": "boolean", "defaultValue": True, "description": "x"},
    {"key": "b", "type": "string", "defaultValue": "s"},
    {"key": "c", "type": "integer", "defaultValue": 3},
    {"key": "d", "type": "object", "defaultValue": {"k": [1]}}]}))
write("openfeature", of)

# Flagship: definitions and the conformance cases with their contexts.
account = "aaaabbbbccccdddd1111222233334444"
fs = [read("schema/tests/fixtures/services/flagship-definitions.json") + SEP + dumps(CTX[1]),
      read("examples/flagship.json") + SEP + dumps(CTX[1])]
for case in spread([c for c in cases("conformance/flagship/cases.json") if c["account"] == account], 30):
    fs.append(dumps({"flags": {case["flag"]["key"]: case["flag"]}}) + SEP + dumps(case["context"]))
write("flagship", fs)

# Flipt: the snapshots and the conformance cases in a namespace document.
fl = [read(f"schema/tests/fixtures/services/{n}.json") + SEP + dumps(CTX[1])
      for n in ("flipt-namespace", "flipt-snapshot", "flipt-engine-snapshot")]
fl.append(read("examples/flipt.json") + SEP + dumps(CTX[1]))
for case in spread(cases("conformance/flipt/cases.json"), 30):
    ctx = dict(case["context"])
    if case.get("entity") is not None:
        ctx["targetingKey"] = case["entity"]
    fl.append(dumps({"namespace": {"key": "default"}, "flags": [case["flag"]]}) + SEP + dumps(ctx))
write("flipt", fl)

# GO Feature Flag: the fixtures (JSON, YAML, TOML), the example, the conformance cases.
gf = [read(f"schema/tests/fixtures/gofeatureflag/flags.goff.{e}") + SEP + dumps(CTX[1])
      for e in ("json", "yaml", "toml")]
gf.append(read("schema/tests/fixtures/services/gofeatureflag-configuration.json") + SEP + dumps(CTX[1]))
gf.append(read("examples/gofeatureflag.json") + SEP + dumps(CTX[1]))
goff_cases = cases("conformance/gofeatureflag/cases.json")
for case in spread(goff_cases, 30):
    document = {"flags": {case["flagKey"]: case["flag"]}}
    if isinstance(case.get("enrichment"), dict):
        document["evaluationContextEnrichment"] = case["enrichment"]
    gf.append(dumps(document) + SEP + dumps(case["context"]))
write("gofeatureflag", gf)

# GO Feature Flag queries: every distinct query of the conformance cases.
queries = []
for case in goff_cases:
    for rule in case["flag"].get("targeting", []) or []:
        q = rule.get("query") if isinstance(rule, dict) else None
        if isinstance(q, str) and q not in queries:
            queries.append(q)
queries += ['email ew "@example.com" and (age gt 18 or plan in ["pro", "team"])',
            'version ge "1.2.0"', 'beta pr', 'not (plan eq "free")']
write("gofeatureflag_rule", [q.encode() + SEP + dumps(CTX[i % 3]) for i, q in enumerate(spread(queries, 36))])

# The specialised forms: the input is read as choices (fast_paths.rs), so any bytes build a
# rule, a query, a flag and a context; seeds of every length up to a few hundred bytes.
write("fast_paths", [b"".join(hashlib.sha256(bytes([i, j])).digest() for j in range(1 + i % 12))
                     for i in range(40)])

# The lock: the repository's own, and one per format written by the schema (in the tests).
lock = [read("flags.lock.json") + SEP + dumps(CTX[1])]
for root, _, files in os.walk(ROOT):
    if "/target" in root or "/.git" in root or "/fuzz" in root or "node_modules" in root:
        continue
    for name in files:
        if name.endswith(".lock.json") or name == "flags.lock.json":
            path = os.path.relpath(os.path.join(root, name), ROOT)
            if path != "flags.lock.json":
                lock.append(read(path) + SEP + dumps(CTX[1]))
write("lock", lock)

# Detection: one document of each format.
write("detect", [s for t in (flagd[:6], [x[1:] for x in of[:4]], fs[:2], fl[:3], gf[:5], lock[:3]) for s in t])

# OFREP answers: [status byte, content type byte] + body. Status table in fuzzing.rs:
# 0 -> 200, 3 -> 304, 4 -> 400, 7 -> 404, 8 -> 429, 9 -> 500.
bulk = read("schema/tests/fixtures/services/ofrep-bulk.json")
ofrep = [b"\x00\x01" + bulk,
         b"\x00\x01" + dumps({"flags": [{"key": "a", "value": 1, "reason": "SPLIT", "variant": "v",
                                         "metadata": {"m": True}},
                                        {"key": "b", "errorCode": "FLAG_NOT_FOUND", "errorDetails": "x"}],
                              "metadata": {"set": "s"},
                              "eventStreams": [{"type": "sse", "endpoint": {"origin": "https://e.example",
                                                                            "requestUri": "/ofrep/v1/events"}},
                                               {"type": "sse", "url": "https://e.example/x?k=1"}]}),
         b"\x00\x01" + dumps({"key": "flag", "value": {"x": [1, 2]}, "reason": "TARGETING_MATCH",
                              "variant": "v", "metadata": {"n": 1.5}}),
         b"\x04\x01" + dumps({"key": "flag", "errorCode": "TARGETING_KEY_MISSING", "errorDetails": "no key"}),
         b"\x07\x00" + b"not found",
         b"\x08\x02" + b"<html><body>slow down</body></html>",
         b"\x03\x00",
         b"\x00\x00" + b'event: message\ndata: {"type":"refetchEvaluation","etag":"\\"e1\\"","lastModified":1700000000}\n\n'
                      b'data: {"type":"other"}\nid: 7\nretry: 1000\n\n']
write("ofrep_response", ofrep)

write("flagship_response", [
    b"\x00\x01" + dumps({"flagKey": "flag", "value": {"a": 1}, "variant": "v1", "reason": "SPLIT"}),
    b"\x00\x01" + dumps({"flagKey": "flag", "value": False, "variant": ""}),
    b"\x00\x01" + dumps({"flagKey": "flag", "value": True, "variant": "on", "reason": "DISABLED"}),
    b"\x00\x01" + dumps({"flagKey": "flag", "value": None}),
    b"\x07\x01" + dumps({"errorDetails": "no such flag"}),
    b"\x04\x00" + b"bad request",
    b"\x0a\x02" + b"<html>down</html>",
])

fk = [read("schema/tests/fixtures/services/flagkit-init.json"), read("examples/flagkit.json"),
      dumps({"changed": [{"key": "a", "value": 1, "enabled": True, "version": 2, "flagType": "number"}],
             "deleted": ["b"], "checkedAt": "2026-01-01T00:00:00Z"}),
      dumps({"flagKey": "k", "value": "blue", "enabled": True, "reason": "RULE_MATCH", "version": 4}),
      dumps({"flags": {"a": {"value": 1, "reason": "FALLTHROUGH"}, "b": 7}, "evaluatedAt": "t"}),
      dumps({"token": "t0k", "expiresIn": 300}),
      b"\x00" + dumps({"key": "a", "value": 1, "flagType": "number"}),
      b"\x01" + dumps({"key": "a"}),
      b"\x02" + dumps([{"key": "a", "value": 1}, {"key": "b"}]),
      b"\x04" + dumps({"code": "TOKEN_EXPIRED", "message": "expired"})]
write("flagkit_response", fk)

write("sse", [
    b"\x03" + b"event: flag_updated\ndata: {\"key\":\"a\"}\nid: 1\n\n: comment\r\ndata: x\r\ndata: y\r\n\r\n",
    b"\x01" + b"retry: 2500\rdata:no space\r\rid\nevent\n\n",
    b"\x05" + b"data: " + b"x" * 80 + b"\n\ndata: short\n\n",
    b"\x02" + b"\xef\xbb\xbfdata: bom\n\nid: a\x00b\ndata: nul id\n\n",
])

write("ndjson", [
    b"\x02" + b'{"result":{"namespace":{"key":"default"},"flags":[]}}\n{"error":{"message":"gone"}}\r\n',
    b"\x04" + b'{"result":' + read("schema/tests/fixtures/services/flipt-namespace.json").replace(b"\n", b"") + b"}\n",
    b"\x00" + b"\n\n\xff\xfe\nplain\r\n" + b"y" * 5000 + b"\nlast",
])
