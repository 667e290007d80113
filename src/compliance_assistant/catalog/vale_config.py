"""Finding and reading a Vale project: ``.vale.ini``, its StylesPath, styles and Vocab.

The INI text is parsed by the pure engine (``engine.vale.config``); this module does the file
system work and assembles, per linted file, the rules to run and the run options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance_assistant.catalog.styles import (
    BUILTIN_STYLE,
    StyleLibrary,
    find_style_dirs,
    load_style_dir,
    load_styles,
    read_vocab,
)
from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.rules import Level, LintOptions, Rule, vocab_rules
from compliance_assistant.engine.vale.config import FileSettings, ValeConfig, parse_vale_config

# Names Vale looks for, in its order, in the working directory and then its ancestors.
CONFIG_NAMES = (".vale", "_vale", "vale.ini", ".vale.ini", "_vale.ini")


def find_config(start: Path) -> Path | None:
    """The nearest configuration file in ``start`` or one of its ancestors, or None."""
    directory = start.resolve()
    for folder in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


@dataclass(frozen=True)
class ValeProject:
    """A loaded configuration: styles compiled once, rules chosen per file."""

    config: ValeConfig
    path: Path | None
    styles_paths: tuple[Path, ...]
    library: StyleLibrary
    accepted: tuple[str, ...] = ()

    def settings(self, relative_path: str) -> FileSettings:
        return self.config.for_path(relative_path)

    def rules_for(self, relative_path: str) -> list[Rule]:
        """The rules Vale would run on this file (before level filtering)."""
        settings = self.settings(relative_path)
        return [rule for name, rule in self.library.items() if settings.enabled(name)]

    def options(self, min_alert_level: Level | None = None) -> LintOptions:
        return LintOptions(
            min_alert_level=min_alert_level or self.config.min_alert_level,
            levels=dict(self.config.levels),
            accepted=self.accepted,
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(w) for w in self.library.warnings)


def read_config(path: Path) -> ValeConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read the configuration: {exc}", source=str(path)) from None
    return parse_vale_config(text, source=str(path))


def load_project(path: Path | None, *, config: ValeConfig | None = None) -> ValeProject:
    """Read ``path`` (or use ``config``) and load every style and Vocab it refers to."""
    if config is None:
        if path is None:
            raise DefinitionError("no configuration given")
        config = read_config(path)
    base = path.parent if path is not None else Path.cwd()
    styles_paths = tuple(_resolve(base, p) for p in config.styles_path)
    for folder in styles_paths:
        if not folder.is_dir():
            raise DefinitionError(
                f"StylesPath '{folder}' does not exist",
                source=str(path or "<config>"),
                key="StylesPath",
            )
    library = _load_library(config, styles_paths)
    accepted: list[str] = []
    rejected: list[str] = []
    for name in config.vocab:
        accept, reject = read_vocab(styles_paths, name)
        accepted.extend(accept)
        rejected.extend(reject)
    extra = vocab_rules(accepted, rejected)
    if extra:
        library = StyleLibrary(
            rules={**library.rules, **extra}, warnings=library.warnings, paths=library.paths
        )
    return ValeProject(
        config=config,
        path=path,
        styles_paths=styles_paths,
        library=library,
        accepted=tuple(dict.fromkeys(accepted)),
    )


def _load_library(config: ValeConfig, styles_paths: Sequence[Path]) -> StyleLibrary:
    """Styles named by BasedOnStyles, plus the styles of individually switched-on rules."""
    named = list(config.all_styles)
    available = find_style_dirs(styles_paths)
    missing = [s for s in named if s not in available and s != BUILTIN_STYLE]
    if missing:
        searched = ", ".join(str(p) for p in styles_paths) or "(no StylesPath set)"
        raise DefinitionError(
            f"style '{missing[0]}' does not exist on StylesPath ({searched})",
            source=config.source,
            key="BasedOnStyles",
        )
    wants_builtin = BUILTIN_STYLE in named or any(
        c.split(".", 1)[0] == BUILTIN_STYLE for c in config.all_checks
    )
    library = load_styles(
        styles_paths, [s for s in named if s != BUILTIN_STYLE], include_builtin=False
    )
    if wants_builtin:
        library = library.merged(load_styles([], [BUILTIN_STYLE]))
    for check in config.all_checks:
        style = check.split(".", 1)[0]
        if "." in check and check not in library and style in available and style not in named:
            library = library.merged(load_style_dir(available[style], style))
    return library


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (base / candidate).resolve()
