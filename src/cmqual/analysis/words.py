"""Words in context, word frequencies and collocations, without downloaded NLTK data.

Tokens are the words of :func:`cmqual.text.word_spans` (the tokenisation behind every
``n_words`` in cmqual), lower-cased, with curly apostrophes and hyphen variants made
plain. Stop words (:data:`STOP_WORDS`) are scikit-learn's English list
(``ENGLISH_STOP_WORDS``, from the Glasgow Information Retrieval Group list), common
contractions and the fillers of spoken transcripts (:data:`TRANSCRIPT_FILLERS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

import numpy as np
import pandas as pd

from cmqual.analysis._scope import (
    CorpusLike,
    Scope,
    Where,
    as_list,
    check_columns,
    check_unit,
    citation,
    group_labels,
    infer_unit,
    place,
    sort_by_labels,
    unit_table,
)
from cmqual.analysis.retrieval import as_query, query_mask
from cmqual.errors import ConfigError
from cmqual.text import word_spans

__all__ = [
    "CONTRACTIONS",
    "STOP_WORDS",
    "TRANSCRIPT_FILLERS",
    "collocations",
    "kwic",
    "tokens",
    "word_frequencies",
]

#: Fillers, back-channels and annotation words of transcribed speech.
TRANSCRIPT_FILLERS: frozenset[str] = frozenset({
    "um", "umm", "uh", "uhh", "uh-huh", "mm", "mmm", "mm-hmm", "mhm", "hmm", "hm", "er",
    "erm", "eh", "ah", "ahh", "oh", "ooh", "yeah", "yea", "yep", "yup", "yes", "nah", "nope",
    "ok", "okay", "right", "like", "just", "really", "actually", "basically", "literally",
    "obviously", "honestly", "sort", "kind", "kinda", "sorta", "know", "mean", "think",
    "guess", "suppose", "gonna", "wanna", "gotta", "got", "get", "gets", "getting", "say",
    "said", "says", "saying", "thing", "things", "stuff", "lot", "lots", "bit", "way",
    "laughs", "laughter", "laughing", "inaudible", "crosstalk", "pause", "unclear",
    "sighs", "coughs", "interviewer", "participant",
})

#: Contractions, lower case with a plain apostrophe.
CONTRACTIONS: frozenset[str] = frozenset({
    "i'm", "i've", "i'd", "i'll", "you're", "you've", "you'd", "you'll", "he's", "he'd",
    "he'll", "she's", "she'd", "she'll", "it's", "it'd", "it'll", "we're", "we've", "we'd",
    "we'll", "they're", "they've", "they'd", "they'll", "that's", "that'd", "that'll",
    "there's", "there'd", "here's", "what's", "what'd", "who's", "who'd", "where's",
    "how's", "let's", "don't", "doesn't", "didn't", "can't", "cannot", "couldn't", "won't",
    "wouldn't", "shouldn't", "mustn't", "isn't", "aren't", "wasn't", "weren't", "haven't",
    "hasn't", "hadn't", "ain't", "y'know", "'cause", "cos", "'em",
})


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | TRANSCRIPT_FILLERS | CONTRACTIONS


#: Default stop words: scikit-learn's English list, contractions and transcript fillers.
STOP_WORDS: frozenset[str] = _stop_words()

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "‐": "-", "‑": "-"})


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (apostrophes and hyphens made plain).

    Examples
    --------
    >>> tokens("It’s a hard-to-reach group, isn't it?")
    ["it's", 'a', 'hard-to-reach', 'group', "isn't", 'it']
    """
    return [text[s:e].translate(_APOSTROPHES).lower() for s, e in word_spans(text)]


def word_filter(stop_words: Collection[str] | None, keep_numbers: bool) -> Callable[[str], bool]:
    stop = frozenset(w.translate(_APOSTROPHES).lower() for w in (stop_words or ()))

    def keep(word: str) -> bool:
        if word in stop:
            return False
        return keep_numbers or any(ch.isalpha() for ch in word)

    return keep


