"""Generates Flipt namespace snapshots and evaluation cases for the differential test
(seeded, bounded, deterministic).

    python3 gen.py OUT.json [SEED] [DOCUMENTS]

Each document is a namespace snapshot as Flipt's server serves it (camelCase); each case names
a document, a flag, the kind of evaluation (variant or boolean), an entity id and a context.
A context is given twice: `context` as our typed API receives it (strings, numbers, booleans,
null, lists, datetimes as {"$datetime": seconds, "nanos": n}) and `flipt_context` as a user
of Flipt's clients would send it (the strings our engine compares typed values as, see
`flags-runtime/src/engine/flipt/mod.rs`; null, lists and maps left out, as Flipt drops them).
"""

import datetime
import json
import random
import sys
import zlib

PROPERTIES = ["plan", "age", "beta", "signup", "email", "n"]
STRINGS = ["pro", "free", "", "a", "ab", "abc", "pr", "o", "x\"y", "Pro", "team", "ab]", " pro"]
NUMBERS = ["5", "+5", "007", "-3", "0", " 5", "5.0", "1e1", "2147483647", "2147483648",
           "-2147483648", "abc", "", "-0", "+", "12"]
NUMBER_LISTS = ["[5, 7]", "[ -3 ,0]", "[5.0]", "[\"5\"]", "5", "[]", "[12,5,2147483647]",
                "[2147483648]", "not a list", "[7]"]
BOOLEANS = ["true", "false", "True", "1", "", "TRUE", " true"]
ENTITIES = ["user-1", "u2", "ab", "abc", "pro-user", "entity-42", "x\"y", "a", "user-7"]
OPERATORS = {
    "STRING": ["eq", "neq", "empty", "notempty", "prefix", "suffix", "contains", "notcontains",
               "isoneof", "isnotoneof"],
    "NUMBER": ["eq", "neq", "lt", "lte", "gt", "gte", "present", "notpresent", "isoneof",
               "isnotoneof"],
    "BOOLEAN": ["true", "false", "present", "notpresent"],
    "DATETIME": ["eq", "neq", "lt", "lte", "gt", "gte", "present", "notpresent"],
    "ENTITY_ID": ["eq", "neq", "empty", "notempty", "prefix", "suffix", "contains",
                  "notcontains", "isoneof", "isnotoneof"],
}
BASE_INSTANTS = [1710073845, 0, -1, 1483228799, 253402000000, 1700000000, -62135424000]
ATTACHMENTS = [None, None, "{\"a\":1}", "{\"colour\":\"dark\",\"n\":[1,2]}", "\"text\"",
               "[1,2]", "", "not json", "42", "{}"]
PERCENTAGES = [0, 0.5, 1, 33.3, 50, 50.5, 99, 99.5, 100, -5, 150, 12.25, 66.6, 0.01]
# Rust's f64 Display for the floats used as typed attributes.
FLOATS = {2.5: "2.5", 3.0: "3", -7.25: "-7.25", 0.1: "0.1", 1e21: "1000000000000000000000",
          5.0: "5", 1e-7: "0.0000001"}


def rfc3339(seconds, nanos, offset_minutes, sep="T", zulu="Z"):
    """An RFC 3339 text of an instant, with a zone offset in minutes."""
    at = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds + offset_minutes * 60)
    text = f"{at.year:04d}-{at.month:02d}-{at.day:02d}{sep}{at.hour:02d}:{at.minute:02d}:{at.second:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    if offset_minutes == 0 and zulu:
        return text + zulu
    sign = "+" if offset_minutes >= 0 else "-"
    m = abs(offset_minutes)
    return text + f"{sign}{m // 60:02d}:{m % 60:02d}"


def datetime_text(rng):
    base = rng.choice(BASE_INSTANTS) + rng.choice([0, 0, 1, -1, 3600, 59])
    form = rng.random()
    if form < 0.5:
        return rfc3339(base, rng.choice([0, 0, 500000000, 1]), rng.choice([0, 0, 60, -90, 1439]),
                       rng.choice(["T", "T", "t", " "]), rng.choice(["Z", "z"]))
    if form < 0.6:
        return rfc3339(base, 0, 0)[:10]  # a date alone
    if form < 0.7:
        return rfc3339(base, 0, 0)[:-1]  # no zone
    if form < 0.75:
        return rfc3339(base, 0, 60).replace("+01:00", "+0100")
    if form < 0.8:
        return rfc3339(base, 0, 0).replace(":00Z", ":60Z")
    if form < 0.85:
        return rng.choice(["2024-02-30T00:00:00Z", "2024-02-29T12:00:00Z", "2023-02-29T00:00:00Z",
                           "2024-03-10T24:00:00Z", "2024-03-10T12:30:45+24:00",
                           "2024-03-10T12:30:45+01:60", "2024-03-10T12:30:45.Z",
                           "0000-01-01T00:00:00Z", "2024-13-01T00:00:00Z"])
    return rfc3339(base, rng.choice([0, 123456789]), 0)


