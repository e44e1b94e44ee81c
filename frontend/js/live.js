// A WebSocket to the live dashboard that reconnects with back-off and shows its state.
//
// Contract: `connectLive({ path, onHello, onMessage })` opens `ws(s)://<host><path>`. Every
// `{"type": "hello"}` from the server (first connect and every reconnect) calls `onHello(socket)`: the
// page resynchronises from the server there, because it cannot know what it missed while disconnected.
// Other messages go to `onMessage(message)`. Close code 4401 (signed out) stops reconnecting. The
// `[data-live-indicator]` element shows "Live", "Connecting…", "Reconnecting in Ns…" or "Signed out".
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 15000;

function indicate(state, text) {
  for (const el of document.querySelectorAll("[data-live-indicator]")) {
    el.hidden = false;
    el.dataset.state = state;
    const label = el.querySelector("[data-live-text]") || el;
    label.textContent = text;
    el.title = state === "live" ? "Receiving live updates" : text;
  }
}

/** Reconnect delays: 0.5 s doubling to 15 s, each with ±25 % jitter; `reset()` after a good connect. */
export class Backoff {
  constructor(random = Math.random) {
    this.random = random;
    this.delay = FIRST_DELAY_MS;
  }

  /** True until the first failure after a reset (the indicator says "connecting", not "reconnecting"). */
  get fresh() {
    return this.delay === FIRST_DELAY_MS;
  }

  /** The next wait in ms (and double the one after). */
  next() {
    const wait = Math.round(this.delay * (0.75 + this.random() * 0.5));
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    return wait;
  }

  reset() {
    this.delay = FIRST_DELAY_MS;
  }
}

export function connectLive({ path, onHello, onMessage, backoff = new Backoff() }) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}${path}`;
  let socket = null;
  let timer = null;
  let stopped = false;

  const schedule = () => {
    const wait = backoff.next();
    indicate("reconnecting", `Reconnecting in ${Math.max(1, Math.round(wait / 1000))}s…`);
    timer = setTimeout(open, wait);
  };

  const onClose = (event) => {
    socket = null;
    if (stopped) return;
    if (event.code === CLOSE_UNAUTHENTICATED) {
      indicate("offline", "Signed out — reload to sign in");
      return;
    }
    if (event.code === CLOSE_NOT_FOUND) {
      indicate("offline", "Not live");
      return;
    }
    schedule();
  };

  function open() {
    timer = null;
    indicate(backoff.fresh ? "connecting" : "reconnecting", "Connecting…");
    socket = new WebSocket(url);
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "hello") {
        backoff.reset();
        indicate("live", "Live");
        onHello?.(handle);
      } else {
        onMessage?.(message);
      }
    });
    socket.addEventListener("close", onClose);
  }

  const handle = {
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      indicate("offline", "Paused");
    },
    // Reconnect after stop(), as after an outage (the page resynchronises on the server's hello).
    resume() {
      if (!stopped) return;
      stopped = false;
      backoff.reset();
      open();
    },
    // For tests and the console: drop the connection as a network failure would (it reconnects).
    drop() {
      socket?.close(4000, "dropped by the page");
    },
  };
  window.addEventListener("online", () => {
    if (timer && !stopped) {
      clearTimeout(timer);
      backoff.reset();
      open();
    }
  });
  open();
  return handle;
}

/**
 * Run `task` (returns a Promise) at most once per `minGapMs`, never twice at once, and once more
 * after a run if it was requested meanwhile: bursts of requests collapse into few runs.
 */
export function coalesce(task, minGapMs, now = () => performance.now()) {
  let running = false;
  let wanted = false;
  let last = 0;
  let timer = null;
  const run = async () => {
    timer = null;
    if (running) return;
    running = true;
    wanted = false;
    last = now();
    try {
      await task();
    } catch (error) {
      console.warn("live refresh failed", error);
    } finally {
      running = false;
      if (wanted) request();
    }
  };
  function request() {
    wanted = true;
    if (running || timer) return;
    timer = setTimeout(run, Math.max(0, last + minGapMs - now()));
  }
  return request;
}

/** Fetch an HTML fragment and return its first element (parsed inertly: scripts never run). */
export async function fetchFragment(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
    cache: "no-store",
  });
  if (response.redirected && new URL(response.url).pathname.startsWith("/login")) {
    location.reload();
    return null;
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  return doc.body.firstElementChild;
}
