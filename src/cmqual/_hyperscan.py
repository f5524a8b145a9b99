"""The Hyperscan engine of the scanner (internal; see :mod:`cmqual._automaton`).

Hyperscan does not scan the folded text itself but its *shape*: one byte per character,
so that offsets stay code-point offsets, in an alphabet made for word boundaries:

* ASCII letters, digits and ``_`` stand for themselves;
* ``\\x80`` stands for any other word character (a letter, digit or combining mark);
* ``'`` stands for an apostrophe between two word characters (inside a word);
* ``\x01`` stands for NUL (the matcher joins segments with it; Hyperscan's literal
  mode cannot take a NUL);
* a space stands for every other character (spaces, punctuation, other apostrophes,
  symbols).

The shape text has a space before and after it. In this alphabet a word with its
boundaries is a plain literal (`` mentor ``), a phrase's gap is a run of spaces (or one
inner apostrophe), words can be counted, and a stretch between two NULs is
``[^\\x01]*``. Hyperscan then checks much of what Python would (whole words, whole
phrases, the words between two ``NEAR`` sides, the literals a raw regex needs in one
stretch) and reports few candidates. Everything it reports is a superset: Python still
verifies every candidate on the real text.

Three databases are scanned: literals (anchors with their boundary bytes, in
Hyperscan's fast literal mode), expressions (phrases, ``NEAR`` pairs) and expressions
over the *reversed* shape text. The last ones start from a rare literal and look back:
``NEAR`` pairs whose rare side comes second, and raw regexes: a regex's rarest literal,
then (before it, in the same stretch) one of its prefixes, reported where the prefix
starts, which is where Python tries the regex.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import sys
import tempfile
import threading
from bisect import bisect_right
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from cmqual.patterns import MAX_GAP, is_word_char

# Shape bytes.
NUL, SPACE, INNER, OTHER_WORD = 0x01, 0x20, 0x27, 0x80
_ASCII_WORD = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyz_")
# Regex pieces over the shape alphabet.
REST_OF_WORD = b"[0-9a-z_\\x80']*"
ONE_WORD = b"[0-9a-z_\\x80']+"
SEPARATORS = b"[\\x01 ]+"
STRETCH = b"[^\\x01]*"
GAP = b"(?: {1,%d}|')" % MAX_GAP
#: Shape bytes next to a word under cmqual's word boundary (before; after: also the
#: apostrophe of a possessive ``'s``) and under a regex's ``\\b`` (a combining mark is
#: not ``\\w``).
WORD_BEFORE = (b" ", b"\x01")
WORD_AFTER = (b" ", b"'", b"\x01")
RE_AROUND = (b" ", b"'", b"\x01", bytes([OTHER_WORD]))

_TABLE = bytes(
    b
    if b in _ASCII_WORD
    else NUL
    if b == 0
    else b + 32
    if 65 <= b <= 90
    else INNER
    if b == INNER
    else SPACE
    for b in range(256)
)
_IS_WORD = np.zeros(256, dtype=bool)
_IS_WORD[[*_ASCII_WORD, OTHER_WORD]] = True

# Handler kinds: an anchor (a candidate at a fixed distance before the report), a
# phrase's last slot (a candidate for each spelling ending at the report), a gate, a
# whole word needing no check (matches at a fixed distance before the report).
ANCHOR, PHRASE, GATE, DIRECT = 0, 1, 2, 3


def shape_text(low: str) -> bytes:
    """The shape of a folded text, with a space before and after it."""
    if low.isascii():
        data = low.encode("ascii").translate(_TABLE)
        if b"'" not in data:
            return b" " + data + b" "
        arr = np.frombuffer(data, dtype=np.uint8).copy()
    else:
        # Each non-ASCII character becomes one DEL on the way (DEL is a space in the
        # shape), then a word character where it is one.
        raw = low.encode("ascii", "cmqual-shape")
        arr = np.frombuffer(raw.translate(_TABLE), dtype=np.uint8).copy()
        wide = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 0x7F).tolist()
        words = [i for i in wide if is_word_char(low[i])]
        if words:
            arr[words] = OTHER_WORD
    apostrophes = np.flatnonzero(arr == INNER)
    if len(apostrophes):
        # An apostrophe stays one only between two word characters.
        last = len(arr) - 1
        before = _IS_WORD[arr[np.maximum(apostrophes - 1, 0)]] & (apostrophes > 0)
        after = _IS_WORD[arr[np.minimum(apostrophes + 1, last)]] & (apostrophes < last)
        arr[apostrophes[~(before & after)]] = SPACE
    return b" " + arr.tobytes() + b" "


_IN_WORD = _IS_WORD.copy()
_IN_WORD[INNER] = True


def is_word_shape(arr: np.ndarray) -> np.ndarray:
    """Which bytes of a shape belong to a word (an inner apostrophe does)."""
    return _IN_WORD[arr]


def _to_del(error: UnicodeEncodeError) -> tuple[str, int]:
    return "\x7f" * (error.end - error.start), error.end


def _register() -> None:
    import codecs

    codecs.register_error("cmqual-shape", _to_del)


_register()


def shape_literals(literal: str) -> list[bytes]:
    """Shapes a pattern literal can have in a shape text (an edge apostrophe: two)."""
    chars = []
    n = len(literal)
    for i, ch in enumerate(literal):
        if ch == "'":
            inside_before = i > 0 and is_word_char(literal[i - 1])
            inside_after = i + 1 < n and is_word_char(literal[i + 1])
            if (i == 0 or inside_before) and (i + 1 == n or inside_after):
                chars.append((INNER, SPACE) if i in (0, n - 1) else (INNER,))
            else:
                chars.append((SPACE,))
        elif ch == "\x00":
            chars.append((NUL,))
        elif is_word_char(ch):
            chars.append((ord(ch) if ch.isascii() else OTHER_WORD,))
        else:
            chars.append((SPACE,))
    out = [b""]
    for options in chars:
        out = [x + bytes([o]) for x in out for o in options]
    return out


def exact_shape(literal: str) -> bool:
    """Whether a literal's shape can only come from the literal itself."""
    return all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in literal)


