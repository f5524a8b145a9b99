"""HTML for the coding widget's text pane: pure functions from segments and marks to markup.

Every piece of transcript text is escaped with :func:`html.escape`; colours and labels are
escaped too, since they come from codebook files. The current segment's text is split at
every mark boundary into ``<span data-start=...>`` pieces whose concatenated text is exactly
``document.text[segment.start:segment.end]``, so the browser can turn a selection back into
document offsets (see ``segment.js``).

Human codings are drawn as a solid tint of the code's colour (more codes on the same words
add coloured bars underneath); suggestions as a dashed underline with a "suggested" note
in the tooltip, so the two are never confused.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cmqual.corpus import Segment

__all__ = ["Mark", "body_html", "pieces", "segment_html", "text_view_html"]


@dataclass(frozen=True)
class Mark:
    """A coloured span of document text.

    Attributes
    ----------
    start, end : int
        Document offsets (0-based, end-exclusive code points).
    colour : str
        CSS colour of the code.
    label : str
        Shown in the tooltip.
    suggested : bool
        True for an auto-coder suggestion, False for a human coding.
    """

    start: int
    end: int
    colour: str
    label: str
    suggested: bool = False


def pieces(start: int, end: int, marks: Sequence[Mark]) -> list[tuple[int, int, list[Mark]]]:
    """Split [start, end) at every mark boundary: ``(piece start, piece end, marks on it)``.

    Examples
    --------
    >>> [(a, b, len(m)) for a, b, m in pieces(0, 10, [Mark(2, 5, "red", "x")])]
    [(0, 2, 0), (2, 5, 1), (5, 10, 0)]
    """
    cuts = {start, end}
    for m in marks:
        for x in (m.start, m.end):
            if start < x < end:
                cuts.add(x)
    bounds = sorted(cuts)
    return [(a, b, [m for m in marks if m.start < b and a < m.end])
            for a, b in itertools.pairwise(bounds)]


def _style(marks: Sequence[Mark]) -> str:
    human = [m for m in marks if not m.suggested]
    suggested = [m for m in marks if m.suggested]
    rules = []
    if human:
        rules.append(f"background: color-mix(in srgb, {human[0].colour} 30%, transparent)")
        bars = [f"inset 0 -{3 * i}px 0 {m.colour}" for i, m in enumerate(human[1:], 1)]
        if bars:
            rules.append(f"box-shadow: {', '.join(bars)}")
    if suggested:
        rules.append(f"text-decoration-color: {suggested[0].colour}")
    return "; ".join(rules)


def _title(marks: Sequence[Mark]) -> str:
    return "\n".join(("suggested: " if m.suggested else "") + m.label for m in marks)


def body_html(text: str, start: int, marks: Sequence[Mark]) -> str:
    """The text of one segment (starting at document offset ``start``) with its marks.

    Examples
    --------
    >>> body_html("a <b>", 10, [Mark(12, 15, "red", "Tag")])
    '<span data-start="10" data-end="12">a </span><span data-start="12" data-end="15" \
class="cmqual-mark" style="background: color-mix(in srgb, red 30%, transparent)" \
title="Tag">&lt;b&gt;</span>'
    """
    out = []
    for a, b, on in pieces(start, start + len(text), marks):
        words = html.escape(text[a - start:b - start])
        attrs = f'data-start="{a}" data-end="{b}"'
        if on:
            classes = "cmqual-mark" + (" cmqual-suggested" if any(m.suggested for m in on)
                                       else "")
            attrs += (f' class="{classes}" style="{html.escape(_style(on))}"'
                      f' title="{html.escape(_title(on))}"')
        out.append(f"<span {attrs}>{words}</span>")
    return "".join(out)


def segment_html(segment: Segment, marks: Sequence[Mark], *, current: bool) -> str:
    """One segment with its speaker label; ``current`` makes it the selectable one."""
    kind = "cmqual-current" if current else "cmqual-context"
    speaker = (f'<span class="cmqual-speaker">{html.escape(segment.speaker)}:</span>'
               if segment.speaker else "")
    body = body_html(segment.text, segment.start, marks)
    attrs = (f' data-segment="{html.escape(segment.segment_id)}"'
             f' data-start="{segment.start}"' if current else "")
    return (f'<div class="cmqual-seg {kind}">{speaker}'
            f'<span class="cmqual-body"{attrs}>{body}</span></div>')


def text_view_html(current: Segment, before: Sequence[Segment], after: Sequence[Segment],
                   marks: Mapping[str, Sequence[Mark]], header: str) -> str:
    """The whole text pane: header line, context before, the current segment, context after.

    ``marks`` maps segment ids to their marks; ``header`` is plain text (escaped here).
    """
    parts = [f'<div class="cmqual-header">{html.escape(header)}</div>']
    parts += [segment_html(s, marks.get(s.segment_id, ()), current=False) for s in before]
    parts.append(segment_html(current, marks.get(current.segment_id, ()), current=True))
    parts += [segment_html(s, marks.get(s.segment_id, ()), current=False) for s in after]
    legend = ('<div class="cmqual-legend"><span class="cmqual-key-human">your coding</span> '
              '<span class="cmqual-key-suggested">suggestion</span> '
              "select words in the framed segment to code just them</div>")
    return f'<div class="cmqual-text">{"".join(parts)}{legend}</div>'
