"""Running compiled rules over a Document: units → hits → placed, filtered alerts."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.rules.base import LEVEL_RANK, Alert, Hit, Level, Rule
from compliance_assistant.engine.rules.state import DocumentState, LintOptions
from compliance_assistant.engine.vale.comments import Controls
from compliance_assistant.engine.vale.units import Unit, iter_units


@dataclass(frozen=True)
class _Active:
    rule: Rule
    level: Level


def run_rules(
    document: Document, rules: Sequence[Rule], *, config: LintOptions | None = None
) -> list[Alert]:
    """Every alert of ``rules`` on ``document``, sorted by source line and column.

    Rules run unit by unit in document order (so rules with memory — conditional,
    consistency — see definitions before uses, as in Vale). An alert of the same check at the
    same place as an earlier one is dropped (a rule scoped to both ``paragraph`` and
    ``sentence`` reports once), ``limit`` caps a rule's alerts, and in-text comment controls
    silence rules where they apply.
    """
    options = config or LintOptions()
    active = _select(rules, options)
    if not active:
        return []
    state = DocumentState(document, options)
    placer = _Placer(document)
    controls = Controls(document.comments) if options.comments else Controls(())
    units = iter_units(
        document,
        state.view,
        sentences=_needs(active, "sentence"),
        paragraphs=_needs(active, "paragraph"),
        summary=_needs(active, "summary"),
        raw=_needs(active, "raw"),
    )
    by_sections: dict[frozenset[str], list[_Active]] = {}
    seen: set[tuple[int, int, int, int, str]] = set()
    counts: dict[str, int] = {}
    alerts: list[Alert] = []
    for unit in units:
        matching = by_sections.get(unit.sections)
        if matching is None:
            matching = [a for a in active if a.rule.scope.matches(unit.sections)]
            by_sections[unit.sections] = matching
        for entry in matching:
            rule = entry.rule
            for hit in rule.check(unit, state):
                alert = placer.place(rule, entry.level, unit, hit)
                key = (alert.start, alert.end, alert.line, alert.column, rule.name)
                if key in seen or _silenced(controls, alert, unit, hit):
                    continue
                seen.add(key)
                if rule.limit and counts.get(rule.name, 0) >= rule.limit:
                    continue
                counts[rule.name] = counts.get(rule.name, 0) + 1
                alerts.append(alert)
    alerts.sort(key=lambda a: a.sort_key)
    return alerts


def _select(rules: Iterable[Rule], options: LintOptions) -> list[_Active]:
    floor = LEVEL_RANK[options.min_alert_level]
    selected: list[_Active] = []
    for rule in rules:
        level = options.levels.get(rule.name, rule.level)
        if LEVEL_RANK[level] >= floor:
            selected.append(_Active(rule, level))
    return selected


def _needs(active: Sequence[_Active], base: str) -> bool:
    """Whether any rule names ``base`` positively (Vale computes costly units only then)."""
    return any(
        part.strip().split(".")[0] == base
        for a in active
        for value in a.rule.scope.raw
        for part in value.split("&")
    )


def _silenced(controls: Controls, alert: Alert, unit: Unit, hit: Hit) -> bool:
    # Raw-scope rules read the whole file, comments included: Vale does not apply in-text
    # controls to them.
    if not controls or unit.base == "raw":
        return False
    if hit.start < 0:
        return controls.silenced_at_end()
    return controls.silenced(alert.check, alert.match, alert.start)


class _Placer:
    """Turns unit-relative hits into alerts with document offsets and source positions."""

    def __init__(self, document: Document) -> None:
        self.document = document
        source = document.source_text
        self._source = source if source is not None else document.text
        self._line_starts: list[int] | None = None
        self._mapped = source is not None and bool(document.source_map)
        self._segments = document.source_map
        self._text_starts = [s.text_start for s in document.source_map]
        self._text_lines: list[int] | None = None
        ordered = sorted(document.source_map, key=lambda s: s.source_start)
        self._by_source = ordered
        self._source_starts = [s.source_start for s in ordered]

    def place(self, rule: Rule, level: Level, unit: Unit, hit: Hit) -> Alert:
        if hit.start < 0:
            return self._alert(rule, level, hit, span=(0, 0), position=(1, 1), matched="")
        matched = unit.text[hit.start : hit.end]
        if unit.in_source:
            source_start = unit.to_target(hit.start)
            line, column = self._source_position(source_start)
            start = self._text_offset(source_start)
            end = max(self._text_offset(unit.to_target(hit.end)), start)
        else:
            start, end = unit.to_target(hit.start), unit.to_target(hit.end)
            line, column = self._location(start)
            matched = self.document.text[start:end]
            if not self._verbatim(start, matched):
                # Vale finds an alert by searching its text in the source; when markup
                # interrupts it (emphasis, an entity, a link) it falls back to the start of
                # the line. Reported columns follow Vale; offsets stay exact.
                column = 1
        return self._alert(
            rule, level, hit, span=(start, end), position=(line, column), matched=matched
        )

    @staticmethod
    def _alert(
        rule: Rule,
        level: Level,
        hit: Hit,
        *,
        span: tuple[int, int],
        position: tuple[int, int],
        matched: str,
    ) -> Alert:
        first_line = matched.split("\n", 1)[0]
        return Alert(
            check=rule.name,
            message=hit.message,
            level=level,
            start=span[0],
            end=span[1],
            line=position[0],
            column=position[1],
            end_column=position[1] + max(len(first_line), 1) - 1,
            match=matched,
            description=hit.description,
            link=rule.link,
            action=hit.action,
        )

    def _verbatim(self, start: int, matched: str) -> bool:
        if not self._mapped:
            return True
        source_start = self._to_source(start)
        return self._source[source_start : source_start + len(matched)] == matched

    def _to_source(self, offset: int) -> int:
        """Document.to_source_offset, on plain lists (a hot path for many alerts)."""
        index = max(bisect.bisect_right(self._text_starts, offset) - 1, 0)
        segment = self._segments[index]
        within = min(max(offset - segment.text_start, 0), segment.length)
        return segment.source_start + within

    def _location(self, offset: int) -> tuple[int, int]:
        """Document.location: line/column in the source file when the text is mapped."""
        if self._mapped:
            return self._source_position(self._to_source(offset))
        if self._text_lines is None:
            self._text_lines = _line_starts(self.document.text)
        offset = min(max(offset, 0), len(self.document.text))
        index = bisect.bisect_right(self._text_lines, offset) - 1
        return index + 1, offset - self._text_lines[index] + 1

    def _source_position(self, offset: int) -> tuple[int, int]:
        offset = min(max(offset, 0), len(self._source))
        if self._line_starts is None:
            self._line_starts = _line_starts(self._source)
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def _text_offset(self, source_offset: int) -> int:
        """The text offset of a source offset: inside a mapped segment, or the next one."""
        if not self._by_source:
            return min(source_offset, len(self.document.text))
        index = bisect.bisect_right(self._source_starts, source_offset) - 1
        if index >= 0:
            segment = self._by_source[index]
            if source_offset < segment.source_start + segment.length:
                return segment.text_start + source_offset - segment.source_start
        if index + 1 < len(self._by_source):
            return self._by_source[index + 1].text_start
        return len(self.document.text)


def _line_starts(text: str) -> list[int]:
    """Offsets where lines start (str.find runs in C; a per-character loop does not)."""
    starts = [0]
    position = text.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts
