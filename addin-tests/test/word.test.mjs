// word.js against a scripted Word (office-addin-mock objects over a FakeWordDocument).

import { test } from "node:test";
import assert from "node:assert/strict";

import { createWordOperations } from "../../src/compliance_assistant/addin/word.js";
import { buildBlockMap, findingTarget } from "../../src/compliance_assistant/addin/lib/blocks.js";
import { codePointLength } from "../../src/compliance_assistant/addin/lib/text.js";
import { FakeOfficeError, FakeWordDocument, fakeOffice, strict } from "./fake-word.mjs";
import { OfficeMockObject } from "office-addin-mock";

const ARTICLE = [
  { text: "Grow your savings with Northbank's Easy Saver", styleBuiltIn: "Title" },
  "",
  "Looking for a home for your savings? The Easy Saver account pays 5% AER, with no fees, ever.",
  { text: "Why Easy Saver", styleBuiltIn: "Heading1" },
  { text: "No fees, ever, on every account.", styleBuiltIn: "ListBullet", isListItem: true, listLevel: 0 },
  { text: "Instant access: withdraw anytime.", styleBuiltIn: "ListBullet", isListItem: true, listLevel: 1 },
  { text: "Rate", cell: { row: 0, column: 0 } },
  { text: "5% AER", cell: { row: 0, column: 1 } },
  "",
  { text: "Fee", cell: { row: 0, column: 0 } },
  { text: "None", cell: { row: 1, column: 0 } },
  "Open an account today: no fees, ever.",
];

function setup(paragraphs = ARTICLE, options = {}) {
  const doc = new FakeWordDocument(paragraphs, options);
  const globals = fakeOffice(doc, options);
  const ops = createWordOperations(globals);
  return { doc, ops, Office: globals.Office };
}

/** A finding as the server would report it for the `occurrence`-th `quote` in paragraph `index`. */
function finding(payload, index, quote, occurrence = 0) {
  const map = buildBlockMap(payload);
  const block = map.blocks.find((b) => b.sourceIndex === index);
  let at = -1;
  for (let i = 0; i <= occurrence; i += 1) at = block.text.indexOf(quote, at + 1);
  assert.ok(at >= 0, `quote ${quote} not in paragraph ${index}`);
  const start = block.start + codePointLength(block.text.slice(0, at));
  return { finding: { span: { start, end: start + codePointLength(quote), block_id: block.id, quote } }, map };
}

async function targetFor(ops, index, quote, occurrence = 0) {
  const payload = await ops.readDocument();
  const { finding: f, map } = finding(payload, index, quote, occurrence);
  return findingTarget(f, map);
}

test("the scripted host throws when an unloaded property is read", async () => {
  const { doc, Office, ops } = setup();
  assert.ok(ops);
  const { Word } = fakeOffice(doc);
  await Word.run(async (context) => {
    const paragraphs = context.document.body.paragraphs;
    assert.throws(() => paragraphs.items, (e) => e instanceof FakeOfficeError && e.code === "PropertyNotLoaded");
    paragraphs.load("text");
    assert.throws(() => paragraphs.items, /not available/);
    await context.sync();
    const [first] = paragraphs.items;
    assert.equal(first.text, ARTICLE[0].text);
    assert.throws(() => first.styleBuiltIn, /styleBuiltIn/);
  });
  assert.ok(Office);
  // Plain office-addin-mock would have returned a string here; the wrapper turns it into an error.
  const plain = new OfficeMockObject({ text: "x" });
  assert.equal(typeof plain.text, "string");
  assert.throws(() => strict(plain).text, /Load it and call context.sync/);
});

test("the scripted host rejects a search string over 255 characters at sync, as Word does", async () => {
  const long = "a".repeat(300);
  const { doc } = setup([long]);
  const { Word } = fakeOffice(doc);
  await Word.run(async (context) => {
    const paragraphs = context.document.body.paragraphs;
    paragraphs.load("text");
    await context.sync();
    paragraphs.items[0].search(long, { matchCase: true });
    await assert.rejects(context.sync(), (e) => e.code === "SearchStringInvalidOrTooLong");
  });
});

