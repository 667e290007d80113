"""The ``gtc`` guideline: claims in an article checked against the product's GTC clauses.

1. the product's GTC documents are found — by the ``product_id`` of the request or the
   guideline, else by searching with the names the article uses and keeping documents whose
   product the article actually names;
2. their files are fetched (cache → source → stale cache / fallback library) and split into
   clauses (cached in-process by content hash);
3. the article's claims are extracted; for each, the most relevant clauses are retrieved with
   BM25 and the claim is decided deterministically (:mod:`compliance_assistant.engine.claims`);
   claims that comparison cannot decide go to the configured model (:mod:`.judging`);
4. every contradicted claim becomes a finding at the claim's span, with the clause as evidence
   (document title, version, page, section and the exact sentence quoted); every claim left
   undecided becomes an ``info`` finding to verify by hand, plus a ``gtc_claims_undecided``
   warning — so a check with open claims is never a plain ``pass``.

It never reports ``pass`` for a check it could not make: no product, no document, or a source
that is down with nothing cached gives ``not_run`` with the reason; documents served from an
expired cache are evidence marked ``stale`` plus a ``gtc_stale`` warning.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance_assistant.engine.claims import (
    Claim,
    ClaimCheck,
    Clause,
    Fact,
    Verdict,
    check_claim,
    extract_claims,
    extract_facts,
    vat_contexts,
)
from compliance_assistant.engine.document import Document, Span
from compliance_assistant.engine.findings import (
    Evidence,
    FindingDraft,
    Severity,
    Suggestion,
    finalise_findings,
)
from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.ports import GtcChecker, GuidelineVerdict
from compliance_assistant.engine.result import GuidelineResult, ResultWarning
from compliance_assistant.gtc.cache import utc
from compliance_assistant.gtc.clauses import extract_clauses
from compliance_assistant.gtc.errors import GtcNotFound, GtcTransientError
from compliance_assistant.gtc.index import Bm25Index
from compliance_assistant.gtc.judging import ClaimReviewer, RankedCheck, SettledClaim
from compliance_assistant.gtc.models import DocumentSummary, SearchFilters, SearchRequest, slug
from compliance_assistant.gtc.products import names_product, search_query
from compliance_assistant.gtc.retrieval import FetchedDocument, FoundDocuments, GtcRetriever

LOCAL_TENANT = "local"
_CLAUSES_PER_CLAIM = 8
_CLAUSE_CACHE_SIZE = 64


@dataclass(frozen=True)
class _Loaded:
    fetched: FetchedDocument
    clauses: list[Clause]


class GtcVerifier:
    """Implements the pipeline's :class:`~compliance_assistant.engine.ports.GtcChecker`.

    ``check(document, guideline)`` uses the local tenant and the guideline's ``product_id``;
    the API binds a request's tenant and product with :meth:`for_request`.
    """

    def __init__(
        self,
        retriever: GtcRetriever,
        *,
        search_limit: int = 5,
        max_documents: int = 3,
        language: str | None = None,
        reviewer: ClaimReviewer | None = None,
    ) -> None:
        self.retriever = retriever
        self.search_limit = search_limit
        self.max_documents = max_documents
        self.language = language
        # Without a model, undecided claims stay undecided (and are reported as such).
        self.reviewer = reviewer or ClaimReviewer(None)
        self._clauses: OrderedDict[str, list[Clause]] = OrderedDict()

    @classmethod
    def from_library(cls, path: Path, **options: Any) -> GtcVerifier:
        """Embedded mode: GTC documents from a local library folder, no cache needed."""
        from compliance_assistant.gtc.library import GtcLibrary

        return cls(GtcRetriever(GtcLibrary.open(path)), **options)

    def for_request(self, *, tenant_id: str, product_id: str | None = None) -> GtcChecker:
        """A checker bound to one request's tenant and named product."""
        return _BoundChecker(self, tenant_id, product_id)

    async def check(
        self,
        document: Document,
        guideline: Guideline,
        *,
        tenant_id: str = LOCAL_TENANT,
        product_id: str | None = None,
    ) -> GuidelineVerdict:
        started = time.perf_counter()
        product = product_id or guideline.product_id
        found, reason = await self._find(document, tenant_id, product)
        if reason is not None:
            return GuidelineVerdict(
                result=GuidelineResult.not_run(guideline, reason),
                warnings=found.warnings if found else (),
            )
        assert found is not None
        loaded, warnings, failures = await self._load(found)
        if not loaded:
            reason = (
                "the GTC documents of the product could not be retrieved and none is "
                "cached: " + "; ".join(failures)
            )
            return GuidelineVerdict(
                result=GuidelineResult.not_run(guideline, reason), warnings=tuple(warnings)
            )
        ranked = decide_claims(extract_claims(document.text), loaded)
        products = {item.fetched.summary.gtc_id: item.fetched.summary.product for item in loaded}
        review = await self.reviewer.review(ranked, products)
        checks = [settled.check for settled in review.settled]
        drafts = [
            _draft(guideline, settled, loaded)
            for settled in review.settled
            if settled.check.verdict is Verdict.CONTRADICTED
        ]
        drafts.extend(
            _undecided_draft(guideline, settled.check, loaded)
            for settled in review.settled
            if settled.check.verdict is Verdict.UNDECIDED
        )
        warnings.extend(review.warnings)
        findings = finalise_findings(document, drafts)
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        stale = [item.fetched.summary.gtc_id for item in loaded if item.fetched.stale]
        if stale:
            warnings.append(
                ResultWarning(
                    code="gtc_stale",
                    message="The GTC source was unavailable; cached copies of these GTC "
                    "documents were used and may be out of date: " + ", ".join(stale),
                    details={"gtc_ids": stale},
                )
            )
        judged = [s.check for s in review.settled if s.judged]
        return GuidelineVerdict(
            result=GuidelineResult.from_findings(guideline, findings, duration_ms=elapsed),
            warnings=tuple(warnings),
            usage=review.usage,
            gtc_documents=tuple(_document_entry(item, checks, judged) for item in loaded),
        )

    # -- finding the documents --------------------------------------------------------------

    async def _find(
        self, document: Document, tenant_id: str, product: str | None
    ) -> tuple[FoundDocuments | None, str | None]:
        if product:
            request = SearchRequest(
                query=f"{product} terms and conditions"[:500],
                filters=self._filters(product=product),
                limit=self.search_limit,
            )
        else:
            query = search_query(document)
            if query is None:
                return None, (
                    "no product is named: the article names no product or company "
                    "and the request gives no product_id"
                )
            request = SearchRequest(query=query, filters=self._filters(), limit=self.search_limit)
        found = await self.retriever.find(tenant_id, request)
        if found.unavailable is not None:
            return found, (
                "the GTC source is unavailable and no GTC document is cached for "
                f"this product: {found.unavailable}"
            )
        documents = (
            found.documents
            if product
            else tuple(d for d in found.documents if names_product(document, d))
        )
        documents = _latest_per_product(documents)[: self.max_documents]
        if not documents:
            what = f"product '{product}'" if product else "the products named in the article"
            return found, f"no GTC document was found for {what}"
        return FoundDocuments(
            documents=documents,
            origin=found.origin,
            degraded=found.degraded,
            warnings=found.warnings,
        ), None

    def _filters(self, product: str | None = None) -> SearchFilters:
        return SearchFilters(product=product, language=self.language, status="active")

    async def _load(
        self, found: FoundDocuments
    ) -> tuple[list[_Loaded], list[ResultWarning], list[str]]:
        loaded: list[_Loaded] = []
        warnings = list(found.warnings)
        failures: list[str] = []
        for summary in found.documents:
            try:
                fetched = await self.retriever.fetch(summary, degraded=found.degraded)
            except (GtcTransientError, GtcNotFound) as exc:
                failures.append(f"{summary.gtc_id}: {exc.message}")
                continue
            loaded.append(_Loaded(fetched, self.clauses_of(fetched)))
            warnings.extend(w for w in fetched.warnings if w not in warnings)
        if failures and loaded:
            warnings.append(
                ResultWarning(
                    code="gtc_documents_missing",
                    message="Some GTC documents could not be retrieved: " + "; ".join(failures),
                )
            )
        return loaded, warnings, failures

    def clauses_of(self, fetched: FetchedDocument) -> list[Clause]:
        """The document's clauses, kept in-process by content hash (CPU work: the API calls it
        in a thread)."""
        digest = hashlib.sha256(fetched.file.content).hexdigest()
        key = f"{fetched.summary.gtc_id}:{digest}"
        clauses = self._clauses.get(key)
        if clauses is None:
            clauses = extract_clauses(
                fetched.file.content,
                content_type=fetched.file.content_type,
                document_id=fetched.summary.gtc_id,
            )
            self._clauses[key] = clauses
            if len(self._clauses) > _CLAUSE_CACHE_SIZE:
                self._clauses.popitem(last=False)
        else:
            self._clauses.move_to_end(key)
        return clauses


