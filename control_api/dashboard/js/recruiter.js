// The recruiter's page: API key, create an interview, follow the list, copy links, reports.

import { api, ApiError, describeError } from "./api.js";
import { $, el, showMessage, clearMessage, copyText } from "./ui.js";

const KEY_STORAGE = "proctorai.recruiter_key";
const POLL_MS = 5000;
const STATUS_WORDS = {
  created: "Waiting for the candidate",
  ready: "Baseline recorded",
  in_progress: "In progress",
  completed: "Completed: report being written",
  evaluated: "Report ready",
  cancelled: "Cancelled",
  failed: "Failed",
};
const REPORT_STATUSES = new Set(["evaluated"]);
const OPEN_STATUSES = new Set(["created", "ready", "in_progress"]);
const SEARCH_DELAY_MS = 300;
// The integrity state of a row (GET /interviews, ListIntegrity): an icon for the eye and
// always the words, since colour alone says nothing to many people. The confirmed
// headlines are the report's own (control_api/reports/integrity.py).
const INTEGRITY_ICONS = { identity: "✖", confirmed: "✖", flagged: "⚠", dismissed: "✓", clean: "✓", pending: "…" };
const SORT_WORDS = {
  "-created_at": "newest first",
  created_at: "oldest first",
  integrity: "most serious integrity first",
  "-integrity": "least serious integrity first",
  candidate: "by candidate, A to Z",
  "-candidate": "by candidate, Z to A",
  status: "by status in lifecycle order",
  "-status": "by status in reverse lifecycle order",
};

let pollTimer = null;
let searchTimer = null;
let listRequest = 0; // only the newest request's answer is shown

const key = () => window.sessionStorage.getItem(KEY_STORAGE);

function signedIn(on) {
  $("#key-form").hidden = on;
  $("#key-set").hidden = !on;
  $("#work").hidden = !on;
  window.clearInterval(pollTimer);
  if (on) {
    refreshList();
    pollTimer = window.setInterval(() => { if (!document.hidden) refreshList(); }, POLL_MS);
  }
}

/** Any 401 means the stored key no longer works: ask for it again. */
function handleAuthError(error) {
  if (error instanceof ApiError && error.status === 401) {
    window.sessionStorage.removeItem(KEY_STORAGE);
    signedIn(false);
    showMessage($("#key-message"), "error", `The API key was refused: ${error.detail}`);
    return true;
  }
  return false;
}

// --- API key ------------------------------------------------------------------------

$("#key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = $("#api-key").value.trim();
  const box = $("#key-message");
  clearMessage(box);
  if (!value) {
    showMessage(box, "error", "Enter the recruiter API key.");
    return;
  }
  try {
    await api("/interviews?limit=1", { bearer: value });
  } catch (error) {
    showMessage(box, "error", describeError(error));
    return;
  }
  window.sessionStorage.setItem(KEY_STORAGE, value);
  $("#api-key").value = "";
  signedIn(true);
});

$("#forget-key").addEventListener("click", () => {
  window.sessionStorage.removeItem(KEY_STORAGE);
  signedIn(false);
  $("#api-key").focus();
});

// --- links --------------------------------------------------------------------------

function linkRow(label, url, id) {
  const input = el("input", { type: "text", id, value: url, readonly: true, "aria-label": label });
  const status = el("span", { class: "small muted", "aria-live": "polite" });
  const button = el("button", {
    type: "button", class: "secondary", text: `Copy ${label.toLowerCase()}`,
    onclick: async () => {
      status.textContent = (await copyText(url, input)) ? "Copied." : "Press Ctrl+C to copy.";
    },
  });
  return el("div", {}, [el("label", { for: id, text: label }), el("div", { class: "linkbox" }, [input, button, status])]);
}

function renderLinks(box, links, prefix) {
  box.replaceChildren(
    linkRow("Candidate link", links.candidate_link, `${prefix}-candidate-link`),
    linkRow("Proctor link", links.proctor_link, `${prefix}-proctor-link`),
    el("p", { class: "hint", text: `Send the candidate link to the candidate only; open the proctor link yourself to watch live. The links work until ${new Date(links.expires_at).toLocaleString()}.` }),
  );
}

// --- create -------------------------------------------------------------------------

$("#create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const box = $("#create-message");
  clearMessage(box);
  const data = new FormData(form);
  // Send only what was filled in: an empty text next to a file is not "both".
  if (!String(data.get("job_description") || "").trim()) data.delete("job_description");
  for (const name of ["job_description_file", "reference_photo"]) {
    const file = data.get(name);
    if (file instanceof File && !file.name && !file.size) data.delete(name);
  }
  const submit = $("#create-submit");
  submit.disabled = true;
  submit.textContent = "Creating…";
  try {
    const created = await api("/interviews", { method: "POST", body: data, bearer: key() });
    showMessage(box, "ok", "The interview is created. Copy the links below.");
    $("#created-title").textContent = String(data.get("title") || "");
    renderLinks($("#created-links"), created, "created");
    $("#created").hidden = false;
    form.reset();
    refreshList();
    $("#created-candidate-link").focus();
  } catch (error) {
    if (!handleAuthError(error)) showMessage(box, "error", `The interview was not created: ${describeError(error)}`);
  } finally {
    submit.disabled = false;
    submit.textContent = "Create the interview";
  }
});

