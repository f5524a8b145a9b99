"""Pseudonymise a corpus before its transcripts are shared, deposited or quoted.

Ethics boards and data protection law (UK GDPR; the UK Data Service and ICO guidance on
anonymisation) ask for transcripts to be de-identified before they leave the research
team. :func:`pseudonymise_corpus` writes a new corpus folder whose transcripts have
speaker labels, listed names and direct identifiers replaced, a separate *key* linking
every pseudonym to the real value, and a *review list* of what the rules did not replace
but a person should check. :func:`pseudonymise` does the same without touching files.

What is replaced (first rule wins where matches overlap)
--------------------------------------------------------
1. **Speaker labels.** Labels that already are roles (``Interviewer``, ``Q``, ``A``,
   ``Participant 3``, ``Speaker 2``, ``P01`` ...) stay. Named speakers get ``Interviewer``
   (``Interviewer 1``, ``Interviewer 2`` ... when the corpus has several named
   interviewers) or ``P01``, ``P02`` ... numbered by first appearance in the sorted
   documents, skipping numbers the corpus already uses. A ``pseudonym`` given for the
   speaker in ``names.csv`` (or a ``pseudonym`` column in ``speakers.csv``) wins. A
   speaker is also a listed person: mentions in the text become ``[P01]``.
2. **Email addresses** (the whole address, also when it contains a listed name), **URLs**
   and bare web domains (``school.org.uk``).
3. **Phone numbers** in UK and international formats (``07700 900123``,
   ``+44 (0)7700 900123``, ``(020) 7946 0018``, ``+1 (555) 123-4567``) and **UK
   postcodes** (``SW1A 1AA``, ``M1 1AE``).
4. **Listed names**: every row of ``names.csv`` (see :func:`read_names`), the named
   speakers, and the values of identifying ``metadata.csv`` / ``speakers.csv`` columns.
   Variants are generated: a person's first name alone, the surname after a title
   (``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Mx``, ``Dr``, ``Prof``, ``Professor``, ``Lord``,
   ``Lady``, ``Sir``, ``Dame``, with or without a dot), the full name after a title; an
   organisation's name without generic words (``Northfield College`` → ``Northfield``).
   Matching is whole-word and case-insensitive, a name may be split by one line break,
   a possessive ``'s`` / ``’s`` stays after the pseudonym, and a hyphenated name is never
   matched in part (``Smith`` does not match inside ``Smith-Jones``). A one-word variant
   that is also a common English word (``Hope``, ``Bill``, ``May``, ``Will``; see
   :func:`is_common_word`) is replaced only when capitalised, so "I hope" stays; set
   ``match`` to ``anycase`` or ``capitalised`` in ``names.csv`` to decide yourself.
5. **Titled names** not listed: a title followed by one to three capitalised words
   (``Dr. Patel``, ``Mrs O’Neill``, ``Prof Smith-Jones``) is a person.

Pseudonyms
----------
The same real value gets the same pseudonym in every document: ``[Person 1]``,
``[Organisation 1]``, ``[Place 1]``, ``[Email 1]``, ``[Phone 1]``, ``[URL 1]``,
``[Postcode 1]`` (other ``type`` values in ``names.csv`` give ``[School 1]`` ...),
numbered per type by first appearance in the documents sorted by id. A pseudonym given
in ``names.csv`` is used as written. With ``mode="redact"`` every replacement in the
text is a marker such as ``[redacted: person]`` (speaker labels still get pseudonyms,
so turns stay apart). If a replacement would start a line and read as a ``[Name]``
speaker label, the line is indented by four spaces (the label rule allows three).

The new corpus
--------------
Each document becomes a UTF-8 ``.txt`` file with ``\\n`` line ends, named ``doc01.txt``,
``doc02.txt`` ... (``file_names="numbered"``, the default: file names often carry names)
or by its old path (``"keep"``). Where the original canonical text reads back as a
``.txt`` transcript with the same turns, the file is that text with the replacements
("in place"); otherwise (subtitles, Otter exports in Word, spreadsheets) it is rebuilt as
``Label: paragraph`` lines, one line per paragraph, a paragraph's inner line breaks
made spaces. Either way :func:`cmqual.read_corpus` on the folder gives the same turns and
paragraphs per document (checked while writing; a document that does not is reported in
``problems`` and warned about). Timestamps of subtitle and table formats are not kept.

``metadata.csv`` and ``speakers.csv`` are copied with the file column pointing at the new
files, rows sorted by file, and: columns that name people, organisations, places or
contact details (``name``, ``participant``, ``institution``, ``school``, ``college``,
``employer``, ``town``, ``address``, ``email``, ``phone``, ``postcode`` ... or any
``*_name``) pseudonymised with the same pseudonyms as the text (their values are listed
names, so they are replaced in the transcripts too); ``speaker`` mapped to the new
labels; every other cell passed through the rules above; ``drop_columns`` removed.
Quasi-identifiers such as dates and regions are kept: drop them if they identify.
A ``README.md`` (no real values) and a hidden ``.cmqual-pseudonymise.json`` listing the
files written are added. The key is never written inside the new corpus (nor the
original one): asking for that is an error.

Key and review list
-------------------
The key (default ``<out>-key.csv`` beside the output folder) has one row per replaced
value: ``type``, ``real``, ``pseudonym``, ``label`` (speakers), ``source``, ``count``,
``n_documents``, ``forms`` (the spellings found), plus a ``document`` row per file. The
review list (default ``<out>-review.csv`` in the key's folder) has words the rules left
alone but a person should check: capitalised words and runs (``Thornley Green``) found
mid-sentence that are not common English words and are not more often written in lower
case in the corpus, acronyms, and identifier-like strings (``S1234567``, long digit
runs), each with its document, original offsets and context. Both files hold real names:
keep them with the key, never share them. Add what the review finds to ``names.csv`` and
run again.

Offsets
-------
:class:`OffsetMap` carries spans between a document's original canonical text and the
canonical text of its pseudonymised file (0-based, end-exclusive code points, like every
offset in cmqual). Unchanged text maps one to one; a span that starts or ends inside a
replaced name (or a rewritten label or line break) grows to cover the whole replacement.
:func:`carry_codings` carries a whole codings table either way.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from cmqual._version import __version__
from cmqual.corpus import Corpus, IngestOptions, read_corpus, segment_id
from cmqual.errors import CmqualWarning, ConfigError, FormatError, InputFileError
from cmqual.io import get_reader
from cmqual.io.base import detect_labels, is_name, split_lines
from cmqual.io.folder import METADATA_FILE, SPEAKERS_FILE, read_string_table
from cmqual.io.tables import TABLE_EXTENSIONS, check_output_path, write_table, write_text
from cmqual.tables import require_columns
from cmqual.text import word_spans

__all__ = [
    "COMMON_CAPITALISED",
    "COMMON_NAME_WORDS",
    "FILE_NAMES",
    "MODES",
    "Name",
    "NamesLike",
    "OffsetMap",
    "PseudonymisationResult",
    "carry_codings",
    "is_common_word",
    "names_from_table",
    "pseudonymise",
    "pseudonymise_corpus",
    "pseudonymise_texts",
    "read_names",
]

MODES: tuple[str, ...] = ("pseudonym", "redact")
FILE_NAMES: tuple[str, ...] = ("numbered", "keep")
MATCH_MODES: tuple[str, ...] = ("auto", "anycase", "capitalised")
MARKER_FILE = ".cmqual-pseudonymise.json"

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
_GENERIC_LABEL_RE = re.compile(
    r"^(?:interviewer|interviewee|int|participant|respondent|speaker|moderator|facilitator|"
    r"researcher|student|pupil|mentor|mentee|coach|coachee|trainee|teacher|tutor|parent|"
    r"lecturer|manager|member|observer|panellist|panelist|host|guest|child|young person|"
    r"q|a|i|p|r|chair|the chair|chairman|chairwoman|chairperson|counsel|witness|question|"
    r"answer|questioner|unknown speaker|unidentified speaker|unknown|male|female|all|group|"
    r"several|multiple|voice|audience)(?:\s*#?\d+|\s+[A-Z])?$|^[A-Z]{1,3}\s*#?\d+$",
    re.IGNORECASE,
)
_P_NUMBER_RE = re.compile(r"^p\s*#?0*(\d+)$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(r"(?<![\w@/.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"“”‘’']+",
                     re.IGNORECASE)
_DOMAIN_RE = re.compile(
    r"(?<![\w@/.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:ac\.uk|co\.uk|org\.uk|gov\.uk|"
    r"nhs\.uk|sch\.uk|com|org|net|edu|gov|uk|io|info|ie|eu)(?:/[^\s<>\"“”‘’']*)?(?![\w-])",
    re.IGNORECASE,
)
_PHONE_GROUP = r"(?:\(\d{1,5}\)|\d{1,5})"
_PHONE_RE = re.compile(
    rf"(?<![\w+(.,/:-])\+?{_PHONE_GROUP}(?:[ .\u00a0-]?{_PHONE_GROUP}){{1,6}}"
    r"(?![\w)]|[.,:/-]\d)"
)
_US_PHONE_RE = re.compile(r"\(?\d{3}\)?[ .\u00a0-]?\d{3}[ .\u00a0-]\d{4}")
_POSTCODE_RE = re.compile(r"(?<![\w-])(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?[0-9][A-Z]{2}(?![\w-])")
_TITLED_RE = re.compile(rf"(?<![\w-]){_TITLE_RX}{_WS}(?=[^\W\d_])")
_NAME_WORD_RE = re.compile(r"[^\W\d_][\w'’]*(?:[-‐][^\W\d_][\w'’]*)*")
_IDENTIFIER_RE = re.compile(
    r"(?<![\w-])(?:(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{5,}|\d{6,})(?![\w-])"
)
_NOT_IDENTIFIER_RE = re.compile(
    r"^\d+(?:st|nd|rd|th|am|pm|s|k|m|km|mb|gb|kg|cm|mm|mins?|hrs?|yrs?|ish)$", re.IGNORECASE
)
_BRACKETED_RE = re.compile(r"^\[([^\]\n]{1,60})\]$")
_GAP_RE = re.compile(r"[^\S\n]+")
_POSSESSIVE_RE = re.compile(r"['’]s$")

# Column names (lower case, "_" between words) whose values identify.
_ID_COLUMNS: dict[str, frozenset[str]] = {
    "person": frozenset({
        "name", "names", "full_name", "fullname", "first_name", "firstname", "forename",
        "given_name", "last_name", "lastname", "surname", "family_name", "participant",
        "participant_name", "interviewee", "interviewer", "person", "speaker_name",
        "real_name", "initials", "contact", "contact_name", "mentor_name", "student_name"}),
    "organisation": frozenset({
        "institution", "school", "college", "university", "organisation", "organization",
        "employer", "workplace", "company", "trust", "provider", "academy", "hospital",
        "setting", "site", "department", "faculty", "service"}),
    "place": frozenset({
        "town", "city", "village", "address", "home_address", "street", "location",
        "place", "birthplace", "hometown", "home_town"}),
    "email": frozenset({"email", "e_mail", "email_address", "mail"}),
    "phone": frozenset({"phone", "telephone", "tel", "mobile", "phone_number",
                        "mobile_number", "telephone_number", "contact_number"}),
    "postcode": frozenset({"postcode", "post_code", "postal_code", "zip", "zip_code",
                           "zipcode"}),
    "url": frozenset({"url", "website", "web", "homepage", "linkedin"}),
}
_DOC_KEY_COLUMNS = ("file", "filename", "file_name", "doc", "document", "doc_id", "path")
_MISSING = frozenset({"", "na", "n/a", "none", "unknown", "-", "null", "nan", "not known"})


# -- names -------------------------------------------------------------------------------

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


# -- finding what to replace -------------------------------------------------------------

def _phone_key(raw: str) -> str:
    digits = re.sub(r"\D", "", raw.replace("(0)", ""))
    if raw.startswith("+44"):
        digits = "0" + digits[2:]
    elif raw.startswith("0044"):
        digits = "0" + digits[4:]
    return digits


def _phones(text: str) -> Iterable[tuple[int, int]]:
    pos = 0
    while True:
        m = _PHONE_RE.search(text, pos)
        if not m:
            return
        raw = m.group()
        digits = sum(c.isdigit() for c in raw)
        groups = re.findall(r"\d+", raw)
        ok = (9 <= digits <= 15 and sum(len(g) == 1 for g in groups) <= 2 and (
            raw[0] in "+(0" or _US_PHONE_RE.fullmatch(raw) is not None))
        if ok:
            yield m.span()
            pos = m.end()
        else:
            pos = m.start() + 1


def _urls(text: str) -> Iterable[tuple[int, int]]:
    for rx in (_URL_RE, _DOMAIN_RE):
        for m in rx.finditer(text):
            s, e = m.span()
            while e > s and text[e - 1] in ".,;:!?)]}'\"’”":
                e -= 1
            yield s, e


def _titled_names(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _TITLED_RE.finditer(text):
        pos, end, words = m.end(), -1, []
        while len(words) < 3:
            w = _NAME_WORD_RE.match(text, pos)
            if not w:
                break
            word = re.sub(r"['’]s?$", "", w.group())
            if not word or not word[0].isupper() or is_common_word(word):
                break
            words.append(word)
            end = w.start() + len(word)
            gap = _GAP_RE.match(text, end)
            if not gap or len(word) != len(w.group()):
                break
            pos = gap.end()
        if words:
            yield m.start(), end, " ".join(words)


@dataclass(frozen=True)
class _Claim:
    start: int
    end: int
    entity: _Entity | None  # None: protected (a role label kept as it is)
    kind: str  # "label" or "match"
    form: str = ""


def _split_at(start: int, end: int, bounds: Sequence[int], text: str) -> list[tuple[int, int]]:
    """Cut ``[start, end)`` at paragraph boundaries so no replacement joins two paragraphs."""
    i = bisect.bisect_right(bounds, start)
    cuts = [start]
    while i < len(bounds) and bounds[i] < end:
        cuts.append(bounds[i])
        i += 1
    cuts.append(end)
    return [(a, b) for a, b in pairwise(cuts)
            if re.search(r"\w", text[a:b])]


def _find_claims(text: str, reg: _Registry,
                 labels: Sequence[tuple[int, int, _Entity | None]] = (),
                 paragraphs: Sequence[tuple[int, int]] = ()) -> list[_Claim]:
    """Every replacement in ``text``, first rule first, none overlapping another."""
    taken = bytearray(len(text))
    claims: list[_Claim] = []
    bounds = sorted({b for p in paragraphs for b in p})

    def add(s: int, e: int, ent: _Entity | None, kind: str) -> None:
        for a, b in _split_at(s, e, bounds, text) if kind == "match" else [(s, e)]:
            if a < b and taken.find(1, a, b) < 0:
                taken[a:b] = b"\x01" * (b - a)
                claims.append(_Claim(a, b, ent, kind, " ".join(text[a:b].split())))

    for s, e, ent in labels:
        add(s, e, ent, "label")
    for m in _EMAIL_RE.finditer(text):
        add(*m.span(), reg.entity("email", m.group().casefold(), m.group(), "rule"), "match")
    for s, e in _urls(text):
        add(s, e, reg.entity("url", text[s:e].casefold(), text[s:e], "rule"), "match")
    for s, e in _phones(text):
        add(s, e, reg.entity("phone", _phone_key(text[s:e]), text[s:e], "rule"), "match")
    for m in _POSTCODE_RE.finditer(text):
        key = m.group().replace(" ", "")
        add(*m.span(), reg.entity("postcode", key, m.group(), "rule"), "match")
    if reg.regex is not None:
        for m in reg.regex.finditer(text):
            ent = reg.lookup(m.group())
            if ent is not None:
                add(*m.span(), ent, "match")
    for s, e, real in _titled_names(text):
        add(s, e, reg.entity("person", _norm(real), real, "title"), "match")
    claims.sort(key=lambda c: c.start)
    return claims


# -- offsets -----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class OffsetMap:
    """Carries spans between a document's original text and its pseudonymised text.

    ``pieces`` tile both texts in order: ``(old_start, old_end, new_start, new_end,
    copied)``. A copied piece maps character for character; any other piece (a replaced
    name, a rewritten label) maps as a whole, so a span that starts or ends inside it
    grows to cover it. Build one with :meth:`from_edits`.

    Examples
    --------
    >>> m = OffsetMap.from_edits("a", "Hi Jane Smith, bye", [(3, 13, "[Person 1]")])
    >>> m.new_text
    'Hi [Person 1], bye'
    >>> m.to_new(0, 5), m.to_new(15, 18), m.to_old(3, 13)
    ((0, 13), (15, 18), (3, 13))
    """

    doc_id: str
    old_text: str = field(repr=False)
    new_text: str = field(repr=False)
    pieces: tuple[tuple[int, int, int, int, bool], ...] = field(repr=False)
    new_doc_id: str = ""
    path: str = ""
    new_path: str = ""
    speakers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}),
                                        repr=False)

    @classmethod
    def from_edits(cls, doc_id: str, old_text: str,
                   edits: Iterable[tuple[int, int, str]], **fields: object) -> OffsetMap:
        """Apply ``(start, end, replacement)`` edits (sorted, not overlapping) to ``old_text``.

        Zero-width edits insert text; an edit whose replacement equals the old text is a
        copy.
        """
        pieces: list[tuple[int, int, int, int, bool]] = []
        parts: list[str] = []
        pos = npos = 0
        for s, e, new in edits:
            if s < pos or e < s or e > len(old_text):
                raise ValueError(f"edit ({s}, {e}) overlaps an earlier one or is out of range")
            if s > pos:
                pieces.append((pos, s, npos, npos + s - pos, True))
                parts.append(old_text[pos:s])
                npos += s - pos
            if new == old_text[s:e]:
                if e > s:
                    pieces.append((s, e, npos, npos + e - s, True))
            else:
                pieces.append((s, e, npos, npos + len(new), False))
            parts.append(new)
            npos += len(new)
            pos = e
        if pos < len(old_text):
            pieces.append((pos, len(old_text), npos, npos + len(old_text) - pos, True))
            parts.append(old_text[pos:])
        return cls(doc_id, old_text, "".join(parts), tuple(pieces), **fields)

    @cached_property
    def _tables(self) -> dict[str, tuple[list[int], list[tuple]]]:
        fwd = [p for p in self.pieces if p[1] > p[0]]
        back = [(p[2], p[3], p[0], p[1], p[4]) for p in self.pieces if p[3] > p[2]]
        return {"new": ([p[0] for p in fwd], fwd), "old": ([p[0] for p in back], back)}

    def _map(self, start: int, end: int, target: str) -> tuple[int, int]:
        src, dst = ((self.old_text, self.new_text) if target == "new"
                    else (self.new_text, self.old_text))
        if not (0 <= start <= end <= len(src)):
            raise ConfigError(
                f"span ({start}, {end}) is outside document {self.doc_id!r} "
                f"({len(src)} characters in the {'original' if target == 'new' else 'new'} "
                "text); offsets are 0-based and end-exclusive"
            )
        starts, table = self._tables[target]

        def piece(pos: int) -> tuple:
            return table[bisect.bisect_right(starts, pos) - 1]

        if start == end:
            if start == len(src):
                return len(dst), len(dst)
            s0, _, d0, _, copied = piece(start)
            p = d0 + (start - s0) if copied else d0
            return p, p
        s0, _, d0, _, copied = piece(start)
        new_start = d0 + (start - s0) if copied else d0
        s1, _, d1, d1e, copied = piece(end - 1)
        new_end = d1 + (end - s1) if copied else d1e
        return new_start, new_end

    def to_new(self, start: int, end: int) -> tuple[int, int]:
        """Map an original span to the pseudonymised text (grows over replacements)."""
        return self._map(start, end, "new")

    def to_old(self, start: int, end: int) -> tuple[int, int]:
        """Map a pseudonymised span back to the original text (grows over replacements)."""
        return self._map(start, end, "old")

    def quote(self, start: int, end: int) -> str:
        """The pseudonymised text of the original span ``[start, end)``.

        Examples
        --------
        >>> OffsetMap.from_edits("a", "Ask Jane.", [(4, 8, "[P01]")]).quote(0, 9)
        'Ask [P01].'
        """
        s, e = self.to_new(start, end)
        return self.new_text[s:e]

    def replacements(self) -> pd.DataFrame:
        """The replaced pieces: old and new offsets and texts (holds real names)."""
        rows = [(a, b, c, d, self.old_text[a:b], self.new_text[c:d])
                for a, b, c, d, copied in self.pieces if not copied]
        return pd.DataFrame(rows, columns=["old_start", "old_end", "new_start", "new_end",
                                           "old", "new"])


# -- layouts -----------------------------------------------------------------------------

def _apply(old: str, edits: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    parts, starts, pos, n = [], [], 0, 0
    for s, e, new in edits:
        parts.append(old[pos:s])
        n += s - pos
        starts.append(n)
        parts.append(new)
        n += len(new)
        pos = e
    parts.append(old[pos:])
    return "".join(parts), starts


def _indent_hazards(old: str, edits: list[tuple[int, int, str, bool]]) -> list[tuple]:
    """Indent lines a bracketed replacement would turn into ``[Name] text`` labels.

    A ``[Name]`` label counts only when it starts two or more lines (see
    :mod:`cmqual.io.base`), so lines are indented only when the same replacement starts
    two or more of them; four spaces put the bracket beyond the three the rule allows.
    """
    plain = [(s, e, r) for s, e, r, _ in edits]
    new, starts = _apply(old, plain)
    hazards: dict[int, str] = {}
    for i, ((_, _, r, is_match), ns) in enumerate(zip(edits, starts, strict=True)):
        m = _BRACKETED_RE.match(r) if is_match else None
        if m and is_name(m.group(1)):
            prefix = new[new.rfind("\n", 0, ns) + 1:ns]
            if (len(prefix) <= 3 and not prefix.strip(" \t")
                    and re.match(r"[ \t]+\S", new[ns + len(r):ns + len(r) + 200])):
                hazards[i] = " " * (4 - len(prefix))
    counts = Counter(edits[i][2] for i in hazards)
    out: list[tuple[int, int, str]] = []
    for i, (s, e, r, _) in enumerate(edits):
        if i in hazards and counts[r] > 1:
            out.append((s, s, hazards[i]))
        out.append((s, e, r))
    return out


def _inplace_edits(text: str, claims: Sequence[_Claim], reg: _Registry) -> list[tuple]:
    edits = []
    for c in claims:
        if c.entity is None:
            continue
        if c.kind == "label":
            edits.append((c.start, c.end, c.entity.label, False))
        else:
            edits.append((c.start, c.end, reg.text_for(c.entity), True))
    return _indent_hazards(text, edits)


def _rebuilt_edits(text: str, turns: Sequence[_Turn], claims: Sequence[_Claim],
                   reg: _Registry, labels: Mapping[str, str]) -> list[tuple]:
    matches = [c for c in claims if c.kind == "match"]
    starts = [c.start for c in matches]
    edits: list[tuple[int, int, str, bool]] = []
    prev = 0
    first = True
    for turn in turns:
        for k, (ps, pe) in enumerate(turn.paragraphs):
            gap = "" if first else "\n"
            if k == 0 and turn.speaker:
                gap += f"{labels.get(turn.speaker, turn.speaker)}: "
            if gap or ps > prev:
                edits.append((prev, ps, gap, False))
            first = False
            pos = ps
            i = bisect.bisect_left(starts, ps)
            while i < len(matches) and matches[i].start < pe:
                c = matches[i]
                edits += [(j, j + 1, " ", False) for j in range(pos, c.start) if text[j] == "\n"]
                edits.append((c.start, c.end, reg.text_for(c.entity), True))
                pos = c.end
                i += 1
            edits += [(j, j + 1, " ", False) for j in range(pos, pe) if text[j] == "\n"]
            prev = pe
    edits.append((prev, len(text), "\n", False))
    return _indent_hazards(text, edits)


@dataclass(frozen=True)
class _Turn:
    speaker: str
    role: str
    paragraphs: tuple[tuple[int, int], ...]


def _structure(corpus: Corpus) -> dict[str, list[_Turn]]:
    seg = corpus.segments
    paras = seg[seg["level"] == "paragraph"].sort_values(["doc_id", "start"])
    out: dict[str, list[_Turn]] = {d: [] for d in corpus.doc_ids}
    for doc_id, group in paras.groupby("doc_id", sort=False):
        turns: dict[int, list] = {}
        for r in group.itertuples(index=False):
            entry = turns.setdefault(int(r.turn), [str(r.speaker), str(r.speaker_role), []])
            entry[2].append((int(r.start), int(r.end)))
        out[str(doc_id)] = [_Turn(s, role, tuple(p)) for s, role, p in turns.values()]
    return out


def _verify(text: str, name: str, expected: list, options: IngestOptions) -> str | None:
    parsed = get_reader(".txt")(text.encode("utf-8"), name, options.transcript)
    got = [(t.speaker, tuple(t.paragraphs)) for t in parsed.turns if t.paragraphs]
    if got == expected:
        return None
    n_got = sum(len(p) for _, p in got)
    n_exp = sum(len(p) for _, p in expected)
    return (f"{name}: re-reads as {len(got)} turns and {n_got} paragraphs instead of "
            f"{len(expected)} and {n_exp}; check the file (a custom speaker pattern may not "
            "match the new labels)")


# -- speakers ----------------------------------------------------------------------------

def _is_role_label(label: str, options: IngestOptions) -> bool:
    label = label.strip()
    return (len(label) < 2 or options.is_interviewer(label)
            or bool(_GENERIC_LABEL_RE.match(label)))


def _assign_speakers(reg: _Registry, structure: Mapping[str, list[_Turn]], doc_ids: list[str],
                     extra: Mapping[str, list[tuple[str, str]]], listed: Sequence[Name],
                     options: IngestOptions) -> dict[str, _Entity]:
    """Give every named speaker an entity with a label; return ``{real label: entity}``."""
    first_names: dict[str, list[_Entity]] = {}
    full: dict[str, _Entity] = {}
    for n in listed:
        if n.type != "person":
            continue
        ent = reg.entity(n.type, _norm(n.name), n.name, "names")
        words = _person_words(n.name)
        for v in (n.name, " ".join(words), *n.variants):
            full.setdefault(_norm(v), ent)
        if len(words) > 1:
            first_names.setdefault(_norm(words[0]), []).append(ent)
    roles: dict[str, str] = {}
    used: dict[str, set[str]] = {}  # doc -> role labels kept as they are
    turns = [(doc, t.speaker, t.role) for doc in doc_ids for t in structure[doc]]
    turns += [(doc, spk, role) for doc in doc_ids for spk, role in extra.get(doc, [])]
    for doc, spk, role in turns:
        if not spk:
            continue
        if _is_role_label(spk, options):
            used.setdefault(doc, set()).add(_norm(spk))
        else:
            roles.setdefault(spk, role)
    ents: dict[str, _Entity] = {}
    for spk in roles:
        key = _norm(spk)
        ent = full.get(key) or (first_names[key][0] if len(first_names.get(key, ())) == 1
                                else None)
        ents[spk] = reg.add_name(Name(spk), "speaker", ent)
    all_used = set().union(*used.values()) if used else set()
    p_taken = {int(m.group(1)) for u in all_used if (m := _P_NUMBER_RE.match(u))}
    interviewers = list(dict.fromkeys(
        ents[s] for s, role in roles.items() if role == "interviewer" and not ents[s].explicit))
    clash = any("interviewer" in used.get(doc, ()) for doc, spk, _ in turns
                if spk in ents and ents[spk] in interviewers)
    n_p = n_i = 0
    problems = []
    for spk, role in roles.items():
        ent = ents[spk]
        if ent.label:
            continue
        if ent.explicit:
            if not is_name(ent.explicit) or ":" in ent.explicit:
                problems.append(f"pseudonym {ent.explicit!r} for speaker {spk!r} cannot be a "
                                "speaker label: use capitalised words or numbers, no colon")
            ent.label = ent.explicit
        elif role == "interviewer":
            if len(interviewers) == 1 and not clash:
                ent.label = "Interviewer"
            else:
                n_i += 1
                while _norm(f"Interviewer {n_i}") in all_used:
                    n_i += 1
                ent.label = f"Interviewer {n_i}"
        else:
            n_p += 1
            while n_p in p_taken:
                n_p += 1
            ent.label = f"P{n_p:02d}"
    for doc in doc_ids:
        seen: dict[str, str] = {}
        for turn in structure[doc]:
            new = ents[turn.speaker].label if turn.speaker in ents else turn.speaker
            if turn.speaker and seen.setdefault(_norm(new), turn.speaker) != turn.speaker:
                problems.append(f"{doc}: speakers {seen[_norm(new)]!r} and {turn.speaker!r} "
                                f"would both be labelled {new!r}; give one a pseudonym in "
                                "names.csv")
    if problems:
        raise ConfigError("speaker labels cannot be pseudonymised", sorted(set(problems)))
    return ents


def _label_spans(text: str, turns: Sequence[_Turn], fmt: str,
                 options: IngestOptions) -> tuple[list[tuple[int, int, str]], bool]:
    """Where each turn's speaker label is written; False when one cannot be found."""
    out, prev, ok = [], 0, True
    for turn in turns:
        start = turn.paragraphs[0][0]
        if turn.speaker:
            pos = text.rfind(turn.speaker, prev, start)
            if pos < 0:
                ok = False
            else:
                out.append((pos, pos + len(turn.speaker), turn.speaker))
        prev = turn.paragraphs[-1][1]
    if fmt in ("txt", "md"):  # labels of turns without words are in no segment
        lines = split_lines(text)
        have = {s for s, _, _ in out}
        for i, (speaker, content) in detect_labels(text, lines, options.transcript).items():
            pos = text.rfind(speaker, lines[i][0], content)
            if pos >= 0 and pos not in have:
                out.append((pos, pos + len(speaker), speaker))
    return sorted(out), ok


