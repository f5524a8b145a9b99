"""Detection rules: what in a text is replaced, first rule first.

Speaker labels, then email addresses, URLs and web domains, phone numbers, UK
postcodes, listed names (the registry's regex) and titled names. Each rule claims
spans no earlier rule claimed; a match is cut at paragraph boundaries.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from cmqual.pseudonymise.names import (
    _TITLE_RX,
    _WS,
    _Entity,
    _norm,
    _phone_key,
    _Registry,
    is_common_word,
)

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
_GAP_RE = re.compile(r"[^\S\n]+")


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
