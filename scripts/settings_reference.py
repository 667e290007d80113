"""Write docs/configuration.md, the configuration reference, from the settings model.

    .venv/bin/python scripts/settings_reference.py            # (re)write the reference
    .venv/bin/python scripts/settings_reference.py --check    # exit 1 if it is stale

Every leaf of :class:`compliance_assistant.config.Settings` (nested groups walked to the end)
becomes one row: its environment variable, its Key Vault secret name when it may come from the
vault (``config_secrets.KEY_VAULT_SETTINGS``), type, default, constraints and meaning. The
meaning is the field's ``description`` or else the ``#`` comment block right above the field in
``config.py`` (read with ``ast``), so the reference says what the code's comments say. A
setting with neither is an error: the script refuses to write and names it.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from pydantic import AnyHttpUrl, BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from compliance_assistant.config import Settings
from compliance_assistant.config_secrets import KEY_VAULT_SETTINGS, secret_name

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
ENV_PREFIX = "COMPLIANCE_"
NESTED_DELIMITER = "__"
# Section headers in config.py ("# -- the judge … --") group fields; they describe none.
_SECTION_MARK = "--"


@dataclass(frozen=True)
class SettingRow:
    dotted: str
    env_var: str
    key_vault: str | None
    type: str
    default: str
    constraints: str
    meaning: str


@dataclass(frozen=True)
class Group:
    dotted: str
    summary: str
    rows: tuple[SettingRow, ...]


def _is_group(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@cache
def _source_comments(model: type[BaseModel]) -> dict[str, str]:
    """Field name → the ``#`` comment block directly above its declaration in the class."""
    source = textwrap.dedent(inspect.getsource(model))
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef) or node.name != model.__name__:
            continue
        for statement in node.body:
            if not (
                isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
            ):
                continue
            block: list[str] = []
            index = statement.lineno - 2  # the line above, 0-based
            while index >= 0 and lines[index].strip().startswith("#"):
                text = lines[index].strip().removeprefix("#").strip()
                if not (text.startswith(_SECTION_MARK) and text.endswith(_SECTION_MARK)):
                    block.insert(0, text)
                index -= 1
            if block:
                found[statement.target.id] = " ".join(block)
    return found


def _meaning(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    if field.description:
        return " ".join(field.description.split())
    return _source_comments(model).get(name, "")


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _type_name(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return " or ".join(_type_name(arg) for arg in members)
    if origin is list:
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        key, value = get_args(annotation)
        return f"map {_type_name(key)} → {_type_name(value)}"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    names = {SecretStr: "secret", AnyHttpUrl: "URL", Path: "path"}
    if annotation in names:
        return names[annotation]
    return str(getattr(annotation, "__name__", annotation))


def _home_relative(text: str) -> str:
    home = str(Path.home())
    return "~" + text[len(home) :] if text.startswith(home + "/") else text


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]  # ours take no arguments
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if value is None:
        return "unset"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Path):
        return f"`{_home_relative(str(value))}`"
    if isinstance(value, list | dict):
        return "empty" if not value else f"`{json.dumps(value, default=str)}`"
    if value == "":
        return '`""` (empty)'
    return f"`{value}`"


_BOUNDS = (
    (annotated_types.Ge, "ge", "≥"),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "≤"),
    (annotated_types.Lt, "lt", "<"),
)


