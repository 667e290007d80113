"""Protocols the core needs from the outside world. Adapters implement them elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.result import GuidelineResult, ResultWarning, Usage


@runtime_checkable
class Clock(Protocol):
    """Wall and monotonic time, injected so tests never sleep."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def monotonic(self) -> float: ...


@runtime_checkable
class Cache(Protocol):
    """A key-value cache with per-entry TTL (Redis in production, in-process when embedded).

    Values are bytes; callers serialise. A cache is derived data: every method may fail with
    ``CacheUnavailable`` and callers must carry on without it.
    """

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def delete(self, *keys: str) -> int: ...


class CacheUnavailable(Exception):
    """The cache backend cannot be reached; the caller continues without it."""


@runtime_checkable
class Judge(Protocol):
    """Decides an ``llm`` guideline on a document (one model call, verified quotes)."""

    @property
    def model_name(self) -> str: ...

    @property
    def prompt_version(self) -> str: ...

    async def judge(
        self, document: Document, guideline: Guideline, examples: Sequence[str] = ()
    ) -> GuidelineResult: ...


class CheckUnavailableError(Exception):
    """A checker deliberately did not call its service (e.g. a circuit breaker is open).

    The guideline is reported ``not_run`` with this exception's message as the reason.
    """


class GuidelineVerdict(BaseModel):
    """What a checker returns for one guideline: the result plus what the report must know.

    ``warnings`` carry notes about the check itself (dropped quotes, stale GTCs); ``usage`` the
    tokens and cost the verdict took; ``cached`` is true when no service was called for it.
    """

    model_config = ConfigDict(frozen=True)

    result: GuidelineResult
    warnings: tuple[ResultWarning, ...] = ()
    usage: Usage | None = None
    gtc_documents: tuple[dict[str, Any], ...] = ()
    cached: bool = False


@runtime_checkable
class VerdictJudge(Judge, Protocol):
    """A Judge that also reports warnings and usage: what the check pipeline calls.

    ``assess`` returns an ``error`` result with a reason when the model's answer is unusable,
    and raises :class:`CheckUnavailableError` when it did not call the model at all.
    """

    async def assess(self, document: Document, guideline: Guideline) -> GuidelineVerdict: ...


@runtime_checkable
class GtcChecker(Protocol):
    """Decides a ``gtc`` guideline: claims in the document against the product's GTC clauses."""

    async def check(self, document: Document, guideline: Guideline) -> GuidelineVerdict: ...
