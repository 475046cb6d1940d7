"""Random GO Feature Flag flags and contexts for the differential test, seeded and bounded:
every operator of the query language, JSON Logic queries, percentages, progressive and
scheduled rollouts, experimentation windows (at fixed times through
`gofeatureflag.currentDateTime`), bucketing keys, disabled rules and flags, missing keys and
attributes, variations of every type (and without value).

    python3 gen.py out.json SEED COUNT

Writes `{"cases": [{name, flagKey, flag, context, type, default, enrichment?}]}` (the relay's
`evaluationContextEnrichment` on a fifth of the cases); each case has its own
flag key (the key seeds the buckets).
"""

import json
import random
import sys

TYPES = ["boolean", "string", "integer", "float", "object"]
NAMES = ["a", "b", "c", "on", "off", "Z", "v_2"]
ATTRS = ["email", "plan", "age", "score", "beta", "country", "company.name", "company.size",
         "tags", "missing", "nothing", "key", "anonymous", "teamId"]
OPS = ["eq", "==", "ne", "!=", "lt", "<", "gt", ">", "le", "<=", "ge", ">=", "co", "sw", "ew"]
STRINGS = ["pro", "free", "PRO", "a@x.com", "@x.com", "x", "fr", "FR", "", "Acme", "acme", "u1"]
INSTANTS = ["2024-01-01T00:00:00Z", "2025-06-01T12:00:00Z", "2025-06-15T00:00:00+02:00",
            "2025-07-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2030-01-01T00:00:00Z"]
NOWS = ["2025-05-01T00:00:00Z", "2025-06-01T12:00:00Z", "2025-06-10T08:30:00Z",
        "2025-06-20T00:00:00Z", "2025-08-01T00:00:00Z", "2031-01-01T00:00:00Z"]


def value_of(r, kind, i):
    if kind == "boolean":
        return i % 2 == 0
    if kind == "string":
        return r.choice(["A", "B", "C", "", "long value", "é"]) + str(i)
    if kind == "integer":
        return r.choice([0, 1, -3, 42, 1000000]) + i
    if kind == "float":
        return r.choice([0.5, -1.25, 3.75, 1e-3]) + i
    return {"i": i, "nested": {"x": r.choice([True, None, "s", 1.5])}}


def literal(r):
    kind = r.random()
    if kind < 0.5:
        return json.dumps(r.choice(STRINGS))
    if kind < 0.75:
        return str(r.choice([0, 1, 18, 21, 30, 65, -2]))
    if kind < 0.85:
        return r.choice(["1.5", "20.5", "0.0", "99.9"])
    if kind < 0.95:
        return r.choice(["true", "false"])
    return "null"


def comparison(r):
    attr = r.choice(ATTRS)
    roll = r.random()
    if roll < 0.1:
        return f"{attr} pr"
    if roll < 0.25:
        items = ", ".join(literal(r) for _ in range(r.randint(1, 3)))
        return f"{attr} in [{items}]"
    return f"{attr} {r.choice(OPS)} {literal(r)}"


def query(r, depth=0):
    roll = r.random()
    if depth < 2 and roll < 0.25:
        return f"{query(r, depth + 1)} {r.choice(['and', 'or'])} {query(r, depth + 1)}"
    if depth < 2 and roll < 0.32:
        return f"({query(r, depth + 1)})"
    if depth < 2 and roll < 0.38:
        return f"not {query(r, depth + 1)}"
    if depth < 2 and roll < 0.42:
        return f"not ({query(r, depth + 1)})"
    return comparison(r)


def json_logic(r, depth=0):
    roll = r.random()
    if depth < 2 and roll < 0.2:
        return {r.choice(["and", "or"]): [json_logic(r, depth + 1), json_logic(r, depth + 1)]}
    if depth < 2 and roll < 0.27:
        return {"!": [json_logic(r, depth + 1)]}
    var = {"var": r.choice(ATTRS)}
    op = r.choice(["==", "===", "!=", "!==", "<", ">", "<=", ">=", "in", "in_list"])
    lit = json.loads(literal(r))
    if op == "in":
        return {"in": [lit, {"var": r.choice(["email", "tags", "plan"])}]}
    if op == "in_list":
        return {"in": [var, [json.loads(literal(r)) for _ in range(2)]]}
    return {op: [var, lit]}


def the_query(r):
    roll = r.random()
    if roll < 0.65:
        return query(r)
    if roll < 0.85:
        return json.dumps(json_logic(r), separators=(",", ":"))
    return r.choice(["", "email eq", "email eq \"x\" junk", "(plan eq \"pro\"", "key eq \"u1\"",
                     "anonymous eq true", "company.name.deep eq \"x\"", "age gt 18 and"])


def serve(r, names, allow_split=True):
    roll = r.random()
    if allow_split and roll < 0.3:
        chosen = r.sample(names, r.randint(1, len(names)))
        weights = [r.choice([0, 10, 25, 50, 33, 100]) for _ in chosen]
        if r.random() < 0.7:
            # Whole shares summing to 100 (decimal shares that do not sum exactly make the
            # engine's answer depend on Go's map order: README.md).
            weights = [0] * len(chosen)
            for _ in range(100):
                weights[r.randrange(len(chosen))] += 1
        return {"percentage": dict(zip(chosen, weights))}
    if allow_split and roll < 0.4:
        start, end = sorted(r.sample(INSTANTS, 2))
        step = {"initial": {"variation": r.choice(names), "date": start},
                "end": {"variation": r.choice(names), "date": end}}
        if r.random() < 0.5:
            step["initial"]["percentage"] = r.choice([0, 10, 50])
            step["end"]["percentage"] = r.choice([50, 90, 100])
        return {"progressiveRollout": step}
    if roll < 0.45:
        return {"variation": "unknown"}
    return {"variation": r.choice(names)}


