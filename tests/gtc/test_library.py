"""The local GTC library: metadata (library file and sidecars), BM25 search, filters, and an
index that is persisted next to the library and rebuilt only when something changed."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from tests.gtc.conftest import SAMPLES

from compliance_assistant.errors import InputError
from compliance_assistant.gtc import library as library_module
from compliance_assistant.gtc.errors import GtcNotFound
from compliance_assistant.gtc.library import INDEX_DIR, GtcLibrary
from compliance_assistant.gtc.models import SearchFilters, SearchRequest

TARIFF_MD = """# Mobile plan terms

## 1. Allowances

1.1 The plan includes 20GB of data per month, subject to our fair use policy.

## 2. Leaving

2.1 The minimum term is 24 months. An early termination fee of €10 per remaining month applies.
"""
SIDECAR = """gtc_id: orbit-mobile-20gb
title: Orbit 20GB plan terms
product: Orbit 20GB
company: Orbit Mobile
version: "5"
effective_date: 2024-05-01
region: [IE]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "library"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns(".gtc-index"))
    (target / "orbit-20gb.md").write_text(TARIFF_MD, encoding="utf-8")
    (target / "orbit-20gb.md.yaml").write_text(SIDECAR, encoding="utf-8")
    return target


def search(library: GtcLibrary, query: str, **filters: object) -> list[str]:
    request = SearchRequest(query=query, filters=SearchFilters(**filters))  # type: ignore[arg-type]
    return [r.gtc_id for r in library.search_now(request).results]


def test_metadata_comes_from_the_library_file_and_sidecars(folder: Path) -> None:
    library = GtcLibrary.open(folder)
    ids = sorted(e.metadata.gtc_id for e in library.entries)
    assert ids == [
        "northbank-easy-saver-v3",
        "northbank-flexiloan-v2.1",
        "orbit-mobile-20gb",
        "volta-fixedsaver-24-v1.4",
    ]
    orbit = library.get("orbit-mobile-20gb").metadata
    assert (orbit.content_type, orbit.language, orbit.effective_date) == (
        "text/markdown",
        "en",
        date(2024, 5, 1),
    )
    assert library.read("orbit-mobile-20gb").content.startswith(b"# Mobile plan terms")
    with pytest.raises(GtcNotFound):
        library.get("missing")


def test_bm25_search_ranks_the_product_s_own_terms_first(folder: Path) -> None:
    library = GtcLibrary.open(folder)
    assert search(library, "Easy Saver savings account")[0] == "northbank-easy-saver-v3"
    assert search(library, "mobile data fair use")[0] == "orbit-mobile-20gb"
    assert search(library, "energy unit rate kWh")[0] == "volta-fixedsaver-24-v1.4"
    assert search(library, "zebra quantum") == []
    response = library.search_now(SearchRequest(query="Northbank loan", limit=1, offset=1))
    assert response.total >= 2
    assert len(response.results) == 1


def test_filters(folder: Path) -> None:
    library = GtcLibrary.open(folder)
    assert search(library, "terms", product="Easy Saver") == ["northbank-easy-saver-v3"]
    assert search(library, "terms", product="easy-saver") == ["northbank-easy-saver-v3"]
    assert set(search(library, "terms", company="northbank")) == {
        "northbank-easy-saver-v3",
        "northbank-flexiloan-v2.1",
    }
    assert search(library, "fee", region=("GB",)) == ["volta-fixedsaver-24-v1.4"]
    assert "northbank-flexiloan-v2.1" not in search(
        library, "fee", effective_after=date(2025, 1, 1)
    )
    assert search(library, "fee", status="superseded") == []
    assert search(library, "fee", language="de") == []


def test_the_index_is_persisted_and_reused_until_something_changes(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    GtcLibrary.open(folder)
    assert (folder / INDEX_DIR / "manifest.json").is_file()
    built: list[int] = []
    real_build = library_module.Bm25Index.build

    def counting_build(texts: list[str]) -> library_module.Bm25Index:
        built.append(len(texts))
        return real_build(texts)

    monkeypatch.setattr(library_module.Bm25Index, "build", counting_build)
    reopened = GtcLibrary.open(folder)
    assert built == []  # loaded from disk
    assert search(reopened, "mobile data")[0] == "orbit-mobile-20gb"
    (folder / "orbit-20gb.md").write_text(
        TARIFF_MD + "\n2.2 Roaming is free in the EU.\n", encoding="utf-8"
    )
    GtcLibrary.open(folder)
    assert built == [4]  # a changed document rebuilds the index
    GtcLibrary.open(folder, rebuild=True)
    assert built == [4, 4]


def test_a_read_only_library_is_indexed_in_memory(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(library_module.Path, "mkdir", refuse)
    library = GtcLibrary.open(folder, rebuild=True)
    assert search(library, "Easy Saver")[0] == "northbank-easy-saver-v3"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("documents:\n  - file: northbank-easy-saver.pdf\n    gtc_id: x\n", "documents[0]: title"),
        (
            "documents:\n  - file: missing.pdf\n    gtc_id: a\n    title: t\n    product: p\n"
            "    company: c\n    version: '1'\n    effective_date: 2025-01-01\n",
            "missing.pdf",
        ),
        ("documents: nope\n", "'documents' list"),
        ("documents: [\n", "not valid YAML"),
    ],
)
def test_invalid_metadata_is_reported_with_where_it_is(
    tmp_path: Path, content: str, message: str
) -> None:
    shutil.copy(SAMPLES / "northbank-easy-saver.pdf", tmp_path)
    (tmp_path / "gtc-library.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        GtcLibrary.open(tmp_path)


def test_ids_must_be_unique(folder: Path) -> None:
    (folder / "northbank-flexiloan.pdf.yaml").write_text(
        SIDECAR.replace("orbit-mobile-20gb", "northbank-easy-saver-v3"), encoding="utf-8"
    )
    with pytest.raises(InputError, match="twice"):
        GtcLibrary.open(folder)


def test_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        GtcLibrary.open(tmp_path / "nowhere")
