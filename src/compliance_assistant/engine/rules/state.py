"""Per-run options and per-document state shared by the rules during one ``run_rules`` call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import regex

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.rules.base import Level
from compliance_assistant.engine.rules.patterns import compile_pattern, exceptions_pattern
from compliance_assistant.engine.rules.phrases import WordSets
from compliance_assistant.engine.rules.stats import TextStats, text_stats
from compliance_assistant.engine.vale.units import block_counts, joined, lint_view, summary_parts


@dataclass(frozen=True)
class LintOptions:
    """How to run rules on one document (the run-time half of a Vale configuration).

    ``levels`` overrides rule levels by ``Style.Rule``; ``accepted`` are the Vocab terms that
    vocabulary-aware rules treat as exceptions; ``comments`` honours in-text controls such as
    ``<!-- vale off -->``.
    """

    min_alert_level: Level = "suggestion"
    levels: Mapping[str, Level] = field(default_factory=dict)
    accepted: tuple[str, ...] = ()
    comments: bool = True


class DocumentState:
    """What rules may remember while walking one document, plus shared derived data."""

    def __init__(self, document: Document, options: LintOptions) -> None:
        self.document = document
        self.options = options
        # Per-rule memory (conditional definitions, consistency variants seen so far).
        self.memory: dict[str, Any] = {}
        self._phrase_spans: dict[str, list[tuple[int, int]]] = {}
        self._match_spans: dict[tuple[regex.Pattern[str], str], list[tuple[int, int]]] = {}
        self.words = WordSets()

    def match_spans(self, pattern: regex.Pattern[str], text: str) -> list[tuple[int, int]]:
        """Spans of ``pattern``'s matches in ``text``, found once per document.

        Rules that share a pattern (compiled patterns are cached per process, so equal
        sources give the same object) — such as two conditionals with the same ``first`` on
        the whole document — scan the text once between them.
        """
        key = (pattern, text)
        spans = self._match_spans.get(key)
        if spans is None:
            spans = [m.span() for m in pattern.finditer(text)]
            self._match_spans[key] = spans
        return spans

    @cached_property
    def view(self) -> str:
        return lint_view(self.document)

    @cached_property
    def summary_text(self) -> str:
        return joined(summary_parts(self.document, self.view), frozenset()).text

    def stats(self) -> TextStats:
        return self._stats

    @cached_property
    def _stats(self) -> TextStats:
        return text_stats(self.summary_text)

    def metrics(self) -> dict[str, float]:
        """Variables of ``metric`` formulas (Vale counts one paragraph less than parts)."""
        return self._metrics

    @cached_property
    def _metrics(self) -> dict[str, float]:
        variables = self._stats.as_variables()
        variables["paragraphs"] = max(variables["paragraphs"] - 1, 0)
        variables.update(block_counts(self.document))
        return variables

    @cached_property
    def vocab_exceptions(self) -> regex.Pattern[str] | None:
        pattern = exceptions_pattern(self.options.accepted)
        return compile_pattern(pattern, key="Vocab") if pattern else None

    @cached_property
    def _phrases(self) -> regex.Pattern[str] | None:
        phrases = [t for t in self.options.accepted if " " in t.strip()]
        pattern = exceptions_pattern(phrases)
        return compile_pattern(pattern, key="Vocab") if pattern else None

    def in_accepted_phrase(self, text: str, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside an accepted multi-word Vocab term."""
        phrases = self._phrases
        if phrases is None:
            return False
        spans = self._phrase_spans.get(text)
        if spans is None:
            spans = [m.span() for m in phrases.finditer(text)]
            self._phrase_spans[text] = spans
        return any(s <= start and end <= e for s, e in spans)

    def excepted(self, observed: str, own: regex.Pattern[str] | None, vocab: bool) -> bool:
        """Vale's exception test: the rule's own exceptions, then (if ``vocab``) the Vocab."""
        if own is not None and own.search(observed):
            return True
        shared = self.vocab_exceptions if vocab else None
        return shared is not None and shared.search(observed) is not None
