"""Run Vale's scenarios through ``lint_paths`` (in-process) and score the results.

Scoring is per expected alert line (``path:line:col:Check:Message``): matched exactly,
missing, or extra (an alert we print that the scenario does not expect, for scenarios that
demand the exact output). Expected lines for formats other than Markdown, HTML and plain
text, or for spelling/sequence/script rules, are out of scope: listed as expected failures
with the reason and left out of the target; so are scenarios that exercise CLI-only features.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from compliance_assistant.cli.lint import lint_paths
from compliance_assistant.engine.errors import EngineError
from compliance_assistant.engine.rules import LEVELS, UNSUPPORTED_KINDS
from compliance_assistant.engine.rules.base import as_level
from tests.vale_compat.features import Scenario, invocation, parse_feature, vale_testdata_root

IN_SCOPE_EXTENSIONS = frozenset({".md", ".txt", ".html"})
SUPPORTED_KINDS = frozenset(
    {
        "existence",
        "substitution",
        "occurrence",
        "repetition",
        "capitalization",
        "conditional",
        "consistency",
        "metric",
        "readability",
    }
)
BUILTIN_KINDS = {
    "Vale.Repetition": "repetition",
    "Vale.Terms": "substitution",
    "Vale.Avoid": "existence",
    "Vale.Spelling": "spelling",
}


@dataclass
class Outcome:
    scenario: Scenario
    status: str  # pass | fail | out-of-scope
    reason: str = ""
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (line, reason)
    kinds: dict[str, str] = field(default_factory=dict)  # check -> kind

    @property
    def expected_in_scope(self) -> int:
        return len(self.matched) + len(self.missing)


class KindIndex:
    """``Style.Rule`` → rule kind, read from every rule file in the test data."""

    def __init__(self, root: Path) -> None:
        self.kinds: dict[str, str] = dict(BUILTIN_KINDS)
        for path in sorted(root.rglob("*.yml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8").replace("\\'", "'"))
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            if isinstance(data, dict) and isinstance(data.get("extends"), str):
                self.kinds.setdefault(f"{path.parent.name}.{path.stem}", data["extends"])

    def kind(self, check: str) -> str:
        return self.kinds.get(".".join(check.split(".")[:2]), "unknown")


def out_of_scope_reason(line: str, index: KindIndex, cwd: Path | None = None) -> str | None:
    parts = line.split(":", 4)
    if len(parts) < 5 or not parts[1].isdigit():
        return "not an alert line (an error message of the CLI)"
    extension = Path(parts[0]).suffix
    if extension not in IN_SCOPE_EXTENSIONS:
        return f"format {extension or parts[0]} is out of scope"
    kind = index.kind(parts[3])
    if kind in UNSUPPORTED_KINDS:
        return f"{kind} rules are out of scope"
    if cwd is not None and extension == ".md" and int(parts[1]) <= front_matter_end(cwd / parts[0]):
        return "front matter is out of scope"
    return None


def front_matter_end(path: Path) -> int:
    """Last line of a leading ``---`` front-matter block (0 when there is none)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    if not lines or lines[0].strip() not in {"---", "+++"}:
        return 0
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == lines[0].strip():
            return number
    return 0