# -- tables ------------------------------------------------------------------------------

def _column_kind(column: str) -> str | None:
    col = re.sub(r"[^0-9a-z]+", "_", column.strip().lower()).strip("_")
    for kind, names in _ID_COLUMNS.items():
        if col in names:
            return kind
    stem = col[:-5] if col.endswith("_name") else ""
    if stem in _ID_COLUMNS["organisation"]:
        return "organisation"
    if stem and col not in _DOC_KEY_COLUMNS and col not in ("doc_name", "code_name"):
        return "person"
    return None


def _doc_lookup(corpus: Corpus) -> dict[str, str]:
    out: dict[str, str] = {}
    names: Counter = Counter()
    for d in corpus:
        for alias in (Path(d.path).name, Path(d.path).stem):
            names[alias] += 1
    for d in corpus:
        out[d.path] = out[d.id] = d.id
        for alias in (Path(d.path).name, Path(d.path).stem):
            if names[alias] == 1:
                out.setdefault(alias, d.id)
    return out


def _key_column(table: pd.DataFrame, required: bool) -> str | None:
    col = next((c for c in table.columns if str(c).lower() in _DOC_KEY_COLUMNS), None)
    return col if col is not None or not required or table.columns.empty else table.columns[0]


def _table_entities(reg: _Registry, table: pd.DataFrame | None, skip: set[str]) -> None:
    if table is None:
        return
    for col in table.columns:
        kind = _column_kind(str(col))
        if col in skip or kind is None:
            continue
        for value in table[col].tolist():
            value = "" if pd.isna(value) else " ".join(str(value).split())
            if value.casefold() in _MISSING or len(value) < 2 or reg.find(kind, value):
                continue
            if kind in ("person", "organisation", "place"):
                if any(ch.isupper() for ch in value) and not is_common_word(value):
                    reg.add_name(Name(value, kind), f"{col} column")
                else:
                    reg.entity(kind, _norm(value), value, f"{col} column")
            else:
                key = {"phone": _phone_key(value), "postcode": value.replace(" ", "")}.get(
                    kind, value.casefold())
                reg.entity(kind, key, value, f"{col} column")