test("readDocument sends every paragraph with style, list level and table cell", async () => {
  const { ops } = setup();
  const payload = await ops.readDocument();
  assert.equal(payload.format, "word-blocks");
  assert.equal(payload.blocks.length, ARTICLE.length);
  assert.deepEqual(payload.blocks.map((b) => b.index), ARTICLE.map((_, i) => i));
  assert.deepEqual(payload.blocks[0], { index: 0, text: ARTICLE[0].text, style: "Title", is_list_item: false });
  assert.equal(payload.blocks[1].text, "");
  assert.equal(payload.blocks[3].style, "Heading1");
  assert.deepEqual([payload.blocks[4].level, payload.blocks[5].level], [1, 2]);
  assert.equal(payload.blocks[4].is_list_item, true);
  assert.deepEqual(payload.blocks[7].table_cell, { row: 0, column: 1, table: 0 });
  // A paragraph between two runs of table paragraphs starts a second table.
  assert.deepEqual(payload.blocks[9].table_cell, { row: 0, column: 0, table: 1 });
  assert.deepEqual(payload.blocks[10].table_cell, { row: 1, column: 0, table: 1 });
  assert.equal(payload.blocks[11].table_cell, undefined);
});

test("readDocument sends the text Word shows: tracked deletions left out", async () => {
  const { ops } = setup([{ text: "Rates are fixed variable.", current: "Rates are variable." }]);
  const payload = await ops.readDocument();
  assert.equal(payload.blocks[0].text, "Rates are variable.");
});

test("readDocument falls back to the style name for custom styles and to text before WordApi 1.4", async () => {
  const { ops } = setup([{ text: "Intro", styleBuiltIn: "Other", style: "Brand Lead", current: "changed" }], { apiVersion: "1.3" });
  const payload = await ops.readDocument();
  assert.equal(payload.blocks[0].style, "Brand Lead");
  assert.equal(payload.blocks[0].text, "Intro");
  assert.equal(ops.capabilities.trackChanges, false);
});

test("readSelection sends the paragraphs the selection touches, with their document indices", async () => {
  const { doc, ops } = setup();
  doc.selection = { start: { p: 2, o: 10 }, end: { p: 4, o: 3 } };
  const payload = await ops.readSelection();
  assert.deepEqual(payload.blocks.map((b) => b.index), [2, 3, 4]);
  assert.equal(payload.blocks[2].level, 1);
});

test("selectFinding selects the quote in its own paragraph, not an equal quote elsewhere", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 11, "no fees, ever");
  const outcome = await ops.selectFinding(target);
  assert.deepEqual(outcome, { status: "found", done: true });
  assert.equal(doc.selectedText(), "no fees, ever");
  assert.deepEqual(doc.selection.start, { p: 11, o: 23 });
});

test("selectFinding picks the right one of several equal quotes in a paragraph", async () => {
  const { doc, ops } = setup(["Free transfers. Free cards. Free advice: Free."]);
  const target = await targetFor(ops, 0, "Free", 2);
  await ops.selectFinding(target);
  assert.deepEqual(doc.selection.start, { p: 0, o: 28 });
  assert.equal(doc.searches.at(-1), "Free");
});

test("a quote longer than 255 characters is found by its start and end, then expanded", async () => {
  const sentence = "Your deposit is protected and earns interest every single day of the year. ";
  const paragraph = `Intro. ${sentence.repeat(5)}End of the long part. And a tail.`;
  const quote = `${sentence.repeat(5)}End of the long part.`;
  assert.ok(quote.length > 255);
  const { doc, ops } = setup(["Before", paragraph]);
  const target = await targetFor(ops, 1, quote);
  const outcome = await ops.selectFinding(target);
  assert.deepEqual(outcome, { status: "found", done: true });
  assert.equal(doc.selectedText(), quote);
  assert.ok(doc.searches.every((s) => s.length <= 255), "no search string over Word's limit");
  assert.ok(doc.searches.length >= 2);
});

test("a long quote can be replaced as a tracked change", async () => {
  const quote = `${"Guaranteed returns on every deposit, ".repeat(8)}for ever.`;
  const { doc, ops } = setup([`Start: ${quote} Done.`]);
  const target = await targetFor(ops, 0, quote);
  const outcome = await ops.applySuggestion(target, "Returns are not guaranteed.");
  assert.equal(outcome.done, true);
  assert.equal(doc.text(0), "Start: Returns are not guaranteed. Done.");
  assert.equal(doc.edits[0].trackingMode, "TrackAll");
});

test("text edited since the check: the paragraph is selected and the outcome says so", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 2, "no fees, ever");
  doc.paragraphs[2].text = "Looking for a home for your savings? The Easy Saver account pays 5% AER.";
  doc.paragraphs[4].text = "Low fees.";
  doc.paragraphs[11].text = "Open an account today.";
  const outcome = await ops.selectFinding(target);
  assert.deepEqual(outcome, { status: "changed", done: false });
  assert.equal(doc.selection.start.p, 2, "the finding's paragraph is selected instead");
});

