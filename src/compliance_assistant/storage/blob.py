"""Blob storage: the ``BlobStore`` port, the local-folder adapter, key layout and retention.

Keys are ``/``-separated relative paths of safe characters; every adapter validates them the
same way, so a key that works locally works on Azure and can never escape the local root.
Articles, reports and cached GTC PDFs live under separate prefixes (``articles/``,
``reports/``, ``gtc/`` by default), so retention can delete articles and keep reports.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from compliance_assistant.config import BlobSettings
from compliance_assistant.errors import NotFoundError

MAX_KEY_LENGTH = 1024
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=@+-]*")
_METADATA_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_META_DIR = ".meta"


class BlobError(Exception):
    """A blob backend failed for a reason other than a missing blob."""


class BlobNotFoundError(NotFoundError):
    code = "BLOB_NOT_FOUND"


class InvalidBlobKeyError(ValueError):
    """A key with empty, relative (``..``) or unsafe segments."""


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative blob key, else raise ``InvalidBlobKeyError``.

    Each ``/``-separated segment starts with a letter or digit and uses only letters, digits
    and ``. _ = @ + -``: no ``..``, no absolute paths, no backslashes, no hidden files.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKeyError(f"blob key must be 1-{MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidBlobKeyError(f"unsafe blob key segment {segment!r} in {key!r}")
    return key


def validate_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Metadata names are lower-case identifiers and values ASCII (Azure's rules; applied
    everywhere so adapters behave alike). Returned with names as given."""
    checked: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not _METADATA_NAME.fullmatch(name):
            raise ValueError(f"blob metadata name {name!r} must be a lower-case identifier")
        if not value.isascii() or not value.isprintable():
            raise ValueError(f"blob metadata value for {name!r} must be printable ASCII")
        checked[name] = value
    return checked


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    content_type: str
    last_modified: datetime
    metadata: dict[str, str] = field(default_factory=dict)


class BlobStore(Protocol):
    """Bytes by key. Every method raises ``InvalidBlobKeyError`` for a bad key and ``BlobError``
    when the backend fails."""

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobInfo:
        """Create or replace atomically: readers see the old or the new blob, never a part."""
        ...

    async def get(self, key: str) -> bytes:
        """The content; ``BlobNotFoundError`` when missing."""
        ...

    async def info(self, key: str) -> BlobInfo | None:
        """Size, content type, last-modified and metadata; None when missing."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> bool:
        """True if a blob was deleted, False if there was none."""
        ...

    def list_prefix(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """Blobs whose key starts with ``prefix`` (plain string prefix), in key order."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class BlobLayout:
    """Where each kind of blob goes, from the configured prefixes."""

    articles_prefix: str = "articles/"
    reports_prefix: str = "reports/"
    gtc_prefix: str = "gtc/"

    @classmethod
    def from_settings(cls, settings: BlobSettings) -> BlobLayout:
        return cls(settings.articles_prefix, settings.reports_prefix, settings.gtc_prefix)

    def article(self, tenant_id: str, job_id: str, extension: str = "bin") -> str:
        return validate_key(f"{self.articles_prefix}{tenant_id}/{job_id}.{extension}")

    def report(self, tenant_id: str, job_id: str, extension: str = "json") -> str:
        return validate_key(f"{self.reports_prefix}{tenant_id}/{job_id}.{extension}")

    def gtc(self, document_id: str, version: str | None = None, extension: str = "pdf") -> str:
        name = f"{document_id}@{version}" if version else document_id
        return validate_key(f"{self.gtc_prefix}{name}.{extension}")


