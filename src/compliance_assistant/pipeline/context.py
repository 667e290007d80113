"""What nodes may use: the LangGraph runtime context of a check.

Nodes never read the environment or settings: everything reaches them through
:class:`RunContext` (``context_schema`` of the graph), built by :func:`run_check` from the
long-lived :class:`CheckContext` of the process plus the job's own inputs. The document and the
plan travel in the context rather than in the state so that checkpoints stay small and hold no
article text; a resumed run is given the same document and plan again (its hash is checked).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.guidelines import GuidelineKind, GuidelineSet
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.ports import Cache, Clock, GtcChecker, VerdictJudge
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.engine.run import DEFAULT_UNAVAILABLE_REASONS
from compliance_assistant.resilience.clock import SystemClock


@dataclass(frozen=True)
class PipelineLimits:
    """Per-job concurrency and per-branch time limits (seconds)."""

    max_branches_per_job: int = 16
    branch_timeout_seconds: float = 120.0
    llm_branch_timeout_seconds: float = 300.0
    # 0 disables the verdict cache even when a cache is configured.
    verdict_cache_ttl_seconds: float = 7 * 24 * 3600.0


class CheckTracker(Protocol):
    """Records a finished check elsewhere (MLflow). Must never raise: tracking is optional."""

    async def record(self, result: CheckResult, *, guideline_set: GuidelineSet) -> None: ...


@dataclass
class CheckContext:
    """The dependencies of checks in one process: build once, share across jobs.

    ``judge`` None means no LLM is configured (llm guidelines are ``not_run`` with
    ``judge_missing_reason``); ``gtc`` None likewise for gtc guidelines. ``branch_slots``
    bounds the branches running at once in the whole process, across jobs.
    """

    judge: VerdictJudge | None = None
    gtc: GtcChecker | None = None
    cache: Cache | None = None
    clock: Clock = field(default_factory=SystemClock)
    limits: PipelineLimits = field(default_factory=PipelineLimits)
    branch_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(256))
    tracker: CheckTracker | None = None
    judge_missing_reason: str = DEFAULT_UNAVAILABLE_REASONS[GuidelineKind.LLM]
    gtc_missing_reason: str = DEFAULT_UNAVAILABLE_REASONS[GuidelineKind.GTC]


@dataclass(frozen=True)
class RunContext:
    """The runtime context of one graph run (one job)."""

    services: CheckContext
    job_id: str
    document: Document
    plan: CheckPlan
    document_hash: str


def document_hash(document: Document) -> str:
    """Identity of what is checked: the text and its block structure (ids, kinds, bounds).

    The verdict cache and the resume check both key on it; blocks matter because the judge's
    prompt and its quotes refer to block ids.
    """
    digest = hashlib.sha256(document.text.encode("utf-8"))
    for block in document.blocks:
        digest.update(f"\x1f{block.id}:{block.kind.value}:{block.start}:{block.end}".encode())
    return digest.hexdigest()