def constraint_value(rng, ctype, op):
    if ctype in ("STRING", "ENTITY_ID"):
        if op in ("isoneof", "isnotoneof"):
            pool = STRINGS + ENTITIES
            r = rng.random()
            if r < 0.6:
                return json.dumps(rng.sample(pool, rng.randint(0, 3)))
            if r < 0.7:
                return "[\"a\\u0062\", \"pro\"]"
            if r < 0.8:
                return "[\"pro\", 1]"
            if r < 0.9:
                return rng.choice(["pro", "[pro]", "[\"pro\""])
            return json.dumps(rng.sample(pool, 2), separators=(",", ":"))
        return rng.choice(STRINGS + ENTITIES)
    if ctype == "NUMBER":
        if op in ("isoneof", "isnotoneof"):
            return rng.choice(NUMBER_LISTS)
        return rng.choice(NUMBERS)
    if ctype == "BOOLEAN":
        return rng.choice(["", "true", "x"])
    if ctype == "DATETIME":
        return datetime_text(rng)
    return rng.choice(STRINGS)


def constraint(rng):
    r = rng.random()
    if r < 0.04:
        ctype = "SEMVER"
    else:
        ctype = rng.choice(["STRING", "STRING", "NUMBER", "NUMBER", "BOOLEAN", "DATETIME",
                            "ENTITY_ID"])
    ops = OPERATORS.get(ctype, OPERATORS["STRING"])
    op = rng.choice(ops) if rng.random() > 0.05 else rng.choice(["EQ", "xx", "prefix", "lt", ""])
    out = {"type": f"{ctype}_CONSTRAINT_COMPARISON_TYPE", "property": rng.choice(PROPERTIES),
           "operator": op, "value": constraint_value(rng, ctype, op)}
    return out


def segment(rng):
    return {"key": rng.choice(["s1", "s2", "s3", "s4", "staff", "beta-users"]),
            "matchType": rng.choice(["ALL_SEGMENT_MATCH_TYPE", "ANY_SEGMENT_MATCH_TYPE",
                                     "ALL_SEGMENT_MATCH_TYPE", "SOME_SEGMENT_MATCH_TYPE"]),
            "constraints": [constraint(rng) for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]}


def segment_operator(rng):
    return rng.choice(["OR_SEGMENT_OPERATOR", "OR_SEGMENT_OPERATOR", "AND_SEGMENT_OPERATOR",
                       "XOR_SEGMENT_OPERATOR"])


def with_attachment(rng, variant, field):
    attachment = rng.choice(ATTACHMENTS)
    if attachment is not None:
        variant[field] = attachment
    return variant


# Shares too small for a bucket, so that boundaries repeat: with the entity's bucket, the
# boundary the binary search lands on among equal ones decides the variant.
TIES = [([50, 0.01, 49.99], 499), ([30, 0.02, 0.02, 69.96], 299), ([0.04, 99.96], 0),
        ([10, 0.04, 0.04, 0.04, 89.88], 99)]


def entity_in_bucket(flag_key, bucket):
    """An entity id whose bucket (crc32 of flag key + entity, mod 1000) is `bucket`."""
    k = 0
    while zlib.crc32(f"{flag_key}t{k}".encode()) % 1000 != bucket:
        k += 1
    return f"t{k}"


def distributions(rng, ties=None):
    shape = rng.random()
    n = rng.randint(2, 5)
    if ties is not None and shape < 0.1:
        tie = rng.choice(TIES)
        ties.append(tie)
        return [{"variantKey": k, "rollout": r} for k, r in zip("abcde", tie[0])]
    if shape < 0.15:
        return []
    if shape < 0.3:
        rollouts = [100]
    elif shape < 0.5:  # summing to 100
        cuts = sorted(rng.sample(range(1, 1000), n - 1))
        parts = [b - a for a, b in zip([0] + cuts, cuts + [1000])]
        rollouts = [p / 10 for p in parts]
    elif shape < 0.6:  # thirds and other repeating fractions
        rollouts = rng.choice([[33.33, 33.33, 33.34], [33.3, 33.3, 33.4], [100 / 3] * 3,
                               [16.65, 33.35, 50], [0.05, 99.95], [0.01, 0.01, 99.98]])
    elif shape < 0.75:  # below 100
        rollouts = [round(rng.uniform(0, 40), rng.choice([0, 1, 2])) for _ in range(n)]
    elif shape < 0.85:  # above 100
        rollouts = [round(rng.uniform(20, 90), rng.choice([0, 1, 3])) for _ in range(n)]
    else:  # zeros, negatives, tiny shares
        rollouts = [rng.choice([0, 0, -5, 0.01, 0.4, 0.45, 0.55, 50, 25.5]) for _ in range(n)]
    keys = ["a", "b", "c", "d", "e"]
    return [with_attachment(rng, {"variantKey": keys[i], "rollout": r}, "variantAttachment")
            for i, r in enumerate(rollouts)]


