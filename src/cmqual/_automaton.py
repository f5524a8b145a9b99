"""The scanner behind :mod:`cmqual.matcher` (internal).

First stage: one automaton pass
-------------------------------
Every pattern is reduced to *anchors*: literal strings that must occur where the pattern
matches (a word, each spelling of each word form, a stem's prefix, the spellings of the
last word of a phrase, the literal prefixes of a raw regex). An automaton over all
patterns of all codes finds candidates in one pass over the folded text, and each
candidate is verified in place in Python (:mod:`cmqual._verify`): word boundaries for
words, the stem's tail, a short walk back over the other words of a phrase
(``str.startswith`` at each gap), or the raw regex's ``match`` at the candidate.

With Hyperscan (the ``hyperscan`` wheel; :mod:`cmqual._hyperscan`) the automaton checks
much more before Python sees a candidate: whole words with their boundaries, whole
phrases with their gaps, the words between two ``NEAR`` sides, a raw regex rewritten
for it; few candidates remain. Without it, a pyahocorasick automaton finds the anchor
literals alone (slower, same results).

Second stage: gates
-------------------
Some patterns are only sought where a *gate* opened, by plain Python searches there:

* both sides of ``A NEAR/n B`` only in spans that may hold a pair (Hyperscan: one side,
  at most ``n`` words, the other; pyahocorasick: an anchor of the rarer side, judged by
  a short list of very common English words and by length);
* a raw regex only in stretches between two NULs (segments, which the matcher joins
  with a NUL) where it may match (Hyperscan: the regex rewritten from its rarest
  required literal on; pyahocorasick: the rarest set of literals that every match
  contains, :func:`cmqual.patterns.regex_factors`, if rarer than its prefixes).

A raw regex that cannot match a NUL (:func:`cmqual.patterns.regex_may_match_nul`) has
no match across one, and ``re.finditer`` started after a NUL finds exactly what a pass
over the whole text finds there: so a regex without a literal prefix (3 characters, 2
after ``\\b``) runs ``re.finditer`` only over the stretches its gate opened, not over
the whole text. A regex for which no gate can be built, or that can match a NUL,
still makes one pass over the whole text. Literal sets are not trusted on a text holding
``ı`` or ``ſ`` (:func:`cmqual.patterns.regex_factor_blind`): there, regex gates open
everywhere.

Gates and Hyperscan's checks change the amount of work, never the matches: every
candidate is verified by the same Python code, and a gate only skips places where no
match that can become a hit exists.

All offsets are code-point offsets into the folded text, which has exactly the length of
the original text (:func:`cmqual.patterns.fold`).
"""

from __future__ import annotations

import os
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cmqual import _hyperscan as hs
from cmqual._places import CHUNK, SPAN, WHOLE, Gate, SecondStage, TextView, finditer
from cmqual._verify import (
    GATE,
    NO_BOUNDARY,
    PHRASE,
    RE_BOUNDARY,
    REGEX,
    STEM,
    WORD,
    WORD_BOUNDARY,
    Candidate,
    Match,
    Slot,
    is_gap,
    make_slot,
    verify,
)
from cmqual.errors import ConfigError
from cmqual.patterns import (
    Regex,
    Term,
    _exact_item,
    _factors,
    _sre_constants,
    _sre_parser,
    is_word_char,
    regex_factors,
    regex_may_match_nul,
    regex_prefix_items,
    regex_prefixes,
    regex_sharp_prefixes,
)

ENGINE_ENV = "CMQUAL_MATCHER"


Anchor = tuple[str, int, tuple]  # (literal, left-boundary test, check)

