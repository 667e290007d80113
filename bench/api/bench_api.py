"""API benchmark: ONE `compliance api` process as it ships, against a trivial FastAPI app served
the same way (the framework's ceiling).

    .venv/bin/python bench/api/bench_api.py [--duration 30] [--step-duration 10]
                                            [--connections 32] [--json PATH]

The product runs in production mode on a private PostgreSQL + Redis + Azurite
(tests/scale/cluster.py) with API keys, rate limiting on but set very high, /metrics on and
tracing on (see topology.py; the settings are printed). Everything binds 127.0.0.1; wrk is
the load generator (``apt-get install -y wrk``). Endpoints:

* ``submit`` — ``POST /api/v1/compliance/check``, every body a different article (no dedupe);
* ``status cached`` — ``GET /jobs/{id}/status`` of jobs whose status view is in Redis;
* ``status uncached`` — the same, each job read once after its cached view was deleted from
  Redis (there is no bypass switch: a read misses only when the entry is absent — never
  cached, expired after 5 min, deleted by ``DELETE /admin/cache/jobs/{id}``, or Redis down —
  and the miss re-caches it, see checks/queries.py and checks/repository.py);
* ``result`` — ``GET /jobs/{id}/result`` of completed jobs (the cached result view after the
  first read, plus the audit row every read writes);
* ``ceiling`` — ``GET /ping`` of bench/api/ceiling_app.py.

For each: maximum throughput unpaced at ``--connections``, then paced steps at fractions of it;
the sustained rate is the highest step achieving >= 90 % of its rate with no errors and p99
within the endpoint's limit. Then the issue #5 targets at fixed rates: submit p99 < 50 ms at
50/s (and jobs created = 202s), cached status p99 < 10 ms at 500/s. Exits 1 when a target is
missed. No worker runs during the measurements (one runs beforehand to complete the jobs the
``result`` endpoint reads).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from bench.api.loadgen import Endpoint, RateSearch, WrkRun, run_wrk, search_rate  # noqa: E402
from bench.api.otlp_sink import OtlpSink  # noqa: E402
from bench.api.topology import (  # noqa: E402
    ROOT,
    create_api_key,
    llm_double,
    load_average,
    machine,
    plain_dsn,
    product_env,
    production_cluster,
    settings_note,
    table,
)
from tests.scale.cluster import Cluster, ServiceProcess  # noqa: E402
from tests.services import free_port, wait_for_port  # noqa: E402

TENANT = "bench"
SUBMIT_P99_MS = 50.0
STATUS_P99_MS = 10.0
SUBMIT_BODY = (
    '{{"article_text": "Result article {n}. Earn up to 5% on savings; terms apply.", '
    '"guidelines": ["no-guarantees", "unsubstantiated-superlatives"]}}'
)


def job_ids(dsn: str, *, status: str | None = None, limit: int = 1_000_000) -> list[str]:
    query = "SELECT id FROM jobs WHERE tenant_id = %s"
    params: list[Any] = [TENANT]
    if status:
        query += " AND status = %s"
        params.append(status)
    query += " ORDER BY created_at DESC LIMIT %s"
    params.append(limit)
    with psycopg.connect(dsn, autocommit=True) as connection:
        return [row[0] for row in connection.execute(query, params)]


def clone_jobs(dsn: str, template: str, count: int) -> list[str]:
    """``count`` copies of a completed job row with new ids, for cache misses (each uncached
    read needs a job not read before). Written straight into the table: only reads follow."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        columns = [
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' "
                "ORDER BY ordinal_position"
            )
        ]
        copied = {"id": "gen_random_uuid()::text", "dedupe_key": "NULL"}
        names = ", ".join(f'"{c}"' for c in columns)
        values = ", ".join(copied.get(c, f'j."{c}"') for c in columns)
        rows = connection.execute(
            f"INSERT INTO jobs ({names}) SELECT {values} FROM jobs j, generate_series(1, %s) "
            "WHERE j.id = %s RETURNING id",
            [count, template],
        )
        return [row[0] for row in rows]


