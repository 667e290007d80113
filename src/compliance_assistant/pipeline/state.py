"""The graph state: small and JSON-only, because every superstep is checkpointed.

Verdicts and the result are kept as plain JSON (``model_dump(mode="json")``) rather than
pydantic objects: the checkpoint serialiser then needs no type allow-list, and a checkpoint
written by one release can be read by the next as long as the JSON contract holds.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from compliance_assistant.engine.ports import GuidelineVerdict

BranchKind = Literal["rule", "llm", "gtc", "screen"]


class BranchSpec(TypedDict):
    """The input of one branch (what a ``Send`` carries): which guideline, which kind."""

    guideline_id: str
    kind: BranchKind


class CheckState(TypedDict, total=False):
    job_id: str
    document_hash: str
    branches: list[BranchSpec]
    # One entry per finished guideline; branches append concurrently, hence the reducer.
    verdicts: Annotated[list[dict[str, Any]], operator.add]
    result: dict[str, Any]


def dump_verdict(verdict: GuidelineVerdict) -> dict[str, Any]:
    return verdict.model_dump(mode="json")


def load_verdict(data: dict[str, Any]) -> GuidelineVerdict:
    return GuidelineVerdict.model_validate(data)
