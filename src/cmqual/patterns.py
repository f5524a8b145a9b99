"""The pattern language of codebooks: parsing, word forms and text folding.

A code's ``patterns`` and ``exclude_patterns`` are strings in a small language designed for
qualitative researchers (full guide with worked examples: ``codebooks/README.md``):

==========================  ==============================================================
``burnout``                 a whole word, any case
``hard to reach``           a phrase; between its words any short run of spaces, line
                            breaks, hyphens/dashes, quotes, commas, colons, semicolons or
                            slashes (``hard-to-reach``, ``hard to\\nreach``)
``assess*``                 a stem: assess, assessed, assessment, assessor...
``mentor+``                 English word forms: mentor, mentors, mentored, mentoring,
                            mentor's, mentors' (expanded once, when the codebook compiles)
``line|middle manager*``    ``|`` gives alternatives for one word slot (binds tighter than
                            the space)
``re:\\bNHS\\s+trusts?\\b``    a raw Python regular expression, case-insensitive
``workload NEAR/5 stress``  both within the same segment with at most 5 words between
                            them, in either order; the hit covers both
==========================  ==============================================================

This module is pure: it parses strings and builds regular-expression fragments. The
single-pass matcher that uses them lives in :mod:`cmqual.matcher`.

Text folding
------------
Matching runs on a *folded* copy of the text that has exactly the same length as the
original, so every offset found in it is an offset into the original text (see
:func:`fold`). Folding lowercases, makes curly and modifier apostrophes straight and
maps Greek final sigma to sigma. Unicode normalisation (NFC/NFD) would change lengths,
so instead of normalising the text, every pattern word is compiled in both its NFC and
its NFD spelling.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from cmqual.errors import CodebookError

__all__ = [
    "Alternative",
    "Near",
    "Pattern",
    "Regex",
    "Term",
    "fold",
    "parse_pattern",
    "regex_factor_blind",
    "regex_factors",
    "regex_may_match_nul",
    "regex_prefix_items",
    "regex_prefixes",
    "regex_sharp_prefixes",
    "spellings",
    "word_forms",
]

#: Characters folded to the straight apostrophe ``'``: right and left single quotation
#: marks, modifier letter apostrophe and the fullwidth apostrophe.
APOSTROPHES = "\u2019\u2018\u02bc\uff07"
#: Hyphens and dashes treated alike inside phrases.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
#: "Light punctuation" allowed between the words of a phrase (besides whitespace and
#: dashes). Full stops, question and exclamation marks are deliberately absent so that
#: a phrase never runs across a sentence end.
LIGHT_PUNCTUATION = ",;:/\u2026\"\u201c\u201d\u201e\u00ab\u00bb'"
#: Longest run of gap characters allowed between two words of a phrase.
MAX_GAP = 8
#: Longest stretch a stem is assumed to add to its prefix when a phrase is verified
#: backwards from a later word (only bounds a search window; see matcher).
MAX_STEM_TAIL = 40
#: Largest distance allowed in ``NEAR/n``.
MAX_NEAR = 100

_LOWER_FIX = {0x130: "i"}  # 'İ'.lower() is two code points; fold keeps one
_PATTERN_SPLIT = re.compile(r"[\s" + re.escape(DASHES + LIGHT_PUNCTUATION.replace("'", "")) + r"]+")
_NEAR = re.compile(r"(?:^|(?<=\s))near/(\S*)(?=\s|$)", re.IGNORECASE)


def fold(text: str) -> str:
    """Return the matching copy of ``text``: same length, lowercase, apostrophes straight.

    The result has exactly ``len(text)`` code points, so offsets found in it are offsets
    into ``text``. ``str.lower`` changes the length of one character only (U+0130 'İ'
    becomes 'i' + combining dot); it is folded to a plain 'i'.

    Examples
    --------
    >>> fold("Don\u2019t ASSESS")
    "don't assess"
    """
    low = text.lower()
    if len(low) != len(text):
        low = text.translate(_LOWER_FIX).lower()
    for ch in APOSTROPHES:
        if ch in low:
            low = low.replace(ch, "'")
    if "\u03c2" in low:  # Greek final sigma: compare as plain sigma
        low = low.replace("\u03c2", "\u03c3")
    return low


def spellings(word: str) -> tuple[str, ...]:
    """Return the folded NFC and NFD spellings of ``word`` (one if they are equal)."""
    folded = fold(word)
    nfc = unicodedata.normalize("NFC", folded)
    nfd = unicodedata.normalize("NFD", folded)
    return (nfc,) if nfc == nfd else (nfc, nfd)


# --- word characters -------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def mark_characters() -> frozenset[str]:
    """Return every combining mark (Unicode category M*), computed once.

    Python's ``\\w`` does not include combining marks, but they belong to the word they
    decorate (``e`` + U+0301 in NFD text, Devanagari vowel signs).
    """
    ranges = (range(0x300, 0x20000), range(0xE0100, 0xE01F0))
    return frozenset(
        chr(cp) for r in ranges for cp in r if unicodedata.category(chr(cp)).startswith("M")
    )


@functools.lru_cache(maxsize=1)
def word_class() -> str:
    """Return a regex character class matching one word character (``\\w`` plus marks)."""
    cps = sorted(ord(c) for c in mark_characters())
    parts: list[str] = []
    start = prev = cps[0]
    for cp in [*cps[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(f"\\U{start:08x}" if start == prev else f"\\U{start:08x}-\\U{prev:08x}")
        start = prev = cp
    return "[\\w" + "".join(parts) + "]"


def is_word_char(ch: str) -> bool:
    """Whether ``ch`` is a word character: a letter, digit, underscore or combining mark."""
    return ch.isalnum() or ch == "_" or ch in mark_characters()


@functools.lru_cache(maxsize=1)
def fragments() -> dict[str, str]:
    """Regex fragments shared by the matcher (built once; see ``codebooks/README.md``).

    ``lb``/``rb`` are the left/right word boundaries: the neighbour is not a word
    character, and not an apostrophe joined to a word character (``don't`` is one word,
    so ``don`` does not match it). ``tail`` is what a stem may add. ``gap`` is the run of
    characters allowed between the words of a phrase.
    """
    w = word_class()
    gap_chars = re.escape(DASHES + LIGHT_PUNCTUATION)
    return {
        "w": w,
        "lb": f"(?<!{w})(?<!{w}')",
        "rb": f"(?!{w})(?!'{w})",
        "tail": f"(?:{w}|'(?={w}))*",
        "gap": f"[\\s{gap_chars}]{{1,{MAX_GAP}}}",
        "word": f"{w}+(?:'{w}+)*",
    }


# --- the pattern model -------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """One alternative for a word slot: ``literal``, ``stem`` (``x*``) or ``forms`` (``x+``).

    ``text`` is the word as written, without its ``*`` or ``+``.
    """

    text: str
    kind: str = "literal"

    def literals(self) -> tuple[str, ...]:
        """Folded spellings this alternative matches exactly (for a stem: its prefix)."""
        return _literals(self.text, self.kind)

    def __str__(self) -> str:
        return self.text + {"literal": "", "stem": "*", "forms": "+"}[self.kind]


@functools.lru_cache(maxsize=4096)
def _literals(text: str, kind: str) -> tuple[str, ...]:
    words = word_forms(text) if kind == "forms" else (text,)
    return tuple(dict.fromkeys(s for word in words for s in spellings(word)))


@dataclass(frozen=True)
class Term:
    """A word or phrase: a sequence of word slots, each a tuple of alternatives."""

    slots: tuple[tuple[Alternative, ...], ...]

    def __str__(self) -> str:
        return " ".join("|".join(str(a) for a in slot) for slot in self.slots)


@dataclass(frozen=True)
class Regex:
    """A raw regular expression (``re:`` prefix), compiled case-insensitive."""

    source: str

    def compile(self) -> re.Pattern[str]:
        """Return the compiled expression."""
        return re.compile(self.source, re.IGNORECASE)

    def __str__(self) -> str:
        return "re:" + self.source


@dataclass(frozen=True)
class Near:
    """``left NEAR/distance right``: both in one segment, at most ``distance`` words apart."""

    left: Term | Regex
    right: Term | Regex
    distance: int

    def __str__(self) -> str:
        return f"{self.left} NEAR/{self.distance} {self.right}"


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern: ``text`` exactly as written in the codebook and its ``node``."""

    text: str
    node: Term | Regex | Near

    @property
    def kind(self) -> str:
        """``"term"``, ``"regex"`` or ``"near"``."""
        return {Term: "term", Regex: "regex", Near: "near"}[type(self.node)]


