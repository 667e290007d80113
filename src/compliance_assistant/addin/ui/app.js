// The task pane: connects, checks, follows progress, shows and acts on findings. It receives
// the document operations (word.js inside Word, browser-host.js on the standalone page, a
// scripted host in tests) and never touches Office.js itself.

import { ApiError, createApi } from "../api.js";
import { createAuth } from "../auth.js";
import { buildBlockMap, findingTarget, packBlockMap, unpackBlockMap } from "../lib/blocks.js";
import { reportDocx, toBase64 } from "../lib/docx.js";
import { buildReport } from "../lib/report.js";
import { SEVERITY_LABEL, allOpenFindings, clauseCitation } from "../lib/results.js";
import { isBlank } from "../lib/text.js";
import { documentView } from "./docview.js";
import { h, icon, replaceChildren } from "./dom.js";
import { progressView } from "./progress.js";
import { resultsView } from "./results.js";
import { inputPanel } from "./standalone.js";
import * as states from "./states.js";

/** Word highlight colours by severity. */
export const HIGHLIGHT = { error: "Pink", warning: "Yellow", info: "Turquoise" };

const SET_STORAGE = "complianceAssistant.guidelineSet";

/**
 * @param {object} options
 * @param {HTMLElement} options.root
 * @param {import("../word.js").DocumentOperations} options.ops
 * @param {typeof fetch} [options.fetch]
 * @param {Storage|null} [options.storage]
 */
