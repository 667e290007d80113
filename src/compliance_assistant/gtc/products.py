"""Which products an article talks about: the search query built from it, and whether a GTC
document's product (or company) is actually named in the text."""

from __future__ import annotations

import re

from compliance_assistant.engine.document import Document
from compliance_assistant.gtc.models import DocumentSummary, slug

# Capitalised words in a row ("Easy Saver", "FlexiLoan", "Northbank"), the raw material of
# product and company names.
_NAME = re.compile(r"\b[A-Z][\w'’&-]*(?:\s+(?:[A-Z0-9][\w'’&-]*))*")
_COMMON = frozenset(
    """a an and as at be but by for from how if in into is it its look looking
    no not of on or our so that the their there these this those to we what when where which
    while who why with you your yours life opening open borrow earn enjoy get grow make spread
    save pay apply switch representative example i""".split()  # noqa: SIM905 - words as text
)
_MAX_NAMES = 12
MAX_QUERY = 500


def candidate_names(document: Document) -> list[str]:
    """Capitalised phrases of the article, most frequent first, sentence-initial common words
    stripped ("With FlexiLoan" → "FlexiLoan")."""
    counts: dict[str, int] = {}
    for match in _NAME.finditer(document.text):
        words = match.group().replace("’s", "").replace("'s", "").split()
        while words and words[0].lower() in _COMMON:
            words = words[1:]
        if not words or len(" ".join(words)) < 3:
            continue
        name = " ".join(words)
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))[:_MAX_NAMES]


def search_query(document: Document) -> str | None:
    """The text to search GTCs with: the article's title and the names it uses."""
    parts = [document.title or "", *candidate_names(document)]
    query = " ".join(part for part in parts if part).strip()[:MAX_QUERY]
    return query if len(query) >= 3 else None


def names_product(document: Document, summary: DocumentSummary) -> bool:
    """Whether the article names the document's product (as whole words, any case)."""
    return _contains(document.text, summary.product)


def _contains(text: str, name: str) -> bool:
    needle = slug(name)
    return bool(needle) and f"-{needle}-" in f"-{slug(text)}-"
