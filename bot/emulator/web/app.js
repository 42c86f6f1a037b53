// The sandbox web chat: a small Telegram-like client over the emulator's same-origin /control API.
// The chat list and composer live here; model.js holds the state, transcript.js draws messages,
// dialogs.js the toasts and modals.
import { api } from "./api.js";
import {
  confirmDialog, openLinkDialog, openPayDialog, openPhotoDialog, showCallbackAnswer, showError, showToast,
} from "./dialogs.js";
import {
  applyState, chatById, chatsOfMe, currentItem, currentReplyKeyboard, filterThread, keyOf, normMessage,
  previewText, S, target, threadOf,
} from "./model.js";
import { avatar, el, formatTime, icon, safeUrl } from "./render.js";
import { clearTranscript, renderPinned, renderTranscript } from "./transcript.js";

const POLL_TIMEOUT_S = 25;
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state

async function loadState() {
  if (applyState(await api.state())) renderUserPicker();
  renderChatList();
}

// A private chat exists in the emulator only once the user has written to the bot; before that it is empty.
async function fetchMessages(chatId, threadId) {
  if (chatId === S.userId && !S.privateChats.has(chatId)) return [];
  const raw = await api.messages(chatId, S.userId, threadId || undefined);
  return filterThread(raw.map(normMessage), { chatId, threadId });
}

// ---------------------------------------------------------------- sidebar

function renderUserPicker() {
  // Rebuilt only when the users change: rebuilding an open <select> would close it under the mouse.
  $("user-picker").replaceChildren(
    el("option", { value: "", disabled: true, selected: S.userId === null }, "Choose a user…"),
    ...S.users.map((user) => el("option", {
      value: String(user.id),
      selected: user.id === S.userId,
      title: [user.username && "@" + user.username, user.lang].filter(Boolean).join(" · "),
    }, user.name)),
  );
}

// The private chat wears the bot's colour, the same as its avatar next to group messages.
function avatarId(item) {
  return item.kind === "private" ? S.bot.id : item.id;
}

function chatSubtitle(item) {
  if (item.kind === "private") return "@" + S.bot.username;
  if (item.kind === "topic") return item.chat.title;
  const count = item.chat.members.size;
  return `${item.chat.forum ? "forum · " : ""}${count} member${count === 1 ? "" : "s"}`;
}

function renderChatList() {
  const items = chatsOfMe().map((item) => {
    const key = keyOf(item.id, item.threadId);
    const unread = S.unread.get(key) || 0;
    const preview = S.previews.get(key);
    return el("a", {
      class: `chat-item ${item.kind}${S.current?.key === key ? " active" : ""}`,
      href: "#",
      testid: item.kind === "topic" ? "topic-item" : "chat-item",
      dataset: { chatId: String(item.id), threadId: item.threadId ? String(item.threadId) : "", kind: item.kind },
      onclick: (event) => {
        event.preventDefault();
        openChat(item.id, item.threadId);
      },
    },
    item.kind === "topic" ? el("div", { class: "topic-mark" }, "#") : avatar(item.title, avatarId(item)),
    el("div", { class: "chat-item-body" },
      el("div", { class: "chat-item-row" },
        el("span", { class: "chat-item-title", testid: "chat-item-title" }, item.title),
        item.kind === "private" ? el("span", { class: "bot-tag" }, "bot") : null,
        el("span", { class: "chat-item-time" }, preview ? formatTime(preview.date) : "")),
      el("div", { class: "chat-item-row" },
        el("span", { class: "chat-item-preview" }, preview ? preview.text : chatSubtitle(item)),
        unread ? el("span", { class: "badge", testid: "unread-badge" }, String(unread)) : null)));
  });
  if (S.userId === null) items.push(el("div", { class: "hint" }, "Choose who you are to see your chats."));
  $("chat-list").replaceChildren(...items);
}

async function refreshPreview(chatId, threadId) {
  try {
    const messages = await fetchMessages(chatId, threadId);
    const last = messages.at(-1);
    if (last) S.previews.set(keyOf(chatId, threadId), { text: previewText(last), date: last.date });
    renderChatList();
  } catch {
    // Previews are cosmetic; the open chat reports real errors.
  }
}

function selectUser(userId) {
  S.userId = userId;
  S.current = null;
  S.messages = [];
  S.unread.clear();
  S.previews.clear();
  history.replaceState(null, "", userId === null ? "#" : `#user=${userId}`);
  renderUserPicker();
  renderChatList();
  renderChatShell();
  for (const item of chatsOfMe()) refreshPreview(item.id, item.threadId);
}

// ---------------------------------------------------------------- the open chat

