"""Typed access to a rule definition's keys, with ``file:line`` errors.

Vale decodes rule YAML "weakly typed": a single string where a list is expected is a
one-item list, ``"true"`` is a boolean, ``"3"`` an integer. The same coercions apply here,
and anything else is a DefinitionError naming the key and its line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compliance_assistant.engine.errors import DefinitionError

_TRUE = {"true", "yes", "on", "1", "t"}
_FALSE = {"false", "no", "off", "0", "f", ""}


class Fields:
    """One rule's definition mapping plus where each key is in its source."""

    def __init__(
        self, data: Mapping[str, Any], *, source: str, line_of: Callable[[str], int | None]
    ) -> None:
        self.data = data
        self.source = source
        self._line_of = line_of

    def line(self, key: str) -> int | None:
        return self._line_of(key)

    def error(self, key: str | None, problem: str) -> DefinitionError:
        line = self._line_of(key) if key else self._line_of("")
        return DefinitionError(problem, source=self.source, line=line, key=key)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def string(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.error(key, f"must be a string, not {_type_name(value)}")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return (str(value),)
        if isinstance(value, list):
            items: list[str] = []
            for item in value:
                if isinstance(item, (dict, list)) or item is None:
                    raise self.error(key, "must be a list of strings")
                items.append(_scalar(item))
            return tuple(items)
        raise self.error(key, f"must be a string or a list of strings, not {_type_name(value)}")

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self.error(key, f"must be true or false, not {value!r}")

    def integer(self, key: str, default: int = 0) -> int:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise self.error(key, f"must be an integer, not {value!r}")

    def number(self, key: str, default: float = 0.0) -> float:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise self.error(key, f"must be a number, not {value!r}")

    def mapping(self, key: str) -> dict[str, str]:
        """A string → string mapping (``swap``, ``either``); a list of one-pair maps works too."""
        value = self.data.get(key)
        if value is None:
            return {}
        pairs: dict[str, str] = {}
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if not isinstance(entry, dict):
                raise self.error(key, "must be a mapping of 'pattern: replacement' pairs")
            for k, v in entry.items():
                if isinstance(v, (dict, list)):
                    raise self.error(key, f"the value for '{k}' must be a string")
                pairs[_scalar(k)] = "" if v is None else _scalar(v)
        return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
