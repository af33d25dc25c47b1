// Small DOM helpers shared by the pages (no framework: the pages are small).

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Build an element: el("li", {class: "x", text: "hi"}, [children]). Text is never parsed as HTML. */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Show a message in a box: kind is error, ok, warn or info; `items` become a list. */
export function showMessage(box, kind, text, items = []) {
  box.replaceChildren();
  if (!text && !items.length) {
    box.hidden = true;
    return;
  }
  box.className = `alert ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  if (text) box.append(el("p", { text, style: "margin:0" }));
  if (items.length) box.append(el("ul", {}, items.map((item) => el("li", { text: item }))));
  box.hidden = false;
}

export function clearMessage(box) {
  showMessage(box, "info", "");
}

/** Say something to screen-reader users through a polite live region. */
export function announce(text) {
  let region = document.getElementById("announcer");
  if (!region) {
    region = el("div", { id: "announcer", class: "visually-hidden", "aria-live": "polite" });
    document.body.append(region);
  }
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** Local clock time of epoch seconds (as on the data channel), e.g. 14:03:27. */
export function clockTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** 75 -> "1 min 15 s". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** 754 -> "12:34". */
export function mmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Copy text to the clipboard; falls back to selecting the input for Ctrl+C. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
    }
    return false;
  }
}
