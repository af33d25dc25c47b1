// The candidate's page: consent, device check, baseline (photos, voice), then the room.
// It never handles proctoring data: it registers no data-channel handler at all.

import { api, ApiError, describeError, linkTokenFromPath } from "./api.js";
import { $, $$, el, showMessage, clearMessage, announce } from "./ui.js";
import { explainMediaError, openCameraAndMicrophone, stopStream } from "./devices.js";
import { AudioLevel } from "./level-meter.js";
import { FrameInspector, feedbackFor, capturePhotos } from "./face-capture.js";
import { recordVoice, fileNameFor } from "./voice-capture.js";
import { joinInterviewRoom } from "./candidate-room.js";
import { FINISHED_STATUSES } from "./contracts.js";

const token = linkTokenFromPath();
const PHOTO_COUNT = 4;
const PHOTO_GAP_MS = 900;
const READING_SECONDS = 15;
const MIN_READING_SECONDS = 10;

const state = { stream: null, level: null, levelTimer: null, inspectTimer: null, faceDone: false, voiceDone: false };
const STEP_OF = { consent: "consent", devices: "devices", photos: "photos", voice: "voice", ready: "room", room: "room", end: "room" };

function goTo(step) {
  for (const section of $$("main > section")) section.hidden = section.id !== `step-${step}`;
  const current = STEP_OF[step];
  let passed = true;
  for (const item of $$("ol.steps li")) {
    if (item.dataset.step === current) {
      item.setAttribute("aria-current", "step");
      passed = step === "end";
      item.classList.toggle("done", passed);
    } else {
      item.removeAttribute("aria-current");
      item.classList.toggle("done", passed);
    }
  }
  const heading = $(`#step-${step} h2`);
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function fatal(text) {
  showMessage($("#fatal"), "error", text);
  for (const section of $$("main > section")) section.hidden = true;
}

// --- 1. consent -------------------------------------------------------------------

$("#consent").addEventListener("change", (event) => {
  $("#consent-continue").disabled = !event.target.checked;
});
$("#consent-continue").addEventListener("click", () => goTo("devices"));

// --- 2. camera and microphone ------------------------------------------------------

function startLevelMeter(meter, hint) {
  stopLevelMeter();
  const track = state.stream.getAudioTracks()[0];
  state.level = new AudioLevel(track);
  state.level.resume();
  let heard = false;
  state.levelTimer = window.setInterval(() => {
    const value = state.level.level();
    meter.value = value;
    meter.textContent = value.toFixed(2);
    if (hint && value > 0.3 && !heard) {
      heard = true;
      hint.textContent = "We can hear you.";
    }
  }, 100);
}

function stopLevelMeter() {
  window.clearInterval(state.levelTimer);
  if (state.level) state.level.close();
  state.level = null;
}

async function startDevices() {
  const box = $("#devices-message");
  clearMessage(box);
  $("#devices-start").disabled = true;
  try {
    state.stream = await openCameraAndMicrophone();
  } catch (error) {
    const { title, help } = explainMediaError(error);
    showMessage(box, "error", title, help);
    $("#devices-start").textContent = "Try again";
    $("#devices-start").disabled = false;
    return;
  }
  const hasVideo = state.stream.getVideoTracks().length > 0;
  const hasAudio = state.stream.getAudioTracks().length > 0;
  if (!hasVideo || !hasAudio) {
    showMessage(box, "error", hasVideo ? "No microphone was found." : "No camera was found.", [
      "Plug one in, or use a device that has both, then press “Try again”.",
    ]);
    stopStream(state.stream);
    $("#devices-start").textContent = "Try again";
    $("#devices-start").disabled = false;
    return;
  }
  $("#check-video").srcObject = state.stream;
  startLevelMeter($("#check-level"), $("#check-level-hint"));
  $("#check-level-hint").textContent = "Say a few words: the bar should move.";
  showMessage(box, "ok", "Your camera and microphone are on.");
  $("#devices-start").hidden = true;
  $("#devices-continue").disabled = false;
  $("#devices-continue").focus();
}

$("#devices-start").addEventListener("click", startDevices);
$("#devices-continue").addEventListener("click", () => {
  stopLevelMeter();
  goTo("photos");
  startPhotoStep();
});

// --- 3. photos ---------------------------------------------------------------------

function startPhotoStep() {
  const video = $("#photo-video");
  video.srcObject = state.stream;
  const inspector = new FrameInspector(video);
  const list = $("#photo-feedback");
  let busy = false;
  state.inspectTimer = window.setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const measured = await inspector.inspect();
      if (!measured) return;
      const { items, good } = feedbackFor(measured);
      list.replaceChildren(...items.map((item) => el("li", { class: item.ok ? "ok" : "bad", text: item.text })));
      $("#photo-oval").classList.toggle("good", good);
    } finally {
      busy = false;
    }
  }, 400);
}

