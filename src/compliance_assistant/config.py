"""Settings: one validated root, read at the edges only (CLI, app factory, worker start-up).

Environment variables use the prefix ``COMPLIANCE_`` and ``__`` between nested groups, e.g.
``COMPLIANCE_LLM__PROVIDER=openai`` or ``COMPLIANCE_LIMITS__MAX_TEXT_CHARS=800000``. A ``.env``
file in the working directory is read too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from limits import parse_many
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from compliance_assistant.config_secrets import KeyVaultSettingsSource
from compliance_assistant.errors import InputError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LlmProvider(StrEnum):
    NONE = "none"
    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai_compatible"


# Values people leave in example configs; accepting them outside development hides a mistake.
_PLACEHOLDER_SECRETS = {
    "",
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "password",
    "placeholder",
    "todo",
    "xxx",
    "xxxx",
    "your-api-key",
    "your_api_key",
    "api-key",
    "apikey",
    "dummy",
    "test",
}


def is_placeholder_secret(value: str) -> bool:
    lowered = value.strip().lower()
    return (
        lowered in _PLACEHOLDER_SECRETS
        or (lowered.startswith("<") and lowered.endswith(">"))
        or set(lowered) <= {"x", "*", "-"}
    )


class LimitsSettings(BaseModel):
    # Longest article text one check accepts, in characters.
    max_text_chars: int = Field(500_000, ge=1)
    # Largest uploaded document (.docx, .md, .txt …), in bytes.
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)
    # Largest JSON request body the API reads, in bytes.
    max_json_bytes: int = Field(4 * 1024 * 1024, ge=1)
    # Queued + processing jobs one tenant may have; more submissions get 429.
    max_active_jobs_per_tenant: int = Field(50, ge=1)
    # Largest guideline set file accepted, in bytes.
    # A guideline set uploaded through the API (POST /guideline-sets).
    max_guideline_set_bytes: int = Field(256 * 1024, ge=1)
    # Guidelines one uploaded set may hold.
    max_guidelines_per_set: int = Field(200, ge=1)
    # Vale rules one uploaded set may hold, over all its guidelines.
    max_rules_per_set: int = Field(500, ge=1)
    # What an uploaded .docx may unpack to (sum of its parts' sizes; more: 413). Checked when
    # the job ingests it (ingest/zip_safety.py).
    max_docx_unpacked_bytes: int = Field(200 * 1024 * 1024, ge=1)


class CatalogSettings(BaseModel):
    """Where guideline sets and Vale styles are found, besides the shipped ones."""

    # Extra folders searched for guideline sets, besides the shipped ones.
    # NoDecode: a colon-separated string, like PATH, rather than JSON.
    guidelines_path: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # Extra folders of Vale styles, separated like PATH (':' on Linux).
    styles_path: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    # The guideline set a check uses when it names none.
    default_set: str = "marketing-eu"

    @field_validator("guidelines_path", "styles_path", mode="before")
    @classmethod
    def _split_path_list(cls, value: object) -> object:
        # Environment variables give one string; accept the OS path separator like PATH does.
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part]
        return value


class StructuredOutput(StrEnum):
    AUTO = "auto"
    JSON_SCHEMA = "json_schema"
    FUNCTION_CALLING = "function_calling"
    JSON_MODE = "json_mode"


class LlmSettings(BaseModel):
    # The judge model's API: none (no model: llm guidelines are not run), openai, azure_openai,
    # anthropic or openai_compatible.
    provider: LlmProvider = LlmProvider.NONE
    # Model name; required except for azure_openai (which uses azure_deployment).
    model: str | None = None
    # API base URL; required for azure_openai and openai_compatible.
    base_url: AnyHttpUrl | None = None
    # The provider's API key.
    api_key: SecretStr | None = None
    # Azure OpenAI deployment name.
    azure_deployment: str | None = None
    # Azure OpenAI API version, e.g. 2024-10-21.
    azure_api_version: str | None = None
    # Timeout of one model HTTP request.
    timeout_seconds: float = Field(60.0, gt=0)
    # -- the judge in the check pipeline (docs/llm.md) --
    # Entra ID instead of a key for Azure OpenAI: a static token, or DefaultAzureCredential
    # (package azure-identity) when azure_entra_id is true.
    azure_ad_token: SecretStr | None = None
    # Authenticate to Azure OpenAI with DefaultAzureCredential instead of a key.
    azure_entra_id: bool = False
    # How the answer is structured: auto picks per provider (json_schema for OpenAI/Azure and
    # OpenAI-compatible servers, tool use for Anthropic).
    structured_output: StructuredOutput = StructuredOutput.AUTO
    # Sampling temperature of the judge (0: the most repeatable answers).
    temperature: float = Field(0.0, ge=0, le=2)
    # Most tokens one answer may have.
    max_output_tokens: int = Field(2048, ge=1)
    # Requests per minute to the model (unset: no limit).
    # Shared by all workers through Redis when redis.url is set, else per process.
    requests_per_minute: int | None = Field(None, ge=1)
    # Tokens per minute to the model, input and output (unset: no limit); shared like
    # requests_per_minute.
    tokens_per_minute: int | None = Field(None, ge=1)
    # Model calls in flight at once in one worker process.
    max_concurrency: int = Field(16, ge=1)
    # Attempts per model call; transient errors (429, 5xx, timeouts) are retried with backoff.
    max_attempts: int = Field(4, ge=1)
    # Longest backoff wait between two attempts of a model call.
    retry_max_wait_seconds: float = Field(30.0, gt=0)
    # Time limit of one llm guideline branch.
    # One llm guideline, retries and the re-ask included.
    branch_timeout_seconds: float = Field(300.0, gt=0)
    # Price of 1,000 input tokens, for the compliance_llm_cost_total metric (0: no cost).
    price_input_per_1k_tokens: float = Field(0.0, ge=0)
    # Price of 1,000 output tokens, for the compliance_llm_cost_total metric (0: no cost).
    price_output_per_1k_tokens: float = Field(0.0, ge=0)
    # How long a model verdict for the same input is cached.
    # 0 turns the verdict cache off.
    verdict_cache_ttl_seconds: float = Field(7 * 24 * 3600.0, ge=0)
    # Consecutive failed calls that open the provider's circuit breaker (calls then fail fast and
    # llm guidelines are reported not_run).
    breaker_failure_threshold: int = Field(5, ge=1)
    # How long an open breaker waits before letting a trial call through (half-open).
    breaker_reset_seconds: float = Field(60.0, gt=0)
    # Successful trial calls that close the breaker again.
    breaker_success_threshold: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _provider_needs(self) -> Self:
        if self.provider is LlmProvider.NONE:
            return self
        if not self.model and self.provider is not LlmProvider.AZURE_OPENAI:
            raise ValueError(f"llm.model is required for provider '{self.provider}'")
        if (
            self.provider in (LlmProvider.OPENAI_COMPATIBLE, LlmProvider.AZURE_OPENAI)
            and self.base_url is None
        ):
            raise ValueError(f"llm.base_url is required for provider '{self.provider}'")
        return self


def mask_url_password(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages and reprs."""
    if url_password(url) is None:
        return url
    scheme, _, rest = url.partition("://")
    userinfo, _, host = rest.rpartition("@")
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


