"""Names to replace: ``names.csv``, their variants and the registry of pseudonyms.

:class:`Name` is one row of ``names.csv``; :func:`read_names` and :func:`names_from_table`
validate a whole list at once. The private ``_Registry`` holds every real value found
(listed, from metadata columns, or by the rules), its variants compiled into one regex
and the pseudonym each gets, numbered in order of first use.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cmqual.errors import ConfigError, FormatError, InputFileError
from cmqual.io.folder import read_string_table

__all__ = [
    "COMMON_CAPITALISED",
    "COMMON_NAME_WORDS",
    "MATCH_MODES",
    "Name",
    "NamesLike",
    "is_common_word",
    "names_from_table",
    "read_names",
]

MATCH_MODES: tuple[str, ...] = ("auto", "anycase", "capitalised")

_TYPE_ALIASES = {"organization": "organisation", "org": "organisation", "location": "place",
                 "people": "person", "name": "person"}
_STEMS = {"person": "Person", "organisation": "Organisation", "place": "Place",
          "email": "Email", "phone": "Phone", "url": "URL", "postcode": "Postcode"}
_TITLES = ("Professor", "Prof", "Mrs", "Mr", "Ms", "Miss", "Mx", "Dr", "Lord", "Lady",
           "Sir", "Dame")
_TITLES_NORM = frozenset(t.casefold() for t in _TITLES)
_TITLE_RX = r"(?:" + "|".join(_TITLES) + r")\.?"
# White space inside a name: spaces, at most one line break ("Jane\nSmith").
_WS = r"(?:[^\S\n]+\n?[^\S\n]*|\n[^\S\n]*)"
_APOS = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})
_ORG_GENERIC = frozenset({
    "college", "university", "school", "academy", "primary", "secondary", "high", "infant",
    "infants", "junior", "juniors", "grammar", "community", "church", "sixth", "form",
    "trust", "hospital", "centre", "center", "institute", "foundation", "ltd", "limited",
    "plc", "council", "nursery", "free", "upper", "lower", "middle", "catholic", "ce",
})
#: Words written with a capital that identify nobody (lower case).
COMMON_CAPITALISED: frozenset[str] = frozenset({
    "i", "i'm", "i've", "i'd", "i'll", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "english", "british",
    "scottish", "welsh", "irish", "european", "england", "scotland", "wales", "britain",
    "christmas", "easter", "ok", "okay", "mum", "dad", "god", "covid", "internet", "zoom",
    "teams", "google", "microsoft", "excel", "powerpoint", "word", "mr", "mrs", "ms", "dr",
    "prof", "miss", "sir", "madam", "ofsted", "uk", "wi-fi", "wifi",
})
#: Common English words that are also first names or surnames (lower case).
COMMON_NAME_WORDS: frozenset[str] = frozenset({
    "hope", "faith", "grace", "joy", "will", "mark", "rose", "may", "june", "april", "august",
    "bill", "pat", "sue", "dawn", "ray", "art", "bob", "frank", "grant", "miles", "rich",
    "sandy", "penny", "ruby", "amber", "holly", "ivy", "lily", "daisy", "heather", "iris",
    "violet", "robin", "jay", "drew", "lance", "dean", "chase", "hunter", "mason", "cole",
    "grey", "gray", "green", "brown", "white", "black", "young", "price", "cook", "baker",
    "miller", "fisher", "hall", "wood", "king", "hill", "lane", "marsh", "field", "moss",
    "rice", "bush", "fox", "lamb", "bird", "swan", "wolf", "best", "bright", "long", "short",
    "small", "little", "sharp", "strong", "summer", "winter", "autumn", "spring", "sky",
    "river", "star", "page", "chance", "storm", "sunny", "guy", "nick", "rob", "don", "jack",
    "carol", "jean", "gene", "sterling", "major", "prince", "duke", "earl", "mercy",
    "patience", "honor", "honour", "noble", "gay", "rusty", "buck", "rock", "stone", "brook",
    "dale", "glen", "wells", "banks", "church", "cross", "street", "house", "ford",
})


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    # scikit-learn's English list (Glasgow IR group); imported lazily: it is slow to load.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def is_common_word(word: str) -> bool:
    """True when ``word`` is a common English word that should not be taken for a name.

    The list is data-free: scikit-learn's ``ENGLISH_STOP_WORDS``, :data:`COMMON_CAPITALISED`
    (days, months, ``I`` ...) and :data:`COMMON_NAME_WORDS` (``hope``, ``bill``, ``rose``
    ...).

    Examples
    --------
    >>> is_common_word("Hope"), is_common_word("Gareth")
    (True, False)
    """
    w = word.translate(_APOS).casefold()
    return w in COMMON_NAME_WORDS or w in COMMON_CAPITALISED or w in _stop_words()


def _norm(text: str) -> str:
    return " ".join(text.translate(_APOS).replace(".", " ").split()).casefold()


def _strip_title(norm: str) -> str:
    words = norm.split(" ")
    return " ".join(words[1:]) if len(words) > 1 and words[0] in _TITLES_NORM else ""


@dataclass(frozen=True)
class Name:
    """One real name to replace, as a row of ``names.csv`` gives it.

    Parameters
    ----------
    name : str
        The name as written (``Jane Smith``, ``Northfield College``).
    type : str
        ``person`` (default), ``organisation`` or ``place``; any other word (``school``)
        is treated like an organisation and gives pseudonyms such as ``[School 1]``.
    pseudonym : str
        Replacement to use as written; empty for the numbered default.
    variants : tuple of str or str
        Extra spellings (a string is split on ``;``).
    match : {"auto", "anycase", "capitalised"}
        ``auto`` replaces one-word variants that are common words only when capitalised.

    Examples
    --------
    >>> Name("Jane Smith", variants="Janey; J. Smith").variants
    ('Janey', 'J. Smith')
    """

    name: str
    type: str = "person"
    pseudonym: str = ""
    variants: tuple[str, ...] | str = ()
    match: str = "auto"

    def __post_init__(self) -> None:
        kind = str(self.type or "").strip().lower() or "person"
        variants = self.variants.split(";") if isinstance(self.variants, str) else self.variants
        object.__setattr__(self, "name", " ".join(str(self.name).split()))
        object.__setattr__(self, "type", _TYPE_ALIASES.get(kind, kind))
        object.__setattr__(self, "pseudonym", " ".join(str(self.pseudonym or "").split()))
        object.__setattr__(self, "variants",
                           tuple(" ".join(str(v).split()) for v in variants if str(v).strip()))
        object.__setattr__(self, "match", str(self.match or "auto").strip().lower())
        problems = []
        if len(self.name) < 2:
            problems.append(f"name {self.name!r} is empty or shorter than two characters")
        if not re.fullmatch(r"[a-z][a-z ]{0,30}", self.type):
            problems.append(f"type {self.type!r} must be person, organisation, place or "
                            "another word such as school")
        if self.match not in MATCH_MODES:
            problems.append(f"match {self.match!r} must be one of {', '.join(MATCH_MODES)}")
        problems += [f"variant {v!r} is shorter than two characters"
                     for v in self.variants if len(v) < 2]
        if problems:
            raise ConfigError("; ".join(problems))


def names_from_table(table: pd.DataFrame, source: str = "names") -> tuple[Name, ...]:
    """Validate a names table (columns ``name``, ``type``, ``pseudonym``, ``variants``, ``match``).

    Every problem is collected into one :class:`~cmqual.errors.FormatError`, one line per
    row, naming the line of the file (header is line 1).

    Examples
    --------
    >>> names_from_table(pd.DataFrame({"name": ["Jane Smith"], "type": ["person"]}))
    (Name(name='Jane Smith', type='person', pseudonym='', variants=(), match='auto'),)
    """
    cols = {str(c).strip().lower(): c for c in table.columns}
    if "name" not in cols:
        raise FormatError(f"{source}: needs a 'name' column; columns found: "
                          f"{', '.join(map(str, table.columns)) or '(none)'}")
    allowed = {"name", "type", "pseudonym", "variants", "match", "note", "notes", "comment",
               "comments"}
    problems = [f"{source}: unknown column {c!r}; use name, type, pseudonym, variants, match "
                "(or notes)" for c in cols if c not in allowed]
    out: list[Name] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(table.itertuples(index=False)):
        cell = dict(zip(cols, row, strict=True))
        values = {k: "" if pd.isna(cell.get(k, "")) else str(cell.get(k, ""))
                  for k in ("name", "type", "pseudonym", "variants", "match")}
        try:
            name = Name(values["name"], values["type"], values["pseudonym"], values["variants"],
                        values["match"] or "auto")
        except ConfigError as exc:
            problems.append(f"{source} line {i + 2}: {exc.summary}")
            continue
        key = (name.type, _norm(name.name))
        if key in seen:
            problems.append(f"{source} line {i + 2}: {name.name!r} is already listed on line "
                            f"{seen[key]}; keep one row (add spellings as variants)")
            continue
        seen[key] = i + 2
        out.append(name)
    if problems:
        raise FormatError(f"{source} has {len(problems)} problem(s)", problems)
    return tuple(out)


def read_names(path: str | Path) -> tuple[Name, ...]:
    """Read and validate a ``names.csv`` file (see :func:`names_from_table`).

    Examples
    --------
    >>> read_names("names.csv")                                   # doctest: +SKIP
    (Name(name='Jane Smith', type='person', pseudonym='', variants=(), match='auto'), ...)
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"names file {str(p)!r} does not exist; give a CSV with a "
                             "'name' column (and optionally type, pseudonym, variants)")
    return names_from_table(read_string_table(p), source=p.name)


