"""Soak: the production topology under a steady mixed load for ``--minutes`` (30) — no memory
growth beyond 10 %, no error answers other than the planned 429s, every job completed
(issue #10, item 4). A documented command, not part of CI or ``make bench``:

    .venv/bin/python bench/soak/soak.py --json /tmp/soak.json      # 30 minutes (make soak)
    .venv/bin/python bench/soak/soak.py --minutes 2                 # smoke run

Topology (``tests/scale/cluster.py``): a private PostgreSQL, Redis and Azurite, **2**
``compliance api`` and **2** ``compliance worker`` processes, production mode (API keys),
``/metrics`` on, tracing on (OTLP/HTTP to a sink in this process), the LLM test double in its
own process answering after 2 s ± 0.5 s. Load and rules: ``bench/soak/traffic.py`` and
``bench/soak/verdict.py``; how to read the report: ``bench/README.md`` ("Soak").

Exit status 0 when the soak passed, 1 on a violation (each one is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from bench.api.otlp_sink import OtlpSink  # noqa: E402
from bench.api.topology import (  # noqa: E402
    create_api_key,
    llm_double,
    load_average,
    machine,
    plain_dsn,
    production_cluster,
    table,
)
from bench.memory.proc_rss import RssSampler  # noqa: E402
from bench.soak.traffic import Articles, Identity, JobRecord, Load, Recorder  # noqa: E402
from bench.soak.verdict import (  # noqa: E402
    NOISY_TENANT,
    EndpointRow,
    MemoryRow,
    Windows,
    endpoint_rows,
    is_planned,
    job_counts,
    memory_row,
    violations,
)
from tests.scale.cluster import Cluster, ServiceProcess  # noqa: E402

MAIN_TENANT = "soak-main"
SET_ID = "soak-mixed"
# Per user (tenant + API key): the product has one setting for every user, no per-tenant
# override. The main tenant's users send about 1 request/s each, far below these budgets; the
# noisy tenant's bursts of --noisy-burst GET /jobs in the same second exceed the read budget.
RATE_LIMITS = {"submit": "5/second", "read": "20/second", "write": "5/second", "admin": "5/second"}
# Measured as sustainable with 2 workers × 4 jobs at once on the project machine (2 vCPUs,
# shared): the queue stays near 0 (README "Soak"). Raise it with --jobs-per-minute.
DEFAULT_JOBS_PER_MINUTE = 12.0
LLM_GUIDELINES = 3
LLM_LATENCY, LLM_JITTER = 2.0, 0.5
QUEUE_METRIC = re.compile(r"^(compliance_queue_depth|compliance_jobs_processing) (\S+)$", re.M)


def guideline_set_yaml() -> str:
    """The shipped default set's rule guidelines (its styles) plus a few llm guidelines."""
    shipped = yaml.safe_load((ROOT / "guidelines/marketing-eu/guideline-set.yaml").read_text())
    llm = [
        {
            "id": f"claims-{n}",
            "title": f"Substantiated claims {n}",
            "kind": "llm",
            "severity": "warning",
            "instruction": f"Flag any unsubstantiated claim of kind {n} in the article.",
        }
        for n in range(1, LLM_GUIDELINES + 1)
    ]
    mixed = {
        "id": SET_ID,
        "version": 1,
        "title": "Soak: the default rule guidelines and llm guidelines",
        "styles": shipped["styles"],
        "guidelines": [*shipped["guidelines"], *llm],
    }
    return yaml.safe_dump(mixed, sort_keys=False, allow_unicode=True)


