// Baseline face photos: live feedback on light and framing, then a few canvas captures.

const SAMPLE_WIDTH = 160;
const SAMPLE_HEIGHT = 120;

/**
 * Light and framing of the current video frame, measured on a small copy:
 * mean luminance (Rec. 709) of the whole picture, contrast (standard deviation) of
 * the centre where the face should be, and, where the browser has a face detector
 * (the Shape Detection API), how many faces are in view and whether one is centred.
 */
export class FrameInspector {
  constructor(video) {
    this.video = video;
    this.canvas = document.createElement("canvas");
    this.canvas.width = SAMPLE_WIDTH;
    this.canvas.height = SAMPLE_HEIGHT;
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.detector = "FaceDetector" in window ? new window.FaceDetector({ fastMode: true, maxDetectedFaces: 3 }) : null;
  }

  async inspect() {
    if (!this.video.videoWidth) return null;
    this.context.drawImage(this.video, 0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
    const { data } = this.context.getImageData(0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
    let total = 0;
    const centre = [];
    for (let y = 0; y < SAMPLE_HEIGHT; y += 1) {
      for (let x = 0; x < SAMPLE_WIDTH; x += 1) {
        const i = (y * SAMPLE_WIDTH + x) * 4;
        const luma = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
        total += luma;
        if (x > SAMPLE_WIDTH * 0.3 && x < SAMPLE_WIDTH * 0.7 && y > SAMPLE_HEIGHT * 0.15 && y < SAMPLE_HEIGHT * 0.8) centre.push(luma);
      }
    }
    const luminance = total / (SAMPLE_WIDTH * SAMPLE_HEIGHT);
    const centreMean = centre.reduce((a, b) => a + b, 0) / centre.length;
    const contrast = Math.sqrt(centre.reduce((a, b) => a + (b - centreMean) ** 2, 0) / centre.length);
    let faces = null;
    let centred = null;
    if (this.detector) {
      try {
        const found = await this.detector.detect(this.video);
        faces = found.length;
        if (faces === 1) {
          const box = found[0].boundingBox;
          const cx = (box.x + box.width / 2) / this.video.videoWidth;
          const size = box.width / this.video.videoWidth;
          centred = Math.abs(cx - 0.5) < 0.2 && size > 0.15;
        }
      } catch {
        this.detector = null; // not supported on this platform after all
      }
    }
    return { luminance, contrast, faces, centred };
  }
}

/** Plain-words feedback for a measurement: [{ok, text}], and whether it looks usable. */
export function feedbackFor(m) {
  const items = [];
  if (m.luminance < 50) items.push({ ok: false, text: "Too dark: turn on a light in front of you." });
  else if (m.luminance > 215) items.push({ ok: false, text: "Too bright: move away from strong light behind or on you." });
  else items.push({ ok: true, text: "Light is good." });
  if (m.contrast < 12) items.push({ ok: false, text: "We cannot make out a face in the middle: sit in front of the camera, inside the oval." });
  else if (m.faces === 0) items.push({ ok: false, text: "No face in view: sit in front of the camera." });
  else if (m.faces !== null && m.faces > 1) items.push({ ok: false, text: "More than one face is in view: please be alone in the picture." });
  else if (m.centred === false) items.push({ ok: false, text: "Move so that your face is inside the oval, not too far from the camera." });
  else items.push({ ok: true, text: "Keep your face inside the oval, looking at the screen." });
  return { items, good: items.every((item) => item.ok) };
}

/** Resolve once the video has a picture (a camera just attached has none yet). */
export function videoReady(video, timeoutMs = 5000) {
  if (video.videoWidth) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(() => reject(new Error("the camera shows no picture")), timeoutMs);
    video.addEventListener("loadeddata", () => { window.clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** One full-size JPEG of the current frame. */
export async function captureJpeg(video, quality = 0.92) {
  await videoReady(video);
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("capture failed"))), "image/jpeg", quality);
  });
}

/** `count` photos `gapMs` apart (small head movements between them help enrollment). */
export async function capturePhotos(video, count, gapMs, onEach) {
  const photos = [];
  for (let i = 0; i < count; i += 1) {
    if (i > 0) await new Promise((r) => window.setTimeout(r, gapMs));
    const blob = await captureJpeg(video);
    photos.push(blob);
    if (onEach) onEach(i, blob);
  }
  return photos;
}
