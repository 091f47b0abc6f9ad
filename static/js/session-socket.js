// A live session's websocket, where a student's answers go (the protocol: docs/live-sessions.md,
// "Answering over the websocket"). A class answering at once is written in one batch on the
// server, so answers are counted in a fraction of a second. The socket opens with the page (and
// again on the next answer after a drop); if it cannot be used, answer() says so and the
// caller sends the answer over HTTP instead (the same rules on the server).

const REPLY_MS = 5000;

export class SessionSocket {
  constructor(sessionId) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/sessions/${sessionId}/`;
    this.ws = null;
    this.ref = 0;
    this.waiting = new Map(); // ref -> {resolve, timer}
  }

  open() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return this.ready;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.ready = new Promise((resolve) => {
      ws.addEventListener("open", () => resolve(true));
      ws.addEventListener("close", () => { resolve(false); this.failAll("the connection closed"); });
    });
    ws.addEventListener("message", (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      const pending = this.waiting.get(msg.ref);
      if (!pending) return;
      this.waiting.delete(msg.ref);
      clearTimeout(pending.timer);
      pending.resolve(msg);
    });
    return this.ready;
  }

  failAll(reason) {
    for (const [ref, pending] of this.waiting) {
      clearTimeout(pending.timer);
      pending.resolve({ type: "unsent", ref, message: reason });
    }
    this.waiting.clear();
  }

  // Resolves to the server's reply ({type: "answered"} or {type: "error", status, message}), or
  // {type: "unsent"} when the socket could not carry it (then send it over HTTP).
  async answer(question, value) {
    if (!(await this.open())) return { type: "unsent", message: "no connection" };
    const ref = ++this.ref;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiting.delete(ref); resolve({ type: "unsent", message: "no reply" }); }, REPLY_MS);
      this.waiting.set(ref, { resolve, timer });
      this.ws.send(JSON.stringify({ type: "answer", question, value, ref }));
    });
  }
}
