// Full-pane states: connecting, signed out, unreachable, failed, empty, too large …

import { h, icon, uid } from "./dom.js";

/**
 * A state panel with a heading, text and actions.
 * @param {{tone?: "neutral"|"error"|"warning"|"success", icon?: string, title: string, text?: string|Node, detail?: string, actions?: Node[], busy?: boolean, testid?: string}} spec
 */
export function statePanel(spec) {
  const headingId = uid("state");
  return h(
    "section",
    { class: `state state-${spec.tone || "neutral"}`, "aria-labelledby": headingId, "data-state": spec.testid || null, "aria-busy": spec.busy ? "true" : null },
    spec.busy ? h("div", { class: "spinner", role: "progressbar", "aria-label": spec.title }) : icon(spec.icon || "info"),
    h("h2", { id: headingId, tabindex: "-1" }, spec.title),
    spec.text ? h("p", null, spec.text) : null,
    spec.detail ? h("p", { class: "state-detail" }, spec.detail) : null,
    spec.actions?.length ? h("div", { class: "state-actions" }, spec.actions) : null,
  );
}

export function connecting() {
  return statePanel({ busy: true, title: "Connecting to Compliance Assistant…", testid: "connecting" });
}

export function unreachable(detail, onRetry) {
  return statePanel({
    tone: "error",
    icon: "cloudOff",
    title: "Can't reach the server",
    text: "The Compliance Assistant server did not answer. Check your network connection, or ask your administrator whether the service is running.",
    detail,
    actions: [h("button", { class: "button primary", onclick: onRetry }, "Try again")],
    testid: "unreachable",
  });
}

/**
 * The connect form: "not configured" (no credentials yet) or "unauthorised" (rejected).
 * @param {{rejected: boolean, forbidden?: boolean, message?: string, canUseSso: boolean, onSave: (key: string) => void, onSso: () => void}} spec
 */
export function connectForm(spec) {
  const inputId = uid("key");
  const helpId = uid("help");
  const input = h("input", {
    id: inputId,
    class: "input",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": helpId,
    required: true,
  });
  const form = h(
    "form",
    {
      class: "connect-form",
      onsubmit: (event) => {
        event.preventDefault();
        if (input.value.trim()) spec.onSave(input.value);
        else input.focus();
      },
    },
    h("label", { for: inputId, class: "label" }, "API key"),
    input,
    h("p", { id: helpId, class: "hint" }, "Ask your Compliance Assistant administrator for a key. It is kept on this computer for this add-in only, never in your documents."),
    h("button", { class: "button primary", type: "submit" }, "Connect"),
  );
  const title = spec.forbidden ? "You don't have access" : spec.rejected ? "Your API key was not accepted" : "Connect to Compliance Assistant";
  const text = spec.forbidden
    ? "The server recognised you, but your account may not run checks. Ask your administrator for the writer role, or use another key."
    : spec.rejected
      ? "The server refused the saved key: it may have expired or been revoked. Enter a new one."
      : "This server needs you to sign in before you can check documents.";
  return statePanel({
    tone: spec.rejected || spec.forbidden ? "warning" : "neutral",
    icon: "shield",
    title,
    text,
    detail: spec.message,
    actions: [
      form,
      spec.canUseSso ? h("div", { class: "or" }, h("span", null, "or")) : null,
      spec.canUseSso ? h("button", { class: "button", type: "button", onclick: spec.onSso }, "Sign in with your Microsoft account") : null,
    ].filter(Boolean),
    testid: spec.forbidden ? "forbidden" : spec.rejected ? "unauthorised" : "not-configured",
  });
}

export function emptyDocument(selectionOnly) {
  return statePanel({
    tone: "warning",
    icon: "document",
    title: selectionOnly ? "Nothing selected to check" : "This document is empty",
    text: selectionOnly
      ? "The selection holds no text. Select the paragraphs to check, or check the whole document."
      : "There is no text to check yet. Write or paste your article, then check again.",
    testid: "empty",
  });
}

export function tooLarge(message) {
  return statePanel({
    tone: "warning",
    icon: "document",
    title: "This document is too large to check",
    text: "Check it in parts: select a section and choose Check selection.",
    detail: message,
    testid: "too-large",
  });
}

export function jobFailed(message, onRetry) {
  return statePanel({
    tone: "error",
    icon: "error",
    title: "The check failed",
    text: "The server could not finish this check. Nothing in your document was changed.",
    detail: message,
    actions: [h("button", { class: "button primary", onclick: onRetry }, "Check again")],
    testid: "failed",
  });
}

export function cancelled(onRetry) {
  return statePanel({
    icon: "skip",
    title: "Check cancelled",
    text: "No results were kept for this check.",
    actions: [h("button", { class: "button primary", onclick: onRetry }, "Check again")],
    testid: "cancelled",
  });
}

export function intro(selectionHint) {
  return statePanel({
    icon: "shield",
    title: "Ready when you are",
    text: `Check your article against the selected guidelines and the product's terms and conditions. ${selectionHint}`,
    testid: "intro",
  });
}
