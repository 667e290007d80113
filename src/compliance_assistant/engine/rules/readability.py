"""``readability``: the average of chosen grade-level formulas must not exceed ``grade``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from compliance_assistant.engine.rules.base import DOCUMENT_LEVEL, Hit, Rule, format_message
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.rules.state import DocumentState
from compliance_assistant.engine.rules.stats import TextStats
from compliance_assistant.engine.vale.scopes import Scope
from compliance_assistant.engine.vale.units import Unit

METRICS: dict[str, Callable[[TextStats], float]] = {
    "Gunning Fog": TextStats.gunning_fog,
    "Coleman-Liau": TextStats.coleman_liau,
    "Flesch-Kincaid": TextStats.flesch_kincaid,
    "SMOG": TextStats.smog,
    "Automated Readability": TextStats.automated_readability,
}


@dataclass(frozen=True, kw_only=True)
class Readability(Rule):
    """Keys: ``metrics`` (any of Gunning Fog, Coleman-Liau, Flesch-Kincaid, SMOG, Automated
    Readability) and ``grade``. Runs on the document summary; ``%s`` is the mean grade."""

    kind: ClassVar[str] = "readability"
    keys: ClassVar[frozenset[str]] = frozenset({"metrics", "grade"})

    metrics: tuple[str, ...]
    grade: float

    @classmethod
    def compile(cls, fields: Fields, common: dict[str, Any]) -> Self:
        metrics = fields.strings("metrics")
        if not metrics:
            raise fields.error("metrics", "a readability rule needs 'metrics'")
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            raise fields.error(
                "metrics", f"unknown metric '{unknown[0]}' (known: {', '.join(METRICS)})"
            )
        if not fields.has("grade"):
            raise fields.error("grade", "a readability rule needs a 'grade'")
        common = {**common, "scope": Scope.parse(["summary"])}
        return cls(**common, vocab=False, metrics=metrics, grade=fields.number("grade"))

    def check(self, unit: Unit, state: DocumentState) -> list[Hit]:
        del unit  # a document-level rule: it reads the state, not the unit
        stats = state.stats()
        if not stats.words or not stats.sentences:
            return []
        grade = sum(METRICS[m](stats) for m in self.metrics) / len(self.metrics)
        if grade <= self.grade:
            return []
        text = f"{grade:.2f}"
        return [
            Hit(
                DOCUMENT_LEVEL,
                DOCUMENT_LEVEL,
                format_message(self.message, text),
                format_message(self.description, text),
                self.action,
            )
        ]