class LocalBlobStore:
    """Blobs as files under ``root``; metadata and content type in a JSON sidecar under
    ``root/.meta/``. Writes go to a temporary file in the target folder, are fsynced and then
    renamed over the target, so a crash never leaves a half-written blob. File I/O runs in
    worker threads to keep the event loop free."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / _META_DIR / f"{validate_key(key)}.json"

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobInfo:
        path, meta_path = self._path(key), self._meta_path(key)
        sidecar = json.dumps(
            {"content_type": content_type, "metadata": validate_metadata(metadata)}
        ).encode()
        try:
            await asyncio.to_thread(_write_atomic, meta_path, sidecar)
            await asyncio.to_thread(_write_atomic, path, data)
        except OSError as exc:
            raise BlobError(f"cannot write blob {key!r}: {exc}") from exc
        info = await self.info(key)
        if info is None:  # pragma: no cover - written just above
            raise BlobError(f"blob {key!r} vanished after writing")
        return info

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {key!r} not found") from None
        except OSError as exc:
            raise BlobError(f"cannot read blob {key!r}: {exc}") from exc

    async def info(self, key: str) -> BlobInfo | None:
        return await asyncio.to_thread(self._info, key)

    def _info(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        content_type, metadata = "application/octet-stream", {}
        try:
            sidecar = json.loads(self._meta_path(key).read_bytes())
            content_type, metadata = sidecar["content_type"], dict(sidecar["metadata"])
        except FileNotFoundError:
            pass  # a file placed by hand: defaults
        return BlobInfo(
            key=key,
            size=stat.st_size,
            content_type=content_type,
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
            metadata=metadata,
        )

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> bool:
        path, meta_path = self._path(key), self._meta_path(key)

        def remove() -> bool:
            meta_path.unlink(missing_ok=True)
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True

        try:
            return await asyncio.to_thread(remove)
        except OSError as exc:
            raise BlobError(f"cannot delete blob {key!r}: {exc}") from exc

    async def list_prefix(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        keys = await asyncio.to_thread(self._keys, prefix)
        for key in keys:
            info = await self.info(key)
            if info is not None:  # deleted while listing
                yield info

    def _keys(self, prefix: str) -> list[str]:
        # Walk only the deepest folder the prefix names; filter the rest by string prefix.
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if any(part.startswith(".") for part in prefix.split("/")[:-1]):
            return []  # internal folders (.meta) and relative paths are not listable
        if not folder.resolve().is_relative_to(self.root) or not folder.is_dir():
            return []
        keys = []
        for directory, subdirs, files in os.walk(folder):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            relative = Path(directory).relative_to(self.root).as_posix()
            for name in files:
                if name.startswith("."):
                    continue  # temporary files of writes in progress
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    async def close(self) -> None:
        return None

    async def clear(self) -> None:
        """Delete every blob (tests and ``compliance`` maintenance only)."""
        await asyncio.to_thread(shutil.rmtree, self.root, True)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def delete_older_than(
    store: BlobStore, prefix: str, *, older_than: timedelta, now: datetime
) -> list[str]:
    """Delete blobs under ``prefix`` last modified before ``now - older_than``; returns the
    deleted keys. Use with the articles or GTC prefix only: reports are kept."""
    if not prefix:
        raise ValueError("refusing to apply retention to every blob: give a prefix")
    cutoff = now - older_than
    expired = [info.key async for info in store.list_prefix(prefix) if info.last_modified < cutoff]
    return [key for key in expired if await store.delete(key)]


async def apply_article_retention(
    store: BlobStore, layout: BlobLayout, *, days: int, now: datetime
) -> list[str]:
    """Delete article blobs older than ``days`` (reports and results are kept)."""
    return await delete_older_than(
        store, layout.articles_prefix, older_than=timedelta(days=days), now=now
    )


def build_blob_store(settings: BlobSettings) -> BlobStore:
    """The configured backend: a local folder (embedded) or Azure Blob Storage."""
    if settings.backend.value == "azure":
        # Imported here so embedded mode needs neither the Azure SDK nor aiohttp.
        from compliance_assistant.storage.blob_azure import AzureBlobStore

        return AzureBlobStore.from_settings(settings)
    if settings.local_root is None:
        raise ValueError("blob.local_root is not set")
    return LocalBlobStore(settings.local_root)
