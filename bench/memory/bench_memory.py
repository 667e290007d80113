"""Memory: resident set size of one ``compliance api`` and one ``compliance worker`` process,
idle and under load (issue #10).

Run: ``.venv/bin/python bench/memory/bench_memory.py [--clients 20] [--duration 60]
[--idle 15] [--settle 15] [--json PATH]``.

The production topology of the scale tests (``tests/scale/cluster.py``): a PostgreSQL,
Redis and Azurite of the benchmark's own on free loopback ports, ``compliance migrate``, one
API and one worker process, and the LLM test double in its own process answering every call
after 2 s (``python -m tests.doubles.llm_server --latency 2``). Product settings as shipped,
except what a benchmark must set and the report names: API keys on (production always
requires them), rate limits and the per-tenant active-job cap set high so they never bind,
metrics on (the API's ``/metrics``, the worker's metrics port; both scraped at the end),
traces on, exported over OTLP/HTTP to a sink in this process that counts what it receives,
MLflow tracking on into a SQLite store in the cluster's folder (``--no-tracking`` to leave it
off), verdict cache off (every article differs anyway).

Phases, RSS sampled from ``/proc/PID/status`` (``VmRSS``) every ``--interval`` seconds:

1. **idle** — ``--idle`` seconds after both processes are ready (one warm-up job has run, so
   imports done on first use are in);
2. **load** — ``--clients`` concurrent clients, each submitting a job (a distinct article
   checked against a set of 10 llm guidelines and one rule guideline), polling its status
   until it ends and reading its result, then the next, for ``--duration`` seconds; jobs still
   running then are waited for (bounded);
3. **after** — ``--settle`` seconds with no traffic.

The report gives, per process, the idle median, the load peak and the after-load median of
the samples, the growth after load vs idle, and the kernel's own high-water mark (``VmHWM``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import pytest  # noqa: E402
from proc_rss import RssSampler, status_kib  # noqa: E402
from tests.scale.cluster import Cluster, ServiceProcess  # noqa: E402

PHASES = ("idle", "load", "after")
LLM_GUIDELINES = 10
HIGH_RATE = "1000000/minute"
TERMINAL = frozenset({"completed", "failed", "cancelled"})
TENANT = "bench-memory"


class OtlpSink(http.server.BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and counts them: traces on, with nowhere external to go."""

    requests: ClassVar[int] = 0
    bytes_received: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            OtlpSink.requests += 1
            OtlpSink.bytes_received += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        del args  # quiet


