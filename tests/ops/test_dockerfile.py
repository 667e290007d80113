"""The Dockerfile, checked without a Docker engine: its structure, and that the installed
layout it produces finds the migrations and guideline sets (which live outside the package).

The layout test lays the package out as the image does (site-packages of /opt/venv, and the
Dockerfile's own COPY destinations mapped under a temporary root), then runs the real
``compliance migrate`` and ``compliance guidelines list`` from there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.ops.promql import REPO_ROOT

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
# Instructions with their continuation lines joined.
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def _runtime() -> list[str]:
    stages = [i for i, line in enumerate(INSTRUCTIONS) if line.startswith("FROM ")]
    return INSTRUCTIONS[stages[-1] :]


def _env(stage: list[str]) -> dict[str, str]:
    found = {}
    for line in stage:
        if line.startswith("ENV "):
            found.update(re.findall(r"(\w+)=(\S+)", line))
    return found


def test_multi_stage_non_root_with_healthcheck() -> None:
    froms = [line for line in INSTRUCTIONS if line.startswith("FROM ")]
    assert len(froms) == 2
    assert froms[0].endswith(" AS build")
    assert froms[1].endswith(" AS runtime")
    runtime = _runtime()
    assert "USER 10001:10001" in runtime
    assert runtime.index("USER 10001:10001") > max(
        i for i, line in enumerate(runtime) if line.startswith(("RUN ", "COPY "))
    )
    assert any(line.startswith("HEALTHCHECK ") for line in runtime)
    assert not any(line.startswith("COPY src") for line in runtime), "sources stay in build"
    assert "[postgres,azure,llm]" in DOCKERFILE
    assert "[dev" not in DOCKERFILE


def test_dockerignore_keeps_secrets_and_the_venv_out() -> None:
    ignore = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[ignore.index("*")] == "*"  # allow-list: everything else is excluded
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {
        line.split()[-2].rstrip("/")
        for line in INSTRUCTIONS
        if line.startswith("COPY ") and "--from=" not in line
    }
    copied |= {
        part.rstrip("/")
        for line in INSTRUCTIONS
        if line.startswith("COPY ") and "--from=" not in line
        for part in line.split()[1:-1]
        if not part.startswith("--")
    }
    assert copied <= allowed, f"COPY sources excluded by .dockerignore: {copied - allowed}"
    assert ".env" not in allowed


def test_installed_layout_finds_migrations_and_guidelines(tmp_path: Path) -> None:
    root = tmp_path / "image"
    site_packages = root / "opt/venv/lib/python3.11/site-packages"
    # What `pip install <wheel>` puts in the virtualenv: the package with its data files.
    shutil.copytree(
        REPO_ROOT / "src/compliance_assistant",
        site_packages / "compliance_assistant",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for line in _runtime():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, destination = [p for p in line.split()[1:] if not p.startswith("--")]
            for source in sources:
                shutil.copytree(REPO_ROOT / source, root / destination.lstrip("/"))
    env = {
        key: value.replace("/opt/", f"{root}/opt/").replace("/var/lib/", f"{tmp_path}/var/")
        for key, value in _env(_runtime()).items()
        if key.startswith("COMPLIANCE_")
    }
    env |= {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        # The image's package first; the test virtualenv supplies the dependencies.
        "PYTHONPATH": str(site_packages),
        "COMPLIANCE_ENVIRONMENT": "development",
        "COMPLIANCE_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'image.db'}",
    }

    def compliance(*args: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-c", "from compliance_assistant.cli.main import app; app()", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed.stdout + completed.stderr

    where = subprocess.run(
        [sys.executable, "-c", "import compliance_assistant; print(compliance_assistant.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert where.startswith(str(site_packages))
    assert "is at revision head" in compliance("migrate")
    assert (tmp_path / "image.db").stat().st_size > 0
    listing = compliance("guidelines", "list")
    assert "marketing-eu" in listing
    assert "product-terms" in listing
