#!/usr/bin/env python3
"""Seeded, bounded generator of random Flagship definitions and contexts for the differential
test (`run.sh`): rules of every operator (and unknown ones), nested AND/OR groups, dotted
paths, rollouts (with and without their attribute), JavaScript coercion edge values, dates,
malformed parts, values of every type read as the right type or not.

    python3 gen.py OUT.json SEED [COUNT]

Left out on purpose (documented differences from the oracle, see README.md): integers beyond
2^53, `in` elements that are arrays or objects, string or `null` percentages that Python's
`float()` reads, text the Python port reads as a number and JavaScript does not (non-ASCII
digits, `"infinity"` in lower case, the control characters U+001C to U+001F and U+0085 as
white space), and serve_variation values that are booleans, `null` or fractions.
"""

import json
import random
import sys

OPERATORS = ["equals", "not_equals", "contains", "starts_with", "ends_with", "greater_than",
             "less_than", "greater_than_or_equals", "less_than_or_equals", "in", "not_in",
             "has", "not_has"]
UNKNOWN = ["matches", "EQUALS", "eq", ""]
ACCOUNTS = ["aaaabbbbccccdddd1111222233334444", "acct-1", "日本", ""]
STRINGS = ["", " ", "\t\n", "pro", "free", "Pro", "team", "10", "9", "12", " 12 ", "0x10", "0X1f",
           "0b101", "0o17", "-0x10", "0x", "1e3", "1E3", ".5", "5.", "1_000", "inf", "nan", "NaN",
           "Infinity", "-Infinity", "+Infinity", "abc", "true", "false", "null", "0", "-0", "00",
           "1e21", "1e+21", "0.000001", "1e-7", "日本語", "héllo", "🚀", "user-a", "a,b", "1,2",
           "\u00a05\u00a0", "\u20285\u2029", "\ufeff7", "\u30003", "[object Object]",
           "2024-06-01", "2024-06-01Z", "2024-06-01T12:00:00Z", "2024-06-01T12:00:00.1239Z",
           "2024-06-01 12:00:00", "2024-06-01T12:00", "2024-06-01T12:00:00+02:00",
           "2024-06-01T12:00:00+0200", "2023-02-29T00:00:00Z", "2024-02-29T23:59:59.999Z",
           "2024-06-01T24:00:00Z", "1969-12-31T23:59:59.9995Z", "0001-01-01T00:00:00Z"]
NUMBERS = [0, -0.0, 1, -1, 2, 9, 10, 12, 18, 42, 1.5, -2.25, 0.1 + 0.2, 1e21, 1e20, 1e-7, 1e-6,
           123456789012, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324, 100, 0.5, 33.3]
ISO_TARGETS = ["2024-06-01T12:00:00Z", "2024-06-01T12:00:00.123Z", "2024-06-01T14:00:00+02:00",
               "2024-06-01T12:00:00.1239Z", "2025-13-01T00:00:00Z", "2024-06-01T11:59:59.9999999Z",
               "2024-06-01T12:00:00-00:30"]
ATTRIBUTES = ["plan", "n", "s", "tags", "user.plan", "user.a.b", "a.b.c.d.e", "a.b.c.d.e.f",
              "targetingKey", "missing", "user", "at"]


def scalar(r):
    roll = r.random()
    if roll < 0.45:
        return r.choice(STRINGS)
    if roll < 0.8:
        return r.choice(NUMBERS)
    if roll < 0.95:
        return r.choice([True, False])
    return None


def date(r):
    frac = "".join(r.choice("0123456789") for _ in range(r.randint(0, 7)))
    text = f"2024-06-01T{r.choice(['11', '12', '13'])}:{r.choice(['00', '59'])}:{r.choice(['00', '30', '59'])}"
    if frac:
        text += "." + frac
    return text + r.choice(["Z", "+02:00", "-00:30", "Z"])


def value(r, depth=0):
    roll = r.random()
    if roll < 0.7 or depth > 1:
        return scalar(r)
    if roll < 0.85:
        return [scalar(r) for _ in range(r.randint(0, 3))]
    return {"plan": scalar(r)}


