// Live progress of a running check: one line per guideline as it finishes.

import { h, icon, replaceChildren, uid } from "./dom.js";
import { STATUS_LABEL } from "../lib/results.js";

const STATUS_ICON = { pass: "check", fail: "error", warning: "warning", not_run: "skip", error: "error" };

/**
 * @param {{titles: Record<string, string>, onCancel: () => void}} spec
 * @returns {{element: HTMLElement, update: (event: any) => void, cancelling: () => void}}
 */
export function progressView(spec) {
  const headingId = uid("progress");
  const bar = h("div", { class: "bar-fill" });
  const track = h("div", { class: "bar", role: "progressbar", "aria-labelledby": headingId, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, bar);
  const count = h("p", { class: "progress-count", "aria-live": "polite" }, "Queued…");
  const list = h("ul", { class: "progress-list", "aria-label": "Finished guidelines" });
  const cancel = h("button", { class: "button", onclick: spec.onCancel }, "Cancel check");
  const element = h(
    "section",
    { class: "progress", "aria-labelledby": headingId, "data-state": "checking" },
    h("h2", { id: headingId, tabindex: "-1" }, "Checking your document…"),
    track,
    count,
    list,
    h("div", { class: "state-actions" }, cancel),
  );
  const seen = new Set();

  function setProgress(done, total) {
    if (!total) return;
    const percent = Math.round((100 * done) / total);
    bar.style.width = `${percent}%`;
    track.setAttribute("aria-valuenow", String(percent));
    replaceChildren(count, `${done} of ${total} guidelines checked`);
  }

  return {
    element,
    update(event) {
      if (event.type === "status") {
        const status = event.status;
        if (status.status === "queued") replaceChildren(count, "Waiting for a free worker…");
        if (status.progress) setProgress(status.progress.done, status.progress.total);
      } else if (event.type === "guideline") {
        setProgress(event.done, event.total);
        if (seen.has(event.guideline_id)) return;
        seen.add(event.guideline_id);
        const title = spec.titles[event.guideline_id] || event.guideline_id;
        const findings = event.findings ? ` · ${event.findings} finding${event.findings === 1 ? "" : "s"}` : "";
        list.append(
          h(
            "li",
            { class: `progress-item status-${event.status}` },
            icon(STATUS_ICON[event.status] || "info"),
            h("span", { class: "progress-title" }, title),
            h("span", { class: "progress-status" }, `${STATUS_LABEL[event.status] || event.status}${findings}`),
          ),
        );
      }
    },
    cancelling() {
      cancel.disabled = true;
      replaceChildren(cancel, "Cancelling…");
    },
  };
}
