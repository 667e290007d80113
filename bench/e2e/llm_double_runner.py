"""The LLM test double in its own process for the end-to-end benchmark, reporting how long it
held back each job's calls.

    .venv/bin/python -m bench.e2e.llm_double_runner --latency 2 --jitter 0.5 --seed 1

Prints ``PORT <n>``, then answers each ``delays`` line on stdin with one JSON line: for every
job tag (``E2E-<run>-<n>``, found in the request's text) the waits applied to its calls, in
seconds, and ``untagged`` for calls without a tag; the recorded requests are then forgotten.
Ends at end of input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.doubles.llm_server import LlmDouble

TAG = re.compile(r"E2E-[0-9a-f]+-\d+")


def delays_by_tag(double: LlmDouble) -> dict[str, object]:
    requests = double.requests
    double.clear_requests()
    by_tag: dict[str, list[float]] = defaultdict(list)
    untagged = 0
    for request in requests:
        found = TAG.search(request.user_text) or TAG.search(request.system_text)
        if found is None:
            untagged += 1
        else:
            by_tag[found.group(0)].append(request.delay)
    return {"jobs": dict(by_tag), "untagged": untagged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--jitter", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    try:
        double = LlmDouble(latency=args.latency, jitter=args.jitter, seed=args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    with double:
        print(f"PORT {double.port}", flush=True)
        for line in sys.stdin:
            if line.strip() == "delays":
                print(json.dumps(delays_by_tag(double)), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {line.strip()!r}"}), flush=True)


if __name__ == "__main__":
    main()
