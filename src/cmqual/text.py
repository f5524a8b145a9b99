"""Sentence splitting and word tokenisation that need no downloaded NLTK data.

Sentences are found with NLTK's Punkt algorithm (Kiss & Strunk 2006) using a fixed
parameter set: an abbreviation list for the titles and Latin abbreviations common in
interview transcripts (``Dr.``, ``Mr.``, ``e.g.``, ``No.`` ...). Nothing is downloaded and
the result does not depend on what happens to be installed in ``nltk_data``, so the same
text gives the same sentences on every machine (``sentence_model="nltk"`` opts into the
installed English Punkt model where present, extended with the same abbreviations).

A sentence boundary that Punkt places inside a bracketed annotation such as
``[inaudible 00:12:03]`` or ``[crosstalk?]`` is removed: annotations belong to the
sentence around them.

Words are runs of letters and digits, with inner hyphens and apostrophes kept
(``hard-to-reach``, ``don’t`` count as one word), as are times and numbers (``10:30``,
``1,000``) and dotted abbreviations (``e.g.``). This is the tokenisation used for
``n_words`` everywhere in cmqual.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any

__all__ = ["ABBREVIATIONS", "count_words", "sentence_spans", "word_spans"]

#: Abbreviations after which Punkt never ends a sentence (lower case, no final dot).
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "dr", "mr", "mrs", "ms", "mx", "prof", "rev", "revd", "st", "sr", "jr", "hon",
        "sgt", "capt", "col", "gen", "lt", "cllr", "fr", "mme", "mlle",
        "e.g", "i.e", "etc", "vs", "v", "cf", "al", "et al", "viz", "approx", "ca",
        "vol", "pp", "para", "paras", "fig", "ch", "sec", "art",
        "dept", "univ", "assoc", "inc", "ltd", "co", "corp", "est",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
        "a.m", "p.m", "b.a", "m.a", "b.sc", "m.sc", "ph.d", "b.ed", "m.ed", "pgce",
        "u.k", "u.s", "n.b", "p.s", "min", "mins", "hr", "hrs",
    }
)

# Letters/digits with inner hyphens or apostrophes (straight, curly, modifier letter).
# Inside a word also: "10:30", "3.5", "1,000" (between digits) and "e.g", "U.K" (between
# single letters), so times, numbers and abbreviations count as one word.
_WORD_RE = re.compile(
    r"[^\W_]+(?:(?:[-'’ʼ‐‑]|(?<=\d)[.:,](?=\d)|(?<=\b[^\W\d_])\.(?=[^\W\d_]\b))[^\W_]+)*"
)
# The same rule for ASCII-only text (``str.isascii`` costs nothing), where it runs about a
# third faster: possessive runs, ASCII classes. tests/test_text.py checks that both
# expressions find the same words in ASCII text.
_WORD_ASCII_RE = re.compile(
    r"[A-Za-z0-9]++(?:(?:[-']|(?<=[0-9])[.:,](?=[0-9])|(?<=\b[A-Za-z])\.(?=[A-Za-z]\b))"
    r"[A-Za-z0-9]++)*+",
    re.ASCII,
)
# "No." is an abbreviation only before a number ("No. 3"); "I said no." ends a sentence.
_NUMBER_ABBREV_END_RE = re.compile(r"(?:^|\W)(?:no|nos|p|nr|num)\.$", re.IGNORECASE)
_NUMBER_START_RE = re.compile(r"[#\d]")
# A possible sentence end inside a text (Punkt only ever splits after one of these).
_INNER_END_RE = re.compile(r"[.?!][^\s]*\s")
# White space as Punkt looks for it before a candidate end (ASCII only).
_ASCII_SPACE = string.whitespace
_OTHER_SPACE_RE = re.compile("[" + re.escape(string.whitespace.replace(" ", "")) + "]")
# Bracketed annotations on one line, e.g. [inaudible 00:12:03], [laughs], (crosstalk).
_ANNOTATION_RE = re.compile(r"\[[^\]\n]{0,200}\]|\([^)\n]{0,80}\)")


def count_words(text: str) -> int:
    """Return the number of word tokens in ``text``.

    Examples
    --------
    >>> count_words("It's a hard-to-reach group, isn’t it?")
    6
    """
    return len((_WORD_ASCII_RE if text.isascii() else _WORD_RE).findall(text))


def word_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of every word token in ``text``."""
    return [m.span() for m in (_WORD_ASCII_RE if text.isascii() else _WORD_RE).finditer(text)]


