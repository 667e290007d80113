"""Guideline sets: the model and the validator of their YAML text (DESIGN §6)."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.findings import Severity
from compliance_assistant.engine.yaml_source import YamlDocument, load_yaml


class GuidelineKind(StrEnum):
    RULE = "rule"
    LLM = "llm"
    GTC = "gtc"


class Examples(BaseModel):
    """Example texts; they document the guideline and are its tests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    violation: tuple[str, ...] = ()
    compliant: tuple[str, ...] = ()


class InlineRule(BaseModel):
    """A Vale rule written inside the guideline set instead of a style file."""

    model_config = ConfigDict(frozen=True)

    name: str
    definition: dict[str, Any]
    line: int | None = None


class Guideline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=100)
    title: str = Field(min_length=1)
    kind: GuidelineKind
    severity: Severity | None = None
    description: str = ""
    rules: tuple[str, ...] = ()
    inline_rules: tuple[InlineRule, ...] = ()
    instruction: str = ""
    examples: Examples = Examples()
    product_id: str | None = None
    enabled: bool = True

    @property
    def effective_severity(self) -> Severity:
        """The severity of this guideline's findings when its rules do not say otherwise."""
        return self.severity or Severity.ERROR

    @property
    def definition_hash(self) -> str:
        """Hash of the definition: the verdict-cache key uses it, not a version number."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


class GuidelineSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = ""
    language: str = "en"
    styles: tuple[str, ...] = ()
    guidelines: tuple[Guideline, ...] = Field(min_length=1)
    source: str = Field(default="<text>", exclude=True)

    def get(self, guideline_id: str) -> Guideline | None:
        return next((g for g in self.guidelines if g.id == guideline_id), None)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


_GUIDELINE_KEYS = set(Guideline.model_fields)
_SET_KEYS = set(GuidelineSet.model_fields) - {"source"}


def parse_guideline_set(text: str, source: str = "<text>") -> GuidelineSet:
    """Validate guideline-set YAML. Every error names ``source:line`` and the key."""
    document = load_yaml(text, source)
    data = document.data
    if not isinstance(data, dict):
        raise document.error(
            "a guideline set must be a YAML mapping with 'id', 'version', 'title' and 'guidelines'"
        )
    _reject_unknown(document, data, _SET_KEYS, ())
    raw_guidelines = data.get("guidelines")
    if not isinstance(raw_guidelines, list) or not raw_guidelines:
        raise document.error("must be a non-empty list of guidelines", "guidelines")
    guidelines = [_parse_guideline(document, item, i) for i, item in enumerate(raw_guidelines)]
    _check_unique_ids(document, guidelines)
    fields = {k: v for k, v in data.items() if k != "guidelines"}
    try:
        return GuidelineSet(**fields, guidelines=tuple(guidelines), source=source)
    except ValidationError as exc:
        raise _from_validation(document, exc, ()) from None


def _parse_guideline(document: YamlDocument, item: Any, index: int) -> Guideline:
    path = ("guidelines", index)
    if not isinstance(item, dict):
        raise document.error("each guideline must be a mapping", *path)
    _reject_unknown(document, item, _GUIDELINE_KEYS, path)
    fields = dict(item)
    rule_names, inline = _split_rules(document, fields.pop("rules", None), path)
    fields["rules"] = rule_names
    fields["inline_rules"] = inline
    try:
        guideline = Guideline(**fields)
    except ValidationError as exc:
        raise _from_validation(document, exc, path) from None
    _check_kind_requirements(document, guideline, path)
    return guideline


def _split_rules(
    document: YamlDocument, raw: Any, path: tuple[str | int, ...]
) -> tuple[tuple[str, ...], tuple[InlineRule, ...]]:
    """``rules`` holds ``Style.Rule`` names and/or inline Vale rule mappings with a ``name``."""
    if raw is None:
        return (), ()
    if not isinstance(raw, list):
        raise document.error("must be a list of rule names or inline rules", *path, "rules")
    names: list[str] = []
    inline: list[InlineRule] = []
    for i, entry in enumerate(raw):
        entry_path = (*path, "rules", i)
        if isinstance(entry, str) and entry.strip():
            names.append(entry.strip())
        elif isinstance(entry, dict):
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise document.error("an inline rule needs a 'name'", *entry_path)
            definition = {k: v for k, v in entry.items() if k != "name"}
            inline.append(
                InlineRule(
                    name=name.strip(), definition=definition, line=document.line(*entry_path)
                )
            )
        else:
            raise document.error(
                "must be a rule name such as 'Style.Rule' or a mapping", *entry_path
            )
    return tuple(names), tuple(inline)


def _check_kind_requirements(
    document: YamlDocument, guideline: Guideline, path: tuple[str | int, ...]
) -> None:
    if guideline.kind is GuidelineKind.RULE and not (guideline.rules or guideline.inline_rules):
        raise document.error("a 'rule' guideline needs at least one entry in 'rules'", *path)
    if guideline.kind is GuidelineKind.LLM and not guideline.instruction.strip():
        raise document.error("an 'llm' guideline needs an 'instruction'", *path)


def _check_unique_ids(document: YamlDocument, guidelines: list[Guideline]) -> None:
    seen: set[str] = set()
    for i, guideline in enumerate(guidelines):
        if guideline.id in seen:
            raise document.error(f"duplicate guideline id '{guideline.id}'", "guidelines", i, "id")
        seen.add(guideline.id)


def _reject_unknown(
    document: YamlDocument, data: dict[str, Any], allowed: set[str], path: tuple[str | int, ...]
) -> None:
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise document.error(f"unknown key '{key}' (known keys: {known})", *path, key)


def _from_validation(
    document: YamlDocument, exc: ValidationError, path: tuple[str | int, ...]
) -> DefinitionError:
    first = exc.errors()[0]
    location = tuple(first["loc"])
    message = first["msg"]
    if first["type"] == "missing":
        message = "is required"
    full = (*path, *location)
    return document.error(message, *full)
