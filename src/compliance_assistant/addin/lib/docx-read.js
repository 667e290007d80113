// Reading a .docx in the browser (standalone page): its body paragraphs as a word-blocks
// payload, the same shape the add-in sends from Word, so findings map back to the text shown.
// Deleted text of tracked changes is left out and inserted text kept (what Word shows);
// headers, footers, footnotes and text boxes are not read.

const W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/** The bytes of one member of a ZIP archive (stored or deflated), or null. */
export async function unzipEntry(bytes, wanted) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i -= 1) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("not a ZIP archive");
  const entries = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  for (let n = 0; n < entries; n += 1) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error("damaged ZIP directory");
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (name === wanted) {
      const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      const data = bytes.subarray(dataStart, dataStart + size);
      if (method === 0) return data;
      if (method !== 8) throw new Error(`unsupported ZIP compression method ${method}`);
      const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  return null;
}

function attr(el, name) {
  return el ? el.getAttributeNS(W_NS, name) ?? el.getAttribute(`w:${name}`) : null;
}

function child(el, name) {
  for (const c of el.children) if (c.namespaceURI === W_NS && c.localName === name) return c;
  return null;
}

function paragraphText(p) {
  let text = "";
  const walk = (node) => {
    for (const c of node.children) {
      if (c.namespaceURI !== W_NS) {
        walk(c);
        continue;
      }
      switch (c.localName) {
        case "t":
          text += c.textContent;
          break;
        case "tab":
          if (node.localName === "r") text += "\t";
          break;
        case "br":
        case "cr":
          text += "\v";
          break;
        case "noBreakHyphen":
          text += "\u2011";
          break;
        case "del":
        case "delText":
        case "instrText":
        case "pPr":
        case "rPr":
        case "footnoteReference":
          break;
        default:
          walk(c);
      }
    }
  };
  walk(p);
  return text;
}

/**
 * Body paragraphs of a .docx as word-blocks.
 * @param {Uint8Array} bytes
 * @returns {Promise<{format: "word-blocks", blocks: any[]}>}
 */
export async function readDocx(bytes) {
  const xmlBytes = await unzipEntry(bytes, "word/document.xml");
  if (!xmlBytes) throw new Error("the file has no word/document.xml: it is not a Word document");
  const xml = new DOMParser().parseFromString(new TextDecoder().decode(xmlBytes), "application/xml");
  if (xml.getElementsByTagName("parsererror").length) throw new Error("the document's XML is damaged");
  const body = xml.getElementsByTagNameNS(W_NS, "body")[0];
  const blocks = [];
  let table = -1;

  const addParagraph = (p, cell) => {
    const pPr = child(p, "pPr");
    const style = attr(pPr && child(pPr, "pStyle"), "val") || "";
    const numPr = pPr && child(pPr, "numPr");
    const block = { index: blocks.length, text: paragraphText(p), style, is_list_item: Boolean(numPr) || /^list/i.test(style) };
    if (numPr) {
      const level = Number(attr(child(numPr, "ilvl"), "val") || 0);
      block.level = Math.min(9, level + 1);
    }
    if (cell) block.table_cell = cell;
    blocks.push(block);
  };

  const walkTable = (tbl, ordinal) => {
    let row = 0;
    for (const tr of tbl.children) {
      if (tr.localName !== "tr") continue;
      let column = 0;
      for (const tc of tr.children) {
        if (tc.localName !== "tc") continue;
        for (const item of tc.children) {
          if (item.localName === "p") addParagraph(item, { row, column, table: ordinal });
          else if (item.localName === "tbl") walkTable(item, ordinal);
        }
        column += 1;
      }
      row += 1;
    }
  };

  const walkBody = (node) => {
    for (const item of node.children) {
      if (item.namespaceURI !== W_NS) continue;
      if (item.localName === "p") addParagraph(item, null);
      else if (item.localName === "tbl") {
        table += 1;
        walkTable(item, table);
      } else if (item.localName === "sdt") {
        const content = child(item, "sdtContent");
        if (content) walkBody(content);
      }
    }
  };
  walkBody(body);
  return { format: "word-blocks", blocks };
}
