"""Benchmark: many concurrent checks of llm guidelines in one process.

100 checks at once (default), each with 10 llm guidelines, against the LLM test double
answering after 2 s, with the SQLite checkpointer and MLflow tracking (SQLite store) on — the
embedded-mode set-up. Rate limits are set high (1M requests and 1G tokens per minute, in
memory) so they are exercised but never bind. Each check gets its own article, so the verdict
cache (in-process) never answers.

Measured over the batch, after one warm-up check (imports, schema creation): wall time until
every check returned, CPU time of this process (all its threads) over that time and of the
event loop's thread alone, peak RSS, and when MLflow had logged the last run (jobs do not wait
for it). The double runs in its own process so its CPU is not counted; the load average is
printed because the project machine is shared.

    .venv/bin/python bench/pipeline/bench_pipeline.py [--checks 100] [--guidelines 10]
                                                      [--latency 2.0] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # for tests.doubles (the LLM test double)

from tests.doubles.fixtures import plan_of  # noqa: E402

from compliance_assistant.config import LlmProvider, LlmSettings, StructuredOutput  # noqa: E402
from compliance_assistant.engine.examples import example_document  # noqa: E402
from compliance_assistant.llm.factory import create_judge  # noqa: E402
from compliance_assistant.observability.tracking import MlflowTracker  # noqa: E402
from compliance_assistant.pipeline.checkpoint import open_checkpointer  # noqa: E402
from compliance_assistant.pipeline.context import CheckContext, PipelineLimits  # noqa: E402
from compliance_assistant.pipeline.graph import run_check  # noqa: E402
from compliance_assistant.storage.memory_cache import MemoryCache  # noqa: E402

TARGETS = {"wall_seconds": 30.0, "cpu_per_wall": 1.0, "peak_rss_mb": 500.0}


def start_double(latency: float) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.llm_server", "--latency", str(latency)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"the LLM double did not start: {line!r}")
    return process, int(line.split()[1])


def article(index: int) -> str:
    return (
        f"Acme Saver {index}\n\nEarn 5% interest on your savings, every year.\n\n"
        f"Open account number {index} in minutes. Terms apply."
    )


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(
    checks: int,
    guidelines: int,
    port: int,
    workdir: Path,
    structured_output: str = "auto",
    *,
    tracking: bool = True,
    checkpoints: bool = True,
    llm_concurrency: int = 256,
) -> dict[str, Any]:
    settings = LlmSettings(
        provider=LlmProvider.OPENAI,
        model="bench-model",
        api_key="sk-bench",
        base_url=f"http://127.0.0.1:{port}/v1",
        timeout_seconds=60,
        requests_per_minute=1_000_000,
        tokens_per_minute=1_000_000_000,
        max_concurrency=llm_concurrency,
        structured_output=StructuredOutput(structured_output),
    )
    judge = create_judge(settings)
    assert judge is not None
    tracker = (
        MlflowTracker(
            f"sqlite:///{workdir / 'mlflow.db'}", artifact_root=workdir / "mlflow-artifacts"
        )
        if tracking
        else None
    )
    plan = plan_of(*[f"g{i}" for i in range(guidelines)])
    try:
        async with open_checkpointer(f"sqlite:///{workdir / 'checkpoints.db'}") as opened:
            saver = opened if checkpoints else None
            context = CheckContext(
                judge=judge,
                cache=MemoryCache(),
                tracker=tracker,
                limits=PipelineLimits(max_branches_per_job=guidelines + 1),
                branch_slots=asyncio.Semaphore(checks * (guidelines + 1)),
            )
            # Warm-up: imports, MLflow and checkpoint schemas, HTTP connection set-up.
            await run_check(
                example_document(article(-1)),
                plan,
                job_id="warm-up",
                context=context,
                checkpointer=saver,
            )
            rss_before = rss_mb()
            cpu_started = time.process_time()
            loop_cpu_started = time.thread_time()
            started = time.perf_counter()
            results = await asyncio.gather(
                *(
                    run_check(
                        example_document(article(i)),
                        plan,
                        job_id=f"bench-{i}",
                        context=context,
                        checkpointer=saver,
                    )
                    for i in range(checks)
                )
            )
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            loop_cpu = time.thread_time() - loop_cpu_started
            # Jobs do not wait for MLflow; this is when the last run was logged.
            if tracker is not None:
                await tracker.flush()
            drained = time.perf_counter() - started
    finally:
        await judge.aclose()
        if tracker is not None:
            await tracker.aclose()
    complete = sum(1 for r in results if r.complete)
    return {
        "checks": checks,
        "llm_guidelines_per_check": guidelines,
        "complete": complete,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "cpu_per_wall": round(cpu / wall, 2),
        "event_loop_cpu_seconds": round(loop_cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_batch_mb": round(rss_before, 1),
        "tracking_drained_seconds": round(drained, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--guidelines", type=int, default=10)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument(
        "--llm-concurrency",
        type=int,
        default=256,
        help="model calls in flight at once (llm.max_concurrency)",
    )
    parser.add_argument(
        "--structured-output", default="auto", choices=[m.value for m in StructuredOutput]
    )
    parser.add_argument("--no-tracking", action="store_true", help="MLflow off (comparison)")
    parser.add_argument(
        "--no-checkpoints", action="store_true", help="checkpointer off (comparison)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    load_before = os.getloadavg()[0]
    double, port = start_double(args.latency)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as workdir:
            figures = asyncio.run(
                run(
                    args.checks,
                    args.guidelines,
                    port,
                    Path(workdir),
                    args.structured_output,
                    tracking=not args.no_tracking,
                    checkpoints=not args.no_checkpoints,
                    llm_concurrency=args.llm_concurrency,
                )
            )
    finally:
        double.terminate()
        double.wait(10)
    figures.update(
        load_average=f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after",
        llm_concurrency=args.llm_concurrency,
        tracking=not args.no_tracking,
        checkpoints=not args.no_checkpoints,
        structured_output=args.structured_output,
        latency_seconds=args.latency,
        python=platform.python_version(),
        cpus=os.cpu_count(),
    )
    figures["targets_met"] = {key: figures[key] < limit for key, limit in TARGETS.items()}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
