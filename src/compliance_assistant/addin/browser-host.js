// Operations for the standalone page (a browser without Word): the "document" is the text the
// user pasted or the file they chose; the page itself shows findings in that text.

/**
 * @param {{storage?: Storage|null, download?: (name: string, bytes: Uint8Array) => void}} [options]
 * @returns {import("./word.js").DocumentOperations & {setDocument: (payload: any, name: string) => void}}
 */
export function createBrowserOperations({ storage = localStorageOrNull(), download = downloadFile } = {}) {
  let payload = { format: "word-blocks", blocks: [] };
  let name = "Pasted text";
  const memory = new Map();
  const prefix = "complianceAssistant.standalone.";
  const unsupported = () => Promise.resolve({ status: "unsupported", done: false });
  return {
    kind: "browser",
    label: "this page",
    capabilities: { document: false, trackChanges: false, comments: false, highlight: false, exportReport: true, sso: false },
    store: {
      get(key) {
        if (memory.has(key)) return memory.get(key);
        const raw = storage?.getItem(prefix + key);
        return raw ? JSON.parse(raw) : null;
      },
      async set(key, value) {
        memory.set(key, value);
        // Only the document id outlives the page; results belong to the text on screen.
        if (key === "documentId") storage?.setItem(prefix + key, JSON.stringify(value));
      },
    },
    setDocument(next, documentName) {
      payload = next;
      name = documentName;
    },
    documentName: () => name,
    readDocument: async () => payload,
    readSelection: async () => payload,
    selectFinding: unsupported,
    applySuggestion: unsupported,
    insertComment: unsupported,
    highlight: async (marks) => ({ marked: 0, missing: marks.length, previous: {} }),
    async openReport(base64Docx) {
      const binary = atob(base64Docx);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
      download(`${name.replace(/[\\/:*?"<>|]+/g, " ").trim() || "document"} - compliance report.docx`, bytes);
    },
  };
}

function localStorageOrNull() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function downloadFile(fileName, bytes) {
  const blob = new Blob([bytes], { type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