def _table_out(table: pd.DataFrame, which: str, reg: _Registry, docs: Mapping[str, str],
               paths: Mapping[str, str], labels: Mapping[str, str],
               drop: Sequence[str]) -> pd.DataFrame:
    key = _key_column(table, required=which == METADATA_FILE)
    out = table.drop(columns=[c for c in drop if c in table.columns]).copy()
    for col in out.columns:
        kind = _column_kind(str(col))
        values = []
        for value in out[col].tolist():
            value = "" if pd.isna(value) else str(value)
            if col == key:
                doc = docs.get(value.strip().replace("\\", "/"))
                value = paths[doc] if doc else value
            elif which == SPEAKERS_FILE and str(col).lower() == "speaker":
                value = labels.get(value.strip(), value)
            elif kind is not None and " ".join(value.split()).casefold() not in _MISSING:
                ent = reg.find(kind, value)
                value = ((ent.label if reg.mode == "pseudonym" and ent.label else
                          reg.text_for(ent)) if ent else _pseudonymise_cell(value, reg))
            else:
                value = _pseudonymise_cell(value, reg)
            values.append(value)
        out[col] = pd.Series(values, index=out.index, dtype="object")
    if key is not None and key in out.columns:
        out = out.sort_values(key, kind="stable").reset_index(drop=True)
    return out