async def queue_depth(
    url: str, interval: float, recorder: Recorder, stop: asyncio.Event
) -> list[tuple[float, int, int]]:
    """(seconds since the load started, queued, processing) from an API's ``/metrics``."""
    series: list[tuple[float, int, int]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            try:
                text = (await client.get(url)).text
                values = {name: int(float(v)) for name, v in QUEUE_METRIC.findall(text)}
                series.append(
                    (
                        recorder.now(),
                        values.get("compliance_queue_depth", -1),
                        values.get("compliance_jobs_processing", -1),
                    )
                )
            except httpx.HTTPError:
                series.append((recorder.now(), -1, -1))  # shown as a gap; the API is checked
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
    return series


async def prepare(client: httpx.AsyncClient, load: Load) -> None:
    """Upload the guideline set and run one job end to end (fail fast on a broken set-up)."""
    who = load.main_users[0]
    created = await client.post(
        f"{load.bases[0]}/api/v1/guideline-sets",
        content=guideline_set_yaml().encode(),
        headers={**who.headers, "Content-Type": "application/yaml"},
    )
    if created.status_code != 201:
        raise RuntimeError(f"creating the guideline set failed: {created.text}")
    await load.job_flow(-1)  # its own article: the load's job 0 must not be its duplicate
    job = load.recorder.jobs[-1]
    if job.status != "completed":
        raise RuntimeError(f"the warm-up job ended {job.status!r}: {load.recorder.calls}")


def db_job_counts(cluster: Cluster) -> dict[str, int]:
    with psycopg.connect(plain_dsn(cluster)) as connection:
        rows = connection.execute(
            "SELECT tenant_id, status, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    return {f"{tenant} {status}": int(count) for tenant, status, count in rows}


def start_topology(cluster: Cluster) -> dict[str, ServiceProcess]:
    apis = [cluster.add_api() for _ in range(2)]
    workers = [cluster.add_worker() for _ in range(2)]
    for api in apis:
        cluster.wait_ready(api)
    for worker in workers:
        cluster.wait_worker_started(worker)
    return {process.name: process for process in [*apis, *workers]}


async def run_load(
    args: argparse.Namespace,
    bases: list[str],
    users: list[Identity],
    noisy: Identity,
    pids: dict[str, int],
) -> tuple[Recorder, list[tuple[float, int, int]], RssSampler]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    articles = Articles(uuid.uuid4().hex[:8])
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        def traffic(recorder: Recorder, noisy_burst: int) -> Load:
            return Load(
                client,
                bases,
                main_users=users,
                noisy=noisy,
                set_id=SET_ID,
                articles=articles,
                recorder=recorder,
                noisy_burst=noisy_burst,
            )

        await prepare(client, traffic(Recorder(), noisy_burst=0))
        # Both clocks start now: RSS samples and answers share "seconds since the load started".
        sampler = RssSampler(args.interval)
        recorder = Recorder()
        for name, pid in pids.items():
            sampler.watch(name, pid)
        sampler.start()
        load = traffic(recorder, args.noisy_burst)
        stop = asyncio.Event()
        queue = asyncio.create_task(
            queue_depth(f"{bases[0]}/metrics", args.interval, recorder, stop)
        )
        try:
            await load.run(args.minutes * 60, args.jobs_per_minute)
        finally:
            stop.set()
            sampler.stop()
        return recorder, await queue, sampler


def soak(args: argparse.Namespace) -> dict[str, Any]:
    extra_env = {
        "COMPLIANCE_API__RATE_LIMITS": json.dumps(RATE_LIMITS),
        "COMPLIANCE_OBSERVABILITY__OTLP_ENDPOINT": "",  # set below, once the sink listens
    }
    with (
        OtlpSink() as sink,
        llm_double(LLM_LATENCY, LLM_JITTER, seed=1) as llm_url,
    ):
        extra_env["COMPLIANCE_OBSERVABILITY__OTLP_ENDPOINT"] = sink.endpoint
        with production_cluster(llm_url, extra_env) as cluster:
            users = [
                Identity(MAIN_TENANT, create_api_key(cluster, MAIN_TENANT))
                for _ in range(args.main_users)
            ]
            noisy = Identity(NOISY_TENANT, create_api_key(cluster, NOISY_TENANT))
            processes = start_topology(cluster)
            bases = [f"http://127.0.0.1:{p.port}" for p in processes.values() if p.port]
            pids = {name: process.pid for name, process in processes.items()}
            started = time.monotonic()
            recorder, queue, sampler = asyncio.run(run_load(args, bases, users, noisy, pids))
            wall = time.monotonic() - started
            dead = [name for name, process in processes.items() if not process.alive()]
            in_database = db_job_counts(cluster)
            otlp_exports = sink.exports
    windows = Windows.for_duration(args.minutes * 60)
    memory = [
        memory_row(name, [(at, own / 1024) for at, _, own, _ in series.samples], windows)
        for name, series in sampler.series.items()
    ]
    found = violations(memory, recorder.calls, recorder.jobs, dead)
    return {
        "windows": dataclasses.asdict(windows),
        "memory": [{**dataclasses.asdict(r), "growth": r.growth} for r in memory],
        "endpoints": [dataclasses.asdict(r) for r in endpoint_rows(recorder.calls)],
        "jobs": job_counts(recorder.jobs),
        "jobs_by_kind": _by_kind(recorder.jobs),
        "jobs_in_database": in_database,
        "feedback_given": sum(job.feedback_given for job in recorder.jobs),
        "planned_429": sum(is_planned(call) for call in recorder.calls),
        "requests": len(recorder.calls),
        "queue": [{"at": at, "queued": q, "processing": p} for at, q, p in queue],
        "otlp_exports": otlp_exports,
        "wall_seconds": wall,
        "violations": found,
        "rss_samples": {
            name: [(round(at, 1), own) for at, _, own, _ in series.samples]
            for name, series in sampler.series.items()
        },
    }


def _by_kind(jobs: Sequence[JobRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for job in jobs:
        key = f"{job.kind} via {job.followed_by}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def print_report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    windows = Windows(**result["windows"])
    print(
        f"\nsoak: {args.minutes:g} min of load ({result['wall_seconds']:.0f} s with the warm-up "
        "job and the drain), "
        f"{args.jobs_per_minute:g} jobs/min, {args.main_users} main-tenant users, noisy bursts "
        f"of {args.noisy_burst}; RSS every {args.interval:g} s; warm-up {windows.warm_up:.0f} s,"
        f" windows {windows.first[0]:.0f}–{windows.first[1]:.0f} s and "
        f"{windows.last[0]:.0f}–{windows.last[1]:.0f} s\n"
    )
    memory = [MemoryRow(**{k: v for k, v in r.items() if k != "growth"}) for r in result["memory"]]
    print(
        table(
            [
                "process",
                "RSS first window MiB",
                "RSS last window MiB",
                "growth",
                "peak MiB",
                "samples",
                "≤ 10 %",
            ],
            [
                [
                    r.process,
                    _mib(r.first_mib),
                    _mib(r.last_mib),
                    "—" if r.growth is None else f"{r.growth:+.1%}",
                    _mib(r.peak_mib),
                    r.samples,
                    "yes" if r.ok else "NO",
                ]
                for r in memory
            ],
        )
    )
    rows = [EndpointRow(**r) for r in result["endpoints"]]
    print()
    print(
        table(
            ["endpoint", "answers by status", "p50 ms", "p99 ms", "max ms"],
            [
                [
                    r.endpoint,
                    ", ".join(f"{s}: {n}" for s, n in r.statuses.items()),
                    f"{r.p50_ms:.1f}",
                    f"{r.p99_ms:.1f}",
                    f"{r.max_ms:.1f}",
                ]
                for r in rows
            ],
        )
    )
    depths = [q["queued"] for q in result["queue"] if q["queued"] >= 0]
    first, last = (_mean_queued(result["queue"], span) for span in (windows.first, windows.last))
    print(
        f"\njobs submitted {sum(result['jobs'].values())}: "
        f"{result['jobs']} ({result['jobs_by_kind']}); "
        f"in the database (with the warm-up job) {result['jobs_in_database']};"
        f" feedback given {result['feedback_given']}\n"
        f"requests {result['requests']}, planned 429s (noisy tenant) {result['planned_429']}; "
        f"OTLP exports received {result['otlp_exports']}\n"
        f"queue depth (queued jobs, every {args.interval:g} s): max {max(depths, default=-1)}, "
        f"mean {first} in the first window and {last} in the last, "
        f"series {' '.join(str(d) for d in depths)}"
    )
    if result["violations"]:
        print("\nFAILED:\n" + "\n".join(f"  - {v}" for v in result["violations"]))
    else:
        print("\nPASSED: no RSS growth above 10 %, no unplanned error answer, every job completed")


def _mean_queued(queue: list[dict[str, float]], span: tuple[float, float]) -> str:
    """Mean queue depth between two times; growth means the rate is above what the machine
    sustains (the load is then not steady: lower --jobs-per-minute)."""
    values = [q["queued"] for q in queue if span[0] <= q["at"] <= span[1] and q["queued"] >= 0]
    return f"{sum(values) / len(values):.1f}" if values else "—"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def positive(kind: type[float] | type[int]) -> Any:
    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be greater than 0")
        return value

    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=positive(float), default=30.0, help="load duration")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--jobs-per-minute", type=positive(float), default=DEFAULT_JOBS_PER_MINUTE)
    parser.add_argument("--main-users", type=positive(int), default=4, help="API keys")
    parser.add_argument(
        "--noisy-burst", type=positive(int), default=30, help="GET /jobs at once every 10 s"
    )
    parser.add_argument(
        "--interval",
        type=positive(float),
        help="RSS and queue sampling period (default 15 s; a 40th of shorter runs)",
    )
    args = parser.parse_args(argv)
    if args.interval is None:
        args.interval = min(15.0, args.minutes * 60 / 40)
    return args


def main() -> int:
    args = parse_args()
    before = load_average()
    try:
        result = soak(args)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        raise SystemExit(f"cannot start the cluster: {exc.msg}") from None
    result["load_average"] = {"before": before, "after": load_average()}
    result["machine"] = machine()
    print(
        f"settings: production mode, API keys on; rate limits per user {RATE_LIMITS} (the main "
        f"tenant stays far below, the noisy tenant's bursts exceed 'read'); max active jobs per "
        f"tenant: the product default; /metrics on; tracing on; MLflow tracking off; "
        f"{LLM_GUIDELINES} llm guidelines + the marketing-eu rule guidelines; LLM double "
        f"{LLM_LATENCY:g} s ± {LLM_JITTER:g} s; {result['machine']}; load average "
        f"{before} → {result['load_average']['after']}"
    )
    print_report(args, result)
    if args.json:
        parameters = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        document = {
            "benchmark": "soak",
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "command": " ".join(sys.argv),
            "parameters": parameters,
            "pid": os.getpid(),
            **result,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")
    return 1 if result["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