async function takePhotos() {
  const box = $("#photos-message");
  const thumbs = $("#photo-thumbs");
  clearMessage(box);
  hideAdvice();
  thumbs.replaceChildren();
  $("#photos-take").disabled = true;
  announce("Taking photos: hold still.");
  const video = $("#photo-video");
  let photos;
  try {
    photos = await capturePhotos(video, PHOTO_COUNT, PHOTO_GAP_MS, (i, blob) => {
      thumbs.append(el("figure", { "data-index": i }, [
        el("img", { src: URL.createObjectURL(blob), alt: `Photo ${i + 1}` }),
        el("figcaption", { text: `Photo ${i + 1}` }),
      ]));
    });
  } catch {
    showMessage(box, "error", "We could not take the photos: your camera shows no picture.", [
      "Check that the camera is on and not used by another app, then try again.",
    ]);
    $("#photos-take").disabled = false;
    return;
  }
  showMessage(box, "info", "Checking your photos…");
  const form = new FormData();
  photos.forEach((blob, i) => form.append("photos", blob, `photo-${i + 1}.jpg`));
  try {
    const result = await api(`/links/${encodeURIComponent(token)}/baseline/face`, { method: "POST", body: form });
    markFrames(thumbs, result.frames);
    state.faceDone = true;
    const advice = adviceOf(result);
    if (advice.length) {
      // Accepted, but the live check would often be unsure: say what to change, and
      // let the candidate retake the photos or go on as they are.
      clearMessage(box);
      showAdvice(advice);
      return;
    }
    showMessage(box, "ok", "Your photos are recorded.");
    announce("Your photos are recorded.");
    window.setTimeout(leavePhotoStep, 600);
  } catch (error) {
    if (await handleStartedInterview(error)) return;
    const body = error instanceof ApiError && error.body ? error.body : null;
    const reasons = body && Array.isArray(body.reasons) ? body.reasons : [];
    if (body) markFrames(thumbs, body.frames || []);
    // The set-up advice says what made the photos unusable, and what to do about it.
    const items = [...reasons, ...adviceOf(body)];
    showMessage(box, "error", reasons.length ? "These photos cannot be used:" : describeError(error), items);
    $("#photos-take").textContent = "Take the photos again";
    $("#photos-take").disabled = false;
  }
}

/** The set-up advice of a baseline answer, as plain sentences (never a verdict). */
function adviceOf(body) {
  if (!body || !Array.isArray(body.advice)) return [];
  return body.advice.map((item) => item && item.message).filter((text) => typeof text === "string" && text);
}

function showAdvice(messages) {
  $("#photo-advice-list").replaceChildren(...messages.map((text) => el("li", { text })));
  $("#photo-advice").hidden = false;
  $("#photos-actions").hidden = true;
  $("#photos-retake").focus();
}

function hideAdvice() {
  $("#photo-advice").hidden = true;
  $("#photo-advice-list").replaceChildren();
  $("#photos-actions").hidden = false;
}

function leavePhotoStep() {
  window.clearInterval(state.inspectTimer);
  goTo("voice");
}

function markFrames(thumbs, frames) {
  for (const frame of frames || []) {
    const figure = thumbs.querySelector(`figure[data-index="${frame.index}"]`);
    if (!figure) continue;
    figure.classList.add(frame.accepted ? "accepted" : "rejected");
    if (!frame.accepted && frame.reason) figure.querySelector("figcaption").textContent = `Photo ${frame.index + 1}: ${frame.reason}`;
  }
}

$("#photos-take").addEventListener("click", takePhotos);
$("#photos-retake").addEventListener("click", takePhotos);
$("#photos-continue").addEventListener("click", () => {
  hideAdvice();
  leavePhotoStep();
});

// --- 4. voice ----------------------------------------------------------------------

