"""Rule-engine benchmark: every Vale style of the test data on a 5,000-word article.

Run: ``.venv/bin/python bench/rules/bench_rules.py [--runs N] [--words N]``. Reports the load
time (reading and compiling all styles, once per process) and the check time (ingesting is
excluded; ``run_rules`` on a Markdown Document) as medians of several runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from compliance_assistant.catalog import styles as styles_module  # noqa: E402
from compliance_assistant.catalog.styles import load_styles  # noqa: E402
from compliance_assistant.engine.rules import LintOptions, run_rules  # noqa: E402
from compliance_assistant.ingest.markdown import ingest_markdown  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTDATA = Path(
    os.environ.get("COMPLIANCE_VALE_TESTDATA", ROOT.parent / "shared" / "vale-testdata")
)

_OPENERS = ["Discover", "Imagine", "Meet", "Introducing", "Unlock", "Experience", "Enjoy"]
_PRODUCTS = [
    "the Flex Saver account",
    "our Premium Card",
    "GreenHome Energy",
    "the Plus plan",
    "SmartInvest",
    "the Family Bundle",
    "our mobile app",
]
_CLAIMS = [
    "is the best choice for you and your family",
    "offers guaranteed returns of 5% every year",
    "is very simple, very fast and really easy to use",
    "comes with no fees, ever, and no hidden charges",
    "was obviously designed with you in mind",
    "lets you save money while we take care of the rest",
    "is basically risk-free and completely secure",
    "has been voted number one by thousands of happy customers",
    "gives you instant access to your money at any time",
    "is utilized by over 2 million people across the EU",
]
_TAILS = [
    "Terms and conditions apply.",
    "Sign up today and get a free gift!",
    "There is no better time to switch.",
    "It is important to note that rates may vary.",
    "In order to qualify, you must be 18 or over.",
    "We think you'll love it.",
    "Click here to learn more about the the offer.",
    "Capital at risk; past performance is not a reliable indicator of future results.",
]


def article(words: int, seed: int = 7) -> str:
    """A deterministic marketing-like Markdown article of about ``words`` words."""
    rng = random.Random(seed)
    parts: list[str] = ["# Save more with the Flex Saver account", ""]
    count = 0
    section = 1
    while count < words:
        if count and rng.random() < 0.12:
            heading = f"## {rng.choice(_OPENERS)} {rng.choice(_PRODUCTS)} — part {section}"
            parts += [heading, ""]
            section += 1
        sentences = []
        for _ in range(rng.randint(3, 6)):
            sentence = f"{rng.choice(_OPENERS)}: {rng.choice(_PRODUCTS)} {rng.choice(_CLAIMS)}."
            sentences.append(sentence + " " + rng.choice(_TAILS))
        paragraph = " ".join(sentences)
        if rng.random() < 0.2:
            paragraph = "- " + paragraph.replace(". ", ".\n- ", 2)
        parts += [paragraph, ""]
        count += len(paragraph.split())
    return "\n".join(parts)


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in output.splitlines()
                if ln.startswith("Model name")
            ),
            model,
        )
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--words", type=int, default=5000)
    args = parser.parse_args()

    # The default guideline set's own style plus every style of Vale's test data.
    styles_paths = [REPO_ROOT / "guidelines" / "marketing-eu" / "styles", TESTDATA / "styles"]
    loads = []
    for _ in range(3):
        styles_module._load_rule_cached.cache_clear()
        started = time.perf_counter()
        library = load_styles(styles_paths)
        loads.append(time.perf_counter() - started)
    started = time.perf_counter()
    library = load_styles(styles_paths)
    cached_load = time.perf_counter() - started
    rules = list(library.values())

    text = article(args.words)
    document = ingest_markdown(text, source_name="article.md")
    options = LintOptions(min_alert_level="suggestion")
    run_rules(document, rules, config=options)  # warm-up: lazy per-process caches
    checks = []
    cpu = []
    alerts = []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        alerts = run_rules(document, rules, config=options)
        checks.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)

    print(f"machine: {machine()}")
    print(f"article: {len(text.split())} words, {len(document.blocks)} blocks")
    print(
        f"rules: {len(rules)} compiled ({len(library.warnings)} unsupported skipped), "
        f"styles: {', '.join(library.styles)}"
    )
    print(
        f"load (cold, median of {len(loads)}): {statistics.median(loads) * 1000:.0f} ms; "
        f"load again in the same process (cached): {cached_load * 1000:.1f} ms"
    )
    print(
        f"check (median of {args.runs}): {statistics.median(checks) * 1000:.1f} ms wall "
        f"(min {min(checks) * 1000:.1f}, max {max(checks) * 1000:.1f}), "
        f"{statistics.median(cpu) * 1000:.1f} ms CPU (min {min(cpu) * 1000:.1f}); "
        f"alerts: {len(alerts)}"
    )
    print(
        f"load average during the run: {os.getloadavg()[0]:.2f} (other processes share the "
        "CPUs; the CPU time is the process's own)"
    )


if __name__ == "__main__":
    main()
