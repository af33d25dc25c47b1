// One anomaly's versions folded into one, by the rule of contracts/anomaly.py
// (AnomalyRecord.merged): the more complete version's figures (an ended one beats an open
// one, a later end beats an earlier one, then the higher confidence and severity) and the
// evidence of both, the more complete one's values winning where both have a key. tests/test_contracts_js.py runs this module in
// Node on the cases the Python merge is tested on and compares the results.
// No DOM here, so Node can import it.

import { ANOMALY_STATES, SEVERITIES } from "./contracts.js";

function completeness(version) {
  const ended = version.ended_at !== null && version.ended_at !== undefined;
  return [ended ? 1 : 0, ended ? version.ended_at : -1, version.confidence || 0, SEVERITIES.indexOf(version.severity)];
}

/** Whether `a` is strictly more complete than `b` (compared in order, as Python's tuples). */
function moreComplete(a, b) {
  const [ca, cb] = [completeness(a), completeness(b)];
  for (let i = 0; i < ca.length; i += 1) if (ca[i] !== cb[i]) return ca[i] > cb[i];
  return false;
}

/** The merged anomaly; `decision` (the proctor's, not part of the message) is kept. */
export function mergeAnomaly(known, incoming) {
  if (!known) return { ...incoming, evidence: { ...(incoming.evidence || {}) } };
  const [less, more] = moreComplete(known, incoming) ? [incoming, known] : [known, incoming];
  return {
    ...less,
    ...more,
    state: completeness(more)[0] ? "ended" : "started",
    evidence: { ...(less.evidence || {}), ...(more.evidence || {}) },
    decision: incoming.decision || known.decision || null,
  };
}

/** A minimal check of a message before it is shown (the agent is trusted, the wire is not). */
export function isAnomalyMessage(data) {
  return Boolean(
    data && typeof data.id === "string" && typeof data.type === "string" &&
    ANOMALY_STATES.includes(data.state) && typeof data.started_at === "number",
  );
}
