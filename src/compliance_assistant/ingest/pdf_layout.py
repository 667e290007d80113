"""Reading order and paragraphs of one PDF page, from positioned words.

The page is cut into horizontal *sections*. A section whose rows share a vertical strip of
white space (a gutter) wide enough to separate columns, and whose rows hold prose rather than
short table cells, is read column by column; any other section is read row by row. Lines are
then grouped into paragraphs where the vertical gap grows, the font size changes, a column
ends, or a short line ends a sentence. All coordinates are PDF points with ``top`` measured
from the top of the page.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

# A gutter is at least this many points and this many font sizes wide: wider than the word
# spacing of justified text, narrower than any real column gap.
MIN_GUTTER_POINTS = 10.0
MIN_GUTTER_EMS = 1.5
# A section is read in columns only with this many rows that have text on both sides of a
# gutter and this many words per column line (table rows hold a few words per cell).
MIN_COLUMN_ROWS = 3
MIN_COLUMN_LINE_WORDS = 4
# Share of the smaller height two words must overlap vertically to sit in one row (a
# superscript overlaps its line by a little under half its height).
ROW_OVERLAP = 0.4
# A vertical gap this many font sizes tall ends a section: what follows is a new block.
SECTION_BREAK_EMS = 2.5
# Paragraph breaks: line pitch this much above the typical pitch, or a font size change. The
# typical pitch (in font sizes) needs a few samples; below that, single spacing is assumed.
PARAGRAPH_PITCH_RATIO = 1.35
MIN_PITCH_SAMPLES = 3
DEFAULT_PITCH_EMS = 1.25
SIZE_CHANGE_RATIO = 0.15
# A line shorter than this share of its column that ends a sentence ends its paragraph.
SHORT_LINE_RATIO = 0.8

# Note references: small raised numbers or symbols.
_REFERENCE = re.compile(r"\d{1,3}|[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+")
REFERENCE_SIZE = 0.8

_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
# Bullet glyphs, including the private-use code points of the Symbol and Wingdings fonts that
# Word uses for list bullets.
_BULLET = re.compile(r"^(?:[•●▪■◦‣∙·*–—\-\uf0a7\uf0b7\uf0d8\uf076\uf0fc]|\d{1,3}[.)]|[a-z][.)])\s")


@dataclass(frozen=True)
class Word:
    """A word as the PDF places it."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class Line:
    """One visual line in reading order; ``column`` identifies the column it was read in."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    column: tuple[int, int]
    column_x0: float
    column_x1: float
    tabular: bool = False
    marker: str | None = None


@dataclass
class Paragraph:
    """Lines that belong together, in order."""

    lines: list[Line] = field(default_factory=list)

    @property
    def size(self) -> float:
        return statistics.median(line.size for line in self.lines)

    @property
    def is_list_item(self) -> bool:
        return bool(_BULLET.match(self.lines[0].text))


@dataclass
class _Row:
    words: list[Word]

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)


@dataclass
class _Section:
    rows: list[_Row]
    gutters: list[tuple[float, float]]


def reading_order(words: Iterable[Word]) -> list[Line]:
    """The page's lines in reading order."""
    rows = _rows(words)
    if not rows:
        return []
    size = statistics.median(word.size for row in rows for word in row.words)
    min_gutter = max(MIN_GUTTER_POINTS, MIN_GUTTER_EMS * size)
    page_x0 = min(word.x0 for row in rows for word in row.words)
    page_x1 = max(word.x1 for row in rows for word in row.words)
    lines: list[Line] = []
    for number, section in enumerate(_sections(rows, min_gutter, SECTION_BREAK_EMS * size)):
        if _reads_in_columns(section):
            lines.extend(_column_lines(section, number))
        else:
            lines.extend(
                _line(row.words, (number, 0), page_x0, page_x1, min_gutter=min_gutter)
                for row in section.rows
            )
    return lines


def paragraphs(lines: list[Line]) -> list[Paragraph]:
    """Group lines in reading order into paragraphs (see the module docstring)."""
    typical = _typical_pitch(lines)
    result: list[Paragraph] = []
    for line in lines:
        if result and not _starts_paragraph(result[-1].lines[-1], line, typical):
            result[-1].lines.append(line)
        else:
            result.append(Paragraph([line]))
    return result


