"""The soak's pass/fail rules (``bench/soak/verdict.py``) on hand-made recordings.

Not collected by the suite (``testpaths = tests``): run with
``.venv/bin/pytest bench/soak/test_verdict.py -q``.
"""

from __future__ import annotations

import pytest
from bench.soak.traffic import Call, JobRecord
from bench.soak.verdict import (
    NOISY_TENANT,
    MemoryRow,
    Windows,
    endpoint_rows,
    is_violation,
    memory_row,
    percentile,
    violations,
)


def call(
    status: int, tenant: str = "soak-main", endpoint: str = "GET /jobs", ms: float = 10
) -> Call:
    return Call(endpoint, tenant, status, ms / 1000, at=1.0)


def completed(number: int) -> JobRecord:
    return JobRecord(number, "json-text", "poll", job_id=f"job-{number}", status="completed")


def test_windows_are_three_minutes_for_thirty_minutes_and_a_tenth_of_shorter_runs() -> None:
    long = Windows.for_duration(1800)
    assert (long.warm_up, long.first, long.last) == (180, (180, 360), (1620, 1800))
    short = Windows.for_duration(120)
    assert (short.warm_up, short.first, short.last) == (12, (12, 24), (108, 120))


def test_memory_row_compares_window_means_and_ignores_the_drain() -> None:
    windows = Windows.for_duration(100)  # first 10–20 s, last 90–100 s
    samples = [(5, 500.0), (10, 100.0), (20, 120.0), (50, 130.0), (90, 120.0), (100, 100.0)]
    row = memory_row("api1", [*samples, (130, 900.0)], windows)  # 130 s: after the load
    assert (row.first_mib, row.last_mib, row.peak_mib, row.samples) == (110, 110, 500, 6)
    assert row.growth == 0
    assert row.ok


@pytest.mark.parametrize(("last", "ok"), [(110.0, True), (110.5, False)])
def test_growth_above_ten_percent_fails(last: float, ok: bool) -> None:
    row = MemoryRow("worker1", first_mib=100.0, last_mib=last, peak_mib=last, samples=2)
    assert row.ok is ok
    assert bool(violations([row], [call(200)], [completed(1)], [])) is not ok


def test_only_2xx_and_the_noisy_tenants_429_are_allowed() -> None:
    assert not is_violation(call(200))
    assert not is_violation(call(202))
    assert not is_violation(call(429, tenant=NOISY_TENANT))
    for status in (0, 400, 401, 404, 409, 422, 500, 503):
        assert is_violation(call(status))
    assert is_violation(call(429))  # the main tenant must never be limited


def test_violations_name_every_broken_promise() -> None:
    memory = [MemoryRow("api1", None, None, None, 0)]
    calls = [call(500, endpoint="GET /jobs/{id}/result"), call(429, tenant=NOISY_TENANT)]
    jobs = [completed(1), JobRecord(2, "docx", "sse", job_id="job-2", status="failed")]
    found = violations(memory, calls, jobs, ["worker2"])
    assert found == [
        "worker2 exited during the run",
        "api1: no RSS samples in the first or last window",
        "1 × GET /jobs/{id}/result by soak-main: 500",
        "1 job(s) ended 'failed', not completed",
    ]
    assert violations([], [], [], []) == ["no job was submitted"]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile([7.0], 0.99)) == (
        50,
        99,
        7,
    )


def test_endpoint_latency_counts_served_answers_and_every_status() -> None:
    calls = [
        call(200, tenant=NOISY_TENANT, ms=40),
        call(429, tenant=NOISY_TENANT, ms=1),
        call(429, tenant=NOISY_TENANT, ms=1),
    ]
    (row,) = endpoint_rows(calls)
    assert row.statuses == {200: 1, 429: 2}
    assert row.p50_ms == pytest.approx(40)
