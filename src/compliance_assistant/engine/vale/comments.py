"""In-text comment controls: ``<!-- vale off -->``, ``<!-- vale Style.Rule = NO -->`` …

Controls act from where the comment sits onwards, so an inline ``vale off`` … ``vale on``
pair silences only the text between them. Supported forms (Vale's):

* ``vale off`` / ``vale on`` — every rule;
* ``vale Style.Rule = NO|YES`` and ``vale Style = NO|YES`` — one rule or one style
  (``off``/``on`` are accepted as values too);
* ``vale Style.Rule["match", "other"] = NO|YES`` — one rule, only for those matched texts;
* ``vale style = A`` / ``vale styles = A, B`` — only these styles from here on.

Rules scoped to ``raw`` see the whole file at once and are not affected by controls.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from compliance_assistant.engine.document import Comment

_CONTROL = regex.compile(r"^\s*vale\s+([\w-]+(?:\.[\w-]+)?)\s*(?:\[(.*)\])?\s*=\s*(.+?)\s*$")
_SWITCH = {"yes": True, "on": True, "no": False, "off": False}
_QUOTED = regex.compile(r"""["']([^"']*)["']""")


@dataclass(frozen=True)
class Control:
    """One parsed control. ``target`` None means every rule (``vale off``/``vale on``)."""

    offset: int
    source_offset: int | None
    target: str | None
    enabled: bool
    matches: tuple[str, ...] = ()
    # For ``vale style(s) = …``: the only styles left active.
    styles: tuple[str, ...] | None = None


def parse_control(comment: Comment) -> Control | None:
    """The control a comment expresses, or None for an ordinary comment."""
    text = " ".join(comment.text.split())
    if text == "vale off":
        return Control(comment.offset, comment.source_offset, None, False)
    if text == "vale on":
        return Control(comment.offset, comment.source_offset, None, True)
    match = _CONTROL.match(text)
    if match is None:
        return None
    target, value = match.group(1), match.group(3)
    if target in {"style", "styles"} and not match.group(2):
        styles = tuple(s.strip() for s in value.split(",") if s.strip())
        return Control(comment.offset, comment.source_offset, None, True, styles=styles)
    switch = _SWITCH.get(value.lower())
    if switch is None:
        return None
    matches = tuple(_QUOTED.findall(match.group(2))) if match.group(2) else ()
    return Control(comment.offset, comment.source_offset, target, switch, matches)


class Controls:
    """Answers "is this rule silenced here?" for positions in one document."""

    def __init__(self, comments: Sequence[Comment]) -> None:
        parsed = (parse_control(c) for c in comments)
        self._controls = [c for c in parsed if c is not None]
        self._offsets = [c.offset for c in self._controls]

    def __bool__(self) -> bool:
        return bool(self._controls)

    def silenced(self, check: str, match: str, offset: int) -> bool:
        """Whether ``check`` is off for a match ``match`` starting at text ``offset``."""
        if not self._controls:
            return False
        active = self._controls[: bisect.bisect_right(self._offsets, offset)]
        return _state(active, check, match)

    def silenced_at_end(self) -> bool:
        """Whether ``vale off`` is in force at the end (for document-level alerts)."""
        off = False
        for control in self._controls:
            if control.target is None:
                off = not control.enabled
        return off


def _state(controls: Sequence[Control], check: str, match: str) -> bool:
    """Replay the controls up to a position; the latest one that concerns ``check`` wins."""
    off = False
    style = check.split(".", 1)[0]
    # key -> (silenced, sequence number of the control that said so)
    flags: dict[str, tuple[bool, int]] = {}
    silenced_matches: set[str] = set()
    only: tuple[tuple[str, ...], int] | None = None
    for sequence, control in enumerate(controls):
        if control.styles is not None:
            only = (control.styles, sequence)
        elif control.target is None:
            off = not control.enabled
        elif control.matches:
            if control.target == check:
                if control.enabled:
                    silenced_matches.difference_update(control.matches)
                else:
                    silenced_matches.update(control.matches)
        else:
            flags[control.target] = (not control.enabled, sequence)
    if off or match.strip() in silenced_matches:
        return True
    decisions = [flags[key] for key in (check, style) if key in flags]
    if only is not None:
        decisions.append((style not in only[0], only[1]))
    return max(decisions, key=lambda d: d[1])[0] if decisions else False
