"""Finds guideline sets on disk and turns one into a CheckPlan with its styles loaded.

A set lives in a folder holding ``guideline-set.yaml`` and, optionally, ``styles/`` with the
Vale styles it uses. Shipped sets sit in the repository's ``guidelines/``; more folders come
from ``COMPLIANCE_CATALOG__GUIDELINES_PATH``. A set may also be named by its YAML file path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from compliance_assistant.catalog.styles import find_style_dirs, load_styles
from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.guidelines import GuidelineSet, parse_guideline_set
from compliance_assistant.engine.plan import CheckPlan, build_plan
from compliance_assistant.engine.result import ResultWarning
from compliance_assistant.errors import DefinitionInputError, NotFoundError

SET_FILE_NAME = "guideline-set.yaml"
STYLES_DIR_NAME = "styles"


def shipped_guidelines_dir() -> Path:
    """The repository's ``guidelines/`` folder (the package is installed from a checkout)."""
    return Path(__file__).resolve().parents[3] / "guidelines"


@dataclass(frozen=True)
class SetEntry:
    """A guideline set found on disk."""

    guideline_set: GuidelineSet
    path: Path

    @property
    def styles_dir(self) -> Path:
        return self.path.parent / STYLES_DIR_NAME


@dataclass(frozen=True)
class GuidelineCatalog:
    search_paths: tuple[Path, ...]
    styles_paths: tuple[Path, ...] = ()

    @classmethod
    def create(
        cls, guidelines_path: Sequence[Path] = (), styles_path: Sequence[Path] = ()
    ) -> GuidelineCatalog:
        paths = (*guidelines_path, shipped_guidelines_dir())
        return cls(
            search_paths=tuple(dict.fromkeys(p.expanduser() for p in paths)),
            styles_paths=tuple(p.expanduser() for p in styles_path),
        )

    def entries(self) -> list[SetEntry]:
        """Every valid set in the search paths; the first path wins for a repeated id."""
        found: dict[str, SetEntry] = {}
        for root in self.search_paths:
            if not root.is_dir():
                continue
            for file in sorted(root.glob(f"*/{SET_FILE_NAME}")):
                entry = read_set(file)
                found.setdefault(entry.guideline_set.id, entry)
        return sorted(found.values(), key=lambda e: e.guideline_set.id)

    def find(self, ref: str) -> SetEntry:
        """A set by id (``marketing-eu``), id@version, folder or YAML file path."""
        candidate = Path(ref).expanduser()
        if candidate.is_file():
            return read_set(candidate)
        if candidate.is_dir() and (candidate / SET_FILE_NAME).is_file():
            return read_set(candidate / SET_FILE_NAME)
        set_id, _, version = ref.partition("@")
        for entry in self.entries():
            if entry.guideline_set.id != set_id:
                continue
            if version and str(entry.guideline_set.version) != version:
                raise NotFoundError(
                    f"Guideline set '{set_id}' exists in version "
                    f"{entry.guideline_set.version}, not {version}."
                )
            return entry
        known = ", ".join(e.guideline_set.id for e in self.entries()) or "none"
        raise NotFoundError(
            f"No guideline set '{ref}'. Known sets: {known}. A path to a "
            f"{SET_FILE_NAME} file or its folder works too."
        )

    def plan(self, ref: str) -> CheckPlan:
        return plan_for(self.find(ref), self.styles_paths)


def read_set(path: Path) -> SetEntry:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFoundError(f"Cannot read guideline set {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise DefinitionInputError(f"{path}: not UTF-8 text ({exc.reason}).") from exc
    try:
        guideline_set = parse_guideline_set(text, source=str(path))
    except DefinitionError as exc:
        raise DefinitionInputError(str(exc)) from exc
    return SetEntry(guideline_set=guideline_set, path=path)


def plan_for(entry: SetEntry, user_styles_paths: Sequence[Path] = ()) -> CheckPlan:
    """Load the set's own styles and the user's styles path; bind rules to guidelines."""
    return _cached_plan(entry.path, entry.path.stat().st_mtime_ns, tuple(user_styles_paths))


@lru_cache(maxsize=32)
def _cached_plan(path: Path, _mtime_ns: int, user_styles_paths: tuple[Path, ...]) -> CheckPlan:
    # Rules compile once per process per set version on disk (the mtime is part of the key).
    entry = read_set(path)
    own = [entry.styles_dir] if entry.styles_dir.is_dir() else []
    user = [p for p in user_styles_paths if p.is_dir()]
    try:
        missing = [
            name
            for name in entry.guideline_set.styles
            if name not in find_style_dirs([*own, *user])
        ]
        if missing:
            searched = ", ".join(str(p) for p in [*own, *user]) or "no styles folder"
            raise DefinitionInputError(
                f"{entry.path}: the set lists style(s) {', '.join(missing)} under 'styles', "
                f"but no such style folder exists (searched: {searched})."
            )
        library = load_styles([*own, *user], include_builtin=False)
        user_styles = sorted({name for p in user for name in _style_names(p)})
        warnings = [
            ResultWarning(
                code="RULE_NOT_LOADED",
                message=f"{w.rule}: {w.message}",
                details={"rule": w.rule, "source": w.source},
            )
            for w in library.warnings
        ]
        return build_plan(entry.guideline_set, library, extra_styles=user_styles, warnings=warnings)
    except DefinitionError as exc:
        raise DefinitionInputError(str(exc)) from exc


def _style_names(styles_path: Path) -> list[str]:
    return [
        child.name
        for child in styles_path.iterdir()
        if child.is_dir() and not child.name.startswith((".", "config"))
    ]
