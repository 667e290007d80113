"""The local GTC library: a folder of PDF, Word and Markdown GTC documents with metadata,
searchable with BM25 — the GTC source of embedded mode and the fallback of production.

Metadata comes from ``gtc-library.yaml`` in the folder (a ``documents:`` list, each entry
naming its ``file``) and/or from a sidecar per document (``NAME.pdf.yaml`` or
``NAME.gtc.yaml`` next to ``NAME.pdf``, the same keys without ``file``); see docs/gtc.md.

The index lives in ``.gtc-index/`` inside the folder. It is rebuilt when the metadata or any
document changes (size or modification time) and reused otherwise; a read-only folder is
indexed in memory. The library implements the :class:`~.source.GtcSource` protocol, so the
checker and the reference Smart Search server use it exactly like the remote service.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance_assistant.errors import InputError
from compliance_assistant.gtc.clauses import extract_clauses
from compliance_assistant.gtc.errors import GtcDocumentError, GtcNotFound
from compliance_assistant.gtc.index import Bm25Index
from compliance_assistant.gtc.models import (
    DOCX,
    GTC_ID_PATTERN,
    LANGUAGE_PATTERN,
    MARKDOWN,
    PDF,
    DocumentMetadata,
    DocumentStatus,
    GtcFile,
    SearchRequest,
    SearchResponse,
    SearchResult,
    slug,
)

logger = logging.getLogger(__name__)

METADATA_FILE = "gtc-library.yaml"
INDEX_DIR = ".gtc-index"
_INDEX_FORMAT = 1
CONTENT_TYPE_BY_SUFFIX = {".pdf": PDF, ".docx": DOCX, ".md": MARKDOWN, ".markdown": MARKDOWN}
_SIDECAR_SUFFIXES = (".yaml", ".yml")


class LibraryRecord(BaseModel):
    """One document's metadata as written in the library's YAML."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(min_length=1)
    gtc_id: str = Field(pattern=GTC_ID_PATTERN)
    title: str = Field(min_length=1)
    product: str = Field(min_length=1)
    company: str = Field(min_length=1)
    version: str = Field(min_length=1)
    effective_date: date
    language: str = Field("en", pattern=LANGUAGE_PATTERN)
    region: tuple[str, ...] = ()
    status: DocumentStatus = "active"


@dataclass(frozen=True)
class LibraryEntry:
    metadata: DocumentMetadata
    path: Path


class GtcLibrary:
    """A GTC library folder, loaded and indexed. Build with :meth:`open`."""

    def __init__(self, root: Path, entries: list[LibraryEntry], index: Bm25Index) -> None:
        self.root = root
        self.entries = entries
        self._index = index
        self._by_id = {entry.metadata.gtc_id: entry for entry in entries}

    name = "library"

    @classmethod
    def open(cls, root: Path, *, rebuild: bool = False) -> GtcLibrary:
        """Load the metadata and the index (rebuilding it when stale or when asked).

        Raises :class:`InputError` for a missing folder, invalid metadata or a listed file
        that does not exist, and :class:`GtcDocumentError` for a document that cannot be read.
        """
        root = root.resolve()
        if not root.is_dir():
            raise InputError(f"The GTC library folder {root} does not exist.")
        records = load_records(root)
        entries = [_entry(root, record) for record in records]
        fingerprint = _fingerprint(root, entries)
        index = None if rebuild else _load_index(root, fingerprint, len(entries))
        if index is None:
            index = Bm25Index.build([_searchable_text(entry) for entry in entries])
            _save_index(root, index, fingerprint, entries)
        return cls(root, entries, index)

    # -- GtcSource ------------------------------------------------------------------------

    async def search(self, request: SearchRequest) -> SearchResponse:
        return await asyncio.to_thread(self.search_now, request)

    async def get_document(self, gtc_id: str) -> DocumentMetadata:
        return self.get(gtc_id).metadata

    async def download(self, gtc_id: str) -> GtcFile:
        return await asyncio.to_thread(self.read, gtc_id)

    # -- synchronous API --------------------------------------------------------------------

    def get(self, gtc_id: str) -> LibraryEntry:
        entry = self._by_id.get(gtc_id)
        if entry is None:
            raise GtcNotFound(f"no GTC document '{gtc_id}' in the library {self.root}")
        return entry

    def read(self, gtc_id: str) -> GtcFile:
        entry = self.get(gtc_id)
        return GtcFile(
            gtc_id=gtc_id,
            content=entry.path.read_bytes(),
            content_type=entry.metadata.content_type,
            source=f"library:{entry.path}",
        )

    def search_now(self, request: SearchRequest) -> SearchResponse:
        """BM25 over title, product, company and full text, then the filters.

        With a product or company filter, documents matching the filter are results even when
        no query term occurs in them: the filter itself names what is wanted.
        """
        scores = self._index.scores(request.query) if self.entries else []
        named = request.filters.product is not None or request.filters.company is not None
        matches = [
            (score, entry)
            for score, entry in zip(scores, self.entries, strict=True)
            if _passes(entry.metadata, request) and (score > 0 or named)
        ]
        matches.sort(key=lambda item: (-item[0], item[1].metadata.gtc_id))
        best = max((score for score, _ in matches), default=0.0)
        page = matches[request.offset : request.offset + request.limit]
        results = tuple(
            SearchResult(
                **entry.metadata.model_dump(
                    include=set(SearchResult.model_fields) - {"relevance_score"}
                ),
                relevance_score=round(score / best, 4) if best > 0 else 0.0,
            )
            for score, entry in page
        )
        return SearchResponse(
            results=results, total=len(matches), limit=request.limit, offset=request.offset
        )


