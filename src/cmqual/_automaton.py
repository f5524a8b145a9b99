"""The single-pass scanner behind :mod:`cmqual.matcher` (internal).

Every pattern is reduced to *anchors*: literal strings that must occur where the pattern
matches (a word, each spelling of each word form, a stem's prefix, the spellings of the
most selective word of a phrase, the literal prefixes of a raw regex). One multi-string
automaton over all anchors of all codes finds candidate positions in one pass over the
folded text: a Hyperscan literal database when the ``hyperscan`` wheel is installed
(hundreds of MB/s), else a pyahocorasick automaton (tens of MB/s). Each candidate is then
verified in place: word boundaries for words, the stem's tail, a short walk over the
other words of a phrase (``str.startswith`` at each gap), or the raw regex's ``match``
anchored at the candidate. Raw regexes with no literal prefix of at least 3 characters
(2 after a leading ``\\b``) cannot be anchored; each costs one ``re.finditer`` over the
whole text.

All offsets are code-point offsets into the folded text, which has exactly the length of
the original text (:func:`cmqual.patterns.fold`).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import defaultdict
from typing import Any

from cmqual.errors import ConfigError
from cmqual.patterns import (
    DASHES,
    LIGHT_PUNCTUATION,
    MAX_GAP,
    Regex,
    Term,
    fragments,
    is_word_char,
    mark_characters,
    regex_prefixes,
)

ENGINE_ENV = "CMQUAL_MATCHER"

# Kinds of check run at a candidate.
_WORD, _STEM, _PHRASE, _REGEX = 0, 1, 2, 3
# Left-boundary test made at a candidate before its checks: none, cmqual's word boundary
# (apostrophes and combining marks join words), or Python's ``\b`` (raw regexes that
# start with ``\b``).
_NO_BOUNDARY, _WORD_BOUNDARY, _RE_BOUNDARY = 0, 1, 2

Anchors = dict[tuple[str, int], list[tuple]]  # (literal, left-boundary test) -> checks
Candidate = tuple[int, int, tuple[tuple, ...]]  # (start, left-boundary test, checks)
Match = tuple[int, int, int]  # (start, end, pattern id)
# A phrase slot: (literal spellings, stem-prefix spellings, does a spelling start with a
# gap character). Literals are tried longest first so the first parse found is longest.
Slot = tuple[tuple[str, ...], tuple[str, ...], bool]

_GAP = frozenset(DASHES + LIGHT_PUNCTUATION)


def available_engines() -> tuple[str, ...]:
    """Names of the automaton engines importable here, fastest first."""
    names = []
    for name in ("hyperscan", "ahocorasick"):
        try:
            __import__(name)
        except ImportError:
            continue
        names.append(name)
    return tuple(names)


def choose_engine(engine: str | None) -> str:
    """Resolve ``engine`` (or ``$CMQUAL_MATCHER``, or the fastest installed) to a name."""
    wanted = engine or os.environ.get(ENGINE_ENV) or ""
    engines = available_engines()
    if not wanted:
        if not engines:  # pragma: no cover - pyahocorasick is a dependency
            raise ConfigError("no matcher engine: install pyahocorasick (or hyperscan)")
        return engines[0]
    if wanted not in ("hyperscan", "ahocorasick"):
        raise ConfigError(f"engine={wanted!r}: use 'hyperscan' or 'ahocorasick'")
    if wanted not in engines:
        raise ConfigError(f"engine={wanted!r} is not installed (pip install {wanted})")
    return wanted


# --- scanner -----------------------------------------------------------------------------


class Scanner:
    """Anchors of many patterns in one automaton.

    Add every pattern with :meth:`add`, call :meth:`build` once, then :meth:`scan` any
    number of folded texts.
    """

    def __init__(self, engine: str | None = None):
        self.engine = choose_engine(engine)
        self._chosen_by_user = bool(engine or os.environ.get(ENGINE_ENV))
        self._anchors: Anchors = {}
        self._raw: list[tuple[re.Pattern[str], int]] = []
        self._phrases: list[tuple[tuple[Slot, ...], int]] = []
        self._share: dict[str, int] = defaultdict(int)
        self._automaton: _AhoEngine | _HyperscanEngine | None = None

    def add(self, node: Term | Regex, pid: int) -> None:
        """Add a word/phrase or raw-regex pattern whose matches report ``pid``."""
        if isinstance(node, Regex):
            rx = node.compile()
            prefixes, boundary = regex_prefixes(node.source)
            if not prefixes:
                self._raw.append((rx, pid))
            for prefix in prefixes:
                left = _RE_BOUNDARY if boundary and _re_word(prefix[0]) else _NO_BOUNDARY
                self._anchor(prefix, (_REGEX, pid, rx), left)
        elif len(node.slots) == 1:
            for alt in node.slots[0]:
                for lit in alt.literals():
                    if alt.kind == "stem":
                        self._anchor(lit, (_STEM, pid, len(lit)))
                    else:
                        self._anchor(lit, (_WORD, pid, len(lit), is_word_char(lit[-1])))
        else:
            slots: list[Slot] = []
            for slot in node.slots:
                literals = {x for alt in slot if alt.kind != "stem" for x in alt.literals()}
                stems = {x for alt in slot if alt.kind == "stem" for x in alt.literals()}
                longest_first = tuple(sorted(literals, key=lambda x: (-len(x), x)))
                gap_start = any(_is_gap(x[0]) for x in literals | stems)
                slots.append((longest_first, tuple(sorted(stems)), gap_start))
                for x in literals | stems:
                    self._share[x] += 1
            self._phrases.append((tuple(slots), pid))

    def build(self) -> Scanner:
        """Anchor the phrases and compile the automaton; returns ``self``."""
        for slots, pid in self._phrases:
            k = min(range(len(slots)), key=lambda i, slots=slots: self._cost(slots[i], i))
            for lit in slots[k][0]:
                self._anchor(lit, (_PHRASE, pid, slots, k, False, len(lit), is_word_char(lit[-1])))
            for prefix in slots[k][1]:
                self._anchor(prefix, (_PHRASE, pid, slots, k, True, len(prefix), False))
        if self.engine == "hyperscan":
            try:
                self._automaton = _HyperscanEngine(self._anchors)
                return self
            except Exception:  # an old libhs without literal mode, an unsupported CPU...
                if self._chosen_by_user or "ahocorasick" not in available_engines():
                    raise
                self.engine = "ahocorasick"
        self._automaton = _AhoEngine(self._anchors)
        return self

    def _cost(self, slot: Slot, i: int) -> tuple:
        """How unselective a phrase slot is as the anchor (lower is better).

        Not a short word (under 3 letters: 'in charge' anchors on 'charge'); then shared
        by the fewest patterns (so 'lack of funding' and 'lack of time' do not all wake
        up at every 'lack'); then long; then early.
        """
        spellings = slot[0] + slot[1]
        shortest = min(len(x) for x in spellings)
        share = max(self._share[x] for x in spellings)
        return (shortest < 3, share, -min(shortest, 5), i)

    def _anchor(self, literal: str, check: tuple, left: int | None = None) -> None:
        if left is None:
            left = _WORD_BOUNDARY if is_word_char(literal[0]) else _NO_BOUNDARY
        checks = self._anchors.setdefault((literal, left), [])
        if check not in checks:
            checks.append(check)

    def anchor_index(self) -> dict[int, list[str]]:
        """Pattern id -> its anchor literals (none for regexes scanned on their own)."""
        index: dict[int, list[str]] = defaultdict(list)
        for (literal, _), checks in self._anchors.items():
            for pid in dict.fromkeys(c[1] for c in checks):
                index[pid].append(literal)
        return index

    def unanchored(self) -> set[int]:
        """Ids of raw regexes that each make their own pass over the text."""
        return {pid for _, pid in self._raw}

    def scan(self, low: str) -> list[Match]:
        """All matches ``(start, end, pattern id)`` in the folded text ``low``."""
        assert self._automaton is not None, "call build() first"
        found = _verify(low, self._automaton.candidates(low))
        for rx, pid in self._raw:
            found.extend((m.start(), m.end(), pid) for m in rx.finditer(low) if m.end() > m.start())
        return found


def _re_word(ch: str) -> bool:
    """Python's ``\\w`` for one character (what a regex's ``\\b`` looks at)."""
    return ch.isalnum() or ch == "_"


# --- engines -----------------------------------------------------------------------------


class _AhoEngine:
    """pyahocorasick automaton over the anchor literals."""

    def __init__(self, anchors: Anchors):
        import ahocorasick

        merged: dict[str, list[tuple[int, tuple[tuple, ...]]]] = defaultdict(list)
        for (literal, left), checks in anchors.items():
            merged[literal].append((left, tuple(checks)))
        self._automaton = None
        if merged:
            automaton = ahocorasick.Automaton()
            for literal, groups in merged.items():
                automaton.add_word(literal, (len(literal) - 1, tuple(groups)))
            automaton.make_automaton()
            self._automaton = automaton

    def candidates(self, low: str) -> list[Candidate]:
        if self._automaton is None or not low:
            return []
        return [
            (end - back, left, checks)
            for end, (back, groups) in self._automaton.iter(low)
            for left, checks in groups
        ]


class _HyperscanEngine:
    """Hyperscan literal database over the anchors; scans UTF-8 bytes.

    Byte offsets are mapped back to code points (no mapping for ASCII text). Each thread
    gets its own scratch space, so one compiled codebook can serve several threads.
    """

    def __init__(self, anchors: Anchors):
        import hyperscan

        self._hs = hyperscan
        literals = [literal.encode("utf-8", "surrogatepass") for literal, _ in anchors]
        self._groups = [(left, tuple(checks)) for (_, left), checks in anchors.items()]
        self._blen = [len(b) for b in literals]
        self._db = None
        if literals:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(
                expressions=literals,
                ids=list(range(len(literals))),
                elements=len(literals),
                flags=0,
                literal=True,
            )
            self._db = db
        self._local = threading.local()

    def candidates(self, low: str) -> list[Candidate]:
        if self._db is None or not low:
            return []
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found: list[tuple[int, int]] = []
        add = found.append

        def on_match(eid: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            add((eid, to))

        data = low.encode("utf-8", "surrogatepass")
        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        groups, blen = self._groups, self._blen
        if low.isascii():
            return [(to - blen[eid], *groups[eid]) for eid, to in found]
        import numpy as np

        count = len(found)
        starts = np.fromiter((to - blen[eid] for eid, to in found), dtype=np.int64, count=count)
        cont = np.flatnonzero((np.frombuffer(data, dtype=np.uint8) & 0xC0) == 0x80)
        chars = (starts - np.searchsorted(cont, starts)).tolist()
        return [(c, *groups[eid]) for c, (eid, _) in zip(chars, found, strict=True)]


# --- verification ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _tail_match() -> Any:
    return re.compile(fragments()["tail"]).match


def _is_gap(c: str) -> bool:
    return c.isspace() or c in _GAP


def _left_ok(low: str, s: int) -> bool:
    """cmqual's left word boundary before ``s`` (for a word starting at ``s``)."""
    if s == 0:
        return True
    c = low[s - 1]
    if is_word_char(c):
        return False
    return not (c == "'" and s > 1 and is_word_char(low[s - 2]))


