// The add-in's pure modules: offsets, the block map, search planning, SSE, results, report.

import { test } from "node:test";
import assert from "node:assert/strict";

import { buildBlockMap, findingTarget, packBlockMap, textToPayload, unpackBlockMap } from "../../src/compliance_assistant/addin/lib/blocks.js";
import { MAX_SEARCH_LENGTH, planLocation, searchablePrefix, wordSearchText } from "../../src/compliance_assistant/addin/lib/locate.js";
import { SseParser } from "../../src/compliance_assistant/addin/lib/sse.js";
import { codePointLength, isBlank, utf16Index } from "../../src/compliance_assistant/addin/lib/text.js";
import { countBySeverity, groupGuidelines, citedClauses, clauseCitation } from "../../src/compliance_assistant/addin/lib/results.js";
import { buildReport, reportText } from "../../src/compliance_assistant/addin/lib/report.js";
import { crc32, reportDocx, toBase64, zip } from "../../src/compliance_assistant/addin/lib/docx.js";
import { ApiError, createApi, interpretEvent } from "../../src/compliance_assistant/addin/api.js";
import { createAuth } from "../../src/compliance_assistant/addin/auth.js";

test("code points and UTF-16 indices", () => {
  assert.equal(codePointLength("a😀b"), 3);
  assert.equal(utf16Index("a😀b", 2), 3);
  assert.equal(utf16Index("abc", 10), 3);
  assert.ok(isBlank(" \t\u00a0\u3000"));
  assert.ok(!isBlank("\ufeff"), "Python does not strip a BOM either");
});

test("the block map mirrors the server's Document: blank paragraphs skipped, LF joins", () => {
  const payload = { format: "word-blocks", blocks: [
    { index: 0, text: "Title" }, { index: 1, text: "  " }, { index: 2, text: "Line\vbreak 😀 here" }, { index: 3, text: "Last" },
  ] };
  const map = buildBlockMap(payload);
  assert.deepEqual(map.blocks.map((b) => [b.id, b.sourceIndex, b.start, b.length]), [["b0", 0, 0, 5], ["b1", 2, 6, 17], ["b2", 3, 24, 4]]);
  assert.equal(map.blocks[1].text, "Line\nbreak 😀 here");
  // A finding on "here" (code points 19..23 in the server's text).
  const target = findingTarget({ span: { start: 19, end: 23, block_id: "b1", quote: "here" } }, map);
  assert.equal(target.paragraphIndex, 2);
  assert.equal(target.offset, 14, "UTF-16 offset in the paragraph");
  assert.equal(target.before, "Line\nbreak 😀 ");
  const restored = unpackBlockMap(packBlockMap(map));
  assert.deepEqual(findingTarget({ span: { start: 24, end: 28, block_id: "b2", quote: "Last" } }, restored).paragraphIndex, 3);
  assert.deepEqual(textToPayload("a\r\nb").blocks.map((b) => b.text), ["a", "b"]);
});

test("Word search strings: escapes and the 255-character limit", () => {
  assert.equal(wordSearchText("a^b\nc\vd\re\tf"), "a^^b^lc^ld^pe^tf");
  const text = "x^".repeat(200);
  assert.ok(wordSearchText(searchablePrefix(text)).length <= MAX_SEARCH_LENGTH);
  assert.equal(wordSearchText(searchablePrefix(text)).length, 255);
  assert.equal(searchablePrefix("😀".repeat(200)).length % 2, 0, "never splits a surrogate pair");
});

test("planLocation prefers the occurrence whose surroundings match", () => {
  const paragraphs = ["Free cards.", "Inserted line.", "Free cards and free advice."];
  const plan = planLocation(paragraphs, { quote: "Free", paragraphIndex: 1, offset: 0, before: "", after: " cards and" });
  assert.equal(plan.status, "moved");
  assert.deepEqual([plan.paragraph, plan.offset, plan.ordinal, plan.chunks], [2, 0, 0, ["Free"]]);
  assert.equal(planLocation(paragraphs, { quote: "missing", paragraphIndex: 0, offset: 0, before: "", after: "" }), null);
});

