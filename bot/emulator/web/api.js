// Thin client for the emulator's same-origin /control API.

// A sandbox reachable from other machines guards its control API with a token. `groupcart run` prints a link
// carrying it in the fragment (never sent to the server, so it stays out of access logs); keep it for this tab
// and take it out of the address bar.
const TOKEN_KEY = "groupcart.sandboxToken";

function takeToken() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const fromLink = params.get("token");
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", window.location.pathname + window.location.search + (rest ? "#" + rest : ""));
  }
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

const token = takeToken();

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function describe(data) {
  if (!data) return "";
  if (typeof data === "string") return data.slice(0, 300);
  return data.error || data.settle_error || "";
}

async function request(method, path, body, signal) {
  const init = { method, headers: { Accept: "application/json" }, signal };
  if (token) init.headers["X-Sandbox-Token"] = token;
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    throw new ApiError("This sandbox needs its token: open the link groupcart run printed (…/#token=…).", 401, null);
  }
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  // Control errors come back as {ok: false, error} with HTTP 400/500.
  if (!response.ok || (data && data.ok === false)) {
    throw new ApiError(describe(data) || `${response.status} ${response.statusText}`, response.status, data);
  }
  return data;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

export const api = {
  state: () => request("GET", "/control/state"),
  messages: (chatId, userId, threadId) =>
    request("GET", `/control/chats/${chatId}/messages${query({ user_id: userId, thread_id: threadId })}`),
  events: (since, timeout, signal) =>
    request("GET", `/control/events${query({ since, timeout })}`, undefined, signal),
  send: (body) => request("POST", "/control/send", body),
  tap: (body) => request("POST", "/control/tap", body),
  press: (body) => request("POST", "/control/press", body),
  contact: (body) => request("POST", "/control/contact", body),
  deeplink: (body) => request("POST", "/control/deeplink", body),
  pay: (body) => request("POST", "/control/pay", body),
  photo: (form) => request("POST", "/control/photo", form),
  inline: (body) => request("POST", "/control/inline", body),
  chooseInline: (body) => request("POST", "/control/inline/choose", body),
  // An <img> cannot send a header: the token rides in the query for files.
  fileUrl: (fileId) => `/control/files/${encodeURIComponent(fileId)}${query({ token })}`,
};
