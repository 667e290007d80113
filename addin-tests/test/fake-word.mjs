// A scripted Word for the word.js unit tests, built from office-addin-mock objects.
//
// FakeWordDocument holds the document's state (paragraph texts, highlights, comments, the
// change-tracking mode, the selection, every edit with the tracking mode in force when it was
// made). Each Word.run gets a fresh set of OfficeMockObject proxies over that state, so
// properties must be load()ed and context.sync()ed before they are read — and, unlike plain
// office-addin-mock (which returns an error *string*), reading one too early throws, as Word
// does. Search strings longer than 255 characters make the next sync fail, as in Word.

import { OfficeMockObject } from "office-addin-mock";

const NOT_READY = new Set(["Error, property was not loaded", "Error, context.sync() was not called"]);
const MAX_SEARCH = 255;

export class FakeOfficeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "OfficeExtension.Error";
    this.code = code;
  }
}

/** Wrap a mock so that reading a property that was not loaded and synced throws. */
export function strict(mock, onSet = {}) {
  return new Proxy(mock, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value === "function") return value.bind(target);
      if (typeof value === "string" && NOT_READY.has(value)) {
        throw new FakeOfficeError(
          "PropertyNotLoaded",
          `The property '${String(prop)}' is not available. Load it and call context.sync() before reading it. (${value})`,
        );
      }
      return value;
    },
    set(target, prop, value) {
      target[prop] = value;
      if (onSet[prop]) onSet[prop](value);
      return true;
    },
  });
}

/** Characters of Word's search syntax used by word.js: ^^ ^l ^p ^t. */
function unescapeSearch(text) {
  return text.replace(/\^([\^lpt])/g, (_, c) => ({ "^": "^", l: "\v", p: "\r", t: "\t" })[c]);
}

/**
 * @typedef {object} FakeParagraph
 * @property {string} text
 * @property {string} [styleBuiltIn]
 * @property {string} [style]
 * @property {boolean} [isListItem]
 * @property {number} [listLevel]          0-based, as Word's ListItem.level
 * @property {{row: number, column: number}} [cell]
 * @property {string} [current]            text with tracked deletions left out
 */

export class FakeWordDocument {
  /** @param {(string|FakeParagraph)[]} paragraphs */
  constructor(paragraphs, { changeTrackingMode = "Off" } = {}) {
    this.paragraphs = paragraphs.map((p) => {
      const para = typeof p === "string" ? { text: p } : { ...p };
      para.styleBuiltIn ??= "Normal";
      para.style ??= para.styleBuiltIn;
      para.isListItem ??= false;
      para.marks = new Array(para.text.length).fill(null);
      return para;
    });
    this.changeTrackingMode = changeTrackingMode;
    this.edits = [];
    this.comments = [];
    this.created = [];
    this.selection = null;
    this.syncs = 0;
    this.searches = [];
    this.failNextInsert = null;
  }

  text(i) {
    return this.paragraphs[i].text;
  }

  rangeText(range) {
    const { start, end } = range;
    if (start.p === end.p) return this.paragraphs[start.p].text.slice(start.o, end.o);
    const parts = [this.paragraphs[start.p].text.slice(start.o)];
    for (let p = start.p + 1; p < end.p; p += 1) parts.push(this.paragraphs[p].text);
    parts.push(this.paragraphs[end.p].text.slice(0, end.o));
    return parts.join("\r");
  }

  selectedText() {
    return this.selection ? this.rangeText(this.selection) : null;
  }

  /** Highlight colours of a paragraph's characters, as "color" runs: [[text, color], …]. */
  highlightRuns(i) {
    const para = this.paragraphs[i];
    const runs = [];
    for (let k = 0; k < para.text.length; k += 1) {
      const color = para.marks[k];
      if (runs.length && runs[runs.length - 1][1] === color) runs[runs.length - 1][0] += para.text[k];
      else runs.push([para.text[k], color]);
    }
    return runs.filter(([, color]) => color !== null);
  }

  forEachChar(range, fn) {
    for (let p = range.start.p; p <= range.end.p; p += 1) {
      const from = p === range.start.p ? range.start.o : 0;
      const to = p === range.end.p ? range.end.o : this.paragraphs[p].text.length;
      for (let k = from; k < to; k += 1) fn(this.paragraphs[p], k);
    }
  }

  highlightOf(range) {
    const colors = new Set();
    this.forEachChar(range, (para, k) => colors.add(para.marks[k]));
    return colors.size === 1 ? [...colors][0] : null;
  }

  setHighlight(range, color) {
    this.forEachChar(range, (para, k) => {
      para.marks[k] = color;
    });
  }

