"""One compiled, single-pass matcher for a codebook or selection.

``compile_codebook`` reduces every pattern of every code to literal *anchors* and builds
one multi-string automaton over all of them (Hyperscan when its wheel is installed, else
pyahocorasick; see :mod:`cmqual._automaton`). A text is folded once
(:func:`cmqual.patterns.fold`: lowercase, same length, so offsets are exact) and scanned
once; candidates are verified where they were found. Raw ``re:`` patterns without a
literal prefix each cost one extra ``re.finditer`` pass.

Pattern matches become hits by these rules (worked examples: ``codebooks/README.md``):

1. With ``spans`` (segment bounds), a match must lie inside one span, and the two sides
   of ``NEAR/n`` must lie in the same span. Without spans the text is one span.
2. A match inside (contained in) a match of one of its code's ``exclude_patterns`` is
   dropped. Exclusions apply to their own code only, not to its children.
3. Per code, identical spans found by several patterns give one hit, reported with the
   first pattern in codebook order, and overlapping hits are reduced leftmost-longest to
   non-overlapping ones (as quanteda does for overlapping dictionary values). Different
   codes are independent: a word inside a longer phrase of another code counts for both.
4. A code's hit that overlaps a hit of one of its descendants is dropped: the row carries
   the most specific code, and :func:`cmqual.coding.rollup` counts it for every ancestor.
"""

from __future__ import annotations

import html
import os
import threading
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cmqual._automaton import Match, Scanner, available_engines
from cmqual._places import words_in
from cmqual._workers import no_gc as _no_gc
from cmqual.codebook import Code, Codebook, Selection, codebook_hash, iter_codes, read_codebook
from cmqual.errors import CodebookError, ConfigError
from cmqual.patterns import Near, fold, parse_pattern

__all__ = [
    "SEPARATOR",
    "CompiledCodebook",
    "Event",
    "Explanation",
    "Hit",
    "available_engines",
    "compile_codebook",
]

#: Joins segment texts when a batch of segments is scanned at once. The NUL is neither a
#: word character nor allowed in a phrase gap, so nothing runs from one segment into the
#: next; the newlines keep ``(?m)^`` and ``$`` of raw regexes meaningful at segment edges.
SEPARATOR = "\n\x00\n"

_INCLUDE, _EXCLUDE, _PART = 0, 1, 2
_ROLE_NAMES = {_INCLUDE: "include", _EXCLUDE: "exclude", _PART: "near side"}

# A located match: (start, end, pattern id, span index); a hit row adds the code index:
# (start, end, code, pattern id, span index).
Located = tuple[int, int, int, int]
Row = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Hit:
    """One hit: ``text == source_text[start:end]`` was coded ``code`` by ``pattern``."""

    start: int
    end: int
    code: str
    pattern: str
    text: str


