"""Rule-engine scaling: the default guideline set on 500 / 5,000 / 50,000-word articles, with
proselint (PyPI) on the same texts in the same run as the reference Python prose checker.

Run: ``.venv/bin/python bench/rules/bench_scaling.py [--runs N] [--sizes 500,5000,50000]
[--json PATH]`` (proselint comes with the ``bench`` extra: ``pip install -e '.[bench]'``).

Subjects, each timed on every article (one warm-up per subject and size, then ``--runs``
rounds; inside a round the subjects and sizes take turns, so a change of machine load hits
them all alike):

* ``engine`` — ``run_plan`` of the default set's plan (``catalog.default_set``, built by the
  guideline catalog exactly as ``compliance check`` builds it) on the ingested document:
  every rule guideline's Vale rules, alerts → findings, scoring. Ingesting is not timed.
* ``engine+ingest`` — the same with the Markdown ingestion (parsing, block and offset tables)
  timed too: the figure to compare with proselint, which is handed the raw text.
* ``pipeline`` — ``run_check``, the LangGraph pipeline ``compliance check`` runs (no
  checkpoints, no tracking, no LLM: rule branches in threads, prompt-injection screen
  ``not_run``), on the ingested document.
* ``proselint`` — ``LintFile(name, text).lint(config)`` with proselint's default checks and
  no cap on the number of errors (its default stops after 1,000, which would cut the work).

Figures: wall and CPU time of the process (all threads) per check, median and spread;
words/s from the median; the growth factor from each size to the next; the exponent of a
least-squares fit of log(time) on log(words) — 1.0 is linear.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rules import article, machine  # noqa: E402

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog  # noqa: E402
from compliance_assistant.config import Settings  # noqa: E402
from compliance_assistant.engine.document import Document  # noqa: E402
from compliance_assistant.engine.plan import CheckPlan  # noqa: E402
from compliance_assistant.engine.run import run_plan  # noqa: E402
from compliance_assistant.ingest.markdown import ingest_markdown  # noqa: E402
from compliance_assistant.pipeline.factory import pipeline_runtime  # noqa: E402
from compliance_assistant.pipeline.graph import run_check  # noqa: E402

DEFAULT_SIZES = (500, 5_000, 50_000)
Check = Callable[[str, Document], Awaitable[int]]  # returns the number of alerts/findings


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    alerts: int = 0


@dataclass(frozen=True)
class Article:
    words: int  # requested
    text: str
    document: Document

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    quartiles = (
        statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) >= 2 else ordered * 3
    )
    return {
        "median": statistics.median(ordered),
        "q1": quartiles[0],
        "q3": quartiles[2],
        "min": ordered[0],
        "max": ordered[-1],
    }


def fitted_exponent(words: list[int], seconds: list[float]) -> float | None:
    """Slope of the least-squares line through (log words, log seconds)."""
    if len(words) < 2:
        return None
    xs = [math.log(w) for w in words]
    ys = [math.log(s) for s in seconds]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    denominator = sum((x - mean_x) ** 2 for x in xs)
    if denominator == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator


def proselint_check() -> tuple[Check, int, str]:
    """proselint's linter with its default checks, the error cap lifted."""
    # proselint ships no type information.
    try:
        from proselint.checks import __register__  # type: ignore[import-untyped]
        from proselint.config import DEFAULT  # type: ignore[import-untyped]
        from proselint.registry import CheckRegistry  # type: ignore[import-untyped]
        from proselint.tools import LintFile  # type: ignore[import-untyped]
        from proselint.version import __version__  # type: ignore[import-untyped]
    except ImportError:
        raise SystemExit(
            "proselint is not installed: .venv/bin/pip install -e '.[bench]' "
            "(or run with --no-proselint)"
        ) from None
    registry = CheckRegistry()
    if not registry.checks:
        registry.register_many(__register__)
    config = {**DEFAULT, "max_errors": sys.maxsize}
    enabled = len(registry.get_all_enabled(config["checks"]))

    async def check(text: str, document: Document) -> int:
        del document
        return len(LintFile("article.md", text).lint(config))

    return check, enabled, __version__


