"""wrk as the load generator: one paced or unpaced run, and the search for the highest rate an
endpoint sustains.

wrk 4 has no constant-rate mode (wrk2 is not packaged); each connection pauses an
exponentially distributed time between requests (``delay()`` in the Lua scripts), so the
arrivals of all connections approximate a Poisson process at the target rate. Latency is
measured from when a request is sent, so a saturated server shows as a missed rate (achieved
< target) as well as a longer tail.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
THREADS = 2
# A step sustains its rate when it achieves this share of it with no errors and p99 in bounds.
ACHIEVED_SHARE = 0.9
# Paced runs: connections so that each pauses about this long between requests.
PAUSE_TARGET_S = 0.5
MAX_PACED_CONNECTIONS = 256


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class WrkRun:
    label: str
    target_rate: float | None  # None: unpaced (as fast as the connections go)
    connections: int
    requests: int
    rate: float
    status_counts: dict[int, int]
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_ms_per_request: float
    server_cpu_percent: float
    command: str = field(repr=False)
    sent: int | None = None  # requests written, when the script counts them (submit.lua)

    def ok(self, expected_status: int) -> bool:
        return self.socket_errors == 0 and set(self.status_counts) == {expected_status}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_wrk(
    label: str,
    script: str,
    url: str,
    *,
    connections: int,
    duration: float,
    env: dict[str, str],
    rate: float | None = None,
    server_pid: int | None = None,
    expected_latency_ms: float = 0.0,
) -> WrkRun:
    """One wrk run; ``rate`` None runs unpaced (maximum throughput at ``connections``)."""
    delay_ms = 0
    if rate is not None:
        delay_ms = max(1, int(connections * 1000 / rate - expected_latency_ms))
    seconds = max(1, math.ceil(duration))
    command = [
        "wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds}s", "--latency",
        "--timeout", "5s", "-s", str(HERE / script), url,
    ]  # fmt: skip
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    output = subprocess.run(
        command,
        env={**os.environ, **env, "BENCH_DELAY_MS": str(delay_ms), "BENCH_THREADS": str(THREADS)},
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    counts = json.loads(_line(output, r"STATUS_COUNTS (\{.*\})"))
    latency = dict(re.findall(r"(p\d+|max)=(\d+)", _line(output, r"(LATENCY_US.*)")))
    summary = dict(re.findall(r"(\w+)=(\d+)", _line(output, r"(SUMMARY.*)")))
    requests = int(summary["requests"])
    elapsed = int(summary["duration_us"]) / 1e6
    return WrkRun(
        label=label,
        target_rate=rate,
        connections=connections,
        requests=requests,
        rate=round(requests / elapsed, 1),
        status_counts={int(k): v for k, v in counts.items()},
        socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        p50_ms=int(latency["p50"]) / 1000,
        p90_ms=int(latency["p90"]) / 1000,
        p95_ms=int(latency["p95"]) / 1000,
        p99_ms=int(latency["p99"]) / 1000,
        max_ms=int(latency["max"]) / 1000,
        server_cpu_ms_per_request=round(cpu * 1000 / max(requests, 1), 2),
        server_cpu_percent=round(100 * cpu / elapsed, 1),
        command=" ".join(command) + f"  (BENCH_DELAY_MS={delay_ms})",
        sent=int(sent.group(1)) if (sent := re.search(r"^SENT (\d+)", output, re.M)) else None,
    )


def _line(output: str, pattern: str) -> str:
    found = re.search(pattern, output)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}; its output:\n{output[-2000:]}")
    return found.group(1)


def paced_connections(rate: float) -> int:
    return max(4, min(MAX_PACED_CONNECTIONS, math.ceil(rate * PAUSE_TARGET_S)))


@dataclass
class Endpoint:
    """What to load and how to judge it."""

    name: str
    script: str
    url: str
    env: dict[str, str]
    expected_status: int
    p99_limit_ms: float
    server_pid: int
    before_run: Any = None  # called before every run (e.g. to empty the cache)


@dataclass
class RateSearch:
    endpoint: str
    p99_limit_ms: float
    max_run: WrkRun
    steps: list[WrkRun]

    @property
    def sustained(self) -> WrkRun | None:
        """The highest step that achieved its rate with no errors and p99 within the limit."""
        good = [s for s in self.steps if self.sustains(s)]
        return max(good, key=lambda s: s.rate) if good else None

    def sustains(self, step: WrkRun) -> bool:
        assert step.target_rate is not None
        return (
            step.rate >= ACHIEVED_SHARE * step.target_rate
            and step.socket_errors == 0
            and all(200 <= status < 300 for status in step.status_counts)
            and step.p99_ms <= self.p99_limit_ms
        )

    def as_dict(self) -> dict[str, Any]:
        best = self.sustained
        return {
            "endpoint": self.endpoint,
            "p99_limit_ms": self.p99_limit_ms,
            "max_throughput": self.max_run.as_dict(),
            "steps": [s.as_dict() | {"sustained": self.sustains(s)} for s in self.steps],
            "sustained_rate": best.rate if best else None,
        }


def search_rate(
    endpoint: Endpoint,
    *,
    connections: int,
    duration: float,
    fractions: list[float],
) -> RateSearch:
    """Maximum throughput unpaced at ``connections``, then paced steps at ``fractions`` of it."""
    if endpoint.before_run:
        endpoint.before_run()
    max_run = run_wrk(
        f"{endpoint.name} max @{connections} conns",
        endpoint.script,
        endpoint.url,
        connections=connections,
        duration=duration,
        env=endpoint.env,
        server_pid=endpoint.server_pid,
    )
    steps: list[WrkRun] = []
    expected = max_run.p50_ms / 2
    for fraction in sorted(fractions):
        rate = max(1.0, round(max_run.rate * fraction, 1))
        if endpoint.before_run:
            endpoint.before_run()
        conns = paced_connections(rate)
        step = run_wrk(
            f"{endpoint.name} {fraction:.0%} of max",
            endpoint.script,
            endpoint.url,
            connections=conns,
            duration=duration,
            env=endpoint.env,
            rate=rate,
            server_pid=endpoint.server_pid,
            expected_latency_ms=min(expected, conns * 500 / rate),
        )
        steps.append(step)
        expected = step.p50_ms
    return RateSearch(endpoint.name, endpoint.p99_limit_ms, max_run, steps)
