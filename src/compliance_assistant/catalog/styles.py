"""Vale styles on disk: a StylesPath of style folders, each holding one ``Rule.yml`` per rule.

This module reads files; compiling is the pure engine's job. A rule of a kind the engine does
not run (spelling, sequence, script) is reported as a warning and skipped; any other problem
in a rule file is a DefinitionError naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules import (
    Rule,
    RuleWarning,
    UnsupportedRuleKindError,
    builtin_rules,
    parse_rule,
)

BUILTIN_STYLE = "Vale"
RULE_SUFFIXES = (".yml", ".yaml")
# Folders of a StylesPath that hold configuration, not a style.
NON_STYLE_DIRS = frozenset({"config", "Vocab", ".vale-config"})


@dataclass(frozen=True)
class StyleLibrary(Mapping[str, Rule]):
    """Compiled rules keyed by ``Style.Rule``, with lookups by style and load warnings."""

    rules: Mapping[str, Rule]
    warnings: tuple[RuleWarning, ...] = ()
    paths: Mapping[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Rule:
        return self.rules[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def styles(self) -> tuple[str, ...]:
        return tuple(sorted({name.split(".", 1)[0] for name in self.rules}))

    def style(self, style: str) -> tuple[Rule, ...]:
        """Every rule of ``style``, ordered by name."""
        prefix = style + "."
        return tuple(self.rules[n] for n in sorted(self.rules) if n.startswith(prefix))

    def merged(self, other: StyleLibrary) -> StyleLibrary:
        """Rules of both; on a name clash the rule already here wins (first path wins)."""
        rules = {**other.rules, **self.rules}
        return StyleLibrary(
            rules=rules,
            warnings=(*self.warnings, *other.warnings),
            paths={**other.paths, **self.paths},
        )


def find_style_dirs(styles_paths: Sequence[Path]) -> dict[str, Path]:
    """Style name → folder; the first StylesPath entry that has a style wins."""
    found: dict[str, Path] = {}
    for base in styles_paths:
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if (
                entry.is_dir()
                and entry.name not in NON_STYLE_DIRS
                and not entry.name.startswith(".")
                and entry.name not in found
            ):
                found[entry.name] = entry
    return found


def load_style_dir(directory: Path, style: str | None = None) -> StyleLibrary:
    """Compile every rule file directly inside ``directory`` (style name = folder name)."""
    name = style or directory.name
    rules: dict[str, Rule] = {}
    warnings: list[RuleWarning] = []
    paths: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix not in RULE_SUFFIXES:
            continue
        rule_name = f"{name}.{path.stem}"
        if rule_name in rules:
            continue
        loaded = _load_rule_file(rule_name, path)
        if isinstance(loaded, RuleWarning):
            warnings.append(loaded)
            continue
        rules[rule_name] = loaded
        paths[rule_name] = path
    return StyleLibrary(rules=rules, warnings=tuple(warnings), paths=paths)


def _load_rule_file(rule_name: str, path: Path) -> Rule | RuleWarning:
    try:
        stat = path.stat()
    except OSError as exc:
        raise DefinitionError(f"cannot read rule file: {exc}", source=str(path)) from exc
    return _load_rule_cached(rule_name, str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _load_rule_cached(rule_name: str, path: str, mtime_ns: int, size: int) -> Rule | RuleWarning:
    """Compile a rule file once per process (re-read when its size or mtime changes)."""
    del mtime_ns, size  # part of the cache key only
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read rule file: {exc}", source=path) from exc
    try:
        return parse_rule(rule_name, text, source=path)
    except UnsupportedRuleKindError as exc:
        return exc.warning


def load_styles(
    styles_paths: Sequence[Path],
    names: Sequence[str] | None = None,
    *,
    include_builtin: bool = True,
) -> StyleLibrary:
    """Load the named styles (all styles found when ``names`` is None) from a StylesPath.

    ``Vale`` is the built-in style (``Vale.Repetition``; ``Vale.Spelling`` is reported as
    unsupported). Naming a style that no StylesPath entry holds is a DefinitionError.
    """
    available = find_style_dirs(styles_paths)
    wanted = list(dict.fromkeys(names)) if names is not None else sorted(available)
    library = StyleLibrary(rules={})
    missing = [n for n in wanted if n not in available and n != BUILTIN_STYLE]
    if missing:
        searched = ", ".join(str(p) for p in styles_paths) or "(no StylesPath)"
        raise DefinitionError(
            f"style(s) {', '.join(missing)} not found on the StylesPath (searched: {searched})",
            source=searched,
        )
    for style in wanted:
        if style == BUILTIN_STYLE:
            continue
        library = library.merged(load_style_dir(available[style], style))
    if include_builtin and (names is None or BUILTIN_STYLE in wanted):
        library = library.merged(_builtin_library())
    return library


def _builtin_library() -> StyleLibrary:
    spelling = RuleWarning(
        rule="Vale.Spelling",
        source="<built-in>",
        kind="spelling",
        message="unsupported rule kind 'spelling' (spelling, sequence and "
        "script rules are not run by this engine); rule skipped",
    )
    return StyleLibrary(rules=builtin_rules(), warnings=(spelling,))


def read_vocab(styles_paths: Sequence[Path], name: str) -> tuple[list[str], list[str]]:
    """Accepted and rejected terms of the Vocab ``name`` (``config/vocabularies/NAME`` or
    the older ``Vocab/NAME``), one term a line; blank lines and ``#`` comments skipped."""
    for base in styles_paths:
        for folder in (base / "config" / "vocabularies" / name, base / "Vocab" / name):
            if folder.is_dir():
                return (_word_list(folder / "accept.txt"), _word_list(folder / "reject.txt"))
    searched = ", ".join(str(p) for p in styles_paths) or "(no StylesPath)"
    raise DefinitionError(
        f"vocabulary '{name}' not found: expected a folder "
        f"config/vocabularies/{name} on the StylesPath",
        source=searched,
    )


def _word_list(path: Path) -> list[str]:
    if not path.is_file():
        return []
    terms: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        term = line.strip()
        if term and not term.startswith("#"):
            terms.append(term)
    return terms
