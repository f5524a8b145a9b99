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
    "regex_prefixes",
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
