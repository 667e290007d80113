// The word-blocks payload and the map from the server's block ids back to Word paragraphs.
//
// The server builds its Document from the non-blank paragraphs, in order, joined by one LF,
// and names them b0, b1, … (engine/document.py DocumentBuilder); a block's `source_index`
// is the paragraph index the add-in sent. Rebuilding that map here lets a finding (span
// offsets, block id) be turned into "paragraph N, character M" without another request.

import { codePointLength, isBlank, normaliseBreaks, sliceCodePoints, utf16Index } from "./text.js";

const CONTEXT_CHARS = 40;

/**
 * @typedef {object} BlockEntry
 * @property {string} id            the server's block id ("b0", "b1", …)
 * @property {number} sourceIndex   Word paragraph index
 * @property {number} start         code-point offset of the block in the server's text
 * @property {number} length        length in code points
 * @property {string} [text]        paragraph text as sent (only while the session lasts)
 */

/**
 * @typedef {object} BlockMap
 * @property {BlockEntry[]} blocks
 */

/** Map of the blocks the server will build from a word-blocks payload. */
export function buildBlockMap(payload) {
  const blocks = [];
  let offset = 0;
  for (const block of payload.blocks) {
    if (isBlank(block.text)) continue;
    if (blocks.length) offset += 1;
    const text = normaliseBreaks(block.text);
    const length = codePointLength(text);
    blocks.push({ id: `b${blocks.length}`, sourceIndex: block.index, start: offset, length, text });
    offset += length;
  }
  return { blocks };
}

/** The compact form kept in the document (no text): [[sourceIndex, start, length], …]. */
export function packBlockMap(map) {
  return map.blocks.map((b) => [b.sourceIndex, b.start, b.length]);
}

/** Inverse of packBlockMap. */
export function unpackBlockMap(packed) {
  if (!Array.isArray(packed)) return { blocks: [] };
  return {
    blocks: packed.map(([sourceIndex, start, length], i) => ({ id: `b${i}`, sourceIndex, start, length })),
  };
}

function blockFor(map, span) {
  if (span.block_id) {
    const byId = map.blocks.find((b) => b.id === span.block_id);
    if (byId) return byId;
  }
  let found = null;
  for (const block of map.blocks) {
    if (block.start <= span.start) found = block;
    else break;
  }
  return found;
}

/**
 * @typedef {object} FindingTarget
 * @property {string} quote                 the text the finding is about
 * @property {number|null} paragraphIndex   Word paragraph index at check time (null: unknown)
 * @property {number|null} offset           UTF-16 offset of the quote in that paragraph
 * @property {string} before                up to 40 characters before the quote at check time
 * @property {string} after                 up to 40 characters after it
 */

/**
 * Where a finding was when the document was checked.
 * @param {{span: {start: number, end: number, block_id?: string|null, quote: string}}} finding
 * @param {BlockMap|null} map
 * @returns {FindingTarget}
 */
export function findingTarget(finding, map) {
  const span = finding.span;
  const target = { quote: span.quote, paragraphIndex: null, offset: null, before: "", after: "" };
  const block = map ? blockFor(map, span) : null;
  if (!block) return target;
  target.paragraphIndex = block.sourceIndex;
  const within = span.start - block.start;
  if (block.text !== undefined) {
    const startUnit = utf16Index(block.text, within);
    target.offset = startUnit;
    target.before = block.text.slice(Math.max(0, startUnit - CONTEXT_CHARS), startUnit);
    const endUnit = startUnit + span.quote.length;
    target.after = block.text.slice(endUnit, endUnit + CONTEXT_CHARS);
  } else {
    // Without the text, code points and UTF-16 units agree except for astral characters.
    target.offset = within;
  }
  return target;
}

/** Paragraphs of plain text as a word-blocks payload (the standalone page). */
export function textToPayload(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  return { format: "word-blocks", blocks: lines.map((line, index) => ({ index, text: line, style: "", is_list_item: false })) };
}

/** Text of a span within the server's text, rebuilt from a block map with texts. */
export function quoteFromMap(map, start, end) {
  const block = map.blocks.find((b) => b.start <= start && start <= b.start + b.length);
  if (!block || block.text === undefined) return null;
  return sliceCodePoints(block.text, start - block.start, end - block.start);
}