test("text moved since the check (a paragraph inserted above) is still found", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 2, "5% AER");
  doc.paragraphs.splice(1, 0, { text: "New intro.", styleBuiltIn: "Normal", style: "Normal", isListItem: false, marks: new Array(10).fill(null) });
  const outcome = await ops.selectFinding(target);
  assert.equal(outcome.status, "moved");
  assert.equal(doc.selection.start.p, 3);
  assert.equal(doc.selectedText(), "5% AER");
});

test("a paragraph that no longer exists is reported missing", async () => {
  const { doc, ops } = setup(["One", "Two unique words"]);
  const target = await targetFor(ops, 1, "unique");
  doc.paragraphs.pop();
  assert.deepEqual(await ops.selectFinding(target), { status: "missing", done: false });
});

test("applySuggestion replaces the quote with track changes on during the edit, then restores the mode", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 2, "no fees, ever");
  assert.equal(doc.changeTrackingMode, "Off");
  const outcome = await ops.applySuggestion(target, "no monthly fee");
  assert.deepEqual(outcome, { status: "found", done: true });
  assert.equal(doc.text(2), "Looking for a home for your savings? The Easy Saver account pays 5% AER, with no monthly fee.");
  assert.deepEqual(doc.edits, [{ paragraph: 2, offset: 78, before: "no fees, ever", after: "no monthly fee", trackingMode: "TrackAll" }]);
  assert.equal(doc.changeTrackingMode, "Off", "the previous mode is restored");
  assert.equal(doc.selectedText(), "no monthly fee");
  assert.equal(doc.text(11), "Open an account today: no fees, ever.", "the equal quote elsewhere is untouched");
});

test("applySuggestion keeps a tracking mode that was already on", async () => {
  const { doc, ops } = setup(undefined, { changeTrackingMode: "TrackMineOnly" });
  const target = await targetFor(ops, 4, "No fees, ever");
  await ops.applySuggestion(target, "No monthly fee");
  assert.equal(doc.edits[0].trackingMode, "TrackAll");
  assert.equal(doc.changeTrackingMode, "TrackMineOnly");
});

test("applySuggestion restores the tracking mode when the edit fails", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 2, "5% AER");
  doc.failNextInsert = new FakeOfficeError("GeneralException", "The document is read-only.");
  await assert.rejects(ops.applySuggestion(target, "5.00% AER (variable)"), /read-only/);
  assert.equal(doc.changeTrackingMode, "Off");
  assert.equal(doc.edits.length, 0);
});

test("applySuggestion refuses text that changed since the check and edits nothing", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 2, "5% AER");
  doc.paragraphs[2].text = "Rewritten by the author.";
  doc.paragraphs[7].text = "4%";
  const outcome = await ops.applySuggestion(target, "5.00% AER (variable)");
  assert.deepEqual(outcome, { status: "changed", done: false });
  assert.equal(doc.edits.length, 0);
  assert.equal(doc.changeTrackingMode, "Off");
});

test("applySuggestion is refused without WordApi 1.4 (no tracked changes)", async () => {
  const { doc, ops } = setup(undefined, { apiVersion: "1.3" });
  const target = await targetFor(ops, 2, "5% AER");
  assert.deepEqual(await ops.applySuggestion(target, "x"), { status: "unsupported", done: false });
  assert.equal(doc.edits.length, 0);
});

test("applySuggestion can leave the new text unhighlighted", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 2, "5% AER");
  await ops.highlight([{ key: "f1", target, color: "Pink" }]);
  assert.deepEqual(doc.highlightRuns(2), [["5% AER", "Pink"]]);
  await ops.applySuggestion(target, "5.00% AER (variable)", { highlight: null });
  assert.deepEqual(doc.highlightRuns(2), []);
});

test("insertComment puts the finding on the quoted range", async () => {
  const { doc, ops } = setup();
  const target = await targetFor(ops, 11, "no fees, ever");
  const outcome = await ops.insertComment(target, "Compliance (error): claim contradicts the GTC.");
  assert.deepEqual(outcome, { status: "found", done: true });
  assert.deepEqual(doc.comments, [{ text: "no fees, ever", paragraph: 11, offset: 23, content: "Compliance (error): claim contradicts the GTC." }]);
  assert.equal(doc.edits.length, 0, "commenting does not change the text");
});

test("insertComment does nothing when the text changed", async () => {
  const { doc, ops } = setup(["Free banking for all."]);
  const target = await targetFor(ops, 0, "Free banking");
  doc.paragraphs[0].text = "Banking for all.";
  assert.deepEqual(await ops.insertComment(target, "x"), { status: "changed", done: false });
  assert.equal(doc.comments.length, 0);
});

