"""The JupyterLab coding widget: ipywidgets controls around a :class:`CodingSession`.

The view holds no coding state of its own: each control calls a session method (which
writes to the project store at once) and redraws from the session when it reports a
change. The text pane is a small anywidget (``segment.js``) because ipywidgets has no
text selection and no key events; it also carries the keyboard shortcuts
(:data:`SHORTCUTS`), active while the focus is anywhere in the widget except a text field.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from cmqual.errors import CmqualError
from cmqual.widget.render import Mark, text_view_html
from cmqual.widget.session import CodingSession

__all__ = ["SHORTCUTS", "CodingView", "SegmentText"]

#: Keyboard shortcuts of the widget: key (as ``KeyboardEvent.key``) → what it does.
SHORTCUTS: dict[str, str] = {
    "n": "next segment",
    "ArrowRight": "next segment",
    "p": "previous segment",
    "ArrowLeft": "previous segment",
    **{str(i): f"toggle code {i} (or code the selection / phrase with it)" for i in range(1, 10)},
    "a": "accept the first suggestion",
    "r": "reject the first suggestion",
    "u": "undo your last action",
    "Escape": "clear the selection and the phrase",
}
_HELP = ("Keys (click the text or a button first; not while typing in a box): "
         "<b>n</b>/<b>→</b> next · <b>p</b>/<b>←</b> previous · <b>1</b>–<b>9</b> toggle "
         "code 1–9 · <b>a</b> accept / <b>r</b> reject the first suggestion · <b>u</b> undo "
         "· <b>Esc</b> clear selection. With words selected in the framed segment, or a "
         "phrase given, a code button codes just those words.")


def _asset(name: str) -> str:
    return files("cmqual.widget").joinpath(name).read_text(encoding="utf-8")


class SegmentText(anywidget.AnyWidget):
    """The text pane: shows ``html``, reports ``selection`` and sends key messages."""

    _esm = _asset("segment.js")
    _css = _asset("session.css")
    html = traitlets.Unicode("").tag(sync=True)
    #: [start, end] document offsets of the selection in the current segment, or [].
    selection = traitlets.List(traitlets.Int(), default_value=[]).tag(sync=True)
    #: Keys the browser sends to Python instead of to JupyterLab.
    shortcut_keys = traitlets.List(traitlets.Unicode(),
                                   default_value=list(SHORTCUTS)).tag(sync=True)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CodingView:
    """Builds the widget for one session; :attr:`root` is what JupyterLab displays.

    Parameters
    ----------
    session : CodingSession

    Examples
    --------
    >>> view = CodingView(session)                                     # doctest: +SKIP
    >>> view.code_buttons["mini/power"].click()   # as a click would  # doctest: +SKIP
    """

    def __init__(self, session: CodingSession) -> None:
        self.session = session
        self._updating = False
        self._span: tuple[int, int] | None = None
        self._span_from = ""  # "selection" or "phrase"
        s = session
        # -- top: title, progress, filters, navigation
        self.title = w.HTML()
        self.progress = w.IntProgress(min=0, max=1, layout=w.Layout(width="220px"))
        self.progress_label = w.HTML()
        docs = [("all documents", "")] + [(path, d) for d, path in s.documents()]
        self.doc_filter = w.Dropdown(options=docs, description="document",
                              layout=w.Layout(width="auto"))
        speakers = [("all speakers", "")] + [(x, x) for x in s.speakers()]
        self.speaker_filter = w.Dropdown(options=speakers, description="speaker",
                                  layout=w.Layout(width="auto"))
        codes = [("any code", "")] + [("\u00a0\u00a0" * (c.depth - 1) + c.label, c.ref)
                                         for c in s.tree]
        self.code_filter = w.Dropdown(options=codes, description="code",
                               layout=w.Layout(width="auto"))
        self.uncoded = w.Checkbox(description="uncoded only", indent=False,
                                  layout=w.Layout(width="auto"))
        self.suggested = w.Checkbox(description="with suggestions only", indent=False,
                                    layout=w.Layout(width="auto"))
        self.participants = w.Checkbox(description="participants only", indent=False,
                                       layout=w.Layout(width="auto"))
        for control in (self.doc_filter, self.speaker_filter, self.code_filter, self.uncoded,
                        self.suggested, self.participants):
            control.observe(self._on_filter, names="value")
        self.previous_button = w.Button(description="◀ previous", tooltip="previous (p, ←)")
        self.next_button = w.Button(description="next ▶", tooltip="next (n, →)",
                                    button_style="primary")
        self.goto = w.Text(placeholder="segment id or number", continuous_update=False,
                           layout=w.Layout(width="200px"))
        self.goto_button = w.Button(description="go", layout=w.Layout(width="50px"))
        self.undo_button = w.Button(description="undo", tooltip="undo your last action (u)")
        self.previous_button.on_click(self._guard(lambda _: s.previous()))
        self.next_button.on_click(self._guard(lambda _: s.next()))
        self.goto_button.on_click(self._guard(self._on_goto))
        self.goto.observe(self._on_goto_typed, names="value")
        self.undo_button.on_click(self._guard(lambda _: s.undo()))
        # -- middle: text pane, span controls, codings, suggestions, memo | codebook tree
        self.text = SegmentText()
        self.text.observe(self._on_selection, names="selection")
        self.text.on_msg(self._on_msg)
        self.phrase = w.Text(placeholder="or type words of the segment to code",
                             layout=w.Layout(width="300px"))
        self.occurrence = w.BoundedIntText(value=1, min=1, max=999, description="occurrence",
                                           layout=w.Layout(width="150px"))
        self.phrase.observe(self._on_phrase, names="value")
        self.occurrence.observe(self._on_phrase, names="value")
        self.clear_button = w.Button(description="clear", layout=w.Layout(width="auto"),
                                     tooltip="clear the selection and phrase (Esc)")
        self.clear_button.on_click(self._guard(lambda _: self.clear_span()))
        self.span_info = w.HTML(layout=w.Layout(margin="0 0 4px 4px"))
        self.codings_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.suggestions_box = w.VBox()
        self.memo_on = w.Dropdown(description="memo on", layout=w.Layout(width="360px"))
        self.memo_on.observe(self._on_memo_target, names="value")
        self.memo = w.Textarea(placeholder="memo: saved when you leave the box or press save",
                               continuous_update=False,
                               layout=w.Layout(width="100%", height="70px"))
        self.memo.observe(self._on_memo_edit, names="value")
        self.memo_button = w.Button(description="save memo",
                                    layout=w.Layout(width="100px", flex="0 0 auto"))
        self.memo_button.on_click(self._guard(lambda _: self._save_memo()))
        self.memo_status = w.HTML(layout=w.Layout(min_width="120px"))
        # Plain buttons, not ToggleButtons: a click is a one-off message, so no button value
        # synced between browser and kernel can go stale and undo a coding; the state shows
        # in the button style ("info" when the segment holds the code).
        self.code_buttons: dict[str, w.Button] = {}
        rows = []
        for c in s.tree:
            key = f"{c.number} " if c.number <= 9 else ""
            button = w.Button(description=f"{key}{c.label}", tooltip=c.definition or c.ref,
                              layout=w.Layout(width="auto", margin="1px 0 1px 0"))
            button.add_class("cmqual-code")
            button.on_click(self._code_handler(c.ref))
            self.code_buttons[c.ref] = button
            swatch = w.HTML(f'<span class="cmqual-swatch" style="background: '
                            f'{html.escape(c.colour)}"></span>',
                            layout=w.Layout(margin=f"0 4px 0 {16 * (c.depth - 1)}px"))
            rows.append(w.HBox([swatch, button]))
        self.tree = w.VBox(rows or [w.HTML("<i>no codebooks: use session.toggle(ref)</i>")],
                           layout=w.Layout(width="320px", max_height="520px",
                                           overflow="hidden auto", flex="0 0 auto"))
        self.message = w.HTML()
        help_html = w.HTML(_HELP)
        help_html.add_class("cmqual-help")
        left = w.VBox([
            self.text,
            w.HBox([self.phrase, self.occurrence, self.clear_button]),
            self.span_info,
            self.codings_box,
            self.suggestions_box,
            w.HBox([self.memo_on, self.memo_button, self.memo_status]),
            self.memo,
        ], layout=w.Layout(flex="1 1 auto", min_width="0"))
        self.root = w.VBox([
            w.HBox([self.title, self.progress, self.progress_label],
                   layout=w.Layout(align_items="center")),
            w.HBox([self.doc_filter, self.speaker_filter, self.code_filter],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.uncoded, self.suggested, self.participants]),
            w.HBox([self.previous_button, self.next_button, self.goto, self.goto_button,
                    self.undo_button]),
            self.message,
            w.HBox([left, self.tree]),
            help_html,
        ])
        self.root.add_class("cmqual-session")
        session.on_change(self.refresh)
        self.refresh()

    # -- error handling -----------------------------------------------------------------------
    def _guard(self, action: Callable[..., Any]) -> Callable[..., None]:
        """Run a UI action, showing a cmqual error in the widget instead of the log."""

        def run(*args: Any) -> None:
            self.message.value = ""
            try:
                action(*args)
            except CmqualError as exc:
                self.show_error(str(exc))
                self.refresh()

        return run

    def show_error(self, text: str) -> None:
        """Show ``text`` as an error line above the text pane."""
        self.message.value = (f'<div class="cmqual-message-error">'
                              f"{html.escape(text).replace(chr(10), '<br>')}</div>")

    # -- redrawing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw every control from the session."""
        s = self.session
        self._updating = True
        try:
            seg = s.current
            progress = s.progress
            self.title.value = (f"<b>cmqual</b> · coder <b>{html.escape(s.coder)}</b> · "
                                f"{html.escape(s.level)} segments")
            self.progress.max = max(progress.total, 1)
            self.progress.value = progress.coded
            self.progress_label.value = html.escape(str(progress))
            f = s.filters
            # "" stands for "no filter": a Dropdown shows the value None as an empty box
            self.doc_filter.value, self.speaker_filter.value = f.doc or "", f.speaker or ""
            self.code_filter.value = f.code or ""
            self.uncoded.value, self.suggested.value = f.uncoded, f.suggested
            self.participants.value = f.participants
            if self._span is not None and not (seg.start <= self._span[0] < self._span[1]
                                               <= seg.end):
                self._clear_span_state()
            self.text.html = self._text_html()
            used = s.coded_refs()
            for ref, button in self.code_buttons.items():
                button.button_style = "info" if ref in used else ""
            self._draw_codings()
            self._draw_suggestions()
            self._draw_memo_targets()
            self.memo_status.value = ""
            self._draw_span_info()
        finally:
            self._updating = False

    def _text_html(self) -> str:
        s = self.session
        seg = s.current
        before, after = s.context_segments()
        marks: dict[str, list[Mark]] = {}
        for other in [*before, seg, *after]:
            rows = s.codings_at(s.index_of(other.segment_id))
            # codes in tree order, so the first code of the tree gives the tint
            rows = rows.assign(number=[s.code_info(c).number or 10**6 for c in rows["code"]])
            rows = rows.sort_values(["number", "start"], kind="mergesort")
            marks[other.segment_id] = [
                Mark(int(r.start), int(r.end), s.code_info(r.code).colour,
                     f"{r.label} ({s.coder}"
                     f"{', accepted suggestion' if r.origin != 'human' else ''})")
                for r in rows.itertuples(index=False)]
        marks[seg.segment_id] += [Mark(a, b, s.code_info(code).colour,
                                       f"{s.code_info(code).label} — pattern {pattern}",
                                       suggested=True)
                                  for a, b, code, pattern in s.hits()]
        doc = s.project.corpus.document(seg.doc_id)
        number, count = s.place_in_document
        who = f"{seg.speaker} ({seg.speaker_role})" if seg.speaker else "no speaker label"
        header = (f"{doc.path} · {s.level} {number} of {count} in this document · "
                  f"{who} · {seg.segment_id}")
        return text_view_html(seg, before, after, marks, header)

    def _close_children(self, box: w.Box) -> None:
        old = list(box.children)
        box.children = ()
        for child in old:
            for grandchild in getattr(child, "children", ()):
                grandchild.close()
            child.close()

    def _draw_codings(self) -> None:
        self._close_children(self.codings_box)
        chips: list[w.Widget] = []
        for r in self.session.codings.itertuples(index=False):
            chip = w.Button(description=f"✕ {r.label}: “{_short(r.text, 30)}”",
                            tooltip=f"remove this coding ({r.start}–{r.end})",
                            layout=w.Layout(width="auto"))
            chip.on_click(self._guard(lambda _, cid=int(r.coding_id): self.session.uncode(cid)))
            chips.append(chip)
        label = w.HTML("<b>your codings here:</b>" if chips else "<i>not coded yet</i>")
        self.codings_box.children = (label, *chips)

    def _draw_suggestions(self) -> None:
        self._close_children(self.suggestions_box)
        s = self.session
        rows: list[w.Widget] = []
        for i, sug in enumerate(s.suggestions):
            colour = html.escape(s.code_info(sug.code).colour)
            words = ", ".join(f"“{html.escape(_short(t, 30))}”" for t in sug.texts)
            text = w.HTML(f'<span class="cmqual-badge" style="color: {colour}">suggested</span>'
                          f"<b>{html.escape(sug.label)}</b> · {words}")
            accept = w.Button(description="accept", tooltip="code the segment (a)",
                              layout=w.Layout(width="70px"), button_style="success")
            reject = w.Button(description="reject", tooltip="do not suggest it again (r)",
                              layout=w.Layout(width="70px"))
            accept.on_click(self._guard(lambda _, i=i: s.accept(i)))
            reject.on_click(self._guard(lambda _, i=i: s.reject(i)))
            rows.append(w.HBox([accept, reject, text], layout=w.Layout(align_items="center")))
        if s.n_rejected:
            rows.append(w.HTML(f"<i>{s.n_rejected} rejected suggestion hit(s) hidden</i>"))
        self.suggestions_box.children = tuple(rows)

    def _draw_memo_targets(self) -> None:
        s = self.session
        options: list[tuple[str, Any]] = [("this document", "document")]
        options += [(f"coding {r.label}: “{_short(r.text, 30)}”", int(r.coding_id))
                    for r in s.codings.itertuples(index=False)]
        options.append(("the project", "project"))
        current = self.memo_on.value
        self.memo_on.options = options
        values = [v for _, v in options]
        self.memo_on.value = current if current in values else "document"
        self.memo.value = s.memo(self.memo_on.value)

    # -- spans: a selection or a phrase --------------------------------------------------------
    @property
    def span(self) -> tuple[int, int] | None:
        """Document offsets the code buttons apply to instead of the whole segment."""
        return self._span

    def _clear_span_state(self) -> None:
        self._span, self._span_from = None, ""
        self.phrase.value = ""
        self.occurrence.value = 1
        self.text.selection = []

    def clear_span(self) -> None:
        """Forget the selection and the phrase: code buttons code the whole segment again."""
        updating, self._updating = self._updating, True
        try:
            self._clear_span_state()
        finally:
            self._updating = updating
        self._draw_span_info()
        self.text.html = self._text_html()  # also clears the browser's selection

    def _draw_span_info(self) -> None:
        if self._span is None:
            self.span_info.value = "code buttons code the <b>whole segment</b>"
            return
        a, b = self._span
        words = self.session.project.corpus.texts[self.session.current.doc_id][a:b]
        self.span_info.value = (f"code buttons code the {self._span_from} "
                                f"<b>“{html.escape(_short(words, 50))}”</b> [{a}–{b}]")

    def _on_selection(self, change: dict) -> None:
        if self._updating:
            return
        value = list(change["new"])
        seg = self.session.current
        if len(value) == 2 and seg.start <= value[0] < value[1] <= seg.end:
            text = self.session.project.corpus.texts[seg.doc_id]
            a, b = value
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                self._span, self._span_from = (a, b), "selection"
                self._draw_span_info()
                return
        if self._span_from == "selection":
            self._span, self._span_from = None, ""
        self._draw_span_info()

    def _on_phrase(self, change: dict) -> None:
        if self._updating:
            return
        phrase = self.phrase.value
        if not phrase.strip():
            if self._span_from == "phrase":
                self._span, self._span_from = None, ""
            self._draw_span_info()
            return
        try:
            self._span = self.session.find_phrase(phrase, int(self.occurrence.value))
            self._span_from = "phrase"
            self._draw_span_info()
        except CmqualError as exc:
            self._span, self._span_from = None, ""
            self.span_info.value = (f'<span class="cmqual-message-error">'
                                    f"{html.escape(str(exc))}</span>")

    # -- actions ------------------------------------------------------------------------------
    def code(self, ref: str) -> None:
        """What a code button does: code the selection or phrase when there is one, else
        toggle the code on the whole segment."""
        if self._span is not None:
            span = self._span
            self.clear_span()
            self.session.code_span(ref, *span)
        else:
            self.session.toggle(ref)

    def _code_handler(self, ref: str) -> Callable[[w.Button], None]:
        return self._guard(lambda _: self.code(ref))

    def _on_goto(self, _: Any = None) -> None:
        target = self.goto.value.strip()
        if not target:
            return
        if target.isdigit():
            self.session.jump(int(target) - 1)  # the widget counts from 1, like its labels
        else:
            self.session.jump(target)
        self._set_quietly(self.goto, "")

    def _on_goto_typed(self, change: dict) -> None:
        # Enter (or leaving the box) jumps; clearing the box after a jump does not.
        if not self._updating:
            self._guard(self._on_goto)()

    def _set_quietly(self, control: w.ValueWidget, value: Any) -> None:
        updating, self._updating = self._updating, True
        try:
            control.value = value
        finally:
            self._updating = updating

    def _on_filter(self, change: dict) -> None:
        if self._updating:
            return
        self._guard(lambda: self.session.set_filters(
            doc=self.doc_filter.value or None, speaker=self.speaker_filter.value or None,
            code=self.code_filter.value or None,
            uncoded=self.uncoded.value, suggested=self.suggested.value,
            participants=self.participants.value))()

    def _on_memo_target(self, change: dict) -> None:
        if not self._updating:
            self._updating = True
            try:
                self.memo.value = self.session.memo(self.memo_on.value)
            finally:
                self._updating = False
            self.memo_status.value = ""

    def _on_memo_edit(self, change: dict) -> None:
        if not self._updating:
            self._guard(self._save_memo)()

    def _save_memo(self) -> None:
        on = self.memo_on.value
        if self.memo.value != self.session.memo(on):
            self.session.set_memo(self.memo.value, on=on)
        self.memo_status.value = "<i>memo saved</i>"

    def press(self, key: str) -> None:
        """Do what the keyboard shortcut ``key`` does (see :data:`SHORTCUTS`)."""
        s = self.session
        if key in ("n", "ArrowRight"):
            s.next()
        elif key in ("p", "ArrowLeft"):
            s.previous()
        elif key.isdigit() and key != "0":
            tree = s.tree
            if int(key) <= len(tree):
                self.code(tree[int(key) - 1].ref)
        elif key == "a" and s.suggestions:
            s.accept(0)
        elif key == "r" and s.suggestions:
            s.reject(0)
        elif key == "u":
            s.undo()
        elif key == "Escape":
            self.clear_span()

    def _on_msg(self, _: Any, content: dict, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("kind") == "key":
            self._guard(self.press)(str(content.get("key", "")))
