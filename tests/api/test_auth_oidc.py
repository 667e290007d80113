"""OIDC sign-in: bearer JWTs checked against a real local issuer (discovery + JWKS over HTTP
on 127.0.0.1, keys generated here). Verifier-level tests cover every rejection and the JWKS
cache; API-level tests show the same rejections as 401s with ``WWW-Authenticate``."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from compliance_assistant.api.errors import ServiceUnavailableError, UnauthorizedError
from compliance_assistant.api.oidc import OidcVerifier, looks_like_jwt
from compliance_assistant.config import OidcSettings
from tests.api.harness import Api, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble

pytestmark = pytest.mark.anyio
AUDIENCE = "api://compliance-assistant"
TENANT = "3f1c2b9e-tenant"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class LocalIssuer:
    """An OIDC issuer on 127.0.0.1: discovery document, JWKS, and token minting."""

    def __init__(self) -> None:
        self.first_key = SigningKey(kid="key-1")
        self.keys = [self.first_key]
        self.jwks_requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
                elif self.path == "/keys":
                    issuer.jwks_requests += 1
                    body = {"keys": [key.jwk() for key in issuer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LocalIssuer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        values: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "tid": TENANT,
            "oid": "user-ada",
            "sub": "pairwise-sub",
            "preferred_username": "ada@example.com",
            "roles": ["writer"],
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    def token(self, key: SigningKey | None = None, *, kid: str | None = None, **claims: Any) -> str:
        signer = key or self.keys[0]
        return jwt.encode(
            self.claims(**claims),
            signer.private,
            algorithm="RS256",
            headers={"kid": kid or signer.kid},
        )

    def settings(self, **overrides: Any) -> OidcSettings:
        return OidcSettings(issuer=self.url, audience=[AUDIENCE], **overrides)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token(issuer: LocalIssuer) -> str:
    """``alg: none``: a token with no signature at all."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(issuer.claims(roles=['admin']))}."


def forged_token(issuer: LocalIssuer) -> str:
    """A genuine token whose payload was changed afterwards (roles raised to admin)."""
    header, _payload, signature = issuer.token().split(".")
    return f"{header}.{_b64(issuer.claims(roles=['admin']))}.{signature}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer() as running:
        yield running


@pytest.fixture(autouse=True)
def _first_key(issuer: LocalIssuer) -> None:
    issuer.keys = [issuer.first_key]


def rejections(issuer: LocalIssuer) -> dict[str, tuple[str, str]]:
    """Each bad token and a fragment of the message it must get."""
    now = int(time.time())
    stranger = SigningKey(kid=issuer.keys[0].kid)  # same kid, another key
    hs256 = jwt.encode(
        issuer.claims(),
        # The classic confusion attack: the issuer's public key used as an HMAC secret.
        base64.b64encode(issuer.keys[0].public_pem()).decode(),
        algorithm="HS256",
        headers={"kid": issuer.keys[0].kid},
    )
    return {
        "expired": (issuer.token(exp=now - 3600, iat=now - 7200, nbf=now - 7200), "expired"),
        "not yet valid": (issuer.token(nbf=now + 3600), "not valid yet"),
        "forged signature": (forged_token(issuer), "signature"),
        "wrong key": (issuer.token(stranger), "signature"),
        "wrong audience": (issuer.token(aud="api://someone-else"), "audience"),
        "wrong issuer": (issuer.token(iss="https://evil.example.com"), "issuer"),
        "alg none": (unsigned_token(issuer), "'none' is not accepted"),
        "hs256 with the public key": (hs256, "'HS256' is not accepted"),
        "no exp": (issuer.token(exp=None), "'exp'"),
        "no tenant": (issuer.token(tid=None), "tenant claim 'tid'"),
        "no user": (issuer.token(oid=None, sub=None), "names no user"),
        "unknown kid": (issuer.token(SigningKey(kid="never-published")), "kid 'never-published'"),
    }


# -- the verifier ----------------------------------------------------------------------


async def test_a_valid_token_gives_tenant_user_roles_and_actor(issuer: LocalIssuer) -> None:
    verifier = OidcVerifier(issuer.settings())
    identity = await verifier.verify(issuer.token(roles=["writer", "reviewer", "unknown"]))
    assert identity.tenant_id == TENANT
    assert identity.user_id == "user-ada"  # oid before sub
    assert identity.actor == "ada@example.com"
    assert identity.roles == {"writer", "reviewer", "unknown"}
    without_oid = await verifier.verify(issuer.token(oid=None, roles=None))
    assert without_oid.user_id == "pairwise-sub"
    assert without_oid.roles == frozenset()


