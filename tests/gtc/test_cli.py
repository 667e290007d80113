"""`compliance gtc …` commands (the sub-app the lead registers as ``gtc``)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compliance_assistant.cli.gtc import app
from compliance_assistant.gtc.cache import GtcCache
from compliance_assistant.gtc.models import DocumentSummary, GtcFile
from compliance_assistant.resilience.clock import SystemClock
from compliance_assistant.storage.blob import LocalBlobStore

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "COMPLIANCE_GTC__LIBRARY_PATH",
        "COMPLIANCE_REDIS__URL",
        "COMPLIANCE_BLOB__BACKEND",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COMPLIANCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")  # tables as wide as their content
    monkeypatch.chdir(tmp_path)


def test_index_lists_the_library(sample_library_dir: Path) -> None:
    result = runner.invoke(app, ["index", str(sample_library_dir)])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 document(s)" in result.output
    manifest = json.loads((sample_library_dir / ".gtc-index" / "manifest.json").read_text())
    assert "northbank-easy-saver-v3" in manifest["documents"]


def test_search_prints_results_or_the_contract_json(sample_library_dir: Path) -> None:
    result = runner.invoke(
        app, ["search", "FlexiLoan personal loan", "--library", str(sample_library_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["results"][0]["gtc_id"] == "northbank-flexiloan-v2.1"
    table = runner.invoke(app, ["search", "energy tariff", "--library", str(sample_library_dir)])
    assert table.exit_code == 0
    assert "score" in table.output  # a table (its width depends on the terminal)
    nothing = runner.invoke(app, ["search", "zebra quantum", "--library", str(sample_library_dir)])
    assert "No matching GTC documents." in nothing.output


def test_search_needs_a_library(sample_library_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["search", "saver"])
    assert result.exit_code == 2
    assert "COMPLIANCE_GTC__LIBRARY_PATH" in result.output
    monkeypatch.setenv("COMPLIANCE_GTC__LIBRARY_PATH", str(sample_library_dir))
    assert runner.invoke(app, ["search", "Easy Saver"]).exit_code == 0
    assert runner.invoke(app, ["search", "ab"]).exit_code == 2


def test_a_bad_library_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", str(tmp_path / "missing")])
    assert result.exit_code == 2


def test_serve_refuses_a_short_key(sample_library_dir: Path) -> None:
    result = runner.invoke(
        app, ["serve-smart-search", str(sample_library_dir), "--api-key", "short"]
    )
    assert result.exit_code == 2
    assert "at least 8 characters" in result.output


def test_invalidate_drops_cached_copies(tmp_path: Path) -> None:
    summary = DocumentSummary(
        gtc_id="acme-v1",
        title="t",
        product="Acme",
        company="A",
        version="1",
        effective_date=date(2025, 1, 1),
        language="en",
    )
    blobs = LocalBlobStore(tmp_path / "data" / "blobs")
    cache = GtcCache(cache=None, blobs=blobs, clock=SystemClock())
    asyncio.run(
        cache.put_file(
            summary,
            GtcFile(gtc_id="acme-v1", content=b"%PDF", content_type="application/pdf", source="x"),
        )
    )
    result = runner.invoke(app, ["invalidate", "acme-v1"])
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.output)["blobs"]) == ["gtc/acme-v1@1.json", "gtc/acme-v1@1.pdf"]
