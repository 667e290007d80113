"""`compliance gtc index|search|serve-smart-search|invalidate`: the GTC library and caches."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from compliance_assistant.cli.common import fail, settings, user_errors
from compliance_assistant.gtc.library import INDEX_DIR, GtcLibrary
from compliance_assistant.gtc.models import SearchFilters, SearchRequest

app = typer.Typer(
    help="Index and search GTC libraries, run the reference Smart Search "
    "server, invalidate cached GTC documents.",
    no_args_is_help=True,
)
out = Console(highlight=False)

LibraryOption = Annotated[
    Path | None,
    typer.Option(
        "--library",
        "-l",
        help="GTC library folder (default: the gtc.library_path setting).",
        file_okay=False,
    ),
]


def _library_path(library: Path | None) -> Path:
    path = library or settings().gtc.library_path
    if path is None:
        raise fail("no GTC library given: pass --library DIR or set COMPLIANCE_GTC__LIBRARY_PATH")
    return path


@app.command("index")
@user_errors
def index(
    directory: Annotated[Path, typer.Argument(help="The GTC library folder.", file_okay=False)],
) -> None:
    """(Re)build the BM25 index of a GTC library folder and list its documents."""
    library = GtcLibrary.open(directory, rebuild=True)
    table = Table("gtc_id", "product", "company", "version", "effective", "file")
    table.columns[0].no_wrap = True  # ids are copied into commands
    for entry in library.entries:
        meta = entry.metadata
        table.add_row(
            meta.gtc_id,
            meta.product,
            meta.company,
            meta.version,
            meta.effective_date.isoformat(),
            entry.path.name,
        )
    out.print(table)
    out.print(f"Indexed {len(library.entries)} document(s) in {library.root / INDEX_DIR}")


@app.command("search")
@user_errors
def search(
    query: Annotated[str, typer.Argument(help="Search text (at least 3 characters).")],
    library: LibraryOption = None,
    product: Annotated[str | None, typer.Option(help="Only this product.")] = None,
    company: Annotated[str | None, typer.Option(help="Only this company.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract's JSON.")] = False,
) -> None:
    """Search a GTC library the way Smart Search does (BM25 over the documents)."""
    opened = GtcLibrary.open(_library_path(library))
    if len(query.strip()) < 3:
        raise fail("the query needs at least 3 characters")
    request = SearchRequest(
        query=query, limit=limit, filters=SearchFilters(product=product, company=company)
    )
    response = opened.search_now(request)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    if not response.results:
        out.print("No matching GTC documents.")
        return
    table = Table("score", "gtc_id", "product", "company", "version", "title")
    table.columns[1].no_wrap = True
    for result in response.results:
        table.add_row(
            f"{result.relevance_score:.2f}",
            result.gtc_id,
            result.product,
            result.company,
            result.version,
            result.title,
        )
    out.print(table)


@app.command("serve-smart-search")
@user_errors
def serve_smart_search(
    directory: Annotated[
        Path, typer.Argument(help="The GTC library folder to serve.", file_okay=False)
    ],
    api_key: Annotated[
        str,
        typer.Option(
            "--api-key",
            envvar="SMART_SEARCH_API_KEY",
            help="Bearer key clients must send (or SMART_SEARCH_API_KEY).",
        ),
    ],
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8090,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Run the reference Smart Search server (docs/smart-search-openapi.yaml) over a
    library, for local end-to-end runs of the real client."""
    from compliance_assistant.gtc.reference_server import serve

    if len(api_key) < 8:
        raise fail("use an API key of at least 8 characters")
    serve(GtcLibrary.open(directory), api_key=api_key, host=host, port=port)


@app.command("invalidate")
@user_errors
def invalidate(gtc_id: Annotated[str, typer.Argument(help="The GTC document id.")]) -> None:
    """Drop a GTC document from every cache layer (search results, location, blob copies)."""
    print_json = json.dumps(asyncio.run(_invalidate(gtc_id)), indent=2)
    typer.echo(print_json)


async def _invalidate(gtc_id: str) -> dict[str, object]:
    from compliance_assistant.gtc.cache import GtcCache
    from compliance_assistant.resilience.clock import SystemClock
    from compliance_assistant.storage.blob import BlobLayout, build_blob_store
    from compliance_assistant.storage.cache import build_cache, close_cache

    config = settings()
    cache = build_cache(config)
    blobs = build_blob_store(config.blob)
    try:
        done = await GtcCache(
            cache=cache,
            blobs=blobs,
            clock=SystemClock(),
            layout=BlobLayout.from_settings(config.blob),
        ).invalidate(gtc_id)
    finally:
        await close_cache(cache)
        await blobs.close()
    return {"gtc_id": done.gtc_id, "cache_keys": list(done.cache_keys), "blobs": list(done.blobs)}
