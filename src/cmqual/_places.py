"""Places in a scanned text, and the second stage of the scanner (internal).

:class:`TextView` holds a folded text being scanned with the views computed from it when
first needed: its spans (segments), its stretches between NULs (the matcher joins
segments with a NUL), its shape for Hyperscan (:mod:`cmqual._hyperscan`) and its words.

A :class:`Gate` opens places (the whole text, stretches, spans) where patterns that wait
for it are sought; :class:`SecondStage` works out the places each gate opened in one
text and seeks its patterns there (see :mod:`cmqual._automaton`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from cmqual import _hyperscan as hs
from cmqual._verify import Match, verify
from cmqual.patterns import regex_factor_blind

# Regions a gate opens: the whole text, a stretch between NULs, a span.
WHOLE, CHUNK, SPAN = 0, 1, 2


@dataclass(frozen=True)
class Gate:
    """What opens places for gated patterns, and how one opening is read.

    ``region``: what one report opens (``WHOLE``, ``CHUNK``, ``SPAN``). ``partial``:
    the gate only holds for matches inside spans; explanations, which want every match,
    treat it as open everywhere. ``factors``: it relies on regex literals (not trusted
    on a text with ``ı`` or ``ſ``). What reports: matches of the first-stage patterns
    ``pids``, or the automaton finding ``literals`` (pyahocorasick), ``shapes``
    (``(string, shape bytes before, after)``, Hyperscan's literal database) or an
    ``expression`` (Hyperscan's expressions; with a ``reversed_expression`` scanned over
    the reversed shape text). ``chain``: it relies on no NUL lying inside a span.
    ``candidates``: reversed expressions with handlers whose reports are the
    candidates of its patterns (a raw regex's prefixes where its rarest literal
    follows); the second stage only has work where the gate cannot be trusted, and then
    seeks the patterns everywhere. ``fallback``: the same, for a regex the first stage
    finds by its longer exact prefixes (its longer exact prefixes).
    """

    region: int
    pids: tuple[int, ...] = ()
    literals: tuple[str, ...] = ()
    shapes: tuple[tuple[str, tuple[bytes, ...], tuple[bytes, ...]], ...] = ()
    expression: bytes = b""
    reversed_expression: bytes = b""
    partial: bool = False
    factors: bool = False
    chain: bool = False
    candidates: tuple[tuple[bytes, tuple], ...] = ()
    fallback: bool = False
    cost: float = float("inf")  # how often it reports (literal_cost scale)


def finditer(
    rx: re.Pattern[str], pid: int, low: str, pos: int, endpos: int, stop: int
) -> list[Match]:
    """Non-empty matches of ``rx.finditer(low, pos, endpos)`` that start before ``stop``."""
    out = []
    for m in rx.finditer(low, pos, endpos):
        s, e = m.span()
        if s >= stop:
            break
        if e > s:
            out.append((s, e, pid))
    return out


class TextView:
    """A folded text being scanned, its spans, and views computed when first needed."""

    def __init__(self, low: str, starts: Any, ends: Any):
        self.low = low
        self.n = len(low)
        self._bounds = (starts, ends)
        self._spans: tuple[list[int], list[int]] | None = None
        self._shape: bytes | None = None
        self._nuls: np.ndarray | None = None
        self._nul_in_span: bool | None = None
        self._words: tuple[np.ndarray, np.ndarray] | None = None
        self._collapsed: tuple[bytes, np.ndarray | None] | None = None
        self._span_arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._data: bytes | None = None
        self._continuation: np.ndarray | None = None

    @property
    def ascii(self) -> bool:
        return self.low.isascii()

    @property
    def data(self) -> bytes:
        """The text as UTF-8 (what plain Hyperscan literals scan)."""
        if self._data is None:
            self._data = self.low.encode("utf-8", "surrogatepass")
        return self._data

    def chars_of(self, offsets: list[int]) -> list[int]:
        """Code-point offsets of UTF-8 byte offsets (each at a character's start)."""
        if self.ascii:
            return offsets
        if self._continuation is None:
            raw = np.frombuffer(self.data, dtype=np.uint8)
            self._continuation = np.flatnonzero((raw & 0xC0) == 0x80)
        at = np.asarray(offsets, dtype=np.int64)
        return (at - np.searchsorted(self._continuation, at)).tolist()

    @property
    def shape(self) -> bytes:
        """The text's shape for Hyperscan (:func:`cmqual._hyperscan.shape_text`)."""
        if self._shape is None:
            self._shape = hs.shape_text(self.low)
        return self._shape

    @property
    def spans(self) -> tuple[list[int], list[int]]:
        if self._spans is None:
            starts, ends = self._bounds
            if starts is None:
                self._spans = ([0], [self.n])
            else:
                self._spans = (_as_list(starts), _as_list(ends))
        return self._spans

    def span_of(self, s: int) -> int:
        """Index of the span holding position ``s``, or -1."""
        starts, ends = self.spans
        k = bisect_right(starts, s) - 1
        return k if k >= 0 and s <= ends[k] else -1

    @property
    def nuls(self) -> np.ndarray:
        """Positions of the NULs in the text."""
        if self._nuls is None:
            if "\x00" not in self.low:
                self._nuls = np.zeros(0, dtype=np.int64)
            else:
                wide = np.frombuffer(self.low.encode("utf-32-le", "surrogatepass"), np.uint32)
                self._nuls = np.flatnonzero(wide == 0)
        return self._nuls

    def word_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Starts and ends of the words of the text (cmqual's words: runs of word
        characters joined by inner apostrophes), from its shape."""
        if self._words is None:
            word = hs.is_word_shape(np.frombuffer(self.shape, dtype=np.uint8))
            # The shape starts and ends with a space, so edges come in pairs; shape
            # index i is character i - 1.
            edges = np.flatnonzero(np.diff(word.view(np.int8)))
            self._words = (edges[0::2], edges[1::2])
        return self._words

    def words_in(self, ranges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Starts and ends of the words in character ``ranges`` (all words when the
        ranges cover much of the text). A word crossing a range's edge may show cut at
        the character before it; between two matches inside a range, words are whole.
        """
        if self._words is not None or 4 * sum(b - a for a, b in ranges) > self.n:
            return self.word_bounds()
        shape = self.shape
        # Each range's shape with one character of context on each side (shape index
        # i is character i - 1), joined by spaces.
        pieces = [shape[a : b + 2] for a, b in ranges]
        offsets = np.cumsum([0] + [len(p) + 1 for p in pieces[:-1]])
        word = hs.is_word_shape(np.frombuffer(b" " + b" ".join(pieces) + b" ", np.uint8))
        edges = np.flatnonzero(np.diff(word.view(np.int8)))  # index in the joined bytes
        piece = np.searchsorted(offsets, edges, side="right") - 1
        firsts = np.asarray([a - 1 for a, _ in ranges], dtype=np.int64)
        chars = edges - offsets[piece] + firsts[piece]
        return chars[0::2], chars[1::2]

    def nul_in_span(self) -> bool:
        """Whether a NUL lies inside a span."""
        nuls = self.nuls
        if not len(nuls):
            return False
        if self._nul_in_span is None:
            k = np.array(self.spans_of(nuls))
            ends = self.span_arrays[1]
            self._nul_in_span = bool(((k >= 0) & (nuls < ends[np.maximum(k, 0)])).any())
        return self._nul_in_span

    @property
    def collapsed(self) -> tuple[bytes, np.ndarray | None]:
        """The shape with runs of spaces made one (:func:`cmqual._hyperscan.collapse`)."""
        if self._collapsed is None:
            self._collapsed = hs.collapse(self.shape)
        return self._collapsed

    def chunk_of(self, s: int) -> int:
        """Index of the stretch between NULs holding position ``s``."""
        return int(np.searchsorted(self.nuls, s, side="left"))

    def chunks_of(self, positions: Any) -> list[int]:
        """:meth:`chunk_of` of many positions."""
        if not len(positions):
            return []
        return np.searchsorted(self.nuls, positions, side="left").tolist()

    @property
    def span_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`spans` as int64 arrays."""
        if self._span_arrays is None:
            starts, ends = self._bounds
            if starts is None or not hasattr(starts, "dtype"):
                starts, ends = self.spans
            self._span_arrays = (
                np.asarray(starts, dtype=np.int64),
                np.asarray(ends, dtype=np.int64),
            )
        return self._span_arrays

    def spans_of(self, positions: Any) -> list[int]:
        """:meth:`span_of` of many positions."""
        if not len(positions):
            return []
        starts, ends = self.span_arrays
        where = np.asarray(positions, dtype=np.int64)
        k = np.searchsorted(starts, where, side="right") - 1
        inside = (k >= 0) & (where <= ends[np.maximum(k, 0)])
        return np.where(inside, k, -1).tolist()

    def chunk_bounds(self, c: int) -> tuple[int, int, int]:
        """``(pos, endpos, stop)`` to run ``finditer`` over stretch ``c`` exactly.

        ``endpos`` takes in the closing NUL, so lookarounds and ``$`` see what they see
        in the whole text; matches start before ``stop`` (the NUL).
        """
        nuls = self.nuls
        lo = int(nuls[c - 1]) + 1 if c else 0
        if c < len(nuls):
            return lo, int(nuls[c]) + 1, int(nuls[c])
        return lo, self.n, self.n


def words_in(low: str, ranges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Words of a folded text in character ranges (see :meth:`TextView.words_in`)."""
    return TextView(low, None, None).words_in(ranges)


def _as_list(values: Any) -> list[int]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


class SecondStage:
    """The places each gate opened in one text, and the gated patterns sought there."""

    def __init__(
        self,
        scanner: Any,
        text: TextView,
        found: list[Match],
        events: list[tuple[int, tuple[int, ...]]],
        complete: bool,
    ):
        self.scanner = scanner
        self.text = text
        by_gate: dict[int, list[int]] = defaultdict(list)
        for s, ids in events:
            for gid in ids:
                by_gate[gid].append(s)
        by_pid: dict[int, list[int]] = defaultdict(list)
        evidence = scanner._evidence
        if evidence:
            for s, _, p in found:
                if p in evidence:
                    by_pid[p].append(s)
        self.blind = regex_factor_blind(text.low)
        self.complete = complete
        self.where = by_gate
        self.by_pid = by_pid

    def opened(self, gid: int) -> set[int] | None:
        """Regions gate ``gid`` opened (None: open everywhere)."""
        gate, text = self.scanner._gates[gid], self.text
        where = self.where.get(gid, [])
        for p in gate.pids:
            where = where + self.by_pid.get(p, [])
        if (
            (self.complete and gate.partial)
            or (self.blind and gate.factors)
            or (gate.chain and text.nul_in_span())
        ):
            return None
        if gate.candidates or gate.fallback:
            return set()  # the first stage found the candidates
        if gate.region == WHOLE:
            return {0} if where else set()
        if gate.region == CHUNK:
            return set(text.chunks_of(where))
        return set(text.spans_of(where)) - {-1}

    def run(self) -> list[Match]:
        """Matches of the gated patterns where their gates opened."""
        found: list[Match] = []
        text, low = self.text, self.text.low
        for gid, units in self.scanner._gated.items():
            regions = self.opened(gid)
            if regions is not None and not regions:
                continue
            gate = self.scanner._gates[gid]
            for unit in units:
                if unit.own_pass is not None:
                    found += self._own_pass(unit, gate, regions)
            automaton = self.scanner._second.get(gid)
            if automaton is None:
                continue
            candidates, certain = automaton.candidates(text, self._ranges(gate, regions))
            found += certain
            if candidates:
                found += verify(low, candidates, [])
        return found

    def _ranges(self, gate: Gate, regions: set[int] | None) -> list[tuple[int, int]]:
        text = self.text
        if regions is None or gate.region == WHOLE:
            return [(0, text.n)]
        if gate.region == CHUNK:
            return [text.chunk_bounds(c)[::2] for c in sorted(regions)]
        starts, ends = text.spans
        return [(starts[k], ends[k]) for k in sorted(regions)]

    def _own_pass(self, unit: Any, gate: Gate, regions: set[int] | None) -> list[Match]:
        """``finditer`` over the stretches the gate opened (exact: see module docstring)."""
        rx, pid, text = unit.own_pass, unit.pid, self.text
        assert rx is not None
        if unit.may_nul or regions is None or gate.region == WHOLE:
            return finditer(rx, pid, text.low, 0, text.n, text.n)
        if gate.region == CHUNK:
            chunks = sorted(regions)
        else:
            starts, ends = text.spans
            chunks = sorted(
                {
                    c
                    for k in regions
                    for c in range(text.chunk_of(starts[k]), text.chunk_of(ends[k]) + 1)
                }
            )
        found: list[Match] = []
        for c in chunks:
            found += finditer(rx, pid, text.low, *text.chunk_bounds(c))
        return found
