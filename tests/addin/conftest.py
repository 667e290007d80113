"""Fixtures of the add-in tests: node and Chromium, `compliance serve` on a free port, and the
sample documents as the add-in would read them from Word.

The browser tests need `node`, the npm packages of ``addin-tests/`` (``npm ci`` there) and
Debian's Chromium (``apt-get install chromium``). Without them the tests skip, except under
``CI=true``, where they fail: a green CI must mean they ran.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import docx
import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

REPO = Path(__file__).resolve().parents[2]
ADDIN_TESTS = REPO / "addin-tests"
SAMPLES = REPO / "samples" / "articles"
DEMO_SET = Path(__file__).resolve().parent / "guidelines"
STARTUP_SECONDS = 60


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


@dataclass(frozen=True)
class Browser:
    node: str
    chromium: str

    def run(self, scenario: str, config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
        """Run one scenario of addin-tests/e2e/run.mjs; returns its JSON report."""
        config_path = tmp_path / f"{scenario}.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        completed = subprocess.run(
            [self.node, str(ADDIN_TESTS / "e2e" / "run.mjs"), scenario, str(config_path)],
            capture_output=True,
            text=True,
            timeout=240,
            env={**os.environ, "CHROMIUM_PATH": self.chromium},
            check=False,
        )
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        if not lines:
            pytest.fail(
                f"the browser driver printed no report:\n{completed.stdout}\n{completed.stderr}"
            )
        report: dict[str, Any] = json.loads(lines[-1])
        if not report.get("ok"):
            pytest.fail(f"scenario {scenario} failed:\n{report.get('error')}\n{completed.stderr}")
        return report


@pytest.fixture(scope="session")
def browser() -> Browser:
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    for package in ("playwright-core", "office-addin-mock"):
        if not (ADDIN_TESTS / "node_modules" / package).is_dir():
            _unavailable(f"{package} is missing: run `npm ci` in addin-tests/")
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if chromium is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    return Browser(node=node, chromium=chromium)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the e2e tests write screenshots: ADDIN_SCREENSHOTS_DIR (docs/images to refresh
    the documentation's), else a temporary folder."""
    configured = os.environ.get("ADDIN_SCREENSHOTS_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    env: dict[str, str]


def _wait_until_live(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"compliance serve exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base_url}/health/live", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"compliance serve did not start in {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Start `compliance serve` (embedded mode) on a free port with its own data folder, the
    shipped guideline sets plus the demo set of tests/addin/guidelines, and the sample GTC
    library. Extra environment variables configure it further."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra: str) -> Server:
        port = _free_port()
        data = tmp_path_factory.mktemp("data")
        env = {
            **os.environ,
            "COMPLIANCE_DATA_DIR": str(data),
            "COMPLIANCE_ENVIRONMENT": "development",
            "COMPLIANCE_CATALOG__GUIDELINES_PATH": str(DEMO_SET),
            "COMPLIANCE_CATALOG__STYLES_PATH": str(REPO / "guidelines" / "marketing-eu" / "styles"),
            "COMPLIANCE_GTC__LIBRARY_PATH": str(REPO / "samples" / "gtc"),
            "COMPLIANCE_TRACKING__ENABLED": "false",
            "COMPLIANCE_LLM__PROVIDER": "none",
            **extra,
        }
        log = data / "serve.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "compliance_assistant.cli.main", "serve",
                 "--port", str(port), "--no-access-log"],
                cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        started.append(process)
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_live(base_url, process, log)
        return Server(base_url=base_url, env=env)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _style(paragraph: Paragraph) -> str:
    """Word's styleBuiltIn spelling ("Heading 1" → "Heading1") for built-in styles."""
    name = paragraph.style.name if paragraph.style is not None else "Normal"
    return re.sub(r"\s+", "", name)


def word_paragraphs(path: Path) -> list[dict[str, Any]]:
    """A .docx's body paragraphs in order (table cells included), as Word's paragraph
    collection reports them: text, styleBuiltIn, list flag and table cell."""
    document = docx.Document(str(path))
    paragraphs: list[dict[str, Any]] = []
    table_ordinal = -1
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            style = _style(paragraph)
            entry: dict[str, Any] = {"text": paragraph.text, "style": style}
            if style.startswith("List"):
                entry["isListItem"] = True
            paragraphs.append(entry)
        elif tag == "tbl":
            table_ordinal += 1
            table = Table(element, document)
            for row_index, row in enumerate(table.rows):
                for column, cell in enumerate(row.cells):
                    for paragraph in cell.paragraphs:
                        paragraphs.append(
                            {
                                "text": paragraph.text,
                                "style": _style(paragraph),
                                "cell": {
                                    "row": row_index,
                                    "column": column,
                                    "table": table_ordinal,
                                },
                            }
                        )
    return paragraphs


def plain_text(paragraphs: list[dict[str, Any]]) -> str:
    """What a writer pastes: the paragraphs' text, one per line."""
    return "\n".join(p["text"] for p in paragraphs if p["text"].strip())