class _BoundChecker:
    def __init__(self, verifier: GtcVerifier, tenant_id: str, product_id: str | None) -> None:
        self._verifier = verifier
        self._tenant_id = tenant_id
        self._product_id = product_id

    async def check(self, document: Document, guideline: Guideline) -> GuidelineVerdict:
        return await self._verifier.check(
            document, guideline, tenant_id=self._tenant_id, product_id=self._product_id
        )


def decide_claims(claims: Sequence[Claim], documents: Sequence[_Loaded]) -> list[RankedCheck]:
    """Each claim against the facts of its most relevant clauses (BM25 over all clauses),
    with those clauses (the candidates a model judges an open claim against)."""
    clauses = [clause for item in documents for clause in item.clauses]
    if not clauses or not claims:
        return []
    facts_by_clause = [extract_facts([clause]) for clause in clauses]
    contexts = vat_contexts([fact for facts in facts_by_clause for fact in facts])
    index = Bm25Index.build([f"{c.heading or ''} {c.text}" for c in clauses])
    checks = []
    for claim in claims:
        ranked = [i for i, _ in index.top(f"{claim.sentence} {claim.text}", _CLAUSES_PER_CLAIM)]
        positions = ranked or list(range(len(clauses)))
        facts: list[Fact] = [
            fact.model_copy(update={"rank": rank})
            for rank, position in enumerate(positions)
            for fact in facts_by_clause[position]
        ]
        check = check_claim(claim, facts, contexts)
        candidates = [clauses[i] for i in ranked]
        if check.fact is not None and check.fact.clause not in candidates:
            candidates.insert(0, check.fact.clause)
        checks.append(RankedCheck(check, tuple(candidates)))
    return checks