#: What ``names`` may be: a names.csv path, a names table, or names (strings or :class:`Name`).
NamesLike = str | Path | pd.DataFrame | Iterable[Name | str] | None


def _coerce_names(names: NamesLike) -> tuple[Name, ...]:
    if names is None:
        return ()
    if isinstance(names, (str, Path)):
        return read_names(names)
    if isinstance(names, pd.DataFrame):
        return names_from_table(names)
    return tuple(item if isinstance(item, Name) else Name(str(item)) for item in names)


# -- the registry of real values and their pseudonyms ------------------------------------

@dataclass(eq=False)
class _Entity:
    type: str
    real: str
    source: str
    explicit: str = ""
    label: str = ""
    text: str = ""
    order: int = -1
    count: int = 0
    docs: set = field(default_factory=set)
    forms: set = field(default_factory=set)


def _token_rx(word: str) -> str:
    return "".join("['’ʼ‘]" if ch in "'’ʼ‘" else re.escape(ch) for ch in word)


def _literal_rx(words: Sequence[str], cap_only: bool = False) -> str:
    toks = [_token_rx(w) for w in words]
    if cap_only and words[0][:1].isalpha():
        first = words[0]
        toks[0] = f"(?-i:{re.escape(first[0].upper())})" + _token_rx(first[1:])
    return _WS.join(toks)