async function openChat(chatId, threadId = null) {
  const key = keyOf(chatId, threadId);
  if (S.current?.key !== key) {
    S.current = { chatId, threadId, key };
    S.messages = [];
    S.keyboardHidden = false;
    clearTranscript();
    $("composer-input").value = "";
    closeInlineResults();
  }
  S.unread.delete(key);
  document.body.classList.add("chat-open");
  renderChatList();
  renderChatShell();
  await refreshCurrent({ scroll: true });
  $("composer-input").focus();
}

function renderChatShell() {
  const item = currentItem();
  const open = item !== null;
  $("empty-chat").hidden = open;
  $("chat-head").hidden = !open;
  $("transcript").hidden = !open;
  $("bottom").hidden = !open;
  if (!open) {
    $("pinned-bar").hidden = true;
    document.body.classList.remove("chat-open");
    return;
  }
  $("chat-title").textContent = item.kind === "topic" ? `${item.chat.title} › ${item.title}` : item.title;
  $("chat-subtitle").textContent = item.kind === "private" ? "bot" : chatSubtitle(item);
  const face = item.kind === "topic" ? item.chat.title : item.title;
  $("chat-avatar").replaceWith(Object.assign(avatar(face, avatarId(item)), { id: "chat-avatar" }));
}

let refreshing = null;
let refreshAgain = false;
let scrollAfter = false;

// Serialised: a burst of events while a fetch is running causes exactly one more fetch.
async function refreshCurrent(options = {}) {
  scrollAfter ||= Boolean(options.scroll);
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      const scroll = scrollAfter;
      scrollAfter = false;
      await loadTranscript(scroll);
    } while (refreshAgain);
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

async function loadTranscript(forceScroll) {
  const current = S.current;
  if (!current) return;
  let messages;
  try {
    await loadState(); // the reply keyboard is chat state, not part of any message
    messages = await fetchMessages(current.chatId, current.threadId);
  } catch (error) {
    showError(`Could not load messages: ${error.message}`);
    return;
  }
  if (S.current !== current) return;
  S.messages = messages;
  const last = messages.at(-1);
  if (last) S.previews.set(current.key, { text: previewText(last), date: last.date });
  renderTranscript(forceScroll, onInlineButton);
  renderPinned();
  renderReplyKeyboard();
  renderChatList();
}

function renderReplyKeyboard() {
  const host = $("reply-keyboard");
  const keyboard = currentReplyKeyboard();
  $("keyboard-toggle").hidden = keyboard === null;
  $("composer-input").placeholder = keyboard?.input_field_placeholder || "Message";
  host.hidden = keyboard === null || S.keyboardHidden;
  if (host.hidden) {
    host.replaceChildren();
    return;
  }
  host.replaceChildren(...keyboard.keyboard.map((row) => el("div", { class: "reply-row" }, ...row.map((button) =>
    el("button", {
      type: "button", class: "reply-button", testid: "reply-button", onclick: () => onReplyButton(button, keyboard),
    }, button.request_contact ? icon("phone", 16) : null, button.text)))));
}

// ---------------------------------------------------------------- actions

/** Runs a control call for a user action, reports failures, then redraws the open chat. */
async function act(action, node) {
  node?.classList.add("loading");
  try {
    const result = await action();
    if (result?.settled === false) showError(`The bot has not handled this yet: ${result.settle_error}`);
    return result;
  } catch (error) {
    showError(error.message);
    return null;
  } finally {
    node?.classList.remove("loading");
    refreshCurrent();
  }
}

async function sendText(text) {
  if (S.current && text.trim()) await act(() => api.send({ ...target(), text }));
}

async function onInlineButton(message, button, row, col, node) {
  if (button.pay) {
    openPayDialog(message.invoice, async (card) => {
      try {
        return await api.pay({ ...target(), message_id: message.id, card });
      } finally {
        refreshCurrent();
      }
    });
    return;
  }
  if (button.url || button.login_url) return openLink(button.url || button.login_url.url);
  if (button.switch_inline_query_current_chat !== undefined || button.switch_inline_query !== undefined) {
    const input = $("composer-input");
    input.value = `@${S.bot.username} ${button.switch_inline_query_current_chat ?? button.switch_inline_query}`;
    input.focus();
    onComposerInput();
    return;
  }
  if (button.copy_text) {
    navigator.clipboard?.writeText(button.copy_text.text).catch(() => {});
    return showToast("Copied to clipboard");
  }
  if (button.web_app) return showToast("Mini apps are not available in the sandbox");
  const result = await act(() => api.tap({ ...target(), message_id: message.id, row, col }), node);
  if (result?.toast) showCallbackAnswer(result.toast.text, result.toast.show_alert);
  if (result?.toast?.url) openLink(result.toast.url);
}

