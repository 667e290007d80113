// Browser driver of the add-in's end-to-end tests (tests/addin/test_e2e.py runs it).
//
//   node addin-tests/e2e/run.mjs SCENARIO CONFIG.json
//
// It drives Debian's Chromium through playwright-core against a running `compliance serve`,
// asserts what a user would see, writes screenshots, and prints one JSON line with what the
// Python side checks further. Requests to Microsoft's Office.js CDN are answered with an error
// (no traffic leaves the machine), so taskpane.html runs as it does outside Word, and the
// scripted Word host (scripted-host.js) is injected through the page's test hook.

import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const [scenario, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const TIMEOUT = 30_000;

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
}

function check(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

async function open(browser, { width, height, scripted, path }) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/appsforoffice|ERR_FAILED|Failed to load resource/.test(message.text())) errors.push(message.text());
  });
  await page.route(/appsforoffice\.microsoft\.com/, (route) => route.abort());
  if (scripted) {
    await page.addInitScript({ content: `window.__SCRIPTED_WORD_CONFIG__ = ${JSON.stringify(scripted)};` });
    await page.addInitScript({ path: join(here, "scripted-host.js") });
  }
  await page.goto(`${config.baseUrl}${path}`);
  return { page, errors };
}

async function shot(page, name, target) {
  if (!config.shots) return;
  const path = join(config.shots, name);
  if (target && typeof target.screenshot === "function") await target.screenshot({ path });
  else await page.screenshot({ path, fullPage: !target?.viewportOnly });
}

const word = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__scriptedWord)));

async function waitForResults(page) {
  await page.locator('[data-state="results"]').waitFor();
}

async function cardTexts(page) {
  return page.locator("article.finding").evaluateAll((cards) =>
    cards.map((c) => ({ id: c.dataset.finding, quote: (c.querySelector(".quote-match") || c.querySelector(".quote-text")).textContent, hasSuggestion: Boolean(c.querySelector(".suggestion")), evidence: c.querySelectorAll(".clause").length })),
  );
}

// -- scenarios --------------------------------------------------------------------------------

async function standalone(browser) {
  const { page, errors } = await open(browser, { width: 1280, height: 900, path: "/addin/standalone.html" });
  await page.getByLabel("Article text").fill(config.article);
  await page.getByRole("button", { name: "Check text" }).click();
  await waitForResults(page);
  const cards = await cardTexts(page);
  check(cards.length > 0, "the sample has findings");
  const marks = await page.locator(".docview mark.hl").count();
  check(marks > 0, "findings are highlighted in the text");

  // A finding's quote shows its place in the text.
  await page.locator("article.finding .quote").first().click();
  check((await page.locator(".docview mark.is-current").count()) > 0, "the finding's text is marked current");

  const errorsBefore = Number(await page.locator(".count-error strong").textContent());
  const target = cards[0];
  const card = page.locator(`article.finding[data-finding="${target.id}"]`);
  await card.getByRole("button", { name: "Dismiss" }).click();
  await card.getByLabel("Why dismiss this finding?").selectOption({ label: "Approved by the compliance team" });
  await card.getByRole("button", { name: "Dismiss finding" }).click();
  await page.locator('details[data-section="dismissed"]').waitFor();
  check((await page.locator(`article.finding[data-finding="${target.id}"]`).count()) === 0, "the dismissed finding left the list");
  const errorsAfter = Number(await page.locator(".count-error strong").textContent());
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "addin-standalone.png", { viewportOnly: true });

  // Re-check: the server re-applies the dismissal by fingerprint for this document id.
  await page.getByRole("button", { name: "Re-check" }).click();
  await page.locator('[data-state="checking"], [data-state="results"]').first().waitFor();
  await waitForResults(page);
  const dismissedText = await page.locator('details[data-section="dismissed"]').textContent();
  check(dismissedText.includes("Approved by the compliance team"), "the dismissal survives a re-check");
  check(errors.length === 0, `no script errors: ${errors.join(" | ")}`);
  return { findings: cards.length, marks, dismissed: target.quote, errorsBefore, errorsAfter, recheckKeptDismissal: true };
}

