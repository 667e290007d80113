"""``.vale.ini`` semantics: which styles and rules apply to which file, at which level.

Parsing here is pure (text in, values out); finding and reading the file is
``catalog.vale_config``. Vale's precedence is kept: a rule switched on or off in a matching
``[glob]`` section beats the ``[*]`` section, which beats ``BasedOnStyles``; the last matching
section's ``BasedOnStyles`` wins; ``Style.Rule = level`` changes a rule's level everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules.base import LEVELS, Level, as_level
from compliance_assistant.engine.vale.ini import Glob, IniSection, compile_glob, parse_ini

CORE_KEYS = frozenset(
    {
        "StylesPath",
        "MinAlertLevel",
        "IgnoredScopes",
        "WordTemplate",
        "SkippedScopes",
        "IgnoredClasses",
        "Vocab",
        "NLPEndpoint",
        "Packages",
    }
)
SYNTAX_KEYS = frozenset(
    {
        "BasedOnStyles",
        "IgnorePatterns",
        "BlockIgnores",
        "TokenIgnores",
        "CommentDelimiters",
        "Transform",
        "Lang",
    }
)
_SPECIAL_SECTIONS = frozenset({"*", "DEFAULT", "formats", "asciidoctor"})


@dataclass(frozen=True)
class GlobSection:
    """One ``[glob]`` section: styles, rule switches and ignore patterns for matching files."""

    glob: Glob
    based_on_styles: tuple[str, ...] | None = None
    checks: Mapping[str, bool] = field(default_factory=dict)
    block_ignores: tuple[str, ...] = ()
    token_ignores: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileSettings:
    """What applies to one file: its base styles and explicit rule switches."""

    styles: tuple[str, ...]
    checks: Mapping[str, bool]
    block_ignores: tuple[str, ...] = ()
    token_ignores: tuple[str, ...] = ()

    def enabled(self, rule_name: str) -> bool:
        """Vale's ``shouldRun`` for a rule, ignoring level and scope."""
        name = ".".join(rule_name.split(".")[:2])
        if name in self.checks:
            return self.checks[name]
        return name.split(".", 1)[0] in self.styles


@dataclass(frozen=True)
class ValeConfig:
    """A parsed ``.vale.ini``. Paths in ``styles_path`` are as written (relative to the file)."""

    source: str = "<text>"
    styles_path: tuple[str, ...] = ()
    # Vale 3 reports every level unless MinAlertLevel says otherwise.
    min_alert_level: Level = "suggestion"
    vocab: tuple[str, ...] = ()
    ignored_scopes: tuple[str, ...] = ()
    skipped_scopes: tuple[str, ...] = ()
    ignored_classes: tuple[str, ...] = ()
    word_template: str = ""
    global_styles: tuple[str, ...] = ()
    global_checks: Mapping[str, bool] = field(default_factory=dict)
    global_block_ignores: tuple[str, ...] = ()
    global_token_ignores: tuple[str, ...] = ()
    sections: tuple[GlobSection, ...] = ()
    levels: Mapping[str, Level] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)

    @property
    def all_styles(self) -> tuple[str, ...]:
        """Every style any section bases files on, in order of first mention."""
        names = list(self.global_styles)
        for section in self.sections:
            names.extend(section.based_on_styles or ())
        return tuple(dict.fromkeys(names))

    @property
    def all_checks(self) -> tuple[str, ...]:
        names = list(self.global_checks)
        for section in self.sections:
            names.extend(section.checks)
        return tuple(dict.fromkeys(names))

    def matches_any_section(self, path: str) -> bool:
        return any(s.glob.matches(path) for s in self.sections)

    def for_path(self, path: str) -> FileSettings:
        """Settings for a file, ``path`` relative and with ``/`` separators."""
        styles = self.global_styles
        checks: dict[str, bool] = dict(self.global_checks)
        blocks, tokens = list(self.global_block_ignores), list(self.global_token_ignores)
        for section in self.sections:
            if not section.glob.matches(path):
                continue
            if section.based_on_styles is not None:
                styles = section.based_on_styles
            checks.update(section.checks)
            blocks.extend(section.block_ignores)
            tokens.extend(section.token_ignores)
        return FileSettings(
            styles=styles, checks=checks, block_ignores=tuple(blocks), token_ignores=tuple(tokens)
        )


