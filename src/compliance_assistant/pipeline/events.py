"""Progress events of a check, for the service to publish (SSE) and the CLI to show.

Events are plain JSON-able models with a ``type``; the callback receives them in order for one
job. A callback that fails is logged and ignored: progress reporting never fails a check.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from compliance_assistant.engine.result import Summary

logger = logging.getLogger(__name__)


class CheckStarted(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["check.started"] = "check.started"
    job_id: str
    total: int
    resumed: bool = False


class GuidelineCompleted(BaseModel):
    """One guideline finished (or was found finished in the checkpoint: ``resumed``)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["guideline.completed"] = "guideline.completed"
    job_id: str
    guideline_id: str
    kind: str
    status: str
    findings: int
    reason: str | None = None
    done: int
    total: int
    resumed: bool = False


class CheckCompleted(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["check.completed"] = "check.completed"
    job_id: str
    score: int | None
    complete: bool
    summary: Summary


CheckEvent = CheckStarted | GuidelineCompleted | CheckCompleted
OnEvent = Callable[[CheckEvent], Awaitable[None]]


async def emit(on_event: OnEvent | None, event: CheckEvent) -> None:
    if on_event is None:
        return
    try:
        await on_event(event)
    except Exception:  # a broken listener must not fail the check
        logger.exception("check event listener failed for job %s", event.job_id)
