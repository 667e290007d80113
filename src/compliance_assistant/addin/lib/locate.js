// Planning how to find a quote in Word with Word's own search, which matches at most 255
// characters and only within what it is asked to search. The plan is computed from the
// paragraph texts Word reports now, so it copes with text edited since the check: the quote
// is looked for near where it was, preferring the occurrence whose surroundings still match.

import { commonPrefix, commonSuffix, normaliseBreaks, occurrences } from "./text.js";

/** Word rejects longer search strings ("SearchStringInvalidOrTooLong"). */
export const MAX_SEARCH_LENGTH = 255;

/**
 * A search string for Word. `^` is Word's escape character; a manual line break (vertical
 * tab), a paragraph mark (CR, between paragraphs) and a tab have codes of their own.
 */
export function wordSearchText(text) {
  return text.replace(/\^/g, "^^").replace(/[\n\v]/g, "^l").replace(/\r/g, "^p").replace(/\t/g, "^t");
}

/** Longest prefix of `text` whose Word search string fits the limit (never splits a pair). */
export function searchablePrefix(text, limit = MAX_SEARCH_LENGTH) {
  let end = 0;
  let used = 0;
  while (end < text.length) {
    const step = isHighSurrogate(text.charCodeAt(end)) ? 2 : 1;
    const cost = wordSearchText(text.slice(end, end + step)).length;
    if (used + cost > limit) break;
    used += cost;
    end += step;
  }
  return text.slice(0, end);
}

function isHighSurrogate(unit) {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit) {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * @typedef {object} LocationPlan
 * @property {"found"|"moved"} status  "moved": not where the check saw it (text was edited)
 * @property {number} paragraph        paragraph the quote starts in
 * @property {number} offset           UTF-16 offset of the quote in that paragraph
 * @property {number} ordinal          which of Word's matches of chunks[0] in that paragraph
 * @property {string[]} chunks         the quote in consecutive pieces Word can search for
 *   (raw text: paragraph marks as CR, line breaks as VT). The first is searched in the
 *   paragraph; each next one from where the previous one ended, where it starts at once.
 */

/**
 * Plan the search for a finding's quote in the current document.
 * @param {string[]} paragraphs  current paragraph texts, in order (as Word reports them)
 * @param {import("./blocks.js").FindingTarget} target
 * @returns {LocationPlan|null}  null when the quote is no longer in the document
 */
export function planLocation(paragraphs, target) {
  const quote = normaliseBreaks(target.quote);
  if (!quote) return null;
  const raw = paragraphs.join("\r");
  const whole = normaliseBreaks(raw);
  const starts = [];
  let total = 0;
  for (const text of paragraphs) {
    starts.push(total);
    total += text.length + 1;
  }
  const candidates = occurrences(whole, quote);
  if (!candidates.length) return null;

  const known = target.paragraphIndex !== null && target.paragraphIndex < paragraphs.length;
  const expected = known ? starts[target.paragraphIndex] + (target.offset ?? 0) : null;
  const best = chooseCandidate(whole, quote, candidates, expected, target);
  const [paragraph, offset] = position(starts, best);
  const status = known && paragraph === target.paragraphIndex &&
    (target.offset === null || target.offset === offset) ? "found" : "moved";

  // The first chunk stays inside its paragraph (it is searched there, by ordinal).
  const chunks = [];
  const text = raw.slice(best, best + quote.length);
  const firstRoom = Math.min(text.length, paragraphs[paragraph].length - offset);
  let at = 0;
  while (at < text.length) {
    const room = chunks.length ? text.slice(at) : text.slice(0, firstRoom);
    const chunk = searchablePrefix(room);
    if (!chunk) return null;
    chunks.push(chunk);
    at += chunk.length;
  }
  const ordinal = occurrences(normaliseBreaks(paragraphs[paragraph]), normaliseBreaks(chunks[0])).indexOf(offset);
  if (ordinal < 0) return null;
  return { status, paragraph, offset, ordinal, chunks };
}

function chooseCandidate(whole, quote, candidates, expected, target) {
  let best = candidates[0];
  let bestScore = -Infinity;
  for (const at of candidates) {
    // Matching surroundings outweigh distance: an edit above the quote shifts it, but the
    // words around it usually stay.
    const before = commonSuffix(whole.slice(Math.max(0, at - target.before.length), at), target.before);
    const after = commonPrefix(whole.slice(at + quote.length, at + quote.length + target.after.length), target.after);
    const distance = expected === null ? 0 : Math.abs(at - expected);
    const score = (before + after) * 1000 - distance;
    if (score > bestScore) {
      bestScore = score;
      best = at;
    }
  }
  return best;
}

function position(starts, at) {
  let paragraph = 0;
  for (let i = 0; i < starts.length; i += 1) {
    if (starts[i] <= at) paragraph = i;
    else break;
  }
  return [paragraph, at - starts[paragraph]];
}
