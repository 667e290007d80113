"""People's sign-in: OIDC bearer JWTs checked against the issuer's signing keys (JWKS).

A token is accepted when its signature verifies with one of the issuer's keys under an
allowed algorithm and its ``iss``, ``aud``, ``exp`` (and ``nbf`` when present) hold, with
``api.oidc.leeway_seconds`` of clock skew. The tenant comes from a claim (``tid``) or a fixed
value, the user from ``oid``/``sub``, the roles from ``roles``.

Signing keys are read from ``jwks_url`` or the issuer's discovery document and cached for
``jwks_cache_seconds``. A token naming an unknown ``kid`` (the issuer rotated its keys)
triggers one early re-read, but at most once per ``jwks_min_refresh_seconds``: tokens with
made-up ``kid`` values cannot make us hammer the issuer. If the issuer is unreachable the
keys we have stay in use; with none at all the answer is 503, not 401, because the client's
token may well be fine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
    PyJWKError,
    PyJWTError,
)

from compliance_assistant.api.errors import ServiceUnavailableError, UnauthorizedError
from compliance_assistant.config import OidcSettings

logger = logging.getLogger(__name__)

# base64url of '{"' is "eyJ": every JWT (JWS compact form) starts with it.
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_ACTOR_CLAIMS = ("preferred_username", "upn", "email", "name")
_MAX_ID_LENGTH = 100  # the tenant_id columns' width
_ISSUER_RETRY_SECONDS = 5.0


def looks_like_jwt(credential: str) -> bool:
    """True for a JWS compact serialisation; API keys (``ca_…``) never match."""
    return _JWT_SHAPE.fullmatch(credential) is not None


@dataclass(frozen=True)
class OidcIdentity:
    tenant_id: str
    user_id: str
    actor: str
    roles: frozenset[str]


def _rejected(reason: str) -> UnauthorizedError:
    return UnauthorizedError(f"The bearer token was rejected: {reason}")


def _require_safe_url(url: str, what: str) -> None:
    """Keys fetched over plain HTTP could be swapped by anyone on the path; loopback (tests,
    a local issuer) is the only exception."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise ValueError(f"{what} must be an https URL (plain http only on loopback): {url}")


