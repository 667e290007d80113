"""Deciding a claim against clause facts: supported, contradicted, not found or undecided.

Numbers are compared only with numbers of the same dimension and a compatible role (a fee with
fees, an APR with APRs), after normalisation: rates in basis points, periodic money per year,
durations in days, net and VAT-inclusive prices on one basis when the GTC states its VAT rate.
How a claim states its number matters: "from 3.1%" is checked against the lowest rate the GTC
allows, "up to €50,000" against the highest amount. Where a fact could both support and
contradict, support by a closely matching fact wins for numbers (tiers of one product), and a
contradiction wins for absolutes (one fee is enough to make "no fees" false).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from compliance_assistant.engine.claims.absolutes import GENERIC_SUBJECT
from compliance_assistant.engine.claims.compare_absolutes import check_absolute
from compliance_assistant.engine.claims.extract import VatContext, vat_contexts
from compliance_assistant.engine.claims.models import (
    PER_YEAR,
    Bound,
    Claim,
    ClaimCheck,
    Dimension,
    Fact,
    Period,
    Quantity,
    Verdict,
)
from compliance_assistant.engine.claims.topics import Role

# Roles that describe the same kind of figure for one dimension.
_ROLE_GROUPS: dict[Dimension, tuple[frozenset[Role], ...]] = {
    Dimension.DURATION: (
        frozenset({Role.NOTICE, Role.WITHDRAWAL}),
        frozenset({Role.TERM, Role.LOAN, Role.PAYMENT, Role.REPAYMENT, Role.INTEREST, Role.PRICE}),
    ),
    Dimension.MONEY: (
        frozenset({Role.FEE, Role.PRICE, Role.REPAYMENT}),
        frozenset({Role.LOAN}),
        frozenset({Role.PAYMENT}),
    ),
    Dimension.RATE: (frozenset({Role.INTEREST}), frozenset({Role.FEE, Role.REPAYMENT})),
    Dimension.COUNT: (frozenset({Role.WITHDRAWAL}), frozenset({Role.PAYMENT})),
}
_EPSILON: dict[Dimension, float] = {
    Dimension.RATE: 0.5,
    Dimension.MONEY: 0.011,
    Dimension.DURATION: 0.01,
    Dimension.AGE: 0.01,
    Dimension.DATA: 0.5,
    Dimension.COUNT: 0.01,
}


def check_claims(claims: Sequence[Claim], facts: Sequence[Fact]) -> list[ClaimCheck]:
    """Decide every claim against the same facts (e.g. all facts of a product's GTCs)."""
    contexts = vat_contexts(facts)
    return [check_claim(claim, facts, contexts) for claim in claims]


def check_claim(
    claim: Claim, facts: Sequence[Fact], contexts: Mapping[str, VatContext] | None = None
) -> ClaimCheck:
    """Decide one claim. ``contexts`` (VAT per document) defaults to what ``facts`` state."""
    if claim.absolute is not None:
        return check_absolute(claim, facts)
    if claim.quantity is None:
        return ClaimCheck(claim=claim, verdict=Verdict.NOT_FOUND)
    vat = vat_contexts(facts) if contexts is None else contexts
    return _check_quantity(claim, claim.quantity, facts, vat)


def _check_quantity(
    claim: Claim, quantity: Quantity, facts: Sequence[Fact], contexts: Mapping[str, VatContext]
) -> ClaimCheck:
    candidates = [f for f in facts if f.quantity is not None and compatible(quantity, f.quantity)]
    if quantity.rate_type is not None:
        # An APR is compared with APRs when the GTC states any, not with a nominal rate.
        typed = [
            f
            for f in candidates
            if f.quantity is not None and f.quantity.rate_type == quantity.rate_type
        ]
        candidates = typed or candidates
    if not candidates:
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.NOT_FOUND,
            explanation=f"no GTC clause states a comparable {_describe(quantity)}",
        )
    ranked = sorted(candidates, key=lambda f: (-relevance(claim, f), f.rank))
    best_score = relevance(claim, ranked[0])
    outcomes = [(fact, _agrees(quantity, fact, contexts)) for fact in ranked]
    for fact, agrees in outcomes:
        if agrees is True and relevance(claim, fact) >= best_score - 1:
            return _supported(claim, fact)
    # Otherwise the most relevant fact that decides (an example in a footnote may not).
    for fact, agrees in outcomes:
        if agrees is True:
            return _supported(claim, fact)
        if agrees is False:
            return ClaimCheck(
                claim=claim,
                verdict=Verdict.CONTRADICTED,
                fact=fact,
                explanation=f"the GTC states {_stated(fact)}, not {quantity.text}",
                expected=_stated(fact),
            )
    fact = ranked[0]
    return ClaimCheck(
        claim=claim,
        verdict=Verdict.UNDECIDED,
        fact=fact,
        explanation=f"the GTC states {_stated(fact)}; the figures cannot be "
        "compared without more information (period or VAT basis)",
    )


def _supported(claim: Claim, fact: Fact) -> ClaimCheck:
    return ClaimCheck(
        claim=claim,
        verdict=Verdict.SUPPORTED,
        fact=fact,
        explanation=f"the GTC states {_stated(fact)}",
    )


