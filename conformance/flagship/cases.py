#!/usr/bin/env python3
"""Writes the inputs of `cases.json`, our conformance file for Flagship's rules: one case per
behaviour (every operator, the JavaScript coercions, dates, paths, groups, rule order,
rollouts, errors, value types). `run.sh` (or `make-cases.sh`) runs them through the oracle to
add the expectations, which are reviewed by hand before committing.

    python3 cases.py > inputs.json
"""

import json
import sys

ACCOUNT = "aaaabbbbccccdddd1111222233334444"
BOOL = {"on": True, "off": False}
cases = []


def flag(rules=None, key="f", variations=None, default="off", enabled=True, **extra):
    definition = {"key": key, "enabled": enabled, "default_variation": default,
                  "variations": BOOL if variations is None else variations}
    if rules is not None:
        definition["rules"] = rules
    definition.update(extra)
    return definition


def rule(conditions, serve="on", rollout=None):
    r = {"conditions": conditions, "serve_variation": serve}
    if rollout is not None:
        r["rollout"] = rollout
    return r


def cond(attribute, operator, value):
    return {"attribute": attribute, "operator": operator, "value": value}


def case(name, definition, context=None, kind="boolean", default=False, about=None):
    c = {"name": name, "account": ACCOUNT, "flag": definition, "context": context or {},
         "type": kind, "default": default}
    if about:
        c["about"] = about
    cases.append(c)


def one(name, attribute, operator, value, context, about=None):
    """A flag with one rule of one condition, serving `on` when it matches."""
    case(name, flag([rule([cond(attribute, operator, value)])]), context, about=about)


# Basics and reasons.
case("static-no-rules", flag([]))
case("static-rules-absent", flag(None))
case("static-rules-not-array", flag({"a": 1}), about="rules that are not an array: no rules")
case("disabled-flag", flag([rule([])], enabled=False), default=True, about="the caller's default, reason DISABLED")
case("default-no-match", flag([rule([cond("plan", "equals", "pro")])]), {"plan": "free"})
case("targeting-match", flag([rule([cond("plan", "equals", "pro")])]), {"plan": "pro"})
case("empty-conditions-match", flag([rule([])]))

# Text operators: JavaScript's String() of both sides.
one("string-equals-match", "plan", "equals", "pro", {"plan": "pro"})
one("string-equals-mismatch", "plan", "equals", "pro", {"plan": "Pro"})
one("string-equals-bool-string", "beta", "equals", "true", {"beta": True})
one("string-equals-bool-false", "beta", "equals", "false", {"beta": False})
one("string-equals-number-string", "seats", "equals", "42", {"seats": 42})
one("string-equals-number-target", "seats", "equals", 42, {"seats": "42"})
one("string-equals-float-integral", "ratio", "equals", "1", {"ratio": 1.0})
one("string-equals-float", "ratio", "equals", "1.5", {"ratio": 1.5})
one("string-equals-1e21", "big", "equals", "1e+21", {"big": 1e21})
one("string-equals-1e20", "big", "equals", "100000000000000000000", {"big": 1e20})
one("string-equals-1e-7", "small", "equals", "1e-7", {"small": 1e-7})
one("string-equals-1e-6", "small", "equals", "0.000001", {"small": 1e-6})
one("string-equals-neg-zero", "z", "equals", "0", {"z": -0.0})
one("string-equals-shortest-digits", "x", "equals", "0.30000000000000004", {"x": 0.1 + 0.2})
one("string-equals-bool-target", "flag", "equals", True, {"flag": "true"})
one("string-equals-null-target", "v", "equals", None, {"v": "null"})
case("string-equals-missing-value", flag([rule([{"attribute": "v", "operator": "equals"}])]), {"v": "null"},
     about="a condition without value compares with null")
