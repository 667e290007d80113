"""The vocabulary of quantities: number, currency, period, unit and bound patterns.

Kept apart from the code that applies them (:mod:`.quantities`) so the patterns can be read and
extended in one place.
"""

from __future__ import annotations

import re

from compliance_assistant.engine.claims.models import Dimension, Period
from compliance_assistant.engine.claims.topics import Role

NUM = r"(?:\d+,\d{1,2}(?!\d)|(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "twenty-one": 21,
    "twenty-four": 24,
    "twenty-eight": 28,
    "thirty": 30,
    "thirty-six": 36,
    "forty-eight": 48,
    "sixty": 60,
    "ninety": 90,
}
WORD_NUM = "|".join(sorted((re.escape(w) for w in WORD_NUMBERS), key=len, reverse=True))
# Counted things need a real number word: "a withdrawal" is not a count of one.
COUNT_WORD_NUM = "|".join(
    sorted((re.escape(w) for w in WORD_NUMBERS if w not in {"a", "an"}), key=len, reverse=True)
)
CURRENCY_SIGNS = {
    "€": "EUR",
    "£": "GBP",
    "$": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "chf": "CHF",
}
MINOR = {"p": "GBP", "pence": "GBP", "ct": "EUR", "cent": "EUR", "cents": "EUR"}
MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9}

MONEY = re.compile(
    rf"(?P<pre>[€£$]|\b(?:EUR|GBP|USD|CHF)\b)\s?(?P<n1>{NUM})(?:\s?(?P<m1>k|m|bn)\b|"
    rf"\s(?P<w1>thousand|million)\b)?"
    rf"|(?<![\w.,])(?P<n2>{NUM})(?:\s?(?P<m2>k|m)\b|\s(?P<w2>thousand|million)\b)?\s?"
    rf"(?P<post>€|£|\b(?:EUR|GBP|USD|CHF|[Ee]uros?|[Pp]ounds?|[Dd]ollars?)\b)"
    rf"|(?<![\w.,])(?P<n3>{NUM})\s?(?P<minor>p|pence|ct|cents?)\b(?!\.\w)",
)
RATE = re.compile(
    rf"(?<![\w.,])(?:(?P<lo>{NUM})\s?%?\s?(?:-|–|—|to)\s?)?(?P<n>{NUM})\s?"
    r"(?:(?P<pct>%|per\s?cent\b|percent\b)|(?P<bps>basis\s+points?\b|bps?\b))",
    re.IGNORECASE,
)
DURATION = re.compile(
    rf"(?<![\w.,])(?P<n>{NUM}|\b(?:{WORD_NUM}))[\s-]+(?P<kind>business|working|banking|calendar)?"
    r"[\s-]*(?P<unit>day|week|fortnight|month|year|hour|minute)s?\b(?:['’]s?)?"
    r"|\b(?:a|one)\s+(?P<fortnight>fortnight)\b",
    re.IGNORECASE,
)
AGE = re.compile(
    r"\b(?:aged?|ages)\s+(?:of\s+)?(?P<a>\d{1,3})(?P<plus1>\s?\+)?"
    r"(?:\s+(?:or|and)\s+(?P<dir1>over|above|older|under|below|younger))?"
    r"|(?<![\w.,])(?P<b>\d{1,3})(?P<plus2>\s?\+)?\s*(?:years?|yrs?)[\s-]+(?:old|of\s+age)"
    r"(?:\s+(?:or|and)\s+(?P<dir2>over|above|older|under|below|younger))?"
    r"|\bbe\s+(?:at\s+least\s+)?(?P<c>\d{1,3})\s+(?:or|and)\s+(?P<dir3>over|above|older)\b"
    r"|\b(?P<dir4>over|under)[- ](?P<d>\d{1,3})s\b",
    re.IGNORECASE,
)
DATA = re.compile(rf"(?<![\w.,])(?P<n>{NUM})\s?(?P<u>GB|MB|TB)\b")
COUNT = re.compile(
    rf"(?<![\w.,])(?P<n>{NUM}|\b(?:{COUNT_WORD_NUM}))\s+(?:(?:free|fee-free|penalty-free)\s+)?"
    r"(?P<noun>withdrawals?|transfers?|payments?|transactions?)\b"
    r"(?:\s+(?:per|a|an|each|every|in\s+any|in\s+a|in\s+each)\s+(?:calendar\s+)?"
    r"(?P<per>day|week|month|quarter|year))?",
    re.IGNORECASE,
)