def _pseudonymise_cell(value: str, reg: _Registry) -> str:
    claims = [c for c in _find_claims(value, reg) if c.entity is not None]
    if not claims:
        return value
    return OffsetMap.from_edits("", value, [(c.start, c.end, reg.text_for(c.entity))
                                            for c in claims]).new_text


# -- review list -------------------------------------------------------------------------

_OPENERS = "\"“‘'([{:*#>–—.!?\n"


def _review_tokens(corpus: Corpus, doc: str, sentence_starts: set[int]) -> list[tuple]:
    """``(start, end, word, mid_sentence)`` of every word (possessive ``'s`` dropped)."""
    text = corpus.texts[doc]
    starts = set(sentence_starts)
    for ls, le in split_lines(text):
        line = text[ls:le]
        starts.add(ls + len(line) - len(line.lstrip()))
    out = []
    for s, e in word_spans(text):
        w = _POSSESSIVE_RE.sub("", text[s:e])
        j = s - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        out.append((s, s + len(w), w, s not in starts and j >= 0 and text[j] not in _OPENERS))
    return out


def _review(corpus: Corpus, doc_ids: Sequence[str], claimed: Mapping[str, bytearray],
            max_contexts: int) -> pd.DataFrame:
    """Words the rules left alone that may identify someone (see the module docstring)."""
    seg = corpus.segments
    sentences = seg[seg["level"] == "sentence"]
    starts = {str(d): set(g["start"].tolist()) for d, g in sentences.groupby("doc_id")}
    tokens = {d: _review_tokens(corpus, d, starts.get(d, set())) for d in doc_ids}
    lower: Counter = Counter(w.translate(_APOS) for d in doc_ids for _, _, w, _ in tokens[d]
                             if w.islower())
    cap_mid: Counter = Counter(w for d in doc_ids for _, _, w, mid in tokens[d]
                               if mid and w[:1].isupper() and not w.isupper())

    def name_like(w: str) -> bool:
        return (len(w) > 1 and w[0].isupper() and not w.isupper()
                and not any(c.isdigit() for c in w) and not is_common_word(w)
                and not (w.endswith("s") and (is_common_word(w[:-1]) or w[:-1].isupper()))
                and not _GENERIC_LABEL_RE.match(w)
                and cap_mid[w] > lower[w.translate(_APOS).casefold()])

    def continues(w: str) -> bool:  # "Thornley Green", "Eastwold University"
        return (w[:1].isupper() and not w.isupper() and w.casefold() not in _stop_words()
                and w.casefold() not in COMMON_CAPITALISED)

    hits: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for doc in doc_ids:
        text, taken = corpus.texts[doc], claimed[doc]
        run: list[tuple[int, int]] = []
        toks = [*tokens[doc], (len(text), len(text), "", False)]
        for i, (s, e, w, mid) in enumerate(toks[:-1]):
            free = taken.find(1, s, e) < 0
            joins = bool(run) and text[run[-1][1]:s] == " " and continues(w)
            nxt = toks[i + 1]
            pair = (name_like(w) and text[e:nxt[0]] == " " and name_like(nxt[2])
                    and taken.find(1, nxt[0], nxt[1]) < 0)  # "Rosalind Blackwood" opening
            if free and (joins or ((mid or pair) and name_like(w))):
                if run and not joins:
                    run = _close_run(run, doc, text, hits)
                run.append((s, e))
                continue
            run = _close_run(run, doc, text, hits)
            if (free and mid and w.isupper() and w.isalpha() and 2 <= len(w) <= 6
                    and not is_common_word(w)):
                hits.setdefault(("acronym", w), []).append((doc, s, e))
        _close_run(run, doc, text, hits)
        for m in _IDENTIFIER_RE.finditer(text):
            if taken.find(1, *m.span()) < 0 and not _NOT_IDENTIFIER_RE.match(m.group()):
                hits.setdefault(("identifier", m.group()), []).append((doc, *m.span()))
    order = {"capitalised": 0, "acronym": 1, "identifier": 2}
    rows = []
    for (kind, cand), occ in sorted(hits.items(), key=lambda kv: (
            order[kv[0][0]], -len(kv[1]), kv[0][1])):
        for doc, s, e in occ[:max_contexts]:
            text = corpus.texts[doc]
            ctx = text[max(0, s - 40):s] + "**" + text[s:e] + "**" + text[e:e + 40]
            rows.append((cand, kind, len(occ), len({d for d, _, _ in occ}), doc, s, e,
                         " ".join(ctx.split())))
    cols = ["candidate", "kind", "count", "n_documents", "doc_id", "start", "end", "context"]
    return pd.DataFrame(rows, columns=cols).astype(
        {"count": "int64", "n_documents": "int64", "start": "int64", "end": "int64"})