async function onReplyButton(button, keyboard) {
  if (keyboard.one_time_keyboard) {
    S.keyboardHidden = true;
    renderReplyKeyboard();
  }
  if (button.request_contact) return shareContact();
  await act(() => api.press({ ...target(), label: button.text }));
}

async function shareContact() {
  const ok = await confirmDialog({
    title: "Share your phone number?",
    text: `${S.bot.first_name} will see the phone number of your account.`,
    ok: "Share",
    testid: "share-dialog",
    okTestid: "confirm-share",
  });
  if (ok) await act(() => api.contact(target()));
}

/** t.me/<this bot>?start=X: Telegram opens the private chat and sends "/start X". */
function botLink(rawUrl) {
  const url = safeUrl(rawUrl);
  if (url === null) return null;
  const parsed = new URL(url);
  let name = null;
  if (/^(www\.)?(t|telegram)\.me$/i.test(parsed.hostname)) name = parsed.pathname.split("/")[1] || "";
  else if (parsed.protocol === "tg:") name = parsed.searchParams.get("domain");
  if (!name || name.toLowerCase() !== S.bot.username.toLowerCase()) return null;
  return { start: parsed.searchParams.get("start"), startgroup: parsed.searchParams.get("startgroup") };
}

async function openLink(rawUrl) {
  const link = botLink(rawUrl);
  if (!link) return openLinkDialog(rawUrl);
  if (link.startgroup !== null) return showToast("Add the bot to a group through the control API");
  await openChat(S.userId, null);
  if (link.start) await act(() => api.deeplink({ user_id: S.userId, payload: link.start }));
  else await sendText("/start");
}

function sendPhoto(file, caption) {
  const form = new FormData();
  for (const [key, value] of Object.entries(target())) form.append(key, String(value));
  if (caption) form.append("caption", caption);
  form.append("file", file, file.name || "photo.jpg");
  return act(() => api.photo(form));
}

// ---------------------------------------------------------------- inline mode ("@bot query" in the composer)

let inlineTimer = null;

function onComposerInput() {
  const input = $("composer-input");
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 160) + "px";
  const match = /^@(\w+)\s([\s\S]*)$/.exec(input.value);
  clearTimeout(inlineTimer);
  if (!match || match[1].toLowerCase() !== S.bot.username.toLowerCase()) {
    closeInlineResults();
    return;
  }
  inlineTimer = setTimeout(() => runInlineQuery(match[2]), 350);
}

async function runInlineQuery(query) {
  const chat = chatById(S.current.chatId);
  let results;
  try {
    results = (await api.inline({ user_id: S.userId, query, chat_type: chat ? chat.type : "sender" })).results;
  } catch (error) {
    showError(`Inline query failed: ${error.message}`);
    return;
  }
  const host = inlineHost();
  host.hidden = false;
  if (!results.length) {
    host.replaceChildren(el("div", { class: "inline-empty" }, "No results"));
    return;
  }
  host.replaceChildren(...results.map((result) => el("button", {
    type: "button", class: "inline-result", testid: "inline-result",
    onclick: async () => {
      closeInlineResults();
      $("composer-input").value = "";
      await act(() => api.chooseInline({ user_id: S.userId, result_id: result.id, chat_id: S.current.chatId }));
    },
  },
  el("div", { class: "inline-result-title" }, result.title || result.id),
  result.description ? el("div", { class: "inline-result-sub" }, result.description) : null)));
}

function inlineHost() {
  let host = $("inline-results");
  if (!host) {
    host = el("div", { id: "inline-results", class: "inline-results", testid: "inline-results" });
    $("bottom").prepend(host);
  }
  return host;
}

function closeInlineResults() {
  const host = $("inline-results");
  if (host) {
    host.hidden = true;
    host.replaceChildren();
  }
}

// ---------------------------------------------------------------- live events (GET /control/events long poll)

function setConnection(ok, text) {
  $("connection").classList.toggle("offline", !ok);
  $("connection").textContent = text;
}