async function taskpane(browser) {
  const { page, errors } = await open(browser, { width: 320, height: 900, path: "/addin/taskpane.html", scripted: config.scripted });
  await page.getByRole("button", { name: "Check document" }).click();
  await waitForResults(page);
  const cards = await cardTexts(page);
  check(cards.length > 0, "the document has findings");
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "addin-results.png", { viewportOnly: true });

  // Navigate: the quote is selected in the (scripted) document.
  const first = cards[0];
  await page.locator(`article.finding[data-finding="${first.id}"] .quote`).click();
  let state = await word(page);
  check(state.selection && state.selection.text === first.quote, `selected ${JSON.stringify(state.selection)} for ${first.quote}`);

  // Apply a suggestion as a tracked change.
  const withSuggestion = cards.find((c) => c.hasSuggestion);
  check(withSuggestion, "some finding has a suggested rewrite");
  const applyCard = page.locator(`article.finding[data-finding="${withSuggestion.id}"]`);
  await applyCard.getByRole("button", { name: "Apply" }).click();
  await applyCard.getByText("Applied as a tracked change.").waitFor();
  state = await word(page);
  check(state.edits.length === 1 && state.edits[0].before === withSuggestion.quote, "the quote was replaced");
  check(state.edits[0].trackingMode === "TrackAll" && state.trackingMode === "Off", "tracked during the edit, restored after");

  // Comment on another finding.
  const other = cards.find((c) => c.id !== withSuggestion.id);
  await page.locator(`article.finding[data-finding="${other.id}"]`).getByRole("button", { name: "Comment" }).click();
  await page.locator(`article.finding[data-finding="${other.id}"]`).getByText("Comment added.").waitFor();

  // Highlight all, then remove the highlights.
  await page.getByRole("button", { name: "Highlight all" }).click();
  await page.getByRole("button", { name: "Remove highlights" }).waitFor();
  const highlighted = Object.keys((await word(page)).highlights).length;
  check(highlighted > 0, "findings are highlighted in the document");
  await page.getByRole("button", { name: "Remove highlights" }).click();
  await page.getByRole("button", { name: "Highlight all" }).waitFor();
  check(Object.keys((await word(page)).highlights).length === 0, "highlights removed");

  // Text edited since the check: the pane says so.
  const edited = cards.find((c) => c.id !== withSuggestion.id && c.id !== other.id) || other;
  await page.evaluate((quote) => {
    for (const p of window.__scriptedWord.paragraphs) p.text = p.text.split(quote).join("");
  }, edited.quote);
  await page.locator(`article.finding[data-finding="${edited.id}"] .quote`).click();
  await page.locator(`article.finding[data-finding="${edited.id}"]`).getByText("has changed since the check").waitFor();

  // Export the report (a new document in Word).
  await page.getByRole("button", { name: "Export report" }).click();
  await page.waitForFunction(() => window.__scriptedWord.reports.length === 1);
  state = await word(page);

  // Reopening the document shows the last result (job id kept in the document settings).
  const settings = state.settings;
  check(settings.lastJob && settings.lastJob.jobId && settings.documentId, "job id and document id stored in the document");
  const reopened = await open(browser, { width: 320, height: 900, path: "/addin/taskpane.html", scripted: { ...config.scripted, paragraphs: state.paragraphs, settings } });
  await waitForResults(reopened.page);
  const reopenedCalls = (await word(reopened.page)).calls;
  check(!reopenedCalls.includes("readDocument"), "the last result was shown without checking again");
  check(reopened.errors.length === 0, `no script errors after reopening: ${reopened.errors.join(" | ")}`);
  check(errors.length === 0, `no script errors: ${errors.join(" | ")}`);
  return {
    findings: cards.length,
    selected: first.quote,
    applied: state.edits[0],
    comments: state.comments,
    highlighted,
    report: state.reports[0],
    settings,
    paragraphs: state.paragraphs.map((p) => p.text),
  };
}

async function gtc(browser) {
  const { page, errors } = await open(browser, { width: 320, height: 1400, path: "/addin/taskpane.html", scripted: config.scripted });
  await page.getByLabel("Guideline set").selectOption(config.guidelineSet);
  await page.getByRole("button", { name: "Check document" }).click();
  await waitForResults(page);
  const notRunGtc = page.locator('[data-section="not-run"] li', { hasText: config.gtcGuidelineTitle });
  if (await notRunGtc.count()) throw new Error(`the server did not run the GTC guideline: ${await notRunGtc.textContent()}`);
  const card = page.locator("article.finding", { has: page.locator(".clause") }).first();
  await card.waitFor();
  const cite = await card.locator(".clause-cite").first().textContent();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "addin-gtc-results.png", { viewportOnly: true });
  await shot(page, "addin-gtc-finding.png", card);
  const notRun = await page.locator('[data-section="not-run"]').textContent();
  check(errors.length === 0, `no script errors: ${errors.join(" | ")}`);
  return { cite, notRun };
}

async function errorsScenario(browser) {
  const out = {};
  // A server that requires API keys, and no key saved: the connect form.
  const { page, errors } = await open(browser, { width: 320, height: 700, path: "/addin/taskpane.html", scripted: config.scripted });
  await page.locator('[data-state="not-configured"]').waitFor();
  await shot(page, "addin-error-not-configured.png");
  // A wrong key: the server refuses it.
  await page.getByLabel("API key", { exact: true }).fill("ca_wrong_key_0000000000000000");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.locator('[data-state="unauthorised"]').waitFor();
  out.unauthorised = await page.locator('[data-state="unauthorised"] h2').textContent();
  await shot(page, "addin-error-unauthorised.png");
  // The right key: connected, and a check runs.
  await page.getByLabel("API key", { exact: true }).fill(config.apiKey);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Check document" }).click();
  await waitForResults(page);
  out.checkedWithKey = true;

  // The server stops answering.
  await page.route(/\/api\/v1\//, (route) => route.abort());
  await page.reload();
  await page.locator('[data-state="unreachable"]').waitFor();
  out.unreachable = await page.locator('[data-state="unreachable"] h2').textContent();
  await shot(page, "addin-error-unreachable.png");
  await page.unroute(/\/api\/v1\//);

  // An empty document.
  const empty = await open(browser, { width: 320, height: 700, path: "/addin/taskpane.html", scripted: { ...config.scripted, paragraphs: ["", "  "] } });
  await empty.page.evaluate((key) => localStorage.setItem("complianceAssistant.apiKey", key), config.apiKey);
  await empty.page.reload();
  await empty.page.getByRole("button", { name: "Check document" }).click();
  await empty.page.locator('[data-state="empty"]').waitFor();
  out.empty = await empty.page.locator('[data-state="empty"] h2').textContent();
  check(errors.length === 0 && empty.errors.length === 0, `no script errors: ${[...errors, ...empty.errors].join(" | ")}`);
  return out;
}

const SCENARIOS = { standalone, taskpane, gtc, errors: errorsScenario };

const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const result = await SCENARIOS[scenario](browser);
  process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(error?.stack || error) })}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
