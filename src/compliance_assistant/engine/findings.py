"""Findings: immutable values describing one issue at one place in a Document."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.engine.document import Document, Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _SEVERITY_RANK[self]

    @classmethod
    def from_vale_level(cls, level: str) -> Severity:
        """Vale's ``suggestion``/``warning``/``error`` → info/warning/error (DESIGN §9)."""
        return _VALE_LEVELS[level]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_VALE_LEVELS = {"suggestion": Severity.INFO, "warning": Severity.WARNING, "error": Severity.ERROR}

FindingSource = Literal["rule", "llm", "gtc"]


class FindingSpan(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    block_id: str | None
    quote: str
    line: int | None = Field(None, description="1-based line of start in the source file")
    column: int | None = Field(None, description="1-based column of start, in code points")


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    replacement: str
    description: str = ""


class Evidence(BaseModel):
    """A quoted GTC clause supporting a finding."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    title: str
    version: str | None = None
    page: int | None = None
    section: str | None = None
    quote: str
    stale: bool = False


class Dismissal(BaseModel):
    model_config = ConfigDict(frozen=True)

    by: str
    reason: str
    at: str


class Finding(BaseModel):
    """One issue. ``fingerprint`` identifies it across re-checks of edited text (DESIGN §9)."""

    model_config = ConfigDict(frozen=True)

    id: str
    fingerprint: str
    guideline_id: str
    rule_id: str | None = None
    severity: Severity
    message: str
    explanation: str = ""
    span: FindingSpan
    suggestion: Suggestion | None = None
    evidence: tuple[Evidence, ...] = ()
    source: FindingSource
    confidence: float | None = None
    link: str | None = None
    dismissed: Dismissal | None = None

    @property
    def sort_key(self) -> tuple[int, int, int, str, str, str]:
        """Stable order: by position, then more severe first, then by identity."""
        return (
            self.span.start,
            self.span.end,
            -self.severity.rank,
            self.guideline_id,
            self.rule_id or "",
            self.message,
        )


def normalise_quote(quote: str) -> str:
    """Case-, width- and whitespace-insensitive form of a quote, for fingerprints."""
    folded = unicodedata.normalize("NFKC", quote).casefold()
    return " ".join(folded.split())


def fingerprint(guideline_id: str, rule_id: str | None, quote: str, occurrence: int) -> str:
    """Hash of (guideline, rule, normalised quote, occurrence index among equal quotes)."""
    material = "\x1f".join([guideline_id, rule_id or "", normalise_quote(quote), str(occurrence)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]


class FindingDraft(BaseModel):
    """A finding before identity is assigned: what a check produces."""

    model_config = ConfigDict(frozen=True)

    guideline_id: str
    rule_id: str | None = None
    severity: Severity
    message: str
    explanation: str = ""
    span: Span
    suggestion: Suggestion | None = None
    evidence: tuple[Evidence, ...] = ()
    source: FindingSource
    confidence: float | None = None
    link: str | None = None


def finalise_findings(document: Document, drafts: Iterable[FindingDraft]) -> list[Finding]:
    """Attach quotes, block ids, fingerprints and ids; return findings in stable order."""
    built: list[Finding] = []
    occurrences: dict[tuple[str, str | None, str], int] = {}
    ordered = sorted(
        drafts,
        key=lambda d: (
            d.span.start,
            d.span.end,
            -d.severity.rank,
            d.guideline_id,
            d.rule_id or "",
            d.message,
        ),
    )
    for draft in ordered:
        quote = document.quote(draft.span)
        block = document.block_at(draft.span.start)
        location = document.location(draft.span.start)
        key = (draft.guideline_id, draft.rule_id, normalise_quote(quote))
        occurrence = occurrences.get(key, 0)
        occurrences[key] = occurrence + 1
        print_ = fingerprint(draft.guideline_id, draft.rule_id, quote, occurrence)
        built.append(
            Finding(
                id=f"f{len(built) + 1}-{print_[:8]}",
                fingerprint=print_,
                guideline_id=draft.guideline_id,
                rule_id=draft.rule_id,
                severity=draft.severity,
                message=draft.message,
                explanation=draft.explanation,
                span=FindingSpan(
                    start=draft.span.start,
                    end=draft.span.end,
                    block_id=block.id if block else None,
                    quote=quote,
                    line=location.line,
                    column=location.column,
                ),
                suggestion=draft.suggestion,
                evidence=draft.evidence,
                source=draft.source,
                confidence=draft.confidence,
                link=draft.link,
            )
        )
    return built
