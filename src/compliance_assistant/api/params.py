"""Query parameter types that accept exactly what the OpenAPI schema documents."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator

# A date, then a time: what the schema's ``format: date-time`` (RFC 3339) promises.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# ``format: date``: the calendar date and nothing else.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    # Pydantic also reads numbers ("0.5") as Unix times and a bare date as midnight; a
    # documented date-time parameter must reject both rather than guess.
    if isinstance(value, str) and not _DATE_TIME.match(value.strip()):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _date_only(value: object) -> object:
    # Pydantic also reads numbers ("0") as Unix times; a documented date must be a date.
    if isinstance(value, str) and not _DATE.fullmatch(value.strip()):
        raise ValueError("expected an ISO 8601 date, e.g. 2026-01-31")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_only)]
