"""Verifying candidates of the scanner in place (internal; see :mod:`cmqual._automaton`).

A candidate is a position where an anchor literal starts, with the checks of the
patterns anchored on it. Checks are tuples, first the kind: ``(WORD, pid, length, right
boundary needed)``, ``(STEM, pid, length)``, ``(PHRASE, pid, slots, k, is stem, length,
right boundary needed)`` for a phrase anchored on its slot ``k``, ``(REGEX, pid,
compiled)``. Before its checks, a candidate's left-boundary test runs: none, cmqual's
word boundary (apostrophes and combining marks join words), or Python's ``\\b``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from cmqual.patterns import (
    DASHES,
    LIGHT_PUNCTUATION,
    MAX_GAP,
    fragments,
    is_word_char,
    mark_characters,
)

# Kinds of check run at a candidate.
WORD, STEM, PHRASE, REGEX = 0, 1, 2, 3
# Left-boundary tests. A gate event travels with the candidates, marked GATE.
NO_BOUNDARY, WORD_BOUNDARY, RE_BOUNDARY, GATE = 0, 1, 2, -1

Candidate = tuple[int, int, tuple]  # (start, left-boundary test, checks)
Match = tuple[int, int, int]  # (start, end, pattern id)
# A phrase slot: (literal spellings, stem-prefix spellings, does a spelling start with a
# gap character, the literal spellings as a set, their lengths longest first). Literals
# are tried longest first so the first parse found is longest.
Slot = tuple[tuple[str, ...], tuple[str, ...], bool, frozenset[str], tuple[int, ...]]


def make_slot(literals: set[str], stems: set[str], gap_start: bool) -> Slot:
    """A phrase slot (see :data:`Slot`) from its literal and stem-prefix spellings."""
    longest_first = tuple(sorted(literals, key=lambda x: (-len(x), x)))
    lengths = tuple(sorted({len(x) for x in literals}, reverse=True))
    return (longest_first, tuple(sorted(stems)), gap_start, frozenset(literals), lengths)


_GAP = frozenset(DASHES + LIGHT_PUNCTUATION)


@functools.lru_cache(maxsize=1)
def _tail_match() -> Any:
    return re.compile(fragments()["tail"]).match


def is_gap(c: str) -> bool:
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
    # One spelling per length at most can start at p: look them up by length.
    literals = slot[3]
    ends = [
        p + n
        for n in slot[4]
        if low[p : p + n] in literals
        and (not is_word_char(low[p + n - 1]) or _right_ok(low, p + n))
    ]
    if slot[1]:
        tail = _tail_match()
        ends += [tail(low, p + len(x)).end() for x in slot[1] if low.startswith(x, p)]
        ends = sorted(set(ends), reverse=True)
    return ends


def _slot_starts(low: str, g: int, slot: Slot) -> list[int]:
    """Starts of the words of ``slot`` that end at ``g`` (a gap follows), longest first."""
    literals = slot[3]
    starts = [g - n for n in slot[4] if n <= g and low[g - n : g] in literals]
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
    while q < n and q - e < MAX_GAP and is_gap(low[q]):
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
    while g > 0 and s - g < MAX_GAP and is_gap(low[g - 1]):
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


def verify(
    low: str, candidates: list[Candidate], events: list[tuple[int, tuple[int, ...]]]
) -> list[Match]:
    """Check each candidate anchor in place; return the matches it confirms.

    Gate events among the candidates are appended to ``events`` as ``(position, gate
    ids)``.
    """
    tail = _tail_match()
    marks = mark_characters()
    n = len(low)
    out: list[Match] = []
    add = out.append
    for s, left, checks in candidates:
        if left < 0:
            events.append((s, checks))
            continue
        if left and s:
            c = low[s - 1]
            if c.isalnum() or c == "_":
                continue
            if left == WORD_BOUNDARY and (
                c in marks or (c == "'" and s > 1 and is_word_char(low[s - 2]))
            ):
                continue
        for check in checks:
            kind = check[0]
            if kind == WORD:
                e = s + check[2]
                if check[3] and e < n:
                    c = low[e]
                    if c.isalnum() or c == "_" or c in marks:
                        continue
                    if (
                        c == "'"
                        and e + 1 < n
                        and is_word_char(low[e + 1])
                        and not (low[e + 1] == "s" and (e + 2 >= n or not is_word_char(low[e + 2])))
                    ):
                        continue  # don't is not don; a possessive 's ends the word
                add((s, e, check[1]))
            elif kind == STEM:
                add((s, tail(low, s + check[2]).end(), check[1]))
            elif kind == REGEX:
                m = check[2].match(low, s)
                if m and m.end() > s:
                    add((s, m.end(), check[1]))
            else:
                verify_phrase(low, s, check, add)
    return out


def verify_phrase(low: str, s: int, check: tuple, add: Any) -> None:
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