def engine_checks(plan: CheckPlan) -> dict[str, Check]:
    async def engine(text: str, document: Document) -> int:
        del text
        return len(run_plan(document, plan, job_id="bench").findings)

    async def engine_with_ingest(text: str, document: Document) -> int:
        del document
        ingested = ingest_markdown(text, source_name="article.md")
        return len(run_plan(ingested, plan, job_id="bench").findings)

    return {"engine": engine, "engine+ingest": engine_with_ingest}


async def measure(
    checks: dict[str, Check], articles: list[Article], runs: int
) -> dict[str, dict[int, Sample]]:
    samples = {name: {a.words: Sample() for a in articles} for name in checks}
    for name, check in checks.items():  # warm-up: lazy caches, first-use imports
        for item in articles:
            samples[name][item.words].alerts = await check(item.text, item.document)
    for _ in range(runs):
        for item in articles:
            for name, check in checks.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                await check(item.text, item.document)
                sample = samples[name][item.words]
                sample.wall.append(time.perf_counter() - started)
                sample.cpu.append(time.process_time() - started_cpu)
    return samples


def summarise(
    samples: dict[str, dict[int, Sample]], articles: list[Article]
) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for name, by_size in samples.items():
        rows: list[dict[str, Any]] = []
        for item in articles:
            sample = by_size[item.words]
            wall, cpu = spread(sample.wall), spread(sample.cpu)
            rows.append(
                {
                    "words": item.word_count,
                    "chars": len(item.text),
                    "alerts": sample.alerts,
                    "wall_ms": {k: v * 1000 for k, v in wall.items()},
                    "cpu_ms": {k: v * 1000 for k, v in cpu.items()},
                    "words_per_s_wall": item.word_count / wall["median"],
                    "words_per_s_cpu": item.word_count / cpu["median"],
                }
            )
        for previous, row in itertools.pairwise(rows):
            row["size_factor"] = row["words"] / previous["words"]
            row["cpu_growth"] = row["cpu_ms"]["median"] / previous["cpu_ms"]["median"]
            row["wall_growth"] = row["wall_ms"]["median"] / previous["wall_ms"]["median"]
            row["step_exponent_cpu"] = math.log(row["cpu_growth"]) / math.log(row["size_factor"])
        words = [r["words"] for r in rows]
        summary[name] = {
            "rows": rows,
            "exponent_cpu": fitted_exponent(words, [r["cpu_ms"]["median"] for r in rows]),
            "exponent_wall": fitted_exponent(words, [r["wall_ms"]["median"] for r in rows]),
        }
    return summary