def drop_cached_statuses(redis_url: str) -> Callable[[], None]:
    def drop() -> None:
        client = redis.Redis.from_url(redis_url)
        try:
            batch: list[bytes] = []
            for key in client.scan_iter(match="*job:status:*", count=2000):
                batch.append(key)
                if len(batch) >= 2000:
                    client.unlink(*batch)
                    batch.clear()
            if batch:
                client.unlink(*batch)
        finally:
            client.close()

    return drop


def complete_jobs(cluster: Cluster, base: str, key: str, count: int, timeout: float) -> list[str]:
    """Submit ``count`` jobs (rule guidelines only), run one worker until they are completed,
    stop it. Returns their ids."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        ids = []
        for n in range(count):
            response = client.post("/api/v1/compliance/check", content=SUBMIT_BODY.format(n=n))
            response.raise_for_status()
            ids.append(response.json()["job_id"])
    worker = cluster.add_worker(concurrency=4)
    try:
        cluster.wait_worker_started(worker)
        deadline = time.monotonic() + timeout
        dsn = plain_dsn(cluster)
        while len(set(job_ids(dsn, status="completed")) & set(ids)) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"the {count} result jobs did not complete in {timeout} s")
            time.sleep(0.5)
    finally:
        worker.stop()
    return ids


def status_cache_counts(base: str) -> dict[str, float]:
    """The API's status-cache lookups so far, from /metrics (hit and miss)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    counts = {"hit": 0.0, "miss": 0.0}
    for labels, value in re.findall(r"compliance_cache_requests_total\{([^}]*)\}\s+(\S+)", text):
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if found.get("layer") == "status" and found.get("result") in counts:
            counts[found["result"]] += float(value)
    return counts


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, int]:
    return {k: int(after[k] - before[k]) for k in before}


def run_row(run: WrkRun, sustained: bool | None = None) -> list[object]:
    target = "max" if run.target_rate is None else f"{run.target_rate:g}/s"
    errors = run.socket_errors + sum(n for s, n in run.status_counts.items() if s >= 400)
    mark = "" if sustained is None else ("yes" if sustained else "no")
    return [
        run.label, target, run.connections, f"{run.rate:g}/s",
        f"{run.p50_ms:g} / {run.p95_ms:g} / {run.p99_ms:g} / {run.max_ms:g}",
        errors, run.server_cpu_ms_per_request, mark,
    ]  # fmt: skip


RUN_HEADERS = [
    "run", "target", "conns", "achieved", "p50 / p95 / p99 / max ms", "errors",
    "server CPU ms/req", "sustained",
]  # fmt: skip