def escape(shape: bytes) -> bytes:
    return b"".join(bytes([b]) if b in _ASCII_WORD else b"\\x%02x" % b for b in shape)


def alternation(items: list[bytes]) -> bytes:
    return b"(?:" + b"|".join(dict.fromkeys(items)) + b")"


def shape_phrase(slots: tuple, bounded: bool = True, reverse: bool = False) -> bytes:
    """An expression over shapes for a phrase, up to its last slot's spelling.

    A stem's prefix is followed by the rest of its word (except in the last slot);
    slots are separated by a gap; with ``bounded`` the phrase has a space (or NUL)
    before it. With ``reverse``, the expression for the reversed shape text.
    """
    parts = []
    last = len(slots) - 1
    for i, (literals, stems, *_) in enumerate(slots):
        alts = []
        for x in (*literals, *stems):
            for shape in shape_literals(x):
                body = escape(shape[::-1] if reverse else shape)
                if bounded and i == 0 and is_word_char(x[0]):
                    body = body + b"[\\x01 ]" if reverse else b"[\\x01 ]" + body
                if x in stems and i != last:
                    body = REST_OF_WORD + body if reverse else body + REST_OF_WORD
                alts.append(body)
        parts.append(alternation(alts))
    return GAP.join(parts[::-1] if reverse else parts)


def _squeeze(shape: bytes) -> bytes:
    """A shape with each run of spaces made one space (as in :func:`collapse`)."""
    while b"  " in shape:
        shape = shape.replace(b"  ", b" ")
    return shape


