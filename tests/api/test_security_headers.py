"""HTTP hardening: security headers on every kind of response (API, errors, the add-in,
Swagger UI, the HTML report), HSTS behind TLS, the CORS allow-list, and 500s that give away
nothing but the error shape."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from compliance_assistant.api.app import ADDIN_DIR
from compliance_assistant.api.security_headers import ADDIN_CSP, API_CSP, DOCS_CSP
from compliance_assistant.config import Settings
from compliance_assistant.errors import InputError
from tests.api.harness import Api, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble

pytestmark = pytest.mark.anyio
ADDIN_ORIGIN = "https://addin.example.com"


@pytest.fixture
async def embedded(tmp_path: Path, llm_double: LlmDouble) -> AsyncIterator[Api]:
    settings = settings_for("embedded", tmp_path, llm_double, api={"cors_origins": [ADDIN_ORIGIN]})
    async with running_api("embedded", settings, llm_double) as running:
        yield running


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def allows(policy: str, directive: str, url: str) -> bool:
    """Whether ``url`` (absolute, or relative = same origin) may load under ``directive``."""
    sources = directives(policy).get(directive) or directives(policy)["default-src"]
    parts = urlsplit(url)
    if not parts.scheme:
        return "'self'" in sources
    origin = f"{parts.scheme}://{parts.netloc}"
    return any(
        source == origin
        or (source.startswith("https://*.") and parts.netloc.endswith(source[len("https://*") :]))
        for source in sources
    )


class Resources(HTMLParser):
    """Scripts and stylesheets a page loads, and whether it has inline scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline_script = False
        self.inline_style_attribute = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.inline_style_attribute = True
        if tag == "script":
            if values.get("src"):
                self.scripts.append(str(values["src"]))
            else:
                self.inline_script = True
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.styles.append(str(values["href"]))