def _right_ok(low: str, e: int) -> bool:
    """cmqual's right word boundary at ``e`` (for a word ending at ``e``)."""
    if e >= len(low):
        return True
    c = low[e]
    if is_word_char(c):
        return False
    if c == "'" and e + 1 < len(low) and is_word_char(low[e + 1]):
        # a possessive 's ends the word (teacher's matches teacher); other joined
        # apostrophes do not (don't is not don)
        return low[e + 1] == "s" and (e + 2 >= len(low) or not is_word_char(low[e + 2]))
    return True


def _slot_ends(low: str, p: int, slot: Slot) -> list[int]:
    """Ends of the words of ``slot`` that start at ``p``, longest first."""
    ends = [
        p + len(lit)
        for lit in slot[0]
        if low.startswith(lit, p) and (not is_word_char(lit[-1]) or _right_ok(low, p + len(lit)))
    ]
    if slot[1]:
        tail = _tail_match()
        ends += [tail(low, p + len(x)).end() for x in slot[1] if low.startswith(x, p)]
        ends = sorted(set(ends), reverse=True)
    return ends


def _slot_starts(low: str, g: int, slot: Slot) -> list[int]:
    """Starts of the words of ``slot`` that end at ``g`` (a gap follows), longest first."""
    starts = [g - len(x) for x in slot[0] if g >= len(x) and low.startswith(x, g - len(x))]
    if slot[1]:
        ws = g  # start of the word ending at g, inner apostrophes included
        while ws > 0 and (
            is_word_char(low[ws - 1])
            or (low[ws - 1] == "'" and 1 < ws < g and is_word_char(low[ws - 2]))
        ):
            ws -= 1
        if any(low.startswith(prefix, ws) for prefix in slot[1]):
            starts.append(ws)
        starts = sorted(set(starts))
    return starts


