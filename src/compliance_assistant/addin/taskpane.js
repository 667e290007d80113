// Entry point of taskpane.html and standalone.html: picks the document operations — Word's
// inside Word, the browser's elsewhere, or a scripted host injected by the end-to-end tests —
// and starts the task pane with them.

import { createBrowserOperations } from "./browser-host.js";
import { startApp } from "./ui/app.js";
import { createWordOperations } from "./word.js";

const OFFICE_READY_TIMEOUT_MS = 10_000;

async function hostOperations() {
  // Test hook: the end-to-end tests define this (before any script runs) to drive the task
  // pane with a scripted Word host that implements the word.js interface.
  const injected = globalThis.__COMPLIANCE_TEST_HOST__;
  if (injected) return typeof injected === "function" ? injected() : injected;
  const office = globalThis.Office;
  if (office?.onReady) {
    const info = await Promise.race([
      office.onReady(),
      new Promise((resolve) => setTimeout(() => resolve(null), OFFICE_READY_TIMEOUT_MS)),
    ]);
    if (info?.host === office.HostType?.Word) return createWordOperations();
  }
  return createBrowserOperations();
}

const root = document.getElementById("app");
hostOperations()
  .then((ops) => startApp({ root, ops }))
  .catch((error) => {
    root.textContent = `Compliance Assistant could not start: ${error?.message || error}`;
  });
