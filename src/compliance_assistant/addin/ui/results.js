// The result: score and counts, the toolbar, and findings grouped by guideline.

import { h, icon, replaceChildren, uid } from "./dom.js";
import {
  KIND_LABEL,
  SEVERITY_LABEL,
  STATUS_LABEL,
  clauseCitation,
  countBySeverity,
  dismissedFindings,
  groupGuidelines,
  scoreBand,
} from "../lib/results.js";

export const DISMISS_REASONS = [
  "Not an issue in this context",
  "Approved by the compliance team",
  "The claim is substantiated in the article",
  "False positive",
];

/**
 * @typedef {object} ResultActions
 * @property {(f: any) => void} onShow
 * @property {((f: any) => void)|null} onApply     null: not available here
 * @property {((f: any) => void)|null} onComment
 * @property {(f: any, reason: string) => Promise<void>} onDismiss
 * @property {() => void} onRecheck
 * @property {(() => void)|null} onHighlight
 * @property {() => void} onExport
 */

/**
 * @param {object} result
 * @param {{dismissed: Record<string,string>, applied: Set<string>, highlighted: boolean, setTitle?: string, showLabel: string}} view
 * @param {ResultActions} actions
 */
export function resultsView(result, view, actions) {
  const cards = new Map();
  const groups = groupGuidelines(result, view.dismissed);
  const headingId = uid("results");
  const element = h(
    "section",
    { class: "results", "aria-labelledby": headingId, "data-state": "results" },
    h("h2", { id: headingId, class: "visually-hidden", tabindex: "-1" }, "Check results"),
    summary(result, view),
    toolbar(view, actions),
    warnings(result),
    groups.withFindings.length
      ? groups.withFindings.map((group) => guidelineGroup(group, view, actions, cards))
      : h("div", { class: "all-clear" }, icon("check"), h("p", null, groups.notRun.length ? "No issues found by the guidelines that ran." : "No issues found. This document meets every guideline in the set.")),
    notRunSection(groups.notRun),
    passedSection(groups.passed),
    dismissedSection(result, view),
  );
  return { element, cards };
}

function summary(result, view) {
  const counts = countBySeverity(result, view.dismissed);
  const band = scoreBand(result.score);
  const scored = result.score !== null && result.score !== undefined;
  const notRun = (result.guidelines || []).filter((g) => g.status === "not_run" || g.status === "error").length;
  const chip = (severity, n) =>
    h("li", { class: `count count-${severity}${n ? "" : " count-zero"}` }, icon(severity), h("strong", null, String(n)), ` ${SEVERITY_LABEL[severity].toLowerCase()}${n === 1 || severity === "info" ? "" : "s"}`);
  return h(
    "div",
    { class: "summary" },
    h(
      "div",
      { class: `score score-${band}`, role: "img", "aria-label": scored ? `Score ${result.score} out of 100` : "Not scored" },
      h("span", { class: "score-value" }, scored ? String(result.score) : "–"),
      h("span", { class: "score-label" }, "score"),
    ),
    h(
      "div",
      { class: "summary-text" },
      h("p", { class: "summary-set" }, view.setTitle || result.guideline_set?.id || ""),
      h("ul", { class: "counts", "aria-label": "Open findings by severity" }, chip("error", counts.error), chip("warning", counts.warning), chip("info", counts.info)),
      notRun
        ? h("p", { class: "incomplete" }, icon("warning"), `Incomplete: ${notRun} guideline${notRun === 1 ? "" : "s"} not run`)
        : null,
    ),
  );
}

function toolbar(view, actions) {
  return h(
    "div",
    { class: "toolbar", role: "toolbar", "aria-label": "Result actions" },
    h("button", { class: "button primary", onclick: actions.onRecheck }, "Re-check"),
    actions.onHighlight
      ? h("button", { class: "button", "aria-pressed": view.highlighted ? "true" : "false", onclick: actions.onHighlight }, view.highlighted ? "Remove highlights" : "Highlight all")
      : null,
    h("button", { class: "button", onclick: actions.onExport }, "Export report"),
  );
}

