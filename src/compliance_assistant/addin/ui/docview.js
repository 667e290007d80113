// The checked text with its findings highlighted (standalone page, outside Word).

import { h } from "./dom.js";
import { SEVERITY_RANK } from "../lib/results.js";
import { utf16Index } from "../lib/text.js";

/**
 * @param {import("../lib/blocks.js").BlockMap} map  with block texts
 * @param {any[]} findings  open findings
 * @param {(finding: any) => void} onSelect
 * @returns {{element: HTMLElement, reveal: (findingId: string) => boolean}}
 */
export function documentView(map, findings, onSelect) {
  const marks = new Map();
  const byId = new Map(findings.map((f) => [f.id, f]));
  const element = h("div", { class: "docview", role: "document", "aria-label": "Checked text with findings highlighted" });
  for (const block of map.blocks) {
    const end = block.start + block.length;
    const inside = findings.filter((f) => f.span.start < end && f.span.end > block.start);
    const cuts = new Set([0, block.length]);
    for (const f of inside) {
      cuts.add(Math.max(0, f.span.start - block.start));
      cuts.add(Math.min(block.length, f.span.end - block.start));
    }
    const points = [...cuts].sort((a, b) => a - b);
    const para = h("p", { class: "docview-block", "data-block": block.id });
    for (let i = 0; i < points.length - 1; i += 1) {
      const [from, to] = [points[i], points[i + 1]];
      const text = block.text.slice(utf16Index(block.text, from), utf16Index(block.text, to));
      const covering = inside.filter((f) => f.span.start - block.start <= from && f.span.end - block.start >= to);
      if (!covering.length) {
        para.append(text);
        continue;
      }
      covering.sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0));
      const top = covering[0];
      const mark = h(
        "mark",
        {
          class: `hl hl-${top.severity}`,
          tabindex: "0",
          role: "button",
          "data-findings": covering.map((f) => f.id).join(" "),
          "aria-label": `${top.severity}: ${top.message}`,
          onclick: () => onSelect(byId.get(top.id)),
          onkeydown: (event) => {
            if (event.key === "Enter" || event.key === " ") {
              event.preventDefault();
              onSelect(byId.get(top.id));
            }
          },
        },
        text,
      );
      for (const f of covering) {
        if (!marks.has(f.id)) marks.set(f.id, []);
        marks.get(f.id).push(mark);
      }
      para.append(mark);
    }
    element.append(para);
  }
  return {
    element,
    reveal(findingId) {
      const found = marks.get(findingId);
      if (!found) return false;
      for (const el of element.querySelectorAll(".hl.is-current")) el.classList.remove("is-current");
      for (const el of found) el.classList.add("is-current");
      found[0].scrollIntoView({ block: "center", behavior: "smooth" });
      return true;
    },
  };
}