class _MasksUrlPasswords(BaseModel):
    """``repr``/``str`` of a settings group whose ``*url`` fields may carry a password."""

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name is not None and name.endswith("url") and isinstance(value, str):
                yield name, mask_url_password(value)
            else:
                yield name, value


class PipelineSettings(_MasksUrlPasswords):
    """How a check runs: checkpoints, concurrency and time limits of its branches."""

    # Where LangGraph checkpoints are kept, so an interrupted check resumes.
    # None: SQLite at {data_dir}/checkpoints.db (its own file, WAL); postgresql://… in
    # production. The job id is the checkpoint thread id.
    checkpoint_url: str | None = None
    # Guideline branches one check runs at once.
    max_branches_per_job: int = Field(16, ge=1)
    # Guideline branches all checks in one worker process run at once.
    max_branches_per_process: int = Field(256, ge=1)
    # Time limit of one guideline branch:
    # rule and gtc branches; llm branches use llm.branch_timeout_seconds.
    branch_timeout_seconds: float = Field(120.0, gt=0)
    # SQLite checkpoint store: how long a write waits for the lock.
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)


class TrackingSettings(BaseModel):
    """MLflow: one run per job, one experiment per guideline set."""

    # Log one MLflow run per job (a failure to log never fails the job).
    enabled: bool = True
    # The MLflow tracking store or server.
    # None: SQLite at {data_dir}/mlflow.db (its own file); any MLflow URI otherwise.
    mlflow_tracking_uri: str | None = None
    # Where MLflow artifacts are written.
    # None: {data_dir}/mlflow-artifacts.
    mlflow_artifact_root: Path | None = None
    # MLflow experiment name prefix; the guideline set id follows it.
    experiment_prefix: str = "guideline-set/"