export function startApp({ root, ops, fetch: fetchImpl, storage = safeStorage() }) {
  const standalone = ops.kind === "browser";
  const auth = createAuth({ storage, getAccessToken: ops.getAccessToken });
  const api = createApi({ headers: () => auth.headers(), ...(fetchImpl ? { fetch: fetchImpl } : {}) });

  const state = {
    sets: [],
    setId: storage?.getItem(SET_STORAGE) || "",
    titles: {},
    jobId: null,
    result: null,
    map: null,
    dismissed: {},
    applied: new Set(),
    highlighted: false,
    previousHighlights: {},
    selectionOnly: false,
    following: null,
    triedSso: false,
    view: null,
    docview: null,
    lastAction: null,
  };

  // -- shell ------------------------------------------------------------------------------
  const announcer = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const settingsButton = h("button", { class: "icon-button", "aria-label": "Connection settings", title: "Connection settings", onclick: () => showSettings() }, icon("settings"));
  const controls = h("div", { class: "controls", hidden: true });
  const main = h("main", { class: "main", id: "main", tabindex: "-1" });
  const docPane = h("div", { class: "doc-pane", hidden: true });
  root.classList.add(standalone ? "is-standalone" : "is-word");
  replaceChildren(
    root,
    h(
      "header",
      { class: "appbar" },
      h("img", { class: "appbar-logo", src: "assets/icon-32.png", alt: "", width: "20", height: "20" }),
      h("h1", { class: "appbar-title" }, "Compliance Assistant"),
      settingsButton,
    ),
    controls,
    h("div", { class: "workspace" }, docPane, main),
    announcer,
  );

  function announce(text) {
    announcer.textContent = "";
    // A change after a tick makes screen readers repeat an identical message.
    setTimeout(() => {
      announcer.textContent = text;
    }, 30);
  }

  function show(node, { focus = true } = {}) {
    replaceChildren(main, node);
    if (focus) node.querySelector("h2")?.focus({ preventScroll: false });
  }

  // -- connecting -------------------------------------------------------------------------
  async function connect() {
    controls.hidden = true;
    show(states.connecting(), { focus: false });
    try {
      state.sets = await api.guidelineSets();
    } catch (error) {
      return handleError(error, connect);
    }
    renderControls();
    if (!standalone && (await restoreLastJob())) return;
    show(standalone ? states.intro("Paste text or choose a file above.") : states.intro("Check the whole document, or select a part and check only that."), { focus: false });
  }

  async function handleError(error, retry) {
    if (!(error instanceof ApiError)) {
      show(states.statePanel({ tone: "error", icon: "error", title: "Something went wrong", text: error?.message || String(error), actions: [h("button", { class: "button primary", onclick: retry }, "Try again")], testid: "error" }));
      return;
    }
    if (error.unreachable) {
      controls.hidden = true;
      show(states.unreachable(error.status ? `${error.message} (HTTP ${error.status})` : null, retry));
      return;
    }
    if (error.status === 401) {
      if (auth.mode === "none" && auth.canUseSso && !state.triedSso) {
        state.triedSso = true;
        if (await auth.useSso()) return retry();
      }
      controls.hidden = true;
      show(connectForm(auth.mode !== "none", false, error.message));
      return;
    }
    if (error.status === 403) {
      show(connectForm(true, true, error.message));
      return;
    }
    if (error.status === 413 || error.code === "PAYLOAD_TOO_LARGE") {
      show(states.tooLarge(error.message));
      return;
    }
    if (error.code === "EMPTY_DOCUMENT") {
      show(states.emptyDocument(state.selectionOnly));
      return;
    }
    show(states.statePanel({ tone: "error", icon: "error", title: "The server refused the request", text: error.message, detail: error.code, actions: [h("button", { class: "button primary", onclick: retry }, "Try again")], testid: "error" }));
  }

  function connectForm(rejected, forbidden, message) {
    return states.connectForm({
      rejected,
      forbidden,
      message,
      canUseSso: auth.canUseSso,
      onSave: (key) => {
        auth.setApiKey(key);
        connect();
      },
      onSso: async () => {
        if (await auth.useSso()) connect();
        else announce("Single sign-on is not available here. Use an API key.");
      },
    });
  }

  function showSettings() {
    const status = auth.mode === "key" ? "Connected with an API key." : auth.mode === "sso" ? "Signed in with your Microsoft account." : "No credentials saved: this server lets local users in without them.";
    const panel = states.statePanel({
      icon: "settings",
      title: "Connection",
      text: status,
      detail: `Server: ${location.origin}`,
      actions: [
        connectForm(false, false).querySelector("form"),
        auth.mode !== "none" ? h("button", { class: "button subtle", onclick: () => { auth.forget(); connect(); } }, "Forget credentials") : null,
        h("button", { class: "button subtle", onclick: () => (state.result ? showResult() : connect()) }, "Back"),
      ].filter(Boolean),
      testid: "settings",
    });
    show(panel);
  }

  // -- controls ---------------------------------------------------------------------------
  let input = null;
  let checkButtons = [];

  function renderControls() {
    if (!state.sets.length) {
      controls.hidden = true;
      show(states.statePanel({ tone: "warning", icon: "document", title: "No guideline sets", text: "The server has no guideline set to check against. Ask your administrator to add one.", testid: "no-sets" }));
      return;
    }
    if (!state.sets.some((s) => s.id === state.setId)) state.setId = state.sets[0].id;
    const select = h(
      "select",
      {
        id: "guideline-set",
        class: "input",
        onchange: () => {
          state.setId = select.value;
          storage?.setItem(SET_STORAGE, state.setId);
        },
      },
      state.sets.map((s) => h("option", { value: s.id, selected: s.id === state.setId }, setLabel(s))),
    );
    const picker = h("div", { class: "field" }, h("label", { for: "guideline-set", class: "label" }, "Guideline set"), select);
    if (standalone) {
      input = inputPanel({ onCheck: () => runCheck(false) });
      checkButtons = [];
      replaceChildren(controls, picker, input.element);
    } else {
      checkButtons = [
        h("button", { class: "button primary", onclick: () => runCheck(false) }, "Check document"),
        h("button", { class: "button", onclick: () => runCheck(true) }, "Check selection"),
      ];
      replaceChildren(controls, picker, h("div", { class: "button-row" }, checkButtons));
    }
    controls.hidden = false;
  }

  function setLabel(set) {
    const title = set.title || set.id;
    return set.version ? `${title} (v${set.version})` : title;
  }

  function setBusy(busy) {
    for (const b of checkButtons) b.disabled = busy;
    input?.setBusy(busy);
  }

  // -- checking ---------------------------------------------------------------------------
  async function documentId() {
    let id = ops.store.get("documentId");
    if (!id) {
      id = newId();
      await ops.store.set("documentId", id);
    }
    return id;
  }

  async function runCheck(selectionOnly) {
    state.selectionOnly = selectionOnly;
    setBusy(true);
    try {
      let payload;
      let file = null;
      let name = ops.documentName();
      if (standalone) {
        const read = await input.read();
        ({ payload, name } = read);
        file = read.file || null;
        if (payload) ops.setDocument(payload, name);
      } else {
        if (state.highlighted) await toggleHighlights();
        payload = selectionOnly ? await ops.readSelection() : await ops.readDocument();
      }
      if (!file && payload.blocks.every((b) => isBlank(b.text))) {
        show(states.emptyDocument(selectionOnly));
        return;
      }
      const map = payload ? buildBlockMap(payload) : null;
      const docId = await documentId();
      const accepted = file
        ? await api.submitFile({ file, guidelineSet: state.setId, documentId: docId })
        : await api.submit({ payload, guidelineSet: state.setId, title: name, documentId: docId });
      state.jobId = accepted.job_id;
      state.map = map;
      state.applied = new Set();
      await ops.store.set("lastJob", { jobId: accepted.job_id, setId: state.setId, blocks: map ? packBlockMap(map) : null, at: new Date().toISOString() });
      await follow(accepted.job_id);
    } catch (error) {
      if (error?.name === "AbortError") return;
      await handleError(error, () => runCheck(selectionOnly));
    } finally {
      setBusy(false);
    }
  }

  async function guidelineTitles(setId) {
    if (state.titles[setId]) return state.titles[setId];
    const titles = {};
    let list = state.sets.find((s) => s.id === setId)?.guidelines;
    if (!list) {
      try {
        const detail = await api.guidelineSet(setId);
        list = detail?.guidelines || detail?.versions?.[0]?.guidelines || [];
      } catch {
        list = []; // progress shows guideline ids instead
      }
    }
    for (const g of list) titles[g.id || g.guideline_id] = g.title;
    state.titles[setId] = titles;
    return titles;
  }

  async function follow(jobId) {
    const controller = new AbortController();
    state.following = controller;
    const progress = progressView({
      titles: await guidelineTitles(state.setId),
      onCancel: async () => {
        progress.cancelling();
        try {
          await api.cancel(jobId);
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== 409) announce(`Could not cancel: ${error.message}`);
        }
      },
    });
    show(progress.element);
    announce("Checking started.");
    setBusy(true);
    let final;
    try {
      final = await api.follow(jobId, { onEvent: (event) => progress.update(event), signal: controller.signal });
    } finally {
      state.following = null;
      setBusy(false);
    }
    if (final.status === "completed") {
      state.result = await api.result(jobId);
      state.dismissed = ops.store.get("dismissed") || {};
      showResult();
      const r = state.result;
      announce(`Check finished. Score ${r.score ?? "not available"}. ${r.summary?.errors ?? 0} errors, ${r.summary?.warnings ?? 0} warnings.`);
    } else if (final.status === "cancelled") {
      show(states.cancelled(() => runCheck(state.selectionOnly)));
    } else {
      show(states.jobFailed(final.error?.message || "No reason was given.", () => runCheck(state.selectionOnly)));
    }
  }

  async function restoreLastJob() {
    const last = ops.store.get("lastJob");
    if (!last?.jobId) return false;
    try {
      const status = await api.status(last.jobId);
      state.jobId = last.jobId;
      state.map = unpackBlockMap(last.blocks);
      if (last.setId) state.setId = last.setId;
      if (status.status === "completed") {
        state.result = await api.result(last.jobId);
        state.dismissed = ops.store.get("dismissed") || {};
        state.highlighted = Boolean(ops.store.get("highlights"));
        state.previousHighlights = ops.store.get("highlights") || {};
        showResult({ focus: false });
        announce("Showing the last check of this document.");
        return true;
      }
      if (status.status === "queued" || status.status === "processing") {
        await follow(last.jobId);
        return true;
      }
      return false;
    } catch (error) {
      // A job the server no longer has (expired, other tenant) is simply forgotten.
      if (error instanceof ApiError && (error.status === 404 || error.status === 410)) {
        await ops.store.set("lastJob", null).catch(() => {});
        return false;
      }
      if (error instanceof ApiError && (error.unreachable || error.status === 401 || error.status === 403)) {
        await handleError(error, connect);
        return true;
      }
      return false;
    }
  }

  // -- results ----------------------------------------------------------------------------
  function showResult({ focus = true } = {}) {
    const result = state.result;
    const set = state.sets.find((s) => s.id === result.guideline_set?.id);
    state.view = resultsView(
      result,
      {
        dismissed: state.dismissed,
        applied: state.applied,
        highlighted: state.highlighted,
        setTitle: set ? setLabel(set) : `${result.guideline_set?.id ?? ""} (v${result.guideline_set?.version ?? "?"})`,
        showLabel: standalone ? "Show in text" : "Show in document",
        contextFor: state.map?.blocks.every((b) => b.text !== undefined) ? (f) => findingTarget(f, state.map) : null,
      },
      {
        onShow: (f) => showFinding(f),
        onApply: ops.capabilities.trackChanges ? (f) => applyFinding(f) : null,
        onComment: ops.capabilities.comments ? (f) => commentFinding(f) : null,
        onDismiss: (f, reason) => dismissFinding(f, reason),
        onRecheck: () => runCheck(state.selectionOnly),
        onHighlight: ops.capabilities.highlight ? () => toggleHighlights() : null,
        onExport: () => exportReport(),
      },
    );
    if (standalone && state.map && state.map.blocks.every((b) => b.text !== undefined)) {
      state.docview = documentView(state.map, allOpenFindings(result, state.dismissed), (f) => {
        const card = state.view.cards.get(f.id);
        if (card) {
          card.element.scrollIntoView({ block: "nearest", behavior: "smooth" });
          card.focus();
        }
      });
      replaceChildren(docPane, h("h2", { class: "pane-heading" }, "Checked text"), state.docview.element);
      docPane.hidden = false;
    } else {
      docPane.hidden = true;
      state.docview = null;
    }
    show(state.view.element, { focus });
  }

  function target(finding) {
    return findingTarget(finding, state.map);
  }

  function outcomeNote(outcome, action) {
    switch (outcome.status) {
      case "found":
        return action;
      case "moved":
        return `${action ? `${action} ` : ""}The text has moved since the check.`;
      case "changed":
        return "This text has changed since the check, so it was not found. Its paragraph is selected instead. Re-check to update the findings.";
      case "missing":
        return "This text and its paragraph are no longer in the document. Re-check to update the findings.";
      default:
        return "This version of Word cannot do this from an add-in.";
    }
  }

  async function act(finding, work, doneText) {
    const card = state.view?.cards.get(finding.id);
    try {
      const outcome = await work();
      const text = outcomeNote(outcome, outcome.done ? doneText : "");
      card?.note(text || "", outcome.done ? "success" : "warning");
      if (text) announce(text);
      return outcome;
    } catch (error) {
      const text = `Word reported an error: ${error?.message || error}`;
      card?.note(text, "error");
      announce(text);
      return { status: "error", done: false };
    }
  }

  function showFinding(finding) {
    if (standalone) {
      if (!state.docview?.reveal(finding.id)) state.view?.cards.get(finding.id)?.note("This finding is not in the text shown.", "warning");
      return;
    }
    act(finding, () => ops.selectFinding(target(finding)), "");
  }

  async function applyFinding(finding) {
    const options = {};
    if (state.highlighted) options.highlight = state.previousHighlights[finding.fingerprint] ?? null;
    const outcome = await act(finding, () => ops.applySuggestion(target(finding), finding.suggestion.replacement, options), "Applied as a tracked change.");
    if (outcome.done) {
      state.applied.add(finding.id);
      state.view?.cards.get(finding.id)?.markApplied();
      // Tell the server the suggestion was taken (analytics); the edit stands either way.
      api.feedback({ findingId: finding.id, jobId: state.jobId, action: "accept", reason: "Suggestion applied in Word" }).catch(() => {});
    }
  }

  function commentText(finding) {
    const guideline = state.result.guidelines.find((g) => g.guideline_id === finding.guideline_id);
    const lines = [`Compliance Assistant — ${SEVERITY_LABEL[finding.severity] || finding.severity}: ${finding.message}`];
    if (finding.explanation) lines.push(finding.explanation);
    if (finding.suggestion) lines.push(`Suggested rewrite: ${finding.suggestion.replacement || "(remove this text)"}`);
    for (const e of finding.evidence || []) lines.push(`${clauseCitation(e)}: “${e.quote}”`);
    if (guideline) lines.push(`Guideline: ${guideline.title}`);
    return lines.join("\n");
  }

  function commentFinding(finding) {
    return act(finding, () => ops.insertComment(target(finding), commentText(finding)), "Comment added.");
  }

  async function dismissFinding(finding, reason) {
    try {
      await api.feedback({ findingId: finding.id, jobId: state.jobId, action: "dismiss", reason });
    } catch (error) {
      const text = `Not dismissed: ${error.message}`;
      state.view?.cards.get(finding.id)?.note(text, "error");
      announce(text);
      throw error;
    }
    state.dismissed = { ...state.dismissed, [finding.fingerprint]: reason };
    await ops.store.set("dismissed", state.dismissed).catch(() => {});
    if (state.highlighted && !standalone) {
      await ops.highlight([{ key: finding.fingerprint, target: target(finding), color: state.previousHighlights[finding.fingerprint] ?? null }]).catch(() => {});
    }
    showResult({ focus: false });
    main.querySelector(".finding .quote")?.focus();
    announce("Finding dismissed. Re-checks keep it dismissed.");
  }

  async function toggleHighlights() {
    const findings = allOpenFindings(state.result, state.dismissed);
    if (!state.highlighted) {
      const marks = findings.map((f) => ({ key: f.fingerprint, target: target(f), color: HIGHLIGHT[f.severity] || HIGHLIGHT.info }));
      const outcome = await ops.highlight(marks);
      state.highlighted = true;
      state.previousHighlights = outcome.previous;
      await ops.store.set("highlights", outcome.previous).catch(() => {});
      announce(`Highlighted ${outcome.marked} finding${outcome.marked === 1 ? "" : "s"}${outcome.missing ? `; ${outcome.missing} not found because the text changed` : ""}.`);
    } else {
      const marks = Object.entries(state.previousHighlights).flatMap(([key, color]) => {
        const finding = state.result.guidelines.flatMap((g) => g.findings).find((f) => f.fingerprint === key);
        return finding ? [{ key, target: target(finding), color }] : [];
      });
      await ops.highlight(marks);
      state.highlighted = false;
      state.previousHighlights = {};
      await ops.store.set("highlights", null).catch(() => {});
      announce("Highlights removed.");
    }
    if (state.view) showResult({ focus: false });
    main.querySelector(".toolbar button[aria-pressed]")?.focus();
  }

  async function exportReport() {
    const set = state.sets.find((s) => s.id === state.result.guideline_set?.id);
    const paragraphs = buildReport(state.result, { title: ops.documentName(), setTitle: set?.title, dismissed: state.dismissed });
    try {
      await ops.openReport(toBase64(reportDocx(paragraphs)));
      announce(standalone ? "Report downloaded." : "The report opened in a new document.");
    } catch (error) {
      announce(`The report could not be created: ${error?.message || error}`);
    }
  }

  connect();
  return { state, connect, runCheck };
}

function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function safeStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
