"""The logging configuration: JSON or console by environment, stdlib records routed through
structlog's processors, contextvars, and redaction of article text and secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from compliance_assistant.config import Settings
from compliance_assistant.observability.logging import (
    REDACTED,
    Redactor,
    configure_logging,
    job_context,
    redact,
    wants_json,
)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    structlog.reset_defaults()


def _configured(tmp_path: Path, **settings: Any) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(Settings(data_dir=tmp_path, **settings), stream=stream)
    return stream


def test_production_defaults_to_json_development_to_console(tmp_path: Path) -> None:
    assert wants_json(Settings(data_dir=tmp_path, environment="production"))
    assert not wants_json(Settings(data_dir=tmp_path))
    assert wants_json(Settings(data_dir=tmp_path, log={"format": "json"}))
    assert not wants_json(
        Settings(data_dir=tmp_path, environment="production", log={"format": "console"})
    )


def test_stdlib_records_become_json_lines_with_context(
    tmp_path: Path, restore_logging: None
) -> None:
    stream = _configured(tmp_path, log={"format": "json"})
    with job_context(job_id="j-1", tenant_id="t-1", correlation_id="c-1"):
        logging.getLogger("compliance_assistant.x").warning(
            "stalled %s", "job", extra={"attempt": 2}
        )
    structlog.get_logger("compliance_assistant.y").info("structlog too", answer=42)
    logging.getLogger("compliance_assistant.x").info("outside")
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "stalled job"
    assert first["level"] == "warning"
    assert (first["job_id"], first["tenant_id"], first["correlation_id"]) == ("j-1", "t-1", "c-1")
    assert first["attempt"] == 2
    assert second["event"] == "structlog too"
    assert second["answer"] == 42
    assert "job_id" not in third  # the context ended with the block


def test_console_format_is_readable_text(tmp_path: Path, restore_logging: None) -> None:
    stream = _configured(tmp_path)
    logging.getLogger("compliance_assistant.z").info("hello %s", "there")
    line = stream.getvalue().strip()
    assert "hello there" in line
    assert "[info" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_levels_below_the_setting_are_dropped(tmp_path: Path, restore_logging: None) -> None:
    stream = _configured(tmp_path, log={"format": "json"}, log_level="WARNING")
    logging.getLogger("compliance_assistant.q").info("quiet")
    structlog.get_logger("compliance_assistant.q").info("quiet too")
    logging.getLogger("compliance_assistant.q").error("loud")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["loud"]


def test_article_text_fields_are_dropped_and_secrets_masked() -> None:
    event = redact(
        {
            "event": "calling with Bearer abcdefghijklmnop and ca_AbCd1234_s3cr3tvalue99",
            "article_text": "Guaranteed returns!",
            "quote": "returns",
            "api_key": "anything",
            "password": "hunter2",
            "url": "postgresql+psycopg://app:topsecret@db:5432/app",
            "blob": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFy==;",
            "nested": {"text": "article", "token": "t", "ok": "sk-proj-abcdefghijkl"},
            "count": 3,
        }
    )
    assert "article_text" not in event
    assert "quote" not in event
    assert event["api_key"] == REDACTED
    assert event["password"] == REDACTED
    assert event["event"] == f"calling with {REDACTED} and {REDACTED}"
    assert event["url"] == f"postgresql+psycopg://app:{REDACTED}@db:5432/app"
    assert "Zm9vYmFy" not in event["blob"]
    assert event["nested"] == {"token": REDACTED, "ok": REDACTED}
    assert event["count"] == 3


def test_configured_secrets_are_masked_in_messages_and_tracebacks(
    tmp_path: Path, restore_logging: None
) -> None:
    secret = "pepper-value-0123456789"
    stream = _configured(tmp_path, log={"format": "json"}, api={"api_key_pepper": secret})
    try:
        raise RuntimeError(f"failed with {secret}")
    except RuntimeError:
        logging.getLogger("compliance_assistant.s").exception("boom %s", secret)
    line = json.loads(stream.getvalue())
    assert secret not in stream.getvalue()
    assert line["event"] == f"boom {REDACTED}"
    assert "RuntimeError" in line["exception"]


def test_short_values_are_not_treated_as_secrets() -> None:
    # A configured secret of a few characters would mask ordinary words everywhere.
    assert Redactor(("abc",)).mask("abc abc") == "abc abc"