def parse_pattern(text: str) -> Pattern:
    """Parse one pattern string.

    Parameters
    ----------
    text : str
        A pattern as written in a codebook.

    Returns
    -------
    Pattern

    Raises
    ------
    CodebookError
        With a one-line reason (the codebook validator adds file, line and code).

    Examples
    --------
    >>> str(parse_pattern("line|middle manager*").node)
    'line|middle manager*'
    >>> parse_pattern("workload NEAR/5 stress").node.distance
    5
    """
    if not isinstance(text, str):
        raise CodebookError(f"a pattern must be a string, not {type(text).__name__}")
    src = text.strip()
    if not src:
        raise CodebookError("empty pattern")
    nears = list(_NEAR.finditer(src))
    if len(nears) > 1:
        raise CodebookError("bad proximity syntax: only one NEAR/n is allowed in a pattern")
    if nears:
        m = nears[0]
        number, left, right = m.group(1), src[: m.start()].strip(), src[m.end() :].strip()
        if not number.isdigit():
            raise CodebookError(
                f"bad proximity syntax {m.group(0)!r}: write NEAR/ followed by a whole number "
                "of words, e.g. 'workload NEAR/5 stress'"
            )
        if int(number) > MAX_NEAR:
            raise CodebookError(f"bad proximity syntax: NEAR/{number} is over NEAR/{MAX_NEAR}")
        if not left or not right:
            raise CodebookError(
                "bad proximity syntax: NEAR/n needs a pattern on each side, e.g. "
                "'workload NEAR/5 stress'"
            )
        return Pattern(text, Near(_parse_side(left), _parse_side(right), int(number)))
    return Pattern(text, _parse_side(src))


