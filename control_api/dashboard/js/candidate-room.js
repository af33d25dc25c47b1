// The candidate in the interview room: publish camera and microphone, hear the
// interviewer (with a visualiser and captions), see the time left, leave cleanly.
// No data-channel handler is registered here: proctoring data is never handled.

import { $, showMessage, clearMessage, mmss } from "./ui.js";
import { AudioLevel, drawVisualiser } from "./level-meter.js";

const TRANSCRIPTION_TOPIC = "lk.transcription";

function isInterviewer(participant) {
  return Boolean(participant && (participant.isAgent || String(participant.identity).startsWith("agent-")));
}

/**
 * Connect with the session's LiveKit token, publish camera and microphone, and run the
 * room page until the interview ends; `onEnd(text)` is called once, with the end message.
 * `hasEnded()` asks the API whether the interview is over (the agent's word is final).
 */
export async function joinInterviewRoom(session, { onEnd, hasEnded }) {
  const { Room, RoomEvent, Track, DisconnectReason } = window.LivekitClient;
  const room = new Room({ adaptiveStream: true, dynacast: true, stopLocalTrackOnUnpublish: true });
  const banner = $("#room-banner");
  const stateText = $("#interviewer-state");
  const captions = $("#captions");
  let visualiser = null;
  let level = null;
  let timer = null;
  let ended = false;

  const finish = async (text) => {
    if (ended) return;
    ended = true;
    window.clearInterval(timer);
    if (visualiser) visualiser.stop();
    if (level) level.close();
    await room.disconnect();
    onEnd(text);
  };

  const startClock = () => {
    if (timer) return;
    const endsAt = Date.now() + session.interview.duration_minutes * 60 * 1000;
    const tick = () => { $("#time-left").textContent = mmss((endsAt - Date.now()) / 1000); };
    tick();
    timer = window.setInterval(tick, 1000);
  };

  // When the interviewer's voice goes away it has usually finished: the API confirms it
  // (the agent reports completion just after), and only then does the page end.
  let confirming = false;
  const confirmEnd = async () => {
    if (confirming || ended) return;
    confirming = true;
    stateText.textContent = "The interviewer has finished speaking.";
    for (let attempt = 0; attempt < 12 && !ended; attempt += 1) {
      if (await hasEnded()) {
        finish("The interview is complete. Thank you for your time: your camera and microphone are now off, and you can close this page.");
        return;
      }
      await new Promise((resolve) => window.setTimeout(resolve, 5000)); // within the link's rate limit
    }
    confirming = false;
  };

  const interviewerArrived = () => {
    stateText.textContent = "The interviewer is here. Listen, then answer aloud.";
    startClock();
  };

  room
    .on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
      if (track.kind !== Track.Kind.Audio) return;
      const element = track.attach();
      element.dataset.identity = participant.identity;
      $("#room-audio").append(element);
      if (isInterviewer(participant)) {
        interviewerArrived();
        if (visualiser) visualiser.stop();
        if (level) level.close();
        level = new AudioLevel(track.mediaStreamTrack);
        level.resume();
        visualiser = drawVisualiser($("#visualiser"), level);
      }
    })
    .on(RoomEvent.TrackUnsubscribed, (track, publication, participant) => {
      track.detach().forEach((element) => element.remove());
      if (track.kind === Track.Kind.Audio && isInterviewer(participant)) confirmEnd();
    })
    .on(RoomEvent.ParticipantConnected, (participant) => {
      if (isInterviewer(participant)) interviewerArrived();
    })
    .on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (isInterviewer(participant)) confirmEnd();
    })
    .on(RoomEvent.AudioPlaybackStatusChanged, () => {
      $("#enable-audio").hidden = room.canPlaybackAudio;
    })
    .on(RoomEvent.ConnectionStateChanged, (connection) => {
      $("#step-room").dataset.connection = connection;
    })
    .on(RoomEvent.Reconnecting, () => {
      showMessage(banner, "warn", "Your connection dropped: reconnecting…");
    })
    .on(RoomEvent.Reconnected, () => {
      clearMessage(banner);
    })
    .on(RoomEvent.Disconnected, (reason) => {
      if (ended) return;
      const words = {
        [DisconnectReason.DUPLICATE_IDENTITY]: "You joined this interview from another tab or device, so this page has left it.",
        // the recruiter issued new links (this one was replaced): they send the new one
        [DisconnectReason.PARTICIPANT_REMOVED]: "This link was replaced by the recruiter, so this page has left the interview. Open the new link they send you to continue.",
      };
      finish(words[reason] || "The interview is over. Thank you for your time: your camera and microphone are now off, and you can close this page.");
    });

  // Captions: the interviewer's speech as text, when the agent sends transcriptions.
  room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, async (reader, participantInfo) => {
    if (participantInfo.identity === room.localParticipant.identity) return;
    let text = "";
    captions.hidden = false;
    for await (const chunk of reader) {
      text += chunk;
      captions.textContent = text;
    }
  });

  $("#enable-audio").onclick = async () => {
    await room.startAudio();
    if (level) level.resume();
  };
  $("#leave").onclick = () => {
    if (window.confirm("Leave the interview now? You may not be able to come back.")) {
      finish("You left the interview. Thank you for your time: you can close this page.");
    }
  };

  await room.connect(session.livekit_url, session.livekit_token);
  $("#step-room").dataset.connection = room.state;
  try {
    await room.localParticipant.enableCameraAndMicrophone();
  } catch (error) {
    await room.disconnect();
    throw error;
  }
  const camera = room.localParticipant.getTrackPublication(Track.Source.Camera);
  if (camera && camera.track) camera.track.attach($("#self-video"));
  await room.startAudio().catch(() => {});
  $("#enable-audio").hidden = room.canPlaybackAudio;
  for (const participant of room.remoteParticipants.values()) {
    if (isInterviewer(participant)) interviewerArrived();
  }
  window.addEventListener("beforeunload", () => { room.disconnect(); });
  return room;
}