def _close_run(run: list[tuple[int, int]], doc: str, text: str, hits: dict) -> list:
    if run:
        s, e = run[0][0], run[-1][1]
        hits.setdefault(("capitalised", text[s:e]), []).append((doc, s, e))
    return []


# -- the result --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PseudonymisationResult:
    """What :func:`pseudonymise` found and made (and, from :func:`pseudonymise_corpus`, wrote).

    Attributes
    ----------
    mode : str
        ``pseudonym`` or ``redact``.
    texts : Mapping[str, str]
        Original ``doc_id`` → pseudonymised text.
    maps : Mapping[str, OffsetMap]
        Original ``doc_id`` → :class:`OffsetMap`.
    paths : Mapping[str, str]
        Original ``doc_id`` → new file path inside the output folder (``doc01.txt``).
    speakers : Mapping[str, str]
        Real speaker label → new label (role labels are not listed).
    key : DataFrame
        Real value → pseudonym, with type, source, counts. **Secret.**
    review : DataFrame
        Candidates the rules left alone, with contexts. **Holds real names.**
    metadata, speaker_table : DataFrame or None
        The pseudonymised ``metadata.csv`` and ``speakers.csv``.
    problems : tuple of str
        Documents whose pseudonymised text does not re-read with the same turns.
    out_dir, key_path, review_path, files, corpus
        Set by :func:`pseudonymise_corpus`: where things were written and the new corpus.
    """

    mode: str
    texts: Mapping[str, str]
    maps: Mapping[str, OffsetMap]
    paths: Mapping[str, str]
    speakers: Mapping[str, str]
    key: pd.DataFrame
    review: pd.DataFrame
    metadata: pd.DataFrame | None = None
    speaker_table: pd.DataFrame | None = None
    problems: tuple[str, ...] = ()
    out_dir: Path | None = None
    key_path: Path | None = None
    review_path: Path | None = None
    files: tuple[Path, ...] = ()
    corpus: Corpus | None = None

    def counts(self) -> pd.DataFrame:
        """Replacements in the transcripts per type (no real values)."""
        k = self.key[self.key["type"] != "document"]
        out = k.groupby("type", sort=True)["count"].sum().reset_index()
        return out.rename(columns={"count": "replacements"})

    def __repr__(self) -> str:
        counts = ", ".join(f"{t} {n}" for t, n in self.counts().itertuples(index=False) if n)
        where = f" written to {self.out_dir}" if self.out_dir else ""
        return (f"<PseudonymisationResult ({self.mode}): {len(self.texts)} documents{where}; "
                f"replaced {counts or 'nothing'}; {self.review['candidate'].nunique()} review "
                f"candidates; {len(self.problems)} problems>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(str(t))}</td><td>{n}</td></tr>"
                       for t, n in self.counts().itertuples(index=False))
        return (f"<div><strong>pseudonymised corpus</strong> ({html.escape(self.mode)}, "
                f"{len(self.texts)} documents)<table><tr><th>type</th><th>replacements</th>"
                f"</tr>{rows}</table><p>{self.review['candidate'].nunique()} candidates to "
                f"review; the key is secret and not shown.</p></div>")


