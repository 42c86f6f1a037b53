// What the page knows: the emulator's state and the open chat, normalised for rendering.
// The emulator sends Telegram JSON plus a few display flags (bot/emulator/engine.py: view(), chat_state()).
import { api } from "./api.js";
import { formatMoney } from "./render.js";

export const S = {
  bot: { id: null, username: "", first_name: "bot" },
  users: [],
  chats: [], // groups and supergroups
  privateChats: new Set(), // private chats the emulator has created (the user wrote to the bot)
  replyKeyboards: new Map(), // chat id -> reply keyboard the emulator says is shown there
  userId: null, // who the page is acting as
  current: null, // the open chat: {chatId, threadId, key}
  messages: [], // normalised transcript of the open chat
  seq: 0, // last live event seen
  unread: new Map(), // chat key -> count
  previews: new Map(), // chat key -> {text, date}
  keyboardHidden: false,
};

const PRESENT = new Set(["creator", "administrator", "member", "restricted"]);

export function userName(user) {
  if (!user) return "";
  return [user.first_name, user.last_name].filter(Boolean).join(" ") || user.username || `#${user.id}`;
}

function normUser(raw) {
  return { id: Number(raw.id), name: userName(raw), lang: raw.lang || "", username: raw.username || "" };
}

function normChat(raw) {
  return {
    id: Number(raw.id),
    type: raw.type,
    title: raw.title || "Group",
    forum: Boolean(raw.is_forum),
    migratedTo: raw.migrated_to || null,
    members: new Set((raw.members || []).filter((m) => PRESENT.has(m.status)).map((m) => Number(m.user.id))),
    topics: (raw.topics || []).map((topic) => ({ threadId: Number(topic.message_thread_id), name: topic.name })),
  };
}

export function threadOf(raw) {
  const value = raw.message_thread_id;
  return value === undefined || value === null ? null : Number(value);
}

function photoUrl(sizes) {
  if (!Array.isArray(sizes) || !sizes.length) return null;
  const largest = sizes[sizes.length - 1];
  return largest.url || api.fileUrl(largest.file_id);
}

export function normMessage(raw) {
  const from = raw.from || null;
  return {
    raw,
    id: Number(raw.message_id),
    fromId: from ? Number(from.id) : NaN,
    isBot: Boolean(raw.from_bot || from?.is_bot),
    fromName: userName(from) || "Someone",
    date: raw.date,
    text: raw.text ?? null,
    entities: raw.entities,
    caption: raw.caption ?? null,
    captionEntities: raw.caption_entities,
    parseMode: raw.parse_mode,
    photo: photoUrl(raw.photo),
    markup: raw.reply_markup || null,
    edited: Boolean(raw.edited || raw.edit_date),
    pinned: Boolean(raw.pinned),
    invoice: raw.invoice || null,
    payment: raw.successful_payment || null,
    threadId: threadOf(raw),
  };
}

/** Takes GET /control/state; returns whether the list of users changed. */
export function applyState(state) {
  S.bot = {
    id: Number(state.bot.id),
    username: state.bot.username || "",
    first_name: state.bot.first_name || "bot",
  };
  S.privateChats = new Set(state.chats.filter((chat) => chat.type === "private").map((chat) => Number(chat.id)));
  S.replyKeyboards = new Map(state.chats.filter((chat) => chat.reply_keyboard)
    .map((chat) => [Number(chat.id), chat.reply_keyboard]));
  S.chats = state.chats.filter((chat) => chat.type !== "private").map(normChat);
  const users = state.users.map(normUser);
  const changed = JSON.stringify(users) !== JSON.stringify(S.users);
  S.users = users;
  return changed;
}

export const keyOf = (chatId, threadId) => (threadId ? `${chatId}:${threadId}` : `${chatId}`);

export function chatById(chatId) {
  return S.chats.find((chat) => chat.id === chatId) || null;
}

