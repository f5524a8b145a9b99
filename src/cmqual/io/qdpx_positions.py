r"""Mapping REFI-QDA text positions onto cmqual's canonical text.

REFI-QDA positions count characters of a source's plain text; tools differ in how they count
a line break (``\r\n`` as two characters or one) and some count UTF-16 code units. See
"Positions" in :mod:`cmqual.io.qdpx` for the conventions. :class:`CountedText` maps a
position counted one way onto the canonical text (line breaks ``\n``) exactly;
:func:`map_spans` applies a convention to a source's selections and
:func:`choose_convention` picks the convention under which they make most sense.

Examples
--------
>>> raw = "Q: Hi\r\nA: Fine, thanks"
>>> choose_convention(raw, [Span(9, 13, "Fine")])[0]   # ATLAS.ti counts \r\n as one
'lf'
>>> map_spans(raw, [Span(9, 13, "Fine")], "lf")
[(9, 13, True)]
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from cmqual.io.encoding import normalise_newlines
from cmqual.io.qdpx import NOT_XML_CHAR_RE

__all__ = ["CONVENTIONS", "CountedText", "Span", "choose_convention", "map_spans"]

_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
#: Position conventions: (which form of the text is counted, whether in UTF-16 code units).
#: "stored" counts the text as stored, "lf" with every line break as one character, "crlf"
#: with every line break as two.
CONVENTIONS: dict[str, tuple[str, bool]] = {
    "stored": ("stored", False),
    "lf": ("lf", False),
    "crlf": ("crlf", False),
    "stored-utf16": ("stored", True),
    "lf-utf16": ("lf", True),
    "crlf-utf16": ("crlf", True),
}
_EXPLAIN = {
    "stored": "characters of the text as stored (the REFI-QDA rule)",
    "lf": "line breaks counted as one character, as ATLAS.ti and MAXQDA count them",
    "crlf": "line breaks counted as two characters",
}


class CountedText:
    r"""Maps positions counted on one form of a text onto its canonical form.

    ``counted`` is the text positions count on; its line breaks may be ``\r\n``, ``\r`` or
    ``\n``, and the canonical text is ``normalise_newlines(counted)``.

    Examples
    --------
    >>> t = CountedText("a\r\nb")
    >>> t.to_canonical(3, utf16=False), t.to_canonical(2, utf16=False)
    ((2, True), (1, False))
    """

    def __init__(self, counted: str) -> None:
        self.length = len(counted)
        self._crlf = [m.start() for m in re.finditer("\r\n", counted)]
        self._astral = [m.start() for m in _ASTRAL_RE.finditer(counted)]
        self._units = [a + j for j, a in enumerate(self._astral)]

    def to_canonical(self, pos: int, *, utf16: bool) -> tuple[int, bool] | None:
        """Canonical offset of ``pos`` and whether it fell between two characters.

        ``None`` when ``pos`` is outside the text. A position inside a ``\r\n`` pair or a
        surrogate pair goes to the start of that line break or character (``False``).
        """
        exact = True
        if utf16:
            if not 0 <= pos <= self.length + len(self._astral):
                return None
            n = bisect_left(self._units, pos)
            if n and self._units[n - 1] + 1 == pos:
                k, exact = self._astral[n - 1], False
            else:
                k = pos - n
        else:
            if not 0 <= pos <= self.length:
                return None
            k = pos
        pairs = bisect_right(self._crlf, k - 2)
        i = bisect_left(self._crlf, k - 1)
        split = i < len(self._crlf) and self._crlf[i] == k - 1
        return k - pairs - (1 if split else 0), exact and not split


@dataclass(frozen=True)
class Span:
    """A selection's positions as written, and its ``name`` (often the quote's start)."""

    start: int
    end: int
    name: str


def _norm(text: str) -> str:
    return " ".join(NOT_XML_CHAR_RE.sub(" ", text).split())


def _name_key(name: str) -> str:
    key = _norm(name)
    for tail in ("...", "…"):
        key = key.removesuffix(tail).rstrip()
    return key if len(key) >= 3 else ""


def _boundary(text: str, i: int) -> int:
    return int(i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum()))


def _counted_forms(raw: str, canonical: str) -> dict[str, str]:
    return {"stored": raw, "lf": canonical, "crlf": canonical.replace("\n", "\r\n")}


def map_spans(
    raw: str, spans: Sequence[Span], convention: str
) -> list[tuple[int, int, bool] | None]:
    """Each span's canonical ``(start, end, exact)`` under ``convention`` (None: outside)."""
    canonical = normalise_newlines(raw)
    form, utf16 = CONVENTIONS[convention]
    counted = CountedText(_counted_forms(raw, canonical)[form])
    out: list[tuple[int, int, bool] | None] = []
    for span in spans:
        a = counted.to_canonical(span.start, utf16=utf16)
        b = counted.to_canonical(span.end, utf16=utf16)
        out.append(None if a is None or b is None else (a[0], b[0], a[1] and b[1]))
    return out