# Very common English words (the first line: the most common of all), and words
# frequent in the interviews cmqual was made for; an anchor or a gate literal made of
# one of them wakes up every few words. Only speed depends on these lists.
_TOP_TEXT = """
    a and as at be but for have he i in is it just know like not of on so that the
    they this to was we with yeah you
"""
_COMMON_TEXT = """
    about after again all also am an any are back because been before being by can
    can't could couldn't day did didn't do does doesn't don't down each even every
    first from get go going good got had has he's her here him his how i'd i'll i'm
    i've if into isn't it's its kind little lot make many may me mean more most much
    my never new no now off oh okay one only or other our out over people really right
    said say see she some something still such take than that's their them then there
    they're thing things think those time too two up us very way we're well were what
    when where which who why will would yes your
    children class lesson mentor mentors mentoring school schools staff student
    students teacher teachers teaching trainee trainees work year years
"""
_TOP_WORDS = frozenset(_TOP_TEXT.split())
_COMMON_WORDS = _TOP_WORDS | frozenset(_COMMON_TEXT.split())
# Rough frequency of a literal by its length, as a whole word (bounded) or as a
# substring (a stem prefix, a gate literal). Only relative sizes matter.
_WORD_COST = (1.0, 0.5, 0.3, 0.05, 0.02, 0.01)
_SUBSTRING_COST = (1.0, 1.0, 0.8, 0.3, 0.08, 0.03, 0.01)
# A gate is worth it below this cost (it opens a stretch, which costs a search there).
_GATE_COST = 3.0
# Below this density (Scanner._density) Hyperscan scans plain literals, not shapes.
_SHAPE_DENSITY = 50.0
# A NEAR pair whose rarer side costs this much is found by Hyperscan as a pair; a rarer
# side opens the spans it matches in itself.
_CHAIN_NEAR = 0.05
# A regex is chained to a literal set up to this many times as frequent as its prefixes.
_CHAIN_RATIO = 10.0


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


def literal_cost(literal: str, bounded: bool = True) -> float:
    """How often ``literal`` may be expected in English text (relative; higher = more).

    ``bounded``: found only as a whole word (an anchor with word boundaries), not also
    inside longer words. Several words count as rarer than the rarest of them.
    """
    words = literal.split()
    if len(words) > 1:
        return 0.3 * min(literal_cost(w, bounded) for w in words)
    core = words[0] if words else literal
    if core in _TOP_WORDS:
        return 10.0
    if core in _COMMON_WORDS:
        return 1.0
    table = _WORD_COST if bounded else _SUBSTRING_COST
    return table[min(len(core), len(table) - 1)]


def _factor_cost(factor: tuple) -> float:
    strings, left, right = factor
    return sum(literal_cost(x, bounded=left and right) for x in strings)


# --- units and gates ---------------------------------------------------------------------


@dataclass
class _Unit:
    """One pattern or ``NEAR`` side as the scanner handles it."""

    pid: int
    node: Term | Regex
    anchors: list[Anchor] = field(default_factory=list)
    slots: tuple[Slot, ...] = ()  # a phrase, anchored on its last slot
    own_pass: re.Pattern[str] | None = None  # a raw regex without anchors
    may_nul: bool = True
    factors: tuple[tuple, ...] = ()
    gate: int = -1  # id of the gate it waits for, or -1
    keep: bool = False  # opens a gate with its matches: stays in the first stage
    sharp: list[Anchor] = field(default_factory=list)  # a regex's longer exact prefixes

    @property
    def cost(self) -> float:
        if self.own_pass is not None:
            return float("inf")
        if self.slots:
            # A phrase is rarer than its rarest word.
            return 0.3 * min(
                sum(literal_cost(x) for x in lits) + sum(literal_cost(x, False) for x in stems)
                for lits, stems, *_ in self.slots
            )
        return _anchors_cost(self.anchors)


def _anchors_cost(anchors: list[Anchor]) -> float:
    return sum(literal_cost(lit, left != NO_BOUNDARY) for lit, left, _ in anchors)


# --- scanner -----------------------------------------------------------------------------