one("string-equals-array-target", "v", "equals", ["a"], {"v": "a"})
one("string-equals-object-target", "v", "equals", {"a": 1}, {"v": "[object Object]"})
one("string-equals-array-attr", "v", "equals", "a", {"v": ["a"]})
one("string-equals-null-attr", "v", "equals", "null", {"v": None})
one("string-not-equals-match", "plan", "not_equals", "pro", {"plan": "free"})
one("string-not-equals-equal", "plan", "not_equals", "pro", {"plan": "pro"})
one("string-not-equals-null", "plan", "not_equals", "pro", {"plan": None})
one("string-not-equals-null-array-target", "plan", "not_equals", ["pro"], {"plan": None})
one("string-not-equals-missing", "plan", "not_equals", "pro", {})
one("string-not-equals-object-attr", "plan", "not_equals", "pro", {"plan": {"a": 1}})
one("string-contains-match", "email", "contains", "@example", {"email": "ada@example.com"})
one("string-contains-miss", "email", "contains", "@example", {"email": "ada@elsewhere.org"})
one("string-contains-null", "email", "contains", "a", {"email": None})
one("string-contains-empty-target", "email", "contains", "", {"email": "x"})
one("string-contains-number", "n", "contains", 23, {"n": 1234})
one("string-starts-with-match", "id", "starts_with", "usr_", {"id": "usr_1"})
one("string-starts-with-miss", "id", "starts_with", "usr_", {"id": "org_1"})
one("string-starts-with-bool", "b", "starts_with", "tr", {"b": True})
one("string-ends-with-match", "email", "ends_with", "@example.com", {"email": "ada@example.com"})
one("string-ends-with-miss", "email", "ends_with", "@example.com", {"email": "ada@example.org"})
one("string-ends-with-unicode", "name", "ends_with", "語", {"name": "日本語"})

# Ordering operators: JavaScript's Number(), or instants for ISO 8601 targets.
one("order-gt-num", "age", "greater_than", 18, {"age": 21})
one("order-gt-num-eq", "age", "greater_than", 18, {"age": 18})
one("order-lt-num", "age", "less_than", 18, {"age": 12})
one("order-lt-num-eq", "age", "less_than", 18, {"age": 18})
one("order-gte-num", "age", "greater_than_or_equals", 18, {"age": 18})
one("order-lte-num", "age", "less_than_or_equals", 18, {"age": 18})
one("order-lte-num-above", "age", "less_than_or_equals", 18, {"age": 18.5})
one("order-gt-string-num", "age", "greater_than", 9, {"age": "10"})
one("order-gt-string-target", "age", "greater_than", "9", {"age": 10})
one("order-gt-hex", "n", "greater_than", 15, {"n": "0x10"})
one("order-gt-binary", "n", "greater_than", 4, {"n": "0b101"})
one("order-gt-octal", "n", "less_than", 16, {"n": "0o17"})
one("order-gt-signed-hex", "n", "greater_than", -100, {"n": "-0x10"})
one("order-gt-whitespace-empty", "n", "greater_than", -1, {"n": " \t"})
one("order-gt-empty-string", "n", "less_than", 1, {"n": ""})
one("order-gt-whitespace-padded", "n", "greater_than", 11, {"n": " 12\n"})
one("order-gt-bool-true", "b", "greater_than", 0, {"b": True})
one("order-lt-bool-false", "b", "less_than", 1, {"b": False})
one("order-gt-infinity", "n", "greater_than", 1e308, {"n": "Infinity"})
one("order-lt-neg-infinity", "n", "less_than", -1e308, {"n": "-Infinity"})
one("order-gt-inf-spelling", "n", "greater_than", 0, {"n": "inf"})
one("order-gt-nan-spelling", "n", "less_than", 0, {"n": "NaN"})
one("order-gt-underscore", "n", "greater_than", 0, {"n": "1_000"})
one("order-gt-exponent", "n", "greater_than", 999, {"n": "1e3"})
one("order-gt-leading-dot", "n", "less_than", 1, {"n": ".5"})
one("order-gt-trailing-dot", "n", "greater_than_or_equals", 5, {"n": "5."})
one("order-gt-word", "n", "greater_than", 0, {"n": "abc"})
one("order-target-not-number", "n", "greater_than", "abc", {"n": 1})
one("order-null-attr", "n", "less_than", 1, {"n": None})
one("order-null-target", "n", "less_than", None, {"n": 0})
one("order-array-attr", "n", "greater_than", 0, {"n": [1]})
one("order-array-target", "n", "greater_than", [0], {"n": 1})
one("iso-lt", "at", "less_than", "2025-01-01T00:00:00Z", {"at": "2024-12-31T23:59:59Z"})
one("iso-gt", "at", "greater_than", "2025-01-01T00:00:00Z", {"at": "2025-01-01T00:00:01Z"})
one("iso-eq", "at", "greater_than_or_equals", "2025-01-01T00:00:00Z", {"at": "2025-01-01T00:00:00.000Z"})
one("iso-offset", "at", "less_than", "2025-01-01T00:00:00Z", {"at": "2025-01-01T00:30:00+01:00"})
one("iso-offset-target", "at", "greater_than", "2025-01-01T00:00:00-05:00", {"at": "2025-01-01T04:59:59Z"})
one("iso-ms", "at", "less_than_or_equals", "2025-01-01T00:00:00.123Z", {"at": "2025-01-01T00:00:00.1239Z"})
one("iso-ms-truncated", "at", "greater_than", "2025-01-01T00:00:00.122Z", {"at": "2025-01-01T00:00:00.1239Z"})
one("iso-date-only-attr", "at", "less_than", "2025-01-01T00:00:00Z", {"at": "2024-06-01"})
one("iso-attr-space-separator", "at", "less_than", "2025-01-01T00:00:00Z", {"at": "2024-06-01 10:00:00"})
one("iso-attr-no-offset-is-utc", "at", "greater_than_or_equals", "2025-01-01T00:00:00Z", {"at": "2025-01-01T00:00"})
one("iso-attr-not-date", "at", "less_than", "2025-01-01T00:00:00Z", {"at": "yesterday"})
one("iso-attr-number", "at", "less_than", "2025-01-01T00:00:00Z", {"at": 1})
one("iso-attr-invalid-day", "at", "less_than", "2025-01-01T00:00:00Z", {"at": "2023-02-29T00:00:00Z"})
one("iso-target-invalid", "at", "less_than", "2025-13-01T00:00:00Z", {"at": "2024-01-01T00:00:00Z"})
one("iso-target-date-only", "at", "less_than", "2025-01-01", {"at": "2024-01-01"})
one("iso-target-no-offset", "at", "less_than", "2025-01-01T00:00:00", {"at": "2024-01-01T00:00:00Z"})