def _score(
    text: str, spans: Sequence[Span], mapped: Sequence[tuple[int, int, bool] | None]
) -> tuple[int, int, int]:
    """(score, names matched, ends on word boundaries) of one reading of the selections."""
    score = names = ends = 0
    for span, m in zip(spans, mapped, strict=True):
        if m is None:  # outside the text: this reading is almost surely wrong
            score -= 10
            continue
        s, e, exact = m
        if not exact:  # splits a \r\n pair or a surrogate pair
            score -= 3
        if e <= s:
            score -= 2
            continue
        hits = _boundary(text, s) + _boundary(text, e)
        ends += hits
        score += hits
        key = _name_key(span.name)
        if key and _norm(text[s : min(e, s + 4 * len(key) + 64)]).startswith(key):
            score += 4
            names += 1
    return score, names, ends


def choose_convention(raw: str, spans: Sequence[Span]) -> tuple[str, str]:
    r"""Pick the position convention under which a source's selections make most sense.

    Every convention of :data:`CONVENTIONS` that gives different spans is scored: +4 for a
    selection whose text starts with its ``name``, +1 for each end on a word boundary, -3
    for an end inside a ``\r\n`` pair or a character, -10 for a selection outside the
    text. The highest score wins; equal scores go to the earlier convention, so
    ``"stored"`` (the REFI-QDA rule) first. See "Positions" in :mod:`cmqual.io.qdpx`.

    Parameters
    ----------
    raw : str
        The source's plain text as decoded (BOM removed, line breaks as stored).
    spans : sequence of Span
        Its selections' positions and names.

    Returns
    -------
    tuple of str
        The convention, and why it deserves a warning (else ``""``): a reading other than
        ``"stored"`` was chosen, or readings giving different spans scored the same.

    Examples
    --------
    >>> choose_convention("A: one\r\nB: two", [Span(11, 14, "two")])
    ('stored', '')
    """
    if not spans:
        return "stored", ""
    canonical = normalise_newlines(raw)
    forms = _counted_forms(raw, canonical)
    astral = bool(_ASTRAL_RE.search(canonical))
    readings: list[tuple[str, list]] = []
    for name, (form, utf16) in CONVENTIONS.items():
        if utf16 and not astral:
            continue
        if any(
            forms[form] == forms[CONVENTIONS[o][0]] and utf16 == CONVENTIONS[o][1]
            for o, _ in readings
        ):
            continue
        mapped = map_spans(raw, spans, name)
        if any(mapped == m for _, m in readings):
            continue
        readings.append((name, mapped))
    scored = [(name, mapped, *_score(canonical, spans, mapped)) for name, mapped in readings]
    best = max(scored, key=lambda r: r[2])  # max keeps the first of equals: "stored" first
    tied = [r[0] for r in scored if r[2] == best[2] and r[0] != best[0]]
    stored = scored[0]
    n = len(spans)
    if tied:
        return best[0], (
            f"could not tell how its {n} selection(s) count positions (readings "
            f"{', '.join([best[0], *tied])} fit equally well); read them as "
            f"{best[0]!r}: check its codings or pass positions=..."
        )
    if best[0] != "stored":
        form, utf16 = CONVENTIONS[best[0]]
        how = _EXPLAIN[form] + (", in UTF-16 code units" if utf16 else "")
        named = sum(1 for span in spans if _name_key(span.name))
        evidence = f"{best[4]} of {2 * n} selection ends fall on word boundaries"
        standard = f"{stored[4]}"
        if named:
            evidence += f" and {best[3]} of {named} selection names match the text"
            standard += f" and {stored[3]}"
        return best[0], (
            f"positions read as {best[0]!r} ({how}): that way {evidence}, against "
            f"{standard} the standard way; pass positions='stored' to override"
        )
    return "stored", ""
