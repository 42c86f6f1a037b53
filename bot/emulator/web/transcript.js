// The open chat's messages as Telegram draws them: bubbles, photos, invoices, inline keyboards.
// Nodes are keyed by message id and rebuilt only when the message changed, so edits land in place.
import { openImage } from "./dialogs.js";
import { invoicePayload, isGroupOpen, previewText, S, serviceText, userName } from "./model.js";
import { avatar, el, formatDay, formatMoney, formatTime, icon, nameColour, renderFormatted } from "./render.js";

const rendered = new Map(); // key -> {signature, node}
const $ = (id) => document.getElementById(id);

export function clearTranscript() {
  rendered.clear();
  $("messages").replaceChildren();
}

/** `onButton(message, button, row, col, node)` handles a tap on an inline (or the invoice's pay) button. */
export function renderTranscript(forceScroll, onButton) {
  const scroller = $("transcript");
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const container = $("messages");
  const paid = new Set(S.messages.filter((m) => m.payment).map((m) => m.payment.invoice_payload));
  const nodes = [];
  const seen = new Set();
  let lastDay = "";
  function keyed(key, signature, build) {
    seen.add(key);
    const existing = rendered.get(key);
    if (existing && existing.signature === signature) return existing.node;
    const node = build();
    if (existing) existing.node.replaceWith(node);
    rendered.set(key, { signature, node });
    return node;
  }
  for (const message of S.messages) {
    const day = message.date ? formatDay(message.date) : "";
    if (day && day !== lastDay) {
      lastDay = day;
      nodes.push(keyed(`day:${day}`, day, () => el("div", { class: "day-separator" }, el("span", {}, day))));
    }
    const isPaid = paid.has(invoicePayload(message));
    const signature = JSON.stringify([message.raw, S.userId, isPaid]);
    nodes.push(keyed(`m:${message.id}`, signature, () => buildMessage(message, isPaid, onButton)));
  }
  for (const [key, entry] of rendered) {
    if (!seen.has(key)) {
      entry.node.remove();
      rendered.delete(key);
    }
  }
  nodes.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
  if (forceScroll || atBottom) scroller.scrollTop = scroller.scrollHeight;
}

export function renderPinned() {
  const bar = $("pinned-bar");
  const pinned = S.messages.findLast((m) => m.pinned);
  bar.hidden = !pinned;
  if (!pinned) return;
  $("pinned-text").textContent = previewText(pinned);
  bar.onclick = () => scrollToMessage(pinned.id);
}

function scrollToMessage(messageId) {
  const entry = rendered.get(`m:${messageId}`);
  if (!entry) return;
  entry.node.scrollIntoView({ block: "center", behavior: "smooth" });
  entry.node.classList.add("flash");
  setTimeout(() => entry.node.classList.remove("flash"), 1200);
}

// Photos load after layout; keep a reader who was at the bottom there.
function stickToBottom() {
  const scroller = $("transcript");
  if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 400) {
    scroller.scrollTop = scroller.scrollHeight;
  }
}

function buildMessage(message, paid, onButton) {
  const service = serviceText(message);
  if (service !== null && !message.text && !message.caption) {
    return el("div", {
      class: "service",
      testid: message.payment ? "payment-receipt" : "service-message",
      dataset: { messageId: String(message.id) },
    }, el("span", {}, service));
  }
  const outgoing = !message.isBot && message.fromId === S.userId;
  const withSender = isGroupOpen() && !outgoing;
  const row = el("div", {
    class: `msg-row ${outgoing ? "out" : "in"}${withSender ? " with-avatar" : ""}`,
    testid: "message",
    dataset: {
      messageId: String(message.id),
      from: message.isBot ? "bot" : String(message.fromId),
      edited: message.edited ? "true" : "false",
    },
  });
  const bubble = el("div", { class: "bubble" });
  if (withSender) {
    bubble.append(el("div", { class: "sender", testid: "message-sender", style: `color:${nameColour(message.fromId)}` },
      message.fromName));
  }
  const reply = message.raw.reply_to_message;
  // In forums every topic message "replies" to the topic's creation message; clients hide that.
  if (reply && !reply.forum_topic_created && reply.message_id !== message.threadId) {
    bubble.append(replyQuote(reply));
  }
  if (message.photo) {
    bubble.classList.add("has-photo");
    const image = el("img", { class: "photo", testid: "message-photo", src: message.photo, alt: "Photo" });
    image.addEventListener("load", stickToBottom);
    image.addEventListener("click", () => openImage(message.photo));
    bubble.append(image);
  }
  if (message.invoice) bubble.append(invoiceCard(message.invoice));
  bubble.append(...attachmentCards(message.raw));
  const body = message.text ?? message.caption;
  if (body || service) {
    const text = el("span", { class: "text", testid: "message-text" });
    text.append(body ? renderFormatted(body, message.text !== null ? message.entities : message.captionEntities,
      message.parseMode) : service);
    // The spacer keeps the last line clear of the time, which sits in the bubble's corner.
    bubble.append(el("div", { class: "text-wrap" }, text, el("span", { class: "meta-spacer" })));
  } else {
    bubble.classList.add("no-text");
  }
  bubble.append(el("span", { class: "meta" },
    message.edited ? el("span", { class: "edited", testid: "edited-marker" }, "edited") : null,
    el("time", {}, formatTime(message.date)),
    outgoing ? el("span", { class: "ticks", "aria-label": "read" }, "✓✓") : null));
  if (withSender) row.append(avatar(message.fromName, message.fromId, "small"));
  row.append(bubble);
  const inline = message.markup?.inline_keyboard;
  if (inline || message.invoice) row.append(inlineKeyboard(message, inline || [], paid, onButton));
  return el("div", { class: `msg-wrap ${outgoing ? "out" : "in"}` }, row);
}

