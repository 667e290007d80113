"""Tables and totals of a harness run."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tests.vale_compat.harness import KindIndex, Outcome


@dataclass(frozen=True)
class Totals:
    passed: int
    failed: int
    in_scope_passed: int
    in_scope_failed: int
    out_of_scope: int
    expected: int
    matched: int
    scenarios_in_scope: int
    scenarios_without_extra: int

    @property
    def matched_ratio(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def clean_ratio(self) -> float:
        return (
            self.scenarios_without_extra / self.scenarios_in_scope
            if self.scenarios_in_scope
            else 1.0
        )


def totals(outcomes: list[Outcome]) -> Totals:
    in_scope = [o for o in outcomes if o.status != "out-of-scope"]
    passed = sum(1 for o in in_scope if o.status == "pass")
    return Totals(
        passed=passed,
        failed=len(outcomes) - passed,
        in_scope_passed=passed,
        in_scope_failed=len(in_scope) - passed,
        out_of_scope=len(outcomes) - len(in_scope),
        expected=sum(o.expected_in_scope for o in in_scope),
        matched=sum(len(o.matched) for o in in_scope),
        scenarios_in_scope=len(in_scope),
        scenarios_without_extra=sum(1 for o in in_scope if not o.extra),
    )


def render(outcomes: list[Outcome], index: KindIndex) -> str:
    lines: list[str] = ["Vale compatibility — per scenario", ""]
    header = f"{'status':<13}{'exp':>5}{'ok':>5}{'extra':>6}{'miss':>6}  scenario"
    lines.append(header)
    for o in outcomes:
        lines.append(
            f"{o.status:<13}{o.expected_in_scope:>5}{len(o.matched):>5}"
            f"{len(o.extra):>6}{len(o.missing):>6}  {o.scenario.ident}"
        )
        if o.reason:
            lines.append(f"{'':<13}reason: {o.reason}")
        for line in o.missing:
            lines.append(f"{'':<13}- missing: {line}")
        for line in o.extra:
            lines.append(f"{'':<13}+ extra:   {line}")
        if o.status != "out-of-scope":
            for line, why in o.excluded:
                lines.append(f"{'':<13}~ expected failure ({why}): {line}")
    lines += ["", "Per rule kind (in-scope scenarios)", ""]
    lines.append(f"{'kind':<16}{'expected':>9}{'matched':>9}{'extra':>7}{'missing':>9}")
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for o in outcomes:
        if o.status == "out-of-scope":
            continue
        for line in o.matched:
            row = table[index.kind(line.split(":", 4)[3])]
            row[0] += 1
            row[1] += 1
        for line in o.missing:
            row = table[index.kind(line.split(":", 4)[3])]
            row[0] += 1
            row[3] += 1
        for line in o.extra:
            table[index.kind(line.split(":", 4)[3])][2] += 1
    for kind in sorted(table):
        e, m, x, s = table[kind]
        lines.append(f"{kind:<16}{e:>9}{m:>9}{x:>7}{s:>9}")
    t = totals(outcomes)
    lines += [
        "",
        f"in scope: {t.scenarios_in_scope} scenarios ({t.in_scope_passed} passed, "
        f"{t.in_scope_failed} failed); out of scope (expected failures): {t.out_of_scope}",
        f"in-scope alerts matched: {t.matched}/{t.expected} ({t.matched_ratio:.1%}); "
        f"scenarios with no extra alert: {t.scenarios_without_extra}/{t.scenarios_in_scope} "
        f"({t.clean_ratio:.1%})",
        f"vale-compat: {t.passed} passed, {t.failed} failed",
    ]
    return "\n".join(lines)
