"""Guideline sets as the service sees them: shipped sets (read-only, every tenant) and the
tenant's own versioned sets (database), resolved by ``id`` or ``id@version`` into a plan.

Shipped ids are reserved: a tenant set cannot take one, so a reference is never ambiguous.
Parsed sets and compiled plans are memoised per process: a stored version never changes, and
shipped files are re-read when their modification time does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.catalog.guideline_sets import (
    SET_FILE_NAME,
    STYLES_DIR_NAME,
    GuidelineCatalog,
    SetEntry,
    plan_for,
    read_set,
)
from compliance_assistant.catalog.styles import load_styles
from compliance_assistant.checks.errors import (
    GuidelineSetNotFoundError,
    ReadOnlyGuidelineSetError,
)
from compliance_assistant.config import LimitsSettings
from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.examples import ExamplesReport, run_examples
from compliance_assistant.engine.guidelines import GuidelineSet, parse_guideline_set
from compliance_assistant.engine.plan import CheckPlan, build_plan
from compliance_assistant.errors import DefinitionInputError, InputError, TooLargeError
from compliance_assistant.storage.db import GuidelineSetRecord, guideline_sets


@dataclass(frozen=True)
class ResolvedSet:
    """One exact version of a set. ``created_at``/``created_by`` only for tenant sets."""

    guideline_set: GuidelineSet
    shipped: bool
    entry: SetEntry | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    yaml_text: str | None = None

    @property
    def id(self) -> str:
        return self.guideline_set.id

    @property
    def version(self) -> int:
        return self.guideline_set.version


def definition_error(exc: DefinitionError) -> DefinitionInputError:
    """The engine's error (``source:line: key: problem``) with its parts as details."""
    return DefinitionInputError(
        str(exc),
        details={"source": exc.source, "line": exc.line, "key": exc.key, "problem": exc.problem},
    )


def parse_ref(ref: str) -> tuple[str, int | None]:
    set_id, at, version = ref.strip().partition("@")
    if not set_id:
        raise InputError(f"'{ref}' is not a guideline set reference; use an id or id@version")
    if not at:
        return set_id, None
    if not version.isdigit() or int(version) < 1:
        raise InputError(f"'{ref}': the version after '@' must be a positive whole number")
    return set_id, int(version)


