// Text helpers shared by the Word host and the UI. The server counts offsets in Unicode code
// points (Python string indices); JavaScript strings index UTF-16 units. Everything that
// crosses that border goes through these functions.

/** Characters Python's str.isspace() accepts: a paragraph of only these is blank. */
const PY_SPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;

/** True when the server would skip this paragraph as blank (Python `not text.strip()`). */
export function isBlank(text) {
  return PY_SPACE.test(text);
}

/** Number of code points in a string. */
export function codePointLength(text) {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/** UTF-16 index of the code point at `codePoints` (clamped to the string's end). */
export function utf16Index(text, codePoints) {
  let index = 0;
  let seen = 0;
  while (index < text.length && seen < codePoints) {
    const unit = text.charCodeAt(index);
    const pair =
      unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length &&
      text.charCodeAt(index + 1) >= 0xdc00 && text.charCodeAt(index + 1) <= 0xdfff;
    index += pair ? 2 : 1;
    seen += 1;
  }
  return index;
}

/** The text between two code-point offsets. */
export function sliceCodePoints(text, start, end) {
  return text.slice(utf16Index(text, start), utf16Index(text, end));
}

/**
 * Word reports a manual line break as a vertical tab and a paragraph end as CR; the server
 * turns both into LF one for one (ingest/word_blocks.py). Comparisons use that form.
 */
export function normaliseBreaks(text) {
  return text.replace(/[\r\v]/g, "\n");
}

/** Start indices of the non-overlapping occurrences of `needle`, left to right (as Word finds them). */
export function occurrences(haystack, needle) {
  const found = [];
  if (!needle) return found;
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return found;
    found.push(at);
    from = at + needle.length;
  }
}

/** Length of the common suffix of two strings. */
export function commonSuffix(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n += 1;
  return n;
}

/** Length of the common prefix of two strings. */
export function commonPrefix(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n += 1;
  return n;
}

/** Shorten a string for display, on a word boundary when one is near. */
export function ellipsis(text, max) {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}