async function readAloud() {
  const box = $("#voice-message");
  clearMessage(box);
  const start = $("#voice-start");
  const stop = $("#voice-stop");
  start.disabled = true;
  const track = state.stream.getAudioTracks()[0];
  startLevelMeter($("#voice-level"));
  const progress = $("#voice-progress");
  const status = $("#voice-status");
  status.textContent = "Recording: read the passage aloud.";
  const recording = recordVoice(track, READING_SECONDS, (elapsed) => {
    progress.value = Math.min(READING_SECONDS, elapsed);
    progress.textContent = `${Math.floor(elapsed)} s`;
    stop.disabled = elapsed < MIN_READING_SECONDS;
  });
  stop.onclick = () => recording.stop();
  const audio = await recording.done;
  stop.disabled = true;
  stopLevelMeter();
  status.textContent = "Checking your recording…";
  const form = new FormData();
  form.append("audio", audio, fileNameFor(recording.mimeType));
  try {
    const result = await api(`/links/${encodeURIComponent(token)}/baseline/voice`, { method: "POST", body: form });
    state.voiceDone = true;
    status.textContent = "Your voice is recorded.";
    showMessage(box, "ok", "Your voice is recorded.");
    if (result.ready || state.faceDone) finishBaseline();
  } catch (error) {
    if (await handleStartedInterview(error)) return;
    const reasons = error instanceof ApiError && error.body && Array.isArray(error.body.reasons) ? error.body.reasons : [];
    status.textContent = "Not recorded.";
    showMessage(box, "error", reasons.length ? "This recording cannot be used:" : describeError(error), reasons);
    start.textContent = "Read again";
    start.disabled = false;
  }
}

$("#voice-start").addEventListener("click", readAloud);

function finishBaseline() {
  // The room publishes fresh tracks: release the check stream (and the camera light).
  stopStream(state.stream);
  state.stream = null;
  goTo("ready");
}

/**
 * A 409 while recording the baseline means the interview has started (a reload, or a
 * second tab) or is over: the session endpoint says which, and the page moves on.
 */
async function handleStartedInterview(error) {
  if (!(error instanceof ApiError) || error.status !== 409) return false;
  try {
    await api(`/links/${encodeURIComponent(token)}/session`, { method: "POST", body: { role: "candidate" } });
  } catch (sessionError) {
    fatal(describeError(sessionError));
    return true;
  }
  stopStream(state.stream);
  state.stream = null;
  goTo("ready");
  showMessage($("#ready-message"), "info", "Your interview has already started: join it again.");
  return true;
}

// --- 5. the room -------------------------------------------------------------------

async function join() {
  const box = $("#ready-message");
  clearMessage(box);
  $("#join").disabled = true;
  let session;
  try {
    session = await api(`/links/${encodeURIComponent(token)}/session`, { method: "POST", body: { role: "candidate" } });
  } catch (error) {
    showMessage(box, "error", describeError(error));
    $("#join").disabled = false;
    return;
  }
  $("#header-meta").textContent = session.interview.title;
  goTo("room");
  try {
    await joinInterviewRoom(session, {
      hasEnded,
      onEnd: (text) => {
        if (text) $("#end-text").textContent = text;
        goTo("end");
      },
    });
  } catch (error) {
    goTo("ready");
    const { title, help } = error instanceof DOMException
      ? explainMediaError(error)
      : { title: `Could not join the interview: ${describeError(error)}`, help: [] };
    showMessage(box, "error", title, help);
    $("#join").disabled = false;
  }
}

$("#join").addEventListener("click", join);

/** True once the API says the interview is over (its session answer is then 409 or 410). */
async function hasEnded() {
  try {
    await api(`/links/${encodeURIComponent(token)}/session`, { method: "POST", body: { role: "candidate" } });
    return false;
  } catch (error) {
    return error instanceof ApiError && (error.status === 409 || error.status === 410);
  }
}

/**
 * Before consent, camera and photos: is there an interview to prepare for? A cancelled
 * one (410), a replaced or expired link (401) or an ended interview is said at once.
 */
function closedLink(text) {
  fatal(text);
  $(".steps").hidden = true;  // no step to take
}

async function openLink() {
  let link;
  try {
    link = await api(`/links/${encodeURIComponent(token)}`);
  } catch (error) {
    const cancelled = error instanceof ApiError && error.status === 410;
    closedLink(cancelled
      ? "This interview was cancelled by the recruiter, so there is nothing to prepare. If you have questions, reply to the email that brought you this link."
      : describeError(error));
    return;
  }
  if (FINISHED_STATUSES.includes(link.status)) {  // cancelled is a 410, answered above
    closedLink("This interview has ended: there is nothing more to do here. Thank you.");
    return;
  }
  $("#header-meta").textContent = link.title;
  goTo("consent");
}

if (!token) fatal("This link is incomplete: open the full link you received by email.");
else openLink();
