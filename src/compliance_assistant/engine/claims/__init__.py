"""Claim checking: checkable claims of an article compared with facts of GTC clauses.

Pure code (stdlib, ``re`` and pydantic): it parses text it is given and never fetches anything.

* :func:`extract_claims` — quantities with units (rates, AER/APR, amounts, fees per period,
  durations, notice periods, limits, ages) and absolute statements ("free", "no fees", "never",
  "anytime", "guaranteed", "unlimited", "instant") with their offsets in the article;
* :func:`extract_facts` — the same quantities plus qualitative signals ("variable", "fair use",
  "subject to status" …) in each sentence of each :class:`Clause`;
* :func:`check_claims` / :func:`check_claim` — a :class:`ClaimCheck` per claim: supported,
  contradicted, not found, or undecided (related facts that only a model could weigh).
"""

from compliance_assistant.engine.claims.compare import check_claim, check_claims, compatible
from compliance_assistant.engine.claims.extract import (
    VatContext,
    extract_claims,
    extract_facts,
    sentences,
    vat_contexts,
)
from compliance_assistant.engine.claims.models import (
    Absolute,
    Bound,
    Claim,
    ClaimCheck,
    Clause,
    Dimension,
    Fact,
    Period,
    Quantity,
    Signal,
    Verdict,
)
from compliance_assistant.engine.claims.quantities import find_quantities, parse_number
from compliance_assistant.engine.claims.topics import Role, terms

__all__ = [
    "Absolute",
    "Bound",
    "Claim",
    "ClaimCheck",
    "Clause",
    "Dimension",
    "Fact",
    "Period",
    "Quantity",
    "Role",
    "Signal",
    "VatContext",
    "Verdict",
    "check_claim",
    "check_claims",
    "compatible",
    "extract_claims",
    "extract_facts",
    "find_quantities",
    "parse_number",
    "sentences",
    "terms",
    "vat_contexts",
]
