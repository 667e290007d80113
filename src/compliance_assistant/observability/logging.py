"""Logging: structlog over the standard library, one configuration for every entry point.

``configure_logging(settings)`` (called by ``compliance serve | api | worker`` and the ASGI
factories) routes every ``logging.getLogger(...)`` record and every structlog logger through
the same processors:

* context — ``correlation_id``, ``tenant_id``, ``job_id`` (bound with :func:`bind_request`,
  :func:`bind_tenant` and :func:`job_context` through contextvars) and the current
  ``trace_id``/``span_id``;
* redaction (:func:`redact`) — fields that carry article text are dropped, secret-named
  fields are masked, and anything that looks like a secret (API keys, bearer tokens, URL
  passwords, connection-string keys, the configured secrets themselves) is masked in every
  string, the message and tracebacks included;
* rendering — one JSON object per line in production (or ``log.format=json``), a readable
  console line otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, reset_contextvars
from structlog.typing import EventDict, Processor, WrappedLogger

from compliance_assistant.config import Environment, LogFormat, Settings, url_password
from compliance_assistant.observability.tracing import current_ids

REDACTED = "[redacted]"
# Keys whose values are (or may be) article text: never logged, whatever their size.
TEXT_FIELDS = frozenset(
    {
        "article",
        "article_text",
        "text",
        "quote",
        "quotes",
        "replacement",
        "content",
        "body",
        "payload",
        "document",
        "passage",
        "excerpt",
        "markdown",
        "html",
        "prompt",
        "messages",
    }
)
_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authorization|cookie|pepper|credential|"
    r"connection[_-]?string|private[_-]?key",
    re.IGNORECASE,
)
_SECRET_PATTERNS = (
    # Our API keys (ca_<prefix>_<secret>) and common provider keys.
    re.compile(r"\bca_[A-Za-z0-9]+_[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{8,}"),
    # JSON web tokens.
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    # Connection strings and SAS tokens: AccountKey=…; sig=…; password=…
    re.compile(r"(?i)\b(accountkey|sharedaccesskey|sig|password|pwd)=[^;&\s\"']+"),
)
# user:password@ in URLs: keep the user, mask the password.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s/]+@")

_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
# ``logger.info(..., extra={...})`` fields that become fields of the line.
EXTRA_FIELDS = (
    "job_id",
    "tenant_id",
    "correlation_id",
    "guideline_id",
    "attempt",
    "outcome",
    "duration_seconds",
    "status_code",
)


class Redactor:
    """The redaction processor; ``known_secrets`` are masked wherever they appear."""

    def __init__(self, known_secrets: tuple[str, ...] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self.known_secrets = tuple(sorted({s for s in known_secrets if len(s) >= 6}, key=len))[::-1]

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        return self.clean(event_dict)

    def clean(self, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            value = event_dict[key]
            if key in TEXT_FIELDS:
                del event_dict[key]
            elif key != "event" and _SECRET_KEY.search(key):
                event_dict[key] = REDACTED
            else:
                event_dict[key] = self._value(value)
        return event_dict

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return self.clean(dict(value))
        if isinstance(value, list | tuple):
            return [self._value(item) for item in value]
        return value

    def mask(self, text: str) -> str:
        for secret in self.known_secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)


def redact(event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Redact one event (no configured secrets): what the processor does, for callers."""
    return Redactor().clean(event_dict)


def _add_trace_ids(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    ids = current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def _known_secrets(settings: Settings) -> tuple[str, ...]:
    values = [s.get_secret_value() for s in settings.secrets().values() if s is not None]
    for url in (settings.database.url, settings.database.read_url, settings.redis.url):
        password = url_password(url) if url else None
        if password:
            values.append(password)
    return tuple(values)


def wants_json(settings: Settings) -> bool:
    chosen = settings.log.format
    if chosen is LogFormat.AUTO:
        return settings.environment is Environment.PRODUCTION
    return chosen is LogFormat.JSON


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Route stdlib logging and structlog through the shared processors (see module doc).
    Replaces the root logger's handlers; safe to call again (tests, re-configuration)."""
    json_lines = wants_json(settings)
    redactor = Redactor(_known_secrets(settings))
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(allow=EXTRA_FIELDS),
        _add_trace_ids,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    level = settings.log_level if settings.log_level in _LEVELS else "INFO"
    root.setLevel(level)
    # The Azure SDK logs every HTTP request and response at INFO; httpx every request.
    quiet = max(logging.WARNING, logging.getLevelName(level))
    for name in ("azure", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(quiet)
    # uvicorn's own handlers would bypass ours (the CLI also passes log_config=None).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        # `--no-access-log` leaves uvicorn.access without handlers and not propagating:
        # that is a choice to keep, not a default to take over.
        switched_off = not uvicorn_logger.handlers and not uvicorn_logger.propagate
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = not (name == "uvicorn.access" and switched_off)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# -- context ----------------------------------------------------------------------------------


def bind_request(correlation_id: str) -> Mapping[str, Any]:
    """Bind the request's correlation id; pass the result to :func:`unbind_request`."""
    return bind_contextvars(correlation_id=correlation_id)


def bind_tenant(tenant_id: str) -> None:
    """Bind the authenticated tenant for the rest of the request (undone by
    :func:`unbind_request`)."""
    bind_contextvars(tenant_id=tenant_id)


def unbind_request(tokens: Mapping[str, Any]) -> None:
    structlog.contextvars.unbind_contextvars("tenant_id")
    reset_contextvars(**tokens)


@contextlib.contextmanager
def job_context(
    *, job_id: str, tenant_id: str, correlation_id: str | None = None
) -> Iterator[None]:
    """Every log line in the block carries the job's ids."""
    values = {"job_id": job_id, "tenant_id": tenant_id}
    if correlation_id:
        values["correlation_id"] = correlation_id
    with bound_contextvars(**values):
        yield
