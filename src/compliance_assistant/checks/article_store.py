"""Writing article blobs on the submission path, where every millisecond counts.

``BlobStore.put`` of the Azure adapter uploads and then re-reads the blob's properties to
return a ``BlobInfo`` — a second round trip the API does not need. For Azure, articles are
written with one ``Put Blob`` through a container client of their own (same account, same
container, same key rules); other backends use ``BlobStore.put`` as it is. Reads, retention
and everything else keep going through the storage adapter.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from azure.core.exceptions import AzureError, ResourceExistsError
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from compliance_assistant.config import BlobBackend, BlobSettings
from compliance_assistant.storage.blob import (
    BlobError,
    BlobStore,
    validate_key,
    validate_metadata,
)


class ArticleWriter(Protocol):
    async def write(
        self, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> None: ...

    async def close(self) -> None: ...


class StoreWriter:
    """Through the configured ``BlobStore`` (local folder, or any adapter)."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    async def write(
        self, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> None:
        await self._store.put(key, data, content_type=content_type, metadata=metadata)

    async def close(self) -> None:
        return None  # the store is closed by its owner


class AzureWriter:
    """One ``Put Blob`` per article; the container is created on first use if missing."""

    def __init__(self, service: BlobServiceClient, container: str) -> None:
        self._service = service
        self._container: ContainerClient = service.get_container_client(container)
        self._ready = False

    async def write(
        self, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> None:
        blob = self._container.get_blob_client(validate_key(key))
        settings = ContentSettings(content_type=content_type)
        try:
            if not self._ready:
                with contextlib.suppress(ResourceExistsError):
                    await self._container.create_container()
                self._ready = True
            await blob.upload_blob(
                data,
                overwrite=True,
                metadata=validate_metadata(metadata),
                content_settings=settings,
            )
        except AzureError as exc:
            raise BlobError(f"cannot write blob {key!r}: {exc}") from exc

    async def close(self) -> None:
        await self._container.close()
        await self._service.close()


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _uses_proxy_settings() -> bool:
    """Whether the environment configures a proxy or netrc credentials. aiohttp re-reads
    them on every request (two thread hops) when told to trust the environment, so that is
    only done when there is something to find."""
    variables = {name.lower() for name in os.environ}
    return (
        bool(variables & set(_PROXY_VARIABLES))
        or "netrc" in variables
        or (Path.home() / ".netrc").exists()
    )


def article_writer(settings: BlobSettings, store: BlobStore) -> ArticleWriter:
    if settings.backend is not BlobBackend.AZURE:
        return StoreWriter(store)
    transport = AioHttpTransport(use_env_settings=_uses_proxy_settings())
    if settings.azure_connection_string is not None:
        service = BlobServiceClient.from_connection_string(
            settings.azure_connection_string.get_secret_value(),
            transport=transport,
            **settings.azure_client_options(),
        )
    else:
        service = BlobServiceClient(
            str(settings.azure_account_url), transport=transport, **settings.azure_client_options()
        )
    return AzureWriter(service, settings.azure_container)