def compatible(claim: Quantity, fact: Quantity) -> bool:
    """Whether two quantities measure the same kind of thing."""
    if claim.dimension is not fact.dimension:
        return False
    if claim.rate_type and fact.rate_type and claim.rate_type != fact.rate_type:
        return False
    if claim.dimension is Dimension.MONEY:
        if claim.currency != fact.currency:
            return False
        if (claim.period is Period.UNIT) != (fact.period is Period.UNIT):
            return False
        if claim.period is Period.UNIT and claim.per_unit != fact.per_unit:
            return False
    groups = _ROLE_GROUPS.get(claim.dimension)
    if groups is None:
        return True
    return any(claim.role in group and fact.role in group for group in groups)


def relevance(claim: Claim, fact: Fact) -> int:
    """How closely a fact's sentence talks about what the claim talks about."""
    specific = claim.subject - GENERIC_SUBJECT
    score = 2 * len(specific & fact.topics) + len(claim.topics & fact.topics)
    wanted, stated = claim.quantity, fact.quantity
    if wanted is not None and stated is not None:
        if wanted.role is not None and wanted.role == stated.role:
            score += 2
        # "up to 7 years" is about a maximum: a range or another maximum states one.
        if wanted.bound in (Bound.MIN, Bound.MAX) and stated.bound in (Bound.RANGE, wanted.bound):
            score += 2
    # Footnotes explain and illustrate ("representative example: …"); clauses bind.
    return score - 2 if fact.clause.kind == "footnote" else score


def _agrees(claim: Quantity, fact_fact: Fact, contexts: Mapping[str, VatContext]) -> bool | None:
    fact = fact_fact.quantity
    assert fact is not None  # candidates carry quantities
    context = contexts.get(fact_fact.clause.document_id, VatContext())
    converted = _on_claim_basis(claim, fact, context)
    if converted is None:
        return None
    low, high, tolerance, raw_only = converted
    equal = _equality(claim, tolerance)
    verdict = _bounds_agree(claim, low, high, fact.bound, equal)
    if raw_only and verdict is False:
        return None  # one side gave no period: unequal raw amounts prove nothing
    return verdict


def _equality(claim: Quantity, tolerance: float) -> Callable[[float, float], bool]:
    epsilon = _EPSILON[claim.dimension]

    def equal(a: float, b: float) -> bool:
        allowed = max(epsilon, claim.tolerance, tolerance)
        if claim.dimension is Dimension.MONEY:
            allowed = max(allowed, 0.001 * max(abs(a), abs(b)))
        return abs(a - b) <= allowed

    return equal


def _bounds_agree(
    claim: Quantity,
    low: float,
    high: float,
    fact_bound: Bound,
    equal: Callable[[float, float], bool],
) -> bool | None:
    """Whether the claim's figure fits what the fact states, given how each is bounded."""
    if claim.bound is Bound.RANGE:
        if fact_bound is Bound.RANGE:
            return equal(claim.low, low) and equal(claim.high, high)
        return claim.low <= low <= claim.high or equal(claim.low, low)
    if claim.bound is Bound.MIN:
        if fact_bound is Bound.MAX:
            return None
        return equal(claim.low, low)
    if claim.bound is Bound.MAX:
        if fact_bound is Bound.MIN:
            return None
        return equal(claim.high, high)
    value = claim.low
    if fact_bound is Bound.EXACT:
        return equal(value, low)
    if fact_bound is Bound.MIN:
        return value >= low or equal(value, low)
    if fact_bound is Bound.MAX:
        return value <= high or equal(value, high)
    return low <= value <= high or equal(value, low) or equal(value, high)


def _on_claim_basis(
    claim: Quantity, fact: Quantity, context: VatContext
) -> tuple[float, float, float, bool] | None:
    """The fact's low/high in the claim's units, its tolerance, and whether only raw amounts
    could be compared; None when they cannot be put on one basis."""
    low, high, raw_only = fact.low, fact.high, False
    if claim.dimension is Dimension.MONEY:
        factor = _period_factor(claim.period, fact.period)
        if factor is None:
            raw_only = True
        else:
            low, high = low * factor, high * factor
        vat_factor = _vat_factor(
            claim.vat_included,
            fact.vat_included if fact.vat_included is not None else context.included,
            context.rate,
        )
        if vat_factor is None:
            return None
        low, high = low * vat_factor, high * vat_factor
    return low, high, fact.tolerance, raw_only


def _period_factor(claim: Period | None, fact: Period | None) -> float | None:
    """Multiply a per-``fact`` amount by this to get a per-``claim`` amount."""
    if claim == fact:
        return 1.0
    if claim in PER_YEAR and fact in PER_YEAR:
        return PER_YEAR[fact] / PER_YEAR[claim]
    return None


def _vat_factor(
    claim_included: bool | None, fact_included: bool | None, rate: float | None
) -> float | None:
    if claim_included is None or fact_included is None or claim_included == fact_included:
        return 1.0
    if rate is None:
        return None
    return 1.0 + rate if claim_included else 1.0 / (1.0 + rate)


def _stated(fact: Fact) -> str:
    quantity = fact.quantity
    return quantity.text if quantity is not None else fact.quote


def _describe(quantity: Quantity) -> str:
    role = f"{quantity.role} " if quantity.role else ""
    return f"{role}{quantity.dimension}"