class Scanner:
    """Anchors and gates of many patterns in one automaton.

    Add every pattern with :meth:`add`, declare ``NEAR`` sides with :meth:`pair`, call
    :meth:`build` once, then :meth:`scan` any number of folded texts.
    """

    def __init__(self, engine: str | None = None):
        self.engine = choose_engine(engine)
        self._chosen_by_user = bool(engine or os.environ.get(ENGINE_ENV))
        self._units: dict[int, _Unit] = {}
        self._pairs: list[tuple[int, int, int]] = []
        self._gates: list[Gate] = []
        self._automaton: _AhoEngine | _PlainHyperscanEngine | hs.HyperscanEngine | None = None
        self._own_first: list[_Unit] = []
        self._gated: dict[int, list[_Unit]] = {}  # gate id -> patterns waiting for it
        self._second: dict[int, _AhoEngine | hs.HyperscanEngine] = {}  # gate id -> automaton
        self._evidence: frozenset[int] = frozenset()  # pids whose matches open gates

    def add(self, node: Term | Regex, pid: int) -> None:
        """Add a word/phrase or raw-regex pattern whose matches report ``pid``."""
        unit = _Unit(pid, node)
        if isinstance(node, Regex):
            rx = node.compile()
            unit.may_nul = regex_may_match_nul(node.source)
            unit.factors = regex_factors(node.source)
            prefixes, boundary = regex_prefixes(node.source)
            if not prefixes:
                unit.own_pass = rx
            for prefix in prefixes:
                left = RE_BOUNDARY if boundary and _re_word(prefix[0]) else NO_BOUNDARY
                unit.anchors.append((prefix, left, (REGEX, pid, rx)))
            sharp = regex_sharp_prefixes(node.source) if prefixes else ()
            if sharp and set(sharp) != set(prefixes):
                for prefix in sharp:
                    left = RE_BOUNDARY if boundary and _re_word(prefix[0]) else NO_BOUNDARY
                    unit.sharp.append((prefix, left, (REGEX, pid, rx)))
        elif len(node.slots) == 1:
            for alt in node.slots[0]:
                for lit in alt.literals():
                    if alt.kind == "stem":
                        unit.anchors.append((lit, _left_of(lit), (STEM, pid, len(lit))))
                    else:
                        check = (WORD, pid, len(lit), is_word_char(lit[-1]))
                        unit.anchors.append((lit, _left_of(lit), check))
        else:
            slots: list[Slot] = []
            for slot in node.slots:
                literals = {x for alt in slot if alt.kind != "stem" for x in alt.literals()}
                stems = {x for alt in slot if alt.kind == "stem" for x in alt.literals()}
                gap_start = any(is_gap(x[0]) for x in literals | stems)
                slots.append(make_slot(literals, stems, gap_start))
            unit.slots = tuple(slots)
            # Anchored on the last slot: the other words are checked walking back, and
            # Hyperscan can report a whole phrase where its last slot ends.
            k = len(slots) - 1
            for lit in slots[k][0]:
                check = (PHRASE, pid, unit.slots, k, False, len(lit), is_word_char(lit[-1]))
                unit.anchors.append((lit, _left_of(lit), check))
            for prefix in slots[k][1]:
                check = (PHRASE, pid, unit.slots, k, True, len(prefix), False)
                unit.anchors.append((prefix, _left_of(prefix), check))
        self._units[pid] = unit

    def pair(self, left: int, right: int, distance: int) -> None:
        """Declare two added patterns the sides of a ``NEAR/distance``."""
        self._pairs.append((left, right, distance))

    def build(self) -> Scanner:
        """Choose gates and compile the automaton; returns ``self``."""
        if self.engine == "hyperscan":
            try:
                # A codebook of rare words is fastest with plain literals (little work
                # per byte); one waking up often, with the shape text (few candidates).
                self._plan(hyperscan=False)
                if self._density() < _SHAPE_DENSITY:
                    self._automaton = self._compile_plain()
                    return self
                self._plan(hyperscan=True)
                self._automaton = self._compile_hyperscan()
                return self
            except Exception:  # an old libhs, an unsupported CPU...
                if self._chosen_by_user or "ahocorasick" not in available_engines():
                    raise
                self.engine = "ahocorasick"
        self._plan(hyperscan=False)
        self._automaton = self._compile_aho()
        return self

    # planning -------------------------------------------------------------------

    def _plan(self, hyperscan: bool) -> None:
        """Decide which patterns wait for a gate, and build the gates."""
        self._gates = []
        for unit in self._units.values():
            unit.gate, unit.keep = -1, False
        for left, right, distance in self._pairs:
            a, b = self._units[left], self._units[right]
            rare, other = sorted((a, b), key=lambda u: (u.own_pass is not None, u.cost))
            if hyperscan and rare.cost >= _CHAIN_NEAR:
                chain = _near_chain(rare, other, distance)
                if chain is not None:
                    # Both sides are only sought in spans where Hyperscan saw a pair.
                    gate = Gate(SPAN, expression=chain[0], reversed_expression=chain[1])
                    rare.gate = other.gate = self._add_gate(gate)
                    continue
            # Else the rarer side is verified in the first stage, and the other side
            # only sought in spans where it matched (a raw regex without prefixes does
            # not open gates).
            if rare.own_pass is not None or other.keep or rare.gate >= 0:
                continue
            rare.keep = True
            other.gate = self._add_gate(Gate(SPAN, pids=(rare.pid,)))
        for unit in self._units.values():
            if unit.gate < 0 and not unit.keep and isinstance(unit.node, Regex):
                gate = self._regex_gate(unit, hyperscan)
                sharp = _anchors_cost(unit.sharp) if unit.sharp else float("inf")
                if sharp < min(unit.cost, gate.cost if gate is not None else unit.cost):
                    # Found by its longer prefixes; by its prefixes only where literal
                    # sets cannot be trusted (the prefixes stand in the second stage).
                    gate = Gate(WHOLE, factors=True, fallback=True)
                else:
                    unit.sharp = []
                if gate is not None:
                    unit.gate = self._add_gate(gate)
        units = self._units.values()
        self._own_first = [u for u in units if u.own_pass and u.gate < 0]
        self._gated = defaultdict(list)
        for unit in units:
            if unit.gate >= 0:
                self._gated[unit.gate].append(unit)
        self._evidence = frozenset(p for g in self._gates for p in g.pids)

    def _add_gate(self, gate: Gate) -> int:
        self._gates.append(gate)
        return len(self._gates) - 1

    def _regex_gate(self, unit: _Unit, hyperscan: bool) -> Gate | None:
        """Where a raw regex may match, or (Hyperscan) where to try it.

        Hyperscan, a regex with prefixes: its rarest literal set after its start, then
        (looking back in the same stretch between NULs) a prefix, reported where the
        prefix starts: the candidates themselves. A regex without prefixes: its rarest
        literal set (and an earlier one before it), opening the stretch it is in. With
        pyahocorasick, the rarest literal set, when it is rarer than the prefixes.
        """
        if unit.may_nul:
            # A match that may cross a NUL can only become a hit inside one span,
            # holding the gate's report there; explanations want the others too.
            region, partial = (WHOLE, False) if unit.own_pass else (SPAN, True)
        else:
            region, partial = CHUNK, False
        if hyperscan:
            return self._hyperscan_regex_gate(unit)
        factor = _rarest(unit.factors, False)
        if factor is None:
            return None
        if unit.own_pass is None and 2 * _factor_cost(factor) >= unit.cost:
            return None  # its prefixes are as rare
        return Gate(region, literals=tuple(factor[0]), partial=partial, factors=True)

    def _hyperscan_regex_gate(self, unit: _Unit) -> Gate | None:
        source = unit.node.source  # type: ignore[union-attr]
        placed = _placed_factors(source)
        if unit.own_pass is None:
            # A literal set in an item after those the prefixes are made of.
            after = regex_prefix_items(source)
            rare = _rarest([f for item, f in placed if item >= after], True, float("inf"))
            if rare is None or _factor_cost(rare) >= _CHAIN_RATIO * unit.cost:
                return None  # its prefixes are as rare: found by the first stage
            then = hs.alternation(_bounded(rare)) + hs.STRETCH
            by_left: dict[int, list[str]] = defaultdict(list)
            for lit, left, _ in unit.anchors:
                by_left[left].append(lit)
            check = unit.anchors[0][2]
            reports = []
            for left, prefixes in sorted(by_left.items()):
                befores = hs.RE_AROUND if left == RE_BOUNDARY else (b"",)
                start = hs.alternation(hs.bounded_words(prefixes, befores, (b"",), True))
                confirm = None if all(map(hs.exact_shape, prefixes)) else tuple(prefixes)
                handler = (hs.ANCHOR, -len(befores[0]), left, (check,), confirm)
                reports.append((then + start, handler))
            # A match that may cross a NUL only counts inside a span without one.
            may_nul = unit.may_nul
            return Gate(
                WHOLE,
                partial=may_nul,
                factors=True,
                chain=may_nul,
                candidates=tuple(reports),
                cost=_factor_cost(rare),
            )
        region = WHOLE if unit.may_nul else CHUNK
        try:
            # The whole regex in the shape alphabet: reports (almost) only its matches.
            items = list(_sre_parser().parse(source, re.IGNORECASE))
            whole, least = hs.shape_regex(items, _sre_constants())
        except hs.Unsupported:
            least = 0
        if least > 0:
            return Gate(region, expression=whole, factors=True)
        factors = [f for _, f in placed]
        rare = _rarest(factors, True, float("inf"))  # any gate beats a whole pass
        if rare is None:
            return None
        expression = hs.alternation(_bounded(rare))
        if unit.may_nul:
            return Gate(WHOLE, reversed_expression=expression, factors=True)
        index = factors.index(rare)
        earlier = [f for f in factors[:index] if _hyperscan_factor(f) and f is not rare]
        if earlier:
            expression += hs.STRETCH + hs.alternation(_bounded(earlier[0]))
        return Gate(CHUNK, reversed_expression=expression, factors=True)

    def _first_stage(self) -> list[_Unit]:
        """Patterns the first automaton finds (a sharp regex by its longer prefixes)."""
        return [
            u
            for u in self._units.values()
            if u.own_pass is None and (u.gate < 0 or self._gates[u.gate].fallback)
        ]

    def _density(self) -> float:
        """How often the first stage's literals wake up, as plain substrings."""
        groups = _anchor_groups(self._first_stage(), first=True)
        anchors = sum(literal_cost(lit, False) for lit, _, _ in groups)
        return anchors + sum(literal_cost(x, False) for g in self._gates for x in g.literals)

    def _compile_plain(self) -> _PlainHyperscanEngine:
        engine = _PlainHyperscanEngine(_anchor_groups(self._first_stage(), first=True), self._gates)
        self._second = {}
        for gid, units in self._gated.items():
            groups = _anchor_groups([u for u in units if u.own_pass is None])
            if groups:
                self._second[gid] = _AhoEngine(groups, [])
        return engine

    def _compile_aho(self) -> _AhoEngine:
        self._second = {}
        for gid, units in self._gated.items():
            groups = _anchor_groups([u for u in units if u.own_pass is None])
            if groups:
                self._second[gid] = _AhoEngine(groups, [])
        return _AhoEngine(_anchor_groups(self._first_stage(), first=True), self._gates)

    def _compile_hyperscan(self) -> hs.HyperscanEngine:
        self._second = {}
        for gid, units in self._gated.items():
            groups = _anchor_groups([u for u in units if u.own_pass is None])
            if groups:
                handlers = hs.literal_handlers(groups, WORD_BOUNDARY, RE_BOUNDARY, WORD)
                self._second[gid] = hs.HyperscanEngine(handlers, [])
        units = self._first_stage()
        literals = hs.literal_handlers(
            _anchor_groups([u for u in units if not u.slots], first=True),
            WORD_BOUNDARY,
            RE_BOUNDARY,
            WORD,
        )
        gate_shapes = [
            (lit, befores, afters, gid)
            for gid, gate in enumerate(self._gates)
            for lit, befores, afters in gate.shapes
        ]
        for key, handlers in hs.gate_literals(gate_shapes).items():
            literals.setdefault(key, []).extend(handlers)
        expressions: list[tuple[bytes, tuple]] = []
        for unit in units:
            if not unit.slots:
                continue
            spellings = {lit: (lit, len(lit), left, (check,)) for lit, left, check in unit.anchors}
            pairs = hs.phrase_literals(unit.slots)
            if pairs is None:
                handler = (hs.PHRASE, tuple(spellings.values()))
                expressions.append((hs.shape_phrase(unit.slots), handler))
                continue
            for key, ends in pairs.items():
                handler = (hs.PHRASE, tuple(spellings[y] for y in ends))
                if handler not in literals.setdefault(key, []):
                    literals[key].append(handler)
        backward: list[tuple[bytes, tuple]] = []
        for gid, gate in enumerate(self._gates):
            if gate.expression:
                expressions.append((gate.expression, (hs.GATE, gid, 1)))
            if gate.reversed_expression:
                backward.append((gate.reversed_expression, (hs.GATE, gid, 0)))
            backward += gate.candidates
        return hs.HyperscanEngine(literals, expressions, backward)

    def anchor_notes(self) -> dict[int, str]:
        """Pattern id -> its anchor literals and gate, for :meth:`patterns_table`."""
        notes = {}
        for pid, unit in self._units.items():
            text = " ".join(dict.fromkeys(lit for lit, _, _ in unit.anchors))
            if unit.gate >= 0:
                gate = self._gates[unit.gate]
                where = "where the other side matched" if gate.pids else "where it may match"
                text = f"(own pass {where})" if unit.own_pass else f"{text} (only {where})"
            elif unit.own_pass is not None:
                text = "(own pass over the text)"
            notes[pid] = text
        return notes

    # scanning -------------------------------------------------------------------

    def scan(
        self, low: str, starts: Any = None, ends: Any = None, complete: bool = True
    ) -> list[Match]:
        """Matches ``(start, end, pattern id)`` in the folded text ``low``.

        ``starts``/``ends`` are the sorted span bounds (none: the text is one span).
        Every match that lies inside a span is returned; with ``complete`` also every
        other one, except ``NEAR`` sides, which only ever count inside one span.
        """
        return self.scan_text(low, starts, ends, complete)[0]

    def scan_text(
        self, low: str, starts: Any = None, ends: Any = None, complete: bool = True
    ) -> tuple[list[Match], TextView]:
        """:meth:`scan`, also returning the text's views (for :meth:`_Text.word_bounds`)."""
        assert self._automaton is not None, "call build() first"
        text = TextView(low, starts, ends)
        events: list[tuple[int, tuple[int, ...]]] = []
        candidates, found = self._automaton.candidates(text)
        found += verify(low, candidates, events)
        for unit in self._own_first:
            assert unit.own_pass is not None
            found += finditer(unit.own_pass, unit.pid, low, 0, text.n, text.n)
        if self._gated:
            found += SecondStage(self, text, found, events, complete).run()
        return found, text