def load_records(root: Path) -> list[LibraryRecord]:
    """Records from ``gtc-library.yaml`` and from sidecars; ids and files must be unique."""
    raw: list[tuple[str, dict[str, Any]]] = []
    library_file = root / METADATA_FILE
    if library_file.is_file():
        data = _yaml(library_file)
        documents = data.get("documents") if isinstance(data, dict) else None
        if not isinstance(documents, list):
            raise InputError(f"{library_file}: expected a mapping with a 'documents' list")
        raw.extend((f"{library_file}: documents[{i}]", item) for i, item in enumerate(documents))
    for document in sorted(root.iterdir()):
        if document.suffix.lower() not in CONTENT_TYPE_BY_SUFFIX:
            continue
        for sidecar in _sidecars(document):
            data = _yaml(sidecar)
            if not isinstance(data, dict):
                raise InputError(f"{sidecar}: expected a mapping of metadata")
            raw.append((str(sidecar), {"file": document.name, **data}))
    records: list[LibraryRecord] = []
    for where, item in raw:
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a mapping")
        try:
            records.append(LibraryRecord.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "entry"
            raise InputError(f"{where}: {field}: {first['msg']}") from None
    _check_unique(records)
    return records


def _sidecars(document: Path) -> list[Path]:
    names = [document.name + suffix for suffix in _SIDECAR_SUFFIXES]
    names += [document.stem + ".gtc" + suffix for suffix in _SIDECAR_SUFFIXES]
    return [document.parent / name for name in names if (document.parent / name).is_file()]


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from None


def _check_unique(records: list[LibraryRecord]) -> None:
    for attribute in ("gtc_id", "file"):
        seen: set[str] = set()
        for record in records:
            value = getattr(record, attribute)
            if value in seen:
                raise InputError(f"the GTC library lists {attribute} '{value}' twice")
            seen.add(value)


def _entry(root: Path, record: LibraryRecord) -> LibraryEntry:
    path = (root / record.file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise InputError(f"the GTC library lists '{record.file}', which is not a file in {root}")
    content_type = CONTENT_TYPE_BY_SUFFIX.get(path.suffix.lower())
    if content_type is None:
        raise InputError(f"'{record.file}' is not a PDF, Word (.docx) or Markdown file")
    data = path.read_bytes()
    metadata = DocumentMetadata(
        **record.model_dump(exclude={"file"}),
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        download_path=f"/v1/documents/{record.gtc_id}/download",
    )
    return LibraryEntry(metadata=metadata, path=path)


def _searchable_text(entry: LibraryEntry) -> str:
    meta = entry.metadata
    try:
        clauses = extract_clauses(
            entry.path.read_bytes(), content_type=meta.content_type, document_id=meta.gtc_id
        )
    except GtcDocumentError as exc:
        raise GtcDocumentError(f"{entry.path.name}: {exc.message}") from None
    # Names count three times: a product's own GTC must outrank one that merely mentions it.
    names = " ".join([meta.title, meta.product, meta.company] * 3)
    return names + "\n" + "\n".join(clause.text for clause in clauses)


def _passes(meta: DocumentMetadata, request: SearchRequest) -> bool:
    filters = request.filters
    if filters.effective_after is not None and meta.effective_date < filters.effective_after:
        return False
    if (
        filters.language is not None
        and meta.language.split("-")[0] != filters.language.split("-")[0]
    ):
        return False
    if filters.region and not {r.upper() for r in filters.region} & {
        r.upper() for r in meta.region
    }:
        return False
    if filters.status is not None and meta.status != filters.status:
        return False
    if filters.product is not None and slug(filters.product) not in {
        slug(meta.product),
        slug(f"{meta.company} {meta.product}"),
        meta.gtc_id,
    }:
        return False
    return filters.company is None or slug(filters.company) == slug(meta.company)


def _fingerprint(root: Path, entries: list[LibraryEntry]) -> str:
    """Changes with the index format, any metadata, or any document's content (its sha256)."""
    digest = hashlib.sha256(f"format {_INDEX_FORMAT} {root.name}".encode())
    for entry in entries:
        digest.update(json.dumps(entry.metadata.model_dump(mode="json"), sort_keys=True).encode())
    return digest.hexdigest()


def _load_index(root: Path, fingerprint: str, size: int) -> Bm25Index | None:
    folder = root / INDEX_DIR
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("fingerprint") != fingerprint or manifest.get("size") != size:
            return None
        return Bm25Index.load(folder / "bm25", size)
    except (OSError, ValueError, KeyError):
        return None


def _save_index(
    root: Path, index: Bm25Index, fingerprint: str, entries: list[LibraryEntry]
) -> None:
    folder = root / INDEX_DIR
    try:
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "bm25").mkdir(parents=True)
        index.save(folder / "bm25")
        manifest = {
            "fingerprint": fingerprint,
            "size": len(entries),
            "documents": [entry.metadata.gtc_id for entry in entries],
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    except OSError as exc:
        # A read-only library (e.g. shipped with the package) is indexed in memory each time.
        logger.info("GTC library index not saved in %s: %s", folder, exc)