  replace(range, replacement) {
    if (this.failNextInsert) {
      const error = this.failNextInsert;
      this.failNextInsert = null;
      throw error;
    }
    const { start, end } = range;
    const first = this.paragraphs[start.p];
    const last = this.paragraphs[end.p];
    const before = this.rangeText(range);
    const inherited = first.marks[start.o] ?? null;
    first.text = first.text.slice(0, start.o) + replacement + last.text.slice(end.o);
    first.marks = [
      ...first.marks.slice(0, start.o),
      ...new Array(replacement.length).fill(inherited),
      ...last.marks.slice(end.o),
    ];
    if (end.p > start.p) this.paragraphs.splice(start.p + 1, end.p - start.p);
    this.edits.push({ paragraph: start.p, offset: start.o, before, after: replacement, trackingMode: this.changeTrackingMode });
    return { start, end: { p: start.p, o: start.o + replacement.length } };
  }

  /** The (paragraph, offset) `count` characters after `point`, paragraph marks counting one. */
  advance(point, count) {
    let { p, o } = point;
    let left = count;
    while (left > 0) {
      const room = this.paragraphs[p].text.length - o;
      if (left <= room) return { p, o: o + left };
      left -= room + 1;
      p += 1;
      o = 0;
    }
    return { p, o };
  }

  /** Word's search within a range: non-overlapping matches, left to right. */
  search(range, text, options = {}) {
    const haystack = options.matchCase ? this.rangeText(range) : this.rangeText(range).toLowerCase();
    const needle = options.matchCase ? unescapeSearch(text) : unescapeSearch(text).toLowerCase();
    const found = [];
    for (let from = 0; needle; ) {
      const at = haystack.indexOf(needle, from);
      if (at < 0) break;
      const start = this.advance(range.start, at);
      found.push({ start, end: this.advance(start, needle.length) });
      from = at + needle.length;
    }
    return found;
  }

  endOfDocument() {
    const p = this.paragraphs.length - 1;
    return { p, o: this.paragraphs[p].text.length };
  }

  position(point) {
    return point.p * 1e7 + point.o;
  }

  relation(a, b) {
    const [as, ae, bs, be] = [this.position(a.start), this.position(a.end), this.position(b.start), this.position(b.end)];
    if (as === bs && ae === be) return "Equal";
    if (ae < bs) return "Before";
    if (ae === bs) return "AdjacentBefore";
    if (as > be) return "After";
    if (as === be) return "AdjacentAfter";
    if (as <= bs && ae >= be) return "Contains";
    if (as >= bs && ae <= be) return "Inside";
    return as < bs ? "OverlapsBefore" : "OverlapsAfter";
  }
}

/** The Word and Office globals word.js expects, over one FakeWordDocument. */
export function fakeOffice(doc, { apiVersion = "1.4", platform = "PC", url = "https://contoso.sharepoint.com/Shared%20Documents/Easy%20Saver.docx", settings = {} } = {}) {
  const stored = { ...settings };
  const saved = [];
  const Office = {
    context: {
      platform,
      requirements: {
        isSetSupported(name, version) {
          return name === "WordApi" && Number(version) <= Number(apiVersion);
        },
      },
      document: {
        url,
        settings: {
          get: (key) => stored[key],
          set: (key, value) => {
            stored[key] = JSON.parse(JSON.stringify(value));
          },
          remove: (key) => {
            delete stored[key];
          },
          saveAsync: (callback) => {
            saved.push(JSON.parse(JSON.stringify(stored)));
            setTimeout(() => callback({ status: "succeeded" }), 0);
          },
        },
      },
    },
    saved,
    stored,
  };
  const Word = {
    ChangeTrackingMode: { off: "Off", trackAll: "TrackAll", trackMineOnly: "TrackMineOnly" },
    ChangeTrackingVersion: { original: "Original", current: "Current" },
    InsertLocation: { replace: "Replace", start: "Start", end: "End", before: "Before", after: "After" },
    run: async (callback) => callback(createContext(doc)),
  };
  return { Word, Office };
}