def _parse_side(src: str) -> Term | Regex:
    if src[:3].lower() == "re:":
        return _parse_regex(src[3:].strip())
    inner = re.search(r"\sre:\S*", src, re.IGNORECASE)
    if inner:
        raise CodebookError(
            f"'re:' must start the pattern (found inside at {inner.group().strip()!r})"
        )
    words = [w for w in _PATTERN_SPLIT.split(src) if w]
    if not words:
        raise CodebookError("empty pattern: it has no words (only punctuation)")
    slots = []
    for word in words:
        slots.append(tuple(_parse_alternative(alt, word) for alt in word.split("|")))
    return Term(tuple(slots))


def _parse_alternative(alt: str, word: str) -> Alternative:
    if not alt:
        raise CodebookError(
            f"empty alternative in {word!r}: write a word on each side of '|', e.g. "
            "'line|middle manager'"
        )
    kind = "literal"
    core = alt
    if alt.endswith("*"):
        kind, core = "stem", alt[:-1]
    elif alt.endswith("+"):
        kind, core = "forms", alt[:-1]
    if "*" in core or "+" in core:
        raise CodebookError(
            f"misplaced '*' or '+' in {alt!r}: they may only end a word ('assess*', "
            "'mentor+'); use 're:' for anything else"
        )
    if not core:
        raise CodebookError(f"{alt!r} has no letters before its '{alt[-1]}'")
    if kind == "forms" and not core.isalpha():
        raise CodebookError(f"word forms ('+') need a word of letters only, not {core!r}")
    return Alternative(core, kind)


def _parse_regex(source: str) -> Regex:
    if not source:
        raise CodebookError("empty regular expression after 're:'")
    try:
        compiled = re.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise CodebookError(f"invalid regular expression: {exc}") from None
    if compiled.match("") is not None:
        raise CodebookError(
            "the regular expression can match empty text; make at least one character "
            "required (e.g. use + instead of *)"
        )
    return Regex(source)


def regex_prefixes(source: str, limit: int = 64) -> tuple[tuple[str, ...], bool]:
    """Folded literal strings one of which starts every match of a raw regex.

    Returns ``(prefixes, boundary)``: ``boundary`` is true when the expression starts
    with ``\\b``. ``prefixes`` is empty when no useful set exists (shorter than 3
    characters, or 2 without a leading ``\\b``, or more than ``limit`` strings); such a
    regex is then run with its own ``re.finditer`` over the whole text. The prefixes
    let the matcher's automaton find a regex's candidate positions in its single pass.

    Examples
    --------
    >>> regex_prefixes(r"\bNHS\\s+trusts?\b")
    (('nhs',), True)
    >>> regex_prefixes(r"\\d+ staff")
    ((), False)
    """
    try:
        tree = list(_sre_parser().parse(source, re.IGNORECASE))
    except Exception:
        return (), False
    consts = _sre_constants()
    boundary = bool(tree) and tree[0] == (consts.AT, consts.AT_BOUNDARY)
    found, _ = _expand(tree, {""}, limit, consts)
    prefixes = tuple(sorted({fold(p) for p in found}))
    shortest = min((len(p) for p in prefixes), default=0)
    if shortest < 2 or (shortest < 3 and not boundary):
        return (), boundary
    return prefixes, boundary