PERIOD_WORDS = {
    "day": Period.DAY,
    "daily": Period.DAY,
    "week": Period.WEEK,
    "weekly": Period.WEEK,
    "month": Period.MONTH,
    "monthly": Period.MONTH,
    "pm": Period.MONTH,
    "quarter": Period.QUARTER,
    "quarterly": Period.QUARTER,
    "year": Period.YEAR,
    "annum": Period.YEAR,
    "yearly": Period.YEAR,
    "annual": Period.YEAR,
    "annually": Period.YEAR,
    "pa": Period.YEAR,
    "once": Period.ONCE,
    "one-off": Period.ONCE,
}
MONEY_SUFFIX_PERIOD = re.compile(
    r"\s*(?:\|\s*)?(?:(?:/|per\b|an?\b|each\b|every\b)\s?(?P<per>day|week|month|quarter|year|annum|kwh|"
    r"transaction|withdrawal|transfer|payment|fuel)s?\b|(?P<adv>daily|weekly|monthly|quarterly|"
    r"yearly|annually|p\.\s?a\.|pa|pm|one-off)(?![\w.]))",
    re.IGNORECASE,
)
VAT_SUFFIX = re.compile(
    r"\s*\(?(?:(?P<inc>incl\.?|including|inc\.?|inclusive\s+of)|(?P<exc>excl\.?|excluding|"
    r"exclusive\s+of|plus|\+|net\s+of|before))\s*VAT\)?",
    re.IGNORECASE,
)
MONEY_PREFIX_PERIOD = re.compile(
    r"(?P<adv>daily|weekly|monthly|quarterly|annual|yearly|one-off)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:fee|charge|subscription|cost|payment|premium|price)s?\s*(?:of\s+|:\s*|is\s+|=\s*|\|\s*)?"
    r"(?:just\s+|only\s+)?$",
    re.IGNORECASE,
)
RATE_TYPE_AFTER = re.compile(
    r"\s*\(?(?P<q>AER|APR|EAR|gross|p\.\s?a\.|per\s+annum|a\s+year|representative|variable|"
    r"fixed)\)?(?![\w])",
    re.IGNORECASE,
)
RATE_TYPE_BEFORE = re.compile(r"\b(?P<q>AER|APR|EAR)\b\)?(?:\s+[\w-]+){0,3}\s*(?:of|is|:)?\s*$")
MIN_BEFORE = re.compile(
    r"(?:\bfrom|\bstarting\s+(?:at|from)|\bas\s+low\s+as|\bat\s+least|\bminimum(?:\s+of)?|"
    r"\bmin\.?|\bover|\bmore\s+than|\babove|\bin\s+excess\s+of|\bno\s+less\s+than)\s+"
    r"(?:(?:just|only|a|an|the|of|age)\s+){0,2}$",
    re.IGNORECASE,
)
MAX_BEFORE = re.compile(
    r"(?:\bup\s?to|\bmaximum(?:\s+of)?|\bmax\.?|\bno\s+more\s+than|\bnot\s+(?:more\s+than|"
    r"exceed(?:ing)?)|\bunder|\bless\s+than|\bbelow|\bwithin|\bcapped\s+at|\blimited\s+to)\s+"
    r"(?:(?:just|only|a|an|the|of)\s+){0,2}$",
    re.IGNORECASE,
)
RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|and)\s*$", re.IGNORECASE)
BARE_RANGE_START = re.compile(
    rf"(?:(?P<between>between)\s+)?(?P<lo>{NUM})\s?(?P<join>-|–|—|to|and)\s?$", re.IGNORECASE
)
BETWEEN_BEFORE = re.compile(r"\bbetween\s+$", re.IGNORECASE)

# Roles a dimension cannot have: "€1" next to "from age 16" is not an age.
NOT_ROLES = {
    Dimension.MONEY: frozenset({Role.VAT, Role.AGE, Role.NOTICE, Role.TERM, Role.DATA}),
    Dimension.DURATION: frozenset({Role.VAT, Role.AGE, Role.FEE, Role.BALANCE, Role.DATA}),
    Dimension.RATE: frozenset({Role.AGE, Role.NOTICE, Role.TERM, Role.DATA}),
}
DAYS = {
    "day": 1.0,
    "week": 7.0,
    "fortnight": 14.0,
    "month": 30.4375,
    "year": 365.25,
    "hour": 1 / 24,
    "minute": 1 / 1440,
}
DATA_MB = {"MB": 1.0, "GB": 1024.0, "TB": 1024.0 * 1024.0}
LOOKBEHIND = 40


LEADING_NUMBER = re.compile(rf"{NUM}|\b(?:{WORD_NUM})\b", re.IGNORECASE)