def _new_paths(corpus: Corpus, doc_ids: Sequence[str], file_names: str) -> dict[str, str]:
    if file_names == "keep":
        return {d: f"{d}.txt" for d in doc_ids}
    width = max(2, len(str(len(doc_ids))))
    return {d: f"doc{i:0{width}d}.txt" for i, d in enumerate(doc_ids, 1)}


def _check_choice(value: str, choices: Sequence[str], what: str) -> None:
    if value not in choices:
        raise ConfigError(f"{what} must be one of {', '.join(choices)}, not {value!r}")


def pseudonymise(corpus: Corpus, names: NamesLike = None, *, mode: str = "pseudonym",
                 file_names: str = "numbered", options: IngestOptions | None = None,
                 metadata: pd.DataFrame | None = None, speakers: pd.DataFrame | None = None,
                 drop_columns: Sequence[str] = (), max_contexts: int = 5
                 ) -> PseudonymisationResult:
    """Pseudonymise a corpus in memory (pure: reads and writes no files).

    Parameters
    ----------
    corpus : Corpus
        The corpus to pseudonymise.
    names : path, DataFrame, iterable of Name or str, optional
        The names to replace (see :func:`read_names`); speakers, titled names, emails,
        phone numbers, URLs and postcodes are found without it.
    mode : {"pseudonym", "redact"}
        Numbered pseudonyms (``[Person 1]``) or markers (``[redacted: person]``).
    file_names : {"numbered", "keep"}
        New file names ``doc01.txt`` ... or the old paths with ``.txt``.
    options : IngestOptions, optional
        The options the corpus was read with (used to check the new texts re-read alike).
    metadata, speakers : DataFrame, optional
        ``metadata.csv`` / ``speakers.csv`` as read by
        :func:`cmqual.io.folder.read_string_table`, to pseudonymise alongside.
    drop_columns : sequence of str
        Columns to leave out of those tables.
    max_contexts : int
        Contexts listed per review candidate.

    Returns
    -------
    PseudonymisationResult

    Examples
    --------
    >>> result = pseudonymise(read_corpus("corpora/sample"), ["Kieran"])  # doctest: +SKIP
    >>> result.maps["fe_mentor_northfield_college"].quote(0, 60)           # doctest: +SKIP
    'Interviewer: Thanks for making the time, [P01]. I know it'
    """
    _check_choice(mode, MODES, "mode")
    _check_choice(file_names, FILE_NAMES, "file_names")
    if not isinstance(max_contexts, int) or max_contexts < 1:
        raise ConfigError(f"max_contexts must be a whole number of at least 1, not "
                          f"{max_contexts!r}")
    options = options or IngestOptions()
    listed = _coerce_names(names)
    drop = list(drop_columns)
    present = set() if metadata is None else set(metadata.columns)
    present |= set() if speakers is None else set(speakers.columns)
    unknown = [c for c in drop if c not in present]
    if unknown:
        raise ConfigError(f"drop_columns: no column {', '.join(map(repr, unknown))} in "
                          f"metadata.csv or speakers.csv; columns: "
                          f"{', '.join(sorted(map(str, present))) or '(none)'}")
    doc_ids = sorted(corpus.doc_ids)
    paths = _new_paths(corpus, doc_ids, file_names)
    structure = _structure(corpus)
    docs = {d.id: d for d in corpus}

    reg = _Registry(mode)
    for n in listed:
        reg.add_name(n, "names")
    # identifying attribute columns, from the tables given and from the corpus itself (so
    # quoting through pseudonymise_texts also hides institutions named in metadata.csv)
    _table_entities(reg, metadata, set(drop))
    _table_entities(reg, corpus.documents[list(corpus.attribute_types)], set())
    _table_entities(reg, speakers, set(drop) | {"speaker", "Speaker"})
    _table_entities(reg, corpus.speakers.drop(columns=["doc_id", "speaker", "speaker_role"]),
                    set())
    doc_of = _doc_lookup(corpus)
    extra: dict[str, list[tuple[str, str]]] = {}
    if speakers is not None and "speaker" in speakers.columns:
        key = _key_column(speakers, required=False)
        roles = speakers["role"] if "role" in speakers.columns else [""] * len(speakers)
        pseudo = speakers["pseudonym"] if "pseudonym" in speakers.columns else None
        for i, (spk, role) in enumerate(zip(speakers["speaker"], roles, strict=True)):
            doc = doc_of.get(str(speakers[key].iloc[i]).strip()) if key else None
            for d in [doc] if doc else doc_ids[:1]:
                extra.setdefault(d, []).append((str(spk).strip(), str(role).strip().lower()))
            if pseudo is not None and str(pseudo.iloc[i]).strip():
                reg.add_name(Name(str(spk), "person", str(pseudo.iloc[i])), "speakers.csv")
    label_spans, inplace_ok = {}, {}
    for doc in doc_ids:
        label_spans[doc], inplace_ok[doc] = _label_spans(docs[doc].text, structure[doc],
                                                         docs[doc].format, options)
        for _, _, spk in label_spans[doc]:
            if all(t.speaker != spk for t in structure[doc]):
                extra.setdefault(doc, []).append((spk, "participant"))
    ents = _assign_speakers(reg, structure, doc_ids, extra, listed, options)
    labels = {spk: ent.label for spk, ent in ents.items()}
    reg.compile()
    if reg.ambiguous:
        warnings.warn(
            f"{len(reg.ambiguous)} first name(s) or surname(s) belong to several listed "
            "names and get pseudonyms of their own; list them as variants of one name to "
            "choose", CmqualWarning, stacklevel=2)
    claims: dict[str, list[_Claim]] = {}
    for doc in doc_ids:
        spans = [(s, e, ents.get(spk)) for s, e, spk in label_spans[doc]]
        paras = [p for t in structure[doc] for p in t.paragraphs]
        claims[doc] = _find_claims(docs[doc].text, reg, spans, paras)

    maps: dict[str, OffsetMap] = {}
    problems: list[str] = []
    for doc in doc_ids:
        text = docs[doc].text
        doc_labels = {t.speaker: labels.get(t.speaker, t.speaker) for t in structure[doc]
                      if t.speaker}
        for c in claims[doc]:
            if c.entity is not None:
                if c.kind == "match":
                    reg.text_for(c.entity)
                c.entity.count += 1
                c.entity.docs.add(doc)
                c.entity.forms.add(c.form)
        fields = {"new_doc_id": paths[doc][:-4], "path": docs[doc].path,
                  "new_path": paths[doc], "speakers": MappingProxyType(doc_labels)}
        expected_for = [(doc_labels.get(t.speaker, ""), t.paragraphs) for t in structure[doc]]
        found = None
        layouts = (["inplace"] if inplace_ok[doc] else []) + ["rebuilt"]
        for layout in layouts:
            edits = (_inplace_edits(text, claims[doc], reg) if layout == "inplace" else
                     _rebuilt_edits(text, structure[doc], claims[doc], reg, doc_labels))
            m = OffsetMap.from_edits(doc, text, edits, **fields)
            expected = [(s, tuple(m.to_new(*p) for p in ps)) for s, ps in expected_for]
            problem = _verify(m.new_text, paths[doc], expected, options)
            if found is None or problem is None:
                found = (m, problem)
            if problem is None:
                break
        maps[doc], problem = found
        if problem:
            problems.append(problem)

    meta_out = spk_out = None
    if metadata is not None:
        meta_out = _table_out(metadata, METADATA_FILE, reg, doc_of, paths, labels, drop)
    if speakers is not None:
        spk_out = _table_out(speakers, SPEAKERS_FILE, reg, doc_of, paths, labels, drop)
    taken = {}
    for doc in doc_ids:
        t = bytearray(len(docs[doc].text))
        for c in claims[doc]:
            t[c.start:c.end] = b"\x01" * (c.end - c.start)
        taken[doc] = t
    review = _review(corpus, doc_ids, taken, max_contexts)
    key = _key_frame(reg, docs, paths, doc_ids)
    texts = {d: maps[d].new_text for d in doc_ids}
    return PseudonymisationResult(
        mode, MappingProxyType(texts), MappingProxyType(maps), MappingProxyType(paths),
        MappingProxyType(labels), key, review, meta_out, spk_out, tuple(problems))