def _after(low: str, e: int, slots: tuple[Slot, ...], i: int) -> int:
    """End of slots ``i..`` following (after a gap) a word that ends at ``e``; -1 if none."""
    q = e
    n = len(low)
    while q < n and q - e < MAX_GAP and _is_gap(low[q]):
        q += 1
    if q == e:
        return -1
    for nxt in range(q, e, -1) if slots[i][2] else (q,):
        for end in _slot_ends(low, nxt, slots[i]):
            if i == len(slots) - 1:
                return end
            last = _after(low, end, slots, i + 1)
            if last >= 0:
                return last
    return -1


def _before(low: str, s: int, slots: tuple[Slot, ...], i: int) -> int:
    """Start of slots ``..i`` preceding (before a gap) a word starting at ``s``; -1 if none."""
    g = s
    while g > 0 and s - g < MAX_GAP and _is_gap(low[g - 1]):
        g -= 1
    for end in range(g, s) if slots[i][2] else ((g,) if g < s else ()):
        for st in _slot_starts(low, end, slots[i]):
            if i == 0:
                if not is_word_char(low[st]) or _left_ok(low, st):
                    return st
            else:
                start = _before(low, st, slots, i - 1)
                if start >= 0:
                    return start
    return -1


def _verify(low: str, candidates: list[Candidate]) -> list[Match]:
    """Check each candidate anchor in place; return the matches it confirms."""
    tail = _tail_match()
    marks = mark_characters()
    n = len(low)
    out: list[Match] = []
    add = out.append
    for s, left, checks in candidates:
        if left and s:
            c = low[s - 1]
            if c.isalnum() or c == "_":
                continue
            if left == _WORD_BOUNDARY and (
                c in marks or (c == "'" and s > 1 and is_word_char(low[s - 2]))
            ):
                continue
        for check in checks:
            kind = check[0]
            if kind == _WORD:
                e = s + check[2]
                if check[3] and e < n:
                    c = low[e]
                    if c.isalnum() or c == "_" or c in marks:
                        continue
                    if c == "'" and e + 1 < n and is_word_char(low[e + 1]) and not (
                        low[e + 1] == "s" and (e + 2 >= n or not is_word_char(low[e + 2]))
                    ):
                        continue  # don't is not don; a possessive 's ends the word
                add((s, e, check[1]))
            elif kind == _STEM:
                add((s, tail(low, s + check[2]).end(), check[1]))
            elif kind == _REGEX:
                m = check[2].match(low, s)
                if m and m.end() > s:
                    add((s, m.end(), check[1]))
            else:
                _verify_phrase(low, s, check, add)
    return out


def _verify_phrase(low: str, s: int, check: tuple, add: Any) -> None:
    """A phrase anchored on its slot ``k`` at ``s``: walk the other slots both ways."""
    _, pid, slots, k, is_stem, length, right = check
    n = len(low)
    if is_stem:
        e = _tail_match()(low, s + length).end()
    else:
        e = s + length
        if right and e < n and not _right_ok(low, e):
            return
    end = e if k == len(slots) - 1 else _after(low, e, slots, k + 1)
    if end < 0:
        return
    start = _before(low, s, slots, k - 1) if k else s
    if start >= 0:
        add((start, end, pid))
