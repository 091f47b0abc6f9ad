// The live session panel: one run on every screen of the class, and the class predicting before
// the reveal. The teacher shows the run (and controls it with the lab's own toolbar and node menu:
// the run is theirs), adds and asks questions, closes and reveals them; a student watches the run
// and answers. Everything is decided on the server (/api/v1/sessions, docs/classroom.md "Live
// sessions"); the panel reads the session once a second, and a student's answers go over the
// session's websocket (session-socket.js). This file is the session and what is asked of the
// server; how each question looks is live-questions.js's. User strings go in as text.
import { getJSON, postJSON } from "./api.js";
import { $ } from "./dom.js";
import { QuestionList } from "./live-questions.js";
import { SessionSocket } from "./session-socket.js";

const POLL_MS = 1000;

export class LivePanel {
  // context: {id, title, role, classroom, projector}; lab: {view, setTopology, currentTopology, showProblems}.
  constructor(context, lab) {
    this.id = context.id;
    this.role = context.role;
    this.lab = lab;
    this.runId = null;
    this.questions = new QuestionList(this.role, {
      act: (url, body) => this.act(url, body),
      answer: (q, value) => this.answer(q, value).then(() => this.pollSoon()),
    });
    this.answers = this.role === "student" ? new SessionSocket(this.id) : null;
    if (this.answers) this.answers.open(); // ready before the first question, so answering is one message
    document.body.classList.add(`live-${this.role}`);
    if (context.projector) document.body.classList.add("projector");
    if ($("live-run")) $("live-run").addEventListener("click", () => this.showRun());
    if ($("live-end")) $("live-end").addEventListener("click", () => this.act(`/api/v1/sessions/${this.id}/end`));
    if ($("question-form")) {
      $("question-kind").addEventListener("change", () => { $("question-choices").hidden = $("question-kind").value !== "choice"; });
      $("question-form").addEventListener("submit", (event) => { event.preventDefault(); this.addQuestion(); });
    }
    this.poll(true);
  }

  async poll(first = false) {
    try {
      const session = await getJSON(`/api/v1/sessions/${this.id}`);
      this.show(session, first);
    } catch (error) {
      $("live-status").textContent = `Lost the session (${error.message}); trying again...`;
    }
    if (!this.ended) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  show(session, first) {
    if (first) this.lab.setTopology(session.topology);
    this.ended = Boolean(session.ended);
    const run = session.run;
    if (run && run.id !== this.runId) {
      this.runId = run.id;
      this.lab.view.watch(run.id, session.topology, "The class's run: waiting for a simulation worker...");
    }
    $("live-status").textContent = this.ended ? "This session has ended." : run ? `${session.title}: the run is ${run.status}.`
      : this.role === "teacher" ? `${session.title}: show the run when the class is ready.` : `${session.title}: waiting for the teacher to start the run.`;
    for (const q of session.questions) this.questions.show(q);
  }

  async act(url, body = {}) {
    const response = await postJSON(url, body);
    if (!response.ok) {
      const problems = response.body.problems || [];
      $("live-status").textContent = problems.map((p) => p.message).join("; ") || `the server answered ${response.status}`;
      this.lab.showProblems(problems.filter((p) => p.path.startsWith("$.topology")).map((p) => ({ ...p, path: `$${p.path.slice(9)}` })));
      return null;
    }
    if (response.body && response.body.questions) this.show(response.body, false);
    return response.body;
  }

  showRun() {
    const topology = this.lab.currentTopology();
    if (!topology) return;
    this.act(`/api/v1/sessions/${this.id}/run`, { topology, speed: Number($("speed").value), duration_s: Number($("duration").value) });
  }

  addQuestion() {
    const kind = $("question-kind").value;
    const body = { text: $("question-text").value.trim(), kind, unit: $("question-unit").value.trim(), time_limit_s: Number($("question-limit").value) };
    if (kind === "choice") body.choices = $("question-choices").value.split(";").map((c) => c.trim()).filter(Boolean);
    if (kind === "number" && $("question-measure").value) body.measure = { metric: $("question-measure").value, scope: { overall: true } };
    this.act(`/api/v1/sessions/${this.id}/questions`, body).then((done) => { if (done) $("question-text").value = ""; });
  }

  // Over the session's websocket; over HTTP when the socket cannot carry it.
  async answer(q, value) {
    const reply = await this.answers.answer(q.id, value);
    if (reply.type === "unsent") return this.act(`/api/v1/questions/${q.id}/answers`, { value });
    if (reply.type === "error") $("live-status").textContent = reply.message;
    return reply;
  }

  pollSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), 50);
  }
}