def _rarest(factors: list | tuple, hyperscan: bool, limit: float = _GATE_COST) -> tuple | None:
    """The rarest of a raw regex's literal sets worth a gate, if there is one.

    For Hyperscan, whose gates see the text's shape (:mod:`cmqual._hyperscan`), every
    string must keep at least three exact characters there.
    """
    usable = [f for f in factors if not hyperscan or _hyperscan_factor(f)]
    best = min(usable, key=lambda f: (_factor_cost(f), f), default=None)
    if best is None or _factor_cost(best) > limit:
        return None
    return best


def _placed_factors(source: str) -> list[tuple[int, tuple]]:
    """A regex's literal sets in order, each with the top-level item it starts in.

    As :func:`cmqual.patterns.regex_factors`, top level only: consecutive exact items
    form one run. Sets come in the order they appear, without overlap.
    """
    tree = _sre_parser().parse(source, re.IGNORECASE)
    k = _sre_constants()
    out: list[tuple[int, tuple]] = []
    run_start = None
    run: list = []

    def flush() -> None:
        if run:
            for group, left, right in _factors(run, 64, k):
                if group and "" not in group:
                    out.append((run_start, (tuple(sorted(group)), left, right)))
            run.clear()

    for i in range(len(tree)):
        item = tree[i]
        start = i
        zero_width = item[0] is k.AT or item[0] in (k.ASSERT, k.ASSERT_NOT)
        if zero_width or _is_exact(item, k):
            if not run:
                run_start = start
            run.append(item)
            continue
        flush()
        try:
            found = _factors([item], 64, k)
        except Exception:
            continue
        for group, left, right in found:
            if group and "" not in group:
                out.append((start, (tuple(sorted(group)), left, right)))
    flush()
    return out


