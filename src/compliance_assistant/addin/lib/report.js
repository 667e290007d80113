// The exported report as a list of styled paragraphs, rendered to .docx by docx.js.

import {
  KIND_LABEL,
  SEVERITY_LABEL,
  STATUS_LABEL,
  citedClauses,
  clauseCitation,
  countBySeverity,
  dismissedFindings,
  groupGuidelines,
} from "./results.js";

/**
 * @typedef {object} ReportRun
 * @property {string} text
 * @property {boolean} [bold]
 * @property {boolean} [italic]
 * @property {string} [color]  RRGGBB
 */

/**
 * @typedef {object} ReportParagraph
 * @property {"Title"|"Heading1"|"Heading2"|"Normal"|"Quote"|"Bullet"|"Subtle"} style
 * @property {ReportRun[]} runs
 */

const SEVERITY_COLOR = { error: "C50F1F", warning: "BC4B09", info: "0F6CBD" };

const para = (style, ...runs) => ({ style, runs: runs.map((r) => (typeof r === "string" ? { text: r } : r)) });

/**
 * @param {object} result        the Result JSON
 * @param {object} info
 * @param {string} info.title    the checked document's name
 * @param {string} [info.setTitle]
 * @param {Date} [info.date]
 * @param {Record<string,string>} [info.dismissed]  fingerprint → reason, dismissed locally
 * @returns {ReportParagraph[]}
 */
export function buildReport(result, info) {
  const dismissed = info.dismissed || {};
  const out = [];
  const date = info.date || new Date();
  out.push(para("Title", `Compliance report: ${info.title || "Untitled document"}`));
  const set = result.guideline_set || {};
  out.push(
    para(
      "Subtle",
      `Checked ${date.toISOString().slice(0, 16).replace("T", " ")} UTC against ` +
        `${info.setTitle || set.id || "the guideline set"} (${set.id || "?"}, version ${set.version ?? "?"}). ` +
        `Job ${result.job_id}.`,
    ),
  );

  const counts = countBySeverity(result, dismissed);
  const groups = groupGuidelines(result, dismissed);
  out.push(para("Heading1", "Summary"));
  out.push(para("Normal", { text: "Score: ", bold: true }, result.score === null || result.score === undefined ? "not scored (no guideline ran)" : `${result.score} / 100`));
  out.push(
    para(
      "Normal",
      { text: "Findings: ", bold: true },
      `${counts.error} errors, ${counts.warning} warnings, ${counts.info} info`,
    ),
  );
  if (!result.complete || groups.notRun.length) {
    out.push(
      para("Normal", { text: "Incomplete: ", bold: true, color: SEVERITY_COLOR.warning }, `${groups.notRun.length} guideline(s) did not run, so this result does not cover them.`),
    );
  }

  out.push(para("Heading1", "Findings"));
  if (!groups.withFindings.length) out.push(para("Normal", "No open findings."));
  for (const { guideline, findings } of groups.withFindings) {
    out.push(para("Heading2", `${guideline.title} (${STATUS_LABEL[guideline.status] || guideline.status})`));
    for (const finding of findings) {
      out.push(
        para(
          "Normal",
          { text: `${SEVERITY_LABEL[finding.severity] || finding.severity}: `, bold: true, color: SEVERITY_COLOR[finding.severity] },
          { text: finding.message, bold: true },
        ),
      );
      out.push(para("Quote", `“${finding.span.quote}”`));
      if (finding.explanation) out.push(para("Normal", finding.explanation));
      if (finding.suggestion) {
        out.push(para("Normal", { text: "Suggested rewrite: ", bold: true }, finding.suggestion.replacement || "(remove the text)"));
      }
      for (const evidence of finding.evidence || []) {
        out.push(para("Bullet", { text: `${clauseCitation(evidence)}: `, italic: true }, `“${evidence.quote}”${evidence.stale ? " (this GTC version may be outdated)" : ""}`));
      }
    }
  }

  if (groups.notRun.length) {
    out.push(para("Heading1", "Guidelines not run"));
    for (const g of groups.notRun) {
      out.push(para("Bullet", { text: `${g.title}: `, bold: true }, g.reason || "no reason given"));
    }
  }
  if (groups.passed.length) {
    out.push(para("Heading1", "Guidelines passed"));
    for (const g of groups.passed) out.push(para("Bullet", `${g.title} (${KIND_LABEL[g.kind] || g.kind})`));
  }

  const clauses = citedClauses(result);
  if (clauses.length) {
    out.push(para("Heading1", "Cited GTC clauses"));
    for (const e of clauses) {
      out.push(para("Normal", { text: clauseCitation(e), bold: true }));
      out.push(para("Quote", e.quote));
    }
  }

  const gone = dismissedFindings(result, dismissed);
  if (gone.length) {
    out.push(para("Heading1", "Dismissed findings"));
    for (const { finding, reason } of gone) {
      out.push(para("Bullet", `“${finding.span.quote}”: ${finding.message} Dismissed: ${reason || "no reason given"}`));
    }
  }
  return out;
}

/** The report as plain text (one paragraph per line), e.g. for the clipboard. */
export function reportText(paragraphs) {
  return paragraphs.map((p) => p.runs.map((r) => r.text).join("")).join("\n");
}
