"""End-to-end benchmark: jobs through the real API and `compliance worker` processes, with the
LLM test double at a realistic latency.

    .venv/bin/python bench/e2e/bench_e2e.py [--concurrency 1,10,100] [--workers 1,3]
                                            [--waves 2] [--json PATH]

Production topology on loopback (bench/api/topology.py: private PostgreSQL + Redis + Azurite,
API keys, rate limits on but set very high, /metrics on, tracing on), one API process and W
worker processes (``worker.concurrency`` jobs each, printed). A tenant guideline set with
``--guidelines`` llm guidelines (10) and no rule guideline is uploaded through the API. The
LLM double answers every call after ``--latency`` ± ``--jitter`` seconds (uniform; 2 ± 0.5).

For each worker count and each concurrency N: ``--waves`` waves of N jobs submitted at once
(each a different article), each wave waited for until every job has ended. Measured per
job from the job row (the server's own timestamps; completion is detected with one database
query every 0.25 s, so polling does not load the API): end-to-end time (``finished_at -
created_at``), queue wait (``started_at - created_at``), and the overhead beyond the slowest
LLM call of that job (end-to-end minus the longest wait the double applied to any of its
calls). Per wave: jobs/minute = N / (last finish - first submit). Every result is then read
through the API and checked (completed, every guideline answered).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
import psycopg
from bench.api.otlp_sink import OtlpSink
from bench.api.topology import (
    ROOT,
    create_api_key,
    load_average,
    machine,
    plain_dsn,
    product_env,
    production_cluster,
    settings_note,
    table,
)
from tests.scale.cluster import Cluster, ServiceProcess

TENANT = "bench-e2e"
POLL_SECONDS = 0.25
FINAL = ("completed", "failed", "cancelled")


class LlmDoubleProcess:
    """bench/e2e/llm_double_runner.py in its own process (its CPU is not the product's)."""

    def __init__(self, latency: float, jitter: float, seed: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.e2e.llm_double_runner", "--latency", str(latency),
             "--jitter", str(jitter), "--seed", str(seed)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise SystemExit(f"the LLM double did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}/v1"

    def delays(self) -> dict[str, Any]:
        """Waits applied per job tag since the last call."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("delays\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(10)


def guideline_set(set_id: str, count: int) -> str:
    body = "".join(
        f"  - id: llm-{i}\n    title: LLM guideline {i}\n    kind: llm\n    severity: warning\n"
        f"    instruction: Check that the article's claim number {i} is substantiated.\n"
        for i in range(count)
    )
    return f"id: {set_id}\nversion: 1\ntitle: Benchmark set\nguidelines:\n{body}"


def article(tag: str) -> str:
    return (
        f"Acme Saver ({tag})\n\nEarn 5% interest on your savings, every year. "
        "Open an account in minutes; terms apply. Our app makes saving simple."
    )


@dataclass
class JobTimes:
    tag: str
    status: str
    end_to_end: float
    queue_wait: float
    max_llm: float
    llm_calls: int

    @property
    def overhead(self) -> float:
        return self.end_to_end - self.max_llm

    @property
    def worker_overhead(self) -> float:
        """The overhead once a worker has taken the job (queue wait left out)."""
        return self.overhead - self.queue_wait


@dataclass
class Wave:
    workers: int
    concurrency: int
    jobs_per_minute: float
    wall_seconds: float
    jobs: list[JobTimes]


def job_rows(dsn: str, ids: list[str]) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as connection:
        return list(
            connection.execute(
                "SELECT id, status, created_at, started_at, finished_at FROM jobs "
                "WHERE id = ANY(%s)",
                [ids],
            )
        )


async def submit_all(
    client: httpx.AsyncClient, set_id: str, tags: list[str]
) -> tuple[dict[str, str], float]:
    started = time.time()

    async def submit(tag: str) -> tuple[str, str]:
        response = await client.post(
            "/api/v1/compliance/check", json={"article_text": article(tag), "guideline_set": set_id}
        )
        if response.status_code != 202:
            raise SystemExit(f"submission refused: {response.status_code} {response.text}")
        return response.json()["job_id"], tag

    pairs = await asyncio.gather(*(submit(tag) for tag in tags))
    return dict(pairs), started


async def run_wave(
    client: httpx.AsyncClient,
    dsn: str,
    double: LlmDoubleProcess,
    *,
    set_id: str,
    run: str,
    workers: int,
    concurrency: int,
    timeout: float,
    guidelines: int,
) -> Wave:
    tags = [f"E2E-{run}-{uuid.uuid4().int % 10**9}" for _ in range(concurrency)]
    tag_of, _ = await submit_all(client, set_id, tags)
    deadline = time.monotonic() + timeout
    while True:
        rows = job_rows(dsn, list(tag_of))
        if sum(1 for row in rows if row[1] in FINAL) == concurrency:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"wave of {concurrency} jobs not finished after {timeout} s")
        await asyncio.sleep(POLL_SECONDS)
    delays = double.delays()["jobs"]
    jobs = []
    for job_id, status, created, started, finished in rows:
        waits = delays.get(tag_of[job_id], [])
        jobs.append(
            JobTimes(
                tag=tag_of[job_id],
                status=status,
                end_to_end=(finished - created).total_seconds(),
                queue_wait=(started - created).total_seconds() if started else 0.0,
                max_llm=max(waits, default=0.0),
                llm_calls=len(waits),
            )
        )
    await check_results(client, list(tag_of), guidelines)
    first = min(row[2] for row in rows)
    last = max(row[4] for row in rows)
    wall = (last - first).total_seconds()
    return Wave(workers, concurrency, round(concurrency * 60 / wall, 1), round(wall, 2), jobs)


async def check_results(client: httpx.AsyncClient, ids: list[str], guidelines: int) -> None:
    """Every job completed, through the API, with each llm guideline answered."""
    for job_id in ids:
        response = await client.get(f"/api/v1/jobs/{job_id}/result")
        if response.status_code != 200:
            raise SystemExit(f"result of {job_id}: {response.status_code} {response.text}")
        answered = [
            g for g in response.json()["guidelines"] if str(g["guideline_id"]).startswith("llm-")
        ]
        if len(answered) != guidelines or any(g["status"] != "pass" for g in answered):
            raise SystemExit(f"result of {job_id} is not {guidelines} passing llm guidelines")


@contextmanager
def workers_running(cluster: Cluster, count: int, concurrency: int) -> Iterator[None]:
    started: list[ServiceProcess] = []
    try:
        for _ in range(count):
            started.append(cluster.add_worker(concurrency=concurrency))
        for worker in started:
            cluster.wait_worker_started(worker)
        yield
    finally:
        for worker in started:
            worker.stop()
        cluster.workers = [w for w in cluster.workers if w not in started]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarise(waves: list[Wave]) -> dict[str, Any]:
    jobs = [job for wave in waves for job in wave.jobs]
    overheads = [job.overhead for job in jobs]
    return {
        "jobs": len(jobs),
        "failed": sum(1 for job in jobs if job.status != "completed"),
        "jobs_per_minute": statistics.median(w.jobs_per_minute for w in waves),
        "jobs_per_minute_range": [
            min(w.jobs_per_minute for w in waves),
            max(w.jobs_per_minute for w in waves),
        ],
        "overhead_p50_s": round(statistics.median(overheads), 3),
        "overhead_p95_s": round(percentile(overheads, 0.95), 3),
        "overhead_max_s": round(max(overheads), 3),
        "queue_wait_p50_s": round(statistics.median(j.queue_wait for j in jobs), 3),
        "worker_overhead_p50_s": round(statistics.median(j.worker_overhead for j in jobs), 3),
        "worker_overhead_p95_s": round(percentile([j.worker_overhead for j in jobs], 0.95), 3),
        "end_to_end_p50_s": round(statistics.median(j.end_to_end for j in jobs), 3),
        "max_llm_p50_s": round(statistics.median(j.max_llm for j in jobs), 3),
        "llm_calls_per_job": sorted({j.llm_calls for j in jobs}),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,10,100", help="jobs in flight at once")
    parser.add_argument("--workers", default="1,3", help="worker process counts")
    parser.add_argument("--waves", type=int, default=2, help="waves per cell")
    parser.add_argument("--guidelines", type=int, default=10, help="llm guidelines in the set")
    parser.add_argument("--latency", type=float, default=2.0, help="LLM double, seconds")
    parser.add_argument("--jitter", type=float, default=0.5, help="± seconds, uniform")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--worker-concurrency", type=int, default=4, help="worker.concurrency (default 4)"
    )
    parser.add_argument(
        "--llm-concurrency",
        type=int,
        default=None,
        help="llm.max_concurrency per worker; default: worker concurrency x (guidelines + 1), "
        "so a worker's own limit never holds a call back (the product default is 16)",
    )
    parser.add_argument("--wave-timeout", type=float, default=900.0)
    parser.add_argument("--no-tracing", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    levels = [int(n) for n in args.concurrency.split(",")]
    worker_counts = [int(n) for n in args.workers.split(",")]
    llm_concurrency = args.llm_concurrency or args.worker_concurrency * (args.guidelines + 1)
    note = (
        f"{settings_note(not args.no_tracing)}; worker.concurrency {args.worker_concurrency} "
        f"jobs per worker process; llm.max_concurrency {llm_concurrency} per worker; LLM rate "
        "limits 1,000,000 requests and 1,000,000,000 tokens per minute; verdict cache off; "
        "MLflow tracking off; checkpoints in PostgreSQL"
    )
    print(f"Settings: {note}", flush=True)
    load_before = load_average()
    run = uuid.uuid4().hex[:6]
    set_id = f"bench-e2e-{run}"
    cells: dict[tuple[int, int], list[Wave]] = {}
    double = LlmDoubleProcess(args.latency, args.jitter, args.seed)
    try:
        with (
            OtlpSink() as sink,
            production_cluster(
                double.base_url,
                {
                    **product_env(None if args.no_tracing else sink.endpoint),
                    "COMPLIANCE_LLM__MAX_CONCURRENCY": str(llm_concurrency),
                    "COMPLIANCE_LLM__REQUESTS_PER_MINUTE": "1000000",
                    "COMPLIANCE_LLM__TOKENS_PER_MINUTE": "1000000000",
                },
            ) as cluster,
        ):
            key = create_api_key(cluster, TENANT)
            api = cluster.add_api()
            cluster.wait_ready(api)
            cells = asyncio.run(
                measure(args, cluster, f"http://127.0.0.1:{api.port}", key, double,
                        set_id=set_id, run=run, levels=levels, worker_counts=worker_counts)
            )  # fmt: skip
            traces = {"exports": sink.exports, "bytes": sink.bytes}
    finally:
        double.close()
    return report(args, note, load_before, cells, traces)


async def measure(
    args: argparse.Namespace,
    cluster: Cluster,
    base: str,
    key: str,
    double: LlmDoubleProcess,
    *,
    set_id: str,
    run: str,
    levels: list[int],
    worker_counts: list[int],
) -> dict[tuple[int, int], list[Wave]]:
    cells: dict[tuple[int, int], list[Wave]] = {}
    dsn = plain_dsn(cluster)
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, limits=limits
    ) as client:
        created = await client.post(
            "/api/v1/guideline-sets",
            content=guideline_set(set_id, args.guidelines).encode(),
            headers={"Content-Type": "application/yaml"},
        )
        if created.status_code != 201:
            raise SystemExit(f"guideline set refused: {created.status_code} {created.text}")
        wave_args = {"set_id": set_id, "run": run, "timeout": args.wave_timeout,
                     "guidelines": args.guidelines}  # fmt: skip
        for workers in worker_counts:
            with workers_running(cluster, workers, args.worker_concurrency):
                # Warm-up (imports, pools, the compiled graph): one job per worker, not counted.
                await run_wave(client, dsn, double, workers=workers, concurrency=workers,
                               **wave_args)  # fmt: skip
                for level in levels:
                    for index in range(args.waves):
                        print(f"workers {workers}, {level} concurrent jobs, wave {index + 1}…",
                              flush=True)  # fmt: skip
                        wave = await run_wave(client, dsn, double, workers=workers,
                                              concurrency=level, **wave_args)  # fmt: skip
                        cells.setdefault((workers, level), []).append(wave)
    return cells


def report(
    args: argparse.Namespace,
    note: str,
    load_before: float,
    cells: dict[tuple[int, int], list[Wave]],
    traces: dict[str, int],
) -> int:
    summaries = {cell: summarise(waves) for cell, waves in cells.items()}
    worker_counts = sorted({w for w, _ in cells})
    levels = sorted({n for _, n in cells})
    headers = ["concurrent jobs"]
    for workers in worker_counts:
        headers += [
            f"{workers}w jobs/min",
            f"{workers}w overhead p50 / p95 / max s",
            f"{workers}w queue wait p50 s",
            f"{workers}w in-worker overhead p50 / p95 s",
        ]
    rows = []
    for level in levels:
        row: list[object] = [level]
        for workers in worker_counts:
            found = summaries.get((workers, level))
            if found is None:
                row += ["—", "—", "—", "—"]
                continue
            low, high = found["jobs_per_minute_range"]
            row += [
                f"{found['jobs_per_minute']:g} ({low:g}–{high:g})",
                f"{found['overhead_p50_s']:g} / {found['overhead_p95_s']:g} / "
                f"{found['overhead_max_s']:g}",
                f"{found['queue_wait_p50_s']:g}",
                f"{found['worker_overhead_p50_s']:g} / {found['worker_overhead_p95_s']:g}",
            ]
        rows.append(row)
    print(f"\nEnd to end ({note}):")
    print(
        f"LLM double {args.latency:g} s ± {args.jitter:g} s; {args.guidelines} llm guidelines; "
        f"{args.waves} wave(s) per cell; jobs/min median (range) of the waves"
    )
    print(table(headers, rows))
    failed = sum(s["failed"] for s in summaries.values())
    load_after = load_average()
    print(f"Traces exported: {traces}; jobs not completed: {failed}")
    print(f"Load average: {load_before} before, {load_after} after; machine: {machine()}")
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"before": load_before, "after": load_after},
        "settings": note,
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "cells": [
            {
                "workers": w,
                "concurrency": n,
                **summaries[(w, n)],
                "waves": [asdict(wave) for wave in cells[(w, n)]],
            }
            for w, n in sorted(cells)
        ],
        "traces": traces,
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"Figures written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
