"""Retrieve coded segments for a code or a Boolean combination of codes.

A query is written as text (:func:`parse_query`) or built from :class:`Term` objects with
``&`` (AND), ``|`` (OR) and ``~`` (NOT)::

    parse_query("scoping-study/power AND NOT equity-lens/deficit_language")
    Term("scoping-study/power") & ~Term("equity-lens/deficit_language")

A term matches its code and every code below it (``scoping-study/power`` matches
``scoping-study/power/voice``). The query is evaluated on each segment of the chosen
level: a segment "has" a code when a coding of it overlaps the segment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cmqual.analysis._scope import (
    CorpusLike,
    Scope,
    Where,
    citation,
    infer_unit,
    match_codes,
    place,
)
from cmqual.errors import ConfigError

__all__ = ["And", "Not", "Or", "Query", "Term", "parse_query", "retrieve"]


class Query:
    """Base of Boolean code queries; combine with ``&``, ``|`` and ``~``."""

    def __and__(self, other: Query) -> Query:
        return And((self, as_query(other)))

    def __or__(self, other: Query) -> Query:
        return Or((self, as_query(other)))

    def __invert__(self) -> Query:
        return Not(self)

    def terms(self) -> tuple[str, ...]:
        """The codes the query names, sorted."""
        raise NotImplementedError

    def evaluate(self, present: Mapping[str, np.ndarray]) -> np.ndarray:
        """Boolean array from ``present`` (term → bool array over segments)."""
        raise NotImplementedError


def as_query(value: Query | str) -> Query:
    if isinstance(value, Query):
        return value
    if isinstance(value, str):
        return parse_query(value)
    raise ConfigError(f"query: expected a query or a string; got {type(value).__name__}")


@dataclass(frozen=True)
class Term(Query):
    """A code reference; matches the code and its descendants."""

    code: str

    def terms(self) -> tuple[str, ...]:
        return (self.code.strip("/"),)

    def evaluate(self, present: Mapping[str, np.ndarray]) -> np.ndarray:
        return present[self.code.strip("/")]

    def __str__(self) -> str:
        bare = _BARE_TERM.fullmatch(self.code) and self.code.upper() not in _KEYWORDS
        return self.code if bare else f'"{self.code}"'


@dataclass(frozen=True)
class Not(Query):
    """Segments without the inner query."""

    query: Query

    def terms(self) -> tuple[str, ...]:
        return self.query.terms()

    def evaluate(self, present: Mapping[str, np.ndarray]) -> np.ndarray:
        return ~self.query.evaluate(present)

    def __str__(self) -> str:
        inner = str(self.query)
        return f"NOT {inner}" if isinstance(self.query, Term | Not) else f"NOT ({inner})"


@dataclass(frozen=True)
class And(Query):
    """Segments matching every inner query."""

    queries: tuple[Query, ...]

    def terms(self) -> tuple[str, ...]:
        return tuple(sorted({t for q in self.queries for t in q.terms()}))

    def evaluate(self, present: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.logical_and.reduce([q.evaluate(present) for q in self.queries])

    def __str__(self) -> str:
        return " AND ".join(f"({q})" if isinstance(q, Or) else str(q) for q in self.queries)


@dataclass(frozen=True)
class Or(Query):
    """Segments matching at least one inner query."""

    queries: tuple[Query, ...]

    def terms(self) -> tuple[str, ...]:
        return tuple(sorted({t for q in self.queries for t in q.terms()}))

    def evaluate(self, present: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.logical_or.reduce([q.evaluate(present) for q in self.queries])

    def __str__(self) -> str:
        return " OR ".join(str(q) for q in self.queries)  # AND binds tighter: no brackets


_BARE_TERM = re.compile(r"[^\s()\"&|!~]+")
_TOKEN = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<and>&&?)|(?P<or>\|\|?)'
                    r'|(?P<not>[!~])|"(?P<quoted>[^"]*)"|(?P<word>[^\s()"&|!~]+))')
_KEYWORDS = {"AND": "and", "OR": "or", "NOT": "not"}


def parse_query(text: str) -> Query:
    """Parse a Boolean code query.

    Grammar: terms are code references (quote them with ``"..."`` if they contain
    spaces); operators are ``AND``, ``OR``, ``NOT`` (any case; also ``&``, ``|``, ``!``
    or ``~``) and parentheses. ``NOT`` binds tightest, then ``AND``, then ``OR``.
    Adjacent terms need an operator between them.

    Parameters
    ----------
    text : str
        The query.

    Returns
    -------
    Query

    Raises
    ------
    ConfigError
        The query is malformed; the message shows where.

    Examples
    --------
    >>> q = parse_query("scoping-study/power AND NOT equity-lens/deficit_language")
    >>> str(q)
    'scoping-study/power AND NOT equity-lens/deficit_language'
    >>> q.terms()
    ('equity-lens/deficit_language', 'scoping-study/power')
    >>> str(parse_query("a OR b AND c"))
    'a OR b AND c'
    """
    if not isinstance(text, str):
        raise ConfigError(f"query: expected a string; got {type(text).__name__}")
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if not m:
            raise _query_error(text, pos, "cannot read this (an unclosed quote?)")
        kind = m.lastgroup or ""
        value = m.group(kind)
        at = m.start(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            kind = _KEYWORDS[value.upper()]
        elif kind == "quoted":
            kind = "word"
        tokens.append((kind, value, at))
        pos = m.end()
    if not tokens:
        raise ConfigError("query: is empty; write a code, e.g. scoping-study/power")
    parser = _Parser(text, tokens)
    query = parser.parse_or()
    if parser.i < len(tokens):
        kind, value, at = tokens[parser.i]
        hint = "expected AND or OR before it" if kind in ("word", "not", "open") else \
            "unmatched ')'" if kind == "close" else "unexpected"
        raise _query_error(text, at, f"{value!r}: {hint}")
    return query


def _query_error(text: str, at: int, message: str) -> ConfigError:
    return ConfigError(f"query: {message} at position {at + 1}:\n    {text}\n    "
                       f"{' ' * at}^")


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str, int]]) -> None:
        self.text, self.tokens, self.i = text, tokens, 0

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else "end"

    def parse_or(self) -> Query:
        items = [self.parse_and()]
        while self.peek() == "or":
            self.i += 1
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Query:
        items = [self.parse_not()]
        while self.peek() == "and":
            self.i += 1
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Query:
        if self.peek() == "not":
            self.i += 1
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self) -> Query:
        kind = self.peek()
        if kind == "end":
            raise _query_error(self.text, len(self.text.rstrip()),
                               "the query ends too early; expected a code or '('")
        _, value, at = self.tokens[self.i]
        if kind == "word":
            self.i += 1
            if not value.strip("/"):
                raise _query_error(self.text, at, "empty code reference")
            return Term(value)
        if kind == "open":
            self.i += 1
            inner = self.parse_or()
            if self.peek() != "close":
                raise _query_error(self.text, at, "'(' is never closed")
            self.i += 1
            return inner
        raise _query_error(self.text, at, f"{value!r}: expected a code or '('")


def query_mask(query: Query, n_units: int, incidence: pd.DataFrame) -> np.ndarray:
    """Which of ``n_units`` units match ``query``, given codings placed on them.

    ``incidence`` has one row per (code, unit) presence, with columns ``code`` and ``unit``
    (the unit's row number), as built by the analysis functions.
    """
    present = {}
    for term in query.terms():
        vec = np.zeros(n_units, dtype=bool)
        vec[incidence.loc[match_codes(incidence["code"], [term]), "unit"].to_numpy()] = True
        present[term] = vec
    return query.evaluate(present) if n_units else np.zeros(0, dtype=bool)


def retrieve(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    query: str | Query,
    *,
    unit: str | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """The segments matching a Boolean code query, with their codes and citations.

    Parameters
    ----------
    codings, corpus : DataFrame, Corpus
        As for :func:`cmqual.analysis.code_frequencies`.
    query : str or Query
        E.g. ``"scoping-study/power AND NOT equity-lens/deficit_language"``
        (see :func:`parse_query`).
    unit : {"turn", "paragraph", "sentence"}, optional
        The segments the query is evaluated on (default: the codings' level, else turn).
    coders : list of str, optional
        Only codings by these coders count.
    roles, speakers, documents, where
        Keep only segments of speakers with these roles, these speaker labels, in these
        documents, whose attributes have these values (``{"sector": "FE"}``).

    Returns
    -------
    DataFrame
        One row per matching segment in document and text order. Columns: ``doc_id``,
        ``segment_id``, ``level``, ``start``, ``end`` (offsets into the canonical text:
        ``text == corpus.texts[doc_id][start:end]``), ``speaker``, ``speaker_role``,
        ``timestamp`` (seconds, NaN if unknown), ``paragraph`` (0-based), ``text``,
        ``codes`` (every code present in the segment, ``"; "``-joined, sorted),
        ``coders`` (coders of those codings, ``"; "``-joined), ``citation``.

    Examples
    --------
    >>> retrieve(codings, corpus, "scoping-study/power AND NOT scoping-study/voice",
    ...          roles=["participant"], where={"sector": "FE"})  # doctest: +SKIP
    """
    q = as_query(query)
    unit = infer_unit(codings, unit)
    scope = Scope.make(coders=coders, roles=roles, speakers=speakers, documents=documents,
                       where=where)
    placed = place(codings, corpus, unit=unit, scope=scope)
    units, inc = placed.units, placed.incidence
    mask = query_mask(q, len(units), inc)
    keep = units[mask]
    inc_keep = inc[inc["unit"].isin(np.flatnonzero(mask))]
    codes = inc_keep.groupby("unit")["code"].agg(lambda s: "; ".join(sorted(set(s))))
    who = inc_keep.groupby("unit")["coder"].agg(lambda s: "; ".join(sorted(set(s))))
    out = keep[["doc_id", "segment_id", "level", "start", "end", "speaker", "speaker_role",
                "timestamp", "paragraph", "text"]].copy()
    out["codes"] = pd.Series(codes, dtype="string").reindex(keep.index).fillna("")
    out["coders"] = pd.Series(who, dtype="string").reindex(keep.index).fillna("")
    out["citation"] = [citation(d, s, t, p) for d, s, t, p in
                       zip(out["doc_id"], out["speaker"], out["timestamp"], out["paragraph"],
                           strict=True)]
    out = out.astype({"doc_id": "string", "segment_id": "string", "level": "string",
                      "speaker": "string", "speaker_role": "string", "text": "string",
                      "codes": "string", "coders": "string", "citation": "string"})
    return out.reset_index(drop=True)
