// Plain words for what the proctoring agent reports.

export const ANOMALY_WORDS = {
  face_mismatch: "Different person on camera",
  multiple_faces: "More than one face in view",
  no_face: "No face in view",
  voice_mismatch: "Voice does not match",
  second_speaker: "Another voice heard",
  camera_off: "Camera turned off",
  mic_off: "Microphone turned off",
  candidate_left: "Candidate left the room",
  connection_lost: "Candidate's connection lost",
  extra_camera: "Another camera published",
  extra_microphone: "Another microphone published",
};

export const SIGNAL_WORDS = {
  face_mismatch: "Same person",
  multiple_faces: "Alone in view",
  no_face: "Face in view",
  voice_mismatch: "Same voice",
  second_speaker: "Single speaker",
  camera_off: "Camera on",
  mic_off: "Microphone on",
  candidate_left: "Candidate present",
  connection_lost: "Connection",
  extra_camera: "One camera",
  extra_microphone: "One microphone",
};

export const STATE_WORDS = {
  clean: "OK",
  anomalous: "Problem",
  uncertain: "Unclear",
  unknown: "No data",
};

/** LiveKit's connection quality of the candidate (livekit-client ConnectionQuality), in
 * words, and the badge colour each gets. */
export const CONNECTION_WORDS = {
  excellent: "excellent",
  good: "good",
  poor: "poor",
  lost: "lost",
  unknown: "not measured yet",
};

export const CONNECTION_BADGE = {
  excellent: "clean",
  good: "clean",
  poor: "uncertain",
  lost: "anomalous",
  unknown: "unknown",
};

/** What the proctor reads about the candidate's connection; `quality` null: not in the room. */
export function connectionText(quality) {
  if (quality === null) return "Candidate not in the room";
  return `Candidate connection: ${CONNECTION_WORDS[quality] || quality}`;
}

export const SEVERITY_WORDS = { low: "Low", medium: "Medium", high: "High" };

export function anomalyTitle(type) {
  return ANOMALY_WORDS[type] || String(type).replaceAll("_", " ");
}