def phrase_literals(slots: tuple, limit: int = 4096) -> dict[bytes, list[str]] | None:
    """Literals over the collapsed shape text for a phrase's last words, or None.

    Each literal is a spelling of each of the phrase's last slots (as many as keep the
    literals under ``limit``, at least two), with a gap between them (one space: the
    collapsed text has one for every run of spaces; or an inner apostrophe); the whole
    phrase also gets the space before it. Maps each literal to the last-slot spellings
    it ends with. None when the slot before last has a stem (its tail has no fixed
    length): the phrase then needs an expression.
    """
    last_literals, last_stems, *_ = slots[-1]
    keys: list[tuple[bytes, str]] = [
        (shape, y) for y in (*last_literals, *last_stems) for shape in shape_literals(y)
    ]
    for i in range(len(slots) - 2, -1, -1):
        literals, stems, *_ = slots[i]
        if stems:
            if i == len(slots) - 2:
                return None
            break
        grown = []
        for x in literals:
            word_end = is_word_char(x[-1])
            for xs in shape_literals(x):
                for body, y in keys:
                    grown.append((_squeeze(xs.rstrip(b" ") + b" " + body.lstrip(b" ")), y))
                    if word_end and body[:1] not in (b" ", b"'"):
                        grown.append((xs + b"'" + body, y))
        if len(grown) > limit and i < len(slots) - 2:
            break
        keys = grown
        if i == 0:
            first = slots[0][0]
            if all(is_word_char(x[0]) for x in first):
                keys = [(_squeeze(b + body), y) for body, y in keys for b in WORD_BEFORE]
    out: dict[bytes, list[str]] = defaultdict(list)
    for key, y in keys:
        if y not in out[key]:
            out[key].append(y)
    return dict(out)


def collapse(shape: bytes) -> tuple[bytes, np.ndarray | None]:
    """The shape with each run of spaces made one, and the positions taken out.

    The positions (shape indexes of the spaces taken out, sorted) turn a position in
    the collapsed shape back into one in the shape (:func:`uncollapse`); None when the
    shape has no run of two spaces and is returned unchanged.
    """
    arr = np.frombuffer(shape, dtype=np.uint8)
    space = arr == SPACE
    twice = space[1:] & space[:-1]
    removed = np.flatnonzero(twice)
    if not len(removed):
        return shape, None
    removed += 1
    keep = np.ones(len(arr), dtype=bool)
    keep[removed] = False
    return arr[keep].tobytes(), removed - np.arange(len(removed))


def uncollapse(where: np.ndarray, positions: list[int]) -> list[int]:
    """Shape positions of positions in a collapsed shape (``where`` from :func:`collapse`).

    ``where`` holds, for each space taken out, the collapsed position it was taken out
    before; a position moves right by the number of those at or before it.
    """
    at = np.asarray(positions, dtype=np.int64)
    return (at + np.searchsorted(where, at, side="right")).tolist()


def shape_words(literals: list[str], reverse: bool = False) -> bytes:
    """An alternation of the shapes of words (reversed with ``reverse``)."""
    shapes = [s for x in literals for s in shape_literals(x)]
    return alternation([escape(s[::-1] if reverse else s) for s in shapes])


def bounded_words(
    strings: list[str] | tuple[str, ...],
    befores: tuple[bytes, ...],
    afters: tuple[bytes, ...],
    reverse: bool = False,
) -> list[bytes]:
    """Shapes of strings with each boundary byte they allow, as escaped expressions."""
    out = []
    for x in strings:
        for shape in shape_literals(x):
            for before in befores:
                for after in afters:
                    body = before + shape + after
                    out.append(escape(body[::-1] if reverse else body))
    return list(dict.fromkeys(out))


def near_chain(
    rare: tuple[bytes, bytes], other: tuple[bytes, bytes], distance: int
) -> tuple[bytes, bytes]:
    """Expressions for ``rare NEAR/distance other`` over the shape and the reversed shape.

    ``rare`` and ``other`` are each side's expression and its reversed form (both start
    and end on a word character). The first expression finds ``rare``, then at most
    ``distance`` words, then ``other``; the second, scanned over the reversed shape,
    finds the other order. Both start with the rarer side, which Hyperscan runs fast.
    """
    count = b"{0,%d}" % distance if distance <= 12 else b"*"
    words = b"(?:" + SEPARATORS + ONE_WORD + b")" + count if distance else b""
    words_back = b"(?:" + ONE_WORD + SEPARATORS + b")" + count if distance else b""
    forward = rare[0] + REST_OF_WORD + words + SEPARATORS + other[0]
    backward = rare[1] + SEPARATORS + words_back + REST_OF_WORD + other[1]
    return forward, backward