class SigningKeys:
    """The issuer's JWKS, cached, refreshed on expiry and (rate-limited) on an unknown kid."""

    def __init__(
        self, settings: OidcSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if settings.issuer is None:
            raise ValueError("OIDC needs api.oidc.issuer")
        self._settings = settings
        self._issuer = settings.issuer
        self._clock = clock
        self._jwks_url = str(settings.jwks_url) if settings.jwks_url is not None else None
        if self._jwks_url is not None:
            _require_safe_url(self._jwks_url, "api.oidc.jwks_url")
        else:
            _require_safe_url(self._issuer, "api.oidc.issuer")
        self._jwks: dict[str | None, Mapping[str, Any]] | None = None
        self._prepared: dict[tuple[str | None, str], jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # JWKS downloads so far (operators' logs and tests read it)

    async def key_for(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        now = self._clock()
        if self._jwks is None or now - self._fetched_at >= self._settings.jwks_cache_seconds:
            await self._refresh_if_allowed()
        jwk = self._find(kid)
        if jwk is None and kid is not None:
            await self._refresh_if_allowed()  # the issuer may have rotated its keys
            jwk = self._find(kid)
        if jwk is None:
            if self._jwks is None:
                raise ServiceUnavailableError(
                    "The sign-in service's signing keys cannot be read right now; retry shortly.",
                    retry_after=_ISSUER_RETRY_SECONDS,
                )
            named = f"kid '{kid}'" if kid is not None else "no kid"
            raise _rejected(f"its signing key ({named}) is not one of the issuer's keys.")
        return self._prepare(kid, jwk, algorithm)

    def _find(self, kid: str | None) -> Mapping[str, Any] | None:
        if self._jwks is None:
            return None
        if kid is None:
            # Without a kid the key is unambiguous only when the issuer has exactly one.
            return next(iter(self._jwks.values())) if len(self._jwks) == 1 else None
        return self._jwks.get(kid)

    def _prepare(self, kid: str | None, jwk: Mapping[str, Any], algorithm: str) -> jwt.PyJWK:
        cached = self._prepared.get((kid, algorithm))
        if cached is not None:
            return cached
        declared = jwk.get("alg")
        if declared is not None and declared != algorithm:
            raise _rejected(f"its algorithm {algorithm} differs from its key's ({declared}).")
        try:
            key = jwt.PyJWK(dict(jwk), algorithm=algorithm)
        except PyJWKError:
            raise _rejected(f"its key cannot be used with algorithm {algorithm}.") from None
        self._prepared[(kid, algorithm)] = key
        return key

    async def _refresh_if_allowed(self) -> None:
        async with self._lock:
            # Checked under the lock: concurrent requests that all missed share one download.
            now = self._clock()
            last = self._last_attempt
            if last is not None and now - last < self._settings.jwks_min_refresh_seconds:
                return
            self._last_attempt = now
            try:
                jwks = await self._download()
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("OIDC signing keys not refreshed from %s: %s", self._issuer, exc)
                return
            self._jwks = jwks
            self._prepared = {}
            self._fetched_at = now

    async def _download(self) -> dict[str | None, Mapping[str, Any]]:
        timeout = httpx.Timeout(self._settings.http_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            if self._jwks_url is None:
                self._jwks_url = await self._discover(client)
            response = await client.get(self._jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        self.fetches += 1
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            raise ValueError(f"{self._jwks_url} is not a JWKS document (no 'keys' list)")
        found: dict[str | None, Mapping[str, Any]] = {}
        for entry in keys:
            # Encryption keys never sign tokens.
            if isinstance(entry, dict) and entry.get("use", "sig") == "sig":
                kid = entry.get("kid")
                found[kid if isinstance(kid, str) else None] = entry
        if not found:
            raise ValueError(f"{self._jwks_url} lists no signing keys")
        return found

    async def _discover(self, client: httpx.AsyncClient) -> str:
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError(f"{url} is not an OpenID configuration document")
        # OpenID Connect Discovery §4.3: the document must name the issuer we asked.
        if document.get("issuer") != self._issuer:
            raise ValueError(f"{url} names issuer {document.get('issuer')!r}, not {self._issuer!r}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError(f"{url} has no jwks_uri")
        _require_safe_url(jwks_uri, "the discovered jwks_uri")
        return jwks_uri


class OidcVerifier:
    """Turns a bearer JWT into an :class:`OidcIdentity` or raises ``UnauthorizedError``."""

    def __init__(
        self, settings: OidcSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.keys = SigningKeys(settings, clock=clock)

    async def verify(self, token: str) -> OidcIdentity:
        settings = self.settings
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError:
            raise _rejected("it is not a well-formed JWT.") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in settings.algorithms:
            raise _rejected(
                f"algorithm {algorithm!r} is not accepted (allowed: "
                f"{', '.join(settings.algorithms)})."
            )
        kid = header.get("kid")
        key = await self.keys.key_for(kid if isinstance(kid, str) else None, algorithm)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=settings.algorithms,
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except ExpiredSignatureError:
            raise _rejected("it has expired; sign in again.") from None
        except ImmatureSignatureError:
            raise _rejected("it is not valid yet (nbf/iat in the future).") from None
        except InvalidAudienceError:
            raise _rejected("it was issued for another audience (aud).") from None
        except InvalidIssuerError:
            raise _rejected("it was issued by another issuer (iss).") from None
        except MissingRequiredClaimError as exc:
            raise _rejected(f"it lacks the '{exc.claim}' claim.") from None
        except InvalidSignatureError:
            raise _rejected("its signature does not verify.") from None
        except InvalidTokenError as exc:
            raise _rejected(f"it is not valid ({exc}).") from None
        return self._identity(claims)

    def _identity(self, claims: Mapping[str, Any]) -> OidcIdentity:
        settings = self.settings
        tenant = settings.fixed_tenant or _text_claim(claims, settings.tenant_claim)
        if tenant is None:
            raise _rejected(f"it lacks the tenant claim '{settings.tenant_claim}'.")
        user = next(
            (v for v in (_text_claim(claims, name) for name in settings.user_claims) if v), None
        )
        if user is None:
            raise _rejected(f"it names no user (none of {', '.join(settings.user_claims)}).")
        actor = next((v for v in (_text_claim(claims, c) for c in _ACTOR_CLAIMS) if v), user)
        raw_roles = claims.get(settings.roles_claim, [])
        if isinstance(raw_roles, str):
            raw_roles = raw_roles.split()
        roles = (
            frozenset(r for r in raw_roles if isinstance(r, str))
            if isinstance(raw_roles, list)
            else frozenset()
        )
        return OidcIdentity(tenant_id=tenant, user_id=user, actor=actor, roles=roles)


def _text_claim(claims: Mapping[str, Any], name: str) -> str | None:
    """A usable identifier claim: a non-empty single-line string that fits our columns."""
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        return None
    if len(value) > _MAX_ID_LENGTH:
        return None
    return value.strip()
