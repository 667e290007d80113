"""BM25 ranking (bm25s) over texts tokenised into the claim checker's topic terms.

Using the same terms as claim checking (plurals stripped, synonyms folded: "charges" → "fee")
means an article's "no charges" finds the clause "a fee of €5". Used for the local library's
document search and for retrieving the clauses relevant to a claim.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s  # type: ignore[import-untyped]  # the package ships no type information

from compliance_assistant.engine.claims import terms

# bm25s logs its progress at DEBUG level on its own logger; keep it out of ours.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Gives an empty text a token, so bm25s always has a vocabulary to index.
_EMPTY = "\x00empty"


def tokenize(text: str) -> list[str]:
    return terms(text) or [_EMPTY]


class Bm25Index:
    """Scores of every indexed text for a query; texts keep their position as id."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> Bm25Index:
        retriever = bm25s.BM25()
        if texts:
            retriever.index([tokenize(text) for text in texts], show_progress=False)
        return cls(retriever, len(texts))

    def scores(self, query: str) -> list[float]:
        """BM25 score of each indexed text (0 where no query term occurs)."""
        if not self.size:
            return []
        tokens = [t for t in terms(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return [0.0] * self.size
        return [float(score) for score in self._retriever.get_scores(tokens)]

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(position, score)`` pairs with a positive score, best first."""
        ranked = sorted(enumerate(self.scores(query)), key=lambda item: (-item[1], item[0]))
        return [(i, score) for i, score in ranked[:k] if score > 0]

    def save(self, folder: Path) -> None:
        if self.size:
            self._retriever.save(str(folder))

    @classmethod
    def load(cls, folder: Path, size: int) -> Bm25Index:
        if not size:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(folder)), size)
