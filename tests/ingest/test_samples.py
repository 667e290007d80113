"""The sample articles: Markdown and Word twins agree, and they contain the intended problems."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog
from compliance_assistant.engine.document import BlockKind, Document
from compliance_assistant.engine.run import run_plan
from compliance_assistant.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "samples" / "articles"
# gtc-*.md articles belong to the GTC samples (samples/gtc/, docs/gtc.md) and are tested there.
SOURCES = sorted(
    p for p in ARTICLES.glob("*.md") if p.name != "README.md" and not p.name.startswith("gtc-")
)
NAMES = [p.stem for p in SOURCES]

# Guidelines each article must fail or warn on (a subset of what it triggers, so that rule
# improvements elsewhere do not break this test unless they stop catching these problems).
EXPECTED_PROBLEMS = {
    "savings-account": {
        "unsubstantiated-superlatives",
        "no-guarantees",
        "free-claims-conditions",
        "substantiated-comparisons",
        "no-pressure-selling",
        "inclusive-language",
    },
    "personal-loan": {
        "credit-apr-representative-example",
        "unsubstantiated-superlatives",
        "no-guarantees",
        "substantiated-comparisons",
        "no-pressure-selling",
        "inclusive-language",
    },
    "home-insurance": {
        "unsubstantiated-superlatives",
        "no-guarantees",
        "free-claims-conditions",
        "substantiated-comparisons",
        "no-pressure-selling",
        "inclusive-language",
    },
    "energy-tariff": {
        "substantiated-environmental-claims",
        "unsubstantiated-superlatives",
        "free-claims-conditions",
        "prices-incl-vat",
        "substantiated-comparisons",
        "no-pressure-selling",
        "inclusive-language",
    },
    "mobile-plan": {
        "unsubstantiated-superlatives",
        "free-claims-conditions",
        "prices-incl-vat",
        "substantiated-comparisons",
        "no-pressure-selling",
        "no-hidden-conditions",
    },
    "investment-fund": {
        "capital-at-risk-warning",
        "no-guarantees",
        "unsubstantiated-superlatives",
        "substantiated-comparisons",
        "no-pressure-selling",
        "inclusive-language",
    },
}
COMPLIANT = "regular-saver-compliant"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sample_docx", ROOT / "scripts" / "make_sample_docx.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_sample_docx", module)
    spec.loader.exec_module(module)
    return module


def test_the_sample_set_is_complete() -> None:
    assert set(NAMES) == {*EXPECTED_PROBLEMS, COMPLIANT}
    for source in SOURCES:
        assert source.with_suffix(".docx").is_file(), f"{source.name} has no .docx twin"
        assert source.stem in (ARTICLES / "README.md").read_text(encoding="utf-8")


def test_committed_docx_files_are_current() -> None:
    assert load_script().main(["--check"]) == 0


@pytest.mark.parametrize("name", NAMES)
def test_markdown_and_word_versions_have_the_same_content(name: str) -> None:
    markdown = ingest_file(ARTICLES / f"{name}.md")
    word = ingest_file(ARTICLES / f"{name}.docx")
    assert [markdown.block_text(b) for b in markdown.blocks] == [
        word.block_text(b) for b in word.blocks
    ]
    assert markdown.title == word.title
    assert 300 <= len(markdown.text.split()) <= 700
    # "#" is the Word Title, "##" Heading 1, and so on.
    for md_block, word_block in zip(markdown.blocks, word.blocks, strict=True):
        if md_block.kind is BlockKind.HEADING and md_block.level == 1:
            assert word_block.kind is BlockKind.TITLE
        elif md_block.kind is BlockKind.HEADING:
            assert (word_block.kind, word_block.level) == (
                BlockKind.HEADING,
                (md_block.level or 0) - 1,
            )
        else:
            assert word_block.kind is md_block.kind


@pytest.mark.parametrize("name", NAMES)
def test_word_version_has_real_word_structure(name: str) -> None:
    word = ingest_file(ARTICLES / f"{name}.docx")
    kinds = {b.kind for b in word.blocks}
    assert {
        BlockKind.TITLE,
        BlockKind.HEADING,
        BlockKind.LIST_ITEM,
        BlockKind.TABLE_HEADER,
        BlockKind.TABLE_CELL,
        BlockKind.FOOTNOTE,
    } <= kinds
    assert [b.kind for b in word.blocks].count(BlockKind.FOOTNOTE) == 1
    assert word.blocks[-1].kind is BlockKind.FOOTNOTE
    assert {b.style for b in word.blocks if b.kind is BlockKind.LIST_ITEM} == {"List Bullet"}


def _statuses(document: Document) -> dict[str, str]:
    plan = GuidelineCatalog.create([ROOT / "guidelines"]).plan("marketing-eu")
    result = run_plan(document, plan, job_id="samples")
    return {g.guideline_id: g.status.value for g in result.guidelines}


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS))
def test_problem_articles_trip_the_intended_guidelines(name: str) -> None:
    statuses = _statuses(ingest_file(ARTICLES / f"{name}.md"))
    flagged = {guideline for guideline, status in statuses.items() if status in ("fail", "warning")}
    assert EXPECTED_PROBLEMS[name] <= flagged


@pytest.mark.parametrize("suffix", [".md", ".docx"])
def test_compliant_article_passes_every_guideline(suffix: str) -> None:
    statuses = _statuses(ingest_file(ARTICLES / f"{COMPLIANT}{suffix}"))
    assert statuses
    assert set(statuses.values()) == {"pass"}
