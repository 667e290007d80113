"""YAML text → plain Python values, remembering the source line of every key and item.

Definitions (guideline sets, Vale rules) must report errors as ``file:line``; PyYAML's
composed node tree carries those marks, which plain ``safe_load`` throws away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from compliance_assistant.engine.errors import DefinitionError

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML value plus the 1-based line where each path's value starts."""

    data: Any
    source: str
    lines: dict[Path, int]

    def line(self, *path: str | int) -> int | None:
        """Line of the value at ``path``, or of its nearest ancestor that has one."""
        current: Path = tuple(path)
        while current:
            if current in self.lines:
                return self.lines[current]
            current = current[:-1]
        return self.lines.get(())

    def error(self, problem: str, *path: str | int) -> DefinitionError:
        key = ".".join(str(p) for p in path) if path else None
        return DefinitionError(problem, source=self.source, line=self.line(*path), key=key)


def load_yaml(
    text: str, source: str = "<text>", *, allow_duplicate_keys: bool = False
) -> YamlDocument:
    """Parse one YAML document. Syntax errors and duplicate keys raise DefinitionError.

    With ``allow_duplicate_keys`` a repeated key keeps its last value instead (what Go's YAML
    decoder does, which published Vale styles rely on).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise DefinitionError(f"invalid YAML: {problem}", source=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(f"invalid YAML: {exc}", source=source) from exc
    lines: dict[Path, int] = {}
    if node is None:
        return YamlDocument(data=None, source=source, lines=lines)
    data = _Builder(source, lines, allow_duplicate_keys).build(node, ())
    return YamlDocument(data=data, source=source, lines=lines)


class _Builder:
    def __init__(
        self, source: str, lines: dict[Path, int], allow_duplicate_keys: bool = False
    ) -> None:
        self._source = source
        self._lines = lines
        self._allow_duplicates = allow_duplicate_keys
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            try:
                return self._constructor.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise DefinitionError(
                    f"invalid value: {exc.problem}",
                    source=self._source,
                    line=node.start_mark.line + 1,
                ) from exc
        raise DefinitionError(
            "unsupported YAML node", source=self._source, line=node.start_mark.line + 1
        )

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        self._constructor.flatten_mapping(node)  # resolve YAML merge keys (<<)
        for key_node, value_node in node.value:
            key = self.build(key_node, (*path, "<key>"))
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise DefinitionError(
                    "mapping keys must be scalars",
                    source=self._source,
                    line=key_node.start_mark.line + 1,
                )
            name = str(key) if not isinstance(key, str) else key
            if name in result and not self._allow_duplicates:
                raise DefinitionError(
                    f"duplicate key '{name}'",
                    source=self._source,
                    line=key_node.start_mark.line + 1,
                )
            result[name] = self.build(value_node, (*path, name))
            # The key's own line is what a reader looks for when the value spans lines.
            self._lines[(*path, name)] = key_node.start_mark.line + 1
        self._lines.pop((*path, "<key>"), None)
        return result