class GuidelineSetService:
    """Stateless; use the module-level ``guideline_set_service`` instance."""

    def shipped(self, catalog: GuidelineCatalog) -> dict[str, SetEntry]:
        """Shipped (and configured-path) sets by id; re-read only when a file changes (seen
        within ``SIGNATURE_RECHECK_SECONDS``)."""
        return _shipped_index(catalog.search_paths, _recent_signature(catalog.search_paths))

    async def resolve(
        self,
        session: AsyncSession,
        catalog: GuidelineCatalog,
        tenant_id: str,
        set_id: str,
        version: int | None = None,
    ) -> ResolvedSet:
        """The exact version (the latest when None); ``GuidelineSetNotFoundError`` otherwise."""
        entry = self.shipped(catalog).get(set_id)
        if entry is not None:
            if version is not None and version != entry.guideline_set.version:
                raise GuidelineSetNotFoundError(
                    f"Guideline set '{set_id}' is shipped in version "
                    f"{entry.guideline_set.version}, not {version}.",
                    details={"guideline_set": set_id, "version": version},
                )
            return ResolvedSet(entry.guideline_set, shipped=True, entry=entry)
        record = await guideline_sets.get(session, tenant_id, set_id, version)
        if record is None:
            wanted = f"{set_id}@{version}" if version is not None else set_id
            raise GuidelineSetNotFoundError(
                f"No guideline set '{wanted}'. GET /api/v1/guideline-sets lists the sets "
                "available to you.",
                details={"guideline_set": wanted},
            )
        return _resolved(record)

    async def resolve_ref(
        self, session: AsyncSession, catalog: GuidelineCatalog, tenant_id: str, ref: str
    ) -> ResolvedSet:
        set_id, version = parse_ref(ref)
        return await self.resolve(session, catalog, tenant_id, set_id, version)

    def plan(
        self,
        resolved: ResolvedSet,
        catalog: GuidelineCatalog,
        tenant_id: str,
        selection: Sequence[str] = (),
    ) -> CheckPlan:
        """The compiled plan, narrowed to ``selection``; unknown guideline ids are a 422."""
        if resolved.entry is not None:
            plan = plan_for(resolved.entry, catalog.styles_paths)
        else:
            plan = _tenant_plan(
                tenant_id,
                resolved.id,
                resolved.version,
                resolved.yaml_text or "",
                _style_dirs(catalog),
            )
        if not selection:
            return plan
        try:
            return plan.select(list(dict.fromkeys(selection)))
        except DefinitionError as exc:
            raise DefinitionInputError(
                exc.problem, details={"guidelines": list(selection), "problem": exc.problem}
            ) from None

    async def list_sets(
        self, session: AsyncSession, catalog: GuidelineCatalog, tenant_id: str
    ) -> list[ResolvedSet]:
        """Shipped sets first, then the latest version of each of the tenant's sets."""
        shipped = [
            ResolvedSet(e.guideline_set, shipped=True, entry=e)
            for e in sorted(self.shipped(catalog).values(), key=lambda e: e.guideline_set.id)
        ]
        own = await guideline_sets.list_latest(session, tenant_id)
        return shipped + [_resolved(record) for record in own]

    async def versions(
        self, session: AsyncSession, catalog: GuidelineCatalog, tenant_id: str, set_id: str
    ) -> list[ResolvedSet]:
        """Every version, oldest first (one for a shipped set)."""
        entry = self.shipped(catalog).get(set_id)
        if entry is not None:
            return [ResolvedSet(entry.guideline_set, shipped=True, entry=entry)]
        records = await guideline_sets.list_versions(session, tenant_id, set_id)
        if not records:
            raise GuidelineSetNotFoundError(
                f"No guideline set '{set_id}'.", details={"guideline_set": set_id}
            )
        return [_resolved(record) for record in records]

    async def create_version(
        self,
        session: AsyncSession,
        catalog: GuidelineCatalog,
        tenant_id: str,
        *,
        yaml_text: str,
        created_by: str,
        now: datetime,
        limits: LimitsSettings | None = None,
    ) -> ResolvedSet:
        """Validate the YAML (errors name the line), compile its rules, store it as the set's
        next version. The ``version`` written in the YAML is replaced by the assigned one.
        The set's size is checked against ``limits`` (the defaults when None)."""
        bounds = limits or LimitsSettings()
        size = len(yaml_text.encode("utf-8"))
        if size > bounds.max_guideline_set_bytes:
            raise TooLargeError(
                f"The guideline set is {size:,} bytes, more than the limit of "
                f"{bounds.max_guideline_set_bytes:,}; split it into several sets.",
                details={"bytes": size, "limit_bytes": bounds.max_guideline_set_bytes},
            )
        try:
            parsed = parse_guideline_set(yaml_text, source="guideline-set.yaml")
        except DefinitionError as exc:
            raise definition_error(exc) from None
        _check_set_size(parsed, bounds)
        if parsed.id in self.shipped(catalog):
            raise ReadOnlyGuidelineSetError(
                f"'{parsed.id}' is a shipped guideline set and cannot be changed; give your "
                "set another id.",
                details={"guideline_set": parsed.id},
            )
        # Compile now, so a set naming an unknown rule is refused here, not at check time.
        await asyncio.to_thread(_compile, parsed, _style_dirs(catalog))
        record = await guideline_sets.create_version(
            session,
            tenant_id,
            parsed.id,
            title=parsed.title,
            yaml_text=yaml_text,
            created_by=created_by,
            now=now,
        )
        return _resolved(record)

    async def run_examples(
        self,
        resolved: ResolvedSet,
        catalog: GuidelineCatalog,
        tenant_id: str,
        guideline_ids: Sequence[str] = (),
    ) -> ExamplesReport:
        """The set's examples as tests, in a thread (rules are CPU work). Guidelines that need
        a service (llm, gtc) report their examples ``not_run`` with the reason."""
        plan = self.plan(resolved, catalog, tenant_id)
        known = {g.id for g in plan.guideline_set.guidelines}
        unknown = [g for g in guideline_ids if g not in known]
        if unknown:
            raise InputError(
                f"unknown guideline id(s): {', '.join(unknown)}",
                details={"unknown": unknown, "known": sorted(known)},
            )
        return await asyncio.to_thread(run_examples, plan, guideline_ids=list(guideline_ids))


