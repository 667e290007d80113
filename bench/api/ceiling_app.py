"""The framework's ceiling: a trivial FastAPI app served exactly as ``compliance api`` serves
the product (``uvicorn.run`` with an app factory, one process, the same loop and HTTP
implementations — uvloop and httptools when installed, uvicorn's ``auto`` —, access log off,
proxy headers on, no log config). ``GET /ping`` returns a small JSON object.

    .venv/bin/python -m bench.api.ceiling_app --port 8001   # from the repository root
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok", "service": "ceiling"}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the trivial FastAPI app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The settings of `compliance api` (src/compliance_assistant/cli/serve.py) and its
    # default log level.
    uvicorn.run(
        "bench.api.ceiling_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        log_level="info",
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