# Drivers the storage layer is written and tested against; anything else fails at start-up
# with a clear message instead of at the first query.
_DATABASE_SCHEMES = {
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite": "sqlite+aiosqlite",
}
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# A browser origin: scheme, host and optional port; nothing else (CORS compares exactly).
_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(?::[0-9]{1,5})?")


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings and return the async-driver URL the storage layer uses.

    ``postgres://`` and ``postgresql://`` (what cloud consoles print) become
    ``postgresql+psycopg://``; ``sqlite://`` becomes ``sqlite+aiosqlite://``. Other drivers
    (asyncpg, psycopg2, mysql …) are refused: only psycopg 3 and aiosqlite are supported.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not rest:
        raise ValueError(
            # Not echoed: without a scheme, "user:password@host" is not recognised as one.
            "the value is not a database URL (no scheme://); expected e.g. "
            "postgresql+psycopg://user@host/db or sqlite+aiosqlite:///path/file.db"
        )
    target = _DATABASE_SCHEMES.get(scheme.lower())
    if target is None:
        raise ValueError(
            f"unsupported database driver '{scheme}'; use postgresql+psycopg:// "
            "(PostgreSQL, psycopg 3) or sqlite+aiosqlite:// (SQLite)"
        )
    if target.startswith("postgresql") and rest.startswith("/"):
        raise ValueError("a PostgreSQL URL needs a host: postgresql+psycopg://user@host:5432/db")
    return f"{target}://{rest}"


def url_password(url: str) -> str | None:
    """The password part of a ``scheme://user:password@host`` URL, if any."""
    _, _, rest = url.partition("://")
    userinfo, at, _ = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1]


class DatabaseSettings(_MasksUrlPasswords):
    """The application database (jobs, results, feedback, guideline sets, API keys)."""

    # postgresql+psycopg://user:password@host:5432/db (postgres:// and postgresql:// accepted) or
    # sqlite+aiosqlite:///path/file.db.
    # None: SQLite at {data_dir}/compliance.db (filled in by Settings, which knows data_dir).
    url: str | None = None
    # Optional replica for analytics and listings; writes always go to ``url``.
    read_url: str | None = None
    # Connections a process keeps open (PostgreSQL).
    pool_size: int = Field(10, ge=1)
    # Extra connections a process may open under load, above pool_size.
    max_overflow: int = Field(10, ge=0)
    # How long a unit of work waits for a free pooled connection before failing.
    pool_timeout_seconds: float = Field(30.0, gt=0)
    # Connections older than this are replaced (-1: never); keep it below idle timeouts of the
    # server or PgBouncer.
    pool_recycle_seconds: int = Field(1800, ge=-1)
    # Test a pooled connection before use, so a restarted or failed-over database costs no request.
    pool_pre_ping: bool = True
    # Only connections idle at least this long are tested (0: every checkout). One returned a
    # moment ago was just working; testing it costs a round trip on every unit of work.
    pre_ping_after_idle_seconds: float = Field(1.0, ge=0)
    # True behind PgBouncer in transaction pooling mode (psycopg prepare_threshold=None).
    disable_prepared_statements: bool = False
    # SQLite (embedded): how long a write waits for the database lock.
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)
    # Log every SQL statement (debugging only; never in production).
    echo: bool = False

    @field_validator("url", "read_url")
    @classmethod
    def _supported_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_database_url(value)


class RedisSettings(_MasksUrlPasswords):
    """Cache and job events. No URL: an in-process cache and broadcast (embedded mode)."""

    # redis://host:6379/0, rediss://… (TLS) or unix:///path; unset: in-process cache and events, for
    # one process only (embedded mode).
    url: str | None = None
    # Prepended to every key and channel, so environments can share one Redis.
    key_prefix: str = ""
    # Timeout of one Redis command.
    socket_timeout_seconds: float = Field(1.0, gt=0)
    # Timeout of connecting to Redis.
    connect_timeout_seconds: float = Field(1.0, gt=0)

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(_REDIS_SCHEMES):
            raise ValueError(
                f"'{value.split('://')[0]}://…' is not a Redis URL; expected "
                "redis://host:6379/0, rediss://… (TLS) or unix:///path"
            )
        return value.strip()


