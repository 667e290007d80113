"""Azure Blob Storage adapter of ``BlobStore`` (azure-storage-blob, async client).

Tested against Azurite. The container is created on first use if it does not exist. Uploads
are single ``Put Blob`` calls for small blobs and committed block lists for large ones: in
both cases readers see the old or the new blob, never a partial one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobProperties, ContentSettings
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from compliance_assistant.config import BlobSettings
from compliance_assistant.storage.blob import (
    BlobError,
    BlobInfo,
    BlobNotFoundError,
    validate_key,
    validate_metadata,
)


def _info(properties: BlobProperties) -> BlobInfo:
    content_settings = properties.content_settings
    modified = properties.last_modified
    if modified is None:  # pragma: no cover - the service always sends Last-Modified
        modified = datetime.now(UTC)
    return BlobInfo(
        key=str(properties.name),
        size=int(properties.size or 0),
        content_type=(content_settings.content_type if content_settings else None)
        or "application/octet-stream",
        last_modified=modified if modified.tzinfo else modified.replace(tzinfo=UTC),
        metadata={k.lower(): v for k, v in (properties.metadata or {}).items()},
    )


class AzureBlobStore:
    """Blobs in one container. Build with :meth:`from_connection_string` or
    :meth:`from_settings`; ``await close()`` at shutdown."""

    def __init__(self, service: BlobServiceClient, container: str) -> None:
        self._service = service
        self._container: ContainerClient = service.get_container_client(container)
        self._container_ready = False

    @classmethod
    def from_connection_string(
        cls, connection_string: str, container: str, **options: Any
    ) -> AzureBlobStore:
        service = BlobServiceClient.from_connection_string(connection_string, **options)
        return cls(service, container)

    @classmethod
    def from_settings(cls, settings: BlobSettings) -> AzureBlobStore:
        if settings.azure_connection_string is not None:
            return cls.from_connection_string(
                settings.azure_connection_string.get_secret_value(),
                settings.azure_container,
                **settings.azure_client_options(),
            )
        if settings.azure_account_url is None:
            raise ValueError("blob.azure_connection_string or blob.azure_account_url is needed")
        # An account URL carries its SAS token in the query string.
        return cls(
            BlobServiceClient(str(settings.azure_account_url), **settings.azure_client_options()),
            settings.azure_container,
        )

    async def _ready(self) -> ContainerClient:
        if not self._container_ready:
            try:
                await self._container.create_container()
            except ResourceExistsError:
                pass  # created earlier, by us or another replica
            except AzureError as exc:
                raise BlobError(f"cannot create container: {exc}") from exc
            self._container_ready = True
        return self._container

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobInfo:
        container = await self._ready()
        blob = container.get_blob_client(validate_key(key))
        try:
            await blob.upload_blob(
                data,
                overwrite=True,
                metadata=validate_metadata(metadata),
                content_settings=ContentSettings(content_type=content_type),
            )
            return _info(await blob.get_blob_properties())
        except AzureError as exc:
            raise BlobError(f"cannot write blob {key!r}: {exc}") from exc

    async def get(self, key: str) -> bytes:
        container = await self._ready()
        try:
            downloader = await container.download_blob(validate_key(key))
            return await downloader.readall()
        except ResourceNotFoundError:
            raise BlobNotFoundError(f"blob {key!r} not found") from None
        except AzureError as exc:
            raise BlobError(f"cannot read blob {key!r}: {exc}") from exc

    async def info(self, key: str) -> BlobInfo | None:
        container = await self._ready()
        try:
            return _info(await container.get_blob_client(validate_key(key)).get_blob_properties())
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise BlobError(f"cannot read blob properties of {key!r}: {exc}") from exc

    async def exists(self, key: str) -> bool:
        container = await self._ready()
        try:
            return bool(await container.get_blob_client(validate_key(key)).exists())
        except AzureError as exc:
            raise BlobError(f"cannot check blob {key!r}: {exc}") from exc

    async def delete(self, key: str) -> bool:
        container = await self._ready()
        try:
            await container.delete_blob(validate_key(key), delete_snapshots="include")
        except ResourceNotFoundError:
            return False
        except AzureError as exc:
            raise BlobError(f"cannot delete blob {key!r}: {exc}") from exc
        return True

    async def list_prefix(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        container = await self._ready()
        try:
            async for properties in container.list_blobs(
                name_starts_with=prefix or None, include=["metadata"]
            ):
                yield _info(properties)
        except AzureError as exc:
            raise BlobError(f"cannot list blobs under {prefix!r}: {exc}") from exc

    async def close(self) -> None:
        await self._container.close()
        await self._service.close()