def _bounded(factor: tuple) -> list[bytes]:
    """A literal set's reversed shapes, with the ``\\b`` it has on either side."""
    strings, left, right = factor
    out = []
    for x in strings:
        befores = hs.RE_AROUND if left and _re_word(x[0]) else (b"",)
        afters = hs.RE_AROUND if right and _re_word(x[-1]) else (b"",)
        out += hs.bounded_words([x], befores, afters, reverse=True)
    return out


def _near_chain(rare: _Unit, other: _Unit, distance: int) -> tuple[bytes, bytes] | None:
    """Hyperscan expressions seeing both sides of a NEAR (see hs.near_chain), or None."""
    sides = []
    for unit in (rare, other):
        if isinstance(unit.node, Regex):
            return None
        if unit.slots:
            edges = [*unit.slots[0][0], *unit.slots[0][1], *unit.slots[-1][0]]
            edges += unit.slots[-1][1]
            if not all(is_word_char(x[0]) and is_word_char(x[-1]) for x in edges):
                return None
            sides.append(tuple(hs.shape_phrase(unit.slots, False, r) for r in (False, True)))
        else:
            words = [x for x, _, _ in unit.anchors]
            if not all(is_word_char(x[0]) and is_word_char(x[-1]) for x in words):
                return None
            sides.append(tuple(hs.shape_words(words, r) for r in (False, True)))
    return hs.near_chain(sides[0], sides[1], distance)


