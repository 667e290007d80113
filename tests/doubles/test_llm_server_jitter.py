"""The LLM double's latency jitter (used by the end-to-end benchmark): waits drawn from
latency ± jitter, recorded per request, repeatable with a seed, bad values refused."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.doubles.llm_server import LlmDouble, Reply

ROOT = Path(__file__).resolve().parents[2]
BODY = {"model": "m", "messages": [{"role": "user", "content": "Judge this."}]}


def _ask(url: str) -> float:
    started = time.monotonic()
    response = httpx.post(f"{url}/v1/chat/completions", json=BODY, timeout=10)
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def test_waits_are_drawn_within_latency_plus_minus_jitter_and_recorded() -> None:
    with LlmDouble(latency=0.2, jitter=0.1, seed=7) as double:
        with ThreadPoolExecutor(8) as pool:
            elapsed = list(pool.map(_ask, [double.url] * 8))
        delays = [r.delay for r in double.requests]
    assert len(delays) == 8
    assert all(0.1 <= d <= 0.3 for d in delays), delays
    assert len(set(delays)) == 8  # drawn, not constant
    # Each answer was really held back at least as long as the shortest recorded wait.
    assert min(elapsed) >= min(delays)


def test_same_seed_gives_the_same_waits() -> None:
    def waits() -> list[float]:
        with LlmDouble(latency=0.02, jitter=0.02, seed=3) as double:
            for _ in range(4):
                _ask(double.url)
            return [r.delay for r in double.requests]

    assert waits() == waits()


def test_no_jitter_keeps_the_fixed_latency_and_a_reply_latency_is_not_jittered() -> None:
    with LlmDouble(latency=0.05, jitter=0.05, seed=1) as double:
        double.script("pinned", Reply(latency=0.01))
        httpx.post(
            f"{double.url}/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "pinned"}]},
            timeout=10,
        )
        assert double.requests[0].delay == 0.01
    with LlmDouble(latency=0.03) as fixed:
        _ask(fixed.url)
        assert fixed.requests[0].delay == 0.03


@pytest.mark.parametrize(
    ("latency", "jitter", "message"),
    [(1.0, -0.1, "jitter must be >= 0"), (0.5, 1.0, "must not exceed latency")],
)
def test_bad_jitter_is_refused(latency: float, jitter: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LlmDouble(latency=latency, jitter=jitter)


def test_command_line_refuses_jitter_larger_than_latency() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.doubles.llm_server", "--latency", "1", "--jitter", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "must not exceed latency" in done.stderr