class BlobBackend(StrEnum):
    LOCAL = "local"
    AZURE = "azure"


class BlobSettings(BaseModel):
    """Where articles, reports and cached GTC PDFs are stored (separate key prefixes)."""

    # local (files under local_root) or azure (Azure Blob Storage).
    backend: BlobBackend = BlobBackend.LOCAL
    # Folder of the local backend.
    # None: {data_dir}/blobs (filled in by Settings).
    local_root: Path | None = None
    # Azure Storage connection string (account key or SAS).
    azure_connection_string: SecretStr | None = None
    # Alternative to the connection string: an account URL carrying a SAS token.
    azure_account_url: AnyHttpUrl | None = None
    # The Blob container holding articles, reports and GTC documents.
    azure_container: str = "compliance"
    # Retries of one Blob Storage request (exponential backoff from
    # azure_retry_initial_seconds). The SDK's own default (backoff from 15 s, growing by powers
    # of 3) would hold a submit open far past any client timeout while storage is unreachable.
    azure_retry_total: int = Field(2, ge=0)
    # First wait before retrying a blob request; later waits add 2^attempt seconds.
    azure_retry_initial_seconds: float = Field(0.5, ge=0)
    # Seconds to connect to Blob Storage.
    azure_connection_timeout_seconds: float = Field(5.0, gt=0)
    # Seconds to wait for data from Blob Storage on an open connection.
    azure_read_timeout_seconds: float = Field(30.0, gt=0)
    # Key prefix of submitted articles (deleted after retention.articles_days).
    articles_prefix: str = "articles/"
    # Key prefix of rendered reports (kept).
    reports_prefix: str = "reports/"
    # Key prefix of cached GTC documents (fetched again after retention.gtc_pdf_days).
    gtc_prefix: str = "gtc/"

    def azure_client_options(self) -> dict[str, Any]:
        """Keyword arguments for every ``BlobServiceClient`` built from these settings."""
        # The azure extra, like its callers; every client of ours is the asyncio one.
        from azure.storage.blob.aio import ExponentialRetry

        return {
            "retry_policy": ExponentialRetry(
                initial_backoff=self.azure_retry_initial_seconds,  # type: ignore[arg-type]  # floats work; the SDK annotates int
                increment_base=2,
                retry_total=self.azure_retry_total,
                random_jitter_range=1,
            ),
            "connection_timeout": self.azure_connection_timeout_seconds,
            "read_timeout": self.azure_read_timeout_seconds,
        }

    @field_validator("azure_container")
    @classmethod
    def _container_name(cls, value: str) -> str:
        # Azure's rule: 3–63 lowercase letters, digits and single inner hyphens.
        if not re.fullmatch(r"[a-z0-9](?:-?[a-z0-9]){2,62}", value):
            raise ValueError(
                f"'{value}' is not a valid Azure container name (3-63 lowercase "
                "letters, digits and single hyphens, not at either end)"
            )
        return value

    @field_validator("articles_prefix", "reports_prefix", "gtc_prefix")
    @classmethod
    def _folder_prefix(cls, value: str) -> str:
        if not re.fullmatch(r"(?:[A-Za-z0-9][A-Za-z0-9._=@+-]*/)+", value):
            raise ValueError(
                f"blob prefix '{value}' must be folder names ending in '/', e.g. 'articles/'"
            )
        return value

    @model_validator(mode="after")
    def _backend_needs(self) -> Self:
        if (
            self.backend is BlobBackend.AZURE
            and self.azure_connection_string is None
            and self.azure_account_url is None
        ):
            raise ValueError(
                "blob.backend 'azure' needs blob.azure_connection_string or blob.azure_account_url"
            )
        prefixes = [self.articles_prefix, self.reports_prefix, self.gtc_prefix]
        for i, first in enumerate(prefixes):
            for j, second in enumerate(prefixes):
                if i != j and second.startswith(first):
                    raise ValueError(
                        f"blob prefixes must not nest: '{second}' is inside "
                        f"'{first}' (retention would delete the wrong blobs)"
                    )
        return self