# --- raw regexes in the shape alphabet -----------------------------------------------------


class Unsupported(Exception):
    """A regex construct :func:`shape_regex` does not rewrite."""


_DIGITS = set(b"0123456789")
_WORD = set(_ASCII_WORD) | {OTHER_WORD}
_ALL = _WORD | {INNER, SPACE, NUL}


def shape_regex(items: list, k: Any) -> tuple[bytes, int]:
    """Rewrite a parsed regex (``re._parser`` items) into the shape alphabet.

    Every string the regex matches in a folded text has a shape the result matches (a
    superset: assertions and ``\\b`` are dropped, classes widened to the shape bytes
    their characters can take, repeated groups turned into runs of the bytes they can
    produce). Returns the expression and its least length.
    """
    out = []
    least = 0
    for op, av in items:
        part, n = _shape_item(op, av, k)
        out.append(part)
        least += n
    return b"".join(out), least


def _shape_bytes(items: list, k: Any) -> set[int]:
    """Every shape byte a character matched by ``items`` can have."""
    out: set[int] = set()
    for op, av in items:
        if op in (k.LITERAL, k.IN, k.NOT_LITERAL, k.ANY, getattr(k, "ANY_ALL", k.ANY)):
            out |= _char_class(op, av, k)
        elif op is k.SUBPATTERN:
            out |= _shape_bytes(list(av[-1]), k)
        elif op is k.BRANCH:
            for branch in av[1]:
                out |= _shape_bytes(list(branch), k)
        elif op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)):
            out |= _shape_bytes(list(av[2]), k)
        elif op is getattr(k, "ATOMIC_GROUP", None):
            out |= _shape_bytes(list(av), k)
        elif op is k.GROUPREF_EXISTS:
            for branch in av[1:]:
                if branch is not None:
                    out |= _shape_bytes(list(branch), k)
        elif not (op is k.AT or op in (k.ASSERT, k.ASSERT_NOT)):
            raise Unsupported(str(op))
    return out


def _byte_class(values: set[int]) -> bytes:
    if not values:
        raise Unsupported("empty class")
    if len(values) == 1:
        return escape(bytes(values))
    return b"[" + b"".join(b"\\x%02x" % v for v in sorted(values)) + b"]"


def _char_shapes(code: int) -> set[int]:
    ch = chr(code)
    if ch == "'":
        return {INNER, SPACE}
    if ch == "\x00":
        return {NUL}
    if ch.isascii():
        low = ord(ch.lower())
        return {low} if low in _ASCII_WORD else {SPACE}
    return {OTHER_WORD, SPACE}


def _category_shapes(name: str) -> set[int]:
    if name.endswith("NOT_DIGIT") or name.endswith("NOT_SPACE"):
        return set(_ALL)
    if name.endswith("NOT_WORD"):
        return {INNER, SPACE, NUL, OTHER_WORD}  # combining marks are not \w
    if name.endswith("DIGIT"):
        return _DIGITS | {OTHER_WORD}
    if name.endswith("SPACE"):
        return {SPACE}
    if name.endswith("WORD"):
        return set(_WORD)
    return set(_ALL)


def _char_class(op: Any, av: Any, k: Any) -> set[int]:
    """Shape bytes of a one-character item."""
    if op is k.LITERAL:
        return _char_shapes(av)
    if op is not k.IN:
        return set(_ALL)  # NOT_LITERAL, ANY
    values: set[int] = set()
    for o, v in av:
        if o is k.NEGATE:
            return set(_ALL)
        if o is k.LITERAL:
            values |= _char_shapes(v)
        elif o is k.RANGE:
            lo, hi = v
            for code in range(lo, min(hi, 127) + 1):
                values |= _char_shapes(code)
            if hi > 127:
                values |= {OTHER_WORD, SPACE}
        elif o is k.CATEGORY:
            values |= _category_shapes(str(v))
        else:
            raise Unsupported(str(o))
    return values