function warnings(result) {
  const list = (result.warnings || []).filter((w) => w && w.message);
  if (!list.length) return null;
  return h("div", { class: "notice notice-warning", role: "note" }, icon("warning"), h("ul", null, list.map((w) => h("li", null, w.message))));
}

function guidelineGroup({ guideline, findings, worst }, view, actions, cards) {
  const headingId = uid("g");
  const bodyId = uid("gb");
  const severity = ["info", "warning", "error"][worst] || "info";
  const body = h("div", { id: bodyId, class: "group-body" }, findings.map((f) => findingCard(f, guideline, view, actions, cards)));
  const toggle = h(
    "button",
    {
      class: "group-toggle",
      "aria-expanded": "true",
      "aria-controls": bodyId,
      onclick: () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        body.hidden = !open;
      },
    },
    icon("chevron"),
    h("span", { class: "group-title", id: headingId }, guideline.title),
    h("span", { class: `pill pill-${severity}` }, `${findings.length}`),
  );
  return h(
    "section",
    { class: `group group-${severity}`, "aria-labelledby": headingId, "data-guideline": guideline.guideline_id },
    h("h3", { class: "group-heading" }, toggle),
    h("p", { class: "group-meta" }, `${KIND_LABEL[guideline.kind] || guideline.kind} · ${STATUS_LABEL[guideline.status] || guideline.status}`),
    body,
  );
}

function findingCard(finding, guideline, view, actions, cards) {
  const titleId = uid("f");
  const note = h("p", { class: "finding-note", role: "status", "aria-live": "polite" });
  const applied = view.applied.has(finding.id);
  const actionsRow = h("div", { class: "finding-actions" });
  const card = h(
    "article",
    {
      class: `finding finding-${finding.severity}${applied ? " is-applied" : ""}`,
      "aria-labelledby": titleId,
      "data-finding": finding.id,
      onclick: (event) => {
        if (event.target.closest("button, a, input, select, textarea, form")) return;
        actions.onShow(finding);
      },
    },
    h(
      "div",
      { class: "finding-head" },
      h("span", { class: `badge badge-${finding.severity}` }, icon(finding.severity), SEVERITY_LABEL[finding.severity] || finding.severity),
      h("h4", { id: titleId, class: "finding-message" }, finding.message),
    ),
    h(
      "button",
      { class: "quote", title: view.showLabel, "aria-label": `${view.showLabel}: ${finding.span.quote}`, onclick: () => actions.onShow(finding) },
      quoteContent(finding, view.contextFor?.(finding)),
    ),
    finding.explanation ? h("p", { class: "finding-explanation" }, finding.explanation) : null,
    finding.suggestion
      ? h(
          "div",
          { class: "suggestion" },
          h("span", { class: "suggestion-label" }, "Suggested rewrite"),
          h("p", { class: "suggestion-text" }, finding.suggestion.replacement || "(remove this text)"),
          finding.suggestion.description ? h("p", { class: "suggestion-why" }, finding.suggestion.description) : null,
        )
      : null,
    evidenceList(finding),
    actionsRow,
    note,
  );

  const dismissButton = h("button", { class: "button small", onclick: () => openDismiss() }, "Dismiss");
  const applyButton =
    finding.suggestion && actions.onApply
      ? h("button", { class: "button primary small", disabled: applied, onclick: () => actions.onApply(finding) }, applied ? "Applied" : "Apply")
      : null;
  actionsRow.append(
    ...[
      applyButton,
      actions.onComment ? h("button", { class: "button small", onclick: () => actions.onComment(finding) }, "Comment") : null,
      dismissButton,
    ].filter(Boolean),
  );

  function openDismiss() {
    const selectId = uid("reason");
    const detailId = uid("detail");
    const select = h("select", { id: selectId, class: "input" }, DISMISS_REASONS.map((r) => h("option", { value: r }, r)), h("option", { value: "" }, "Other reason…"));
    const detail = h("textarea", { id: detailId, class: "input", rows: "2", placeholder: "Add details (required for another reason)" });
    const cancel = () => {
      form.replaceWith(actionsRow);
      dismissButton.focus();
    };
    const form = h(
      "form",
      {
        class: "dismiss-form",
        "aria-label": "Dismiss this finding",
        onkeydown: (event) => {
          if (event.key === "Escape") cancel();
        },
        onsubmit: async (event) => {
          event.preventDefault();
          const extra = detail.value.trim();
          const reason = select.value ? (extra ? `${select.value}: ${extra}` : select.value) : extra;
          if (!reason) {
            detail.setAttribute("aria-invalid", "true");
            detail.focus();
            return;
          }
          submit.disabled = true;
          try {
            await actions.onDismiss(finding, reason);
          } catch {
            submit.disabled = false;
          }
        },
      },
      h("label", { for: selectId, class: "label" }, "Why dismiss this finding?"),
      select,
      h("label", { for: detailId, class: "label visually-hidden" }, "Details"),
      detail,
      h("div", { class: "finding-actions" }, null),
    );
    const submit = h("button", { class: "button primary small", type: "submit" }, "Dismiss finding");
    form.lastChild.append(submit, h("button", { class: "button subtle", type: "button", onclick: cancel }, "Cancel"));
    actionsRow.replaceWith(form);
    select.focus();
  }

  cards.set(finding.id, {
    element: card,
    note(text, tone = "info") {
      note.className = `finding-note tone-${tone}`;
      replaceChildren(note, text);
    },
    markApplied() {
      card.classList.add("is-applied");
      if (applyButton) {
        applyButton.disabled = true;
        replaceChildren(applyButton, "Applied");
      }
    },
    focus() {
      card.querySelector(".quote").focus();
    },
  });
  return card;
}