def selected_units(corpus: CorpusLike, *, unit: str, scope: Scope,
                    codings: pd.DataFrame | None, query) -> pd.DataFrame:
    """Units in scope; with a query, only those matching it (a code or Boolean query)."""
    if query is None:
        return scope.filter_units(unit_table(corpus, unit)).reset_index(drop=True)
    if codings is None:
        raise ConfigError("query: needs codings (pass codings=...)")
    placed = place(codings, corpus, unit=unit, scope=scope)
    mask = query_mask(as_query(query), len(placed.units), placed.incidence)
    return placed.units[mask].reset_index(drop=True)


def pattern_regex(pattern: str, mode: str, case_sensitive: bool) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError(f"pattern: expected a word, phrase or expression; got {pattern!r}")
    flags = 0 if case_sensitive else re.IGNORECASE
    if mode == "regex":
        try:
            return re.compile(pattern, flags)
        except re.error as exc:
            raise ConfigError(f"pattern: not a valid regular expression ({exc})") from None
    if mode not in ("fixed", "glob"):
        raise ConfigError(f"mode: expected 'fixed', 'glob' or 'regex'; got {mode!r}")
    parts = []
    for word in pattern.split():
        piece = re.escape(word.translate(_APOSTROPHES))
        piece = piece.replace("'", "['’ʼ‘]").replace(r"\-", "[-‐‑]")
        if mode == "glob":
            piece = piece.replace(r"\*", r"[\w'’ʼ-]*").replace(r"\?", r"\w")
        parts.append(piece)
    # whole words: no letter or digit directly before or after the match
    return re.compile(r"(?<![^\W_])" + r"\s+".join(parts) + r"(?![^\W_])", flags)


