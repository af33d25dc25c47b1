// Audio level of a MediaStreamTrack (Web Audio AnalyserNode), for meters and visualisers.

/** Follows the loudness of `track`; read `level()` (0..1) or `bars(n)` at any time. */
export class AudioLevel {
  constructor(track) {
    const Context = window.AudioContext || window.webkitAudioContext;
    this.context = new Context();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.analyzer = this.context.createAnalyser();
    this.analyzer.fftSize = 1024;
    this.analyzer.smoothingTimeConstant = 0.6;
    this.source.connect(this.analyzer);
    this.samples = new Float32Array(this.analyzer.fftSize);
    this.spectrum = new Uint8Array(this.analyzer.frequencyBinCount);
  }

  /** Resume after a user gesture (browsers start audio contexts suspended). */
  resume() {
    if (this.context.state === "suspended") return this.context.resume();
    return Promise.resolve();
  }

  /** Root-mean-square level mapped to 0..1 (about -60 dBFS .. 0 dBFS). */
  level() {
    this.analyzer.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const x of this.samples) sum += x * x;
    const rms = Math.sqrt(sum / this.samples.length);
    const dbfs = 20 * Math.log10(rms + 1e-9);
    return Math.min(1, Math.max(0, (dbfs + 60) / 60));
  }

  /** `n` spectrum bars 0..1 over the speech band (to about 4 kHz). */
  bars(n) {
    this.analyzer.getByteFrequencyData(this.spectrum);
    const top = Math.floor(this.spectrum.length * (4000 / (this.context.sampleRate / 2)));
    const per = Math.max(1, Math.floor(top / n));
    const out = [];
    for (let i = 0; i < n; i += 1) {
      let peak = 0;
      for (let j = i * per; j < (i + 1) * per; j += 1) peak = Math.max(peak, this.spectrum[j]);
      out.push(peak / 255);
    }
    return out;
  }

  close() {
    this.source.disconnect();
    this.context.close();
  }
}

/** Draw `level`'s spectrum bars on `canvas` until stop() is called. */
export function drawVisualiser(canvas, level, colour = "#7cc4ff") {
  const context = canvas.getContext("2d");
  let running = true;
  const frame = () => {
    if (!running) return;
    const width = (canvas.width = canvas.clientWidth * window.devicePixelRatio);
    const height = (canvas.height = canvas.clientHeight * window.devicePixelRatio);
    context.clearRect(0, 0, width, height);
    const bars = level.bars(32);
    const step = width / bars.length;
    context.fillStyle = colour;
    bars.forEach((value, i) => {
      const h = Math.max(2, value * height * 0.95);
      context.fillRect(i * step + step * 0.15, (height - h) / 2, step * 0.7, h);
    });
    window.requestAnimationFrame(frame);
  };
  window.requestAnimationFrame(frame);
  return { stop() { running = false; } };
}