def rule(r, names, i):
    out = {"query": the_query(r)}
    if r.random() < 0.8:
        out["name"] = f"rule{i}"
    out.update(serve(r, names))
    if r.random() < 0.1:
        out["disable"] = True
    return out


def flag(r, kind):
    names = r.sample(NAMES, r.randint(2, 4))
    variations = {n: value_of(r, kind, i) for i, n in enumerate(names)}
    if r.random() < 0.05:
        variations[names[-1]] = None
    out = {"variations": variations}
    if r.random() < 0.7:
        out["targeting"] = [rule(r, names, i) for i in range(r.randint(1, 3))]
    if r.random() < 0.97:
        out["defaultRule"] = serve(r, names)
    if r.random() < 0.07:
        out["disable"] = True
    if r.random() < 0.1:
        out["bucketingKey"] = "teamId"
    if r.random() < 0.1:
        start, end = sorted(r.sample(INSTANTS, 2))
        window = {"start": start, "end": end}
        if r.random() < 0.3:
            del window[r.choice(["start", "end"])]
        out["experimentation"] = window
    if r.random() < 0.2:
        out["version"] = r.choice(["1", "2.0", ""])
    if r.random() < 0.2:
        out["metadata"] = {"team": "web", "n": 3}
    if r.random() < 0.1:
        out["trackEvents"] = False
    if r.random() < 0.15:
        steps = []
        for date in r.sample(INSTANTS, r.randint(1, 3)):
            step = {"date": date}
            roll = r.random()
            if roll < 0.3:
                step["defaultRule"] = serve(r, names)
            elif roll < 0.5:
                step["disable"] = r.random() < 0.5
            elif roll < 0.7:
                step["targeting"] = [rule(r, names, r.randint(0, 3))]
            elif roll < 0.85:
                # New values for some variations, a new variation, or one without value.
                changed = {n: value_of(r, kind, r.randint(0, 9)) for n in r.sample(names, 1)}
                if r.random() < 0.3:
                    changed["fresh"] = value_of(r, kind, 5)
                    if r.random() < 0.5:
                        step["defaultRule"] = {"variation": "fresh"}
                if r.random() < 0.1:
                    changed[r.choice(names)] = None
                step["variations"] = changed
            else:
                step["version"] = "3"
            steps.append(step)
        out["scheduledRollout"] = steps
    return out


def context(r):
    ctx = {}
    roll = r.random()
    if roll < 0.8:
        ctx["targetingKey"] = r.choice(["u1", "user-2", "abc", "ÜNICODE", str(r.randint(0, 10**6))])
    elif roll < 0.85:
        ctx["targetingKey"] = ""
    for attr, pool in [
        ("email", ["a@x.com", "B@X.COM", "c@y.org", "", None]),
        ("plan", ["pro", "free", "PRO", "team"]),
        ("age", [17, 18, 30, 65.5, "30", None]),
        ("score", [0.5, 20.5, 99, -1]),
        ("beta", [True, False, "true"]),
        ("country", ["fr", "FR", "us"]),
        ("tags", [["a", "pro"], [], "pro"]),
        ("teamId", ["t1", "t2", "", 7]),
        ("anonymous", [True, False]),
    ]:
        if r.random() < 0.5:
            ctx[attr] = r.choice(pool)
    if r.random() < 0.3:
        ctx["company"] = r.choice([{"name": "Acme", "size": 30}, {"name": "x"}, "flat", None])
    if r.random() < 0.85:
        ctx["gofeatureflag"] = {"currentDateTime": r.choice(NOWS)}
    return ctx


def enrichment(r):
    """The relay's evaluationContextEnrichment for a share of the cases: attributes the rules
    read, a `targetingKey` (never the key), a `gofeatureflag` namespace (never "now")."""
    if r.random() >= 0.2:
        return None
    out = {}
    for attr, pool in [
        ("plan", ["pro", "free", "team"]),
        ("country", ["fr", "us"]),
        ("teamId", ["t1", "t9", ""]),
        ("age", [18, 70]),
        ("anonymous", [True, False]),
        ("targetingKey", ["enriched"]),
        ("company", [{"name": "Acme"}, {"size": 30}]),
        ("gofeatureflag", [{"currentDateTime": "2031-01-01T00:00:00Z"}, {"env": "prod"}]),
    ]:
        if r.random() < 0.35:
            out[attr] = r.choice(pool)
    return out


def default_of(kind):
    return {"boolean": False, "string": "dflt", "integer": -1, "float": -1.5,
            "object": {"default": True}}[kind]


def main():
    target, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    cases = []
    for i in range(count):
        kind = r.choice(TYPES)
        case = {"name": f"gen-{seed}-{i}", "flagKey": f"flag-{i:05d}", "flag": flag(r, kind),
                "context": context(r), "type": kind, "default": default_of(kind)}
        if r.random() < 0.03:
            # Read as another type: the provider's type check.
            case["type"] = r.choice(TYPES)
            case["default"] = default_of(case["type"])
        extra = enrichment(r)
        if extra is not None:
            case["enrichment"] = extra
        cases.append(case)
    with open(target, "w") as out:
        json.dump({"cases": cases}, out)


if __name__ == "__main__":
    main()