class CompiledCodebook:
    """A codebook or selection compiled for matching (see :func:`compile_codebook`).

    Attributes
    ----------
    codebook : Codebook or Selection
        What was compiled.
    codebook_hash : str
        :func:`cmqual.codebook.codebook_hash` of it, for provenance.
    codes : tuple of str
        Full references of all codes, depth-first in codebook order.
    engine : str
        ``"hyperscan"`` or ``"ahocorasick"``.
    """

    def __init__(self, codebook: Codebook | Selection, engine: str | None = None):
        self.codebook = codebook
        self.codebook_hash = codebook_hash(codebook)
        codes: list[Code] = list(iter_codes(codebook))
        self.codes: tuple[str, ...] = tuple(c.ref for c in codes)
        index = {ref: i for i, ref in enumerate(self.codes)}
        self._scope = tuple(c.speakers for c in codes)
        self._participants_only = tuple(c.speakers == "participants" for c in codes)
        self._ancestors = tuple(
            tuple(index[a] for a in _ancestor_refs(ref) if a in index) for ref in self.codes
        )
        self._pat_text: list[str] = []
        self._pat_code: list[int] = []
        self._pat_role: list[int] = []
        self._near: list[tuple[int, int, int, int]] = []  # (pid, left pid, right pid, n)
        self._engine_requested = engine
        self._scanner = Scanner(engine)
        for ci, code in enumerate(codes):
            for role, texts in ((_INCLUDE, code.patterns), (_EXCLUDE, code.exclude_patterns)):
                for text in texts:
                    try:
                        node = parse_pattern(text).node
                    except CodebookError as exc:  # only for codebooks built by hand
                        raise CodebookError(
                            f"code {code.ref}: pattern {text!r}: {exc.summary}"
                        ) from None
                    pid = self._new_pid(text, ci, role)
                    if isinstance(node, Near):
                        left = self._new_pid(str(node.left), ci, _PART)
                        right = self._new_pid(str(node.right), ci, _PART)
                        self._scanner.add(node.left, left)
                        self._scanner.add(node.right, right)
                        self._scanner.pair(left, right, node.distance)
                        self._near.append((pid, left, right, node.distance))
                    else:
                        self._scanner.add(node, pid)
        self._scanner.build()
        self.engine = self._scanner.engine

    def __reduce__(self) -> tuple:
        return (compile_codebook, (self.codebook, self._engine_requested))

    def __repr__(self) -> str:
        n = sum(r != _PART for r in self._pat_role)
        return (
            f"<CompiledCodebook {self.codebook.id!r}: {len(self.codes)} codes, {n} patterns, "
            f"engine={self.engine}>"
        )

    def _new_pid(self, text: str, code: int, role: int) -> int:
        self._pat_text.append(text)
        self._pat_code.append(code)
        self._pat_role.append(role)
        return len(self._pat_text) - 1

    # public -----------------------------------------------------------------------

    def speakers(self, code_ref: str) -> str:
        """Speaker scope of a code: ``"all"`` or ``"participants"``."""
        if code_ref not in self.codes:
            from cmqual.codebook import _did_you_mean

            hint = _did_you_mean(code_ref, self.codes)
            raise CodebookError(f"no code {code_ref!r} in {self.codebook.id!r}{hint}")
        return self._scope[self.codes.index(code_ref)]

    def find(self, text: str, spans: list[tuple[int, int]] | None = None) -> list[Hit]:
        """Return the hits in ``text``, sorted by ``(start, end, code)``.

        Parameters
        ----------
        text : str
            Any text; offsets of hits are offsets into it (never into a normalised copy).
        spans : list of (start, end), optional
            Segment bounds. When given, only hits inside one span are reported and both
            sides of a ``NEAR/n`` pattern must lie in the same span. Spans must not
            overlap. Without spans the whole text is one span.

        Examples
        --------
        >>> cm = compile_codebook(cb)  # doctest: +SKIP
        >>> [(h.code, h.text) for h in cm.find("Hard-to-reach families")]  # doctest: +SKIP
        [('demo/access', 'Hard-to-reach')]
        """
        starts, ends = self._check(text, spans)
        low = fold(text)
        raw, scanned = self._scanner.scan_text(low, starts, ends, False)
        rows = self._resolve(low, raw, starts, ends, words=scanned.words_in)
        codes, pats = self.codes, self._pat_text
        return [Hit(s, e, codes[c], pats[p], text[s:e]) for s, e, c, p, _ in rows]

    def explain(
        self,
        text: str,
        spans: list[tuple[int, int]] | None = None,
        interviewer_spans: frozenset[int] = frozenset(),
        only_participants: bool = False,
    ) -> Explanation:
        """Explain the coding of ``text``: every match, what became of it, and the hits.

        ``interviewer_spans`` are indexes into the sorted ``spans`` of interviewer
        segments, where codes scoped to participants do not fire; with
        ``only_participants`` no code fires there (``speakers="participants"`` of
        :func:`cmqual.coding.apply_codebook`).

        Returns
        -------
        Explanation
            ``str()`` of it reads as a report; in a notebook it renders as a table.
        """
        starts, ends = self._check(text, spans)
        low = fold(text)
        trace: list[tuple[int, int, int, str, str]] = []
        raw, scanned = self._scanner.scan_text(low, starts, ends)
        rows = self._resolve(
            low,
            raw,
            starts,
            ends,
            interviewer_spans,
            only_participants,
            trace,
            text,
            scanned.words_in,
        )
        codes, pats = self.codes, self._pat_text
        hits = tuple(Hit(s, e, codes[c], pats[p], text[s:e]) for s, e, c, p, _ in rows)
        events = tuple(
            Event(
                s,
                e,
                text[s:e],
                codes[self._pat_code[p]],
                pats[p],
                _ROLE_NAMES[self._pat_role[p]],
                outcome,
                reason,
            )
            for s, e, p, outcome, reason in sorted(trace, key=lambda t: t[:3])
        )
        return Explanation(text, hits, events)

    def patterns_table(self) -> Any:
        """One row per pattern: code, pattern, role and the anchors the automaton seeks.

        Handy to see what ``mentor+`` expands to, or which word anchors a phrase.
        """
        import pandas as pd

        notes = self._scanner.anchor_notes()
        rows = []
        for pid, text in enumerate(self._pat_text):
            anchors = notes.get(pid, "")
            rows.append(
                {
                    "code": self.codes[self._pat_code[pid]],
                    "pattern": text,
                    "role": _ROLE_NAMES[self._pat_role[pid]],
                    "anchors": anchors,
                }
            )
        return pd.DataFrame(rows, columns=["code", "pattern", "role", "anchors"])

    # batches ----------------------------------------------------------------------

    def _match_joined(
        self, joined: str, lengths: np.ndarray, interviewer: frozenset[int] = frozenset()
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Match segments given as their texts joined by :data:`SEPARATOR`.

        ``lengths`` (int64) are the segments' lengths in code points; ``interviewer``
        holds indexes of interviewer segments. Returns arrays (segment, start, end, code,
        pattern), offsets relative to each segment, and the hit texts.
        """
        empty = np.zeros(0, dtype=np.int64)
        if len(lengths) == 0:
            return empty, empty, empty, empty, empty, []
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1] + len(SEPARATOR), out=starts[1:])
        low = fold(joined)
        ends = starts + lengths
        with _no_gc():
            raw, scanned = self._scanner.scan_text(low, starts, ends, False)
            rows = self._resolve(low, raw, starts, ends, interviewer, words=scanned.words_in)
        if not rows:
            return empty, empty, empty, empty, empty, []
        s, e, code, pid, seg = (np.asarray(c, dtype=np.int64) for c in zip(*rows, strict=True))
        texts = [joined[a:b] for a, b in zip(s.tolist(), e.tolist(), strict=True)]
        return seg, s - starts[seg], e - starts[seg], code, pid, texts

    # hit rules --------------------------------------------------------------------

    def _check(self, text: str, spans: list[tuple[int, int]] | None) -> tuple[Any, Any]:
        if not isinstance(text, str):
            raise ConfigError(f"text must be a str, not {type(text).__name__}")
        if spans is None:
            return None, None
        pairs = sorted((int(a), int(b)) for a, b in spans)
        for i, (a, b) in enumerate(pairs):
            if not 0 <= a <= b <= len(text):
                raise ConfigError(f"spans: ({a}, {b}) is outside the text (length {len(text)})")
            if i and a < pairs[i - 1][1]:
                previous = pairs[i - 1]
                raise ConfigError(f"spans: ({a}, {b}) overlaps {previous}; spans must not overlap")
        return [a for a, _ in pairs], [b for _, b in pairs]

    def _resolve(
        self,
        low: str,
        raw: list[Match],
        starts: Any,
        ends: Any,
        interviewer: frozenset[int] = frozenset(),
        only_participants: bool = False,
        trace: list[tuple[int, int, int, str, str]] | None = None,
        shown: str = "",
        words: Any = None,
    ) -> list[Row]:
        """Apply the hit rules (module docstring) to raw matches.

        ``interviewer`` holds span indexes where participants-only codes (with
        ``only_participants``: all codes) do not fire. ``trace`` collects explanation
        events, quoting ``shown`` (the original text). ``words`` gives the starts and
        ends of the words in character ranges (computed when not given). Rows come
        sorted by start, end and code reference.
        """
        shown = shown or low
        located = self._locate(raw, starts, ends, trace)
        if self._near:
            if words is None:
                words = lambda ranges: words_in(low, ranges)  # noqa: E731
            located += self._pair(located, words, starts, ends, len(low))
        included, exclusions = self._sort_roles(located, interviewer, only_participants, trace)
        by_code = self._exclude(included, exclusions, trace, shown)
        kept = self._leftmost_longest(by_code, trace, shown)
        rows = self._drop_ancestors(kept, trace, shown)
        codes = self.codes
        rows.sort(key=lambda r: (r[0], r[1], codes[r[2]]))
        return rows

    def _locate(
        self, raw: list[Match], starts: Any, ends: Any, trace: list | None
    ) -> list[Located]:
        """Give each match the index of the span it lies in; drop those in none."""
        raw = sorted(set(raw))
        if starts is None:
            return [(s, e, p, 0) for s, e, p in raw]
        if trace is None and len(raw) > 64:
            arr = np.asarray(raw, dtype=np.int64)
            span = np.searchsorted(starts, arr[:, 0], side="right") - 1
            inside = (span >= 0) & (arr[:, 1] <= np.asarray(ends)[np.maximum(span, 0)])
            return list(zip(*arr[inside].T.tolist(), span[inside].tolist(), strict=True))
        located = []
        for s, e, p in raw:
            i = bisect_right(starts, s) - 1
            if i >= 0 and e <= ends[i]:
                located.append((s, e, p, i))
            elif trace is not None and self._pat_role[p] != _PART:
                trace.append((s, e, p, "outside", "not inside one segment"))
        return located

    def _sort_roles(
        self,
        located: list[Located],
        interviewer: frozenset[int],
        only_participants: bool,
        trace: list | None,
    ) -> tuple[list[Located], dict[int, list[tuple[int, int, int]]]]:
        """Split matches into include hits and exclusion matches (by code); apply speakers."""
        included: list[Located] = []
        exclusions: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for s, e, p, sp in located:
            role = self._pat_role[p]
            if role == _PART:
                continue
            code = self._pat_code[p]
            if role == _EXCLUDE:
                exclusions[code].append((s, e, p))
            elif (
                interviewer
                and sp in interviewer
                and (only_participants or self._participants_only[code])
            ):
                if trace is not None:
                    why = (
                        "speakers='participants': interviewer segments are not coded"
                        if only_participants
                        else "the code is for participants' words; an interviewer speaks"
                    )
                    trace.append((s, e, p, "speaker", why))
            else:
                included.append((s, e, p, sp))
        return included, exclusions

    def _exclude(
        self,
        included: list[Located],
        exclusions: dict[int, list[tuple[int, int, int]]],
        trace: list | None,
        shown: str,
    ) -> dict[int, list[Located]]:
        """Drop hits inside an exclusion match of their code; group the rest by code."""
        by_code: dict[int, list[Located]] = defaultdict(list)
        suppressed: dict[tuple[int, int, int], int] = defaultdict(int)
        index = {code: _Containers(matches) for code, matches in exclusions.items()}
        for s, e, p, sp in included:
            code = self._pat_code[p]
            outer = index[code].containing(s, e) if code in index else None
            if outer is None:
                by_code[code].append((s, e, p, sp))
                continue
            suppressed[outer] += 1
            if trace is not None:
                where = shown[outer[0] : outer[1]]
                pattern = self._pat_text[outer[2]]
                trace.append(
                    (s, e, p, "excluded", f"inside {where!r} (exclude pattern {pattern!r})")
                )
        if trace is not None:
            for matches in exclusions.values():
                for x in matches:
                    n = suppressed.get(x, 0)
                    note = f"suppressed {n} hit{'s' * (n != 1)}" if n else "suppressed nothing"
                    trace.append((*x, "exclusion", note))
        return by_code

    def _leftmost_longest(
        self, by_code: dict[int, list[Located]], trace: list | None, shown: str
    ) -> dict[int, list[Located]]:
        """Per code: one hit per span (first pattern wins), then leftmost-longest."""
        kept: dict[int, list[Located]] = {}
        for code, hits in by_code.items():
            hits.sort(key=lambda h: (h[0], -h[1], h[2]))
            keep: list[Located] = []
            for h in hits:
                if keep and h[0] < keep[-1][1]:
                    if trace is not None:
                        k = keep[-1]
                        how = "same span as" if k[:2] == h[:2] else "overlaps"
                        what = f"{shown[k[0] : k[1]]!r} of pattern {self._pat_text[k[2]]!r}"
                        trace.append((h[0], h[1], h[2], "overlap", f"{how} hit {what}"))
                    continue
                keep.append(h)
            kept[code] = keep
        return kept

    def _drop_ancestors(
        self, kept: dict[int, list[Located]], trace: list | None, shown: str
    ) -> list[Row]:
        """Drop a code's hits that overlap a hit of one of its descendants."""
        dropped: set[tuple[int, int]] = set()
        for code, hits in kept.items():
            for ancestor in self._ancestors[code]:
                theirs = kept.get(ancestor)
                if not theirs:
                    continue
                their_starts = [h[0] for h in theirs]
                their_ends = [h[1] for h in theirs]  # sorted too: the hits do not overlap
                for s, e, _, _ in hits:
                    j = bisect_right(their_ends, s)
                    while j < len(theirs) and their_starts[j] < e:
                        if trace is not None and (ancestor, j) not in dropped:
                            h = theirs[j]
                            why = (
                                f"the more specific code {self.codes[code]} has hit {shown[s:e]!r}"
                            )
                            trace.append((h[0], h[1], h[2], "ancestor", why))
                        dropped.add((ancestor, j))
                        j += 1
        rows = [
            (s, e, code, p, sp)
            for code, hits in kept.items()
            for j, (s, e, p, sp) in enumerate(hits)
            if (code, j) not in dropped
        ]
        if trace is not None:
            trace.extend((s, e, p, "coded", "") for s, e, _, p, _ in rows)
        return rows

    def _pair(
        self, located: list[Located], words: Any, starts: Any, ends: Any, n: int
    ) -> list[Located]:
        """Combine the two sides of each ``NEAR/n`` pattern found in the same span.

        Distance is counted in words (runs of word characters, inner apostrophes
        included) strictly between the two sides, which must not overlap.
        """
        parts: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        spans_of: dict[int, set[int]] = defaultdict(set)
        for s, e, p, sp in located:
            if self._pat_role[p] == _PART:
                parts[(p, sp)].append((s, e))
                spans_of[p].add(sp)
        wanted = [
            (pid, left, right, distance, sp)
            for pid, left, right, distance in self._near
            for sp in sorted(spans_of[left] & spans_of[right])
        ]
        if not wanted:
            return []
        # Each side's words: the first word ending after its start, the last word
        # starting before its end (word indexes over the whole text).
        keys = {k for _, left, right, _, sp in wanted for k in ((left, sp), (right, sp))}
        sides = sorted({h for k in keys for h in parts[k]})
        spans = sorted({sp for *_, sp in wanted})
        ranges = [(0, n)] if starts is None else [(int(starts[sp]), int(ends[sp])) for sp in spans]
        w_starts, w_ends = words(ranges)
        bounds = np.asarray(sides, dtype=np.int64).reshape(-1, 2)
        firsts = np.searchsorted(w_ends, bounds[:, 0], side="right").tolist()
        lasts = (np.searchsorted(w_starts, bounds[:, 1], side="left") - 1).tolist()
        ranges = {h: (f, la) for h, f, la in zip(sides, firsts, lasts, strict=True)}
        out: set[Located] = set()
        for pid, left, right, distance, sp in wanted:
            rights = [(*ranges[r], r) for r in parts[(right, sp)]]
            for h in parts[(left, sp)]:
                first, last = ranges[h]
                for r_first, r_last, r in rights:
                    after = 0 <= r_first - last - 1 <= distance
                    if (after or 0 <= first - r_last - 1 <= distance) and (
                        h[1] <= r[0] or r[1] <= h[0]
                    ):
                        out.add((min(h[0], r[0]), max(h[1], r[1]), pid, sp))
        return sorted(out)


class _Containers:
    """Intervals indexed to find one that contains a given span (exclusion matches)."""

    def __init__(self, intervals: list[tuple[int, int, int]]):
        self.items = sorted(intervals)
        self.starts = [x[0] for x in self.items]
        self.longest = max(x[1] - x[0] for x in self.items)

    def containing(self, s: int, e: int) -> tuple[int, int, int] | None:
        """The first interval (by start) with ``start <= s`` and ``e <= end``, if any."""
        lo = bisect_left(self.starts, s - self.longest)
        hi = bisect_right(self.starts, s)
        return next((x for x in self.items[lo:hi] if e <= x[1]), None)



def _ancestor_refs(ref: str) -> list[str]:
    """``cb/a/b/c`` -> ``['cb/a', 'cb/a/b']``."""
    parts = ref.split("/")
    return ["/".join(parts[:i]) for i in range(2, len(parts))]


_CACHE: dict[tuple[Any, str | None], CompiledCodebook] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def compile_codebook(
    codebook: Codebook | Selection | str, engine: str | None = None
) -> CompiledCodebook:
    """Compile a codebook or selection into a single-pass matcher.

    Compiling is pure and cached: equal codebooks give the same compiled object.

    Parameters
    ----------
    codebook : Codebook, Selection or str
        A codebook, a selection, or anything :func:`cmqual.codebook.read_codebook` takes
        (a path, a built-in id, ``"default"``).
    engine : {"hyperscan", "ahocorasick"}, optional
        Automaton engine; by default ``$CMQUAL_MATCHER`` or the fastest installed. Both
        give identical hits.

    Examples
    --------
    >>> cm = compile_codebook("default")  # doctest: +SKIP
    >>> cm.find("Line managers decide the workload.")  # doctest: +SKIP
    """
    if isinstance(codebook, (str, os.PathLike)):
        codebook = read_codebook(codebook)
    if not isinstance(codebook, (Codebook, Selection)):
        raise ConfigError(
            f"codebook must be a Codebook, Selection or codebook id, not {type(codebook).__name__}"
        )
    key = (codebook, engine or os.environ.get("CMQUAL_MATCHER"))
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    compiled = CompiledCodebook(codebook, key[1])
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = compiled
    return compiled


# --- explanations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One pattern match and what became of it (a row of :class:`Explanation`).

    ``outcome`` is ``coded``; ``excluded`` (inside an exclusion match); ``overlap``
    (another hit of the same code won); ``ancestor`` (a descendant code's hit covers it);
    ``speaker`` (the segment's speaker is not coded for this code); ``outside`` (not inside
    one segment); or ``exclusion`` (the match of an exclude pattern itself).
    """

    start: int
    end: int
    text: str
    code: str
    pattern: str
    role: str
    outcome: str
    reason: str


@dataclass(frozen=True)
class Explanation:
    """Why a text was coded as it was: every match, its outcome, and the hits."""

    text: str
    hits: tuple[Hit, ...]
    events: tuple[Event, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes with at least one hit (the most specific codes), sorted."""
        return tuple(sorted({h.code for h in self.hits}))

    @property
    def rolled_up(self) -> tuple[str, ...]:
        """Codes with hits plus all their ancestors, sorted."""
        return tuple(sorted({a for c in self.codes for a in (c, *_ancestor_refs(c))}))

    def to_frame(self) -> Any:
        """The events as a DataFrame, one row per match."""
        import pandas as pd

        columns = ["start", "end", "text", "code", "pattern", "role", "outcome", "reason"]
        return pd.DataFrame([asdict(e) for e in self.events], columns=columns)

    def __str__(self) -> str:
        lines = [f"codes: {', '.join(self.codes) or '(none)'}"]
        if self.rolled_up != self.codes:
            lines.append(f"rolled up: {', '.join(self.rolled_up)}")
        for e in self.events:
            why = f" ({e.reason})" if e.reason else ""
            lines.append(
                f"  [{e.start}:{e.end}] {e.text!r} {e.role} {e.pattern!r} -> {e.code}: "
                f"{e.outcome}{why}"
            )
        if not self.events:
            lines.append("  no pattern matched")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = f"<p><b>codes:</b> {html.escape(', '.join(self.codes) or '(none)')}</p>"
        return head + self.to_frame().to_html(index=False)