def resources(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    return parser


def assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_api_responses_and_errors_forbid_loading_and_framing(embedded: Api) -> None:
    ok = await embedded.get("/api/v1/jobs")
    not_found = await embedded.get("/api/v1/jobs/nope/status")
    no_route = await embedded.get("/api/v1/nothing-here")
    live = await embedded.client.get("/health/live")
    for response in (ok, not_found, no_route, live):
        assert_common(response)
        assert response.headers["content-security-policy"] == API_CSP
        assert response.headers["cross-origin-resource-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
        # Plain http: no HSTS (it would be ignored, and pins nothing useful).
        assert "strict-transport-security" not in response.headers
    assert directives(API_CSP)["default-src"] == ["'none'"]
    assert directives(API_CSP)["frame-ancestors"] == ["'none'"]


async def test_addin_pages_get_a_policy_that_lets_office_load_and_frame_them(
    embedded: Api,
) -> None:
    pages = sorted(path.name for path in ADDIN_DIR.glob("*.html"))
    assert "taskpane.html" in pages
    for name in pages:
        response = await embedded.client.get(f"/addin/{name}")
        assert response.status_code == 200
        assert_common(response)
        policy = response.headers["content-security-policy"]
        assert policy == ADDIN_CSP
        # Office fetches the manifest's icons from its own origin.
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
        assert "x-frame-options" not in response.headers
        found = resources(response.text)
        # Every script and stylesheet the page loads is allowed, and nothing runs inline.
        for src in found.scripts:
            assert allows(policy, "script-src", src), (name, src)
        for href in found.styles:
            assert allows(policy, "style-src", href), (name, href)
        assert not found.inline_script, name
    taskpane = resources((await embedded.client.get("/addin/taskpane.html")).text)
    assert "https://appsforoffice.microsoft.com/lib/1/hosted/office.js" in taskpane.scripts
    # Word for the web frames the task pane; nobody else may.
    assert allows(ADDIN_CSP, "frame-ancestors", "https://word-edit.officeapps.live.com")
    assert allows(ADDIN_CSP, "frame-ancestors", "https://contoso.sharepoint.com")
    assert not allows(ADDIN_CSP, "frame-ancestors", "https://evil.example.com")
    assert not allows(ADDIN_CSP, "script-src", "https://cdn.example.com/x.js")
    # The add-in's modules and stylesheet are served with the same policy.
    script = await embedded.client.get("/addin/taskpane.js")
    assert script.headers["content-security-policy"] == ADDIN_CSP


async def test_swagger_ui_gets_its_own_policy_covering_its_cdn(embedded: Api) -> None:
    response = await embedded.client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert policy == DOCS_CSP
    found = resources(response.text)
    assert found.scripts
    assert found.styles
    for src in found.scripts:
        assert allows(policy, "script-src", src), src
    for href in found.styles:
        assert allows(policy, "style-src", href), href
    assert "'unsafe-inline'" in directives(policy)["script-src"]  # Swagger's bootstrap
    assert allows(policy, "connect-src", "/openapi.json")
    assert directives(policy)["frame-ancestors"] == ["'none'"]


async def test_the_html_report_may_style_itself_but_run_nothing(embedded: Api) -> None:
    result = await embedded.check(f"Risk-free {unique('t')}", guidelines=["no-guarantees"])
    report = await embedded.get(f"/api/v1/jobs/{result['job_id']}/report")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert_common(report)
    policy = directives(report.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert "script-src" not in policy
    assert "<style>" in report.text


async def test_hsts_over_tls_and_with_an_https_public_url(
    tmp_path: Path, llm_double: LlmDouble, embedded: Api
) -> None:
    # The request came over TLS (scheme https, as uvicorn reports it).
    transport = httpx.ASGITransport(app=embedded.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as client:
        over_tls = await client.get("/health/live")
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000"
    # TLS ends at the ingress, and the public URL is https: every response pins it.
    settings = settings_for(
        "embedded", tmp_path / "public", llm_double, api={"public_url": "https://ca.example.com"}
    )
    async with running_api("embedded", settings, llm_double) as behind_proxy:
        response = await behind_proxy.client.get("/health/live")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_cors_preflight_allows_only_listed_origins(embedded: Api) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    allowed = await embedded.client.options(
        "/api/v1/compliance/check", headers={"Origin": ADDIN_ORIGIN, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ADDIN_ORIGIN
    assert "access-control-allow-credentials" not in allowed.headers
    assert "POST" in allowed.headers["access-control-allow-methods"]
    allowed_headers = allowed.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed_headers.split(",")
    }
    denied = await embedded.client.options(
        "/api/v1/compliance/check", headers={"Origin": "https://evil.example.com", **preflight}
    )
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers
    # An actual request from the allowed origin may read the headers clients need.
    response = await embedded.get("/api/v1/jobs", headers={"Origin": ADDIN_ORIGIN})
    assert response.headers["access-control-allow-origin"] == ADDIN_ORIGIN
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {
        "location",
        "x-correlation-id",
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    } <= exposed
    other = await embedded.get("/api/v1/jobs", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_must_be_exact_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance_assistant.config import load_settings

    monkeypatch.setenv(
        "COMPLIANCE_API__CORS_ORIGINS", "https://a.example.com, https://B.example.com:8443/"
    )
    assert load_settings().api.cors_origins == [
        "https://a.example.com",
        "https://b.example.com:8443",
    ]
    monkeypatch.setenv("COMPLIANCE_API__CORS_ORIGINS", '["https://a.example.com"]')
    assert load_settings().api.cors_origins == ["https://a.example.com"]
    for bad in ("*", "https://*.example.com", "https://a.example.com/addin", "addin.example.com"):
        monkeypatch.setenv("COMPLIANCE_API__CORS_ORIGINS", bad)
        with pytest.raises(InputError, match=r"api\.cors_origins.*is not an origin"):
            load_settings()
    assert Settings(api={"cors_origins": []}).api.cors_origins == []


async def test_an_internal_error_answers_the_error_shape_and_nothing_else(embedded: Api) -> None:
    secret_detail = f"internal-detail-{unique('x')}"

    async def explode() -> None:
        raise RuntimeError(secret_detail)

    embedded.app.add_api_route("/api/v1/test-only/explode", explode)
    transport = httpx.ASGITransport(app=embedded.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        response = await client.get(
            "/api/v1/test-only/explode", headers={"X-Correlation-ID": "c-500"}
        )
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "INTERNAL_ERROR",
            "message": (
                "Something went wrong on our side; quote the correlation id when reporting it."
            ),
            "details": {"correlation_id": "c-500"},
        }
    }
    assert secret_detail not in response.text
    assert not re.search(r"Traceback|File \"|\.py|RuntimeError", response.text)
    assert response.headers["x-correlation-id"] == "c-500"
    assert response.headers["content-security-policy"] == API_CSP
