"""API latency benchmark: one `compliance api` process on PostgreSQL + Redis + Azurite.

    .venv/bin/python bench/api/bench_api.py [--duration 30] [--submit-rate 50] [--status-rate 500]

1. submit: ``POST /api/v1/compliance/check`` at ``--submit-rate`` req/s, every request a
   different article (no dedupe); asserts the p99 target and that jobs created = 202s;
2. cached status: ``GET /api/v1/jobs/{id}/status`` at ``--status-rate`` req/s over the jobs
   just created, whose status is cached in Redis; asserts the p99 target.

Load comes from wrk (``apt-get install -y wrk``) with Lua scripts that pace each connection
with ``delay()`` and make every body distinct; everything binds 127.0.0.1. No worker runs, so
the API has the machine to itself. The submission rate limit is switched off
(``COMPLIANCE_API__SUBMIT_RATE_PER_MINUTE=0``) and the access log too. Needs PostgreSQL on
``COMPLIANCE_TEST_POSTGRES`` (admin DSN) and Redis on ``COMPLIANCE_TEST_REDIS``; Azurite is
started from ``.tools`` (``make tools``). Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.services import (  # noqa: E402  (after the path tweak)
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    DEFAULT_AZURITE,
    free_port,
    temporary_postgres_database,
    wait_for_port,
)

SUBMIT_P99_MS = 50.0
STATUS_P99_MS = 10.0
PEPPER = secrets.token_hex(16)


@contextlib.contextmanager
def azurite() -> Iterator[str]:
    binary = Path(os.environ.get("COMPLIANCE_TEST_AZURITE", DEFAULT_AZURITE))
    port = free_port()
    with tempfile.TemporaryDirectory() as workspace:
        process = subprocess.Popen(
            [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--silent",
             "--disableTelemetry", "--skipApiVersionCheck", "--inMemoryPersistence"],
            cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            if not wait_for_port("127.0.0.1", port, 30, process):
                raise SystemExit("Azurite did not start")
            yield (
                f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
                f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
            )
        finally:
            process.terminate()
            process.wait(10)


def service_env(database_url: str, blob: str | None, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(
        {
            "COMPLIANCE_ENVIRONMENT": "production",
            "COMPLIANCE_LOG_LEVEL": "WARNING",
            "COMPLIANCE_DATA_DIR": tempfile.mkdtemp(prefix="bench-api-"),
            "COMPLIANCE_DATABASE__URL": database_url,
            "COMPLIANCE_REDIS__URL": os.environ.get(
                "COMPLIANCE_TEST_REDIS", "redis://127.0.0.1:6379/15"
            ),
            "COMPLIANCE_REDIS__KEY_PREFIX": f"bench:{secrets.token_hex(4)}:",
            "COMPLIANCE_API__API_KEY_PEPPER": PEPPER,
            "COMPLIANCE_API__SUBMIT_RATE_PER_MINUTE": "0",
            "COMPLIANCE_API__PORT": str(port),
            "COMPLIANCE_TRACKING__ENABLED": "false",
        }
    )
    if blob is not None:
        env.update(
            {
                "COMPLIANCE_BLOB__BACKEND": "azure",
                "COMPLIANCE_BLOB__AZURE_CONNECTION_STRING": blob,
                "COMPLIANCE_BLOB__AZURE_CONTAINER": "bench",
            }
        )
    return env


def compliance(*args: str, env: dict[str, str]) -> str:
    binary = str(Path(sys.executable).parent / "compliance")
    done = subprocess.run(
        [binary, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    script: str,
    url: str,
    *,
    rate: float,
    connections: int,
    duration: int,
    env: dict[str, str],
    server_pid: int | None = None,
    expected_latency_ms: float = 0.0,
) -> dict[str, Any]:
    """wrk paced to about ``rate`` overall: each connection pauses a random time (mean
    connections/rate minus the expected latency) before each request."""
    delay_ms = max(1, int(connections * 1000 / rate - expected_latency_ms))
    command = [
        "wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency",
        "--timeout", "5s", "-s", str(Path(__file__).parent / script), url,
    ]  # fmt: skip
    started = time.monotonic()
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    output = subprocess.run(
        command,
        env={**env, "BENCH_DELAY_MS": str(delay_ms)},
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    counts = json.loads(re.search(r"STATUS_COUNTS (\{.*\})", output).group(1))  # type: ignore[union-attr]
    latency = dict(
        re.findall(r"(p50|p90|p99|max)=(\d+)", re.search(r"LATENCY_US.*", output).group(0))  # type: ignore[union-attr]
    )
    requests = sum(counts.values())
    return {
        "command": " ".join(command) + f"  (BENCH_DELAY_MS={delay_ms})",
        "requests": requests,
        "rate": round(requests / elapsed, 1),
        "status_counts": {int(k): v for k, v in counts.items()},
        "p50_ms": int(latency["p50"]) / 1000,
        "p90_ms": int(latency["p90"]) / 1000,
        "p99_ms": int(latency["p99"]) / 1000,
        "max_ms": int(latency["max"]) / 1000,
        "server_cpu_ms_per_request": round(cpu * 1000 / max(requests, 1), 2),
        "server_cpu_percent": round(100 * cpu / elapsed, 1),
        "raw": output,
    }


async def jobs_of(database_url: str, tenant: str) -> list[str]:
    from sqlalchemy import text

    from compliance_assistant.storage.db import Database

    database = Database.from_url(database_url)
    try:
        async with database.read_session() as session:
            rows = await session.execute(
                text("SELECT id FROM jobs WHERE tenant_id = :t"), {"t": tenant}
            )
            return [row[0] for row in rows]
    finally:
        await database.dispose()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} vCPU ({cpu}), Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--submit-rate", type=float, default=50.0)
    parser.add_argument("--status-rate", type=float, default=500.0)
    parser.add_argument(
        "--blob",
        choices=["azurite", "local"],
        default="azurite",
        help="Article blobs in Azurite (default) or a local folder.",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tenant = f"bench-{secrets.token_hex(3)}"
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(temporary_postgres_database())
        blob = stack.enter_context(azurite()) if args.blob == "azurite" else None
        env = service_env(database_url, blob, port)
        compliance("migrate", env=env)
        key = compliance("apikey", "create", "--tenant", tenant, "--name", "bench", env=env)
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "compliance"), "api", "--host", "127.0.0.1",
             "--no-access-log"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            if not wait_for_port("127.0.0.1", port, 60, server):
                raise SystemExit(f"the API did not start: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            load_env = {**os.environ, "BENCH_API_KEY": key}
            # Warm-up: connections, caches, the guideline plan.
            run_wrk("submit.lua", f"{base}/api/v1/compliance/check", rate=20, connections=2,
                    duration=3, env=load_env)  # fmt: skip
            submit = run_wrk(
                "submit.lua",
                f"{base}/api/v1/compliance/check",
                rate=args.submit_rate,
                connections=20,
                duration=args.duration,
                env=load_env,
                server_pid=server.pid,
                expected_latency_ms=35,
            )
            ids = asyncio.run(jobs_of(database_url, tenant))
            accepted = sum(n for status, n in submit["status_counts"].items() if status == 202)
            warmup_jobs = len(ids) - accepted
            ids_file = Path(tempfile.mkstemp(suffix=".txt")[1])
            ids_file.write_text("\n".join(ids[:500]) + "\n")
            status = run_wrk(
                "status.lua",
                base,
                rate=args.status_rate,
                connections=50,
                duration=args.duration,
                env={**load_env, "BENCH_JOB_IDS": str(ids_file)},
                server_pid=server.pid,
                expected_latency_ms=2,
            )
        finally:
            server.terminate()
            server.wait(20)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "blob": args.blob,
        "submit": {k: v for k, v in submit.items() if k != "raw"},
        "submit_jobs_created": len(ids) - warmup_jobs,
        "status": {k: v for k, v in status.items() if k != "raw"},
    }
    print(json.dumps(report, indent=2))
    failures = []
    if set(submit["status_counts"]) != {202}:
        failures.append(f"submit answers other than 202: {submit['status_counts']}")
    if report["submit_jobs_created"] != accepted:
        failures.append(f"jobs created {report['submit_jobs_created']} != 202s {accepted}")
    if submit["p99_ms"] >= SUBMIT_P99_MS:
        failures.append(f"submit p99 {submit['p99_ms']} ms >= {SUBMIT_P99_MS} ms")
    if set(status["status_counts"]) != {200}:
        failures.append(f"status answers other than 200: {status['status_counts']}")
    if status["p99_ms"] >= STATUS_P99_MS:
        failures.append(f"cached status p99 {status['p99_ms']} ms >= {STATUS_P99_MS} ms")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