def _left_of(literal: str) -> int:
    return WORD_BOUNDARY if is_word_char(literal[0]) else NO_BOUNDARY


def _needs_right(check: tuple) -> bool:
    """Whether a check fails unless a non-word character follows its literal."""
    if check[0] == WORD:
        return bool(check[3])
    return check[0] == PHRASE and bool(check[6])


def _re_word(ch: str) -> bool:
    """Python's ``\\w`` for one character (what a regex's ``\\b`` looks at)."""
    return ch.isalnum() or ch == "_"


def _anchor_groups(
    units: list[_Unit], first: bool = False
) -> dict[tuple[str, int, bool], list[tuple]]:
    """(literal, left test, all checks need a right boundary) -> checks.

    With ``first``, a regex with longer exact prefixes is anchored on those.
    """
    groups: dict[tuple[str, int, bool], list[tuple]] = {}
    for unit in units:
        for literal, left, check in unit.sharp if first and unit.sharp else unit.anchors:
            checks = groups.setdefault((literal, left, _needs_right(check)), [])
            if check not in checks:
                checks.append(check)
    return groups


def _is_exact(item: tuple, k: Any) -> bool:
    """Whether a parsed regex item can only match a few exact strings."""
    try:
        return _exact_item(item, 64, k) is not None
    except Exception:  # inline flags
        return False