@contextlib.contextmanager
def otlp_sink() -> Any:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
    thread = threading.Thread(target=server.serve_forever, name="otlp-sink", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def llm_double(latency: float) -> Any:
    """The LLM test double in its own process; yields its OpenAI base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.llm_server", "--latency", str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the double listens (or exits)
        if not line.startswith("PORT "):
            raise SystemExit(f"the LLM double did not start (printed {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}/v1"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def guideline_set_yaml(set_id: str) -> str:
    llm = "".join(
        f"  - id: claim-{n}\n    title: Claim check {n}\n    kind: llm\n    severity: error\n"
        f"    instruction: Flag any unsubstantiated claim of kind {n} in the article.\n"
        for n in range(1, LLM_GUIDELINES + 1)
    )
    rule = (
        "  - id: no-guarantees\n    title: No guaranteed returns\n    kind: rule\n"
        "    severity: error\n    rules:\n      - name: Guarantees\n"
        "        extends: existence\n        message: \"Do not promise '%s'.\"\n"
        "        level: error\n        ignorecase: true\n"
        "        tokens: [guaranteed, risk-free]\n"
    )
    return f"id: {set_id}\nversion: 1\ntitle: Memory benchmark\nguidelines:\n{llm}{rule}"


def article(client: int, index: int) -> str:
    """Distinct per job, so nothing is deduplicated or answered from a cache."""
    return (
        f"# Offer {client}-{index}\n\nOur saver account pays a fixed rate of {index % 7 + 1}% "
        f"for two years. Guaranteed returns for client {client}, job {index}. Terms apply.\n\n"
        "Capital at risk: the value of investments can fall as well as rise.\n"
    )


@dataclass
class LoadStats:
    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    jobs: collections.Counter[str] = field(default_factory=collections.Counter)
    transport_errors: int = 0
    job_seconds: list[float] = field(default_factory=list)


async def run_job(
    client: httpx.AsyncClient, base: str, set_id: str, text: str, stats: LoadStats
) -> None:
    started = time.monotonic()
    submitted = await client.post(
        f"{base}/api/v1/compliance/check",
        json={"article_text": text, "guideline_set": set_id},
    )
    stats.answers[f"POST check {submitted.status_code}"] += 1
    if submitted.status_code not in (200, 202):
        stats.jobs[f"refused {submitted.status_code}"] += 1
        return
    job_id = submitted.json()["job_id"]
    deadline = started + 330  # the worker's job timeout (300 s) and some
    status = "queued"
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        answer = await client.get(f"{base}/api/v1/jobs/{job_id}/status")
        stats.answers[f"GET status {answer.status_code}"] += 1
        if answer.status_code == 200:
            status = answer.json()["status"]
            if status in TERMINAL:
                break
    else:
        status = "unfinished"
    stats.jobs[status] += 1
    if status == "completed":
        stats.job_seconds.append(time.monotonic() - started)
        result = await client.get(f"{base}/api/v1/jobs/{job_id}/result")
        stats.answers[f"GET result {result.status_code}"] += 1


async def load(base: str, key: str, set_id: str, clients: int, duration: float) -> LoadStats:
    stats = LoadStats()
    deadline = time.monotonic() + duration
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:

        async def one_client(number: int) -> None:
            index = 0
            while time.monotonic() < deadline:
                index += 1
                try:
                    await run_job(client, base, set_id, article(number, index), stats)
                except httpx.TransportError:
                    stats.transport_errors += 1
                    await asyncio.sleep(0.5)

        await asyncio.gather(*(one_client(n) for n in range(clients)))
    return stats


def scrape(url: str) -> tuple[int, int]:
    """Status code and number of samples of a Prometheus endpoint."""
    response = httpx.get(url, timeout=10)
    samples = sum(1 for line in response.text.splitlines() if line and not line.startswith("#"))
    return response.status_code, samples


def create_key(cluster: Cluster) -> str:
    output = cluster.cli(
        "apikey",
        "create",
        "--tenant",
        TENANT,
        "--name",
        "bench",
        "--role",
        "writer",
        "--role",
        "admin",
    )
    return output.strip().splitlines()[-1]


def mlflow_runs(database: Path) -> int | None:
    """Runs the worker logged to the SQLite tracking store (None: no store was created)."""
    if not database.exists():
        return None
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM runs").fetchone()[0])


def mib(kib: int | None) -> float | None:
    return None if kib is None else kib / 1024


def report(
    sampler: RssSampler,
    processes: dict[str, ServiceProcess],
    hwm: dict[str, float | None],
) -> list[dict[str, Any]]:
    rows = []
    for name, series in sampler.series.items():
        summary = series.summary(PHASES)
        idle, during, after = (summary[p] for p in PHASES)
        growth = (
            (after["median"] / idle["median"] - 1) * 100 if idle is not None and after else None
        )
        rows.append(
            {
                "process": name,
                "pid": processes[name].pid,
                "idle_mib": idle,
                "load_mib": during,
                "after_mib": after,
                "after_vs_idle_percent": growth,
                "vm_hwm_mib": hwm[name],
                "children_peak_mib": series.descendants_mib(),
            }
        )
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    def cell(value: dict[str, float] | None, key: str) -> str:
        return "—" if value is None else f"{value[key]:.1f}"

    print(
        "\n| process | idle RSS MiB (median) | load RSS MiB (peak) | load RSS MiB (median) "
        "| after-load RSS MiB (median) | after vs idle | VmHWM MiB | children MiB (peak) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        growth = row["after_vs_idle_percent"]
        hwm = row["vm_hwm_mib"]
        print(
            f"| {row['process']} | {cell(row['idle_mib'], 'median')} | "
            f"{cell(row['load_mib'], 'max')} | {cell(row['load_mib'], 'median')} | "
            f"{cell(row['after_mib'], 'median')} | "
            f"{'—' if growth is None else f'{growth:+.1f} %'} | "
            f"{'—' if hwm is None else f'{hwm:.1f}'} | {row['children_peak_mib']:.1f} |"
        )


async def warm_up(base: str, key: str, set_id: str) -> None:
    """Create the set and run one job end to end, so first-use imports are in the idle RSS."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        created = await client.post(
            f"{base}/api/v1/guideline-sets",
            content=guideline_set_yaml(set_id).encode(),
            headers={"Content-Type": "application/yaml"},
        )
        if created.status_code != 201:
            raise RuntimeError(f"creating the guideline set failed: {created.text}")
        stats = LoadStats()
        await run_job(client, base, set_id, article(-1, 0), stats)
        if stats.jobs["completed"] != 1:
            raise RuntimeError(f"the warm-up job did not complete: {dict(stats.jobs)}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-memory-") as folder,
        llm_double(args.latency) as llm_url,
        otlp_sink() as sink_url,
    ):
        root = Path(folder)
        extra_env = {
            "COMPLIANCE_API__RATE_LIMITS": json.dumps(
                dict.fromkeys(("submit", "read", "write", "admin"), HIGH_RATE)
            ),
            "COMPLIANCE_LIMITS__MAX_ACTIVE_JOBS_PER_TENANT": "1000000",
            "COMPLIANCE_OBSERVABILITY__OTLP_ENDPOINT": sink_url,
            "COMPLIANCE_TRACKING__ENABLED": "false" if args.no_tracking else "true",
            "COMPLIANCE_TRACKING__MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        }
        cluster = Cluster(root, llm_url, extra_env=extra_env)
        sampler = RssSampler(args.interval)
        try:
            cluster.start_services()
            key = create_key(cluster)
            api = cluster.add_api()
            worker = cluster.add_worker(
                **({"concurrency": args.worker_concurrency} if args.worker_concurrency else {})
            )
            cluster.wait_ready(api)
            cluster.wait_worker_started(worker)
            base = f"http://127.0.0.1:{api.port}"
            set_id = "bench-memory"
            asyncio.run(warm_up(base, key, set_id))

            processes = {"api": api, "worker": worker}
            for name, process in processes.items():
                sampler.watch(name, process.pid)
            sampler.start()
            sampler.phase = "idle"
            time.sleep(args.idle)
            sampler.phase = "load"
            load_started = time.monotonic()
            stats = asyncio.run(load(base, key, set_id, args.clients, args.duration))
            load_seconds = time.monotonic() - load_started
            sampler.phase = "after"
            time.sleep(args.settle)
            sampler.stop()
            sampler.sample_once()  # make sure the after phase has a sample however short

            hwm = {name: mib(status_kib(p.pid, "VmHWM")) for name, p in processes.items()}
            metrics = {
                "api": scrape(f"{base}/metrics"),
                "worker": scrape(
                    f"http://127.0.0.1:{worker.env['COMPLIANCE_WORKER__METRICS_PORT']}/metrics"
                ),
            }
            for name, process in processes.items():
                if not process.alive():
                    raise RuntimeError(f"{name} exited during the run:\n{process.tail()}")
            rows = report(sampler, processes, hwm)
            tracked = mlflow_runs(root / "mlflow.db")
        finally:
            sampler.stop()
            cluster.close()
    return {
        "rows": rows,
        "load_seconds": load_seconds,
        "answers": dict(stats.answers),
        "jobs": dict(stats.jobs),
        "transport_errors": stats.transport_errors,
        "job_seconds_median": (
            sorted(stats.job_seconds)[len(stats.job_seconds) // 2] if stats.job_seconds else None
        ),
        "metrics": {name: {"status": s, "samples": n} for name, (s, n) in metrics.items()},
        "otlp_exports": {"requests": OtlpSink.requests, "bytes": OtlpSink.bytes_received},
        "mlflow_runs": tracked,
    }


def positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=positive_int, default=20)
    parser.add_argument("--duration", type=positive_float, default=60.0, help="load seconds")
    parser.add_argument("--idle", type=positive_float, default=15.0, help="idle seconds")
    parser.add_argument("--settle", type=positive_float, default=15.0, help="after-load seconds")
    parser.add_argument("--interval", type=positive_float, default=0.25, help="sampling period")
    parser.add_argument("--latency", type=float, default=2.0, help="LLM double latency (s)")
    parser.add_argument(
        "--worker-concurrency",
        type=positive_int,
        help="jobs at once in the worker (default: the product's, worker.concurrency)",
    )
    parser.add_argument("--no-tracking", action="store_true", help="MLflow tracking off")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    try:
        result = run(args)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        raise SystemExit(f"cannot start the cluster: {exc.msg}") from None
    load_after = os.getloadavg()[0]

    print(
        f"settings: API keys on; rate limits {HIGH_RATE} per group and the active-job cap "
        "1,000,000 (set high so they never bind); metrics on; traces on (OTLP/HTTP to a local "
        f"sink); MLflow tracking {'off' if args.no_tracking else 'on (SQLite store)'}; "
        f"LLM double latency {args.latency} s; {LLM_GUIDELINES} llm + 1 rule guideline per job"
    )
    print(
        f"load: {args.clients} clients for {args.duration:.0f} s (took {result['load_seconds']:.0f}"
        f" s with the drain); jobs {result['jobs']}; median job time "
        f"{result['job_seconds_median'] or 0:.1f} s; answers {result['answers']}; "
        f"transport errors {result['transport_errors']}"
    )
    print(
        f"metrics scraped at the end: {result['metrics']}; OTLP exports received: "
        f"{result['otlp_exports']}; MLflow runs logged: {result['mlflow_runs']}; "
        f"load average {load_before:.2f} → {load_after:.2f}"
    )
    print_rows(result["rows"])
    if args.json:
        report_json = {
            "benchmark": "memory",
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "parameters": {
                k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
            },
            **result,
        }
        args.json.write_text(json.dumps(report_json, indent=2) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")


if __name__ == "__main__":
    main()