class RetentionSettings(BaseModel):
    """How long stored copies live. Results and reports are kept; articles are not."""

    # Submitted articles (blobs and checkpoints) are deleted after this many days.
    articles_days: int = Field(180, ge=1)
    # Cached GTC documents older than this many days are fetched again.
    gtc_pdf_days: int = Field(30, ge=1)
    # Hours an Idempotency-Key answers with its first job (a reused key after that is new).
    idempotency_hours: int = Field(24, ge=1)
    # A submission equal to a queued, processing or completed job of the same tenant within this
    # window returns that job (0: never).
    dedupe_window_seconds: int = Field(3600, ge=0)
    # Audit events older than this are purged by the retention task (docs/security.md).
    audit_days: int = Field(365, ge=1)


class GtcSettings(BaseModel):
    """Where GTC documents come from (DESIGN §2): a local library (embedded default) and/or the
    Smart Search API with a secondary endpoint for failover. With both, the library is the
    fallback when Smart Search is down and nothing is cached."""

    # A local GTC library folder: the source in embedded mode, the fallback beside Smart Search.
    library_path: Path | None = None
    # Base URL of the primary Smart Search API (needs smart_search_api_key).
    smart_search_url: AnyHttpUrl | None = None
    # A second Smart Search endpoint, used when the primary fails (failover).
    smart_search_secondary_url: AnyHttpUrl | None = None
    # The Smart Search API key.
    smart_search_api_key: SecretStr | None = None
    # Timeout of one Smart Search search request.
    search_timeout_seconds: float = Field(10.0, gt=0)
    # Timeout of one GTC document download.
    download_timeout_seconds: float = Field(30.0, gt=0)
    # Timeout of connecting to Smart Search.
    connect_timeout_seconds: float = Field(5.0, gt=0)
    # HTTP connections to Smart Search per process.
    max_connections: int = Field(20, ge=1)
    # Idle connections to Smart Search kept open per process.
    max_keepalive_connections: int = Field(10, ge=0)
    # Attempts per Smart Search request; transient errors are retried with backoff.
    retry_attempts: int = Field(3, ge=1)
    # First backoff wait between Smart Search attempts.
    retry_initial_seconds: float = Field(1.0, gt=0)
    # Longest backoff wait between Smart Search attempts.
    retry_max_seconds: float = Field(30.0, gt=0)
    # Consecutive failures that open an endpoint's circuit breaker.
    breaker_failure_threshold: int = Field(5, ge=1)
    # How long an open endpoint breaker waits before a trial request (half-open).
    breaker_reset_seconds: float = Field(60.0, gt=0)
    # Successful trial requests that close an endpoint breaker again.
    breaker_success_threshold: int = Field(2, ge=1)
    # Requests per second to Smart Search across all processes (Redis token bucket when
    # redis.url is set, else per process), and the burst the bucket holds.
    rate_limit_per_second: float = Field(100.0, gt=0)
    # Requests the bucket lets through at once above the steady rate.
    rate_limit_burst: int = Field(200, ge=1)
    # How long Smart Search search answers (document metadata) are cached.
    metadata_ttl_seconds: int = Field(3600, ge=1)
    # How long a GTC document's download location is cached.
    location_ttl_seconds: int = Field(86400, ge=1)
    # Documents one Smart Search search asks for at most.
    search_limit: int = Field(5, ge=1, le=50)
    # GTC documents of at most this many products are checked for one article.
    max_documents: int = Field(3, ge=1, le=20)
    # Send claims the comparison cannot decide to the model.
    # Claims the deterministic comparison cannot decide go to the configured LLM (llm.*), at
    # most this many per check; without an LLM (or with llm_judging off) they stay undecided.
    llm_judging: bool = True
    # Claims sent to the model per check at most; the rest stay undecided.
    llm_max_claims: int = Field(10, ge=1, le=100)

    @model_validator(mode="after")
    def _smart_search_needs(self) -> Self:
        if self.smart_search_secondary_url is not None and self.smart_search_url is None:
            raise ValueError("gtc.smart_search_secondary_url needs gtc.smart_search_url")
        if self.smart_search_url is not None and self.smart_search_api_key is None:
            raise ValueError("gtc.smart_search_url needs gtc.smart_search_api_key")
        return self