function replyQuote(reply) {
  const text = reply.text || reply.caption || (reply.photo ? "Photo" : reply.invoice ? "Invoice" : "Message");
  return el("div", { class: "reply-quote", onclick: () => scrollToMessage(reply.message_id) },
    el("div", { class: "reply-name" }, userName(reply.from)), el("div", { class: "reply-text" }, text));
}

function attachment(iconName, title, sub, attrs = {}) {
  return el(attrs.href ? "a" : "div", { class: "attachment", ...attrs },
    el("span", { class: "attachment-icon" }, icon(iconName)),
    el("div", {}, el("div", { class: "attachment-title" }, title), el("div", { class: "attachment-sub" }, sub)));
}

function attachmentCards(raw) {
  const cards = [];
  if (raw.contact) {
    cards.push(attachment("person", userName(raw.contact), raw.contact.phone_number || "",
      { testid: "message-contact" }));
  }
  if (raw.document) {
    const doc = raw.document;
    const size = doc.file_size ? `${Math.ceil(doc.file_size / 1024)} KB` : doc.mime_type || "";
    cards.push(attachment("file", doc.file_name || "Document", size,
      { testid: "message-document", href: doc.url, download: doc.file_name || "file" }));
  }
  if (raw.sticker) cards.push(el("img", { class: "sticker", src: raw.sticker.url, alt: raw.sticker.emoji || "Sticker" }));
  if (raw.voice) cards.push(attachment("mic", "Voice message", `${raw.voice.duration || 0} s`));
  if (raw.location) {
    cards.push(attachment("place", "Location", `${raw.location.latitude}, ${raw.location.longitude}`));
  }
  return cards;
}

function invoiceCard(invoice) {
  return el("div", { class: "invoice", testid: "invoice" },
    el("div", { class: "invoice-title", testid: "invoice-title" }, invoice.title || "Invoice"),
    invoice.description ? el("div", { class: "invoice-description" }, invoice.description) : null,
    el("div", { class: "invoice-amount", testid: "invoice-amount" },
      el("b", {}, formatMoney(invoice.total_amount, invoice.currency)),
      el("span", { class: "invoice-test" }, "TEST INVOICE")));
}

function inlineKeyboard(message, rows, paid, onButton) {
  const wrap = el("div", { class: "inline-keyboard", testid: "inline-keyboard" });
  const rowsToDraw = rows.map((line, row) => line.map((button, col) => ({ button, row, col })));
  // An invoice without its own pay button gets Telegram's automatic "Pay <amount>" on top.
  if (message.invoice && !rows.some((row) => row.some((button) => button.pay))) {
    const amount = formatMoney(message.invoice.total_amount, message.invoice.currency);
    rowsToDraw.unshift([{ button: { text: `Pay ${amount}`, pay: true }, row: null, col: null }]);
  }
  for (const line of rowsToDraw) {
    wrap.append(el("div", { class: "inline-row" }, ...line.map(({ button, row, col }) => {
      const link = button.url || button.login_url;
      const inlineSwitch = button.switch_inline_query !== undefined
        || button.switch_inline_query_current_chat !== undefined;
      const node = el("button", {
        type: "button",
        class: `inline-button${link ? " url" : ""}${button.pay ? " pay" : ""}`,
        testid: button.pay ? "pay-button" : "inline-button",
        disabled: button.pay && paid,
      },
      el("span", { class: "label" }, button.pay && paid ? "Receipt ✓" : button.text),
      link ? el("span", { class: "corner", "aria-hidden": "true" }, "↗") : null,
      inlineSwitch ? el("span", { class: "corner", "aria-hidden": "true" }, "↪") : null);
      node.addEventListener("click", () => onButton(message, button, row, col, node));
      return node;
    })));
  }
  return wrap;
}
