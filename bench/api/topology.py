"""The product as it ships, on loopback, for the API and end-to-end benchmarks.

A private PostgreSQL, Redis and Azurite (``tests/scale/cluster.py``: their own data and ports,
nothing shared with the machine's services), production mode (API keys required), rate
limiting on but set very high, ``/metrics`` on (always served by the API) and tracing on
(OTLP/HTTP export to :class:`~bench.api.otlp_sink.OtlpSink`).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.scale.cluster import Cluster  # noqa: E402

from compliance_assistant.config import DEFAULT_RATE_LIMITS  # noqa: E402

HIGH_RATE = "1000000/minute"
HIGH_ACTIVE_JOBS = 1_000_000


def product_env(otlp_endpoint: str | None) -> dict[str, str]:
    """Settings on top of the cluster's production defaults."""
    env = {
        "COMPLIANCE_API__RATE_LIMITS": json.dumps(dict.fromkeys(DEFAULT_RATE_LIMITS, HIGH_RATE)),
        # Jobs pile up while no worker runs (the API phases); the default 50 would answer 429.
        "COMPLIANCE_LIMITS__MAX_ACTIVE_JOBS_PER_TENANT": str(HIGH_ACTIVE_JOBS),
    }
    if otlp_endpoint:
        env["COMPLIANCE_OBSERVABILITY__OTLP_ENDPOINT"] = otlp_endpoint
    return env


def settings_note(tracing: bool) -> str:
    return (
        "production mode, API key auth on; rate limiting ON but set very high "
        f"({HIGH_RATE} per user for each group: {', '.join(DEFAULT_RATE_LIMITS)}; counted in "
        f"Redis); max active jobs per tenant {HIGH_ACTIVE_JOBS:,}; /metrics on; tracing "
        + ("ON (OTLP/HTTP to a local sink)" if tracing else "OFF (--no-tracing)")
        + "; access log off; log level INFO (the default)"
    )


@contextlib.contextmanager
def production_cluster(llm_base_url: str, extra_env: dict[str, str]) -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    cluster = Cluster(root, llm_base_url, extra_env)
    try:
        cluster.start_services()
        yield cluster
    finally:
        cluster.close()
        shutil.rmtree(root, ignore_errors=True)


def create_api_key(cluster: Cluster, tenant: str) -> str:
    output = cluster.cli(
        "apikey", "create", "--tenant", tenant, "--name", "bench", "--role", "writer",
        "--role", "admin",
    )  # fmt: skip
    return str(output).strip().splitlines()[-1]


def plain_dsn(cluster: Cluster) -> str:
    """The cluster's database URL for psycopg (no SQLAlchemy driver suffix)."""
    return str(cluster.postgres.url).replace("postgresql+psycopg://", "postgresql://")


@contextlib.contextmanager
def llm_double(latency: float, jitter: float = 0.0, seed: int | None = None) -> Iterator[str]:
    """The LLM test double in its own process; yields its OpenAI base URL."""
    command = [sys.executable, "-m", "tests.doubles.llm_server", "--latency", str(latency)]
    if jitter:
        command += ["--jitter", str(jitter)]
    if seed is not None:
        command += ["--seed", str(seed)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the LLM double did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}/v1"
    finally:
        process.terminate()
        process.wait(10)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} vCPU ({cpu}), Python {platform.python_version()}, {platform.system()}"


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (paste-ready for bench/RESULTS.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in cells[1:]]
    )
