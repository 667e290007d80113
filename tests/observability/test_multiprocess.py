"""prometheus-client's multiprocess mode: several processes, one folder, one summed scrape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compliance_assistant.observability.exposition import (
    MULTIPROC_ENV,
    prepare_multiprocess_dir,
    render,
)
from tests.observability.scrape import Scrape

# Runs in a fresh interpreter: the variable must be set before prometheus_client is imported.
WRITER = """
import sys
from compliance_assistant.observability import metrics
from compliance_assistant.observability.exposition import process_exiting

submitted, breaker, exit_cleanly = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "yes"
metrics.JOBS_SUBMITTED.inc(submitted)
metrics.HTTP_REQUESTS.labels("POST", "/api/v1/compliance/check", "202").inc(submitted)
metrics.HTTP_DURATION.labels("POST", "/api/v1/compliance/check").observe(0.02)
metrics.BREAKER_STATE.labels("llm:openai").set(breaker)
if exit_cleanly:
    process_exiting()
"""


def _write(folder: Path, submitted: int, breaker: int, *, exit_cleanly: bool) -> None:
    env = {MULTIPROC_ENV: str(folder), "PATH": "/usr/bin:/bin"}
    args = [str(submitted), str(breaker), "yes" if exit_cleanly else "no"]
    subprocess.run(
        [sys.executable, "-c", WRITER, *args], env=env, check=True, timeout=60, cwd=Path.cwd()
    )


def test_two_processes_sum_into_one_scrape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "prom"
    monkeypatch.setenv(MULTIPROC_ENV, str(folder))
    prepare_multiprocess_dir()
    # The first process had its breaker open but exited cleanly: its live gauge is gone.
    _write(folder, 2, 1, exit_cleanly=True)
    _write(folder, 3, 0, exit_cleanly=False)
    scrape = Scrape(render().decode())
    assert scrape.value("compliance_jobs_submitted_total") == 5
    route = {"method": "POST", "route": "/api/v1/compliance/check"}
    assert scrape.value("compliance_http_requests_total", status="202", **route) == 5
    assert scrape.value("compliance_http_request_duration_seconds_count", **route) == 2
    assert scrape.value("compliance_circuit_breaker_open", name="llm:openai") == 0


def test_the_folder_is_emptied_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "prom"
    monkeypatch.setenv(MULTIPROC_ENV, str(folder))
    folder.mkdir()
    _write(folder, 7, 0, exit_cleanly=False)
    assert list(folder.glob("*.db"))
    assert prepare_multiprocess_dir() == folder
    assert not list(folder.glob("*.db"))
    assert Scrape(render().decode()).value("compliance_jobs_submitted_total") == 0


def test_without_the_variable_the_process_registry_is_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    assert prepare_multiprocess_dir() is None
    text = render().decode()
    # The default registry carries the process collector; the multiprocess one does not.
    assert "process_cpu_seconds_total" in text
    assert "compliance_jobs_submitted_total" in text