// --- list ---------------------------------------------------------------------------

/** Who watched the interview through a proctor link, in one sentence. */
function watchers(detail) {
  const visits = detail.proctor_visits || [];
  if (!visits.length) return "No proctor has watched so far.";
  const time = (value) => new Date(value).toLocaleTimeString();
  const parts = visits.map((v) => `${v.label} from ${time(v.joined_at)}${v.left_at ? ` to ${time(v.left_at)}` : " (still watching)"}`);
  return `Watched by: ${parts.join("; ")}.`;
}

async function showLinks(item) {
  const panel = $("#links-panel");
  const box = $("#list-message");
  clearMessage(box);
  try {
    const detail = await api(`/interviews/${encodeURIComponent(item.id)}`, { bearer: key() });
    if (!detail.links) {
      showMessage(box, "info", `The links of “${item.title}” are closed (the interview is ${STATUS_WORDS[detail.status] || detail.status}). ${watchers(detail)}`);
      panel.hidden = true;
      return;
    }
    $("#links-title").textContent = item.title;
    renderLinks($("#links-body"), detail.links, `row-${item.id}`);
    $("#links-body").append(
      el("p", { class: "hint", id: "identity-state", text: detail.identity_verified ? "Identity verified: the candidate's face and voice baseline was accepted." : "Identity not verified yet: no accepted face and voice baseline." }),
      el("p", { class: "hint", id: "watchers", text: watchers(detail) }),
    );
    panel.hidden = false;
    panel.querySelector("input").focus();
  } catch (error) {
    if (!handleAuthError(error)) showMessage(box, "error", describeError(error));
  }
}

/** Reports need the API key header, which a plain link cannot carry: fetch, then open as a blob. */
async function openReport(item, format) {
  const box = $("#list-message");
  clearMessage(box);
  const win = window.open("", "_blank"); // opened in the click, so popup blockers allow it
  if (win) {
    win.opener = null;
    win.document.title = "Loading the report…";
  }
  try {
    const blob = await api(`/interviews/${encodeURIComponent(item.id)}/report.${format}`, { bearer: key(), as: "blob" });
    const url = URL.createObjectURL(blob);
    if (win) win.location.href = url;
    else window.location.href = url;
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    if (win) win.close();
    if (!handleAuthError(error)) showMessage(box, "error", `The report could not be opened: ${describeError(error)}`);
  }
}

async function cancelInterview(item) {
  if (!window.confirm(`Cancel “${item.title}”? Its links stop working at once.`)) return;
  try {
    await api(`/interviews/${encodeURIComponent(item.id)}/cancel`, { method: "POST", body: {}, bearer: key() });
    refreshList();
  } catch (error) {
    if (!handleAuthError(error)) showMessage($("#list-message"), "error", describeError(error));
  }
}

const plural = (count, word, many = `${word}s`) => `${count} ${count === 1 ? word : many}`;

/** The words of a row's integrity state, e.g. "Flagged: 2 anomalies, not reviewed". */
function integrityWords(item) {
  const all = plural(item.anomaly_count, "anomaly", "anomalies");
  switch (item.integrity) {
    case "confirmed": {
      const headline = item.identity_confirmed_count > 0 ? "Identity concern confirmed by proctor" : "Integrity concern confirmed by proctor";
      return `${headline}: ${item.confirmed_count} of ${all}`;
    }
    case "flagged":
      return item.unreviewed_count === item.anomaly_count
        ? `Flagged: ${all}, not reviewed`
        : `Flagged: ${all}, ${item.unreviewed_count} not reviewed`;
    case "dismissed":
      return `Flags dismissed by proctor: ${all}`;
    case "clean":
      return "Clean: no anomaly recorded";
    case "pending":
      return "No anomaly so far";
    default:
      return item.integrity;
  }
}

function integrityCell(item) {
  const kind = item.integrity === "confirmed" && item.identity_confirmed_count > 0 ? "identity" : item.integrity;
  return el("span", { class: `integrity-state integrity-${kind}`, "data-integrity": item.integrity }, [
    el("span", { class: "integrity-icon", "aria-hidden": "true", text: INTEGRITY_ICONS[kind] || "" }),
    el("span", { class: "integrity-words", text: integrityWords(item) }),
  ]);
}

function statusCell(item) {
  return el("span", { class: `badge ${item.status}`, "data-status": item.status, text: STATUS_WORDS[item.status] || item.status });
}