def print_table(summary: dict[str, dict[str, Any]], runs: int) -> None:
    print(f"\n{runs} timed runs per subject and size; times per check in ms.")
    print(
        "| subject | words | alerts | CPU ms median (IQR; min–max) | wall ms median "
        "(IQR; min–max) | words/s (CPU) | words/s (wall) | growth vs previous size (CPU) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, result in summary.items():
        for row in result["rows"]:
            cpu, wall = row["cpu_ms"], row["wall_ms"]
            growth = (
                f"×{row['cpu_growth']:.2f} for ×{row['size_factor']:.2f} words "
                f"(k = {row['step_exponent_cpu']:.2f})"
                if "cpu_growth" in row
                else "—"
            )
            print(
                f"| {name} | {row['words']:,} | {row['alerts']:,} | "
                f"{cpu['median']:.1f} ({cpu['q1']:.1f}–{cpu['q3']:.1f}; "
                f"{cpu['min']:.1f}–{cpu['max']:.1f}) | "
                f"{wall['median']:.1f} ({wall['q1']:.1f}–{wall['q3']:.1f}; "
                f"{wall['min']:.1f}–{wall['max']:.1f}) | "
                f"{row['words_per_s_cpu']:,.0f} | {row['words_per_s_wall']:,.0f} | {growth} |"
            )
    print(
        "\nfitted exponent over all sizes, time ∝ words^k (1.0 = linear; fixed per-check costs"
        " pull k below 1 on small texts, so the last step's k above is the one for big texts):"
    )
    for name, result in summary.items():
        cpu_k, wall_k = result["exponent_cpu"], result["exponent_wall"]
        if cpu_k is None:
            print(f"  {name}: needs two sizes or more")
        else:
            print(f"  {name}: k = {cpu_k:.3f} (CPU), {wall_k:.3f} (wall)")


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a comma-separated list of word counts such as 500,5000,50000"
        ) from None
    if not sizes or any(size < 50 for size in sizes):
        raise argparse.ArgumentTypeError("every size must be at least 50 words")
    return sorted(set(sizes))


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as data_dir:
        # What `compliance check` does with no options: the shipped catalog, the default set,
        # no LLM, no tracking. Settings are explicit so the environment cannot change them.
        settings = Settings(
            data_dir=Path(data_dir),
            llm={"provider": "none"},
            tracking={"enabled": False},
            catalog={"guidelines_path": [], "styles_path": []},
        )
        catalog = GuidelineCatalog.create(
            settings.catalog.guidelines_path, settings.catalog.styles_path
        )
        plan = catalog.plan(settings.catalog.default_set)
        rule_guidelines = [g for g in plan.guideline_set.guidelines if plan.rules_for(g.id)]
        rule_names = {rule.name for g in rule_guidelines for rule in plan.rules_for(g.id)}
        limit = settings.limits.max_text_chars

        articles = []
        for words in args.sizes:
            text = article(words)
            articles.append(Article(words, text, ingest_markdown(text, source_name="article.md")))
        checks = engine_checks(plan)
        described = {
            "engine": f"default set '{plan.guideline_set.id}' v{plan.guideline_set.version}: "
            f"{len(rule_guidelines)} rule guidelines, {len(rule_names)} distinct Vale rules "
            f"(styles {', '.join(plan.styles)}), alerts → findings → score",
        }
        described["engine+ingest"] = described["engine"] + " + Markdown ingestion"
        async with pipeline_runtime(settings, checkpoints=False, tracking=False) as runtime:
            if not args.no_pipeline:

                async def pipeline(text: str, document: Document) -> int:
                    del text
                    result = await run_check(
                        document,
                        plan,
                        job_id=f"bench-{time.monotonic_ns()}",
                        context=runtime.context,
                    )
                    return len(result.findings)

                checks["pipeline"] = pipeline
                described["pipeline"] = (
                    "the same set through run_check (LangGraph, rule branches in threads, "
                    "prompt-injection screen not_run: no LLM)"
                )
            if not args.no_proselint:
                lint, enabled, version = proselint_check()
                checks["proselint"] = lint
                described["proselint"] = (
                    f"proselint {version}: {enabled} enabled checks of its default config "
                    "(general English usage: clichés, redundancy, jargon, typography…), "
                    "error cap lifted"
                )

            load_before = os.getloadavg()
            started = time.perf_counter()
            samples = await measure(checks, articles, args.runs)
            elapsed = time.perf_counter() - started
            load_after = os.getloadavg()

    summary = summarise(samples, articles)
    print(f"machine: {machine()}")
    print(
        f"load average (1 min) before → after: {load_before[0]:.2f} → {load_after[0]:.2f}; "
        f"measuring took {elapsed:.1f} s. Read the CPU columns on a shared machine."
    )
    print(
        "articles: "
        + ", ".join(f"{a.word_count:,} words / {len(a.text):,} chars" for a in articles)
        + f" (bench_rules.article, seed 7; compliance check refuses > {limit:,} chars)"
    )
    print("what each subject checks:")
    for name, text in described.items():
        print(f"  {name}: {text}")
    print_table(summary, args.runs)
    if args.json:
        report = {
            "benchmark": "rules-scaling",
            "machine": machine(),
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "load_average_before": load_before[0],
            "load_average_after": load_after[0],
            "runs": args.runs,
            "subjects": {name: {"checks": described[name], **summary[name]} for name in summary},
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=positive, default=7, help="timed rounds (default 7)")
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="article sizes in words, comma-separated (default 500,5000,50000)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-proselint", action="store_true", help="leave proselint out")
    parser.add_argument("--no-pipeline", action="store_true", help="leave run_check out")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
