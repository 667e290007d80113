"""The soak's figures and its pass/fail rules, as pure functions of what was recorded.

* **Memory** — per process, the mean RSS of the first window after the warm-up and of the
  last window of the load; growth above ``MAX_GROWTH`` fails.
* **Answers** — every answer is 2xx, or a 429 to the noisy tenant (planned). Anything else
  (5xx, any other 4xx, a 429 to the main tenant, no answer at all) fails.
* **Jobs** — every submitted job ends ``completed``.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.soak.traffic import Call, JobRecord

MAX_GROWTH = 0.10
NOISY_TENANT = "soak-noisy"


@dataclass(frozen=True)
class Windows:
    """Where the RSS comparison looks, in seconds since the load started."""

    warm_up: float
    window: float
    load_seconds: float

    @classmethod
    def for_duration(cls, load_seconds: float) -> Windows:
        """3-minute warm-up and windows for a 30-minute run; 10 % of shorter runs."""
        share = min(180.0, 0.1 * load_seconds)
        return cls(warm_up=share, window=share, load_seconds=load_seconds)

    @property
    def first(self) -> tuple[float, float]:
        return self.warm_up, self.warm_up + self.window

    @property
    def last(self) -> tuple[float, float]:
        return self.load_seconds - self.window, self.load_seconds


@dataclass(frozen=True)
class MemoryRow:
    process: str
    first_mib: float | None
    last_mib: float | None
    peak_mib: float | None
    samples: int

    @property
    def growth(self) -> float | None:
        if self.first_mib is None or self.last_mib is None:
            return None
        return self.last_mib / self.first_mib - 1

    @property
    def ok(self) -> bool:
        # last ≤ first × 1.1 rather than growth ≤ 0.1: 110 / 100 − 1 is 0.10000000000000009
        if self.first_mib is None or self.last_mib is None:
            return False
        return self.last_mib <= self.first_mib * (1 + MAX_GROWTH)


def _mean_between(
    samples: Iterable[tuple[float, float]], span: tuple[float, float]
) -> float | None:
    values = [value for at, value in samples if span[0] <= at <= span[1]]
    return statistics.fmean(values) if values else None


def memory_row(process: str, samples: Sequence[tuple[float, float]], windows: Windows) -> MemoryRow:
    """``samples``: (seconds since the load started, RSS MiB)."""
    during = [(at, mib) for at, mib in samples if at <= windows.load_seconds]
    return MemoryRow(
        process=process,
        first_mib=_mean_between(during, windows.first),
        last_mib=_mean_between(during, windows.last),
        peak_mib=max((mib for _, mib in during), default=None),
        samples=len(during),
    )


def is_planned(call: Call) -> bool:
    return call.status == 429 and call.tenant == NOISY_TENANT


def is_violation(call: Call) -> bool:
    return not (200 <= call.status < 300 or is_planned(call))


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


@dataclass(frozen=True)
class EndpointRow:
    endpoint: str
    statuses: dict[int, int]
    p50_ms: float
    p99_ms: float
    max_ms: float


def endpoint_rows(calls: Sequence[Call]) -> list[EndpointRow]:
    by_endpoint: dict[str, list[Call]] = {}
    for call in calls:
        by_endpoint.setdefault(call.endpoint, []).append(call)
    rows = []
    for endpoint in sorted(by_endpoint):
        group = by_endpoint[endpoint]
        # Latency of answered requests that were served (2xx); a 429 costs next to nothing.
        served = [c.seconds * 1000 for c in group if 200 <= c.status < 300] or [
            c.seconds * 1000 for c in group
        ]
        rows.append(
            EndpointRow(
                endpoint=endpoint,
                statuses=dict(sorted(Counter(c.status for c in group).items())),
                p50_ms=percentile(served, 0.5),
                p99_ms=percentile(served, 0.99),
                max_ms=max(served),
            )
        )
    return rows


def job_counts(jobs: Sequence[JobRecord]) -> dict[str, int]:
    return dict(sorted(Counter(job.status for job in jobs).items()))


def violations(
    memory: Sequence[MemoryRow],
    calls: Sequence[Call],
    jobs: Sequence[JobRecord],
    dead_processes: Sequence[str],
) -> list[str]:
    """Every broken promise, in words; empty when the soak passed."""
    found = [f"{name} exited during the run" for name in dead_processes]
    for row in memory:
        if row.growth is None:
            found.append(f"{row.process}: no RSS samples in the first or last window")
        elif not row.ok:  # growth is not None: both windows have samples
            found.append(
                f"{row.process}: RSS grew {row.growth:+.1%} (first window "
                f"{row.first_mib:.1f} MiB, last {row.last_mib:.1f} MiB; limit {MAX_GROWTH:.0%})"
            )
    bad = Counter((c.endpoint, c.tenant, c.status, c.error) for c in calls if is_violation(c))
    for (endpoint, tenant, status, error), count in sorted(bad.items(), key=str):
        found.append(
            f"{count} × {endpoint} by {tenant}: "
            f"{'no answer' if status == 0 else status} {error}".rstrip()
        )
    unfinished = Counter(job.status for job in jobs if job.status != "completed")
    for ended, jobs_ended in sorted(unfinished.items()):
        found.append(f"{jobs_ended} job(s) ended {ended!r}, not completed")
    if not jobs:
        found.append("no job was submitted")
    return found
