"""Times GO Feature Flag's own engine (the WASI build the Python provider runs, with wasmtime)
on the flags of the `gofeatureflag` group of `benches/evaluate.rs`: one `evaluate` call per
evaluation, JSON in and out, as the provider makes it. Prints the median of five runs per case.

    .venv/bin/python bench.py
"""

import statistics
import time

from oracle import Engine

FLAGS = {
    "static": {"variations": {"on": True, "off": False}, "defaultRule": {"variation": "on"}},
    "staff": {
        "variations": {"on": True, "off": False},
        "targeting": [{"name": "staff", "query": 'email ew "@example.com"', "variation": "on"}],
        "defaultRule": {"variation": "off"},
    },
    "half": {
        "variations": {"on": True, "off": False},
        "defaultRule": {"percentage": {"on": 50, "off": 50}},
    },
}
CONTEXT = {"targetingKey": "user-123", "email": "ada@example.com"}


def main():
    engine = Engine()
    for key, flag in FLAGS.items():
        case = {"flagKey": key, "flag": flag, "context": CONTEXT}
        runs = []
        for _ in range(5):
            n = 2000
            start = time.perf_counter()
            for _ in range(n):
                engine.evaluate_case(case)
            runs.append((time.perf_counter() - start) / n)
        print(f"{key}: {statistics.median(runs) * 1e6:.1f} µs per evaluation")


if __name__ == "__main__":
    main()
