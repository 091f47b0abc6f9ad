// Undo and redo for the canvas editor: the topology as it was after each change, kept as JSON
// text (so an entry can never be changed by a later edit), 200 steps back. It knows nothing of
// the canvas: the editor records each change here and redraws whatever undo or redo returns,
// which keeps the history rules (what counts as a change, when redo is lost) in one small place.

const LIMIT = 200;

export class History {
  constructor() {
    this.past = [];
    this.future = [];
  }

  // A freshly loaded document: nothing to undo.
  reset(text) {
    this.past = [text];
    this.future = [];
  }

  // After a change; the same document again is not a step, and a new step ends redo.
  record(text) {
    if (this.past[this.past.length - 1] === text) return;
    this.past.push(text);
    if (this.past.length > LIMIT) this.past.shift();
    this.future = [];
  }

  // The document to go back to, or null when there is none.
  undo() {
    if (this.past.length < 2) return null;
    this.future.push(this.past.pop());
    return this.past[this.past.length - 1];
  }

  redo() {
    if (!this.future.length) return null;
    const text = this.future.pop();
    this.past.push(text);
    return text;
  }
}
