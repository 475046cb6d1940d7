"""Compares Flipt's answers (oracle.py) with ours (the `flipt_conformance` example).

    python3 compare.py CASES.json ORACLE.json OURS.json [--show N] [--report PATH]

What Flipt answers maps onto what we answer (engine/flipt/mod.rs, "Reasons and values"):

- a variant: Flipt's MATCH is our SPLIT or TARGETING_MATCH, DEFAULT and UNKNOWN our DEFAULT,
  FLAG_DISABLED our DISABLED; its variant key is our `String` value and `details.variant`
  (an empty key: the caller's default, no variant); its attachment, parsed as JSON (text
  that is not JSON: that text as a string), is our `serde_json::Value` read (none or empty:
  the caller's default, with the same reason);
- a boolean: `enabled` is our value, the reasons as above;
- the matched segment keys, as a set, are our metadata `segments`;
- a failure: an unknown flag is our FLAG_NOT_FOUND, a flag of the other type TYPE_MISMATCH.

Deliberate differences, counted apart and never a disagreement: an empty entity id where
bucketing needs one (our TARGETING_KEY_MISSING; Flipt hashes the flag key alone); a flag read
as the other type whose answer is the caller's default (ours: that default without error, as
for every flag that defers to the code; Flipt: an error).
Exits 1 on any disagreement.
"""

import json
import sys

DEFAULT = "<default>"


def expected(case, answer):
    """What we should answer, from Flipt's answer."""
    if answer["status"] != "success":
        message = answer.get("error_message") or ""
        code = "FLAG_NOT_FOUND" if "failed to get flag information" in message else (
            "TYPE_MISMATCH" if "is not a" in message else "GENERAL")
        return {"error": code}
    result = answer["result"]
    reason = {
        "MATCH_EVALUATION_REASON": "MATCH",
        "DEFAULT_EVALUATION_REASON": "DEFAULT",
        "UNKNOWN_EVALUATION_REASON": "DEFAULT",
        "FLAG_DISABLED_EVALUATION_REASON": "DISABLED",
    }.get(result["reason"], result["reason"])
    segments = sorted(set(result.get("segment_keys") or []))
    if case["kind"] == "boolean":
        return {"reason": reason, "value": result["enabled"], "segments": segments}
    key = result.get("variant_key") or ""
    text = result.get("variant_attachment") or ""
    if not key:
        attachment = {DEFAULT: True}
    elif not text:
        attachment = {DEFAULT: True}
    else:
        try:
            attachment = json.loads(text)
        except ValueError:
            attachment = text
    return {"reason": reason, "value": key or DEFAULT, "variant": key or None,
            "attachment": attachment, "segments": segments}


def reason_of(ours):
    reason = ours["reason"]
    return "MATCH" if reason in ("SPLIT", "TARGETING_MATCH") else reason


def segments_of(ours):
    return sorted(ours["segments"].split(",")) if ours.get("segments") else []


def actual(case, ours):
    """Our answer, in the shape of `expected`."""
    if "load_error" in ours or "panic" in ours:
        return ours
    if case["kind"] == "boolean":
        if ours["error"]:
            return {"error": ours["error"]}
        return {"reason": reason_of(ours), "value": ours["value"], "segments": segments_of(ours)}
    key, attachment = ours["key"], ours["attachment"]
    if key["error"]:
        return {"error": key["error"]}
    return {"reason": reason_of(key), "value": key["value"], "variant": key["variant"],
            "attachment": attachment["value"] if not attachment["error"]
            else {"error": attachment["error"]},
            "segments": segments_of(key),
            "attachment_reason": reason_of(attachment)}


def main():
    args = sys.argv[1:]
    show = 30
    report = None
    if "--show" in args:
        show = int(args[args.index("--show") + 1])
    if "--report" in args:
        report = args[args.index("--report") + 1]
    with open(args[0]) as f:
        cases = json.load(f)["cases"]
    with open(args[1]) as f:
        oracle = json.load(f)["results"]
    with open(args[2]) as f:
        ours = json.load(f)["results"]
    disagreements, deliberate = [], 0
    reasons = {}
    for i, case in enumerate(cases):
        want = expected(case, oracle[i])
        got = actual(case, ours[i])
        if got.get("error") == "TARGETING_KEY_MISSING" and case["entity"] == "":
            deliberate += 1
            continue
        if want.get("error") == "TYPE_MISMATCH" and got.get("value") == DEFAULT \
                and got.get("reason") in ("DEFAULT", "DISABLED", "MATCH"):
            # Read as the other type, a flag that answers the caller's default has no value
            # that could mismatch (in every dialect).
            deliberate += 1
            continue
        attachment_reason = got.pop("attachment_reason", None)
        if attachment_reason is not None and "reason" in want and attachment_reason != want["reason"]:
            got["attachment_reason"] = attachment_reason
        if got != want:
            disagreements.append((i, case, oracle[i], ours[i], want, got))
        key = want.get("reason") or want.get("error")
        reasons[key] = reasons.get(key, 0) + 1
    lines = [f"{len(cases)} cases, {len(disagreements)} disagreements, {deliberate} deliberate "
             f"differences (no targeting key where bucketing needs one; \
the other type read where the flag answers the caller's default)",
             "answers by Flipt's reason: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))]
    for i, case, theirs, mine, want, got in disagreements[:show]:
        lines.append(f"\n#{i} flag {case['flag']} ({case['kind']}), entity {case['entity']!r}, "
                     f"context {json.dumps(case['context'])}")
        lines.append(f"  expected {json.dumps(want)}")
        lines.append(f"  got      {json.dumps(got)}")
        lines.append(f"  ours     {json.dumps(mine)}")
        lines.append(f"  flipt    {json.dumps(theirs.get('result') or theirs)}")
    text = "\n".join(lines)
    print(text)
    if report:
        with open(report, "w") as f:
            f.write(text + "\n")
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