async def test_every_bad_token_is_rejected_with_its_reason(issuer: LocalIssuer) -> None:
    verifier = OidcVerifier(issuer.settings(jwks_min_refresh_seconds=0))
    for case, (token, reason) in rejections(issuer).items():
        with pytest.raises(UnauthorizedError) as caught:
            await verifier.verify(token)
        assert reason in caught.value.message, (case, caught.value.message)


async def test_leeway_accepts_small_clock_skew(issuer: LocalIssuer) -> None:
    now = int(time.time())
    verifier = OidcVerifier(issuer.settings(leeway_seconds=60))
    assert (await verifier.verify(issuer.token(exp=now - 20))).user_id == "user-ada"
    strict = OidcVerifier(issuer.settings(leeway_seconds=0))
    with pytest.raises(UnauthorizedError, match="expired"):
        await strict.verify(issuer.token(exp=now - 20))


async def test_fixed_tenant_and_other_claims_by_config(issuer: LocalIssuer) -> None:
    verifier = OidcVerifier(
        issuer.settings(fixed_tenant="acme", user_claims=["sub"], roles_claim="app_roles")
    )
    identity = await verifier.verify(issuer.token(tid=None, app_roles="reviewer admin"))
    assert (identity.tenant_id, identity.user_id) == ("acme", "pairwise-sub")
    assert identity.roles == {"reviewer", "admin"}


async def test_keys_rotate_refresh_on_unknown_kid_rate_limited(issuer: LocalIssuer) -> None:
    clock = FakeClock()
    verifier = OidcVerifier(issuer.settings(jwks_min_refresh_seconds=30), clock=clock)
    before = issuer.jwks_requests
    assert (await verifier.verify(issuer.token())).user_id == "user-ada"
    assert verifier.keys.fetches == 1
    # The issuer rotates: a new key signs, the old one is gone.
    rotated = SigningKey(kid="key-2")
    issuer.keys = [rotated]
    clock.now += 31
    assert (await verifier.verify(issuer.token(rotated))).user_id == "user-ada"
    assert verifier.keys.fetches == 2
    # Made-up kids right after a refresh cause no download at all …
    for _ in range(20):
        with pytest.raises(UnauthorizedError, match="not one of the issuer's keys"):
            await verifier.verify(issuer.token(SigningKey(kid=f"junk-{uuid.uuid4().hex}")))
    assert verifier.keys.fetches == 2
    # … and later, one download however many arrive.
    clock.now += 31
    for _ in range(5):
        with pytest.raises(UnauthorizedError):
            await verifier.verify(issuer.token(SigningKey(kid=f"junk-{uuid.uuid4().hex}")))
    assert verifier.keys.fetches == 3
    assert issuer.jwks_requests - before == 3
    # A known kid is served from the cache.
    await verifier.verify(issuer.token(rotated))
    assert verifier.keys.fetches == 3


async def test_keys_are_re_read_after_the_cache_time(issuer: LocalIssuer) -> None:
    clock = FakeClock()
    verifier = OidcVerifier(issuer.settings(jwks_cache_seconds=600), clock=clock)
    await verifier.verify(issuer.token())
    clock.now += 599
    await verifier.verify(issuer.token())
    assert verifier.keys.fetches == 1
    clock.now += 2
    await verifier.verify(issuer.token())
    assert verifier.keys.fetches == 2


async def test_concurrent_first_requests_share_one_download(issuer: LocalIssuer) -> None:
    import asyncio

    verifier = OidcVerifier(issuer.settings())
    token = issuer.token()
    identities = await asyncio.gather(*(verifier.verify(token) for _ in range(10)))
    assert {i.user_id for i in identities} == {"user-ada"}
    assert verifier.keys.fetches == 1


async def test_an_unreachable_issuer_is_503_not_401() -> None:
    from tests.services import free_port

    settings = OidcSettings(
        issuer=f"http://127.0.0.1:{free_port()}", audience=[AUDIENCE], http_timeout_seconds=1
    )
    with LocalIssuer() as other:
        token = other.token(iss=settings.issuer)
    with pytest.raises(ServiceUnavailableError):
        await OidcVerifier(settings).verify(token)