def _shape_item(op: Any, av: Any, k: Any) -> tuple[bytes, int]:
    if op in (k.LITERAL, k.IN, k.NOT_LITERAL, k.ANY, getattr(k, "ANY_ALL", k.ANY)):
        return _byte_class(_char_class(op, av, k)), 1
    if op is k.SUBPATTERN:
        if av[1] or av[2]:
            raise Unsupported("inline flags")
        body, n = shape_regex(list(av[-1]), k)
        return b"(?:" + body + b")", n
    if op is k.BRANCH:
        parts = [shape_regex(list(b), k) for b in av[1]]
        return alternation([p for p, _ in parts]), min(n for _, n in parts)
    if op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)):
        lo, hi, body = av
        body = list(body)
        if len(body) != 1 or body[0][0] not in (k.LITERAL, k.IN, k.NOT_LITERAL, k.ANY):
            # A repeated group: any run of the bytes it can produce.
            n = shape_regex(body, k)[1]
            values = _shape_bytes(body, k)
            if not values:
                return b"", 0
            return _byte_class(values) + (b"+" if lo and n else b"*"), min(lo, 1) * min(n, 1)
        inner, n = shape_regex(body, k)
        if hi == k.MAXREPEAT or hi > 40:
            count = b"*" if lo == 0 else b"+" if lo == 1 else b"{%d,}" % lo
        elif lo == hi:
            count = b"{%d}" % lo
        else:
            count = b"{%d,%d}" % (lo, hi)
        return b"(?:" + inner + b")" + count, n * lo
    if op is k.AT or op in (k.ASSERT, k.ASSERT_NOT):
        return b"", 0
    if op is getattr(k, "ATOMIC_GROUP", None):
        body, n = shape_regex(list(av), k)
        return b"(?:" + body + b")", n
    if op is k.GROUPREF_EXISTS:
        yes, n1 = shape_regex(list(av[1]), k)
        no, n2 = shape_regex(list(av[2]), k) if av[2] else (b"", 0)
        return b"(?:" + yes + b"|" + no + b")", min(n1, n2)
    raise Unsupported(str(op))


# --- the engine ----------------------------------------------------------------------------