@lru_cache(maxsize=1)
def _punkt_class() -> type:
    """Build the cached Punkt class on first use (importing NLTK takes seconds)."""
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    class _CachedPunkt(PunktSentenceTokenizer):
        """Punkt with its break decisions memoised (identical output, several times faster).

        Punkt decides each candidate boundary from a short context: the token ending in
        ``.?!`` and the token after it. With cmqual's built-in parameters (an abbreviation list
        and no trained orthographic context, collocations or sentence starters) the decision
        depends on the first token only through whether it is an abbreviation, an initial, a
    number or other punctuation (a plain word of two or more letters that is no
    abbreviation decides like any other) and on the *shape* of the next one: whether it
        starts upper- or lower-case, and where its punctuation is. So the next token is
        reduced to that shape (letters to ``A``/``a``/``x``, digits to ``0``) and decisions are
        cached per (first token, shape); ``tests/test_text.py`` checks against plain Punkt that
        this changes no boundary. With trained parameters (``model="nltk"``) whole contexts
        are cached instead.
        """

        _CACHE_LIMIT = 200_000
        _CONTEXT_RE = re.compile(r"(\S*[.?!])\s+(\S+)")

        def __init__(self, *args, shape_keys: bool = True, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._decisions: dict[str, bool] = {}
            self._shape_keys = shape_keys

        def span_tokenize(self, text: str, realign_boundaries: bool = True):
            """Punkt's ``span_tokenize`` in one loop (same spans, about 1.4 times as fast).

            NLTK finds candidate ends, the word before each, the slices between breaks and
            the realigned slices in four stacked generators, each regex behind a time-out
            wrapper. This does the same steps with the same compiled expressions in one
            pass; ``tests/test_text.py`` checks it against plain Punkt.
            """
            lang = self._lang_vars
            period = getattr(lang.period_context_re(), "_rx", lang.period_context_re())
            realign_rx = getattr(lang.re_boundary_realignment, "_rx",
                                 lang.re_boundary_realignment)
            decide = self.text_contains_sentbreak
            # Candidate ends and their contexts (Punkt's _match_potential_end_contexts):
            # a candidate whose preceding word overlaps the previous candidate's context
            # replaces it.
            contexts: list[tuple[Any, str]] = []
            prev_start = prev_stop = 0
            prev_match = None
            for match in period.finditer(text):
                m_start = match.start()
                cut = text.rfind(" ", prev_stop, m_start)
                if _OTHER_SPACE_RE.search(text, max(cut, prev_stop), m_start):
                    cut = max(text.rfind(c, prev_stop, m_start) for c in _ASCII_SPACE)
                word_start = cut + 1 if cut > prev_stop else prev_start
                if prev_match is not None and prev_stop <= word_start:
                    contexts.append((prev_match, text[prev_start:prev_stop]))
                prev_match, prev_start, prev_stop = match, word_start, m_start
            if prev_match is not None:
                contexts.append((prev_match, text[prev_start:prev_stop]))
            # Slices between breaks (_slices_from_text).
            slices: list[tuple[int, int]] = []
            last_break = 0
            for match, before in contexts:
                if decide(before + match.group() + match.group("after_tok")):
                    slices.append((last_break, match.end()))
                    last_break = (match.start("next_tok") if match.group("next_tok")
                                  else match.end())
            slices.append((last_break, len(text.rstrip())))
            if not realign_boundaries:
                yield from slices
                return
            # Closing punctuation after an end joins its sentence (_realign_boundaries).
            realign = 0
            last = len(slices) - 1
            for i, (s1_start, s1_stop) in enumerate(slices):
                s1_start += realign
                if i == last:
                    if s1_start < s1_stop:
                        yield (s1_start, s1_stop)
                    continue
                s2_start, s2_stop = slices[i + 1]
                m = realign_rx.match(text[s2_start:s2_stop])
                if m:
                    yield (s1_start, s2_start + len(m.group(0).rstrip()))
                    realign = m.end()
                else:
                    realign = 0
                    if s1_start < s1_stop:
                        yield (s1_start, s1_stop)

        def text_contains_sentbreak(self, text: str) -> bool:
            if self._shape_keys:
                m = self._CONTEXT_RE.fullmatch(text)
                if m:
                    text = f"{_first_shape(m.group(1))} {_shape(m.group(2))}"
            hit = self._decisions.get(text)
            if hit is None:
                hit = super().text_contains_sentbreak(text)
                if len(self._decisions) >= self._CACHE_LIMIT:
                    self._decisions.clear()
                self._decisions[text] = hit
            return hit


    _PLAIN_WORD_END_RE = re.compile(r"([^\W\d_]{2,})([.?!])")


    @lru_cache(maxsize=65536)
    def _first_shape(token: str) -> str:
        """A plain word (2+ letters) that is no abbreviation decides like any other."""
        m = _PLAIN_WORD_END_RE.fullmatch(token)
        if m and m.group(1).lower() not in ABBREVIATIONS:
            return "xx" + m.group(2)
        return token

    return _CachedPunkt


@lru_cache(maxsize=65536)
def _shape(token: str) -> str:
    first = token[0]
    head = "A" if first.isupper() else "a" if first.islower() else (
        "0" if first.isdigit() else first)
    rest = "".join("0" if c.isdigit() else "x" if c.isalpha() else c for c in token[1:])
    return head + rest


@lru_cache(maxsize=4)
def _tokenizer(model: str):
    if model == "nltk":
        try:  # optional improvement: the installed English model, never required
            from nltk.tokenize.punkt import PunktTokenizer

            english = PunktTokenizer("english")
            english._params.abbrev_types.update(ABBREVIATIONS)
            return _punkt_class()(english._params, shape_keys=False)
        except (LookupError, ImportError, OSError):
            pass
    from nltk.tokenize.punkt import PunktParameters

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return _punkt_class()(params)


def sentence_spans(text: str, start: int = 0, end: int | None = None, *,
                   model: str = "builtin") -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences and return their absolute offsets.

    Spans are trimmed of surrounding white space and never empty; together they cover
    every non-space character of the range.

    Parameters
    ----------
    text : str
        The document's canonical text.
    start, end : int
        The range to split (a paragraph); offsets returned are into ``text``.
    model : {"builtin", "nltk"}
        ``builtin`` (default) uses Punkt with cmqual's abbreviation list and no data;
        ``nltk`` uses the installed English Punkt model when available.

    Examples
    --------
    >>> t = "Dr. Patel said no. Really? Yes!"
    >>> [t[s:e] for s, e in sentence_spans(t)]
    ['Dr. Patel said no.', 'Really?', 'Yes!']
    """
    if end is None:
        end = len(text)
    chunk = text[start:end]
    if not chunk.strip():
        return []
    if not _INNER_END_RE.search(chunk.rstrip()):
        # no ".?!" followed by white space before the end: Punkt could only find one sentence
        spans = [(0, len(chunk.rstrip()))]
    else:
        spans = list(_tokenizer(model).span_tokenize(chunk))
    if len(spans) > 1:
        spans = _merge_inside_annotations(chunk, spans)
        spans = _merge_number_abbreviations(chunk, spans)
    out = []
    for s, e in spans:
        piece = chunk[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip())
        if trail > lead:
            out.append((start + s + lead, start + s + trail))
    return out


def _merge_inside_annotations(chunk: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join sentences whose boundary falls inside a bracketed annotation."""
    inside = [m.span() for m in _ANNOTATION_RE.finditer(chunk)]
    if not inside:
        return spans
    merged = [spans[0]]
    for s, e in spans[1:]:
        prev_end = merged[-1][1]
        if any(a < prev_end < b or a < s < b for a, b in inside):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _merge_number_abbreviations(chunk: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join "No." / "p." to the number that follows it (Punkt alone cannot tell)."""
    merged = [spans[0]]
    for s, e in spans[1:]:
        ps, pe = merged[-1]
        if _NUMBER_START_RE.match(chunk, s) and _NUMBER_ABBREV_END_RE.search(chunk[ps:pe]):
            merged[-1] = (ps, e)
        else:
            merged.append((s, e))
    return merged
