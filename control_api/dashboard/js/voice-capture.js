// Baseline voice: a short passage read aloud, recorded with MediaRecorder.

/** The best recording format this browser offers that the API decodes. */
export function recorderMimeType() {
  const candidates = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
  return candidates.find((type) => window.MediaRecorder && MediaRecorder.isTypeSupported(type)) || "";
}

export function fileNameFor(mimeType) {
  if (mimeType.startsWith("audio/ogg")) return "reading.ogg";
  if (mimeType.startsWith("audio/mp4")) return "reading.m4a";
  return "reading.webm";
}

/**
 * Record `track` for `seconds` (or until stop()); `onTick(elapsed)` every 100 ms.
 * Resolves to the recording as a Blob.
 */
export function recordVoice(track, seconds, onTick) {
  const mimeType = recorderMimeType();
  const recorder = new MediaRecorder(new MediaStream([track]), mimeType ? { mimeType } : undefined);
  const chunks = [];
  let timer = null;
  const started = performance.now();
  const done = new Promise((resolve, reject) => {
    recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
    recorder.onerror = (event) => reject(event.error || new Error("recording failed"));
    recorder.onstop = () => {
      window.clearInterval(timer);
      resolve(new Blob(chunks, { type: recorder.mimeType || mimeType || "audio/webm" }));
    };
  });
  recorder.start(250);
  timer = window.setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    if (onTick) onTick(elapsed);
    if (elapsed >= seconds && recorder.state === "recording") recorder.stop();
  }, 100);
  return {
    done,
    mimeType: recorder.mimeType || mimeType,
    elapsed: () => (performance.now() - started) / 1000,
    stop: () => { if (recorder.state === "recording") recorder.stop(); },
  };
}
