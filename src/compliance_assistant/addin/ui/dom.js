// A tiny element builder: h("button", {class: "primary", onclick}, "Check").

/**
 * @param {string} tag
 * @param {Record<string, any>|null} [attrs]  on* functions become listeners; `class`, `text`,
 *   `html` is not supported on purpose (all text is inserted as text); booleans toggle attributes
 * @param {...(Node|string|number|null|undefined|false|Array)} children
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "text") el.textContent = String(value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value" && "value" in el) el.value = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's children. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let counter = 0;
/** A unique id for aria-labelledby / aria-describedby pairs. */
export function uid(prefix = "ca") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Inline SVG icons (Fluent-like 20px outlines), built with DOM calls. */
const ICONS = {
  check: "M7.5 13.6 4.2 10.3l-1 1 4.3 4.3 9.3-9.3-1-1z",
  error: "M10 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16Zm0 1.2a6.8 6.8 0 1 0 0 13.6 6.8 6.8 0 0 0 0-13.6ZM10 12.5a.9.9 0 1 1 0 1.8.9.9 0 0 1 0-1.8Zm0-7c.33 0 .6.27.6.6v4.8a.6.6 0 0 1-1.2 0V6.1c0-.33.27-.6.6-.6Z",
  warning: "M8.68 2.79a1.5 1.5 0 0 1 2.64 0l6.5 11.99A1.5 1.5 0 0 1 16.5 17h-13a1.5 1.5 0 0 1-1.32-2.22zM10 13a.9.9 0 1 0 0 1.8.9.9 0 0 0 0-1.8Zm0-6.5a.6.6 0 0 0-.6.6v4.3a.6.6 0 0 0 1.2 0V7.1a.6.6 0 0 0-.6-.6Z",
  info: "M10 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16Zm0 1.2a6.8 6.8 0 1 0 0 13.6 6.8 6.8 0 0 0 0-13.6ZM10 8.5c.33 0 .6.27.6.6v4.8a.6.6 0 0 1-1.2 0V9.1c0-.33.27-.6.6-.6Zm0-2.8a.9.9 0 1 1 0 1.8.9.9 0 0 1 0-1.8Z",
  skip: "M10 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16Zm0 1.2a6.8 6.8 0 1 0 0 13.6 6.8 6.8 0 0 0 0-13.6ZM6 9.4h8v1.2H6z",
  settings: "M10 6.5a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7Zm0 1.2a2.3 2.3 0 1 0 0 4.6 2.3 2.3 0 0 0 0-4.6ZM8.6 2h2.8l.45 2.03 1.45.84 1.98-.63 1.4 2.42-1.53 1.4v1.68l1.53 1.4-1.4 2.42-1.98-.63-1.45.84L11.4 18H8.6l-.45-2.03-1.45-.84-1.98.63-1.4-2.42 1.53-1.4V9.26L3.32 7.86l1.4-2.42 1.98.63 1.45-.84z",
  chevron: "M7.65 4.15a.5.5 0 0 1 .7 0l5.5 5.5a.5.5 0 0 1 0 .7l-5.5 5.5a.5.5 0 0 1-.7-.7L12.79 10 7.65 4.85a.5.5 0 0 1 0-.7Z",
  document: "M6 2h5.6L16 6.4V16.5A1.5 1.5 0 0 1 14.5 18h-8.5A1.5 1.5 0 0 1 4.5 16.5v-13A1.5 1.5 0 0 1 6 2Zm0 1.2a.3.3 0 0 0-.3.3v13c0 .17.13.3.3.3h8.5a.3.3 0 0 0 .3-.3V7.2h-3.6V3.2z",
  shield: "M10 2.2 16.5 4.6v4.7c0 4.07-2.74 7.2-6.5 8.5-3.76-1.3-6.5-4.43-6.5-8.5V4.6zm0 1.28L4.7 5.43v3.87c0 3.37 2.17 6.02 5.3 7.23 3.13-1.21 5.3-3.86 5.3-7.23V5.43z",
  cloudOff: "M2.65 2.15a.5.5 0 0 0-.7.7l2.6 2.6A4.9 4.9 0 0 0 3.2 8.1 3.9 3.9 0 0 0 4.9 15.5h9.4l2.85 2.85a.5.5 0 0 0 .7-.7zM13.3 14.5H4.9a2.9 2.9 0 0 1-.3-5.78l.43-.04.04-.43a3.9 3.9 0 0 1 .96-2.3zM10 3.3a4.9 4.9 0 0 1 4.84 4.13A3.9 3.9 0 0 1 18 13.6l-.74-.74A2.9 2.9 0 0 0 14.4 8.4l-.42-.03-.04-.42A3.9 3.9 0 0 0 7.3 5.34l-.72-.72A4.88 4.88 0 0 1 10 3.3Z",
};

export function icon(name, label) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("class", `icon icon-${name}`);
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name] || ICONS.info);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}
