"""Vale's INI dialect: sections, repeated ("shadowed") keys, inline comments, globs.

Keys may repeat and their values accumulate; ``#`` and ``;`` start a comment at the start of
a line or after a space. Section names are globs matched against a file's path, where
``*`` also crosses ``/``, ``{a,b}`` is an alternation and a leading ``!`` negates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import regex

from compliance_assistant.engine.errors import DefinitionError

_SECTION = regex.compile(r"^\s*\[(.*)\]\s*$")
_INLINE_COMMENT = regex.compile(r"\s[#;].*$")


@dataclass
class IniSection:
    name: str
    line: int
    entries: list[tuple[str, str, int]] = field(default_factory=list)

    def names(self) -> list[str]:
        return list(dict.fromkeys(k for k, _, _ in self.entries))

    def values(self, key: str) -> list[str]:
        return [v for k, v, _ in self.entries if k == key]

    def last(self, key: str) -> str | None:
        found = self.values(key)
        return found[-1] if found else None

    def line_of(self, key: str) -> int:
        return next((n for k, _, n in self.entries if k == key), self.line)

    def list_value(self, key: str) -> list[str]:
        """Comma-separated values of every occurrence of ``key``, deduplicated, in order."""
        items: list[str] = []
        for value in self.values(key):
            for raw in value.split(","):
                part = raw.strip()
                if part and part not in items:
                    items.append(part)
        return items


def parse_ini(text: str, source: str = "<text>") -> list[IniSection]:
    """Sections in file order; the first (name ``""``) holds keys above any ``[section]``."""
    sections = [IniSection("", 1)]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        header = _SECTION.match(line)
        if header:
            sections.append(IniSection(header.group(1).strip(), number))
            continue
        if "=" not in line:
            raise DefinitionError(
                f"expected 'key = value', got {line!r}", source=source, line=number
            )
        key, value = line.split("=", 1)
        value = _INLINE_COMMENT.sub("", value).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
            value = value[1:-1]
        sections[-1].entries.append((key.strip(), value, number))
    return sections


@dataclass(frozen=True)
class Glob:
    pattern: str
    negated: bool
    compiled: regex.Pattern[str]

    def matches(self, path: str) -> bool:
        return (self.compiled.fullmatch(path.replace("\\", "/")) is not None) != self.negated


def compile_glob(pattern: str) -> Glob:
    """A Vale section/``--glob`` pattern as a matcher of relative paths."""
    negated = pattern.startswith("!")
    body = pattern.lstrip("!")
    return Glob(pattern, negated, _glob_regex(body))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> regex.Pattern[str]:
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            while i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
            if pattern[i + 1 : i + 2] == "/" and pattern[i - 1 : i] == "*":
                # "**/" also matches no directory at all.
                out.append("(?:.*/)?")
                i += 2
                continue
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(regex.escape(char))
            else:
                inner = pattern[i + 1 : end]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(regex.escape(pattern[i]))
        else:
            out.append(regex.escape(char))
        i += 1
    try:
        return regex.compile("".join(out), regex.DOTALL)
    except regex.error as exc:
        raise DefinitionError(f"invalid glob pattern {pattern!r}: {exc}") from None
