"""Bind a guideline set to compiled rules: what exactly will run for each guideline.

Building a plan is the load-time step (rules compiled once); evaluating it is the run-time step.
Rules of the set's styles that no guideline names are not dropped: each such style becomes an
implicit guideline, so a Vale style dropped into the styles path is applied as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from compliance_assistant.engine.errors import DefinitionError
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind, GuidelineSet
from compliance_assistant.engine.result import ResultWarning
from compliance_assistant.engine.rules import Rule, compile_rule


@dataclass(frozen=True)
class CheckPlan:
    guideline_set: GuidelineSet
    rules: Mapping[str, tuple[Rule, ...]]
    warnings: tuple[ResultWarning, ...] = ()
    styles: tuple[str, ...] = field(default=())

    def rules_for(self, guideline_id: str) -> tuple[Rule, ...]:
        return self.rules.get(guideline_id, ())

    def select(self, guideline_ids: Sequence[str]) -> CheckPlan:
        """A plan running only the named guidelines (unknown ids are a DefinitionError)."""
        known = {g.id for g in self.guideline_set.guidelines}
        unknown = [g for g in guideline_ids if g not in known]
        if unknown:
            raise DefinitionError(
                f"unknown guideline id(s): {', '.join(unknown)}; "
                f"the set has: {', '.join(sorted(known))}",
                source=self.guideline_set.source,
            )
        chosen = tuple(g for g in self.guideline_set.guidelines if g.id in set(guideline_ids))
        subset = self.guideline_set.model_copy(update={"guidelines": chosen})
        return CheckPlan(
            guideline_set=subset,
            rules={g.id: self.rules_for(g.id) for g in chosen},
            warnings=self.warnings,
            styles=self.styles,
        )


def build_plan(
    guideline_set: GuidelineSet,
    library: Mapping[str, Rule],
    *,
    extra_styles: Sequence[str] = (),
    warnings: Sequence[ResultWarning] = (),
) -> CheckPlan:
    """Resolve every guideline's rule names against ``library`` (keyed ``Style.Rule``).

    ``extra_styles`` are applied in full even though the set does not list them (a user's own
    styles path). A rule name the library lacks is a DefinitionError naming the guideline.
    """
    bound: dict[str, tuple[Rule, ...]] = {}
    claimed: set[str] = set()
    for index, guideline in enumerate(guideline_set.guidelines):
        if guideline.kind is not GuidelineKind.RULE:
            continue
        rules = [_lookup(guideline_set, index, name, library) for name in guideline.rules]
        rules.extend(
            compile_rule(
                _inline_name(guideline_set, inline.name),
                inline.definition,
                source=guideline_set.source,
                line=inline.line,
            )
            for inline in guideline.inline_rules
        )
        bound[guideline.id] = tuple(rules)
        claimed.update(rule.name for rule in rules)

    implicit: list[Guideline] = []
    styles = tuple(dict.fromkeys([*guideline_set.styles, *extra_styles]))
    for style in styles:
        unclaimed = sorted(
            name for name in library if name.split(".", 1)[0] == style and name not in claimed
        )
        if not unclaimed:
            continue
        guideline = Guideline(
            id=f"style.{style}",
            title=f"{style} style rules",
            kind=GuidelineKind.RULE,
            rules=tuple(unclaimed),
            description=f"Rules of the {style} style that no guideline "
            "names; each keeps its own level.",
        )
        implicit.append(guideline)
        bound[guideline.id] = tuple(library[name] for name in unclaimed)
    full_set = guideline_set.model_copy(
        update={"guidelines": (*guideline_set.guidelines, *implicit)}
    )
    return CheckPlan(guideline_set=full_set, rules=bound, warnings=tuple(warnings), styles=styles)


def _lookup(
    guideline_set: GuidelineSet, index: int, name: str, library: Mapping[str, Rule]
) -> Rule:
    rule = library.get(name)
    if rule is None:
        guideline = guideline_set.guidelines[index]
        styles = sorted({n.split(".", 1)[0] for n in library}) or ["none"]
        raise DefinitionError(
            f"guideline '{guideline.id}' names rule '{name}', which no loaded style defines "
            f"(styles loaded: {', '.join(styles)})",
            source=guideline_set.source,
        )
    return rule


def _inline_name(guideline_set: GuidelineSet, name: str) -> str:
    return name if "." in name else f"{guideline_set.id}.{name}"
