// Which of the candidate's cameras the proctor's main video shows.
//
// The candidate may publish several cameras (and microphones). The agent judges one of
// each and names their track sids in every heartbeat; the main video shows that camera,
// never simply the one received last, so the proctor looks at the feed the flags are
// about. Every other camera (and microphone) is listed under the main video as not
// checked by the agent: the proctor may still look at it, knowing no flag is about it.
// Until a heartbeat names the judged camera (or with an agent too old to name it), the
// first camera received is shown.

import { el } from "./ui.js";

export class CameraView {
  /**
   * @param {{video: HTMLVideoElement, label: HTMLElement, others: HTMLElement,
   *          list: HTMLElement, name: string}} parts
   */
  constructor({ video, label, others, list, name }) {
    this.video = video;
    this.label = label;
    this.others = others;
    this.list = list;
    this.name = name;
    this.cameras = new Map(); // sid -> track, in the order received
    this.microphones = new Set(); // sids
    this.judged = null; // {camera, microphone} from the last heartbeat, null: not named yet
    this.shown = null; // sid attached to the main video
    this.items = new Map(); // sid -> list item of an other camera or microphone
  }

  addCamera(sid, track) {
    this.cameras.set(sid, track);
    this.render();
  }

  addMicrophone(sid) {
    this.microphones.add(sid);
    this.render();
  }

  /** A camera or microphone track is gone (unsubscribed, unpublished). */
  remove(sid) {
    const track = this.cameras.get(sid);
    if (track) {
      track.detach();
      this.cameras.delete(sid);
      if (this.shown === sid) this.shown = null;
    }
    this.microphones.delete(sid);
    this.render();
    if (track && !this.cameras.size) this.label.textContent = "The candidate's camera is off.";
  }

  /** The heartbeat's `judged` ({camera, microphone} track sids), when it has one. */
  setJudged(judged) {
    const next = judged && typeof judged === "object" ? { camera: judged.camera || null, microphone: judged.microphone || null } : null;
    if (JSON.stringify(next) === JSON.stringify(this.judged)) return;
    this.judged = next;
    this.render();
  }

  mainSid() {
    const named = this.judged && this.judged.camera;
    if (named) return this.cameras.has(named) ? named : null;
    return this.cameras.keys().next().value ?? null;
  }

  render() {
    const main = this.mainSid();
    if (main !== this.shown) {
      if (this.shown && this.cameras.has(this.shown)) this.cameras.get(this.shown).detach(this.video);
      this.shown = main;
      if (main) {
        this.dropItem(main); // it was listed as another camera
        this.cameras.get(main).attach(this.video);
        this.video.dataset.trackSid = main;
      } else {
        this.video.srcObject = null;
        delete this.video.dataset.trackSid;
      }
    }
    // (no camera at all: the page's own words stay, e.g. "The candidate has left the room.")
    if (main) this.label.textContent = this.name;
    else if (this.cameras.size) this.label.textContent = "Waiting for the camera the agent checks…";
    this.renderOthers(main);
  }

  renderOthers(main) {
    const named = Boolean(this.judged);
    const wanted = new Map();
    for (const [sid, track] of this.cameras) if (sid !== main) wanted.set(sid, track);
    const judgedMic = this.judged && this.judged.microphone;
    for (const sid of this.microphones) if (named && sid !== judgedMic) wanted.set(sid, null);
    for (const sid of [...this.items.keys()]) if (!wanted.has(sid)) this.dropItem(sid);
    for (const [sid, track] of wanted) {
      const words = track
        ? named ? "Another camera: not checked by the agent." : "Another camera: the agent has not said yet which camera it checks."
        : "Another microphone: not checked by the agent (you hear it with the others).";
      let item = this.items.get(sid);
      if (!item) {
        const children = [el("p", { class: "small", style: "margin:0.25rem 0" })];
        if (track) {
          const video = el("video", { autoplay: true, playsinline: true, muted: true, "data-track-sid": sid, "aria-label": "Another camera of the candidate" });
          video.muted = true;
          track.attach(video);
          children.unshift(el("div", { class: "video-box", style: "max-width:240px" }, [video]));
        }
        item = el("li", { "data-track-sid": sid }, children);
        this.items.set(sid, item);
        this.list.append(item);
      }
      item.querySelector("p").textContent = words;
    }
    this.others.hidden = this.items.size === 0;
  }

  dropItem(sid) {
    const item = this.items.get(sid);
    if (!item) return;
    const video = item.querySelector("video");
    const track = this.cameras.get(sid);
    if (video && track) track.detach(video);
    item.remove();
    this.items.delete(sid);
  }
}