function createContext(doc) {
  const registry = [];
  const results = [];
  let pendingError = null;

  const register = (mock, onSet) => {
    registry.push(mock);
    return strict(mock, onSet);
  };

  /** A ClientResult: `value` is there after the next sync. */
  const clientResult = (compute) => {
    const result = { ready: false, compute };
    results.push(result);
    return {
      get value() {
        if (!result.ready) throw new FakeOfficeError("ValueNotLoaded", "The value of the result object has not been loaded yet. Call context.sync() first.");
        return result.value;
      },
    };
  };

  const makeFont = (range) => {
    const font = new OfficeMockObject({ highlightColor: "" });
    font.setValue("highlightColor", doc.highlightOf(range));
    return register(font, { highlightColor: (color) => doc.setHighlight(range, color) });
  };

  const makeRange = (range) => {
    const mock = new OfficeMockObject({
      text: doc.rangeText(range),
      select: () => {
        doc.selection = range;
      },
      insertText: (text, location) => {
        if (location !== "Replace") throw new Error(`the fake supports only Replace, not ${location}`);
        return makeRange(doc.replace(range, text));
      },
      insertComment: (content) => {
        doc.comments.push({ text: doc.rangeText(range), paragraph: range.start.p, offset: range.start.o, content });
        return register(new OfficeMockObject({ content }));
      },
      expandTo: (other) => makeRange({
        start: doc.position(other.__range.start) < doc.position(range.start) ? other.__range.start : range.start,
        end: doc.position(other.__range.end) > doc.position(range.end) ? other.__range.end : range.end,
      }),
      getRange: (where = "Whole") => {
        const points = { Whole: [range.start, range.end], Start: [range.start, range.start], End: [range.end, range.end], After: [range.end, range.end], Before: [range.start, range.start] };
        if (!points[where]) throw new Error(`the fake does not support getRange("${where}")`);
        return makeRange({ start: points[where][0], end: points[where][1] });
      },
      search: (text, options = {}) => searchIn(range, text, options),
      compareLocationWith: (other) => clientResult(() => doc.relation(range, other.__range)),
    });
    mock.__range = range;
    const proxy = register(mock);
    mock.font = makeFont(range);
    return proxy;
  };

  const makeCollection = (ranges) => {
    const items = ranges.map(makeRange);
    const mock = new OfficeMockObject({ items: [] });
    mock.setValue("items", items);
    mock.setValue("load", (properties) => {
      OfficeMockObject.prototype.load.call(mock, "items");
      for (const item of items) item.load(properties);
      return mock;
    });
    return register(mock);
  };

  const searchIn = (range, text, options) => {
    doc.searches.push(text);
    if (text.length > MAX_SEARCH) {
      pendingError = new FakeOfficeError("SearchStringInvalidOrTooLong", "The search string is invalid or too long (more than 255 characters).");
      return makeCollection([]);
    }
    return makeCollection(doc.search(range, text, options));
  };

  const makeParagraph = (para, index) => {
    const whole = { start: { p: index, o: 0 }, end: { p: index, o: para.text.length } };
    const mock = new OfficeMockObject({
      text: para.text,
      style: para.style,
      styleBuiltIn: para.styleBuiltIn,
      isListItem: para.isListItem,
      tableNestingLevel: para.cell ? 1 : 0,
      select: () => {
        doc.selection = whole;
      },
      getRange: (where = "Whole") => {
        if (where !== "Whole") throw new Error(`the fake supports only getRange("Whole"), not ${where}`);
        return makeRange({ start: whole.start, end: { p: index, o: para.text.length + 1 } });
      },
      getReviewedText: (version) => clientResult(() => (version === "Current" ? (para.current ?? para.text) : para.text)),
      search: (text, options = {}) => searchIn(whole, text, options),
    });
    const proxy = register(mock);
    if (para.isListItem) mock.listItem = register(new OfficeMockObject({ level: para.listLevel ?? 0 }));
    if (para.cell) mock.parentTableCell = register(new OfficeMockObject({ rowIndex: para.cell.row, cellIndex: para.cell.column }));
    return proxy;
  };

  const paragraphs = (() => {
    const items = doc.paragraphs.map(makeParagraph);
    const mock = new OfficeMockObject({ items: [] });
    mock.setValue("items", items);
    mock.setValue("load", (properties) => {
      OfficeMockObject.prototype.load.call(mock, "items");
      for (const item of items) item.load(properties);
      return mock;
    });
    return register(mock);
  })();

  const documentMock = new OfficeMockObject({
    changeTrackingMode: doc.changeTrackingMode,
    getSelection: () => {
      if (!doc.selection) throw new Error("the fake document has no selection; set doc.selection first");
      return makeRange(doc.selection);
    },
  });
  documentMock.body = register(new OfficeMockObject({
    getRange: (where = "Whole") => {
      const end = doc.endOfDocument();
      if (where === "End") return makeRange({ start: end, end });
      if (where === "Start") return makeRange({ start: { p: 0, o: 0 }, end: { p: 0, o: 0 } });
      return makeRange({ start: { p: 0, o: 0 }, end });
    },
  }));
  documentMock.body.paragraphs = paragraphs;
  const document = register(documentMock, {
    changeTrackingMode: (mode) => {
      doc.changeTrackingMode = mode;
    },
  });

  const application = register(
    new OfficeMockObject({
      createDocument: (base64) => {
        const created = { base64, opened: false };
        doc.created.push(created);
        return register(new OfficeMockObject({ open: () => { created.opened = true; } }));
      },
    }),
  );

  return {
    document,
    application,
    async sync() {
      doc.syncs += 1;
      if (pendingError) {
        const error = pendingError;
        pendingError = null;
        throw error;
      }
      for (const mock of registry) await mock.sync();
      for (const result of results) {
        if (!result.ready) {
          result.value = result.compute();
          result.ready = true;
        }
      }
      // office-addin-mock updates loaded values in promise callbacks it does not await.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}