def _draft(
    guideline: Guideline, settled: SettledClaim, documents: Sequence[_Loaded]
) -> FindingDraft:
    check = settled.check
    fact = check.fact
    assert fact is not None  # a contradiction always names its fact
    loaded = _loaded_of(fact, documents)
    summary = loaded.fetched.summary
    suggestion = None
    if settled.suggestion:
        suggestion = Suggestion(
            replacement=settled.suggestion,
            description=f"Suggested rewrite that agrees with the GTC ({fact.clause.label}).",
        )
    elif check.claim.quantity is not None and check.expected:
        suggestion = Suggestion(
            replacement=check.expected,
            description=f"State what the GTC says ({fact.clause.label}).",
        )
    kind = f"llm.{check.claim.kind}" if settled.judged else check.claim.kind
    return FindingDraft(
        guideline_id=guideline.id,
        rule_id=f"gtc.{kind}",
        severity=guideline.effective_severity,
        message=f"“{check.claim.text}” contradicts the {summary.product} GTC: {check.explanation}.",
        explanation=f"{_capital(check.explanation)} ({_where(fact, loaded)})."
        + (" Judged by the LLM; the quote is verified in the GTC." if settled.judged else ""),
        span=Span(start=check.claim.start, end=check.claim.end),
        suggestion=suggestion,
        evidence=(_evidence(fact, loaded),),
        source="gtc",
        # A model's judgement is not a measured certainty: leave it unstated.
        confidence=None if settled.judged else 1.0,
    )


