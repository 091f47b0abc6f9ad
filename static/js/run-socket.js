// A live run's websocket. Windows arrive with a sequence number; a gap or a new attempt makes
// the client ask for a snapshot, and a dropped connection reconnects and does the same, so the
// charts always end up with every window exactly once.

export class RunSocket {
  constructor(runId, handlers) {
    this.runId = runId;
    this.handlers = handlers; // {snapshot(msg), window(msg), status(msg), error(msg), ack(msg)}
    this.lastSeq = -1;
    this.attempt = null;
    this.closed = false;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}/ws/runs/${this.runId}/`);
    this.ws.onmessage = (event) => this.receive(JSON.parse(event.data));
    this.ws.onclose = () => {
      if (!this.closed) setTimeout(() => this.connect(), 1000);
    };
  }

  receive(msg) {
    if (msg.type === "snapshot") {
      this.attempt = msg.attempt;
      this.lastSeq = msg.windows.length ? msg.windows[msg.windows.length - 1].index : -1;
      this.handlers.snapshot(msg);
    } else if (msg.type === "window") {
      if (msg.attempt !== this.attempt || msg.seq > this.lastSeq + 1) {
        this.send({ type: "resync" }); // a retry or a lost frame: start from the record
        return;
      }
      if (msg.seq <= this.lastSeq) return; // already have it
      this.lastSeq = msg.seq;
      this.handlers.window(msg);
    } else if (msg.type === "status") {
      if (this.attempt !== null && msg.attempt !== this.attempt) this.send({ type: "resync" });
      this.handlers.status(msg);
      if (["done", "stopped", "failed"].includes(msg.status)) this.send({ type: "resync" });
    } else if (this.handlers[msg.type]) {
      this.handlers[msg.type](msg);
    }
  }

  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  control(command) {
    this.send({ type: "control", command });
  }

  close() {
    this.closed = true;
    this.ws.close();
  }
}