def _hyperscan_factor(factor: tuple) -> bool:
    """Whether every string of a literal set keeps three exact characters in a shape."""
    return all(sum(c.isascii() and c.isalnum() for c in x) >= 3 for x in factor[0])


# --- pyahocorasick -----------------------------------------------------------------------


class _AhoEngine:
    """pyahocorasick automaton over the anchor and gate literals."""

    def __init__(self, groups: dict[tuple[str, int, bool], list[tuple]], gates: list[Gate]):
        import ahocorasick

        merged: dict[str, list[tuple[int, tuple]]] = defaultdict(list)
        for (literal, left, _), checks in groups.items():
            merged[literal].append((left, tuple(checks)))
        by_literal: dict[str, list[int]] = defaultdict(list)
        for gid, gate in enumerate(gates):
            for literal in gate.literals:
                by_literal[literal].append(gid)
        for literal, gids in by_literal.items():
            merged[literal].append((GATE, tuple(gids)))
        self._automaton = None
        if merged:
            automaton = ahocorasick.Automaton()
            for literal, found in merged.items():
                automaton.add_word(literal, (len(literal) - 1, tuple(found)))
            automaton.make_automaton()
            self._automaton = automaton

    def candidates(
        self, text: TextView, ranges: list[tuple[int, int]] | None = None
    ) -> tuple[list[Candidate], list[Match]]:
        """Candidates in the text, or in its character ``ranges`` (and no sure matches)."""
        if self._automaton is None or not text.n:
            return [], []
        iterate, low = self._automaton.iter, text.low
        if ranges is None:
            return [
                (end - back, left, checks)
                for end, (back, found) in iterate(low)
                for left, checks in found
            ], []
        # A slice each: pyahocorasick reads the whole string it is given.
        return [
            (lo + end - back, left, checks)
            for lo, hi in ranges
            for end, (back, found) in iterate(low[lo:hi])
            for left, checks in found
        ], []


