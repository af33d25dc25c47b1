// The proctor's page: hidden in the room, the candidate's video and sound, the live
// anomaly sidebar (history from the API first, then the data channel), the heartbeat,
// and confirm/dismiss decisions stored through the API.

import { api, ApiError, describeError, linkTokenFromPath } from "./api.js";
import { $, el, showMessage, clearMessage, duration } from "./ui.js";
import { AnomalyList } from "./anomaly-list.js";
import { isAnomalyMessage } from "./anomaly-merge.js";
import { TOPIC_ANOMALY, TOPIC_STATUS } from "./contracts.js";
import { CONNECTION_BADGE, SIGNAL_WORDS, STATE_WORDS, connectionText } from "./anomaly-words.js";
import { CameraView } from "./camera-view.js";

const STALE_HEARTBEAT_SECONDS = 15;
const token = linkTokenFromPath();
const path = (suffix) => `/links/${encodeURIComponent(token)}${suffix}`;
const decoder = new TextDecoder();

let lastHeartbeat = null;
let cameras = null; // the CameraView, once connecting
let refreshTimer = null;

/** Store a decision, then read it back as the history shows it (with who decided, in
 * words: the decision's own answer names the credential, which the page never shows). */
async function decide(anomalyId, decision, note) {
  let stored;
  try {
    stored = await api(path(`/anomalies/${encodeURIComponent(anomalyId)}/decision`), {
      method: "POST",
      body: { decision, note },
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      throw new Error("This flag is not stored yet: try again in a few seconds.");
    }
    throw new Error(describeError(error));
  }
  try {
    const history = await api(path("/events"));
    const shown = history.anomalies.find((item) => item.id === anomalyId);
    if (shown && shown.decision) return shown.decision;
  } catch {
    // stored all the same: shown without the label until the next history load
  }
  return { decision: stored.decision, note: stored.note, decided_at: Date.parse(stored.decided_at) / 1000, decided_by: null };
}

const anomalies = new AnomalyList($("#anomalies"), { onDecide: decide });

function fatal(text) {
  showMessage($("#fatal"), "error", text);
  $("#layout").hidden = true;
  $("#header-meta").textContent = "";
}

async function loadHistory() {
  const history = await api(path("/events"));
  for (const anomaly of history.anomalies) anomalies.upsert(anomaly);
}

/** Snapshots are uploaded while the anomaly is being announced: fetch their URLs soon after. */
function refreshHistorySoon() {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => {
    loadHistory().catch(() => {});
  }, 3000);
}

let candidateQuality = null; // LiveKit's word for the candidate's connection; null: not in the room

/** The "Connection" field: LiveKit's connection quality of the candidate, in words. The
 * agent's connection_lost signal is not shown here (it has no measure of its own). */
function renderConnection() {
  const badge = $("#candidate-connection");
  badge.textContent = connectionText(candidateQuality);
  badge.className = `badge ${candidateQuality === null ? "unknown" : CONNECTION_BADGE[candidateQuality] || "unknown"}`;
  badge.dataset.quality = candidateQuality === null ? "absent" : candidateQuality;
}

function setCandidateQuality(quality) {
  candidateQuality = quality;
  renderConnection();
}

function renderSignals(heartbeat) {
  const rows = [];
  for (const [type, signal] of Object.entries(heartbeat.signals || {})) {
    if (type === "connection_lost") continue; // the Connection field above says it, from LiveKit
    rows.push(el("dt", { text: SIGNAL_WORDS[type] || type }));
    rows.push(el("dd", {}, [el("span", { class: `badge ${signal}`, "data-signal": type, text: STATE_WORDS[signal] || signal })]));
  }
  $("#signals").replaceChildren(...rows);
}

let interviewOver = false;

/** The interview has ended (the agent said so in the room's metadata, or the room was
 * closed): say it first, and stop presenting the last signals as the present. */
function showInterviewOver() {
  if (interviewOver) return;
  interviewOver = true;
  showMessage($("#banner"), "info", "The interview is over. The flags below are stored with your decisions; the report appears on the recruiter's page.");
  $("#room-state").textContent = "Interview over";
  $("#layout").dataset.ended = "true";
  const label = $("#heartbeat-age");
  label.textContent = "The interview is over: these were the signals at its end.";
  label.className = "muted small";
}

/** The room's metadata says ``ended`` once the agent has finished the interview. */
function endedIn(metadata) {
  try {
    return Boolean(metadata && JSON.parse(metadata).ended);
  } catch {
    return false;
  }
}

function tickHeartbeatAge() {
  const label = $("#heartbeat-age");
  if (lastHeartbeat === null || interviewOver) return;
  const age = (Date.now() - lastHeartbeat) / 1000;
  if (age > STALE_HEARTBEAT_SECONDS) {
    label.textContent = `No status from the proctoring agent for ${duration(age)}: the signals below may be out of date.`;
    label.className = "small alert warn";
  } else {
    label.textContent = `Updated ${Math.round(age)} s ago.`;
    label.className = "muted small";
  }
}

/** Proctoring data is the agent's word only (its identity is ``agent-<job>``). */
function fromAgent(participant) {
  return Boolean(participant && (participant.isAgent || String(participant.identity).startsWith("agent-")));
}

function onData(payload, participant, kind, topic) {
  if (topic !== TOPIC_ANOMALY && topic !== TOPIC_STATUS) return;
  if (!fromAgent(participant)) return; // never a flag or a judged track from anyone else
  let data;
  try {
    data = JSON.parse(decoder.decode(payload));
  } catch {
    return; // not JSON: ignored
  }
  if (topic === TOPIC_ANOMALY) {
    if (!isAnomalyMessage(data)) return;
    anomalies.upsert(data, { live: true });
    if (!(data.evidence || {}).snapshot_url) refreshHistorySoon();
  } else if (data && typeof data.signals === "object") {
    lastHeartbeat = Date.now();
    renderSignals(data);
    if (cameras) cameras.setJudged(data.judged);
    tickHeartbeatAge();
  }
}

