"""Security headers on every HTTP response (pure ASGI, so streams such as SSE pass through).

A Content-Security-Policy per kind of response (docs/security.md, "HTTP hardening"):

* the API (JSON, errors, SSE): nothing may load or frame it;
* the HTML report: its own inline stylesheet only, no scripts, not framed;
* ``/addin/``: the Word add-in's pages load Office.js from Microsoft's CDN and are framed by
  Office on the web, so they allow exactly that (and the add-in's icons are fetched by Office
  from its own origin, hence ``Cross-Origin-Resource-Policy: cross-origin`` there);
* ``/docs``: Swagger UI's script, stylesheet and inline bootstrap come from a CDN.

``Strict-Transport-Security`` is sent when the request came over TLS (directly, or through a
proxy whose ``X-Forwarded-Proto`` uvicorn trusts) or when ``api.public_url`` is https. A
header the endpoint already set is left as it is.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
OFFICE_JS_ORIGIN = "https://appsforoffice.microsoft.com"
# Where Office on the web (Word for the web, Teams, SharePoint) frames an add-in's pages.
OFFICE_FRAME_HOSTS = (
    "https://*.office.com",
    "https://*.office365.com",
    "https://*.officeapps.live.com",
    "https://*.microsoft365.com",
    "https://*.cloud.microsoft",
    "https://*.sharepoint.com",
    "https://*.microsoft.com",
)
ADDIN_CSP = (
    "default-src 'self'; "
    f"script-src 'self' {OFFICE_JS_ORIGIN}; "
    # Office.js adds style attributes to the elements it creates.
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    f"frame-src 'self' {' '.join(OFFICE_FRAME_HOSTS)}; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; "
    f"frame-ancestors 'self' {' '.join(OFFICE_FRAME_HOSTS)}"
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    "default-src 'none'; "
    f"script-src {SWAGGER_CDN} 'unsafe-inline'; style-src {SWAGGER_CDN} 'unsafe-inline'; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HSTS = "max-age=31536000"
ADDIN_PREFIX = "/addin"
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


def _headers_for(path: str, content_type: str) -> list[tuple[bytes, bytes]]:
    if path == ADDIN_PREFIX or path.startswith(ADDIN_PREFIX + "/"):
        csp, resource_policy, frame_options = ADDIN_CSP, "cross-origin", None
    elif path in DOCS_PATHS:
        csp, resource_policy, frame_options = DOCS_CSP, "same-origin", "DENY"
    elif content_type.startswith("text/html"):
        csp, resource_policy, frame_options = REPORT_CSP, "same-origin", "DENY"
    else:
        csp, resource_policy, frame_options = API_CSP, "same-origin", "DENY"
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", csp.encode()),
        (b"cross-origin-resource-policy", resource_policy.encode()),
    ]
    if frame_options is not None:
        headers.append((b"x-frame-options", frame_options.encode()))
    return headers


class SecurityHeadersMiddleware:
    """Adds the headers above; ``https_public_url`` turns HSTS on for every response."""

    def __init__(self, app: ASGIApp, *, https_public_url: bool = False) -> None:
        self.app = app
        self.https_public_url = https_public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        over_tls = self.https_public_url or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = list(message.get("headers", []))
                present = {name.lower() for name, _ in existing}
                content_type = next(
                    (
                        v.decode("latin-1").lower()
                        for k, v in existing
                        if k.lower() == b"content-type"
                    ),
                    "",
                )
                added = _headers_for(path, content_type)
                if over_tls:
                    added.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = existing + [(k, v) for k, v in added if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
