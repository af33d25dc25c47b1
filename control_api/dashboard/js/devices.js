// Camera and microphone access, with help in plain words when it fails.

/** Why getUserMedia failed, and what the candidate can do about it. */
export function explainMediaError(error) {
  const name = error && error.name;
  if (!window.isSecureContext || !navigator.mediaDevices) {
    return {
      title: "This page cannot use your camera here.",
      help: [
        "Browsers only allow the camera on secure pages: open the link exactly as you received it (it starts with https://).",
      ],
    };
  }
  if (name === "NotAllowedError" || name === "SecurityError") {
    return {
      title: "You (or your browser) blocked the camera or microphone.",
      help: [
        "Click the camera icon or the lock at the left of the address bar and choose Allow for the camera and the microphone.",
        "On a phone: open the browser's site settings and allow the camera and microphone for this site.",
        "Then press “Try again”.",
      ],
    };
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
    return {
      title: "No camera or microphone was found.",
      help: [
        "Plug in a webcam and a microphone (or a headset), or use a laptop or phone that has them.",
        "If they are plugged in, check that your system has not turned them off, then press “Try again”.",
      ],
    };
  }
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
    return {
      title: "Your camera or microphone is busy.",
      help: [
        "Close other programs that may be using it (video calls, other browser tabs), then press “Try again”.",
      ],
    };
  }
  return {
    title: "The camera or microphone could not be started.",
    help: ["Reload the page and try again; if it keeps failing, try another browser (Chrome, Edge, Firefox or Safari)."],
  };
}

/** Open the camera (about 640x480, facing the user) and the microphone together. */
export async function openCameraAndMicrophone() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const error = new Error("no mediaDevices");
    error.name = "InsecureContext";
    throw error;
  }
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
}

/** Stop every track of a stream (releases the camera light). */
export function stopStream(stream) {
  if (stream) stream.getTracks().forEach((track) => track.stop());
}