def regex_sharp_prefixes(source: str, limit: int = 256) -> tuple[str, ...]:
    """Longer literal prefixes of a raw regex, through optional groups, when they exist.

    The folded strings the regex's leading run of exact items can match (optional
    groups and short repeats included; ``\\b`` and lookarounds skipped): every match
    starts with one of them, and each starts with one of :func:`regex_prefixes`. Empty
    when there is no such run of at least 3 characters or it has over ``limit``
    strings. ``\\bno (other |spare )?time\\b`` gives ``('no other time', 'no spare
    time', 'no time')`` where :func:`regex_prefixes` gives ``('no ',)``.

    Examples
    --------
    >>> regex_sharp_prefixes(r"\\bno (other |spare )?time\\b")
    ('no other time', 'no spare time', 'no time')
    """
    try:
        tree = list(_sre_parser().parse(source, re.IGNORECASE))
    except Exception:
        return ()
    consts = _sre_constants()
    current = {""}
    for item in tree:
        try:
            part = _exact_item(item, limit, consts)
        except _NoFactors:
            part = None
        if part is None:
            break
        grown = {a + b for a in current for b in part}
        if len(grown) > limit:
            break
        current = grown
    if min(map(len, current)) < 3:
        return ()
    return tuple(sorted(current))


def regex_prefix_items(source: str, limit: int = 64) -> int:
    """How many top-level items of a raw regex its prefixes may reach into.

    Every match of the regex starts with one of :func:`regex_prefixes`; what the items
    from this index on match comes after the prefix, without overlap.
    """
    tree = list(_sre_parser().parse(source, re.IGNORECASE))
    consts = _sre_constants()
    current = {""}
    for i, item in enumerate(tree):
        current, complete = _expand([item], current, limit, consts)
        if not complete or not current:
            return i + 1
    return len(tree)


def _sre_parser():
    try:
        from re import _parser  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse as _parser  # type: ignore[no-redef]
    return _parser


def _sre_constants():
    try:
        from re import _constants  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_constants as _constants  # type: ignore[no-redef]
    return _constants


