// The standalone page's input: paste text or choose a file (.docx, .txt, .md).

import { h, uid } from "./dom.js";
import { textToPayload } from "../lib/blocks.js";
import { readDocx } from "../lib/docx-read.js";

/**
 * @param {{onCheck: () => void}} spec
 * @returns {{element: HTMLElement, read: () => Promise<{payload?: any, file?: File, name: string}>, setBusy: (busy: boolean) => void}}
 */
export function inputPanel(spec) {
  const textId = uid("text");
  const fileId = uid("file");
  const fileNote = h("p", { class: "hint", "aria-live": "polite" }, "A .docx, .txt or .md file; nothing is uploaded until you check.");
  let chosen = null;
  const textarea = h("textarea", {
    id: textId,
    class: "input paste",
    rows: "8",
    placeholder: "Paste the article text here…",
    oninput: () => {
      if (textarea.value.trim()) clearFile();
    },
  });
  const fileInput = h("input", {
    id: fileId,
    class: "file-input",
    type: "file",
    accept: ".docx,.txt,.md,.markdown,text/plain,text/markdown,application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    onchange: () => {
      chosen = fileInput.files?.[0] || null;
      fileNote.textContent = chosen ? `Chosen: ${chosen.name}. The pasted text is ignored while a file is chosen.` : "No file chosen.";
    },
  });
  function clearFile() {
    if (!chosen) return;
    chosen = null;
    fileInput.value = "";
    fileNote.textContent = "Checking the pasted text.";
  }
  const check = h("button", { class: "button primary", type: "submit" }, "Check text");
  const element = h(
    "form",
    {
      class: "input-panel",
      "aria-label": "Text to check",
      onsubmit: (event) => {
        event.preventDefault();
        spec.onCheck();
      },
    },
    h("label", { for: textId, class: "label" }, "Article text"),
    textarea,
    h("div", { class: "file-row" }, h("label", { for: fileId, class: "label" }, "Or check a file"), fileInput),
    fileNote,
    h("div", { class: "button-row" }, check),
  );
  return {
    element,
    async read() {
      if (chosen) {
        const name = chosen.name.replace(/\.[^.]+$/, "");
        if (/\.docx$/i.test(chosen.name)) {
          try {
            return { payload: await readDocx(new Uint8Array(await chosen.arrayBuffer())), name };
          } catch {
            // The server reads what the page cannot (it also ingests PDFs and HTML).
            return { file: chosen, name };
          }
        }
        if (/\.(txt|md|markdown)$/i.test(chosen.name)) return { payload: textToPayload(await chosen.text()), name };
        return { file: chosen, name };
      }
      return { payload: textToPayload(textarea.value), name: firstLine(textarea.value) };
    },
    setBusy(busy) {
      check.disabled = busy;
    },
  };
}

function firstLine(text) {
  const line = text.split(/\r?\n/).find((l) => l.trim()) || "Pasted text";
  return line.trim().slice(0, 80);
}
