"""Reading Vale's ``.feature`` files: scenarios, their steps and expected output."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "COMPLIANCE_VALE_TESTDATA"


def vale_testdata_root() -> Path:
    """``../shared/vale-testdata`` beside the repository, unless the env var says otherwise."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).resolve()
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "vale-testdata").resolve()


@dataclass
class Scenario:
    feature: str
    name: str
    line: int
    steps: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # "Given a file named" steps
    expected: list[str] = field(default_factory=list)
    mode: str = "exactly"  # exactly | contains | not-contains
    not_contains: list[str] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return f"{self.feature}:{self.line} {self.name}"


@dataclass
class Invocation:
    """What ``vale`` would be run with: working directory (relative to the aruba dir),
    arguments and flags; ``cli_only`` names a step this harness does not model."""

    cwd: str
    args: list[str] = field(default_factory=list)
    config: str | None = None
    min_alert_level: str | None = None
    cli_only: str | None = None


def parse_feature(path: Path) -> list[Scenario]:
    lines = path.read_text(encoding="utf-8").splitlines()
    scenarios: list[Scenario] = []
    background: dict[str, str] = {}
    current: Scenario | None = None
    pending_file: str | None = None
    in_background = False
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("#") or not stripped:
            i += 1
            continue
        if stripped.startswith("Background:"):
            in_background, current = True, None
        elif stripped.startswith("Scenario:"):
            in_background = False
            current = Scenario(
                path.name, stripped.split(":", 1)[1].strip(), i + 1, files=dict(background)
            )
            scenarios.append(current)
        elif stripped.startswith('"""'):
            block, i = _docstring(lines, i)
            if pending_file is not None:
                if in_background:
                    background[pending_file] = block
                elif current is not None:
                    current.files[pending_file] = block
                pending_file = None
            elif current is not None:
                current.expected = [ln for ln in block.splitlines() if ln.strip()]
            continue
        else:
            keyword, _, rest = stripped.partition(" ")
            if keyword in {"Given", "When", "Then", "And", "But"}:
                if rest.startswith("a file named"):
                    pending_file = rest.split('"')[1]
                elif current is not None:
                    _step(current, rest)
        i += 1
    return scenarios


def _docstring(lines: list[str], start: int) -> tuple[str, int]:
    indent = len(lines[start]) - len(lines[start].lstrip())
    body: list[str] = []
    i = start + 1
    while i < len(lines) and not lines[i].strip().startswith('"""'):
        body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].strip())
        i += 1
    return "\n".join(body), i + 1


def _step(scenario: Scenario, text: str) -> None:
    if text.startswith("the output should contain exactly"):
        scenario.mode = "exactly"
    elif text.startswith("the output should contain"):
        scenario.mode = "contains"
    elif text.startswith("the output should not contain anything"):
        scenario.mode = "exactly"
    elif text.startswith("the output should not contain"):
        scenario.mode = "not-contains"
        scenario.not_contains.append(text.split('"')[1])
    elif text.startswith("the exit status"):
        return
    else:
        scenario.steps.append(text)


def _quoted(text: str) -> list[str]:
    return text.split('"')[1::2]


def invocation(step: str) -> Invocation:
    """Vale's step definitions (features/steps.rb) as data."""
    q = _quoted(step)
    fx = "../../fixtures/"
    if step.startswith("I lint path with exclusions"):
        return Invocation(fx + "folders", ["."])
    if step.startswith("I lint path "):
        return Invocation(fx + "formats/" + q[0], ["."])
    if step.startswith("I lint AsciiDoc "):
        return Invocation(fx + "formats/adoc", shlex.split(q[0]))
    if step.startswith("I lint reStructuredText "):
        return Invocation(fx + "formats/rst", shlex.split(q[0]))
    if step.startswith("I lint with config "):
        return Invocation(fx + "formats", ["test.md"], config=q[0])
    if step.startswith("I lint file "):
        return Invocation(fx + "formats", cli_only="--ext (assign a format on the command line)")
    if step.startswith("I lint simple "):
        return Invocation(fx + "formats", cli_only="--ignore-syntax")
    if step.startswith("I lint string "):
        return Invocation(fx + "formats", cli_only="linting a string argument (stdin)")
    if step.startswith("I lint "):
        return Invocation(fx + "formats", shlex.split(q[0]))
    if step.startswith("I test comments for "):
        return Invocation(fx + "comments", [q[0]])
    if step.startswith("I test patterns for "):
        return Invocation(fx + "patterns", [q[0]])
    if step.startswith("I test scope "):
        return Invocation(fx + "scopes/" + q[0], ["."])
    if step.startswith("I test glob ") or step.startswith("I test dir glob "):
        return Invocation(fx + "formats", cli_only="--glob")
    if step.startswith("I test template "):
        return Invocation(fx + "templates", cli_only="--output=<template>")
    if step.startswith("I test plugins "):
        return Invocation(fx + "plugins", cli_only="plugins")
    if step.startswith("I test "):
        return Invocation(fx + q[0], ["."])
    if step.startswith("I apply style "):
        return Invocation(fx + "styles/" + q[0], ["."])
    if step.startswith("I use Vocab "):
        return Invocation(fx + "vocab/" + q[0], ["."])
    if step.startswith("I run vale "):
        return Invocation(".", shlex.split(q[0]))
    if step.startswith("I assign minAlertLevel "):
        return Invocation(".", [q[1]], min_alert_level=q[0])
    if step.startswith("I run cat "):
        return Invocation(fx + "formats", cli_only="stdin with --ext")
    if step.startswith("I use filter"):
        return Invocation(fx + "filters", cli_only="--filter")
    if step.startswith("I fix "):
        return Invocation(fx + "actions", cli_only="vale fix")
    if step.startswith("I sync pkg "):
        return Invocation(fx + "pkg/" + q[0], cli_only="vale sync (packages)")
    return Invocation(".", cli_only=f"unknown step '{step}'")