def _expand(items: list, current: set[str], limit: int, k) -> tuple[set[str], bool]:
    """Extend ``current`` by the literal start of ``items``; second value: consumed all."""
    repeats = {k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", k.MAX_REPEAT)}
    for op, av in items:
        if op is k.AT or op in (k.ASSERT, k.ASSERT_NOT):
            continue  # zero-width: the match still starts with what follows
        if op is k.LITERAL:
            current = {p + chr(av) for p in current}
        elif op is k.IN and len(av) <= 4 and all(o is k.LITERAL for o, _ in av):
            current = {p + chr(v) for p in current for _, v in av}
        elif op is k.SUBPATTERN:
            current, complete = _expand(list(av[-1]), current, limit, k)
            if not complete:
                return current, False
        elif op is k.BRANCH:
            union: set[str] = set()
            complete = True
            for branch in av[1]:
                part, done = _expand(list(branch), current, limit, k)
                union |= part
                complete &= done
            current = union
            if not complete:
                return current, False
        elif op in repeats and av[0] >= 1:
            current, _ = _expand(list(av[2]), current, limit, k)
            return current, False
        else:
            return current, False
        if len(current) > limit:
            return set(), False
        if min(len(p) for p in current) >= 16:
            return current, False
    return current, True


def regex_factors(source: str, limit: int = 64) -> tuple[Factor, ...]:
    """Sets of folded literal strings, each holding one string that every match contains.

    Each set comes from a stretch of the expression that can only match a few exact
    strings (``night``; ``(allocated|assigned)``; ``workers?`` gives ``worker``), found
    anywhere in it, not only at the start, and is returned in the order the stretches
    come in the expression, as ``(strings, left, right)``: ``left``/``right`` tell
    whether a ``\\b`` stands right before/after the stretch. ``\\b(we|they)\\s+were\\b``
    gives ``(('they', 'we'), True, False)`` and ``(('were',), False, True)``. A match of
    the regex on folded text contains one string of every set, in that order and
    without overlap, provided the text holds neither of the two lowercase letters that
    match an ASCII letter case-insensitively (dotless ``ı`` and long ``ſ``; see
    :func:`regex_factor_blind`). The matcher uses these sets as *gates*: a regex is only
    tried where they occur. Only characters that match nothing but themselves in folded
    text are used (ASCII, and characters without case); inline flags give no sets.

    Examples
    --------
    >>> regex_factors(r"\\bhours?\\s+per\\s+(week|term)")
    ((('hour',), True, False), (('per',), False, False), (('term', 'week'), False, False))
    >>> regex_factors(r"\\d+")
    ()
    """
    try:
        tree = _sre_parser().parse(source, re.IGNORECASE)
    except Exception:
        return ()
    consts = _sre_constants()
    try:
        found = _factors(list(tree), limit, consts)
    except _NoFactors:
        return ()
    out: list[Factor] = []
    for group, left, right in found:
        # A string that contains another string of its set (where the boundaries
        # allow) adds nothing.
        if left and right:
            kept = set(group)
        elif left:
            kept = {x for x in group if not any(y != x and x.startswith(y) for y in group)}
        elif right:
            kept = {x for x in group if not any(y != x and x.endswith(y) for y in group)}
        else:
            kept = {x for x in group if not any(y != x and y in x for y in group)}
        item = (tuple(sorted(kept)), left, right)
        if item not in out:
            out.append(item)
    return tuple(out)


def regex_factor_blind(low: str) -> bool:
    """Whether folded ``low`` holds ``ı`` or ``ſ``, which match ``i``/``s`` in a regex.

    Regexes are matched case-insensitively, so ``s`` in a pattern also matches ``ſ``
    (which stays itself when lowercased); literal gates (:func:`regex_factors`) cannot
    see that, and the matcher does not use them on such a text.
    """
    return not low.isascii() and ("\u017f" in low or "\u0131" in low)


def regex_may_match_nul(source: str) -> bool:
    """Whether any part of a raw regex (lookarounds included) could match ``"\\x00"``.

    The matcher joins segments with a NUL (:data:`cmqual.matcher.SEPARATOR`). A regex
    that can never match it has no match across a NUL, and ``re.finditer`` over the
    whole text finds the same matches as over each stretch between two NULs; such a
    regex can be searched only where it may match. ``.``, ``\\W``, ``\\S``, ``\\D`` and
    negated classes can match a NUL.

    Examples
    --------
    >>> regex_may_match_nul(r"\\bno\\s+time\\b"), regex_may_match_nul(r"no\\W+time")
    (False, True)
    """
    try:
        tree = _sre_parser().parse(source, re.IGNORECASE)
    except Exception:
        return True
    return _may_match_nul(list(tree), _sre_constants())


class _NoFactors(Exception):
    """Raised inside :func:`_factors` for constructs whose text is not predictable."""


#: A required literal set of a raw regex: (strings, ``\\b`` before, ``\\b`` after).
Factor = tuple[frozenset[str] | tuple[str, ...], bool, bool]


def _exact_char(ch: int) -> str | None:
    """The one folded character a pattern character matches case-insensitively, if any."""
    c = chr(ch)
    if c.isascii():
        return c.lower()
    import _sre

    return None if _sre.unicode_iscased(ch) else c


def _exact(items: list, limit: int, k) -> set[str] | None:
    """The finite set of strings ``items`` matches in folded text, or None."""
    current = {""}
    for item in items:
        part = _exact_item(item, limit, k)
        if part is None:
            return None
        current = {a + b for a in current for b in part}
        if len(current) > limit:
            return None
    return current


def _exact_item(item: tuple, limit: int, k) -> set[str] | None:
    op, av = item
    if op is k.LITERAL:
        c = _exact_char(av)
        return None if c is None else {c}
    if op is k.IN:
        chars = set()
        for o, v in av:
            c = _exact_char(v) if o is k.LITERAL else None
            if c is None:
                return None
            chars.add(c)
        return chars if len(chars) <= 8 else None
    if op is k.SUBPATTERN:
        if av[1] or av[2]:
            raise _NoFactors  # inline flags: case-sensitive parts are not foldable
        return _exact(list(av[-1]), limit, k)
    if op is k.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            part = _exact(list(branch), limit, k)
            if part is None:
                return None
            union |= part
        return union if len(union) <= limit else None
    if op in (k.MAX_REPEAT, k.MIN_REPEAT) and av[1] <= 3:
        body = _exact(list(av[2]), limit, k)
        if body is None:
            return None
        out = {""} if av[0] == 0 else set()
        power = {""}
        for n in range(1, av[1] + 1):
            power = {a + b for a in power for b in body}
            if n >= av[0]:
                out |= power
            if len(out) > limit:
                return None
        return out
    if op is k.AT or op in (k.ASSERT, k.ASSERT_NOT):
        return {""}  # zero-width: the text around it is contiguous
    return None


def _factors(items: list, limit: int, k) -> list[Factor]:
    """Required string sets of a sequence: runs of exact items, and required groups.

    A run remembers whether a ``\\b`` stands right before it and right after it.
    """
    found: list[Factor] = []
    run: set[str] = {""}
    left = right = pending = False

    def flush() -> None:
        if "" not in run:
            found.append((frozenset(run), left, right))

    for item in items:
        op, av = item
        if op is k.AT:
            if av is k.AT_BOUNDARY:
                if run == {""}:
                    pending = True
                else:
                    right = True
            continue
        if op in (k.ASSERT, k.ASSERT_NOT):
            continue  # zero-width: the text around it is contiguous
        part = _exact_item(item, limit, k)
        if part is not None and part != {""}:
            grown = {a + b for a in run for b in part}
            if len(grown) <= limit:
                if run == {""}:
                    left = pending
                run, right, pending = grown, False, False
                continue
            part = None
        if part is not None:
            continue
        flush()
        run, left, right, pending = {""}, False, False, False
        if op is k.SUBPATTERN:
            found += _factors(list(av[-1]), limit, k)
        elif op is k.BRANCH:
            union: set[str] = set()
            bounds = [True, True]
            for branch in av[1]:
                sets = _factors(list(branch), limit, k)
                if not sets:
                    break
                best = min(sets, key=_factor_rank)
                union |= best[0]
                bounds = [bounds[0] and best[1], bounds[1] and best[2]]
            else:
                if len(union) <= limit:
                    found.append((frozenset(union), bounds[0], bounds[1]))
        elif op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)) and (
            av[0] >= 1
        ):
            found += _factors(list(av[2]), limit, k)
        elif op is getattr(k, "ATOMIC_GROUP", None):
            found += _factors(list(av), limit, k)
    flush()
    return found