def variant_flag(rng, key, ties):
    flag = {"key": key, "name": key, "type": "VARIANT_FLAG_TYPE",
            "enabled": rng.random() > 0.12}
    if rng.random() < 0.7:
        flag["defaultVariant"] = with_attachment(rng, {"id": "dv", "key": "dflt"}, "attachment")
    flag["rules"] = [{"rank": i + 1, "segmentOperator": segment_operator(rng),
                      "segments": [segment(rng) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))],
                      "distributions": distributions(rng, ties)}
                     for i in range(rng.choice([0, 1, 1, 2, 3]))]
    if ties:
        # The tie must be reached: a first rule that matches whoever asks splits as it does.
        flag["enabled"] = True
        flag["rules"].insert(0, {"rank": 0, "segmentOperator": "AND_SEGMENT_OPERATOR",
                                 "segments": [], "distributions": [
                                     {"variantKey": k, "rollout": r}
                                     for k, r in zip("abcde", ties[0][0])]})
    return flag


def boolean_flag(rng, key):
    flag = {"key": key, "name": key, "type": "BOOLEAN_FLAG_TYPE",
            "enabled": rng.random() > 0.4, "rollouts": []}
    for i in range(rng.choice([0, 0, 1, 1, 2, 3])):
        r = rng.random()
        if r < 0.45:
            p = rng.choice(PERCENTAGES) if rng.random() < 0.6 else round(rng.uniform(0, 100), 2)
            rollout = {"threshold": {"percentage": p, "value": rng.random() < 0.5}}
        elif r < 0.95:
            rollout = {"segment": {"segmentOperator": segment_operator(rng),
                                   "value": rng.random() < 0.5,
                                   "segments": [segment(rng)
                                                for _ in range(rng.choice([0, 1, 1, 2]))]}}
        else:
            rollout = {}
        rollout["rank"] = i + 1
        flag["rollouts"].append(rollout)
    return flag


def typed_attribute(rng, prop):
    """An attribute: (typed value for us, string for Flipt or None when Flipt drops it)."""
    r = rng.random()
    if r < 0.55:
        pool = {"age": NUMBERS, "n": NUMBERS, "beta": BOOLEANS}.get(prop, STRINGS + ENTITIES)
        if prop == "signup":
            text = datetime_text(rng)
        else:
            text = rng.choice(pool)
        return text, text
    if r < 0.7:
        i = rng.choice([5, 7, 12, -3, 0, 2147483648, 42])
        return i, str(i)
    if r < 0.78:
        b = rng.random() < 0.5
        return b, "true" if b else "false"
    if r < 0.85:
        f = rng.choice(list(FLOATS))
        return f, FLOATS[f]
    if r < 0.93:
        seconds = rng.choice(BASE_INSTANTS) + rng.choice([0, 1, -1])
        nanos = rng.choice([0, 0, 500000000])
        return {"$datetime": seconds, "nanos": nanos}, rfc3339(seconds, nanos, 0)
    return rng.choice([None, [1, 2], {"k": "v"}]), None


def context(rng):
    ours, theirs = {}, {}
    for prop in rng.sample(PROPERTIES, rng.randint(0, len(PROPERTIES))):
        typed, text = typed_attribute(rng, prop)
        ours[prop] = typed
        if text is not None:
            theirs[prop] = text
    return ours, theirs


def generate(seed, documents, flags_per_document=20, contexts_per_flag=3):
    rng = random.Random(seed)
    docs, cases = [], []
    for d in range(documents):
        namespace = f"ns{d}"
        flags = []
        tied = {}
        for f in range(flags_per_document):
            key = f"flag-{d}-{f}"
            ties = []
            flags.append(boolean_flag(rng, key) if rng.random() < 0.4
                         else variant_flag(rng, key, ties))
            if ties:
                tied[key] = ties[0][1]
        docs.append({"namespace": {"key": namespace}, "flags": flags})
        for flag in flags:
            kind = "boolean" if flag["type"] == "BOOLEAN_FLAG_TYPE" else "variant"
            for _ in range(contexts_per_flag):
                ours, theirs = context(rng)
                r = rng.random()
                entity = "" if r < 0.04 else (rng.choice(ENTITIES) if r < 0.5
                                              else f"e{rng.randrange(100000)}")
                if flag["key"] in tied and r >= 0.04:
                    entity = entity_in_bucket(flag["key"], tied[flag["key"]])
                asked = kind if rng.random() > 0.02 else ("variant" if kind == "boolean"
                                                           else "boolean")
                cases.append({"doc": d, "flag": flag["key"], "kind": asked, "entity": entity,
                              "context": ours, "flipt_context": theirs})
        cases.append({"doc": d, "flag": "no-such-flag", "kind": "variant", "entity": "e1",
                      "context": {}, "flipt_context": {}})
    return {"seed": seed, "documents": docs, "cases": cases}


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261205
    documents = int(sys.argv[3]) if len(sys.argv) > 3 else 250
    data = generate(seed, documents)
    with open(out, "w") as f:
        json.dump(data, f)
    flags = sum(len(d["flags"]) for d in data["documents"])
    print(f"{len(data['documents'])} snapshots, {flags} flags, {len(data['cases'])} cases "
          f"(seed {seed})")


if __name__ == "__main__":
    main()
