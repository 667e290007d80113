"""Values of claim checking: quantities, claims in an article, facts in GTC clauses, verdicts.

Every offset is a code-point index: claim offsets into the article text, fact offsets into the
clause text. All values are immutable.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.engine.claims.topics import Role


class Dimension(StrEnum):
    RATE = "rate"  # normalised to basis points
    MONEY = "money"  # in units of ``currency`` per ``period``
    DURATION = "duration"  # in days
    AGE = "age"  # in years
    DATA = "data"  # in megabytes
    COUNT = "count"  # a number of things (withdrawals, transfers …) per ``period``


class Bound(StrEnum):
    """How a number is stated: exactly, as a lower bound ("from", "at least"), as an upper bound
    ("up to", "maximum") or as a range ("3.1% to 9.9%")."""

    EXACT = "exact"
    MIN = "min"
    MAX = "max"
    RANGE = "range"


class Period(StrEnum):
    ONCE = "once"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    UNIT = "unit"  # per unit consumed or per event (per kWh, per transaction): not a time period


PER_YEAR: dict[Period, float] = {
    Period.DAY: 365.0,
    Period.WEEK: 52.0,
    Period.MONTH: 12.0,
    Period.QUARTER: 4.0,
    Period.YEAR: 1.0,
}


class Quantity(BaseModel):
    """A number with its unit, normalised so equal amounts compare equal.

    ``low``/``high`` are equal for an exact figure; a lower bound has ``high`` = ``low`` and an
    upper bound ``low`` = ``high``. ``tolerance`` widens equality for figures that are only
    approximately convertible (months ↔ days, business days).
    """

    model_config = ConfigDict(frozen=True)

    dimension: Dimension
    low: float
    high: float
    bound: Bound = Bound.EXACT
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    unit: str
    currency: str | None = None
    period: Period | None = None
    per_unit: str | None = None
    rate_type: str | None = None
    vat_included: bool | None = None
    tolerance: float = 0.0
    role: Role | None = None

    @property
    def value(self) -> float:
        """The figure the statement is about: the upper bound for "up to", else the lower."""
        return self.high if self.bound is Bound.MAX else self.low


class Absolute(StrEnum):
    """Absolute statements that a GTC clause can contradict."""

    FREE = "free"
    NEVER = "never"
    ANYTIME = "anytime"
    GUARANTEED = "guaranteed"
    UNLIMITED = "unlimited"
    INSTANT = "instant"


class Signal(StrEnum):
    """Qualitative statements found in clauses (what absolutes are checked against)."""

    NO_FEE = "no_fee"
    VARIABLE = "variable"
    FIXED = "fixed"
    LIMITED = "limited"
    FAIR_USE = "fair_use"
    DISCRETION = "discretion"
    MIN_TERM = "min_term"
    INSTANT = "instant"
    UNLIMITED = "unlimited"
    VAT_INCLUDED = "vat_included"
    VAT_EXCLUDED = "vat_excluded"


class Claim(BaseModel):
    """A checkable statement of the article: a quantity or an absolute, at ``[start, end)``."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    sentence: str
    topics: frozenset[str]
    subject: frozenset[str] = frozenset()
    quantity: Quantity | None = None
    absolute: Absolute | None = None

    @property
    def kind(self) -> str:
        if self.quantity is not None:
            return f"{self.quantity.dimension}"
        return f"{self.absolute}"


class Clause(BaseModel):
    """One clause of a GTC document: its section number, heading, page and text.

    ``page_starts`` lists ``(offset, page)`` pairs for a clause that runs across a page break,
    so a quote inside the clause can be cited with the page it is printed on.
    """

    model_config = ConfigDict(frozen=True)

    document_id: str
    section: str | None = None
    heading: str | None = None
    page: int | None = None
    text: str
    page_starts: tuple[tuple[int, int], ...] = ()
    kind: str = "clause"

    def page_at(self, offset: int) -> int | None:
        page = self.page
        for start, number in self.page_starts:
            if start <= offset:
                page = number
        return page

    @property
    def label(self) -> str:
        """How a reader finds it: "§4.2 Fees" or the heading alone."""
        parts = [f"§{self.section}" if self.section else "", self.heading or ""]
        return " ".join(part for part in parts if part) or "(unnumbered clause)"


class Fact(BaseModel):
    """A quantity or a qualitative signal stated in one sentence of a clause."""

    model_config = ConfigDict(frozen=True)

    clause: Clause
    quote_start: int = Field(ge=0)
    quote_end: int = Field(ge=0)
    topics: frozenset[str]
    quantity: Quantity | None = None
    signal: Signal | None = None
    rank: int = 0

    @property
    def quote(self) -> str:
        return self.clause.text[self.quote_start : self.quote_end]

    @property
    def page(self) -> int | None:
        return self.clause.page_at(self.quote_start)


class Verdict(StrEnum):
    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    NOT_FOUND = "not_found"
    # Related clause facts exist but a deterministic comparison cannot decide (a model may).
    UNDECIDED = "undecided"


class ClaimCheck(BaseModel):
    """The verdict on one claim, with the fact that decided it (when one did)."""

    model_config = ConfigDict(frozen=True)

    claim: Claim
    verdict: Verdict
    fact: Fact | None = None
    explanation: str = ""
    expected: str | None = None
