"""Rule definitions (Vale YAML) → compiled rules.

``parse_rule`` reads one rule file's text; ``compile_rule`` takes an already-parsed mapping
(rules written inline in a guideline set). Both validate every key against the kind's
vocabulary and compile its patterns now, so running a rule never fails on its definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules.base import LEVELS, Action, Rule
from compliance_assistant.engine.rules.fields import Fields
from compliance_assistant.engine.vale.scopes import Scope, scope_problem
from compliance_assistant.engine.yaml_source import load_yaml

COMMON_KEYS = frozenset(
    {
        "extends",
        "message",
        "description",
        "level",
        "scope",
        "link",
        "limit",
        "action",
        "name",
        "code",
    }
)
UNSUPPORTED_KINDS = frozenset({"spelling", "sequence", "script"})


class _Compiler(Protocol):
    kind: str
    keys: frozenset[str]

    def compile(self, fields: Fields, common: dict[str, Any]) -> Rule: ...


@dataclass(frozen=True)
class RuleWarning:
    """A rule that was not loaded, with a reason a person can act on."""

    rule: str
    source: str
    message: str
    line: int | None = None
    kind: str = ""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.rule}: {self.message}"


class UnsupportedRuleKindError(DefinitionError):
    """A valid Vale rule of a kind this engine does not run (spelling, sequence, script).

    ``warning`` is the value to show: loaders of whole styles collect it and carry on.
    """

    def __init__(self, rule: str, kind: str, *, source: str, line: int | None) -> None:
        message = (
            f"unsupported rule kind '{kind}' (spelling, sequence and script rules "
            "are not run by this engine); rule skipped"
        )
        super().__init__(message, source=source, line=line, key="extends")
        self.kind = kind
        self.warning = RuleWarning(rule=rule, source=source, message=message, line=line, kind=kind)


def _registry() -> dict[str, _Compiler]:
    # Imported here so each kind module can import the loader's helpers without a cycle.
    from compliance_assistant.engine.rules.capitalization import Capitalization
    from compliance_assistant.engine.rules.conditional import Conditional
    from compliance_assistant.engine.rules.consistency import Consistency
    from compliance_assistant.engine.rules.existence import Existence
    from compliance_assistant.engine.rules.metric import Metric
    from compliance_assistant.engine.rules.occurrence import Occurrence
    from compliance_assistant.engine.rules.readability import Readability
    from compliance_assistant.engine.rules.repetition import Repetition
    from compliance_assistant.engine.rules.substitution import Substitution

    kinds: list[_Compiler] = [
        Existence,
        Substitution,
        Occurrence,
        Repetition,
        Capitalization,
        Conditional,
        Consistency,
        Metric,
        Readability,
    ]
    return {k.kind: k for k in kinds}


_KINDS: dict[str, _Compiler] = {}


def kinds() -> dict[str, _Compiler]:
    if not _KINDS:
        _KINDS.update(_registry())
    return _KINDS


def parse_rule(name: str, yaml_text: str, *, source: str) -> Rule:
    """Compile the rule ``name`` (``Style.Rule``) from the YAML text of its file."""
    try:
        document = load_yaml(yaml_text, source, allow_duplicate_keys=True)
    except DefinitionError:
        # Go's YAML parser, which Vale uses, accepts \' inside double-quoted strings and
        # published styles rely on it; PyYAML does not. Retry with it read as a quote.
        if "\\'" not in yaml_text:
            raise
        document = load_yaml(yaml_text.replace("\\'", "'"), source, allow_duplicate_keys=True)
    if not isinstance(document.data, dict):
        raise DefinitionError(
            "a rule must be a YAML mapping with 'extends' and 'message'",
            source=source,
            line=document.line() or 1,
        )
    return _compile(
        name, document.data, source=source, line_of=lambda key: document.line(key) if key else 1
    )


def compile_rule(
    name: str, definition: Mapping[str, Any], *, source: str, line: int | None = None
) -> Rule:
    """Compile a rule given as a mapping; errors point at ``line`` (the mapping's start)."""
    return _compile(name, definition, source=source, line_of=lambda _key: line)


def _compile(
    name: str, data: Mapping[str, Any], *, source: str, line_of: Callable[[str], int | None]
) -> Rule:
    fields = Fields(data, source=source, line_of=line_of)
    if "." not in name or name.startswith(".") or name.endswith("."):
        raise fields.error(None, f"rule name '{name}' must look like 'Style.Rule'")
    kind_name = fields.string("extends")
    if not kind_name:
        raise fields.error("extends", "missing the required 'extends' key")
    if kind_name in UNSUPPORTED_KINDS:
        raise UnsupportedRuleKindError(name, kind_name, source=source, line=line_of("extends"))
    compiler = kinds().get(kind_name)
    if compiler is None:
        known = ", ".join(sorted([*kinds(), *UNSUPPORTED_KINDS]))
        raise fields.error("extends", f"'extends' must be one of: {known} (got '{kind_name}')")
    for key in data:
        if key not in COMMON_KEYS and key not in compiler.keys:
            allowed = ", ".join(sorted(COMMON_KEYS - {"code", "name"} | compiler.keys))
            raise fields.error(
                key, f"unknown key '{key}' for a {kind_name} rule (known keys: {allowed})"
            )
    if not fields.has("message"):
        raise fields.error("message", "missing the required 'message' key")
    if fields.boolean("code", False):
        raise fields.error("code", "'code' is deprecated; use 'scope: raw' instead")
    return compiler.compile(fields, _common(name, fields))


def _common(name: str, fields: Fields) -> dict[str, Any]:
    level = fields.string("level", "warning").strip().lower()
    if level not in LEVELS:
        raise fields.error("level", f"'level' must be one of: {', '.join(LEVELS)} (got '{level}')")
    scopes = tuple(s.strip() for s in fields.strings("scope") if s.strip()) or ("text",)
    for value in scopes:
        problem = scope_problem(value)
        if problem:
            raise fields.error("scope", problem)
    limit = fields.integer("limit", 0)
    if limit < 0:
        raise fields.error("limit", "'limit' must not be negative")
    return {
        "name": name,
        "level": level,
        "scope": Scope.parse(scopes),
        "message": fields.string("message"),
        "description": fields.string("description"),
        "link": fields.string("link"),
        "limit": limit,
        "action": _action(fields),
        "source": fields.source,
    }


def _action(fields: Fields) -> Action | None:
    raw = fields.data.get("action")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fields.error("action", "'action' must be a mapping with 'name' and 'params'")
    unknown = set(raw) - {"name", "params"}
    if unknown:
        raise fields.error(
            "action", f"unknown key '{sorted(unknown)[0]}' in 'action' (known keys: name, params)"
        )
    sub = Fields(raw, source=fields.source, line_of=lambda _k: fields.line("action"))
    name = sub.string("name")
    if not name:
        return None
    return Action(name=name, params=sub.strings("params"))