# Set operators.
one("in-match", "plan", "in", ["pro", "team"], {"plan": "team"})
one("in-miss", "plan", "in", ["pro", "team"], {"plan": "free"})
one("in-mixed-number", "seats", "in", [1, 2, 3], {"seats": "2"})
one("in-number-attr", "seats", "in", ["1", "2"], {"seats": 2})
one("in-mixed-bool", "beta", "in", ["true"], {"beta": True})
one("in-float-element", "r", "in", [1.5, 2], {"r": "1.5"})
one("in-null", "plan", "in", ["pro"], {"plan": None})
one("in-null-element-skipped", "plan", "in", [None], {"plan": "null"})
one("in-non-array-target", "plan", "in", "pro", {"plan": "pro"})
one("in-non-scalar-attr", "plan", "in", ["pro"], {"plan": ["pro"]})
one("in-empty-list", "plan", "in", [], {"plan": "pro"})
one("not-in-null", "plan", "not_in", ["pro"], {"plan": None})
one("not-in-match", "plan", "not_in", ["pro", "team"], {"plan": "pro"})
one("not-in-miss", "plan", "not_in", ["pro", "team"], {"plan": "free"})
one("not-in-missing-attr", "plan", "not_in", ["pro"], {})
one("not-in-non-array-target", "plan", "not_in", "pro", {"plan": "free"})
one("has-match", "tags", "has", "beta", {"tags": ["alpha", "beta"]})
one("has-miss", "tags", "has", "gamma", {"tags": ["alpha", "beta"]})
one("has-number-elements", "tags", "has", "2", {"tags": [1, 2]})
one("has-number-target", "tags", "has", 2, {"tags": ["2"]})
one("has-nested-skipped", "tags", "has", "1", {"tags": [[1], {"a": 1}]})
one("has-null-target", "tags", "has", None, {"tags": ["null"]})
one("has-null-element", "tags", "has", "null", {"tags": [None]})
one("has-array-target", "tags", "has", ["a"], {"tags": ["a"]})
one("has-non-array-attr", "tags", "has", "a", {"tags": "a"})
one("not-has-match", "tags", "not_has", "gamma", {"tags": ["alpha"]})
one("not-has-present", "tags", "not_has", "alpha", {"tags": ["alpha"]})
one("not-has-non-array-attr", "tags", "not_has", "a", {"tags": "b"})
one("not-has-null-attr", "tags", "not_has", "a", {"tags": None})

# Attribute lookup.
one("missing-attr", "plan", "equals", "pro", {})
one("dotted-path-match", "user.plan", "equals", "pro", {"user": {"plan": "pro"}})
one("exact-key-wins-over-dotted", "user.plan", "equals", "literal", {"user.plan": "literal", "user": {"plan": "nested"}})
one("dotted-path-depth-5", "a.b.c.d.e", "equals", "x", {"a": {"b": {"c": {"d": {"e": "x"}}}}})
one("dotted-path-too-deep", "a.b.c.d.e.f", "equals", "x", {"a": {"b": {"c": {"d": {"e": {"f": "x"}}}}}})
one("dotted-path-too-deep-literal", "a.b.c.d.e.f", "equals", "x", {"a.b.c.d.e.f": "x"})
one("dotted-path-through-string", "user.plan", "equals", "p", {"user": "plan"})
one("dotted-path-through-array", "user.0", "equals", "p", {"user": ["p"]})
one("dotted-path-empty-segment", "a..b", "equals", "x", {"a": {"": {"b": "x"}}})
one("targeting-key-attribute", "targetingKey", "equals", "user-1", {"targetingKey": "user-1"})

