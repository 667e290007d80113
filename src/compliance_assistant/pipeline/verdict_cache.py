"""The LLM verdict cache, over the engine's ``Cache`` port (Redis or in-process).

Key: guideline id + hash of its definition, model, prompt version and the document's hash, so
an edited guideline, another model, a new prompt or a changed article never reuse a verdict.
Only verdicts that ran are cached (never an ``error``). The cache is derived data: any failure
to read or write it is logged and the check carries on as if it were empty.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.ports import GuidelineVerdict, VerdictJudge
from compliance_assistant.observability import metrics
from compliance_assistant.pipeline.context import RunContext

logger = logging.getLogger(__name__)


def verdict_key(guideline: Guideline, model: str, prompt_version: str, document_hash: str) -> str:
    return (
        f"llm:verdict:{guideline.id}:{guideline.definition_hash}:{model}:"
        f"{prompt_version}:{document_hash}"
    )


async def cached_verdict(
    context: RunContext, judge: VerdictJudge, guideline: Guideline
) -> GuidelineVerdict | None:
    cache = context.services.cache
    if cache is None or context.services.limits.verdict_cache_ttl_seconds <= 0:
        return None
    key = verdict_key(guideline, judge.model_name, judge.prompt_version, context.document_hash)
    try:
        raw = await cache.get(key)
    except Exception as exc:  # a cache outage only costs a model call
        metrics.LLM_VERDICT_CACHE.labels("error").inc()
        logger.warning("verdict cache read failed: %s", exc)
        return None
    metrics.record_cache("verdict", hit=raw is not None)
    if raw is None:
        metrics.LLM_VERDICT_CACHE.labels("miss").inc()
        return None
    try:
        verdict = GuidelineVerdict.model_validate_json(raw)
    except ValidationError:
        metrics.LLM_VERDICT_CACHE.labels("error").inc()
        return None
    metrics.LLM_VERDICT_CACHE.labels("hit").inc()
    # Nothing was spent on this verdict in this job.
    return verdict.model_copy(update={"cached": True, "usage": None})


async def store_verdict(
    context: RunContext, judge: VerdictJudge, guideline: Guideline, verdict: GuidelineVerdict
) -> None:
    cache = context.services.cache
    ttl = context.services.limits.verdict_cache_ttl_seconds
    if cache is None or ttl <= 0 or not verdict.result.status.ran:
        return
    key = verdict_key(guideline, judge.model_name, judge.prompt_version, context.document_hash)
    try:
        await cache.set(key, verdict.model_dump_json().encode("utf-8"), ttl)
    except Exception as exc:  # see module docstring
        logger.warning("verdict cache write failed: %s", exc)