test("highlight marks every finding and returns the colours it replaced, to restore them", async () => {
  const { doc, ops } = setup(["Best rates. Act now!", "Risk-free growth."]);
  doc.paragraphs[1].marks.fill("Yellow", 0, 9);
  const payload = await ops.readDocument();
  const mark = (index, quote, key, color) => {
    const { finding: f, map } = finding(payload, index, quote);
    return { key, target: findingTarget(f, map), color };
  };
  const marks = [mark(0, "Best", "a", "Pink"), mark(0, "Act now", "b", "Yellow"), mark(1, "Risk-free", "c", "Pink"), { key: "d", target: { quote: "gone", paragraphIndex: 0, offset: 0, before: "", after: "" }, color: "Pink" }];
  const result = await ops.highlight(marks);
  assert.equal(result.marked, 3);
  assert.equal(result.missing, 1);
  assert.deepEqual(result.previous, { a: null, b: null, c: "Yellow" });
  assert.deepEqual(doc.highlightRuns(0), [["Best", "Pink"], ["Act now", "Yellow"]]);
  assert.deepEqual(doc.highlightRuns(1), [["Risk-free", "Pink"]]);

  const before = doc.syncs;
  await ops.highlight(marks.slice(0, 3).map((m) => ({ ...m, color: result.previous[m.key] })));
  assert.equal(doc.syncs - before, 5, "one batch of round trips, whatever the number of findings");
  assert.deepEqual(doc.highlightRuns(0), []);
  assert.deepEqual(doc.highlightRuns(1), [["Risk-free", "Yellow"]], "the author's own highlight is back");
});

test("quotes with Word's search escape character and manual line breaks are found", async () => {
  const { doc, ops } = setup(["Save 5%^ now\vor later", "x"]);
  const target = await targetFor(ops, 0, "5%^ now\nor");
  assert.deepEqual(await ops.selectFinding(target), { status: "found", done: true });
  assert.equal(doc.selectedText(), "5%^ now\vor");
  assert.equal(doc.searches.at(-1), "5%^^ now^lor");
});

test("quotes after astral characters map code-point offsets to Word positions", async () => {
  const { doc, ops } = setup(["🎉 Free 🎉 Free gifts"]);
  const target = await targetFor(ops, 0, "Free", 1);
  await ops.selectFinding(target);
  assert.deepEqual(doc.selection.start, { p: 0, o: 11 });
});

test("openReport opens a new document from the .docx", async () => {
  const { doc, ops } = setup();
  await ops.openReport("UEsDBA==");
  assert.deepEqual(doc.created, [{ base64: "UEsDBA==", opened: true }]);
});

test("the document store keeps values in the document's add-in settings", async () => {
  const { ops, Office } = setup();
  assert.equal(ops.store.get("documentId"), null);
  await ops.store.set("documentId", "doc-123");
  await ops.store.set("lastJob", { jobId: "j1", blocks: [[0, 0, 4]] });
  assert.equal(ops.store.get("documentId"), "doc-123");
  assert.deepEqual(Office.saved.at(-1)["complianceAssistant.lastJob"], { jobId: "j1", blocks: [[0, 0, 4]] });
  await ops.store.set("lastJob", null);
  assert.equal(ops.store.get("lastJob"), null);
  assert.equal(ops.documentName(), "Easy Saver");
  assert.equal(ops.label, "Word");
});

test("a long quote in repetitive text is found exactly, piece after piece", async () => {
  const quote = "word ".repeat(120).trim();
  const { doc, ops } = setup([`Start ${quote} end`]);
  const target = await targetFor(ops, 0, quote);
  assert.deepEqual(await ops.selectFinding(target), { status: "found", done: true });
  assert.equal(doc.selectedText(), quote);
  assert.deepEqual(doc.selection.start, { p: 0, o: 6 });
  assert.ok(doc.searches.every((s) => s.length <= 255));
});

test("a quote that runs into the next paragraph is found across the paragraph mark", async () => {
  const { doc, ops } = setup(["Intro", "Rates are guaranteed", "for life. Apply now."]);
  const target = { quote: "guaranteed\nfor life", paragraphIndex: 1, offset: 10, before: "Rates are ", after: ". Apply" };
  assert.deepEqual(await ops.selectFinding(target), { status: "found", done: true });
  assert.equal(doc.selectedText(), "guaranteed\rfor life");
  assert.ok(doc.searches.includes("^pfor life"));
});
