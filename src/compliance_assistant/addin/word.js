// The only module that talks to Word (Word.run, Office.context). Everything else receives the
// operations object this module builds, so the task pane runs and is tested outside Word with
// another implementation of the same interface (browser-host.js, the tests' scripted hosts).

import { normaliseBreaks } from "./lib/text.js";
import { planLocation, wordSearchText } from "./lib/locate.js";

/**
 * A paragraph as the server's `word-blocks` format takes it (ingest/word_blocks.py).
 * @typedef {object} WordBlock
 * @property {number} index            position in body.paragraphs
 * @property {string} text             the text Word shows (tracked deletions excluded)
 * @property {string} style            styleBuiltIn when built in, else the style name
 * @property {boolean} is_list_item
 * @property {{row: number, column: number, table: number}} [table_cell]  0-based
 * @property {number} [level]          1-based list level
 */

/**
 * @typedef {object} WordBlocksPayload
 * @property {"word-blocks"} format
 * @property {WordBlock[]} blocks
 */

/**
 * What happened when a finding was looked for:
 * "found" — where the check saw it; "moved" — found, but elsewhere (text was edited);
 * "changed" — the quoted text is no longer in the document (its paragraph is selected instead
 * when it still exists); "missing" — neither the text nor its paragraph exist;
 * "unsupported" — this version of Word lacks the API the operation needs.
 * @typedef {"found"|"moved"|"changed"|"missing"|"unsupported"} LocateStatus
 */

/**
 * @typedef {object} Outcome
 * @property {LocateStatus} status
 * @property {boolean} done   the operation took effect (selected, replaced, commented)
 */

/**
 * @typedef {object} HighlightMark
 * @property {string} key                                  the finding's fingerprint
 * @property {import("./lib/blocks.js").FindingTarget} target
 * @property {string|null} color                           Word highlight colour; null removes
 */

/**
 * @typedef {object} Capabilities
 * @property {boolean} document      can read paragraphs and select ranges
 * @property {boolean} trackChanges  can apply a suggestion as a tracked change (WordApi 1.4)
 * @property {boolean} comments      can insert comments (WordApi 1.4)
 * @property {boolean} highlight
 * @property {boolean} exportReport  can open a new document (WordApi 1.3)
 * @property {boolean} sso           Office.auth.getAccessToken exists
 */

/**
 * Key-value storage inside the document (travels with the file).
 * @typedef {object} DocumentStore
 * @property {(key: string) => any} get
 * @property {(key: string, value: any) => Promise<void>} set
 */

/**
 * The operations the task pane uses. Implemented by createWordOperations (inside Word), by
 * createBrowserOperations (standalone page) and by the tests' scripted hosts.
 * @typedef {object} DocumentOperations
 * @property {"word"|"browser"} kind
 * @property {string} label                                  e.g. "Word on the web"
 * @property {Capabilities} capabilities
 * @property {DocumentStore} store
 * @property {() => string} documentName                     for the report title
 * @property {() => Promise<WordBlocksPayload>} readDocument
 * @property {() => Promise<WordBlocksPayload>} readSelection paragraphs the selection touches
 * @property {(target: import("./lib/blocks.js").FindingTarget) => Promise<Outcome>} selectFinding
 * @property {(target: import("./lib/blocks.js").FindingTarget, replacement: string, options?: {highlight?: string|null}) => Promise<Outcome>} applySuggestion
 *   replaces the quote as a tracked change; `options.highlight` is the highlight to leave on
 *   the new text (the quote's highlight would otherwise carry over)
 * @property {(target: import("./lib/blocks.js").FindingTarget, text: string) => Promise<Outcome>} insertComment
 * @property {(marks: HighlightMark[]) => Promise<{marked: number, missing: number, previous: Record<string, string|null>}>} highlight
 *   sets each mark's colour and returns the colours they replaced (to restore later)
 * @property {(base64Docx: string) => Promise<void>} openReport  opens a new document
 * @property {() => Promise<string>} [getAccessToken]         Office SSO token
 */

const SEARCH_OPTIONS = { matchCase: true, matchWildcards: false };
const INTERSECTING = new Set([
  "Equal", "Contains", "ContainsStart", "ContainsEnd", "Inside", "InsideStart", "InsideEnd",
  "OverlapsBefore", "OverlapsAfter",
]);
const SETTING_PREFIX = "complianceAssistant.";

/**
 * Operations backed by Word.
 * @param {{Word?: any, Office?: any}} [globals]  injected in tests; the Office.js globals otherwise
 * @returns {DocumentOperations}
 */