def _person_words(name: str) -> list[str]:
    words = name.split()
    while len(words) > 1 and _norm(words[0]) in _TITLES_NORM:
        words = words[1:]
    return words


def _org_core(name: str) -> str:
    words = name.split()
    if len(words) > 2 and _norm(words[1]) == "of" and _norm(words[0]) in _ORG_GENERIC:
        words = words[2:]
    if words and _norm(words[0]) == "the":
        words = words[1:]
    while len(words) > 1 and _norm(words[-1]) in _ORG_GENERIC:
        words = words[:-1]
    return " ".join(words)


class _Registry:
    """Real values, their variants (one compiled regex) and pseudonyms, in first-use order."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.entities: dict[tuple[str, str], _Entity] = {}
        self.plain: dict[str, tuple[_Entity, bool]] = {}
        self.titled: dict[str, tuple[_Entity, bool]] = {}
        self.alts: dict[str, int] = {}
        self.counters: Counter = Counter()
        self.problems: list[str] = []
        self.ambiguous: set[str] = set()
        self.regex: re.Pattern | None = None
        self._next = 0

    def entity(self, kind: str, key: str, real: str, source: str) -> _Entity:
        ent = self.entities.get((kind, key))
        if ent is None:
            ent = self.entities[(kind, key)] = _Entity(kind, real, source)
        return ent

    def find(self, kind: str, value: str) -> _Entity | None:
        """The entity a table value names, by its key or as a listed spelling."""
        v = " ".join(value.split())
        key = {"phone": _phone_key(v), "postcode": v.replace(" ", ""), "email": v.casefold(),
               "url": v.casefold()}.get(kind, _norm(v))
        hit = self.entities.get((kind, key))
        if hit is None and kind in ("person", "organisation", "place"):
            hit = (self.plain.get(_norm(v)) or (None,))[0]
        return hit

    def add_name(self, name: Name, source: str, ent: _Entity | None = None) -> _Entity:
        """Register ``name`` and its variants (for ``ent`` when given, else its own entity)."""
        if ent is None:
            ent = self.entity(name.type, _norm(name.name), name.name, source)
        if name.pseudonym and not ent.explicit:
            ent.explicit = name.pseudonym
        self._variant(name.name.split(), ent, True, name.match)
        for v in name.variants:
            self._variant(v.split(), ent, True, name.match)
        if name.type == "person":
            words = _person_words(name.name)
            self._variant(words, ent, False, name.match)
            if len(words) > 1:
                self._variant(words[:1], ent, False, name.match)
                self._titled(words[-1:], ent)
            self._titled(words, ent)
        elif name.type != "place":
            core = _org_core(name.name)
            if core and _norm(core) != _norm(name.name):
                self._variant(core.split(), ent, False, name.match)
        return ent

    def _variant(self, words: list[str], ent: _Entity, explicit: bool, match: str) -> None:
        key = _norm(" ".join(words))
        if not key:
            return
        cap = match == "capitalised" or (match == "auto" and len(words) == 1
                                         and is_common_word(words[0]))
        rx = _literal_rx(words, cap)
        current = self.plain.get(key)
        if current is None or current[0] is ent:
            self.plain[key] = (ent, explicit or (current is not None and current[1]))
        elif explicit and current[1]:
            self.problems.append(f"{' '.join(words)!r} is listed for both {current[0].real!r} "
                                 f"and {ent.real!r}; give it to one of them")
        elif explicit:
            self.plain[key] = (ent, True)
        elif not current[1]:  # two generated variants collide: a pseudonym of its own
            amb = self.entity("person", "~" + key, " ".join(words), "ambiguous")
            self.plain[key] = (amb, False)
            self.ambiguous.add(" ".join(words))
        self.alts[rx] = max(self.alts.get(rx, 0), len(key))

    def _titled(self, words: list[str], ent: _Entity) -> None:
        key = _norm(" ".join(words))
        current = self.titled.get(key)
        if current is not None and current[0] is not ent:
            self.titled[key] = (self.entity("person", "~" + key, " ".join(words), "ambiguous"),
                                False)
        else:
            self.titled[key] = (ent, False)
        self.alts[f"{_TITLE_RX}{_WS}{_literal_rx(words)}"] = len(key) + 3

    def compile(self) -> None:
        if self.problems:
            raise ConfigError(f"the name list has {len(self.problems)} problem(s)",
                              self.problems)
        if self.alts:
            alts = sorted(self.alts, key=lambda rx: (-self.alts[rx], rx))
            self.regex = re.compile(rf"(?<!\w)(?<!\w[-‐‑])(?:{'|'.join(alts)})(?![-‐‑]?\w)",
                                    re.IGNORECASE)

    def lookup(self, matched: str) -> _Entity | None:
        key = _norm(matched)
        hit = self.plain.get(key) or self.titled.get(_strip_title(key))
        return hit[0] if hit else None

    def text_for(self, ent: _Entity) -> str:
        """The replacement in the text (numbers are given here, in order of first use)."""
        if ent.order < 0:
            ent.order = self._next
            self._next += 1
        if not ent.text:
            if self.mode == "redact":
                ent.text = f"[redacted: {ent.type}]"
            elif ent.explicit:
                ent.text = ent.explicit
            elif ent.label:
                ent.text = f"[{ent.label}]"
            else:
                self.counters[ent.type] += 1
                ent.text = f"[{_STEMS.get(ent.type, ent.type.title())} {self.counters[ent.type]}]"
        return ent.text


def _phone_key(raw: str) -> str:
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    if raw.startswith("+44"):
        digits = "0" + digits[2:]
    elif raw.startswith("0044"):
        digits = "0" + digits[4:]
    return digits


def _check_choice(value: str, choices: Sequence[str], what: str) -> None:
    if value not in choices:
        raise ConfigError(f"{what} must be one of {', '.join(choices)}, not {value!r}")