def test_settings_refuse_symmetric_algorithms_and_plain_http() -> None:
    with pytest.raises(ValueError, match="HS256"):
        OidcSettings(issuer="https://login.example.com", audience=["a"], algorithms=["HS256"])
    with pytest.raises(ValueError, match="none"):
        OidcSettings(issuer="https://login.example.com", audience=["a"], algorithms=["none"])
    with pytest.raises(ValueError, match="audience"):
        OidcSettings(issuer="https://login.example.com")
    with pytest.raises(ValueError, match="https"):
        OidcVerifier(OidcSettings(issuer="http://login.example.com", audience=["a"]))


def test_only_jwt_shaped_credentials_go_to_oidc(issuer: LocalIssuer) -> None:
    assert looks_like_jwt(issuer.token())
    assert looks_like_jwt(unsigned_token(issuer))
    assert not looks_like_jwt("ca_abcdefghijkl_" + "x" * 43)
    assert not looks_like_jwt("eyJhbGciOi")
    assert not looks_like_jwt("a.b.c")


# -- through the API -------------------------------------------------------------------


@pytest.fixture
async def oidc_api(
    tmp_path: Path, llm_double: LlmDouble, issuer: LocalIssuer
) -> AsyncIterator[Api]:
    settings = settings_for(
        "embedded",
        tmp_path,
        llm_double,
        api={"oidc": {"issuer": issuer.url, "audience": [AUDIENCE]}},
    )
    async with running_api("embedded", settings, llm_double) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_api_signs_people_in_with_oidc(oidc_api: Api, issuer: LocalIssuer) -> None:
    # OIDC configured: auth is required even on loopback, in embedded mode.
    missing = await oidc_api.client.get("/api/v1/jobs")
    assert missing.status_code == 401
    assert "access token" in missing.json()["error"]["message"]
    ada = bearer(issuer.token())
    submitted = await oidc_api.client.post(
        "/api/v1/compliance/check",
        json={"article_text": f"Risk-free {unique('o')}", "guidelines": ["no-guarantees"]},
        headers=ada,
    )
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    assert (await oidc_api.client.get(f"/api/v1/jobs/{job_id}/status", headers=ada)).is_success
    # Another person of the same tenant, also a writer, does not see it.
    bob = bearer(issuer.token(oid="user-bob", preferred_username="bob@example.com"))
    assert (
        await oidc_api.client.get(f"/api/v1/jobs/{job_id}/status", headers=bob)
    ).status_code == 404
    # A reviewer of the tenant does.
    carol = bearer(issuer.token(oid="user-carol", roles=["reviewer"]))
    assert (await oidc_api.client.get(f"/api/v1/jobs/{job_id}/status", headers=carol)).is_success
    # Roles come from the token: a writer is not an admin.
    forbidden = await oidc_api.client.delete(f"/api/v1/admin/cache/jobs/{job_id}", headers=ada)
    assert forbidden.status_code == 403


async def test_api_rejects_bad_tokens_with_401(oidc_api: Api, issuer: LocalIssuer) -> None:
    for case, (token, reason) in rejections(issuer).items():
        response = await oidc_api.client.get("/api/v1/jobs", headers=bearer(token))
        assert response.status_code == 401, (case, response.text)
        error = response.json()["error"]
        assert error["code"] == "UNAUTHORIZED"
        assert reason in error["message"], (case, error["message"])
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_api_follows_a_key_rotation(
    tmp_path: Path, llm_double: LlmDouble, issuer: LocalIssuer
) -> None:
    oidc = {"issuer": issuer.url, "audience": [AUDIENCE], "jwks_min_refresh_seconds": 0}
    settings = settings_for("embedded", tmp_path, llm_double, api={"oidc": oidc})
    async with running_api("embedded", settings, llm_double) as api:
        assert (await api.client.get("/api/v1/jobs", headers=bearer(issuer.token()))).is_success
        rotated = SigningKey(kid="key-rotated")
        issuer.keys = [rotated]
        response = await api.client.get("/api/v1/jobs", headers=bearer(issuer.token(rotated)))
        assert response.is_success, response.text
        # The retired key is no longer accepted.
        retired = await api.client.get(
            "/api/v1/jobs", headers=bearer(issuer.token(issuer.first_key))
        )
        assert retired.status_code == 401


async def test_jwts_are_refused_clearly_without_oidc(
    tmp_path: Path, llm_double: LlmDouble, issuer: LocalIssuer
) -> None:
    settings = settings_for("embedded", tmp_path, llm_double, api={"require_api_keys": True})
    async with running_api("embedded", settings, llm_double) as api:
        response = await api.client.get("/api/v1/jobs", headers=bearer(issuer.token()))
        assert response.status_code == 401
        assert "OIDC sign-in is not configured" in response.json()["error"]["message"]