test("planLocation cuts a long quote into searchable chunks, even in repetitive text", () => {
  const quote = "word ".repeat(120).trim();
  const plan = planLocation([`Start ${quote} end`], { quote, paragraphIndex: 0, offset: 6, before: "Start ", after: " end" });
  assert.equal(plan.status, "found");
  assert.equal(plan.chunks.join(""), quote);
  assert.ok(plan.chunks.length >= 3 && plan.chunks.every((c) => wordSearchText(c).length <= 255));
});

test("planLocation follows a quote across paragraphs with paragraph marks", () => {
  const plan = planLocation(["Intro", "Ends here", "Starts there."], { quote: "here\nStarts", paragraphIndex: 1, offset: 5, before: "", after: "" });
  assert.deepEqual(plan.chunks, ["here", "\rStarts"]);
  assert.equal(wordSearchText(plan.chunks[1]), "^pStarts");
});

test("the SSE parser handles split chunks, CRLF, comments and multi-line data", () => {
  const parser = new SseParser();
  const events = [
    ...parser.feed("event: status\r\ndata: {\"status\":"),
    ...parser.feed("\"queued\"}\r\n\r\n: ping\n\n"),
    ...parser.feed("event: guideline\ndata: {\"a\":1,\ndata: \"b\":2}\nid: 7\n\n"),
  ];
  assert.deepEqual(events, [
    { event: "status", data: '{"status":"queued"}' },
    { event: "guideline", data: '{"a":1,\n"b":2}', id: "7" },
  ]);
  assert.deepEqual(interpretEvent(events[0]), { type: "status", status: { status: "queued" } });
  assert.deepEqual(interpretEvent({ event: "message", data: '{"type":"status","status":{"status":"completed"}}' }), { type: "status", status: { status: "completed" } });
  assert.equal(interpretEvent({ event: "status", data: "not json" }), null);
});

test("the API client sends credentials and turns error bodies into ApiError", async () => {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    if (url.endsWith("/guideline-sets")) return new Response(JSON.stringify({ items: [{ id: "s", version: 2 }] }), { status: 200, headers: { "content-type": "application/json" } });
    return new Response(JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", message: "too big", details: null } }), { status: 413, headers: { "content-type": "application/json" } });
  };
  const api = createApi({ headers: async () => ({ "X-API-Key": "k" }), fetch });
  assert.deepEqual(await api.guidelineSets(), [{ id: "s", version: 2 }]);
  assert.equal(calls[0].url, "/api/v1/guideline-sets");
  assert.equal(calls[0].init.headers["X-API-Key"], "k");
  await assert.rejects(api.submit({ payload: { blocks: [] }, guidelineSet: "s", documentId: "d" }), (e) => e instanceof ApiError && e.status === 413 && e.code === "PAYLOAD_TOO_LARGE");
  assert.deepEqual(JSON.parse(calls[1].init.body), { format: "word-blocks", blocks: [], metadata: { document_id: "d" }, guideline_set: "s" });
  const offline = createApi({ headers: async () => ({}), fetch: async () => { throw new TypeError("Failed to fetch"); } });
  await assert.rejects(offline.status("j"), (e) => e.unreachable && e.code === "NETWORK");
});

test("following a job falls back to polling when the event stream is unavailable", async () => {
  const statuses = ["processing", "completed"];
  const fetch = async (url) => {
    if (url.endsWith("/events")) return new Response("not here", { status: 404 });
    return new Response(JSON.stringify({ status: statuses.shift(), progress: { done: 1, total: 1 } }), { status: 200 });
  };
  const api = createApi({ headers: async () => ({}), fetch });
  const seen = [];
  const final = await api.follow("j", { onEvent: (e) => seen.push(e.status.status), signal: new AbortController().signal, pollMs: 1 });
  assert.equal(final.status, "completed");
  assert.deepEqual(seen, ["processing", "completed"]);
});

test("following a job reads the SSE stream until the terminal status", async () => {
  const body = [
    'event: status\ndata: {"status":"processing","progress":{"done":0,"total":2}}\n\n',
    'event: guideline\ndata: {"guideline_id":"g1","status":"fail","done":1,"total":2}\n\n',
    'event: status\ndata: {"status":"completed","progress":{"done":2,"total":2}}\n\n',
  ].join("");
  const fetch = async () => new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  const api = createApi({ headers: async () => ({}), fetch });
  const seen = [];
  const final = await api.follow("j", { onEvent: (e) => seen.push(e.type), signal: new AbortController().signal });
  assert.equal(final.status, "completed");
  assert.deepEqual(seen, ["status", "guideline", "status"]);
});