def _typical_pitch(lines: list[Line]) -> float:
    """Line pitch inside a paragraph, in font sizes: the lower quartile of observed pitches.

    Paragraph gaps only ever add to the pitch, so the low end of the distribution is the
    plain line spacing. With too few samples, conventional single spacing is assumed.
    """
    ratios = sorted(
        (line.top - previous.top) / previous.size
        for previous, line in itertools.pairwise(lines)
        if line.column == previous.column
        and line.top > previous.top
        and previous.size > 0
        and abs(line.size - previous.size) < 0.5
    )
    if len(ratios) < MIN_PITCH_SAMPLES:
        return DEFAULT_PITCH_EMS
    return ratios[len(ratios) // 4]


def _starts_paragraph(previous: Line, line: Line, typical_pitch: float) -> bool:
    # A table row (a line with cell-wide gaps) is a paragraph of its own.
    if _BULLET.match(line.text) or line.tabular or previous.tabular:
        return True
    if abs(line.size - previous.size) > SIZE_CHANGE_RATIO * max(line.size, previous.size):
        return True
    ends_sentence = bool(_SENTENCE_END.search(previous.text))
    if line.column != previous.column:
        # Text flowing from the foot of one column to the head of the next continues its
        # paragraph when the sentence visibly goes on.
        same_section = line.column[0] == previous.column[0]
        return not (same_section and not ends_sentence and line.text[:1].islower())
    pitch = line.top - previous.top
    if pitch <= 0 or pitch > PARAGRAPH_PITCH_RATIO * typical_pitch * previous.size:
        return True
    width = previous.column_x1 - previous.column_x0
    return (
        ends_sentence
        and width > 0
        and previous.x1 - previous.column_x0 < (SHORT_LINE_RATIO * width)
    )


def _rows(words: Iterable[Word]) -> list[_Row]:
    """Words grouped into rows: a word joins a row it overlaps by enough of the smaller height.

    Overlap rather than equal tops keeps raised note marks and mixed font sizes in their row.
    """
    rows: list[_Row] = []
    for word in sorted(words, key=lambda item: (item.top, item.x0)):
        if rows:
            row = rows[-1]
            overlap = min(row.bottom, word.bottom) - max(row.top, word.top)
            smaller = min(row.bottom - row.top, word.bottom - word.top)
            if overlap >= ROW_OVERLAP * smaller:
                row.words.append(word)
                continue
        rows.append(_Row([word]))
    for row in rows:
        row.words.sort(key=lambda item: item.x0)
    return rows


def _row_gaps(row: _Row, min_gutter: float) -> list[tuple[float, float]]:
    return [
        (left.x1, right.x0)
        for left, right in itertools.pairwise(row.words)
        if right.x0 - left.x1 >= min_gutter
    ]


def _narrowed(
    gutter: tuple[float, float], row: _Row, min_gutter: float
) -> tuple[float, float] | None:
    """The widest white strip of ``row`` inside ``gutter``, if it is still wide enough."""
    free = [gutter]
    for word in row.words:
        next_free: list[tuple[float, float]] = []
        for start, end in free:
            if word.x1 <= start or word.x0 >= end:
                next_free.append((start, end))
                continue
            if word.x0 > start:
                next_free.append((start, word.x0))
            if word.x1 < end:
                next_free.append((word.x1, end))
        free = next_free
    widest = max(free, key=lambda strip: strip[1] - strip[0], default=None)
    if widest is None or widest[1] - widest[0] < min_gutter:
        return None
    return widest


def _sections(rows: list[_Row], min_gutter: float, break_gap: float) -> list[_Section]:
    sections: list[_Section] = []
    for row in rows:
        current = sections[-1] if sections else None
        if current is not None and row.top - current.rows[-1].bottom <= break_gap:
            if current.gutters:
                narrowed = [_narrowed(gutter, row, min_gutter) for gutter in current.gutters]
                if all(strip is not None for strip in narrowed):
                    current.gutters = [strip for strip in narrowed if strip is not None]
                    current.rows.append(row)
                    continue
            elif not _row_gaps(row, min_gutter):
                current.rows.append(row)
                continue
        sections.append(_Section(rows=[row], gutters=_row_gaps(row, min_gutter)))
    return sections


def _split(row: _Row, gutters: list[tuple[float, float]]) -> list[list[Word]]:
    columns: list[list[Word]] = [[] for _ in range(len(gutters) + 1)]
    for word in row.words:
        column = sum(1 for start, _ in gutters if word.x0 >= start)
        columns[column].append(word)
    return columns


def _reads_in_columns(section: _Section) -> bool:
    if not section.gutters:
        return False
    split_rows = [_split(row, section.gutters) for row in section.rows]
    full_rows = [parts for parts in split_rows if sum(1 for part in parts if part) >= 2]
    if len(full_rows) < MIN_COLUMN_ROWS:
        return False
    words_per_line = [len(part) for parts in full_rows for part in parts if part]
    return statistics.median(words_per_line) >= MIN_COLUMN_LINE_WORDS


def _column_lines(section: _Section, number: int) -> list[Line]:
    split_rows = [_split(row, section.gutters) for row in section.rows]
    lines: list[Line] = []
    for column in range(len(section.gutters) + 1):
        parts = [parts[column] for parts in split_rows if parts[column]]
        if not parts:
            continue
        x0 = min(word.x0 for part in parts for word in part)
        x1 = max(word.x1 for part in parts for word in part)
        lines.extend(_line(part, (number, column), x0, x1) for part in parts)
    return lines


def _line(
    words: list[Word],
    column: tuple[int, int],
    column_x0: float,
    column_x1: float,
    *,
    min_gutter: float | None = None,
) -> Line:
    """One line; with ``min_gutter``, gaps that wide separate cells and are kept as tabs.

    Raised small numbers and daggers are note references: dropped from the text, and kept as
    the line's ``marker`` when the line starts with one (the first line of a footnote).
    """
    size = max(word.size for word in words)
    baseline = statistics.median(word.bottom for word in words)
    kept = [word for word in words if not _is_reference(word, size, baseline)]
    marker = words[0].text if kept and words[0] is not kept[0] else None
    cells: list[list[Word]] = [[kept[0]]] if kept else [[words[0]]]
    for previous, word in itertools.pairwise(kept):
        if min_gutter is not None and word.x0 - previous.x1 >= min_gutter:
            cells.append([word])
        else:
            cells[-1].append(word)
    return Line(
        text="\t".join(" ".join(word.text for word in cell) for cell in cells),
        x0=min(word.x0 for word in words),
        x1=max(word.x1 for word in words),
        top=min(word.top for word in words),
        bottom=max(word.bottom for word in words),
        size=max(word.size for word in kept or words),
        column=column,
        column_x0=column_x0,
        column_x1=column_x1,
        tabular=len(cells) > 1,
        marker=marker,
    )


def _is_reference(word: Word, line_size: float, baseline: float) -> bool:
    return (
        bool(_REFERENCE.fullmatch(word.text))
        and word.size <= REFERENCE_SIZE * line_size
        and word.bottom < baseline - 0.15 * line_size
    )
