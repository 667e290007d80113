// A scripted Word host for the end-to-end tests, injected into the task pane page before its
// scripts run (Playwright addInitScript). It implements the DocumentOperations interface of
// word.js over an in-memory document, and records what the task pane asked Word to do in
// window.__scriptedWord, where the test reads it. Quotes are located with the add-in's own
// planner (lib/locate.js), as word.js does before it asks Word to search.
(() => {
  const config = window.__SCRIPTED_WORD_CONFIG__ || { paragraphs: [] };
  const word = {
    paragraphs: config.paragraphs.map((p) => (typeof p === "string" ? { text: p } : { ...p })),
    trackingMode: config.trackingMode || "Off",
    selection: null,
    edits: [],
    comments: [],
    highlights: {},
    reports: [],
    settings: { ...(config.settings || {}) },
    calls: [],
  };
  window.__scriptedWord = word;

  const rangeText = (r) => word.paragraphs[r.paragraph].text.slice(r.start, r.end);

  window.__COMPLIANCE_TEST_HOST__ = async () => {
    const { planLocation } = await import("/addin/lib/locate.js");

    function locate(target) {
      const plan = planLocation(word.paragraphs.map((p) => p.text), target);
      const exists = target.paragraphIndex !== null && target.paragraphIndex < word.paragraphs.length;
      if (!plan) {
        return { status: exists ? "changed" : "missing", range: null, paragraph: exists ? target.paragraphIndex : null };
      }
      const range = { paragraph: plan.paragraph, start: plan.offset, end: plan.offset + target.quote.length };
      return { status: plan.status, range, paragraph: plan.paragraph };
    }

    const select = (located) => {
      if (located.range) word.selection = { ...located.range, text: rangeText(located.range) };
      else if (located.paragraph !== null) word.selection = { paragraph: located.paragraph, start: 0, end: word.paragraphs[located.paragraph].text.length, text: word.paragraphs[located.paragraph].text };
    };

    const payload = (include) => ({
      format: "word-blocks",
      blocks: word.paragraphs
        .map((p, index) => ({ p, index }))
        .filter(({ index }) => include(index))
        .map(({ p, index }) => {
          const block = { index, text: p.text, style: p.style || "Normal", is_list_item: Boolean(p.isListItem) };
          if (p.isListItem) block.level = (p.listLevel || 0) + 1;
          if (p.cell) block.table_cell = p.cell;
          return block;
        }),
    });

    return {
      kind: "word",
      label: "Word (scripted)",
      capabilities: { document: true, trackChanges: true, comments: true, highlight: true, exportReport: true, sso: false },
      store: {
        get: (key) => (key in word.settings ? JSON.parse(JSON.stringify(word.settings[key])) : null),
        set: async (key, value) => {
          if (value === null || value === undefined) delete word.settings[key];
          else word.settings[key] = JSON.parse(JSON.stringify(value));
        },
      },
      documentName: () => config.name || "Scripted document",
      readDocument: async () => {
        word.calls.push("readDocument");
        return payload(() => true);
      },
      readSelection: async () => {
        word.calls.push("readSelection");
        const sel = config.selectionParagraphs || [];
        return payload((i) => sel.includes(i));
      },
      selectFinding: async (target) => {
        const located = locate(target);
        select(located);
        return { status: located.status, done: Boolean(located.range) };
      },
      applySuggestion: async (target, replacement, options = {}) => {
        const located = locate(target);
        if (!located.range) {
          select(located);
          return { status: located.status, done: false };
        }
        const previous = word.trackingMode;
        word.trackingMode = "TrackAll";
        const p = word.paragraphs[located.range.paragraph];
        const before = rangeText(located.range);
        p.text = p.text.slice(0, located.range.start) + replacement + p.text.slice(located.range.end);
        word.edits.push({ paragraph: located.range.paragraph, before, after: replacement, trackingMode: word.trackingMode, highlight: "highlight" in options ? options.highlight : "unchanged" });
        word.trackingMode = previous;
        word.selection = { paragraph: located.range.paragraph, start: located.range.start, end: located.range.start + replacement.length, text: replacement };
        return { status: located.status, done: true };
      },
      insertComment: async (target, text) => {
        const located = locate(target);
        if (!located.range) return { status: located.status, done: false };
        word.comments.push({ quote: rangeText(located.range), paragraph: located.range.paragraph, text });
        return { status: located.status, done: true };
      },
      highlight: async (marks) => {
        const previous = {};
        let marked = 0;
        for (const mark of marks) {
          const located = locate(mark.target);
          if (!located.range) continue;
          const key = `${located.range.paragraph}:${located.range.start}:${located.range.end}`;
          previous[mark.key] = word.highlights[key] ?? null;
          if (mark.color) word.highlights[key] = mark.color;
          else delete word.highlights[key];
          marked += 1;
        }
        return { marked, missing: marks.length - marked, previous };
      },
      openReport: async (base64) => {
        word.reports.push(base64);
      },
    };
  };
})();
