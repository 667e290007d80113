"""Blob stores (local folder and Azure Blob Storage on Azurite): contract, keys, retention."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compliance_assistant.config import load_settings
from compliance_assistant.storage.blob import (
    BlobLayout,
    BlobNotFoundError,
    BlobStore,
    InvalidBlobKeyError,
    LocalBlobStore,
    apply_article_retention,
    build_blob_store,
    delete_older_than,
    validate_key,
)

pytestmark = pytest.mark.anyio
LAYOUT = BlobLayout()


@pytest.fixture(params=["local", "azure"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        instance: BlobStore = LocalBlobStore(tmp_path / "blobs")
    else:
        from compliance_assistant.storage.blob_azure import AzureBlobStore

        connection_string = request.getfixturevalue("azurite_connection_string")
        # A fresh container per test: the store must create it on first use.
        instance = AzureBlobStore.from_connection_string(
            connection_string, f"test-{secrets.token_hex(6)}"
        )
    yield instance
    await instance.close()


async def test_put_get_info_exists_delete(store: BlobStore) -> None:
    key = LAYOUT.article("t1", "job-1", "docx")
    assert key == "articles/t1/job-1.docx"
    assert not await store.exists(key)
    assert await store.info(key) is None
    before = datetime.now(UTC) - timedelta(seconds=5)
    info = await store.put(
        key,
        b"PK\x03\x04 word",
        content_type="application/vnd.openxmlformats",
        metadata={"tenant": "t1", "job_id": "job-1"},
    )
    assert (info.key, info.size, info.content_type) == (key, 9, "application/vnd.openxmlformats")
    assert info.metadata == {"tenant": "t1", "job_id": "job-1"}
    assert info.last_modified > before
    assert await store.exists(key)
    assert await store.get(key) == b"PK\x03\x04 word"
    assert await store.info(key) == info
    replaced = await store.put(key, b"v2")
    assert (replaced.size, replaced.content_type, replaced.metadata) == (
        2,
        "application/octet-stream",
        {},
    )
    assert await store.get(key) == b"v2"
    assert await store.delete(key)
    assert not await store.delete(key)
    with pytest.raises(BlobNotFoundError):
        await store.get(key)


async def test_list_by_prefix(store: BlobStore) -> None:
    for key in (
        "articles/t1/a.txt",
        "articles/t1/b.txt",
        "articles/t2/c.txt",
        "reports/t1/a.json",
        "gtc/doc@1.pdf",
    ):
        await store.put(key, key.encode())
    listed = [info.key async for info in store.list_prefix("articles/t1/")]
    assert listed == ["articles/t1/a.txt", "articles/t1/b.txt"]
    assert [i.key async for i in store.list_prefix("articles/")] == [
        "articles/t1/a.txt",
        "articles/t1/b.txt",
        "articles/t2/c.txt",
    ]
    assert len([i async for i in store.list_prefix("")]) == 5
    assert [i.key async for i in store.list_prefix("articles/t1/a")] == ["articles/t1/a.txt"]
    assert [i async for i in store.list_prefix("nothing/")] == []
    sizes = {i.key: i.size async for i in store.list_prefix("gtc/")}
    assert sizes == {"gtc/doc@1.pdf": len(b"gtc/doc@1.pdf")}


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../x",
        "a/../b",
        "/abs",
        "a//b",
        "a/",
        ".hidden",
        "a\\b",
        "a/.meta/x",
        "sp ace",
        "x" * 1025,
        "nul\x00",
    ],
)
async def test_unsafe_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidBlobKeyError):
        await store.put(key, b"x")
    with pytest.raises(InvalidBlobKeyError):
        await store.get(key)


async def test_bad_metadata_is_refused(store: BlobStore) -> None:
    with pytest.raises(ValueError, match="metadata name"):
        await store.put("a.txt", b"x", metadata={"Bad-Name": "v"})
    with pytest.raises(ValueError, match="ASCII"):
        await store.put("a.txt", b"x", metadata={"name": "café"})


async def test_retention_deletes_old_articles_and_keeps_reports(store: BlobStore) -> None:
    await store.put("articles/t1/old.txt", b"article")
    await store.put("reports/t1/old.json", b"report")
    await store.put("gtc/doc.pdf", b"pdf")
    now = datetime.now(UTC)
    assert await apply_article_retention(store, LAYOUT, days=180, now=now) == []
    later = now + timedelta(days=181)
    assert await apply_article_retention(store, LAYOUT, days=180, now=later) == [
        "articles/t1/old.txt"
    ]
    assert not await store.exists("articles/t1/old.txt")
    assert await store.exists("reports/t1/old.json")
    assert await delete_older_than(store, "gtc/", older_than=timedelta(days=30), now=later) == [
        "gtc/doc.pdf"
    ]
    with pytest.raises(ValueError, match="prefix"):
        await delete_older_than(store, "", older_than=timedelta(days=1), now=later)


def test_layout_keys_are_valid() -> None:
    layout = BlobLayout.from_settings(load_settings().blob)
    assert layout.report("t1", "j1", "html") == "reports/t1/j1.html"
    assert layout.gtc("doc-1", "2024-01") == "gtc/doc-1@2024-01.pdf"
    assert layout.gtc("doc-1") == "gtc/doc-1.pdf"
    assert validate_key("a/b.c") == "a/b.c"
    with pytest.raises(InvalidBlobKeyError):
        layout.article("../t1", "j")


async def test_local_store_writes_atomically_and_stays_inside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    store = LocalBlobStore(root)
    await store.put("articles/t1/a.txt", b"x" * 1000)
    leftovers = [p.name for p in (root / "articles" / "t1").iterdir()]
    assert leftovers == ["a.txt"]  # no temporary files remain
    (tmp_path / "secret.txt").write_bytes(b"s")
    assert [i async for i in store.list_prefix("../")] == []
    assert [i async for i in store.list_prefix(".meta/")] == []
    # A file placed by hand is listed with default content type.
    (root / "articles" / "t1" / "manual.txt").write_bytes(b"m")
    os.utime(root / "articles" / "t1" / "manual.txt", (0, 0))
    info = await store.info("articles/t1/manual.txt")
    assert info is not None
    assert (info.content_type, info.last_modified.year) == ("application/octet-stream", 1970)
    deleted = await apply_article_retention(store, LAYOUT, days=1, now=datetime.now(UTC))
    assert deleted == ["articles/t1/manual.txt"]
    await store.clear()
    assert not root.exists()


async def test_build_blob_store_follows_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, azurite_connection_string: str
) -> None:
    monkeypatch.chdir(tmp_path)
    local = build_blob_store(load_settings(data_dir=tmp_path).blob)
    assert isinstance(local, LocalBlobStore)
    assert local.root == (tmp_path / "blobs").resolve()
    from compliance_assistant.storage.blob_azure import AzureBlobStore

    settings = load_settings(
        blob={
            "backend": "azure",
            "azure_container": "built",
            "azure_connection_string": azurite_connection_string,
        }
    )
    azure = build_blob_store(settings.blob)
    assert isinstance(azure, AzureBlobStore)
    try:
        await azure.put("reports/x.json", b"{}", content_type="application/json")
        assert await azure.get("reports/x.json") == b"{}"
    finally:
        await azure.close()