export function createWordOperations({ Word = globalThis.Word, Office = globalThis.Office } = {}) {
  const supports = (version) => Boolean(Office?.context?.requirements?.isSetSupported("WordApi", version));
  const capabilities = {
    document: supports("1.3"),
    trackChanges: supports("1.4"),
    comments: supports("1.4"),
    highlight: supports("1.1"),
    exportReport: supports("1.3"),
    sso: typeof Office?.auth?.getAccessToken === "function",
  };

  async function readParagraphs(selectionOnly) {
    return Word.run(async (context) => {
      const paragraphs = context.document.body.paragraphs;
      paragraphs.load("text,style,styleBuiltIn,isListItem,tableNestingLevel");
      await context.sync();
      const items = paragraphs.items;
      let include = items.map(() => true);
      if (selectionOnly) {
        const selection = context.document.getSelection();
        const relations = items.map((p) => p.getRange("Whole").compareLocationWith(selection));
        await context.sync();
        include = relations.map((r) => INTERSECTING.has(r.value));
      }
      return describe(context, items, include, capabilities.trackChanges, Word);
    });
  }

  async function withLocated(target, action) {
    return Word.run(async (context) => {
      const [located] = await locateMany(context, [target]);
      return action(context, located);
    });
  }

  const settings = () => Office.context.document.settings;

  /** @type {DocumentOperations} */
  const operations = {
    kind: "word",
    label: Office?.context?.platform === "OfficeOnline" ? "Word on the web" : "Word",
    capabilities,
    store: {
      get(key) {
        const value = settings().get(SETTING_PREFIX + key);
        return value === undefined ? null : value;
      },
      set(key, value) {
        if (value === null || value === undefined) settings().remove(SETTING_PREFIX + key);
        else settings().set(SETTING_PREFIX + key, value);
        return new Promise((resolve, reject) => {
          settings().saveAsync((result) => {
            if (result.status === "succeeded") resolve();
            else reject(new Error(result.error?.message || "Word could not save the add-in's settings in the document."));
          });
        });
      },
    },
    documentName() {
      const url = Office?.context?.document?.url || "";
      const name = decodeURIComponent(url.split(/[\\/]/).pop() || "");
      return name.replace(/\.(docx|docm|doc|dotx)$/i, "") || "Untitled document";
    },
    readDocument: () => readParagraphs(false),
    readSelection: () => readParagraphs(true),

    selectFinding: (target) =>
      withLocated(target, async (context, located) => {
        const where = located.range || located.paragraph;
        if (!where) return { status: located.status, done: false };
        where.select("Select");
        await context.sync();
        return { status: located.status, done: Boolean(located.range) };
      }),

    applySuggestion: (target, replacement, options = {}) => {
      if (!capabilities.trackChanges) return Promise.resolve({ status: "unsupported", done: false });
      return withLocated(target, async (context, located) => {
        if (!located.range) {
          if (located.paragraph) {
            located.paragraph.select("Select");
            await context.sync();
          }
          return { status: located.status, done: false };
        }
        const document = context.document;
        document.load("changeTrackingMode");
        await context.sync();
        const previous = document.changeTrackingMode;
        const track = Word.ChangeTrackingMode.trackAll;
        if (previous !== track) {
          document.changeTrackingMode = track;
          await context.sync();
        }
        try {
          const inserted = located.range.insertText(replacement, Word.InsertLocation.replace);
          if ("highlight" in options) inserted.font.highlightColor = options.highlight ?? null;
          inserted.select("Select");
          await context.sync();
        } finally {
          if (previous !== track) {
            document.changeTrackingMode = previous;
            await context.sync();
          }
        }
        return { status: located.status, done: true };
      });
    },

    insertComment: (target, text) => {
      if (!capabilities.comments) return Promise.resolve({ status: "unsupported", done: false });
      return withLocated(target, async (context, located) => {
        if (!located.range) return { status: located.status, done: false };
        located.range.insertComment(text);
        located.range.select("Select");
        await context.sync();
        return { status: located.status, done: true };
      });
    },

    highlight: (marks) =>
      Word.run(async (context) => {
        const located = await locateMany(context, marks.map((m) => m.target));
        const previous = {};
        const fonts = located.map((l) => (l.range ? l.range.font : null));
        for (const font of fonts) if (font) font.load("highlightColor");
        await context.sync();
        let marked = 0;
        marks.forEach((mark, i) => {
          const font = fonts[i];
          if (!font) return;
          previous[mark.key] = font.highlightColor || null;
          font.highlightColor = mark.color;
          marked += 1;
        });
        await context.sync();
        return { marked, missing: marks.length - marked, previous };
      }),

    openReport: (base64Docx) =>
      Word.run(async (context) => {
        context.application.createDocument(base64Docx).open();
        await context.sync();
      }),
  };
  if (capabilities.sso) {
    operations.getAccessToken = () =>
      Office.auth.getAccessToken({ allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false });
  }
  return operations;
}

