// cmqual coding session, browser side: an anywidget ES module.
//
// It shows the text pane (HTML built in Python, text escaped there), reports a selection
// inside the current segment as document offsets, and turns the session's keyboard
// shortcuts into messages to Python. Offsets are code points, as everywhere in cmqual;
// JavaScript strings count UTF-16 units, so text is measured with Array.from, where a
// character outside the Basic Multilingual Plane counts once.

// Where keys are typing, not shortcuts (a checkbox or button keeps the shortcuts).
const EDITABLE = "textarea, select, [contenteditable=''], [contenteditable='true'], " +
  "input:not([type=checkbox]):not([type=radio]):not([type=button])";

function codePoints(text) {
  return Array.from(text).length;
}

// Document offset of a DOM boundary point inside the current segment's body element.
function offsetAt(body, node, offset) {
  const range = document.createRange();
  range.setStart(body, 0);
  range.setEnd(node, offset);
  return Number(body.dataset.start) + codePoints(range.toString());
}

// [start, end] of the selection clipped to the body, or [] when it has none there.
function selectionIn(body) {
  const sel = window.getSelection();
  if (!body || !sel || sel.rangeCount === 0 || sel.isCollapsed) return [];
  const range = sel.getRangeAt(0);
  if (!range.intersectsNode(body)) return [];
  const whole = document.createRange();
  whole.selectNodeContents(body);
  let [sNode, sOff, eNode, eOff] = [range.startContainer, range.startOffset,
                                    range.endContainer, range.endOffset];
  if (range.compareBoundaryPoints(Range.START_TO_START, whole) < 0) {
    [sNode, sOff] = [body, 0];
  }
  if (range.compareBoundaryPoints(Range.END_TO_END, whole) > 0) {
    [eNode, eOff] = [body, body.childNodes.length];
  }
  const start = offsetAt(body, sNode, sOff);
  const end = offsetAt(body, eNode, eOff);
  return end > start ? [start, end] : [];
}

function render({ model, el }) {
  el.classList.add("cmqual-textpane");
  const pane = document.createElement("div");
  el.appendChild(pane);
  const draw = () => {
    pane.innerHTML = model.get("html");
  };
  draw();
  model.on("change:html", draw);

  const report = () => {
    const span = selectionIn(pane.querySelector(".cmqual-body[data-start]"));
    const old = model.get("selection");
    if (span.length === old.length && span.every((x, i) => x === old[i])) return;
    model.set("selection", span);
    model.save_changes();
  };
  pane.addEventListener("mouseup", report);
  pane.addEventListener("keyup", report);

  // Shortcuts work while the focus is anywhere in the session except a text field. The
  // handler sits on the session's root element, so several sessions do not interfere;
  // JupyterLab 4 handles its own shortcuts on the bubbling keydown at the document, so
  // stopping a handled key here keeps "1" from turning the cell into a heading.
  const onKey = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target instanceof Element && event.target.closest(EDITABLE)) return;
    if (!model.get("shortcut_keys").includes(event.key)) return;
    event.preventDefault();
    event.stopPropagation();
    model.send({ kind: "key", key: event.key });
  };
  let root = null;
  let frame = 0;
  let tries = 0;
  const attach = () => {
    // The view is rendered before it is put into the page: wait until it is.
    root = el.closest(".cmqual-session");
    if (!root) {
      if (tries++ < 1200) frame = requestAnimationFrame(attach);
      return;
    }
    if (!root.hasAttribute("tabindex")) root.setAttribute("tabindex", "0");
    root.addEventListener("keydown", onKey);
  };
  attach();
  // Clicking the text (not a control) gives the session the focus, so keys reach it.
  pane.addEventListener("mousedown", () => {
    if (root && !root.contains(document.activeElement)) root.focus({ preventScroll: true });
  });

  return () => {
    cancelAnimationFrame(frame);
    model.off("change:html", draw);
    if (root) root.removeEventListener("keydown", onKey);
  };
}

export default { render };