function handleEvents(events) {
  let reloadState = false;
  let refreshOpen = false;
  const touched = new Map();
  for (const event of events) {
    if (event.type === "chat" || event.type === "user" || event.type === "reset") reloadState = true;
    if (event.type === "toast") {
      if (Number(event.user_id) === S.userId) showCallbackAnswer(event.text, event.show_alert);
      continue;
    }
    if (event.chat_id === undefined || event.chat_id === null || S.userId === null) continue;
    const chatId = Number(event.chat_id);
    const chat = chatById(chatId);
    if (chatId !== S.userId && !chat?.members.has(S.userId)) continue;
    if (S.current?.chatId === chatId) refreshOpen = true;
    if (event.type === "action") {
      showTyping(chatId);
      continue;
    }
    const thread = event.message ? threadOf(event.message) : null;
    const threadId = chat?.forum && thread !== 1 ? thread : null;
    const key = keyOf(chatId, threadId);
    touched.set(key, { chatId, threadId });
    const fromOther = Number(event.message?.from?.id) !== S.userId;
    if ((event.type === "message" || event.type === "invoice") && S.current?.key !== key && fromOther) {
      S.unread.set(key, (S.unread.get(key) || 0) + 1);
    }
  }
  if (reloadState) loadState().catch((error) => showError(`Could not load state: ${error.message}`));
  if (refreshOpen) refreshCurrent();
  for (const { chatId, threadId } of touched.values()) {
    if (S.current?.key !== keyOf(chatId, threadId)) refreshPreview(chatId, threadId);
  }
  if (touched.size) renderChatList();
}

const lastSeq = (events, fallback) => events.reduce((seq, event) => Math.max(seq, event.seq), fallback);

async function pollEvents() {
  let failures = 0;
  let primed = false;
  for (;;) {
    try {
      if (!primed) {
        // Everything before now is already in the first render: skip it (no stale unread badges).
        S.seq = lastSeq(await api.events(0, 0), 0);
        primed = true;
      } else {
        const events = await api.events(S.seq, POLL_TIMEOUT_S);
        S.seq = lastSeq(events, S.seq);
        if (events.length) handleEvents(events);
        else await detectReset();
      }
      failures = 0;
      setConnection(true, `Connected · @${S.bot.username} sandbox`);
    } catch {
      failures += 1;
      setConnection(false, "Reconnecting…");
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * failures, 5000)));
    }
  }
}

// After POST /control/reset the emulator numbers events from 1 again, so a poll "since" our old number
// stays empty; `event_seq` in the state (when the emulator reports it) reveals that.
async function detectReset() {
  const state = await api.state();
  if (applyState(state)) renderUserPicker();
  if (typeof state.event_seq === "number" && state.event_seq < S.seq) {
    S.seq = state.event_seq;
    selectUser(S.users.some((user) => user.id === S.userId) ? S.userId : null);
  }
}

const typingTimers = new Map();

function showTyping(chatId) {
  if (S.current?.chatId !== chatId) return;
  const subtitle = $("chat-subtitle");
  subtitle.textContent = "typing…";
  subtitle.classList.add("typing");
  clearTimeout(typingTimers.get(chatId));
  typingTimers.set(chatId, setTimeout(() => {
    subtitle.classList.remove("typing");
    renderChatShell();
  }, 5000));
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("user-picker").addEventListener("change", (event) => {
    selectUser(event.target.value === "" ? null : Number(event.target.value));
  });
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    onComposerInput();
    sendText(text);
  });
  $("composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer-input").addEventListener("input", onComposerInput);
  $("attach-button").addEventListener("click", () => {
    $("attach-menu").hidden = !$("attach-menu").hidden;
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".attach-wrap")) $("attach-menu").hidden = true;
  });
  $("attach-photo").addEventListener("click", () => {
    $("attach-menu").hidden = true;
    $("photo-input").click();
  });
  $("photo-input").addEventListener("change", (event) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (file) openPhotoDialog(file, (caption) => sendPhoto(file, caption));
  });
  $("share-contact").addEventListener("click", () => {
    $("attach-menu").hidden = true;
    shareContact();
  });
  $("keyboard-toggle").addEventListener("click", () => {
    S.keyboardHidden = !S.keyboardHidden;
    renderReplyKeyboard();
  });
  $("back-button").addEventListener("click", () => document.body.classList.remove("chat-open"));
  $("messages").addEventListener("click", (event) => {
    const command = event.target.closest("a.bot-command");
    if (command) {
      event.preventDefault();
      sendText(command.dataset.command);
      return;
    }
    const anchor = event.target.closest("a.text-link");
    if (anchor && botLink(anchor.href)) {
      event.preventDefault();
      openLink(anchor.href);
    }
  });
}

async function main() {
  wire();
  try {
    await loadState();
  } catch (error) {
    setConnection(false, "Emulator not reachable");
    showError(`Could not load state: ${error.message}`);
  }
  const fromHash = /user=(-?\d+)/.exec(location.hash);
  const wanted = fromHash ? Number(fromHash[1]) : null;
  selectUser(S.users.some((user) => user.id === wanted) ? wanted : null);
  document.body.dataset.ready = "true";
  pollEvents();
}

main();