def _natural(text: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", text))


def _key_frame(reg: _Registry, docs: Mapping, paths: Mapping[str, str],
               doc_ids: Sequence[str]) -> pd.DataFrame:
    rows = []
    for ent in reg.entities.values():
        if not ent.count and ent.source in ("rule", "title", "ambiguous"):
            continue  # found by a rule but overlapped by an earlier one: never used
        rows.append((ent.type, ent.real, ent.text, ent.label, ent.source, ent.count,
                     len(ent.docs), "; ".join(sorted(ent.forms))))
    rows.sort(key=lambda r: (r[0], not (r[2] or r[3]), _natural(r[3] or r[2]), r[1]))
    rows += [("document", docs[d].path, paths[d], "", "file", 1, 1, "") for d in doc_ids]
    cols = ["type", "real", "pseudonym", "label", "source", "count", "n_documents", "forms"]
    return pd.DataFrame(rows, columns=cols).astype(
        {"count": "int64", "n_documents": "int64"})


def pseudonymise_texts(corpus: Corpus, names: NamesLike = None, mode: str = "pseudonym", *,
                       options: IngestOptions | None = None
                       ) -> tuple[dict[str, str], dict[str, OffsetMap]]:
    """Pseudonymised texts and offset maps, keyed by the original ``doc_id``.

    The entry point for report writers that must quote only pseudonymised text: quote a
    segment ``(doc_id, start, end)`` of the original corpus as
    ``maps[doc_id].quote(start, end)`` and name its speaker ``maps[doc_id].speakers``.

    Examples
    --------
    >>> texts, maps = pseudonymise_texts(corpus, "names.csv")      # doctest: +SKIP
    >>> maps["p01"].quote(120, 180)                                 # doctest: +SKIP
    'I told [Person 2] about it'
    """
    result = pseudonymise(corpus, names, mode=mode, options=options)
    return dict(result.texts), dict(result.maps)


# -- writing -----------------------------------------------------------------------------

def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _prepare_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputFileError(f"output {str(out)!r} is a file; give a folder for the new corpus")
    if not out.exists():
        out.mkdir(parents=True)
        return
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    if not present:
        return
    marker = out / MARKER_FILE
    if not overwrite or not marker.is_file():
        raise ConfigError(
            f"output folder {str(out)!r} is not empty; choose a new folder"
            + (" (overwrite only replaces a folder written by cmqual pseudonymise)"
               if overwrite else " or pass overwrite=True (--overwrite) to replace a "
               "pseudonymised corpus written before"))
    listed = set(json.loads(marker.read_text(encoding="utf-8")).get("files", []))
    foreign = [p for p in present if p not in listed and p != MARKER_FILE]
    if foreign:
        raise ConfigError(f"output folder {str(out)!r} holds files cmqual did not write "
                          f"({', '.join(foreign[:5])}); move them or choose a new folder")
    for rel in present:
        (out / rel).unlink()


def _readme(result: PseudonymisationResult) -> str:
    counts = "\n".join(f"- {t}: {n}" for t, n in result.counts().itertuples(index=False))
    return (
        "# Pseudonymised corpus\n\n"
        f"Written by cmqual {__version__} (`cmqual pseudonymise`, mode `{result.mode}`) from "
        f"{len(result.texts)} transcripts. Speaker labels, listed names, titled names, email "
        "addresses, phone numbers, URLs and UK postcodes were replaced; see the "
        "`cmqual.pseudonymise` documentation for the rules.\n\n"
        f"Replacements by type:\n\n{counts or '- none'}\n\n"
        "The key linking pseudonyms to real names is kept separately by the research team "
        "and is not part of this folder. Automatic pseudonymisation misses names it was "
        "not told about: read the transcripts before sharing them.\n"
    )


def pseudonymise_corpus(corpus: Corpus | str | Path, out_dir: str | Path, names: NamesLike = None,
                        mode: str = "pseudonym", *, key: str | Path | None = None,
                        review: str | Path | None = None, file_names: str = "numbered",
                        drop_columns: Sequence[str] = (), options: IngestOptions | None = None,
                        overwrite: bool = False) -> PseudonymisationResult:
    """Write a pseudonymised copy of a corpus, its key and a review list.

    Parameters
    ----------
    corpus : Corpus or path
        The corpus (or its folder, read with ``options``).
    out_dir : path
        Folder for the new corpus; created, or empty (see ``overwrite``).
    names, mode, file_names, drop_columns, options
        See :func:`pseudonymise`.
    key : path, optional
        Where the key goes (``.csv``, ``.xlsx`` or ``.parquet``); default
        ``<out_dir>-key.csv`` beside the output folder. Never inside the new or the
        original corpus folder.
    review : path, optional
        Where the review list goes; default ``<out_dir name>-review.csv`` in the key's
        folder.
    overwrite : bool
        Replace a corpus this function wrote into ``out_dir`` before.

    Returns
    -------
    PseudonymisationResult
        With ``out_dir``, ``key_path``, ``review_path``, ``files`` and the re-read
        ``corpus`` set.

    Raises
    ------
    ConfigError
        The key or review list would go inside a corpus folder, the output folder is not
        empty, or speaker labels would clash.

    Warns
    -----
    CmqualWarning
        Always, naming the key file: keep it secret. Also for documents that do not
        re-read with the same turns.

    Examples
    --------
    >>> r = pseudonymise_corpus("corpora/sample", "outputs/sample_pseudo",
    ...                         names="names.csv", key="secret/key.csv")  # doctest: +SKIP
    >>> r.corpus                                                          # doctest: +SKIP
    <Corpus 'sample_pseudo': 15 documents, 401 turns, ...>
    """
    options = options or IngestOptions()
    if not isinstance(corpus, Corpus):
        corpus = read_corpus(corpus, options)
    out = Path(out_dir)
    key_path = Path(key) if key is not None else out.parent / f"{out.name}-key.csv"
    review_path = (Path(review) if review is not None
                   else key_path.parent / f"{out.name}-review.csv")
    root = corpus.root
    if root is not None and (_inside(out, root) or _inside(root, out)):
        raise ConfigError(f"output folder {str(out)!r} and corpus folder {str(root)!r} must "
                          "be separate folders, neither inside the other")
    for what, path in (("key", key_path), ("review list", review_path)):
        if _inside(path, out):
            raise ConfigError(
                f"refusing to write the {what} {str(path)!r} inside the pseudonymised corpus "
                f"{str(out)!r}: it links pseudonyms to real names; give a path outside it "
                "(e.g. --key secret/key.csv)")
        if root is not None and _inside(path, root):
            raise ConfigError(f"refusing to write the {what} {str(path)!r} inside the corpus "
                              f"folder {str(root)!r}; give a path outside it")
        check_output_path(path, TABLE_EXTENSIONS)
    if key_path.resolve() == review_path.resolve():
        raise ConfigError("the key and the review list need different files")
    listed = _coerce_names(names)
    meta = spk = None
    if root is not None and (root / METADATA_FILE).is_file():
        meta = read_string_table(root / METADATA_FILE)
    if root is not None and (root / SPEAKERS_FILE).is_file():
        spk = read_string_table(root / SPEAKERS_FILE)
    if file_names == "keep":
        _warn_named_files(corpus, listed, options)
    result = pseudonymise(corpus, listed, mode=mode, file_names=file_names, options=options,
                          metadata=meta, speakers=spk, drop_columns=drop_columns)
    _prepare_out_dir(out, overwrite)
    write_table(result.key, key_path)
    os.chmod(key_path, 0o600)  # the key re-identifies participants: owner-only
    write_table(result.review, review_path)
    os.chmod(review_path, 0o600)  # the review list quotes real names in context
    written: list[Path] = []
    for doc, rel in result.paths.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_text(target, result.texts[doc]))
    if result.metadata is not None:
        written.append(write_table(result.metadata, out / METADATA_FILE))
    if result.speaker_table is not None:
        written.append(write_table(result.speaker_table, out / SPEAKERS_FILE))
    written.append(write_text(out / "README.md", _readme(result)))
    files = sorted(p.relative_to(out).as_posix() for p in written)
    write_text(out / MARKER_FILE, json.dumps({"files": files}, indent=1, sort_keys=True) + "\n")
    new_corpus = read_corpus(out, options)
    problems = list(result.problems) + _compare(corpus, new_corpus, result)
    for p in dict.fromkeys(problems):
        warnings.warn(p, CmqualWarning, stacklevel=2)
    warnings.warn(
        f"the key {key_path} and review list {review_path} link pseudonyms to real names: "
        "keep them secret, never share them or put them in the corpus", CmqualWarning,
        stacklevel=2)
    return replace(result, problems=tuple(dict.fromkeys(problems)), out_dir=out,
                   key_path=key_path, review_path=review_path,
                   files=tuple(out / f for f in files), corpus=new_corpus)


