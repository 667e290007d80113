"""Settings: one validated root, read at the edges only (CLI, app factory, worker start-up).

Environment variables use the prefix ``COMPLIANCE_`` and ``__`` between nested groups, e.g.
``COMPLIANCE_LLM__PROVIDER=openai`` or ``COMPLIANCE_LIMITS__MAX_TEXT_CHARS=800000``. A ``.env``
file in the working directory is read too.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

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
    max_text_chars: int = Field(500_000, ge=1)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1)
    max_json_bytes: int = Field(4 * 1024 * 1024, ge=1)


class CatalogSettings(BaseModel):
    """Where guideline sets and Vale styles are found, besides the shipped ones."""

    # NoDecode: a colon-separated string, like PATH, rather than JSON.
    guidelines_path: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    styles_path: Annotated[list[Path], NoDecode] = Field(default_factory=list)
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
    provider: LlmProvider = LlmProvider.NONE
    model: str | None = None
    base_url: AnyHttpUrl | None = None
    api_key: SecretStr | None = None
    azure_deployment: str | None = None
    azure_api_version: str | None = None
    timeout_seconds: float = Field(60.0, gt=0)
    # -- the judge in the check pipeline (docs/llm.md) --
    # Entra ID instead of a key for Azure OpenAI: a static token, or DefaultAzureCredential
    # (package azure-identity) when azure_entra_id is true.
    azure_ad_token: SecretStr | None = None
    azure_entra_id: bool = False
    # How the answer is structured: auto picks per provider (json_schema for OpenAI/Azure and
    # OpenAI-compatible servers, tool use for Anthropic).
    structured_output: StructuredOutput = StructuredOutput.AUTO
    temperature: float = Field(0.0, ge=0, le=2)
    max_output_tokens: int = Field(2048, ge=1)
    # Shared by all workers through Redis when redis.url is set, else per process.
    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(None, ge=1)
    # Model calls in flight at once in one worker process.
    max_concurrency: int = Field(16, ge=1)
    max_attempts: int = Field(4, ge=1)
    retry_max_wait_seconds: float = Field(30.0, gt=0)
    # One llm guideline, retries and the re-ask included.
    branch_timeout_seconds: float = Field(300.0, gt=0)
    price_input_per_1k_tokens: float = Field(0.0, ge=0)
    price_output_per_1k_tokens: float = Field(0.0, ge=0)
    # 0 turns the verdict cache off.
    verdict_cache_ttl_seconds: float = Field(7 * 24 * 3600.0, ge=0)
    breaker_failure_threshold: int = Field(5, ge=1)
    breaker_reset_seconds: float = Field(60.0, gt=0)
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


class PipelineSettings(BaseModel):
    """How a check runs: checkpoints, concurrency and time limits of its branches."""

    # None: SQLite at {data_dir}/checkpoints.db (its own file, WAL); postgresql://… in
    # production. The job id is the checkpoint thread id.
    checkpoint_url: str | None = None
    max_branches_per_job: int = Field(16, ge=1)
    max_branches_per_process: int = Field(256, ge=1)
    # rule and gtc branches; llm branches use llm.branch_timeout_seconds.
    branch_timeout_seconds: float = Field(120.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)


class TrackingSettings(BaseModel):
    """MLflow: one run per job, one experiment per guideline set."""

    enabled: bool = True
    # None: SQLite at {data_dir}/mlflow.db (its own file); any MLflow URI otherwise.
    mlflow_tracking_uri: str | None = None
    # None: {data_dir}/mlflow-artifacts.
    mlflow_artifact_root: Path | None = None
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


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings and return the async-driver URL the storage layer uses.

    ``postgres://`` and ``postgresql://`` (what cloud consoles print) become
    ``postgresql+psycopg://``; ``sqlite://`` becomes ``sqlite+aiosqlite://``. Other drivers
    (asyncpg, psycopg2, mysql …) are refused: only psycopg 3 and aiosqlite are supported.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not rest:
        raise ValueError(
            f"'{url}' is not a database URL; expected e.g. "
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


class DatabaseSettings(BaseModel):
    """The application database (jobs, results, feedback, guideline sets, API keys)."""

    # None: SQLite at {data_dir}/compliance.db (filled in by Settings, which knows data_dir).
    url: str | None = None
    # Optional replica for analytics and listings; writes always go to ``url``.
    read_url: str | None = None
    pool_size: int = Field(10, ge=1)
    max_overflow: int = Field(10, ge=0)
    pool_timeout_seconds: float = Field(30.0, gt=0)
    pool_recycle_seconds: int = Field(1800, ge=-1)
    pool_pre_ping: bool = True
    # True behind PgBouncer in transaction pooling mode (psycopg prepare_threshold=None).
    disable_prepared_statements: bool = False
    sqlite_busy_timeout_ms: int = Field(5000, ge=0)
    echo: bool = False

    @field_validator("url", "read_url")
    @classmethod
    def _supported_url(cls, value: str | None) -> str | None:
        return None if value is None else normalise_database_url(value)


class RedisSettings(BaseModel):
    """Cache and job events. No URL: an in-process cache and broadcast (embedded mode)."""

    url: str | None = None
    # Prepended to every key and channel, so environments can share one Redis.
    key_prefix: str = ""
    socket_timeout_seconds: float = Field(1.0, gt=0)
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

    backend: BlobBackend = BlobBackend.LOCAL
    # None: {data_dir}/blobs (filled in by Settings).
    local_root: Path | None = None
    azure_connection_string: SecretStr | None = None
    # Alternative to the connection string: an account URL carrying a SAS token.
    azure_account_url: AnyHttpUrl | None = None
    azure_container: str = "compliance"
    articles_prefix: str = "articles/"
    reports_prefix: str = "reports/"
    gtc_prefix: str = "gtc/"

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

    articles_days: int = Field(180, ge=1)
    gtc_pdf_days: int = Field(30, ge=1)
    idempotency_hours: int = Field(24, ge=1)
    dedupe_window_seconds: int = Field(3600, ge=0)


class GtcSettings(BaseModel):
    """Where GTC documents come from (DESIGN §2): a local library (embedded default) and/or the
    Smart Search API with a secondary endpoint for failover. With both, the library is the
    fallback when Smart Search is down and nothing is cached."""

    library_path: Path | None = None
    smart_search_url: AnyHttpUrl | None = None
    smart_search_secondary_url: AnyHttpUrl | None = None
    smart_search_api_key: SecretStr | None = None
    search_timeout_seconds: float = Field(10.0, gt=0)
    download_timeout_seconds: float = Field(30.0, gt=0)
    connect_timeout_seconds: float = Field(5.0, gt=0)
    max_connections: int = Field(20, ge=1)
    max_keepalive_connections: int = Field(10, ge=0)
    retry_attempts: int = Field(3, ge=1)
    retry_initial_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(30.0, gt=0)
    breaker_failure_threshold: int = Field(5, ge=1)
    breaker_reset_seconds: float = Field(60.0, gt=0)
    breaker_success_threshold: int = Field(2, ge=1)
    # Requests per second to Smart Search across all processes (Redis token bucket when
    # redis.url is set, else per process), and the burst the bucket holds.
    rate_limit_per_second: float = Field(100.0, gt=0)
    rate_limit_burst: int = Field(200, ge=1)
    metadata_ttl_seconds: int = Field(3600, ge=1)
    location_ttl_seconds: int = Field(86400, ge=1)
    search_limit: int = Field(5, ge=1, le=50)
    # GTC documents of at most this many products are checked for one article.
    max_documents: int = Field(3, ge=1, le=20)

    @model_validator(mode="after")
    def _smart_search_needs(self) -> Self:
        if self.smart_search_secondary_url is not None and self.smart_search_url is None:
            raise ValueError("gtc.smart_search_secondary_url needs gtc.smart_search_url")
        if self.smart_search_url is not None and self.smart_search_api_key is None:
            raise ValueError("gtc.smart_search_url needs gtc.smart_search_api_key")
        return self


class ApiSettings(BaseModel):
    """The HTTP API (``compliance serve`` / ``compliance api``)."""

    host: str = "127.0.0.1"
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
    # Submissions per user per minute (0: unlimited); reads are served from cache.
    submit_rate_per_minute: int = Field(500, ge=0)
    sse_keepalive_seconds: float = Field(15.0, gt=0)
    # How often an SSE stream re-reads the status when no event arrives (missed events).
    sse_poll_seconds: float = Field(2.0, gt=0)
    # The add-in is served same-origin; list origins only when it is hosted elsewhere.
    cors_origins: list[str] = Field(default_factory=list)
    local_tenant: str = "local"


class WorkerSettings(BaseModel):
    """Job execution: ``compliance worker`` and the in-process worker of ``compliance serve``."""

    # Jobs run at once in one worker process.
    concurrency: int = Field(4, ge=1)
    # A job running longer is failed with JOB_TIMEOUT.
    job_timeout_seconds: float = Field(300.0, gt=0)
    # Attempts per job, counting deliveries after a crash and retries of transient errors.
    max_attempts: int = Field(3, ge=1)
    retry_initial_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(30.0, gt=0)
    # A running job refreshes its heartbeat this often; one silent for stalled_after_seconds
    # belongs to a dead worker and is re-queued by the sweep.
    heartbeat_seconds: float = Field(5.0, gt=0)
    stalled_after_seconds: float = Field(30.0, gt=0)
    sweep_interval_seconds: float = Field(15.0, gt=0)
    # A queued job older than this with no queue entry is enqueued again.
    requeue_after_seconds: float = Field(30.0, gt=0)
    retention_interval_seconds: float = Field(3600.0, gt=0)
    queue_name: str = "checks"
    # Seconds a stopping worker waits for running jobs before handing them back.
    shutdown_grace_seconds: float = Field(10.0, ge=0)

    @model_validator(mode="after")
    def _heartbeat_shorter_than_stall(self) -> Self:
        if self.heartbeat_seconds * 2 > self.stalled_after_seconds:
            raise ValueError(
                "worker.stalled_after_seconds must be at least twice worker.heartbeat_seconds, "
                "or live jobs would be taken for stalled ones"
            )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMPLIANCE_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".local" / "share" / "compliance-assistant"
    )
    log_level: str = "INFO"
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