def kwic(
    corpus: CorpusLike,
    pattern: str,
    *,
    mode: str = "fixed",
    window: int = 8,
    case_sensitive: bool = False,
    unit: str = "turn",
    roles: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """Keyword in context: every match of a word, phrase or pattern, with its surroundings.

    Parameters
    ----------
    corpus : Corpus
        The corpus to search.
    pattern : str
        What to find. ``mode="fixed"``: a word or phrase matched as whole words (any run
        of white space between the words; straight and curly apostrophes alike).
        ``mode="glob"``: the same with ``*`` (any letters) and ``?`` (one letter), e.g.
        ``"mentor*"``. ``mode="regex"``: a Python regular expression, used as it is.
    window : int
        Words of context on each side (context never leaves the segment, so it is always
        the same speaker's words).
    case_sensitive : bool
        Match case exactly (default: no).
    unit : {"turn", "paragraph", "sentence"}
        The segments searched and whose context is shown.
    roles, speakers, documents, where
        Search only segments of these speaker roles, speakers, documents, attribute values.

    Returns
    -------
    DataFrame
        One row per match, in document and text order. Columns: ``doc_id``,
        ``segment_id``, ``speaker``, ``speaker_role``, ``start``, ``end`` (offsets into the
        canonical text: ``keyword == corpus.texts[doc_id][start:end]``), ``left``,
        ``keyword``, ``right`` (context with white space collapsed), ``paragraph``
        (0-based), ``timestamp`` (seconds or NaN), ``citation``.

    Examples
    --------
    >>> kwic(corpus, "workload", window=5)[["doc_id", "left", "keyword", "right"]]
    ... # doctest: +SKIP
    """
    check_unit(unit)
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise ConfigError(f"window: expected a whole number >= 0; got {window!r}")
    regex = pattern_regex(pattern, mode, case_sensitive)
    units = selected_units(corpus, unit=unit, scope=Scope.make(
        roles=roles, speakers=speakers, documents=documents, where=where),
        codings=None, query=None)
    rows = []
    for u in units.itertuples(index=False):
        text = u.text
        spans = None
        for m in regex.finditer(text):
            if m.end() == m.start():
                continue
            if spans is None:
                spans = word_spans(text)
                starts = np.array([s for s, _ in spans], dtype=np.int64)
                ends = np.array([e for _, e in spans], dtype=np.int64)
            i = int(np.searchsorted(ends, m.start(), side="right"))  # words ending before
            left_start = int(starts[max(i - window, 0)]) if window and i > 0 else m.start()
            j = int(np.searchsorted(starts, m.end(), side="left"))  # first word after
            right_end = (int(ends[min(j + window, len(spans)) - 1])
                         if window and j < len(spans) else m.end())
            rows.append((u.doc_id, u.segment_id, u.speaker, u.speaker_role,
                         int(u.start) + m.start(), int(u.start) + m.end(),
                         _squash(text[left_start:m.start()]), m.group(0),
                         _squash(text[m.end():right_end]), int(u.paragraph),
                         float(u.timestamp), citation(u.doc_id, u.speaker, u.timestamp,
                                                      u.paragraph)))
    cols = {"doc_id": "string", "segment_id": "string", "speaker": "string",
            "speaker_role": "string", "start": "int64", "end": "int64", "left": "string",
            "keyword": "string", "right": "string", "paragraph": "int64",
            "timestamp": "float64", "citation": "string"}
    out = pd.DataFrame(rows, columns=list(cols)).astype(cols)
    return out.sort_values(["doc_id", "start"], kind="stable").reset_index(drop=True)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def word_frequencies(
    corpus: CorpusLike,
    *,
    by: str | Sequence[str] | None = None,
    codings: pd.DataFrame | None = None,
    query: str | None = None,
    unit: str | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    where: Where | None = None,
    stop_words: Collection[str] | None = STOP_WORDS,
    keep_numbers: bool = False,
    min_count: int = 1,
    top: int | None = None,
) -> pd.DataFrame:
    """Most frequent words, overall or per group, optionally in passages with a code.

    Parameters
    ----------
    corpus : Corpus
        The corpus.
    by : str or list of str, optional
        Attributes to group by (as for :func:`cmqual.analysis.code_frequencies`).
    codings, query : optional
        With both: count only words of the segments matching the code query
        (e.g. ``"scoping-study/power"``; see :func:`cmqual.analysis.parse_query`).
    unit : {"turn", "paragraph", "sentence"}, optional
        Segments counted (default: the codings' level, else turn).
    coders, roles, speakers, documents, where
        Filters, as for :func:`cmqual.analysis.code_frequencies`.
    stop_words : collection of str or None
        Words left out (default :data:`STOP_WORDS`; ``None`` keeps every word).
    keep_numbers : bool
        Keep tokens without letters (``2023``, ``10:30``).
    min_count, top : int
        Leave out words seen fewer than ``min_count`` times; keep the ``top`` most
        frequent per group.

    Returns
    -------
    DataFrame
        Sorted by group, then ``count`` descending, then word. Columns: the ``by``
        columns, ``word``, ``count``, ``documents`` (documents using it), ``per_1000_words``
        (1000 × count / all words of the group's segments, stop words included),
        ``rank`` (1 = most frequent in the group; ties share no rank: alphabetical order).

    Examples
    --------
    >>> word_frequencies(corpus, by="sector", top=10)  # doctest: +SKIP
    """
    by_cols = as_list(by, "by")
    unit = infer_unit(codings, unit)
    scope = Scope.make(coders=coders, roles=roles, speakers=speakers, documents=documents,
                       where=where)
    units = selected_units(corpus, unit=unit, scope=scope, codings=codings, query=query)
    check_columns(units, by_cols, "by")
    keep = word_filter(stop_words, keep_numbers)
    glabels, orders = group_labels(units, by_cols)
    rows = []
    for idx, text in zip(units.index, units["text"].astype(str), strict=True):
        for w in tokens(text):
            if keep(w):
                rows.append((idx, w))
    toks = pd.DataFrame(rows, columns=["unit", "word"])
    toks = toks.join(glabels, on="unit").join(units["doc_id"], on="unit")
    out_cols = [*by_cols, "word", "count", "documents", "per_1000_words", "rank"]
    if toks.empty:
        return pd.DataFrame({c: pd.Series([], dtype="string" if c in (*by_cols, "word")
                                          else "float64" if c == "per_1000_words"
                                          else "int64") for c in out_cols})
    keys = [*by_cols, "word"]
    grouped = toks.groupby(keys, dropna=False)
    out = pd.concat([grouped.size().rename("count"),
                     grouped["doc_id"].nunique().rename("documents")], axis=1).reset_index()
    out = out[out["count"] >= min_count]
    if by_cols:
        totals = (units[["n_words"]].join(glabels).groupby(by_cols, dropna=False)["n_words"]
                  .sum().rename("words").reset_index())
        out = out.merge(totals, on=by_cols, how="left")
    else:
        out["words"] = int(units["n_words"].sum())
    out["per_1000_words"] = 1000.0 * out["count"] / out["words"].astype("float64")
    out = out.sort_values(["count", "word"], ascending=[False, True], kind="stable")
    out["rank"] = (out.groupby(by_cols, sort=False).cumcount() + 1 if by_cols
                   else np.arange(1, len(out) + 1))
    if top is not None:
        out = out[out["rank"] <= top]
    out = out.astype({c: "string" for c in keys} | {"count": "int64", "documents": "int64",
                                                    "rank": "int64"})
    return sort_by_labels(out[out_cols], orders, then=["rank"])


def collocations(
    corpus: CorpusLike,
    *,
    by: str | Sequence[str] | None = None,
    codings: pd.DataFrame | None = None,
    query: str | None = None,
    unit: str | None = None,
    measure: str = "likelihood_ratio",
    window: int = 2,
    min_count: int = 3,
    top: int | None = 20,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    where: Where | None = None,
    stop_words: Collection[str] | None = STOP_WORDS,
) -> pd.DataFrame:
    """Word pairs that occur together more than chance, with NLTK's collocation finder.

    Pairs are counted with :class:`nltk.collocations.BigramCollocationFinder` within each
    segment (never across segments or speakers); pairs containing a stop word or a
    token without letters are dropped after counting, so word frequencies stay exact.

    Parameters
    ----------
    corpus, by, codings, query, unit, coders, roles, speakers, documents, where
        As for :func:`word_frequencies`.
    measure : {"likelihood_ratio", "pmi"}
        Dunning's log-likelihood ratio (robust for rare pairs; Dunning 1993) or pointwise
        mutual information (favours rare pairs; use with ``min_count``).
    window : int
        2 counts adjacent words only; larger windows allow words in between.
    min_count : int
        Leave out pairs seen fewer times.
    top : int or None
        Pairs kept per group.
    stop_words : collection of str or None
        Pairs with these words are left out.

    Returns
    -------
    DataFrame
        Sorted by group, then score descending, then the words. Columns: the ``by``
        columns, ``word_1``, ``word_2`` (in text order), ``count``, ``score``, ``rank``.

    Examples
    --------
    >>> collocations(corpus, measure="pmi", min_count=2, top=10)  # doctest: +SKIP
    """
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

    measures = {"likelihood_ratio": BigramAssocMeasures.likelihood_ratio,
                "pmi": BigramAssocMeasures.pmi}
    if measure not in measures:
        raise ConfigError(f"measure: expected one of {', '.join(measures)}; got {measure!r}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ConfigError(f"window: expected a whole number >= 2; got {window!r}")
    by_cols = as_list(by, "by")
    unit = infer_unit(codings, unit)
    scope = Scope.make(coders=coders, roles=roles, speakers=speakers, documents=documents,
                       where=where)
    units = selected_units(corpus, unit=unit, scope=scope, codings=codings, query=query)
    check_columns(units, by_cols, "by")
    keep = word_filter(stop_words, keep_numbers=False)
    glabels, orders = group_labels(units, by_cols)
    group_keys = (glabels[by_cols].apply(tuple, axis=1) if by_cols
                  else pd.Series([()] * len(units), index=units.index, dtype=object))
    rows = []
    for key, idx in group_keys.groupby(group_keys, sort=False).groups.items():
        words: list[str | None] = []
        for text in units.loc[idx, "text"].astype(str):
            words.extend(tokens(text))
            words.extend([None] * (window - 1))  # no pair spans two segments
        finder = BigramCollocationFinder.from_words(words, window_size=window)
        finder.apply_word_filter(lambda w: w is None or not keep(w))
        finder.apply_freq_filter(min_count)
        scored = finder.score_ngrams(measures[measure])
        for rank, ((w1, w2), score) in enumerate(scored[:top] if top else scored, start=1):
            rows.append((*key, w1, w2, int(finder.ngram_fd[(w1, w2)]), float(score), rank))
    cols = [*by_cols, "word_1", "word_2", "count", "score", "rank"]
    out = pd.DataFrame(rows, columns=cols)
    out = out.astype({c: "string" for c in [*by_cols, "word_1", "word_2"]}
                     | {"count": "int64", "score": "float64", "rank": "int64"})
    return sort_by_labels(out, orders, then=["rank"])