# Public-key algorithms only: HS* would need a secret shared with the issuer, "none" is no
# signature at all.
_OIDC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class OidcSettings(BaseModel):
    """People signing in with OIDC bearer JWTs (Microsoft Entra ID or any OIDC issuer).

    Enabled by ``issuer``; then authentication is required on every request.
    """

    # The OIDC issuer; setting it turns sign-in on.
    # e.g. https://login.microsoftonline.com/<tenant-id>/v2.0 (the token's exact ``iss``).
    issuer: str | None = None
    # Accepted ``aud`` values (the API's application id URI and/or client id).
    audience: list[str] = Field(default_factory=list)
    # Where the signing keys are; read from ``{issuer}/.well-known/openid-configuration``
    # when unset.
    jwks_url: AnyHttpUrl | None = None
    # Accepted JWT signature algorithms (public-key algorithms only).
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    # Clock skew allowed when checking exp, nbf and iat.
    leeway_seconds: float = Field(60.0, ge=0, le=600)
    # The claim naming the tenant (Entra ID: tid).
    tenant_claim: str = "tid"
    # The first present claim names the user (Entra: ``oid`` is stable, ``sub`` per app).
    user_claims: list[str] = Field(default_factory=lambda: ["oid", "sub"], min_length=1)
    # The claim listing the user's roles (writer, reviewer, admin).
    roles_claim: str = "roles"
    # Single-tenant issuers: every token acts for this tenant (no tenant claim needed).
    fixed_tenant: str | None = None
    # Signing keys are re-read after this long, and at most this often on an unknown ``kid``.
    jwks_cache_seconds: float = Field(3600.0, gt=0)
    # Shortest interval between two key refreshes caused by an unknown kid.
    jwks_min_refresh_seconds: float = Field(30.0, ge=0)
    # Timeout of fetching the issuer's discovery document and signing keys.
    http_timeout_seconds: float = Field(5.0, gt=0)

    @property
    def enabled(self) -> bool:
        return self.issuer is not None

    @field_validator("algorithms")
    @classmethod
    def _public_key_algorithms(cls, value: list[str]) -> list[str]:
        refused = [alg for alg in value if alg not in _OIDC_ALGORITHMS]
        if refused or not value:
            raise ValueError(
                f"api.oidc.algorithms allows only {sorted(_OIDC_ALGORITHMS)}; "
                f"refused: {refused or 'an empty list'}"
            )
        return value

    @model_validator(mode="after")
    def _audience_with_issuer(self) -> Self:
        if self.issuer is not None and not self.audience:
            raise ValueError("api.oidc.issuer needs api.oidc.audience (the accepted aud values)")
        return self


DEFAULT_RATE_LIMITS = {
    "submit": "500/minute",
    "read": "500/minute",
    "write": "500/minute",
    "admin": "500/minute",
}


