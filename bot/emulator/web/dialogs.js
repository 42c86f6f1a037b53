// Toasts and modal dialogs: callback answers, alerts, links, the test-card checkout, photo sending.
import { el, formatMoney, safeUrl } from "./render.js";

const TEST_CARDS = { "4242424242424242": "ok", "4000000000000002": "declined" };
const recentToasts = new Map(); // text -> when shown

export function showToast(text, kind = "info") {
  const error = kind === "error";
  const toast = el("div", { class: `toast ${kind}`, testid: error ? "error-toast" : "toast", role: "status" }, text);
  document.getElementById("toast-host").append(toast);
  setTimeout(() => toast.classList.add("leaving"), error ? 6000 : 3500);
  setTimeout(() => toast.remove(), error ? 6400 : 3900);
}

export function showError(text) {
  showToast(text, "error");
}

/** answerCallbackQuery reaches the page twice (live event and tap response): show it once. */
export function showCallbackAnswer(text, showAlert) {
  if (!text) return;
  const now = Date.now();
  for (const [key, when] of recentToasts) if (now - when > 4000) recentToasts.delete(key);
  const key = `${showAlert ? "!" : ""}${text}`;
  if (recentToasts.has(key)) return;
  recentToasts.set(key, now);
  if (showAlert) showAlertModal(text);
  else showToast(text);
}

function showAlertModal(text) {
  const close = openModal(el("div", {},
    el("p", { class: "alert-text", testid: "alert-text" }, text),
    el("div", { class: "modal-actions" },
      el("button", { type: "button", class: "primary", testid: "alert-ok", onclick: () => close() }, "OK"))), "alert");
}

export function openModal(content, testid, onClose) {
  const box = el("div", { class: "modal", role: "dialog", "aria-modal": "true", testid }, content);
  const backdrop = el("div", { class: "modal-backdrop" }, box);
  function close() {
    backdrop.remove();
    document.removeEventListener("keydown", onKey);
    onClose?.();
  }
  function onKey(event) {
    if (event.key === "Escape") close();
  }
  backdrop.addEventListener("mousedown", (event) => {
    if (event.target === backdrop) close();
  });
  document.addEventListener("keydown", onKey);
  document.body.append(backdrop);
  return close;
}

export function confirmDialog({ title, text, ok, testid, okTestid }) {
  return new Promise((resolve) => {
    let answer = false;
    const close = openModal(el("div", {},
      el("h3", {}, title),
      el("p", {}, text),
      el("div", { class: "modal-actions" },
        el("button", { type: "button", class: "flat", onclick: () => close() }, "Cancel"),
        el("button", {
          type: "button", class: "primary", testid: okTestid,
          onclick: () => {
            answer = true;
            close();
          },
        }, ok))), testid, () => resolve(answer));
  });
}

/** Links other than the bot's own t.me links leave the sandbox, so ask first (Telegram does too). */
export function openLinkDialog(rawUrl) {
  const url = safeUrl(rawUrl);
  const close = openModal(el("div", {},
    el("h3", {}, "Open this link?"),
    el("p", { class: "link-url", testid: "link-url" }, rawUrl),
    el("div", { class: "modal-actions" },
      el("button", { type: "button", class: "flat", onclick: () => close() }, "Cancel"),
      url ? el("a", {
        class: "button primary", href: url, target: "_blank", rel: "noopener noreferrer", onclick: () => close(),
      }, "Open") : null)), "link-dialog");
}

export function openImage(src) {
  const close = openModal(el("img", { class: "full-image", src, alt: "Photo", onclick: () => close() }), "image-viewer");
}

const PAY_FAILURES = {
  declined: () => "Your card was declined.",
  rejected: (error) => `The shop could not accept the payment${error ? ": " + error : "."}`,
  timeout: () => "The shop did not confirm the payment in time.",
};

/**
 * Telegram's payment sheet in test mode. `pay(card)` runs POST /control/pay with card "ok" or "declined"
 * and resolves to its result ({status, error}); the dialog closes on "paid" and explains anything else.
 */
export function openPayDialog(invoice, pay) {
  const amount = formatMoney(invoice.total_amount, invoice.currency);
  const card = el("input", {
    type: "text", inputmode: "numeric", testid: "card-number", placeholder: "4242 4242 4242 4242",
    "aria-label": "Card number", autocomplete: "off",
  });
  const error = el("div", { class: "pay-error", testid: "pay-error", role: "alert" });
  const submit = el("button", { type: "submit", class: "primary wide", testid: "pay-submit" }, `Pay ${amount}`);
  const form = el("form", { class: "pay-form", testid: "pay-dialog" },
    el("div", { class: "pay-head" }, el("h3", {}, "Checkout"), el("span", { class: "invoice-test" }, "TEST MODE")),
    el("div", { class: "pay-invoice" },
      el("div", { class: "invoice-title" }, invoice.title || "Invoice"),
      invoice.description ? el("div", { class: "invoice-description" }, invoice.description) : null),
    el("div", { class: "pay-total" }, el("span", {}, "Total"), el("b", {}, amount)),
    el("label", { class: "field" }, el("span", {}, "Card number"), card),
    el("div", { class: "field-row" },
      el("label", { class: "field" }, el("span", {}, "Expiry"),
        el("input", { type: "text", value: "12/34", "aria-label": "Expiry" })),
      el("label", { class: "field" }, el("span", {}, "CVC"),
        el("input", { type: "text", value: "123", "aria-label": "CVC" }))),
    el("p", { class: "hint" }, "Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."),
    error,
    el("div", { class: "modal-actions" },
      el("button", { type: "button", class: "flat", onclick: () => close() }, "Cancel"), submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = TEST_CARDS[card.value.replace(/\D/g, "")];
    if (!outcome) {
      error.textContent = "Use a test card: 4242 4242 4242 4242 or 4000 0000 0000 0002.";
      return;
    }
    error.textContent = "";
    submit.disabled = true;
    submit.classList.add("loading");
    submit.textContent = "Processing…";
    try {
      const result = await pay(outcome);
      if (result.status === "paid") {
        close(); // the receipt appears in the chat, as in Telegram
        return;
      }
      const explain = PAY_FAILURES[result.status];
      error.textContent = explain ? explain(result.error) : `Payment failed: ${result.error || result.status}`;
    } catch (failure) {
      error.textContent = failure.message || String(failure);
    } finally {
      submit.disabled = false;
      submit.classList.remove("loading");
      submit.textContent = `Pay ${amount}`;
    }
  });
  const close = openModal(form, "pay-modal");
  card.focus();
}

/** Preview + caption before sending a photo; `send(caption)` does the upload. */
export function openPhotoDialog(file, send) {
  const preview = URL.createObjectURL(file);
  const caption = el("input", { type: "text", testid: "photo-caption", placeholder: "Add a caption…" });
  const form = el("form", { class: "photo-form" },
    el("h3", {}, "Send photo"),
    el("img", { class: "photo-preview", src: preview, alt: "Preview" }),
    caption,
    el("div", { class: "modal-actions" },
      el("button", { type: "button", class: "flat", onclick: () => close() }, "Cancel"),
      el("button", { type: "submit", class: "primary", testid: "photo-send" }, "Send")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    close();
    send(caption.value.trim());
  });
  const close = openModal(form, "photo-dialog", () => URL.revokeObjectURL(preview));
  caption.focus();
}