/** The chat list of the current user: the bot's private chat, their groups, forum topics under forums. */
export function chatsOfMe() {
  if (S.userId === null) return [];
  const list = [{ kind: "private", id: S.userId, title: S.bot.first_name, threadId: null }];
  for (const chat of S.chats) {
    // A group upgraded to a supergroup disappears from the list, as in Telegram.
    if (!chat.members.has(S.userId) || chat.migratedTo) continue;
    list.push({ kind: chat.forum ? "forum" : "group", id: chat.id, title: chat.title, threadId: null, chat });
    if (!chat.forum) continue;
    for (const topic of chat.topics) {
      if (topic.threadId === 1) continue; // General is the forum row itself
      list.push({ kind: "topic", id: chat.id, title: topic.name, threadId: topic.threadId, chat });
    }
  }
  return list;
}

export function currentItem() {
  if (!S.current) return null;
  return chatsOfMe().find((item) => keyOf(item.id, item.threadId) === S.current.key) || null;
}

export function isGroupOpen() {
  return S.current !== null && S.current.chatId !== S.userId;
}

/** A forum's General view shows messages outside every topic; a topic view shows its own. */
export function filterThread(messages, where) {
  const chat = chatById(where.chatId);
  if (!chat || !chat.forum) return messages;
  if (where.threadId) return messages.filter((m) => m.threadId === null || m.threadId === where.threadId);
  const topicIds = new Set(chat.topics.map((topic) => topic.threadId).filter((id) => id !== 1));
  return messages.filter((m) => m.threadId === null || !topicIds.has(m.threadId));
}

export function currentReplyKeyboard() {
  if (!S.current) return null;
  const keyboard = S.replyKeyboards.get(S.current.chatId);
  return keyboard && keyboard.keyboard ? keyboard : null;
}

/** user_id/chat_id/thread_id for a control call acting in the open chat. */
export function target() {
  // Without chat_id the emulator means the user's private chat (and creates it on first use).
  const body = { user_id: S.userId };
  if (S.current.chatId !== S.userId) body.chat_id = S.current.chatId;
  if (S.current.threadId) body.thread_id = S.current.threadId;
  return body;
}

export function invoicePayload(message) {
  return message.invoice ? message.invoice.payload || null : null;
}

export function serviceText(message) {
  const raw = message.raw;
  const who = message.fromName;
  if (raw.new_chat_members) {
    const names = raw.new_chat_members.map(userName);
    const self = names.length === 1 && names[0] === who;
    return self ? `${who} joined the group` : `${who} added ${names.join(", ")}`;
  }
  if (raw.left_chat_member) return `${userName(raw.left_chat_member)} left the group`;
  if (raw.pinned_message) {
    const pinned = raw.pinned_message;
    const text = pinned.text || pinned.caption || "a message";
    return `${who} pinned “${text.length > 40 ? text.slice(0, 40) + "…" : text}”`;
  }
  if (raw.group_chat_created || raw.supergroup_chat_created) return `${who} created the group`;
  if (raw.migrate_to_chat_id || raw.migrate_from_chat_id) return "The group was upgraded to a supergroup";
  if (raw.forum_topic_created) return `Topic “${raw.forum_topic_created.name}” created`;
  if (raw.new_chat_title) return `${who} changed the group name to “${raw.new_chat_title}”`;
  if (raw.refunded_payment) {
    const refund = raw.refunded_payment;
    return `Refund of ${formatMoney(refund.total_amount, refund.currency)} issued`;
  }
  if (message.payment) {
    const amount = formatMoney(message.payment.total_amount, message.payment.currency);
    return message.fromId === S.userId ? `You successfully paid ${amount} to ${S.bot.first_name}` : `${who} paid ${amount}`;
  }
  return null;
}

export function previewText(message) {
  if (message.text) return message.text;
  if (message.caption) return "Photo · " + message.caption;
  if (message.photo) return "Photo";
  if (message.invoice) return "Invoice · " + (message.invoice.title || "");
  const raw = message.raw;
  if (raw.contact) return "Contact";
  if (raw.document) return "File · " + (raw.document.file_name || "");
  if (raw.sticker) return "Sticker";
  if (raw.voice) return "Voice message";
  return serviceText(message) || "Message";
}