function row(item) {
  const hasReport = REPORT_STATUSES.has(item.status);
  const open = OPEN_STATUSES.has(item.status);
  return el("tr", { "data-id": item.id, "data-status": item.status, "data-shown": rowState(item) }, [
    el("td", {}, [el("strong", { text: item.title }), el("div", { class: "small muted", text: `${item.duration_minutes} min · ${item.question_count} questions · ${item.sensitivity}` })]),
    el("td", { text: item.candidate_name }),
    el("td", {}, [statusCell(item)]),
    el("td", {}, [integrityCell(item)]),
    el("td", { class: "small", text: new Date(item.created_at).toLocaleString() }),
    el("td", {}, [el("div", { class: "actions" }, [
      open ? el("button", { type: "button", class: "secondary", text: "Links", "aria-label": `Links of ${item.title}`, onclick: () => showLinks(item) }) : null,
      el("button", { type: "button", class: "secondary", text: "Report", disabled: !hasReport, title: hasReport ? "Open the report" : "The report is ready after the interview", "aria-label": `Report of ${item.title}`, onclick: () => openReport(item, "html") }),
      el("button", { type: "button", class: "secondary", text: "PDF", disabled: !hasReport, "aria-label": `PDF report of ${item.title}`, onclick: () => openReport(item, "pdf") }),
      open ? el("button", { type: "button", class: "secondary", text: "Cancel", "aria-label": `Cancel ${item.title}`, onclick: () => cancelInterview(item) }) : null,
    ])]),
  ]);
}

/** What a row shows that can change: rebuilt only when it did. */
function rowState(item) {
  return [item.status, item.integrity, item.anomaly_count, item.unreviewed_count, item.confirmed_count, item.identity_confirmed_count, item.dismissed_count].join("|");
}

/** The list's query from the search, filter and sort controls (empty ones left out). */
function listQuery() {
  const params = new URLSearchParams({ limit: "50" });
  const q = $("#list-search").value.trim();
  if (q) params.set("q", q);
  if ($("#list-status").value) params.set("status", $("#list-status").value);
  if ($("#list-integrity").value) params.set("integrity", $("#list-integrity").value);
  params.set("sort", $("#list-sort").value);
  return params;
}

const filtered = (params) => params.has("q") || params.has("status") || params.has("integrity");

async function refreshList() {
  const body = $("#interviews");
  const state = $("#list-state");
  const request = ++listRequest;
  const params = listQuery();
  try {
    const page = await api(`/interviews?${params}`, { bearer: key() });
    if (request !== listRequest) return; // the controls changed meanwhile
    $("#list-caption").textContent = `Interviews, ${SORT_WORDS[params.get("sort")] || "newest first"}, with their status, integrity and actions`;
    // Update rows in place when what they show changed, so keyboard focus is not lost.
    const seen = new Set();
    let previous = null;
    for (const item of page.items) {
      seen.add(item.id);
      let tr = body.querySelector(`tr[data-id="${CSS.escape(item.id)}"]`);
      if (!tr || tr.dataset.shown !== rowState(item)) {
        const fresh = row(item);
        if (tr) tr.replaceWith(fresh);
        tr = fresh;
      }
      if (previous ? previous.nextSibling !== tr : body.firstChild !== tr) {
        body.insertBefore(tr, previous ? previous.nextSibling : body.firstChild);
      }
      previous = tr;
    }
    for (const tr of [...body.children]) if (!seen.has(tr.dataset.id)) tr.remove();
    const updated = `updated ${new Date().toLocaleTimeString()}`;
    if (filtered(params)) {
      state.textContent = page.total
        ? `${plural(page.total, "interview")} ${page.total === 1 ? "matches" : "match"} the search and filters · ${updated}`
        : "No interview matches the search and filters.";
    } else {
      state.textContent = page.total ? `${plural(page.total, "interview")} · ${updated}` : "No interviews yet: create one above.";
    }
  } catch (error) {
    if (request === listRequest && !handleAuthError(error)) state.textContent = `Could not refresh the list: ${describeError(error)}`;
  }
}

// --- search, filters, sort ------------------------------------------------------------

function refreshSoon() {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(refreshList, SEARCH_DELAY_MS);
}

for (const [value, words] of Object.entries(STATUS_WORDS)) {
  $("#list-status").append(el("option", { value, text: words }));
}
$("#list-search").addEventListener("input", refreshSoon);
for (const id of ["#list-status", "#list-integrity", "#list-sort"]) {
  $(id).addEventListener("change", () => { window.clearTimeout(searchTimer); refreshList(); });
}
$("#list-controls").addEventListener("submit", (event) => {
  event.preventDefault(); // Enter in the search box: search now
  window.clearTimeout(searchTimer);
  refreshList();
});
$("#list-controls").addEventListener("reset", () => {
  window.clearTimeout(searchTimer);
  window.setTimeout(refreshList, 0); // after the browser has put the controls back
});

signedIn(Boolean(key()));