function isCandidate(participant) {
  return String(participant.identity).startsWith("candidate-");
}

async function connect(session) {
  const { Room, RoomEvent, Track } = window.LivekitClient;
  const room = new Room({ adaptiveStream: true });
  const audio = $("#room-audio");
  const sound = $("#sound");
  let muted = false;
  cameras = new CameraView({
    video: $("#candidate-video"),
    label: $("#video-label"),
    others: $("#other-media"),
    list: $("#other-media-list"),
    name: session.interview.candidate_name,
  });
  const applyMute = () => {
    for (const element of audio.querySelectorAll("audio")) element.muted = muted;
    sound.textContent = muted || !room.canPlaybackAudio ? "Turn sound on" : "Turn sound off";
    sound.setAttribute("aria-pressed", String(!muted && room.canPlaybackAudio));
  };
  room
    .on(RoomEvent.DataReceived, onData)
    .on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
      if (track.kind === Track.Kind.Video && isCandidate(participant)) {
        cameras.addCamera(publication.trackSid, track); // shown if it is the judged one
      } else if (track.kind === Track.Kind.Audio) {
        const element = track.attach();
        element.muted = muted;
        audio.append(element);
        if (isCandidate(participant)) cameras.addMicrophone(publication.trackSid);
      }
    })
    .on(RoomEvent.TrackUnsubscribed, (track, publication, participant) => {
      track.detach().forEach((element) => { if (element.tagName === "AUDIO") element.remove(); });
      if (isCandidate(participant)) cameras.remove(publication.trackSid);
    })
    .on(RoomEvent.ParticipantConnected, (participant) => {
      if (isCandidate(participant)) setCandidateQuality(participant.connectionQuality);
    })
    .on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (!isCandidate(participant)) return;
      $("#video-label").textContent = "The candidate has left the room.";
      setCandidateQuality(null);
    })
    .on(RoomEvent.ConnectionQualityChanged, (quality, participant) => {
      if (isCandidate(participant)) setCandidateQuality(quality);
    })
    .on(RoomEvent.AudioPlaybackStatusChanged, applyMute)
    .on(RoomEvent.ConnectionStateChanged, (state) => {
      if (!interviewOver) $("#room-state").textContent = `Room: ${state}`;
      $("#layout").dataset.connection = state;
    })
    .on(RoomEvent.Reconnecting, () => showMessage($("#banner"), "warn", "Connection lost: reconnecting…"))
    .on(RoomEvent.Reconnected, () => clearMessage($("#banner")))
    .on(RoomEvent.RoomMetadataChanged, (metadata) => {
      if (endedIn(metadata)) showInterviewOver();
    })
    .on(RoomEvent.Disconnected, (reason) => {
      const { DisconnectReason } = window.LivekitClient;
      if (interviewOver || reason === DisconnectReason.ROOM_DELETED || reason === DisconnectReason.ROOM_CLOSED) {
        showInterviewOver();
      } else if (reason === DisconnectReason.DUPLICATE_IDENTITY) {
        showMessage($("#banner"), "warn", "This proctor link was opened in another tab or window, so this page has left the room. Use the other one, or reload this page to watch here instead.");
      } else {
        showMessage($("#banner"), "info", "You have left the room. Reload the page to join again.");
      }
    });
  sound.addEventListener("click", async () => {
    if (!room.canPlaybackAudio) {
      await room.startAudio();
      muted = false;
    } else {
      muted = !muted;
    }
    applyMute();
  });
  await room.connect(session.livekit_url, session.livekit_token, { autoSubscribe: true });
  const present = [...room.remoteParticipants.values()].find(isCandidate);
  setCandidateQuality(present ? present.connectionQuality : null);
  $("#room-state").textContent = `Room: ${room.state}`;
  $("#layout").dataset.connection = room.state;
  if (endedIn(room.metadata)) showInterviewOver();
  applyMute();
  window.addEventListener("beforeunload", () => { room.disconnect(); });
}

/** Whether the candidate was verified before joining: said first, in plain words. */
function showIdentity(interview) {
  const box = $("#identity");
  if (interview.identity_verified) {
    showMessage(box, "info", "Identity verified: the candidate's face and voice baseline was accepted before the interview.");
  } else if (interview.status === "created") {
    showMessage(box, "info", "Identity not verified yet: the candidate has not recorded an accepted face and voice baseline so far.");
  } else {
    showMessage(box, "error", "Identity not verified: the candidate joined without an accepted face and voice baseline. The agent compares them with their first seconds in the room (and with the reference photo, if one was given).");
  }
}

async function main() {
  if (!token) {
    fatal("This link is incomplete: open the full proctor link.");
    return;
  }
  let session;
  try {
    session = await api(path("/session"), { method: "POST", body: { role: "proctor" } });
  } catch (error) {
    fatal(describeError(error));
    return;
  }
  $("#header-meta").textContent = `${session.interview.title} · ${session.interview.candidate_name}`;
  document.title = `Proctor: ${session.interview.title} · ProctorAI`;
  showIdentity(session.interview);
  try {
    await loadHistory(); // late joiners: what happened before, first
  } catch (error) {
    showMessage($("#banner"), "warn", `Earlier anomalies could not be loaded: ${describeError(error)}`);
  }
  window.setInterval(tickHeartbeatAge, 1000);
  try {
    await connect(session);
  } catch (error) {
    showMessage($("#banner"), "error", `Could not join the room: ${describeError(error)}. Reload the page to try again.`);
  }
}

main();
