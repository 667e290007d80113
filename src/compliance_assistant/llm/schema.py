"""The structured answer the judge asks the model for.

Every field is required and no extra keys are allowed, so the same schema is valid for
OpenAI's strict ``json_schema`` mode, function/tool calling and Anthropic tool use.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ModelFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quote: str = Field(
        description="The offending passage copied character for character from "
        "the article: one sentence or shorter, never paraphrased."
    )
    block_id: str = Field(description="The id of the article block the quote is in, e.g. 'b3'.")
    explanation: str = Field(
        description="Why this passage breaks the guideline, in one or two sentences."
    )
    suggestion: str = Field(
        description="A compliant rewrite of the quoted passage, or an empty "
        "string when no rewrite fits."
    )
    severity: Literal["error", "warning", "info"] = Field(
        description="error: clearly breaks the guideline; warning: probably does; info: a "
        "minor improvement."
    )


class ModelVerdict(BaseModel):
    """The verdict on one guideline for one article, with every offending passage quoted."""

    model_config = ConfigDict(extra="forbid", title="GuidelineVerdict")

    status: Literal["pass", "warning", "fail"] = Field(
        description="pass: the article follows the guideline; warning: minor or uncertain "
        "problems; fail: it clearly breaks the guideline."
    )
    findings: list[ModelFinding] = Field(
        description="One entry per offending passage; empty when status is pass."
    )