class ApiSettings(BaseModel):
    """The HTTP API (``compliance serve`` / ``compliance api``)."""

    # Interface the API binds (0.0.0.0 in containers; a non-loopback bind requires API keys).
    host: str = "127.0.0.1"
    # Port the API listens on.
    port: int = Field(8000, ge=0, le=65535)
    # Absolute base for links in responses (e.g. https://compliance.example.com); relative
    # links ("/api/v1/jobs/…") when unset.
    public_url: AnyHttpUrl | None = None
    # API keys are always required in production and on a non-loopback bind; this forces
    # them on loopback too.
    require_api_keys: bool = False
    # Server-side secret mixed into API key hashes (>= 16 bytes). Embedded mode generates
    # one under data_dir when unset; production must set it.
    api_key_pepper: SecretStr | None = None
    # A verified API key is trusted this long in-process: revocation takes up to this long.
    auth_cache_seconds: float = Field(30.0, ge=0)
    # Requests per user (tenant + user) by route group, in the `limits` notation
    # ("60/minute", "10/second;500/minute"); "" switches a group off. Groups: submit (POST
    # /compliance/check), read (GET), write (other changes), admin (/admin/*). Counted in
    # Redis when redis.url is set (all replicas together), else in-process.
    rate_limits: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    # Older spelling of rate_limits["submit"] (per minute, 0: unlimited); overrides it.
    submit_rate_per_minute: int | None = Field(None, ge=0)
    # Interval of keep-alive comments on an event stream, so proxies keep it open.
    sse_keepalive_seconds: float = Field(15.0, gt=0)
    # How often an SSE stream re-reads the status when no event arrives (missed events).
    sse_poll_seconds: float = Field(2.0, gt=0)
    # The add-in is served same-origin; list origins only when it is hosted elsewhere.
    # A JSON list or comma-separated; exact origins (scheme://host[:port]), no wildcard.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Tenant of requests without credentials when API keys are not required (loopback development).
    local_tenant: str = "local"
    # People's sign-in (bearer JWTs); API keys keep working beside it.
    oidc: OidcSettings = Field(default_factory=OidcSettings)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: list[str]) -> list[str]:
        origins = []
        for origin in value:
            normalised = origin.strip().rstrip("/").lower()
            if not _ORIGIN.fullmatch(normalised):
                raise ValueError(
                    f"'{origin}' is not an origin: list each allowed origin exactly, as "
                    "https://host or https://host:port (no path, no wildcard)"
                )
            origins.append(normalised)
        return origins

    @field_validator("rate_limits")
    @classmethod
    def _known_rate_limits(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(DEFAULT_RATE_LIMITS))
        if unknown:
            raise ValueError(
                f"unknown rate-limit group(s) {', '.join(unknown)}; the groups are "
                f"{', '.join(DEFAULT_RATE_LIMITS)}"
            )
        for group, spec in value.items():
            if spec.strip():
                try:
                    parse_many(spec)
                except ValueError:
                    raise ValueError(
                        f"rate_limits.{group} '{spec}' is not a rate such as '60/minute' or "
                        "'10/second;500/minute'"
                    ) from None
        return {**DEFAULT_RATE_LIMITS, **value}

    @model_validator(mode="after")
    def _legacy_submit_rate(self) -> Self:
        if self.submit_rate_per_minute is not None:
            per_minute = self.submit_rate_per_minute
            self.rate_limits["submit"] = f"{per_minute}/minute" if per_minute else ""
        return self


class WorkerSettings(BaseModel):
    """Job execution: ``compliance worker`` and the in-process worker of ``compliance serve``."""

    # Jobs run at once in one worker process.
    concurrency: int = Field(4, ge=1)
    # A job running longer is failed with JOB_TIMEOUT.
    job_timeout_seconds: float = Field(300.0, gt=0)
    # Attempts per job, counting deliveries after a crash and retries of transient errors.
    max_attempts: int = Field(3, ge=1)
    # First backoff wait before a job is retried after a transient error.
    retry_initial_seconds: float = Field(1.0, gt=0)
    # Longest backoff wait between two attempts of a job.
    retry_max_seconds: float = Field(30.0, gt=0)
    # A running job refreshes its heartbeat this often; one silent for stalled_after_seconds
    # belongs to a dead worker and is re-queued by the sweep.
    heartbeat_seconds: float = Field(5.0, gt=0)
    # A processing job silent this long is taken for a dead worker's and re-queued (at least twice
    # heartbeat_seconds).
    stalled_after_seconds: float = Field(30.0, gt=0)
    # How often each worker runs the recovery sweep (stalled jobs, lost queue entries).
    sweep_interval_seconds: float = Field(15.0, gt=0)
    # A queued job older than this with no queue entry is enqueued again.
    requeue_after_seconds: float = Field(30.0, gt=0)
    # Embedded mode: how often retention runs (production workers run it hourly as a periodic task).
    retention_interval_seconds: float = Field(3600.0, gt=0)
    # The Procrastinate queue jobs go through (PostgreSQL mode).
    queue_name: str = "checks"
    # Seconds a stopping worker waits for running jobs before handing them back.
    shutdown_grace_seconds: float = Field(10.0, ge=0)
    # `compliance worker` serves Prometheus metrics on this port (0: no metrics server).
    metrics_port: int = Field(9464, ge=0, le=65535)
    # Interface of the worker's metrics server.
    # All interfaces: Prometheus scrapes the worker from outside its container.
    metrics_host: str = "0.0.0.0"

    @model_validator(mode="after")
    def _heartbeat_shorter_than_stall(self) -> Self:
        if self.heartbeat_seconds * 2 > self.stalled_after_seconds:
            raise ValueError(
                "worker.stalled_after_seconds must be at least twice worker.heartbeat_seconds, "
                "or live jobs would be taken for stalled ones"
            )
        return self