def _constraints(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for kind, attribute, sign in _BOUNDS:
            if isinstance(item, kind):
                parts.append(f"{sign} {getattr(item, attribute)}")
        if isinstance(item, annotated_types.MinLen):
            parts.append(f"at least {item.min_length} item(s)")
    return ", ".join(parts)


def _rows(model: type[BaseModel], path: tuple[str, ...]) -> Iterator[SettingRow | Group]:
    """The model's own settings, then one :class:`Group` per nested settings model."""
    nested: list[Group] = []
    for name, field in model.model_fields.items():
        dotted = (*path, name)
        if _is_group(field.annotation):
            assert isinstance(field.annotation, type)
            group_model: type[BaseModel] = field.annotation
            nested.extend(_groups(group_model, dotted))
            continue
        setting = ".".join(dotted)
        yield SettingRow(
            dotted=setting,
            env_var=ENV_PREFIX + NESTED_DELIMITER.join(part.upper() for part in dotted),
            key_vault=secret_name(setting) if setting in KEY_VAULT_SETTINGS else None,
            type=_type_name(field.annotation),
            default=_default(field),
            constraints=_constraints(field),
            meaning=_meaning(model, name, field),
        )
    yield from nested


def _groups(model: type[BaseModel], path: tuple[str, ...]) -> list[Group]:
    own: list[SettingRow] = []
    nested: list[Group] = []
    for item in _rows(model, path):
        if isinstance(item, SettingRow):
            own.append(item)
        else:
            nested.append(item)
    summary = " ".join((inspect.getdoc(model) or "").split()) if path else ""
    if model.__doc__ is None or model.__doc__ is BaseModel.__doc__:
        summary = ""
    return [Group(".".join(path), summary, tuple(own)), *nested]


def settings_groups() -> list[Group]:
    """Every settings group, the root first, each with its leaf settings in declaration order."""
    return _groups(Settings, ())


def settings_rows() -> list[SettingRow]:
    return [row for group in settings_groups() for row in group.rows]


def missing_descriptions() -> list[str]:
    """Dotted names of settings with neither a description nor a comment above them."""
    return [row.dotted for row in settings_rows() if not row.meaning]


def _cell(text: str) -> str:
    """Table-cell text: pipes escaped, and ``<`` / ``>`` outside code spans as entities (a
    comment's ``<tenant-id>`` would otherwise be taken for an HTML tag)."""
    parts = text.replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):  # even parts are outside code spans
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def render() -> str:
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated by scripts/settings_reference.py from src/compliance_assistant/config.py;",
        "     do not edit by hand. tests/ops/test_configuration_reference.py fails when stale. -->",
        "",
        "Every setting is an environment variable: the prefix `COMPLIANCE_` and `__` between",
        "nested groups (`llm.api_key` is `COMPLIANCE_LLM__API_KEY`). A `.env` file in the",
        "working directory is read too; values set in the environment win over it. Lists and",
        'maps are given as JSON (`["RS256", "ES256"]`) unless the meaning says otherwise.',
        "Settings are validated at start-up: a bad value stops the process with a message",
        "naming the variable.",
        "",
        "**Key Vault.** With `COMPLIANCE_KEY_VAULT_URL` set, the settings that have a Key Vault",
        "secret name below are read from that vault (managed identity or any",
        "`DefaultAzureCredential`); a value in the environment or `.env` wins over the vault's.",
        "",
        "**Secrets** (type `secret`) are never logged or shown; outside `development`, a",
        "placeholder value (`changeme`, `<…>`, `xxxx` …) is refused at start-up.",
        "",
    ]
    for group in settings_groups():
        title = f"`{group.dotted}`" if group.dotted else "Top level"
        out += [f"## {title}", ""]
        if group.summary:
            out += [group.summary, ""]
        out += [
            "| environment variable | Key Vault secret | type | default | meaning |",
            "|---|---|---|---|---|",
        ]
        for row in group.rows:
            kind = row.type + (f" ({row.constraints})" if row.constraints else "")
            vault = f"`{row.key_vault}`" if row.key_vault else ""
            out.append(
                f"| `{row.env_var}` | {vault} | {_cell(kind)} | {_cell(row.default)} "
                f"| {_cell(row.meaning)} |"
            )
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=REFERENCE)
    args = parser.parse_args(argv)
    missing = missing_descriptions()
    if missing:
        print(
            "settings without a description (add a '#' comment above the field in config.py): "
            + ", ".join(missing),
            file=sys.stderr,
        )
        return 1
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run scripts/settings_reference.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(settings_rows())} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