/** The quote, with a few words around it when the checked text is known. */
function quoteContent(finding, context) {
  if (!context || (!context.before.trim() && !context.after.trim())) {
    return h("span", { class: "quote-text" }, finding.span.quote);
  }
  const before = context.before.replace(/^\S*\s/, "").trimStart();
  const after = context.after.replace(/\s\S*$/, "").trimEnd();
  return h(
    "span",
    { class: "quote-text" },
    before ? h("span", { class: "quote-context" }, `…${before}`) : null,
    h("strong", { class: "quote-match" }, finding.span.quote),
    after ? h("span", { class: "quote-context" }, `${after}…`) : null,
  );
}

function evidenceList(finding) {
  if (!finding.evidence || !finding.evidence.length) return null;
  return h(
    "div",
    { class: "evidence" },
    h("span", { class: "evidence-label" }, finding.source === "gtc" ? "Terms and conditions" : "Evidence"),
    finding.evidence.map((e) =>
      h(
        "figure",
        { class: "clause" },
        h("blockquote", { class: "clause-text" }, e.quote),
        h("figcaption", { class: "clause-cite" }, icon("document"), clauseCitation(e), e.stale ? h("span", { class: "stale" }, " · may be outdated") : null),
      ),
    ),
  );
}

function notRunSection(notRun) {
  if (!notRun.length) return null;
  const headingId = uid("nr");
  return h(
    "section",
    { class: "not-run", "aria-labelledby": headingId, "data-section": "not-run" },
    h("h3", { id: headingId, class: "section-heading" }, icon("skip"), `Not checked (${notRun.length})`),
    h(
      "ul",
      { class: "plain-list" },
      notRun.map((g) =>
        h("li", { class: "not-run-item" }, h("strong", null, g.title), h("span", { class: "pill pill-muted" }, STATUS_LABEL[g.status] || g.status), h("p", null, g.reason || "No reason was given.")),
      ),
    ),
  );
}

function passedSection(passed) {
  if (!passed.length) return null;
  return h(
    "details",
    { class: "passed" },
    h("summary", null, icon("check"), `Passed (${passed.length})`),
    h("ul", { class: "plain-list" }, passed.map((g) => h("li", null, g.title))),
  );
}

function dismissedSection(result, view) {
  const gone = dismissedFindings(result, view.dismissed);
  if (!gone.length) return null;
  return h(
    "details",
    { class: "dismissed", "data-section": "dismissed" },
    h("summary", null, `Dismissed (${gone.length})`),
    h(
      "ul",
      { class: "plain-list" },
      gone.map(({ finding, reason }) => h("li", null, h("q", null, finding.span.quote), ` ${finding.message}`, h("p", { class: "hint" }, `Reason: ${reason || "none given"}`))),
    ),
  );
}
