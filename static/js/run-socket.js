// A live run's websocket (the protocol: docs/api.md, "Websocket"). A snapshot comes as a header
// and pages of windows, which are put back together here; then windows arrive one by one with a
// sequence number. The server sends only as far ahead as this client has acknowledged, so the
// client acknowledges every few frames: a tab that stops reading stops costing the server.
// A dropped connection reconnects with exponential backoff and jitter, and after a while gives
// up and says so; a run that does not exist (or is not ours) ends with close code 4404.

const ACK_EVERY_FRAMES = 8; // both well inside the server's credit (lab/runs/publisher.py)
const ACK_EVERY_BYTES = 64 * 1024;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const MAX_TRIES = 10;
const GIVE_UP_MS = 120000;
const NOT_FOUND = 4404;
const OVER = ["done", "stopped", "failed", "limited"];

export function isOver(status) {
  return OVER.includes(status);
}

export class RunSocket {
  constructor(runId, handlers) {
    this.runId = runId;
    // {snapshot(msg), window(msg), status(msg), error(msg), ack(msg), connection(state, delayMs)?}
    this.handlers = handlers;
    this.lastSeq = -1;
    this.attempt = null;
    this.closed = false;
    this.over = false;
    this.tries = 0;
    this.lostAt = null;
    this.timer = null;
    this.connect();
  }

  // The socket's address; a study's (study-socket.js) is another, with the same reconnecting.
  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws/runs/${this.runId}/`;
  }

  connect() {
    clearTimeout(this.timer);
    const ws = new WebSocket(this.url());
    this.ws = ws;
    this.received = 0;
    this.acked = 0;
    this.unackedBytes = 0;
    this.assembling = null;
    this.waiting = false;
    ws.onmessage = (event) => this.arrived(event.data);
    ws.onclose = (event) => this.lost(event);
  }

  arrived(text) {
    this.received += 1;
    this.unackedBytes += text.length; // frames are ASCII: characters are bytes
    if (this.received - this.acked >= ACK_EVERY_FRAMES || this.unackedBytes >= ACK_EVERY_BYTES) {
      this.send({ type: "ack", frames: this.received });
      this.acked = this.received;
      this.unackedBytes = 0;
    }
    this.receive(JSON.parse(text));
  }

  receive(msg) {
    if (msg.type === "snapshot") {
      this.attempt = msg.attempt;
      this.lastSeq = -1;
      this.waiting = false;
      this.assembling = { ...msg, windows: [] };
      if (msg.through < 0) this.assembled();
    } else if (msg.type === "windows") {
      if (!this.continues(msg.attempt, msg.first)) return;
      this.lastSeq = msg.last;
      if (this.assembling) {
        for (const w of msg.windows) this.assembling.windows.push(w);
        if (this.lastSeq >= this.assembling.through) this.assembled();
      } else {
        // Windows this client had fallen behind on, caught up in a page.
        for (const w of msg.windows) this.handlers.window({ type: "window", run: msg.run, attempt: msg.attempt, seq: w.index, window: w });
      }
    } else if (msg.type === "window") {
      if (this.assembling || !this.continues(msg.attempt, msg.seq)) return;
      this.lastSeq = msg.seq;
      this.handlers.window(msg);
    } else if (msg.type === "status") {
      if (this.waiting || this.assembling) return; // a snapshot is on its way and says the same
      if (msg.attempt !== this.attempt && this.lastSeq >= 0) return; // the server sends a new snapshot
      this.attempt = msg.attempt;
      this.over = isOver(msg.status);
      this.handlers.status(msg);
    } else if (this.handlers[msg.type]) {
      this.handlers[msg.type](msg);
    }
  }

  // Does a frame starting at `first` follow what this client has? Otherwise start over from the
  // record (the server sends in order, so this is a retry of the run or a bug, not a lost frame).
  continues(attempt, first) {
    if (this.waiting) return false;
    if (attempt !== this.attempt && this.lastSeq < 0) this.attempt = attempt; // the first windows of a run
    if (attempt === this.attempt && first === this.lastSeq + 1) return true;
    if (attempt === this.attempt && first <= this.lastSeq) return false; // already have it
    this.waiting = true;
    this.send({ type: "resync" });
    return false;
  }

  assembled() {
    const snapshot = this.assembling;
    this.assembling = null;
    this.over = isOver(snapshot.status);
    if (this.tries || this.lostAt) this.notify("connected");
    this.tries = 0; // the connection proved itself: a later drop starts the backoff again
    this.lostAt = null;
    this.handlers.snapshot(snapshot);
  }

  lost(event) {
    if (this.closed || event.target !== this.ws) return;
    if (event.code === NOT_FOUND) {
      this.closed = true;
      this.notify("gone");
      return;
    }
    if (this.over && !this.assembling) return; // everything is here; nothing more will come
    this.lostAt = this.lostAt || Date.now();
    if (this.tries >= MAX_TRIES || Date.now() - this.lostAt > GIVE_UP_MS) {
      this.notify("gave-up");
      return;
    }
    // Doubling with jitter, so a class whose server restarted does not reconnect in step.
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.tries) * (0.5 + Math.random() / 2);
    this.tries += 1;
    this.notify("reconnecting", delay);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // After giving up: the user asked to try again.
  retry() {
    this.closed = false;
    this.tries = 0;
    this.lostAt = Date.now();
    this.connect();
  }

  notify(state, delayMs) {
    if (this.handlers.connection) this.handlers.connection(state, delayMs);
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  control(command) {
    this.send({ type: "control", command });
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws.close();
  }
}