class HyperscanEngine:
    """Hyperscan databases over the shape text: literals, expressions, reversed ones.

    ``literals`` maps shape literals to handlers; ``expressions`` and ``reversed`` are
    lists of ``(expression, handler)``. Handlers: ``(ANCHOR, back, left, checks, text)``
    (a candidate starts ``back`` characters before the report; ``text``, when not None,
    must start there: its shape is not exact), ``(DIRECT, back, length, pids)`` (matches
    needing no check), ``(PHRASE, spellings)`` and ``(GATE, gate id, back)``. For
    reversed expressions the report is where the match starts in the forward text, and
    ``back`` counts forward from there. Each thread gets its own
    scratch spaces, so one compiled codebook can serve several threads.
    """

    def __init__(
        self,
        literals: dict[bytes, list[tuple]],
        expressions: list[tuple[bytes, tuple]] | None = None,
        reversed_expressions: list[tuple[bytes, tuple]] | None = None,
    ):
        import hyperscan

        self._hs = hyperscan
        jobs = []  # (expressions, literal mode, reversed, handlers)
        if literals:
            keys = list(literals)
            jobs.append((keys, True, False, [tuple(literals[key]) for key in keys]))
        for items, backwards in ((expressions, False), (reversed_expressions, True)):
            if items:
                jobs.append(([e for e, _ in items], False, backwards, [(h,) for _, h in items]))
        self._dbs = _compile_all([(e, literal) for e, literal, _, _ in jobs])
        self._literal = [literal for _, literal, _, _ in jobs]
        self._reversed = [backwards for _, _, backwards, _ in jobs]
        self._handlers = [handlers for *_, handlers in jobs]
        self._local = threading.local()

    def candidates(
        self, text: Any, ranges: list[tuple[int, int]] | None = None
    ) -> tuple[list[tuple], list[tuple[int, int, int]]]:
        """Candidates ``(start, left test, checks)`` and gate events ``(position, -1, ids)``,
        and matches that need no verifying.

        With ``ranges`` (sorted ``(start, end)`` character ranges), only those parts of
        the text are scanned, in one call: their shapes (with one character of context
        on each side) are joined. (Reversed expressions only scan the whole text.)
        """
        if not self._dbs or not text.n:
            return [], []
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = [self._hs.Scratch(db) for db in self._dbs]
        shape = text.shape
        offsets: list[int] = []  # where each range's shape starts in the data
        firsts: list[int] = []  # the character at which each range's shape starts
        if ranges is not None:
            pieces = []
            size = 0
            for lo, hi in ranges:
                # Shape index i is character i - 1.
                offsets.append(size)
                firsts.append(lo - 1)
                pieces.append(shape[lo : hi + 2])
                size += hi + 2 - lo
            shape = b"".join(pieces)
            if not shape:
                return [], []
        low = text.low
        out: list[tuple] = []
        matches: list[tuple[int, int, int]] = []
        add_candidate = out.append
        parts = zip(
            self._dbs, scratches, self._handlers, self._reversed, self._literal, strict=True
        )
        for db, scratch, handlers, backwards, literal in parts:
            found: list[tuple[int, int]] = []

            def on_match(
                eid: int, _from: int, to: int, _flags: int, _ctx: Any, add: Any = found.append
            ) -> None:
                add((eid, to))

            if backwards:
                db.scan(shape[::-1], match_event_handler=on_match, scratch=scratch)
                size = len(shape) - 1  # the reversed shape ends one character early
            elif literal and ranges is None:
                squeezed, where = text.collapsed
                db.scan(squeezed, match_event_handler=on_match, scratch=scratch)
                if found and where is not None:
                    # Map each match's last byte back to the shape.
                    ends = uncollapse(where, [to - 1 for _, to in found])
                    found = [(eid, end + 1) for (eid, _), end in zip(found, ends, strict=True)]
            else:
                db.scan(shape, match_event_handler=on_match, scratch=scratch)
            for eid, to in found:
                if backwards:
                    e = size - to  # where the match starts, forward
                elif offsets:
                    i = bisect_right(offsets, to - 1) - 1
                    e = firsts[i] + to - offsets[i]
                else:
                    e = to - 1  # the shape starts one character early
                for handler in handlers[eid]:
                    kind = handler[0]
                    if kind == DIRECT:
                        s = e - handler[1]
                        matches += [(s, s + handler[2], pid) for pid in handler[3]]
                    elif kind == ANCHOR:
                        s = e - handler[1]
                        if handler[4] is None or low.startswith(handler[4], s):
                            add_candidate((s, handler[2], handler[3]))
                    elif kind == PHRASE:
                        for literal, length, left, checks in handler[1]:
                            if low.startswith(literal, e - length):
                                add_candidate((e - length, left, checks))
                    else:
                        add_candidate((e - handler[2], -1, (handler[1],)))
        return out, matches


#: Folder of compiled Hyperscan databases (default ``$XDG_CACHE_HOME/cmqual/hyperscan``,
#: i.e. ``~/.cache/cmqual/hyperscan``); set to ``off`` (or empty) to compile every time.
CACHE_ENV = "CMQUAL_HYPERSCAN_CACHE"


