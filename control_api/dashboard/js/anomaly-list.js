// The proctor's sidebar list: one card per anomaly, merged from the stored history and
// the live data-channel messages (the same shape, merged by ./anomaly-merge.js), updated
// in place when it ends.

import { $, el, clockTime, duration, announce } from "./ui.js";
import { anomalyTitle, SEVERITY_WORDS } from "./anomaly-words.js";
import { mergeAnomaly } from "./anomaly-merge.js";

/** Local date and time of epoch seconds, e.g. "2 Dec 2026, 10:03:12": the audit trail's "when". */
function dateTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString([], {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

export class AnomalyList {
  /** `onDecide(anomalyId, decision, note)` stores a decision and resolves to the decision
   * as the history shows it: {decision, note, decided_at, decided_by}. */
  constructor(list, { onDecide }) {
    this.list = list;
    this.onDecide = onDecide;
    this.items = new Map();
  }

  get size() {
    return this.items.size;
  }

  missingSnapshots() {
    return [...this.items.values()].some((item) => !(item.evidence || {}).snapshot_url);
  }

  /** Add or update one anomaly; `live` marks it as just arrived (highlight, announce). */
  upsert(anomaly, { live = false } = {}) {
    const before = this.items.get(anomaly.id);
    const merged = mergeAnomaly(before, anomaly);
    this.items.set(anomaly.id, merged);
    const card = this.render(merged);
    const existing = this.list.querySelector(`li[data-id="${CSS.escape(merged.id)}"]`);
    if (existing) {
      const note = existing.querySelector("textarea");
      if (note) card.querySelector("textarea").value = note.value; // keep what is being typed
      existing.replaceWith(card);
    } else {
      this.insertSorted(card, merged.started_at);
    }
    if (live) {
      card.classList.add("fresh");
      if (!before) announce(`New anomaly: ${anomalyTitle(merged.type)}, ${SEVERITY_WORDS[merged.severity] || merged.severity} severity.`);
      else if (merged.state === "ended" && before.state !== "ended") announce(`Ended: ${anomalyTitle(merged.type)}.`);
    }
    $("#anomaly-count").textContent = String(this.items.size);
    $("#anomalies-empty").hidden = this.items.size > 0;
  }

  /** Newest first. */
  insertSorted(card, startedAt) {
    card.dataset.startedAt = String(startedAt);
    const after = [...this.list.children].find((node) => Number(node.dataset.startedAt) < startedAt);
    this.list.insertBefore(card, after || null);
  }

  render(a) {
    const severity = SEVERITY_WORDS[a.severity] || a.severity;
    const ongoing = a.state !== "ended";
    const timing = ongoing
      ? `Started ${clockTime(a.started_at)} · ongoing`
      : `${clockTime(a.started_at)} – ${clockTime(a.ended_at)} (${duration(a.ended_at - a.started_at)})`;
    const evidence = a.evidence || {};
    const facts = [el("div", { text: timing })];
    facts.push(el("div", { text: `Confidence ${Math.round((a.confidence || 0) * 100)}%` }));
    if (typeof evidence.distance === "number") facts.push(el("div", { text: `Face distance ${evidence.distance.toFixed(2)}` }));
    if (typeof evidence.faces === "number") facts.push(el("div", { text: `Faces seen: ${evidence.faces}` }));
    const snapshot = evidence.snapshot_url
      ? el("a", { href: evidence.snapshot_url, target: "_blank", rel: "noopener noreferrer", title: "Open the snapshot" }, [
        el("img", { src: evidence.snapshot_url, alt: `Snapshot: ${anomalyTitle(a.type)} at ${clockTime(a.started_at)}`, loading: "lazy", referrerpolicy: "no-referrer" }),
      ])
      : null;
    const card = el("li", {
      class: `sev-${a.severity}`,
      "data-id": a.id,
      "data-type": a.type,
      "data-state": ongoing ? "started" : "ended",
      "data-started-at": String(a.started_at),
    }, [
      el("div", { class: "anomaly-head" }, [
        el("h3", { text: anomalyTitle(a.type), style: "margin:0" }),
        el("span", {}, [
          el("span", { class: `badge ${a.severity}`, text: `${severity} severity` }), " ",
          el("span", { class: `badge ${ongoing ? "anomalous" : "unknown"}`, text: ongoing ? "Ongoing" : "Ended" }),
        ]),
      ]),
      el("div", { class: "anomaly-body" }, [snapshot, el("div", { class: "facts" }, facts)]),
      this.renderDecision(a),
    ]);
    return card;
  }

  renderDecision(a) {
    const noteId = `note-${a.id}`;
    const status = el("p", { class: "small", "aria-live": "polite", style: "margin:0.3rem 0 0" });
    // Who decided and when, as a person reads it (the API's label, never a credential).
    const decidedBy = el("p", { class: "small decided-by", style: "margin:0.3rem 0 0" });
    decidedBy.hidden = !a.decision;
    if (a.decision) {
      const word = a.decision.decision === "confirm" ? "Confirmed" : "Dismissed";
      status.textContent = `${word} at ${clockTime(a.decision.decided_at)}${a.decision.note ? ` · “${a.decision.note}”` : ""}`;
      status.className = `small badge ${a.decision.decision === "confirm" ? "anomalous" : "clean"}`;
      decidedBy.textContent = `By: ${a.decision.decided_by || "Proctor"}, ${dateTime(a.decision.decided_at)}`;
    }
    const note = el("textarea", { id: noteId, maxlength: "2000", placeholder: "What you saw (optional)" });
    const decide = (decision) => async (event) => {
      const buttons = event.target.parentElement.querySelectorAll("button");
      buttons.forEach((b) => { b.disabled = true; });
      try {
        const decided = await this.onDecide(a.id, decision, note.value.trim() || null);
        this.upsert({ ...this.items.get(a.id), decision: decided });
      } catch (error) {
        status.className = "small alert error";
        status.textContent = error.message;
        buttons.forEach((b) => { b.disabled = false; });
      }
    };
    // The decision in force is shown pressed and cannot be sent again; the other button
    // says it changes it (a proctor may change their mind: every decision is kept).
    const current = a.decision ? a.decision.decision : null;
    const button = (decision, label, kind) => el("button", {
      type: "button",
      class: kind,
      onclick: decide(decision),
      text: current && current !== decision ? `Change to ${label.toLowerCase()}` : label,
      "aria-pressed": String(current === decision),
      disabled: current === decision,
    });
    return el("div", { class: "decision" }, [
      el("label", { for: noteId, class: "small", text: "Note" }),
      note,
      el("div", { class: "actions" }, [button("confirm", "Confirm", "danger"), button("dismiss", "Dismiss", "secondary")]),
      status,
      decidedBy,
    ]);
  }
}