def _compare(old: Corpus, new: Corpus, result: PseudonymisationResult) -> list[str]:
    a = old.documents.set_index("doc_id")[["n_turns", "n_paragraphs"]]
    b = new.documents.set_index("doc_id")[["n_turns", "n_paragraphs"]]
    out = []
    for doc, rel in result.paths.items():
        new_id = rel[:-4]
        if new_id not in b.index or tuple(a.loc[doc]) != tuple(b.loc[new_id]):
            out.append(f"{rel}: does not re-read with the same number of turns and "
                       "paragraphs as the original")
    return out


def _warn_named_files(corpus: Corpus, listed: Sequence[Name], options: IngestOptions) -> None:
    names = [n.name for n in listed] + [s for s in set(corpus.speakers["speaker"])
                                        if not _is_role_label(s, options)]
    words = {_norm(w) for n in names for w in _person_words(n) if len(w) > 2}
    hits = [d.path for d in corpus
            if words & set(re.split(r"[^0-9a-z]+", d.path.casefold()))]
    if hits:
        warnings.warn(f"file_names='keep': {len(hits)} file name(s) contain listed names "
                      f"(e.g. {hits[0]}); use file_names='numbered'", CmqualWarning,
                      stacklevel=3)


# -- carrying codings --------------------------------------------------------------------

def carry_codings(codings: pd.DataFrame,
                  mapping: PseudonymisationResult | Mapping[str, OffsetMap],
                  direction: str = "to_new") -> pd.DataFrame:
    """Carry a codings table between the original and the pseudonymised corpus.

    ``start``/``end`` are mapped with :class:`OffsetMap` (a span that starts or ends
    inside a replaced name grows to cover it), ``text`` is taken from the target text,
    ``doc_id``, ``doc``, ``speaker`` and ``segment_id`` (recomputed as in
    :func:`cmqual.corpus.segment_id` for the target text) follow; other columns are kept.

    Parameters
    ----------
    codings : DataFrame
        Needs ``doc_id``, ``start`` and ``end`` (see ``cmqual.tables.CODING_COLUMNS``).
    mapping : PseudonymisationResult or Mapping[str, OffsetMap]
        The maps (keyed by original ``doc_id``).
    direction : {"to_new", "to_old"}
        ``to_new``: codings of the original corpus onto the pseudonymised one.

    Examples
    --------
    >>> carried = carry_codings(codings, result)                    # doctest: +SKIP
    >>> back = carry_codings(carried, result, direction="to_old")   # doctest: +SKIP
    """
    _check_choice(direction, ("to_new", "to_old"), "direction")
    maps = mapping.maps if isinstance(mapping, PseudonymisationResult) else mapping
    require_columns(codings, ("doc_id", "start", "end"), "codings")
    forward = direction == "to_new"
    lookup = {(m.doc_id if forward else m.new_doc_id): m for m in maps.values()}
    missing = sorted({str(d) for d in codings["doc_id"]} - set(lookup))
    if missing:
        raise ConfigError(
            f"codings name {len(missing)} document(s) the mapping does not know: "
            f"{', '.join(missing[:5])}; mapping has {', '.join(sorted(lookup)[:5])}")
    out = codings.copy()
    starts, ends, texts, ids, docs, sids, spk = [], [], [], [], [], [], []
    has_level = "level" in out.columns and "segment_id" in out.columns
    levels = out["level"].tolist() if has_level else [None] * len(out)
    speakers = out["speaker"].tolist() if "speaker" in out.columns else [None] * len(out)
    shas: dict[str, str] = {}
    for doc_id, start, end, level, speaker in zip(out["doc_id"].tolist(), out["start"].tolist(),
                                                  out["end"].tolist(), levels, speakers,
                                                  strict=True):
        m = lookup[str(doc_id)]
        s, e = (m.to_new if forward else m.to_old)(int(start), int(end))
        target = m.new_text if forward else m.old_text
        target_id = m.new_doc_id if forward else m.doc_id
        starts.append(s)
        ends.append(e)
        texts.append(target[s:e])
        ids.append(target_id)
        docs.append(m.new_path if forward else m.path)
        if has_level:
            sha = shas.setdefault(target_id, hashlib.sha256(target.encode("utf-8")).hexdigest())
            sids.append(segment_id(target_id, sha, str(level), s, e))
        names = m.speakers if forward else {v: k for k, v in m.speakers.items()}
        spk.append(speaker if pd.isna(speaker) else names.get(str(speaker), speaker))
    out["doc_id"] = pd.Series(ids, index=out.index, dtype=codings["doc_id"].dtype)
    out["start"] = pd.Series(starts, index=out.index, dtype="int64")
    out["end"] = pd.Series(ends, index=out.index, dtype="int64")
    out["text"] = pd.Series(texts, index=out.index,
                            dtype=codings["text"].dtype if "text" in codings else "string")
    if "doc" in out.columns:
        out["doc"] = pd.Series(docs, index=out.index, dtype=codings["doc"].dtype)
    if has_level:
        out["segment_id"] = pd.Series(sids, index=out.index, dtype=codings["segment_id"].dtype)
    if "speaker" in out.columns:
        out["speaker"] = pd.Series(spk, index=out.index, dtype=codings["speaker"].dtype)
    return out