def parse_vale_config(text: str, source: str = "<text>") -> ValeConfig:
    """Parse ``.vale.ini`` text; misplaced keys and bad values are DefinitionErrors."""
    sections = parse_ini(text, source)
    core = sections[0]
    values: dict[str, object] = {"source": source}
    levels: dict[str, Level] = {}
    for key in core.names():
        if key in SYNTAX_KEYS:
            raise DefinitionError(
                f"'{key}' is a syntax-specific option; put it in a [glob] section such as [*]",
                source=source,
                line=core.line_of(key),
                key=key,
            )
        _core_option(core, key, values)
    glob_sections: list[GlobSection] = []
    for section in sections[1:]:
        if section.name in {"DEFAULT", "asciidoctor"}:
            continue
        if section.name == "formats":
            values["formats"] = {k: section.last(k) or "" for k in section.names()}
            continue
        for key in section.names():
            if key in CORE_KEYS:
                raise DefinitionError(
                    f"'{key}' is a core option; it must come before any [section]",
                    source=source,
                    line=section.line_of(key),
                    key=key,
                )
        parsed = _glob_section(section, levels, source)
        if section.name == "*":
            values["global_styles"] = parsed.based_on_styles or ()
            values["global_checks"] = dict(parsed.checks)
            values["global_block_ignores"] = parsed.block_ignores
            values["global_token_ignores"] = parsed.token_ignores
        else:
            glob_sections.append(parsed)
    return ValeConfig(**values, sections=tuple(glob_sections), levels=levels)  # type: ignore[arg-type]  # values: heterogeneous dict of known fields


def _core_option(core: IniSection, key: str, values: dict[str, object]) -> None:
    if key == "StylesPath":
        values["styles_path"] = tuple(v for v in core.values(key) if v)
    elif key == "MinAlertLevel":
        level = (core.last(key) or "").strip()
        if level not in LEVELS:
            raise DefinitionError(
                f"MinAlertLevel must be 'suggestion', 'warning', or 'error' (got '{level}')",
                line=core.line_of(key),
                key=key,
            )
        values["min_alert_level"] = level
    elif key == "Vocab":
        values["vocab"] = tuple(core.list_value(key))
    elif key == "IgnoredScopes":
        values["ignored_scopes"] = tuple(core.list_value(key))
    elif key == "SkippedScopes":
        values["skipped_scopes"] = tuple(core.list_value(key))
    elif key == "IgnoredClasses":
        values["ignored_classes"] = tuple(core.list_value(key))
    elif key == "WordTemplate":
        values["word_template"] = core.last(key) or ""


def _glob_section(section: IniSection, levels: dict[str, Level], source: str) -> GlobSection:
    styles: tuple[str, ...] | None = None
    checks: dict[str, bool] = {}
    blocks: list[str] = []
    tokens: list[str] = []
    for key in section.names():
        if key == "BasedOnStyles":
            styles = tuple(section.list_value(key))
        elif key in {"BlockIgnores", "IgnorePatterns"}:
            blocks.extend(section.list_value(key))
        elif key == "TokenIgnores":
            tokens.extend(section.list_value(key))
        elif key in SYNTAX_KEYS:
            continue
        else:
            value = (section.last(key) or "").strip()
            checks[key] = value in {"YES", *LEVELS}
            if value in LEVELS:
                levels[key] = as_level(value)
    try:
        glob = compile_glob(section.name)
    except DefinitionError as exc:
        raise DefinitionError(exc.problem, source=source, line=section.line) from None
    return GlobSection(
        glob=glob,
        based_on_styles=styles,
        checks=checks,
        block_ignores=tuple(blocks),
        token_ignores=tuple(tokens),
    )
