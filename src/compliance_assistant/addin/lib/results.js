// Reading a Result (engine/result.py CheckResult as JSON): ordering, labels and counts shared
// by the task pane and the exported report.

export const SEVERITY_RANK = { error: 2, warning: 1, info: 0 };

export const SEVERITY_LABEL = { error: "Error", warning: "Warning", info: "Info" };

export const STATUS_LABEL = {
  fail: "Failed",
  warning: "Warnings",
  pass: "Passed",
  not_run: "Not run",
  error: "Could not run",
};

export const KIND_LABEL = { rule: "Rule", llm: "AI review", gtc: "Terms (GTC)" };

/** Findings of a guideline that are still open (not dismissed on the server or locally). */
export function openFindings(guideline, dismissed = {}) {
  return (guideline.findings || []).filter((f) => !f.dismissed && !dismissed[f.fingerprint]);
}

/** Findings dismissed on the server or in this session. */
export function dismissedFindings(result, dismissed = {}) {
  const out = [];
  for (const g of result.guidelines || []) {
    for (const f of g.findings || []) {
      if (f.dismissed || dismissed[f.fingerprint]) {
        out.push({ finding: f, guideline: g, reason: f.dismissed?.reason ?? dismissed[f.fingerprint] });
      }
    }
  }
  return out;
}

function worstSeverity(findings) {
  let worst = -1;
  for (const f of findings) worst = Math.max(worst, SEVERITY_RANK[f.severity] ?? 0);
  return worst;
}

/**
 * Guidelines split for display: those with open findings (most severe first, then in set
 * order), those that did not run, and those that passed.
 */
export function groupGuidelines(result, dismissed = {}) {
  const withFindings = [];
  const notRun = [];
  const passed = [];
  (result.guidelines || []).forEach((guideline, order) => {
    const findings = openFindings(guideline, dismissed)
      .slice()
      .sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || a.span.start - b.span.start);
    if (guideline.status === "not_run" || guideline.status === "error") notRun.push(guideline);
    else if (findings.length) withFindings.push({ guideline, findings, worst: worstSeverity(findings), order });
    else passed.push(guideline);
  });
  withFindings.sort((a, b) => b.worst - a.worst || a.order - b.order);
  return { withFindings, notRun, passed };
}

/** Counts of open findings by severity (recomputed so local dismissals show at once). */
export function countBySeverity(result, dismissed = {}) {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const g of result.guidelines || []) {
    for (const f of openFindings(g, dismissed)) counts[f.severity] = (counts[f.severity] || 0) + 1;
  }
  return counts;
}

/** Every open finding in document order. */
export function allOpenFindings(result, dismissed = {}) {
  const every = [];
  for (const g of result.guidelines || []) every.push(...openFindings(g, dismissed));
  return every.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}

/** Distinct GTC clauses cited by the result's findings. */
export function citedClauses(result) {
  const seen = new Map();
  for (const g of result.guidelines || []) {
    for (const f of g.findings || []) {
      for (const e of f.evidence || []) {
        const key = [e.document_id, e.version, e.page, e.section, e.quote].join("\u241f");
        if (!seen.has(key)) seen.set(key, e);
      }
    }
  }
  return [...seen.values()];
}

/** "Northbank Easy Saver GTC, version 2024-03, page 4, section 7.2" */
export function clauseCitation(evidence) {
  const parts = [evidence.title || evidence.document_id];
  if (evidence.version) parts.push(`version ${evidence.version}`);
  if (evidence.page !== null && evidence.page !== undefined) parts.push(`page ${evidence.page}`);
  if (evidence.section) parts.push(`section ${evidence.section}`);
  return parts.join(", ");
}

/** A score band for colour: good ≥ 90, fair ≥ 60, else poor. */
export function scoreBand(score) {
  if (score === null || score === undefined) return "none";
  if (score >= 90) return "good";
  if (score >= 60) return "fair";
  return "poor";
}