def _undecided_draft(
    guideline: Guideline, check: ClaimCheck, documents: Sequence[_Loaded]
) -> FindingDraft:
    """An open claim, shown where it is so a reviewer checks it by hand (never a pass)."""
    fact = check.fact
    loaded = _loaded_of(fact, documents) if fact is not None else None
    product = loaded.fetched.summary.product if loaded is not None else "product's"
    reason = check.explanation or "no clause could be compared with it"
    where = f" ({_where(fact, loaded)})" if fact is not None and loaded is not None else ""
    return FindingDraft(
        guideline_id=guideline.id,
        rule_id="gtc.undecided",
        severity=Severity.INFO,
        message=f"“{check.claim.text}” could not be checked against the {product} GTC; "
        "verify it by hand.",
        explanation=f"{_capital(reason)}{where}.",
        span=Span(start=check.claim.start, end=check.claim.end),
        evidence=(_evidence(fact, loaded),) if fact is not None and loaded is not None else (),
        source="gtc",
    )


def _loaded_of(fact: Fact, documents: Sequence[_Loaded]) -> _Loaded:
    return next(
        item for item in documents if item.fetched.summary.gtc_id == fact.clause.document_id
    )


def _where(fact: Fact, loaded: _Loaded) -> str:
    summary = loaded.fetched.summary
    page = fact.page
    return ", ".join(
        part
        for part in (
            f"{summary.title} v{summary.version}",
            f"p. {page}" if page else "",
            fact.clause.label,
        )
        if part
    )


def _evidence(fact: Fact, loaded: _Loaded) -> Evidence:
    summary = loaded.fetched.summary
    return Evidence(
        document_id=summary.gtc_id,
        title=summary.title,
        version=summary.version,
        page=fact.page,
        section=fact.clause.section or fact.clause.heading,
        quote=fact.quote,
        stale=loaded.fetched.stale,
    )


def _capital(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}"


def _latest_per_product(documents: Sequence[DocumentSummary]) -> tuple[DocumentSummary, ...]:
    """One document per product: the most relevant, newest active one (search order kept)."""
    chosen: dict[str, DocumentSummary] = {}
    for summary in documents:
        key = slug(f"{summary.company} {summary.product}")
        current = chosen.get(key)
        if (
            current is None
            or (current.status != "active" and summary.status == "active")
            or (
                current.status == summary.status and current.effective_date < summary.effective_date
            )
        ):
            chosen[key] = summary
    order = {id(summary): i for i, summary in enumerate(documents)}
    return tuple(sorted(chosen.values(), key=lambda s: order[id(s)]))


def _document_entry(
    item: _Loaded, checks: Sequence[ClaimCheck], judged: Sequence[ClaimCheck]
) -> dict[str, Any]:
    summary = item.fetched.summary
    used = [c for c in checks if c.fact is not None and c.fact.clause.document_id == summary.gtc_id]
    return {
        "gtc_id": summary.gtc_id,
        "title": summary.title,
        "product": summary.product,
        "company": summary.company,
        "version": summary.version,
        "effective_date": summary.effective_date.isoformat(),
        "language": summary.language,
        "origin": item.fetched.origin,
        "stale": item.fetched.stale,
        "cached_at": utc(item.fetched.cached_at) if item.fetched.cached_at else None,
        "clauses": len(item.clauses),
        "claims": {
            verdict.value: sum(1 for c in used if c.verdict is verdict)
            for verdict in Verdict
            if verdict is not Verdict.NOT_FOUND
        },
        # Claims of this document the model decided (counted in "claims" too).
        "llm_judged": sum(
            1 for c in judged if c.fact is not None and c.fact.clause.document_id == summary.gtc_id
        ),
    }