def _check_set_size(guideline_set: GuidelineSet, limits: LimitsSettings) -> None:
    guidelines = len(guideline_set.guidelines)
    rules = sum(len(g.rules) + len(g.inline_rules) for g in guideline_set.guidelines)
    for count, limit, what in (
        (guidelines, limits.max_guidelines_per_set, "guidelines"),
        (rules, limits.max_rules_per_set, "rules"),
    ):
        if count > limit:
            raise DefinitionInputError(
                f"The guideline set has {count:,} {what}, more than the limit of {limit:,}; "
                "split it into several sets.",
                details={what: count, "limit": limit},
            )


def _resolved(record: GuidelineSetRecord) -> ResolvedSet:
    return ResolvedSet(
        _parse_stored(record.tenant_id, record.set_id, record.version, record.yaml_text),
        shipped=False,
        created_at=record.created_at,
        created_by=record.created_by,
        yaml_text=record.yaml_text,
    )


@lru_cache(maxsize=256)
def _parse_stored(tenant_id: str, set_id: str, version: int, yaml_text: str) -> GuidelineSet:
    """A stored version, with the version number the database assigned."""
    parsed = parse_guideline_set(yaml_text, source=f"{tenant_id}/{set_id}@{version}")
    return parsed.model_copy(update={"version": version})


# Every submission resolves its set: listing and stat-ing the set files each time cost more
# than the rest of the resolution. A file edited on disk is picked up within this delay.
SIGNATURE_RECHECK_SECONDS = 1.0
_signatures: dict[tuple[Path, ...], tuple[float, tuple[tuple[str, int], ...]]] = {}


def _recent_signature(paths: tuple[Path, ...]) -> tuple[tuple[str, int], ...]:
    now = time.monotonic()
    known = _signatures.get(paths)
    if known is not None and now - known[0] < SIGNATURE_RECHECK_SECONDS:
        return known[1]
    signature = _signature(paths)
    _signatures[paths] = (now, signature)
    return signature


def _signature(paths: tuple[Path, ...]) -> tuple[tuple[str, int], ...]:
    found = []
    for root in paths:
        for file in sorted(root.glob(f"*/{SET_FILE_NAME}")) if root.is_dir() else []:
            try:
                found.append((str(file), file.stat().st_mtime_ns))
            except OSError:
                continue
    return tuple(found)


@lru_cache(maxsize=8)
def _shipped_index(
    paths: tuple[Path, ...], signature: tuple[tuple[str, int], ...]
) -> dict[str, SetEntry]:
    found: dict[str, SetEntry] = {}
    for file, _mtime in signature:
        entry = read_set(Path(file))
        found.setdefault(entry.guideline_set.id, entry)
    del paths  # part of the cache key: another catalog has its own index
    return found


def _style_dirs(catalog: GuidelineCatalog) -> tuple[Path, ...]:
    """Tenant sets may use the styles of every shipped set and of the styles path."""
    shipped = [
        root / child.name / STYLES_DIR_NAME
        for root in catalog.search_paths
        if root.is_dir()
        for child in sorted(root.iterdir())
        if (child / STYLES_DIR_NAME).is_dir()
    ]
    return (*shipped, *catalog.styles_paths)


def _compile(guideline_set: GuidelineSet, style_dirs: tuple[Path, ...]) -> CheckPlan:
    named = {name.split(".", 1)[0] for g in guideline_set.guidelines for name in g.rules}
    styles = sorted({*guideline_set.styles, *(n for n in named if n)})
    try:
        library = load_styles(list(style_dirs), styles)
        return build_plan(guideline_set, library)
    except DefinitionError as exc:
        raise definition_error(exc) from None


@lru_cache(maxsize=128)
def _tenant_plan(
    tenant_id: str, set_id: str, version: int, yaml_text: str, style_dirs: tuple[Path, ...]
) -> CheckPlan:
    # Keyed by the stored version (never changes) and the style folders it compiles against.
    return _compile(_parse_stored(tenant_id, set_id, version, yaml_text), style_dirs)


guideline_set_service = GuidelineSetService()
