"""The service stays responsive while users throw catastrophic regular expressions at it.

A real server (`compliance serve`, embedded mode, its own data directory and port) gets, at
the same time:

* guideline sets whose rule patterns can backtrack catastrophically — each must be refused
  with 422 naming the YAML line;
* checks with a guideline set whose pattern the static check admits (polynomial, not
  exponential) but which needs seconds on a crafted article — each job must complete with
  that guideline ``error`` ("pattern timed out"), never ``pass``;

while ``GET /health/live`` is requested back to back: its p99 latency stays under 100 ms.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from compliance_assistant.config import DEFAULT_RATE_LIMITS
from compliance_assistant.engine.rules.backtracking import find_catastrophic_construct

CATASTROPHIC_PATTERNS = [
    r"(a+)+$",
    r"(\w+\s?)*$",
    r"(.*a){20}",
    r"(a|aa)+b",
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
    r"(\d+(\.\d+)?)+x",
    r"(?:x+x+)+y",
    r"(?:\s*\w+)+!",
]
# Three stacked unbounded repetitions before a required digit: polynomial, so the static
# check admits it, but a long run of word characters without a digit costs O(n^4) steps
# (about 2 s of CPU at 800 characters, far more at 3,000) — the match timeout cuts it off.
SLOW_PATTERN = r"\w*\w*\w*\d"
SLOW_RUN = "a" * 3000
SLOW_JOBS = 3
MIN_PROBES = 300
P99_LIMIT_MS = 100.0
START_TIMEOUT_SECONDS = 90
JOB_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(
        {
            "COMPLIANCE_ENVIRONMENT": "test",
            "COMPLIANCE_DATA_DIR": str(data_dir),
            "COMPLIANCE_LOG_LEVEL": "WARNING",
            "COMPLIANCE_TRACKING__ENABLED": "false",
            "COMPLIANCE_LLM__PROVIDER": "none",
            # The test measures latency, not the limiter: budgets far above what it sends.
            "COMPLIANCE_API__RATE_LIMITS": json.dumps(
                dict.fromkeys(DEFAULT_RATE_LIMITS, "100000/minute")
            ),
        }
    )
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "compliance_assistant.cli.main",
                "serve",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if httpx.get(f"{server.base_url}/health/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not become ready:\n{server.log.read_text()}")
        time.sleep(0.2)  # bounded polling for the subprocess to start


def rule_set_yaml(set_id: str, pattern: str) -> str:
    """A set with one rule guideline using ``pattern`` (on line 9) and one ordinary one."""
    return (
        f"id: {set_id}\nversion: 1\ntitle: Regex safety\nguidelines:\n"
        "  - id: slow\n    title: Slow\n    kind: rule\n    rules:\n"
        f"      - {{name: Slow, extends: existence, message: \"'%s'\", level: error, "
        f"nonword: true, raw: ['{pattern}']}}\n"
        "  - id: fast\n    title: Fast\n    kind: rule\n    rules:\n"
        "      - name: Guarantee\n        extends: existence\n        message: \"'%s'\"\n"
        "        level: error\n        tokens: [guaranteed]\n"
    )


def post_set(client: httpx.Client, yaml_text: str) -> httpx.Response:
    return client.post(
        "/api/v1/guideline-sets",
        content=yaml_text.encode(),
        headers={"Content-Type": "application/yaml"},
    )


@dataclass
class Load:
    """What the load thread did, for the assertions after it ends."""

    rejections: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def apply_load(base_url: str, load: Load) -> None:
    """Submit the catastrophic sets and the slow checks, then wait for every job."""
    try:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            for index, pattern in enumerate(CATASTROPHIC_PATTERNS):
                response = post_set(client, rule_set_yaml(f"catastrophic-{index}", pattern))
                load.rejections.append({"status": response.status_code, **response.json()})
            created = post_set(client, rule_set_yaml("slow-but-admitted", SLOW_PATTERN))
            assert created.status_code == 201, created.text
            job_ids = []
            for index in range(SLOW_JOBS):
                # Different articles: an identical one would reuse the first job's result.
                article = f"Article {index} is guaranteed.\n\n{SLOW_RUN}\n\nThe end {index}."
                submitted = client.post(
                    "/api/v1/compliance/check",
                    json={"article_text": article, "guideline_set": "slow-but-admitted"},
                )
                assert submitted.status_code == 202, submitted.text
                job_ids.append(submitted.json()["job_id"])
            for job_id in job_ids:
                load.statuses.append(_wait_for_job(client, job_id))
                result = client.get(f"/api/v1/jobs/{job_id}/result")
                assert result.status_code == 200, result.text
                load.results.append(result.json())
    except BaseException as exc:  # reported by the test thread
        load.error = exc
    finally:
        load.done.set()


def _wait_for_job(client: httpx.Client, job_id: str) -> str:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while True:
        status = client.get(f"/api/v1/jobs/{job_id}/status")
        assert status.status_code == 200, status.text
        state: str = status.json()["status"]
        if state in ("completed", "failed", "cancelled"):
            return state
        assert time.monotonic() < deadline, f"job {job_id} still {state}"
        time.sleep(0.1)  # bounded polling of the job's status


def measure_liveness(base_url: str, load: Load) -> list[float]:
    """Back-to-back ``GET /health/live`` latencies (ms): at least MIN_PROBES, and on until
    the load has finished, so every sample overlaps the slow jobs or the refusals."""
    latencies: list[float] = []
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while len(latencies) < MIN_PROBES or not load.done.is_set():
            started = time.perf_counter()
            response = client.get("/health/live")
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_patterns_are_what_the_test_claims() -> None:
    for pattern in CATASTROPHIC_PATTERNS:
        assert find_catastrophic_construct(pattern) is not None, pattern
    assert find_catastrophic_construct(SLOW_PATTERN) is None


def test_health_stays_fast_while_catastrophic_patterns_are_submitted(server: Server) -> None:
    load = Load()
    worker = threading.Thread(target=apply_load, args=(server.base_url, load), daemon=True)
    # Warm the connection and the app before timing.
    httpx.get(f"{server.base_url}/health/live", timeout=10)
    worker.start()
    latencies = measure_liveness(server.base_url, load)
    worker.join(timeout=JOB_TIMEOUT_SECONDS)
    if load.error is not None:
        raise AssertionError(f"load failed; server log:\n{server.log.read_text()}") from (
            load.error
        )

    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    summary = (
        f"/health/live under load: {len(latencies)} requests, p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies):.1f} ms"
    )
    print(summary)

    # (a) every catastrophic pattern was refused, naming the line of the rule.
    assert len(load.rejections) == len(CATASTROPHIC_PATTERNS)
    for pattern, rejection in zip(CATASTROPHIC_PATTERNS, load.rejections, strict=True):
        assert rejection["status"] == 422, (pattern, rejection)
        error = rejection["error"]
        assert error["code"] == "INVALID_DEFINITION", (pattern, error)
        assert error["details"]["line"] == 9, (pattern, error)
        assert error["message"].startswith("guideline-set.yaml:9: "), (pattern, error)
        assert "catastrophic backtracking" in error["message"], (pattern, error)

    # (b) every slow job completed; the slow guideline erred, the other one still ran.
    assert load.statuses == ["completed"] * SLOW_JOBS
    for result in load.results:
        by_id = {g["guideline_id"]: g for g in result["guidelines"]}
        assert by_id["slow"]["status"] == "error", by_id["slow"]
        assert "pattern timed out" in by_id["slow"]["reason"], by_id["slow"]
        assert by_id["fast"]["status"] == "fail", by_id["fast"]

    # (c) the service stayed responsive throughout.
    assert len(latencies) >= MIN_PROBES
    assert p99 < P99_LIMIT_MS, summary
