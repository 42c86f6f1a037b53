// Pure rendering helpers: formatted text, money, time. Everything the bot sends is untrusted,
// so text only ever reaches the DOM through text nodes or through freshly created whitelisted
// elements — never through innerHTML.

const SAFE_SCHEMES = ["http:", "https:", "tg:", "mailto:", "tel:"];

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function safeUrl(raw) {
  if (typeof raw !== "string" || raw === "") return null;
  let candidate = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:/i.test(candidate)) candidate = "https://" + candidate;
  try {
    const url = new URL(candidate);
    return SAFE_SCHEMES.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function link(href, cls) {
  const url = safeUrl(href);
  if (url === null) return el("span", { class: cls });
  return el("a", { class: cls, href: url, target: "_blank", rel: "noopener noreferrer" });
}

function elementFor(entity, slice) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "spoiler": return spoiler();
    case "code": return el("code");
    case "pre": return el("pre", { class: entity.language ? "lang-" + entity.language : null });
    case "blockquote": return el("blockquote");
    case "expandable_blockquote": return el("blockquote", { class: "expandable" });
    case "text_link": return link(entity.url, "text-link");
    case "url": return link(slice, "text-link");
    case "email": return link("mailto:" + slice, "text-link");
    case "phone_number": return link("tel:" + slice.replace(/[^+\d]/g, ""), "text-link");
    case "bot_command": return el("a", { class: "bot-command", href: "#", dataset: { command: slice } });
    case "mention":
    case "text_mention":
    case "hashtag":
    case "cashtag":
      return el("span", { class: "mention" });
    default:
      return el("span", { class: "entity-" + String(entity.type).replace(/[^a-z_]/g, "") });
  }
}

function spoiler() {
  const node = el("span", { class: "spoiler" });
  node.addEventListener("click", () => node.classList.add("revealed"));
  return node;
}

// Telegram entity offsets count UTF-16 code units, which is exactly how JS strings index.
export function renderEntities(text, entities) {
  const fragment = document.createDocumentFragment();
  const list = (entities || [])
    .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .map((e) => ({ ...e }))
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(fragment, text, 0, text.length, list);
  return fragment;
}

function build(parent, text, start, end, entities) {
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const from = Math.max(entity.offset, pos);
    const to = Math.min(entity.offset + entity.length, end);
    i += 1;
    if (to <= from) continue;
    if (from > pos) parent.append(text.slice(pos, from));
    const inner = [];
    while (i < entities.length && entities[i].offset < to) {
      const child = entities[i];
      // Overlapping (not nested) entities are clipped to the parent; Telegram clients do the same.
      inner.push({ ...child, length: Math.min(child.offset + child.length, to) - child.offset });
      i += 1;
    }
    const node = elementFor(entity, text.slice(from, to));
    build(node, text, from, to, inner);
    parent.append(node);
    pos = to;
  }
  if (pos < end) parent.append(text.slice(pos, end));
}

const HTML_TAGS = {
  b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s", del: "s",
  code: "code", pre: "pre", blockquote: "blockquote", "tg-spoiler": "spoiler", "tg-emoji": "span",
};

// Fallback for messages stored with parse_mode=HTML but without entities: the browser parses the
// markup inertly and only whitelisted tags are re-created; every attribute except a checked href is dropped.
export function renderTelegramHtml(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const fragment = document.createDocumentFragment();
  copyClean(doc.body, fragment);
  return fragment;
}

function copyClean(source, target) {
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      target.append(node.textContent);
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = node.tagName.toLowerCase();
    let clean;
    if (tag === "a") clean = link(node.getAttribute("href") || "", "text-link");
    else if (tag === "span" && node.classList.contains("tg-spoiler")) clean = spoiler();
    else if (HTML_TAGS[tag] === "spoiler") clean = spoiler();
    else if (HTML_TAGS[tag]) clean = el(HTML_TAGS[tag]);
    else if (tag === "br") { target.append("\n"); continue; }
    else clean = document.createDocumentFragment();
    copyClean(node, clean);
    target.append(clean);
  }
}

function unescapeMarkdownV2(text) {
  return text.replace(/\\([_*[\]()~`>#+\-=|{}.!\\])/g, "$1");
}

export function renderFormatted(text, entities, parseMode) {
  if (!text) return document.createDocumentFragment();
  if (entities && entities.length) return renderEntities(text, entities);
  const mode = String(parseMode || "").toLowerCase();
  if (mode === "html") return renderTelegramHtml(text);
  const fragment = document.createDocumentFragment();
  fragment.append(mode === "markdownv2" ? unescapeMarkdownV2(text) : text);
  return fragment;
}

const fractionCache = new Map();

function fractionDigits(currency) {
  if (!fractionCache.has(currency)) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits;
    } catch {
      digits = 2;
    }
    fractionCache.set(currency, digits);
  }
  return fractionCache.get(currency);
}

// Amounts are integer minor units; the decimal string is built with integer arithmetic so no
// float ever touches a price (Intl formats decimal strings exactly).
export function formatMoney(amount, currency, locale = "en") {
  const minor = Number(amount);
  if (!Number.isFinite(minor)) return String(amount);
  const code = String(currency || "").toUpperCase();
  if (code === "XTR") return `★ ${minor}`;
  const digits = fractionDigits(code);
  const negative = minor < 0;
  const digitsText = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, "0");
  const major = digits ? digitsText.slice(0, -digits) : digitsText;
  const decimal = (negative ? "-" : "") + major + (digits ? "." + digitsText.slice(-digits) : "");
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency: code }).format(decimal);
  } catch {
    return `${decimal} ${code}`;
  }
}

export function formatTime(unixSeconds) {
  if (!unixSeconds) return "";
  const date = new Date(Number(unixSeconds) * 1000);
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function formatDay(unixSeconds) {
  const date = new Date(Number(unixSeconds) * 1000);
  return date.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
}

const AVATAR_COLOURS = ["#e17076", "#faa774", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae"];

export function avatar(name, id, extraClass = "") {
  const letters = String(name || "?").trim().split(/\s+/).slice(0, 2)
    .map((word) => Array.from(word)[0] || "").join("").toUpperCase();
  const colour = AVATAR_COLOURS[Math.abs(Number(id) || 0) % AVATAR_COLOURS.length];
  return el("div", { class: ("avatar " + extraClass).trim(), style: `background:${colour}` }, letters || "?");
}

export function nameColour(id) {
  const colours = ["#c03d33", "#4fad2d", "#d09306", "#168acd", "#8544d6", "#cd4073", "#2996ad", "#ce671b"];
  return colours[Math.abs(Number(id) || 0) % colours.length];
}

// Chrome icons are inline SVG: offline machines often have no emoji font.
const ICONS = {
  photo: "M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5z",
  person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z",
  file: "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zm-1 7V3.5L18.5 9z",
  mic: "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5.3-3a5.3 5.3 0 0 1-10.6 0H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 6-6.9z",
  place: "M12 2a7 7 0 0 0-7 7c0 5.25 7 13 7 13s7-7.75 7-13a7 7 0 0 0-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z",
  phone: "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25c1.1.37 2.3.57 3.6.57a1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z",
};

export function icon(name, size = 20) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", ICONS[name] || ICONS.file);
  svg.append(path);
  return svg;
}