def _factor_rank(factor: Factor) -> tuple:
    """Prefer, inside a branch, a set of few long strings."""
    shortest = min(map(len, factor[0]))
    return (shortest < 3, len(factor[0]), -shortest)


def _may_match_nul(items: list, k) -> bool:
    for op, av in items:
        if op is k.LITERAL:
            if av == 0:
                return True
        elif op is k.IN:
            for o, v in av:
                if o is k.LITERAL and v == 0:
                    return True
                if o is k.RANGE and v[0] == 0:
                    return True
                if o is k.CATEGORY and "NOT" in str(v):
                    return True
                if o not in (k.LITERAL, k.RANGE, k.CATEGORY):
                    return True  # NEGATE and anything unexpected
        elif op is k.AT:
            continue
        elif op is k.SUBPATTERN:
            if _may_match_nul(list(av[-1]), k):
                return True
        elif op is k.BRANCH:
            if any(_may_match_nul(list(b), k) for b in av[1]):
                return True
        elif op in (k.ASSERT, k.ASSERT_NOT):
            if _may_match_nul(list(av[1]), k):
                return True
        elif op in (k.MAX_REPEAT, k.MIN_REPEAT, getattr(k, "POSSESSIVE_REPEAT", None)):
            if _may_match_nul(list(av[2]), k):
                return True
        elif op is getattr(k, "ATOMIC_GROUP", None):
            if _may_match_nul(list(av), k):
                return True
        elif op is k.GROUPREF:
            continue  # repeats text already matched by the group
        elif op is k.GROUPREF_EXISTS:
            if any(b is not None and _may_match_nul(list(b), k) for b in av[1:]):
                return True
        else:
            return True  # ANY, NOT_LITERAL, anything unexpected
    return False


# --- English word forms ------------------------------------------------------------------

_VOWELS = "aeiou"