test("credentials: API key first, then Office SSO, else none", async () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };
  const auth = createAuth({ storage, getAccessToken: async () => "token-1" });
  assert.equal(auth.mode, "none");
  assert.deepEqual(await auth.headers(), {});
  assert.equal(await auth.useSso(), true);
  assert.deepEqual(await auth.headers(), { Authorization: "Bearer token-1" });
  auth.setApiKey(" key-1 ");
  assert.deepEqual(await auth.headers(), { "X-API-Key": "key-1" });
  const noSso = createAuth({ storage: null, getAccessToken: async () => { throw new Error("13003"); } });
  assert.equal(await noSso.useSso(), false);
});

const RESULT = {
  job_id: "job-1",
  status: "completed",
  guideline_set: { id: "set", version: 3 },
  score: 41,
  complete: false,
  summary: { errors: 2, warnings: 1, infos: 0, not_run: 1 },
  guidelines: [
    { guideline_id: "w", title: "Warnings", kind: "rule", severity: "warning", status: "warning", findings: [
      { id: "f3", fingerprint: "p3", guideline_id: "w", severity: "warning", message: "Act now", explanation: "", span: { start: 50, end: 57, block_id: "b1", quote: "Act now" }, source: "rule" },
    ] },
    { guideline_id: "g", title: "Terms", kind: "gtc", severity: "error", status: "fail", findings: [
      { id: "f1", fingerprint: "p1", guideline_id: "g", severity: "error", message: "Contradicts the GTC", explanation: "The GTC lists a fee.", span: { start: 10, end: 23, block_id: "b0", quote: "no fees, ever" }, suggestion: { replacement: "a €2 monthly fee", description: "" }, evidence: [{ document_id: "d", title: "Easy Saver GTC", version: "3.0", page: 2, section: "4.1", quote: "A monthly fee of €2 applies.", stale: false }], source: "gtc" },
      { id: "f2", fingerprint: "p2", guideline_id: "g", severity: "error", message: "Other", explanation: "", span: { start: 30, end: 35, block_id: "b0", quote: "5% AER" }, source: "gtc", dismissed: { by: "me", reason: "approved", at: "x" } },
    ] },
    { guideline_id: "l", title: "AI review", kind: "llm", severity: "warning", status: "not_run", findings: [], reason: "no LLM provider is configured" },
    { guideline_id: "p", title: "Passed one", kind: "rule", severity: "error", status: "pass", findings: [] },
  ],
};

test("results: errors first, dismissed findings out of the counts, clauses cited", () => {
  const groups = groupGuidelines(RESULT, { p3: "local" });
  assert.deepEqual(groups.withFindings.map((g) => g.guideline.guideline_id), ["g"]);
  assert.deepEqual(groups.notRun.map((g) => g.guideline_id), ["l"]);
  assert.deepEqual(groups.passed.map((g) => g.guideline_id), ["w", "p"]);
  assert.deepEqual(countBySeverity(RESULT), { error: 1, warning: 1, info: 0 });
  assert.equal(clauseCitation(citedClauses(RESULT)[0]), "Easy Saver GTC, version 3.0, page 2, section 4.1");
});

test("the report lists score, findings, clauses, guidelines not run and dismissals", () => {
  const text = reportText(buildReport(RESULT, { title: "Easy Saver", date: new Date("2026-01-02T03:04:00Z") }));
  for (const expected of ["Compliance report: Easy Saver", "Score: 41 / 100", "Contradicts the GTC", "“no fees, ever”", "Suggested rewrite: a €2 monthly fee", "Easy Saver GTC, version 3.0, page 2, section 4.1", "AI review: no LLM provider is configured", "Dismissed: approved", "2026-01-02 03:04 UTC"]) {
    assert.ok(text.includes(expected), `report mentions ${expected}`);
  }
});

test("the .docx is a valid ZIP with the WordprocessingML parts", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  const bytes = reportDocx(buildReport(RESULT, { title: "x" }));
  assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
  const text = new TextDecoder().decode(bytes);
  for (const part of ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml"]) assert.ok(text.includes(part));
  assert.ok(text.includes("Contradicts the GTC"));
  assert.equal(typeof toBase64(zip({ "a.txt": "hello" })), "string");
});
