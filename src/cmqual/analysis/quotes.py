"""Exemplar quotes: the most representative coded passages of each code, with citations.

Ranking (per code):

1. Candidates are the coded passages (each coding's exact span, or the segment of
   ``unit`` it starts in), trimmed of surrounding white space. A span shorter than
   ``min_words`` words (such as the few words an automatic pattern matched) is widened
   to the sentence or sentences it lies in. Candidates still shorter than ``min_words``
   are used only when the code has no longer one.
2. Each candidate is a TF-IDF vector (words of :func:`cmqual.analysis.tokens` without
   stop words; IDF learnt from every turn of the corpus). Its *typicality* is the cosine
   similarity to the centroid of the code's candidates: a quote that uses the words the
   code's passages share is more representative than an outlier (the centroid approach of
   extractive summarisation, Radev et al. 2004).
3. Score = typicality × length preference (1 inside ``ideal_words``, falling off in
   proportion outside it), so quotes are long enough to stand alone and short enough to
   read.
4. Selection is greedy by (preferred speaker role first, score, document, offset):
   a candidate is skipped when it overlaps an already chosen quote or is a near-duplicate
   of one (cosine ≥ ``duplicate_threshold``); at most ``max_per_document`` quotes per
   document and ``max_per_case`` per case, relaxed only when there are not enough other
   candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cmqual.analysis._scope import (
    CorpusLike,
    Scope,
    Where,
    as_case,
    check_columns,
    citation,
    infer_unit,
    place,
    unit_table,
)
from cmqual.analysis.words import STOP_WORDS, tokens, word_filter
from cmqual.errors import ConfigError
from cmqual.text import count_words

__all__ = ["exemplar_quotes"]

_COLUMNS = {
    "code": "string", "rank": "int64", "doc_id": "string", "case": "string",
    "speaker": "string", "speaker_role": "string", "start": "int64", "end": "int64",
    "quote": "string", "n_words": "int64", "score": "float64", "timestamp": "float64",
    "paragraph": "int64", "segment_id": "string", "citation": "string",
}


def exemplar_quotes(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    n: int = 3,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    unit: str | None = None,
    case: str | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    where: Where | None = None,
    prefer_roles: Sequence[str] | None = ("participant", ""),
    min_words: int = 5,
    ideal_words: tuple[int, int] = (12, 60),
    max_per_document: int = 1,
    max_per_case: int = 1,
    duplicate_threshold: float = 0.8,
) -> pd.DataFrame:
    """The ``n`` most representative quotes of each code, spread across documents and cases.

    Parameters
    ----------
    codings, corpus, codes, rollup, depth, case, coders, roles, where
        As for :func:`cmqual.analysis.code_frequencies`.
    n : int
        Quotes per code.
    unit : {"turn", "paragraph", "sentence"}, optional
        Quote the whole segment of this level a coding starts in; default: quote the
        coding's own span, widened to its sentence(s) when shorter than ``min_words``.
    prefer_roles : list of str or None
        Speaker roles chosen first (default participants and unlabelled text, so an
        interviewer's question is quoted only when nothing else is coded).
    min_words : int
        Shortest quote, unless the code has no longer passage.
    ideal_words : (int, int)
        Quote lengths that get no length penalty.
    max_per_document, max_per_case : int
        Spread: quotes per document and per case before the limit is relaxed.
    duplicate_threshold : float
        Cosine similarity (TF-IDF) above which a candidate counts as a near-duplicate of a
        chosen quote.

    Returns
    -------
    DataFrame
        Sorted by code, then ``rank`` (1 = best). Columns: ``code``, ``rank``, ``doc_id``,
        ``case``, ``speaker``, ``speaker_role``, ``start``, ``end`` (offsets into the
        canonical text: ``quote == corpus.texts[doc_id][start:end]``), ``quote``,
        ``n_words``, ``score`` (typicality × length preference, 0–1), ``timestamp``
        (seconds at the start of the turn, NaN if unknown), ``paragraph`` (0-based, of the
        quote's start), ``segment_id`` (segment of the quote's start), ``citation``
        (document, speaker, ``hh:mm:ss`` or ``para. N``).

    Examples
    --------
    >>> q = exemplar_quotes(codings, corpus, n=3, depth=2)  # doctest: +SKIP
    >>> row = q.iloc[0]                                       # doctest: +SKIP
    >>> corpus.texts[row.doc_id][row.start:row.end] == row.quote  # doctest: +SKIP
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"n: expected a whole number >= 1; got {n!r}")
    lo, hi = ideal_words
    if not 0 < lo <= hi:
        raise ConfigError(f"ideal_words: expected (low, high) with 0 < low <= high; got "
                          f"{ideal_words!r}")
    quote_unit = infer_unit(codings, unit) if unit is not None else None
    scope = Scope.make(coders=coders, roles=roles, where=where)
    placed = place(codings, corpus, unit=quote_unit or "sentence", scope=scope, codes=codes,
                   depth=depth, rollup=rollup)
    units = placed.units
    if case is not None:
        check_columns(units, [case], "case")
    cases = as_case(units, case)
    first = placed.incidence[placed.incidence["first"]]
    cand = first.join(placed.codings[["doc_id", "start", "end"]], on="coding")
    if quote_unit is not None:
        cand = cand.assign(start=units["start"].to_numpy()[cand["unit"]],
                           end=units["end"].to_numpy()[cand["unit"]])
    texts = corpus.texts
    if quote_unit is None:
        cand = _widen(corpus, cand, min_words)
    cand = cand.drop_duplicates(["code", "doc_id", "start", "end"])
    starts, ends, quotes = [], [], []
    for doc_id, s, e in zip(cand["doc_id"], cand["start"], cand["end"], strict=True):
        raw = texts[doc_id][s:e]
        lead = len(raw) - len(raw.lstrip())
        s2, e2 = s + lead, s + len(raw.rstrip())
        if e2 < s2:
            s2 = e2 = s
        starts.append(s2)
        ends.append(e2)
        quotes.append(texts[doc_id][s2:e2])
    cand = cand.assign(start=np.asarray(starts, dtype=np.int64),
                       end=np.asarray(ends, dtype=np.int64), quote=quotes)
    cand = cand[cand["quote"] != ""]
    cand = cand.assign(n_words=[count_words(q) for q in cand["quote"]])
    u = units.iloc[cand["unit"].to_numpy()]
    cand = cand.assign(case=cases.to_numpy()[cand["unit"]],
                       speaker=u["speaker"].astype(str).to_numpy(),
                       speaker_role=u["speaker_role"].astype(str).to_numpy(),
                       timestamp=u["timestamp"].astype("float64").to_numpy(),
                       segment_id=u["segment_id"].astype(str).to_numpy())
    cand = cand.assign(paragraph=_paragraphs(corpus, cand))
    vectorizer = _vectorizer(corpus)
    preferred = set(prefer_roles) if prefer_roles is not None else None
    chosen = []
    for code in sorted(set(cand["code"])):
        c = cand[cand["code"] == code]
        long_enough = c[c["n_words"] >= min_words]
        c = long_enough if len(long_enough) else c
        x = _transform(vectorizer, c["quote"].tolist())
        centroid = np.asarray(x.mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        typical = (x @ centroid) / norm if norm else np.zeros(x.shape[0])
        words = c["n_words"].to_numpy(np.float64)
        length = np.where(words < lo, words / lo, np.where(words > hi, hi / np.maximum(words, 1),
                                                           1.0))
        score = np.round(np.asarray(typical).ravel() * length, 12)
        c = c.assign(score=score, _row=np.arange(len(c)))
        pref = (c["speaker_role"].isin(preferred) if preferred is not None
                else pd.Series(True, index=c.index))
        c = c.assign(_pref=(~pref).astype(int))
        c = c.sort_values(["_pref", "score", "doc_id", "start"],
                          ascending=[True, False, True, True], kind="stable")
        picked = _select(c, x, n, max_per_document, max_per_case, duplicate_threshold)
        for rank, row in enumerate(picked, start=1):
            chosen.append({**{k: row[k] for k in _COLUMNS if k in row.index}, "rank": rank})
    out = pd.DataFrame(chosen, columns=list(_COLUMNS))
    out["citation"] = [citation(d, s, t, p) for d, s, t, p in
                       zip(out["doc_id"], out["speaker"], out["timestamp"], out["paragraph"],
                           strict=True)]
    out = out.astype(_COLUMNS)
    return out.sort_values(["code", "rank"], kind="stable").reset_index(drop=True)


def _select(c: pd.DataFrame, x, n: int, max_doc: int, max_case: int,
            threshold: float) -> list[pd.Series]:
    picked: list[pd.Series] = []
    for capped in (True, False):
        for _, row in c.iterrows():
            if len(picked) >= n:
                return picked
            if any(row["_row"] == p["_row"] for p in picked):
                continue
            if any(row["doc_id"] == p["doc_id"] and row["start"] < p["end"]
                   and p["start"] < row["end"] for p in picked):
                continue
            if capped:
                same_doc = sum(row["doc_id"] == p["doc_id"] for p in picked)
                same_case = sum(not pd.isna(row["case"]) and row["case"] == p["case"]
                                for p in picked)
                if same_doc >= max_doc or same_case >= max_case:
                    continue
            if picked:
                sims = (x[[int(p["_row"]) for p in picked]] @ x[int(row["_row"])].T)
                if np.asarray(sims.todense()).max() >= threshold:
                    continue
            picked.append(row)
    return picked


def _widen(corpus: CorpusLike, cand: pd.DataFrame, min_words: int) -> pd.DataFrame:
    """Widen spans shorter than ``min_words`` to the sentence(s) they lie in.

    An automatic coding is the few words a pattern matched ("workload"); the sentence
    around them is the quotable passage.
    """
    texts = corpus.texts
    short = np.array([count_words(texts[d][s:e]) < min_words for d, s, e in
                      zip(cand["doc_id"], cand["start"], cand["end"], strict=True)], dtype=bool)
    if not short.any():
        return cand
    sentences = unit_table(corpus, "sentence")
    starts = cand["start"].to_numpy(np.int64).copy()
    ends = cand["end"].to_numpy(np.int64).copy()
    positions = np.flatnonzero(short)
    docs = cand["doc_id"].to_numpy()
    for doc_id in sorted(set(docs[positions])):
        sent = sentences[sentences["doc_id"] == doc_id]
        if sent.empty:
            continue
        s_start = sent["start"].to_numpy(np.int64)
        s_end = sent["end"].to_numpy(np.int64)
        for i in positions[docs[positions] == doc_id]:
            first = int(np.searchsorted(s_end, starts[i], side="right"))
            last = int(np.searchsorted(s_start, max(ends[i], starts[i] + 1), side="left")) - 1
            if first <= last:
                starts[i] = min(starts[i], s_start[first])
                ends[i] = max(ends[i], s_end[last])
    return cand.assign(start=starts, end=ends)


def _paragraphs(corpus: CorpusLike, cand: pd.DataFrame) -> np.ndarray:
    """0-based paragraph number of each candidate's start."""
    paras = unit_table(corpus, "paragraph")
    out = np.zeros(len(cand), dtype=np.int64)
    for doc_id, idx in cand.groupby("doc_id").groups.items():
        p = paras[paras["doc_id"] == doc_id]
        if p.empty:
            continue
        ends = p["end"].to_numpy(np.int64)
        pos = np.searchsorted(ends, cand.loc[idx, "start"].to_numpy(np.int64), side="right")
        pos = np.minimum(pos, len(p) - 1)
        out[cand.index.get_indexer(idx)] = p["paragraph"].to_numpy(np.int64)[pos]
    return out


def _vectorizer(corpus: CorpusLike):
    from sklearn.feature_extraction.text import TfidfVectorizer

    keep = word_filter(STOP_WORDS, keep_numbers=False)

    def analyse(text: str) -> list[str]:
        return [w for w in tokens(text) if keep(w)]

    turns = corpus.segments[corpus.segments["level"] == "turn"]["text"].astype(str).tolist()
    vec = TfidfVectorizer(analyzer=analyse, sublinear_tf=True)
    try:
        vec.fit(turns)
    except ValueError:  # no words at all: every candidate is equally typical
        return None
    return vec


def _transform(vectorizer, quotes: list[str]):
    from scipy.sparse import csr_matrix

    if vectorizer is None:
        return csr_matrix(np.eye(max(len(quotes), 1))[: len(quotes)])
    return vectorizer.transform(quotes)
