"""Deciding absolute statements ("no fees", "instant access", "guaranteed rate" …) against facts.

Each absolute names what would contradict it: a fee above zero for "free", a notice period or a
withdrawal limit for "instant access" and "withdraw anytime", a minimum term or an exit fee for
"cancel anytime", a variable-rate clause for "guaranteed rate", a cap or a fair-use policy for
"unlimited". One contradicting fact is enough; support needs a matching positive statement.
When the statement names a specific subject ("no early repayment fees"), only facts about
that subject count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from compliance_assistant.engine.claims.absolutes import GENERIC_SUBJECT
from compliance_assistant.engine.claims.models import (
    Absolute,
    Bound,
    Claim,
    ClaimCheck,
    Dimension,
    Fact,
    Signal,
    Verdict,
)
from compliance_assistant.engine.claims.topics import Role

FactTest = Callable[[Fact], bool]

_RATE_SUBJECT = frozenset({"interest", "rate", "price", "return"})
_APPROVAL_SUBJECT = frozenset({"approval", "loan", "acceptance"})
_EXIT_SUBJECT = frozenset({"exit", "term"})
_WITHDRAW_SUBJECT = frozenset({"withdraw", "balance"})


def check_absolute(claim: Claim, facts: Sequence[Fact]) -> ClaimCheck:
    absolute = claim.absolute
    subject = claim.subject - GENERIC_SUBJECT
    if absolute is Absolute.FREE:
        return _free(claim, subject - {"fee"}, facts)
    if absolute is Absolute.NEVER and _is_fee_claim(claim):
        # "you'll never pay a fee": paying is how fees are met, not a kind of fee.
        return _free(claim, subject - {"fee", "payment"}, facts)
    if absolute in (Absolute.GUARANTEED, Absolute.NEVER):
        return _guaranteed(claim, subject, facts)
    if absolute is Absolute.INSTANT:
        return _instant(claim, subject, facts)
    if absolute is Absolute.ANYTIME:
        return _anytime(claim, subject, facts)
    if absolute is Absolute.UNLIMITED:
        return _unlimited(claim, subject, facts)
    return ClaimCheck(claim=claim, verdict=Verdict.NOT_FOUND)


def _never(_fact: Fact) -> bool:
    return False


def _is_fee_claim(claim: Claim) -> bool:
    return bool({"fee", "payment"} & claim.subject) or "charge" in claim.text.lower()


def _decide(
    claim: Claim,
    subject: frozenset[str],
    facts: Sequence[Fact],
    contradicts: FactTest,
    supports: FactTest,
    *,
    what: str,
) -> ClaimCheck:
    """The best contradicting fact, else the best supporting one, else not found."""

    def score(fact: Fact) -> tuple[int, int, int]:
        return (
            -2 * len(subject & fact.topics) - len(claim.topics & fact.topics),
            0 if fact.quantity is not None else 1,
            fact.rank,
        )

    against = sorted((f for f in facts if contradicts(f)), key=score)
    if against:
        fact = against[0]
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.CONTRADICTED,
            fact=fact,
            explanation=f"the GTC states {what}: “{fact.quote}”",
        )
    support = sorted((f for f in facts if supports(f)), key=score)
    if support:
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.SUPPORTED,
            fact=support[0],
            explanation=f"the GTC states “{support[0].quote}”",
        )
    return ClaimCheck(
        claim=claim,
        verdict=Verdict.NOT_FOUND,
        explanation=f"no GTC clause addresses “{claim.text}”",
    )


def _about(subject: frozenset[str], fact: Fact, *, fallback: frozenset[str] | None = None) -> bool:
    """A fact is about the claim's subject if they share a term; a claim without a specific
    subject is about anything (or about ``fallback`` terms when given)."""
    if subject:
        return bool(subject & fact.topics)
    return fallback is None or bool(fallback & fact.topics)


def _is_fee(fact: Fact) -> bool:
    quantity = fact.quantity
    return (
        quantity is not None
        and quantity.role is Role.FEE
        and quantity.high > 0
        and quantity.dimension in (Dimension.MONEY, Dimension.RATE)
    )


def _free(claim: Claim, specific: frozenset[str], facts: Sequence[Fact]) -> ClaimCheck:

    def contradicts(fact: Fact) -> bool:
        return _is_fee(fact) and _about(specific, fact)

    def supports(fact: Fact) -> bool:
        zero_fee = (
            fact.quantity is not None and fact.quantity.role is Role.FEE and fact.quantity.high == 0
        )
        return (fact.signal is Signal.NO_FEE or zero_fee) and _about(specific, fact)

    return _decide(claim, specific, facts, contradicts, supports, what="a fee")


def _guaranteed(claim: Claim, subject: frozenset[str], facts: Sequence[Fact]) -> ClaimCheck:
    if subject & _APPROVAL_SUBJECT and not subject & _RATE_SUBJECT:
        return _decide(
            claim,
            subject,
            facts,
            lambda f: f.signal is Signal.DISCRETION,
            _never,
            what="that approval is not automatic",
        )
    topic = subject & _RATE_SUBJECT or _RATE_SUBJECT
    return _decide(
        claim,
        topic,
        facts,
        lambda f: f.signal is Signal.VARIABLE and bool(topic & f.topics),
        lambda f: f.signal is Signal.FIXED and bool(topic & f.topics),
        what="that it may change",
    )


def _notice(fact: Fact) -> bool:
    quantity = fact.quantity
    return (
        quantity is not None
        and quantity.dimension is Dimension.DURATION
        and quantity.role in (Role.NOTICE, Role.WITHDRAWAL)
        and quantity.high > 0
    )


def _withdrawal_cap(fact: Fact) -> bool:
    quantity = fact.quantity
    return (
        quantity is not None
        and quantity.dimension is Dimension.COUNT
        and quantity.role is Role.WITHDRAWAL
        and (quantity.bound is Bound.MAX or "limit" in fact.topics or fact.signal is Signal.LIMITED)
    )


def _delay(fact: Fact, topic: frozenset[str]) -> bool:
    quantity = fact.quantity
    return (
        quantity is not None
        and quantity.dimension is Dimension.DURATION
        and quantity.high > 0
        and bool(topic & fact.topics)
    )


def _instant(claim: Claim, subject: frozenset[str], facts: Sequence[Fact]) -> ClaimCheck:
    if subject & {"payment", "approval"} and not subject & _WITHDRAW_SUBJECT:
        topic = subject & {"payment", "approval"}
        return _decide(
            claim,
            topic,
            facts,
            lambda f: _delay(f, topic),
            lambda f: f.signal is Signal.INSTANT and bool(topic & f.topics),
            what="a processing time",
        )
    return _decide(
        claim,
        subject,
        facts,
        lambda f: _notice(f) or _withdrawal_cap(f),
        lambda f: f.signal is Signal.INSTANT,
        what="a notice period or limit",
    )


def _anytime(claim: Claim, subject: frozenset[str], facts: Sequence[Fact]) -> ClaimCheck:
    if subject & _EXIT_SUBJECT:

        def contradicts(fact: Fact) -> bool:
            exit_fee = _is_fee(fact) and bool(_EXIT_SUBJECT & fact.topics)
            return fact.signal is Signal.MIN_TERM or exit_fee

        return _decide(
            claim, subject, facts, contradicts, _never, what="a minimum term or exit fee"
        )
    if subject & {"repay"}:

        def repayment_notice(fact: Fact) -> bool:
            quantity = fact.quantity
            return (
                _notice(fact)
                and quantity is not None
                and quantity.role is Role.NOTICE
                and "repay" in fact.topics
            )

        return _decide(
            claim,
            subject,
            facts,
            repayment_notice,
            _never,
            what="a notice period for repayment",
        )
    return _decide(
        claim,
        subject,
        facts,
        lambda f: _notice(f) or _withdrawal_cap(f),
        lambda f: f.signal is Signal.INSTANT and "withdraw" in f.topics,
        what="a notice period or limit",
    )


def _unlimited(claim: Claim, subject: frozenset[str], facts: Sequence[Fact]) -> ClaimCheck:
    def capped(fact: Fact) -> bool:
        quantity = fact.quantity
        if fact.signal is Signal.FAIR_USE:
            return True
        if fact.signal is Signal.LIMITED and _about(subject, fact):
            return True
        return (
            quantity is not None
            and quantity.dimension in (Dimension.COUNT, Dimension.DATA)
            and quantity.bound is Bound.MAX
            and _about(subject, fact)
        )

    return _decide(
        claim,
        subject,
        facts,
        capped,
        lambda f: f.signal is Signal.UNLIMITED and _about(subject, f),
        what="a limit",
    )
