// The Compliance Assistant API (/api/v1), same-origin with the page. Every request carries the
// current credentials; errors become ApiError with the server's {"error": {code, message}}.

import { readEvents } from "./lib/sse.js";

export const API_BASE = "/api/v1";

export class ApiError extends Error {
  /**
   * @param {string} code      the server's error code, or NETWORK / HTTP_<status>
   * @param {string} message
   * @param {number} status    HTTP status (0: no answer)
   * @param {any} [details]
   */
  constructor(code, message, status, details) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
  }

  get unreachable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export function isTerminal(status) {
  return TERMINAL.has(status);
}

/**
 * @param {object} options
 * @param {() => Promise<Record<string, string>>} options.headers  credentials for each request
 * @param {typeof fetch} [options.fetch]
 * @param {string} [options.base]
 */
export function createApi({ headers, fetch: fetchImpl = globalThis.fetch.bind(globalThis), base = API_BASE }) {
  async function request(method, path, { body, signal, accept = "application/json" } = {}) {
    const url = base + path;
    const init = { method, headers: { Accept: accept, ...(await headers()) }, signal };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetchImpl(url, init);
    } catch (error) {
      if (error?.name === "AbortError") throw error;
      throw new ApiError("NETWORK", "The Compliance Assistant server did not answer.", 0);
    }
    if (!response.ok) throw await toError(response);
    return response;
  }

  async function json(method, path, options) {
    const response = await request(method, path, options);
    if (response.status === 204) return null;
    return response.json();
  }

  return {
    /** GET /guideline-sets → [{id, version, title, …}] whatever the envelope. */
    async guidelineSets() {
      const body = await json("GET", "/guideline-sets");
      const list = Array.isArray(body) ? body : body.items || body.guideline_sets || body.data || [];
      return list;
    },

    /** GET /guideline-sets/{id}: the set with its guidelines (titles for progress). */
    guidelineSet(id) {
      return json("GET", `/guideline-sets/${encodeURIComponent(id)}`);
    },

    /**
     * POST /compliance/check with the document's paragraphs.
     * @returns {Promise<{job_id: string, status: string, status_url: string, result_url: string, events_url: string}>}
     */
    submit({ payload, guidelineSet, title, documentId }) {
      const body = { format: "word-blocks", blocks: payload.blocks, metadata: {} };
      if (guidelineSet) body.guideline_set = guidelineSet;
      if (title) body.title = title;
      if (documentId) body.metadata.document_id = documentId;
      return json("POST", "/compliance/check", { body });
    },

    /** POST /compliance/check as multipart (a file the page could not read itself). */
    submitFile({ file, guidelineSet, documentId }) {
      const form = new FormData();
      form.append("file", file, file.name);
      if (guidelineSet) form.append("guideline_set", guidelineSet);
      if (documentId) form.append("metadata", JSON.stringify({ document_id: documentId }));
      return json("POST", "/compliance/check", { body: form });
    },

    status(jobId) {
      return json("GET", `/jobs/${encodeURIComponent(jobId)}/status`);
    },

    result(jobId) {
      return json("GET", `/jobs/${encodeURIComponent(jobId)}/result`);
    },

    cancel(jobId) {
      return json("DELETE", `/jobs/${encodeURIComponent(jobId)}`);
    },

    /** POST /findings/{id}/feedback: dismiss or accept one finding of one job. */
    feedback({ findingId, jobId, action, reason }) {
      return json("POST", `/findings/${encodeURIComponent(findingId)}/feedback`, {
        body: { job_id: jobId, action, reason },
      });
    },

    /**
     * Follow a job until it ends: the SSE stream when it works, else polling the status.
     * Resolves with the final status view.
     * @param {string} jobId
     * @param {object} handlers
     * @param {(event: {type: string, [k: string]: any}) => void} handlers.onEvent
     * @param {AbortSignal} handlers.signal
     * @param {number} [handlers.pollMs]
     */
    async follow(jobId, { onEvent, signal, pollMs = 1000 }) {
      let final = null;
      try {
        const response = await request("GET", `/jobs/${encodeURIComponent(jobId)}/events`, { signal, accept: "text/event-stream" });
        if (response.body && (response.headers.get("content-type") || "").includes("text/event-stream")) {
          await readEvents(response.body, (raw) => {
            const event = interpretEvent(raw);
            if (!event) return false;
            onEvent(event);
            if (event.type === "status" && isTerminal(event.status.status)) {
              final = event.status;
              return true;
            }
            return false;
          });
        }
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof ApiError && !error.unreachable && error.status !== 404 && error.status !== 405) throw error;
      }
      // The stream ended early, is not supported here, or broke: poll until the job ends.
      while (!final) {
        const status = await this.status(jobId);
        onEvent({ type: "status", status });
        if (isTerminal(status.status)) return status;
        await sleep(pollMs, signal);
      }
      return final;
    },
  };
}

/** One SSE message as {type, …}: the data's own `type`, else the event name. */
export function interpretEvent(raw) {
  let data;
  try {
    data = raw.data ? JSON.parse(raw.data) : {};
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null) return null;
  const type = data.type || raw.event;
  if (type === "status") return { type, status: data.status && typeof data.status === "object" ? data.status : data };
  if (type === "guideline" || type === "result") return { ...data, type };
  return null;
}

async function toError(response) {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `The server answered ${response.status}.`;
  let details;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
      details = body.error.details;
    } else if (body && typeof body.detail === "string") {
      message = body.detail;
    }
  } catch {
    // Not JSON (a proxy's error page): keep the status text.
  }
  return new ApiError(code, message, response.status, details);
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
}