/** Paragraph descriptions for the `include`d paragraphs (table ordinals count all of them). */
async function describe(context, items, include, reviewedText, Word) {
  const reviewed = items.map((p, i) => (include[i] && reviewedText ? p.getReviewedText(Word.ChangeTrackingVersion.current) : null));
  const lists = items.map((p, i) => (include[i] && p.isListItem ? p.listItem : null));
  const cells = items.map((p, i) => (include[i] && p.tableNestingLevel > 0 ? p.parentTableCell : null));
  for (const list of lists) if (list) list.load("level");
  for (const cell of cells) if (cell) cell.load("rowIndex,cellIndex");
  await context.sync();

  const blocks = [];
  let table = -1;
  let inTable = false;
  items.forEach((p, index) => {
    // Word keeps a paragraph between two tables, so a new run of table paragraphs is a new table.
    const nested = p.tableNestingLevel > 0;
    if (nested && !inTable) table += 1;
    inTable = nested;
    if (!include[index]) return;
    const block = {
      index,
      text: reviewed[index] ? reviewed[index].value : p.text,
      style: p.styleBuiltIn && p.styleBuiltIn !== "Other" ? p.styleBuiltIn : p.style || "",
      is_list_item: Boolean(p.isListItem),
    };
    if (cells[index]) block.table_cell = { row: cells[index].rowIndex, column: cells[index].cellIndex, table };
    if (lists[index]) block.level = Math.min(9, Math.max(1, lists[index].level + 1));
    blocks.push(block);
  });
  return { format: "word-blocks", blocks };
}

/**
 * Find each target's range with Word's search. Round trips: one to read the paragraphs, one
 * per chunk of the longest quote (quotes over 255 characters are searched piece by piece,
 * each piece from where the previous one ended), and one to read the ranges back.
 * @returns {Promise<{status: LocateStatus, range: any|null, paragraph: any|null}[]>}
 */
async function locateMany(context, targets) {
  const body = context.document.body;
  const paragraphs = body.paragraphs;
  paragraphs.load("text");
  await context.sync();
  const items = paragraphs.items;
  const texts = items.map((p) => p.text);

  const jobs = targets.map((target) => {
    const plan = planLocation(texts, target);
    const paragraph = target.paragraphIndex !== null && target.paragraphIndex < items.length ? items[target.paragraphIndex] : null;
    return { target, plan, paragraph, pieces: [] };
  });
  const rounds = Math.max(0, ...jobs.map((job) => (job.plan ? job.plan.chunks.length : 0)));
  for (let round = 0; round < rounds; round += 1) {
    const searches = [];
    for (const job of jobs) {
      if (!job.plan || round >= job.plan.chunks.length) continue;
      const text = wordSearchText(job.plan.chunks[round]);
      const scope = round === 0
        ? items[job.plan.paragraph]
        : job.pieces[round - 1].getRange("After").expandTo(body.getRange("End"));
      const results = scope.search(text, SEARCH_OPTIONS);
      results.load("text");
      searches.push({ job, results });
    }
    await context.sync();
    for (const { job, results } of searches) {
      const piece = results.items[round === 0 ? job.plan.ordinal : 0];
      if (piece) job.pieces.push(piece);
      else job.plan = null;
    }
  }
  for (const job of jobs) {
    if (!job.plan) continue;
    const { pieces } = job;
    job.range = pieces.length > 1 ? pieces[0].expandTo(pieces[pieces.length - 1]) : pieces[0];
    job.range.load("text");
  }
  await context.sync();

  return jobs.map((job) => {
    if (!job.plan) return { status: job.paragraph ? "changed" : "missing", range: null, paragraph: job.paragraph };
    // Word's search can match differently from plain text comparison (fields, hidden text):
    // only a range whose text is the quote counts as found.
    if (normaliseBreaks(job.range.text) !== normaliseBreaks(job.target.quote)) {
      return { status: "changed", range: null, paragraph: items[job.plan.paragraph] };
    }
    return { status: job.plan.status, range: job.range, paragraph: items[job.plan.paragraph] };
  });
}