def target(r, op):
    if op in ("in", "not_in"):
        if r.random() < 0.9:
            return [x for x in (scalar(r) for _ in range(r.randint(0, 4)))]
        return scalar(r)
    if op in ("greater_than", "less_than", "greater_than_or_equals", "less_than_or_equals"):
        roll = r.random()
        if roll < 0.3:
            return r.choice(ISO_TARGETS + [date(r)])
        if roll < 0.95:
            return scalar(r)
        return [1]
    if r.random() < 0.05:
        return r.choice([["a"], {"a": 1}])
    return scalar(r)


def condition(r, depth):
    roll = r.random()
    if roll < 0.15 and depth < 3:
        return {"logical_operator": r.choice(["AND", "OR", "OR", "AND", "XOR"]),
                "clauses": [condition(r, depth + 1) for _ in range(r.randint(0, 3))]}
    if roll < 0.17:
        return r.choice(["plan", 3, None, []])
    op = r.choice(OPERATORS) if r.random() < 0.95 else r.choice(UNKNOWN)
    c = {"attribute": r.choice(ATTRIBUTES), "operator": op, "value": target(r, op)}
    if r.random() < 0.03:
        del c["value"]
    return c


def rule(r, names):
    conditions = [condition(r, 0) for _ in range(r.choice([0, 1, 1, 2, 3]))]
    serve = r.choice(names) if r.random() < 0.95 else r.choice(["nope", "", 1])
    out = {"conditions": conditions, "serve_variation": serve}
    if r.random() < 0.4:
        rollout = {"percentage": r.choice([0, 1, 10, 25, 33.3, 50, 50, 75, 99.9, 100, 150, -5, True])}
        if r.random() < 0.4:
            rollout["attribute"] = r.choice(["targetingKey", "plan", "n", "user.plan", "missing", "tags", ""])
        out["rollout"] = rollout
    if r.random() < 0.02:
        out = r.choice(["rule", 1])
    return out


VARIATIONS = [
    ("boolean", {"on": True, "off": False}, False),
    ("string", {"on": "alpha", "off": "beta", "1": "one"}, "dflt"),
    ("integer", {"on": 10, "off": -3, "1": 0}, 7),
    ("float", {"on": 2.5, "off": 0.125, "1": 3}, 0.5),
    ("object", {"on": {"size": 1}, "off": {}, "1": {"a": [1, 2]}}, {}),
]
TYPES = ["boolean", "string", "integer", "float", "object"]


def case(r, i):
    kind, variations, default = r.choice(VARIATIONS)
    names = list(variations)
    if r.random() < 0.1:
        kind = r.choice(TYPES)
        default = dict((t, d) for t, _, d in VARIATIONS)[kind]
    definition = {"key": r.choice(["rollout_test", f"flag-{i}", "f"]), "enabled": r.random() > 0.05,
                  "default_variation": r.choice(names), "variations": variations,
                  "rules": [rule(r, names) for _ in range(r.choice([0, 1, 1, 2, 3]))]}
    context = {}
    if r.random() < 0.8:
        context["targetingKey"] = r.choice(STRINGS) if r.random() < 0.9 else value(r)
    for name in ["plan", "n", "s", "tags", "at"]:
        if r.random() < 0.6:
            context[name] = value(r) if name != "at" else r.choice([date(r)] + STRINGS[-12:])
    if r.random() < 0.4:
        context["user"] = {"plan": scalar(r), "a": {"b": scalar(r)}}
    if r.random() < 0.1:
        context["user.plan"] = scalar(r)
    if r.random() < 0.2:
        context["a"] = {"b": {"c": {"d": {"e": scalar(r), "f": scalar(r)}}}}
    return {"name": f"random-{i}", "account": r.choice(ACCOUNTS), "flag": definition,
            "context": context, "type": kind, "default": default}


def main():
    out, seed = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    r = random.Random(seed)
    doc = {"seed": seed, "cases": [case(r, i) for i in range(count)]}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
