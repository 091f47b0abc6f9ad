// A study's websocket, /ws/studies/{id}/ (docs/api.md, "A study's progress"): the run socket's
// client (run-socket.js) with the study's address and frames, so a dropped connection comes back
// the same way, with exponential backoff and jitter, gives up after a while and says so, and a
// study that does not exist (or is not ours) ends with 4404. A study sends one kind of frame,
// its progress: {"type": "study", "status", "done", "failed", "total"}, on connect and whenever
// it changes; there is no snapshot to put together.
import { RunSocket } from "./run-socket.js";

export const STUDY_OVER = ["done", "cancelled", "failed"];

export class StudySocket extends RunSocket {
  // handlers: {progress(msg), error(msg)?, connection(state, delayMs)?}
  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws/studies/${encodeURIComponent(this.runId)}/`;
  }

  receive(msg) {
    if (msg.type === "study") {
      this.over = STUDY_OVER.includes(msg.status); // over: a close after it is not a loss
      if (this.tries || this.lostAt) this.notify("connected");
      this.tries = 0; // the connection proved itself: a later drop starts the backoff again
      this.lostAt = null;
      this.handlers.progress(msg);
    } else if (msg.type === "error" && this.handlers.error) {
      this.handlers.error(msg);
    }
  }
}