def word_forms(word: str) -> tuple[str, ...]:
    """Return English inflections of ``word`` (the ``+`` suffix), the word itself first.

    The rules generate plural/third-person (``-s``, ``-es``, ``-ies``, ``-ves``), past
    (``-ed``, ``-d``, ``-ied``), ``-ing`` and possessives (``'s``, ``s'``). Final
    consonants after a single vowel are generated both doubled and not (``plan`` →
    ``planned``; ``travel`` → ``traveled``, ``travelled``), because British spelling doubles
    where American does not; the unused spelling never matches anything, so generating it
    costs nothing. Irregular forms (``child``/``children``, ``teach``/``taught``) are not
    generated: list them as alternatives (``child+|children``).

    Examples
    --------
    >>> word_forms("study")
    ('study', 'studies', 'studied', 'studying', "study's", "studies'")
    >>> "planned" in word_forms("plan")
    True
    """
    w = word.lower()
    forms = [w]
    cons_y = len(w) > 1 and w.endswith("y") and w[-2] not in _VOWELS
    # plural / third person
    if cons_y:
        plurals = [w[:-1] + "ies"]
    elif w.endswith(("s", "x", "z", "ch", "sh")):
        plurals = [w + "es"]
    elif w.endswith("o") and len(w) > 1 and w[-2] not in _VOWELS:
        plurals = [w + "s", w + "es"]
    elif w.endswith("fe"):
        plurals = [w + "s", w[:-2] + "ves"]
    elif w.endswith("f"):
        plurals = [w + "s", w[:-1] + "ves"]
    else:
        plurals = [w + "s"]
    forms += plurals
    # past and -ing
    if cons_y:
        forms += [w[:-1] + "ied", w + "ing"]
    elif w.endswith("ie"):
        forms += [w + "d", w[:-2] + "ying"]
    elif w.endswith(("ee", "ye", "oe")):
        forms += [w + "d", w + "ing"]
    elif w.endswith("e"):
        forms += [w + "d", w[:-1] + "ing"]
    else:
        forms += [w + "ed", w + "ing"]
        if _ends_cvc(w):
            forms += [w + w[-1] + "ed", w + w[-1] + "ing"]
        if w.endswith("c"):
            forms += [w + "ked", w + "king"]
    # possessives
    forms.append(w + "'s")
    forms += [p + "'" for p in plurals if p.endswith("s")]
    return tuple(dict.fromkeys(forms))


def _ends_cvc(w: str) -> bool:
    return (
        len(w) >= 3
        and w[-1].isalpha()
        and w[-1] not in _VOWELS + "wxy"
        and w[-2] in _VOWELS
        and w[-3] not in _VOWELS
    )


# --- static analysis ---------------------------------------------------------------------


def could_be_inside(pattern: Pattern, exclusion: Pattern) -> bool | None:
    """Whether a hit of ``pattern`` could ever lie inside a match of ``exclusion``.

    Returns ``None`` when this cannot be decided statically (raw regexes, proximity).
    Used to warn about exclusion patterns that can never suppress anything.

    Examples
    --------
    >>> could_be_inside(parse_pattern("assess*"), parse_pattern("risk assessment"))
    True
    >>> could_be_inside(parse_pattern("assess*"), parse_pattern("risk management"))
    False
    """
    p, x = pattern.node, exclusion.node
    if not isinstance(p, Term) or not isinstance(x, Term):
        return None
    m, n = len(p.slots), len(x.slots)
    return any(
        all(_slots_compatible(p.slots[i], x.slots[o + i]) for i in range(m))
        for o in range(n - m + 1)
    )


def _slots_compatible(a: tuple[Alternative, ...], b: tuple[Alternative, ...]) -> bool:
    return any(_alts_compatible(x, y) for x in a for y in b)


@functools.lru_cache(maxsize=4096)
def _nfc_literals(alt: Alternative) -> frozenset[str]:
    return frozenset(unicodedata.normalize("NFC", s) for s in alt.literals())


def _alts_compatible(a: Alternative, b: Alternative) -> bool:
    la, lb = _nfc_literals(a), _nfc_literals(b)
    if a.kind == "stem" and b.kind == "stem":
        return any(x.startswith(y) or y.startswith(x) for x in la for y in lb)
    if a.kind == "stem":
        return any(y.startswith(x) for x in la for y in lb)
    if b.kind == "stem":
        return any(x.startswith(y) for x in la for y in lb)
    return bool(la & lb)
