"""A/B comparison of the rule engine: a baseline copy of the project against this one.

Run: ``.venv/bin/python bench/rules/ab_rules.py --baseline DIR [--rounds N] [--checks N]``
where ``DIR`` is a copy of the project taken before a change (it needs ``src/`` and
``guidelines/``). Both versions load the same styles (their own ``marketing-eu`` style plus
the Vale test data) and check the same generated article, each in its own long-lived worker
process. The workers take turns, round by round, so both see the same machine load — on a
shared machine that is the only fair comparison. Reported per version: median, quartiles and
min/max of the check's CPU time (``time.process_time``), the paired ratio new/old per round,
and whether both produced the same alerts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "rules"))

from bench_rules import TESTDATA, article, machine  # noqa: E402

# The worker imports the engine of the project it is given: nothing of the driver's own copy
# may be imported there, so it is a separate program fed through ``-c``.
_WORKER = r"""
import hashlib, json, sys, time
project, testdata, words = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, project + "/src")
from pathlib import Path
from compliance_assistant.catalog.styles import load_styles
from compliance_assistant.engine.rules import LintOptions, run_rules
from compliance_assistant.ingest.markdown import ingest_markdown
library = load_styles([Path(project) / "guidelines/marketing-eu/styles", Path(testdata) / "styles"])
rules = list(library.values())
text = sys.stdin.readline()
document = ingest_markdown(json.loads(text), source_name="article.md")
options = LintOptions(min_alert_level="suggestion")
alerts = run_rules(document, rules, config=options)
digest = hashlib.sha256(repr([(a.check, a.line, a.column, a.start, a.end, a.message)
                              for a in alerts]).encode()).hexdigest()
print(json.dumps({"rules": len(rules), "alerts": len(alerts), "digest": digest}), flush=True)
for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        started = time.process_time()
        run_rules(document, rules, config=options)
        times.append(time.process_time() - started)
    print(json.dumps(times), flush=True)
"""


class Worker:
    def __init__(self, project: Path, text: str, words: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(project), str(TESTDATA), str(words)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        self._send(json.dumps(text))
        self.info: dict[str, object] = json.loads(self._receive())

    def run(self, checks: int) -> list[float]:
        self._send(str(checks))
        times: list[float] = json.loads(self._receive())
        return times

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def _receive(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"worker exited with {self.process.wait()}")
        return line


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    q1, median, q3 = statistics.quantiles(ms, n=4)
    return (
        f"median {median:.1f} ms (IQR {q1:.1f}–{q3:.1f}, min {ms[0]:.1f}, max {ms[-1]:.1f}, "
        f"n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--checks", type=int, default=5, help="checks per worker per round")
    parser.add_argument("--words", type=int, default=5000)
    args = parser.parse_args()

    text = article(args.words)
    old = Worker(args.baseline.resolve(), text, args.words)
    new = Worker(ROOT, text, args.words)
    old.run(1), new.run(1)  # warm-up: lazy per-process caches
    old_times: list[float] = []
    new_times: list[float] = []
    ratios: list[float] = []
    load_before = os.getloadavg()[0]
    for index in range(args.rounds):
        # Alternate who goes first so neither always runs right after the other.
        pair = (old, new) if index % 2 == 0 else (new, old)
        results = {id(worker): worker.run(args.checks) for worker in pair}
        a, b = results[id(old)], results[id(new)]
        old_times += a
        new_times += b
        ratios.append(statistics.median(b) / statistics.median(a))
    load_after = os.getloadavg()[0]
    old.close()
    new.close()

    print(f"machine: {machine()}; load average {load_before:.2f} → {load_after:.2f}")
    print(
        f"article: {len(text.split())} words; "
        f"rules old {old.info['rules']}, new {new.info['rules']}"
    )
    print(f"old ({args.baseline}): {summary(old_times)}; alerts {old.info['alerts']}")
    print(f"new ({ROOT}): {summary(new_times)}; alerts {new.info['alerts']}")
    print(
        f"new/old per round: median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
    )
    same = old.info["digest"] == new.info["digest"]
    print(f"same alerts (check, position, message): {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