# Groups and rule order.
g = {"logical_operator": "AND", "clauses": [cond("plan", "equals", "pro"), cond("seats", "greater_than", 5)]}
case("and-match", flag([rule([g])]), {"plan": "pro", "seats": 10})
case("and-partial", flag([rule([g])]), {"plan": "pro", "seats": 1})
o = {"logical_operator": "OR", "clauses": [cond("plan", "equals", "pro"), cond("seats", "greater_than", 5)]}
case("or-match", flag([rule([o])]), {"plan": "free", "seats": 10})
case("or-none", flag([rule([o])]), {"plan": "free", "seats": 1})
nested = {"logical_operator": "AND", "clauses": [cond("country", "in", ["FR", "DE"]), o]}
case("nested-and-or", flag([rule([nested])]), {"country": "FR", "plan": "pro"})
case("nested-and-or-miss", flag([rule([nested])]), {"country": "US", "plan": "pro"})
deep = cond("x", "equals", 1)
for i in range(8):
    deep = {"logical_operator": "OR" if i % 2 else "AND", "clauses": [deep]}
case("nested-eight-deep", flag([rule([deep])]), {"x": 1})
case("empty-and", flag([rule([{"logical_operator": "AND", "clauses": []}])]))
case("empty-or", flag([rule([{"logical_operator": "OR", "clauses": []}])]))
case("unknown-logical-operator", flag([rule([{"logical_operator": "XOR", "clauses": []}])]))
case("lowercase-logical-operator", flag([rule([{"logical_operator": "and", "clauses": []}])]))
case("clauses-not-array", flag([rule([{"logical_operator": "AND", "clauses": {}}])]))
case("group-wins-over-test", flag([rule([{"logical_operator": "AND", "clauses": [], "attribute": "x", "operator": "equals", "value": 2}])]), {"x": 1})
case("condition-not-object", flag([rule(["plan"])]), {"plan": "pro"})
case("conditions-not-array", flag([{"conditions": "x", "serve_variation": "on"}]), about="treated as no conditions")
case("unknown-operator", flag([rule([cond("plan", "matches", "pro")])]), {"plan": "pro"})
case("operator-case-sensitive", flag([rule([cond("plan", "EQUALS", "pro")])]), {"plan": "pro"})
case("attribute-not-string", flag([rule([cond(1, "equals", "pro")])]), {"1": "pro"})
case("rule-order-first-wins", flag([rule([cond("plan", "equals", "pro")], "off"), rule([], "on")]), {"plan": "pro"})
case("rule-order-falls-through", flag([rule([cond("plan", "equals", "pro")], "off"), rule([], "on")]), {"plan": "free"})
case("rule-not-object-skipped", flag(["nope", rule([])]))
case("only-rules-not-objects", flag(["nope", 1]), about="rules, all skipped: DEFAULT, not STATIC")

# Rollouts.
split = {"percentage": 50}
for key in ["0", "1", "2", "user-a", "日本語", "héllo", "🚀", ""]:
    case(f"split-50-key-{json.dumps(key, ensure_ascii=False)}", flag([rule([], rollout=split)], key="rollout_test"),
         {"targetingKey": key})