class _PlainHyperscanEngine:
    """A Hyperscan literal database over the anchor and gate literals, as such.

    Scans the folded text's UTF-8 bytes; byte offsets are mapped back to code points
    (no mapping for ASCII text). Used for codebooks whose literals rarely occur, where
    the shape text (:mod:`cmqual._hyperscan`) would cost more than it saves.
    """

    def __init__(self, groups: dict[tuple[str, int, bool], list[tuple]], gates: list[Gate]):
        import hyperscan

        self._hs = hyperscan
        merged: dict[bytes, list[tuple[int, tuple]]] = defaultdict(list)
        for (literal, left, _), checks in groups.items():
            merged[literal.encode("utf-8", "surrogatepass")].append((left, tuple(checks)))
        by_literal: dict[str, list[int]] = defaultdict(list)
        for gid, gate in enumerate(gates):
            for literal in gate.literals:
                by_literal[literal].append(gid)
        for literal, gids in by_literal.items():
            merged[literal.encode("utf-8", "surrogatepass")].append((GATE, tuple(gids)))
        keys = list(merged)
        self._found = [tuple(merged[key]) for key in keys]
        self._blen = [len(key) for key in keys]
        self._db = hs._compile_all([(keys, True)])[0] if keys else None
        self._local = threading.local()

    def candidates(
        self, text: TextView, ranges: list[tuple[int, int]] | None = None
    ) -> tuple[list[Candidate], list[Match]]:
        """Candidates in the whole text (and no sure matches)."""
        assert ranges is None, "plain literals scan whole texts"
        if self._db is None or not text.n:
            return [], []
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found: list[tuple[int, int]] = []

        def on_match(
            eid: int, _from: int, to: int, _flags: int, _ctx: Any, add: Any = found.append
        ) -> None:
            add((eid, to))

        data = text.data
        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        groups, blen = self._found, self._blen
        if text.ascii:
            return [
                (to - blen[eid], left, checks) for eid, to in found for left, checks in groups[eid]
            ], []
        starts = text.chars_of([to - blen[eid] for eid, to in found])
        return [
            (c, left, checks)
            for c, (eid, _) in zip(starts, found, strict=True)
            for left, checks in groups[eid]
        ], []
