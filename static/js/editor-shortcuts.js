// The canvas editor's keyboard shortcuts: Delete (or Backspace) removes the selection, Ctrl+C
// and Ctrl+V copy and paste it, Ctrl+Z undoes, Ctrl+Shift+Z or Ctrl+Y redoes (Cmd on a Mac).
// Keys typed into a form field are the field's, never the canvas's. Kept apart from the editor
// so every key the page reacts to is listed in one place.

export function bindShortcuts(editor) {
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (typing) return;
    const mod = event.ctrlKey || event.metaKey;
    if (editor.selection.length && (event.key === "Delete" || event.key === "Backspace")) {
      for (const cell of editor.selection) cell.remove();
      editor.select(null);
    } else if (mod && event.key.toLowerCase() === "c") {
      editor.copy();
    } else if (mod && event.key.toLowerCase() === "v") {
      editor.paste();
    } else if (mod && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (event.shiftKey) editor.redo(); else editor.undo();
    } else if (mod && event.key.toLowerCase() === "y") {
      event.preventDefault();
      editor.redo();
    }
  });
}
