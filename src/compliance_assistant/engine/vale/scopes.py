"""Vale scope selectors: which units of a document a rule runs on.

A unit of text is labelled with sections such as ``text.heading.h2.md`` or ``sentence.md``.
A rule's ``scope`` is a list of alternatives; each alternative is one or more selectors joined
by ``&`` and a selector may be negated with a leading ``~``. A selector matches a unit when all
of its dot-separated sections appear among the unit's sections (``heading`` matches
``text.heading.h2.md``; ``text`` matches every ``text.*`` unit but not ``sentence.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The first section of every selector Vale accepts; anything else is a definition error.
KNOWN_SCOPES = frozenset(
    {
        "text",
        "heading",
        "table",
        "list",
        "paragraph",
        "sentence",
        "alt",
        "title",
        "blockquote",
        "summary",
        "raw",
        "figure",
        "attr",
    }
)
# Inline scopes Vale dropped in v3: rules must use ``raw`` instead.
RETIRED_SCOPES = frozenset({"code", "link", "strong", "emphasis"})
# Sized scopes see the whole document; a negated selector alone never selects them.
_SIZED = frozenset({"raw", "summary"})


@dataclass(frozen=True)
class Selector:
    sections: frozenset[str]
    negated: bool = False

    @classmethod
    def parse(cls, text: str) -> Selector:
        text = text.strip()
        negated = text.startswith("~")
        body = text[1:] if negated else text
        return cls(frozenset(s.strip() for s in body.split(".") if s.strip()), negated)


@dataclass(frozen=True)
class Scope:
    """A parsed ``scope`` value: a unit matches when any alternative matches."""

    alternatives: tuple[tuple[Selector, ...], ...]
    raw: tuple[str, ...]

    @classmethod
    def parse(cls, values: Sequence[str]) -> Scope:
        alternatives = tuple(
            tuple(Selector.parse(part) for part in value.split("&") if part.strip())
            for value in values
        )
        return cls(alternatives=alternatives, raw=tuple(values))

    def matches(self, sections: frozenset[str]) -> bool:
        return any(_alternative_matches(alt, sections) for alt in self.alternatives)

    @property
    def bases(self) -> frozenset[str]:
        """First sections named by this scope (``heading`` for ``heading.h2``), negated or not."""
        return frozenset(
            part.strip().lstrip("~").split(".")[0].strip()
            for value in self.raw
            for part in value.split("&")
            if part.strip()
        )

    def __str__(self) -> str:
        return ", ".join(self.raw)


def _alternative_matches(selectors: Iterable[Selector], sections: frozenset[str]) -> bool:
    for selector in selectors:
        contained = selector.sections <= sections
        if selector.negated:
            if contained or sections & _SIZED:
                return False
        elif not contained:
            return False
    return True


def scope_problem(value: str) -> str | None:
    """Why ``value`` is not a valid scope, or None when Vale would accept it.

    Names outside KNOWN_SCOPES are accepted: Vale styles use format- and language-specific
    scopes (``python``, ``text.frontmatter.title``) for inputs this engine does not ingest;
    such a rule simply never matches here.
    """
    for part in value.split("&"):
        base = part.strip().lstrip("~").split(".")[0].strip()
        if not base:
            return f"empty scope in '{value}'"
        if base in RETIRED_SCOPES:
            return f"scope '{base}' is no longer supported; use 'raw' instead"
    return None
