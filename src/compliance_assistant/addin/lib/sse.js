// Server-sent events over fetch. EventSource cannot send an Authorization or X-API-Key
// header, so the add-in reads the event stream itself from a fetch response body.

/**
 * @typedef {object} ServerEvent
 * @property {string} event   the `event:` field ("message" when absent)
 * @property {string} data    the `data:` lines joined by LF
 * @property {string} [id]
 */

/** Incremental parser: feed text chunks, get complete events (per the HTML SSE rules). */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.eventName = "";
    this.dataLines = [];
    this.lastId = undefined;
  }

  /** @param {string} chunk @returns {ServerEvent[]} */
  feed(chunk) {
    this.buffer += chunk;
    const events = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone CR at the end of a chunk may be the first half of CRLF: wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  line(line) {
    if (line === "") {
      if (!this.dataLines.length && !this.eventName) return null;
      const event = { event: this.eventName || "message", data: this.dataLines.join("\n") };
      if (this.lastId !== undefined) event.id = this.lastId;
      this.reset();
      return event;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.eventName = value;
    else if (field === "data") this.dataLines.push(value);
    else if (field === "id") this.lastId = value;
    return null;
  }
}

/**
 * Read a response body as events until it ends or `signal` aborts.
 * @param {ReadableStream<Uint8Array>} body
 * @param {(event: ServerEvent) => boolean|void} onEvent  return true to stop reading
 */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) {
        if (onEvent(event) === true) return true;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
