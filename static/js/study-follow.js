// Following a study until it is over, for the evidence panel: its progress over the websocket
// (study-socket.js), the document of the runs finished so far fetched when more have finished
// (GET /api/v1/studies/{id}?partial=true, at most every SO_FAR_MS, so a sweep's points appear as
// they come), and the final document once it is over. GET /api/v1/studies/{id} is polled only
// while the socket is down or could not open; when the socket is back, polling stops.
import { getJSON } from "./api.js";
import { STUDY_OVER, StudySocket } from "./study-socket.js";

const POLL_MS = 1000;
const SO_FAR_MS = 1500;

const progressOf = (study) => ({ status: study.status, ...study.progress });

export class StudyFollow {
  // hooks: progress({status, done, failed, total}, via), soFar(study), ended(study), note(text or ""),
  // gone(): every one called only while this follow is the one on screen (until stop()).
  constructor(study, hooks) {
    this.study = study;
    this.hooks = hooks;
    this.stopped = false;
    this.finishing = false;
    this.polling = false;
    this.again = false;
    this.seen = study.progress.done;
    this.askedAt = 0;
    this.asking = null;
    this.timer = null;
    try {
      this.socket = new StudySocket(study.id, {
        progress: (msg) => this.arrived(msg, "socket"),
        connection: (state, delayMs) => this.connection(state, delayMs),
      });
    } catch {
      this.socket = null; // no websocket here at all: ask the server instead
      this.poll(true);
    }
  }

  // `via`: "socket" or "polling", how this progress came (the panel says which it follows by).
  arrived(progress, via) {
    if (this.over()) return;
    this.hooks.progress(progress, via);
    if (STUDY_OVER.includes(progress.status)) {
      this.finish();
      return;
    }
    if (progress.done > this.seen) {
      this.seen = progress.done;
      this.askSoFar();
    }
  }

  connection(state, delayMs) {
    if (this.over()) return;
    if (state === "connected") {
      this.poll(false);
      this.hooks.note("");
    } else if (state === "reconnecting") {
      this.hooks.note(`Lost the live connection; trying again in ${Math.ceil(delayMs / 1000)} s, asking the server meanwhile.`);
      this.poll(true);
    } else if (state === "gave-up") {
      this.hooks.note("Could not get the live connection back; asking the server every second instead.");
      this.poll(true);
    } else if (state === "gone") {
      this.stop();
      this.hooks.gone();
    }
  }

  // Polling on or off; on, it asks at once and then every POLL_MS until the study is over.
  poll(on) {
    clearTimeout(this.timer);
    this.polling = on;
    if (on) this.pollOnce();
  }

  async pollOnce() {
    if (!this.polling || this.over()) return;
    let delay = POLL_MS;
    try {
      const study = await getJSON(this.study.url);
      if (this.over()) return;
      this.arrived(progressOf(study), "polling");
    } catch {
      delay = 3 * POLL_MS; // the server itself is away: ask less often
    }
    if (this.polling && !this.over()) this.timer = setTimeout(() => this.pollOnce(), delay);
  }

  // The document so far, at most every SO_FAR_MS however fast runs finish; a run that finishes
  // while one is being fetched asks for one more after it.
  askSoFar() {
    if (this.asking) {
      this.again = true;
      return;
    }
    const wait = Math.max(0, this.askedAt + SO_FAR_MS - Date.now());
    this.asking = setTimeout(async () => {
      this.askedAt = Date.now();
      this.again = false;
      try {
        const study = await getJSON(`${this.study.url}?partial=true`);
        if (!this.over() && study.document && !STUDY_OVER.includes(study.status)) this.hooks.soFar(study);
      } catch { /* the next finished run asks again */ }
      this.asking = null;
      if (this.again && !this.over()) this.askSoFar();
    }, wait);
  }

  over() {
    return this.stopped || this.finishing;
  }

  async finish() {
    if (this.over()) return;
    this.finishing = true;
    this.halt();
    for (let attempt = 0; attempt < 5 && !this.stopped; attempt += 1) {
      try {
        const study = await getJSON(this.study.url);
        if (!this.stopped) this.hooks.ended(study);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * POLL_MS));
      }
    }
    if (!this.stopped) this.hooks.note("The study is over, but its document did not come; reload the page to see it.");
  }

  halt() {
    this.polling = false;
    clearTimeout(this.timer);
    clearTimeout(this.asking);
    this.asking = null;
    if (this.socket) this.socket.close();
  }

  // Another study is on screen now, or this one was cancelled: nothing more is shown of it.
  stop() {
    this.stopped = true;
    this.halt();
  }
}