@contextmanager
def aruba(root: Path, files: dict[str, str]) -> Iterator[Path]:
    """Cucumber's working folder (``tmp/aruba``), two levels below the test data."""
    base = Path(tempfile.mkdtemp(prefix="vale-compat-"))
    try:
        work = base / "tmp" / "aruba"
        work.mkdir(parents=True)
        for name in ("styles", "fixtures"):
            (base / name).symlink_to(root / name, target_is_directory=True)
        for name, content in files.items():
            (work / name).write_text(content + "\n", encoding="utf-8")
        yield work
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run_scenario(scenario: Scenario, root: Path, index: KindIndex) -> Outcome:
    calls = [invocation(step) for step in scenario.steps]
    if len(calls) != 1:
        return Outcome(scenario, "out-of-scope", f"{len(calls)} steps (expected one run)")
    call = calls[0]
    if call.cli_only:
        return Outcome(scenario, "out-of-scope", f"CLI-only step: {call.cli_only}")
    fixture = (
        (root / "fixtures" / call.cwd.removeprefix("../../fixtures/"))
        if call.cwd.startswith("../../fixtures/")
        else None
    )
    excluded = [
        (line, reason)
        for line in scenario.expected
        if (reason := out_of_scope_reason(line, index, fixture)) is not None
    ]
    wanted = [
        line for line in scenario.expected if out_of_scope_reason(line, index, fixture) is None
    ]
    reasons = "; ".join(sorted({r for _, r in excluded}))
    if scenario.expected and not wanted and scenario.mode != "exactly":
        # Only a subset of the output is expected, none of it in scope: nothing to score.
        return Outcome(scenario, "out-of-scope", reasons, excluded=excluded)
    with aruba(root, scenario.files) as work:
        cwd = (work / call.cwd).resolve()
        inside = cwd.is_relative_to(root.resolve()) or cwd.is_relative_to(work.resolve())
        if not inside or not cwd.is_dir() or any(not (cwd / a).exists() for a in call.args):
            return Outcome(
                scenario,
                "out-of-scope",
                "the working folder or a path does not exist (a configuration-error scenario)",
                excluded=excluded,
            )
        if not _inputs(cwd, call.args) & IN_SCOPE_EXTENSIONS:
            return Outcome(
                scenario,
                "out-of-scope",
                reasons or "no Markdown, HTML or text input",
                excluded=excluded,
            )
        level = as_level(call.min_alert_level) if call.min_alert_level in LEVELS else None
        try:
            run = lint_paths(
                call.args,
                cwd=cwd,
                config=Path(call.config) if call.config else None,
                min_alert_level=level,
            )
        except EngineError as exc:
            return Outcome(scenario, "fail", f"error: {exc}", missing=wanted, excluded=excluded)
    kinds = {
        a.check: a_kind for f in run.files for a in f.alerts if (a_kind := index.kind(a.check))
    }
    actual = [
        f"{f.path}:{a.line}:{a.column}:{a.check}:{a.message}" for f in run.files for a in f.alerts
    ]
    return _score(scenario, wanted, actual, excluded, kinds)


def _score(
    scenario: Scenario,
    wanted: list[str],
    actual: list[str],
    excluded: list[tuple[str, str]],
    kinds: dict[str, str],
) -> Outcome:
    expected_count, actual_count = Counter(wanted), Counter(actual)
    matched = list((expected_count & actual_count).elements())
    missing = list((expected_count - actual_count).elements())
    extra: list[str] = []
    if scenario.mode == "exactly":
        extra = list((actual_count - expected_count).elements())
    elif scenario.mode == "not-contains":
        extra = [a for a in actual if any(s in a for s in scenario.not_contains)]
    status = "pass" if not missing and not extra else "fail"
    return Outcome(
        scenario,
        status,
        matched=matched,
        missing=missing,
        extra=extra,
        excluded=excluded,
        kinds=kinds,
    )


def _inputs(cwd: Path, args: list[str]) -> set[str]:
    extensions: set[str] = set()
    for arg in args:
        target = cwd / arg
        if target.is_dir():
            extensions.update(p.suffix for p in target.rglob("*") if p.is_file())
        else:
            extensions.add(target.suffix)
    return extensions


def run_all(root: Path | None = None) -> list[Outcome]:
    base = root or vale_testdata_root()
    index = KindIndex(base)
    outcomes: list[Outcome] = []
    for feature in sorted((base / "features").glob("*.feature")):
        for scenario in parse_feature(feature):
            outcomes.append(run_scenario(scenario, base, index))
    return outcomes