case("split-100-is-targeting-match", flag([rule([], rollout={"percentage": 100})]), {"targetingKey": "u"})
case("split-over-100", flag([rule([], rollout={"percentage": 150})]), {"targetingKey": "u"})
case("split-100-missing-attr", flag([rule([], rollout={"percentage": 100})]), {})
case("split-100-non-scalar-attr", flag([rule([], rollout={"percentage": 100})]), {"targetingKey": ["u"]})
case("split-0-never", flag([rule([], rollout={"percentage": 0})]), {"targetingKey": "u"})
case("split-negative", flag([rule([], rollout={"percentage": -5})]), {"targetingKey": "u"})
case("split-custom-attr", flag([rule([], rollout={"percentage": 50, "attribute": "org"})], key="rollout_test"), {"targetingKey": "0", "org": "2"})
case("split-custom-attr-dotted", flag([rule([], rollout={"percentage": 50, "attribute": "org.id"})], key="rollout_test"), {"org": {"id": "1"}})
case("split-empty-attribute-name", flag([rule([], rollout={"percentage": 50, "attribute": ""})], key="rollout_test"), {"targetingKey": "1"})
case("split-number-attr", flag([rule([], rollout={"percentage": 50, "attribute": "n"})], key="rollout_test"), {"n": 0})
case("split-bool-attr", flag([rule([], rollout={"percentage": 50, "attribute": "b"})], key="rollout_test"), {"b": True})
case("split-non-scalar-attr", flag([rule([], rollout={"percentage": 50})]), {"targetingKey": {"id": 1}})
case("split-missing-attr-random", flag([rule([], rollout={"percentage": 50})]), {})
case("split-null-attr-random", flag([rule([], rollout={"percentage": 50, "attribute": "k"})]), {"k": None})
case("split-fractional-percentage", flag([rule([], rollout={"percentage": 33.3})], key="rollout_test"), {"targetingKey": "user-a"})
case("split-fraction-below-bucket", flag([rule([], rollout={"percentage": 0.5})], key="rollout_test"), {"targetingKey": "0"})
case("split-with-conditions", flag([rule([cond("plan", "equals", "pro")], rollout=split)], key="rollout_test"), {"targetingKey": "0", "plan": "free"})
case("split-falls-to-next-rule", flag([rule([], rollout=split), rule([], "off")], key="rollout_test"), {"targetingKey": "2"})
case("split-percentage-absent", flag([rule([], rollout={})]), {"targetingKey": "u"})
case("split-rollout-not-object", flag([rule([], rollout=50)]), {"targetingKey": "u"})
case("split-other-account", dict(flag([rule([], rollout=split)], key="rollout_test")), {"targetingKey": "0"})
cases[-1]["account"] = "another-account"
case("split-definition-key-seeds", flag([rule([], rollout=split)], key="other_flag"), {"targetingKey": "0"})

# Errors and values.
case("missing-serve-variation", flag([{"conditions": []}]), about="PARSE_ERROR for this flag")
case("unknown-serve-variation", flag([rule([], "maybe")]))
case("unknown-serve-variation-not-matched", flag([rule([cond("plan", "equals", "pro")], "maybe")]), {"plan": "free"},
     about="only a rule that matches serves: the default")
case("serve-variation-not-string", flag([rule([], True)]))
case("bad-percentage-reached", flag([rule([cond("plan", "equals", "pro")], rollout={"percentage": None})]), {"plan": "free"},
     about="the percentage is read when the rule is reached, matching or not")
case("bad-percentage-string", flag([rule([], rollout={"percentage": "half"})]))
case("bad-percentage-not-reached", flag([rule([], "off"), rule([], rollout={"percentage": None})]))
case("value-string", flag([rule([], "a")], variations={"a": "alpha", "b": "beta"}, default="b"), kind="string", default="")
case("value-integer", flag([rule([])], variations={"on": 10, "off": 1}), kind="integer", default=0)
case("value-float", flag([rule([])], variations={"on": 2.5, "off": 1.5}), kind="float", default=0.0)
case("value-object", flag([rule([])], variations={"on": {"size": 1}, "off": {}}), kind="object", default={})

# Type checks of the provider (the caller's default, TYPE_MISMATCH).
case("boolean-rejects-string", flag([], variations={"on": "yes", "off": "no"}), kind="boolean", default=True)
case("string-rejects-number", flag([], variations={"on": 1, "off": 0}), kind="string", default="d")
case("integer-rejects-float", flag([], variations={"on": 1.5, "off": 0.5}), kind="integer", default=7)
case("integer-rejects-bool", flag([]), kind="integer", default=7)
case("float-accepts-int", flag([], variations={"on": 3, "off": 0}, default="on"), kind="float", default=0.5)
case("float-rejects-bool", flag([]), kind="float", default=0.5)
case("object-rejects-string", flag([], variations={"on": "x", "off": "y"}), kind="object", default={})
case("object-rejects-number", flag([], variations={"on": 1, "off": 2}), kind="object", default={})

# MurmurHash3 x86 32-bit vectors: `input` repeated `repeat` times (default once), UTF-8.
MURMUR = [("", 1, 0), ("hello", 1, 0), ("hello", 1, 42), ("🚀🎉", 1, 0), ("日本語", 1, 45),
          ("aaaabbbbccccdddd1111222233334444:rollout_test", 1, 0), ("a", 1000, 7)]

json.dump({"cases": cases, "murmur": [{"input": s, "repeat": n, "seed": seed} for s, n, seed in MURMUR]},
          sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write("\n")