@dataclass
class Measurements:
    searches: list[RateSearch] = field(default_factory=list)
    targets: dict[str, WrkRun] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    traces: dict[str, int] = field(default_factory=dict)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="s per target phase")
    parser.add_argument("--step-duration", type=float, default=10, help="s per search step")
    parser.add_argument("--connections", type=int, default=32, help="for max throughput")
    parser.add_argument(
        "--fractions", default="0.1,0.25,0.5,0.75,0.9", help="paced steps, as fractions of max"
    )
    parser.add_argument("--submit-rate", type=float, default=50.0)
    parser.add_argument("--status-rate", type=float, default=500.0)
    parser.add_argument("--result-jobs", type=int, default=200, help="completed jobs to read")
    parser.add_argument("--uncached-jobs", type=int, default=30_000, help="jobs for misses")
    parser.add_argument("--p99-limit-ms", type=float, default=50.0, help="uncached, result")
    parser.add_argument("--no-tracing", action="store_true", help="traces off (comparison)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    note = settings_note(not args.no_tracing)
    print(f"Settings: {note}", flush=True)
    load_before = load_average()
    found = Measurements()
    with (
        OtlpSink() as sink,
        llm_double(0.0) as llm_url,
        production_cluster(
            llm_url, product_env(None if args.no_tracing else sink.endpoint)
        ) as cluster,
        tempfile.TemporaryDirectory(prefix="bench-api-") as workdir,
    ):
        api = cluster.add_api()
        cluster.wait_ready(api)
        ceiling_port = free_port()
        ceiling = subprocess.Popen(
            [sys.executable, "-m", "bench.api.ceiling_app", "--port", str(ceiling_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        try:
            if not wait_for_port("127.0.0.1", ceiling_port, 60, ceiling):
                raise SystemExit("the ceiling app did not start")
            measure(
                args,
                cluster,
                api=api,
                ceiling=(ceiling_port, ceiling.pid),
                workdir=Path(workdir),
                found=found,
            )
        finally:
            ceiling.terminate()
            ceiling.wait(10)
        found.traces = {"exports": sink.exports, "bytes": sink.bytes}
    return report(args, note, load_before, found)


def measure(
    args: argparse.Namespace,
    cluster: Cluster,
    *,
    api: ServiceProcess,
    ceiling: tuple[int, int],
    workdir: Path,
    found: Measurements,
) -> None:
    key = create_api_key(cluster, TENANT)
    base = f"http://127.0.0.1:{api.port}"
    dsn = plain_dsn(cluster)
    auth = {"BENCH_API_KEY": key}
    fractions = [float(f) for f in args.fractions.split(",")]

    def paths(name: str, lines: list[str]) -> str:
        path = workdir / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        return str(path)

    def search(name: str, script: str, url: str, env: dict[str, str], **kw: Any) -> None:
        print(f"Measuring: {name}", flush=True)
        kw.setdefault("server_pid", api.pid)
        kw.setdefault("expected_status", 200)
        kw.setdefault("p99_limit_ms", args.p99_limit_ms)
        endpoint = Endpoint(name, script, url, env, **kw)
        found.searches.append(
            search_rate(
                endpoint,
                connections=args.connections,
                duration=args.step_duration,
                fractions=fractions,
            )
        )

    print(f"Completing {args.result_jobs} jobs for the result endpoint…", flush=True)
    result_ids = complete_jobs(cluster, base, key, args.result_jobs, timeout=600)
    submit_url = f"{base}/api/v1/compliance/check"
    # Warm-up: connections, caches, the guideline plan.
    run_wrk("warm-up", "submit.lua", submit_url, connections=2, duration=3, env=auth, rate=20)

    ceiling_port, ceiling_pid = ceiling
    ping = {"BENCH_PATHS": paths("ping", ["/ping"])}
    search("ceiling", "get.lua", f"http://127.0.0.1:{ceiling_port}", ping,
           server_pid=ceiling_pid, p99_limit_ms=STATUS_P99_MS)  # fmt: skip

    before = len(job_ids(dsn))
    submit = found.targets["submit"] = run_wrk(
        "submit target", "submit.lua", submit_url, connections=20, duration=args.duration,
        env=auth, rate=args.submit_rate, server_pid=api.pid, expected_latency_ms=35,
    )  # fmt: skip
    created = len(job_ids(dsn)) - before
    accepted, sent = submit.status_counts.get(202, 0), submit.sent or 0
    # A request in flight when wrk stops may still create its job: created lies between the
    # 202s wrk saw and the requests it wrote.
    print(f"Submit target: {accepted} answered 202, {created} jobs created, {sent} sent")
    if not accepted <= created <= sent:
        found.checks.append(f"jobs created {created} not within [202s {accepted}, sent {sent}]")
    search("submit", "submit.lua", submit_url, auth,
           expected_status=202, p99_limit_ms=SUBMIT_P99_MS)  # fmt: skip

    recent = job_ids(dsn, status="queued", limit=2000)
    status_env = {**auth, "BENCH_PATHS": paths("status", [status_path(j) for j in recent])}
    # Warm every view (those of early submissions may have expired).
    run_wrk("cache warm-up", "get.lua", base, connections=8, duration=3,
            env={**status_env, "BENCH_ONCE": "1"})  # fmt: skip
    found.targets["status cached"] = run_wrk(
        "status target", "get.lua", base, connections=50, duration=args.duration,
        env=status_env, rate=args.status_rate, server_pid=api.pid, expected_latency_ms=2,
    )  # fmt: skip
    lookups = [status_cache_counts(base)]
    search("status cached", "get.lua", base, status_env, p99_limit_ms=STATUS_P99_MS)
    lookups.append(status_cache_counts(base))

    clones = clone_jobs(dsn, result_ids[0], args.uncached_jobs)
    uncached_env = {
        **auth,
        "BENCH_ONCE": "1",
        "BENCH_PATHS": paths("uncached", [status_path(j) for j in clones]),
    }
    search("status uncached", "get.lua", base, uncached_env,
           before_run=drop_cached_statuses(cluster.redis.url))  # fmt: skip
    lookups.append(status_cache_counts(base))
    cache_lookups = {
        "cached": _delta(lookups[0], lookups[1]),
        "uncached": _delta(lookups[1], lookups[2]),
    }
    print(f"Status cache lookups (hit/miss) per phase: {cache_lookups}", flush=True)

    result_paths = [f"/api/v1/jobs/{j}/result" for j in result_ids]
    search("result", "get.lua", base, {**auth, "BENCH_PATHS": paths("result", result_paths)})

    metrics = httpx.get(f"{base}/metrics", timeout=10)
    found.metrics = {
        "status": metrics.status_code,
        "bytes": len(metrics.content),
        "samples": sum(
            1 for line in metrics.text.splitlines() if line and not line.startswith("#")
        ),
        "status_cache_lookups": cache_lookups,
    }


def status_path(job_id: str) -> str:
    return f"/api/v1/jobs/{job_id}/status"


def report(args: argparse.Namespace, note: str, load_before: float, found: Measurements) -> int:
    searches, targets = found.searches, found.targets
    by_name = {s.endpoint: s for s in searches}
    ceiling = by_name["ceiling"]
    rows = []
    for search in searches:
        best = search.sustained
        rows.append(
            [
                search.endpoint,
                f"{search.max_run.rate:g}/s",
                f"{best.rate:g}/s" if best else "none",
                f"{best.p50_ms:g} / {best.p95_ms:g} / {best.p99_ms:g}" if best else "—",
                f"{search.p99_limit_ms:g}",
                f"{search.max_run.rate / ceiling.max_run.rate:.3f}",
                f"{best.rate / ceiling.sustained.rate:.3f}" if best and ceiling.sustained else "—",
            ]
        )
    print("\nAll runs:")
    print(
        table(
            RUN_HEADERS,
            [run_row(t) for t in targets.values()]
            + [
                row
                for s in searches
                for row in [run_row(s.max_run)] + [run_row(x, s.sustains(x)) for x in s.steps]
            ],
        )
    )
    print(f"\nSummary (one API process; {note}):")
    print(
        table(
            [
                "endpoint",
                "max throughput",
                "sustained rate",
                "p50 / p95 / p99 ms at sustained",
                "p99 limit ms",
                "max / ceiling",
                "sustained / ceiling",
            ],
            rows,
        )
    )
    failures = list(found.checks)
    submit, status = targets["submit"], targets["status cached"]
    for name, run, limit, code in (
        ("submit", submit, SUBMIT_P99_MS, 202),
        ("cached status", status, STATUS_P99_MS, 200),
    ):
        verdict = "met" if run.p99_ms < limit else "MISSED"
        print(f"Target {name}: p99 {run.p99_ms:g} ms at {run.rate:g}/s (< {limit:g} ms): {verdict}")
        if run.p99_ms >= limit:
            failures.append(f"{name} p99 {run.p99_ms} ms >= {limit} ms")
        if not run.ok(code):
            failures.append(f"{name} answers other than {code}: {run.status_counts}")
    print(f"/metrics: {found.metrics}; traces exported: {found.traces}")
    load_after = load_average()
    print(f"Load average: {load_before} before, {load_after} after; machine: {machine()}")
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"before": load_before, "after": load_after},
        "settings": note,
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "targets": {k: v.as_dict() for k, v in targets.items()},
        "endpoints": [s.as_dict() for s in searches],
        "metrics": found.metrics,
        "traces": found.traces,
        "failures": failures,
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"Figures written to {args.json}")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