def cache_dir() -> Path | None:
    """Where compiled databases are kept, or None when caching is off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "off", "0", "no") else Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cmqual" / "hyperscan"


def _cache_key(expressions: list[bytes], literal: bool) -> str:
    """Content key of a database: its expressions, mode, Hyperscan build and machine."""
    import hyperscan

    h = hashlib.sha256()
    version = getattr(hyperscan, "__version__", "?")
    h.update(f"cmqual-hs-1|{version}|{platform.machine()}|{sys.platform}|{literal}|".encode())
    for e in expressions:
        h.update(len(e).to_bytes(4, "little"))
        h.update(e)
    return h.hexdigest()


def _compile_all(jobs: list[tuple[list[bytes], bool]]) -> list[Any]:
    """Compile databases ``(expressions, literal mode)``, in parallel threads.

    Hyperscan releases the GIL while compiling, which takes most of the time it takes
    to compile a codebook (1-2 s for the built-in ones). A compiled database is kept in
    :func:`cache_dir` under a key of its content, the Hyperscan version and the machine,
    and loaded from there next time; a cache file that cannot be read or loaded (another
    CPU, truncated) is ignored and replaced, and a cache that cannot be written is
    skipped: the cache only ever saves time.
    """
    import hyperscan

    folder = cache_dir()

    def build(job: tuple[list[bytes], bool]) -> Any:
        expressions, literal = job
        path = folder / f"{_cache_key(expressions, literal)}.hsdb" if folder else None
        if path is not None:
            try:
                return hyperscan.loadb(path.read_bytes(), mode=hyperscan.HS_MODE_BLOCK)
            except Exception:  # missing, truncated or foreign: compile it
                pass
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=0,
            literal=literal,
        )
        if path is not None:
            _store(path, hyperscan.dumpb(db))
        return db

    if len(jobs) < 2:
        return [build(job) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(build, jobs))


def _store(path: Path, data: bytes) -> None:
    """Write a cache file atomically (temporary file, then rename); never fail."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".hsdb")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass  # read-only home, full disk: compile next time


def literal_handlers(
    groups: dict[tuple[str, int, bool], list[tuple]],
    word_boundary: int,
    re_boundary: int,
    word_check: int = -1,
) -> dict[bytes, list[tuple]]:
    """Shape literals for anchor groups ``(literal, left test, right) -> checks``.

    A left word boundary is a space (or NUL) before the literal (for a regex's ``\\b``
    also an inner apostrophe or another word character, as combining marks are not
    ``\\w``); a right one is a space, NUL or inner apostrophe (a possessive ``'s``)
    after it. A whole-word check (kind ``word_check``) on a literal of ASCII letters and
    digits, found with a space or NUL on both sides, needs no verifying: Hyperscan saw
    everything Python would check; its handler gives the match itself.
    """
    out: dict[bytes, list[tuple]] = defaultdict(list)

    def add(key: bytes, handler: tuple) -> None:
        if handler not in out[key]:
            out[key].append(handler)

    for (literal, left, right), checks in groups.items():
        befores: tuple[bytes, ...] = (b"",)
        if left == word_boundary and is_word_char(literal[0]):
            befores = WORD_BEFORE
        elif left == re_boundary and is_word_char(literal[0]):
            befores = RE_AROUND
        afters: tuple[bytes, ...] = (b"",)
        if right and is_word_char(literal[-1]):
            afters = WORD_AFTER
        exact = exact_shape(literal)
        confirm = None if exact else literal
        certain = tuple(c[1] for c in checks if c[0] == word_check and c[3])
        others = tuple(c for c in checks if not (c[0] == word_check and c[3]))
        for shape in shape_literals(literal):
            for before in befores:
                for after in afters:
                    back = len(literal) + len(after)
                    key = before + shape + after
                    if exact and befores is WORD_BEFORE and after in (b" ", b"\x01"):
                        if certain:
                            add(key, (DIRECT, back, len(literal), certain))
                        if others:
                            add(key, (ANCHOR, back, left, others, None))
                    else:
                        add(key, (ANCHOR, back, left, tuple(checks), confirm))
    return dict(out)


def gate_literals(
    literals: list[tuple[str, tuple[bytes, ...], tuple[bytes, ...], int]],
) -> dict[bytes, list[tuple]]:
    """Shape literals for gate strings ``(string, bytes before, bytes after, gate id)``.

    ``bytes before``/``after`` are the shape bytes a boundary next to the string may
    take (``(b"",)``: no boundary). The report's position is the string's start.
    """
    out: dict[bytes, list[tuple]] = defaultdict(list)
    for literal, befores, afters, gid in literals:
        for shape in shape_literals(literal):
            for before in befores:
                for after in afters:
                    handler = (GATE, gid, len(literal) + len(after))
                    if handler not in out[before + shape + after]:
                        out[before + shape + after].append(handler)
    return dict(out)