class LogFormat(StrEnum):
    AUTO = "auto"  # JSON lines in production, readable console otherwise
    JSON = "json"
    CONSOLE = "console"


class LogSettings(BaseModel):
    """Log output (docs/observability.md); the level is the root ``log_level``."""

    # auto: JSON lines in production, readable console lines otherwise; or json / console.
    format: LogFormat = LogFormat.AUTO


class ObservabilitySettings(BaseModel):
    """Traces (OpenTelemetry). Off unless an OTLP endpoint is configured here or in the
    standard ``OTEL_EXPORTER_OTLP_ENDPOINT``."""

    # Base URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318 (/v1/traces added).
    otlp_endpoint: str | None = None
    # Prefix of the traces' service.name: <name>-api, <name>-worker or <name>-serve.
    service_name: str = "compliance-assistant"
    # Fraction of new traces recorded (a sampled parent's decision is always followed).
    trace_sample_ratio: float = Field(1.0, ge=0, le=1)
    # FastAPI's own spans for each dependency, the endpoint and serialization (about ten
    # more per request, each exported): off keeps one server span per request plus ours.
    trace_operation_spans: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMPLIANCE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # development (embedded defaults, console logs), test or production (JSON logs, API keys
    # required); outside development placeholder secrets are refused.
    environment: Environment = Environment.DEVELOPMENT
    # Where embedded mode keeps its SQLite databases, blobs, checkpoints and MLflow store (the
    # default of database.url, blob.local_root, pipeline.checkpoint_url …).
    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".local" / "share" / "compliance-assistant"
    )
    # Root log level: DEBUG, INFO, WARNING, ERROR or CRITICAL.
    log_level: str = "INFO"
    log: LogSettings = Field(default_factory=LogSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    blob: BlobSettings = Field(default_factory=BlobSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    gtc: GtcSettings = Field(default_factory=GtcSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    # Azure Key Vault holding the secrets (config_secrets.KEY_VAULT_SETTINGS); values set
    # in the environment or .env win over the vault's.
    key_vault_url: AnyHttpUrl | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        vault = KeyVaultSettingsSource(settings_cls)
        return init_settings, env_settings, dotenv_settings, vault, file_secret_settings

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level '{value}'")
        return upper

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Self:
        if self.environment is Environment.DEVELOPMENT:
            return self
        for name, secret in self.secrets().items():
            if secret is not None and is_placeholder_secret(secret.get_secret_value()):
                raise ValueError(
                    f"{name} holds a placeholder value; set a real secret or "
                    f"unset it (environment is '{self.environment}')"
                )
        return self

    @model_validator(mode="after")
    def _storage_defaults(self) -> Self:
        """Place the embedded database and blobs under data_dir unless configured elsewhere."""
        if self.database.url is None:
            self.database.url = f"sqlite+aiosqlite:///{self.data_dir / 'compliance.db'}"
        if self.blob.local_root is None:
            self.blob.local_root = self.data_dir / "blobs"
        if self.environment is not Environment.DEVELOPMENT:
            urls = {
                "database.url": self.database.url,
                "database.read_url": self.database.read_url,
                "redis.url": self.redis.url,
            }
            for name, url in urls.items():
                password = url_password(url) if url else None
                if password is not None and is_placeholder_secret(password):
                    raise ValueError(
                        f"{name} has a placeholder password; set a real one "
                        f"(environment is '{self.environment}')"
                    )
        return self

    def secrets(self) -> dict[str, SecretStr | None]:
        """Every secret setting by dotted name, so checks and log scrubbing see all of them."""
        return {
            "llm.api_key": self.llm.api_key,
            "llm.azure_ad_token": self.llm.azure_ad_token,
            "blob.azure_connection_string": self.blob.azure_connection_string,
            "gtc.smart_search_api_key": self.gtc.smart_search_api_key,
            "api.api_key_pepper": self.api.api_key_pepper,
        }


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; a problem becomes an InputError naming each bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are validated here
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            env_name = "COMPLIANCE_" + "__".join(str(p).upper() for p in error["loc"])
            problems.append(f"{location} ({env_name}): {message}")
        raise InputError("Invalid configuration: " + "; ".join(problems)) from None
    except SettingsError as exc:
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise InputError(f"Invalid configuration: {exc}{cause}") from None
